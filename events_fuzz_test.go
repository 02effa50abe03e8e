package textus

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzParseEvent feeds arbitrary bytes to ParseEvent: it must never panic,
// must refuse exactly the bodies that are not JSON objects, and must return
// a type that matches the action.
func FuzzParseEvent(f *testing.F) {
	for _, s := range []string{
		specMessageReceived,
		specOptOut,
		specVectorBody,
		`{"action":"contact.opted-in","optOut":"/textus/opt_outs/+13035551234"}`,
		`{"actions":"contact.created","contact":{"id":"/contacts/1","phones":{"members":[{"phoneNumber":"303-555-1234"}]}}}`,
		`{"action":"phone_call.completed","conversation":"/conversations/1","phoneCall":{"id":"/phone_calls/1"}}`,
		`{"action":"message.received","message":5,"timestamp":"2021-07-27T18:48:16.878086+00:00"}`,
		`{"action":"survey.completed","id":7}`,
		`[]`, `null`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		orig := bytes.Clone(body)
		v, err := ParseEvent(body)
		if !bytes.Equal(orig, body) {
			t.Fatal("ParseEvent modified its input")
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidEvent) {
				t.Fatalf("error does not wrap ErrInvalidEvent: %v", err)
			}
			if v != nil {
				t.Fatalf("value %T with error", v)
			}
			return
		}
		trimmed := bytes.TrimLeft(body, " \t\r\n")
		if len(trimmed) == 0 || trimmed[0] != '{' {
			t.Fatalf("accepted a body that is not an object: %q", body)
		}
		env, ok := v.(interface{ Envelope() *Event })
		if !ok {
			t.Fatalf("unexpected type %T", v)
		}
		e := env.Envelope()
		if !bytes.Equal(e.Raw, body) {
			t.Fatal("Raw differs from the body")
		}
		if e.Action != NormalizeEventType(e.RawAction) {
			t.Fatalf("action %q not the normalised %q", e.Action, e.RawAction)
		}
		switch ev := v.(type) {
		case *MessageEvent:
			switch ev.Action {
			case EventMessageReceived, EventMessageDelivered, EventMessageFailed, EventMessageUnknown:
			default:
				t.Fatalf("MessageEvent for %q", ev.Action)
			}
		case *OptOutEvent:
			if ev.Action != EventContactOptedOut && ev.Action != EventContactOptedIn {
				t.Fatalf("OptOutEvent for %q", ev.Action)
			}
			if p := ev.PhoneNumber(); p != "" {
				if n, err := NormalizePhone(p); err != nil || n != p {
					t.Fatalf("PhoneNumber %q is not E.164", p)
				}
			}
		case *ContactEvent:
			if ev.Action != EventContactCreated {
				t.Fatalf("ContactEvent for %q", ev.Action)
			}
		case *PhoneCallEvent:
			if ev.Action != EventPhoneCallCompleted {
				t.Fatalf("PhoneCallEvent for %q", ev.Action)
			}
		case *Event:
			for _, known := range AllEvents() {
				if ev.Action == known {
					t.Fatalf("plain Event for known action %q", known)
				}
			}
		}
		if e.DecodeError != nil {
			_ = e.DecodeError.Error()
		}
	})
}
