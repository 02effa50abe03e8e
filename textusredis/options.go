package textusredis

import (
	"log/slog"
	"time"

	"github.com/textus-go/textus/webhooks"
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
	// DefaultCapacity is how many live jobs a Queue holds (waiting, leased,
	// waiting for a retry or held behind their order key) before Enqueue
	// fails with webhooks.ErrQueueFull: the same as
	// webhooks.DefaultQueueCapacity.
	DefaultCapacity = webhooks.DefaultQueueCapacity
	// DefaultDeadLetterMaxLen is how many dead letters a Queue keeps before
	// Enqueue fails with webhooks.ErrQueueFull.
	DefaultDeadLetterMaxLen = 10000
	// DefaultBlock is how long a Queue's Receive waits for a job before it
	// returns none (the caller then calls it again).
	DefaultBlock = time.Second
)

// Option configures a Deduplicator, a Queue or a Pacer. Each constructor
// uses the options that concern it and ignores the others, so one list of
// options can serve all three. An option given an out-of-range value (a non-positive
// duration or count) keeps the default.
type Option func(*config)

type config struct {
	prefix       string
	lease        time.Duration
	completedTTL time.Duration
	maxWait      time.Duration // 0: the Pacer's period
	burst        int
	logger       *slog.Logger
	capacity     int
	deadMax      int
	block        time.Duration
}

func newConfig(opts []Option) config {
	c := config{
		prefix:       DefaultPrefix,
		lease:        DefaultLease,
		completedTTL: DefaultCompletedTTL,
		burst:        DefaultBurst,
		capacity:     DefaultCapacity,
		deadMax:      DefaultDeadLetterMaxLen,
		block:        DefaultBlock,
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
// DefaultLease). It does not concern a Queue, whose lease is the one the
// webhooks.Handler passes to Receive (webhooks.WithLease). A claim is normally ended at once by Complete or Release;
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

// WithCapacity sets how many live jobs a Queue holds (default
// DefaultCapacity): jobs waiting, leased, waiting for a retry or held
// behind an earlier job with their order key. When it holds that many,
// Enqueue fails with an error wrapping webhooks.ErrQueueFull, nothing is
// stored, and the webhook handler answers 503 so that TextUs retries
// later.
func WithCapacity(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.capacity = n
		}
	}
}

// WithDeadLetterMaxLen sets how many dead letters a Queue keeps (default
// DefaultDeadLetterMaxLen) before Enqueue fails with an error wrapping
// webhooks.ErrQueueFull, as it does when the queue is full: a dead letter
// is never dropped, so a pile of them nobody looks at shows up as refused
// deliveries rather than as lost ones. Redrive or Discard them to make
// room.
func WithDeadLetterMaxLen(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.deadMax = n
		}
	}
}

// WithBlock sets how long a Queue's Receive waits for a job before it
// returns none (default DefaultBlock). Receive notices the end of its
// context's deadline at once, but a context cancelled without a deadline
// only when the current wait ends, since a blocked Redis read cannot be
// interrupted: this is also how long webhooks.Handler.Run may take to
// return after its context is cancelled.
func WithBlock(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.block = d
		}
	}
}
