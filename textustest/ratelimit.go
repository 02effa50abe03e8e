package textustest

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// rateLimiter counts requests per key (token or client IP) in fixed windows
// of per, aligned to the Unix epoch: window k runs from k*per to (k+1)*per,
// so every key's windows end at the same instants and X-RateLimit-Reset
// can name the exact end.
type rateLimiter struct {
	limit int
	per   time.Duration

	mu      sync.Mutex
	windows map[string]*rateWindow
}

type rateWindow struct {
	start int64 // Unix nanoseconds
	count int
}

func newRateLimiter(limit int, per time.Duration) *rateLimiter {
	return &rateLimiter{limit: limit, per: per, windows: make(map[string]*rateWindow)}
}

// window returns the window that holds t, as Unix nanoseconds: start is the
// largest multiple of per not after t.
func (rl *rateLimiter) window(t time.Time) (start, end int64) {
	ns, p := t.UnixNano(), int64(rl.per)
	m := ns % p
	if m < 0 {
		m += p
	}
	return ns - m, ns - m + p
}

// take counts one request for key at now, writes the X-RateLimit-* headers
// and reports whether the request is within the budget. When it is not, it
// also sets Retry-After.
//
// X-RateLimit-Reset is the end of the window in Unix seconds: exact when
// per is a whole number of seconds, rounded up otherwise (a reset is never
// announced before the window ends). Retry-After is the time left until
// that end in seconds, rounded up: at least 1, at most per rounded up.
func (rl *rateLimiter) take(key string, h http.Header, now time.Time) bool {
	if rl == nil || rl.limit <= 0 {
		return true
	}
	start, end := rl.window(now)
	rl.mu.Lock()
	w := rl.windows[key]
	if w == nil || w.start != start {
		w = &rateWindow{start: start}
		rl.windows[key] = w
	}
	w.count++
	count := w.count
	rl.mu.Unlock()

	h.Set("X-RateLimit-Limit", strconv.Itoa(rl.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(rl.limit-count, 0)))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(ceilDiv(end, int64(time.Second)), 10))
	if count <= rl.limit {
		return true
	}
	h.Set("Retry-After", strconv.FormatInt(ceilDiv(end-now.UnixNano(), int64(time.Second)), 10))
	return false
}

// ceilDiv is a/b rounded up, for b > 0.
func ceilDiv(a, b int64) int64 {
	q := a / b
	if a%b > 0 {
		q++
	}
	return q
}

// longestRateWait is the longest wait the headers of a limiter with period
// per can ask a client for: a whole window, plus up to a second when per
// is not a whole number of seconds (X-RateLimit-Reset is then rounded up).
func longestRateWait(per time.Duration) time.Duration {
	if per%time.Second == 0 {
		return per
	}
	return per + time.Second
}

func (rl *rateLimiter) reset() {
	if rl == nil {
		return
	}
	rl.mu.Lock()
	rl.windows = make(map[string]*rateWindow)
	rl.mu.Unlock()
}
