package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/textus-go/textus"
)

// recordingObserver is a fake Observer that records what it is told and
// propagates a made-up trace id, the way a tracing implementation would.
type recordingObserver struct {
	mu     sync.Mutex
	seq    int
	ds     []*recordedDelivery
	js     []*recordedJob
	queues []Queue
}

type recordedDelivery struct {
	trace string
	start DeliveryStart
	end   DeliveryEnd
	ended int
}

type recordedJob struct {
	start JobStart
	end   JobEnd
	ended int
}

type traceKey struct{}

func newRecordingObserver() *recordingObserver { return &recordingObserver{} }

func (o *recordingObserver) StartDelivery(ctx context.Context, d DeliveryStart) (context.Context, func(DeliveryEnd)) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seq++
	rec := &recordedDelivery{trace: fmt.Sprintf("delivery-%d", o.seq), start: d}
	o.ds = append(o.ds, rec)
	return context.WithValue(ctx, traceKey{}, rec.trace), func(e DeliveryEnd) {
		o.mu.Lock()
		defer o.mu.Unlock()
		rec.end = e
		rec.ended++
	}
}

func (o *recordingObserver) Inject(ctx context.Context, carrier map[string]string) {
	if v, ok := ctx.Value(traceKey{}).(string); ok {
		carrier["traceparent"] = v
	}
}

func (o *recordingObserver) StartJob(ctx context.Context, j JobStart) (context.Context, func(JobEnd)) {
	o.mu.Lock()
	defer o.mu.Unlock()
	rec := &recordedJob{start: j}
	o.js = append(o.js, rec)
	return context.WithValue(ctx, traceKey{}, "job linked to "+j.Trace["traceparent"]), func(e JobEnd) {
		o.mu.Lock()
		defer o.mu.Unlock()
		rec.end = e
		rec.ended++
	}
}

func (o *recordingObserver) ObserveQueue(q Queue) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.queues = append(o.queues, q)
}

func (o *recordingObserver) deliveries() []recordedDelivery {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]recordedDelivery, len(o.ds))
	for i, d := range o.ds {
		out[i] = *d
	}
	return out
}

func (o *recordingObserver) jobs() []recordedJob {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]recordedJob, len(o.js))
	for i, j := range o.js {
		out[i] = *j
	}
	return out
}

func (o *recordingObserver) outcomes() []JobOutcome {
	var out []JobOutcome
	for _, j := range o.jobs() {
		out = append(out, j.end.Outcome)
	}
	return out
}

var _ QueueObserver = (*recordingObserver)(nil)

func TestObserverSeesEveryDelivery(t *testing.T) {
	clock := &fakeClock{t: time.Date(2018, 7, 24, 21, 0, 0, 0, time.UTC)}
	obs := newRecordingObserver()
	h := newTestHandler(t, WithObserver(obs), WithTolerance(time.Hour), WithClock(clock.Now))
	var callbackTrace atomic.Value
	h.OnMessageReceived(func(ctx context.Context, e *textus.MessageEvent) error {
		callbackTrace.CompareAndSwap(nil, ctx.Value(traceKey{}))
		switch e.ID {
		case "/integrations/h13Jc5/deliveries/fails":
			return errors.New("db down")
		case "/integrations/h13Jc5/deliveries/panics":
			panic("boom")
		}
		return nil
	})
	h.OnUnknownEvent(func(context.Context, *textus.Event) error { return nil })
	get := NewSignedRequest("/", testSecret, messageBody("get"))
	get.Method = http.MethodGet
	stale := []byte(`{"id":"/integrations/h13Jc5/deliveries/stale","action":"message.received","timestamp":"2017-01-01T00:00:00Z"}`)
	unknownNoCb := []byte(`{"id":"/integrations/h13Jc5/deliveries/optin","action":"contact.opted_in","timestamp":"2018-07-24T20:59:32Z"}`)
	mux := http.NewServeMux()
	mux.Handle("POST /hooks/{account}", h)

	cases := []struct {
		name string
		req  *http.Request
		want DeliveryEnd
	}{
		{"handled", NewSignedRequest("/hooks/acme", testSecret, messageBody("ok")),
			DeliveryEnd{Status: 200, Reason: "handled", ID: "/integrations/h13Jc5/deliveries/ok", Action: textus.EventMessageReceived, Verified: true}},
		{"duplicate", NewSignedRequest("/hooks/acme", testSecret, messageBody("ok")),
			DeliveryEnd{Status: 200, Reason: "duplicate", ID: "/integrations/h13Jc5/deliveries/ok", Action: textus.EventMessageReceived, Verified: true, Duplicate: true}},
		{"no callback", NewSignedRequest("/hooks/acme", testSecret, unknownNoCb),
			DeliveryEnd{Status: 200, Reason: "no callback", ID: "/integrations/h13Jc5/deliveries/optin", Action: textus.EventContactOptedIn, Verified: true}},
		{"wrong method", get, DeliveryEnd{Status: 405, Reason: "method not allowed"}},
		{"bad signature", NewSignedRequest("/hooks/acme", "textus-wrong", messageBody("x")),
			DeliveryEnd{Status: 401, Reason: "invalid signature"}},
		{"stale", NewSignedRequest("/hooks/acme", testSecret, stale),
			DeliveryEnd{Status: 403, Reason: "delivery timestamp outside tolerance", ID: "/integrations/h13Jc5/deliveries/stale", Action: textus.EventMessageReceived, Verified: true}},
		{"callback error", NewSignedRequest("/hooks/acme", testSecret, messageBody("fails")),
			DeliveryEnd{Status: 500, Reason: "callback failed", ID: "/integrations/h13Jc5/deliveries/fails", Action: textus.EventMessageReceived, Verified: true}},
		{"callback panic", NewSignedRequest("/hooks/acme", testSecret, messageBody("panics")),
			DeliveryEnd{Status: 500, Reason: "callback panicked", ID: "/integrations/h13Jc5/deliveries/panics", Action: textus.EventMessageReceived, Verified: true}},
	}
	for i, tc := range cases {
		rec := httptest.NewRecorder()
		if tc.name == "wrong method" {
			h.ServeHTTP(rec, tc.req)
		} else {
			mux.ServeHTTP(rec, tc.req)
		}
		ds := obs.deliveries()
		require.Len(t, ds, i+1, tc.name)
		d := ds[i]
		assert.Equal(t, tc.want, d.end, tc.name)
		assert.Equal(t, tc.want.Status, rec.Code, tc.name)
		assert.Equal(t, 1, d.ended, "%s: end called once", tc.name)
		assert.Equal(t, tc.req.Method, d.start.Method, tc.name)
		if tc.name != "wrong method" {
			assert.Equal(t, "POST /hooks/{account}", d.start.Route, "%s: the pattern, not the path", tc.name)
		}
	}
	assert.Equal(t, "delivery-1", callbackTrace.Load(), "the callback runs in the observer's context")
}

func TestObserverSeesAnAbortedRequest(t *testing.T) {
	obs := newRecordingObserver()
	h := newTestHandler(t, WithObserver(obs))
	h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error { panic(http.ErrAbortHandler) })
	assert.Panics(t, func() { serve(h, testSecret, messageBody("abort")) })
	ds := obs.deliveries()
	require.Len(t, ds, 1)
	assert.Equal(t, 0, ds[0].end.Status)
	assert.Equal(t, "callback aborted the request", ds[0].end.Reason)
	assert.Equal(t, 1, ds[0].ended)
}

// With a queue: the delivery's trace context travels with the job, and
// each attempt's span can be linked to it.
func TestObserverLinksJobAttemptsToTheDelivery(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	obs := newRecordingObserver()
	q := NewMemoryQueue(10)
	h := newTestHandler(t, WithObserver(obs), WithQueue(q), WithBackoff(time.Millisecond, time.Millisecond), WithAttempts(2))
	var mu sync.Mutex
	var traces []any
	h.OnMessageReceived(func(ctx context.Context, e *textus.MessageEvent) error {
		mu.Lock()
		traces = append(traces, ctx.Value(traceKey{}))
		mu.Unlock()
		if e.ID == "/integrations/h13Jc5/deliveries/flaky" && len(traces) == 1 {
			return errors.New("once")
		}
		if e.ID == "/integrations/h13Jc5/deliveries/doomed" {
			return errors.New("always")
		}
		return nil
	})
	require.Len(t, obs.queues, 1, "ObserveQueue is told the queue")
	assert.Same(t, q, obs.queues[0])

	require.Equal(t, http.StatusOK, serve(h, testSecret, messageBody("flaky")).Code)
	before := time.Now()
	run := startRun(t, h)
	waitFor(t, "flaky done", func() bool { return queueLen(t, q) == 0 })
	require.Equal(t, http.StatusOK, serve(h, testSecret, messageBody("doomed")).Code)
	waitFor(t, "doomed dead", func() bool { return queueLen(t, q) == 0 && len(obs.jobs()) == 4 })
	require.NoError(t, run.stop(t))

	ds := obs.deliveries()
	require.Len(t, ds, 2)
	for _, d := range ds {
		assert.True(t, d.end.Queued)
		assert.Equal(t, "queued", d.end.Reason)
		assert.Equal(t, 200, d.end.Status)
	}
	js := obs.jobs()
	require.Len(t, js, 4)
	wantTrace := []string{"delivery-1", "delivery-1", "delivery-2", "delivery-2"}
	wantAttempt := []int{1, 2, 1, 2}
	wantEnd := []JobEnd{
		{Outcome: JobRetry, Reason: "callback failed"},
		{Outcome: JobDone},
		{Outcome: JobRetry, Reason: "callback failed"},
		{Outcome: JobDeadLettered, Reason: "callback failed"},
	}
	for i, j := range js {
		assert.Equal(t, wantTrace[i], j.start.Trace["traceparent"], "job %d carries its delivery's trace", i)
		assert.Equal(t, wantAttempt[i], j.start.Attempt, "job %d", i)
		assert.Equal(t, wantEnd[i], j.end, "job %d", i)
		assert.Equal(t, 1, j.ended)
		assert.Equal(t, textus.EventMessageReceived, j.start.Action)
		assert.False(t, j.start.EnqueuedAt.After(time.Now()))
		if i < 2 {
			assert.False(t, j.start.EnqueuedAt.After(before), "the wait is measured from the enqueue")
		}
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []any{"job linked to delivery-1", "job linked to delivery-1", "job linked to delivery-2", "job linked to delivery-2"}, traces,
		"callbacks run in the context StartJob returned")
}

// Nothing an Observer is given holds the body, a phone number, the
// secret or the signature.
func TestObserverIsNotGivenSecretsOrContent(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	obs := newRecordingObserver()
	q := NewMemoryQueue(10)
	h := newTestHandler(t, WithObserver(obs), WithQueue(q), WithAttempts(1))
	h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error {
		return errors.New("failed for +13035551234") // the user's own error stays out
	})
	body := []byte(`{"id":"/integrations/a/deliveries/secretive","action":"message.received",` +
		`"conversation":{"id":"/conversations/C","phoneNumber":"+13035551234"},"message":{"body":"SENSITIVE-PAYLOAD"}}`)
	require.Equal(t, http.StatusOK, serve(h, testSecret, body).Code)
	require.Equal(t, http.StatusUnauthorized, serve(h, "textus-wrong", body).Code)
	run := startRun(t, h)
	waitFor(t, "dead-lettered", func() bool { return queueLen(t, q) == 0 })
	require.NoError(t, run.stop(t))
	// Times are left out of the scan: their digits could hold "303" by
	// chance.
	jobs := obs.jobs()
	for i := range jobs {
		jobs[i].start.EnqueuedAt = time.Time{}
	}
	seen := fmt.Sprintf("%+v %+v", obs.deliveries(), jobs)
	for _, s := range []string{"SENSITIVE-PAYLOAD", "+13035551234", "303", testSecret, Sign(testSecret, body), Sign("textus-wrong", body)} {
		assert.NotContains(t, seen, s)
	}
	assert.Contains(t, seen, "/integrations/a/deliveries/secretive")
}

// An Observer may return a nil context or no end function.
type minimalObserver struct{}

func (minimalObserver) StartDelivery(context.Context, DeliveryStart) (context.Context, func(DeliveryEnd)) {
	return nil, nil
}
func (minimalObserver) Inject(context.Context, map[string]string) {}
func (minimalObserver) StartJob(context.Context, JobStart) (context.Context, func(JobEnd)) {
	return nil, nil
}

func TestObserverMayReturnNothing(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	q := NewMemoryQueue(10)
	h := newTestHandler(t, WithObserver(minimalObserver{}), WithQueue(q))
	var calls atomic.Int32
	h.OnMessageReceived(func(ctx context.Context, _ *textus.MessageEvent) error {
		if ctx == nil {
			return errors.New("nil context")
		}
		calls.Add(1)
		return nil
	})
	require.Equal(t, http.StatusOK, serve(h, testSecret, messageBody("min")).Code)
	run := startRun(t, h)
	waitFor(t, "processed", func() bool { return calls.Load() == 1 && queueLen(t, q) == 0 })
	require.NoError(t, run.stop(t))
	jobs, err := q.DeadLetters(context.Background(), "", 1)
	require.NoError(t, err)
	assert.Empty(t, jobs)
	plain := newTestHandler(t, WithObserver(minimalObserver{}))
	plain.OnMessageReceived(func(context.Context, *textus.MessageEvent) error { return nil })
	assert.Equal(t, http.StatusOK, serve(plain, testSecret, messageBody("min")).Code)
}
