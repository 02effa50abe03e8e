package textustest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/internal/phone"
)

// ErrClosed is returned by the simulation methods (ReceiveMessage, ...)
// after Close.
var ErrClosed = errors.New("textustest: server closed")

// Server is a fake TextUs API server with real state. Make one with
// NewServer and Close it when done. All methods are safe for concurrent
// use.
type Server struct {
	cfg      config
	url      string
	userSlug string

	httpSrv  *http.Server
	listener net.Listener
	serveErr chan error
	limiter  *rateLimiter
	faults   *faultInjector
	hooks    *hookEngine
	router   []route
	ui       *sandbox // the browser UI (ui.go)

	closing   chan struct{}
	closeOnce sync.Once
	handlers  sync.WaitGroup

	mu            sync.Mutex // guards everything below
	closed        bool
	rng           *mrand.Rand
	usedIDs       map[string]bool
	seq           int
	contacts      map[string]*contact
	contactOrder  []*contact
	convs         map[string]*conversation
	convByPhone   map[string]*conversation
	convOrder     []*conversation
	messages      map[string]*message
	sent          []*message
	optOuts       map[string]*optOut
	optOutOrder   []*optOut
	integrations  map[string]*integration
	integOrder    []*integration
	undeliverable map[string]bool
	timers        map[*time.Timer]bool
	requests      []RequestRecord
	api           apiState // notes, users, saved replies, campaigns, the account tree
}

// maxRequestLog bounds the request log kept for Requests.
const maxRequestLog = 10000

// RequestRecord is one request as the server saw it (see Requests).
type RequestRecord struct {
	Time   time.Time
	Method string
	// Path is the decoded URL path; Query the raw query string.
	Path  string
	Query string
	// Status is the status answered; 0 when the connection was closed
	// instead (FaultDropRequest, FaultLoseResponse, or a client that went
	// away during WithLatency).
	Status int
	// Fault is the fault injected into the request, FaultNone if none.
	Fault FaultKind
}

// NewServer starts a fake TextUs server on a loopback port, as
// httptest.NewServer does, or on the listener given with WithListener.
// Close it when done (defer srv.Close()). It panics only if no loopback
// port can be opened, as net/http/httptest does.
func NewServer(opts ...Option) *Server {
	cfg := defaultConfig()
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.token == "" {
		cfg.token = "textustest_" + randomHex(16)
	}
	ln := cfg.listener
	if ln == nil {
		ln = loopbackListener()
	}
	s := &Server{
		cfg:      cfg,
		url:      "http://" + ln.Addr().String(),
		listener: ln,
		serveErr: make(chan error, 1),
		closing:  make(chan struct{}),
		faults:   newFaultInjector(cfg.seed, cfg.faults),
	}
	if cfg.rateN > 0 {
		s.limiter = newRateLimiter(cfg.rateN, cfg.ratePer)
	}
	s.hooks = newHookEngine(hookConfig{
		attempts: cfg.hookAttempts,
		min:      cfg.hookMin,
		max:      cfg.hookMax,
		timeout:  cfg.hookTimeout,
		result:   s.webhookResult,
	})
	s.ui = newSandbox(s)
	s.resetState()
	s.userSlug = s.newSlug()
	s.router = s.routes()
	s.httpSrv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go func() { s.serveErr <- s.httpSrv.Serve(ln) }()
	return s
}

// loopbackListener listens on a free loopback port, IPv4 first.
func loopbackListener() net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		if ln, err = net.Listen("tcp6", "[::1]:0"); err != nil {
			panic(fmt.Sprintf("textustest: cannot listen on a loopback port: %v", err))
		}
	}
	return ln
}

// resetState empties every record. The caller holds s.mu or has not shared
// s yet.
func (s *Server) resetState() {
	s.rng = mrand.New(mrand.NewPCG(uint64(s.cfg.seed), 0x69647320))
	s.usedIDs = make(map[string]bool)
	s.contacts = make(map[string]*contact)
	s.contactOrder = nil
	s.convs = make(map[string]*conversation)
	s.convByPhone = make(map[string]*conversation)
	s.convOrder = nil
	s.messages = make(map[string]*message)
	s.sent = nil
	s.optOuts = make(map[string]*optOut)
	s.optOutOrder = nil
	s.integrations = make(map[string]*integration)
	s.integOrder = nil
	s.undeliverable = make(map[string]bool)
	for _, p := range s.cfg.undeliverables {
		if e, err := parseE164(p); err == nil {
			s.undeliverable[e] = true
		}
	}
	if s.timers == nil {
		s.timers = make(map[*time.Timer]bool)
	}
	s.requests = nil
	s.resetAPIState()
}

// URL is the server's base URL ("http://127.0.0.1:PORT"), to pass to
// textus.WithBaseURL.
func (s *Server) URL() string { return s.url }

// Token is the API token the server accepts.
func (s *Server) Token() string { return s.cfg.token }

// Account is the slug of the fake account, to pass to textus.WithAccount.
func (s *Server) Account() string { return s.cfg.account }

// PhoneNumber is the fake account's own number in E.164 form: the "from"
// that POST /messages accepts and the conversations' accountPhoneNumber.
func (s *Server) PhoneNumber() string { return s.cfg.phone }

// Client returns an SDK client for this server. Token, base URL and
// account are set, and the client keeps within the server's rate limit: it
// paces itself with the budget given to WithRateLimit (textus.WithRateLimit;
// with the default budget of 1000 per 5 minutes, which few tests approach,
// it does not pace, so that tests run at full speed), and its longest wait
// (the max of textus.WithRetryWait) covers a whole rate-limit window, so
// that a test that spends the budget waits for the next window instead of
// failing with textus.ErrRateLimited. Retry waits start at
// 10ms, so that tests with injected faults run fast. opts are applied after
// these and may override them; pass
// textus.WithRetryWait(10*time.Millisecond, time.Second), for instance, to
// see ErrRateLimited rather than wait.
//
// Client panics if NewClient would return an error (an invalid option),
// with a message that gives that error, as net/http/httptest panics on
// what it cannot do; use NewClient to handle the error instead.
func (s *Server) Client(opts ...textus.Option) *textus.Client {
	c, err := s.NewClient(opts...)
	if err != nil {
		panic(fmt.Sprintf("textustest: Server.Client: %v (Server.NewClient returns this error instead of panicking)", err))
	}
	return c
}

// NewClient is Client that returns an error for an invalid option instead
// of panicking.
func (s *Server) NewClient(opts ...textus.Option) (*textus.Client, error) {
	pacing := textus.WithRateLimit(0, 0)
	maxWait := time.Second
	if s.cfg.rateN > 0 {
		if s.cfg.rateSet {
			pacing = textus.WithRateLimit(s.cfg.rateN, s.cfg.ratePer)
		}
		maxWait = max(maxWait, longestRateWait(s.cfg.ratePer))
	}
	all := append([]textus.Option{
		textus.WithBaseURL(s.url),
		textus.WithAccount(s.cfg.account),
		textus.WithRetryWait(10*time.Millisecond, maxWait),
		pacing,
	}, opts...)
	return textus.NewClient(s.cfg.token, all...)
}

// SetFaults replaces the injected faults (see Fault); no argument turns
// fault injection off. Counters (Fault.After, Fault.Limit) start afresh.
func (s *Server) SetFaults(faults ...Fault) { s.faults.set(faults) }

// SetUndeliverable marks phone as a number that cannot receive messages:
// sends to it are accepted, then turn "failed" and fire message.failed
// instead of message.delivered. It returns an error for a value that is
// not a phone number.
func (s *Server) SetUndeliverable(phone string) error {
	e, err := parseE164(phone)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.undeliverable[e] = true
	s.mu.Unlock()
	s.ui.publish(uiEvent{Kind: "undeliverable", Phone: e})
	return nil
}

// Requests returns the requests handled so far (the most recent 10000),
// oldest first.
func (s *Server) Requests() []RequestRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]RequestRecord(nil), s.requests...)
}

func (s *Server) logRequest(rec RequestRecord) {
	s.mu.Lock()
	if len(s.requests) >= maxRequestLog {
		s.requests = append(s.requests[:0], s.requests[len(s.requests)-maxRequestLog/2:]...)
	}
	s.requests = append(s.requests, rec)
	s.mu.Unlock()
	s.ui.requestDone(rec)
	if w := s.cfg.logOut; w != nil {
		line := fmt.Sprintf("%s %s %s", rec.Method, rec.Path, statusText(rec.Status))
		if rec.Query != "" {
			line = fmt.Sprintf("%s %s?%s %s", rec.Method, rec.Path, rec.Query, statusText(rec.Status))
		}
		if rec.Fault != FaultNone {
			line += " fault=" + rec.Fault.String()
		}
		fmt.Fprintln(w, line)
	}
}

func statusText(code int) string {
	if code == 0 {
		return "(connection closed)"
	}
	return fmt.Sprint(code)
}

// Reset forgets all state (contacts and their notes and custom data,
// conversations, messages, campaigns, saved replies, opt-outs, webhook
// subscriptions, account settings and changes to users, undeliverable
// numbers, the request and delivery logs, rate-limit windows) while keeping
// the configuration, token and address. Deliveries already queued still run.
func (s *Server) Reset() {
	s.mu.Lock()
	user := s.userSlug
	s.resetState()
	s.userSlug = user
	s.usedIDs[user] = true
	s.mu.Unlock()
	s.limiter.reset()
	s.hooks.resetLog()
	s.ui.publish(uiEvent{Kind: "reset"})
}

// WaitIdle blocks until no webhook delivery is queued, being attempted or
// waiting for a retry, and no message is waiting to turn delivered
// (WithDeliveryDelay), or until ctx is done. Use it instead of sleeping
// before asserting on what a webhook receiver got.
func (s *Server) WaitIdle(ctx context.Context) error {
	return s.hooks.waitIdle(ctx)
}

// Close stops the server: it refuses new connections, ends requests waiting
// out WithLatency (503), waits for the requests being handled, then waits
// up to the close timeout (default 5s, WithCloseTimeout) for pending
// webhook deliveries and abandons the rest. It returns once the listener,
// the request handlers and the delivery workers have stopped, so a test
// checked with go.uber.org/goleak passes. Messages waiting to turn
// delivered (WithDeliveryDelay) stay as they are. Close is idempotent, and
// the simulation methods return ErrClosed afterwards.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.closing)

		// Requests in flight get a moment to finish; connections a client
		// opened but never used (which Shutdown would wait on for 5s) are
		// then closed outright.
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		if err := s.httpSrv.Shutdown(ctx); err != nil {
			_ = s.httpSrv.Close()
		}
		cancel()
		<-s.serveErr //nolint:errcheck // http.ErrServerClosed, or an accept error that already ended serving: Close has nothing to report
		s.handlers.Wait()

		s.mu.Lock()
		for t := range s.timers {
			if t.Stop() {
				s.hooks.idle.done()
			}
			delete(s.timers, t)
		}
		s.mu.Unlock()

		s.hooks.close(s.cfg.closeTimeout)
	})
}

// newSlug returns a fresh 7-character id ("DQeeO69"). The caller holds s.mu.
func (s *Server) newSlug() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	for {
		b := make([]byte, 7)
		for i := range b {
			b[i] = alphabet[s.rng.IntN(len(alphabet))]
		}
		id := string(b)
		if !s.usedIDs[id] {
			s.usedIDs[id] = true
			return id
		}
	}
}

func (s *Server) nextSeq() int {
	s.seq++
	return s.seq
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return b
}

func randomHex(n int) string { return hex.EncodeToString(randomBytes(n)) }

// now is the server's clock, in UTC with millisecond precision (what the
// wire carries), so that values read back compare equal.
func now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// ReceiveMessage simulates an inbound text from the number from: it
// records a "received" message in the number's conversation (creating the
// contact and conversation when new; contact.created fires for a new
// contact) and fires message.received. A body that is exactly an opt-out
// keyword (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT,
// OPT OUT; trimmed, any case) opts the number out and fires
// contact.opted_out; START or UNSTOP opts it back in (contact.opted_in):
// the opt-out record is kept but marked inactive, and sends work again.
func (s *Server) ReceiveMessage(from, body string) (*textus.Message, error) {
	phone, err := parseE164(from)
	if err != nil {
		return nil, fmt.Errorf("textustest: ReceiveMessage: %w", err)
	}
	if len(body) == 0 {
		return nil, errors.New("textustest: ReceiveMessage: empty body")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	m := s.receiveLocked(phone, body)
	return toSDKMessage(s.wireMessage(m)), nil
}

func (s *Server) receiveLocked(phone, body string) *message {
	if len(s.contactsWithPhone(phone)) == 0 {
		c := s.addContactLocked("", []*contactPhone{{e164: phone, typ: "Mobile"}}, nil)
		s.emitContactCreated(c)
	}
	cv := s.conversationLocked(phone, true)
	cv.closed = false // an inbound text reopens a closed conversation
	t := now()
	m := &message{
		slug: s.newSlug(), conv: cv, direction: "in", body: body, state: "received",
		flags: []string{}, createdAt: t, latestAt: t, seq: s.nextSeq(),
	}
	s.messages[m.slug] = m
	cv.messages = append(cv.messages, m)
	cv.read = false
	s.emitMessage(textus.EventMessageReceived, m)
	switch kw := keyword(body); {
	case optOutKeywords[kw]:
		if o := s.optOuts[phone]; o == nil || !o.active {
			s.optOutLocked(phone, "Keyword")
		}
	case optInKeywords[kw]:
		if o := s.optOuts[phone]; o != nil && o.active {
			o.active = false
			o.updatedAt = now()
			s.emitOpt(textus.EventContactOptedIn, o)
		}
	}
	return m
}

// optOutLocked creates or reactivates the opt-out of phone and fires
// contact.opted_out. It reports the record.
func (s *Server) optOutLocked(phone, via string) *optOut {
	t := now()
	o := s.optOuts[phone]
	if o == nil {
		o = &optOut{phone: phone}
		s.optOuts[phone] = o
		s.optOutOrder = append(s.optOutOrder, o)
	}
	o.active, o.createdAt, o.updatedAt, o.via = true, t, t, via
	s.emitOpt(textus.EventContactOptedOut, o)
	return o
}

func (s *Server) optedOut(phone string) bool {
	o := s.optOuts[phone]
	return o != nil && o.active
}

// IsOptedOut reports whether phone is currently opted out.
func (s *Server) IsOptedOut(phone string) bool {
	e, err := parseE164(phone)
	if err != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.optedOut(e)
}

// SentMessages returns the outbound messages the server accepted (sent and
// scheduled), oldest first, in their current state. A send refused with an
// error (opted-out number, validation, injected 5xx) is not among them; a
// send whose response was lost (FaultLoseResponse) is.
func (s *Server) SentMessages() []*textus.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*textus.Message, 0, len(s.sent))
	for _, m := range s.sent {
		out = append(out, toSDKMessage(s.wireMessage(m)))
	}
	return out
}

// Messages returns every message of the conversation with phone (inbound
// and outbound, scheduled ones excluded), oldest first; nil when there is no
// such conversation.
func (s *Server) Messages(phone string) []*textus.Message {
	e, err := parseE164(phone)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cv := s.convByPhone[e]
	if cv == nil {
		return nil
	}
	out := make([]*textus.Message, 0, len(cv.messages))
	for _, m := range cv.messages {
		out = append(out, toSDKMessage(s.wireMessage(m)))
	}
	return out
}

// Contacts returns every contact, oldest first.
func (s *Server) Contacts() []*textus.Contact {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*textus.Contact, 0, len(s.contactOrder))
	for _, c := range s.contactOrder {
		var tc textus.Contact
		if err := remarshal(s.wireContact(c), &tc); err != nil {
			tc = textus.Contact{ID: c.iri(), Name: c.name}
		}
		out = append(out, &tc)
	}
	return out
}

// OptOuts returns the active opt-outs, oldest first. Numbers that opted back
// in are not included (their records are kept, inactive, as TextUs advises).
func (s *Server) OptOuts() []*textus.OptOut {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*textus.OptOut
	for _, o := range s.optOutOrder {
		if !o.active {
			continue
		}
		var to textus.OptOut
		if err := remarshal(s.wireOptOut(o), &to); err != nil {
			to = textus.OptOut{ID: "/textus/opt_outs/" + o.phone, PhoneNumber: o.phone}
		}
		out = append(out, &to)
	}
	return out
}

// Webhooks returns the webhook subscriptions (integrations), oldest first,
// secrets included.
func (s *Server) Webhooks() []*textus.Webhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*textus.Webhook, 0, len(s.integOrder))
	for _, in := range s.integOrder {
		var w textus.Webhook
		if err := remarshal(s.wireIntegration(in), &w); err != nil {
			w = textus.Webhook{ID: "/integrations/" + in.slug, URL: in.baseURL, Secret: in.secret, Active: in.active}
		}
		out = append(out, &w)
	}
	return out
}

// Deliveries returns every webhook delivery so far, in the order the events
// happened, with their attempts. Call WaitIdle first to see final outcomes.
func (s *Server) Deliveries() []Delivery { return s.hooks.deliveries() }

// toSDKMessage decodes the wire form with the SDK's own decoder.
func toSDKMessage(w *wireMessage) *textus.Message {
	var m textus.Message
	if err := remarshal(w, &m); err != nil {
		return &textus.Message{ID: w.ID, Body: w.Body, Conversation: w.Conversation,
			Direction: textus.Direction(w.Direction), DeliveryState: textus.DeliveryState(w.DeliveryState)}
	}
	return &m
}

func remarshal(in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// addContactLocked stores a new contact with the given phones.
func (s *Server) addContactLocked(name string, phones []*contactPhone, data map[string]any) *contact {
	c := &contact{slug: s.newSlug(), name: name, data: data, createdAt: now(), seq: s.nextSeq()}
	if c.data == nil {
		c.data = map[string]any{}
	}
	s.setPhonesLocked(c, phones)
	s.contacts[c.slug] = c
	s.contactOrder = append(s.contactOrder, c)
	return c
}

func (s *Server) setPhonesLocked(c *contact, phones []*contactPhone) {
	c.phones = c.phones[:0:0]
	for _, p := range phones {
		p.slug = s.newSlug()
		p.contact = c
		if p.typ == "" {
			p.typ = "Mobile"
		}
		p.stored = s.storedPhone(p)
		c.phones = append(c.phones, p)
	}
}

// storedPhone is the form in which the server keeps p (WithPhoneForm).
func (s *Server) storedPhone(p *contactPhone) string {
	switch s.cfg.phoneForm {
	case PhoneFormNational:
		return phone.National(p.e164)
	case PhoneFormDisplay:
		return phone.Display(p.e164)
	case PhoneFormAsTyped:
		if p.stored != "" {
			return p.stored
		}
	}
	return p.e164
}

// conversationLocked finds the conversation with phone. A conversation
// exists once a message has been exchanged with the number or a contact
// has it; otherwise it is made only when create is set.
func (s *Server) conversationLocked(phone string, create bool) *conversation {
	if cv := s.convByPhone[phone]; cv != nil {
		return cv
	}
	if !create && len(s.contactsWithPhone(phone)) == 0 {
		return nil
	}
	cv := &conversation{slug: s.newSlug(), phone: phone, createdAt: now(), read: true, seq: s.nextSeq()}
	s.convs[cv.slug] = cv
	s.convByPhone[phone] = cv
	s.convOrder = append(s.convOrder, cv)
	return cv
}

// sortedConversations returns the conversations with at least one message,
// most recent activity first.
func (s *Server) sortedConversations() []*conversation {
	var out []*conversation
	for _, cv := range s.convOrder {
		if len(cv.messages) > 0 {
			out = append(out, cv)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].latest(), out[j].latest()
		if !a.createdAt.Equal(b.createdAt) {
			return a.createdAt.After(b.createdAt)
		}
		return a.seq > b.seq
	})
	return out
}
