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
