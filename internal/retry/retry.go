// Package retry holds the SDK's retry policy: an ordered list of decisions,
// each with a reason that the client logs, full-jitter exponential backoff,
// and Retry-After parsing.
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
	ReasonMaySent           = "not idempotent and the request may have reached the server"
	ReasonNotRetryable      = "status is not retryable"
)

// Decision is the outcome of Decide.
type Decision struct {
	Retry  bool
	Reason string
	// MaybeSent is true when a non-idempotent request stopped after an
	// attempt that may have reached the server (transport error after the
	// connection was made, or a 408/5xx response): its outcome is unknown.
	MaybeSent bool
}

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
// final response -> context done -> attempts exhausted -> request never sent
// (any method) -> Retry-After beyond the max wait (stop) -> 429 (any method)
// -> idempotent method on 408/500/502/503/504 or a transport error ->
// otherwise stop.
func Decide(in Input) Decision {
	failed := in.Err != nil || (in.Resp != nil && TransientStatus(in.Resp.StatusCode))
	maybeSent := !Idempotent(in.Method) && failed && !NeverSent(in.Err) &&
		(in.Resp == nil || in.Resp.StatusCode != http.StatusTooManyRequests)
	switch {
	case !failed:
		return Decision{Reason: ReasonDone}
	case in.Ctx != nil && in.Ctx.Err() != nil:
		return Decision{Reason: ReasonContextDone, MaybeSent: maybeSent}
	case in.Attempt >= in.MaxRetries:
		return Decision{Reason: ReasonExhausted, MaybeSent: maybeSent}
	case in.Err != nil && NeverSent(in.Err):
		return Decision{Retry: true, Reason: ReasonNeverSent}
	}
	if in.Resp != nil {
		if d, ok := RetryAfter(in.Resp, in.Now); ok && d > in.MaxWait {
			return Decision{Reason: ReasonWaitTooLong, MaybeSent: maybeSent}
		}
		if in.Resp.StatusCode == http.StatusTooManyRequests {
			return Decision{Retry: true, Reason: ReasonRateLimited}
		}
	}
	if Idempotent(in.Method) {
		return Decision{Retry: true, Reason: ReasonIdempotentFailure}
	}
	return Decision{Reason: ReasonMaySent, MaybeSent: maybeSent}
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

// RetryAfter returns the wait a response asks for in its Retry-After header
// (delta-seconds or an HTTP date), if any.
func RetryAfter(resp *http.Response, now time.Time) (time.Duration, bool) {
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
// Retry-After when present (capped at max), else a full-jitter exponential
// wait, uniform in [min, min(max, min*2^attempt)].
func Backoff(min, max time.Duration, attempt int, resp *http.Response, now time.Time) time.Duration {
	if d, ok := RetryAfter(resp, now); ok {
		if d > max {
			d = max
		}
		return d
	}
	if min <= 0 {
		min = time.Millisecond
	}
	if max < min {
		max = min
	}
	ceiling := min
	for i := 0; i < attempt && ceiling < max; i++ {
		ceiling *= 2
	}
	if ceiling > max {
		ceiling = max
	}
	if ceiling == min {
		return min
	}
	return min + time.Duration(rand.Int64N(int64(ceiling-min)+1))
}
