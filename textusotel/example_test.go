package textusotel_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textusotel"
	"github.com/textus-go/textus/textustest"
	"github.com/textus-go/textus/webhooks"
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

// Webhook deliveries traced to standard output as JSON: a span per
// request, and with a queue a span per job attempt, linked to it. The IDs
// and timestamps differ on every run, so this example has no checked
// output.
func Example_webhooks() {
	exporter, err := stdouttrace.New(stdouttrace.WithPrettyPrint())
	if err != nil {
		log.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter))
	defer func() { _ = tp.Shutdown(context.Background()) }() // flushes the spans

	const secret = "the integration's webhookSecret"
	h, err := webhooks.NewHandler(secret, textusotel.HandlerOption(textusotel.WithTracerProvider(tp)))
	if err != nil {
		log.Fatal(err)
	}
	h.OnMessageReceived(func(ctx context.Context, e *textus.MessageEvent) error {
		// Spans started from ctx (SDK calls made with ClientOption, say)
		// are children of the delivery's span.
		return nil
	})
	mux := http.NewServeMux()
	mux.Handle("POST /hooks/textus", h)

	body, err := textustest.SampleDelivery(textus.EventMessageReceived, textustest.SampleOptions{})
	if err != nil {
		log.Fatal(err)
	}
	mux.ServeHTTP(httptest.NewRecorder(), webhooks.NewSignedRequest("/hooks/textus", secret, body))
	// Prints a span named "textus webhook delivery" with http.route
	// "/hooks/textus", the action and the delivery id: neither the number
	// nor the message.
}

// HandlerOption with an SDK TracerProvider and MeterProvider: a delivery,
// the same delivery again, one whose callback fails, and one with a wrong
// signature.
func ExampleHandlerOption() {
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))

	const secret = "the integration's webhookSecret"
	h, err := webhooks.NewHandler(secret, textusotel.HandlerOption(
		textusotel.WithTracerProvider(tp),
		textusotel.WithMeterProvider(mp),
	))
	if err != nil {
		log.Fatal(err)
	}
	h.OnMessageReceived(func(_ context.Context, e *textus.MessageEvent) error {
		if e.Message.Body == "fail" {
			return errors.New("database unavailable")
		}
		return nil
	})
	mux := http.NewServeMux()
	mux.Handle("POST /hooks/{account}", h)

	delivery := func(id, text string) []byte {
		return []byte(`{"id":"/integrations/h13Jc5/deliveries/` + id + `","action":"message.received",` +
			`"timestamp":"2024-05-01T12:00:00Z","conversation":{"phoneNumber":"+13035551234"},` +
			`"message":{"body":"` + text + `"}}`)
	}
	for _, req := range []*http.Request{
		webhooks.NewSignedRequest("/hooks/acme", secret, delivery("7f3a", "Yes, 3pm works")),
		webhooks.NewSignedRequest("/hooks/acme", secret, delivery("7f3a", "Yes, 3pm works")),
		webhooks.NewSignedRequest("/hooks/acme", secret, delivery("9c1e", "fail")),
		webhooks.NewSignedRequest("/hooks/acme", "a wrong secret", delivery("b2d4", "Hi")),
	} {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		fmt.Println("answered", w.Code)
	}

	for _, s := range spans.GetSpans() {
		fmt.Printf("span %q kind=%s status=%s\n", s.Name, s.SpanKind, strings.TrimSpace(s.Status.Code.String()+" "+s.Status.Description))
		var kvs []string
		for _, kv := range s.Attributes {
			kvs = append(kvs, string(kv.Key)+"="+kv.Value.Emit())
		}
		fmt.Println("  " + strings.Join(kvs, "\n  "))
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		log.Fatal(err)
	}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if sum, ok := m.Data.(metricdata.Sum[int64]); ok {
			var lines []string
			for _, dp := range sum.DataPoints {
				var labels []string
				for _, kv := range dp.Attributes.ToSlice() {
					labels = append(labels, string(kv.Key)+"="+kv.Value.Emit())
				}
				lines = append(lines, fmt.Sprintf("  {%s} %d", strings.Join(labels, " "), dp.Value))
			}
			sort.Strings(lines)
			fmt.Printf("%s\n%s\n", m.Name, strings.Join(lines, "\n"))
		}
	}
	// Output:
	// answered 200
	// answered 200
	// answered 500
	// answered 401
	// span "textus webhook delivery" kind=server status=Unset
	//   http.request.method=POST
	//   http.route=/hooks/{account}
	//   http.response.status_code=200
	//   textus.webhook.action=message.received
	//   textus.webhook.delivery_id=/integrations/h13Jc5/deliveries/7f3a
	//   textus.webhook.verified=true
	//   textus.webhook.duplicate=false
	//   textus.webhook.queued=false
	//   textus.webhook.reason=handled
	// span "textus webhook delivery" kind=server status=Unset
	//   http.request.method=POST
	//   http.route=/hooks/{account}
	//   http.response.status_code=200
	//   textus.webhook.action=message.received
	//   textus.webhook.delivery_id=/integrations/h13Jc5/deliveries/7f3a
	//   textus.webhook.verified=true
	//   textus.webhook.duplicate=true
	//   textus.webhook.queued=false
	//   textus.webhook.reason=duplicate
	// span "textus webhook delivery" kind=server status=Error callback failed
	//   http.request.method=POST
	//   http.route=/hooks/{account}
	//   http.response.status_code=500
	//   error.type=500
	//   textus.webhook.action=message.received
	//   textus.webhook.delivery_id=/integrations/h13Jc5/deliveries/9c1e
	//   textus.webhook.verified=true
	//   textus.webhook.duplicate=false
	//   textus.webhook.queued=false
	//   textus.webhook.reason=callback failed
	// span "textus webhook delivery" kind=server status=Unset
	//   http.request.method=POST
	//   http.route=/hooks/{account}
	//   http.response.status_code=401
	//   error.type=401
	//   textus.webhook.verified=false
	//   textus.webhook.duplicate=false
	//   textus.webhook.queued=false
	//   textus.webhook.reason=invalid signature
	// textus.webhook.deliveries
	//   {error.type=401 http.response.status_code=401} 1
	//   {error.type=500 http.response.status_code=500 textus.webhook.action=message.received} 1
	//   {http.response.status_code=200 textus.webhook.action=message.received} 2
	// textus.webhook.duplicates
	//   {textus.webhook.action=message.received} 1
}

// HandlerOption with a queue: the delivery's span ends once the delivery
// is stored, and each attempt at its job gets a span of its own, linked
// to it. The callback fails once, so the job runs twice.
func ExampleHandlerOption_queue() {
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))

	const secret = "the integration's webhookSecret"
	h, err := webhooks.NewHandler(secret,
		webhooks.WithQueue(webhooks.NewMemoryQueue(100)),
		webhooks.WithBackoff(time.Millisecond, time.Millisecond),
		textusotel.HandlerOption(textusotel.WithTracerProvider(tp)),
	)
	if err != nil {
		log.Fatal(err)
	}
	attempts := 0
	handled := make(chan struct{})
	h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error {
		attempts++ // jobs of one delivery run one after the other
		if attempts == 1 {
			return errors.New("database unavailable")
		}
		close(handled)
		return nil
	})
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- h.Run(ctx) }()

	body := []byte(`{"id":"/integrations/h13Jc5/deliveries/7f3a","action":"message.received","timestamp":"2024-05-01T12:00:00Z"}`)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, webhooks.NewSignedRequest("/hooks/textus", secret, body))
	fmt.Println("answered", w.Code)
	<-handled
	stop()
	if err := <-done; err != nil { // Run returns once the attempts in progress have ended
		log.Fatal(err)
	}

	show := map[attribute.Key]bool{textusotel.AttrWebhookQueued: true, textusotel.AttrWebhookJobAttempt: true,
		textusotel.AttrWebhookJobOutcome: true, textusotel.AttrWebhookReason: true}
	// Spans are exported as they end, and an attempt's span ends once the
	// queue has recorded its outcome: the first attempt may end before
	// the delivery's span (a worker can take the job before the answer is
	// written), and the next attempt before the previous one. Show the
	// delivery's span first, then the attempts in order.
	all := spans.GetSpans()
	order := func(s tracetest.SpanStub) int64 {
		for _, kv := range s.Attributes {
			if kv.Key == textusotel.AttrWebhookJobAttempt {
				return kv.Value.AsInt64()
			}
		}
		return 0
	}
	sort.SliceStable(all, func(i, j int) bool { return order(all[i]) < order(all[j]) })
	var delivery trace.SpanContext
	for _, s := range all {
		fmt.Printf("span %q kind=%s status=%s\n", s.Name, s.SpanKind, strings.TrimSpace(s.Status.Code.String()+" "+s.Status.Description))
		for _, kv := range s.Attributes {
			if show[kv.Key] {
				fmt.Printf("  %s=%s\n", kv.Key, kv.Value.Emit())
			}
		}
		if s.Name == textusotel.SpanWebhookDelivery {
			delivery = s.SpanContext
		}
		for _, l := range s.Links {
			fmt.Println("  linked to the delivery's span:",
				l.SpanContext.TraceID() == delivery.TraceID() && l.SpanContext.SpanID() == delivery.SpanID())
		}
	}
	// Output:
	// answered 200
	// span "textus webhook delivery" kind=server status=Unset
	//   textus.webhook.queued=true
	//   textus.webhook.reason=queued
	// span "textus webhook job" kind=consumer status=Error callback failed
	//   textus.webhook.job.attempt=1
	//   textus.webhook.job.outcome=retry
	//   textus.webhook.reason=callback failed
	//   linked to the delivery's span: true
	// span "textus webhook job" kind=consumer status=Unset
	//   textus.webhook.job.attempt=2
	//   textus.webhook.job.outcome=done
	//   linked to the delivery's span: true
}
