package textusotel

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/codes"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/webhooks"
)

var (
	testDelivery = webhooks.DeliveryStart{Method: "POST", Route: "POST /hooks/{account}"}
	testJob      = webhooks.JobStart{
		ID: "/integrations/h13Jc5/deliveries/1", Action: textus.EventMessageReceived, Attempt: 1,
		EnqueuedAt: time.Now(), Trace: map[string]string{"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
	}
)

// Not configured, the observer declines every delivery and job at once,
// allocating nothing, and stores no trace context with a job.
func TestWebhookObserverWithoutProvidersIsFree(t *testing.T) {
	cases := map[string][]Option{
		"no-op providers":       {WithTracerProvider(tracenoop.NewTracerProvider()), WithMeterProvider(metricnoop.NewMeterProvider())},
		"global defaults":       nil, // no test of this package registers global providers in its own process
		"global defaults given": {WithTracerProvider(otel.GetTracerProvider()), WithMeterProvider(otel.GetMeterProvider())},
	}
	for name, opts := range cases {
		t.Run(name, func(t *testing.T) {
			o := newHandlerObserver(newConfig(opts))
			ctx := context.Background()
			var dctx, jctx context.Context
			var dend func(webhooks.DeliveryEnd)
			var jend func(webhooks.JobEnd)
			carrier := map[string]string{}
			allocs := testing.AllocsPerRun(100, func() {
				dctx, dend = o.StartDelivery(ctx, testDelivery)
				o.Inject(dctx, carrier)
				jctx, jend = o.StartJob(ctx, testJob)
			})
			assert.Zero(t, allocs)
			assert.Nil(t, dend)
			assert.Nil(t, jend)
			assert.Equal(t, ctx, dctx)
			assert.Equal(t, ctx, jctx)
			assert.Empty(t, carrier)
		})
	}
}

func TestRoutePath(t *testing.T) {
	for pattern, want := range map[string]string{
		"":                                "",
		"/hooks/textus":                   "/hooks/textus",
		"POST /hooks/{account}":           "/hooks/{account}",
		"POST  example.com/hooks/{id}":    "/hooks/{id}",
		"example.com/":                    "/",
		"POST example.com/{$}":            "/{$}",
		"GET\t/hooks/{account}/{rest...}": "/hooks/{account}/{rest...}",
		"example.com":                     "",
	} {
		assert.Equal(t, want, routePath(pattern), "%q", pattern)
	}
}

func TestMethodAttr(t *testing.T) {
	for method, want := range map[string]string{
		"POST": "POST", "GET": "GET", "PATCH": "PATCH", "post": "_OTHER", "PURGE": "_OTHER", "+13035551234": "_OTHER", "": "_OTHER",
	} {
		assert.Equal(t, want, methodAttr(method).Value.AsString(), "%q", method)
	}
}

// stubQueue is a webhooks.Queue whose Len answers n, fails, or waits for
// its context to end.
type stubQueue struct {
	webhooks.Queue // nil: only Len is called
	n              int
	err            error
	block          bool
}

func (q *stubQueue) Len(ctx context.Context) (int, error) {
	if q.block {
		<-ctx.Done()
		return 0, ctx.Err()
	}
	return q.n, q.err
}

// The queue-depth gauge observes nothing, rather than a partial sum, when a
// queue fails or does not answer in time; collection goes on.
func TestQueueDepthFailures(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer func() { _ = mp.Shutdown(context.Background()) }()
	o := newHandlerObserver(newConfig([]Option{WithMeterProvider(mp)}))
	depth := func() []metricdata.DataPoint[int64] {
		var rm metricdata.ResourceMetrics
		require.NoError(t, reader.Collect(context.Background(), &rm))
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				if m.Name == MetricWebhookQueueDepth {
					return m.Data.(metricdata.Gauge[int64]).DataPoints
				}
			}
		}
		return nil
	}
	assert.Empty(t, depth(), "no queue, no observation")
	assert.False(t, o.registered, "no queue, no callback registered")

	ok := &stubQueue{n: 2}
	o.ObserveQueue(ok)
	o.ObserveQueue(ok)
	o.ObserveQueue(nil)
	pts := depth()
	require.Len(t, pts, 1)
	assert.Equal(t, int64(2), pts[0].Value, "a queue observed twice counts once")

	failing := &stubQueue{err: errors.New("queue unreachable")}
	o.ObserveQueue(failing)
	assert.Empty(t, depth())

	failing.err = nil
	failing.block = true
	start := time.Now()
	assert.Empty(t, depth())
	assert.Less(t, time.Since(start), queueLenTimeout+5*time.Second, "Len is given queueLenTimeout")

	failing.block = false
	failing.n = 3
	pts = depth()
	require.Len(t, pts, 1)
	assert.Equal(t, int64(5), pts[0].Value)
}

// With a global propagator registered, and none given, the job carrier is
// written with the global one. The test registers a global propagator, so
// it runs in a process of its own.
func TestWebhookGlobalPropagator(t *testing.T) {
	if os.Getenv("TEXTUSOTEL_PROPAGATOR_CHILD") != "1" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestWebhookGlobalPropagator$", "-test.v")
		cmd.Env = append(os.Environ(), "TEXTUSOTEL_PROPAGATOR_CHILD=1")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		assert.Contains(t, string(out), "--- PASS: TestWebhookGlobalPropagator")
		return
	}
	tp := sdktrace.NewTracerProvider()
	defer func() { _ = tp.Shutdown(context.Background()) }()
	o := newHandlerObserver(newConfig([]Option{WithTracerProvider(tp), WithMeterProvider(metricnoop.NewMeterProvider())}))
	member, err := baggage.NewMember("tenant", "acme")
	require.NoError(t, err)
	bag, err := baggage.New(member)
	require.NoError(t, err)
	ctx, end := o.StartDelivery(baggage.ContextWithBaggage(context.Background(), bag), testDelivery)
	defer end(webhooks.DeliveryEnd{Status: 200})

	carrier := map[string]string{}
	o.Inject(ctx, carrier)
	assert.Equal(t, []string{"traceparent"}, keys(carrier), "no global propagator: W3C trace context")

	otel.SetTextMapPropagator(propagation.Baggage{})
	carrier = map[string]string{}
	o.Inject(ctx, carrier)
	assert.Equal(t, []string{"baggage"}, keys(carrier), "the global propagator")

	given := newHandlerObserver(newConfig([]Option{WithTracerProvider(tp), WithPropagators(propagation.TraceContext{})}))
	gctx, gend := given.StartDelivery(context.Background(), testDelivery)
	defer gend(webhooks.DeliveryEnd{Status: 200})
	carrier = map[string]string{}
	given.Inject(gctx, carrier)
	assert.Equal(t, []string{"traceparent"}, keys(carrier), "the propagator given")
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// BenchmarkWebhookObserver measures what the observer adds to one
// delivery (StartDelivery, end) and to one job attempt (StartJob, end),
// without the handler around them.
func BenchmarkWebhookObserver(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discardExporter{}))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	defer func() { _ = mp.Shutdown(context.Background()) }()
	variants := []struct {
		name string
		opts []Option
	}{
		{"noop", []Option{WithTracerProvider(tracenoop.NewTracerProvider()), WithMeterProvider(metricnoop.NewMeterProvider())}},
		{"global", nil},
		{"sdk", []Option{WithTracerProvider(tp), WithMeterProvider(mp)}},
	}
	end := webhooks.DeliveryEnd{Status: 200, Reason: "handled", ID: testJob.ID, Action: textus.EventMessageReceived, Verified: true}
	for _, v := range variants {
		o := newHandlerObserver(newConfig(v.opts))
		ctx := context.Background()
		b.Run("hook=delivery/instr="+v.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, done := o.StartDelivery(ctx, testDelivery); done != nil {
					done(end)
				}
			}
		})
		b.Run("hook=job/instr="+v.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, done := o.StartJob(ctx, testJob); done != nil {
					done(webhooks.JobEnd{Outcome: webhooks.JobDone})
				}
			}
		})
	}
}

// Every outcome of a job attempt: the failed ones set the span's status to
// Error, described by the reason (or the outcome when there is none). A
// carrier without a valid trace context gives no link.
func TestJobSpanOutcomes(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	o := newHandlerObserver(newConfig([]Option{WithTracerProvider(tp), WithMeterProvider(metricnoop.NewMeterProvider())}))
	cases := []struct {
		end  webhooks.JobEnd
		want sdktrace.Status
	}{
		{webhooks.JobEnd{Outcome: webhooks.JobDone}, sdktrace.Status{}},
		{webhooks.JobEnd{Outcome: webhooks.JobDuplicate, Reason: "already handled"}, sdktrace.Status{}},
		{webhooks.JobEnd{Outcome: webhooks.JobSkipped, Reason: "no callback"}, sdktrace.Status{}},
		{webhooks.JobEnd{Outcome: webhooks.JobRetry, Reason: "callback failed"}, sdktrace.Status{Code: codes.Error, Description: "callback failed"}},
		{webhooks.JobEnd{Outcome: webhooks.JobDeadLettered, Reason: "signature does not verify"},
			sdktrace.Status{Code: codes.Error, Description: "signature does not verify"}},
		{webhooks.JobEnd{Outcome: webhooks.JobAbandoned, Reason: "lease expired"}, sdktrace.Status{Code: codes.Error, Description: "lease expired"}},
		{webhooks.JobEnd{Outcome: webhooks.JobAbandoned}, sdktrace.Status{Code: codes.Error, Description: "abandoned"}},
	}
	job := testJob
	job.Trace = map[string]string{"traceparent": "00-not-a-trace-context"}
	for i, c := range cases {
		_, end := o.StartJob(context.Background(), job)
		end(c.end)
		s := rec.Ended()[i]
		assert.Equal(t, c.want, s.Status(), "%v", c.end)
		assert.Empty(t, s.Links(), "no valid trace context, no link")
		got := map[attribute.Key]string{}
		for _, kv := range s.Attributes() {
			got[kv.Key] = kv.Value.Emit()
		}
		assert.Equal(t, string(c.end.Outcome), got[AttrWebhookJobOutcome])
		if c.end.Reason != "" {
			assert.Equal(t, c.end.Reason, got[AttrWebhookReason])
		} else {
			assert.NotContains(t, got, AttrWebhookReason)
		}
	}
}
