// Package webhooks receives TextUs webhook deliveries: it verifies their
// signatures, decodes them into the typed events of package textus, drops
// duplicates and calls your callbacks.
//
// # Mounting
//
// Give NewHandler the integration's webhookSecret (returned by
// Client.Webhooks.Create), register callbacks, and mount the handler:
//
//	h, err := webhooks.NewHandler(os.Getenv("TEXTUS_WEBHOOK_SECRET"))
//	if err != nil {
//		log.Fatal(err)
//	}
//	h.OnMessageReceived(func(ctx context.Context, e *textus.MessageEvent) error {
//		return inbox.Store(ctx, e.Conversation.PhoneNumber, e.Message.Body)
//	})
//	h.OnContactOptedOut(func(ctx context.Context, e *textus.OptOutEvent) error {
//		return crm.MarkOptedOut(ctx, e.PhoneNumber())
//	})
//	mux.Handle("POST /hooks/textus", h)
//
// Resource pointers (e.Message, e.Conversation, e.OptOut, ...) are nil when
// a delivery lacks them: TextUs does not document every payload, so check
// them in real code. A Listener with an embedded NopListener is an
// alternative to registering functions one by one (Handler.Listen).
//
// Verification is mandatory: a Handler cannot be built without a secret,
// and there is no switch that turns the check off. Do not put a body-parsing
// middleware in front of it: the signature covers the raw bytes. The
// handler restores r.Body after reading it, for middleware that reads it
// afterwards. For other frameworks, call Verify on the raw body and the
// SignatureHeader value, then textus.ParseEvent.
//
// # Secrets and rotation
//
// TextUs signs each delivery with one secret per integration: the
// lowercase hex HMAC-SHA256 of the body, keyed with the secret's text
// ("textus-" prefix included), in the X-TextUs-Signature header. To rotate,
// create a new integration (it gets a new secret), accept both secrets for
// the overlap, then remove the old integration and its secret:
//
//	h, err := webhooks.NewHandler(newSecret, webhooks.WithSecrets(oldSecret))
//
// Keep secrets out of source code and logs; the handler never logs or
// echoes them.
//
// # Status codes
//
// TextUs treats any 2xx answer as delivered; its retry policy for other
// answers is not documented, so the handler answers as a sender that
// retries on 5xx and gives up on 4xx would want:
//
//	200 handled, a duplicate of a handled delivery, or no callback for it
//	400 the body is not a JSON object (a signed but malformed delivery)
//	401 missing or wrong signature
//	403 outside the WithTolerance window (off by default)
//	405 not a POST
//	409 the same delivery is being processed by another request right now
//	413 larger than WithMaxBodyBytes (1 MiB by default)
//	500 a callback returned an error or panicked: the delivery is released,
//	    so a retry runs the callback again
//	503 the Deduplicator failed; the callback did not run
//
// Answer fast: TextUs's timeout is not documented, and deliveries that keep
// failing may mark the integration unhealthy. Do slow work asynchronously
// (the queue mode below does it for you) and return from the callback once
// the event is safely recorded.
//
// # Queue mode
//
// With WithQueue, the handler stores each verified delivery in a Queue and
// answers 200 as soon as it is stored; Handler.Run runs the callbacks in
// the background, as many at once as WithWorkers, each under a lease
// (WithLease), retrying failures with exponential backoff and jitter
// (WithBackoff) up to WithAttempts, then moving the job to the dead
// letters with its raw body, attempt count and last error:
//
//	q := webhooks.NewMemoryQueue(10000) // or a Queue on a shared store
//	h, err := webhooks.NewHandler(secret, webhooks.WithQueue(q))
//	h.OnMessageReceived(syncToATS) // may take seconds: TextUs is not kept waiting
//	go func() { errc <- h.Run(ctx) }()
//	mux.Handle("POST /hooks/textus", h)
//
// The status codes change: 200 once the delivery is stored (or was
// already queued or processed), 503 with Retry-After when the queue is full
// or failing, so that nothing is acknowledged that is not stored. 409 and
// 500 are not used. Delivery ids are still de-duplicated: a callback that
// succeeded is not run again for a redelivery. Jobs run in parallel unless
// WithOrderKey groups them (WithOrderKey(ConversationKey) runs each
// conversation's deliveries one at a time, in order). When Run's context
// ends, it stops receiving and waits for the callbacks in progress.
//
// The queue is at-least-once: a worker that crashes mid-callback leaves
// its job to be handed out again after the lease. Make callbacks
// idempotent per delivery id (textus.Event.ID), for example an upsert
// keyed on it, and processing is effectively once. MemoryQueue lives in
// the process; a crash loses what it holds. A Queue on a shared store
// (Redis Streams, say) survives restarts and lets replicas share the work;
// package queuetest checks an implementation against the contract.
//
// # Instrumentation
//
// WithObserver installs an Observer, told when each delivery starts and how
// it was answered and, with a queue, when each job attempt starts and how
// it ended, with a context to carry spans and the delivery's trace context
// stored in the job. It is the hook for tracing and metrics (OpenTelemetry,
// Prometheus); it is never given a body, a phone number or a secret.
//
// # Duplicates and replicas
//
// Deliveries can arrive more than once (retries, and two integrations
// pointing at the same URL each send their own copy, with its own id). The
// handler claims each delivery id in a Deduplicator before calling back,
// marks it done on success and releases it on failure. The default
// MemoryDeduplicator covers one process. With several replicas behind a
// load balancer, pass a Deduplicator backed by a shared store
// (WithDeduplicator); the Deduplicator documentation shows the Redis
// commands that implement it atomically, with a lease so that a replica
// that crashes mid-delivery does not block the retries forever.
//
// # Testing
//
// Sign your test bodies with Sign and send them with NewSignedRequest (for
// calling ServeHTTP directly) or SignRequest (for a request to an
// httptest.Server). The examples show both.
package webhooks
