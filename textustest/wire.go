package textustest

import (
	"html"
	"sort"
	"time"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/internal/phone"
)

// Wire shapes, written from the API documentation (textus-api.md). They are
// deliberately independent of the SDK's model types, so that the SDK's
// decoders are exercised against spec-shaped JSON.

const timeLayout = "2006-01-02T15:04:05.000Z07:00"

func ts(t time.Time) string { return t.UTC().Format(timeLayout) }

func tsPtr(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := ts(t)
	return &s
}

type wireCollection struct {
	Type       string    `json:"@type"`
	Context    string    `json:"@context,omitempty"`
	ID         string    `json:"id"`
	TotalItems int       `json:"totalItems"`
	Members    []any     `json:"members"`
	View       *wireView `json:"view,omitempty"`
	// LatestPosition is set on timelines only.
	LatestPosition *string `json:"latestPosition,omitempty"`
}

type wireView struct {
	Type     string  `json:"@type"`
	Context  string  `json:"@context"`
	ID       string  `json:"id"`
	First    string  `json:"first"`
	Next     *string `json:"next"`
	Previous *string `json:"previous"`
}

type wireContactPhone struct {
	Type                 string  `json:"@type"`
	ID                   string  `json:"id"`
	PhoneNumber          string  `json:"phoneNumber"`
	FormattedPhoneNumber string  `json:"formattedPhoneNumber"`
	Extension            *string `json:"extension"`
	PhoneType            string  `json:"type"`
	DeliverabilityStatus string  `json:"deliverabilityStatus"`
	Contact              any     `json:"contact"`
}

type wireContact struct {
	Type          string         `json:"@type"`
	Context       string         `json:"@context,omitempty"`
	ID            string         `json:"id"`
	Name          string         `json:"name"`
	FirstName     string         `json:"firstName"`
	LastName      string         `json:"lastName"`
	Phones        any            `json:"phones"`
	Notes         any            `json:"notes"`
	Data          map[string]any `json:"data"`
	Conversations string         `json:"conversations"`
	CreatedAt     string         `json:"createdAt"`
}

type wireAttachments struct {
	Type       string `json:"@type"`
	ID         string `json:"id"`
	Members    []any  `json:"members"`
	TotalItems int    `json:"totalItems"`
}

type wireMessage struct {
	Type                     string          `json:"@type"`
	Context                  string          `json:"@context,omitempty"`
	ID                       string          `json:"id"`
	Direction                string          `json:"direction"`
	Body                     string          `json:"body"`
	FormattedBody            string          `json:"formattedBody"`
	DisplayTimestamp         string          `json:"displayTimestamp"`
	TimelinePosition         string          `json:"timelinePosition"`
	DeliveryState            string          `json:"deliveryState"`
	FriendlyStateDescription string          `json:"friendlyStateDescription"`
	Conversation             string          `json:"conversation"`
	Sender                   *string         `json:"sender"`
	Attachments              wireAttachments `json:"attachments"`
	RetryAllowed             bool            `json:"retryAllowed"`
	Retry                    *string         `json:"retry"`
	LatestEventAt            string          `json:"latestEventAt"`
	ScheduledAt              *string         `json:"scheduledAt,omitempty"`
	Flags                    []string        `json:"flags"`
	Source                   string          `json:"source"`
	Channel                  string          `json:"channel"`
}

type wireUserInfo struct {
	Type                   string  `json:"@type"`
	ID                     string  `json:"id"`
	Read                   bool    `json:"read"`
	ReadToTimelinePosition *string `json:"readToTimelinePosition"`
	Starred                bool    `json:"starred"`
	Assigned               bool    `json:"assigned"`
}

type wireConversation struct {
	Type                        string       `json:"@type"`
	Context                     string       `json:"@context,omitempty"`
	ID                          string       `json:"id"`
	Slug                        string       `json:"slug"`
	CurrentState                string       `json:"currentState"`
	Account                     any          `json:"account"`
	PhoneNumber                 string       `json:"phoneNumber"`
	FormattedPhoneNumber        string       `json:"formattedPhoneNumber"`
	AccountPhoneNumber          string       `json:"accountPhoneNumber"`
	FormattedAccountPhoneNumber string       `json:"formattedAccountPhoneNumber"`
	RequestingUserInfo          wireUserInfo `json:"requestingUserInfo"`
	AssignedContact             *string      `json:"assignedContact"`
	AssociatedContacts          string       `json:"associatedContacts"`
	LatestPreviewableItem       *wireMessage `json:"latestPreviewableItem"`
	Unanswered                  bool         `json:"unanswered"`
	Unsubscribed                bool         `json:"unsubscribed"`
	Blocked                     bool         `json:"blocked"`
	Timeline                    string       `json:"timeline"`
}

type wireAccountRef struct {
	Type string `json:"@type"`
	ID   string `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug,omitempty"`
}

type wireAccount struct {
	Type                string   `json:"@type"`
	Context             string   `json:"@context,omitempty"`
	ID                  string   `json:"id"`
	Name                string   `json:"name"`
	Slug                string   `json:"slug"`
	AccountType         string   `json:"type"`
	MultiUser           bool     `json:"multiUser"`
	PhoneNumbers        []string `json:"phoneNumbers"`
	ContactsEnabled     bool     `json:"contactsEnabled"`
	MessagingRestricted bool     `json:"messagingRestricted"`
	EffectiveRole       string   `json:"effectiveRole"`
	FamilyCount         int      `json:"familyCount"`
	ChildrenCount       int      `json:"childrenCount"`
	Contacts            string   `json:"contacts"`
	ContactFilters      string   `json:"contactFilters"`
	ContactPhones       string   `json:"contactPhones"`
	Conversations       string   `json:"conversations"`
	ConversationFilters string   `json:"conversationFilters"`
	SendMessages        string   `json:"sendMessages"`
	ScheduleMessages    string   `json:"scheduleMessages"`
}

type wireOptOut struct {
	Type                 string         `json:"@type"`
	Context              string         `json:"@context,omitempty"`
	ID                   string         `json:"id"`
	CreatedAt            string         `json:"createdAt"`
	FormattedPhoneNumber string         `json:"formattedPhoneNumber"`
	User                 *string        `json:"user"`
	CreatedVia           string         `json:"createdVia"`
	OriginatingAccount   wireAccountRef `json:"originatingAccount"`
}

type wireIntegrationConfig struct {
	BaseURL       string `json:"baseUrl"`
	WebhookSecret string `json:"webhookSecret"`
	ClientSecret  string `json:"clientSecret,omitempty"`
}

type wireIntegration struct {
	Type     string                `json:"@type"`
	Context  string                `json:"@context,omitempty"`
	ID       string                `json:"id"`
	Active   bool                  `json:"active"`
	Provider string                `json:"provider"`
	Config   wireIntegrationConfig `json:"config"`
	Settings struct {
		Actions map[string]bool `json:"actions"`
	} `json:"settings"`
	IsHealthy bool    `json:"isHealthy"`
	Ipaas     bool    `json:"ipaas"`
	Category  *string `json:"category"`
}

// Webhook payload shapes (textus-webhooks.md §3).

type wireDelivery struct {
	Type         string            `json:"@type"`
	Context      string            `json:"@context"`
	ID           string            `json:"id"`
	Timestamp    string            `json:"timestamp"`
	Action       string            `json:"action"`
	WebHook      string            `json:"webHook"`
	Conversation *wireConversation `json:"conversation,omitempty"`
	Message      *wireMessage      `json:"message,omitempty"`
	OptOut       *wireHookOptOut   `json:"optOut,omitempty"`
	Contact      *wireContact      `json:"contact,omitempty"`
	PhoneCall    *wirePhoneCall    `json:"phoneCall,omitempty"`
}

// wirePhoneCall is the phoneCall of a phone_call.completed delivery. The
// public docs show neither the key nor the resource (textus-webhooks.md
// §2); SampleDelivery is its only user.
type wirePhoneCall struct {
	Type         string `json:"@type"`
	ID           string `json:"id"`
	Direction    string `json:"direction"`
	Status       string `json:"status"`
	Duration     int    `json:"duration"` // seconds
	From         string `json:"from"`
	To           string `json:"to"`
	Conversation string `json:"conversation"`
	CreatedAt    string `json:"createdAt"`
}

type wireHookOptOut struct {
	Type                 string `json:"@type"`
	ID                   string `json:"id"`
	Kind                 string `json:"type"`
	PhoneNumber          string `json:"phoneNumber"`
	FormattedPhoneNumber string `json:"formattedPhoneNumber"`
	Account              string `json:"account"`
}

// Builders. They read the records, so the caller holds Server.mu.

func (s *Server) accountIRI() string { return "/accounts/" + s.cfg.account }

func (s *Server) wirePhone(p *contactPhone, embedContact bool) wireContactPhone {
	w := wireContactPhone{
		Type:                 "ContactPhone",
		ID:                   "/contact_phones/" + p.slug,
		PhoneNumber:          p.stored,
		FormattedPhoneNumber: phone.Display(p.e164),
		PhoneType:            p.typ,
		DeliverabilityStatus: "unknown",
		Contact:              p.contact.iri(),
	}
	if p.extension != "" {
		ext := p.extension
		w.Extension = &ext
	}
	if embedContact {
		w.Type = "RecipientContactPhone"
		w.Contact = s.wireContactItem(p.contact)
	}
	return w
}

func (s *Server) wireContact(c *contact) *wireContact {
	first, last := c.firstLast()
	phones := make([]any, 0, len(c.phones))
	for _, p := range c.phones {
		phones = append(phones, s.wirePhone(p, false))
	}
	return &wireContact{
		Type:      "Contact",
		Context:   "/contexts/Contact.jsonld",
		ID:        c.iri(),
		Name:      c.name,
		FirstName: first,
		LastName:  last,
		Phones: wireCollection{
			Type: "hydra:Collection", ID: c.iri() + "/phones",
			TotalItems: len(phones), Members: phones,
		},
		Notes: wireCollection{
			Type: "hydra:Collection", ID: c.iri() + "/notes",
			TotalItems: 0, Members: []any{},
		},
		Data:          copyData(c.data),
		Conversations: c.iri() + "/conversations",
		CreatedAt:     ts(c.createdAt),
	}
}

// wireContactItem is the condensed contact ("ContactItem") embedded in
// contact-phone search results: its collections are links.
func (s *Server) wireContactItem(c *contact) *wireContact {
	first, last := c.firstLast()
	return &wireContact{
		Type:          "ContactItem",
		ID:            c.iri(),
		Name:          c.name,
		FirstName:     first,
		LastName:      last,
		Phones:        c.iri() + "/phones",
		Notes:         c.iri() + "/notes",
		Data:          copyData(c.data),
		Conversations: c.iri() + "/conversations",
		CreatedAt:     ts(c.createdAt),
	}
}

var friendlyStates = map[string]string{
	"created":          "Message Created",
	"received":         "Message Received",
	"scheduled":        "Message Scheduled",
	"queued":           "Message Queued",
	"dispatched":       "Message Sent",
	"delivered":        "Message Delivered",
	"failed_transient": "Message Failed (Retrying)",
	"failed":           "Message Failed",
	"unknown":          "Message Status Unknown",
}

func (s *Server) wireMessage(m *message) *wireMessage {
	w := &wireMessage{
		Type:                     "Message",
		Context:                  "/contexts/Message.jsonld",
		ID:                       m.iri(),
		Direction:                m.direction,
		Body:                     m.body,
		FormattedBody:            "<div>" + html.EscapeString(m.body) + "</div>",
		DisplayTimestamp:         ts(m.createdAt),
		TimelinePosition:         ts(m.createdAt),
		DeliveryState:            m.state,
		FriendlyStateDescription: friendlyStates[m.state],
		Conversation:             m.conv.iri(),
		Attachments: wireAttachments{
			Type: "hydra:Collection", ID: m.iri() + "/attachments", Members: []any{},
		},
		LatestEventAt: ts(m.latestAt),
		ScheduledAt:   tsPtr(m.scheduledAt),
		Flags:         append([]string{}, m.flags...),
		Source:        "textus",
		Channel:       "sms",
	}
	if m.direction == "out" {
		u := "/users/" + s.userSlug
		w.Sender = &u
	}
	return w
}

func (s *Server) wireConversation(cv *conversation, withAccount bool) *wireConversation {
	w := &wireConversation{
		Type:                        "Conversation",
		Context:                     "/contexts/Conversation.jsonld",
		ID:                          cv.iri(),
		Slug:                        cv.slug,
		CurrentState:                "open",
		Account:                     s.accountIRI(),
		PhoneNumber:                 cv.phone,
		FormattedPhoneNumber:        phone.Display(cv.phone),
		AccountPhoneNumber:          s.cfg.phone,
		FormattedAccountPhoneNumber: phone.Display(s.cfg.phone),
		RequestingUserInfo: wireUserInfo{
			Type: "ConversationUserInfo",
			ID:   cv.iri() + "/user_info",
			Read: cv.read,
		},
		AssociatedContacts: cv.iri() + "/associated_contacts",
		Unanswered:         cv.unanswered(),
		Unsubscribed:       s.optedOut(cv.phone),
		Timeline:           cv.iri() + "/timeline",
	}
	if m := cv.latest(); m != nil {
		w.LatestPreviewableItem = s.wireMessage(m)
		if cv.read {
			w.RequestingUserInfo.ReadToTimelinePosition = tsPtr(m.createdAt)
		}
	}
	if owners := s.contactsWithPhone(cv.phone); len(owners) == 1 {
		iri := owners[0].iri()
		w.AssignedContact = &iri
	}
	if withAccount {
		w.Type = "ConversationWithAccount"
		w.Account = wireAccountRef{Type: "Account", ID: s.accountIRI(), Name: s.cfg.accountName, Slug: s.cfg.account}
	}
	return w
}

func (s *Server) wirePhoneCall(pc *phoneCall) *wirePhoneCall {
	from, to := pc.conv.phone, s.cfg.phone
	if pc.direction == "out" {
		from, to = to, from
	}
	return &wirePhoneCall{
		Type:         "PhoneCall",
		ID:           pc.iri(),
		Direction:    pc.direction,
		Status:       pc.status,
		Duration:     int(pc.duration / time.Second),
		From:         from,
		To:           to,
		Conversation: pc.conv.iri(),
		CreatedAt:    ts(pc.createdAt),
	}
}

func (s *Server) wireAccount() *wireAccount {
	a := s.cfg.account
	return &wireAccount{
		Type:                "Account",
		Context:             "/contexts/Account.jsonld",
		ID:                  s.accountIRI(),
		Name:                s.cfg.accountName,
		Slug:                a,
		AccountType:         "standard",
		PhoneNumbers:        []string{phone.Display(s.cfg.phone)},
		ContactsEnabled:     true,
		EffectiveRole:       "admin",
		Contacts:            "/" + a + "/contacts",
		ContactFilters:      "/" + a + "/contact_filters",
		ContactPhones:       "/" + a + "/contact_phones",
		Conversations:       "/" + a + "/conversations",
		ConversationFilters: "/" + a + "/conversation_filters",
		SendMessages:        "/" + a + "/messages",
		ScheduleMessages:    "/" + a + "/messages/schedule",
	}
}

func (s *Server) wireOptOut(o *optOut) *wireOptOut {
	w := &wireOptOut{
		Type:                 "OptOut",
		Context:              "/contexts/OptOut.jsonld",
		ID:                   "/textus/opt_outs/" + o.phone,
		CreatedAt:            ts(o.createdAt),
		FormattedPhoneNumber: phone.National(o.phone),
		CreatedVia:           o.via,
		OriginatingAccount:   wireAccountRef{Type: "Account", ID: s.accountIRI(), Name: s.cfg.accountName},
	}
	if o.via == "User" {
		u := "/users/" + s.userSlug
		w.User = &u
	}
	return w
}

func (s *Server) wireIntegration(in *integration) *wireIntegration {
	w := &wireIntegration{
		Type:     "Integration",
		Context:  "/contexts/Integration.jsonld",
		ID:       "/integrations/" + in.slug,
		Active:   in.active,
		Provider: "webhook",
		Config: wireIntegrationConfig{
			BaseURL:       in.baseURL,
			WebhookSecret: in.secret,
		},
		IsHealthy: in.healthy,
	}
	if in.clientSecret != "" {
		w.Config.ClientSecret = "[FILTERED]"
	}
	w.Settings.Actions = make(map[string]bool, len(in.actions))
	for _, e := range textus.AllEvents() {
		w.Settings.Actions[string(e)] = in.actions[string(e)]
	}
	return w
}

// contactsWithPhone lists the contacts that have the number, oldest first.
func (s *Server) contactsWithPhone(e164 string) []*contact {
	var out []*contact
	for _, c := range s.contactOrder {
		for _, p := range c.phones {
			if p.e164 == e164 {
				out = append(out, c)
				break
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

func copyData(d map[string]any) map[string]any {
	out := make(map[string]any, len(d))
	for k, v := range d {
		out[k] = v
	}
	return out
}
