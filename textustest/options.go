package textustest

import (
	"io"
	"net"
	"time"
)

// Defaults of a new Server.
const (
	// DefaultAccount is the account slug of a server made without WithAccount.
	DefaultAccount = "test_account"
	// DefaultAccountName is the display name of the fake account.
	DefaultAccountName = "Test Account"
	// DefaultPhoneNumber is the fake account's own number (a 555-01xx
	// number, reserved for fiction).
	DefaultPhoneNumber = "+13035550100"
	// DefaultPageSize is how many members a collection page holds.
	DefaultPageSize = 25
	// DefaultRateLimit requests per DefaultRatePeriod per token is the
	// TextUs budget.
	DefaultRateLimit  = 1000
	DefaultRatePeriod = 5 * time.Minute
	// DefaultWebhookAttempts is how many times a webhook delivery is tried
	// before the fake gives up on it.
	DefaultWebhookAttempts = 5
	// DefaultWebhookBackoffMin and DefaultWebhookBackoffMax bound the
	// doubling wait between delivery attempts.
	DefaultWebhookBackoffMin = 50 * time.Millisecond
	DefaultWebhookBackoffMax = time.Second
	// DefaultWebhookTimeout bounds one delivery attempt.
	DefaultWebhookTimeout = 5 * time.Second
	// DefaultCloseTimeout bounds how long Close waits for pending webhook
	// deliveries before abandoning them.
	DefaultCloseTimeout = 5 * time.Second
	// DefaultSeed seeds fault injection and id generation when WithSeed is
	// not given, so runs are reproducible by default.
	DefaultSeed int64 = 1
)

type config struct {
	account        string
	accountName    string
	token          string
	phone          string
	pageSize       int
	rateN          int
	ratePer        time.Duration
	latency        time.Duration
	faults         []Fault
	seed           int64
	hookAttempts   int
	hookMin        time.Duration
	hookMax        time.Duration
	hookTimeout    time.Duration
	closeTimeout   time.Duration
	deliveryDelay  time.Duration
	lenientCT      bool
	control        bool
	logOut         io.Writer
	undeliverables []string
	listener       net.Listener
	phoneForm      PhoneForm
	rateSet        bool // WithRateLimit was given
}

func defaultConfig() config {
	return config{
		account:      DefaultAccount,
		accountName:  DefaultAccountName,
		phone:        DefaultPhoneNumber,
		pageSize:     DefaultPageSize,
		rateN:        DefaultRateLimit,
		ratePer:      DefaultRatePeriod,
		seed:         DefaultSeed,
		hookAttempts: DefaultWebhookAttempts,
		hookMin:      DefaultWebhookBackoffMin,
		hookMax:      DefaultWebhookBackoffMax,
		hookTimeout:  DefaultWebhookTimeout,
		closeTimeout: DefaultCloseTimeout,
	}
}

// Option configures a Server. Options never fail: an out-of-range value is
// replaced by the default, as documented on each option.
type Option func(*config)

// WithRateLimit sets the server-side budget: n requests per period per API
// token (unauthenticated requests count per client IP). The windows are
// fixed and aligned to the Unix epoch: each runs from a multiple of per
// since 1970-01-01 UTC to the next, the same instants for every key, so
// the first request of a window may come at any point in it. Every
// response carries X-RateLimit-Limit, X-RateLimit-Remaining and
// X-RateLimit-Reset, the end of the current window in Unix seconds: exact
// (an integer second) whenever per is a whole number of seconds, rounded up
// to the next second otherwise. A request over the budget gets 429 with
// Retry-After, the time left until that end in seconds, rounded up (at
// least 1). A client that waits for the reset therefore idles no longer
// than the window really lasts. Default 1000 per 5 minutes, the TextUs
// budget. n <= 0 turns rate limiting and its headers off; per <= 0 keeps
// the default period.
func WithRateLimit(n int, per time.Duration) Option {
	return func(c *config) {
		c.rateN, c.rateSet = n, true
		if per > 0 {
			c.ratePer = per
		}
	}
}

// WithLatency delays every request by d before it is handled (after a
// dropped-request fault, before rate limiting). A request whose client gives
// up during the delay is not acted on.
func WithLatency(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.latency = d
		}
	}
}

// WithFaults injects failures; see Fault. Faults are tried in order and at
// most one applies to a request. They can be replaced later with
// Server.SetFaults.
func WithFaults(faults ...Fault) Option {
	return func(c *config) {
		c.faults = append(c.faults, faults...)
	}
}

// WithSeed seeds the random source behind fault injection and resource
// slugs (default DefaultSeed). The same seed and the same sequence of
// requests inject the same faults and yield the same slugs. Webhook
// delivery ids and secrets stay random.
func WithSeed(seed int64) Option {
	return func(c *config) { c.seed = seed }
}

// WithPageSize sets how many members each collection page holds (default
// 25). Values below 1 keep the default.
func WithPageSize(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.pageSize = n
		}
	}
}

// WithAccount sets the fake account's slug (default "test_account"), the
// ":account" of account-scoped paths. A slug must be letters, digits, '_',
// '-' and '.', and not one of the API's own first path segments
// ("accounts", "contacts", "conversations", "messages", "integrations",
// "users"); anything else keeps the default.
func WithAccount(slug string) Option {
	return func(c *config) {
		if validSlug(slug) {
			c.account = slug
		}
	}
}

func validSlug(s string) bool {
	switch s {
	case "", "accounts", "contacts", "conversations", "messages", "integrations", "users", "_textustest":
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return s != "." && s != ".."
}

// WithAccountName sets the fake account's display name (default "Test
// Account").
func WithAccountName(name string) Option {
	return func(c *config) {
		if name != "" {
			c.accountName = name
		}
	}
}

// WithToken sets the API token the server accepts. By default a random
// token is made for each server.
func WithToken(token string) Option {
	return func(c *config) {
		if token != "" {
			c.token = token
		}
	}
}

// WithPhoneNumber sets the fake account's own number, the "from" that
// POST /messages accepts (default +13035550100). Values that are not a
// phone number keep the default.
func WithPhoneNumber(phone string) Option {
	return func(c *config) {
		if p, err := parseE164(phone); err == nil {
			c.phone = p
		}
	}
}

// WithWebhookRetry sets how webhook deliveries are retried: at most
// attempts tries in all, waiting min, 2*min, 4*min, ... (capped at max)
// between them. Defaults: 5 attempts, 50ms, 1s. Values below 1 (attempts)
// or 0 (waits) keep the defaults; max below min is raised to min.
func WithWebhookRetry(attempts int, min, max time.Duration) Option {
	return func(c *config) {
		if attempts > 0 {
			c.hookAttempts = attempts
		}
		if min > 0 {
			c.hookMin = min
		}
		if max > 0 {
			c.hookMax = max
		}
		if c.hookMax < c.hookMin {
			c.hookMax = c.hookMin
		}
	}
}

// WithWebhookTimeout bounds each webhook delivery attempt (default 5s).
func WithWebhookTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.hookTimeout = d
		}
	}
}

// WithCloseTimeout bounds how long Close waits for pending webhook
// deliveries (including their retries) before abandoning them (default 5s).
func WithCloseTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.closeTimeout = d
		}
	}
}

// WithDeliveryDelay makes sent messages stay "queued" for d before they turn
// "delivered" (or "failed") and the matching webhook fires; WaitIdle waits
// for these transitions too. By default (0) a send is answered "queued" and
// turns final before the next request can see it, so a GET after the send
// already reads "delivered".
func WithDeliveryDelay(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.deliveryDelay = d
		}
	}
}

// WithLenientContentType makes the server accept request bodies sent as
// application/json as well as application/vnd.textus+jsonld. By default
// only the vendor media type is accepted (other types get 415), because
// TextUs is reported to reject plain JSON.
func WithLenientContentType() Option {
	return func(c *config) { c.lenientCT = true }
}

// WithControlEndpoints mounts the control API under /_textustest/ (see
// the package documentation), so that programs that cannot call the Go
// methods (ReceiveMessage, SetUndeliverable, ...) can drive the fake over
// HTTP. The textus fake command enables it.
func WithControlEndpoints() Option {
	return func(c *config) { c.control = true }
}

// WithUndeliverable marks numbers whose sends fail (as SetUndeliverable).
func WithUndeliverable(phones ...string) Option {
	return func(c *config) { c.undeliverables = append(c.undeliverables, phones...) }
}

// WithLog writes one line per request handled (method, path, status, fault)
// to w. Off by default.
func WithLog(w io.Writer) Option {
	return func(c *config) { c.logOut = w }
}

// WithListener makes the server serve on ln, an open listener, instead of a
// fresh loopback port, as a test server replaces httptest.Server.Listener.
// It is how the fake runs on a fixed address: the "textus fake" command
// opens the address itself (so that it can report an address in use) and
// hands it over. URL is made from ln's address, and Close closes ln. A nil
// ln keeps the default.
func WithListener(ln net.Listener) Option {
	return func(c *config) { c.listener = ln }
}

// PhoneForm is how the server keeps and returns a contact's phone numbers
// (see WithPhoneForm).
type PhoneForm int

// The forms of WithPhoneForm.
const (
	// PhoneFormE164 keeps "+13035551234", as TextUs documents it
	// (the default).
	PhoneFormE164 PhoneForm = iota
	// PhoneFormNational keeps the national digits, "3035551234", as the
	// opt-out examples of the API show them.
	PhoneFormNational
	// PhoneFormDisplay keeps the display form, "(303) 555-1234".
	PhoneFormDisplay
	// PhoneFormAsTyped keeps the number as the request gave it, trimmed
	// ("1-303-555-1234 x12").
	PhoneFormAsTyped
)

// WithPhoneForm makes the server keep contact phone numbers in form f: it
// returns that form as the phone's phoneNumber, and the contact searches
// (q=) match the digits of that form, as a server that stores the number
// that way would. The default, PhoneFormE164, is what TextUs documents; the
// other forms let a test check that a client does not depend on it.
func WithPhoneForm(f PhoneForm) Option {
	return func(c *config) {
		if f >= PhoneFormE164 && f <= PhoneFormAsTyped {
			c.phoneForm = f
		}
	}
}
