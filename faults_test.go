package textus_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textustest"
)

// The never-resend rule of the creating POSTs (campaigns, notes, saved
// replies), checked against the fake server with injected faults: a request
// that may have reached TextUs is never sent again, and one that provably
// did not (a refused connection, a 429) is.

// campaignTargets makes two contacts on the fake (without HTTP) and
// returns their contact phone IDs.
func campaignTargets(t *testing.T, srv *textustest.Server) []string {
	t.Helper()
	for _, p := range []string{"+13035550142", "+13035550143"} {
		_, err := srv.ReceiveMessage(p, "hello")
		require.NoError(t, err)
	}
	var ids []string
	for _, c := range srv.Contacts() {
		ids = append(ids, c.Phones[0].ID)
	}
	require.Len(t, ids, 2)
	return ids
}

func countRequests(srv *textustest.Server, method, path string) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

func TestCampaignsCreateNeverResentUnderFaults(t *testing.T) {
	cases := []struct {
		name    string
		fault   textustest.Fault
		created int // campaigns the server made
	}{
		{"response lost after the campaign was made",
			textustest.Fault{Kind: textustest.FaultLoseResponse, Rate: 1, Method: "POST", Path: "/:account/campaigns"}, 1},
		{"503 before acting",
			textustest.Fault{Kind: textustest.FaultServerError, Rate: 1, Method: "POST", Path: "/:account/campaigns"}, 0},
		{"500 before acting",
			textustest.Fault{Kind: textustest.FaultServerError, Status: 500, Rate: 1, Method: "POST", Path: "/:account/campaigns"}, 0},
		{"connection dropped before the request was read",
			textustest.Fault{Kind: textustest.FaultDropRequest, Rate: 1, Method: "POST", Path: "/:account/campaigns"}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := textustest.NewServer()
			defer srv.Close()
			recipients := campaignTargets(t, srv)
			sentBefore := len(srv.SentMessages())
			srv.SetFaults(tc.fault)
			c := srv.Client(textus.WithMaxRetries(5))

			cp, err := c.Campaigns.Create(context.Background(), &textus.CampaignParams{
				Title: "Open house", MessageBody: "Come by at 3pm", Recipients: recipients,
			})
			require.Error(t, err)
			assert.Nil(t, cp)
			assert.True(t, errors.Is(err, textus.ErrOutcomeUnknown), "outcome unknown: %v", err)
			assert.Equal(t, 1, countRequests(srv, "POST", "/"+srv.Account()+"/campaigns"), "sent once, never again")
			assert.Len(t, srv.Campaigns(), tc.created)
			assert.Len(t, srv.SentMessages(), sentBefore+2*tc.created, "one text per recipient, once")
		})
	}
}

func TestCampaignsCreateRetriedWhenRateLimited(t *testing.T) {
	srv := textustest.NewServer(textustest.WithRateLimit(1, time.Second))
	defer srv.Close()
	recipients := campaignTargets(t, srv)
	ctx := context.Background()
	// The window is a whole second; start early in one, so that both
	// requests fall in it.
	if into := time.Duration(time.Now().UnixNano()) % time.Second; into > 600*time.Millisecond {
		time.Sleep(time.Second - into + 10*time.Millisecond)
	}
	// Another client spends the window's budget; this one, which has not
	// seen the exhausted budget and does not pace itself, creates in the
	// same window. The POST is refused with 429 until the next window; the
	// refusal says the server did nothing, so the POST is sent again.
	_, err := srv.Client().Accounts.Get(ctx, srv.Account())
	require.NoError(t, err)
	c := srv.Client(textus.WithRateLimit(0, 0))
	cp, err := c.Campaigns.Create(ctx, &textus.CampaignParams{Title: "T", MessageBody: "B", Recipients: recipients})
	require.NoError(t, err)
	assert.Len(t, srv.Campaigns(), 1)
	assert.Equal(t, srv.Campaigns()[0].ID, cp.ID)
	var statuses []int
	for _, r := range srv.Requests() {
		if r.Method == "POST" {
			statuses = append(statuses, r.Status)
		}
	}
	require.GreaterOrEqual(t, len(statuses), 2)
	assert.Equal(t, http.StatusTooManyRequests, statuses[0])
	assert.Equal(t, http.StatusCreated, statuses[len(statuses)-1])
}

// refuseFirstDial fails the first n requests as a refused connection, as
// when nothing listens yet, then hands requests to the default transport.
type refuseFirstDial struct {
	n    atomic.Int32
	next http.RoundTripper
}

func (r *refuseFirstDial) RoundTrip(req *http.Request) (*http.Response, error) {
	if r.n.Add(-1) >= 0 {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	}
	return r.next.RoundTrip(req)
}

func TestCampaignsCreateRetriedWhenRefused(t *testing.T) {
	srv := textustest.NewServer()
	defer srv.Close()
	recipients := campaignTargets(t, srv)
	tr := &refuseFirstDial{next: http.DefaultTransport}
	tr.n.Store(2)
	c := srv.Client(textus.WithHTTPClient(&http.Client{Transport: tr}))
	cp, err := c.Campaigns.Create(context.Background(), &textus.CampaignParams{Title: "T", MessageBody: "B", Recipients: recipients})
	require.NoError(t, err, "a refused connection proves the request never left")
	assert.NotEmpty(t, cp.ID)
	assert.Len(t, srv.Campaigns(), 1)
	assert.Equal(t, 1, countRequests(srv, "POST", "/"+srv.Account()+"/campaigns"))
}

// Notes and saved replies follow the same rule.
func TestNotesAndSavedRepliesNeverResentUnderFaults(t *testing.T) {
	srv := textustest.NewServer()
	defer srv.Close()
	c := srv.Client(textus.WithMaxRetries(5))
	ctx := context.Background()
	ct, err := c.Contacts.Create(ctx, &textus.ContactParams{Name: "Jordan Lee"})
	require.NoError(t, err)
	users, errs := collect(c.Users.List(ctx, nil))
	require.Empty(t, errs)
	me := users[0].ID

	srv.SetFaults(textustest.Fault{Kind: textustest.FaultLoseResponse, Rate: 1, Method: "POST"})
	_, err = c.Contacts.CreateNote(ctx, ct.ID, "Prefers mornings")
	require.ErrorIs(t, err, textus.ErrOutcomeUnknown)
	assert.Len(t, srv.Notes(ct.ID), 1, "made once, not again")

	_, err = c.SavedReplies.Create(ctx, me, &textus.SavedReplyParams{Title: "Hours", Content: "Open 9 to 5"})
	require.ErrorIs(t, err, textus.ErrOutcomeUnknown)
	assert.Len(t, srv.SavedReplies(), 1)

	// A PUT is safe to repeat: after a 503 it is sent again.
	srv.SetFaults(textustest.Fault{Kind: textustest.FaultServerError, Rate: 1, Method: "PUT", Limit: 1})
	r, err := c.SavedReplies.Update(ctx, srv.SavedReplies()[0].ID, &textus.SavedReplyParams{Content: "Open 8 to 6"})
	require.NoError(t, err)
	assert.Equal(t, "Open 8 to 6", r.Content)
}

func collect[T any](seq func(func(T, error) bool)) ([]T, []error) {
	var items []T
	var errs []error
	for v, err := range seq {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		items = append(items, v)
	}
	return items, errs
}
