package webhooks

import (
	"errors"
	"log/slog"
	"time"
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
}

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
