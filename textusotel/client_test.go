package textusotel_test

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textusotel"
	"github.com/textus-go/textus/textustest"
)

func serverHostPort(t *testing.T, srv *textustest.Server) (string, int) {
	t.Helper()
	u := strings.TrimPrefix(srv.URL(), "http://")
	host, port, err := net.SplitHostPort(u)
	require.NoError(t, err)
	p, err := strconv.Atoi(port)
	require.NoError(t, err)
	return host, p
}

func TestClientSpanOfAGet(t *testing.T) {
	h := newHarness(t, nil)
	ctx := testContext(t)
	ct, err := h.c.Contacts.Create(ctx, &textus.ContactParams{Name: "Cordell Walker"})
	require.NoError(t, err)
	_, err = h.c.Contacts.Get(ctx, ct.ID)
	require.NoError(t, err)

	host, port := serverHostPort(t, h.srv)
	get := h.onlySpan(t, "textus Contacts.Get")
	assert.Equal(t, trace.SpanKindClient, get.SpanKind())
	assert.Equal(t, codes.Unset, get.Status().Code)
	assert.Empty(t, get.Events())
	assert.Equal(t, map[attribute.Key]attribute.Value{
		"http.request.method":         attribute.StringValue("GET"),
		"server.address":              attribute.StringValue(host),
		"server.port":                 attribute.IntValue(port),
		"url.template":                attribute.StringValue("/contacts/{contact}"),
		"textus.operation":            attribute.StringValue("Contacts.Get"),
		"textus.attempts":             attribute.IntValue(1),
		"http.response.status_code":   attribute.IntValue(200),
		"textus.rate_limit.remaining": attribute.IntValue(h.c.Rate().Remaining),
	}, attrs(get.Attributes()), "Contacts.Get is not account-scoped: no textus.account")
	assert.Equal(t, "github.com/textus-go/textus/textusotel", get.InstrumentationScope().Name)
	assert.Equal(t, textus.Version, get.InstrumentationScope().Version)

	create := attrs(h.onlySpan(t, "textus Contacts.Create").Attributes())
	assert.Equal(t, "/{account}/contacts", create["url.template"].AsString())
	assert.Equal(t, "POST", create["http.request.method"].AsString())
	assert.Equal(t, h.srv.Account(), create["textus.account"].AsString())
	assert.Equal(t, int64(200), create["http.response.status_code"].AsInt64())
}

func TestClientSpanRecordsEachRetry(t *testing.T) {
	h := newHarness(t, nil)
	ctx := testContext(t)
	ct, err := h.c.Contacts.Create(ctx, &textus.ContactParams{Name: "Retry Me"})
	require.NoError(t, err)
	h.srv.SetFaults(
		textustest.Fault{Kind: textustest.FaultServerError, Rate: 1, Method: "GET", Path: "/contacts/:id", Limit: 1},
		textustest.Fault{Kind: textustest.FaultServerError, Rate: 1, Method: "GET", Path: "/contacts/:id", Limit: 1, Status: 502},
	)
	_, err = h.c.Contacts.Get(ctx, ct.ID)
	require.NoError(t, err)

	span := h.onlySpan(t, "textus Contacts.Get")
	a := attrs(span.Attributes())
	assert.Equal(t, int64(3), a["textus.attempts"].AsInt64())
	assert.Equal(t, int64(200), a["http.response.status_code"].AsInt64())
	assert.NotContains(t, a, attribute.Key("error.type"), "the call succeeded")
	assert.Equal(t, codes.Unset, span.Status().Code)

	events := span.Events()
	require.Len(t, events, 2, "one event per retry")
	for i, status := range []int{503, 502} {
		assert.Equal(t, "retry", events[i].Name)
		assert.Equal(t, map[attribute.Key]attribute.Value{
			"textus.attempt":            attribute.IntValue(i + 1),
			"textus.retry.reason":       attribute.StringValue("idempotent method after a transient failure"),
			"error.type":                attribute.StringValue("http_" + strconv.Itoa(status)),
			"http.response.status_code": attribute.IntValue(status),
		}, attrs(events[i].Attributes), "event %d", i)
	}

	rm := h.collect(t)
	get := map[string]string{"textus.operation": "Contacts.Get", "http.request.method": "GET"}
	assert.Equal(t, int64(3), sumValue(t, findMetric(t, rm, "textus.client.attempts"), get))
	retries := findMetric(t, rm, "textus.client.retries")
	assert.Equal(t, int64(1), sumValue(t, retries, with(get, "error.type", "http_503")))
	assert.Equal(t, int64(1), sumValue(t, retries, with(get, "error.type", "http_502")))
	dur := histogramPoint(t, findMetric(t, rm, "textus.client.call.duration"), get)
	assert.Equal(t, uint64(1), dur.Count)
	assert.Positive(t, dur.Sum)
	pacing := histogramPoint(t, findMetric(t, rm, "textus.client.pacing.wait"), get)
	assert.Equal(t, uint64(3), pacing.Count, "one pacing wait per attempt")
}

// A transport failure has no status: its retry event says "transport".
// The dropped request is the first on its connection, or net/http would
// retry it on a new one by itself.
func TestClientSpanRetryAfterTransportFailure(t *testing.T) {
	h := newHarness(t, []textustest.Option{textustest.WithFaults(
		textustest.Fault{Kind: textustest.FaultDropRequest, Rate: 1, Method: "GET", Path: "/:account/opt_outs/:phone", Limit: 1},
	)})
	ctx := testContext(t)
	opted, err := h.c.OptOuts.IsOptedOut(ctx, "+13035551234")
	require.NoError(t, err)
	assert.False(t, opted)

	span := h.onlySpan(t, "textus OptOuts.Get")
	events := span.Events()
	require.Len(t, events, 1)
	ev := attrs(events[0].Attributes)
	assert.Equal(t, "transport", ev["error.type"].AsString())
	assert.Equal(t, int64(1), ev["textus.attempt"].AsInt64())
	assert.NotContains(t, ev, attribute.Key("http.response.status_code"))
	a := attrs(span.Attributes())
	assert.Equal(t, "/{account}/opt_outs/{phone}", a["url.template"].AsString())
	assert.Equal(t, int64(2), a["textus.attempts"].AsInt64())
	assert.Equal(t, "not_found", a["error.type"].AsString(), "IsOptedOut reads a 404 as no opt-out, the call itself failed")
}

func TestClientSpanOutcomeUnknown(t *testing.T) {
	h := newHarness(t, []textustest.Option{textustest.WithFaults(
		textustest.Fault{Kind: textustest.FaultLoseResponse, Rate: 1, Method: "POST", Path: "/:account/messages"},
	)})
	ctx := testContext(t)
	_, err := h.c.Messages.Send(ctx, &textus.SendMessageParams{To: "+13035551234", Body: "Exactly once"})
	require.ErrorIs(t, err, textus.ErrOutcomeUnknown)
	require.Len(t, h.srv.SentMessages(), 1, "it did go out")

	span := h.onlySpan(t, "textus Messages.Send")
	a := attrs(span.Attributes())
	assert.True(t, a["textus.outcome_unknown"].AsBool())
	assert.Equal(t, "outcome_unknown", a["error.type"].AsString())
	assert.Equal(t, "/{account}/messages", a["url.template"].AsString())
	assert.Equal(t, int64(1), a["textus.attempts"].AsInt64())
	assert.NotContains(t, a, attribute.Key("http.response.status_code"), "no response")
	assert.Empty(t, span.Events(), "a POST that may have arrived is not retried")
	assert.Equal(t, sdktrace.Status{Code: codes.Error, Description: "outcome_unknown"}, span.Status())

	rm := h.collect(t)
	send := map[string]string{"textus.operation": "Messages.Send", "http.request.method": "POST"}
	dur := histogramPoint(t, findMetric(t, rm, "textus.client.call.duration"), with(send, "error.type", "outcome_unknown"))
	assert.Equal(t, uint64(1), dur.Count)
	assert.Equal(t, int64(1), sumValue(t, findMetric(t, rm, "textus.client.attempts"), send))
}

func TestClientSpanOfAnAPIError(t *testing.T) {
	h := newHarness(t, nil)
	_, err := h.c.Contacts.Get(testContext(t), "NoSuchOne")
	require.ErrorIs(t, err, textus.ErrNotFound)

	span := h.onlySpan(t, "textus Contacts.Get")
	a := attrs(span.Attributes())
	assert.Equal(t, int64(404), a["http.response.status_code"].AsInt64())
	assert.Equal(t, "not_found", a["error.type"].AsString())
	assert.NotContains(t, a, attribute.Key("textus.outcome_unknown"))
	assert.Equal(t, sdktrace.Status{Code: codes.Error, Description: "not_found"}, span.Status(),
		"the description is the error type, never the error's text with its path")

	rm := h.collect(t)
	dur := histogramPoint(t, findMetric(t, rm, "textus.client.call.duration"),
		map[string]string{"textus.operation": "Contacts.Get", "http.request.method": "GET", "error.type": "not_found"})
	assert.Equal(t, uint64(1), dur.Count)
}

// The server's X-RateLimit-Remaining: 0 makes the next call wait for the
// window to reset: the wait shows on the span, in the pacing histogram, and
// the gauge follows the remaining budget.
func TestClientRateLimitAndPacing(t *testing.T) {
	// Two requests per two-second window, and no client-side pacing, so that
	// the server's budget runs out and the third call waits for the reset.
	// The fake's windows are aligned to the Unix epoch: start just after
	// one begins, so that the first two calls fall in the same window.
	const window = 2 * time.Second
	h := newHarness(t, []textustest.Option{textustest.WithRateLimit(2, window)},
		textus.WithRetryWait(time.Millisecond, 5*time.Second), textus.WithRateLimit(0, 0))
	ctx := testContext(t)
	time.Sleep(time.Until(time.Now().Truncate(window).Add(window + 50*time.Millisecond)))
	host, port := serverHostPort(t, h.srv)
	server := map[string]string{"server.address": host, "server.port": strconv.Itoa(port)}

	_, err := h.c.Accounts.Get(ctx, h.srv.Account())
	require.NoError(t, err)
	gauge := findMetric(t, h.collect(t), "textus.client.rate_limit.remaining")
	assert.Equal(t, int64(1), gaugeValue(t, gauge, server))

	_, err = h.c.Accounts.Get(ctx, h.srv.Account())
	require.NoError(t, err)
	gauge = findMetric(t, h.collect(t), "textus.client.rate_limit.remaining")
	assert.Equal(t, int64(0), gaugeValue(t, gauge, server))

	_, err = h.c.Accounts.Get(ctx, h.srv.Account()) // waits for the reset
	require.NoError(t, err)
	spans := h.spansNamed("textus Accounts.Get")
	require.Len(t, spans, 3)
	a := attrs(spans[2].Attributes())
	require.Contains(t, a, attribute.Key("textus.pacing.wait"))
	assert.Greater(t, a["textus.pacing.wait"].AsFloat64(), 0.01)
	assert.NotContains(t, attrs(spans[0].Attributes()), attribute.Key("textus.pacing.wait"), "no wait, no attribute")

	rm := h.collect(t)
	pacing := histogramPoint(t, findMetric(t, rm, "textus.client.pacing.wait"),
		map[string]string{"textus.operation": "Accounts.Get", "http.request.method": "GET"})
	assert.Equal(t, uint64(3), pacing.Count)
	maxWait, ok := pacing.Max.Value()
	require.True(t, ok)
	assert.Greater(t, maxWait, 0.01)
	assert.Equal(t, int64(1), gaugeValue(t, findMetric(t, rm, "textus.client.rate_limit.remaining"), server), "a new window")
}

func gaugeValue(t *testing.T, m metricdata.Metrics, want map[string]string) int64 {
	t.Helper()
	g, ok := m.Data.(metricdata.Gauge[int64])
	require.True(t, ok, "%s is an int64 gauge", m.Name)
	for _, dp := range g.DataPoints {
		if equalLabels(labels(dp.Attributes), want) {
			return dp.Value
		}
	}
	require.Failf(t, "no data point", "%s with %v", m.Name, want)
	return 0
}

func with(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for mk, mv := range m {
		out[mk] = mv
	}
	return out
}

// Each page of an iterator is a call of its own.
func TestClientSpanPerPage(t *testing.T) {
	h := newHarness(t, []textustest.Option{textustest.WithPageSize(2)})
	ctx := testContext(t)
	for i := range 5 {
		_, err := h.c.Contacts.Create(ctx, &textus.ContactParams{Name: "Contact " + strconv.Itoa(i)})
		require.NoError(t, err)
	}
	n := 0
	for _, err := range h.c.Contacts.List(ctx, nil) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 5, n)
	assert.Len(t, h.spansNamed("textus Contacts.List"), 3)
}

// With a real MeterProvider and the no-op TracerProvider, metrics are
// recorded and no span is started.
func TestClientMetricsWithoutTracing(t *testing.T) {
	srv := textustest.NewServer()
	defer srv.Close()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	c := srv.Client(textusotel.ClientOption(
		textusotel.WithTracerProvider(tracenoop.NewTracerProvider()), textusotel.WithMeterProvider(mp)))
	_, err := c.Accounts.Get(testContext(t), srv.Account())
	require.NoError(t, err)

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(testContext(t), &rm))
	dur := histogramPoint(t, findMetric(t, rm, "textus.client.call.duration"),
		map[string]string{"textus.operation": "Accounts.Get", "http.request.method": "GET"})
	assert.Equal(t, uint64(1), dur.Count)
}

// One option value given to two clients: both are traced, with their own
// server addresses.
func TestClientOptionSharedByClients(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer func() { _ = tp.Shutdown(testContext(t)) }()
	opt := textusotel.ClientOption(textusotel.WithTracerProvider(tp))
	a, b := textustest.NewServer(), textustest.NewServer()
	defer a.Close()
	defer b.Close()
	ctx := testContext(t)
	_, err := a.Client(opt).Accounts.Get(ctx, a.Account())
	require.NoError(t, err)
	_, err = b.Client(opt).Accounts.Get(ctx, b.Account())
	require.NoError(t, err)

	spans := rec.Ended()
	require.Len(t, spans, 2)
	_, portA := serverHostPort(t, a)
	_, portB := serverHostPort(t, b)
	assert.Equal(t, int64(portA), attrs(spans[0].Attributes())["server.port"].AsInt64())
	assert.Equal(t, int64(portB), attrs(spans[1].Attributes())["server.port"].AsInt64())
}
