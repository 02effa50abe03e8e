package textusotel_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/goleak"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textusotel"
	"github.com/textus-go/textus/textustest"
	"github.com/textus-go/textus/webhooks"
)

const (
	actionKey   = string(textusotel.AttrWebhookAction)
	idKey       = string(textusotel.AttrWebhookDeliveryID)
	attemptKey  = string(textusotel.AttrWebhookJobAttempt)
	outcomeKey  = string(textusotel.AttrWebhookJobOutcome)
	latencyKey  = string(textusotel.AttrWebhookJobLatency)
	received    = string(textus.EventMessageReceived)
	wrongSecret = "not the subscription's secret"
)

// Deliveries made by textustest to a handler mounted on a ServeMux: a
// handled one, the same again (a duplicate), and one whose callback fails
// once, retried by the fake. Each request gets a server span; the
// callback's own calls are its children.
func TestWebhookDeliverySpans(t *testing.T) {
	wh := newWebhookHarness(t, "/hooks/acme", textus.EventMessageReceived)
	var failed atomic.Bool
	h := wh.newHandler(t)
	h.OnMessageReceived(func(ctx context.Context, e *textus.MessageEvent) error {
		if e.Message.Body == "fail once" && failed.CompareAndSwap(false, true) {
			return errors.New("database unavailable")
		}
		_, err := wh.c.Accounts.Get(ctx, wh.srv.Account())
		return err
	})
	wh.mount(h)
	// The callback's first call fails once and is retried.
	wh.srv.SetFaults(textustest.Fault{Kind: textustest.FaultServerError, Rate: 1, Method: "GET", Path: "/accounts/:slug", Limit: 1})

	_, err := wh.srv.ReceiveMessage("+13035551234", "Is the job still open?")
	require.NoError(t, err)
	first := wh.deliveries(t)[0]
	require.NoError(t, wh.srv.Redeliver(first.ID))
	wh.deliveries(t)
	_, err = wh.srv.ReceiveMessage("+17205550199", "fail once")
	require.NoError(t, err)
	var second textustest.Delivery
	for _, d := range wh.deliveries(t) {
		if d.ID == first.ID {
			require.Equal(t, []int{200, 200}, d.Statuses)
		} else {
			second = d
		}
	}
	require.Equal(t, []int{500, 200}, second.Statuses)

	spans := wh.spansNamed(textusotel.SpanWebhookDelivery)
	require.Len(t, spans, 4)
	base := map[string]string{
		"http.request.method": "POST", "http.route": "/hooks/{account}", "http.response.status_code": "200",
		actionKey: received, "textus.webhook.verified": "true", "textus.webhook.duplicate": "false",
		"textus.webhook.queued": "false",
	}
	with := func(kv ...string) map[string]string { return merge(base, kv...) }
	want := []struct {
		attrs  map[string]string
		status sdktrace.Status
	}{
		{with(idKey, first.ID, "textus.webhook.reason", "handled"), sdktrace.Status{}},
		{with(idKey, first.ID, "textus.webhook.reason", "duplicate", "textus.webhook.duplicate", "true"), sdktrace.Status{}},
		{with(idKey, second.ID, "textus.webhook.reason", "callback failed", "http.response.status_code", "500", "error.type", "500"),
			sdktrace.Status{Code: codes.Error, Description: "callback failed"}},
		{with(idKey, second.ID, "textus.webhook.reason", "handled"), sdktrace.Status{}},
	}
	for i, s := range spans {
		assert.Equal(t, trace.SpanKindServer, s.SpanKind(), "span %d", i)
		assert.False(t, s.Parent().IsValid(), "span %d: TextUs sends no trace context; the span is a root", i)
		assert.Equal(t, want[i].attrs, spanLabels(s), "span %d", i)
		assert.Equal(t, want[i].status, s.Status(), "span %d", i)
		assert.Empty(t, s.Events(), "span %d", i)
	}

	// The callback's calls are children of their delivery's span.
	calls := wh.spansNamed("textus Accounts.Get")
	require.Len(t, calls, 2)
	for i, parent := range []sdktrace.ReadOnlySpan{spans[0], spans[3]} {
		assert.Equal(t, parent.SpanContext().SpanID(), calls[i].Parent().SpanID())
		assert.Equal(t, parent.SpanContext().TraceID(), calls[i].SpanContext().TraceID())
	}
	require.Len(t, calls[0].Events(), 1, "the injected 503 was retried")
	assert.Equal(t, textusotel.EventRetry, calls[0].Events()[0].Name)
	assert.Empty(t, calls[1].Events())

	rm := wh.collect(t)
	deliveries := findMetric(t, rm, textusotel.MetricWebhookDeliveries)
	assert.Equal(t, int64(3), sumValue(t, deliveries, map[string]string{actionKey: received, "http.response.status_code": "200"}))
	assert.Equal(t, int64(1), sumValue(t, deliveries, map[string]string{actionKey: received, "http.response.status_code": "500", "error.type": "500"}))
	assert.Equal(t, int64(1), sumValue(t, findMetric(t, rm, textusotel.MetricWebhookDuplicates), map[string]string{actionKey: received}))
	dur := findMetric(t, rm, textusotel.MetricWebhookDeliveryDuration)
	assert.Equal(t, "s", dur.Unit)
	assert.Equal(t, uint64(3), histogramPoint(t, dur, map[string]string{actionKey: received, "http.response.status_code": "200"}).Count)
	assert.Equal(t, uint64(1), histogramPoint(t, dur, map[string]string{actionKey: received, "http.response.status_code": "500", "error.type": "500"}).Count)
}

// Requests refused before or after verification, unknown actions and
// callbacks that panic or abort, sent with webhooks.NewSignedRequest to a
// handler that is not on a ServeMux (no http.route).
func TestWebhookRefusedAndUnknownDeliveries(t *testing.T) {
	hr := newHarness(t, nil)
	const secret = "whsec-refusals"
	h, err := webhooks.NewHandler(secret, hr.option())
	require.NoError(t, err)
	h.OnMessageReceived(func(_ context.Context, e *textus.MessageEvent) error {
		switch e.Message.Body {
		case "panic":
			panic("boom")
		case "abort":
			panic(http.ErrAbortHandler)
		}
		return nil
	})
	unknown := []byte(`{"id":"/integrations/h13Jc5/deliveries/survey-1","action":"survey.completed","timestamp":"2024-05-01T12:00:00Z"}`)
	unknownHandled := []byte(`{"id":"/integrations/h13Jc5/deliveries/survey-2","action":"survey.completed","timestamp":"2024-05-01T12:00:00Z"}`)

	unverified := map[string]string{
		"textus.webhook.verified": "false", "textus.webhook.duplicate": "false", "textus.webhook.queued": "false",
	}
	verified := merge(unverified, "textus.webhook.verified", "true")
	fail := func(desc string) sdktrace.Status { return sdktrace.Status{Code: codes.Error, Description: desc} }

	cases := []struct {
		name   string
		req    func() *http.Request
		before func()
		status int
		attrs  map[string]string
		span   sdktrace.Status
	}{
		{"wrong secret", func() *http.Request {
			return webhooks.NewSignedRequest("/hooks/acme", wrongSecret, messageDelivery("a", "+13035551234", "hi"))
		}, nil, 401, merge(unverified, "http.request.method", "POST", "http.response.status_code", "401", "error.type", "401",
			"textus.webhook.reason", "invalid signature"), sdktrace.Status{}},
		{"no signature", func() *http.Request {
			r := webhooks.NewSignedRequest("/hooks/acme", secret, messageDelivery("a", "+13035551234", "hi"))
			r.Header.Del(webhooks.SignatureHeader)
			return r
		}, nil, 401, merge(unverified, "http.request.method", "POST", "http.response.status_code", "401", "error.type", "401",
			"textus.webhook.reason", "missing signature"), sdktrace.Status{}},
		{"GET", func() *http.Request {
			r := webhooks.NewSignedRequest("/hooks/acme", secret, messageDelivery("a", "+13035551234", "hi"))
			r.Method = http.MethodGet
			return r
		}, nil, 405, merge(unverified, "http.request.method", "GET", "http.response.status_code", "405", "error.type", "405",
			"textus.webhook.reason", "method not allowed"), sdktrace.Status{}},
		{"made-up method", func() *http.Request {
			r := webhooks.NewSignedRequest("/hooks/acme", secret, messageDelivery("a", "+13035551234", "hi"))
			r.Method = "PURGE"
			return r
		}, nil, 405, merge(unverified, "http.request.method", "_OTHER", "http.response.status_code", "405", "error.type", "405",
			"textus.webhook.reason", "method not allowed"), sdktrace.Status{}},
		{"not JSON", func() *http.Request {
			return webhooks.NewSignedRequest("/hooks/acme", secret, []byte("[1, 2]"))
		}, nil, 400, merge(verified, "http.request.method", "POST", "http.response.status_code", "400", "error.type", "400",
			"textus.webhook.reason", "body is not a JSON object"), sdktrace.Status{}},
		{"unknown action without callback", func() *http.Request {
			return webhooks.NewSignedRequest("/hooks/acme", secret, unknown)
		}, nil, 200, merge(verified, "http.request.method", "POST", "http.response.status_code", "200",
			actionKey, "survey.completed", idKey, "/integrations/h13Jc5/deliveries/survey-1",
			"textus.webhook.reason", "no callback"), sdktrace.Status{}},
		{"unknown action handled", func() *http.Request {
			return webhooks.NewSignedRequest("/hooks/acme", secret, unknownHandled)
		}, func() {
			h.OnUnknownEvent(func(context.Context, *textus.Event) error { return nil })
		}, 200, merge(verified, "http.request.method", "POST", "http.response.status_code", "200",
			actionKey, "survey.completed", idKey, "/integrations/h13Jc5/deliveries/survey-2",
			"textus.webhook.reason", "handled"), sdktrace.Status{}},
		{"callback panics", func() *http.Request {
			return webhooks.NewSignedRequest("/hooks/acme", secret, messageDelivery("p", "+13035551234", "panic"))
		}, nil, 500, merge(verified, "http.request.method", "POST", "http.response.status_code", "500", "error.type", "500",
			actionKey, received, idKey, "/integrations/h13Jc5/deliveries/p", "textus.webhook.reason", "callback panicked"),
			fail("callback panicked")},
		{"callback aborts", func() *http.Request {
			return webhooks.NewSignedRequest("/hooks/acme", secret, messageDelivery("x", "+13035551234", "abort"))
		}, nil, 0, merge(verified, "http.request.method", "POST", "error.type", "aborted",
			actionKey, received, idKey, "/integrations/h13Jc5/deliveries/x", "textus.webhook.reason", "callback aborted the request"),
			fail("callback aborted the request")},
	}
	for i, tc := range cases {
		if tc.before != nil {
			tc.before()
		}
		require.Equal(t, tc.status, serve(h, tc.req()), tc.name)
		spans := hr.spansNamed(textusotel.SpanWebhookDelivery)
		require.Len(t, spans, i+1, tc.name)
		s := spans[i]
		assert.Equal(t, trace.SpanKindServer, s.SpanKind(), tc.name)
		assert.Equal(t, tc.attrs, spanLabels(s), tc.name)
		assert.Equal(t, tc.span, s.Status(), tc.name)
	}

	rm := hr.collect(t)
	deliveries := findMetric(t, rm, textusotel.MetricWebhookDeliveries)
	for _, c := range []struct {
		labels map[string]string
		want   int64
	}{
		{map[string]string{"http.response.status_code": "401", "error.type": "401"}, 2},
		{map[string]string{"http.response.status_code": "405", "error.type": "405"}, 2},
		{map[string]string{"http.response.status_code": "400", "error.type": "400"}, 1},
		{map[string]string{actionKey: "_OTHER", "http.response.status_code": "200"}, 2},
		{map[string]string{actionKey: received, "http.response.status_code": "500", "error.type": "500"}, 1},
		{map[string]string{actionKey: received, "error.type": "aborted"}, 1},
	} {
		assert.Equal(t, c.want, sumValue(t, deliveries, c.labels), "%v", c.labels)
	}
}

// Behind a middleware that makes a server span (otelhttp here), the
// delivery's span is its child, of kind internal, and so in the trace the
// middleware continued from the request's traceparent. Without one, a
// traceparent on the request is ignored: TextUs sends none, and the
// handler does not read headers other than its signature.
func TestWebhookSpanUnderMiddleware(t *testing.T) {
	hr := newHarness(t, nil)
	const secret = "whsec-middleware"
	h, err := webhooks.NewHandler(secret, hr.option())
	require.NoError(t, err)
	h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error { return nil })
	mux := http.NewServeMux()
	mux.Handle(hookRoute, h)
	wrapped := otelhttp.NewHandler(mux, "webhooks",
		otelhttp.WithTracerProvider(hr.tp), otelhttp.WithPropagators(propagation.TraceContext{}))

	const incomingTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	req := func(id string) *http.Request {
		r := webhooks.NewSignedRequest("/hooks/acme", secret, messageDelivery(id, "+13035551234", "hi"))
		r.Header.Set("traceparent", "00-"+incomingTrace+"-00f067aa0ba902b7-01")
		return r
	}
	require.Equal(t, 200, serve(wrapped, req("m1")))
	require.Equal(t, 200, serve(mux, req("m2")))

	spans := hr.spansNamed(textusotel.SpanWebhookDelivery)
	require.Len(t, spans, 2)
	var outer sdktrace.ReadOnlySpan
	for _, s := range hr.spans.Ended() {
		if s.Name() != textusotel.SpanWebhookDelivery {
			outer = s
		}
	}
	require.NotNil(t, outer)
	assert.Equal(t, trace.SpanKindServer, outer.SpanKind())
	assert.Equal(t, incomingTrace, outer.SpanContext().TraceID().String())

	inner := spans[0]
	assert.Equal(t, trace.SpanKindInternal, inner.SpanKind(), "the middleware's span is the server span")
	assert.Equal(t, outer.SpanContext().SpanID(), inner.Parent().SpanID())
	assert.Equal(t, incomingTrace, inner.SpanContext().TraceID().String())
	assert.Equal(t, "/hooks/{account}", spanLabels(inner)["http.route"])

	direct := spans[1]
	assert.Equal(t, trace.SpanKindServer, direct.SpanKind())
	assert.False(t, direct.Parent().IsValid(), "no extraction from the request's headers")
	assert.NotEqual(t, incomingTrace, direct.SpanContext().TraceID().String())
}

// With a queue: one span per delivery (queued), then one root span per
// job attempt, linked to the delivery's span; retries are further
// attempts, the last one of a job that keeps failing is dead-lettered.
// Once Run has returned and the servers are closed, no goroutine is left.
func TestWebhookQueueSpans(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	wh := newWebhookHarness(t, "/hooks/acme", textus.EventMessageReceived)
	q := webhooks.NewMemoryQueue(16)
	h := wh.newHandler(t, webhooks.WithQueue(q), webhooks.WithAttempts(3), webhooks.WithWorkers(2),
		webhooks.WithBackoff(time.Millisecond, 2*time.Millisecond))
	var mu sync.Mutex
	tries := map[string]int{}
	h.OnMessageReceived(func(ctx context.Context, e *textus.MessageEvent) error {
		mu.Lock()
		tries[e.ID]++
		n := tries[e.ID]
		mu.Unlock()
		if e.Message.Body == "always fails" || n < 3 {
			return errors.New("database unavailable")
		}
		_, err := wh.c.Accounts.Get(ctx, wh.srv.Account())
		return err
	})
	wh.mount(h)
	stop := startRun(t, h)

	_, err := wh.srv.ReceiveMessage("+13035551234", "works the third time")
	require.NoError(t, err)
	_, err = wh.srv.ReceiveMessage("+17205550199", "always fails")
	require.NoError(t, err)
	ds := wh.deliveries(t)
	require.Len(t, ds, 2)
	waitFor(t, "six job attempts", func() bool { return len(wh.spansNamed(textusotel.SpanWebhookJob)) == 6 })
	stop()

	for _, d := range ds {
		require.Equal(t, []int{200}, d.Statuses, "queued at the first attempt")
	}
	if bytes.Contains(ds[0].Body, []byte("always fails")) {
		ds[0], ds[1] = ds[1], ds[0]
	}
	wantOutcomes := map[string][]string{
		ds[0].ID: {"retry", "retry", "done"},
		ds[1].ID: {"retry", "retry", "dead_lettered"},
	}
	for _, d := range ds {
		dspans := wh.spansOf(textusotel.SpanWebhookDelivery, d.ID)
		require.Len(t, dspans, 1)
		ds := dspans[0]
		assert.Equal(t, map[string]string{
			"http.request.method": "POST", "http.route": "/hooks/{account}", "http.response.status_code": "200",
			actionKey: received, idKey: d.ID, "textus.webhook.verified": "true", "textus.webhook.duplicate": "false",
			"textus.webhook.queued": "true", "textus.webhook.reason": "queued",
		}, spanLabels(ds))

		jobs := byAttempt(wh.spansOf(textusotel.SpanWebhookJob, d.ID))
		require.Len(t, jobs, 3)
		for i, js := range jobs {
			assert.Equal(t, trace.SpanKindConsumer, js.SpanKind())
			assert.False(t, js.Parent().IsValid(), "a job attempt's span is a root")
			assert.NotEqual(t, ds.SpanContext().TraceID(), js.SpanContext().TraceID())
			require.Len(t, js.Links(), 1)
			link := js.Links()[0].SpanContext
			assert.Equal(t, ds.SpanContext().TraceID(), link.TraceID(), "linked to the delivery's trace")
			assert.Equal(t, ds.SpanContext().SpanID(), link.SpanID(), "linked to the delivery's span")

			got, latency := withoutKey(spanLabels(js), latencyKey)
			outcome := wantOutcomes[d.ID][i]
			want := map[string]string{actionKey: received, idKey: d.ID, attemptKey: itoa(i + 1), outcomeKey: outcome}
			if outcome != "done" {
				want["textus.webhook.reason"] = "callback failed"
				assert.Equal(t, sdktrace.Status{Code: codes.Error, Description: "callback failed"}, js.Status())
			} else {
				assert.Equal(t, sdktrace.Status{}, js.Status())
			}
			assert.Equal(t, want, got, "attempt %d", i+1)
			lat, err := strconv.ParseFloat(latency, 64)
			require.NoError(t, err, "latency %q", latency)
			assert.GreaterOrEqual(t, lat, 0.0)
		}
	}
	// The successful attempt's call is its child.
	calls := wh.spansNamed("textus Accounts.Get")
	require.Len(t, calls, 1)
	done := byAttempt(wh.spansOf(textusotel.SpanWebhookJob, ds[0].ID))[2]
	assert.Equal(t, done.SpanContext().SpanID(), calls[0].Parent().SpanID())

	dead, err := q.DeadLetters(testContext(t), "", 10)
	require.NoError(t, err)
	require.Len(t, dead, 1)
	assert.Equal(t, ds[1].ID, dead[0].Job.ID)

	rm := wh.collect(t)
	att := findMetric(t, rm, textusotel.MetricWebhookJobAttempts)
	for outcome, n := range map[string]int64{"retry": 4, "done": 1, "dead_lettered": 1} {
		assert.Equal(t, n, sumValue(t, att, map[string]string{actionKey: received, outcomeKey: outcome}), outcome)
	}
	lat := findMetric(t, rm, textusotel.MetricWebhookJobLatency)
	first := histogramPoint(t, lat, map[string]string{actionKey: received, "textus.webhook.job.retry": "false"})
	later := histogramPoint(t, lat, map[string]string{actionKey: received, "textus.webhook.job.retry": "true"})
	assert.Equal(t, uint64(2), first.Count)
	assert.Equal(t, uint64(4), later.Count)
	minLater, ok := later.Min.Value()
	require.True(t, ok)
	assert.GreaterOrEqual(t, minLater, 0.0005, "a retry waits out its backoff (at least half the minimum)")
	jd := findMetric(t, rm, textusotel.MetricWebhookJobDuration)
	assert.Equal(t, uint64(4), histogramPoint(t, jd, map[string]string{actionKey: received, outcomeKey: "retry"}).Count)
	assert.Equal(t, int64(2), sumValue(t, findMetric(t, rm, textusotel.MetricWebhookDeliveries),
		map[string]string{actionKey: received, "http.response.status_code": "200"}))
	assert.Equal(t, int64(0), queueDepth(t, rm), "the queue is empty")

	wh.receiver.Close()
	wh.srv.Close()
	goleak.VerifyNone(t, ignore)
}

// byAttempt sorts job spans by attempt number: an attempt's span ends
// once the queue has recorded its outcome, so the next attempt, on
// another worker, may start (and even end) before it does.
func byAttempt(spans []sdktrace.ReadOnlySpan) []sdktrace.ReadOnlySpan {
	attempt := func(s sdktrace.ReadOnlySpan) int {
		n, _ := strconv.Atoi(spanLabels(s)[attemptKey])
		return n
	}
	sort.SliceStable(spans, func(i, j int) bool { return attempt(spans[i]) < attempt(spans[j]) })
	return spans
}

// merge returns a copy of m with the keys and values of kv (key, value,
// key, value...) set.
func merge(m map[string]string, kv ...string) map[string]string {
	out := make(map[string]string, len(m)+len(kv)/2)
	for k, v := range m {
		out[k] = v
	}
	for len(kv) >= 2 {
		out[kv[0]] = kv[1]
		kv = kv[2:]
	}
	return out
}

// queueDepth returns the value of the queue-depth gauge, which has one
// data point, without attributes.
func queueDepth(t *testing.T, rm metricdata.ResourceMetrics) int64 {
	t.Helper()
	m := findMetric(t, rm, textusotel.MetricWebhookQueueDepth)
	assert.Equal(t, "{job}", m.Unit)
	g, ok := m.Data.(metricdata.Gauge[int64])
	require.True(t, ok, "%s is an int64 gauge", m.Name)
	require.Len(t, g.DataPoints, 1)
	assert.Zero(t, g.DataPoints[0].Attributes.Len())
	return g.DataPoints[0].Value
}

func itoa(i int) string { return strconv.Itoa(i) }

// The queue-depth gauge calls Queue.Len when metrics are collected: for a
// HandlerOption shared by handlers, each queue counts once.
func TestWebhookQueueDepth(t *testing.T) {
	hr := newHarness(t, nil)
	const secret = "whsec-depth"
	opt := hr.option()
	q, other := webhooks.NewMemoryQueue(16), webhooks.NewMemoryQueue(16)
	enqueue := func(h *webhooks.Handler, ids ...string) {
		for _, id := range ids {
			require.Equal(t, 200, serve(h, webhooks.NewSignedRequest("/hooks", secret, messageDelivery(id, "+13035551234", "hi"))))
		}
	}
	depth := func() int64 {
		return queueDepth(t, hr.collect(t))
	}
	newHandler := func(q webhooks.Queue) *webhooks.Handler {
		h, err := webhooks.NewHandler(secret, opt, webhooks.WithQueue(q))
		require.NoError(t, err)
		h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error { return nil })
		return h
	}
	h1 := newHandler(q)
	enqueue(h1, "d1", "d2", "d3")
	assert.Equal(t, int64(3), depth())
	h2 := newHandler(q)
	enqueue(h2, "d4")
	assert.Equal(t, int64(4), depth(), "two handlers on one queue")
	h3 := newHandler(other)
	enqueue(h3, "d5")
	assert.Equal(t, int64(5), depth(), "the sum of the queues")
}

// A propagator with baggage carries the request's baggage to the job's
// callback, with the link.
func TestWebhookJobBaggage(t *testing.T) {
	hr := newHarness(t, nil)
	const secret = "whsec-baggage"
	h, err := webhooks.NewHandler(secret,
		hr.option(textusotel.WithPropagators(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))),
		webhooks.WithQueue(webhooks.NewMemoryQueue(4)))
	require.NoError(t, err)
	got := make(chan string, 1)
	h.OnMessageReceived(func(ctx context.Context, _ *textus.MessageEvent) error {
		got <- baggage.FromContext(ctx).Member("tenant").Value()
		return nil
	})
	member, err := baggage.NewMember("tenant", "acme")
	require.NoError(t, err)
	bag, err := baggage.New(member)
	require.NoError(t, err)
	withBaggage := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(baggage.ContextWithBaggage(r.Context(), bag)))
	})
	require.Equal(t, 200, serve(withBaggage, webhooks.NewSignedRequest("/hooks", secret, messageDelivery("b1", "+13035551234", "hi"))))
	stop := startRun(t, h)
	select {
	case v := <-got:
		assert.Equal(t, "acme", v)
	case <-time.After(30 * time.Second):
		t.Fatal("the job did not run")
	}
	stop()
	jobs := hr.spansNamed(textusotel.SpanWebhookJob)
	require.Len(t, jobs, 1)
	require.Len(t, jobs[0].Links(), 1)
	assert.Equal(t, hr.onlySpan(t, textusotel.SpanWebhookDelivery).SpanContext().SpanID(), jobs[0].Links()[0].SpanContext.SpanID())
}

// Without a tracer, the handler stores no trace context with its jobs;
// with one, only the propagator's fields.
func TestWebhookJobCarrier(t *testing.T) {
	for name, traced := range map[string]bool{"traced": true, "metrics only": false} {
		t.Run(name, func(t *testing.T) {
			hr := newHarness(t, nil)
			const secret = "whsec-carrier"
			opts := []textusotel.Option{textusotel.WithMeterProvider(hr.mp)}
			if traced {
				opts = append(opts, textusotel.WithTracerProvider(hr.tp))
			} else {
				opts = append(opts, textusotel.WithTracerProvider(tracenoop.NewTracerProvider()))
			}
			q := webhooks.NewMemoryQueue(4)
			h, err := webhooks.NewHandler(secret, textusotel.HandlerOption(opts...), webhooks.WithQueue(q))
			require.NoError(t, err)
			h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error { return nil })
			require.Equal(t, 200, serve(h, webhooks.NewSignedRequest("/hooks", secret, messageDelivery("c1", "+13035551234", "hi"))))
			leases, err := q.Receive(testContext(t), "test", 1, time.Minute)
			require.NoError(t, err)
			require.Len(t, leases, 1)
			if !traced {
				assert.Nil(t, leases[0].Job.Trace)
				return
			}
			tr := leases[0].Job.Trace
			require.Len(t, tr, 1, "W3C trace context, no global propagator being registered: %v", tr)
			sc := hr.onlySpan(t, textusotel.SpanWebhookDelivery).SpanContext()
			assert.Equal(t, "00-"+sc.TraceID().String()+"-"+sc.SpanID().String()+"-01", tr["traceparent"])
		})
	}
}
