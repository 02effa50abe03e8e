package textus

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultBaseURL is the TextUs Next API host.
const DefaultBaseURL = "https://next.textus.com"

// Defaults applied by NewClient.
const (
	DefaultMaxRetries   = 3
	DefaultRetryWaitMin = 500 * time.Millisecond
	DefaultRetryWaitMax = 30 * time.Second
	// DefaultRateLimit requests per DefaultRatePeriod is the TextUs budget
	// per API token.
	DefaultRateLimit  = 1000
	DefaultRatePeriod = 5 * time.Minute
	// DefaultMaxResponseBytes caps the body of a successful response (8 MiB,
	// some forty times the largest page TextUs sends); see
	// WithMaxResponseBytes.
	DefaultMaxResponseBytes int64 = 8 << 20
)

// Option configures a Client. Options validate their values: NewClient
// returns an error for an invalid one.
type Option func(*config) error

type config struct {
	baseURL      *url.URL
	account      string
	httpClient   *http.Client
	maxRetries   int
	retryWaitMin time.Duration
	retryWaitMax time.Duration
	rateN        int
	ratePer      time.Duration
	rateSet      bool // WithRateLimit was given
	logger       *slog.Logger
	userAgent    string
	maxBody      int64
	pacer        Pacer
	pacerSet     bool
	observers    []Observer
}

// WithBaseURL sets the API root (default https://next.textus.com). It must
// be an absolute http or https URL; a path prefix is kept
// ("https://proxy.example/textus" sends "/textus/contacts/..."). Userinfo,
// query and fragment are refused.
func WithBaseURL(base string) Option {
	return func(c *config) error {
		u, err := parseBaseURL(base)
		if err != nil {
			return err
		}
		c.baseURL = u
		return nil
	}
}

func parseBaseURL(base string) (*url.URL, error) {
	raw := strings.TrimSpace(base)
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("textus: WithBaseURL(%q): invalid base URL: %w", redactRawURL(raw), errors.Unwrap(err))
	}
	shown := u.Redacted()
	switch {
	case u.Scheme == "" || (u.Host == "" && u.Opaque == "" && !strings.Contains(raw, "://")):
		return nil, fmt.Errorf("textus: WithBaseURL(%q): invalid base URL: it needs a scheme: use %q", shown, "https://"+strings.TrimPrefix(raw, "//"))
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("textus: WithBaseURL(%q): invalid base URL: the scheme must be http or https", shown)
	case u.Host == "":
		return nil, fmt.Errorf("textus: WithBaseURL(%q): invalid base URL: no host", shown)
	case u.User != nil:
		return nil, fmt.Errorf("textus: WithBaseURL(%q): invalid base URL: credentials in the URL are not allowed; pass the token to NewClient", shown)
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("textus: WithBaseURL(%q): invalid base URL: a query or fragment is not allowed", shown)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// redactRawURL shows a URL that could not be parsed without what may be
// credentials (anything before an '@').
func redactRawURL(raw string) string {
	if i := strings.LastIndexByte(raw, '@'); i >= 0 {
		scheme, _, ok := strings.Cut(raw, "://")
		if ok {
			return scheme + "://" + raw[i+1:]
		}
		return raw[i+1:]
	}
	return raw
}

// WithAccount sets the account slug used by account-scoped calls
// ("/:account/contacts", ...). An IRI ("/accounts/my_account") is accepted
// too. Without it, account-scoped calls fail before sending anything; see
// also Client.ForAccount.
func WithAccount(slug string) Option {
	return func(c *config) error {
		s, err := accountSlug(slug)
		if err != nil {
			return err
		}
		c.account = s
		return nil
	}
}

// WithHTTPClient sets the *http.Client that carries requests (its Transport
// and Timeout are used; retries and pacing are the SDK's). A nil client is
// an error. The client is not modified.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return errors.New("textus: WithHTTPClient: nil *http.Client")
		}
		c.httpClient = hc
		return nil
	}
}

// WithMaxRetries sets how many times a failed request may be retried: at
// most n+1 attempts; 0 means a single attempt. Default 3. Negative is an
// error. Whatever n is, a POST that may have reached the server is never
// sent again (see ErrOutcomeUnknown).
func WithMaxRetries(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("textus: WithMaxRetries(%d): the number of retries cannot be negative (0 means one attempt)", n)
		}
		c.maxRetries = n
		return nil
	}
}

// WithRetryWait sets the bounds of the exponential backoff between retries
// (full jitter), default 500ms and 30s. waitMax is also the longest wait the SDK
// accepts from Retry-After or X-RateLimit-Reset; when the server asks for
// longer, the call fails with ErrRateLimited instead of sleeping.
// waitMin must be positive and not above waitMax.
func WithRetryWait(waitMin, waitMax time.Duration) Option {
	return func(c *config) error {
		if waitMin <= 0 || waitMax < waitMin {
			return fmt.Errorf("textus: WithRetryWait(%v, %v): need 0 < min <= max", waitMin, waitMax)
		}
		c.retryWaitMin, c.retryWaitMax = waitMin, waitMax
		return nil
	}
}

// WithRateLimit paces requests on the client side to at most `requests`
// in any stretch of `per`, shared by every copy of the client (ForAccount):
// a short burst (requests/50, at least one) goes at once and the rest is
// spread evenly, about 2% under the budget for network jitter.
//
// Whatever the budget, the client also paces from the server's own
// figures: after each response it spreads the X-RateLimit-Remaining
// requests over the time left to X-RateLimit-Reset, so the server's window
// is used evenly and in full, and a budget other clients of the token spent
// slows this one down. A budget given here is a cap on top of that. Without
// this option the client starts from the TextUs budget of 1000 per 5
// minutes until the first response reports the server's figures.
// requests <= 0 disables pacing whatever per is (the server's
// X-RateLimit-Remaining: 0 rule still applies); with requests > 0, per must
// be positive. See WithPacer to share one budget between processes.
func WithRateLimit(requests int, per time.Duration) Option {
	return func(c *config) error {
		if requests > 0 && per <= 0 {
			return fmt.Errorf("textus: WithRateLimit(%d, %v): the period must be positive (requests <= 0 turns pacing off)", requests, per)
		}
		c.rateN, c.ratePer, c.rateSet = requests, per, true
		return nil
	}
}

// WithLogger sets the structured logger for retry decisions and request
// outcomes (Debug and Warn levels). The token is never logged. Default:
// nothing is logged. A nil logger is an error.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("textus: WithLogger: nil *slog.Logger")
		}
		c.logger = l
		return nil
	}
}

// WithUserAgent names your product in the User-Agent header, before the
// SDK's own token: "acme-ats/2.1 textus-go/0.1.0". It must be printable
// ASCII without control characters.
func WithUserAgent(product string) Option {
	return func(c *config) error {
		for i := 0; i < len(product); i++ {
			if product[i] < 0x20 || product[i] > 0x7e {
				return fmt.Errorf("textus: WithUserAgent(%q): only printable ASCII is allowed", product)
			}
		}
		c.userAgent = strings.TrimSpace(product)
		return nil
	}
}

// WithPacer replaces the local pacer of WithRateLimit with p, e.g. one
// that several processes share through a common store so that they keep to
// one budget together (package textusredis). A nil Pacer is an error. The
// server's own X-RateLimit-Remaining: 0 rule applies whatever the Pacer
// (see Pacer).
func WithPacer(p Pacer) Option {
	return func(c *config) error {
		if p == nil {
			return errors.New("textus: WithPacer: nil Pacer (use WithRateLimit(0, 0) to turn pacing off)")
		}
		c.pacer, c.pacerSet = p, true
		return nil
	}
}

// WithObserver adds an Observer that watches every API call: package
// textusotel uses it for OpenTelemetry traces and metrics. It may be given
// several times; the observers are called in that order. A nil Observer is
// an error.
func WithObserver(o Observer) Option {
	return func(c *config) error {
		if o == nil {
			return errors.New("textus: WithObserver: nil Observer")
		}
		c.observers = append(c.observers, o)
		return nil
	}
}

// WithMaxResponseBytes caps the body of a successful response that the
// client reads and decodes (default DefaultMaxResponseBytes, 8 MiB). A
// larger body fails the call with an error that says so, and memory stays
// bounded by the cap whatever the server sends. Error bodies are read
// through a separate 64 KiB cap. n must be positive.
func WithMaxResponseBytes(n int64) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("textus: WithMaxResponseBytes(%d): the cap must be positive", n)
		}
		c.maxBody = n
		return nil
	}
}
