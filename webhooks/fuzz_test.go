package webhooks

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/textus-go/textus"
)

func fuzzSeeds() []string {
	return []string{
		vectorBody,
		string(messageBody("seed")),
		string(optOutBody("seed", "2023-11-17T13:59:04.568354-05:00")),
		`{"actions":"contact.created","contact":{"id":"/contacts/1","phones":"/contacts/1/phones"}}`,
		`{"action":"phone_call.completed","conversation":"/conversations/1","phoneCall":{"id":"/phone_calls/1"}}`,
		`{"action":"contact.opted-in","optOut":"/textus/opt_outs/+13035551234","id":5}`,
		`{"action":"message.failed","message":5,"timestamp":"2021-07-27T18:48:16.878086+00:00"}`,
		`{"action":"survey.completed"}`,
		`[]`, `null`, `{`, ``,
	}
}

// FuzzVerify checks that Verify never panics, that a body always verifies
// against its own signature in either case and with whitespace, and that
// it accepts a signature only when it is the body's MAC.
func FuzzVerify(f *testing.F) {
	f.Add([]byte(vectorBody), vectorSig, vectorSecret)
	f.Add([]byte(vectorBody), strings.ToUpper(vectorSig), vectorSecret)
	f.Add([]byte(""), "", "")
	f.Add([]byte("x"), " "+vectorSig+"\n", "s")
	f.Add([]byte(vectorBody), "zz"+vectorSig[2:], vectorSecret)
	for _, s := range fuzzSeeds() {
		f.Add([]byte(s), vectorSig, testSecret)
	}
	f.Fuzz(func(t *testing.T, body []byte, sig, secret string) {
		err := Verify(body, sig, secret)
		switch {
		case secret == "":
			if !errors.Is(err, ErrNoSecret) {
				t.Fatalf("no secret: %v", err)
			}
			return
		case err == nil:
			want := Sign(secret, body)
			if strings.ToLower(strings.TrimSpace(sig)) != want {
				t.Fatalf("accepted a signature that is not the MAC")
			}
		case !errors.Is(err, ErrInvalidSignature) && !errors.Is(err, ErrMissingSignature):
			t.Fatalf("unexpected error %v", err)
		}
		if err != nil {
			msg := err.Error()
			if strings.Contains(msg, Sign(secret, body)) || (len(secret) > 3 && strings.Contains(msg, secret)) {
				t.Fatal("error leaks a MAC or the secret")
			}
		}
		good := Sign(secret, body)
		for _, s := range []string{good, strings.ToUpper(good), " \t" + good + "\r\n"} {
			if err := Verify(body, s, "", secret); err != nil {
				t.Fatalf("own signature refused: %v", err)
			}
		}
	})
}

// FuzzHandler posts arbitrary bodies with a valid signature: the handler
// must never panic and, since every callback succeeds, must answer only 2xx
// or 4xx.
func FuzzHandler(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	clock := func() time.Time { return time.Date(2023, 11, 17, 19, 0, 0, 0, time.UTC) }
	plain, err := NewHandler(testSecret, WithMaxBodyBytes(64<<10))
	if err != nil {
		f.Fatal(err)
	}
	strict, err := NewHandler(testSecret, WithMaxBodyBytes(64<<10), WithTolerance(time.Hour), WithClock(clock))
	if err != nil {
		f.Fatal(err)
	}
	for _, h := range []*Handler{plain, strict} {
		h.OnMessageReceived(func(_ context.Context, e *textus.MessageEvent) error {
			if e.Message != nil {
				_ = e.Message.Body
			}
			return nil
		})
		h.OnMessageDelivered(func(context.Context, *textus.MessageEvent) error { return nil })
		h.OnMessageFailed(func(context.Context, *textus.MessageEvent) error { return nil })
		h.OnMessageUnknown(func(context.Context, *textus.MessageEvent) error { return nil })
		h.OnPhoneCallCompleted(func(context.Context, *textus.PhoneCallEvent) error { return nil })
		h.OnContactOptedOut(func(_ context.Context, e *textus.OptOutEvent) error { _ = e.PhoneNumber(); return nil })
		h.OnContactOptedIn(func(_ context.Context, e *textus.OptOutEvent) error { _ = e.PhoneNumber(); return nil })
		h.OnContactCreated(func(context.Context, *textus.ContactEvent) error { return nil })
		h.OnUnknownEvent(func(context.Context, *textus.Event) error { return nil })
	}
	f.Fuzz(func(t *testing.T, body []byte, withTolerance bool) {
		h := plain
		if withTolerance {
			h = strict
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, NewSignedRequest("/hooks/textus", testSecret, body))
		if rec.Code >= 500 || rec.Code < 200 || (rec.Code >= 300 && rec.Code < 400) {
			t.Fatalf("status %d for a signed body", rec.Code)
		}
		if rec.Code == http.StatusUnauthorized {
			t.Fatal("valid signature refused")
		}
		if rec.Code >= 400 && strings.Contains(rec.Body.String(), testSecret) {
			t.Fatal("secret in the answer")
		}
	})
}

// FuzzQueueHandler posts arbitrary signed bodies to a handler in queue
// mode: it must never panic, must answer only 2xx or 4xx while the queue
// has room, and what it queues must be the body exactly as posted.
func FuzzQueueHandler(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add([]byte(s))
	}
	q := NewMemoryQueue(1 << 20)
	h, err := NewHandler(testSecret, WithMaxBodyBytes(64<<10), WithQueue(q))
	if err != nil {
		f.Fatal(err)
	}
	h.Listen(NopListener{})
	f.Fuzz(func(t *testing.T, body []byte) {
		before, _ := q.Len(context.Background())
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, NewSignedRequest("/hooks/textus", testSecret, body))
		if rec.Code >= 500 || rec.Code < 200 || (rec.Code >= 300 && rec.Code < 400) {
			t.Fatalf("status %d for a signed body", rec.Code)
		}
		after, _ := q.Len(context.Background())
		if after == before+1 {
			ls, err := q.Receive(context.Background(), "fuzz", 1, time.Minute)
			if err != nil || len(ls) != 1 {
				t.Fatalf("queued job not received: %v", err)
			}
			if string(ls[0].Job.Body) != string(body) {
				t.Fatal("the queued body differs from the posted one")
			}
			if err := q.Ack(context.Background(), ls[0].Receipt); err != nil {
				t.Fatal(err)
			}
		}
	})
}
