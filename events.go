package textus

import "strings"

// EventType names a webhook event; it is the delivery's "action" field and
// the key of an integration's settings.actions map.
type EventType string

// The documented webhook events.
const (
	EventMessageReceived    EventType = "message.received"
	EventMessageDelivered   EventType = "message.delivered"
	EventMessageFailed      EventType = "message.failed"
	EventMessageUnknown     EventType = "message.unknown"
	EventPhoneCallCompleted EventType = "phone_call.completed"
	EventContactOptedOut    EventType = "contact.opted_out"
	EventContactOptedIn     EventType = "contact.opted_in"
	EventContactCreated     EventType = "contact.created"
)

// AllEvents lists every documented event, in a stable order.
func AllEvents() []EventType {
	return []EventType{
		EventMessageReceived, EventMessageDelivered, EventMessageFailed, EventMessageUnknown,
		EventPhoneCallCompleted, EventContactOptedOut, EventContactOptedIn, EventContactCreated,
	}
}

// NormalizeEventType maps the hyphenated spellings the help centre uses
// ("contact.opted-out", "contact.opted-in") to the wire names, and trims
// surrounding space. Other values are returned as they are.
func NormalizeEventType(name string) EventType {
	name = strings.TrimSpace(name)
	switch name {
	case "contact.opted-out":
		return EventContactOptedOut
	case "contact.opted-in":
		return EventContactOptedIn
	}
	return EventType(name)
}
