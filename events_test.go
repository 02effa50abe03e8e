package textus

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The message.received example of the webhook contract (§3.2).
const specMessageReceived = `{
  "@type": "WebhookDelivery",
  "@context": "/contexts/WebhookDelivery.jsonld",
  "id": "/integrations/h13Jc5/deliveries/xyz",
  "timestamp": "2018-07-24T20:59:32.156Z",
  "action": "message.received",
  "webHook": "/integrations/h13Jc5",
  "conversation": {
    "@type": "Conversation", "@context": "/contexts/Conversation.jsonld", "id": "/conversations/JYnJBY",
    "slug": "JYnJBY", "currentState": "open", "account": "/accounts/my_account",
    "phoneNumber": "+13035551234", "formattedPhoneNumber": "(303) 555-1234",
    "accountPhoneNumber": "+13035550000"
  },
  "message": {
    "@type": "Message", "id": "/messages/06oyogE", "direction": "in", "body": "Yes, 3pm works",
    "deliveryState": "received", "conversation": "/conversations/JYnJBY", "sender": null,
    "attachments": { "@type": "hydra:Collection", "members": [], "totalItems": 0 }, "flags": [], "source": "textus"
  }
}`

// The opt-out example of the webhook contract (§3.4).
const specOptOut = `{
  "@type": "OptOutWebhookDelivery",
  "id": "/integrations/KYxmBL/deliveries/f8db6d71-04bd-47cb-9983-d6fd2015ce3b",
  "timestamp": "2023-11-17T13:59:04.568354-05:00",
  "action": "contact.opted_out",
  "optOut": {
    "@type": "OptOut", "id": "/textus/opt_outs/+13035551234", "type": "opt-out",
    "phoneNumber": "+13035551234", "formattedPhoneNumber": "(303) 555-1234", "account": "/accounts/my_account"
  }
}`

// The signed body of the §4.2 test vector.
const specVectorBody = `{"@type":"WebhookDelivery","id":"/integrations/h13Jc5/deliveries/xyz","timestamp":"2018-07-24T20:59:32.156Z","action":"message.received","webHook":"/integrations/h13Jc5"}`

func parse(t *testing.T, body string) any {
	t.Helper()
	v, err := ParseEvent([]byte(body))
	require.NoError(t, err)
	require.NotNil(t, v)
	return v
}

func TestParseEventMessageReceived(t *testing.T) {
	v := parse(t, specMessageReceived)
	e, ok := v.(*MessageEvent)
	require.True(t, ok, "got %T", v)

	assert.Equal(t, "WebhookDelivery", e.Type)
	assert.Equal(t, "/integrations/h13Jc5/deliveries/xyz", e.ID)
	assert.Equal(t, EventMessageReceived, e.Action)
	assert.Equal(t, "message.received", e.RawAction)
	assert.Equal(t, "/integrations/h13Jc5", e.WebHook)
	assert.True(t, e.Timestamp.Equal(time.Date(2018, 7, 24, 20, 59, 32, 156e6, time.UTC)), e.Timestamp)
	assert.Equal(t, specMessageReceived, string(e.Raw))
	assert.NoError(t, e.DecodeError)

	require.NotNil(t, e.Conversation)
	assert.Equal(t, "/conversations/JYnJBY", e.Conversation.ID)
	assert.Equal(t, "+13035551234", e.Conversation.PhoneNumber)
	assert.Equal(t, "+13035550000", e.Conversation.AccountPhoneNumber)
	assert.Equal(t, "/accounts/my_account", e.Conversation.Account)
	assert.Equal(t, ConversationOpen, e.Conversation.CurrentState)

	require.NotNil(t, e.Message)
	assert.Equal(t, "/messages/06oyogE", e.Message.ID)
	assert.Equal(t, "Yes, 3pm works", e.Message.Body)
	assert.Equal(t, DirectionIn, e.Message.Direction)
	assert.Equal(t, DeliveryReceived, e.Message.DeliveryState)
	assert.Equal(t, "/conversations/JYnJBY", e.Message.Conversation)
	assert.Empty(t, e.Message.Sender)
}

func TestParseEventOptOut(t *testing.T) {
	e, ok := parse(t, specOptOut).(*OptOutEvent)
	require.True(t, ok)
	assert.Equal(t, "OptOutWebhookDelivery", e.Type)
	assert.Equal(t, EventContactOptedOut, e.Action)
	assert.Equal(t, "/integrations/KYxmBL/deliveries/f8db6d71-04bd-47cb-9983-d6fd2015ce3b", e.ID)
	assert.Empty(t, e.WebHook, "webHook is optional")

	want := time.Date(2023, 11, 17, 13, 59, 4, 568354000, time.FixedZone("", -5*3600))
	assert.True(t, e.Timestamp.Equal(want), e.Timestamp)
	_, offset := e.Timestamp.Zone()
	assert.Equal(t, -5*3600, offset, "the sender's offset is kept")

	require.NotNil(t, e.OptOut)
	assert.Equal(t, "opt-out", e.OptOut.Kind)
	assert.Equal(t, "/accounts/my_account", e.OptOut.Account)
	assert.Equal(t, "+13035551234", e.PhoneNumber())
	assert.NoError(t, e.DecodeError)
}

func TestParseEventTypes(t *testing.T) {
	cases := []struct {
		action string
		want   any
	}{
		{"message.received", &MessageEvent{}},
		{"message.delivered", &MessageEvent{}},
		{"message.failed", &MessageEvent{}},
		{"message.unknown", &MessageEvent{}},
		{"contact.opted_out", &OptOutEvent{}},
		{"contact.opted_in", &OptOutEvent{}},
		{"contact.opted-out", &OptOutEvent{}},
		{"contact.opted-in", &OptOutEvent{}},
		{"contact.created", &ContactEvent{}},
		{"phone_call.completed", &PhoneCallEvent{}},
		{"contact.deleted", &Event{}},
		{"Message.Received", &Event{}},
		{"", &Event{}},
	}
	for _, tc := range cases {
		t.Run(tc.action, func(t *testing.T) {
			v := parse(t, `{"id":"/integrations/a/deliveries/b","action":"`+tc.action+`"}`)
			assert.IsType(t, tc.want, v)
			env := v.(interface{ Envelope() *Event }).Envelope()
			assert.Equal(t, "/integrations/a/deliveries/b", env.ID)
			assert.Equal(t, tc.action, env.RawAction)
		})
	}
}

func TestParseEventHyphenatedAlias(t *testing.T) {
	for alias, canon := range map[string]EventType{
		"contact.opted-out": EventContactOptedOut,
		"contact.opted-in":  EventContactOptedIn,
	} {
		e, ok := parse(t, `{"action":" `+alias+` ","optOut":{"phoneNumber":"+13035551234"}}`).(*OptOutEvent)
		require.True(t, ok)
		assert.Equal(t, canon, e.Action)
		assert.Equal(t, " "+alias+" ", e.RawAction, "the original spelling is kept")
	}
}

func TestParseEventUnknownAction(t *testing.T) {
	body := `{"@type":"WebhookDelivery","id":"/integrations/x/deliveries/1","action":"survey.completed","survey":{"id":"/surveys/1"},"timestamp":"2024-01-02T03:04:05Z"}`
	v := parse(t, body)
	e, ok := v.(*Event)
	require.True(t, ok, "got %T", v)
	assert.Equal(t, EventType("survey.completed"), e.Action)
	assert.Equal(t, body, string(e.Raw), "the fallback gets the whole delivery")
	assert.True(t, e.Timestamp.Equal(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)))
}

func TestParseEventActionsFallback(t *testing.T) {
	e, ok := parse(t, `{"actions":"contact.created","contact":{"id":"/contacts/1","name":"Ann"}}`).(*ContactEvent)
	require.True(t, ok)
	assert.Equal(t, EventContactCreated, e.Action)
	require.NotNil(t, e.Contact)
	assert.Equal(t, "Ann", e.Contact.Name)

	// "action" wins when both are present.
	v := parse(t, `{"action":"message.failed","actions":"contact.created"}`)
	assert.IsType(t, &MessageEvent{}, v)
	// An empty action falls back too.
	v = parse(t, `{"action":"","actions":"contact.opted-in"}`)
	require.IsType(t, &OptOutEvent{}, v)
	assert.Equal(t, EventContactOptedIn, v.(*OptOutEvent).Action)
	// The settings-style map is not an action.
	v = parse(t, `{"actions":{"message.received":true}}`)
	assert.IsType(t, &Event{}, v)
	assert.NoError(t, v.(*Event).DecodeError)
}

func TestParseEventRelationsStringOrObject(t *testing.T) {
	asObject := `{"action":"message.delivered","webHook":{"id":"/integrations/h13Jc5","@type":"Integration"},
		"conversation":{"id":"/conversations/JYnJBY","phoneNumber":"+13035551234"},
		"message":{"id":"/messages/1","deliveryState":"delivered","conversation":{"id":"/conversations/JYnJBY","slug":"JYnJBY"}}}`
	asLink := `{"action":"message.delivered","webHook":"/integrations/h13Jc5",
		"conversation":"/conversations/JYnJBY",
		"message":"/messages/1"}`

	o := parse(t, asObject).(*MessageEvent)
	assert.Equal(t, "/integrations/h13Jc5", o.WebHook)
	assert.Equal(t, "/conversations/JYnJBY", o.Conversation.ID)
	assert.Equal(t, "+13035551234", o.Conversation.PhoneNumber)
	assert.Equal(t, "/conversations/JYnJBY", o.Message.Conversation)
	assert.Equal(t, DeliveryDelivered, o.Message.DeliveryState)
	assert.NoError(t, o.DecodeError)

	l := parse(t, asLink).(*MessageEvent)
	assert.Equal(t, "/integrations/h13Jc5", l.WebHook)
	require.NotNil(t, l.Conversation)
	assert.Equal(t, "/conversations/JYnJBY", l.Conversation.ID)
	require.NotNil(t, l.Message)
	assert.Equal(t, "/messages/1", l.Message.ID)
	assert.NoError(t, l.DecodeError)

	n := parse(t, `{"action":"message.received","conversation":null,"message":null,"webHook":null}`).(*MessageEvent)
	assert.Nil(t, n.Conversation)
	assert.Nil(t, n.Message)
	assert.NoError(t, n.DecodeError)
}

func TestParseEventTimestamps(t *testing.T) {
	utc := func(nsec int) time.Time { return time.Date(2021, 7, 27, 18, 48, 16, nsec, time.UTC) }
	cases := []struct {
		in   string
		want time.Time
	}{
		{"2021-07-27T18:48:16Z", utc(0)},
		{"2021-07-27T18:48:16.8Z", utc(800000000)},
		{"2021-07-27T18:48:16.878Z", utc(878000000)},
		{"2021-07-27T18:48:16.878086+00:00", utc(878086000)},
		{"2021-07-27T18:48:16.878086123Z", utc(878086123)},
		{"2021-07-27T13:48:16.878086-05:00", utc(878086000)},
		{"2021-07-28T00:18:16.5+05:30", utc(500000000)},
		{"2021-07-27T18:48:16.878", utc(878000000)}, // no offset: read as UTC
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			e := parse(t, `{"action":"x","timestamp":"`+tc.in+`"}`).(*Event)
			assert.True(t, e.Timestamp.Equal(tc.want), "%s parsed as %s", tc.in, e.Timestamp)
			assert.NoError(t, e.DecodeError)
		})
	}
	for _, bad := range []string{`"yesterday"`, `1532465972`, `{"t":1}`, `"2021-13-40T99:00:00Z"`} {
		t.Run(bad, func(t *testing.T) {
			e := parse(t, `{"action":"message.received","timestamp":`+bad+`,"message":{"id":"/messages/1"}}`).(*MessageEvent)
			assert.True(t, e.Timestamp.IsZero())
			assert.Error(t, e.DecodeError)
			require.NotNil(t, e.Message, "the rest is still delivered")
		})
	}
	e := parse(t, `{"action":"x","timestamp":null}`).(*Event)
	assert.True(t, e.Timestamp.IsZero())
	assert.NoError(t, e.DecodeError)
}

func TestOptOutEventPhoneNumber(t *testing.T) {
	cases := []struct {
		name, body, want string
	}{
		{"phoneNumber", `{"optOut":{"phoneNumber":"+13035551234"}}`, "+13035551234"},
		{"phoneNumber national", `{"optOut":{"phoneNumber":"303-555-1234"}}`, "+13035551234"},
		{"id only", `{"optOut":{"id":"/textus/opt_outs/+13035551234"}}`, "+13035551234"},
		{"id escaped", `{"optOut":{"id":"/textus/opt_outs/%2B13035551234"}}`, "+13035551234"},
		{"formatted only", `{"optOut":{"id":"/opt_outs/abc","formattedPhoneNumber":"(303) 555-1234"}}`, "+13035551234"},
		{"link only", `{"optOut":"/textus/opt_outs/+13035551234"}`, "+13035551234"},
		{"conversation", `{"conversation":{"id":"/conversations/1","phoneNumber":"+13035551234"}}`, "+13035551234"},
		{"contact", `{"contact":{"id":"/contacts/1","phones":{"members":[{"id":"/contact_phones/1","phoneNumber":"+13035551234"}]}}}`, "+13035551234"},
		{"opt-out wins", `{"optOut":{"phoneNumber":"+13035551234"},"conversation":{"phoneNumber":"+13035559999"}}`, "+13035551234"},
		{"unreadable opt-out falls through", `{"optOut":{"id":"/opt_outs/abc"},"conversation":{"phoneNumber":"+13035559999"}}`, "+13035559999"},
		{"none", `{"optOut":{"id":"/opt_outs/abc"}}`, ""},
		{"empty", `{"other":1}`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"action":"contact.opted_out",` + tc.body[1:]
			e, ok := parse(t, body).(*OptOutEvent)
			require.True(t, ok)
			assert.Equal(t, tc.want, e.PhoneNumber())
		})
	}
	var nilEvent *OptOutEvent
	assert.Empty(t, nilEvent.PhoneNumber())
}

func TestParseEventOptedInKeepsPayloadType(t *testing.T) {
	// The action decides; the payload's own type is exposed.
	e := parse(t, `{"action":"contact.opted_in","optOut":{"type":"opt-out","phoneNumber":"+13035551234"}}`).(*OptOutEvent)
	assert.Equal(t, EventContactOptedIn, e.Action)
	assert.Equal(t, "opt-out", e.OptOut.Kind)
}

func TestParseEventContactAndPhoneCall(t *testing.T) {
	c := parse(t, `{"action":"contact.created","contact":{"@type":"Contact","id":"/contacts/DQeeO69","name":"Ann Lee",
		"phones":{"members":[{"id":"/contact_phones/1","phoneNumber":"+13035551234","type":"Mobile"}]},
		"createdAt":"2024-05-01T10:00:00.123456+02:00"}}`).(*ContactEvent)
	require.NotNil(t, c.Contact)
	assert.Equal(t, "/contacts/DQeeO69", c.Contact.ID)
	require.Len(t, c.Contact.Phones, 1)
	assert.Equal(t, "+13035551234", c.Contact.Phones[0].PhoneNumber)

	p := parse(t, `{"action":"phone_call.completed","conversation":"/conversations/1","phoneCall":{"id":"/phone_calls/9","duration":42}}`).(*PhoneCallEvent)
	assert.Equal(t, "/conversations/1", p.Conversation.ID)
	assert.JSONEq(t, `{"id":"/phone_calls/9","duration":42}`, string(p.PhoneCall))

	p = parse(t, `{"action":"phone_call.completed"}`).(*PhoneCallEvent)
	assert.Nil(t, p.PhoneCall)
	assert.Nil(t, p.Conversation)
}

func TestParseEventMistypedFields(t *testing.T) {
	// A valid JSON object with fields of the wrong type: what can be read
	// is delivered, the rest is reported.
	e, ok := parse(t, `{"id":"/integrations/a/deliveries/b","action":"message.received","message":5,
		"conversation":{"id":"/conversations/1","phoneNumber":"+13035551234"}}`).(*MessageEvent)
	require.True(t, ok)
	assert.Nil(t, e.Message)
	require.NotNil(t, e.Conversation)
	assert.Equal(t, "+13035551234", e.Conversation.PhoneNumber)
	require.Error(t, e.DecodeError)
	assert.Contains(t, e.DecodeError.Error(), `"message"`)

	e2 := parse(t, `{"id":7,"@type":["x"],"action":"message.received","webHook":9,"message":{"id":"/messages/1","body":"hi"}}`).(*MessageEvent)
	assert.Empty(t, e2.ID)
	assert.Empty(t, e2.WebHook)
	require.NotNil(t, e2.Message)
	assert.Equal(t, "hi", e2.Message.Body)
	assert.Error(t, e2.DecodeError)

	// Inside a resource, a field of the wrong type is left zero and the
	// rest of the resource is still decoded.
	e3 := parse(t, `{"action":"message.failed","message":{"id":"/messages/1","body":{"not":"a string"},"deliveryState":"failed"}}`).(*MessageEvent)
	require.NotNil(t, e3.Message)
	assert.Equal(t, "/messages/1", e3.Message.ID)
	assert.Empty(t, e3.Message.Body)
	assert.Equal(t, DeliveryFailed, e3.Message.DeliveryState)
	assert.Contains(t, string(e3.Message.Raw), `"not":"a string"`, "the raw resource keeps the odd field")

	// A mistyped action is no action.
	v := parse(t, `{"action":5,"actions":true}`)
	assert.IsType(t, &Event{}, v)
	assert.Error(t, v.(*Event).DecodeError)

	o := parse(t, `{"action":"contact.opted_out","optOut":["+13035551234"]}`).(*OptOutEvent)
	assert.Nil(t, o.OptOut)
	assert.Error(t, o.DecodeError)
	assert.Empty(t, o.PhoneNumber())
}

func TestParseEventNotAnObject(t *testing.T) {
	for _, body := range []string{"", " ", "null", "[]", `"x"`, "5", "true", "{", `{"a":}`, `{"a":1}x`, `{"a":1} {"b":2}`, "\xff"} {
		v, err := ParseEvent([]byte(body))
		assert.ErrorIs(t, err, ErrInvalidEvent, "%q", body)
		assert.Nil(t, v, "%q", body)
	}
	// Whitespace around an object is fine.
	_, err := ParseEvent([]byte("\n\t {\"action\":\"x\"} \n"))
	assert.NoError(t, err)
}

func TestParseEventRawIsACopy(t *testing.T) {
	body := []byte(specVectorBody)
	e := parse(t, string(body)).(*MessageEvent)
	v, err := ParseEvent(body)
	require.NoError(t, err)
	for i := range body {
		body[i] = 'x'
	}
	assert.Equal(t, specVectorBody, string(e.Raw))
	assert.Equal(t, specVectorBody, string(v.(*MessageEvent).Raw))
	assert.Equal(t, "/integrations/h13Jc5/deliveries/xyz", v.(*MessageEvent).ID)
}

func TestEventUnmarshalJSON(t *testing.T) {
	var me MessageEvent
	require.NoError(t, json.Unmarshal([]byte(specMessageReceived), &me))
	assert.Equal(t, "Yes, 3pm works", me.Message.Body)
	assert.Equal(t, specMessageReceived, string(me.Raw))

	var oe OptOutEvent
	require.NoError(t, json.Unmarshal([]byte(specOptOut), &oe))
	assert.Equal(t, "+13035551234", oe.PhoneNumber())

	var ev Event
	require.NoError(t, json.Unmarshal([]byte(specOptOut), &ev))
	assert.Equal(t, EventContactOptedOut, ev.Action)

	var ce ContactEvent
	require.NoError(t, json.Unmarshal([]byte(`{"action":"contact.created","contact":"/contacts/1"}`), &ce))
	assert.Equal(t, "/contacts/1", ce.Contact.ID)

	var pe PhoneCallEvent
	require.NoError(t, json.Unmarshal([]byte(`{"action":"phone_call.completed","phoneCall":{"id":"x"}}`), &pe))
	assert.JSONEq(t, `{"id":"x"}`, string(pe.PhoneCall))

	// Events inside a larger document (e.g. a queue record).
	var rec struct {
		Event MessageEvent `json:"event"`
	}
	require.NoError(t, json.Unmarshal([]byte(`{"event":`+specMessageReceived+`}`), &rec))
	assert.Equal(t, "/messages/06oyogE", rec.Event.Message.ID)

	assert.ErrorIs(t, json.Unmarshal([]byte(`{"event":[1]}`), &rec), ErrInvalidEvent)
}

func TestParseEventSpecVector(t *testing.T) {
	e, ok := parse(t, specVectorBody).(*MessageEvent)
	require.True(t, ok)
	assert.Equal(t, "/integrations/h13Jc5/deliveries/xyz", e.ID)
	assert.Nil(t, e.Message)
	assert.Nil(t, e.Conversation)
	assert.NoError(t, e.DecodeError)
}

func TestNormalizeEventTypeAndAllEvents(t *testing.T) {
	assert.Equal(t, EventContactOptedOut, NormalizeEventType("contact.opted-out"))
	assert.Equal(t, EventContactOptedIn, NormalizeEventType(" contact.opted-in "))
	assert.Equal(t, EventType("new.thing"), NormalizeEventType("new.thing"))
	all := AllEvents()
	assert.Len(t, all, 8)
	for _, ev := range all {
		assert.Equal(t, ev, NormalizeEventType(string(ev)))
	}
}

func TestEventJSONRoundTrip(t *testing.T) {
	// Events can be queued as JSON and decoded again.
	e := parse(t, specMessageReceived).(*MessageEvent)
	b, err := json.Marshal(e)
	require.NoError(t, err)
	var back MessageEvent
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, e.ID, back.ID)
	assert.Equal(t, e.Action, back.Action)
	assert.True(t, e.Timestamp.Equal(back.Timestamp))
	assert.Equal(t, e.WebHook, back.WebHook)
	assert.Equal(t, e.Message.Body, back.Message.Body)
	assert.Equal(t, e.Message.Conversation, back.Message.Conversation)
	assert.Equal(t, e.Conversation.PhoneNumber, back.Conversation.PhoneNumber)
	assert.Equal(t, e.Conversation.Account, back.Conversation.Account)

	o := parse(t, specOptOut).(*OptOutEvent)
	b, err = json.Marshal(o)
	require.NoError(t, err)
	var oback OptOutEvent
	require.NoError(t, json.Unmarshal(b, &oback))
	assert.Equal(t, o.PhoneNumber(), oback.PhoneNumber())
	assert.Equal(t, "opt-out", oback.OptOut.Kind)
}
