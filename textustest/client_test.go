package textustest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textustest"
	"github.com/textus-go/textus/webhooks"
)

func newServer(t *testing.T, opts ...textustest.Option) *textustest.Server {
	t.Helper()
	srv := textustest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	t.Cleanup(cancel)
	return ctx
}

// countRequests counts the logged requests with the method and path.
func countRequests(srv *textustest.Server, method, path string) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

func TestClientCreateThenGet(t *testing.T) {
	srv := newServer(t)
	c := srv.Client()
	assert.Equal(t, srv.Account(), c.Account())
	ctx := testContext(t)

	created, err := c.Contacts.Create(ctx, &textus.ContactParams{
		Name:   "Cordell Walker",
		Phones: []textus.PhoneParams{{Number: "1-303-123-4567 x2921", Type: "Work"}},
		Data:   map[string]any{"businessName": "Texas Rangers"},
	})
	require.NoError(t, err)
	assert.Regexp(t, contactIRI, created.ID)
	assert.Equal(t, "Cordell", created.FirstName)
	assert.Equal(t, "Walker", created.LastName)
	assert.False(t, created.CreatedAt.IsZero())
	require.Len(t, created.Phones, 1)
	assert.Equal(t, "+13031234567", created.Phones[0].PhoneNumber)
	assert.Equal(t, "2921", created.Phones[0].Extension)
	assert.Equal(t, "(303) 123-4567", created.Phones[0].FormattedPhoneNumber)
	assert.Equal(t, "Work", created.Phones[0].Type)

	for _, id := range []string{created.ID, strings.TrimPrefix(created.ID, "/contacts/")} {
		got, err := c.Contacts.Get(ctx, id)
		require.NoError(t, err, id)
		assert.Equal(t, created.ID, got.ID)
		assert.Equal(t, created.Name, got.Name)
		assert.Equal(t, created.Phones[0].PhoneNumber, got.Phones[0].PhoneNumber)
		assert.Equal(t, "Texas Rangers", got.Data["businessName"])
		assert.True(t, created.CreatedAt.Equal(got.CreatedAt))
	}

	updated, err := c.Contacts.Update(ctx, created.ID, &textus.ContactParams{Name: "Chuck Norris"})
	require.NoError(t, err)
	assert.Equal(t, "Chuck Norris", updated.Name)
	got, err := c.Contacts.Get(ctx, created.ID)
	require.NoError(t, err)
	assert.Equal(t, "Chuck Norris", got.Name)

	_, err = c.Contacts.Get(ctx, "nope123")
	assert.ErrorIs(t, err, textus.ErrNotFound)
	var apiErr *textus.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusNotFound, apiErr.StatusCode)
	assert.Contains(t, apiErr.Message, "not found")

	// The account and rate state came through.
	acct, err := c.Accounts.Get(ctx, srv.Account())
	require.NoError(t, err)
	assert.Equal(t, srv.Account(), acct.Slug)
	assert.Equal(t, textustest.DefaultRateLimit, c.Rate().Limit)
	assert.Less(t, c.Rate().Remaining, textustest.DefaultRateLimit)
}

func TestClientPaging(t *testing.T) {
	srv := newServer(t, textustest.WithPageSize(25))
	c := srv.Client()
	ctx := testContext(t)
	var want []string
	for i := 0; i < 60; i++ {
		ct, err := c.Contacts.Create(ctx, &textus.ContactParams{
			Name:   fmt.Sprintf("Person %02d", i),
			Phones: []textus.PhoneParams{{Number: fmt.Sprintf("+1720555%04d", i), Type: "Mobile"}},
		})
		require.NoError(t, err)
		want = append(want, ct.ID)
	}
	listPath := "/" + srv.Account() + "/contacts"

	var got []string
	for ct, err := range c.Contacts.List(ctx, nil) {
		require.NoError(t, err)
		got = append(got, ct.ID)
	}
	assert.Equal(t, want, got)
	assert.Equal(t, 3, countRequests(srv, "GET", listPath), "three pages")

	// Breaking early fetches no further page.
	n := 0
	for _, err := range c.Contacts.List(ctx, nil) {
		require.NoError(t, err)
		n++
		if n == 5 {
			break
		}
	}
	assert.Equal(t, 4, countRequests(srv, "GET", listPath))

	// Page-level access with a resumable cursor.
	p1, err := c.Contacts.ListPage(ctx, nil, "")
	require.NoError(t, err)
	assert.Len(t, p1.Items, 25)
	assert.Equal(t, 60, p1.TotalItems)
	require.True(t, p1.HasNext())
	p2, err := c.Contacts.ListPage(ctx, nil, p1.NextCursor)
	require.NoError(t, err)
	p3, err := c.Contacts.ListPage(ctx, nil, p2.NextCursor)
	require.NoError(t, err)
	assert.Len(t, p3.Items, 10)
	assert.False(t, p3.HasNext())
	assert.Equal(t, want[50], p3.Items[0].ID)

	// Search goes through the contact filter.
	var found []string
	for ct, err := range c.Contacts.List(ctx, &textus.ContactListOptions{Query: "720555000"}) {
		require.NoError(t, err)
		found = append(found, ct.Name)
	}
	assert.Len(t, found, 10)
	assert.Equal(t, "Person 00", found[0])
}

func TestClientSendTimelineAndOptOut(t *testing.T) {
	srv := newServer(t, textustest.WithPageSize(2))
	c := srv.Client()
	ctx := testContext(t)
	phone := "+13035551234"

	msg, err := c.Messages.Send(ctx, &textus.SendMessageParams{To: "(303) 555-1234", Body: "Your appointment is confirmed."})
	require.NoError(t, err)
	assert.Equal(t, textus.DirectionOut, msg.Direction)
	assert.Equal(t, textus.DeliveryQueued, msg.DeliveryState)
	assert.NotEmpty(t, msg.Conversation)
	assert.False(t, msg.Time().IsZero())

	got, err := c.Messages.Get(ctx, msg.ID)
	require.NoError(t, err)
	assert.Equal(t, textus.DeliveryDelivered, got.DeliveryState)

	_, err = srv.ReceiveMessage(phone, "Thanks!")
	require.NoError(t, err)
	_, err = c.Messages.Send(ctx, &textus.SendMessageParams{To: phone, Body: "See you", From: srv.PhoneNumber()})
	require.NoError(t, err)

	conv, err := c.Conversations.GetByPhone(ctx, phone)
	require.NoError(t, err)
	assert.Equal(t, msg.Conversation, conv.ID)
	assert.Equal(t, phone, conv.PhoneNumber)
	assert.Equal(t, textus.ConversationOpen, conv.CurrentState)

	var bodies []string
	for m, err := range c.Conversations.Timeline(ctx, conv.ID) {
		require.NoError(t, err)
		bodies = append(bodies, m.Body)
	}
	assert.Equal(t, []string{"See you", "Thanks!", "Your appointment is confirmed."}, bodies, "newest first, over two pages")

	// Opt-out through the API, then the send is refused.
	oo, err := c.OptOuts.Create(ctx, phone)
	require.NoError(t, err)
	assert.Equal(t, "/textus/opt_outs/"+phone, oo.ID)
	assert.Equal(t, phone, oo.PhoneNumber)
	_, err = c.OptOuts.Create(ctx, phone)
	require.NoError(t, err, "safe to repeat")
	opted, err := c.OptOuts.IsOptedOut(ctx, phone)
	require.NoError(t, err)
	assert.True(t, opted)
	opted, err = c.OptOuts.IsOptedOut(ctx, "+17205550000")
	require.NoError(t, err)
	assert.False(t, opted)
	_, err = c.OptOuts.Get(ctx, "+17205550000")
	assert.ErrorIs(t, err, textus.ErrNotFound)

	var listed []string
	for o, err := range c.OptOuts.List(ctx, &textus.OptOutListOptions{Exact: []string{phone}}) {
		require.NoError(t, err)
		listed = append(listed, o.PhoneNumber)
	}
	assert.Equal(t, []string{phone}, listed)

	before := len(srv.SentMessages())
	_, err = c.Messages.Send(ctx, &textus.SendMessageParams{To: phone, Body: "One more thing"})
	require.ErrorIs(t, err, textus.ErrValidation)
	assert.Contains(t, err.Error(), phone+" has opted out of messages")
	assert.Len(t, srv.SentMessages(), before, "the refused send is not recorded")

	// START opts back in.
	_, err = srv.ReceiveMessage(phone, "start")
	require.NoError(t, err)
	opted, err = c.OptOuts.IsOptedOut(ctx, phone)
	require.NoError(t, err)
	assert.False(t, opted)
	_, err = c.Messages.Send(ctx, &textus.SendMessageParams{To: phone, Body: "Welcome back"})
	require.NoError(t, err)
}

func TestClientLostResponseIsNotRetried(t *testing.T) {
	srv := newServer(t, textustest.WithFaults(textustest.Fault{
		Kind: textustest.FaultLoseResponse, Rate: 1, Method: "POST", Path: "/:account/messages",
	}))
	c := srv.Client(textus.WithMaxRetries(5))
	ctx := testContext(t)

	_, err := c.Messages.Send(ctx, &textus.SendMessageParams{To: "+13035551234", Body: "Exactly once"})
	require.Error(t, err)
	assert.ErrorIs(t, err, textus.ErrOutcomeUnknown)
	sent := srv.SentMessages()
	require.Len(t, sent, 1, "the server sent it although the client saw an error")
	assert.Equal(t, "Exactly once", sent[0].Body)
	assert.Equal(t, 1, countRequests(srv, "POST", "/"+srv.Account()+"/messages"), "the SDK did not send it again")

	// The caller can find out from the timeline.
	conv, err := c.Conversations.GetByPhone(ctx, "+13035551234")
	require.NoError(t, err)
	for m, err := range c.Conversations.Timeline(ctx, conv.ID) {
		require.NoError(t, err)
		assert.Equal(t, "Exactly once", m.Body)
	}
}

func TestClientFaultsAtARate(t *testing.T) {
	// A third of the sends fail in each of the three ways; the suite's
	// promise is that no message is ever sent twice.
	srv := newServer(t, textustest.WithSeed(42), textustest.WithFaults(
		textustest.Fault{Kind: textustest.FaultServerError, Rate: 0.2, Method: "POST", Path: "/:account/messages"},
		textustest.Fault{Kind: textustest.FaultDropRequest, Rate: 0.2, Method: "POST", Path: "/:account/messages"},
		textustest.Fault{Kind: textustest.FaultLoseResponse, Rate: 0.2, Method: "POST", Path: "/:account/messages"},
	))
	c := srv.Client()
	ctx := testContext(t)
	var ok, unknown int
	for i := 0; i < 30; i++ {
		_, err := c.Messages.Send(ctx, &textus.SendMessageParams{To: "+13035551234", Body: fmt.Sprintf("message %d", i)})
		switch {
		case err == nil:
			ok++
		case errors.Is(err, textus.ErrOutcomeUnknown):
			unknown++
		default:
			t.Fatalf("send %d: unexpected error %v", i, err)
		}
	}
	assert.Equal(t, 30, ok+unknown)
	assert.Positive(t, unknown)
	seen := map[string]int{}
	for _, m := range srv.SentMessages() {
		seen[m.Body]++
	}
	for body, n := range seen {
		assert.Equal(t, 1, n, "%q sent %d times", body, n)
	}
	kinds := map[textustest.FaultKind]int{}
	for _, r := range srv.Requests() {
		kinds[r.Fault]++
	}
	assert.Equal(t, 30, kinds[textustest.FaultNone]+kinds[textustest.FaultServerError]+
		kinds[textustest.FaultDropRequest]+kinds[textustest.FaultLoseResponse], "one request per send")
	assert.Equal(t, ok+kinds[textustest.FaultLoseResponse], len(srv.SentMessages()))
}

func TestClientRetriesIdempotentRequests(t *testing.T) {
	srv := newServer(t)
	c := srv.Client()
	ctx := testContext(t)
	ct, err := c.Contacts.Create(ctx, &textus.ContactParams{Name: "Retry Me"})
	require.NoError(t, err)
	path := "/contacts/" + strings.TrimPrefix(ct.ID, "/contacts/")

	srv.SetFaults(textustest.Fault{Kind: textustest.FaultServerError, Rate: 1, Method: "GET", Path: "/contacts/:id", Limit: 2})
	got, err := c.Contacts.Get(ctx, ct.ID)
	require.NoError(t, err, "GET is retried after a 503")
	assert.Equal(t, "Retry Me", got.Name)
	assert.Equal(t, 3, countRequests(srv, "GET", path))

	// POST on a 503 is not retried: the outcome is unknown to the client.
	srv.SetFaults(textustest.Fault{Kind: textustest.FaultServerError, Rate: 1, Method: "POST"})
	_, err = c.Messages.Send(ctx, &textus.SendMessageParams{To: "+13035551234", Body: "hi"})
	require.ErrorIs(t, err, textus.ErrOutcomeUnknown)
	assert.Empty(t, srv.SentMessages())
}

// The server's own client keeps within the server's budget: it paces
// itself and waits out a window rather than failing.
func TestClientPacesWithinServerRateLimit(t *testing.T) {
	t.Run("five a second", func(t *testing.T) {
		t.Parallel() // it waits out three windows
		srv := newServer(t, textustest.WithRateLimit(5, time.Second))
		c := srv.Client()
		ctx := testContext(t)
		ct, err := c.Contacts.Create(ctx, &textus.ContactParams{Name: "Paced"})
		require.NoError(t, err)
		for i := 0; i < 20; i++ {
			_, err := c.Contacts.Get(ctx, ct.ID)
			require.NoError(t, err, "call %d", i+1)
		}
		for _, r := range srv.Requests() {
			assert.NotEqual(t, http.StatusTooManyRequests, r.Status, "%s %s: paced, never refused", r.Method, r.Path)
		}
	})
	// A window longer than the SDK's own longest wait (textus.WithRetryWait)
	// is waited out all the same.
	t.Run("one in two seconds", func(t *testing.T) {
		t.Parallel()
		const per = 2 * time.Second
		srv := newServer(t, textustest.WithRateLimit(1, per))
		c := srv.Client()
		ctx := testContext(t)
		// Begin with a fresh window (they are aligned to the Unix epoch),
		// so that the second call has most of it to wait.
		time.Sleep(per - time.Duration(time.Now().UnixNano()%int64(per)))
		for i := 0; i < 2; i++ {
			_, err := c.Accounts.Get(ctx, srv.Account())
			require.NoError(t, err, "call %d", i+1)
		}
		assert.Len(t, srv.Requests(), 2, "no request refused and retried")
	})
}

// A client told not to wait that long gets ErrRateLimited at once, without
// sending.
func TestClientRateLimited(t *testing.T) {
	srv := newServer(t, textustest.WithRateLimit(2, centuryWindow))
	// Without client pacing, so that the server's budget runs out and the
	// client's rule for X-RateLimit-Remaining: 0 is what stops the call.
	c := srv.Client(textus.WithRateLimit(0, 0), textus.WithRetryWait(10*time.Millisecond, time.Second))
	ctx := testContext(t)
	for i := 0; i < 2; i++ {
		_, err := c.Accounts.Get(ctx, srv.Account())
		require.NoError(t, err)
	}
	rate := c.Rate()
	assert.Equal(t, 2, rate.Limit)
	assert.Equal(t, 0, rate.Remaining)
	assert.Zero(t, rate.Reset.Unix()%int64(centuryWindow/time.Second), "the window ends on a multiple of its length: %v", rate.Reset)
	assert.True(t, rate.Reset.After(time.Now()), "reset %v", rate.Reset)

	_, err := c.Accounts.Get(ctx, srv.Account())
	require.ErrorIs(t, err, textus.ErrRateLimited)
	assert.Len(t, srv.Requests(), 2, "the third call was not sent")
}

func TestClientWebhooks(t *testing.T) {
	srv := newServer(t)
	c := srv.Client()
	ctx := testContext(t)

	// The handler needs the secret, which Create returns; mount it behind a
	// switch.
	var mu sync.Mutex
	var handler http.Handler = http.NotFoundHandler()
	hook := newLoopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		h := handler
		mu.Unlock()
		h.ServeHTTP(w, r)
	}))

	wh, err := c.Webhooks.Create(ctx, &textus.WebhookParams{URL: hook.url + "/textus", Events: textus.AllEvents()})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(wh.Secret, "textus-"))
	assert.True(t, wh.Active)
	assert.True(t, wh.Healthy)
	assert.ElementsMatch(t, textus.AllEvents(), wh.Events)

	var events []string
	record := func(s string) { mu.Lock(); events = append(events, s); mu.Unlock() }
	h, err := webhooks.NewHandler(wh.Secret)
	require.NoError(t, err)
	h.OnMessageReceived(func(_ context.Context, e *textus.MessageEvent) error {
		record("received " + e.Conversation.PhoneNumber + " " + e.Message.Body)
		return nil
	})
	h.OnMessageDelivered(func(_ context.Context, e *textus.MessageEvent) error {
		record("delivered " + e.Message.Body)
		return nil
	})
	h.OnContactOptedOut(func(_ context.Context, e *textus.OptOutEvent) error {
		record("opted out " + e.PhoneNumber())
		return nil
	})
	h.OnContactCreated(func(_ context.Context, e *textus.ContactEvent) error {
		record("created " + e.Contact.Phones[0].PhoneNumber)
		return nil
	})
	mu.Lock()
	handler = h
	mu.Unlock()

	_, err = c.Messages.Send(ctx, &textus.SendMessageParams{To: "+13035551234", Body: "Interview at 3?"})
	require.NoError(t, err)
	_, err = srv.ReceiveMessage("+13035551234", "Yes")
	require.NoError(t, err)
	_, err = srv.ReceiveMessage("+13035551234", "STOP")
	require.NoError(t, err)
	waitIdle(t, srv)

	mu.Lock()
	assert.Equal(t, []string{
		"delivered Interview at 3?",
		"created +13035551234",
		"received +13035551234 Yes",
		"received +13035551234 STOP",
		"opted out +13035551234",
	}, events)
	mu.Unlock()
	for _, d := range srv.Deliveries() {
		assert.True(t, d.Delivered, "%s got %v", d.Action, d.Statuses)
	}

	// Update and List.
	off := false
	upd, err := c.Webhooks.Update(ctx, wh.ID, &textus.WebhookParams{Active: &off})
	require.NoError(t, err)
	assert.False(t, upd.Active)
	assert.Equal(t, wh.Secret, upd.Secret)
	var ids []string
	for w, err := range c.Webhooks.List(ctx) {
		require.NoError(t, err)
		ids = append(ids, w.ID)
	}
	assert.Equal(t, []string{wh.ID}, ids)
}

func TestClientPanicsOnInvalidOption(t *testing.T) {
	srv := newServer(t)
	_, err := srv.NewClient(textus.WithMaxRetries(-1))
	require.Error(t, err, "NewClient returns the error")
	assert.PanicsWithValue(t,
		"textustest: Server.Client: "+err.Error()+" (Server.NewClient returns this error instead of panicking)",
		func() { srv.Client(textus.WithUserAgent("acme/1.0"), textus.WithMaxRetries(-1)) },
		"an invalid option is never dropped")

	c := srv.Client(textus.WithUserAgent("acme/1.0"))
	_, err = c.Accounts.Get(testContext(t), srv.Account())
	require.NoError(t, err, "valid options make a working client")
}
