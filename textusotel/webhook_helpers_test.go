package textusotel_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textusotel"
	"github.com/textus-go/textus/textustest"
	"github.com/textus-go/textus/webhooks"
)

// hookRoute is the ServeMux pattern the receiver mounts handlers on.
const hookRoute = "POST /hooks/{account}"

// webhookHarness is a harness whose textustest server delivers the events
// of a subscription to a webhooks.Handler behind an httptest server, on
// the route hookRoute. Deliveries are retried within milliseconds.
type webhookHarness struct {
	*harness
	receiver *httptest.Server
	hook     *textus.Webhook
	mounted  atomic.Pointer[http.Handler]
}

// newWebhookHarness subscribes path (under the receiver's URL, matching
// hookRoute) to events. Mount a handler before anything is delivered.
func newWebhookHarness(t *testing.T, path string, events ...textus.EventType) *webhookHarness {
	t.Helper()
	wh := &webhookHarness{harness: newHarness(t, []textustest.Option{
		textustest.WithWebhookRetry(4, 5*time.Millisecond, 20*time.Millisecond),
	})}
	mux := http.NewServeMux()
	mux.HandleFunc(hookRoute, func(w http.ResponseWriter, r *http.Request) {
		h := wh.mounted.Load()
		if h == nil {
			http.Error(w, "no handler yet", http.StatusServiceUnavailable)
			return
		}
		(*h).ServeHTTP(w, r)
	})
	wh.receiver = httptest.NewServer(mux)
	t.Cleanup(wh.receiver.Close)
	var err error
	wh.hook, err = wh.c.Webhooks.Create(testContext(t), &textus.WebhookParams{URL: wh.receiver.URL + path, Events: events})
	require.NoError(t, err)
	require.NotEmpty(t, wh.hook.Secret)
	return wh
}

// option is HandlerOption with the harness's providers.
func (h *harness) option(opts ...textusotel.Option) webhooks.Option {
	return textusotel.HandlerOption(append([]textusotel.Option{
		textusotel.WithTracerProvider(h.tp), textusotel.WithMeterProvider(h.mp),
	}, opts...)...)
}

// newHandler returns a handler for the subscription's secret, instrumented
// with the harness's providers.
func (wh *webhookHarness) newHandler(t *testing.T, opts ...webhooks.Option) *webhooks.Handler {
	t.Helper()
	h, err := webhooks.NewHandler(wh.hook.Secret, append([]webhooks.Option{wh.option()}, opts...)...)
	require.NoError(t, err)
	return h
}

// mount makes the receiver serve deliveries with h.
func (wh *webhookHarness) mount(h http.Handler) { wh.mounted.Store(&h) }

// deliveries returns the fake's deliveries, with their attempts, once
// every one is finished.
func (wh *webhookHarness) deliveries(t *testing.T) []textustest.Delivery {
	t.Helper()
	require.NoError(t, wh.srv.WaitIdle(testContext(t)))
	return wh.srv.Deliveries()
}

// spanLabels is a span's attributes as strings, for comparisons.
func spanLabels(s sdktrace.ReadOnlySpan) map[string]string {
	return labels(attribute.NewSet(s.Attributes()...))
}

// withoutKey returns m without key k, and k's value.
func withoutKey(m map[string]string, k string) (map[string]string, string) {
	out := make(map[string]string, len(m))
	for key, v := range m {
		if key != k {
			out[key] = v
		}
	}
	return out, m[k]
}

// spansOf returns the ended spans of the given name whose delivery id is
// id, in the order they ended.
func (h *harness) spansOf(name, id string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range h.spansNamed(name) {
		if spanLabels(s)[string(textusotel.AttrWebhookDeliveryID)] == id {
			out = append(out, s)
		}
	}
	return out
}

// messageDelivery is a message.received delivery with the given id, phone
// number and text.
func messageDelivery(id, phone, text string) []byte {
	return []byte(`{"@type":"WebhookDelivery","@context":"/contexts/WebhookDelivery.jsonld",` +
		`"id":"/integrations/h13Jc5/deliveries/` + id + `","timestamp":"2024-05-01T12:00:00Z",` +
		`"action":"message.received","webHook":"/integrations/h13Jc5",` +
		`"conversation":{"@type":"Conversation","id":"/conversations/JYnJBY","phoneNumber":"` + phone + `"},` +
		`"message":{"@type":"Message","id":"/messages/06oyogE","direction":"in","body":"` + text + `"}}`)
}

// serve hands r to h and returns the status answered, recovering the
// panic of an aborted request (status 0).
func serve(h http.Handler, r *http.Request) (status int) {
	w := httptest.NewRecorder()
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler { //nolint:errorlint // the sentinel is panicked as is
				panic(v)
			}
			status = 0
		}
	}()
	h.ServeHTTP(w, r)
	return w.Code
}

// waitFor polls cond until it holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 30*time.Second, 2*time.Millisecond, what)
}

// startRun runs h.Run until the returned function is called, which waits
// for Run to return.
func startRun(t *testing.T, h *webhooks.Handler) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(30 * time.Second):
			t.Fatal("Run did not return after its context ended")
		}
	}
	t.Cleanup(stop)
	return stop
}
