// Package pace paces requests on the client side: a token bucket refilled
// evenly, plus a block until the server's rate-limit window resets when the
// server said no requests remain.
package pace

import (
	"context"
	"sync"
	"time"
)

// Limiter is safe for concurrent use. The zero value does not pace.
type Limiter struct {
	mu       sync.Mutex
	interval time.Duration // time to refill one token; 0 disables the bucket
	burst    float64
	tokens   float64
	last     time.Time
	until    time.Time // server said Remaining: 0; wait until then
	now      func() time.Time
}

// New returns a limiter allowing n requests per period, refilled evenly,
// with a burst of n. n <= 0 disables the token bucket (the server block
// still applies).
func New(n int, per time.Duration) *Limiter {
	l := &Limiter{now: time.Now}
	if n > 0 && per > 0 {
		l.interval = per / time.Duration(n)
		if l.interval <= 0 {
			l.interval = time.Nanosecond
		}
		l.burst = float64(n)
		l.tokens = float64(n)
	}
	return l
}

// SetClock replaces the clock (tests).
func (l *Limiter) SetClock(now func() time.Time) {
	l.mu.Lock()
	l.now = now
	l.last = time.Time{}
	l.mu.Unlock()
}

// Reserve takes one token and returns how long the caller must wait before
// sending: the token bucket's wait, or the server block (capped at
// maxBlock), whichever is longer.
func (l *Limiter) Reserve(maxBlock time.Duration) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var wait time.Duration
	if l.interval > 0 {
		if l.last.IsZero() {
			l.last = now
		}
		if el := now.Sub(l.last); el > 0 {
			l.tokens += float64(el) / float64(l.interval)
			if l.tokens > l.burst {
				l.tokens = l.burst
			}
			l.last = now
		}
		l.tokens--
		if l.tokens < 0 {
			wait = time.Duration(-l.tokens * float64(l.interval))
		}
	}
	if b := l.until.Sub(now); b > 0 {
		if b > maxBlock {
			b = maxBlock
		}
		if b > wait {
			wait = b
		}
	}
	return wait
}

// Wait reserves a token and sleeps for the wait, returning early with the
// context's error.
func (l *Limiter) Wait(ctx context.Context, maxBlock time.Duration) error {
	if l == nil {
		return ctx.Err()
	}
	d := l.Reserve(maxBlock)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Blocked returns how long the server's block (Remaining: 0) still lasts,
// or 0.
func (l *Limiter) Blocked() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if d := l.until.Sub(l.now()); d > 0 {
		return d
	}
	return 0
}

// Observe records the server's rate-limit state: when remaining is 0, later
// requests wait until reset; a positive remaining lifts the block.
func (l *Limiter) Observe(remaining int, reset time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if remaining <= 0 && !reset.IsZero() {
		if reset.After(l.until) {
			l.until = reset
		}
	} else if remaining > 0 {
		l.until = time.Time{}
	}
}
