package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/textus-go/textus"
)

const testSecret = "textus-abcdefgh12345678"

// messageBody is a message.received delivery with the given delivery id.
func messageBody(id string) []byte {
	return []byte(`{"@type":"WebhookDelivery","@context":"/contexts/WebhookDelivery.jsonld",` +
		`"id":"/integrations/h13Jc5/deliveries/` + id + `","timestamp":"2018-07-24T20:59:32.156Z",` +
		`"action":"message.received","webHook":"/integrations/h13Jc5",` +
		`"conversation":{"@type":"Conversation","id":"/conversations/JYnJBY","currentState":"open",` +
		`"account":"/accounts/my_account","phoneNumber":"+13035551234","accountPhoneNumber":"+13035550000"},` +
		`"message":{"@type":"Message","id":"/messages/06oyogE","direction":"in","body":"Yes, 3pm works",` +
		`"deliveryState":"received","conversation":"/conversations/JYnJBY","sender":null}}`)
}

func optOutBody(id, ts string) []byte {
	return []byte(`{"@type":"OptOutWebhookDelivery","id":"/integrations/KYxmBL/deliveries/` + id +
		`","timestamp":"` + ts + `","action":"contact.opted-out","optOut":{"@type":"OptOut",` +
		`"id":"/textus/opt_outs/+13035551234","type":"opt-out","phoneNumber":"+13035551234"}}`)
}

func newTestHandler(t testing.TB, opts ...Option) *Handler {
	t.Helper()
	h, err := NewHandler(testSecret, opts...)
	require.NoError(t, err)
	return h
}

// serve posts body signed with secret and returns the recorder.
func serve(h http.Handler, secret string, body []byte) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, NewSignedRequest("/hooks/textus", secret, body))
	return rec
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestNewHandlerNeedsASecret(t *testing.T) {
	_, err := NewHandler("")
	assert.ErrorIs(t, err, ErrNoSecret)
	_, err = NewHandler("", WithSecrets("", ""))
	assert.ErrorIs(t, err, ErrNoSecret)
	h, err := NewHandler("", WithSecrets(testSecret))
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, serve(h, testSecret, messageBody("a")).Code)
}

func TestNewHandlerRejectsBadOptions(t *testing.T) {
	for name, opt := range map[string]Option{
		"max body 0":         WithMaxBodyBytes(0),
		"max body negative":  WithMaxBodyBytes(-1),
		"negative tolerance": WithTolerance(-time.Second),
		"nil deduplicator":   WithDeduplicator(nil),
		"nil clock":          WithClock(nil),
	} {
		_, err := NewHandler(testSecret, opt)
		assert.Error(t, err, name)
	}
	_, err := NewHandler(testSecret, nil, WithLogger(nil), WithTolerance(0))
	assert.NoError(t, err, "nil options and zero values are accepted")
}

func TestHandlerStatusCodes(t *testing.T) {
	clock := &fakeClock{t: time.Date(2023, 11, 17, 19, 0, 0, 0, time.UTC)}
	fresh := "2023-11-17T13:59:04.568354-05:00" // 59 s before the clock
	cases := []struct {
		name   string
		opts   []Option
		setup  func(h *Handler)
		req    func() *http.Request
		status int
		called int
	}{
		{
			name:   "handled",
			req:    func() *http.Request { return NewSignedRequest("/", testSecret, messageBody("1")) },
			status: http.StatusOK, called: 1,
		},
		{
			name: "GET",
			req: func() *http.Request {
				r := NewSignedRequest("/", testSecret, messageBody("1"))
				r.Method = http.MethodGet
				return r
			},
			status: http.StatusMethodNotAllowed,
		},
		{
			name: "PUT",
			req: func() *http.Request {
				r := NewSignedRequest("/", testSecret, messageBody("1"))
				r.Method = http.MethodPut
				return r
			},
			status: http.StatusMethodNotAllowed,
		},
		{
			name:   "over the cap, Content-Length known",
			opts:   []Option{WithMaxBodyBytes(100)},
			req:    func() *http.Request { return NewSignedRequest("/", testSecret, messageBody("1")) },
			status: http.StatusRequestEntityTooLarge,
		},
		{
			name: "over the cap, length unknown",
			opts: []Option{WithMaxBodyBytes(100)},
			req: func() *http.Request {
				r := NewSignedRequest("/", testSecret, messageBody("1"))
				r.ContentLength = -1
				return r
			},
			status: http.StatusRequestEntityTooLarge,
		},
		{
			name: "at the cap exactly",
			opts: []Option{WithMaxBodyBytes(int64(len(messageBody("1"))))},
			req: func() *http.Request {
				r := NewSignedRequest("/", testSecret, messageBody("1"))
				r.ContentLength = -1
				return r
			},
			status: http.StatusOK, called: 1,
		},
		{
			name: "missing signature",
			req: func() *http.Request {
				r := NewSignedRequest("/", testSecret, messageBody("1"))
				r.Header.Del(SignatureHeader)
				return r
			},
			status: http.StatusUnauthorized,
		},
		{
			name:   "wrong secret",
			req:    func() *http.Request { return NewSignedRequest("/", "textus-other", messageBody("1")) },
			status: http.StatusUnauthorized,
		},
		{
			name: "tampered body",
			req: func() *http.Request {
				r := NewSignedRequest("/", testSecret, messageBody("1"))
				r.Body = io.NopCloser(bytes.NewReader(messageBody("2")))
				return r
			},
			status: http.StatusUnauthorized,
		},
		{
			name:   "signed but not JSON",
			req:    func() *http.Request { return NewSignedRequest("/", testSecret, []byte("hello")) },
			status: http.StatusBadRequest,
		},
		{
			name: "signed JSON array",
			req: func() *http.Request {
				return NewSignedRequest("/", testSecret, []byte(`[{"action":"message.received"}]`))
			},
			status: http.StatusBadRequest,
		},
		{
			name:   "signed empty body",
			req:    func() *http.Request { return NewSignedRequest("/", testSecret, nil) },
			status: http.StatusBadRequest,
		},
		{
			name: "mistyped field is still delivered",
			req: func() *http.Request {
				return NewSignedRequest("/", testSecret, []byte(`{"id":"x","action":"message.received","message":5}`))
			},
			status: http.StatusOK, called: 1,
		},
		{
			name:   "no callback for the action",
			req:    func() *http.Request { return NewSignedRequest("/", testSecret, optOutBody("1", fresh)) },
			status: http.StatusOK,
		},
		{
			name: "unknown action without fallback",
			req: func() *http.Request {
				return NewSignedRequest("/", testSecret, []byte(`{"id":"u","action":"survey.completed"}`))
			},
			status: http.StatusOK,
		},
		{
			name: "callback error",
			setup: func(h *Handler) {
				h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error { return errors.New("db down") })
			},
			req:    func() *http.Request { return NewSignedRequest("/", testSecret, messageBody("1")) },
			status: http.StatusInternalServerError,
		},
		{
			name: "callback panic",
			setup: func(h *Handler) {
				h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error { panic("boom") })
			},
			req:    func() *http.Request { return NewSignedRequest("/", testSecret, messageBody("1")) },
			status: http.StatusInternalServerError,
		},
		{
			name:   "fresh with tolerance",
			opts:   []Option{WithTolerance(5 * time.Minute), WithClock(clock.Now)},
			setup:  func(h *Handler) { h.OnContactOptedOut(func(context.Context, *textus.OptOutEvent) error { return nil }) },
			req:    func() *http.Request { return NewSignedRequest("/", testSecret, optOutBody("1", fresh)) },
			status: http.StatusOK,
		},
		{
			name:   "stale with tolerance",
			opts:   []Option{WithTolerance(time.Minute / 2), WithClock(clock.Now)},
			req:    func() *http.Request { return NewSignedRequest("/", testSecret, optOutBody("1", fresh)) },
			status: http.StatusForbidden,
		},
		{
			name: "no timestamp with tolerance",
			opts: []Option{WithTolerance(time.Hour), WithClock(clock.Now)},
			req: func() *http.Request {
				return NewSignedRequest("/", testSecret, []byte(`{"id":"x","action":"message.received"}`))
			},
			status: http.StatusForbidden,
		},
		{
			name:   "stale but unsigned is 401 first",
			opts:   []Option{WithTolerance(time.Minute / 2), WithClock(clock.Now)},
			req:    func() *http.Request { return NewSignedRequest("/", "textus-other", optOutBody("1", fresh)) },
			status: http.StatusUnauthorized,
		},
		{
			name:   "duplicate answered 200",
			setup:  func(h *Handler) { serve(h, testSecret, messageBody("dup")) },
			req:    func() *http.Request { return NewSignedRequest("/", testSecret, messageBody("dup")) },
			status: http.StatusOK, called: 1, // the setup's delivery only
		},
		{
			name:   "de-duplicator failure",
			opts:   []Option{WithDeduplicator(failingDedup{})},
			req:    func() *http.Request { return NewSignedRequest("/", testSecret, messageBody("1")) },
			status: http.StatusServiceUnavailable,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newTestHandler(t, tc.opts...)
			var called atomic.Int32
			h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error {
				called.Add(1)
				return nil
			})
			if tc.setup != nil {
				tc.setup(h)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, tc.req())
			assert.Equal(t, tc.status, rec.Code, rec.Body.String())
			assert.Equal(t, tc.called, int(called.Load()))
			if rec.Code == http.StatusMethodNotAllowed {
				assert.Equal(t, http.MethodPost, rec.Header().Get("Allow"))
			}
			if rec.Code >= 300 {
				assert.Equal(t, "nosniff", rec.Header().Get("X-Content-Type-Options"))
				assert.Less(t, rec.Body.Len(), 64, "error answers are short fixed texts")
			}
		})
	}
}

type failingDedup struct{}

func (failingDedup) Claim(context.Context, string) (ClaimStatus, string, error) {
	return 0, "", errors.New("redis: connection refused")
}
func (failingDedup) Complete(context.Context, string, string) error { return nil }
func (failingDedup) Release(context.Context, string, string) error  { return nil }

func TestHandlerErrorsAndLogsDoNotLeak(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clock := &fakeClock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	h := newTestHandler(t, WithSecrets("textus-previous-secret"), WithLogger(logger),
		WithMaxBodyBytes(4096), WithTolerance(time.Minute), WithClock(clock.Now))
	h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error { return errors.New("callback failed") })
	h.OnContactOptedOut(func(context.Context, *textus.OptOutEvent) error { panic("opt-out panic") })

	secret := "textus-previous-secret"
	payload := "SENSITIVE-PAYLOAD-Yes-3pm-works"
	body := []byte(`{"id":"/integrations/a/deliveries/1","action":"message.received","timestamp":"2030-01-01T00:00:00Z","message":{"body":"` + payload + `"}}`)
	bad := []*http.Request{
		NewSignedRequest("/", secret, body),                                         // 500 (callback error)
		NewSignedRequest("/", "textus-wrong", body),                                 // 401
		NewSignedRequest("/", secret, []byte(payload)),                              // 403 (no timestamp)
		NewSignedRequest("/", secret, bytes.Repeat([]byte(payload), 200)),           // 413
		NewSignedRequest("/", secret, optOutBody("panics", "2030-01-01T00:00:10Z")), // 500 (panic)
		NewSignedRequest("/", secret, optOutBody("stale", "2029-01-01T00:00:00Z")),  // 403
	}
	get := NewSignedRequest("/", secret, body)
	get.Method = http.MethodGet
	bad = append(bad, get)
	for _, r := range bad {
		sig := r.Header.Get(SignatureHeader)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		require.GreaterOrEqual(t, rec.Code, 400)
		out := rec.Body.String()
		for _, s := range []string{secret, testSecret, payload, sig, "deliveries"} {
			assert.NotContains(t, out, s)
		}
	}
	out := logs.String()
	require.NotEmpty(t, out)
	for _, s := range []string{secret, testSecret, "SENSITIVE-PAYLOAD-Yes", Sign(secret, body), Sign("textus-wrong", body)} {
		assert.NotContains(t, out, s)
	}
	assert.Contains(t, out, "/integrations/a/deliveries/1", "the delivery id is logged")
	assert.Contains(t, out, "callback failed")
}

func TestHandlerDuplicateSequence(t *testing.T) {
	h := newTestHandler(t)
	var calls atomic.Int32
	h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error {
		calls.Add(1)
		return nil
	})
	for i := 0; i < 3; i++ {
		assert.Equal(t, http.StatusOK, serve(h, testSecret, messageBody("seq")).Code)
	}
	assert.EqualValues(t, 1, calls.Load())
	assert.Equal(t, http.StatusOK, serve(h, testSecret, messageBody("other")).Code)
	assert.EqualValues(t, 2, calls.Load())
}

func TestHandlerRetryAfterFailure(t *testing.T) {
	for _, mode := range []string{"error", "panic"} {
		t.Run(mode, func(t *testing.T) {
			h := newTestHandler(t)
			var calls atomic.Int32
			h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error {
				if calls.Add(1) == 1 {
					if mode == "panic" {
						panic("first attempt")
					}
					return errors.New("first attempt fails")
				}
				return nil
			})
			body := messageBody("retry")
			assert.Equal(t, http.StatusInternalServerError, serve(h, testSecret, body).Code)
			assert.Equal(t, http.StatusOK, serve(h, testSecret, body).Code)
			assert.EqualValues(t, 2, calls.Load(), "the retry ran the callback again")
			assert.Equal(t, http.StatusOK, serve(h, testSecret, body).Code)
			assert.EqualValues(t, 2, calls.Load(), "the third delivery is a duplicate")
		})
	}
}

func TestHandlerAbortHandlerPanicIsReRaised(t *testing.T) {
	h := newTestHandler(t)
	var calls atomic.Int32
	h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error {
		if calls.Add(1) == 1 {
			panic(http.ErrAbortHandler)
		}
		return nil
	})
	assert.PanicsWithValue(t, http.ErrAbortHandler, func() { serve(h, testSecret, messageBody("abort")) })
	assert.Equal(t, http.StatusOK, serve(h, testSecret, messageBody("abort")).Code, "released before re-panicking")
	assert.EqualValues(t, 2, calls.Load())
}

func TestHandlerInProgressDuplicate(t *testing.T) {
	h := newTestHandler(t)
	entered := make(chan struct{})
	release := make(chan struct{})
	var calls atomic.Int32
	h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error {
		calls.Add(1)
		close(entered)
		<-release
		return nil
	})
	body := messageBody("slow")
	first := make(chan int)
	go func() { first <- serve(h, testSecret, body).Code }()
	<-entered
	assert.Equal(t, http.StatusConflict, serve(h, testSecret, body).Code)
	close(release)
	assert.Equal(t, http.StatusOK, <-first)
	assert.Equal(t, http.StatusOK, serve(h, testSecret, body).Code)
	assert.EqualValues(t, 1, calls.Load())
}

func TestHandlerConcurrentDistinctDeliveries(t *testing.T) {
	h := newTestHandler(t)
	const n = 500
	var seen sync.Map
	var calls atomic.Int32
	h.OnMessageReceived(func(_ context.Context, e *textus.MessageEvent) error {
		calls.Add(1)
		if _, dup := seen.LoadOrStore(e.ID, true); dup {
			t.Errorf("delivery %s handled twice", e.ID)
		}
		return nil
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	var wg sync.WaitGroup
	codes := make([]int, n)
	sem := make(chan struct{}, 32)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			req, err := http.NewRequest(http.MethodPost, srv.URL, nil)
			if err != nil {
				t.Error(err)
				return
			}
			SignRequest(req, testSecret, messageBody(fmt.Sprintf("d-%d", i)))
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			codes[i] = resp.StatusCode
		}(i)
	}
	wg.Wait()
	assert.EqualValues(t, n, calls.Load())
	for i, c := range codes {
		assert.Equal(t, http.StatusOK, c, "delivery %d", i)
	}
}

func TestHandlerConcurrentSameDelivery(t *testing.T) {
	h := newTestHandler(t)
	var calls atomic.Int32
	h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error {
		calls.Add(1)
		time.Sleep(time.Millisecond)
		return nil
	})
	const n = 300
	body := messageBody("same")
	var wg sync.WaitGroup
	var ok, conflict atomic.Int32
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			switch code := serve(h, testSecret, body).Code; code {
			case http.StatusOK:
				ok.Add(1)
			case http.StatusConflict:
				conflict.Add(1)
			default:
				t.Errorf("status %d", code)
			}
		}()
	}
	close(start)
	wg.Wait()
	assert.EqualValues(t, 1, calls.Load(), "callback ran exactly once")
	assert.EqualValues(t, n, ok.Load()+conflict.Load())
	assert.Equal(t, http.StatusOK, serve(h, testSecret, body).Code)
	assert.EqualValues(t, 1, calls.Load())
}

func TestHandlerRestoresBody(t *testing.T) {
	h := newTestHandler(t)
	h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error { return nil })
	body := messageBody("restore")
	var after []byte
	wrapped := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		var err error
		after, err = io.ReadAll(r.Body)
		require.NoError(t, err)
		require.NoError(t, r.Body.Close())
	})
	rec := httptest.NewRecorder()
	wrapped.ServeHTTP(rec, NewSignedRequest("/", testSecret, body))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, body, after)

	// Also when the signature is refused.
	rec = httptest.NewRecorder()
	wrapped.ServeHTTP(rec, NewSignedRequest("/", "textus-wrong", body))
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Equal(t, body, after)
}

func TestHandlerCallbackSeesEvent(t *testing.T) {
	h := newTestHandler(t)
	var got *textus.MessageEvent
	h.OnMessageReceived(func(_ context.Context, e *textus.MessageEvent) error {
		got = e
		return nil
	})
	body := messageBody("see")
	require.Equal(t, http.StatusOK, serve(h, testSecret, body).Code)
	require.NotNil(t, got)
	assert.Equal(t, "/integrations/h13Jc5/deliveries/see", got.ID)
	assert.Equal(t, "Yes, 3pm works", got.Message.Body)
	assert.Equal(t, "+13035551234", got.Conversation.PhoneNumber)
	assert.Equal(t, body, []byte(got.Raw))
}

func TestHandlerRoutesEveryAction(t *testing.T) {
	h := newTestHandler(t)
	var mu sync.Mutex
	got := map[string]string{}
	rec := func(name string) { mu.Lock(); got[name] = name; mu.Unlock() }
	h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error { rec("received"); return nil })
	h.OnMessageDelivered(func(context.Context, *textus.MessageEvent) error { rec("delivered"); return nil })
	h.OnMessageFailed(func(context.Context, *textus.MessageEvent) error { rec("failed"); return nil })
	h.OnMessageUnknown(func(context.Context, *textus.MessageEvent) error { rec("unknown"); return nil })
	h.OnPhoneCallCompleted(func(context.Context, *textus.PhoneCallEvent) error { rec("call"); return nil })
	h.OnContactOptedOut(func(_ context.Context, e *textus.OptOutEvent) error { rec("out:" + e.PhoneNumber()); return nil })
	h.OnContactOptedIn(func(context.Context, *textus.OptOutEvent) error { rec("in"); return nil })
	h.OnContactCreated(func(context.Context, *textus.ContactEvent) error { rec("created"); return nil })
	h.OnUnknownEvent(func(_ context.Context, e *textus.Event) error { rec("other:" + string(e.Action)); return nil })
	for i, a := range []string{"message.received", "message.delivered", "message.failed", "message.unknown",
		"phone_call.completed", "contact.opted-out", "contact.opted_in", "contact.created", "survey.done"} {
		body := fmt.Sprintf(`{"id":"/integrations/x/deliveries/%d","action":%q,"optOut":{"phoneNumber":"+13035551234"}}`, i, a)
		require.Equal(t, http.StatusOK, serve(h, testSecret, []byte(body)).Code, a)
	}
	assert.Len(t, got, 9)
	for _, want := range []string{"received", "delivered", "failed", "unknown", "call", "out:+13035551234", "in", "created", "other:survey.done"} {
		assert.Contains(t, got, want)
	}

	// Removing a callback: the delivery is acknowledged, nothing runs.
	h.OnMessageReceived(nil)
	delete(got, "received")
	require.Equal(t, http.StatusOK, serve(h, testSecret, messageBody("after-removal")).Code)
	assert.NotContains(t, got, "received")
}

type testListener struct {
	NopListener
	optedOut atomic.Int32
}

func (l *testListener) ContactOptedOut(_ context.Context, e *textus.OptOutEvent) error {
	if e.PhoneNumber() != "+13035551234" {
		return errors.New("wrong number")
	}
	l.optedOut.Add(1)
	return nil
}

func TestHandlerListen(t *testing.T) {
	h := newTestHandler(t)
	l := &testListener{}
	h.Listen(l)
	assert.Equal(t, http.StatusOK, serve(h, testSecret, optOutBody("l1", "2023-11-17T13:59:04Z")).Code)
	assert.Equal(t, http.StatusOK, serve(h, testSecret, optOutBody("l1", "2023-11-17T13:59:04Z")).Code)
	assert.Equal(t, http.StatusOK, serve(h, testSecret, messageBody("l2")).Code, "NopListener methods answer 200")
	assert.EqualValues(t, 1, l.optedOut.Load())

	h.Listen(nil)
	assert.Equal(t, http.StatusOK, serve(h, testSecret, optOutBody("l3", "2023-11-17T13:59:04Z")).Code)
	assert.EqualValues(t, 1, l.optedOut.Load())
}

func TestHandlerRotation(t *testing.T) {
	h := newTestHandler(t, WithSecrets("textus-old-secret"))
	var calls atomic.Int32
	h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error { calls.Add(1); return nil })
	assert.Equal(t, http.StatusOK, serve(h, testSecret, messageBody("r1")).Code)
	assert.Equal(t, http.StatusOK, serve(h, "textus-old-secret", messageBody("r2")).Code)
	assert.Equal(t, http.StatusUnauthorized, serve(h, "textus-retired", messageBody("r3")).Code)
	assert.EqualValues(t, 2, calls.Load())
}

func TestHandlerWithoutDeliveryID(t *testing.T) {
	h := newTestHandler(t)
	var calls atomic.Int32
	h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error { calls.Add(1); return nil })
	a := []byte(`{"action":"message.received","message":{"id":"/messages/1"}}`)
	b := []byte(`{"action":"message.received","message":{"id":"/messages/2"}}`)
	for i := 0; i < 2; i++ {
		assert.Equal(t, http.StatusOK, serve(h, testSecret, a).Code)
		assert.Equal(t, http.StatusOK, serve(h, testSecret, b).Code)
	}
	assert.EqualValues(t, 2, calls.Load(), "keyed on the body's hash")
}

func TestHandlerFreshnessTwoSided(t *testing.T) {
	clock := &fakeClock{t: time.Date(2023, 11, 17, 18, 59, 4, 568354000, time.UTC)} // = the body's time
	h := newTestHandler(t, WithTolerance(10*time.Minute), WithClock(clock.Now))
	h.OnContactOptedOut(func(context.Context, *textus.OptOutEvent) error { return nil })
	ts := "2023-11-17T13:59:04.568354-05:00"
	steps := []struct {
		advance time.Duration
		want    int
	}{
		{0, http.StatusOK},
		{10 * time.Minute, http.StatusOK},              // 10 min after: the edge
		{time.Second, http.StatusForbidden},            // past the tolerance
		{-20*time.Minute - time.Second, http.StatusOK}, // our clock 10 min behind: the edge
		{-time.Second, http.StatusForbidden},           // more than 10 min behind
		{24 * time.Hour, http.StatusForbidden},         // replay a day later
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		code := serve(h, testSecret, optOutBody(fmt.Sprintf("f%d", i), ts)).Code
		assert.Equal(t, s.want, code, "step %d (clock %s)", i, clock.Now())
	}
}

func TestHandlerNilBody(t *testing.T) {
	h := newTestHandler(t)
	r := NewSignedRequest("/", testSecret, nil)
	r.Body = nil
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	assert.Equal(t, http.StatusBadRequest, rec.Code)
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestHandlerReadError(t *testing.T) {
	h := newTestHandler(t)
	r := NewSignedRequest("/", testSecret, messageBody("x"))
	r.Body = io.NopCloser(errReader{})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	assert.Equal(t, http.StatusBadRequest, rec.Code)
}

func TestSignRequestAndNewSignedRequest(t *testing.T) {
	body := []byte(vectorBody)
	r := NewSignedRequest("/hooks/textus?x=1", vectorSecret, body)
	assert.Equal(t, http.MethodPost, r.Method)
	assert.Equal(t, "/hooks/textus", r.URL.Path)
	assert.Equal(t, "/hooks/textus?x=1", r.RequestURI)
	assert.Equal(t, vectorSig, r.Header.Get("X-TextUs-Signature"))
	assert.EqualValues(t, len(body), r.ContentLength)
	got, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	assert.Equal(t, body, got)
	rb, err := r.GetBody()
	require.NoError(t, err)
	got, _ = io.ReadAll(rb)
	assert.Equal(t, body, got)

	r = NewSignedRequest("https://hooks.example.com/t", vectorSecret, body)
	assert.Equal(t, "hooks.example.com", r.Host)
	assert.Panics(t, func() { NewSignedRequest("http://[::1", vectorSecret, body) })

	req := &http.Request{Method: http.MethodPost}
	SignRequest(req, vectorSecret, body)
	assert.Equal(t, vectorSig, req.Header.Get(SignatureHeader))
	assert.True(t, strings.HasPrefix(req.Header.Get("Content-Type"), "application/json"))
}

func TestHandlerLargeBodiesWithinTheCap(t *testing.T) {
	h := newTestHandler(t)
	var got int
	h.OnUnknownEvent(func(_ context.Context, e *textus.Event) error {
		got = len(e.Raw)
		return nil
	})
	pad := strings.Repeat("x", 200<<10)
	for i, cl := range []int64{0, -1} {
		body := []byte(fmt.Sprintf(`{"id":"big-%d","action":"x.big","pad":"%s"}`, i, pad))
		r := NewSignedRequest("/", testSecret, body)
		if cl != 0 {
			r.ContentLength = cl
		}
		rec := httptest.NewRecorder()
		got = 0
		h.ServeHTTP(rec, r)
		assert.Equal(t, http.StatusOK, rec.Code)
		assert.Equal(t, len(body), got)
	}
}

func TestZeroHandlerRefuses(t *testing.T) {
	var h Handler
	h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error { return nil })
	rec := serve(&h, testSecret, messageBody("zero"))
	assert.GreaterOrEqual(t, rec.Code, 400, "a Handler not made by NewHandler accepts nothing")
	assert.Less(t, rec.Code, 500)
}

// The read buffers are recycled: what a callback keeps (e.Raw) and what a
// middleware reads back from r.Body after ServeHTTP must not change when
// later deliveries reuse a buffer.
func TestHandlerRecycledBuffersAreNotShared(t *testing.T) {
	h := newTestHandler(t)
	var raws [][]byte
	h.OnMessageReceived(func(_ context.Context, e *textus.MessageEvent) error {
		raws = append(raws, e.Raw)
		return nil
	})
	var bodies [][]byte
	var restored []io.Reader
	for i := 0; i < 50; i++ {
		body := messageBody(fmt.Sprintf("recycled-%02d", i))
		if i%10 == 9 {
			body[0] = 'x' // signed, the same size, refused as not JSON
		}
		r := NewSignedRequest("/", testSecret, body)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		bodies = append(bodies, body)
		restored = append(restored, r.Body)
	}
	require.Len(t, raws, 45)
	k := 0
	for i, body := range bodies {
		got, err := io.ReadAll(restored[i])
		require.NoError(t, err)
		assert.Equal(t, string(body), string(got), "restored body %d", i)
		if i%10 != 9 {
			assert.Equal(t, string(body), string(raws[k]), "Raw of delivery %d", i)
			k++
		}
	}
}

// A body longer than its announced length is still held to the cap.
func TestHandlerCapHoldsWhenContentLengthIsWrong(t *testing.T) {
	h := newTestHandler(t, WithMaxBodyBytes(100))
	h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error { return nil })
	r := NewSignedRequest("/", testSecret, messageBody("long"))
	r.ContentLength = 50
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	assert.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
}
