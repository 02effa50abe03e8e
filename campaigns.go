package textus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/textus-go/textus/internal/jsonld"
)

// Campaign is one message sent to many contact phones (JSON-LD type
// "Campaign").
type Campaign struct {
	// LDType is the JSON-LD @type ("Campaign").
	LDType string `json:"@type,omitempty"`
	// ID is the campaign's IRI, e.g. "/campaigns/joOQd57".
	ID string `json:"id"`
	// Title is the campaign's name.
	Title string `json:"title"`
	// MessageBody is the text sent to every recipient.
	MessageBody string `json:"messageBody"`
	// State is where the campaign is ("scheduled", "sending", "sent", ...;
	// an open set).
	State string `json:"state,omitempty"`
	// Type is the campaign's type ("single").
	Type string `json:"type,omitempty"`
	// CreatedAt, ScheduledAt, SendingStartAt, SendingEndAt,
	// EstimatedStartAt and EstimatedFinishAt are zero when absent.
	CreatedAt time.Time `json:"createdAt,omitzero"`
	// ScheduledAt is when the campaign is (or was) to be sent.
	ScheduledAt time.Time `json:"scheduledAt,omitzero"`
	// SendingStartAt is when sending began.
	SendingStartAt time.Time `json:"sendingStartAt,omitzero"`
	// SendingEndAt is when sending ended.
	SendingEndAt time.Time `json:"sendingEndAt,omitzero"`
	// EstimatedStartAt is when TextUs expects sending to begin.
	EstimatedStartAt time.Time `json:"estimatedStartAt,omitzero"`
	// EstimatedFinishAt is when TextUs expects sending to end.
	EstimatedFinishAt time.Time `json:"estimatedFinishAt,omitzero"`
	// DeliveryStatistics is the API's deliveryStatistics object, as it
	// comes (the docs show it only empty).
	DeliveryStatistics map[string]any `json:"deliveryStatistics,omitempty"`
	// Account is the IRI of the account that sends it.
	Account string `json:"account,omitempty"`
	// User is the IRI of the user who created it (an embedded user
	// decodes to its IRI).
	User string `json:"user,omitempty"`
	// Cancel is the campaign's cancel link, when it can still be canceled.
	Cancel string `json:"cancel,omitempty"`
	// Raw is the JSON the campaign was decoded from.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes a campaign leniently: relations may be links or
// embedded objects, timestamps any RFC 3339 form, and a field of an
// unexpected JSON type is left zero.
func (c *Campaign) UnmarshalJSON(b []byte) error {
	type plain Campaign
	*c = Campaign{}
	aux := struct {
		*plain
		Account           jsonld.Link `json:"account"`
		User              jsonld.Link `json:"user"`
		Cancel            jsonld.Link `json:"cancel"`
		CreatedAt         lenientTime `json:"createdAt"`
		ScheduledAt       lenientTime `json:"scheduledAt"`
		SendingStartAt    lenientTime `json:"sendingStartAt"`
		SendingEndAt      lenientTime `json:"sendingEndAt"`
		EstimatedStartAt  lenientTime `json:"estimatedStartAt"`
		EstimatedFinishAt lenientTime `json:"estimatedFinishAt"`
	}{plain: (*plain)(c)}
	if err := decodeObject(b, &aux); err != nil {
		return err
	}
	c.Account, c.User, c.Cancel = aux.Account.IRI, aux.User.IRI, aux.Cancel.IRI
	c.CreatedAt, c.ScheduledAt = aux.CreatedAt.Time, aux.ScheduledAt.Time
	c.SendingStartAt, c.SendingEndAt = aux.SendingStartAt.Time, aux.SendingEndAt.Time
	c.EstimatedStartAt, c.EstimatedFinishAt = aux.EstimatedStartAt.Time, aux.EstimatedFinishAt.Time
	if !isNull(b) {
		c.Raw = append(json.RawMessage(nil), b...)
	}
	return nil
}

// CampaignsService creates campaigns. Get it from Client.Campaigns.
type CampaignsService service

// CampaignParams is the input of CampaignsService.Create.
type CampaignParams struct {
	// Title names the campaign; required (every documented example has
	// one).
	Title string
	// MessageBody is the text sent to every recipient; required.
	MessageBody string
	// Recipients are contact phones, by IRI ("/contact_phones/mxvbRw") or
	// slug: the IDs ContactsService.SearchPhones and Contact.Phones give.
	// Phone numbers are refused: TextUs addresses campaigns to contact
	// phones. Required; duplicates are sent once.
	Recipients []string
	// ScheduledAt is when to send. The docs' examples always give it; the
	// docs do not say what TextUs does without it. Zero leaves it out of
	// the request, which the SDK takes to mean "as soon as possible".
	ScheduledAt time.Time
	// ExclusionTime skips recipients who received another campaign within
	// this window before ScheduledAt (exclusion_time, sent in whole
	// minutes). Zero sends to everyone; it must be a whole number of
	// minutes.
	ExclusionTime time.Duration
	// AutoAssign assigns the campaign's creator to the resulting
	// conversations ("auto-assign"); sent only when true.
	AutoAssign bool
}

// campaignBody is the JSON body of a campaign creation, with the
// documented keys (snake_case, and "auto-assign" with a hyphen).
type campaignBody struct {
	Title         string   `json:"title"`
	MessageBody   string   `json:"message_body"`
	ScheduledAt   string   `json:"scheduled_at,omitempty"`
	Recipients    []string `json:"recipients"`
	ExclusionTime int64    `json:"exclusion_time,omitempty"`
	AutoAssign    bool     `json:"auto-assign,omitempty"`
}

// body checks p and builds the request body; p is not modified.
func (p *CampaignParams) body() (*campaignBody, error) {
	if p == nil {
		return nil, errors.New("textus: nil *CampaignParams")
	}
	b := &campaignBody{Title: strings.TrimSpace(p.Title), MessageBody: p.MessageBody, AutoAssign: p.AutoAssign}
	if b.Title == "" {
		return nil, errors.New("textus: a campaign needs a title")
	}
	if strings.TrimSpace(p.MessageBody) == "" {
		return nil, errors.New("textus: campaign message body is empty")
	}
	if len(p.Recipients) == 0 {
		return nil, errors.New("textus: a campaign needs at least one recipient")
	}
	seen := make(map[string]bool, len(p.Recipients))
	for i, r := range p.Recipients {
		if _, err := NormalizePhone(r); err == nil {
			return nil, fmt.Errorf("textus: recipient %d (%q) is a phone number: campaigns take contact phone ids "+
				"(/contact_phones/...); find them with Contacts.SearchPhones", i, r)
		}
		iri, err := resourceIRI("contact_phone", r)
		if err != nil {
			return nil, &contextError{fmt.Sprintf("recipient %d", i), err}
		}
		if !seen[iri] {
			seen[iri] = true
			b.Recipients = append(b.Recipients, iri)
		}
	}
	if !p.ScheduledAt.IsZero() {
		b.ScheduledAt = p.ScheduledAt.UTC().Format(time.RFC3339)
	}
	switch d := p.ExclusionTime; {
	case d < 0:
		return nil, fmt.Errorf("textus: negative exclusion time %v", d)
	case d%time.Minute != 0:
		return nil, fmt.Errorf("textus: exclusion time %v is not a whole number of minutes", d)
	default:
		b.ExclusionTime = int64(d / time.Minute)
	}
	return b, nil
}

// Create creates a campaign in the client's account: one message body sent
// to every recipient, at ScheduledAt. It returns the campaign TextUs
// created.
//
// Create texts many people, so it is never sent twice by the SDK: once the
// request may have reached TextUs, a timeout, a reset connection or a 5xx
// returns an error matching ErrOutcomeUnknown and the campaign may or may
// not exist; look in TextUs before creating it again. A request that
// provably never left (connection refused) and a 429 are retried. Missing
// or refused fields (an unknown contact phone, for instance) yield an error
// matching ErrValidation; nothing is sent for bad input.
//
// POST /:account/campaigns, answered 201
// (https://apidocs.next.textus.com/docs/campaigns/create/).
func (s *CampaignsService) Create(ctx context.Context, p *CampaignParams) (*Campaign, error) {
	b, err := p.body()
	if err != nil {
		return nil, err
	}
	return call[Campaign](ctx, s.client, epCampaignsCreate, b)
}
