package textusotel

import (
	"reflect"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	semconv "go.opentelemetry.io/otel/semconv/v1.39.0"

	"github.com/textus-go/textus"
)

// ScopeName is the instrumentation scope of the tracers and meters this
// package creates.
const ScopeName = "github.com/textus-go/textus/textusotel"

// Option configures ClientOption and HandlerOption.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// config is what the options set, shared by every kind of instrumentation
// the package offers.
type config struct {
	tp trace.TracerProvider // nil: the global one
	mp metric.MeterProvider // nil: the global one
	// prop carries a delivery's trace context to its queued jobs; nil:
	// the global one when registered, else W3C trace context.
	prop propagation.TextMapPropagator
}

// WithTracerProvider sets the TracerProvider spans are created with. The
// default is the global one (otel.GetTracerProvider); when none is
// registered yet, spans start as soon as one is registered with
// otel.SetTracerProvider, and cost next to nothing until then. A nil
// provider means the default.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c *config) { c.tp = tp })
}

// WithMeterProvider sets the MeterProvider instruments are created with.
// The default is the global one (otel.GetMeterProvider); its instruments
// forward to a provider registered with otel.SetMeterProvider later. A nil
// provider means the default.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *config) { c.mp = mp })
}

// WithPropagators sets the propagator HandlerOption writes a delivery's
// trace context with into the jobs it queues (webhooks.Job.Trace), and
// reads it back with when a job runs, to link the job's spans to the
// delivery's (a composite with propagation.Baggage also carries the
// baggage to the job's callback). The default is the global propagator
// (otel.GetTextMapPropagator) when one is registered, and W3C trace
// context (propagation.TraceContext) otherwise, so that the link does not
// depend on a global setting. Processes that share a queue must agree on
// it. ClientOption does not use it. A nil propagator means the default.
func WithPropagators(p propagation.TextMapPropagator) Option {
	return optionFunc(func(c *config) { c.prop = p })
}

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	return c
}

// tracerSource gives the tracer of a call, or nil when no span should be
// started: the provider is a no-op one, or it is the global default and no
// provider has been registered yet. Deciding that costs no allocation, which
// keeps instrumentation that is not configured near free.
type tracerSource struct {
	tracer trace.Tracer
	// idleGlobal, when non-nil, is the global default provider: while
	// otel.GetTracerProvider still returns it, nothing records spans.
	idleGlobal trace.TracerProvider
}

func newTracerSource(tp trace.TracerProvider) tracerSource {
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	var idle trace.TracerProvider
	if isGlobalDefault(tp) {
		idle = tp
	}
	if _, ok := tp.(tracenoop.TracerProvider); ok {
		return tracerSource{}
	}
	return tracerSource{
		tracer: tp.Tracer(ScopeName,
			trace.WithInstrumentationVersion(textus.Version),
			trace.WithSchemaURL(semconv.SchemaURL)),
		idleGlobal: idle,
	}
}

// get returns the tracer to start a call's span with, nil for none. The
// global default's tracer forwards to the provider registered later, so it
// is used as soon as one is.
func (s *tracerSource) get() trace.Tracer {
	if s.idleGlobal != nil && otel.GetTracerProvider() == s.idleGlobal {
		return nil
	}
	return s.tracer
}

// globalPkg is the package of the provider otel.GetTracerProvider returns
// before one is registered.
const globalPkg = "go.opentelemetry.io/otel/internal/global"

// isGlobalDefault reports whether tp is the global default provider, which
// only forwards to a provider registered later. Should OpenTelemetry move
// that type, the answer is false and spans are started as usual (through a
// no-op tracer): correct, only not free.
func isGlobalDefault(tp trace.TracerProvider) bool {
	t := reflect.TypeOf(tp)
	return t != nil && t.Kind() == reflect.Pointer && t.Elem().PkgPath() == globalPkg
}

// meter returns the meter instruments are created with.
func (c *config) meter() metric.Meter {
	mp := c.mp
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	return mp.Meter(ScopeName,
		metric.WithInstrumentationVersion(textus.Version),
		metric.WithSchemaURL(semconv.SchemaURL))
}
