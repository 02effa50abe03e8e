package textustest_test

import (
	"bytes"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/textus-go/textus/textustest"
)

// The control API stands in for the Go methods, for programs in other
// languages (the textus fake command turns it on).
func TestControlEndpoints(t *testing.T) {
	var log bytes.Buffer // read after Close, which waits for the handlers
	a := newAPI(t, textustest.WithControlEndpoints(), textustest.WithLog(&log))
	account := "/" + a.srv.Account()

	// Simulate an inbound text, send a reply, inspect what was sent.
	r := a.do("POST", textustest.ControlPrefix+"/receive", `{"from": "+13035551234", "body": "Hi"}`)
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	assert.Equal(t, "in", r.json(t)["direction"])
	require.Equal(t, http.StatusNoContent, a.do("PUT", textustest.ControlPrefix+"/undeliverable/+13035550000", nil).status)
	require.Equal(t, http.StatusCreated, a.do("POST", account+"/messages", `{"to": "+13035551234", "body": "Hello"}`).status)
	require.Equal(t, http.StatusCreated, a.do("POST", account+"/messages", `{"to": "+13035550000", "body": "Landline"}`).status)
	r = a.do("GET", textustest.ControlPrefix+"/sent", nil)
	require.Equal(t, http.StatusOK, r.status)
	m := r.json(t)
	require.EqualValues(t, 2, m["totalItems"])
	sent := m["members"].([]any)
	assert.Equal(t, "delivered", sent[0].(map[string]any)["deliveryState"])
	assert.Equal(t, "failed", sent[1].(map[string]any)["deliveryState"])
	r = a.do("GET", textustest.ControlPrefix+"/deliveries", nil)
	require.Equal(t, http.StatusOK, r.status)
	assert.EqualValues(t, 0, r.json(t)["totalItems"], "no subscription, no delivery")

	requireError(t, a.do("POST", textustest.ControlPrefix+"/receive", `{"from": "nope", "body": "Hi"}`), http.StatusUnprocessableEntity)
	requireError(t, a.doWith("GET", textustest.ControlPrefix+"/sent", nil, nil), http.StatusUnauthorized)

	require.Equal(t, http.StatusNoContent, a.do("POST", textustest.ControlPrefix+"/reset", nil).status)
	assert.EqualValues(t, 0, a.do("GET", textustest.ControlPrefix+"/sent", nil).json(t)["totalItems"])

	a.srv.Close()
	assert.Contains(t, log.String(), "POST "+account+"/messages 201")
}

func TestWithListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := textustest.NewServer(textustest.WithListener(ln))
	assert.Equal(t, "http://"+ln.Addr().String(), srv.URL())
	_, err = srv.Client().Accounts.Get(testContext(t), srv.Account())
	require.NoError(t, err, "the server answers on the listener it was given")

	srv.Close()
	_, err = net.Dial("tcp", ln.Addr().String())
	assert.Error(t, err, "Close closes the listener")
}

// The control API has the sandbox's powers too: the attempt log of every
// delivery, redelivery, and the undeliverable switch both ways.
func TestControlDeliveriesLogRedeliverAndDeliverable(t *testing.T) {
	var calls atomic.Int64
	receiver := newLoopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			http.Error(w, "not yet", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	a := newAPI(t, textustest.WithControlEndpoints(), textustest.WithWebhookRetry(1, time.Millisecond, time.Millisecond))
	account := "/" + a.srv.Account()
	r := a.do("POST", account+"/integrations", `{"provider":"webhook","active":true,"config":{"baseUrl":"`+receiver.url+`"},"settings":{"actions":{"message.received":true}}}`)
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	require.Equal(t, http.StatusCreated, a.do("POST", textustest.ControlPrefix+"/receive", `{"from": "+13035551234", "body": "Hi"}`).status)
	require.NoError(t, a.srv.WaitIdle(testContext(t)))

	r = a.do("GET", textustest.ControlPrefix+"/deliveries", nil)
	require.Equal(t, http.StatusOK, r.status)
	members := r.json(t)["members"].([]any)
	require.Len(t, members, 1)
	d := members[0].(map[string]any)
	assert.Equal(t, false, d["delivered"], "one attempt, answered 500")
	log := d["log"].([]any)
	require.Len(t, log, 1)
	assert.EqualValues(t, 500, log[0].(map[string]any)["status"])
	assert.Contains(t, log[0].(map[string]any)["answer"], "not yet")

	id := d["id"].(string)
	require.Equal(t, http.StatusAccepted, a.do("POST", textustest.ControlPrefix+"/redeliver", `{"id": "`+id+`"}`).status)
	require.NoError(t, a.srv.WaitIdle(testContext(t)))
	d = a.do("GET", textustest.ControlPrefix+"/deliveries", nil).json(t)["members"].([]any)[0].(map[string]any)
	assert.Equal(t, true, d["delivered"], "the redelivery succeeded")
	assert.Equal(t, id, d["id"], "with the same delivery id")
	assert.Len(t, d["log"].([]any), 2)
	requireError(t, a.do("POST", textustest.ControlPrefix+"/redeliver", `{"id": "/integrations/x/deliveries/none"}`), http.StatusNotFound)

	require.Equal(t, http.StatusNoContent, a.do("PUT", textustest.ControlPrefix+"/undeliverable/+13035550000", nil).status)
	require.Equal(t, http.StatusNoContent, a.do("DELETE", textustest.ControlPrefix+"/undeliverable/+13035550000", nil).status)
	require.Equal(t, http.StatusCreated, a.do("POST", account+"/messages", `{"to": "+13035550000", "body": "Hello"}`).status)
	sent := a.do("GET", textustest.ControlPrefix+"/sent", nil).json(t)["members"].([]any)
	assert.Equal(t, "delivered", sent[len(sent)-1].(map[string]any)["deliveryState"])
	requireError(t, a.do("DELETE", textustest.ControlPrefix+"/undeliverable/nope", nil), http.StatusUnprocessableEntity)
}
