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
	all := make([]EventType, len(eventKinds))
	for i, k := range eventKinds {
		all[i] = k.action
	}
	return all
}

// Known reports whether t is an event the SDK decodes into a typed event
// (one of AllEvents). ParseEvent returns a plain *Event for the others.
func (t EventType) Known() bool {
	_, ok := eventIndex[string(t)]
	return ok
}

// eventKind is one entry of the table of typed events.
type eventKind struct {
	action EventType
	// decode builds the typed event from a decoder that holds the
	// delivery's envelope.
	decode func(*eventDecoder) any
}

// eventKinds is the table of typed events: for each action the SDK knows,
// the type its deliveries decode into. ParseEvent, Known and AllEvents
// read it, and package webhooks keeps the matching table of callbacks, so
// adding an event is one entry here and one there.
var eventKinds = []eventKind{
	{EventMessageReceived, decodeAs[MessageEvent]},
	{EventMessageDelivered, decodeAs[MessageEvent]},
	{EventMessageFailed, decodeAs[MessageEvent]},
	{EventMessageUnknown, decodeAs[MessageEvent]},
	{EventPhoneCallCompleted, decodeAs[PhoneCallEvent]},
	{EventContactOptedOut, decodeAs[OptOutEvent]},
	{EventContactOptedIn, decodeAs[OptOutEvent]},
	{EventContactCreated, decodeAs[ContactEvent]},
}

// eventIndex finds an entry of eventKinds by its action.
var eventIndex = func() map[string]*eventKind {
	m := make(map[string]*eventKind, len(eventKinds))
	for i := range eventKinds {
		m[string(eventKinds[i].action)] = &eventKinds[i]
	}
	return m
}()

// typedEvent is implemented by the pointers to the event types: fill sets
// every field of the event from a decoder holding the envelope.
type typedEvent[E any] interface {
	*E
	fill(d *eventDecoder)
}

// decodeAs builds a new E from d.
func decodeAs[E any, P typedEvent[E]](d *eventDecoder) any {
	e := P(new(E))
	e.fill(d)
	return e
}

// unmarshalEvent is the UnmarshalJSON of every event type: b decoded as
// an E whatever its action.
func unmarshalEvent[E any, P typedEvent[E]](e P, b []byte) error {
	var d eventDecoder
	if err := d.decode(b); err != nil {
		return err
	}
	e.fill(&d)
	return nil
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
	return d.typed(), nil
}

// UnmarshalJSON decodes the envelope of any delivery, with the rules of
// ParseEvent.
func (e *Event) UnmarshalJSON(b []byte) error { return unmarshalEvent(e, b) }

// UnmarshalJSON decodes a delivery as a message event, whatever its
// action, with the rules of ParseEvent.
func (e *MessageEvent) UnmarshalJSON(b []byte) error { return unmarshalEvent(e, b) }

// UnmarshalJSON decodes a delivery as an opt-out event, whatever its
// action, with the rules of ParseEvent.
func (e *OptOutEvent) UnmarshalJSON(b []byte) error { return unmarshalEvent(e, b) }

// UnmarshalJSON decodes a delivery as a contact event, whatever its
// action, with the rules of ParseEvent.
func (e *ContactEvent) UnmarshalJSON(b []byte) error { return unmarshalEvent(e, b) }

// UnmarshalJSON decodes a delivery as a phone-call event, whatever its
// action, with the rules of ParseEvent.
func (e *PhoneCallEvent) UnmarshalJSON(b []byte) error { return unmarshalEvent(e, b) }

// eventEnvelope holds the raw values of the top-level members the SDK
// reads. Each aliases the decoder's copy of the body; a member sent twice
// keeps its last value, as with encoding/json.
type eventEnvelope struct {
	Actions      []byte
	Timestamp    []byte
	WebHook      []byte
	Conversation []byte
	Message      []byte
	OptOut       []byte
	Contact      []byte
	PhoneCall    []byte
}

// eventDecoder decodes one delivery: the envelope first, in one pass over
// the body that also checks its syntax, then the resources the event type
// asks for, collecting lenient-decoding problems.
type eventDecoder struct {
	env  eventEnvelope
	ev   Event
	errs []error
}

// decode reads the envelope of body, which it copies into ev.Raw. It
// fails only, with an error wrapping ErrInvalidEvent, when body is not
// one syntactically valid JSON object.
func (d *eventDecoder) decode(body []byte) error {
	raw := make(json.RawMessage, len(body))
	copy(raw, body)
	return d.decodeOwned(raw)
}

// decodeOwned is decode for a body the decoder may keep as ev.Raw.
func (d *eventDecoder) decodeOwned(raw []byte) error {
	d.ev = Event{Raw: raw}
	if err := scanTopObject(raw, d.member); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidEvent, err)
	}
	env := &d.env
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

// The top-level members the envelope reads.
const (
	memberOther = iota
	memberType
	memberID
	memberAction
	memberActions
	memberTimestamp
	memberWebHook
	memberConversation
	memberMessage
	memberOptOut
	memberContact
	memberPhoneCall
)

// member records one top-level member of the delivery.
func (d *eventDecoder) member(key, value []byte) {
	switch envelopeMember(key) {
	case memberType:
		d.stringMember("@type", value, &d.ev.Type)
	case memberID:
		d.stringMember("id", value, &d.ev.ID)
	case memberAction:
		d.stringMember("action", value, &d.ev.RawAction)
	case memberActions:
		d.env.Actions = value
	case memberTimestamp:
		d.env.Timestamp = value
	case memberWebHook:
		d.env.WebHook = value
	case memberConversation:
		d.env.Conversation = value
	case memberMessage:
		d.env.Message = value
	case memberOptOut:
		d.env.OptOut = value
	case memberContact:
		d.env.Contact = value
	case memberPhoneCall:
		d.env.PhoneCall = value
	}
}

// envelopeMember says which member a raw JSON key names, matching as
// json.Unmarshal matches struct fields: the exact name first, then the
// name folded for case.
func envelopeMember(rawKey []byte) int {
	var name []byte
	if simpleJSONString(rawKey) {
		name = rawKey
	} else {
		var s string
		if json.Unmarshal(quoteRaw(rawKey), &s) != nil {
			return memberOther
		}
		name = []byte(s)
	}
	switch string(name) {
	case "@type":
		return memberType
	case "id":
		return memberID
	case "action":
		return memberAction
	case "actions":
		return memberActions
	case "timestamp":
		return memberTimestamp
	case "webHook":
		return memberWebHook
	case "conversation":
		return memberConversation
	case "message":
		return memberMessage
	case "optOut":
		return memberOptOut
	case "contact":
		return memberContact
	case "phoneCall":
		return memberPhoneCall
	}
	var buf [32]byte
	switch string(appendFoldedJSONName(buf[:0], name)) {
	case "@TYPE":
		return memberType
	case "ID":
		return memberID
	case "ACTION":
		return memberAction
	case "ACTIONS":
		return memberActions
	case "TIMESTAMP":
		return memberTimestamp
	case "WEBHOOK":
		return memberWebHook
	case "CONVERSATION":
		return memberConversation
	case "MESSAGE":
		return memberMessage
	case "OPTOUT":
		return memberOptOut
	case "CONTACT":
		return memberContact
	case "PHONECALL":
		return memberPhoneCall
	}
	return memberOther
}

// stringMember decodes a string member into *dst as json.Unmarshal would
// into a string field: null leaves *dst alone, and another JSON type
// leaves it alone and is reported.
func (d *eventDecoder) stringMember(field string, value []byte, dst *string) {
	switch value[0] {
	case '"':
		inner := value[1 : len(value)-1]
		if !simpleJSONString(inner) {
			var s string
			if err := json.Unmarshal(value, &s); err != nil {
				d.errs = append(d.errs, fmt.Errorf("textus: event field %q: %w", field, err))
				return
			}
			*dst = s
			return
		}
		*dst = internEnvelopeString(inner)
	case 'n':
	default:
		d.errs = append(d.errs, fmt.Errorf("textus: event field %q: JSON %s where a string was expected", field, jsonKind(value)))
	}
}

// internEnvelopeString returns the string of b, without allocating for
// the values most deliveries share: their @type and their action.
func internEnvelopeString(b []byte) string {
	switch string(b) {
	case "WebhookDelivery":
		return "WebhookDelivery"
	case "OptOutWebhookDelivery":
		return "OptOutWebhookDelivery"
	}
	if k := eventIndex[string(b)]; k != nil {
		return string(k.action)
	}
	return string(b)
}

// typed builds the typed event of the delivery's action, or an *Event for
// an action the SDK does not know.
func (d *eventDecoder) typed() any {
	if k := eventIndex[string(d.ev.Action)]; k != nil {
		return k.decode(d)
	}
	return decodeAs[Event](d)
}

// finish returns the envelope with the collected decoding problems.
func (d *eventDecoder) finish() Event {
	ev := d.ev
	ev.DecodeError = errors.Join(d.errs...)
	return ev
}

func (e *Event) fill(d *eventDecoder) { *e = d.finish() }

func (e *MessageEvent) fill(d *eventDecoder) {
	e.Conversation = d.conversation()
	e.Message = decodeResource(d, "message", d.env.Message, func(iri string) *Message { return &Message{ID: iri} })
	e.Event = d.finish()
}

func (e *OptOutEvent) fill(d *eventDecoder) {
	e.OptOut = decodeResource(d, "optOut", d.env.OptOut, func(iri string) *OptOut {
		return &OptOut{ID: iri, PhoneNumber: firstPhone(iriPhone(iri))}
	})
	e.Conversation = d.conversation()
	e.Contact = d.contact()
	e.Event = d.finish()
}

func (e *ContactEvent) fill(d *eventDecoder) {
	e.Contact = d.contact()
	e.Event = d.finish()
}

func (e *PhoneCallEvent) fill(d *eventDecoder) {
	e.Conversation = d.conversation()
	e.PhoneCall = nil
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
	wireResource
}](d *eventDecoder, field string, v []byte, fromIRI func(string) P) P {
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
		// v is part of the delivery's own copy (ev.Raw): the resource
		// decodes it in one pass and keeps it as its Raw without a copy.
		p := P(new(T))
		if err := p.decodeBytes(v); err != nil {
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
func (d *eventDecoder) timestamp(v []byte) time.Time {
	if len(v) == 0 || isJSONNull(v) {
		return time.Time{}
	}
	if v[0] == '"' {
		// The common case, read from the bytes without a string: strict
		// RFC 3339 as time.Parse reads it.
		var t time.Time
		if inner := v[1 : len(v)-1]; bytes.IndexByte(inner, '\\') < 0 && t.UnmarshalText(inner) == nil {
			return t
		}
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
func (d *eventDecoder) link(field string, v []byte) string {
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
		return "bool"
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
