package textusredis

import (
	"log/slog"
	"time"
)

// Defaults of the options.
const (
	// DefaultPrefix starts every key this package writes.
	DefaultPrefix = "textus:"
	// DefaultLease is how long a Deduplicator claim lasts when its holder
	// neither completes nor releases it (a replica that crashed mid-delivery).
	DefaultLease = 30 * time.Second
	// DefaultCompletedTTL is how long a Deduplicator remembers a processed
	// delivery id (the same as webhooks.DefaultDedupTTL).
	DefaultCompletedTTL = 24 * time.Hour
	// DefaultBurst is how many requests a Pacer lets go back to back after
	// an idle spell: 1, so that requests are spread evenly over the period.
	DefaultBurst = 1
)

// Option configures a Deduplicator or a Pacer. Each constructor uses the
// options that concern it and ignores the others, so one list of options
// can serve both. An option given an out-of-range value (a non-positive
// duration or count) keeps the default.
type Option func(*config)

type config struct {
	prefix       string
	lease        time.Duration
	completedTTL time.Duration
	maxWait      time.Duration // 0: the Pacer's period
	burst        int
	logger       *slog.Logger
}

func newConfig(opts []Option) config {
	c := config{
		prefix:       DefaultPrefix,
		lease:        DefaultLease,
		completedTTL: DefaultCompletedTTL,
		burst:        DefaultBurst,
	}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	return c
}

// WithPrefix sets the string that starts every key (default DefaultPrefix,
// "textus:"). Give each application or environment that shares one Redis
// its own prefix; processes that must share de-duplication or a budget
// must use the same one. An empty prefix is allowed.
func WithPrefix(prefix string) Option {
	return func(c *config) { c.prefix = prefix }
}

// WithLease sets how long a Deduplicator claim lasts (default
// DefaultLease). A claim is normally ended at once by Complete or Release;
// the lease only matters when its holder dies mid-delivery: until it
// expires, copies of that delivery are answered 409 and retried by the
// sender, and after it another replica processes the delivery. Choose it
// longer than your slowest callback (a callback that outlives its lease may
// run twice) and short enough for the sender's retries.
func WithLease(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.lease = d
		}
	}
}

// WithCompletedTTL sets how long a Deduplicator remembers a processed
// delivery id (default DefaultCompletedTTL). Choose it longer than the
// sender's retry horizon; each remembered id costs one small Redis key.
func WithCompletedTTL(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.completedTTL = d
		}
	}
}

// WithMaxWait sets the longest a Pacer's Wait sleeps (default: the
// Pacer's period, or textus.DefaultRetryWaitMax when its budget is off).
// When the next free slot of the shared budget, or the end
// of a server block, is further away, Wait fails at once with an error
// wrapping textus.ErrRateLimited and takes no slot.
func WithMaxWait(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.maxWait = d
		}
	}
}

// WithBurst sets how many requests a Pacer lets go back to back after an
// idle spell (default DefaultBurst, 1). The budget per period is unchanged,
// but over any span of one period up to requests+burst-1 may be sent: keep
// that within the server's quota.
func WithBurst(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.burst = n
		}
	}
}

// WithLogger sets where a Pacer reports the failures it cannot return: a
// server block that Observe could not share through Redis. The default is
// slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.logger = l
		}
	}
}
