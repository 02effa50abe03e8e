package textus

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Pacer decides when the next request may be sent. WithRateLimit configures
// the local default (a token bucket from golang.org/x/time/rate); WithPacer
// replaces it, e.g. with one shared by several processes through Redis
// (package textusredis), so that they keep to one budget together.
//
// Whatever the Pacer, the client also keeps the server's own rule: when a
// response says X-RateLimit-Remaining: 0, no request is sent before
// X-RateLimit-Reset, and when that is further away than the maximum retry
// wait (WithRetryWait) the call fails at once with ErrRateLimited without
// being sent.
//
// Implementations must be safe for concurrent use: every copy of a client
// (Client.ForAccount) shares one Pacer.
type Pacer interface {
	// Wait blocks until a request may go. It is called before every
	// attempt, retries included. An error ends the call unsent; the call
	// returns it wrapped, so an error matching ErrRateLimited or a context
	// error keeps its meaning.
	Wait(ctx context.Context) error
	// Observe receives the X-RateLimit-* state of every response that
	// carried X-RateLimit-Remaining, in the order the responses arrived.
	Observe(r Rate)
}

// localPacer is the default Pacer: n requests per period, refilled evenly,
// with a burst of n.
type localPacer struct{ lim *rate.Limiter }

// newLocalPacer returns the default pacer for WithRateLimit(n, per), or nil
// (no pacing) when n <= 0.
func newLocalPacer(n int, per time.Duration) Pacer {
	if n <= 0 || per <= 0 {
		return nil
	}
	return &localPacer{lim: rate.NewLimiter(rate.Every(per/time.Duration(n)), n)}
}

// Wait reserves the next slot and sleeps until it. When the wait would
// outlast ctx's deadline it fails at once, and when ctx ends first the slot
// is given back; either way the error matches ctx's error.
func (p *localPacer) Wait(ctx context.Context) error {
	r := p.lim.Reserve()
	d := r.Delay()
	if d == 0 {
		return ctx.Err()
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		r.Cancel()
		return fmt.Errorf("textus: the pacer's wait of %s would outlast the context's deadline: %w", d.Round(time.Millisecond), context.DeadlineExceeded)
	}
	if err := sleep(ctx, d); err != nil {
		r.Cancel()
		return err
	}
	return nil
}

func (p *localPacer) Observe(Rate) {}

// serverBlock is the rule every Pacer shares: after a response says
// X-RateLimit-Remaining: 0, nothing is sent before X-RateLimit-Reset.
type serverBlock struct {
	mu    sync.Mutex
	until time.Time
}

// observe records a response's rate state. Remaining: 0 blocks until its
// reset; a response from a later window (a reset at or after the block's
// end) with requests remaining lifts the block. A late response from the
// window that ran out does not.
func (b *serverBlock) observe(r Rate) {
	if r.Reset.IsZero() {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case r.Remaining <= 0:
		if r.Reset.After(b.until) {
			b.until = r.Reset
		}
	case !r.Reset.Before(b.until):
		b.until = time.Time{}
	}
}

// remaining returns how long the block still lasts at now, or 0.
func (b *serverBlock) remaining(now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if d := b.until.Sub(now); d > 0 {
		return d
	}
	return 0
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
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
