// Package textustest provides a TextUs API server for testing, as
// net/http/httptest provides HTTP servers: NewServer starts a fake TextUs
// server with real state on a loopback port, Close stops it, and Client
// returns an SDK client pointed at it. It tests code that uses the textus
// SDK (or any other TextUs client) without touching the real service.
//
// # Starting a server
//
//	func TestInvite(t *testing.T) {
//		srv := textustest.NewServer()
//		defer srv.Close()
//		c := srv.Client()
//
//		err := invite(ctx, c, "+13035551234") // your code
//		require.NoError(t, err)
//
//		sent := srv.SentMessages()
//		require.Len(t, sent, 1)
//		assert.Contains(t, sent[0].Body, "interview")
//	}
//
// Client sets the token, base URL and account; it paces itself with a budget
// given to WithRateLimit (the default budget does not slow tests down), may
// wait out a rate-limit window rather than fail, and its retries start at
// 10ms so that tests that inject faults stay fast.
// Options passed to it override these; an invalid one makes it panic, as
// httptest does (NewClient returns the error instead). URL, Token, Account
// and PhoneNumber give the connection details to clients built by hand.
//
// The server keeps what it is told: contacts created through the API can
// be read back and searched, sends appear in their conversation's timeline
// and in SentMessages, opt-outs are remembered. Every collection is
// paginated with opaque view.next links (25 members a page, WithPageSize),
// so iterators really follow pages. Responses use the documented JSON-LD
// shapes and the media type application/vnd.textus+jsonld. Request bodies
// must be sent with that media type (415 otherwise), unless
// WithLenientContentType also allows application/json.
//
// Errors have one shape, a hydra:Error with a hydra:title and a
// hydra:description: 401 for a missing or wrong token, 404 for unknown
// paths and resources, 405 for a wrong method, 400 for malformed JSON or a
// bad cursor, 413 for bodies over 1 MiB, 415 for another media type, 422
// for invalid fields (a blank message body, a bad phone number, a send to
// an opted-out number, an opt-out search shorter than 3 characters, a
// campaign recipient that is not a contact phone IRI, a saved reply body
// not wrapped in "saved_reply") and 429 over the rate limit.
//
// # Simulating the other side
//
// ReceiveMessage simulates an inbound text. A sender the server does not
// know becomes a contact (and contact.created fires). A body that is only
// an opt-out keyword (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE,
// OPTOUT, OPT OUT; any case, surrounding space ignored) opts the number
// out: later sends to it are refused with 422 and are not recorded. START
// or UNSTOP opts it back in; the opt-out record is kept, inactive, as
// TextUs advises for compliance.
//
//	srv.ReceiveMessage("+13035551234", "STOP")
//	_, err := c.Messages.Send(ctx, &textus.SendMessageParams{To: "+13035551234", Body: "hi"})
//	// errors.Is(err, textus.ErrValidation) and srv.SentMessages() is unchanged
//
// Sent messages are answered "queued" and turn "delivered" straight after
// (or after WithDeliveryDelay). SetUndeliverable makes a number's messages
// turn "failed" instead; SetDeliverable undoes it.
//
// # Rate limits and faults
//
// The server enforces a fixed-window budget per token (WithRateLimit;
// default the real 1000 requests per 5 minutes), in windows aligned to the
// Unix epoch, with X-RateLimit-Limit, X-RateLimit-Remaining and
// X-RateLimit-Reset (the window's exact end) on every response and 429
// with Retry-After beyond it. WithLatency slows every request.
//
// WithFaults (or SetFaults, at any time) injects failures at a seeded rate,
// optionally only for some methods and paths:
//
//	srv := textustest.NewServer(textustest.WithSeed(42), textustest.WithFaults(
//		textustest.Fault{Kind: textustest.FaultServerError, Rate: 0.1},
//		textustest.Fault{Kind: textustest.FaultLoseResponse, Rate: 0.2, Method: "POST", Path: "/:account/messages"},
//	))
//
// FaultServerError answers a 5xx without acting; FaultDropRequest closes
// the connection before reading the request; FaultLoseResponse acts (the
// message is sent) and then closes the connection without answering, the
// case that must never lead a client to send twice. The same seed and the
// same requests give the same faults. Requests lists every request with
// its status and injected fault.
//
// # Webhooks
//
// Subscriptions created through the Integrations API (c.Webhooks.Create)
// get a generated secret and receive deliveries for the events they
// subscribe to: message.received, message.delivered, message.failed,
// contact.created, contact.opted_out and contact.opted_in. Each delivery is
// a WebhookDelivery envelope (OptOutWebhookDelivery for opt-outs and
// opt-ins) signed with webhooks.Sign in the X-TextUs-Signature header, so
// a webhooks.Handler built with the secret accepts it. Deliveries are asynchronous: call WaitIdle before asserting
// on what the receiver got. A delivery answered with anything but a 2xx is
// retried with the same id and body (5 attempts, 50ms doubling to 1s;
// WithWebhookRetry), and a subscription whose delivery is given up on is
// reported unhealthy. Deliveries of one conversation (one phone number) to
// one subscription are made one at a time, in the order the events
// happened; different conversations do not wait for each other. Deliveries
// lists them all with their attempts (time, status, latency and the start
// of the receiver's answer), and Redeliver sends one again, with the same
// id and body, to test a receiver's de-duplication or a fixed bug. Close
// waits for pending deliveries (up to WithCloseTimeout, default 5s) and
// leaves no goroutine behind.
//
// See Example_webhooks for a complete receiver.
//
// SampleDelivery builds the same deliveries without a server, for every
// event (phone_call.completed included), to test a receiver on its own:
//
//	body, err := textustest.SampleDelivery(textus.EventContactOptedOut, textustest.SampleOptions{Phone: "+13035551234"})
//	req := httptest.NewRequest("POST", "/webhooks", bytes.NewReader(body))
//	req.Header.Set(webhooks.SignatureHeader, webhooks.Sign(secret, body))
//
// # Sandbox
//
// Every server also serves a browser UI at SandboxPath (/_textustest/ui/;
// SandboxURL gives its address, and textus fake prints it): a local SMS
// sandbox to keep open next to the program being built, as Mailpit is for
// email. It lists the conversations, newest first, with unread marks and
// opt-outs; shows each thread with the direction, time and delivery state
// of every message; lists the contacts and the opt-outs, searchable; and
// shows the webhook subscriptions and every delivery attempt with its
// status, latency, the start of the receiver's answer and the signature
// header. Pages update live (server-sent events), so a message the program
// sends appears within a second.
//
// The sandbox plays the contact: a reply is an inbound text
// (ReceiveMessage: message.received fires), STOP and START opt the number
// out and back in, a switch makes the number undeliverable
// (SetUndeliverable, SetDeliverable), and a delivery can be sent again
// (Redeliver). It is plain HTML with a small script, usable with the
// keyboard only and on a phone-sized screen.
//
// It needs no token, so it is for the local machine only: it answers only
// requests addressed to localhost or a loopback address (403 otherwise,
// which defeats DNS rebinding), refuses actions posted from another origin
// or without the page's CSRF token, and never shows the API token or a
// webhook secret. Its requests bypass fault injection, latency, rate
// limiting and the request log. The server listens on loopback unless
// given another listener (WithListener); anyone who can reach a listener
// on another address can use the sandbox by sending a loopback Host.
//
// # Control API and the textus fake command
//
// WithControlEndpoints mounts a control API, authenticated with the same
// token, that stands in for the Go methods, so that programs that cannot
// call them can drive the fake over HTTP:
//
//	POST /_textustest/receive               {"from": "+13035551234", "body": "STOP"}  (ReceiveMessage)
//	GET  /_textustest/sent                  the messages sent (SentMessages), paginated
//	PUT  /_textustest/undeliverable/:phone  (SetUndeliverable)
//	DELETE /_textustest/undeliverable/:phone (SetDeliverable)
//	GET  /_textustest/deliveries            webhook deliveries and the log of their attempts
//	POST /_textustest/redeliver             {"id": "/integrations/.../deliveries/..."}  (Redeliver)
//	POST /_textustest/reset                 (Reset)
//
// For clients in other languages, the textus command runs the fake on its
// own, with the control API on, until interrupted:
//
//	go run github.com/textus-go/textus/cmd/textus fake --addr 127.0.0.1:8080 --token secret
//
// It prints the URL, token, account and phone number, and export lines
// (TEXTUS_BASE_URL, TEXTUS_TOKEN, TEXTUS_ACCOUNT, TEXTUS_PHONE_NUMBER,
// TEXTUS_CONTROL_URL) for scripts. To listen on an address of your own in
// Go, open it and pass it with WithListener.
//
// # Endpoints
//
// The fake serves the TextUs Next API paths the SDK uses (":account" is the
// account slug):
//
//	GET  /accounts{?ancestors,descendants,legal,q,type,slug}, /accounts/tree{?role}
//	GET|PATCH /accounts/:slug (PATCH: {"settings": {...}}, merged)
//	GET  /accounts/:slug/accounts{?messaging,q,legal,type}  (the account and its descendants)
//	GET  /users{?q,accounts[]}, GET|PUT /users/:id
//	POST /users/:id/saved_replies, PUT /saved_replies/:id   ({"saved_reply": {...}}; POST answers 201)
//	GET  /:account/contacts                          POST /:account/contacts (answers 200)
//	GET  /:account/contact_filters/all/contacts?q=   (name or number; alphabetical)
//	GET  /contacts/:id, PUT /contacts/:id, GET /contacts/:id/conversations
//	GET|POST /contacts/:id/notes (POST {"content"}: 201), GET /contacts/:id/custom_data
//	GET  /:account/contact_phones?q=
//	GET  /conversations/:id, /conversations/:id/timeline (newest first)
//	PUT|DELETE /conversations/:id/read, PUT /conversations/:id/close, PUT /conversations/:id/reopen
//	PUT|DELETE /conversations/:id/star, PUT /conversations/:id/assign_contact
//	GET  /:account/conversations/:phone
//	GET  /:account/conversation_filters, /:account/conversation_filters/:filter/conversations?q=
//	PUT  /:account/conversation_filters/:filter/conversations/reopen|close{?modified_before}   (202)
//	DELETE /:account/conversation_filters/:filter/conversations/assign{?modified_before}      (202)
//	POST /:account/messages (201, or 202 for several recipients), POST /messages
//	POST /:account/messages/schedule, GET /messages/:id
//	POST /:account/campaigns (201)
//	GET  /:account/opt_outs?q=&exact[]=, GET|PUT /:account/opt_outs/:phone (PUT: 201, or 200 when already opted out)
//	GET|POST /:account/integrations, PUT /integrations/:id
//
// A conversation exists once a message has been exchanged with its number
// or a contact has the number; looking up any other number answers 404.
// Scheduled messages are recorded (and listed by SentMessages) but never
// sent. An inbound text reopens a closed conversation.
//
// The fake's account tree is its account (the top, the only one
// account-scoped paths serve) and one child, "<account>_child", with the
// next phone number; GET /accounts lists the account where the token's user
// has a membership, ancestors= and descendants= walk the tree, legal=true
// keeps the top of the tree and messaging=true the accounts with a number.
// Its users are the token's user ("Test User", an admin of the top account;
// notes and campaigns are written by it) and an agent ("Alex Agent", a user
// of the child); PUT /users/:id merges settings and adds memberships (or
// changes the role on an account the user already has).
//
// Conversation filters are all, active and open (not closed), closed,
// unread, unanswered, starred, and you and assigned (assigned to the token's
// user, by a campaign with auto-assign). Batch actions apply to the
// filter's conversations that the body lists ({"conversations": [IRIs]})
// and/or that were modified (by a message or an action) before
// modified_before.
//
// A campaign makes one message per distinct recipient (a contact phone
// IRI): at once, or scheduled when scheduled_at is in the future. Numbers
// that opted out, or that received another campaign within exclusion_time
// minutes before scheduled_at, get nothing; deliveryStatistics counts
// them. Campaigns lists what was created. A send naming a saved_reply must
// name one of the server's; an empty body is then taken from it.
//
// Contact notes are kept per contact, oldest first (Notes reads them).
// Custom data has no documented write endpoint: SetCustomData sets it, as
// an integration's import would, and it is served as the contact's
// customData collection and, as text, its formattedData.
package textustest
