package textus

import (
	"encoding/json"
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
	ID            string        `json:"id"`
	Body          string        `json:"body"`
	FormattedBody string        `json:"formattedBody,omitempty"`
	Direction     Direction     `json:"direction,omitempty"`
	DeliveryState DeliveryState `json:"deliveryState,omitempty"`
	// Status and FriendlyStateDescription are display texts for the state.
	Status                   string `json:"status,omitempty"`
	FriendlyStateDescription string `json:"friendlyStateDescription,omitempty"`
	// Conversation is the IRI of the message's conversation (an embedded
	// conversation object decodes to its IRI).
	Conversation string `json:"conversation,omitempty"`
	// Sender is the IRI of the sending user; empty for inbound messages.
	Sender string `json:"sender,omitempty"`
	// Source is "textus" or the name of the integration that sent it.
	Source        string   `json:"source,omitempty"`
	Channel       string   `json:"channel,omitempty"`
	Flags         []string `json:"flags,omitempty"`
	RetryAllowed  bool     `json:"retryAllowed,omitempty"`
	AttachmentIDs []string `json:"-"`
	// CreatedAt, DisplayTimestamp, TimelinePosition and LatestEventAt are
	// the timestamps the API sends; each is zero when absent.
	CreatedAt        time.Time `json:"createdAt,omitzero"`
	DisplayTimestamp time.Time `json:"displayTimestamp,omitzero"`
	TimelinePosition string    `json:"timelinePosition,omitempty"`
	LatestEventAt    time.Time `json:"latestEventAt,omitzero"`
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
	if err := json.Unmarshal(b, &aux); err != nil {
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
