/*
Package textus is a client for the TextUs Next REST API: contacts and
their notes, messages, conversations, campaigns, opt-outs, accounts, users,
saved replies and webhook subscriptions, each a service of Client
(c.Contacts, c.Messages, ...). Its sub-packages receive webhooks (package
webhooks) and fake the API for tests (package textustest).

# Creating a client

A client needs an API token (TextUs web app: avatar, Profile, API Tokens)
and, for most calls, the slug of the account to act in:

	c, err := textus.NewClient(os.Getenv("TEXTUS_TOKEN"), textus.WithAccount("my_account"))
	if err != nil {
		return err
	}

A Client is safe for concurrent use; create one and share it.
Client.ForAccount returns a cheap copy bound to another account that shares
the connection pool and the rate-limit state. Account-scoped calls on a
client with no account fail with ErrNoAccount before anything is sent.

Every network method takes a context.Context first. Resources carry their
IRI in ID ("/contacts/DQeeO69"); every method that takes an id accepts the
IRI or the bare slug ("DQeeO69"). Phone arguments accept E.164
("+13035551234") and the common North American forms ("(303) 555-1234",
"303-555-1234", "1-303-555-1234"); see NormalizePhone. Invalid input is
an error before any request.

# Sending a message

	m, err := c.Messages.Send(ctx, &textus.SendMessageParams{
		To:   "+13035551234",
		Body: "Hi Jordan, are you free for a call at 3pm?",
	})
	switch {
	case errors.Is(err, textus.ErrOutcomeUnknown):
		// The text may have gone out: check the timeline before resending.
	case errors.Is(err, textus.ErrValidation):
		// Refused, for example because the number opted out.
	case err != nil:
		return err
	}

# Lists and pagination

List methods return lazy iterators (iter.Seq2): nothing is fetched before
the first step, pages are fetched as the loop reaches them by following the
API's view.next links, breaking out stops fetching, and an error is yielded
once and ends the loop:

	for contact, err := range c.Contacts.List(ctx, nil) {
		if err != nil {
			return err
		}
		fmt.Println(contact.Name)
	}

For long exports, the ListPage methods return one Page at a time with a
NextCursor that can be stored and passed back later, in another process,
to resume.

# Errors

A non-2xx response is an *APIError with the status, the API's message,
the raw body (read through a cap), the method and the URL. Match causes with
errors.Is: ErrUnauthorized (401), ErrForbidden (403), ErrNotFound (404),
ErrValidation (422), ErrRateLimited (429), and ErrOutcomeUnknown.

# Retries and rate limits

Every call goes through one pipeline (pipeline.go), which reads in one
direction: pace, send, observe the rate headers, classify the outcome,
decode. Each decision has one home:

  - retry.Decide (internal/retry) decides whether an attempt is retried, as
    an ordered list of rules each logged with its reason through WithLogger:
    a done context stops; exhausted attempts stop (WithMaxRetries(n) allows
    n retries); a request that provably never left (connection refused, DNS
    failure) is retried whatever its method; a 429 is retried (the server
    refused before acting); GET, PUT and DELETE are retried on 408, 500,
    502, 503, 504 and transport errors; anything else stops. A POST, such as
    a send, a campaign or a note, is never re-sent after it may have reached
    TextUs: it fails with an error matching ErrOutcomeUnknown instead,
    because TextUs offers no idempotency key and a second attempt could text
    a candidate twice. The same holds for PATCH
    (AccountsService.UpdateSettings).
  - The Pacer decides when the next request may go (see Pacer, WithRateLimit
    and WithPacer). The default spreads the budget the server reports
    (X-RateLimit-Remaining until X-RateLimit-Reset) evenly, never more than
    the budget in any stretch of the window; WithPacer shares one budget
    between processes (package textusredis). Whatever the Pacer, when a
    response reports X-RateLimit-Remaining: 0 the next request waits for
    X-RateLimit-Reset, or, when that is further away than the maximum wait,
    fails at once with ErrRateLimited without being sent.
  - The classify step turns the last response or failure into the call's
    error: an *APIError for a status outside 2xx, with its outcome.

Waits use exponential backoff with full jitter between the WithRetryWait
bounds and end early when the context is done. Retry-After is honoured up
to the maximum wait; when the server asks for longer, the call fails at
once with an error matching ErrRateLimited whose APIError.RetryAfter holds
the requested wait. Client.Rate returns the last rate-limit state seen.

# Observing calls

WithObserver registers an Observer that is told of every call: its
operation ("Contacts.Get") and URL template ("/contacts/{contact}"), its
pacing waits, its retries with their reasons, and its end. Package
textusotel implements it with OpenTelemetry; a Prometheus exporter or an
audit log can implement it the same way.

# Security

The token is sent only as the Authorization header, and only to the
configured origin (scheme, host and port): pagination links and redirects
that point elsewhere are refused, for the default HTTP client and for one
passed with WithHTTPClient. It never appears in an error, a log line or the
client's String form, even when a proxy echoes it back in an error body.
Paths are built in one place (the endpoint table), which refuses ids,
slugs and filters such as ".." before anything is sent. A successful
response is read through a size cap (WithMaxResponseBytes, 8 MiB by
default), so a huge or endless body cannot exhaust memory.
*/
package textus
