package textusotel_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textusotel"
	"github.com/textus-go/textus/textustest"
)

// headerRecorder is a transport that keeps the traceparent header of every
// request it sends.
type headerRecorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	seen []string
}

func (r *headerRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.seen = append(r.seen, req.Header.Get("traceparent"))
	r.mu.Unlock()
	return r.base.RoundTrip(req)
}

// With an otelhttp transport, each attempt's HTTP span is a child of the
// call's span, which is a child of the caller's, and the trace context that
// goes on the wire is the HTTP span's.
func TestClientSpanIsParentOfOtelhttpSpans(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	srv := textustest.NewServer(textustest.WithFaults(
		textustest.Fault{Kind: textustest.FaultServerError, Rate: 1, Method: "GET", Path: "/accounts/:slug", Limit: 1},
	))
	defer srv.Close()
	wire := &headerRecorder{base: http.DefaultTransport}
	hc := &http.Client{Transport: otelhttp.NewTransport(wire,
		otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(propagation.TraceContext{}))}
	c := srv.Client(textus.WithHTTPClient(hc), textusotel.ClientOption(textusotel.WithTracerProvider(tp)))

	ctx, parent := tp.Tracer("test").Start(testContext(t), "handle request")
	_, err := c.Accounts.Get(ctx, srv.Account())
	require.NoError(t, err)
	parent.End()

	var call sdktrace.ReadOnlySpan
	var httpSpans []sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		switch {
		case s.Name() == "textus Accounts.Get":
			call = s
		case s.Name() != "handle request":
			httpSpans = append(httpSpans, s)
		}
	}
	require.NotNil(t, call)
	assert.Equal(t, parent.SpanContext().SpanID(), call.Parent().SpanID(), "the caller's span is the call's parent")
	assert.Equal(t, parent.SpanContext().TraceID(), call.SpanContext().TraceID())
	require.Len(t, httpSpans, 2, "one HTTP span per attempt")
	require.Len(t, wire.seen, 2)
	for i, s := range httpSpans {
		assert.Equal(t, trace.SpanKindClient, s.SpanKind())
		assert.Equal(t, call.SpanContext().SpanID(), s.Parent().SpanID(), "HTTP span %d is a child of the call's span", i)
		assert.Equal(t, call.SpanContext().TraceID(), s.SpanContext().TraceID())
		assert.Contains(t, wire.seen, "00-"+s.SpanContext().TraceID().String()+"-"+s.SpanContext().SpanID().String()+"-01",
			"the HTTP span's context went on the wire")
	}
}

// With no provider given and none registered, a client is built and calls
// as usual; once providers are registered globally, its calls use them.
// The test registers global providers, so it runs in a process of its own.
func TestGlobalProvidersRegisteredLater(t *testing.T) {
	if os.Getenv("TEXTUSOTEL_GLOBAL_CHILD") != "1" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestGlobalProvidersRegisteredLater$", "-test.v")
		cmd.Env = append(os.Environ(), "TEXTUSOTEL_GLOBAL_CHILD=1")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		assert.Contains(t, string(out), "--- PASS: TestGlobalProvidersRegisteredLater")
		return
	}
	srv := textustest.NewServer()
	defer srv.Close()
	c := srv.Client(textusotel.ClientOption())
	ctx := testContext(t)
	_, err := c.Accounts.Get(ctx, srv.Account())
	require.NoError(t, err)

	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	otel.SetTracerProvider(tp)
	otel.SetMeterProvider(mp)

	_, err = c.Accounts.Get(ctx, srv.Account())
	require.NoError(t, err)
	spans := rec.Ended()
	require.Len(t, spans, 1, "only the call made after registration")
	assert.Equal(t, "textus Accounts.Get", spans[0].Name())
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(ctx, &rm))
	dur := histogramPoint(t, findMetric(t, rm, "textus.client.call.duration"),
		map[string]string{"textus.operation": "Accounts.Get", "http.request.method": "GET"})
	assert.Equal(t, uint64(1), dur.Count)
}
