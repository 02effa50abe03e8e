package textusotel

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	semconv "go.opentelemetry.io/otel/semconv/v1.39.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/textus-go/textus"
)

// Names of the client instruments; the package documentation says what
// each measures and with which attributes.
const (
	// MetricCallDuration is a histogram (s) of call durations, retries and
	// waits included.
	MetricCallDuration = "textus.client.call.duration"
	// MetricAttempts counts the HTTP requests sent.
	MetricAttempts = "textus.client.attempts"
	// MetricRetries counts the failed attempts that were retried.
	MetricRetries = "textus.client.retries"
	// MetricRateLimitRemaining is a gauge of the X-RateLimit-Remaining of
	// the last response.
	MetricRateLimitRemaining = "textus.client.rate_limit.remaining"
	// MetricPacingWait is a histogram (s) of the wait before each attempt.
	MetricPacingWait = "textus.client.pacing.wait"
)

// ClientOption returns a textus.Option that traces and measures every call
// of the client it is given to: one span per call (one per page for an
// iterator), named "textus " and the operation ("textus Contacts.Get"), and
// the client instruments listed in the package documentation.
//
//	c, err := textus.NewClient(token, textus.WithAccount("my_account"),
//		textusotel.ClientOption(textusotel.WithTracerProvider(tp), textusotel.WithMeterProvider(mp)))
//
// The instruments are created once, when ClientOption is called; the
// returned option may be given to several clients, which then share them.
func ClientOption(opts ...Option) textus.Option {
	return textus.WithObserver(newClientObserver(newConfig(opts)))
}

// clientObserver is the textus.Observer of ClientOption.
type clientObserver struct {
	tracers tracerSource
	inst    clientInstruments

	// ops caches what is computed once per endpoint (span name, start
	// options, metric attribute sets): an immutable map, replaced whole
	// under mu when an endpoint is first seen, so that lookups take no lock.
	ops atomic.Pointer[map[textus.CallInfo]*opState]
	mu  sync.Mutex
}

func newClientObserver(cfg config) *clientObserver {
	return &clientObserver{tracers: newTracerSource(cfg.tp), inst: newClientInstruments(cfg.meter())}
}

// clientInstruments are the metric instruments of the client side.
type clientInstruments struct {
	duration  metric.Float64Histogram
	attempts  metric.Int64Counter
	retries   metric.Int64Counter
	remaining metric.Int64Gauge
	pacing    metric.Float64Histogram
}

// durationBuckets suit API calls: from 5ms to a minute of retries.
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60}

// pacingBuckets start at zero, the usual wait, and reach the longest wait
// the client allows by default (30s).
var pacingBuckets = []float64{0, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

func newClientInstruments(m metric.Meter) clientInstruments {
	var ci clientInstruments
	ci.duration = float64Histogram(m, MetricCallDuration,
		metric.WithDescription("Duration of TextUs API calls, from the start of the call to its end, retries and waits included."),
		metric.WithUnit("s"), metric.WithExplicitBucketBoundaries(durationBuckets...))
	ci.attempts = int64Counter(m, MetricAttempts,
		metric.WithDescription("HTTP requests sent to the TextUs API, first attempts and retries."),
		metric.WithUnit("{attempt}"))
	ci.retries = int64Counter(m, MetricRetries,
		metric.WithDescription("Attempts to the TextUs API that failed and were retried."),
		metric.WithUnit("{retry}"))
	ci.remaining = int64Gauge(m, MetricRateLimitRemaining,
		metric.WithDescription("Requests left in the TextUs rate-limit window (X-RateLimit-Remaining of the last response)."),
		metric.WithUnit("{request}"))
	ci.pacing = float64Histogram(m, MetricPacingWait,
		metric.WithDescription("Time an attempt waited for client-side pacing and the server's rate-limit block before it was sent."),
		metric.WithUnit("s"), metric.WithExplicitBucketBoundaries(pacingBuckets...))
	return ci
}

// int64Counter, float64Histogram and int64Gauge create an instrument on
// m, or its no-op when m refuses (the error goes to otel.Handle), so that
// recording never needs a nil check.
func int64Counter(m metric.Meter, name string, opts ...metric.Int64CounterOption) metric.Int64Counter {
	c, err := m.Int64Counter(name, opts...)
	if err != nil || c == nil {
		handle(err)
		return metricnoop.Int64Counter{}
	}
	return c
}

func float64Histogram(m metric.Meter, name string, opts ...metric.Float64HistogramOption) metric.Float64Histogram {
	h, err := m.Float64Histogram(name, opts...)
	if err != nil || h == nil {
		handle(err)
		return metricnoop.Float64Histogram{}
	}
	return h
}

func int64Gauge(m metric.Meter, name string, opts ...metric.Int64GaugeOption) metric.Int64Gauge {
	g, err := m.Int64Gauge(name, opts...)
	if err != nil || g == nil {
		handle(err)
		return metricnoop.Int64Gauge{}
	}
	return g
}

func handle(err error) {
	if err != nil {
		otel.Handle(err)
	}
}

// enabled reports whether any client instrument records measurements.
func (ci *clientInstruments) enabled(ctx context.Context) bool {
	return ci.duration.Enabled(ctx) || ci.attempts.Enabled(ctx) || ci.retries.Enabled(ctx) ||
		ci.remaining.Enabled(ctx) || ci.pacing.Enabled(ctx)
}

// opState is what a call to one endpoint needs, computed once.
type opState struct {
	spanName  string
	startOpts []trace.SpanStartOption
	op        attribute.KeyValue // textus.operation
	method    attribute.KeyValue // http.request.method
	// base ({textus.operation, http.request.method}) and server
	// ({server.address, server.port}) are metric attribute options.
	base   opts
	server opts

	mu     sync.Mutex
	errors map[string]opts // base plus error.type, by error type
}

// opts is one attribute set as options for both kinds of instruments.
type opts struct {
	rec []metric.RecordOption
	add []metric.AddOption
}

func newOpts(kvs ...attribute.KeyValue) opts {
	o := metric.WithAttributeSet(attribute.NewSet(kvs...))
	return opts{rec: []metric.RecordOption{o}, add: []metric.AddOption{o}}
}

func newOpState(info textus.CallInfo) *opState {
	op, method := AttrOperation.String(info.Operation), semconv.HTTPRequestMethodKey.String(info.Method)
	return &opState{
		spanName: "textus " + info.Operation,
		op:       op,
		method:   method,
		startOpts: []trace.SpanStartOption{
			trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(
				op, method,
				semconv.ServerAddress(info.ServerAddress),
				semconv.ServerPort(info.ServerPort),
				semconv.URLTemplate(info.URLTemplate),
			),
		},
		base:   newOpts(op, method),
		server: newOpts(semconv.ServerAddress(info.ServerAddress), semconv.ServerPort(info.ServerPort)),
		errors: make(map[string]opts),
	}
}

// withError returns the metric options of a failure of the given type.
func (st *opState) withError(errorType string) opts {
	st.mu.Lock()
	defer st.mu.Unlock()
	o, ok := st.errors[errorType]
	if !ok {
		o = newOpts(st.op, st.method, semconv.ErrorTypeKey.String(errorType))
		st.errors[errorType] = o
	}
	return o
}

// op returns the state of the endpoint info describes.
func (o *clientObserver) op(info textus.CallInfo) *opState {
	key := info
	key.Account = "" // the account is a span attribute, set per call
	if m := o.ops.Load(); m != nil {
		if st, ok := (*m)[key]; ok {
			return st
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	old := o.ops.Load()
	if old != nil {
		if st, ok := (*old)[key]; ok {
			return st
		}
	}
	st := newOpState(key)
	m := make(map[textus.CallInfo]*opState, 1)
	if old != nil {
		for k, v := range *old {
			m[k] = v
		}
	}
	m[key] = st
	o.ops.Store(&m)
	return st
}

// StartCall implements textus.Observer. With neither a tracer nor an
// enabled instrument it returns at once, allocating nothing.
func (o *clientObserver) StartCall(ctx context.Context, info textus.CallInfo) (context.Context, textus.CallObserver) {
	tracer := o.tracers.get()
	measure := o.inst.enabled(ctx)
	if tracer == nil && !measure {
		return ctx, nil
	}
	st := o.op(info)
	c := &call{inst: &o.inst, st: st, measure: measure}
	if tracer != nil {
		ctx, c.span = tracer.Start(ctx, st.spanName, st.startOpts...)
		if c.span.IsRecording() {
			c.recording = true
			if info.Account != "" {
				c.span.SetAttributes(AttrAccount.String(info.Account))
			}
		}
	}
	c.ctx = ctx
	return ctx, c
}

// minPacingWait is the shortest pacing wait a span records: the SDK
// reports the time spent in pacing also when nothing held the call back,
// and that is not a wait.
const minPacingWait = time.Millisecond

// call is the textus.CallObserver of one call. The SDK calls its methods
// one after the other, never at once.
type call struct {
	inst      *clientInstruments
	st        *opState
	ctx       context.Context
	span      trace.Span // nil when the call is not traced
	recording bool
	measure   bool
	paced     time.Duration
	// attrs backs the attribute lists handed to the span, which copies
	// them: kept here, they cost no allocation of their own.
	attrs [6]attribute.KeyValue
}

func (c *call) Paced(d time.Duration) {
	c.paced += d
	if c.measure {
		c.inst.pacing.Record(c.ctx, d.Seconds(), c.st.base.rec...)
	}
}

func (c *call) Retrying(a textus.AttemptInfo) {
	et := a.ErrorType
	if c.recording {
		attrs := append(c.attrs[:0], AttrAttempt.Int(a.Attempt), AttrRetryReason.String(a.Reason), semconv.ErrorTypeKey.String(et))
		if a.StatusCode != 0 {
			attrs = append(attrs, semconv.HTTPResponseStatusCode(a.StatusCode))
		}
		c.span.AddEvent(EventRetry, trace.WithAttributes(attrs...))
	}
	if c.measure {
		c.inst.retries.Add(c.ctx, 1, c.st.withError(et).add...)
	}
}

func (c *call) End(r textus.CallResult) {
	rateKnown := r.HasRemaining
	if c.recording {
		attrs := append(c.attrs[:0], AttrAttempts.Int(r.Attempts))
		if r.StatusCode != 0 {
			attrs = append(attrs, semconv.HTTPResponseStatusCode(r.StatusCode))
		}
		if r.ErrorType != "" {
			attrs = append(attrs, semconv.ErrorTypeKey.String(r.ErrorType))
		}
		if r.OutcomeUnknown {
			attrs = append(attrs, AttrOutcomeUnknown.Bool(true))
		}
		if c.paced >= minPacingWait {
			attrs = append(attrs, AttrPacingWait.Float64(c.paced.Seconds()))
		}
		if rateKnown {
			attrs = append(attrs, AttrRateLimitRemaining.Int(r.Rate.Remaining))
		}
		c.span.SetAttributes(attrs...)
		if r.ErrorType != "" {
			// Never r.Err.Error(): it may hold the request path, and so a
			// phone number or an id.
			c.span.SetStatus(codes.Error, r.ErrorType)
		}
	}
	if c.span != nil {
		c.span.End()
	}
	if c.measure {
		o := c.st.base
		if r.ErrorType != "" {
			o = c.st.withError(r.ErrorType)
		}
		c.inst.duration.Record(c.ctx, r.Duration.Seconds(), o.rec...)
		if r.Attempts > 0 {
			c.inst.attempts.Add(c.ctx, int64(r.Attempts), c.st.base.add...)
		}
		if rateKnown {
			c.inst.remaining.Record(c.ctx, int64(r.Rate.Remaining), c.st.server.rec...)
		}
	}
}
