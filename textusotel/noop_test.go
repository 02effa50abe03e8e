package textusotel

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/otel"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/textus-go/textus"
)

var testInfo = textus.CallInfo{
	Operation: "Contacts.Get", Method: "GET", URLTemplate: "/contacts/{contact}",
	ServerAddress: "next.textus.com", ServerPort: 443,
}

// Not configured, the observer declines every call at once, allocating
// nothing: the SDK then reports nothing more about the call.
func TestStartCallWithoutProvidersIsFree(t *testing.T) {
	cases := map[string][]Option{
		"no-op providers":       {WithTracerProvider(tracenoop.NewTracerProvider()), WithMeterProvider(metricnoop.NewMeterProvider())},
		"global defaults":       nil, // no test of this package registers global providers in its own process
		"nil providers":         {WithTracerProvider(nil), WithMeterProvider(nil)},
		"global defaults given": {WithTracerProvider(otel.GetTracerProvider()), WithMeterProvider(otel.GetMeterProvider())},
	}
	for name, opts := range cases {
		t.Run(name, func(t *testing.T) {
			o := newClientObserver(newConfig(opts))
			ctx := context.Background()
			var got context.Context
			var co textus.CallObserver
			allocs := testing.AllocsPerRun(100, func() {
				got, co = o.StartCall(ctx, testInfo)
			})
			assert.Zero(t, allocs)
			assert.Nil(t, co)
			assert.Equal(t, ctx, got)
		})
	}
}

func TestIsGlobalDefault(t *testing.T) {
	assert.True(t, isGlobalDefault(otel.GetTracerProvider()), "nothing registered in this process")
	tp := sdktrace.NewTracerProvider()
	defer func() { _ = tp.Shutdown(context.Background()) }()
	assert.False(t, isGlobalDefault(tp))
	assert.False(t, isGlobalDefault(tracenoop.NewTracerProvider()))
	assert.False(t, isGlobalDefault(nil))
}

// Endpoint state is computed once and shared by the calls to it, whatever
// their account.
func TestEndpointStateIsCached(t *testing.T) {
	mp := sdkmetric.NewMeterProvider()
	defer func() { _ = mp.Shutdown(context.Background()) }()
	o := newClientObserver(newConfig([]Option{WithMeterProvider(mp)}))
	a := testInfo
	a.Account = "one"
	b := testInfo
	b.Account = "two"
	assert.Same(t, o.op(a), o.op(b))
	other := testInfo
	other.ServerPort = 8443
	assert.NotSame(t, o.op(a), o.op(other))
	st := o.op(a)
	assert.Equal(t, "textus Contacts.Get", st.spanName)
	e1, e2 := st.withError("not_found"), st.withError("not_found")
	assert.Same(t, &e1.rec[0], &e2.rec[0], "one attribute set per error type")
}

// BenchmarkObserver measures what the observer adds to one successful call
// (StartCall, one Paced, End), without the HTTP round trip around it.
func BenchmarkObserver(b *testing.B) {
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
		{"sdk-trace", []Option{WithTracerProvider(tp), WithMeterProvider(metricnoop.NewMeterProvider())}},
		{"sdk-metric", []Option{WithTracerProvider(tracenoop.NewTracerProvider()), WithMeterProvider(mp)}},
	}
	res := textus.CallResult{Attempts: 1, StatusCode: 200, Rate: textus.Rate{Limit: 1000, Remaining: 999}, Duration: time.Millisecond}
	for _, v := range variants {
		b.Run("instr="+v.name, func(b *testing.B) {
			o := newClientObserver(newConfig(v.opts))
			ctx := context.Background()
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				_, co := o.StartCall(ctx, testInfo)
				if co != nil {
					co.Paced(0)
					co.End(res)
				}
			}
		})
	}
}

// discardExporter drops spans, so that only the instrumentation is measured.
type discardExporter struct{}

func (discardExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardExporter) Shutdown(context.Context) error                             { return nil }
