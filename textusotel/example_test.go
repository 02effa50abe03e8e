package textusotel_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"

	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textusotel"
	"github.com/textus-go/textus/textustest"
)

// Spans printed to standard output as JSON, one per API call. The IDs and
// timestamps differ on every run, so this example has no checked output.
func Example() {
	exporter, err := stdouttrace.New(stdouttrace.WithPrettyPrint())
	if err != nil {
		log.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter))
	defer func() { _ = tp.Shutdown(context.Background()) }() // flushes the spans

	srv := textustest.NewServer() // the real API: textus.NewClient(token, ...)
	defer srv.Close()
	c := srv.Client(textusotel.ClientOption(textusotel.WithTracerProvider(tp)))

	ctx := context.Background()
	if _, err := c.Messages.Send(ctx, &textus.SendMessageParams{To: "+13035551234", Body: "Your interview is at 10am"}); err != nil {
		log.Fatal(err)
	}
	// Prints a span named "textus Messages.Send" with url.template
	// "/{account}/messages": neither the number nor the body.
}

// ClientOption with an SDK TracerProvider and MeterProvider, against a fake
// server that fails the first GET with a 503 and loses the response to the
// send: the retry is an event of the call's span, the send is marked
// outcome unknown.
func ExampleClientOption() {
	srv := textustest.NewServer(textustest.WithFaults(
		textustest.Fault{Kind: textustest.FaultServerError, Rate: 1, Method: "GET", Path: "/accounts/:slug", Limit: 1},
		textustest.Fault{Kind: textustest.FaultLoseResponse, Rate: 1, Method: "POST", Path: "/:account/messages"},
	))
	defer srv.Close()

	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))

	c := srv.Client(textusotel.ClientOption(
		textusotel.WithTracerProvider(tp),
		textusotel.WithMeterProvider(mp),
	))
	ctx := context.Background()
	_, err := c.Accounts.Get(ctx, srv.Account())
	fmt.Println("get:", err)
	_, err = c.Messages.Send(ctx, &textus.SendMessageParams{To: "+13035551234", Body: "Hi"})
	fmt.Println("send outcome unknown:", errors.Is(err, textus.ErrOutcomeUnknown))

	show := map[string]bool{"url.template": true, "textus.attempts": true, "http.response.status_code": true,
		"error.type": true, "textus.outcome_unknown": true}
	for _, s := range spans.GetSpans() {
		fmt.Printf("span %q kind=%s status=%s\n", s.Name, s.SpanKind, strings.TrimSpace(s.Status.Code.String()+" "+s.Status.Description))
		for _, kv := range s.Attributes {
			if show[string(kv.Key)] {
				fmt.Printf("  %s=%s\n", kv.Key, kv.Value.Emit())
			}
		}
		for _, e := range s.Events {
			fmt.Printf("  event %s:", e.Name)
			for _, kv := range e.Attributes {
				fmt.Printf(" %s=%s", kv.Key, kv.Value.Emit())
			}
			fmt.Println()
		}
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		log.Fatal(err)
	}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if sum, ok := m.Data.(metricdata.Sum[int64]); ok {
			var total int64
			for _, dp := range sum.DataPoints {
				total += dp.Value
			}
			fmt.Printf("%s: %d\n", m.Name, total)
		}
	}
	// Output:
	// get: <nil>
	// send outcome unknown: true
	// span "textus Accounts.Get" kind=client status=Unset
	//   url.template=/accounts/{slug}
	//   textus.attempts=2
	//   http.response.status_code=200
	//   event retry: textus.attempt=1 textus.retry.reason=idempotent method after a transient failure error.type=http_503 http.response.status_code=503
	// span "textus Messages.Send" kind=client status=Error outcome_unknown
	//   url.template=/{account}/messages
	//   textus.attempts=1
	//   error.type=outcome_unknown
	//   textus.outcome_unknown=true
	// textus.client.attempts: 3
	// textus.client.retries: 1
}
