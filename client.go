package textus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-querystring/query"
	"github.com/hashicorp/go-retryablehttp"

	"github.com/textus-go/textus/internal/pace"
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
	core    *core
	account string
	common  service

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
}

type service struct{ client *Client }

// core is what every copy of a client shares: configuration, transport and
// rate state.
type core struct {
	base         *url.URL
	baseStr      string // scheme://host/prefix, no trailing slash
	auth         string // "Bearer <token>"; never logged
	userAgent    string
	logger       *slog.Logger
	maxRetries   int
	retryWaitMin time.Duration
	retryWaitMax time.Duration
	http         *retryablehttp.Client
	pacer        *pace.Limiter
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
	if strings.ContainsAny(token, "\r\n\t ") {
		return nil, errors.New("textus: API token contains white space")
	}
	cfg := config{
		maxRetries:   DefaultMaxRetries,
		retryWaitMin: DefaultRetryWaitMin,
		retryWaitMax: DefaultRetryWaitMax,
		rateN:        DefaultRateLimit,
		ratePer:      DefaultRatePeriod,
	}
	cfg.baseURL, _ = parseBaseURL(DefaultBaseURL)
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("textus: nil Option")
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.logger == nil {
		cfg.logger = slog.New(discardHandler{})
	}
	hc := cfg.httpClient
	if hc == nil {
		hc = &http.Client{Transport: defaultTransport(), Timeout: 2 * time.Minute}
	}
	ua := "textus-go/" + Version
	if cfg.userAgent != "" {
		ua = cfg.userAgent + " " + ua
	}
	k := &core{
		base:         cfg.baseURL,
		baseStr:      cfg.baseURL.Scheme + "://" + cfg.baseURL.Host + cfg.baseURL.EscapedPath(),
		auth:         "Bearer " + token,
		userAgent:    ua,
		logger:       cfg.logger,
		maxRetries:   cfg.maxRetries,
		retryWaitMin: cfg.retryWaitMin,
		retryWaitMax: cfg.retryWaitMax,
		pacer:        pace.New(cfg.rateN, cfg.ratePer),
		now:          time.Now,
	}
	k.http = &retryablehttp.Client{
		HTTPClient:     hc,
		Logger:         nil, // the SDK logs its own decisions; retryablehttp's logger stays off
		RetryWaitMin:   cfg.retryWaitMin,
		RetryWaitMax:   cfg.retryWaitMax,
		RetryMax:       cfg.maxRetries,
		CheckRetry:     k.checkRetry,
		Backoff:        k.backoff,
		ErrorHandler:   passThrough,
		RequestLogHook: k.beforeAttempt,
	}
	c := &Client{core: k, account: cfg.account}
	c.init()
	return c, nil
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
}

// ForAccount returns a copy of the client bound to another account (a slug
// such as "my_account", or an "/accounts/my_account" IRI). The copy shares
// the transport, the pacing and the rate state. An invalid slug yields a
// client without an account, whose account-scoped calls fail with
// ErrNoAccount before sending anything.
func (c *Client) ForAccount(slug string) *Client {
	cp := &Client{core: c.core}
	cp.account, _ = accountSlug(slug)
	cp.init()
	return cp
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

// ---- paths ----------------------------------------------------------------

// accountPath builds "/<account>/<rest...>" with every segment escaped.
func (c *Client) accountPath(segments ...string) (string, error) {
	if c.account == "" {
		return "", ErrNoAccount
	}
	return joinPath(append([]string{c.account}, segments...)...), nil
}

func joinPath(segments ...string) string {
	var b strings.Builder
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

// resourceSlug accepts an IRI ("/contacts/DQeeO69") or a bare slug
// ("DQeeO69") for a resource of the given collection and returns the slug.
func resourceSlug(kind, collection, id string) (string, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		return "", fmt.Errorf("textus: empty %s id", kind)
	}
	if strings.HasPrefix(id, "/") {
		prefix := "/" + collection + "/"
		if !strings.HasPrefix(id, prefix) {
			return "", fmt.Errorf("textus: %q is not a %s IRI (want %s...)", id, kind, prefix)
		}
		id = strings.TrimPrefix(id, prefix)
		if i := strings.IndexAny(id, "/?#"); i >= 0 {
			id = id[:i]
		}
	}
	if id == "" || strings.ContainsAny(id, "/?# ") {
		return "", fmt.Errorf("textus: invalid %s id %q", kind, id)
	}
	return id, nil
}

// resolve turns a path ("/contacts/x") or a link from the API (a
// server-relative URL, or an absolute URL on the API host) into a full URL.
// Links are used as opaque strings; their query is not rebuilt. A link to
// another host is refused so the token is never sent elsewhere.
func (c *Client) resolve(link string) (string, error) {
	if strings.HasPrefix(link, "http://") || strings.HasPrefix(link, "https://") {
		u, err := url.Parse(link)
		if err != nil {
			return "", fmt.Errorf("textus: invalid link %q: %w", link, err)
		}
		if u.Scheme != c.core.base.Scheme || u.Host != c.core.base.Host {
			return "", fmt.Errorf("textus: refusing to follow link to another host (%s)", u.Host)
		}
		return link, nil
	}
	if strings.HasPrefix(link, "//") {
		// A network-path reference names another host.
		return "", fmt.Errorf("textus: refusing to follow link to another host (%s)", link)
	}
	if !strings.HasPrefix(link, "/") {
		return "", fmt.Errorf("textus: invalid link %q", link)
	}
	p := c.core.base.EscapedPath()
	if p != "" && (link == p || strings.HasPrefix(link, p+"/") || strings.HasPrefix(link, p+"?")) {
		p = ""
	}
	return c.core.base.Scheme + "://" + c.core.base.Host + p + link, nil
}

// withQuery appends a go-querystring-encoded options struct to a path.
func withQuery(path string, opts any) (string, error) {
	if opts == nil {
		return path, nil
	}
	v, err := query.Values(opts)
	if err != nil {
		return "", fmt.Errorf("textus: encoding query: %w", err)
	}
	if len(v) == 0 {
		return path, nil
	}
	return path + "?" + v.Encode(), nil
}

// ---- the request pipeline --------------------------------------------------

// response is what do returns about a successful response.
type response struct {
	StatusCode int
	Header     http.Header
}

// attemptState travels in the request context so the retry hooks, which
// retryablehttp calls without the request, know which request they judge.
type attemptState struct {
	method   string
	logURL   string
	attempt  int
	decision retry.Decision
	paceErr  error
}

type stateKey struct{}

// do sends one API call through the pipeline: pacing, headers, retries with
// the SDK's policy, and decoding. path is a path or link (see resolve).
// body, when non-nil, is encoded as JSON. out, when non-nil, receives the
// decoded 2xx body (an empty body leaves it untouched).
func (c *Client) do(ctx context.Context, method, path string, body, out any) (*response, error) {
	if ctx == nil {
		return nil, errors.New("textus: nil context")
	}
	full, err := c.resolve(path)
	if err != nil {
		return nil, err
	}
	var payload any // must stay a nil interface when there is no body
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("textus: encoding request body: %w", err)
		}
		payload = b
	}
	st := &attemptState{method: method, logURL: redactURL(full)}
	if blocked := c.core.pacer.Blocked(); blocked > c.core.retryWaitMax {
		// The server said no requests remain until a reset further away
		// than we may wait: sending now could only earn a 429.
		return nil, &APIError{
			StatusCode: http.StatusTooManyRequests, Method: method, URL: st.logURL,
			Message:    "rate limit exhausted (X-RateLimit-Remaining: 0); not sent",
			RetryAfter: blocked.Round(time.Second), Rate: c.Rate(),
		}
	}
	req, err := retryablehttp.NewRequestWithContext(context.WithValue(ctx, stateKey{}, st), method, full, payload)
	if err != nil {
		return nil, fmt.Errorf("textus: building request: %w", err)
	}
	h := req.Header
	h["Authorization"] = []string{c.core.auth}
	h["Accept"] = []string{MediaType}
	h["User-Agent"] = []string{c.core.userAgent}
	if body != nil {
		h["Content-Type"] = []string{MediaType}
	}

	resp, err := c.core.http.Do(req)
	if err != nil {
		if resp != nil {
			resp.Body.Close()
		}
		return nil, c.core.failure(ctx, st, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		apiErr := newAPIError(method, st.logURL, resp)
		apiErr.Rate, _ = parseRate(resp.Header)
		if d, ok := retry.RetryAfter(resp, c.core.now()); ok {
			apiErr.RetryAfter = d
		}
		apiErr.OutcomeUnknown = !retry.Idempotent(method) &&
			(resp.StatusCode >= 500 || resp.StatusCode == http.StatusRequestTimeout)
		if apiErr.OutcomeUnknown {
			c.core.logger.LogAttrs(ctx, slog.LevelWarn, "textus: outcome unknown; not re-sent",
				slog.String("method", method), slog.String("url", st.logURL), slog.Int("status", resp.StatusCode))
		}
		return nil, apiErr
	}
	if out != nil {
		if err := decodeBody(resp.Body, out); err != nil {
			return nil, fmt.Errorf("textus: %s %s: decoding response: %w", method, st.logURL, err)
		}
	} else {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	}
	return &response{StatusCode: resp.StatusCode, Header: resp.Header}, nil
}

// decodeBody decodes JSON into out; an empty body is not an error.
func decodeBody(r io.Reader, out any) error {
	dec := json.NewDecoder(r)
	if err := dec.Decode(out); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// failure builds the error for a request that got no response.
func (k *core) failure(ctx context.Context, st *attemptState, err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err // drop net/http's copy of the URL; we add a redacted one
	}
	if st.paceErr != nil && ctx.Err() != nil {
		// Stopped while waiting for the rate limiter: nothing was sent.
		return &transportError{method: st.method, url: st.logURL, err: ctx.Err()}
	}
	unknown := st.decision.MaybeSent
	if unknown {
		k.logger.LogAttrs(ctx, slog.LevelWarn, "textus: outcome unknown; not re-sent",
			slog.String("method", st.method), slog.String("url", st.logURL), slog.String("error", err.Error()))
	}
	return &transportError{method: st.method, url: st.logURL, err: err, unknown: unknown}
}

// beforeAttempt runs before every attempt (retryablehttp's request hook): it
// numbers the attempt and applies client-side pacing.
func (k *core) beforeAttempt(_ retryablehttp.Logger, req *http.Request, attempt int) {
	st, _ := req.Context().Value(stateKey{}).(*attemptState)
	if st == nil {
		return
	}
	st.attempt = attempt
	st.decision = retry.Decision{}
	if err := k.pacer.Wait(req.Context(), k.retryWaitMax); err != nil {
		st.paceErr = err
	}
}

// checkRetry is retryablehttp's CheckRetry: it records the rate headers and
// applies the SDK's ordered retry list, logging the reason.
func (k *core) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if resp != nil {
		k.observeRate(resp.Header)
	}
	st, _ := ctx.Value(stateKey{}).(*attemptState)
	if st == nil {
		return false, nil
	}
	d := retry.Decide(retry.Input{
		Ctx: ctx, Method: st.method, Attempt: st.attempt, MaxRetries: k.maxRetries,
		MaxWait: k.retryWaitMax, Resp: resp, Err: err, Now: k.now(),
	})
	st.decision = d
	if d.Reason != retry.ReasonDone {
		attrs := []slog.Attr{
			slog.String("method", st.method), slog.String("url", st.logURL),
			slog.Int("attempt", st.attempt+1), slog.Bool("retry", d.Retry), slog.String("reason", d.Reason),
		}
		if resp != nil {
			attrs = append(attrs, slog.Int("status", resp.StatusCode))
		}
		if err != nil {
			attrs = append(attrs, slog.String("error", redactError(err)))
		}
		level := slog.LevelDebug
		if !d.Retry {
			level = slog.LevelInfo
		}
		k.logger.LogAttrs(ctx, level, "textus: retry decision", attrs...)
	}
	return d.Retry, nil
}

func (k *core) backoff(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
	return retry.Backoff(min, max, attempt, resp, k.now())
}

// passThrough is retryablehttp's ErrorHandler: hand back the last response
// (or error) unchanged, so the caller gets the real APIError instead of a
// generic "giving up" message.
func passThrough(resp *http.Response, err error, _ int) (*http.Response, error) {
	if resp != nil {
		return resp, nil
	}
	return nil, err
}

func (k *core) observeRate(h http.Header) {
	r, ok := parseRate(h)
	if !ok {
		return
	}
	k.rateMu.Lock()
	k.rate = r
	k.rateMu.Unlock()
	if h.Get("X-RateLimit-Remaining") != "" {
		k.pacer.Observe(r.Remaining, r.Reset)
	}
}

func parseRate(h http.Header) (Rate, bool) {
	var r Rate
	lim, rem, reset := h.Get("X-RateLimit-Limit"), h.Get("X-RateLimit-Remaining"), h.Get("X-RateLimit-Reset")
	if lim == "" && rem == "" && reset == "" {
		return r, false
	}
	r.Limit, _ = strconv.Atoi(strings.TrimSpace(lim))
	r.Remaining, _ = strconv.Atoi(strings.TrimSpace(rem))
	if secs, err := strconv.ParseInt(strings.TrimSpace(reset), 10, 64); err == nil && secs > 0 {
		r.Reset = time.Unix(secs, 0)
	}
	return r, true
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

// redactError renders an error for a log line, without net/http's copy of
// the URL.
func redactError(err error) string {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Op + ": " + uerr.Err.Error()
	}
	return err.Error()
}

// discardHandler is a slog.Handler that drops everything (slog has one only
// from Go 1.24).
type discardHandler struct{}

func (discardHandler) Enabled(context.Context, slog.Level) bool  { return false }
func (discardHandler) Handle(context.Context, slog.Record) error { return nil }
func (d discardHandler) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discardHandler) WithGroup(string) slog.Handler           { return d }
