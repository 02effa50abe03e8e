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

// localPacer is the default Pacer: a token bucket (golang.org/x/time/rate)
// shaped so that any stretch of time holds no more requests than the budget
// allows, whatever the server's windows are, with a margin for network
// jitter.
//
// For a budget of n requests per period, the bucket has a burst of
// b = max(1, n/50) and a steady rate of n-b+1 per period, less 2%: any
// stretch of one period then holds at most n requests (the first b at once,
// the rest evenly spaced). It uses about 96% of TextUs's 1,000 per 5
// minutes and 98% of a budget such as 50 per second.
//
// The server's own figures reshape it: after each response that reports
// X-RateLimit-Remaining and X-RateLimit-Reset, the bucket spreads the
// requests remaining over the time left to the reset, by the same rule. So
// the whole budget of the server's window is used, evenly, whatever the
// window's length, and a budget spent by other clients of the same token
// slows this one down. A budget given to WithRateLimit is a cap on top: the
// bucket never goes faster than it. Without WithRateLimit the bucket starts
// from TextUs's budget until the first response says otherwise.
type localPacer struct {
	lim *rate.Limiter
	// The WithRateLimit cap, when one was given (capLimit 0: none).
	capLimit rate.Limit
	capBurst int
}

// pacerMargin is the share of the budget the local pacer leaves unused for
// network jitter.
const pacerMargin = 0.02

// newLocalPacer returns the default pacer for a budget of n per period, or
// nil (no pacing) when n <= 0. explicit says the budget was given to
// WithRateLimit, which makes it a cap.
func newLocalPacer(n int, per time.Duration, explicit bool) Pacer {
	if n <= 0 || per <= 0 {
		return nil
	}
	limit, burst := bucketShape(n, per)
	p := &localPacer{lim: rate.NewLimiter(limit, burst)}
	if explicit {
		p.capLimit, p.capBurst = limit, burst
	}
	return p
}

// bucketShape returns the rate and burst of a bucket that lets at most n
// requests into any stretch of d.
func bucketShape(n int, d time.Duration) (rate.Limit, int) {
	burst := max(1, n/50)
	perSecond := float64(n-burst+1) / d.Seconds() * (1 - pacerMargin)
	return rate.Limit(perSecond), burst
}

// Observe spreads the requests the server says remain over the time left to
// its reset, within the WithRateLimit cap. Remaining: 0 is the client's
// server-block rule, not this.
func (p *localPacer) Observe(r Rate) {
	left := time.Until(r.Reset)
	if r.Remaining <= 0 || left <= 0 {
		return
	}
	limit, burst := bucketShape(r.Remaining, left)
	if p.capLimit > 0 {
		limit, burst = min(limit, p.capLimit), min(burst, p.capBurst)
	}
	p.lim.SetBurst(burst)
	p.lim.SetLimit(limit)
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
