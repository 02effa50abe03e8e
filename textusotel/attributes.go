package textusotel

import (
	"go.opentelemetry.io/otel/attribute"
)

// Attribute keys of this package, besides the semantic-convention ones
// (http.request.method, server.address, server.port, url.template,
// http.route, http.response.status_code, error.type). None of them ever
// holds a phone number, a message body, the API token or a webhook
// secret, nor a resource id other than a webhook delivery's.
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

// Attribute keys of the webhook side (HandlerOption).
const (
	// AttrWebhookAction is a delivery's action: "message.received". On
	// metrics, an action the SDK does not know is "_OTHER".
	AttrWebhookAction = attribute.Key("textus.webhook.action")
	// AttrWebhookDeliveryID is a delivery's id, an IRI such as
	// "/integrations/h13Jc5/deliveries/1c8a..." (spans only). On a job
	// span of a delivery without an id, it is the job's key: "sha256:"
	// and the hex SHA-256 of the body.
	AttrWebhookDeliveryID = attribute.Key("textus.webhook.delivery_id")
	// AttrWebhookVerified reports whether the request's signature
	// matched (spans only).
	AttrWebhookVerified = attribute.Key("textus.webhook.verified")
	// AttrWebhookDuplicate reports whether the delivery was already
	// handled or queued, so that its callback did not run (again) for
	// this request (spans only).
	AttrWebhookDuplicate = attribute.Key("textus.webhook.duplicate")
	// AttrWebhookQueued reports whether the request stored the delivery in
	// the queue (spans only).
	AttrWebhookQueued = attribute.Key("textus.webhook.queued")
	// AttrWebhookReason is the handler's fixed reason for its answer or a
	// job's outcome: "handled", "queued", "duplicate", "no callback",
	// "invalid signature", "callback failed", ... (spans only).
	AttrWebhookReason = attribute.Key("textus.webhook.reason")
	// AttrWebhookJobAttempt is the number, from 1, of a job attempt
	// (spans only).
	AttrWebhookJobAttempt = attribute.Key("textus.webhook.job.attempt")
	// AttrWebhookJobLatency is the time, in seconds, from the delivery's
	// acceptance to the start of the attempt (spans only).
	AttrWebhookJobLatency = attribute.Key("textus.webhook.job.latency")
	// AttrWebhookJobOutcome is how a job attempt ended, a
	// webhooks.JobOutcome: "done", "duplicate", "skipped", "retry",
	// "dead_lettered", "abandoned".
	AttrWebhookJobOutcome = attribute.Key("textus.webhook.job.outcome")
	// AttrWebhookJobRetry is false for the first attempt at a job and true
	// for the later ones (metrics only).
	AttrWebhookJobRetry = attribute.Key("textus.webhook.job.retry")
)

// EventRetry is the name of the span event recorded for each attempt that
// is retried. Its attributes: textus.attempt, textus.retry.reason,
// error.type and, when there was a response, http.response.status_code.
const EventRetry = "retry"
