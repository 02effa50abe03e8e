package textustest_test

import (
	"bytes"
	"net"
	"net/http"
	"testing"

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
