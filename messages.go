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

// UnmarshalJSON decodes a message leniently (relations as link or object,
// timestamps in any RFC 3339 form).
func (m *Message) UnmarshalJSON(b []byte) error {
	type plain Message
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
	if err := decodeObject(b, &aux); err != nil {
		return err
	}
	m.Conversation = aux.Conversation.IRI
	m.Sender = aux.Sender.IRI
	m.AttachmentIDs = nil
	for _, a := range aux.Attachments.Members {
		m.AttachmentIDs = append(m.AttachmentIDs, a.IRI)
	}
	m.CreatedAt = aux.CreatedAt.Time
	m.DisplayTimestamp = aux.DisplayTimestamp.Time
	m.LatestEventAt = aux.LatestEventAt.Time
	m.ScheduledAt = aux.ScheduledAt.Time
	m.TimelinePosition = rawScalar(aux.TimelinePosition)
	m.Raw = append(json.RawMessage(nil), b...)
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
	// SavedReply optionally references a saved reply by IRI
	// ("/saved_replies/QxvonQv").
	SavedReply string
}

type sendBody struct {
	To any `json:"to"`
	// Body is the message text.
	Body        string `json:"body"`
	From        string `json:"from,omitempty"`
	Email       string `json:"email,omitempty"`
	SavedReply  string `json:"saved_reply,omitempty"`
	ScheduledAt string `json:"scheduled_at,omitempty"`
}

// build validates a send and returns its path and body. Every check runs
// before anything is sent.
func (s *MessagesService) build(to []string, body, from, email, savedReply string) (string, *sendBody, error) {
	if strings.TrimSpace(body) == "" {
		return "", nil, errors.New("textus: message body is empty")
	}
	if len(to) == 0 {
		return "", nil, errors.New("textus: message has no recipient")
	}
	nums := make([]string, len(to))
	for i, t := range to {
		n, err := NormalizePhone(t)
		if err != nil {
			return "", nil, fmt.Errorf("textus: recipient: %w", err)
		}
		nums[i] = n
	}
	b := &sendBody{Body: body, SavedReply: savedReply}
	if len(nums) == 1 {
		b.To = nums[0]
	} else {
		b.To = nums
	}
	switch {
	case strings.TrimSpace(from) != "":
		n, err := NormalizePhone(from)
		if err != nil {
			return "", nil, fmt.Errorf("textus: from: %w", err)
		}
		b.From = n
		return "/messages", b, nil
	case strings.TrimSpace(email) != "":
		if !strings.Contains(email, "@") {
			return "", nil, fmt.Errorf("textus: invalid sender email %q", email)
		}
		b.Email = strings.TrimSpace(email)
		return "/messages", b, nil
	}
	path, err := s.client.accountPath("messages")
	return path, b, err
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
	path, body, err := s.build([]string{p.To}, p.Body, p.From, p.Email, p.SavedReply)
	if err != nil {
		return nil, err
	}
	return s.post(ctx, path, body)
}

func (s *MessagesService) post(ctx context.Context, path string, body *sendBody) (*Message, error) {
	m := new(Message)
	resp, err := s.client.do(ctx, "POST", path, body, m)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == 202 && m.ID == "" {
		m.Body, m.Direction = body.Body, DirectionOut
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
	path, body, err := s.build(p.To, p.Body, p.From, p.Email, "")
	if err != nil {
		return err
	}
	if len(p.To) == 1 {
		body.To = []string{body.To.(string)}
	}
	_, err = s.client.do(ctx, "POST", path, body, nil)
	return err
}

// ScheduleMessageParams is the input of MessagesService.Schedule.
type ScheduleMessageParams struct {
	// To is the recipient; required.
	To string
	// From is the sending TextUs number; optional (the account's number).
	From string
	// Body is the message text; required.
	Body string
	// At is when to send; required.
	At time.Time
}

// Schedule creates a message to be sent at p.At from the client's account.
// It returns the scheduled message (flags contain "scheduled"). Like Send,
// it is never retried once it may have reached TextUs.
//
// POST /:account/messages/schedule (https://apidocs.next.textus.com/docs/messages/schedule).
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
	_, body, err := s.build([]string{p.To}, p.Body, "", "", "")
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(p.From) != "" {
		if body.From, err = NormalizePhone(p.From); err != nil {
			return nil, fmt.Errorf("textus: from: %w", err)
		}
	}
	body.ScheduledAt = p.At.UTC().Format(time.RFC3339)
	path, err := s.client.accountPath("messages", "schedule")
	if err != nil {
		return nil, err
	}
	return s.post(ctx, path, body)
}

// Get returns one message by IRI ("/messages/QNDkpL") or slug.
//
// GET /messages/:message (https://apidocs.next.textus.com/docs/messages/get).
func (s *MessagesService) Get(ctx context.Context, id string) (*Message, error) {
	slug, err := resourceSlug("message", "messages", id)
	if err != nil {
		return nil, err
	}
	return call[Message](ctx, s.client, "GET", joinPath("messages", slug), nil)
}
