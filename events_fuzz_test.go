package textus

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
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

// referenceEnvelope is how the envelope was read before the one-pass
// scanner: encoding/json into a struct. FuzzEnvelopeMatchesEncodingJSON
// checks that the scanner reads every body the same way.
type referenceRaw []byte

func (r *referenceRaw) UnmarshalJSON(b []byte) error {
	*r = b
	return nil
}

type referenceEnvelope struct {
	Type         string       `json:"@type"`
	ID           string       `json:"id"`
	Action       string       `json:"action"`
	Actions      referenceRaw `json:"actions"`
	Timestamp    referenceRaw `json:"timestamp"`
	WebHook      referenceRaw `json:"webHook"`
	Conversation referenceRaw `json:"conversation"`
	Message      referenceRaw `json:"message"`
	OptOut       referenceRaw `json:"optOut"`
	Contact      referenceRaw `json:"contact"`
	PhoneCall    referenceRaw `json:"phoneCall"`
}

// readReference returns the envelope as encoding/json reads it, whether a
// string member had the wrong type, and whether the body is refused.
func readReference(body []byte) (env referenceEnvelope, mistyped, refused bool) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return env, false, true
	}
	if err := json.Unmarshal(body, &env); err != nil {
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) {
			return env, false, true
		}
		mistyped = true
	}
	return env, mistyped, false
}

func checkEnvelopeMatches(t *testing.T, body []byte) {
	t.Helper()
	ref, mistyped, refused := readReference(body)
	var d eventDecoder
	err := d.decode(body)
	if refused {
		if err == nil {
			t.Fatalf("accepted a body encoding/json refuses: %q", body)
		}
		return
	}
	if err != nil {
		t.Fatalf("refused a body encoding/json accepts: %v (%q)", err, body)
	}
	if d.ev.Type != ref.Type || d.ev.ID != ref.ID {
		t.Fatalf("@type/id %q/%q, encoding/json %q/%q", d.ev.Type, d.ev.ID, ref.Type, ref.ID)
	}
	wantAction := ref.Action
	if strings.TrimSpace(wantAction) == "" && len(ref.Actions) > 0 && ref.Actions[0] == '"' {
		if s, ok := eventString(ref.Actions); ok {
			wantAction = s
		}
	}
	if d.ev.RawAction != wantAction {
		t.Fatalf("action %q, encoding/json %q", d.ev.RawAction, wantAction)
	}
	for _, m := range []struct {
		name      string
		got, want []byte
	}{
		{"actions", d.env.Actions, ref.Actions},
		{"timestamp", d.env.Timestamp, ref.Timestamp},
		{"webHook", d.env.WebHook, ref.WebHook},
		{"conversation", d.env.Conversation, ref.Conversation},
		{"message", d.env.Message, ref.Message},
		{"optOut", d.env.OptOut, ref.OptOut},
		{"contact", d.env.Contact, ref.Contact},
		{"phoneCall", d.env.PhoneCall, ref.PhoneCall},
	} {
		if !bytes.Equal(m.got, m.want) {
			t.Fatalf("member %s: %q, encoding/json %q", m.name, m.got, m.want)
		}
	}
	if mistyped && len(d.errs) == 0 {
		t.Fatalf("a mistyped member was not reported: %q", body)
	}
}

// FuzzEnvelopeMatchesEncodingJSON checks the one-pass envelope reader
// against encoding/json on arbitrary bodies: the same bodies refused, the
// same member values (names matched exactly or ignoring case, the last of
// a repeated member kept), the same mistyped members reported.
func FuzzEnvelopeMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{
		specMessageReceived, specOptOut, specVectorBody,
		`{"ID":"a","Action":"message.received","MESSAGE":{"id":"/messages/1"}}`,
		`{"id":"a","id":5,"id":null}`,
		`{"\u0069d":"esc","act\u0069on":"x","webHoo\u212a":"/integrations/1"}`,
		"{\"id\":\"\xff\xfe\",\"action\":\"\\ud800\"}",
		`{"message":1,"message":null,"conversation":[1,2,{"a":[]}]}`,
		`{"a":-0.5e+10,"b":true,"c":false,"d":null,"e":"\"\\\/\b\f\n\r\t\u00e9"}`,
		` {"a":{}} `, `{"a":01}`, `{"a":1.}`, `{"a":"\x01"}`, `{"a" 1}`, `{,}`, `{"a":1,}`,
		`{"actions":"contact.created","action":" "}`,
		`[]`, `null`, `{`, ``, `{}x`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkEnvelopeMatches(t, body)
		valid := json.Valid(body)
		trimmed := bytes.TrimLeft(body, " \t\r\n")
		wantOK := valid && len(trimmed) > 0 && trimmed[0] == '{'
		if gotOK := scanTopObject(body, nil) == nil; gotOK != wantOK {
			t.Fatalf("scanTopObject accepts=%v, json.Valid object=%v: %q", gotOK, wantOK, body)
		}
	})
}

func TestEnvelopeScannerDepthLimit(t *testing.T) {
	// encoding/json accepts 10000 nested containers and refuses 10001.
	for _, depth := range []int{maxJSONDepth - 1, maxJSONDepth} {
		inner := strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1)
		body := []byte(`{"a":` + inner + `}`)
		require.Equal(t, json.Valid(body), scanTopObject(body, nil) == nil, "depth %d", depth)
		checkEnvelopeMatches(t, body)
	}
	body := []byte(`{"a":` + strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth) + `}`)
	require.False(t, json.Valid(body))
	_, err := ParseEvent(body)
	require.ErrorIs(t, err, ErrInvalidEvent)
}

// FuzzEventTimestamp checks the timestamp reader against the plain
// time.Parse it short-cuts: the same instant and offset, or the same
// refusal.
func FuzzEventTimestamp(f *testing.F) {
	for _, s := range []string{
		"2018-07-24T20:59:32.156Z", "2023-11-17T13:59:04.568354-05:00", "2021-07-27T18:48:16.878086+00:00",
		"2021-07-27T18:48:16Z", "2021-07-27T18:48:16,5Z", "2021-07-27t18:48:16z", "2021-07-27T18:48:16.878",
		"2021-13-40T99:00:00Z", "0001-01-01T00:00:00Z", "yesterday", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		quoted, err := json.Marshal(s)
		if err != nil {
			return
		}
		var d eventDecoder
		got := d.timestamp(quoted)
		want, werr := time.Parse(time.RFC3339Nano, s)
		refused := false
		if werr != nil {
			want = parseTime(quoted)
			refused = want.IsZero()
		}
		if !got.Equal(want) {
			t.Fatalf("%q: %v, time.Parse %v", s, got, want)
		}
		_, gotOff := got.Zone()
		_, wantOff := want.Zone()
		if gotOff != wantOff {
			t.Fatalf("%q: offset %d, time.Parse %d", s, gotOff, wantOff)
		}
		if (len(d.errs) > 0) != refused {
			t.Fatalf("%q: reported %v for %v", s, d.errs, want)
		}
	})
}
