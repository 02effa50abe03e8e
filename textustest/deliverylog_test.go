package textustest_test

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textustest"
)

// Each attempt of a delivery is logged with its time, latency, status and
// the start of the receiver's answer.
func TestDeliveryAttemptLog(t *testing.T) {
	long := strings.Repeat("é", 400) // 800 bytes
	mux := http.NewServeMux()
	n := 0
	var mu sync.Mutex
	mux.HandleFunc("/hook", func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		n++
		first := n == 1
		mu.Unlock()
		if first {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, "x"+long) // cut inside a character
			return
		}
		_, _ = io.WriteString(w, `{"ok":true}`)
	})
	hook := newLoopbackServer(t, mux)
	srv := textustest.NewServer(textustest.WithWebhookRetry(3, time.Millisecond, time.Millisecond))
	defer srv.Close()
	ctx := testContext(t)
	_, err := srv.Client().Webhooks.Create(ctx, &textus.WebhookParams{URL: hook.url + "/hook", Events: []textus.EventType{textus.EventMessageReceived}})
	require.NoError(t, err)
	start := time.Now()
	_, err = srv.ReceiveMessage("+13035551234", "hello")
	require.NoError(t, err)
	waitIdle(t, srv)
	ds := srv.Deliveries()
	require.Len(t, ds, 1)
	d := ds[0]
	assert.Equal(t, 1, d.Series)
	require.Len(t, d.Log, 2)
	a := d.Log[0]
	assert.Equal(t, 1, a.Series)
	assert.Equal(t, http.StatusInternalServerError, a.Status)
	assert.True(t, a.AnswerTruncated)
	assert.LessOrEqual(t, len(a.Answer), textustest.MaxAnswerBytes)
	assert.Equal(t, "x"+strings.Repeat("é", 255), a.Answer, "cut at a character boundary")
	assert.False(t, a.Time.Before(start.Add(-time.Second)))
	assert.Positive(t, a.Latency)
	b := d.Log[1]
	assert.Equal(t, http.StatusOK, b.Status)
	assert.Equal(t, `{"ok":true}`, b.Answer)
	assert.False(t, b.AnswerTruncated)
	assert.Empty(t, b.Error)
}

func TestRedeliver(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	status := http.StatusServiceUnavailable
	rc := newReceiver(t, func(n int, _ received) int {
		if n == 1 {
			<-release
		}
		mu.Lock()
		defer mu.Unlock()
		return status
	})
	srv := textustest.NewServer(textustest.WithWebhookRetry(1, time.Millisecond, time.Millisecond))
	defer srv.Close()
	ctx := testContext(t)
	_, err := srv.Client().Webhooks.Create(ctx, &textus.WebhookParams{URL: rc.url, Events: []textus.EventType{textus.EventMessageReceived}})
	require.NoError(t, err)
	_, err = srv.ReceiveMessage("+13035551234", "hello")
	require.NoError(t, err)
	ds := srv.Deliveries()
	require.Len(t, ds, 1)
	assert.ErrorContains(t, srv.Redeliver(ds[0].ID), "still being attempted")
	close(release)
	waitIdle(t, srv)
	require.False(t, srv.Deliveries()[0].Delivered)

	mu.Lock()
	status = http.StatusOK
	mu.Unlock()
	require.NoError(t, srv.Redeliver(ds[0].ID))
	waitIdle(t, srv)
	got := rc.received()
	require.Len(t, got, 2)
	assert.Equal(t, got[0].body, got[1].body, "the same body")
	assert.Equal(t, got[0].signature, got[1].signature, "the same signature")
	assert.Equal(t, ds[0].ID, got[1].envelope["id"], "the same delivery id")
	d := srv.Deliveries()
	require.Len(t, d, 1, "a redelivery is a new series of the same delivery")
	assert.True(t, d[0].Delivered)
	assert.Equal(t, 2, d[0].Series)
	assert.Equal(t, []int{503, 200}, d[0].Statuses)
	require.Len(t, d[0].Log, 2)
	assert.Equal(t, 2, d[0].Log[1].Series)

	assert.ErrorContains(t, srv.Redeliver("/integrations/x/deliveries/nope"), "no such delivery")
	srv.Close()
	assert.ErrorIs(t, srv.Redeliver(ds[0].ID), textustest.ErrClosed)
}

func TestSetDeliverable(t *testing.T) {
	srv := textustest.NewServer(textustest.WithUndeliverable("+13035551234"))
	defer srv.Close()
	ctx := testContext(t)
	c := srv.Client()
	require.NoError(t, srv.SetDeliverable("(303) 555-1234"))
	m, err := c.Messages.Send(ctx, &textus.SendMessageParams{To: "+13035551234", Body: "hi"})
	require.NoError(t, err)
	got, err := c.Messages.Get(ctx, m.ID)
	require.NoError(t, err)
	assert.Equal(t, textus.DeliveryState("delivered"), got.DeliveryState)
	assert.ErrorIs(t, srv.SetDeliverable("nope"), textus.ErrInvalidPhone)
}
