package textus

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/textus-go/textus/internal/jsonld"
)

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

// ErrInvalidEvent is returned (wrapped) by ParseEvent, and by the
// UnmarshalJSON methods of the event types, for a body that is not a
// syntactically valid JSON object. A webhook handler answers such a body
// with 400 Bad Request.
var ErrInvalidEvent = errors.New("textus: webhook delivery is not a JSON object")

// Event is the envelope of a webhook delivery (a TextUs "WebhookDelivery").
// ParseEvent returns it as is for actions the SDK does not know, and embeds
// it in every typed event, so its fields are available on all of them.
//
// Every field is optional on the wire: a missing or mistyped field leaves
// the zero value, and DecodeError says what could not be read.
type Event struct {
	// Type is the JSON-LD @type: "WebhookDelivery", or
	// "OptOutWebhookDelivery" for opt-out events. It is informational; the
	// SDK dispatches on Action.
	Type string `json:"@type,omitempty"`
	// ID is the delivery's IRI, e.g. "/integrations/h13Jc5/deliveries/xyz".
	// It identifies the delivery and is the de-duplication key.
	ID string `json:"id,omitempty"`
	// Action is the event name with the hyphenated aliases mapped to the
	// wire names (see NormalizeEventType). When the delivery has no
	// "action" but a top-level string "actions", that value is used.
	Action EventType `json:"action,omitempty"`
	// RawAction is the action exactly as the delivery spelled it (before
	// alias mapping and trimming).
	RawAction string `json:"-"`
	// Timestamp is the delivery's timestamp, with the offset it was sent
	// with; it is zero when absent or unreadable. RFC 3339 with any number
	// of fractional digits and any offset is accepted.
	Timestamp time.Time `json:"timestamp"`
	// WebHook is the IRI of the integration that produced the delivery,
	// e.g. "/integrations/h13Jc5". It is optional.
	WebHook string `json:"webHook,omitempty"`
	// Raw is the delivery exactly as received: the bytes the signature was
	// computed over. It is a copy; changing it affects nothing else.
	Raw json.RawMessage `json:"-"`
	// DecodeError is non-nil when parts of a valid JSON object could not be
	// decoded into the typed fields: a field with the wrong JSON type
	// (e.g. "message": 5), or an embedded resource its model type refuses.
	// The affected fields are left zero (a resource is left nil) and the
	// rest is delivered; Raw still holds everything. It may include a short
	// excerpt of the offending value, so do not log it where deliveries
	// must not appear.
	DecodeError error `json:"-"`
}

// Envelope returns e. It is promoted through embedding, so every value
// ParseEvent returns satisfies interface{ Envelope() *Event }, which gives
// access to the common fields without a type switch.
func (e *Event) Envelope() *Event { return e }

// MessageEvent is a message.received, message.delivered, message.failed
// or message.unknown delivery.
type MessageEvent struct {
	Event
	// Conversation is the conversation the message belongs to: the
	// contact's number is Conversation.PhoneNumber, your TextUs number is
	// Conversation.AccountPhoneNumber, and the account is
	// Conversation.Account. It is nil when the delivery has none; when the
	// delivery sends only a link, only its ID is set.
	Conversation *Conversation `json:"conversation,omitempty"`
	// Message is the message; Direction and DeliveryState say what
	// happened. It is nil when the delivery has none; when the delivery
	// sends only a link, only its ID is set.
	Message *Message `json:"message,omitempty"`
}

// OptOutEvent is a contact.opted_out or contact.opted_in delivery. The
// event's meaning comes from Action; OptOut.Kind carries the payload's own
// "type" ("opt-out" or "opt-in"), which is exposed but not trusted.
type OptOutEvent struct {
	Event
	// OptOut is the delivery's "optOut" object; nil when absent. When the
	// delivery sends only a link, only its ID (and the number derived from
	// it) is set.
	OptOut *OptOut `json:"optOut,omitempty"`
	// Conversation is set when the delivery embeds one; usually nil.
	Conversation *Conversation `json:"conversation,omitempty"`
	// Contact is set when the delivery embeds one; usually nil.
	Contact *Contact `json:"contact,omitempty"`
}

// PhoneNumber returns the E.164 number that opted out (or in), from
// whichever field carries it, in this order: optOut.phoneNumber, the
// number at the end of the opt-out IRI ("/textus/opt_outs/+13035551234"),
// optOut.formattedPhoneNumber, the conversation's phone number, the
// contact's first phone number. It returns "" when none holds a readable
// number. National forms such as "(303) 555-1234" are converted to E.164.
func (e *OptOutEvent) PhoneNumber() string {
	if e == nil {
		return ""
	}
	if o := e.OptOut; o != nil {
		if p := firstPhone(o.PhoneNumber, iriPhone(o.ID), o.FormattedPhoneNumber); p != "" {
			return p
		}
	}
	if c := e.Conversation; c != nil {
		if p := firstPhone(c.PhoneNumber, c.FormattedPhoneNumber); p != "" {
			return p
		}
	}
	if ct := e.Contact; ct != nil {
		for _, ph := range ct.Phones {
			if p := firstPhone(ph.PhoneNumber, ph.FormattedPhoneNumber); p != "" {
				return p
			}
		}
	}
	return ""
}

// ContactEvent is a contact.created delivery.
type ContactEvent struct {
	Event
	// Contact is the delivery's "contact" object; nil when absent. When the
	// delivery sends only a link, only its ID is set.
	Contact *Contact `json:"contact,omitempty"`
}

// PhoneCallEvent is a phone_call.completed delivery. TextUs does not
// document its payload, so the call itself is kept raw.
type PhoneCallEvent struct {
	Event
	// Conversation is the conversation of the call, when the delivery
	// embeds one.
	Conversation *Conversation `json:"conversation,omitempty"`
	// PhoneCall is the delivery's "phoneCall" value exactly as sent, or nil
	// when absent. Decode it with json.Unmarshal into a type of your own.
	PhoneCall json.RawMessage `json:"phoneCall,omitempty"`
}

// ParseEvent decodes a webhook delivery. It returns a *MessageEvent for the
// message.* actions, an *OptOutEvent for contact.opted_out and
// contact.opted_in, a *ContactEvent for contact.created, a
// *PhoneCallEvent for phone_call.completed, and an *Event for any other
// action (new events, typos, or none at all). Hyphenated aliases such as
// "contact.opted-out" select the same types as the wire names.
//
// The only error is one wrapping ErrInvalidEvent, for a body that is not a
// syntactically valid JSON object. Decoding is otherwise lenient: unknown
// fields are ignored; relations may be a link string or an embedded
// object; a field with an unexpected JSON type (e.g. "message": 5 or
// "id": 7) is left zero (nil for a resource) and reported in
// Event.DecodeError, and everything else is still returned. ParseEvent
// never panics.
//
// ParseEvent does not check the signature: call it on a body that
// webhooks.Verify accepted. It copies body; the caller may reuse it.
func ParseEvent(body []byte) (any, error) {
	var d eventDecoder
	if err := d.decode(body); err != nil {
		return nil, err
	}
	switch d.ev.Action {
	case EventMessageReceived, EventMessageDelivered, EventMessageFailed, EventMessageUnknown:
		e := new(MessageEvent)
		d.fillMessage(e)
		return e, nil
	case EventContactOptedOut, EventContactOptedIn:
		e := new(OptOutEvent)
		d.fillOptOut(e)
		return e, nil
	case EventContactCreated:
		e := new(ContactEvent)
		d.fillContact(e)
		return e, nil
	case EventPhoneCallCompleted:
		e := new(PhoneCallEvent)
		d.fillPhoneCall(e)
		return e, nil
	}
	e := new(Event)
	*e = d.finish()
	return e, nil
}

// UnmarshalJSON decodes the envelope of any delivery, with the rules of
// ParseEvent.
func (e *Event) UnmarshalJSON(b []byte) error {
	var d eventDecoder
	if err := d.decode(b); err != nil {
		return err
	}
	*e = d.finish()
	return nil
}

// UnmarshalJSON decodes a delivery as a message event, whatever its
// action, with the rules of ParseEvent.
func (e *MessageEvent) UnmarshalJSON(b []byte) error {
	var d eventDecoder
	if err := d.decode(b); err != nil {
		return err
	}
	*e = MessageEvent{}
	d.fillMessage(e)
	return nil
}

// UnmarshalJSON decodes a delivery as an opt-out event, whatever its
// action, with the rules of ParseEvent.
func (e *OptOutEvent) UnmarshalJSON(b []byte) error {
	var d eventDecoder
	if err := d.decode(b); err != nil {
		return err
	}
	*e = OptOutEvent{}
	d.fillOptOut(e)
	return nil
}

// UnmarshalJSON decodes a delivery as a contact event, whatever its
// action, with the rules of ParseEvent.
func (e *ContactEvent) UnmarshalJSON(b []byte) error {
	var d eventDecoder
	if err := d.decode(b); err != nil {
		return err
	}
	*e = ContactEvent{}
	d.fillContact(e)
	return nil
}

// UnmarshalJSON decodes a delivery as a phone-call event, whatever its
// action, with the rules of ParseEvent.
func (e *PhoneCallEvent) UnmarshalJSON(b []byte) error {
	var d eventDecoder
	if err := d.decode(b); err != nil {
		return err
	}
	*e = PhoneCallEvent{}
	d.fillPhoneCall(e)
	return nil
}

// eventRaw captures a JSON value without copying it: it aliases the
// decoder's input, which eventDecoder owns.
type eventRaw []byte

func (r *eventRaw) UnmarshalJSON(b []byte) error {
	*r = b
	return nil
}

// eventEnvelope is the wire form of a delivery. Scalars the SDK relies on
// are plain strings (a mistyped one becomes a reported type error, not a
// failure); everything else is captured raw and decoded on its own, so a
// bad resource cannot spoil the rest.
type eventEnvelope struct {
	Type         string   `json:"@type"`
	ID           string   `json:"id"`
	Action       string   `json:"action"`
	Actions      eventRaw `json:"actions"`
	Timestamp    eventRaw `json:"timestamp"`
	WebHook      eventRaw `json:"webHook"`
	Conversation eventRaw `json:"conversation"`
	Message      eventRaw `json:"message"`
	OptOut       eventRaw `json:"optOut"`
	Contact      eventRaw `json:"contact"`
	PhoneCall    eventRaw `json:"phoneCall"`
}

// eventDecoder decodes one delivery: the envelope first, then the
// resources the event type asks for, collecting lenient-decoding problems.
type eventDecoder struct {
	env  eventEnvelope
	ev   Event
	errs []error
}

func (d *eventDecoder) decode(body []byte) error {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return fmt.Errorf("%w: it does not start with '{'", ErrInvalidEvent)
	}
	raw := make(json.RawMessage, len(body))
	copy(raw, body)
	if err := json.Unmarshal(raw, &d.env); err != nil {
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) {
			return fmt.Errorf("%w: %v", ErrInvalidEvent, err)
		}
		// A field of the wrong JSON type: encoding/json has decoded
		// everything else and reports the first such field.
		d.errs = append(d.errs, fmt.Errorf("textus: event field %q: JSON %s where a %s was expected", te.Field, te.Value, te.Type))
	}
	env := &d.env
	d.ev = Event{
		Type:      env.Type,
		ID:        env.ID,
		RawAction: env.Action,
		Raw:       raw,
	}
	if strings.TrimSpace(d.ev.RawAction) == "" && len(env.Actions) > 0 && env.Actions[0] == '"' {
		if s, ok := eventString(env.Actions); ok {
			d.ev.RawAction = s
		}
	}
	d.ev.Action = NormalizeEventType(d.ev.RawAction)
	d.ev.Timestamp = d.timestamp(env.Timestamp)
	d.ev.WebHook = d.link("webHook", env.WebHook)
	return nil
}

// finish returns the envelope with the collected decoding problems.
func (d *eventDecoder) finish() Event {
	ev := d.ev
	ev.DecodeError = errors.Join(d.errs...)
	return ev
}

func (d *eventDecoder) fillMessage(e *MessageEvent) {
	e.Conversation = d.conversation()
	e.Message = decodeResource(d, "message", d.env.Message, func(iri string) *Message { return &Message{ID: iri} })
	e.Event = d.finish()
}

func (d *eventDecoder) fillOptOut(e *OptOutEvent) {
	e.OptOut = decodeResource(d, "optOut", d.env.OptOut, func(iri string) *OptOut {
		return &OptOut{ID: iri, PhoneNumber: firstPhone(iriPhone(iri))}
	})
	e.Conversation = d.conversation()
	e.Contact = d.contact()
	e.Event = d.finish()
}

func (d *eventDecoder) fillContact(e *ContactEvent) {
	e.Contact = d.contact()
	e.Event = d.finish()
}

func (d *eventDecoder) fillPhoneCall(e *PhoneCallEvent) {
	e.Conversation = d.conversation()
	if v := d.env.PhoneCall; len(v) > 0 && !isJSONNull(v) {
		e.PhoneCall = append(json.RawMessage(nil), v...)
	}
	e.Event = d.finish()
}

func (d *eventDecoder) conversation() *Conversation {
	return decodeResource(d, "conversation", d.env.Conversation, func(iri string) *Conversation { return &Conversation{ID: iri} })
}

func (d *eventDecoder) contact() *Contact {
	return decodeResource(d, "contact", d.env.Contact, func(iri string) *Contact { return &Contact{ID: iri} })
}

// decodeResource decodes an embedded resource that may be absent, null, a
// link string or an object. Any other JSON value, or an object the model
// type refuses, leaves it nil and records the problem.
func decodeResource[T any, P interface {
	*T
	json.Unmarshaler
}](d *eventDecoder, field string, v eventRaw, fromIRI func(string) P) P {
	if len(v) == 0 || isJSONNull(v) {
		return nil
	}
	switch v[0] {
	case '"':
		if s, ok := eventString(v); ok && s != "" {
			return fromIRI(s)
		}
		return nil
	case '{':
		p := P(new(T))
		if err := p.UnmarshalJSON(v); err != nil {
			d.errs = append(d.errs, fmt.Errorf("textus: event field %q: %w", field, err))
			return nil
		}
		return p
	}
	d.errs = append(d.errs, fmt.Errorf("textus: event field %q: JSON %s where an object or a link was expected", field, jsonKind(v)))
	return nil
}

// timestamp reads an RFC 3339 timestamp; anything else present is zero and
// reported.
func (d *eventDecoder) timestamp(v eventRaw) time.Time {
	if len(v) == 0 || isJSONNull(v) {
		return time.Time{}
	}
	if v[0] == '"' {
		if s, ok := eventString(v); ok {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				return t
			}
			if t := parseTime(v); !t.IsZero() {
				return t
			}
		}
	}
	d.errs = append(d.errs, errors.New(`textus: event field "timestamp": not an RFC 3339 time`))
	return time.Time{}
}

// link reads a relation sent as an IRI string or as an object with an id.
func (d *eventDecoder) link(field string, v eventRaw) string {
	if len(v) == 0 || isJSONNull(v) {
		return ""
	}
	switch v[0] {
	case '"':
		s, _ := eventString(v)
		return s
	case '{':
		var l jsonld.Link
		if err := l.UnmarshalJSON(v); err == nil {
			return l.IRI
		}
	}
	d.errs = append(d.errs, fmt.Errorf("textus: event field %q: JSON %s where a link was expected", field, jsonKind(v)))
	return ""
}

// eventString decodes a JSON string value, without the decoder's general
// machinery when it holds no escapes.
func eventString(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", false
	}
	inner := v[1 : len(v)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner), true
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return "", false
	}
	return s, true
}

func isJSONNull(v []byte) bool { return string(v) == "null" }

// jsonKind names the JSON type of a valid JSON value.
func jsonKind(v []byte) string {
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// firstPhone returns the first candidate that reads as a phone number, in
// E.164 form.
func firstPhone(candidates ...string) string {
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if p, err := NormalizePhone(c); err == nil {
			return p
		}
	}
	return ""
}

// iriPhone returns the last segment of an opt-out IRI, unescaped
// ("/textus/opt_outs/%2B13035551234" -> "+13035551234").
func iriPhone(iri string) string {
	s := jsonld.Slug(iri)
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}
