package textusotel_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textusotel"
	"github.com/textus-go/textus/textustest"
)

// harness is a textustest server and a client instrumented with a real
// TracerProvider (spans in a SpanRecorder) and MeterProvider (read by a
// ManualReader).
type harness struct {
	srv    *textustest.Server
	c      *textus.Client
	spans  *tracetest.SpanRecorder
	tp     *sdktrace.TracerProvider
	mp     *sdkmetric.MeterProvider
	reader *sdkmetric.ManualReader
}

func newHarness(t *testing.T, srvOpts []textustest.Option, clientOpts ...textus.Option) *harness {
	t.Helper()
	h := &harness{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	h.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(h.spans))
	h.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(h.reader))
	mp := h.mp
	t.Cleanup(func() {
		_ = h.tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	h.srv = textustest.NewServer(srvOpts...)
	t.Cleanup(h.srv.Close)
	opts := append([]textus.Option{
		textus.WithRetryWait(time.Millisecond, 20*time.Millisecond),
		textusotel.ClientOption(textusotel.WithTracerProvider(h.tp), textusotel.WithMeterProvider(mp)),
	}, clientOpts...)
	var err error
	h.c, err = h.srv.NewClient(opts...)
	require.NoError(t, err)
	return h
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// spansNamed returns the ended spans of the given name.
func (h *harness) spansNamed(name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range h.spans.Ended() {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

// onlySpan returns the one ended span of the given name.
func (h *harness) onlySpan(t *testing.T, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	spans := h.spansNamed(name)
	require.Len(t, spans, 1, "spans named %q", name)
	return spans[0]
}

// attrs maps a list of attributes by key.
func attrs(kvs []attribute.KeyValue) map[attribute.Key]attribute.Value {
	m := make(map[attribute.Key]attribute.Value, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
	}
	return m
}

// collect reads the metrics recorded so far.
func (h *harness) collect(t *testing.T) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, h.reader.Collect(context.Background(), &rm))
	return rm
}

// metric finds the metric of the given name.
func findMetric(t *testing.T, rm metricdata.ResourceMetrics, name string) metricdata.Metrics {
	t.Helper()
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m
			}
		}
	}
	require.Failf(t, "metric not recorded", "%s", name)
	return metricdata.Metrics{}
}

// labels is an attribute set as a map of strings, for comparisons.
func labels(set attribute.Set) map[string]string {
	m := map[string]string{}
	for _, kv := range set.ToSlice() {
		m[string(kv.Key)] = kv.Value.Emit()
	}
	return m
}

// histogramPoint returns the data point of a float64 histogram with exactly
// the given attributes.
func histogramPoint(t *testing.T, m metricdata.Metrics, want map[string]string) metricdata.HistogramDataPoint[float64] {
	t.Helper()
	h, ok := m.Data.(metricdata.Histogram[float64])
	require.True(t, ok, "%s is a float64 histogram", m.Name)
	for _, dp := range h.DataPoints {
		if equalLabels(labels(dp.Attributes), want) {
			return dp
		}
	}
	require.Failf(t, "no data point", "%s with %v among %v", m.Name, want, histogramLabels(h))
	return metricdata.HistogramDataPoint[float64]{}
}

func histogramLabels(h metricdata.Histogram[float64]) []map[string]string {
	var out []map[string]string
	for _, dp := range h.DataPoints {
		out = append(out, labels(dp.Attributes))
	}
	return out
}

// sumValue returns the value of an int64 counter's data point with exactly
// the given attributes, 0 when there is none.
func sumValue(t *testing.T, m metricdata.Metrics, want map[string]string) int64 {
	t.Helper()
	s, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%s is an int64 sum", m.Name)
	for _, dp := range s.DataPoints {
		if equalLabels(labels(dp.Attributes), want) {
			return dp.Value
		}
	}
	return 0
}

func equalLabels(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
