package textustest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/textus-go/textus/internal/phone"
)

// The sandbox's pages. Each handler copies what it shows out of the
// server's state under s.mu into a view, then renders it after releasing
// the lock. Views hold plain strings: html/template escapes all of them,
// and none holds the API token or a webhook secret.

// maxListed bounds every list the sandbox renders, so that a page stays
// small (and its live re-rendering cheap) after a load test: the newest
// entries are listed, and the page says how many are left out.
const maxListed = 200

// pageView is what every template gets.
type pageView struct {
	Title string
	// Nav is the navigation entry of the page: "conversations",
	// "contacts", "optouts" or "deliveries".
	Nav          string
	Base         string
	CSRF         string
	Account      string
	AccountPhone string
	Query        string
	Error        string

	Conversations []convView
	Thread        *threadView
	Contacts      []contactView
	OptOuts       []optOutView
	Webhooks      []webhookView
	Deliveries    []deliveryView

	// ConvHidden counts the older conversations not listed, and Hidden
	// the entries of the page's own list left out (see maxListed).
	ConvHidden int
	Hidden     int
}

type timeView struct {
	ISO  string // for the datetime attribute
	Text string // local time, for people
}

func timeOf(t time.Time) timeView {
	if t.IsZero() {
		return timeView{}
	}
	lt := t.Local()
	text := lt.Format("15:04:05")
	if y, m, d := time.Now().Local().Date(); lt.Year() != y || lt.Month() != m || lt.Day() != d {
		text = lt.Format("Jan 2, 15:04:05")
	}
	return timeView{ISO: t.UTC().Format(time.RFC3339Nano), Text: text}
}

// convView is one conversation in the list.
type convView struct {
	URL, Phone, Display, Name string
	Snippet                   string
	Outbound                  bool
	Time                      timeView
	Unread                    bool
	OptedOut, Undeliverable   bool
	Selected                  bool
}

// threadView is the conversation page.
type threadView struct {
	Phone, Display, Name    string
	Messages                []messageView
	EarlierHidden           int // older messages left out (see maxListed)
	OptedOut, Undeliverable bool
	// OptOutRecord is set when the number has an opt-out record, active
	// or not.
	OptOutRecord bool
}

type messageView struct {
	ID    string
	In    bool
	Body  string
	Time  timeView
	State string
}

type contactView struct {
	Name    string
	Created timeView
	Phones  []contactPhoneView
}

type contactPhoneView struct {
	URL, Display, E164, Type string
	OptedOut                 bool
}

type optOutView struct {
	URL, Phone, Display string
	Active              bool
	Via                 string
	Since               timeView
}

type webhookView struct {
	ID, URL         string
	Events          []string
	Active, Healthy bool
}

type deliveryView struct {
	Key       int // stable position in the log, for element ids
	ID        string
	Action    string
	URL       string
	Phone     string
	Signature string
	Body      string
	State     string // "pending", "delivered" or "failed"
	Done      bool
	Attempts  []attemptView
}

type attemptView struct {
	N, Series  int
	Time       timeView
	Status     string
	OK         bool
	Latency    string
	Answer     string
	Error      string
	Redelivery int // 0 for the first series, n for the n-th Redeliver
}

// conversations lists the conversations with messages, most recent first.
// The caller holds s.mu.
func (u *sandbox) conversationsLocked(selected string) ([]convView, int) {
	s := u.s
	var out []convView
	all := s.sortedConversations()
	hidden := max(0, len(all)-maxListed)
	for _, cv := range all[:len(all)-hidden] {
		last := cv.latest()
		out = append(out, convView{
			URL:           threadURL(cv.phone),
			Phone:         cv.phone,
			Display:       phone.Display(cv.phone),
			Name:          s.contactNameLocked(cv.phone),
			Snippet:       snippet(last.body, 90),
			Outbound:      last.direction == "out",
			Time:          timeOf(last.createdAt),
			Unread:        !cv.read,
			OptedOut:      s.optedOut(cv.phone),
			Undeliverable: s.undeliverable[cv.phone],
			Selected:      cv.phone == selected,
		})
	}
	return out, hidden
}

// contactNameLocked is the name of the first named contact with phone.
func (s *Server) contactNameLocked(e164 string) string {
	for _, c := range s.contactsWithPhone(e164) {
		if strings.TrimSpace(c.name) != "" {
			return c.name
		}
	}
	return ""
}

// snippet shortens s to at most n characters, on one line.
func snippet(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func (u *sandbox) conversationsPage(w http.ResponseWriter, _ *http.Request) {
	u.s.mu.Lock()
	v := &pageView{Title: "Conversations", Nav: "conversations"}
	v.Conversations, v.ConvHidden = u.conversationsLocked("")
	u.s.mu.Unlock()
	u.render(w, http.StatusOK, "conversations", v)
}

func (u *sandbox) threadPage(w http.ResponseWriter, _ *http.Request, raw string) {
	e164, err := parseE164(raw)
	if err != nil || raw == "" {
		u.errorPage(w, http.StatusNotFound, "There is no conversation with that number: it is not a phone number the fake accepts.")
		return
	}
	s := u.s
	s.mu.Lock()
	t := &threadView{
		Phone:         e164,
		Display:       phone.Display(e164),
		Name:          s.contactNameLocked(e164),
		OptedOut:      s.optedOut(e164),
		Undeliverable: s.undeliverable[e164],
		OptOutRecord:  s.optOuts[e164] != nil,
	}
	if cv := s.convByPhone[e164]; cv != nil {
		t.EarlierHidden = max(0, len(cv.messages)-maxListed)
		for _, m := range cv.messages[t.EarlierHidden:] {
			t.Messages = append(t.Messages, messageView{
				ID: m.slug, In: m.direction == "in", Body: m.body, Time: timeOf(m.createdAt), State: m.state,
			})
		}
	}
	title := t.Display
	if t.Name != "" {
		title = t.Name
	}
	v := &pageView{Title: title, Nav: "conversations", Thread: t}
	v.Conversations, v.ConvHidden = u.conversationsLocked(e164)
	s.mu.Unlock()
	u.render(w, http.StatusOK, "thread", v)
}

func (u *sandbox) contactsPage(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	s := u.s
	s.mu.Lock()
	cs := make([]*contact, 0, len(s.contactOrder))
	for _, c := range s.contactOrder {
		if matchContact(c, q) {
			cs = append(cs, c)
		}
	}
	alphabetical(cs)
	hidden := max(0, len(cs)-maxListed)
	cs = cs[:len(cs)-hidden]
	out := make([]contactView, 0, len(cs))
	for _, c := range cs {
		cv := contactView{Name: c.name, Created: timeOf(c.createdAt)}
		for _, p := range c.phones {
			cv.Phones = append(cv.Phones, contactPhoneView{
				URL: threadURL(p.e164), Display: phone.Display(p.e164), E164: p.e164, Type: p.typ, OptedOut: s.optedOut(p.e164),
			})
		}
		out = append(out, cv)
	}
	s.mu.Unlock()
	u.render(w, http.StatusOK, "contacts", &pageView{Title: "Contacts", Nav: "contacts", Query: q, Contacts: out, Hidden: hidden})
}

func (u *sandbox) optOutsPage(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	s := u.s
	s.mu.Lock()
	var out []optOutView
	for i := len(s.optOutOrder) - 1; i >= 0; i-- {
		o := s.optOutOrder[i]
		if q != "" && !matchPhone(o.phone, q) && !strings.Contains(strings.ToLower(s.contactNameLocked(o.phone)), strings.ToLower(q)) {
			continue
		}
		out = append(out, optOutView{
			URL: threadURL(o.phone), Phone: o.phone, Display: phone.Display(o.phone),
			Active: o.active, Via: o.via, Since: timeOf(o.updatedAt),
		})
	}
	s.mu.Unlock()
	// Active opt-outs first, each group most recent first.
	sort.SliceStable(out, func(i, j int) bool { return out[i].Active && !out[j].Active })
	hidden := max(0, len(out)-maxListed)
	out = out[:len(out)-hidden]
	u.render(w, http.StatusOK, "optouts", &pageView{Title: "Opt-outs", Nav: "optouts", Query: q, OptOuts: out, Hidden: hidden})
}

func (u *sandbox) deliveriesPage(w http.ResponseWriter, _ *http.Request) {
	s := u.s
	s.mu.Lock()
	hooks := make([]webhookView, 0, len(s.integOrder))
	for _, in := range s.integOrder {
		wv := webhookView{ID: "/integrations/" + in.slug, URL: redactURL(in.baseURL), Active: in.active, Healthy: in.healthy}
		for a, on := range in.actions {
			if on {
				wv.Events = append(wv.Events, a)
			}
		}
		sort.Strings(wv.Events)
		hooks = append(hooks, wv)
	}
	s.mu.Unlock()

	log := s.Deliveries()
	hidden := max(0, len(log)-maxListed)
	out := make([]deliveryView, 0, len(log)-hidden)
	for i := len(log) - 1; i >= hidden; i-- {
		out = append(out, deliveryViewOf(i, &log[i]))
	}
	u.render(w, http.StatusOK, "deliveries", &pageView{Title: "Webhooks", Nav: "deliveries", Webhooks: hooks, Deliveries: out, Hidden: hidden})
}

func deliveryViewOf(key int, d *Delivery) deliveryView {
	v := deliveryView{
		Key: key, ID: d.ID, Action: string(d.Action), URL: redactURL(d.URL), Phone: phoneKey(d.Key),
		Signature: d.Signature, Body: prettyJSON(d.Body), Done: d.Done,
	}
	switch {
	case d.Delivered:
		v.State = "delivered"
	case d.Done:
		v.State = "failed"
	default:
		v.State = "pending"
	}
	for i, a := range d.Log {
		av := attemptView{
			N: i + 1, Series: a.Series, Time: timeOf(a.Time), OK: a.Status >= 200 && a.Status < 300,
			Latency: formatLatency(a.Latency), Answer: a.Answer, Error: a.Error, Redelivery: a.Series - 1,
		}
		if a.Status == 0 {
			av.Status = "no answer"
		} else {
			av.Status = fmt.Sprintf("%d %s", a.Status, http.StatusText(a.Status))
		}
		if a.AnswerTruncated {
			av.Answer += " …"
		}
		v.Attempts = append(v.Attempts, av)
	}
	return v
}

func formatLatency(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < 10*time.Second:
		return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000)
	default:
		return d.Round(time.Millisecond).String()
	}
}

// prettyJSON indents a delivery body for reading.
func prettyJSON(b []byte) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		return string(b)
	}
	return buf.String()
}

// redactURL hides a password in a URL, which may hold a credential.
func redactURL(raw string) string {
	v, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return v.Redacted()
}
