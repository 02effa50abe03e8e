package textustest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/internal/phone"
)

// ControlPrefix is the path under which WithControlEndpoints mounts the
// control API.
const ControlPrefix = "/_textustest"

func (s *Server) routes() []route {
	r := func(method, pattern string, h func(*call) result) route {
		return route{method: method, pattern: splitPath(pattern), handle: h}
	}
	// Paths without an account prefix come first, so that ":account" never
	// captures "contacts", "conversations", ... of a single-resource path.
	rs := []route{
		r(http.MethodGet, "/accounts", s.listAccounts),
		r(http.MethodGet, "/accounts/tree", s.accountTree),
		r(http.MethodGet, "/accounts/:slug", s.getAccount),
		r(http.MethodPatch, "/accounts/:slug", s.patchAccount),
		r(http.MethodGet, "/accounts/:slug/accounts", s.accountDescendants),
		r(http.MethodGet, "/users", s.listUsers),
		r(http.MethodGet, "/users/:id", s.getUser),
		r(http.MethodPut, "/users/:id", s.updateUser),
		r(http.MethodPost, "/users/:id/saved_replies", s.createSavedReply),
		r(http.MethodPut, "/saved_replies/:id", s.updateSavedReply),
		r(http.MethodGet, "/contacts/:id", s.getContact),
		r(http.MethodPut, "/contacts/:id", s.updateContact),
		r(http.MethodGet, "/contacts/:id/conversations", s.contactConversations),
		r(http.MethodGet, "/contacts/:id/notes", s.listNotes),
		r(http.MethodPost, "/contacts/:id/notes", s.createNote),
		r(http.MethodGet, "/contacts/:id/custom_data", s.listCustomData),
		r(http.MethodGet, "/conversations/:id", s.getConversation),
		r(http.MethodGet, "/conversations/:id/timeline", s.timeline),
		r(http.MethodPut, "/conversations/:id/read", s.markRead),
		r(http.MethodDelete, "/conversations/:id/read", s.markUnread),
		r(http.MethodPut, "/conversations/:id/assign_contact", s.assignContact),
		r(http.MethodPut, "/conversations/:id/close", s.closeConversation),
		r(http.MethodPut, "/conversations/:id/reopen", s.reopenConversation),
		r(http.MethodPut, "/conversations/:id/star", s.starConversation),
		r(http.MethodDelete, "/conversations/:id/star", s.unstarConversation),
		r(http.MethodPost, "/messages", s.sendWithoutAccount),
		r(http.MethodGet, "/messages/:id", s.getMessage),
		r(http.MethodPut, "/integrations/:id", s.updateIntegration),
	}
	if s.cfg.control {
		rs = append(rs,
			r(http.MethodPost, ControlPrefix+"/receive", s.controlReceive),
			r(http.MethodGet, ControlPrefix+"/sent", s.controlSent),
			r(http.MethodPut, ControlPrefix+"/undeliverable/:phone", s.controlUndeliverable),
			r(http.MethodDelete, ControlPrefix+"/undeliverable/:phone", s.controlDeliverable),
			r(http.MethodGet, ControlPrefix+"/deliveries", s.controlDeliveries),
			r(http.MethodPost, ControlPrefix+"/redeliver", s.controlRedeliver),
			r(http.MethodPost, ControlPrefix+"/reset", s.controlReset),
		)
	}
	return append(rs,
		r(http.MethodGet, "/:account/contacts", s.listContacts),
		r(http.MethodPost, "/:account/contacts", s.createContact),
		r(http.MethodGet, "/:account/contact_filters/:filter/contacts", s.filterContacts),
		r(http.MethodGet, "/:account/contact_phones", s.searchContactPhones),
		r(http.MethodGet, "/:account/conversations/:phone", s.conversationByPhone),
		r(http.MethodGet, "/:account/conversation_filters", s.listConversationFilters),
		r(http.MethodGet, "/:account/conversation_filters/:filter/conversations", s.filterConversations),
		r(http.MethodPut, "/:account/conversation_filters/:filter/conversations/reopen", s.batchReopen),
		r(http.MethodPut, "/:account/conversation_filters/:filter/conversations/close", s.batchClose),
		r(http.MethodDelete, "/:account/conversation_filters/:filter/conversations/assign", s.batchUnassign),
		r(http.MethodPost, "/:account/campaigns", s.createCampaign),
		r(http.MethodPost, "/:account/messages", s.send),
		r(http.MethodPost, "/:account/messages/schedule", s.schedule),
		r(http.MethodGet, "/:account/opt_outs", s.listOptOuts),
		r(http.MethodGet, "/:account/opt_outs/:phone", s.getOptOut),
		r(http.MethodPut, "/:account/opt_outs/:phone", s.putOptOut),
		r(http.MethodGet, "/:account/integrations", s.listIntegrations),
		r(http.MethodPost, "/:account/integrations", s.createIntegration),
	)
}

// Accounts

// The account handlers are in accounts.go.

// Contacts

type phoneIn struct {
	Number string `json:"number"`
	Type   string `json:"type"`
}

type contactIn struct {
	Name   *string         `json:"name"`
	Phones *[]phoneIn      `json:"phones"`
	Data   json.RawMessage `json:"data"`
}

// parse validates a contact body: 422 for a bad phone or a data value that
// is not an object.
func (in *contactIn) parse() (phones []*contactPhone, data map[string]any, res result, failed bool) {
	if in.Phones != nil {
		for i, p := range *in.Phones {
			pp, err := phone.Parse(p.Number, contactPhoneRules)
			if err != nil {
				return nil, nil, errorResult(http.StatusUnprocessableEntity, "phones[%d].number: %v", i, err), true
			}
			phones = append(phones, &contactPhone{e164: pp.E164, stored: strings.TrimSpace(p.Number), extension: pp.Extension, typ: strings.TrimSpace(p.Type)})
		}
	}
	if raw := bytes.TrimSpace(in.Data); len(raw) > 0 && !bytes.Equal(raw, []byte("null")) {
		if raw[0] != '{' {
			return nil, nil, errorResult(http.StatusUnprocessableEntity, "data: must be an object"), true
		}
		if err := json.Unmarshal(raw, &data); err != nil {
			return nil, nil, errorResult(http.StatusUnprocessableEntity, "data: %v", err), true
		}
	}
	return phones, data, result{}, false
}

func (s *Server) createContact(c *call) result {
	var in contactIn
	if res, failed := c.decode(&in); failed {
		return res
	}
	phones, data, res, failed := in.parse()
	if failed {
		return res
	}
	name := ""
	if in.Name != nil {
		name = strings.TrimSpace(*in.Name)
	}
	if name == "" && len(phones) == 0 {
		return errorResult(http.StatusUnprocessableEntity, "a contact needs a name or at least one phone number")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ct := s.addContactLocked(name, phones, data)
	s.emitContactCreated(ct)
	// The API answers contact creation with 200, not 201 (see its example).
	return answer(http.StatusOK, s.wireContact(ct))
}

func (s *Server) getContact(c *call) result {
	return getByID(s, c, "contact", func() map[string]*contact { return s.contacts },
		func(v *contact) any { return s.wireContact(v) })
}

func (s *Server) updateContact(c *call) result {
	var in contactIn
	if res, failed := c.decode(&in); failed {
		return res
	}
	phones, data, res, failed := in.parse()
	if failed {
		return res
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ct, res, ok := lookup(s.contacts, c, "contact")
	if !ok {
		return res
	}
	name := ct.name
	if in.Name != nil {
		name = strings.TrimSpace(*in.Name)
	}
	keepPhones := in.Phones == nil
	if name == "" && ((keepPhones && len(ct.phones) == 0) || (!keepPhones && len(phones) == 0)) {
		return errorResult(http.StatusUnprocessableEntity, "a contact needs a name or at least one phone number")
	}
	ct.name = name
	if !keepPhones {
		// Numbers the contact keeps keep their ids.
		old := make(map[string]string, len(ct.phones))
		for _, p := range ct.phones {
			old[p.e164+"x"+p.extension] = p.slug
		}
		s.setPhonesLocked(ct, phones)
		for _, p := range ct.phones {
			if slug, found := old[p.e164+"x"+p.extension]; found {
				p.slug = slug
			}
		}
	}
	if len(bytes.TrimSpace(in.Data)) > 0 {
		if data == nil {
			data = map[string]any{}
		}
		ct.data = data
	}
	return answer(http.StatusOK, s.wireContact(ct))
}

func (s *Server) contactConversations(c *call) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	ct, res, ok := lookup(s.contacts, c, "contact")
	if !ok {
		return res
	}
	var members []any
	seen := map[string]bool{}
	for _, p := range ct.phones {
		if seen[p.e164] {
			continue
		}
		seen[p.e164] = true
		members = append(members, s.wireConversation(s.conversationLocked(p.e164, true), true))
	}
	return c.page("ConversationCollection", members, nil)
}

func (s *Server) listContacts(c *call) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	members := make([]any, 0, len(s.contactOrder))
	for _, ct := range s.contactOrder {
		members = append(members, s.wireContact(ct))
	}
	return c.page("hydra:Collection", members, nil)
}

// matchContact reports whether q matches the contact's name (substring, any
// case) or one of its numbers (the digits of q inside the number's).
func matchContact(ct *contact, q string) bool {
	q = strings.TrimSpace(q)
	if q == "" {
		return true
	}
	if strings.Contains(strings.ToLower(ct.name), strings.ToLower(q)) {
		return true
	}
	for _, p := range ct.phones {
		if matchPhone(p.stored, q) {
			return true
		}
	}
	return false
}

// matchPhone reports whether q, a number or part of one, matches e164:
// its digits appear in e164's, and it has no letters.
func matchPhone(e164, q string) bool {
	d := phone.Digits(q)
	if d == "" || strings.ContainsFunc(q, func(r rune) bool { return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') }) {
		return false
	}
	return strings.Contains(phone.Digits(e164), d)
}

// alphabetical sorts contacts by name, case-insensitively, then by age.
func alphabetical(cs []*contact) {
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := strings.ToLower(cs[i].name), strings.ToLower(cs[j].name)
		if a != b {
			return a < b
		}
		return cs[i].seq < cs[j].seq
	})
}

func (s *Server) filterContacts(c *call) result {
	if f := c.params["filter"]; f != "all" {
		return errorResult(http.StatusNotFound, "contact filter %q not found (the fake knows \"all\")", f)
	}
	q := c.r.URL.Query().Get("q")
	s.mu.Lock()
	defer s.mu.Unlock()
	var found []*contact
	for _, ct := range s.contactOrder {
		if matchContact(ct, q) {
			found = append(found, ct)
		}
	}
	alphabetical(found)
	members := make([]any, 0, len(found))
	for _, ct := range found {
		members = append(members, s.wireContact(ct))
	}
	return c.page("hydra:Collection", members, nil)
}

func (s *Server) searchContactPhones(c *call) result {
	q := strings.TrimSpace(c.r.URL.Query().Get("q"))
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := append([]*contact(nil), s.contactOrder...)
	alphabetical(cs)
	var members []any
	for _, ct := range cs {
		nameHit := q == "" || strings.Contains(strings.ToLower(ct.name), strings.ToLower(q))
		for _, p := range ct.phones {
			if nameHit || matchPhone(p.stored, q) {
				members = append(members, s.wirePhone(p, true))
			}
		}
	}
	return c.page("hydra:Collection", members, nil)
}

// Conversations

func (s *Server) getConversation(c *call) result {
	return getByID(s, c, "conversation", func() map[string]*conversation { return s.convs },
		func(v *conversation) any { return s.wireConversation(v, false) })
}

func (s *Server) conversationByPhone(c *call) result {
	raw := c.params["phone"]
	if strings.HasPrefix(raw, " ") {
		raw = "+" + strings.TrimSpace(raw) // a "+" decoded as a space on the way
	}
	phone, err := parseE164(raw)
	if err != nil {
		return errorResult(http.StatusNotFound, "no conversation with %q: %v", c.params["phone"], err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cv := s.conversationLocked(phone, false)
	if cv == nil {
		return errorResult(http.StatusNotFound, "no conversation with %s: no message was exchanged with it and no contact has it", phone)
	}
	return answer(http.StatusOK, s.wireConversation(cv, false))
}

func (s *Server) timeline(c *call) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	cv, res, ok := lookup(s.convs, c, "conversation")
	if !ok {
		return res
	}
	members := make([]any, 0, len(cv.messages))
	for i := len(cv.messages) - 1; i >= 0; i-- {
		members = append(members, s.wireMessage(cv.messages[i]))
	}
	return c.page("Timeline", members, func(w *wireCollection) {
		if m := cv.latest(); m != nil {
			w.LatestPosition = tsPtr(m.createdAt)
		}
	})
}

func (s *Server) markRead(c *call) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	cv, res, ok := lookup(s.convs, c, "conversation")
	if !ok {
		return res
	}
	cv.read = true
	return answer(http.StatusOK, s.wireConversation(cv, false))
}

// conversationFilter is one of the fake's conversation filters.
type conversationFilter struct {
	slug, title string
	keep        func(*conversation) bool
}

// conversationFilters are the fake's filters, in the order the index
// lists them. "you" and "assigned" both hold the conversations assigned to
// the token's user, the only user who assigns in the fake.
var conversationFilters = []conversationFilter{
	{"all", "All Conversations", func(*conversation) bool { return true }},
	{"active", "Active", func(cv *conversation) bool { return !cv.closed }},
	{"open", "Open", func(cv *conversation) bool { return !cv.closed }},
	{"closed", "Closed", func(cv *conversation) bool { return cv.closed }},
	{"unread", "Unread", func(cv *conversation) bool { return !cv.read }},
	{"unanswered", "Unanswered", func(cv *conversation) bool { return cv.unanswered() }},
	{"starred", "Starred", func(cv *conversation) bool { return cv.starred }},
	{"you", "Assigned to Me", func(cv *conversation) bool { return cv.assigned }},
	{"assigned", "Assigned", func(cv *conversation) bool { return cv.assigned }},
}

// findConversationFilter returns the filter named slug, or nil.
func findConversationFilter(slug string) *conversationFilter {
	for i := range conversationFilters {
		if conversationFilters[i].slug == slug {
			return &conversationFilters[i]
		}
	}
	return nil
}

func (s *Server) filterConversations(c *call) result {
	f := findConversationFilter(c.params["filter"])
	if f == nil {
		return errorResult(http.StatusNotFound, "conversation filter %q not found", c.params["filter"])
	}
	keep := f.keep
	q := strings.TrimSpace(c.r.URL.Query().Get("q"))
	s.mu.Lock()
	defer s.mu.Unlock()
	var members []any
	for _, cv := range s.sortedConversations() {
		if !keep(cv) {
			continue
		}
		if q != "" && !matchPhone(cv.phone, q) {
			hit := false
			for _, ct := range s.contactsWithPhone(cv.phone) {
				if strings.Contains(strings.ToLower(ct.name), strings.ToLower(q)) {
					hit = true
					break
				}
			}
			if !hit {
				continue
			}
		}
		members = append(members, s.wireConversation(cv, false))
	}
	return c.page("ConversationCollection", members, nil)
}

// Messages

type sendIn struct {
	To          json.RawMessage `json:"to"`
	Body        *string         `json:"body"`
	SavedReply  string          `json:"saved_reply"`
	From        string          `json:"from"`
	Email       string          `json:"email"`
	ScheduledAt string          `json:"scheduled_at"`
}

type sendMode int

const (
	sendAccount sendMode = iota
	sendNoAccount
	sendScheduled
)

func (s *Server) send(c *call) result               { return s.doSend(c, sendAccount) }
func (s *Server) sendWithoutAccount(c *call) result { return s.doSend(c, sendNoAccount) }
func (s *Server) schedule(c *call) result           { return s.doSend(c, sendScheduled) }

// recipients reads "to": one number or a list of them.
func recipients(raw json.RawMessage) ([]string, result, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, errorResult(http.StatusUnprocessableEntity, "to: is required"), true
	}
	var list []string
	switch raw[0] {
	case '"':
		var one string
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, errorResult(http.StatusUnprocessableEntity, "to: %v", err), true
		}
		list = []string{one}
	case '[':
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, errorResult(http.StatusUnprocessableEntity, "to: must be a phone number or a list of phone numbers"), true
		}
		if len(list) == 0 {
			return nil, errorResult(http.StatusUnprocessableEntity, "to: the list of recipients is empty"), true
		}
	default:
		return nil, errorResult(http.StatusUnprocessableEntity, "to: must be a phone number or a list of phone numbers"), true
	}
	var out []string
	seen := map[string]bool{}
	for _, r := range list {
		p, err := parseE164(r)
		if err != nil {
			return nil, errorResult(http.StatusUnprocessableEntity, "to: %v", err), true
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out, result{}, false
}

func (s *Server) doSend(c *call, mode sendMode) result {
	var in sendIn
	if res, failed := c.decode(&in); failed {
		return res
	}
	to, res, failed := recipients(in.To)
	if failed {
		return res
	}
	body := ""
	if in.Body != nil {
		body = *in.Body
	}
	if in.SavedReply != "" {
		s.mu.Lock()
		r := s.savedReplyLocked(in.SavedReply)
		if r != nil && strings.TrimSpace(body) == "" {
			body = r.content
		}
		s.mu.Unlock()
		if r == nil {
			return errorResult(http.StatusUnprocessableEntity, "saved_reply: %q is not a saved reply IRI of this server", in.SavedReply)
		}
	}
	if strings.TrimSpace(body) == "" {
		return errorResult(http.StatusUnprocessableEntity, "body: can't be blank")
	}
	if in.From != "" {
		from, err := parseE164(in.From)
		if err != nil {
			return errorResult(http.StatusUnprocessableEntity, "from: %v", err)
		}
		if from != s.cfg.phone {
			return errorResult(http.StatusUnprocessableEntity, "from: %s is not the number of any of your messaging accounts", from)
		}
	}
	if mode == sendNoAccount && in.From == "" && strings.TrimSpace(in.Email) == "" {
		return errorResult(http.StatusUnprocessableEntity, "from or email is required when sending without an account")
	}
	var scheduledAt time.Time
	if mode == sendScheduled {
		if in.ScheduledAt == "" {
			return errorResult(http.StatusUnprocessableEntity, "scheduled_at: is required")
		}
		t, err := time.Parse(time.RFC3339Nano, in.ScheduledAt)
		if err != nil {
			return errorResult(http.StatusUnprocessableEntity, "scheduled_at: %q is not an RFC 3339 time", in.ScheduledAt)
		}
		if !t.After(time.Now()) {
			return errorResult(http.StatusUnprocessableEntity, "scheduled_at: %s is not in the future", in.ScheduledAt)
		}
		scheduledAt = t.UTC()
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, p := range to {
		if s.optedOut(p) {
			out = append(out, p)
		}
	}
	switch {
	case len(out) == 1:
		return errorResult(http.StatusUnprocessableEntity, "%s has opted out of messages", out[0])
	case len(out) > 1:
		return errorResult(http.StatusUnprocessableEntity, "%s have opted out of messages", strings.Join(out, ", "))
	}

	var first *wireMessage
	var queued []*message
	for _, p := range to {
		cv := s.conversationLocked(p, true)
		t := now()
		m := &message{
			slug: s.newSlug(), conv: cv, direction: "out", body: body, state: "queued",
			flags: []string{}, createdAt: t, latestAt: t, seq: s.nextSeq(),
		}
		if mode == sendScheduled {
			m.state, m.flags, m.scheduledAt = "scheduled", []string{"scheduled"}, scheduledAt
		} else {
			cv.messages = append(cv.messages, m)
			cv.read = true
			queued = append(queued, m)
		}
		s.messages[m.slug] = m
		s.sent = append(s.sent, m)
		if first == nil {
			first = s.wireMessage(m)
		}
	}
	for _, m := range queued {
		s.scheduleSettleLocked(m)
	}
	if len(to) > 1 {
		return result{status: http.StatusAccepted}
	}
	return answer(http.StatusCreated, first)
}

func (s *Server) getMessage(c *call) result {
	return getByID(s, c, "message", func() map[string]*message { return s.messages },
		func(v *message) any { return s.wireMessage(v) })
}

// Opt-outs

func (s *Server) listOptOuts(c *call) result {
	query := c.r.URL.Query()
	q, hasQ := strings.TrimSpace(query.Get("q")), query.Has("q")
	if hasQ && len(q) < 3 {
		return errorResult(http.StatusUnprocessableEntity, "q: must be at least 3 characters")
	}
	var exact map[string]bool
	for _, v := range append(query["exact[]"], query["exact"]...) {
		p, err := parseE164(v)
		if err != nil {
			return errorResult(http.StatusUnprocessableEntity, "exact[]: %v", err)
		}
		if exact == nil {
			exact = map[string]bool{}
		}
		exact[p] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var members []any
	for _, o := range s.optOutOrder {
		if !o.active || (hasQ && !matchPhone(o.phone, q)) || (exact != nil && !exact[o.phone]) {
			continue
		}
		members = append(members, s.wireOptOut(o))
	}
	return c.page("hydra:Collection", members, nil)
}

func (s *Server) getOptOut(c *call) result {
	phone, err := parseE164(c.params["phone"])
	if err != nil {
		return errorResult(http.StatusNotFound, "no opt-out for %q: %v", c.params["phone"], err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.optedOut(phone) {
		return errorResult(http.StatusNotFound, "%s has not opted out", phone)
	}
	return answer(http.StatusOK, s.wireOptOut(s.optOuts[phone]))
}

func (s *Server) putOptOut(c *call) result {
	phone, err := parseE164(c.params["phone"])
	if err != nil {
		return errorResult(http.StatusUnprocessableEntity, "phone number: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.optedOut(phone) {
		return answer(http.StatusOK, s.wireOptOut(s.optOuts[phone]))
	}
	return answer(http.StatusCreated, s.wireOptOut(s.optOutLocked(phone, "User")))
}

// Integrations (webhook subscriptions)

type integrationIn struct {
	Provider *string `json:"provider"`
	Active   *bool   `json:"active"`
	Config   *struct {
		BaseURL      *string `json:"baseUrl"`
		ClientSecret *string `json:"clientSecret"`
	} `json:"config"`
	Settings *struct {
		Actions map[string]bool `json:"actions"`
	} `json:"settings"`
}

func checkWebhookURL(raw string) (string, result, bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errorResult(http.StatusUnprocessableEntity, "config.baseUrl: %q is not an absolute http(s) URL", raw), true
	}
	return u.String(), result{}, false
}

func checkActions(in map[string]bool) (map[string]bool, result, bool) {
	known := map[textus.EventType]bool{}
	for _, e := range textus.AllEvents() {
		known[e] = true
	}
	out := make(map[string]bool, len(in))
	for name, on := range in {
		e := textus.NormalizeEventType(name)
		if !known[e] {
			return nil, errorResult(http.StatusUnprocessableEntity, "settings.actions: unknown action %q", name), true
		}
		out[string(e)] = on
	}
	return out, result{}, false
}

func (s *Server) createIntegration(c *call) result {
	var in integrationIn
	if res, failed := c.decode(&in); failed {
		return res
	}
	if in.Provider == nil || *in.Provider != "webhook" {
		return errorResult(http.StatusUnprocessableEntity, "provider: must be \"webhook\"")
	}
	if in.Config == nil || in.Config.BaseURL == nil {
		return errorResult(http.StatusUnprocessableEntity, "config.baseUrl: is required")
	}
	base, res, failed := checkWebhookURL(*in.Config.BaseURL)
	if failed {
		return res
	}
	actions := map[string]bool{}
	if in.Settings != nil {
		if actions, res, failed = checkActions(in.Settings.Actions); failed {
			return res
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ig := &integration{
		slug:      s.newSlug(),
		active:    in.Active == nil || *in.Active,
		baseURL:   base,
		secret:    newWebhookSecret(),
		actions:   actions,
		healthy:   true,
		createdAt: now(),
	}
	if in.Config.ClientSecret != nil {
		ig.clientSecret = *in.Config.ClientSecret
	}
	s.integrations[ig.slug] = ig
	s.integOrder = append(s.integOrder, ig)
	return answer(http.StatusCreated, s.wireIntegration(ig))
}

func (s *Server) updateIntegration(c *call) result {
	var in integrationIn
	if res, failed := c.decode(&in); failed {
		return res
	}
	if in.Provider != nil && *in.Provider != "webhook" {
		return errorResult(http.StatusUnprocessableEntity, "provider: must be \"webhook\"")
	}
	var base string
	if in.Config != nil && in.Config.BaseURL != nil {
		var res result
		var failed bool
		if base, res, failed = checkWebhookURL(*in.Config.BaseURL); failed {
			return res
		}
	}
	var actions map[string]bool
	if in.Settings != nil {
		var res result
		var failed bool
		if actions, res, failed = checkActions(in.Settings.Actions); failed {
			return res
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ig, res, ok := lookup(s.integrations, c, "integration")
	if !ok {
		return res
	}
	if base != "" {
		ig.baseURL = base
	}
	if in.Config != nil && in.Config.ClientSecret != nil {
		ig.clientSecret = *in.Config.ClientSecret
	}
	if in.Active != nil {
		ig.active = *in.Active
	}
	for k, v := range actions {
		ig.actions[k] = v
	}
	return answer(http.StatusOK, s.wireIntegration(ig))
}

func (s *Server) listIntegrations(c *call) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	members := make([]any, 0, len(s.integOrder))
	for _, ig := range s.integOrder {
		members = append(members, s.wireIntegration(ig))
	}
	return c.page("hydra:Collection", members, nil)
}

// newWebhookSecret makes a secret of the documented form
// ("textus-HOTh4kXxHIbYst0xutpkdw"): the prefix and 16 random bytes.
func newWebhookSecret() string {
	return "textus-" + base64.RawURLEncoding.EncodeToString(randomBytes(16))
}

// Control API (WithControlEndpoints)

type controlReceiveIn struct {
	From string `json:"from"`
	Body string `json:"body"`
}

func (s *Server) controlReceive(c *call) result {
	var in controlReceiveIn
	if res, failed := c.decode(&in); failed {
		return res
	}
	phone, err := parseE164(in.From)
	if err != nil {
		return errorResult(http.StatusUnprocessableEntity, "from: %v", err)
	}
	if in.Body == "" {
		return errorResult(http.StatusUnprocessableEntity, "body: can't be blank")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return answer(http.StatusCreated, s.wireMessage(s.receiveLocked(phone, in.Body)))
}

func (s *Server) controlSent(c *call) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	members := make([]any, 0, len(s.sent))
	for _, m := range s.sent {
		members = append(members, s.wireMessage(m))
	}
	return c.page("hydra:Collection", members, nil)
}

func (s *Server) controlUndeliverable(c *call) result {
	if err := s.SetUndeliverable(c.params["phone"]); err != nil {
		return errorResult(http.StatusUnprocessableEntity, "phone number: %v", err)
	}
	return result{status: http.StatusNoContent}
}

func (s *Server) controlDeliverable(c *call) result {
	if err := s.SetDeliverable(c.params["phone"]); err != nil {
		return errorResult(http.StatusUnprocessableEntity, "phone number: %v", err)
	}
	return result{status: http.StatusNoContent}
}

// controlRedeliver is POST /_textustest/redeliver {"id": "<delivery id>"}:
// Redeliver.
func (s *Server) controlRedeliver(c *call) result {
	var in struct {
		ID string `json:"id"`
	}
	if res, failed := c.decode(&in); failed {
		return res
	}
	switch err := s.Redeliver(in.ID); {
	case err == nil:
		return result{status: http.StatusAccepted}
	case errors.Is(err, errNoSuchDelivery):
		return errorResult(http.StatusNotFound, "%v", err)
	case errors.Is(err, errDeliveryUnderway):
		return errorResult(http.StatusConflict, "%v", err)
	default:
		return errorResult(http.StatusServiceUnavailable, "%v", err)
	}
}

func (s *Server) controlReset(*call) result {
	s.Reset()
	return result{status: http.StatusNoContent}
}

type wireControlDelivery struct {
	ID        string               `json:"id"`
	Webhook   string               `json:"webHook"`
	URL       string               `json:"url"`
	Action    string               `json:"action"`
	Attempts  int                  `json:"attempts"`
	Statuses  []int                `json:"statuses"`
	Delivered bool                 `json:"delivered"`
	Done      bool                 `json:"done"`
	Series    int                  `json:"series"`
	Log       []wireControlAttempt `json:"log"`
}

// wireControlAttempt is one DeliveryAttempt in the control API.
type wireControlAttempt struct {
	Series          int     `json:"series"`
	Time            string  `json:"time"`
	LatencySeconds  float64 `json:"latencySeconds"`
	Status          int     `json:"status"`
	Answer          string  `json:"answer"`
	AnswerTruncated bool    `json:"answerTruncated"`
	Error           string  `json:"error,omitempty"`
}

func (s *Server) controlDeliveries(c *call) result {
	var members []any
	for _, d := range s.Deliveries() {
		w := wireControlDelivery{
			ID: d.ID, Webhook: d.Webhook, URL: d.URL, Action: string(d.Action),
			Attempts: d.Attempts, Statuses: append([]int{}, d.Statuses...), Delivered: d.Delivered, Done: d.Done,
			Series: d.Series, Log: []wireControlAttempt{},
		}
		for _, a := range d.Log {
			w.Log = append(w.Log, wireControlAttempt{
				Series: a.Series, Time: ts(a.Time), LatencySeconds: a.Latency.Seconds(), Status: a.Status,
				Answer: a.Answer, AnswerTruncated: a.AnswerTruncated, Error: a.Error,
			})
		}
		members = append(members, w)
	}
	return c.page("hydra:Collection", members, nil)
}

// lookup returns the resource of m named by the path's id, or a 404 result
// naming its kind. The caller holds s.mu.
func lookup[T any](m map[string]*T, c *call, kind string) (*T, result, bool) {
	v := m[c.params["id"]]
	if v == nil {
		return nil, errorResult(http.StatusNotFound, "%s %q not found", kind, c.params["id"]), false
	}
	return v, result{}, true
}

// getByID answers a GET of a resource addressed by id: its wire form, or a
// 404 naming its kind. table is read under s.mu.
func getByID[T any](s *Server, c *call, kind string, table func() map[string]*T, wire func(*T) any) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, res, ok := lookup(table(), c, kind)
	if !ok {
		return res
	}
	return answer(http.StatusOK, wire(v))
}
