package textustest

import (
	"strings"
	"time"
)

// The fake's records. All of them are guarded by Server.mu.

type contact struct {
	slug      string
	name      string
	phones    []*contactPhone
	data      map[string]any
	notes     []*note // oldest first
	createdAt time.Time
	seq       int
}

type contactPhone struct {
	slug      string
	e164      string
	stored    string // the number as the server keeps and returns it (WithPhoneForm)
	extension string
	typ       string
	contact   *contact
}

type conversation struct {
	slug      string
	phone     string
	createdAt time.Time
	messages  []*message // oldest first
	read      bool
	seq       int
	closed    bool
	starred   bool     // by the token's user
	assigned  bool     // to the token's user
	contact   *contact // assigned with assign_contact; nil: the number's only contact, if one
	changedAt time.Time
}

// modifiedAt is when the conversation last changed: a message, or an
// action on it (what batch actions' modified_before compares with).
func (cv *conversation) modifiedAt() time.Time {
	t := cv.createdAt
	if m := cv.latest(); m != nil && m.createdAt.After(t) {
		t = m.createdAt
	}
	if cv.changedAt.After(t) {
		t = cv.changedAt
	}
	return t
}

type message struct {
	slug        string
	conv        *conversation
	direction   string // "in" or "out"
	body        string
	state       string
	flags       []string
	createdAt   time.Time
	scheduledAt time.Time
	latestAt    time.Time
	seq         int
}

// phoneCall is a call with a conversation's number. The fake does not place
// calls; SampleDelivery makes one for phone_call.completed.
type phoneCall struct {
	slug      string
	conv      *conversation
	direction string // "in" or "out"
	status    string
	duration  time.Duration
	createdAt time.Time
}

type optOut struct {
	phone     string
	createdAt time.Time
	via       string
	active    bool
	updatedAt time.Time
}

type integration struct {
	slug         string
	active       bool
	baseURL      string
	secret       string
	clientSecret string
	actions      map[string]bool
	healthy      bool
	createdAt    time.Time
}

func (c *contact) firstLast() (first, last string) {
	f := strings.Fields(c.name)
	switch len(f) {
	case 0:
		return "", ""
	case 1:
		return f[0], ""
	}
	return f[0], strings.Join(f[1:], " ")
}

func (c *contact) iri() string { return "/contacts/" + c.slug }

func (cv *conversation) iri() string { return "/conversations/" + cv.slug }

func (m *message) iri() string { return "/messages/" + m.slug }

func (pc *phoneCall) iri() string { return "/phone_calls/" + pc.slug }

func (cv *conversation) latest() *message {
	if len(cv.messages) == 0 {
		return nil
	}
	return cv.messages[len(cv.messages)-1]
}

func (cv *conversation) unanswered() bool {
	m := cv.latest()
	return m != nil && m.direction == "in"
}

// optOutKeywords and optInKeywords are matched against the whole message
// body, trimmed and case-insensitively.
var (
	optOutKeywords = map[string]bool{
		"STOP": true, "STOPALL": true, "UNSUBSCRIBE": true, "CANCEL": true,
		"END": true, "QUIT": true, "REVOKE": true, "OPTOUT": true, "OPT OUT": true,
	}
	optInKeywords = map[string]bool{"START": true, "UNSTOP": true}
)

func keyword(body string) string {
	return strings.ToUpper(strings.Join(strings.Fields(body), " "))
}

// The records of the endpoints beyond contacts, messages, opt-outs and
// webhooks: notes, custom data, users and their saved replies, campaigns
// and the account tree. All of them are guarded by Server.mu.

type note struct {
	slug      string
	content   string
	createdAt time.Time
	contact   *contact
	user      *user
}

func (n *note) iri() string { return "/contact_notes/" + n.slug }

// customDatum is one value of a contact's custom data (see
// Server.SetCustomData).
type customDatum struct {
	slug  string
	title string
	typ   string
	value any
}

type user struct {
	slug        string
	name        string
	email       string
	settings    map[string]any
	memberships []*membership
}

func (u *user) iri() string { return "/users/" + u.slug }

type membership struct {
	slug    string
	role    string // "user", "support" or "admin"
	account *fakeAccount
}

type savedReply struct {
	slug        string
	title       string
	content     string
	user        *user
	attachments []map[string]any
}

func (r *savedReply) iri() string { return "/saved_replies/" + r.slug }

type campaign struct {
	slug        string
	title       string
	body        string
	createdAt   time.Time
	scheduledAt time.Time
	scheduled   bool // sent at scheduledAt rather than at once
	user        *user
	account     *fakeAccount
	recipients  int // distinct contact phones asked for
	sent        int // messages made
	optedOut    int // recipients skipped as opted out
	excluded    int // recipients skipped by exclusion_time
	exclusion   int // minutes
	autoAssign  bool
}

func (c *campaign) iri() string { return "/campaigns/" + c.slug }

// fakeAccount is an account of the fake's tree: the server's own account
// (the top of the tree) and its one child.
type fakeAccount struct {
	slug     string
	name     string
	phone    string // E.164
	parent   *fakeAccount
	settings map[string]map[string]any
}

func (a *fakeAccount) iri() string { return "/accounts/" + a.slug }

// apiState holds those records.
type apiState struct {
	accounts     []*fakeAccount // the server's account first, then its child
	me           *user          // the token's user; its slug is Server.userSlug
	users        []*user        // every user, me first
	notes        map[string]*note
	savedReplies map[string]*savedReply
	replyOrder   []*savedReply
	campaigns    []*campaign
	// campaignSends holds, per number, when campaign messages were (or are
	// to be) sent to it: what exclusion_time looks back at.
	campaignSends map[string][]time.Time
	// custom is the custom data of each contact, by contact slug, in the
	// order its fields were first set.
	custom map[string][]*customDatum
}

// agentSlug is the slug of the fake's second user, a fixed fixture so that
// it does not take a slug from the seeded sequence.
const agentSlug = "AgntUsr"

// resetAPIState makes the fixtures: the account tree (the server's account
// and one child) and two users, the token's user (an admin of the top
// account) and an agent (a user of the child account). It draws nothing
// from the seeded slug sequence. The caller holds s.mu or has not shared s.
func (s *Server) resetAPIState() {
	top := &fakeAccount{slug: s.cfg.account, name: s.cfg.accountName, phone: s.cfg.phone, settings: map[string]map[string]any{}}
	child := &fakeAccount{slug: s.cfg.account + "_child", name: s.cfg.accountName + " Child", phone: childPhone(s.cfg.phone),
		parent: top, settings: map[string]map[string]any{}}
	me := &user{slug: s.userSlug, name: "Test User", email: "test.user@example.com", settings: map[string]any{"customSettings": map[string]any{}}}
	me.memberships = []*membership{{slug: "MbrTop1", role: "admin", account: top}}
	agent := &user{slug: agentSlug, name: "Alex Agent", email: "alex.agent@example.com", settings: map[string]any{"customSettings": map[string]any{}}}
	agent.memberships = []*membership{{slug: "MbrChl1", role: "user", account: child}}
	s.usedIDs[agentSlug] = true
	s.api = apiState{
		accounts:      []*fakeAccount{top, child},
		me:            me,
		users:         []*user{me, agent},
		notes:         make(map[string]*note),
		savedReplies:  make(map[string]*savedReply),
		campaignSends: make(map[string][]time.Time),
		custom:        make(map[string][]*customDatum),
	}
}

// childPhone is the child account's number: the server's number plus one.
func childPhone(e164 string) string {
	b := []byte(e164)
	for i := len(b) - 1; i > 0; i-- {
		if b[i] < '9' {
			b[i]++
			return string(b)
		}
		b[i] = '0'
	}
	return e164
}

// meLocked returns the token's user, whose slug is the server's.
func (s *Server) meLocked() *user {
	s.api.me.slug = s.userSlug
	return s.api.me
}

// userLocked finds a user by slug.
func (s *Server) userLocked(slug string) *user {
	s.meLocked()
	for _, u := range s.api.users {
		if u.slug == slug {
			return u
		}
	}
	return nil
}

// accountLocked finds an account of the tree by slug or IRI.
func (s *Server) accountLocked(ref string) *fakeAccount {
	slug := strings.TrimPrefix(strings.TrimSpace(ref), "/accounts/")
	for _, a := range s.api.accounts {
		if a.slug == slug {
			return a
		}
	}
	return nil
}

// descendantsLocked returns a and every account below it, a first.
func (s *Server) descendantsLocked(a *fakeAccount) []*fakeAccount {
	out := []*fakeAccount{a}
	for _, b := range s.api.accounts {
		if b.parent == a {
			out = append(out, s.descendantsLocked(b)...)
		}
	}
	return out
}

// ancestors returns a and every account above it, a first.
func ancestors(a *fakeAccount) []*fakeAccount {
	var out []*fakeAccount
	for ; a != nil; a = a.parent {
		out = append(out, a)
	}
	return out
}
