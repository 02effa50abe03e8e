package textusotel_test

import (
	"context"
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
