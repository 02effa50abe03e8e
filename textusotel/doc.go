// Package textusotel traces and measures the textus SDK with OpenTelemetry.
//
// It lives in its own module, github.com/textus-go/textus/textusotel, so
// that programs which do not use OpenTelemetry never download it. It is
// built on textus.Observer, the SDK's instrumentation hook, which any other
// instrumentation can implement the same way.
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
// # What is never recorded
//
// No attribute, event or metric attribute holds a phone number, a message
// body, a contact's data, a resource id, the API token or a webhook
// secret: endpoints are named by their URL template, failures by a short
// error type.
package textusotel
