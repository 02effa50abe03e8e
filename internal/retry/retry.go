// Package retry holds the SDK's retry policy: Decide, the one function that
// decides whether an attempt is retried (an ordered list of rules, each with
// a reason that the client logs), Backoff, the wait before the next attempt
// (full-jitter exponential, or the server's Retry-After), and Retry-After
// parsing.
package retry

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Reasons, in the order Decide considers them. They are logged verbatim.
const (
	ReasonDone              = "response is final"
	ReasonContextDone       = "context done"
	ReasonExhausted         = "attempts exhausted"
	ReasonNeverSent         = "request never sent (connection not established)"
	ReasonWaitTooLong       = "server asked to wait longer than the maximum retry wait"
	ReasonRateLimited       = "rate limited (429): the server refused before acting"
	ReasonIdempotentFailure = "idempotent method after a transient failure"
	ReasonMaybeSent         = "not idempotent and the request may have reached the server"
	ReasonStopped           = "the request cannot be repeated"
)

// Decision is the outcome of Decide.
type Decision struct {
	// Retry reports whether another attempt follows.
	Retry bool
	// Reason says why, in words for a log line.
	Reason string
	// MaybeSent is true when a non-idempotent request stopped after an
	// attempt that may have reached the server (transport error after the
	// connection was made, or a 408/5xx response): its outcome is unknown.
	MaybeSent bool
	// RetryAfter is the wait the response asked for in its Retry-After
	// header; HasRetryAfter reports whether it had one.
	RetryAfter    time.Duration
	HasRetryAfter bool
}

// StopError marks a transport error after which no attempt may follow and
// that says nothing about the server having acted, such as a redirect the
// client refused to follow. Decide stops on it without MaybeSent.
type StopError struct{ Err error }

func (e *StopError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *StopError) Unwrap() error { return e.Err }

// Input is what Decide looks at for one attempt.
type Input struct {
	Ctx        context.Context
	Method     string
	Attempt    int // 0-based number of the attempt that just ended
	MaxRetries int
	MaxWait    time.Duration
	Resp       *http.Response
	Err        error
	Now        time.Time
}

// Idempotent reports whether a request with this method may be repeated
// without changing the outcome.
func Idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

// TransientStatus reports whether a status code is worth retrying for an
// idempotent request.
func TransientStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// Decide applies the retry list in order:
// final response -> context done -> attempts exhausted -> a stop error ->
// request never sent (any method) -> Retry-After beyond the max wait (stop)
// -> 429 (any method) -> idempotent method on 408/500/502/503/504 or a
// transport error -> otherwise stop.
//
// Independently of whether it retries, it reports MaybeSent for a request
// that is not idempotent whose attempt may have reached the server: a
// transport error other than a failed connection, or a 408 or 5xx answer.
func Decide(in Input) Decision {
	d := Decision{MaybeSent: maybeSent(in)}
	if in.Resp != nil {
		d.RetryAfter, d.HasRetryAfter = retryAfter(in.Resp, in.Now)
	}
	var stop *StopError
	failed := in.Err != nil || (in.Resp != nil && TransientStatus(in.Resp.StatusCode))
	switch {
	case !failed:
		d.Reason = ReasonDone
	case in.Ctx != nil && in.Ctx.Err() != nil:
		d.Reason = ReasonContextDone
	case in.Attempt >= in.MaxRetries:
		d.Reason = ReasonExhausted
	case errors.As(in.Err, &stop):
		d.Reason = ReasonStopped
	case NeverSent(in.Err):
		d.Retry, d.Reason = true, ReasonNeverSent
	case d.HasRetryAfter && d.RetryAfter > in.MaxWait:
		d.Reason = ReasonWaitTooLong
	case in.Resp != nil && in.Resp.StatusCode == http.StatusTooManyRequests:
		d.Retry, d.Reason = true, ReasonRateLimited
	case Idempotent(in.Method):
		d.Retry, d.Reason = true, ReasonIdempotentFailure
	default:
		d.Reason = ReasonMaybeSent
	}
	return d
}

// maybeSent reports whether a request that is not idempotent may have been
// acted on by the server in the attempt described by in.
func maybeSent(in Input) bool {
	if Idempotent(in.Method) {
		return false
	}
	if in.Err != nil {
		var stop *StopError
		return !NeverSent(in.Err) && !errors.As(in.Err, &stop)
	}
	if in.Resp == nil {
		return false
	}
	code := in.Resp.StatusCode
	return code >= 500 || code == http.StatusRequestTimeout
}

// NeverSent reports whether err proves the request never left this
// process: the connection could not be established (dial refused,
// DNS failure, proxy connect failure).
func NeverSent(err error) bool {
	if err == nil {
		return false
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return opErr.Op == "dial" || opErr.Op == "proxyconnect"
	}
	return false
}

// retryAfter returns the wait a response asks for in its Retry-After header
// (delta-seconds or an HTTP date), if any.
func retryAfter(resp *http.Response, now time.Time) (time.Duration, bool) {
	if resp == nil {
		return 0, false
	}
	return ParseRetryAfter(resp.Header.Get("Retry-After"), now)
}

// ParseRetryAfter parses a Retry-After value: delta-seconds or an HTTP date.
// A date in the past yields 0.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64((1<<62)/time.Second) {
			secs = int64((1 << 62) / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d := t.Sub(now)
	if d < 0 {
		d = 0
	}
	return d, true
}

// Backoff returns the wait before retry number attempt+1: the response's
// Retry-After when present (capped at hi), else a full-jitter exponential
// wait, uniform in [lo, min(hi, lo*2^attempt)].
func Backoff(lo, hi time.Duration, attempt int, resp *http.Response, now time.Time) time.Duration {
	if d, ok := retryAfter(resp, now); ok {
		return min(d, hi)
	}
	if lo <= 0 {
		lo = time.Millisecond
	}
	hi = max(hi, lo)
	ceiling := lo
	for i := 0; i < attempt && ceiling < hi; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, hi)
	if ceiling == lo {
		return lo
	}
	return lo + time.Duration(rand.Int64N(int64(ceiling-lo)+1))
}
