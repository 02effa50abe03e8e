package textustest_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/textus-go/textus/textustest"
)

// statuses sends n GETs and returns the statuses.
func statuses(t *testing.T, a *api, n int) []int {
	t.Helper()
	var out []int
	for i := 0; i < n; i++ {
		out = append(out, a.do("GET", "/accounts", nil).status)
	}
	return out
}

func TestFaultServerErrorIsSeeded(t *testing.T) {
	fault := textustest.Fault{Kind: textustest.FaultServerError, Rate: 0.5}
	run := func(seed int64) []int {
		a := newAPI(t, textustest.WithSeed(seed), textustest.WithFaults(fault))
		return statuses(t, a, 40)
	}
	first := run(7)
	assert.Equal(t, first, run(7), "same seed, same faults")
	assert.Contains(t, first, http.StatusOK)
	assert.Contains(t, first, http.StatusServiceUnavailable)
	assert.NotEqual(t, first, run(8), "another seed, other faults")

	// The injected error has the usual error shape.
	a := newAPI(t, textustest.WithFaults(textustest.Fault{Kind: textustest.FaultServerError, Rate: 1, Status: 502}))
	requireError(t, a.do("GET", "/accounts", nil), http.StatusBadGateway)
}

func TestFaultFilters(t *testing.T) {
	a := newAPI(t, textustest.WithFaults(textustest.Fault{
		Kind: textustest.FaultServerError, Rate: 1, Method: "POST", Path: "/:account/messages",
	}))
	acct := "/" + a.srv.Account()
	assert.Equal(t, http.StatusOK, a.do("GET", "/accounts", nil).status)
	assert.Equal(t, http.StatusOK, a.do("POST", acct+"/contacts", map[string]any{"name": "x"}).status)
	requireError(t, a.do("POST", acct+"/messages", map[string]any{"to": "+13035551234", "body": "hi"}), http.StatusServiceUnavailable)
	requireError(t, a.do("POST", acct+"/messages", map[string]any{"to": "+13035551234", "body": "hi"}), http.StatusServiceUnavailable)
	assert.Empty(t, a.srv.SentMessages(), "a 5xx fault does not act")
	assert.Equal(t, http.StatusCreated, a.do("POST", acct+"/messages/schedule", map[string]any{
		"to": "+13035551234", "body": "hi", "scheduled_at": "2058-10-25T18:09:13Z",
	}).status, "other paths are not affected")

	reqs := a.srv.Requests()
	require.Len(t, reqs, 5)
	assert.Equal(t, textustest.FaultServerError, reqs[2].Fault)
	assert.Equal(t, http.StatusServiceUnavailable, reqs[2].Status)

	// SetFaults replaces the faults; no argument removes them.
	a.srv.SetFaults()
	assert.Equal(t, http.StatusCreated, a.do("POST", acct+"/messages", map[string]any{"to": "+13035551234", "body": "hi"}).status)
}

func TestFaultAfterAndLimit(t *testing.T) {
	a := newAPI(t, textustest.WithFaults(textustest.Fault{
		Kind: textustest.FaultServerError, Rate: 1, Path: "/accounts", After: 1, Limit: 2,
	}))
	assert.Equal(t, []int{200, 503, 503, 200, 200}, statuses(t, a, 5))
	assert.Equal(t, "server-error", textustest.FaultServerError.String())
}

func TestFaultDropRequest(t *testing.T) {
	a := newAPI(t, textustest.WithFaults(textustest.Fault{
		Kind: textustest.FaultDropRequest, Rate: 1, Method: "POST", Limit: 1,
	}))
	path := "/" + a.srv.Account() + "/contacts"
	_, err := a.try("POST", path, map[string]any{"name": "Dropped"}, map[string]string{"Authorization": "Bearer " + a.srv.Token()})
	require.Error(t, err, "the connection is closed without a response")
	assert.Empty(t, a.srv.Contacts(), "nothing was done")

	reqs := a.srv.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, textustest.FaultDropRequest, reqs[0].Fault)
	assert.Equal(t, 0, reqs[0].Status)

	assert.Equal(t, http.StatusOK, a.do("POST", path, map[string]any{"name": "Kept"}).status)
	assert.Len(t, a.srv.Contacts(), 1)
}

func TestFaultLoseResponse(t *testing.T) {
	a := newAPI(t, textustest.WithFaults(textustest.Fault{
		Kind: textustest.FaultLoseResponse, Rate: 1, Method: "POST", Path: "/:account/messages", Limit: 1,
	}))
	path := "/" + a.srv.Account() + "/messages"
	_, err := a.try("POST", path, map[string]any{"to": "+13035551234", "body": "Only once"},
		map[string]string{"Authorization": "Bearer " + a.srv.Token()})
	require.Error(t, err, "the client sees a transport error")

	sent := a.srv.SentMessages()
	require.Len(t, sent, 1, "but the server sent the message")
	assert.Equal(t, "Only once", sent[0].Body)
	assert.Len(t, a.srv.Messages("+13035551234"), 1)

	reqs := a.srv.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, textustest.FaultLoseResponse, reqs[0].Fault)
	assert.Equal(t, 0, reqs[0].Status)
}
