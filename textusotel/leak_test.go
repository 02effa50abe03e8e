package textusotel_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textustest"
)

// The phone numbers of the test, in the forms a caller may write them and
// the forms the API answers with.
var testPhones = []string{
	"+13035551234", "13035551234", "3035551234", "(303) 555-1234", "303-555-1234", "303.555.1234", "555-1234", "5551234",
	"+17205550199", "17205550199", "7205550199", "(720) 555-0199", "720-555-0199", "720.555.0199", "555-0199", "5550199",
	"+13035550100", "3035550100", // the fake account's own number, the sender
	"%2B1303", "%2B1720", // escaped in a path
}

var testBodies = []string{
	"Your interview is at 10am", "Second message about the offer", "Is the job still open?", "One more after the opt-out",
}

// TestNoSecretsInTelemetry drives every kind of call, failures and retries
// included, through a client whose arguments carry phone numbers, bodies
// and contact data, then scans every recorded span name, attribute, event,
// status and metric label for them, the token and the webhook secret.
func TestNoSecretsInTelemetry(t *testing.T) {
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer receiver.Close()
	// A dropped request is retried by the SDK only when net/http cannot
	// retry it itself on a fresh connection: the first request, then.
	h := newHarness(t, []textustest.Option{textustest.WithFaults(
		textustest.Fault{Kind: textustest.FaultDropRequest, Rate: 1, Method: "GET", Path: "/:account/opt_outs/:phone", Limit: 1},
	)})
	ctx := testContext(t)
	c, srv := h.c, h.srv
	_, err := c.OptOuts.Get(ctx, "+17205550199")
	require.ErrorIs(t, err, textus.ErrNotFound)

	ct, err := c.Contacts.Create(ctx, &textus.ContactParams{
		Name: "Cordell Walker", Phones: []textus.PhoneParams{{Number: "(303) 555-1234", Type: "Mobile"}},
		Data: map[string]any{"businessName": "McDonalds"},
	})
	require.NoError(t, err)
	contactSlug := ct.ID[strings.LastIndex(ct.ID, "/")+1:]
	_, err = c.Contacts.Get(ctx, ct.ID)
	require.NoError(t, err)
	_, err = c.Contacts.Update(ctx, contactSlug, &textus.ContactParams{Name: "Cordell Walker", Data: map[string]any{"businessName": "McDonalds"}})
	require.NoError(t, err)
	_, err = c.Contacts.FindByPhone(ctx, "303-555-1234")
	require.NoError(t, err)
	_, err = c.Contacts.Get(ctx, "+13035551234")
	require.ErrorIs(t, err, textus.ErrNotFound, "a phone number where an id belongs: its path is in the error")

	wh, err := c.Webhooks.Create(ctx, &textus.WebhookParams{URL: receiver.URL, Events: []textus.EventType{textus.EventMessageReceived}})
	require.NoError(t, err)
	require.NotEmpty(t, wh.Secret)

	msg, err := c.Messages.Send(ctx, &textus.SendMessageParams{To: "+13035551234", Body: testBodies[0]})
	require.NoError(t, err)
	msgSlug := msg.ID[strings.LastIndex(msg.ID, "/")+1:]

	srv.SetFaults(
		textustest.Fault{Kind: textustest.FaultServerError, Rate: 1, Method: "GET", Path: "/:account/conversations/:phone", Limit: 1},
		textustest.Fault{Kind: textustest.FaultLoseResponse, Rate: 1, Method: "POST", Path: "/:account/messages", Limit: 1},
	)
	conv, err := c.Conversations.GetByPhone(ctx, "303.555.1234")
	require.NoError(t, err)
	for _, err := range c.Conversations.Timeline(ctx, conv.ID) {
		require.NoError(t, err)
	}
	_, err = c.Messages.Send(ctx, &textus.SendMessageParams{To: "(303) 555-1234", Body: testBodies[1]})
	require.ErrorIs(t, err, textus.ErrOutcomeUnknown)

	_, err = srv.ReceiveMessage("+17205550199", testBodies[2])
	require.NoError(t, err)
	_, err = c.OptOuts.Create(ctx, "(720) 555-0199")
	require.NoError(t, err)
	opted, err := c.OptOuts.IsOptedOut(ctx, "720-555-0199")
	require.NoError(t, err)
	require.True(t, opted)
	_, err = c.Messages.Send(ctx, &textus.SendMessageParams{To: "7205550199", Body: testBodies[3]})
	require.ErrorIs(t, err, textus.ErrValidation)
	var apiErr *textus.APIError
	require.True(t, errors.As(err, &apiErr))

	needles := append(append([]string{}, testPhones...), testBodies...)
	needles = append(needles, srv.Token(), wh.Secret, "Cordell", "Walker", "McDonalds", contactSlug, msgSlug)

	texts := recordedTexts(t, h)
	require.NotEmpty(t, texts)
	for _, text := range texts {
		for _, n := range needles {
			assert.NotContains(t, strings.ToLower(text), strings.ToLower(n), "telemetry holds %q", n)
		}
	}

	// The scan covered the calls whose paths hold phone numbers, their
	// retries and their failures.
	joined := strings.Join(texts, "\n")
	for _, want := range []string{
		"url.template=/{account}/conversations/{phone}", "url.template=/{account}/opt_outs/{phone}",
		"url.template=/contacts/{contact}", "event=retry", "error.type=outcome_unknown", "error.type=not_found",
		"error.type=validation", "error.type=transport", "metric=textus.client.retries",
	} {
		assert.Contains(t, joined, want)
	}
}

// recordedTexts renders everything the harness's providers recorded, one
// string per item: span names, attributes, events and their attributes,
// statuses, links; metric names, descriptions and data point attributes.
func recordedTexts(t *testing.T, h *harness) []string {
	t.Helper()
	var out []string
	kv := func(prefix string, kvs []attribute.KeyValue) {
		for _, a := range kvs {
			out = append(out, prefix+string(a.Key)+"="+a.Value.Emit())
		}
	}
	for _, s := range h.spans.Ended() {
		out = append(out, "span="+s.Name(), "status="+s.Status().Description)
		kv("", s.Attributes())
		for _, e := range s.Events() {
			out = append(out, "event="+e.Name)
			kv("event.", e.Attributes)
		}
		for _, l := range s.Links() {
			kv("link.", l.Attributes)
		}
		kv("resource.", s.Resource().Attributes())
	}
	rm := h.collect(t)
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out = append(out, "metric="+m.Name, m.Description, m.Unit)
			for _, set := range dataPointAttributes(t, m.Data) {
				kv("label.", set.ToSlice())
			}
		}
	}
	return out
}

func dataPointAttributes(t *testing.T, data metricdata.Aggregation) []attribute.Set {
	var sets []attribute.Set
	switch d := data.(type) {
	case metricdata.Histogram[float64]:
		for _, dp := range d.DataPoints {
			sets = append(sets, dp.Attributes)
			for _, ex := range dp.Exemplars {
				sets = append(sets, attribute.NewSet(ex.FilteredAttributes...))
			}
		}
	case metricdata.Sum[int64]:
		for _, dp := range d.DataPoints {
			sets = append(sets, dp.Attributes)
			for _, ex := range dp.Exemplars {
				sets = append(sets, attribute.NewSet(ex.FilteredAttributes...))
			}
		}
	case metricdata.Gauge[int64]:
		for _, dp := range d.DataPoints {
			sets = append(sets, dp.Attributes)
			for _, ex := range dp.Exemplars {
				sets = append(sets, attribute.NewSet(ex.FilteredAttributes...))
			}
		}
	default:
		t.Fatalf("unexpected aggregation %T", data)
	}
	return sets
}

// The scan itself finds what it looks for.
func TestRecordedTextsSeeAttributes(t *testing.T) {
	h := newHarness(t, nil)
	_, span := h.tp.Tracer("test").Start(context.Background(), "planted")
	span.SetAttributes(attribute.String("phone", "+13035551234"))
	span.End()
	joined := strings.Join(recordedTexts(t, h), "\n")
	assert.Contains(t, joined, "phone=+13035551234")
}
