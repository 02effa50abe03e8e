package textus

import (
	"context"
	"encoding/json"
	"iter"

	"github.com/textus-go/textus/internal/jsonld"
)

// ConversationState is "open" or "closed" (an open set).
type ConversationState string

// Known conversation states.
const (
	ConversationOpen   ConversationState = "open"
	ConversationClosed ConversationState = "closed"
)

// Conversation is the thread between one of your TextUs numbers and one
// contact phone number.
type Conversation struct {
	// LDType is the JSON-LD @type ("Conversation", "ConversationWithAccount").
	LDType string `json:"@type,omitempty"`
	// ID is the conversation's IRI, e.g. "/conversations/kY1QwY".
	ID string `json:"id"`
	// Slug is the last segment of ID.
	Slug string `json:"slug,omitempty"`
	// CurrentState is "open" or "closed".
	CurrentState ConversationState `json:"currentState,omitempty"`
	// Account is the IRI of the owning account.
	Account string `json:"account,omitempty"`
	// PhoneNumber is the contact's number in E.164 form.
	PhoneNumber string `json:"phoneNumber,omitempty"`
	// FormattedPhoneNumber is the display form of PhoneNumber.
	FormattedPhoneNumber string `json:"formattedPhoneNumber,omitempty"`
	// AccountPhoneNumber is your TextUs number in E.164 form.
	AccountPhoneNumber string `json:"accountPhoneNumber,omitempty"`
	// FormattedAccountPhoneNumber is the display form of AccountPhoneNumber.
	FormattedAccountPhoneNumber string `json:"formattedAccountPhoneNumber,omitempty"`
	// Unanswered reports whether the latest inbound message has no reply yet.
	Unanswered bool `json:"unanswered,omitempty"`
	// Unsubscribed reports whether the contact opted out.
	Unsubscribed bool `json:"unsubscribed,omitempty"`
	// Blocked reports whether the number is blocked.
	Blocked bool `json:"blocked,omitempty"`
	// AssignedContact is the IRI of the assigned contact, if any.
	AssignedContact string `json:"assignedContact,omitempty"`
	// LatestMessage is the embedded latestPreviewableItem, when present.
	LatestMessage *Message `json:"-"`
	// Raw is the JSON the conversation was decoded from.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes a conversation, replacing c's fields. Decoding is
// lenient: relations may be a link or an embedded object, and a field of an
// unexpected JSON type is left zero rather than failing the conversation.
func (c *Conversation) UnmarshalJSON(b []byte) error {
	return c.decodeBytes(append([]byte(nil), b...))
}

func (c *Conversation) decodeBytes(raw []byte) error {
	return decodeBytesWire[Conversation, wireConversation](c, raw, lenientConversation)
}

func (c *Conversation) decodeNext(dec *json.Decoder, body []byte, start int64) (bool, error) {
	return decodeNextWire[Conversation, wireConversation](c, dec, body, start, lenientConversation)
}

// wireConversation is the documented shape of a conversation (see the
// one-pass decoding in decode.go).
type wireConversation struct {
	LDType                      string            `json:"@type"`
	ID                          string            `json:"id"`
	Slug                        string            `json:"slug"`
	CurrentState                ConversationState `json:"currentState"`
	Account                     wireLink          `json:"account"`
	PhoneNumber                 string            `json:"phoneNumber"`
	FormattedPhoneNumber        string            `json:"formattedPhoneNumber"`
	AccountPhoneNumber          string            `json:"accountPhoneNumber"`
	FormattedAccountPhoneNumber string            `json:"formattedAccountPhoneNumber"`
	Unanswered                  bool              `json:"unanswered"`
	Unsubscribed                bool              `json:"unsubscribed"`
	Blocked                     bool              `json:"blocked"`
	AssignedContact             wireLink          `json:"assignedContact"`
	Latest                      json.RawMessage   `json:"latestPreviewableItem"`
}

func (w *wireConversation) fill(c *Conversation, raw []byte) {
	*c = Conversation{
		LDType:                      w.LDType,
		ID:                          w.ID,
		Slug:                        w.Slug,
		CurrentState:                w.CurrentState,
		Account:                     string(w.Account),
		PhoneNumber:                 w.PhoneNumber,
		FormattedPhoneNumber:        w.FormattedPhoneNumber,
		AccountPhoneNumber:          w.AccountPhoneNumber,
		FormattedAccountPhoneNumber: w.FormattedAccountPhoneNumber,
		Unanswered:                  w.Unanswered,
		Unsubscribed:                w.Unsubscribed,
		Blocked:                     w.Blocked,
		AssignedContact:             string(w.AssignedContact),
		LatestMessage:               latestMessage(w.Latest),
		Raw:                         raw,
	}
}

// latestMessage decodes an embedded latestPreviewableItem; anything but an
// object that decodes as a message is none.
func latestMessage(raw json.RawMessage) *Message {
	if len(raw) == 0 || raw[0] != '{' {
		return nil
	}
	m := new(Message)
	if m.decodeBytes(raw) != nil {
		return nil
	}
	return m
}

// lenientConversation decodes any form of a conversation into c, which
// keeps raw.
func lenientConversation(c *Conversation, raw []byte) error {
	type plain Conversation
	*c = Conversation{}
	aux := struct {
		*plain
		Account         jsonld.Link     `json:"account"`
		AssignedContact jsonld.Link     `json:"assignedContact"`
		Latest          json.RawMessage `json:"latestPreviewableItem"`
	}{plain: (*plain)(c)}
	if err := decodeObject(raw, &aux); err != nil {
		return err
	}
	c.Account = aux.Account.IRI
	c.AssignedContact = aux.AssignedContact.IRI
	c.LatestMessage = latestMessage(aux.Latest)
	c.Raw = raw
	return nil
}

// ConversationsService reads conversations and their message history.
// Get it from Client.Conversations.
type ConversationsService service

// Get returns a conversation by IRI ("/conversations/kY1QwY") or slug.
//
// GET /conversations/:conversation (https://apidocs.next.textus.com/docs/conversations/get).
func (s *ConversationsService) Get(ctx context.Context, id string) (*Conversation, error) {
	return call[Conversation](ctx, s.client, epConversationsGet, nil, id)
}

// GetByPhone returns the account's conversation with a contact number
// (any form NormalizePhone accepts; sent as E.164). No conversation yields
// an error matching ErrNotFound.
//
// GET /:account/conversations/:phone_number (https://apidocs.next.textus.com/docs/accounts/conversation/).
func (s *ConversationsService) GetByPhone(ctx context.Context, phone string) (*Conversation, error) {
	e164, err := NormalizePhone(phone)
	if err != nil {
		return nil, err
	}
	return call[Conversation](ctx, s.client, epConversationsByPhone, nil, e164)
}

func (s *ConversationsService) timeline(id string) pager[Message] {
	p := newPager[Message](s.client, epConversationsTimeline, nil, id)
	p.keep = isMessage
	return p
}

// isMessage keeps the Messages of a timeline and skips its other event
// types.
func isMessage(m *Message) bool { return m.LDType == "" || m.LDType == "Message" }

// Timeline iterates over the messages of a conversation (by IRI or slug),
// newest first as the API orders them; other timeline events are skipped.
// Lazy: nothing is fetched before the first step.
//
// GET /conversations/:conversation/timeline (https://apidocs.next.textus.com/docs/conversations/timeline).
func (s *ConversationsService) Timeline(ctx context.Context, id string) iter.Seq2[*Message, error] {
	return s.timeline(id).all(ctx)
}

// TimelinePage returns one page of Timeline; see ContactsService.ListPage
// for cursors.
func (s *ConversationsService) TimelinePage(ctx context.Context, id, cursor string) (*Page[*Message], error) {
	return s.timeline(id).page(ctx, cursor)
}

// ConversationListOptions selects conversations for List.
type ConversationListOptions struct {
	// Filter is the conversation filter slug, such as "active" (the
	// default) or "you".
	Filter string `url:"-"`
	// Query searches the filtered conversations.
	Query string `url:"q,omitempty"`
}

// List iterates over the account's conversations in a filter, newest
// message first.
//
// GET /:account/conversation_filters/:filter/conversations?q=
// (https://apidocs.next.textus.com/docs/conversation_filters/conversations).
func (s *ConversationsService) List(ctx context.Context, opts *ConversationListOptions) iter.Seq2[*Conversation, error] {
	var o ConversationListOptions
	if opts != nil {
		o = *opts
	}
	if o.Filter == "" {
		o.Filter = "active"
	}
	return newPager[Conversation](s.client, epConversationsList, &o, o.Filter).all(ctx)
}

// MarkRead marks a conversation read for the token's user.
//
// PUT /conversations/:conversation/read (https://apidocs.next.textus.com/docs/conversations/read).
func (s *ConversationsService) MarkRead(ctx context.Context, id string) (*Conversation, error) {
	return call[Conversation](ctx, s.client, epConversationsRead, nil, id)
}
