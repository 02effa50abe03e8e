package textustest

import (
	"encoding/json"
	"html"
	"sort"
	"strconv"
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
	CustomData    any            `json:"customData,omitempty"`
	FormattedData map[string]any `json:"formattedData,omitempty"`
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
	AssignedContact             any          `json:"assignedContact"` // an IRI, an embedded contact or null
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
	Type                string         `json:"@type"`
	Context             string         `json:"@context,omitempty"`
	ID                  string         `json:"id"`
	Name                string         `json:"name"`
	Slug                string         `json:"slug"`
	AccountType         string         `json:"type"`
	MultiUser           bool           `json:"multiUser"`
	PhoneNumbers        []string       `json:"phoneNumbers"`
	ContactsEnabled     bool           `json:"contactsEnabled"`
	MessagingRestricted bool           `json:"messagingRestricted"`
	EffectiveRole       string         `json:"effectiveRole"`
	FamilyCount         int            `json:"familyCount"`
	ChildrenCount       int            `json:"childrenCount"`
	Settings            map[string]any `json:"settings"`
	Contacts            string         `json:"contacts"`
	ContactFilters      string         `json:"contactFilters"`
	ContactPhones       string         `json:"contactPhones"`
	Conversations       string         `json:"conversations"`
	ConversationFilters string         `json:"conversationFilters"`
	SendMessages        string         `json:"sendMessages"`
	ScheduleMessages    string         `json:"scheduleMessages"`
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
			TotalItems: len(c.notes), Members: s.wireNotes(c),
		},
		Data:          copyData(c.data),
		Conversations: c.iri() + "/conversations",
		CustomData: wireCollection{
			Type: "hydra:Collection", Context: "/contexts/hydra:Collection.jsonld", ID: c.iri() + "/custom_data",
			TotalItems: len(s.api.custom[c.slug]), Members: s.wireCustomData(c),
		},
		FormattedData: s.formattedData(c),
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
	state := "open"
	if cv.closed {
		state = "closed"
	}
	w := &wireConversation{
		Type:                        "Conversation",
		Context:                     "/contexts/Conversation.jsonld",
		ID:                          cv.iri(),
		Slug:                        cv.slug,
		CurrentState:                state,
		Account:                     s.accountIRI(),
		PhoneNumber:                 cv.phone,
		FormattedPhoneNumber:        phone.Display(cv.phone),
		AccountPhoneNumber:          s.cfg.phone,
		FormattedAccountPhoneNumber: phone.Display(s.cfg.phone),
		RequestingUserInfo: wireUserInfo{
			Type:     "ConversationUserInfo",
			ID:       cv.iri() + "/user_info",
			Read:     cv.read,
			Starred:  cv.starred,
			Assigned: cv.assigned,
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
	if ct := s.assignedContactLocked(cv); ct != nil {
		w.AssignedContact = ct.iri()
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

func (s *Server) wireAccountOf(acct *fakeAccount) *wireAccount {
	a := acct.slug
	family := s.descendantsLocked(acct)
	settings := make(map[string]any, len(acct.settings))
	for k, v := range acct.settings {
		settings[k] = copyData(v)
	}
	return &wireAccount{
		Type:                "Account",
		Context:             "/contexts/Account.jsonld",
		ID:                  acct.iri(),
		Name:                acct.name,
		Slug:                a,
		AccountType:         "standard",
		PhoneNumbers:        []string{phone.Display(acct.phone)},
		ContactsEnabled:     true,
		EffectiveRole:       "admin",
		FamilyCount:         len(family),
		ChildrenCount:       len(s.childrenLocked(acct)),
		Settings:            settings,
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

// Shapes of notes, custom data, users, saved replies, campaigns, filters
// and the account tree.

type wireUser struct {
	Type           string         `json:"@type"`
	Context        string         `json:"@context,omitempty"`
	ID             string         `json:"id"`
	Name           string         `json:"name"`
	FirstName      string         `json:"firstName"`
	LastName       string         `json:"lastName"`
	Email          string         `json:"email"`
	Avatar         *string        `json:"avatar"`
	AutomatedActor bool           `json:"automatedActor"`
	HasPassword    bool           `json:"hasPassword"`
	Discarded      bool           `json:"discarded"`
	Settings       map[string]any `json:"settings"`
	Memberships    any            `json:"memberships"` // a link, or an embedded collection
}

type wireMembership struct {
	Type    string         `json:"@type"`
	Context string         `json:"@context,omitempty"`
	ID      string         `json:"id"`
	Role    string         `json:"role"`
	User    string         `json:"user"`
	Account wireAccountRef `json:"account"`
}

type wireNote struct {
	Type      string    `json:"@type"`
	ID        string    `json:"id"`
	Context   string    `json:"@context,omitempty"`
	Content   string    `json:"content"`
	CreatedAt string    `json:"createdAt"`
	UpdatedAt string    `json:"updatedAt"`
	User      *wireUser `json:"user"`
	Contact   string    `json:"contact"`
}

type wireCustomDatum struct {
	Type  string `json:"@type"`
	ID    string `json:"id"`
	Slug  string `json:"slug"`
	Title string `json:"title"`
	Kind  string `json:"type"`
	Value any    `json:"value"`
}

type wireSavedReply struct {
	Type        string         `json:"@type"`
	Context     string         `json:"@context,omitempty"`
	ID          string         `json:"id"`
	Title       string         `json:"title"`
	Content     string         `json:"content"`
	Shared      bool           `json:"shared"`
	User        string         `json:"user"`
	Attachments wireCollection `json:"attachments"`
}

type wireCampaign struct {
	Type               string         `json:"@type"`
	Context            string         `json:"@context,omitempty"`
	ID                 string         `json:"id"`
	Title              string         `json:"title"`
	MessageBody        string         `json:"messageBody"`
	State              string         `json:"state"`
	CampaignType       string         `json:"type"`
	Schedule           *string        `json:"schedule"`
	CreatedAt          string         `json:"createdAt"`
	ScheduledAt        string         `json:"scheduledAt"`
	SendingStartAt     *string        `json:"sendingStartAt"`
	SendingEndAt       *string        `json:"sendingEndAt"`
	EstimatedStartAt   *string        `json:"estimatedStartAt"`
	EstimatedFinishAt  *string        `json:"estimatedFinishAt"`
	DeliveryStatistics map[string]int `json:"deliveryStatistics"`
	Delete             *string        `json:"delete"`
	Edit               *string        `json:"edit"`
	Cancel             *string        `json:"cancel"`
	Account            string         `json:"account"`
	Group              *string        `json:"group"`
	User               *wireUser      `json:"user"`
	TotalRecipients    int            `json:"totalRecipients"`
}

type wireConversationFilter struct {
	Type                  string `json:"@type"`
	ID                    string `json:"id"`
	Context               string `json:"@context,omitempty"`
	Slug                  string `json:"slug"`
	Title                 string `json:"title"`
	UnreadCount           int    `json:"unreadCount"`
	TotalCount            int    `json:"totalCount"`
	CloseConversations    string `json:"closeConversations"`
	ReopenConversations   string `json:"reopenConversations"`
	StarConversations     string `json:"starConversations"`
	UnstarConversations   string `json:"unstarConversations"`
	ReadConversations     string `json:"readConversations"`
	UnreadConversations   string `json:"unreadConversations"`
	AssignConversations   string `json:"assignConversations"`
	UnassignConversations string `json:"unassignConversations"`
	SearchConversations   string `json:"searchConversations"`
}

type wireAccountTree struct {
	Type      string         `json:"@type"`
	Context   string         `json:"@context,omitempty"`
	ID        string         `json:"id"`
	Name      string         `json:"name"`
	Slug      string         `json:"slug"`
	Analytics string         `json:"analytics"`
	Children  wireCollection `json:"children"`
}

// wireUser renders a user; memberships embedded when full, else a link.
func (s *Server) wireUser(u *user, full bool) *wireUser {
	first, last := splitName(u.name)
	w := &wireUser{
		Type: "User", Context: "/contexts/User.jsonld", ID: u.iri(),
		Name: u.name, FirstName: first, LastName: last, Email: u.email,
		Settings: copyData(u.settings), Memberships: u.iri() + "/memberships",
	}
	if full {
		members := make([]any, 0, len(u.memberships))
		for _, m := range u.memberships {
			members = append(members, wireMembership{
				Type: "Membership", Context: "/contexts/Membership.jsonld",
				ID: u.iri() + "/memberships/" + m.slug, Role: m.role, User: u.iri(),
				Account: wireAccountRef{Type: "Account", ID: m.account.iri(), Name: m.account.name},
			})
		}
		w.Memberships = wireCollection{Type: "hydra:Collection", Context: "/contexts/hydra:Collection.jsonld",
			ID: u.iri() + "/memberships", TotalItems: len(members), Members: members}
	}
	return w
}

func (s *Server) wireNote(n *note) *wireNote {
	return &wireNote{
		Type: "ContactNote", ID: n.iri(), Context: "/contexts/ContactNote.jsonld",
		Content: n.content, CreatedAt: ts(n.createdAt), UpdatedAt: ts(n.createdAt),
		User: s.wireUser(n.user, false), Contact: n.contact.iri(),
	}
}

func (s *Server) wireNotes(c *contact) []any {
	out := make([]any, 0, len(c.notes))
	for _, n := range c.notes {
		out = append(out, s.wireNote(n))
	}
	return out
}

func (s *Server) wireCustomData(c *contact) []any {
	data := s.api.custom[c.slug]
	out := make([]any, 0, len(data))
	for _, d := range data {
		out = append(out, wireCustomDatum{
			Type: "ContactCustomData", ID: c.iri() + "/custom_data/" + d.slug,
			Slug: d.slug, Title: d.title, Kind: d.typ, Value: d.value,
		})
	}
	return out
}

// formattedData renders the contact's custom data as display text, keyed
// by field slug.
func (s *Server) formattedData(c *contact) map[string]any {
	out := map[string]any{}
	for _, d := range s.api.custom[c.slug] {
		switch v := d.value.(type) {
		case string:
			out[d.slug] = v
		case nil:
		default:
			b, err := json.Marshal(v)
			if err == nil {
				out[d.slug] = string(b)
			}
		}
	}
	return out
}

func (s *Server) wireSavedReply(r *savedReply) *wireSavedReply {
	members := make([]any, 0, len(r.attachments))
	for i, a := range r.attachments {
		m := map[string]any{"@type": "SavedReplyAttachment", "@context": "/contexts/SavedReplyAttachment.jsonld",
			"id": r.iri() + "/attachments/" + strconv.Itoa(i+1)}
		for k, v := range a {
			m[k] = v
		}
		members = append(members, m)
	}
	return &wireSavedReply{
		Type: "SavedReply", Context: "/contexts/SavedReply.jsonld", ID: r.iri(),
		Title: r.title, Content: r.content, User: r.user.iri(),
		Attachments: wireCollection{Type: "hydra:Collection", Context: "/contexts/hydra:Collection.jsonld",
			ID: r.iri() + "/attachments", TotalItems: len(members), Members: members},
	}
}

func (s *Server) wireCampaign(c *campaign) *wireCampaign {
	state, iri := "sent", c.iri()
	w := &wireCampaign{
		Type: "Campaign", Context: "/contexts/Campaign.jsonld", ID: iri,
		Title: c.title, MessageBody: c.body, CampaignType: "single",
		CreatedAt: ts(c.createdAt), ScheduledAt: ts(c.scheduledAt),
		DeliveryStatistics: map[string]int{
			"recipients": c.recipients, "messages": c.sent, "optedOut": c.optedOut, "excluded": c.excluded,
		},
		Delete: &iri, Account: c.account.iri(), User: s.wireUser(c.user, false), TotalRecipients: c.sent,
	}
	if c.scheduled {
		state = "scheduled"
		cancel := iri + "/cancel"
		w.Edit, w.Cancel = &iri, &cancel
		w.EstimatedStartAt = tsPtr(c.scheduledAt)
	} else {
		w.SendingStartAt, w.SendingEndAt = tsPtr(c.scheduledAt), tsPtr(c.scheduledAt)
	}
	w.State = state
	return w
}

func (s *Server) wireAccountTree(a *fakeAccount) *wireAccountTree {
	children := []any{}
	for _, c := range s.childrenLocked(a) {
		children = append(children, s.wireAccountTree(c))
	}
	return &wireAccountTree{
		Type: "AccountTree", Context: "/contexts/AccountTree.jsonld", ID: a.iri(), Name: a.name, Slug: a.slug,
		Analytics: a.iri() + "/analytics",
		Children: wireCollection{Type: "hydra:Collection", Context: "/contexts/hydra:Collection.jsonld",
			ID: a.iri() + "/children", TotalItems: len(children), Members: children},
	}
}

// childrenLocked lists the direct children of a.
func (s *Server) childrenLocked(a *fakeAccount) []*fakeAccount {
	var out []*fakeAccount
	for _, b := range s.api.accounts {
		if b.parent == a {
			out = append(out, b)
		}
	}
	return out
}

// assignedContactLocked is the contact a conversation is with: the one
// assigned with assign_contact, else the number's only contact.
func (s *Server) assignedContactLocked(cv *conversation) *contact {
	if cv.contact != nil {
		return cv.contact
	}
	if owners := s.contactsWithPhone(cv.phone); len(owners) == 1 {
		return owners[0]
	}
	return nil
}

// splitName splits a full name into first and last.
func splitName(name string) (first, last string) {
	return (&contact{name: name}).firstLast()
}
