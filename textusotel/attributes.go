package textusotel

import (
	"go.opentelemetry.io/otel/attribute"
)

// Attribute keys of this package, besides the semantic-convention ones
// (http.request.method, server.address, server.port, url.template,
// http.response.status_code, error.type). None of them ever holds a phone
// number, a message body, a resource id, the API token or a webhook
// secret.
const (
	// AttrOperation names the SDK method: "Contacts.Get".
	AttrOperation = attribute.Key("textus.operation")
	// AttrAccount is the slug of the account an account-scoped call acts
	// in (spans only).
	AttrAccount = attribute.Key("textus.account")
	// AttrAttempts is the number of requests a call sent (spans only).
	AttrAttempts = attribute.Key("textus.attempts")
	// AttrAttempt is the number, from 1, of the attempt a retry event
	// follows.
	AttrAttempt = attribute.Key("textus.attempt")
	// AttrRetryReason is the retry decision's reason, a fixed sentence such
	// as "idempotent method after a transient failure".
	AttrRetryReason = attribute.Key("textus.retry.reason")
	// AttrOutcomeUnknown is true on the span of a POST that failed after
	// it may have reached TextUs (textus.ErrOutcomeUnknown): the message
	// may or may not have gone out.
	AttrOutcomeUnknown = attribute.Key("textus.outcome_unknown")
	// AttrPacingWait is the time, in seconds, a call waited for pacing
	// before its attempts, when it waited a millisecond or more (spans
	// only).
	AttrPacingWait = attribute.Key("textus.pacing.wait")
	// AttrRateLimitRemaining is the X-RateLimit-Remaining of the call's
	// last response, when it had one (spans only).
	AttrRateLimitRemaining = attribute.Key("textus.rate_limit.remaining")
)

// EventRetry is the name of the span event recorded for each attempt that
// is retried. Its attributes: textus.attempt, textus.retry.reason,
// error.type and, when there was a response, http.response.status_code.
const EventRetry = "retry"
