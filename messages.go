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

// Direction says whether a message was received from ("in") or sent to
// ("out") the contact. It is an open set: compare with the constants.
type Direction string

// Known message directions.
const (
	DirectionIn  Direction = "in"
	DirectionOut Direction = "out"
)

// DeliveryState is the delivery state of a message. It is an open set; the
// constants name the documented values.
type DeliveryState string

// Documented delivery states.
const (
	DeliveryCreated         DeliveryState = "created"
	DeliveryReceived        DeliveryState = "received"
	DeliveryScheduled       DeliveryState = "scheduled"
	DeliveryQueued          DeliveryState = "queued"
	DeliveryDispatched      DeliveryState = "dispatched"
	DeliveryDelivered       DeliveryState = "delivered"
	DeliveryFailedTransient DeliveryState = "failed_transient"
	DeliveryFailed          DeliveryState = "failed"
	DeliveryUnknown         DeliveryState = "unknown"
)

// Message is a TextUs message.
type Message struct {
	// LDType is the JSON-LD @type ("Message").
	LDType string `json:"@type,omitempty"`
	// ID is the message's IRI, e.g. "/messages/QNDkpL".
	ID string `json:"id"`
	// Body is the message text.
	Body string `json:"body"`
	// FormattedBody is the text rendered as HTML.
	FormattedBody string `json:"formattedBody,omitempty"`
	// Direction is "in" (from the contact) or "out" (to the contact).
	Direction Direction `json:"direction,omitempty"`
	// DeliveryState is where the message is in its delivery (an open set; see the Delivery constants).
	DeliveryState DeliveryState `json:"deliveryState,omitempty"`
	// Status and FriendlyStateDescription are display texts for the state.
	Status string `json:"status,omitempty"`
	// FriendlyStateDescription is a display text for DeliveryState.
	FriendlyStateDescription string `json:"friendlyStateDescription,omitempty"`
	// Conversation is the IRI of the message's conversation (an embedded
	// conversation object decodes to its IRI).
	Conversation string `json:"conversation,omitempty"`
	// Sender is the IRI of the sending user; empty for inbound messages.
	Sender string `json:"sender,omitempty"`
	// Source is "textus" or the name of the integration that sent it.
	Source string `json:"source,omitempty"`
	// Channel is the medium, e.g. "sms".
	Channel string `json:"channel,omitempty"`
	// Flags are markers such as "automated" or "scheduled".
	Flags []string `json:"flags,omitempty"`
	// RetryAllowed reports whether TextUs allows retrying a failed message.
	RetryAllowed bool `json:"retryAllowed,omitempty"`
	// AttachmentIDs are the IRIs of the message's attachments.
	AttachmentIDs []string `json:"-"`
	// CreatedAt, DisplayTimestamp, TimelinePosition and LatestEventAt are
	// the timestamps the API sends; each is zero when absent.
	CreatedAt time.Time `json:"createdAt,omitzero"`
	// DisplayTimestamp is the time TextUs shows for the message.
	DisplayTimestamp time.Time `json:"displayTimestamp,omitzero"`
	// TimelinePosition is the message's position in its timeline, as the API sends it.
	TimelinePosition string `json:"timelinePosition,omitempty"`
	// LatestEventAt is the time of the latest delivery event.
	LatestEventAt time.Time `json:"latestEventAt,omitzero"`
	// ScheduledAt is set on scheduled messages.
	ScheduledAt time.Time `json:"scheduledAt,omitzero"`
	// Raw is the JSON the message was decoded from.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes a message, replacing m's fields. Decoding is
// lenient: relations may be a link or an embedded object, timestamps may be
// in any RFC 3339 form, and a field of an unexpected JSON type is left zero
// rather than failing the message.
func (m *Message) UnmarshalJSON(b []byte) error {
	return m.decodeBytes(append([]byte(nil), b...))
}

func (m *Message) decodeBytes(raw []byte) error {
	return decodeBytesWire[Message, wireMessage](m, raw, lenientMessage)
}

func (m *Message) decodeNext(dec *json.Decoder, body []byte, start int64) (bool, error) {
	return decodeNextWire[Message, wireMessage](m, dec, body, start, lenientMessage)
}

// wireMessage is the documented shape of a message (see the one-pass
// decoding in decode.go).
type wireMessage struct {
	LDType                   string        `json:"@type"`
	ID                       string        `json:"id"`
	Body                     string        `json:"body"`
	FormattedBody            string        `json:"formattedBody"`
	Direction                Direction     `json:"direction"`
	DeliveryState            DeliveryState `json:"deliveryState"`
	Status                   string        `json:"status"`
	FriendlyStateDescription string        `json:"friendlyStateDescription"`
	Conversation             wireLink      `json:"conversation"`
	Sender                   wireLink      `json:"sender"`
	Source                   string        `json:"source"`
	Channel                  string        `json:"channel"`
	Flags                    []string      `json:"flags"`
	RetryAllowed             bool          `json:"retryAllowed"`
	Attachments              *wireLinks    `json:"attachments"`
	CreatedAt                lenientTime   `json:"createdAt"`
	DisplayTimestamp         lenientTime   `json:"displayTimestamp"`
	TimelinePosition         string        `json:"timelinePosition"`
	LatestEventAt            lenientTime   `json:"latestEventAt"`
	ScheduledAt              lenientTime   `json:"scheduledAt"`
}

// wireLinks is a collection of relations of which only the IRIs are kept.
type wireLinks struct {
	Members  []wireLink `json:"members"`
	HMembers []wireLink `json:"hydra:member"`
}

func (w *wireMessage) fill(m *Message, raw []byte) {
	*m = Message{
		LDType:                   w.LDType,
		ID:                       w.ID,
		Body:                     w.Body,
		FormattedBody:            w.FormattedBody,
		Direction:                w.Direction,
		DeliveryState:            w.DeliveryState,
		Status:                   w.Status,
		FriendlyStateDescription: w.FriendlyStateDescription,
		Conversation:             string(w.Conversation),
		Sender:                   string(w.Sender),
		Source:                   w.Source,
		Channel:                  w.Channel,
		Flags:                    w.Flags,
		RetryAllowed:             w.RetryAllowed,
		CreatedAt:                w.CreatedAt.Time,
		DisplayTimestamp:         w.DisplayTimestamp.Time,
		TimelinePosition:         w.TimelinePosition,
		LatestEventAt:            w.LatestEventAt.Time,
		ScheduledAt:              w.ScheduledAt.Time,
		Raw:                      raw,
	}
	if a := w.Attachments; a != nil {
		members := a.Members
		if members == nil {
			members = a.HMembers
		}
		for _, l := range members {
			m.AttachmentIDs = append(m.AttachmentIDs, string(l))
		}
	}
}

// lenientMessage decodes any form of a message into m, which keeps raw.
func lenientMessage(m *Message, raw []byte) error {
	type plain Message
	*m = Message{}
	aux := struct {
		*plain
		Conversation     jsonld.Link                    `json:"conversation"`
		Sender           jsonld.Link                    `json:"sender"`
		Attachments      jsonld.Collection[jsonld.Link] `json:"attachments"`
		CreatedAt        lenientTime                    `json:"createdAt"`
		DisplayTimestamp lenientTime                    `json:"displayTimestamp"`
		LatestEventAt    lenientTime                    `json:"latestEventAt"`
		ScheduledAt      lenientTime                    `json:"scheduledAt"`
		TimelinePosition json.RawMessage                `json:"timelinePosition"`
	}{plain: (*plain)(m)}
	if err := decodeObject(raw, &aux); err != nil {
		return err
	}
	m.Conversation = aux.Conversation.IRI
	m.Sender = aux.Sender.IRI
	for _, a := range aux.Attachments.Members {
		m.AttachmentIDs = append(m.AttachmentIDs, a.IRI)
	}
	m.CreatedAt = aux.CreatedAt.Time
	m.DisplayTimestamp = aux.DisplayTimestamp.Time
	m.LatestEventAt = aux.LatestEventAt.Time
	m.ScheduledAt = aux.ScheduledAt.Time
	m.TimelinePosition = rawScalar(aux.TimelinePosition)
	m.Raw = raw
	return nil
}

// Time returns the best timestamp the message carries: DisplayTimestamp,
// else CreatedAt, else LatestEventAt.
func (m *Message) Time() time.Time {
	switch {
	case !m.DisplayTimestamp.IsZero():
		return m.DisplayTimestamp
	case !m.CreatedAt.IsZero():
		return m.CreatedAt
	}
	return m.LatestEventAt
}

// MessagesService sends and reads messages. Get it from Client.Messages.
type MessagesService service

// SendMessageParams is the input of MessagesService.Send.
type SendMessageParams struct {
	// To is the recipient (E.164, or a North American national form that
	// the SDK normalises to E.164). Required.
	To string
	// Body is the message text. Required.
	Body string
	// From sends without an account, from this TextUs number (one owned by
	// a messaging account of the organization).
	From string
	// Email sends without an account, as this TextUs user (TextUs picks
	// the best account). Ignored when From is set.
	Email string
	// SavedReply optionally references the saved reply the message comes
	// from, by IRI ("/saved_replies/QxvonQv") or slug; it is sent as the
	// IRI (saved_reply). Body is still required, as in the docs' example.
	SavedReply string
}

// sendBody is the JSON body of every send and schedule request.
type sendBody struct {
	To          recipients `json:"to"`
	Body        string     `json:"body"`
	From        string     `json:"from,omitempty"`
	Email       string     `json:"email,omitempty"`
	SavedReply  string     `json:"saved_reply,omitempty"`
	ScheduledAt string     `json:"scheduled_at,omitempty"`
}

// recipients is the "to" of a send. One number is sent as a string, as the
// API's single-recipient examples do; a list (SendMany) is sent as an
// array, even of one number.
type recipients struct {
	numbers []string
	list    bool
}

func (r recipients) MarshalJSON() ([]byte, error) {
	if !r.list && len(r.numbers) == 1 {
		return json.Marshal(r.numbers[0])
	}
	return json.Marshal(r.numbers)
}

// sendInput is what Send, SendMany and Schedule have in common, taken from
// their params.
type sendInput struct {
	to         []string
	list       bool // send "to" as an array even for one number (SendMany)
	text       string
	from       string
	email      string
	savedReply string
}

// newSendBody checks and normalises a send: the text, the recipients, the
// saved reply and, to send without an account, From or Email. It returns
// the endpoint to post to. Every check runs before anything is sent.
func newSendBody(in sendInput) (*sendBody, *endpoint, error) {
	to, from, email := in.to, in.from, in.email
	if strings.TrimSpace(in.text) == "" {
		return nil, nil, errors.New("textus: message body is empty")
	}
	if len(to) == 0 {
		return nil, nil, errors.New("textus: message has no recipient")
	}
	b := &sendBody{Body: in.text, To: recipients{numbers: make([]string, len(to)), list: in.list}}
	var err error
	if b.SavedReply, err = savedReplyIRI(in.savedReply); err != nil {
		return nil, nil, err
	}
	for i, t := range to {
		n, err := NormalizePhone(t)
		if err != nil {
			return nil, nil, &contextError{"recipient", err}
		}
		b.To.numbers[i] = n
	}
	switch {
	case strings.TrimSpace(from) != "":
		n, err := NormalizePhone(from)
		if err != nil {
			return nil, nil, &contextError{"sender (From)", err}
		}
		b.From = n
		return b, epMessagesSendNoAccount, nil
	case strings.TrimSpace(email) != "":
		if !strings.Contains(email, "@") {
			return nil, nil, fmt.Errorf("textus: invalid sender email %q", email)
		}
		b.Email = strings.TrimSpace(email)
		return b, epMessagesSendNoAccount, nil
	}
	return b, epMessagesSend, nil
}

// Send texts one recipient and returns the created message. With From or
// Email set it sends without an account (POST /messages); otherwise from
// the client's account.
//
// Send is never retried once the request may have reached TextUs: a
// timeout, a reset connection or a 5xx returns an error matching
// ErrOutcomeUnknown, because the text may have gone out. Check the
// conversation timeline before sending again. Requests that provably never
// left (connection refused) and 429 responses are retried. A send to an
// opted-out number fails with an error matching ErrValidation.
//
// If TextUs answers 202 Accepted without a body, the returned Message has
// an empty ID and carries only the body and direction.
//
// POST /:account/messages or POST /messages
// (https://apidocs.next.textus.com/docs/messages/send,
// https://apidocs.next.textus.com/docs/messages/send_without_account).
func (s *MessagesService) Send(ctx context.Context, p *SendMessageParams) (*Message, error) {
	if p == nil {
		return nil, errors.New("textus: nil *SendMessageParams")
	}
	if strings.TrimSpace(p.To) == "" {
		return nil, errors.New("textus: message has no recipient")
	}
	b, ep, err := newSendBody(sendInput{to: []string{p.To}, text: p.Body, from: p.From, email: p.Email, savedReply: p.SavedReply})
	if err != nil {
		return nil, err
	}
	return s.post(ctx, ep, b)
}

// savedReplyIRI reads an optional saved reply reference ("" for none).
func savedReplyIRI(ref string) (string, error) {
	if strings.TrimSpace(ref) == "" {
		return "", nil
	}
	iri, err := resourceIRI("saved_reply", ref)
	if err != nil {
		return "", &contextError{"SavedReply", err}
	}
	return iri, nil
}

// post sends a single-recipient send or schedule and returns its message.
func (s *MessagesService) post(ctx context.Context, ep *endpoint, b *sendBody) (*Message, error) {
	path, err := ep.path(s.client)
	if err != nil {
		return nil, err
	}
	m := new(Message)
	resp, err := s.client.do(ctx, ep, path, b, m)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == 202 && m.ID == "" {
		m.Body, m.Direction = b.Body, DirectionOut
	}
	return m, nil
}

// SendManyParams is the input of MessagesService.SendMany.
type SendManyParams struct {
	// To lists the recipients; each is normalised like SendMessageParams.To.
	To []string
	// Body is the message text. Required.
	Body string
	// From and Email send without an account, as in SendMessageParams.
	From, Email string
}

// SendMany texts several recipients in one request. TextUs answers 202
// Accepted with no body, so nothing but an error is returned. It is never
// retried once it may have reached TextUs (ErrOutcomeUnknown).
//
// POST /:account/messages or POST /messages with a "to" array
// (https://apidocs.next.textus.com/docs/messages/send).
func (s *MessagesService) SendMany(ctx context.Context, p *SendManyParams) error {
	if p == nil {
		return errors.New("textus: nil *SendManyParams")
	}
	b, ep, err := newSendBody(sendInput{to: p.To, list: true, text: p.Body, from: p.From, email: p.Email})
	if err != nil {
		return err
	}
	path, err := ep.path(s.client)
	if err != nil {
		return err
	}
	_, err = s.client.do(ctx, ep, path, b, nil)
	return err
}

// ScheduleMessageParams is the input of MessagesService.Schedule.
type ScheduleMessageParams struct {
	// To is the recipient; required.
	To string
	// From is the sending TextUs number, one of the account's own
	// numbers. The docs' example always sends it. When it is empty, the
	// SDK reads the client's account (GET /accounts/:account, one request
	// before the schedule) and sends its number; an account with no number
	// or with several is an error asking for From, and nothing is
	// scheduled. Set it to save that request.
	From string
	// Body is the message text; required.
	Body string
	// SavedReply optionally references the saved reply the message comes
	// from, by IRI or slug; it is sent as the IRI (saved_reply).
	SavedReply string
	// At is when to send; required.
	At time.Time
}

// Schedule creates a message to be sent at p.At from the client's account.
// It returns the scheduled message (flags contain "scheduled"). Like Send,
// it is never retried once it may have reached TextUs: a failure after
// that point matches ErrOutcomeUnknown, and the message may be scheduled;
// look at the conversation before scheduling it again.
//
// POST /:account/messages/schedule with to, from, body, scheduled_at and
// optionally saved_reply (https://apidocs.next.textus.com/docs/messages/schedule).
func (s *MessagesService) Schedule(ctx context.Context, p *ScheduleMessageParams) (*Message, error) {
	if p == nil {
		return nil, errors.New("textus: nil *ScheduleMessageParams")
	}
	if p.At.IsZero() {
		return nil, errors.New("textus: scheduled message has no time")
	}
	if strings.TrimSpace(p.To) == "" {
		return nil, errors.New("textus: message has no recipient")
	}
	b, _, err := newSendBody(sendInput{to: []string{p.To}, text: p.Body, from: p.From, savedReply: p.SavedReply})
	if err != nil {
		return nil, err
	}
	if s.client.account == "" {
		return nil, s.client.noAccount()
	}
	b.ScheduledAt = p.At.UTC().Format(time.RFC3339)
	if b.From == "" {
		if b.From, err = s.accountNumber(ctx); err != nil {
			return nil, err
		}
	}
	return s.post(ctx, epMessagesSchedule, b)
}

// accountNumber returns the client's account's own number in E.164 form,
// for a schedule without From.
func (s *MessagesService) accountNumber(ctx context.Context) (string, error) {
	a, err := s.client.Accounts.Get(ctx, s.client.account)
	if err != nil {
		return "", &contextError{"reading the account's number for the schedule's From", err}
	}
	switch len(a.PhoneNumbers) {
	case 0:
		return "", fmt.Errorf("textus: account %s has no phone number to schedule from; set From", a.Slug)
	case 1:
	default:
		return "", fmt.Errorf("textus: account %s has %d phone numbers (%s); set From to the one to schedule from",
			a.Slug, len(a.PhoneNumbers), strings.Join(a.PhoneNumbers, ", "))
	}
	n, err := NormalizePhone(a.PhoneNumbers[0])
	if err != nil {
		return "", &contextError{fmt.Sprintf("account %s's number %q (set From)", a.Slug, a.PhoneNumbers[0]), err}
	}
	return n, nil
}

// Get returns one message by IRI ("/messages/QNDkpL") or slug.
//
// GET /messages/:message (https://apidocs.next.textus.com/docs/messages/get).
func (s *MessagesService) Get(ctx context.Context, id string) (*Message, error) {
	return call[Message](ctx, s.client, epMessagesGet, nil, id)
}
