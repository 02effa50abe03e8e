package webhooks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/textus-go/textus"
)

// DefaultMaxBodyBytes is the default cap on a delivery's size (1 MiB).
const DefaultMaxBodyBytes int64 = 1 << 20

// Option configures a Handler. Options are checked by NewHandler, which
// returns an error for an invalid value.
type Option func(*settings) error

type settings struct {
	secrets   []string
	maxBody   int64
	dedup     Deduplicator
	tolerance time.Duration
	now       func() time.Time
	logger    *slog.Logger
	observer  Observer

	queue       Queue
	workers     int
	lease       time.Duration
	maxAttempts int
	minBackoff  time.Duration
	maxBackoff  time.Duration
	orderKey    func(event any) string
	onDead      func(context.Context, DeadLetter)
	consumer    string
	// queueOnly names the options set that only apply with a queue.
	queueOnly []string
}

// Defaults of the queue mode (WithQueue).
const (
	DefaultWorkers     = 4
	DefaultLease       = time.Minute
	DefaultMaxAttempts = 10
	DefaultMinBackoff  = time.Second
	DefaultMaxBackoff  = 10 * time.Minute
)

// WithSecrets adds secrets accepted alongside NewHandler's secret argument.
// A delivery is authentic when its signature matches any of them. To rotate,
// create the new integration, pass its secret here next to the old one,
// and drop the old one once TextUs no longer signs with it. Empty strings
// are ignored; secrets are used exactly as given (not trimmed).
func WithSecrets(secrets ...string) Option {
	return func(s *settings) error {
		s.secrets = append(s.secrets, secrets...)
		return nil
	}
}

// WithMaxBodyBytes caps the size of a delivery; larger requests are
// answered 413 without being read further. The default is
// DefaultMaxBodyBytes. n must be positive.
func WithMaxBodyBytes(n int64) Option {
	return func(s *settings) error {
		if n <= 0 {
			return errors.New("webhooks: WithMaxBodyBytes needs a positive size")
		}
		s.maxBody = n
		return nil
	}
}

// WithDeduplicator replaces the default in-memory de-duplicator
// (NewMemoryDeduplicator(DefaultDedupEntries, DefaultDedupTTL)), for
// example with one backed by a store that all replicas share. It must not
// be nil.
func WithDeduplicator(d Deduplicator) Option {
	return func(s *settings) error {
		if d == nil {
			return errors.New("webhooks: WithDeduplicator(nil)")
		}
		s.dedup = d
		return nil
	}
}

// WithTolerance turns on the freshness check: after the signature is
// verified, a delivery whose body timestamp is more than d away from the
// current time, in either direction, or has no readable timestamp, is
// refused with 403 Forbidden (see CheckTimestamp). The timestamp is
// covered by the signature, so this bounds replays of captured deliveries.
// It is off by default, and 0 turns it off; a negative d is an error.
//
// TextUs does not document whether a retry carries the original timestamp:
// pick d longer than the sender's retry horizon plus clock skew, or
// retries of an old delivery will be refused.
func WithTolerance(d time.Duration) Option {
	return func(s *settings) error {
		if d < 0 {
			return errors.New("webhooks: WithTolerance needs a non-negative duration")
		}
		s.tolerance = d
		return nil
	}
}

// WithClock sets the clock of the freshness check (time.Now by default),
// for tests that replay recorded deliveries with WithTolerance.
func WithClock(now func() time.Time) Option {
	return func(s *settings) error {
		if now == nil {
			return errors.New("webhooks: WithClock(nil)")
		}
		s.now = now
		return nil
	}
}

// WithLogger sets a structured logger for the handler's decisions: refused
// requests, duplicates, callback failures and, at debug level, handled
// deliveries. Records carry the delivery id, the action, the status and the
// reason, never a secret, a signature or a body. The default is no logging.
func WithLogger(l *slog.Logger) Option {
	return func(s *settings) error {
		s.logger = l
		return nil
	}
}

// WithObserver installs an Observer, told about every delivery and, with
// a queue, every job attempt: the hook for tracing and metrics. A nil o
// removes it.
func WithObserver(o Observer) Option {
	return func(s *settings) error {
		s.observer = o
		return nil
	}
}

// WithQueue turns on the queue mode: ServeHTTP stores each verified
// delivery in q and answers 200 once it is stored, and Handler.Run runs
// the callbacks from the queue, with retries, leases and dead letters.
// Without it, callbacks run inside the request, as described on Handler.
//
// In the queue mode, for each request, the steps of Handler up to the
// decoding are the same (405, 413, 401, 403, 400); then:
//
//   - a delivery whose action has no callback is answered 200 and not
//     queued;
//   - a delivery the Deduplicator records as done is answered 200 and not
//     queued;
//   - otherwise it is enqueued: 200 once q stored it, 200 too when q
//     already holds a live job with its id (ErrDuplicateJob: a redelivery
//     of a queued delivery), and 503 Service Unavailable with a
//     Retry-After header when q is full or failing. Nothing is
//     acknowledged that is not stored.
//
// A worker (Handler.Run) runs each job as follows: it verifies the stored
// body against the stored signature again (a job that fails is
// dead-lettered: it cannot have come from the Handler with these
// secrets, so keep a retired secret until the jobs it signed are done),
// decodes it, claims the delivery id in the Deduplicator (a delivery done
// already is acknowledged without running the callback again; one held by
// another worker is retried later), and runs the callback with a context
// that ends when the job's lease does (WithLease). On success it records
// the id as done, then acknowledges the job. On failure it releases the
// claim and retries the job after an exponential backoff with jitter
// (WithBackoff), up to WithAttempts attempts, after which the job is
// dead-lettered with its body, its attempt count and its last error (see
// WithDeadLetterFunc and Queue.DeadLetters). A worker whose lease expired
// leaves the job to the queue, which hands it out again.
//
// Crash windows, and why nothing is lost or run twice after success: the
// Handler only peeks at the Deduplicator (a claim it releases at once) and
// holds no claim across the answer, so a crash before the job is stored
// leaves nothing behind and the sender, without a 2xx, retries. A crash
// while a callback runs leaves the job leased; it is handed out again
// when the lease expires (with a shared Deduplicator, once the dead
// worker's claim expires too). A crash after a callback succeeded but
// before its success was recorded runs the callback again: processing is
// effectively once when the callback is idempotent per delivery id
// (textus.Event.ID), for example an upsert keyed on it.
//
// q must not be nil. The options WithWorkers, WithLease, WithAttempts,
// WithBackoff, WithOrderKey, WithDeadLetterFunc and WithConsumerName need
// WithQueue.
func WithQueue(q Queue) Option {
	return func(s *settings) error {
		if q == nil {
			return errors.New("webhooks: WithQueue(nil)")
		}
		s.queue = q
		return nil
	}
}

// queueOption wraps an option that only applies with WithQueue.
func queueOption(name string, apply func(*settings) error) Option {
	return func(s *settings) error {
		if err := apply(s); err != nil {
			return err
		}
		s.queueOnly = append(s.queueOnly, name)
		return nil
	}
}

// checkQueueOptions refuses queue options given without a queue.
func (s *settings) checkQueueOptions() error {
	if s.queue == nil && len(s.queueOnly) > 0 {
		return fmt.Errorf("webhooks: %s needs WithQueue", strings.Join(s.queueOnly, ", "))
	}
	return nil
}

// WithWorkers sets how many callbacks Handler.Run runs at once (default
// DefaultWorkers). n must be positive.
func WithWorkers(n int) Option {
	return queueOption("WithWorkers", func(s *settings) error {
		if n <= 0 {
			return errors.New("webhooks: WithWorkers needs a positive number")
		}
		s.workers = n
		return nil
	})
}

// WithLease sets how long a worker holds a job (the visibility timeout):
// the callback's context ends then, and a job whose worker has not
// finished with it by then is handed out again. Choose it longer than
// your slowest callback. The default is DefaultLease; d must be at least
// a millisecond.
func WithLease(d time.Duration) Option {
	return queueOption("WithLease", func(s *settings) error {
		if d < time.Millisecond {
			return errors.New("webhooks: WithLease needs at least a millisecond")
		}
		s.lease = d
		return nil
	})
}

// WithAttempts sets how many times a job runs before it is dead-lettered
// (default DefaultMaxAttempts). An attempt whose lease expired counts. n
// must be positive; 1 means no retry.
func WithAttempts(n int) Option {
	return queueOption("WithAttempts", func(s *settings) error {
		if n <= 0 {
			return errors.New("webhooks: WithAttempts needs a positive number")
		}
		s.maxAttempts = n
		return nil
	})
}

// WithBackoff sets the wait before a failed job runs again: min after the
// first attempt, doubling after each further one up to max, and drawn at
// random between half that and that (jitter), so that jobs failing
// together do not retry together. The defaults are DefaultMinBackoff and
// DefaultMaxBackoff; 0 < min <= max is required.
func WithBackoff(min, max time.Duration) Option {
	return queueOption("WithBackoff", func(s *settings) error {
		if min <= 0 || max < min {
			return errors.New("webhooks: WithBackoff needs 0 < min <= max")
		}
		s.minBackoff, s.maxBackoff = min, max
		return nil
	})
}

// WithOrderKey makes the deliveries that share a key run one at a time,
// in the order they were accepted (the queue holds a job back while an
// earlier job with its key is waiting, running or waiting for a retry).
// key receives the decoded event (a value textus.ParseEvent returns) and
// returns its key; "" means the event has no order and runs in parallel.
// ConversationKey orders by conversation. Without this option every job
// runs in parallel. key must not be nil.
func WithOrderKey(key func(event any) string) Option {
	return queueOption("WithOrderKey", func(s *settings) error {
		if key == nil {
			return errors.New("webhooks: WithOrderKey(nil)")
		}
		s.orderKey = key
		return nil
	})
}

// ConversationKey is an order key for WithOrderKey: the IRI of the
// conversation an event embeds (message and phone-call events, and
// opt-out events that carry one), and "" for the others.
func ConversationKey(event any) string {
	var c *textus.Conversation
	switch e := event.(type) {
	case *textus.MessageEvent:
		c = e.Conversation
	case *textus.PhoneCallEvent:
		c = e.Conversation
	case *textus.OptOutEvent:
		c = e.Conversation
	}
	if c == nil {
		return ""
	}
	return c.ID
}

// WithDeadLetterFunc sets a function called after a job is moved to the
// dead letters, for example to alert. The DeadLetter holds the raw body:
// do not log it where deliveries must not appear. It runs in the worker;
// keep it short.
func WithDeadLetterFunc(fn func(context.Context, DeadLetter)) Option {
	return queueOption("WithDeadLetterFunc", func(s *settings) error {
		s.onDead = fn
		return nil
	})
}

// WithConsumerName sets the name under which Handler.Run receives jobs
// (a consumer of the queue's consumer group, for example). The default is
// made of the host name, the process id and a random suffix, unique per
// Run call. name must not be empty.
func WithConsumerName(name string) Option {
	return queueOption("WithConsumerName", func(s *settings) error {
		if name == "" {
			return errors.New("webhooks: WithConsumerName needs a name")
		}
		s.consumer = name
		return nil
	})
}
