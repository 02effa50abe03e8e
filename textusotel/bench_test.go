package textusotel_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textusotel"
	"github.com/textus-go/textus/webhooks"
)

// benchContactJSON is the documented Contact example.
const benchContactJSON = `{
  "@type": "Contact", "@context": "/contexts/Contact.jsonld", "id": "/contacts/DQeeO69",
  "name": "Cordell Walker", "firstName": "Cordell", "lastName": "Walker",
  "phones": { "@type": "hydra:Collection", "id": "/contacts/DQeeO69/phones", "totalItems": 1,
    "members": [ { "@type": "ContactPhone", "id": "/contact_phones/mxvbRw",
      "phoneNumber": "+13035551234", "formattedPhoneNumber": "(303) 555-1234",
      "extension": null, "type": "Mobile", "deliverabilityStatus": "unknown",
      "contact": "/contacts/DQeeO69" } ] },
  "notes": { "@type": "hydra:Collection", "id": "/contacts/DQeeO69/notes", "totalItems": 0, "members": [] },
  "data": { "businessName": "McDonalds", "tags": ["cashier"] },
  "conversations": "/contacts/DQeeO69/conversations",
  "createdAt": "2020-01-06T21:49:58.312Z"
}`

// BenchmarkContactsGet measures the cost of ClientOption on Contacts.Get
// against a loopback server:
//
//	instr=none    no instrumentation
//	instr=noop    ClientOption with the no-op TracerProvider and MeterProvider
//	instr=global  ClientOption with nothing configured (global defaults)
//	instr=sdk     ClientOption with an SDK TracerProvider (batch processor,
//	              in-memory exporter) and an SDK MeterProvider (ManualReader)
//
// Targets: noop and global within 1.03x of none, sdk within 1.15x. Compare
// with benchstat -col /instr. Besides the wall clock, each run reports the
// process's CPU time per call (cpu-ns/op: client, server and exporter
// together), steadier than the wall clock on a shared machine.
func BenchmarkContactsGet(b *testing.B) {
	body := []byte(benchContactJSON)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", textus.MediaType)
		w.Header().Set("X-RateLimit-Limit", "1000")
		w.Header().Set("X-RateLimit-Remaining", "999")
		_, _ = w.Write(body)
	}))
	defer srv.Close()

	exporter := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	defer func() { _ = mp.Shutdown(context.Background()) }()

	variants := []struct {
		name string
		opts []textus.Option
	}{
		{"none", nil},
		{"noop", []textus.Option{textusotel.ClientOption(
			textusotel.WithTracerProvider(tracenoop.NewTracerProvider()),
			textusotel.WithMeterProvider(metricnoop.NewMeterProvider()))}},
		{"global", []textus.Option{textusotel.ClientOption()}},
		{"sdk", []textus.Option{textusotel.ClientOption(
			textusotel.WithTracerProvider(tp), textusotel.WithMeterProvider(mp))}},
	}
	for _, v := range variants {
		b.Run("instr="+v.name, func(b *testing.B) {
			tr := http.DefaultTransport.(*http.Transport).Clone()
			tr.MaxIdleConnsPerHost = 16
			defer tr.CloseIdleConnections()
			opts := append([]textus.Option{
				textus.WithBaseURL(srv.URL), textus.WithHTTPClient(&http.Client{Transport: tr}), textus.WithRateLimit(0, 0),
			}, v.opts...)
			c, err := textus.NewClient("token", opts...)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			cpu0, cpuOK := processCPU()
			for i := 0; i < b.N; i++ {
				ct, err := c.Contacts.Get(ctx, "DQeeO69")
				if err != nil || ct.Name != "Cordell Walker" {
					b.Fatal(err)
				}
				if i%256 == 255 {
					exporter.Reset() // keep the exported spans from piling up
				}
			}
			if cpu1, ok := processCPU(); ok && cpuOK {
				b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
			}
		})
	}
}

// benchDelivery is a realistic message.received delivery of about 2 KB
// whose id ends with n.
func benchDelivery(n int) []byte {
	return []byte(fmt.Sprintf(`{"@type":"WebhookDelivery","@context":"/contexts/WebhookDelivery.jsonld",`+
		`"id":"/integrations/h13Jc5/deliveries/%08d-04bd-47cb-9983-d6fd2015ce3b",`+
		`"timestamp":"2023-11-17T13:59:04.568354-05:00","action":"message.received","webHook":"/integrations/h13Jc5",`+
		`"conversation":{"@type":"Conversation","@context":"/contexts/Conversation.jsonld","id":"/conversations/JYnJBY",`+
		`"slug":"JYnJBY","currentState":"open","account":{"@type":"Account","id":"/accounts/my_account","name":"My Account",`+
		`"slug":"my_account","phoneNumbers":["+13035550000"]},"phoneNumber":"+13035551234",`+
		`"formattedPhoneNumber":"(303) 555-1234","accountPhoneNumber":"+13035550000",`+
		`"formattedAccountPhoneNumber":"(303) 555-0000","unanswered":false,"unsubscribed":false,"blocked":false,`+
		`"assignedContact":{"@type":"Contact","id":"/contacts/DQeeO69","name":"Jordan Smith","firstName":"Jordan",`+
		`"lastName":"Smith","data":{"businessName":"Acme Staffing","tags":["candidate","nursing"]}},`+
		`"assignment":"/conversations/JYnJBY/assignment","participants":"/conversations/JYnJBY/participants",`+
		`"timeline":"/conversations/JYnJBY/timeline","read":"/conversations/JYnJBY/read",`+
		`"latestPreviewableItem":"/messages/06oyogD","createdAt":"2023-10-02T15:21:07.123456-04:00",`+
		`"updatedAt":"2023-11-17T13:59:04.101112-05:00"},`+
		`"message":{"@type":"Message","@context":"/contexts/Message.jsonld","id":"/messages/06oyogE","direction":"in",`+
		`"body":"Yes, 3pm works for me. Should I bring my license and the signed onboarding forms, or were those already sent over? Thanks!",`+
		`"formattedBody":"Yes, 3pm works for me. Should I bring my license and the signed onboarding forms, or were those already sent over? Thanks!",`+
		`"deliveryState":"received","status":"Received","friendlyStateDescription":"Received",`+
		`"conversation":"/conversations/JYnJBY","sender":null,"source":"textus","channel":"sms","retryAllowed":false,`+
		`"attachments":{"@type":"hydra:Collection","id":"/messages/06oyogE/attachments","members":[],"totalItems":0},`+
		`"flags":[],"createdAt":"2023-11-17T13:59:04.468354-05:00","displayTimestamp":"2023-11-17T13:59:04.468354-05:00",`+
		`"timelinePosition":"1700247544468354","latestEventAt":"2023-11-17T13:59:04.568354-05:00",`+
		`"links":{"self":"/messages/06oyogE","conversation":"/conversations/JYnJBY","events":"/messages/06oyogE/events"},`+
		`"recipients":[{"@type":"Recipient","phoneNumber":"+13035550000","deliveryState":"received"}]}}`, n))
}

// benchWriter is a reusable ResponseWriter, so that the benchmark measures
// the handler and not a recorder.
type benchWriter struct {
	h      http.Header
	status int
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *benchWriter) WriteHeader(code int)        { w.status = code }

type benchBody struct{ bytes.Reader }

func (*benchBody) Close() error { return nil }

// BenchmarkHandler measures the cost of HandlerOption on ServeHTTP of a
// signed 2 KB message.received delivery with a no-op callback, mounted on
// a ServeMux route (no network):
//
//	instr=none    no instrumentation
//	instr=noop    HandlerOption with the no-op TracerProvider and MeterProvider
//	instr=global  HandlerOption with nothing configured (global defaults)
//	instr=sdk     HandlerOption with an SDK TracerProvider (batch processor,
//	              in-memory exporter) and an SDK MeterProvider (ManualReader)
//
// Deliveries cycle through 2048 ids, twice as many as the de-duplicator
// keeps, so that each is handled in full. Compare with benchstat -col
// /instr; cpu-ns/op is the process's CPU time per delivery, steadier than
// the wall clock on a shared machine.
func BenchmarkHandler(b *testing.B) {
	const ring = 2048
	const secret = "whsec-bench"
	bodies := make([][]byte, ring)
	sigs := make([][]string, ring)
	for i := range bodies {
		bodies[i] = benchDelivery(i)
		sigs[i] = []string{webhooks.Sign(secret, bodies[i])}
	}

	exporter := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	defer func() { _ = mp.Shutdown(context.Background()) }()

	variants := []struct {
		name string
		opts []webhooks.Option
	}{
		{"none", nil},
		{"noop", []webhooks.Option{textusotel.HandlerOption(
			textusotel.WithTracerProvider(tracenoop.NewTracerProvider()),
			textusotel.WithMeterProvider(metricnoop.NewMeterProvider()))}},
		{"global", []webhooks.Option{textusotel.HandlerOption()}},
		{"sdk", []webhooks.Option{textusotel.HandlerOption(
			textusotel.WithTracerProvider(tp), textusotel.WithMeterProvider(mp))}},
	}
	for _, v := range variants {
		b.Run("instr="+v.name, func(b *testing.B) {
			opts := append([]webhooks.Option{webhooks.WithDeduplicator(webhooks.NewMemoryDeduplicator(ring/2, 0))}, v.opts...)
			h, err := webhooks.NewHandler(secret, opts...)
			if err != nil {
				b.Fatal(err)
			}
			var calls int
			h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error {
				calls++
				return nil
			})
			mux := http.NewServeMux()
			mux.Handle("POST /hooks/{account}", h)
			r, err := http.NewRequest(http.MethodPost, "http://example.com/hooks/acme", nil)
			if err != nil {
				b.Fatal(err)
			}
			body := &benchBody{}
			w := &benchWriter{h: make(http.Header)}
			b.SetBytes(int64(len(bodies[0])))
			b.ReportAllocs()
			b.ResetTimer()
			cpu0, cpuOK := processCPU()
			for i := 0; i < b.N; i++ {
				k := i % ring
				body.Reset(bodies[k])
				r.Body = body
				r.ContentLength = int64(len(bodies[k]))
				r.Header["X-Textus-Signature"] = sigs[k]
				w.status = 0
				mux.ServeHTTP(w, r)
				if w.status != http.StatusOK {
					b.Fatalf("status %d", w.status)
				}
				if i%256 == 255 {
					exporter.Reset() // keep the exported spans from piling up
				}
			}
			if cpu1, ok := processCPU(); ok && cpuOK {
				b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
			}
			b.StopTimer()
			if calls != b.N {
				b.Fatalf("callback ran %d times for %d deliveries", calls, b.N)
			}
		})
	}
}
