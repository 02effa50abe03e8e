// Package textusotel traces and measures the textus SDK with OpenTelemetry.
//
// It lives in its own module, github.com/textus-go/textus/textusotel, so
// that programs which do not use OpenTelemetry never download it. It is
// built on textus.Observer and webhooks.Observer, the SDK's
// instrumentation hooks, which any other instrumentation can implement the
// same way.
//
// # Client calls
//
// ClientOption returns a textus.Option: give it to textus.NewClient and
// every API call gets a span and feeds the client instruments.
//
//	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter))
//	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
//	c, err := textus.NewClient(token,
//		textus.WithAccount("my_account"),
//		textusotel.ClientOption(
//			textusotel.WithTracerProvider(tp),
//			textusotel.WithMeterProvider(mp),
//		),
//	)
//
// Without WithTracerProvider and WithMeterProvider the global providers are
// used (otel.GetTracerProvider, otel.GetMeterProvider). While they are the
// defaults, nothing having been registered, and with the no-op providers
// (go.opentelemetry.io/otel/trace/noop, .../metric/noop), a call starts no
// span and records nothing: this package then adds some twenty nanoseconds
// to a call and allocates nothing.
//
// # Spans
//
// One span per call (an iterator makes one call per page), of kind client,
// named "textus " and the SDK operation: "textus Contacts.Get",
// "textus Messages.Send". Its attributes:
//
//	http.request.method        GET, POST, PUT
//	server.address, server.port  the API host and port
//	url.template               the endpoint's path template: "/contacts/{contact}",
//	                           "/{account}/messages"; never an id or a phone number
//	textus.operation           "Contacts.Get"
//	textus.account             the account slug, for account-scoped endpoints
//	textus.attempts            the number of requests sent (0: refused before sending)
//	http.response.status_code  the status of the last response, when there was one
//	error.type                 on failure, textus.CallResult.ErrorType: "not_found",
//	                           "validation", "rate_limited", "http_503",
//	                           "outcome_unknown", "timeout", "transport", ...
//	textus.outcome_unknown     true when a POST failed after it may have reached
//	                           TextUs: the message may or may not have gone out
//	textus.pacing.wait         seconds spent waiting for pacing, from a millisecond up
//	textus.rate_limit.remaining  X-RateLimit-Remaining of the last response
//
// Each attempt that is retried adds an event named "retry" with the
// attributes textus.attempt (the failed attempt's number, from 1),
// textus.retry.reason (the retry decision, e.g. "idempotent method after a
// transient failure"), error.type (of that attempt: "http_503",
// "rate_limited", "transport") and http.response.status_code when it had a
// response. A failed call's span has status Error, described by its
// error.type; the error's text is never recorded, since it may contain the
// request path.
//
// The span is in the context of the call's HTTP requests. Wrap the
// client's transport with otelhttp and each attempt gets an HTTP client
// span, a child of the call's span, and sends the trace context:
//
//	hc := &http.Client{Transport: otelhttp.NewTransport(http.DefaultTransport)}
//	c, err := textus.NewClient(token, textus.WithHTTPClient(hc), textusotel.ClientOption())
//
// # Client instruments
//
//	textus.client.call.duration          histogram, s: each call, retries and waits
//	                                     included; attributes textus.operation,
//	                                     http.request.method and, on failure, error.type
//	textus.client.attempts               counter, {attempt}: requests sent; textus.operation,
//	                                     http.request.method
//	textus.client.retries                counter, {retry}: failed attempts that were retried;
//	                                     textus.operation, http.request.method, error.type
//	                                     of the failed attempt
//	textus.client.rate_limit.remaining   gauge, {request}: X-RateLimit-Remaining of the
//	                                     last response; server.address, server.port
//	textus.client.pacing.wait            histogram, s: the wait before each attempt for
//	                                     pacing and the server's rate-limit block (zero
//	                                     included); textus.operation, http.request.method
//
// A call succeeded when its duration has no error.type.
//
// # Webhook deliveries
//
// HandlerOption returns a webhooks.Option: give it to webhooks.NewHandler
// and every request the handler serves gets a span and feeds the webhook
// instruments; with a queue (webhooks.WithQueue), so does every attempt
// Handler.Run makes at a job. It is built on webhooks.Observer, the
// webhook package's hook.
//
//	h, err := webhooks.NewHandler(secret,
//		webhooks.WithQueue(webhooks.NewMemoryQueue(1000)),
//		textusotel.HandlerOption(
//			textusotel.WithTracerProvider(tp),
//			textusotel.WithMeterProvider(mp),
//		),
//	)
//
// Unconfigured, as on the client side, it starts no span, records nothing
// and allocates nothing (with a queue, the handler still makes the empty
// carrier it hands to Observer.Inject).
//
// One span per request, named "textus webhook delivery", of kind server.
// TextUs sends no trace context and the handler reads no header but its
// signature, so the span is a root, unless the request's context already
// holds a span: behind a middleware that makes one (otelhttp.NewHandler,
// which continues a traceparent the request carries, as its propagator
// says), the delivery's span is that span's child, of kind internal, the
// middleware's being the request's server span. The callback, without a
// queue, runs in the span's context. Its attributes:
//
//	http.request.method          POST, or GET, ... ("_OTHER" for a method HTTP does not define)
//	http.route                   the ServeMux pattern's path ("/hooks/{account}"), when
//	                             the handler is mounted on a pattern; never the path
//	http.response.status_code    the status answered (none when the request was aborted)
//	error.type                   the status, for 4xx and 5xx answers ("401", "503");
//	                             "aborted" when the request was aborted with no answer
//	textus.webhook.action        the delivery's action, "message.received" (once verified)
//	textus.webhook.delivery_id   the delivery's id, "/integrations/h13Jc5/deliveries/..."
//	textus.webhook.verified      whether the signature matched
//	textus.webhook.duplicate     whether the delivery had already been handled or queued
//	textus.webhook.queued        whether this request stored it in the queue
//	textus.webhook.reason        the handler's fixed reason: "handled", "queued",
//	                             "duplicate", "no callback", "invalid signature",
//	                             "callback failed", "queue full", ...
//
// A 5xx answer (and an aborted request) sets the span's status to Error,
// described by the reason; a 4xx does not, being the sender's error, as
// the HTTP conventions have it.
//
// With a queue, the delivery's span context is stored with the job (in
// webhooks.Job.Trace, by the propagator of WithPropagators: by default
// the global one when registered, W3C trace context otherwise), and each
// attempt at the job gets a span named "textus webhook job", of kind
// consumer: a root, linked to the delivery's span (a job may run long after
// the request ended, and a trace per attempt keeps traces short). Spans
// end when their outcome is recorded, so they can overlap: the first
// attempt may start before the delivery's span ends (a worker can take
// the job before the answer is written), and an attempt before the
// previous one's span ends (it ends once the retry is scheduled). The
// callback runs in its context, which also carries the baggage the
// propagator carried. Its attributes:
//
//	textus.webhook.action        the job's action
//	textus.webhook.delivery_id   the delivery id (for a delivery without one, "sha256:"
//	                             and the hex SHA-256 of its body, the job's key)
//	textus.webhook.job.attempt   the attempt's number, from 1: retries are further spans
//	textus.webhook.job.latency   seconds from the delivery's acceptance to this attempt
//	textus.webhook.job.outcome   how the attempt ended: "done", "duplicate", "skipped",
//	                             "retry", "dead_lettered", "abandoned"
//	textus.webhook.reason        why, for the other outcomes than done: "callback failed",
//	                             "callback panicked", "signature does not verify", ...
//
// An attempt that ends in retry, dead_lettered or abandoned has status
// Error, described by the reason. The callback's error text is never
// recorded: it is the application's, and may hold anything.
//
// # Webhook instruments
//
//	textus.webhook.deliveries        counter, {delivery}: requests answered; attributes
//	                                 textus.webhook.action, http.response.status_code,
//	                                 error.type as on the span
//	textus.webhook.delivery.duration histogram, s: from the request reaching the handler
//	                                 to its answer; the same attributes
//	textus.webhook.duplicates        counter, {delivery}: deliveries answered without
//	                                 running or queueing their callback, already handled
//	                                 or queued; textus.webhook.action
//	textus.webhook.queue.depth       asynchronous gauge, {job}: the live jobs of the
//	                                 handler's queue (Queue.Len, given a second per
//	                                 collection; nothing is observed when it fails)
//	textus.webhook.job.latency       histogram, s: from a delivery's acceptance to the
//	                                 start of each attempt at its job; textus.webhook.action,
//	                                 textus.webhook.job.retry (false for the first attempt)
//	textus.webhook.job.duration      histogram, s: each job attempt; textus.webhook.action,
//	                                 textus.webhook.job.outcome
//	textus.webhook.job.attempts      counter, {attempt}: job attempts; textus.webhook.action,
//	                                 textus.webhook.job.outcome
//
// Actions come from the sender: on metrics, an action the SDK does not
// know (textus.EventType.Known) is "_OTHER", and a request whose body was
// not verified and decoded has no action attribute. A HandlerOption given
// to several handlers shares its instruments among them; the queue depth
// is then the sum of their queues, each counted once.
//
// # What is never recorded
//
// No attribute, event or metric attribute holds a phone number, a message
// body, a contact's data, the API token or a webhook secret, nor any
// resource id other than a webhook delivery's: endpoints are named by
// their URL template, webhook routes by their pattern, failures by a short
// error type or a fixed reason.
package textusotel
