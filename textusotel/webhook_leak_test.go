package textusotel_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textusotel"
	"github.com/textus-go/textus/webhooks"
)

// TestWebhookNoSecretsInTelemetry drives deliveries that carry phone
// numbers and message bodies (in their bodies, their URL paths, their
// callbacks' error texts) through a queued handler and an inline one,
// with retries, dead letters, duplicates, refusals and unknown actions,
// then scans every recorded span name, attribute, event, link attribute,
// status and metric label for the numbers in several forms, the bodies,
// the API token and the webhook secret.
func TestWebhookNoSecretsInTelemetry(t *testing.T) {
	// The subscription's URL holds a phone number: http.route is the
	// ServeMux pattern, never the path.
	wh := newWebhookHarness(t, "/hooks/3035551234",
		textus.EventMessageReceived, textus.EventContactOptedOut, textus.EventContactCreated)
	secret := wh.hook.Secret

	q := webhooks.NewMemoryQueue(64)
	queued := wh.newHandler(t, webhooks.WithQueue(q), webhooks.WithAttempts(2),
		webhooks.WithBackoff(time.Millisecond, time.Millisecond))
	var mu sync.Mutex
	seen := map[string]bool{}
	queued.OnMessageReceived(func(_ context.Context, e *textus.MessageEvent) error {
		mu.Lock()
		first := !seen[e.ID]
		seen[e.ID] = true
		mu.Unlock()
		if first || e.Message.Body == testBodies[1] {
			return fmt.Errorf("texting %s back about %q failed", e.Conversation.PhoneNumber, e.Message.Body)
		}
		return nil
	})
	queued.OnContactOptedOut(func(_ context.Context, e *textus.OptOutEvent) error {
		return fmt.Errorf("could not record the opt-out of %s", e.PhoneNumber())
	})
	queued.OnContactCreated(func(context.Context, *textus.ContactEvent) error { return nil })
	wh.mount(queued)
	stop := startRun(t, queued)

	for _, m := range []struct{ from, body string }{
		{"+13035551234", testBodies[0]},
		{"+17205550199", testBodies[2]},
		{"+13035551234", testBodies[1]},
		{"+17205550199", "STOP"},
	} {
		_, err := wh.srv.ReceiveMessage(m.from, m.body)
		require.NoError(t, err)
	}
	ds := wh.deliveries(t)
	require.NotEmpty(t, ds)
	// A delivery without an id: its job's key is the body's hash.
	noID := []byte(`{"action":"message.received","timestamp":"2024-05-01T12:00:00Z",` +
		`"conversation":{"phoneNumber":"+13035551234","formattedPhoneNumber":"(303) 555-1234"},` +
		`"message":{"body":"` + testBodies[3] + `"}}`)
	require.Equal(t, 200, serve(queued, webhooks.NewSignedRequest("/hooks/3035551234", secret, noID)))
	waitFor(t, "the jobs to end", func() bool {
		n, err := q.Len(context.Background())
		return err == nil && n == 0
	})
	require.NoError(t, wh.srv.Redeliver(ds[0].ID))
	wh.deliveries(t)
	stop()

	inline := wh.newHandler(t)
	inline.OnMessageReceived(func(_ context.Context, e *textus.MessageEvent) error {
		return fmt.Errorf("could not text %s: %s", e.Conversation.PhoneNumber, e.Message.Body)
	})
	mux := http.NewServeMux()
	mux.Handle(hookRoute, inline)
	badMethod := webhooks.NewSignedRequest("/hooks/3035551234", secret, messageDelivery("m", "+13035551234", testBodies[0]))
	badMethod.Method = "13035551234"
	unknown := []byte(`{"id":"/integrations/h13Jc5/deliveries/u1","action":"survey.completed","phoneNumber":"+13035551234","body":"` +
		testBodies[2] + `"}`)
	for req, status := range map[*http.Request]int{
		webhooks.NewSignedRequest("/hooks/+13035551234", secret, messageDelivery("i1", "+13035551234", testBodies[3])):        500,
		webhooks.NewSignedRequest("/hooks/303-555-1234", wrongSecret, messageDelivery("i2", "(303) 555-1234", testBodies[0])): 401,
		webhooks.NewSignedRequest("/hooks/7205550199", secret, unknown):                                                       200,
	} {
		require.Equal(t, status, serve(mux, req), "%s %s", req.Method, req.URL.Path)
	}
	// A ServeMux answers a method its pattern does not allow by itself.
	require.Equal(t, 405, serve(inline, badMethod))

	needles := append(append([]string{}, testPhones...), testBodies...)
	needles = append(needles, wh.srv.Token(), secret)
	texts := recordedTexts(t, wh.harness)
	require.NotEmpty(t, texts)
	for _, text := range texts {
		for _, n := range needles {
			assert.NotContains(t, strings.ToLower(text), strings.ToLower(n), "telemetry holds %q", n)
		}
	}

	// The scan covered what the deliveries and jobs record.
	joined := strings.Join(texts, "\n")
	for _, want := range []string{
		"span=" + textusotel.SpanWebhookDelivery, "span=" + textusotel.SpanWebhookJob,
		"http.route=/hooks/{account}", "http.request.method=_OTHER",
		"textus.webhook.verified=false", "textus.webhook.duplicate=true", "textus.webhook.queued=true",
		"textus.webhook.action=contact.opted_out", "textus.webhook.action=survey.completed",
		"textus.webhook.delivery_id=sha256:", "textus.webhook.job.outcome=dead_lettered",
		"textus.webhook.job.outcome=retry", "textus.webhook.job.outcome=done",
		"error.type=500", "error.type=401", "status=callback failed",
		"metric=" + textusotel.MetricWebhookQueueDepth, "metric=" + textusotel.MetricWebhookDuplicates,
		"label.textus.webhook.action=_OTHER",
	} {
		assert.Contains(t, joined, want)
	}
	linked := 0
	for _, s := range wh.spansNamed(textusotel.SpanWebhookJob) {
		linked += len(s.Links())
	}
	assert.Positive(t, linked, "job spans are linked")
}
