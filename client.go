package textus

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/textus-go/textus/internal/retry"
)

// Version is the SDK version sent in the User-Agent.
const Version = "0.1.0"

// MediaType is the TextUs JSON-LD media type, sent as Accept and, on
// requests with a body, as Content-Type.
const MediaType = "application/vnd.textus+jsonld"

// Client calls the TextUs Next API. It is safe for concurrent use. Create
// one with NewClient and share it; ForAccount makes cheap copies bound to
// other accounts.
type Client struct {
	core       *core
	account    string
	accountErr error // why ForAccount refused its slug
	common     service

	// Accounts lists and reads accounts.
	Accounts *AccountsService
	// Contacts manages contacts.
	Contacts *ContactsService
	// Conversations reads conversations and their timelines.
	Conversations *ConversationsService
	// Messages sends and reads messages.
	Messages *MessagesService
	// OptOuts reads and records opt-outs.
	OptOuts *OptOutsService
	// Webhooks manages webhook subscriptions.
	Webhooks *WebhooksService
	// Campaigns creates campaigns (one text to many contact phones).
	Campaigns *CampaignsService
	// Users lists, reads and updates users.
	Users *UsersService
	// SavedReplies creates and updates saved replies.
	SavedReplies *SavedRepliesService
}

type service struct{ client *Client }

// core is what every copy of a client shares: configuration, transport,
// pacing and rate state.
type core struct {
	base         *url.URL
	host         string // base's host name, without the port
	port         int    // base's port, the scheme's default when none is given
	origin       string // scheme://host[:port]
	baseStr      string // origin + path prefix, no trailing slash
	auth         string // "Bearer <token>"; never logged
	userAgent    string
	logger       *slog.Logger
	maxRetries   int
	retryWaitMin time.Duration
	retryWaitMax time.Duration
	maxBody      int64
	scrub        *scrubber // removes the token from what errors keep
	http         *http.Client
	pacer        Pacer // nil: no client-side pacing
	block        serverBlock
	observer     Observer // nil: none
	now          func() time.Time

	rateMu sync.Mutex
	rate   Rate
}

// Rate is the rate-limit state reported by the last response that carried
// X-RateLimit-* headers. The zero value means none has been seen.
type Rate struct {
	// Limit is the budget per window (X-RateLimit-Limit).
	Limit int
	// Remaining is what is left of it (X-RateLimit-Remaining).
	Remaining int
	// Reset is when the window resets (X-RateLimit-Reset).
	Reset time.Time
}

// NewClient returns a client that authenticates with the API token.
// An empty token or an invalid option value is an error.
//
//	c, err := textus.NewClient(os.Getenv("TEXTUS_TOKEN"), textus.WithAccount("my_account"))
func NewClient(token string, opts ...Option) (*Client, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, errors.New("textus: empty API token")
	}
	if strings.ContainsFunc(token, isSpaceOrControl) {
		return nil, errors.New("textus: API token contains white space or control characters")
	}
	cfg := config{
		maxRetries:   DefaultMaxRetries,
		retryWaitMin: DefaultRetryWaitMin,
		retryWaitMax: DefaultRetryWaitMax,
		rateN:        DefaultRateLimit,
		ratePer:      DefaultRatePeriod,
		maxBody:      DefaultMaxResponseBytes,
	}
	cfg.baseURL, _ = parseBaseURL(DefaultBaseURL)
	for i, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("textus: option %d is nil", i)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.DiscardHandler)
	}
	ua := "textus-go/" + Version
	if cfg.userAgent != "" {
		ua = cfg.userAgent + " " + ua
	}
	origin := cfg.baseURL.Scheme + "://" + cfg.baseURL.Host
	cr := &core{
		base:         cfg.baseURL,
		host:         cfg.baseURL.Hostname(),
		origin:       origin,
		baseStr:      origin + cfg.baseURL.EscapedPath(),
		auth:         "Bearer " + token,
		userAgent:    ua,
		logger:       cfg.logger,
		maxRetries:   cfg.maxRetries,
		retryWaitMin: cfg.retryWaitMin,
		retryWaitMax: cfg.retryWaitMax,
		maxBody:      cfg.maxBody,
		scrub:        newScrubber(token),
		pacer:        cfg.pacer,
		now:          time.Now,
	}
	cr.port, _ = strconv.Atoi(portOf(cfg.baseURL))
	if !cfg.pacerSet {
		cr.pacer = newLocalPacer(cfg.rateN, cfg.ratePer, cfg.rateSet)
	}
	switch len(cfg.observers) {
	case 0:
	case 1:
		cr.observer = cfg.observers[0]
	default:
		cr.observer = observers(cfg.observers)
	}
	cr.http = sameOriginClient(cfg.httpClient, cfg.baseURL)
	c := &Client{core: cr, account: cfg.account}
	c.init()
	return c, nil
}

// sameOriginClient returns a copy of hc (or of the default client when hc is
// nil) that refuses to follow a redirect to another origin: the token is
// sent only to the configured scheme, host and port. Go's own rule drops the
// Authorization header only when the host name changes, not the port.
// A redirect refused this way fails the call; it is not retried.
func sameOriginClient(hc *http.Client, base *url.URL) *http.Client {
	var cp http.Client
	if hc != nil {
		cp = *hc
	} else {
		cp = http.Client{Transport: defaultTransport(), Timeout: 2 * time.Minute}
	}
	next := cp.CheckRedirect
	cp.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if !sameOrigin(req.URL, base) {
			return &retry.StopError{Err: fmt.Errorf("textus: refusing to follow a redirect to another origin (%s://%s); the API is at %s://%s",
				req.URL.Scheme, req.URL.Host, base.Scheme, base.Host)}
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return &retry.StopError{Err: errors.New("textus: stopped after 10 redirects")}
		}
		return nil
	}
	return &cp
}

// defaultTransport is a private copy of http.DefaultTransport with a larger
// idle pool. When a program has replaced http.DefaultTransport with another
// RoundTripper (a test mock, an instrumented transport), that one is used.
func defaultTransport() http.RoundTripper {
	tr, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return http.DefaultTransport
	}
	tr = tr.Clone()
	tr.MaxIdleConnsPerHost = 16
	return tr
}

func (c *Client) init() {
	c.common.client = c
	c.Accounts = (*AccountsService)(&c.common)
	c.Contacts = (*ContactsService)(&c.common)
	c.Conversations = (*ConversationsService)(&c.common)
	c.Messages = (*MessagesService)(&c.common)
	c.OptOuts = (*OptOutsService)(&c.common)
	c.Webhooks = (*WebhooksService)(&c.common)
	c.Campaigns = (*CampaignsService)(&c.common)
	c.Users = (*UsersService)(&c.common)
	c.SavedReplies = (*SavedRepliesService)(&c.common)
}

// ForAccount returns a copy of the client bound to another account (a slug
// such as "my_account", or an "/accounts/my_account" IRI). The copy shares
// the transport, the pacing and the rate state. An invalid slug yields a
// client without an account, whose account-scoped calls fail before
// sending anything with an error that names the refused slug (and matches
// ErrNoAccount).
func (c *Client) ForAccount(slug string) *Client {
	cp := &Client{core: c.core}
	s, err := accountSlug(slug)
	if err != nil {
		cp.accountErr = &accountError{slug: slug, cause: err}
	}
	cp.account = s
	cp.init()
	return cp
}

// noAccount is the error of an account-scoped call on a client without an
// account.
func (c *Client) noAccount() error {
	if c.accountErr != nil {
		return c.accountErr
	}
	return ErrNoAccount
}

// Account returns the account slug the client is bound to ("" when none).
func (c *Client) Account() string { return c.account }

// BaseURL returns the API root the client calls.
func (c *Client) BaseURL() string { return c.core.baseStr }

// Rate returns the last X-RateLimit-* state seen on any response of this
// client or its copies.
func (c *Client) Rate() Rate {
	c.core.rateMu.Lock()
	defer c.core.rateMu.Unlock()
	return c.core.rate
}

// String describes the client without its token.
func (c *Client) String() string {
	return fmt.Sprintf("textus.Client(%s account=%q)", c.core.baseStr, c.account)
}

// redactURL drops credentials from a URL for logs and errors.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparseable URL>"
	}
	u.User = nil
	return u.String()
}
