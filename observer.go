package textus

import (
	"context"
	"errors"
	"time"
)

// Observer watches the API calls of a client: it is told when each call
// starts, how long it waited for the Pacer, which attempts are retried and
// why, and how the call ended. Package textusotel implements it with
// OpenTelemetry traces and metrics; other instrumentation (Prometheus
// counters, audit logs) implements it the same way. Register one with
// WithObserver.
//
// The information it receives never holds the API token, a phone number or
// a message body: CallInfo names the endpoint by its URL template
// ("/contacts/{contact}"), never by its path. Only CallResult.Err and
// AttemptInfo.Err may contain a request path, which can hold a phone number
// or an id; do not export them as metric labels.
//
// Methods are called on the request path and from several goroutines at
// once: keep them fast and safe for concurrent use.
type Observer interface {
	// StartCall is called once per call (for an iterator, once per page),
	// before pacing. The context it returns is used for the call's HTTP
	// requests, so a span stored in it becomes the parent of spans an
	// instrumented transport (otelhttp) creates and its trace context is
	// what such a transport propagates. It returns the observer of this
	// one call, or nil when it does not want the call's events.
	StartCall(ctx context.Context, info CallInfo) (context.Context, CallObserver)
}

// CallObserver receives the events of one call, from Observer.StartCall.
// End is called exactly once, last.
type CallObserver interface {
	// Paced reports the time spent waiting before an attempt: for the
	// server's X-RateLimit-Remaining: 0 block and for the Pacer. It is
	// called before every attempt, also when the wait was zero.
	Paced(wait time.Duration)
	// Retrying reports an attempt that failed and is followed by another.
	Retrying(a AttemptInfo)
	// End reports how the call ended.
	End(r CallResult)
}

// CallInfo describes a call to an Observer.
type CallInfo struct {
	// Operation names the SDK method, e.g. "Contacts.Get".
	Operation string
	// Method is the HTTP method.
	Method string
	// URLTemplate is the endpoint's path template, e.g.
	// "/contacts/{contact}" or "/{account}/messages": never an id, a slug
	// or a phone number.
	URLTemplate string
	// Account is the account slug the call acts in, "" when the endpoint
	// is not account-scoped.
	Account string
	// ServerAddress and ServerPort are the API host and port.
	ServerAddress string
	ServerPort    int
}

// AttemptInfo describes an attempt that is retried.
type AttemptInfo struct {
	// Attempt is the attempt's number, from 1.
	Attempt int
	// StatusCode is the response's status, 0 when there was none.
	StatusCode int
	// Reason is the retry decision's reason, e.g. "rate limited (429): the
	// server refused before acting".
	Reason string
	// Err is the transport error, when there was no response. It may
	// contain the request path.
	Err error
	// ErrorType classifies the failure as CallResult.ErrorType does: from
	// the status, or "transport" when there was no response.
	ErrorType string
}

// CallResult describes how a call ended.
type CallResult struct {
	// Attempts is the number of requests sent (0 when the call ended
	// before sending anything, e.g. refused by the Pacer).
	Attempts int
	// StatusCode is the status of the last response, 0 when there was none.
	StatusCode int
	// Err is the error the call returns, nil on success. It may contain the
	// request path.
	Err error
	// ErrorType classifies Err with a short, low-cardinality word, fit for a
	// metric label: "" on success, else one of "unauthorized",
	// "forbidden", "not_found", "validation", "rate_limited", "http_<status>"
	// for other statuses, "outcome_unknown", "canceled", "timeout",
	// "not_sent" (refused before sending: pacing, bad input) or "transport".
	ErrorType string
	// OutcomeUnknown reports a request that is not safe to repeat (a POST)
	// and failed after it may have reached TextUs (see ErrOutcomeUnknown).
	OutcomeUnknown bool
	// Rate is the rate-limit state of the last response that carried
	// X-RateLimit-* headers; HasRemaining reports whether one carried
	// X-RateLimit-Remaining, so that a zero Remaining can be told from none.
	Rate         Rate
	HasRemaining bool
	// Duration is the call's time from StartCall to End.
	Duration time.Duration
}

// errorType classifies a call's error for CallResult.ErrorType.
func errorType(err error, status int, unknown bool) string {
	var apiErr *APIError
	switch {
	case err == nil:
		return ""
	case unknown:
		return "outcome_unknown"
	case errors.As(err, &apiErr) && apiErr.StatusCode != 0:
		return statusErrorType(apiErr.StatusCode)
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case status == 0 && isNotSent(err):
		return "not_sent"
	}
	return "transport"
}

// statusErrorType classifies a response status that is a failure.
func statusErrorType(status int) string {
	switch status {
	case 0:
		return "transport"
	case 401:
		return "unauthorized"
	case 403:
		return "forbidden"
	case 404:
		return "not_found"
	case 422:
		return "validation"
	case 429:
		return "rate_limited"
	}
	return "http_" + itoa3(status)
}

// itoa3 formats an HTTP status code without allocating a strconv buffer.
func itoa3(n int) string {
	if n < 100 || n > 999 {
		return "other"
	}
	return string([]byte{byte('0' + n/100), byte('0' + n/10%10), byte('0' + n%10)})
}

// observers fans one call out to several Observers.
type observers []Observer

func (os observers) StartCall(ctx context.Context, info CallInfo) (context.Context, CallObserver) {
	var calls callObservers
	for _, o := range os {
		var co CallObserver
		ctx, co = o.StartCall(ctx, info)
		if co != nil {
			calls = append(calls, co)
		}
	}
	switch len(calls) {
	case 0:
		return ctx, nil
	case 1:
		return ctx, calls[0]
	}
	return ctx, calls
}

type callObservers []CallObserver

func (cs callObservers) Paced(d time.Duration) {
	for _, c := range cs {
		c.Paced(d)
	}
}

func (cs callObservers) Retrying(a AttemptInfo) {
	for _, c := range cs {
		c.Retrying(a)
	}
}

func (cs callObservers) End(r CallResult) {
	for _, c := range cs {
		c.End(r)
	}
}
