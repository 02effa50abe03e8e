package textusotel

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.39.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/webhooks"
)

// Names of the spans of HandlerOption.
const (
	// SpanWebhookDelivery names the span of each request a
	// webhooks.Handler serves.
	SpanWebhookDelivery = "textus webhook delivery"
	// SpanWebhookJob names the span of each attempt at a queued delivery
	// (webhooks.WithQueue, Handler.Run).
	SpanWebhookJob = "textus webhook job"
)

// Names of the webhook instruments; the package documentation says what
// each measures and with which attributes.
const (
	// MetricWebhookDeliveries counts the requests a Handler answered.
	MetricWebhookDeliveries = "textus.webhook.deliveries"
	// MetricWebhookDeliveryDuration is a histogram (s) of the time from a
	// request reaching the Handler to its answer.
	MetricWebhookDeliveryDuration = "textus.webhook.delivery.duration"
	// MetricWebhookDuplicates counts the deliveries answered without
	// running or queueing their callback because they were already
	// handled or queued.
	MetricWebhookDuplicates = "textus.webhook.duplicates"
	// MetricWebhookQueueDepth is an asynchronous gauge of the live jobs
	// of the handlers' queues (webhooks.Queue.Len).
	MetricWebhookQueueDepth = "textus.webhook.queue.depth"
	// MetricWebhookJobLatency is a histogram (s) of the time from a
	// delivery's acceptance to the start of each attempt at its job.
	MetricWebhookJobLatency = "textus.webhook.job.latency"
	// MetricWebhookJobDuration is a histogram (s) of the duration of each
	// job attempt.
	MetricWebhookJobDuration = "textus.webhook.job.duration"
	// MetricWebhookJobAttempts counts the job attempts, by outcome.
	MetricWebhookJobAttempts = "textus.webhook.job.attempts"
)

// ErrorTypeAborted is the error.type of a request the Handler answered
// with no status: a callback aborted it (panic(http.ErrAbortHandler)), or
// the handler panicked.
const ErrorTypeAborted = "aborted"

// actionOther is the metric label of an action the SDK does not know:
// actions come from the sender, so labels keep to the known ones.
const actionOther = "_OTHER"

// queueLenTimeout bounds each Queue.Len call of the queue-depth gauge.
const queueLenTimeout = time.Second

// HandlerOption returns a webhooks.Option that traces and measures the
// webhooks.Handler it is given to: one span per request it serves, named
// "textus webhook delivery"; with a queue (webhooks.WithQueue), one span
// per job attempt, named "textus webhook job" and linked to the span of
// the delivery that queued the job; and the webhook instruments. The
// package documentation lists their attributes.
//
//	h, err := webhooks.NewHandler(secret,
//		textusotel.HandlerOption(textusotel.WithTracerProvider(tp), textusotel.WithMeterProvider(mp)))
//
// The instruments are created once, when HandlerOption is called; the
// returned option may be given to several handlers, which then share them
// (the queue-depth gauge then reports the sum of their queues).
func HandlerOption(opts ...Option) webhooks.Option {
	return webhooks.WithObserver(newHandlerObserver(newConfig(opts)))
}

// handlerObserver is the webhooks.Observer and webhooks.QueueObserver of
// HandlerOption.
type handlerObserver struct {
	tracers tracerSource
	prop    propagation.TextMapPropagator // nil: the global one, or W3C trace context
	inst    webhookInstruments

	// sets caches the metric attribute sets: an immutable map, replaced
	// whole under mu when a set is first needed, so that lookups take no
	// lock. Its keys are few (known actions, statuses, outcomes).
	sets atomic.Pointer[map[setKey]opts]
	mu   sync.Mutex

	// The queue-depth gauge's callback is registered with the meter when
	// the first queue is given, so that handlers without one register
	// nothing.
	meter      metric.Meter
	depth      metric.Int64ObservableGauge // nil if it could not be created
	qmu        sync.Mutex
	queues     []webhooks.Queue
	registered bool
}

// webhookInstruments are the metric instruments of the webhook side.
type webhookInstruments struct {
	deliveries  metric.Int64Counter
	duration    metric.Float64Histogram
	duplicates  metric.Int64Counter
	jobLatency  metric.Float64Histogram
	jobDuration metric.Float64Histogram
	jobAttempts metric.Int64Counter
}

// deliveryBuckets suit a handler's answer: from a millisecond to the
// order of a sender's timeout.
var deliveryBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// latencyBuckets reach the backoff of late retries (ten minutes by
// default) and beyond.
var latencyBuckets = []float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 600, 1800, 3600}

func newHandlerObserver(cfg config) *handlerObserver {
	o := &handlerObserver{tracers: newTracerSource(cfg.tp), prop: cfg.prop}
	m := cfg.meter()
	var err error
	wi := &o.inst
	wi.deliveries = int64Counter(m, MetricWebhookDeliveries,
		metric.WithDescription("Webhook requests answered, by action and status."),
		metric.WithUnit("{delivery}"))
	wi.duration = float64Histogram(m, MetricWebhookDeliveryDuration,
		metric.WithDescription("Time from a webhook request reaching the handler to its answer."),
		metric.WithUnit("s"), metric.WithExplicitBucketBoundaries(deliveryBuckets...))
	wi.duplicates = int64Counter(m, MetricWebhookDuplicates,
		metric.WithDescription("Webhook deliveries answered without running or queueing their callback, already handled or already queued."),
		metric.WithUnit("{delivery}"))
	wi.jobLatency = float64Histogram(m, MetricWebhookJobLatency,
		metric.WithDescription("Time from a webhook delivery's acceptance to the start of an attempt at its job."),
		metric.WithUnit("s"), metric.WithExplicitBucketBoundaries(latencyBuckets...))
	wi.jobDuration = float64Histogram(m, MetricWebhookJobDuration,
		metric.WithDescription("Duration of webhook job attempts, callback included."),
		metric.WithUnit("s"), metric.WithExplicitBucketBoundaries(durationBuckets...))
	wi.jobAttempts = int64Counter(m, MetricWebhookJobAttempts,
		metric.WithDescription("Webhook job attempts, by outcome."),
		metric.WithUnit("{attempt}"))
	o.depth, err = m.Int64ObservableGauge(MetricWebhookQueueDepth,
		metric.WithDescription("Live jobs (waiting, running or waiting for a retry) in the webhook queue."),
		metric.WithUnit("{job}"))
	if err != nil {
		handle(err)
		o.depth = nil
	}
	o.meter = m
	return o
}

// deliveriesEnabled reports whether any instrument of the deliveries
// records measurements.
func (wi *webhookInstruments) deliveriesEnabled(ctx context.Context) bool {
	return wi.deliveries.Enabled(ctx) || wi.duration.Enabled(ctx) || wi.duplicates.Enabled(ctx)
}

// jobsEnabled reports whether any instrument of the jobs records
// measurements.
func (wi *webhookInstruments) jobsEnabled(ctx context.Context) bool {
	return wi.jobLatency.Enabled(ctx) || wi.jobDuration.Enabled(ctx) || wi.jobAttempts.Enabled(ctx)
}

// setKey names a metric attribute set.
type setKey struct {
	kind      setKind
	action    string // a label from actionLabel
	status    int
	errorType string
	outcome   webhooks.JobOutcome
	retry     bool
}

type setKind uint8

const (
	setDelivery  setKind = iota // action, status, error.type
	setDuplicate                // action
	setLatency                  // action, retry
	setJob                      // action, outcome
)

// set returns the metric options of k, built once.
func (o *handlerObserver) set(k setKey) opts {
	if m := o.sets.Load(); m != nil {
		if s, ok := (*m)[k]; ok {
			return s
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	old := o.sets.Load()
	if old != nil {
		if s, ok := (*old)[k]; ok {
			return s
		}
	}
	s := newOpts(k.attributes()...)
	m := make(map[setKey]opts, 1)
	if old != nil {
		for k, v := range *old {
			m[k] = v
		}
	}
	m[k] = s
	o.sets.Store(&m)
	return s
}

func (k setKey) attributes() []attribute.KeyValue {
	var kvs []attribute.KeyValue
	if k.action != "" {
		kvs = append(kvs, AttrWebhookAction.String(k.action))
	}
	switch k.kind {
	case setDelivery:
		if k.status != 0 {
			kvs = append(kvs, semconv.HTTPResponseStatusCode(k.status))
		}
		if k.errorType != "" {
			kvs = append(kvs, semconv.ErrorTypeKey.String(k.errorType))
		}
	case setLatency:
		kvs = append(kvs, AttrWebhookJobRetry.Bool(k.retry))
	case setJob:
		kvs = append(kvs, AttrWebhookJobOutcome.String(string(k.outcome)))
	}
	return kvs
}

// actionLabel bounds an action for a metric label: a known action as it
// is, any other as "_OTHER", none as "".
func actionLabel(a textus.EventType) string {
	switch {
	case a == "":
		return ""
	case a.Known():
		return string(a)
	}
	return actionOther
}

// methodAttr is the http.request.method of a request: one of the methods
// of RFC 9110 and PATCH, or "_OTHER", so that a made-up method never
// reaches an attribute.
func methodAttr(m string) attribute.KeyValue {
	switch m {
	case http.MethodPost:
		return semconv.HTTPRequestMethodPost
	case http.MethodGet:
		return semconv.HTTPRequestMethodGet
	case http.MethodHead:
		return semconv.HTTPRequestMethodHead
	case http.MethodPut:
		return semconv.HTTPRequestMethodPut
	case http.MethodDelete:
		return semconv.HTTPRequestMethodDelete
	case http.MethodPatch:
		return semconv.HTTPRequestMethodPatch
	case http.MethodOptions:
		return semconv.HTTPRequestMethodOptions
	case http.MethodConnect:
		return semconv.HTTPRequestMethodConnect
	case http.MethodTrace:
		return semconv.HTTPRequestMethodTrace
	}
	return semconv.HTTPRequestMethodOther
}

// routePath is the path template of a ServeMux pattern ("POST
// example.com/hooks/{account}" gives "/hooks/{account}"): http.route
// holds no method nor host.
func routePath(pattern string) string {
	if i := strings.IndexAny(pattern, " \t"); i >= 0 {
		pattern = strings.TrimLeft(pattern[i:], " \t")
	}
	if i := strings.IndexByte(pattern, '/'); i >= 0 {
		return pattern[i:]
	}
	return ""
}

// errorType is the error.type of an answer: its status for 4xx and 5xx
// (as the HTTP conventions have it), ErrorTypeAborted without one, "" for
// success.
func errorType(status int) string {
	switch {
	case status == 0:
		return ErrorTypeAborted
	case status >= 400:
		return strconv.Itoa(status)
	}
	return ""
}

// StartDelivery implements webhooks.Observer. With neither a tracer nor
// an enabled instrument it returns at once, allocating nothing.
func (o *handlerObserver) StartDelivery(ctx context.Context, d webhooks.DeliveryStart) (context.Context, func(webhooks.DeliveryEnd)) {
	tracer := o.tracers.get()
	measure := o.inst.deliveriesEnabled(ctx)
	if tracer == nil && !measure {
		return ctx, nil
	}
	c := getDeliveryCall()
	c.o, c.measure, c.start = o, measure, time.Now()
	if tracer != nil {
		// A span already in the context is a middleware's (otelhttp's
		// server span, say): that one is the request's server span, this
		// one its child.
		kind := trace.SpanKindServer
		if parent := trace.SpanContextFromContext(ctx); parent.IsValid() && !parent.IsRemote() {
			kind = trace.SpanKindInternal
		}
		attrs := append(c.attrs[:0], methodAttr(d.Method))
		if r := routePath(d.Route); r != "" {
			attrs = append(attrs, semconv.HTTPRoute(r))
		}
		ctx, c.span = tracer.Start(ctx, SpanWebhookDelivery, trace.WithSpanKind(kind), trace.WithAttributes(attrs...))
	}
	c.ctx = ctx
	return ctx, c.endFn
}

// deliveryCall is the state of one delivery between StartDelivery and its
// end, recycled once it has ended: the handler calls end once.
type deliveryCall struct {
	o       *handlerObserver
	ctx     context.Context
	span    trace.Span // nil when the delivery is not traced
	start   time.Time
	measure bool
	// attrs backs the attribute lists handed to the span, which copies
	// them.
	attrs [9]attribute.KeyValue
	endFn func(webhooks.DeliveryEnd) // c.end, bound once
}

// deliveryCalls recycles the deliveryCall values.
var deliveryCalls sync.Pool

func getDeliveryCall() *deliveryCall {
	if c, ok := deliveryCalls.Get().(*deliveryCall); ok {
		return c
	}
	c := new(deliveryCall)
	c.endFn = c.end
	return c
}

// end ends the delivery's span and records its measurements.
func (c *deliveryCall) end(e webhooks.DeliveryEnd) {
	duration := time.Since(c.start)
	et := errorType(e.Status)
	if span := c.span; span != nil {
		if span.IsRecording() {
			attrs := c.attrs[:0]
			if e.Status != 0 {
				attrs = append(attrs, semconv.HTTPResponseStatusCode(e.Status))
			}
			if et != "" {
				attrs = append(attrs, semconv.ErrorTypeKey.String(et))
			}
			if e.Action != "" {
				attrs = append(attrs, AttrWebhookAction.String(string(e.Action)))
			}
			if e.ID != "" {
				attrs = append(attrs, AttrWebhookDeliveryID.String(e.ID))
			}
			attrs = append(attrs, AttrWebhookVerified.Bool(e.Verified), AttrWebhookDuplicate.Bool(e.Duplicate),
				AttrWebhookQueued.Bool(e.Queued))
			if e.Reason != "" {
				attrs = append(attrs, AttrWebhookReason.String(e.Reason))
			}
			span.SetAttributes(attrs...)
			// A server span fails on 5xx only: a 4xx is the sender's
			// error. The description is the handler's fixed reason.
			if e.Status == 0 || e.Status >= 500 {
				desc := e.Reason
				if desc == "" {
					desc = et
				}
				span.SetStatus(codes.Error, desc)
			}
		}
		span.End()
	}
	if c.measure {
		o, ctx := c.o, c.ctx
		action := actionLabel(e.Action)
		s := o.set(setKey{kind: setDelivery, action: action, status: e.Status, errorType: et})
		o.inst.deliveries.Add(ctx, 1, s.add...)
		o.inst.duration.Record(ctx, duration.Seconds(), s.rec...)
		if e.Duplicate {
			o.inst.duplicates.Add(ctx, 1, o.set(setKey{kind: setDuplicate, action: action}).add...)
		}
	}
	c.o, c.ctx, c.span = nil, nil, nil
	clear(c.attrs[:])
	deliveryCalls.Put(c)
}

// Inject implements webhooks.Observer: it writes the delivery span's
// context into the job's carrier, with the configured propagator. It
// writes nothing when spans are off.
func (o *handlerObserver) Inject(ctx context.Context, carrier map[string]string) {
	if o.tracers.get() == nil || !trace.SpanContextFromContext(ctx).IsValid() {
		return
	}
	o.propagator().Inject(ctx, propagation.MapCarrier(carrier))
}

// propagator is the one WithPropagators set, else the global one when one
// is registered, else W3C trace context: both ends of the carrier are this
// package's, and the link from a job to its delivery must not depend on a
// global setting.
func (o *handlerObserver) propagator() propagation.TextMapPropagator {
	if o.prop != nil {
		return o.prop
	}
	if p := otel.GetTextMapPropagator(); len(p.Fields()) > 0 {
		return p
	}
	return propagation.TraceContext{}
}

// StartJob implements webhooks.Observer. The attempt's span is a root,
// linked to the span of the delivery that queued the job. With neither a
// tracer nor an enabled instrument it returns at once, allocating
// nothing.
func (o *handlerObserver) StartJob(ctx context.Context, j webhooks.JobStart) (context.Context, func(webhooks.JobEnd)) {
	tracer := o.tracers.get()
	measure := o.inst.jobsEnabled(ctx)
	if tracer == nil && !measure {
		return ctx, nil
	}
	c := getJobCall()
	c.o, c.measure, c.start, c.action = o, measure, time.Now(), actionLabel(j.Action)
	var latency time.Duration
	if !j.EnqueuedAt.IsZero() {
		latency = max(c.start.Sub(j.EnqueuedAt), 0)
	}
	if tracer != nil {
		opts := append(c.opts[:0], trace.WithNewRoot(), trace.WithSpanKind(trace.SpanKindConsumer))
		if len(j.Trace) > 0 {
			// The carrier gives the delivery's span context, and the
			// baggage when the propagator carries it: the callback sees
			// the baggage of the request that queued its job.
			ctx = o.propagator().Extract(ctx, propagation.MapCarrier(j.Trace))
			if sc := trace.SpanContextFromContext(ctx); sc.IsValid() && sc.IsRemote() {
				opts = append(opts, trace.WithLinks(trace.Link{SpanContext: sc}))
			}
		}
		attrs := c.attrs[:0]
		if j.Action != "" {
			attrs = append(attrs, AttrWebhookAction.String(string(j.Action)))
		}
		if j.ID != "" {
			attrs = append(attrs, AttrWebhookDeliveryID.String(j.ID))
		}
		attrs = append(attrs, AttrWebhookJobAttempt.Int(j.Attempt))
		if !j.EnqueuedAt.IsZero() {
			attrs = append(attrs, AttrWebhookJobLatency.Float64(latency.Seconds()))
		}
		opts = append(opts, trace.WithAttributes(attrs...))
		ctx, c.span = tracer.Start(ctx, SpanWebhookJob, opts...)
		clear(c.opts[:])
	}
	c.ctx = ctx
	if measure && !j.EnqueuedAt.IsZero() {
		o.inst.jobLatency.Record(ctx, latency.Seconds(), o.set(setKey{kind: setLatency, action: c.action, retry: j.Attempt > 1}).rec...)
	}
	return ctx, c.endFn
}

// jobCall is the state of one job attempt between StartJob and its end,
// recycled once it has ended: the worker calls end once.
type jobCall struct {
	o       *handlerObserver
	ctx     context.Context
	span    trace.Span // nil when the attempt is not traced
	start   time.Time
	measure bool
	action  string // the metric label
	opts    [4]trace.SpanStartOption
	attrs   [4]attribute.KeyValue
	endFn   func(webhooks.JobEnd) // c.end, bound once
}

// jobCalls recycles the jobCall values.
var jobCalls sync.Pool

func getJobCall() *jobCall {
	if c, ok := jobCalls.Get().(*jobCall); ok {
		return c
	}
	c := new(jobCall)
	c.endFn = c.end
	return c
}

// jobFailed reports whether an attempt with this outcome failed: the job
// is retried, dead-lettered or handed out again.
func jobFailed(outcome webhooks.JobOutcome) bool {
	switch outcome {
	case webhooks.JobRetry, webhooks.JobDeadLettered, webhooks.JobAbandoned:
		return true
	}
	return false
}

// end ends the attempt's span and records its measurements.
func (c *jobCall) end(e webhooks.JobEnd) {
	duration := time.Since(c.start)
	if span := c.span; span != nil {
		if span.IsRecording() {
			attrs := append(c.attrs[:0], AttrWebhookJobOutcome.String(string(e.Outcome)))
			if e.Reason != "" {
				attrs = append(attrs, AttrWebhookReason.String(e.Reason))
			}
			span.SetAttributes(attrs...)
			if jobFailed(e.Outcome) {
				desc := e.Reason
				if desc == "" {
					desc = string(e.Outcome)
				}
				span.SetStatus(codes.Error, desc)
			}
		}
		span.End()
	}
	if c.measure {
		o := c.o
		s := o.set(setKey{kind: setJob, action: c.action, outcome: e.Outcome})
		o.inst.jobDuration.Record(c.ctx, duration.Seconds(), s.rec...)
		o.inst.jobAttempts.Add(c.ctx, 1, s.add...)
	}
	c.o, c.ctx, c.span = nil, nil, nil
	clear(c.attrs[:])
	jobCalls.Put(c)
}

// ObserveQueue implements webhooks.QueueObserver: the queue-depth gauge
// reports the jobs of q (with those of the other handlers' queues).
func (o *handlerObserver) ObserveQueue(q webhooks.Queue) {
	if q == nil {
		return
	}
	o.qmu.Lock()
	if t := reflect.TypeOf(q); t.Comparable() {
		for _, have := range o.queues {
			if have == q {
				o.qmu.Unlock()
				return // two handlers on one queue: count it once
			}
		}
	}
	o.queues = append(o.queues, q)
	register := !o.registered && o.depth != nil
	o.registered = true
	o.qmu.Unlock()
	// Outside qmu: a collection holds the meter's lock while it calls
	// observeDepth, which takes qmu.
	if register {
		_, err := o.meter.RegisterCallback(o.observeDepth, o.depth)
		handle(err)
	}
}

// observeDepth is the callback of the queue-depth gauge. It observes
// nothing when a queue does not answer within queueLenTimeout, rather than
// a partial sum; the error goes to the OpenTelemetry error handler.
func (o *handlerObserver) observeDepth(ctx context.Context, obs metric.Observer) error {
	o.qmu.Lock()
	queues := o.queues
	o.qmu.Unlock()
	if len(queues) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, queueLenTimeout)
	defer cancel()
	var total int64
	var errs []error
	for _, q := range queues {
		n, err := q.Len(ctx)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		total += int64(n)
	}
	if len(errs) > 0 {
		otel.Handle(fmt.Errorf("textusotel: %s not observed: %w", MetricWebhookQueueDepth, errors.Join(errs...)))
		return nil
	}
	obs.ObserveInt64(o.depth, total)
	return nil
}
