package textus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"time"

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
	// AssignedContact is the IRI of the assigned contact, if any (an
	// embedded contact decodes to its IRI). See AssignContact.
	AssignedContact string `json:"assignedContact,omitempty"`
	// UserInfo is the token user's view of the conversation (read,
	// starred, assigned), when the API embeds requestingUserInfo; nil when
	// it sends only a link.
	UserInfo *ConversationUserInfo `json:"requestingUserInfo,omitempty"`
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
	UserInfo                    json.RawMessage   `json:"requestingUserInfo"`
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
		UserInfo:                    userInfo(w.UserInfo),
		LatestMessage:               latestMessage(w.Latest),
		Raw:                         raw,
	}
}

// ConversationUserInfo is the calling user's view of a conversation (the
// API's requestingUserInfo, JSON-LD type "ConversationUserInfo").
type ConversationUserInfo struct {
	// ID is the IRI of this view ("/conversations/kY1QwY/user_info").
	ID string `json:"id,omitempty"`
	// Read reports whether the user has read the conversation.
	Read bool `json:"read"`
	// ReadToTimelinePosition is the timeline position read up to, as the
	// API sends it; empty when none.
	ReadToTimelinePosition string `json:"readToTimelinePosition,omitempty"`
	// Starred reports whether the user starred the conversation.
	Starred bool `json:"starred"`
	// Assigned reports whether the conversation is assigned to the user.
	Assigned bool `json:"assigned"`
}

// userInfo decodes an embedded requestingUserInfo; a link, null or
// anything but an object is none. Fields of an unexpected type are left
// zero.
func userInfo(raw json.RawMessage) *ConversationUserInfo {
	if len(raw) == 0 || raw[0] != '{' {
		return nil
	}
	var aux struct {
		ID       json.RawMessage `json:"id"`
		Read     json.RawMessage `json:"read"`
		Position json.RawMessage `json:"readToTimelinePosition"`
		Starred  json.RawMessage `json:"starred"`
		Assigned json.RawMessage `json:"assigned"`
	}
	if json.Unmarshal(raw, &aux) != nil {
		return nil
	}
	return &ConversationUserInfo{
		ID:                     rawScalar(aux.ID),
		Read:                   string(aux.Read) == "true",
		ReadToTimelinePosition: rawScalar(aux.Position),
		Starred:                string(aux.Starred) == "true",
		Assigned:               string(aux.Assigned) == "true",
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
		UserInfo        json.RawMessage `json:"requestingUserInfo"`
		Latest          json.RawMessage `json:"latestPreviewableItem"`
	}{plain: (*plain)(c)}
	if err := decodeObject(raw, &aux); err != nil {
		return err
	}
	c.Account = aux.Account.IRI
	c.AssignedContact = aux.AssignedContact.IRI
	c.UserInfo = userInfo(aux.UserInfo)
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

func (s *ConversationsService) pager(opts *ConversationListOptions) pager[Conversation] {
	var o ConversationListOptions
	if opts != nil {
		o = *opts
	}
	if o.Filter == "" {
		o.Filter = "active"
	}
	return newPager[Conversation](s.client, epConversationsList, &o, o.Filter)
}

// List iterates over the account's conversations in a filter, newest
// message first.
//
// GET /:account/conversation_filters/:filter/conversations?q=
// (https://apidocs.next.textus.com/docs/conversation_filters/conversations).
func (s *ConversationsService) List(ctx context.Context, opts *ConversationListOptions) iter.Seq2[*Conversation, error] {
	return s.pager(opts).all(ctx)
}

// ListPage returns one page of List; see ContactsService.ListPage for
// cursors.
func (s *ConversationsService) ListPage(ctx context.Context, opts *ConversationListOptions, cursor string) (*Page[*Conversation], error) {
	return s.pager(opts).page(ctx, cursor)
}

// MarkRead marks a conversation read for the token's user and returns it.
// If TextUs answers without a body, the conversation is read back with
// Get. An unknown conversation yields an error matching ErrNotFound.
//
// PUT /conversations/:conversation/read (https://apidocs.next.textus.com/docs/conversations/read).
func (s *ConversationsService) MarkRead(ctx context.Context, id string) (*Conversation, error) {
	return s.action(ctx, epConversationsRead, id, nil)
}

// action sends a conversation action to ep and returns the conversation.
// When TextUs answers without one (the docs show no response for most
// actions), the conversation is read back with Get.
func (s *ConversationsService) action(ctx context.Context, ep *endpoint, id string, body any) (*Conversation, error) {
	path, err := ep.path(s.client, id)
	if err != nil {
		return nil, err
	}
	cv := new(Conversation)
	if _, err := s.client.do(ctx, ep, path, body, cv); err != nil {
		return nil, err
	}
	if cv.ID == "" {
		return s.Get(ctx, id)
	}
	return cv, nil
}

// MarkUnread marks a conversation unread for the token's user: the reverse
// of MarkRead.
//
// DELETE /conversations/:conversation/read. The docs give only PUT for
// this link; DELETE for the reverse is inferred from the conversation's
// unreadConversation link, which names the same path
// (https://apidocs.next.textus.com/docs/conversations/read). If TextUs
// answers without a body, the conversation is read back with Get.
func (s *ConversationsService) MarkUnread(ctx context.Context, id string) (*Conversation, error) {
	return s.action(ctx, epConversationsUnread, id, nil)
}

// AssignContact makes a contact (by IRI or slug) the conversation's
// contact: for numbers that several contacts of the account share, where
// it is otherwise ambiguous which contact is texting. It returns the
// conversation with AssignedContact set. An unknown conversation yields
// ErrNotFound; a contact TextUs refuses, ErrValidation.
//
// PUT /conversations/:conversation/assign_contact with
// {"assigned_contact": "/contacts/..."}
// (https://apidocs.next.textus.com/docs/conversations/assign_contact).
func (s *ConversationsService) AssignContact(ctx context.Context, id, contact string) (*Conversation, error) {
	iri, err := resourceIRI("contact", contact)
	if err != nil {
		return nil, err
	}
	return s.action(ctx, epConversationsAssign, id, struct {
		AssignedContact string `json:"assigned_contact"`
	}{iri})
}

// Close closes a conversation (CurrentState "closed").
//
// PUT /conversations/:conversation/close. The docs list the conversation's
// closeConversation link but not its method or path; the SDK uses the
// form the documented batch actions take (PUT
// .../conversations/close, https://apidocs.next.textus.com/docs/conversation_filters/batch_close/).
// If TextUs answers without a body, the conversation is read back with
// Get.
func (s *ConversationsService) Close(ctx context.Context, id string) (*Conversation, error) {
	return s.action(ctx, epConversationsClose, id, nil)
}

// Reopen reopens a closed conversation (CurrentState "open").
//
// PUT /conversations/:conversation/reopen, inferred like Close from the
// documented batch reopen
// (https://apidocs.next.textus.com/docs/conversation_filters/batch_reopen/).
func (s *ConversationsService) Reopen(ctx context.Context, id string) (*Conversation, error) {
	return s.action(ctx, epConversationsReopen, id, nil)
}

// Star stars a conversation for the token's user (UserInfo.Starred).
//
// PUT /conversations/:conversation/star. Inferred: the docs list the
// starConversation and unstarConversation links without their methods; as
// for read, the SDK sets with PUT and unsets with DELETE on the same path
// (https://apidocs.next.textus.com/types/Conversation/).
func (s *ConversationsService) Star(ctx context.Context, id string) (*Conversation, error) {
	return s.action(ctx, epConversationsStar, id, nil)
}

// Unstar removes the token user's star from a conversation.
//
// DELETE /conversations/:conversation/star, inferred as for Star.
func (s *ConversationsService) Unstar(ctx context.Context, id string) (*Conversation, error) {
	return s.action(ctx, epConversationsUnstar, id, nil)
}

// ConversationFilter is a saved set of rules that selects conversations
// (JSON-LD type "ConversationFilter"): "all", "active", "you", ... Pass its
// Slug as ConversationListOptions.Filter or to the batch actions.
type ConversationFilter struct {
	// LDType is the JSON-LD @type ("ConversationFilter").
	LDType string `json:"@type,omitempty"`
	// ID is the filter's IRI ("/my_account/conversation_filters/all").
	ID string `json:"id"`
	// Slug names the filter in paths ("all").
	Slug string `json:"slug"`
	// Title is the display name ("All Conversations").
	Title string `json:"title,omitempty"`
	// UnreadCount is how many of its conversations are unread.
	UnreadCount int `json:"unreadCount"`
	// TotalCount is how many conversations it holds.
	TotalCount int `json:"totalCount"`
	// Raw is the JSON the filter was decoded from; it holds the filter's
	// action links.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes a filter leniently and keeps the raw JSON.
func (f *ConversationFilter) UnmarshalJSON(b []byte) error {
	type plain ConversationFilter
	*f = ConversationFilter{}
	if err := decodeObject(b, (*plain)(f)); err != nil {
		return err
	}
	if !isNull(b) {
		f.Raw = append(json.RawMessage(nil), b...)
	}
	return nil
}

// Filters iterates over the account's conversation filters, with their
// counts. Lazy, like List; a client without an account yields
// ErrNoAccount before anything is sent.
//
// GET /:account/conversation_filters
// (https://apidocs.next.textus.com/docs/conversation_filters/index/).
func (s *ConversationsService) Filters(ctx context.Context) iter.Seq2[*ConversationFilter, error] {
	return newPager[ConversationFilter](s.client, epConversationFilters, nil).all(ctx)
}

// BatchParams selects the conversations of a filter that a batch action
// applies to: listed ones, or every one modified before a time. Give
// exactly one of the two.
type BatchParams struct {
	// Conversations lists conversations by IRI or slug; they are sent as
	// IRIs ({"conversations": ["/conversations/..."]}).
	Conversations []string
	// ModifiedBefore selects every conversation of the filter modified
	// before this time (?modified_before=, RFC 3339 in UTC).
	ModifiedBefore time.Time
}

// batchBody is the body of a batch action that lists its conversations.
type batchBody struct {
	Conversations []string `json:"conversations"`
}

// batch checks p and sends a batch action on the filter's conversations.
// TextUs answers 202 with no body: the work happens after the answer.
func (s *ConversationsService) batch(ctx context.Context, ep *endpoint, filter string, p *BatchParams) error {
	if p == nil {
		return errors.New("textus: nil *BatchParams")
	}
	hasIDs, hasTime := len(p.Conversations) > 0, !p.ModifiedBefore.IsZero()
	switch {
	case hasIDs && hasTime:
		return errors.New("textus: give Conversations or ModifiedBefore, not both")
	case !hasIDs && !hasTime:
		return errors.New("textus: a batch action needs Conversations or ModifiedBefore")
	}
	path, err := ep.path(s.client, filter)
	if err != nil {
		return err
	}
	var body any
	if hasIDs {
		b := &batchBody{Conversations: make([]string, 0, len(p.Conversations))}
		seen := make(map[string]bool, len(p.Conversations))
		for i, id := range p.Conversations {
			iri, err := resourceIRI("conversation", id)
			if err != nil {
				return &contextError{fmt.Sprintf("conversation %d", i), err}
			}
			if !seen[iri] {
				seen[iri] = true
				b.Conversations = append(b.Conversations, iri)
			}
		}
		body = b
	} else {
		path += "?" + url.Values{"modified_before": {p.ModifiedBefore.UTC().Format(time.RFC3339Nano)}}.Encode()
	}
	_, err = s.client.do(ctx, ep, path, body, nil)
	return err
}

// BatchReopen reopens conversations of a filter ("active", "all", ...):
// those listed, or all modified before a time. TextUs answers 202 Accepted
// and reopens them afterwards, so nothing but an error is returned. It is
// a PUT, retried like any idempotent request.
//
// PUT /:account/conversation_filters/:filter/conversations/reopen{?modified_before}
// (https://apidocs.next.textus.com/docs/conversation_filters/batch_reopen/).
func (s *ConversationsService) BatchReopen(ctx context.Context, filter string, p *BatchParams) error {
	return s.batch(ctx, epBatchReopen, filter, p)
}

// BatchClose closes conversations of a filter, like BatchReopen.
//
// PUT /:account/conversation_filters/:filter/conversations/close{?modified_before}
// (https://apidocs.next.textus.com/docs/conversation_filters/batch_close/).
func (s *ConversationsService) BatchClose(ctx context.Context, filter string, p *BatchParams) error {
	return s.batch(ctx, epBatchClose, filter, p)
}

// BatchUnassign unassigns the token's user from conversations of a
// filter, which moves them out of the user's "assigned to me" view. TextUs
// answers 202 Accepted. It is a DELETE with a body, retried like any
// idempotent request.
//
// The docs show only the listed form; ModifiedBefore is sent as the
// filter's unassignConversations link does (?modified_before=).
//
// DELETE /:account/conversation_filters/:filter/conversations/assign
// (https://apidocs.next.textus.com/docs/conversation_filters/batch_unassign/).
func (s *ConversationsService) BatchUnassign(ctx context.Context, filter string, p *BatchParams) error {
	return s.batch(ctx, epBatchUnassign, filter, p)
}
