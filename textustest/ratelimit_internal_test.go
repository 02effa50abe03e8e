package textustest

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// The limiter takes the time of each request, so windows are tested at
// their boundaries without sleeping.
func TestRateLimiterWindowsAlignedToEpoch(t *testing.T) {
	// 1_700_000_100 is a multiple of 300, 1.5 and 0.2 seconds.
	base := time.Unix(1_700_000_100, 0)
	at := func(d time.Duration) time.Time { return base.Add(d) }
	type step struct {
		at         time.Time
		ok         bool
		remaining  string
		reset      string
		retryAfter string // "" when the request is within the budget
	}
	tests := []struct {
		name  string
		limit int
		per   time.Duration
		steps []step
	}{
		{"one second", 2, time.Second, []step{
			// The window is [base, base+1s) whenever its first request comes.
			{at(300 * time.Millisecond), true, "1", "1700000101", ""},
			{at(500 * time.Millisecond), true, "0", "1700000101", ""},
			{at(900 * time.Millisecond), false, "0", "1700000101", "1"},
			{at(time.Second - time.Nanosecond), false, "0", "1700000101", "1"},
			// A new window starts exactly at the boundary.
			{at(time.Second), true, "1", "1700000102", ""},
			{at(1999 * time.Millisecond), true, "0", "1700000102", ""},
			{at(1999 * time.Millisecond), false, "0", "1700000102", "1"},
			// A window with no request in between is skipped, not extended.
			{at(5*time.Second + 10*time.Millisecond), true, "1", "1700000106", ""},
		}},
		{"five minutes", 1, 5 * time.Minute, []step{
			{at(10 * time.Second), true, "0", "1700000400", ""},
			{at(10 * time.Second), false, "0", "1700000400", "290"},
			{at(10*time.Second + time.Millisecond), false, "0", "1700000400", "290"}, // 289.999s, rounded up
			{at(5*time.Minute - 600*time.Millisecond), false, "0", "1700000400", "1"},
			{at(5 * time.Minute), true, "0", "1700000700", ""},
		}},
		{"a second and a half", 1, 1500 * time.Millisecond, []step{
			// The window [base, base+1.5s) ends between whole seconds: the
			// reset is rounded up, Retry-After is the ceil of the time left.
			{at(200 * time.Millisecond), true, "0", "1700000102", ""},
			{at(200 * time.Millisecond), false, "0", "1700000102", "2"},
			{at(600 * time.Millisecond), false, "0", "1700000102", "1"},
			// The next window [base+1.5s, base+3s) ends on a whole second.
			{at(1500 * time.Millisecond), true, "0", "1700000103", ""},
			{at(2 * time.Second), false, "0", "1700000103", "1"},
		}},
		{"a fifth of a second", 1, 200 * time.Millisecond, []step{
			{at(50 * time.Millisecond), true, "0", "1700000101", ""},
			{at(150 * time.Millisecond), false, "0", "1700000101", "1"},
			{at(200 * time.Millisecond), true, "0", "1700000101", ""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rl := newRateLimiter(tt.limit, tt.per)
			for i, s := range tt.steps {
				h := http.Header{}
				ok := rl.take("token:x", h, s.at)
				assert.Equal(t, s.ok, ok, "step %d", i)
				assert.Equal(t, []string{"X-Ratelimit-Limit", "X-Ratelimit-Remaining", "X-Ratelimit-Reset"},
					headerNames(h, "Retry-After"), "step %d: headers on every response", i)
				assert.Equal(t, s.remaining, h.Get("X-RateLimit-Remaining"), "step %d", i)
				assert.Equal(t, s.reset, h.Get("X-RateLimit-Reset"), "step %d", i)
				assert.Equal(t, s.retryAfter, h.Get("Retry-After"), "step %d", i)
			}
		})
	}
}

// Every key has its own count in the same, shared windows.
func TestRateLimiterKeys(t *testing.T) {
	rl := newRateLimiter(1, time.Minute)
	t0 := time.Unix(1_700_000_040, 0) // a multiple of 60
	h := http.Header{}
	assert.True(t, rl.take("token:a", h, t0.Add(time.Second)))
	assert.True(t, rl.take("ip:127.0.0.1", h, t0.Add(50*time.Second)))
	assert.Equal(t, "1700000100", h.Get("X-RateLimit-Reset"), "the same window end for every key")
	assert.False(t, rl.take("token:a", h, t0.Add(59*time.Second)))
	rl.reset()
	assert.True(t, rl.take("token:a", http.Header{}, t0.Add(59*time.Second)), "Reset forgets the counts")
}

func TestLongestRateWait(t *testing.T) {
	assert.Equal(t, time.Second, longestRateWait(time.Second))
	assert.Equal(t, 5*time.Minute, longestRateWait(5*time.Minute))
	assert.Equal(t, 2500*time.Millisecond, longestRateWait(1500*time.Millisecond))
	assert.Equal(t, 1200*time.Millisecond, longestRateWait(200*time.Millisecond))
}

// headerNames lists h's canonical names but skip, sorted.
func headerNames(h http.Header, skip string) []string {
	var out []string
	for k := range h {
		if k != http.CanonicalHeaderKey(skip) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}
