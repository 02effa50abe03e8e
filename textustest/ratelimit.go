package textustest

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// rateLimiter is a fixed-window counter per key (token or client IP).
type rateLimiter struct {
	limit int
	per   time.Duration

	mu      sync.Mutex
	windows map[string]*rateWindow
}

type rateWindow struct {
	start time.Time
	count int
}

func newRateLimiter(limit int, per time.Duration) *rateLimiter {
	return &rateLimiter{limit: limit, per: per, windows: make(map[string]*rateWindow)}
}

// take counts one request for key, writes the X-RateLimit-* headers and
// reports whether the request is within the budget. When it is not, it also
// sets Retry-After.
func (rl *rateLimiter) take(key string, h http.Header, now time.Time) bool {
	if rl == nil || rl.limit <= 0 {
		return true
	}
	rl.mu.Lock()
	w := rl.windows[key]
	if w == nil || !now.Before(w.start.Add(rl.per)) {
		w = &rateWindow{start: now}
		rl.windows[key] = w
	}
	w.count++
	count, reset := w.count, w.start.Add(rl.per)
	rl.mu.Unlock()

	remaining := rl.limit - count
	if remaining < 0 {
		remaining = 0
	}
	resetUnix := reset.Unix()
	if reset.Nanosecond() > 0 {
		resetUnix++ // never announce a reset before the window really ends
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(rl.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(resetUnix, 10))
	if count <= rl.limit {
		return true
	}
	wait := reset.Sub(now)
	secs := int64(wait / time.Second)
	if wait%time.Second != 0 {
		secs++
	}
	if secs < 1 {
		secs = 1
	}
	h.Set("Retry-After", strconv.FormatInt(secs, 10))
	return false
}

// longestRateWait is the longest wait the headers of a limiter with period
// per can ask a client for: a whole window, plus up to a second because
// X-RateLimit-Reset and Retry-After are rounded up to whole seconds.
func longestRateWait(per time.Duration) time.Duration {
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
