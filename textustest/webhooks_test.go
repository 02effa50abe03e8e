package textustest_test

import (
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textustest"
	"github.com/textus-go/textus/webhooks"
)

func allActions(on bool) map[string]bool {
	m := map[string]bool{}
	for _, e := range textus.AllEvents() {
		m[string(e)] = on
	}
	return m
}

// subscribe creates a webhook integration through the API and returns its
// id and secret.
func (a *api) subscribe(url string, actions map[string]bool) (id, secret string) {
	a.t.Helper()
	r := a.do("POST", "/"+a.srv.Account()+"/integrations", map[string]any{
		"@type": "Integration", "@context": "/contexts/Integration.jsonld",
		"provider": "webhook", "active": true,
		"config":   map[string]any{"baseUrl": url},
		"settings": map[string]any{"actions": actions},
	})
	require.Equal(a.t, http.StatusCreated, r.status, "%s", r.body)
	m := r.json(a.t)
	return m["id"].(string), m["config"].(map[string]any)["webhookSecret"].(string)
}

var deliveryID = regexp.MustCompile(`^/integrations/[A-Za-z0-9]{7}/deliveries/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestIntegrationEndpoints(t *testing.T) {
	a := newAPI(t)
	acct := "/" + a.srv.Account()
	r := a.do("POST", acct+"/integrations", map[string]any{
		"provider": "webhook", "active": true,
		"config":   map[string]any{"baseUrl": "https://example.com/textus/webhook"},
		"settings": map[string]any{"actions": map[string]bool{"message.received": true, "contact.opted-out": true}},
	})
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	m := r.json(t)
	assert.Equal(t, "Integration", m["@type"])
	assert.Equal(t, "/contexts/Integration.jsonld", m["@context"])
	id := m["id"].(string)
	assert.Regexp(t, `^/integrations/[A-Za-z0-9]{7}$`, id)
	assert.Equal(t, "webhook", m["provider"])
	assert.Equal(t, true, m["active"])
	assert.Equal(t, true, m["isHealthy"])
	assert.Equal(t, false, m["ipaas"])
	assert.Nil(t, m["category"])
	cfg := m["config"].(map[string]any)
	assert.Equal(t, "https://example.com/textus/webhook", cfg["baseUrl"])
	secret := cfg["webhookSecret"].(string)
	assert.Regexp(t, `^textus-[A-Za-z0-9_-]{22}$`, secret)
	actions := m["settings"].(map[string]any)["actions"].(map[string]any)
	assert.Len(t, actions, len(textus.AllEvents()), "every action is listed")
	assert.Equal(t, true, actions["message.received"])
	assert.Equal(t, true, actions["contact.opted_out"], "hyphenated alias stored under the wire name")
	assert.Equal(t, false, actions["message.delivered"])

	// Update: any subset; the secret never changes.
	u := a.do("PUT", id, map[string]any{
		"active":   false,
		"config":   map[string]any{"baseUrl": "https://example.com/other", "clientSecret": "shh"},
		"settings": map[string]any{"actions": map[string]bool{"message.delivered": true}},
	})
	require.Equal(t, http.StatusOK, u.status, "%s", u.body)
	um := u.json(t)
	assert.Equal(t, false, um["active"])
	ucfg := um["config"].(map[string]any)
	assert.Equal(t, "https://example.com/other", ucfg["baseUrl"])
	assert.Equal(t, secret, ucfg["webhookSecret"])
	assert.Equal(t, "[FILTERED]", ucfg["clientSecret"])
	uact := um["settings"].(map[string]any)["actions"].(map[string]any)
	assert.Equal(t, true, uact["message.delivered"])
	assert.Equal(t, true, uact["message.received"], "actions not named are unchanged")

	u = a.do("PUT", id, map[string]any{"active": true})
	require.Equal(t, http.StatusOK, u.status)
	assert.Equal(t, "https://example.com/other", u.json(t)["config"].(map[string]any)["baseUrl"])

	list := a.pages(acct + "/integrations")
	assert.Equal(t, []string{id}, memberIDs(list))

	for name, body := range map[string]any{
		"provider": map[string]any{"provider": "zapier", "config": map[string]any{"baseUrl": "https://example.com"}},
		"no url":   map[string]any{"provider": "webhook"},
		"bad url":  map[string]any{"provider": "webhook", "config": map[string]any{"baseUrl": "example.com/hook"}},
		"action": map[string]any{"provider": "webhook", "config": map[string]any{"baseUrl": "https://example.com"},
			"settings": map[string]any{"actions": map[string]bool{"message.sent": true}}},
	} {
		requireError(t, a.do("POST", acct+"/integrations", body), http.StatusUnprocessableEntity)
		_ = name
	}
	requireError(t, a.do("PUT", id, map[string]any{"config": map[string]any{"baseUrl": "ftp://x"}}), http.StatusUnprocessableEntity)

	hooks := a.srv.Webhooks()
	require.Len(t, hooks, 1)
	assert.Equal(t, secret, hooks[0].Secret)
}

func TestWebhookDeliveries(t *testing.T) {
	rc := newReceiver(t, nil)
	a := newAPI(t, textustest.WithUndeliverable("+17205550123"))
	hookID, secret := a.subscribe(rc.url, allActions(true))
	acct := "/" + a.srv.Account()

	r := a.do("POST", acct+"/contacts", map[string]any{"name": "Jane Doe", "phones": []map[string]any{{"number": "303-555-1234"}}})
	require.Equal(t, http.StatusOK, r.status)
	contactID := r.json(t)["id"].(string)
	waitIdle(t, a.srv)
	s := a.do("POST", acct+"/messages", map[string]any{"to": "+13035551234", "body": "Hi Jane"})
	require.Equal(t, http.StatusCreated, s.status)
	waitIdle(t, a.srv)
	in, err := a.srv.ReceiveMessage("+13035551234", "Hi back")
	require.NoError(t, err)
	waitIdle(t, a.srv)
	_, err = a.srv.ReceiveMessage("+13035551234", "STOP")
	require.NoError(t, err)
	waitIdle(t, a.srv)
	_, err = a.srv.ReceiveMessage("+13035551234", "START")
	require.NoError(t, err)
	waitIdle(t, a.srv)
	f := a.do("POST", acct+"/messages", map[string]any{"to": "+17205550123", "body": "Landline?"})
	require.Equal(t, http.StatusCreated, f.status)
	waitIdle(t, a.srv)

	got := rc.received()
	assert.Equal(t, []string{
		"contact.created", "message.delivered", "message.received",
		"message.received", "contact.opted_out", "message.received", "contact.opted_in",
		"message.failed",
	}, rc.actions())

	ids := map[string]bool{}
	for _, d := range got {
		// Signed with the integration's secret over the exact body.
		require.NoError(t, webhooks.Verify(d.body, d.signature, secret))
		assert.Equal(t, webhooks.Sign(secret, d.body), d.signature)
		assert.Error(t, webhooks.Verify(d.body, d.signature, "textus-other"))

		env := d.envelope
		switch env["action"] {
		case "contact.opted_out", "contact.opted_in":
			assert.Equal(t, "OptOutWebhookDelivery", env["@type"])
		default:
			assert.Equal(t, "WebhookDelivery", env["@type"])
		}
		assert.Equal(t, "/contexts/WebhookDelivery.jsonld", env["@context"])
		assert.Regexp(t, deliveryID, env["id"])
		assert.Regexp(t, "^"+hookID+"/deliveries/", env["id"])
		assert.False(t, ids[env["id"].(string)], "ids are unique")
		ids[env["id"].(string)] = true
		assert.Regexp(t, stamp, env["timestamp"])
		assert.Equal(t, hookID, env["webHook"])
		assert.Equal(t, "application/json", d.header.Get("Content-Type"))

		// The SDK parses every delivery.
		ev, err := textus.ParseEvent(d.body)
		require.NoError(t, err)
		switch env["action"] {
		case "message.delivered", "message.received", "message.failed":
			me, ok := ev.(*textus.MessageEvent)
			require.True(t, ok, "%T", ev)
			require.NotNil(t, me.Conversation)
			require.NotNil(t, me.Message)
			assert.Equal(t, me.Conversation.ID, me.Message.Conversation)
			assert.Equal(t, a.srv.PhoneNumber(), me.Conversation.AccountPhoneNumber)
			conv := env["conversation"].(map[string]any)
			assert.Equal(t, "Conversation", conv["@type"])
			assert.IsType(t, "", env["message"].(map[string]any)["conversation"], "conversation is an IRI inside the message")
		case "contact.opted_out", "contact.opted_in":
			oe, ok := ev.(*textus.OptOutEvent)
			require.True(t, ok, "%T", ev)
			assert.Equal(t, "+13035551234", oe.PhoneNumber())
			o := env["optOut"].(map[string]any)
			assert.Equal(t, "OptOut", o["@type"])
			assert.Equal(t, "/textus/opt_outs/+13035551234", o["id"])
			assert.Equal(t, "(303) 555-1234", o["formattedPhoneNumber"])
			assert.Equal(t, "/accounts/"+a.srv.Account(), o["account"])
			if env["action"] == "contact.opted_out" {
				assert.Equal(t, "opt-out", o["type"])
			} else {
				assert.Equal(t, "opt-in", o["type"])
			}
		case "contact.created":
			ce, ok := ev.(*textus.ContactEvent)
			require.True(t, ok, "%T", ev)
			require.NotNil(t, ce.Contact)
			assert.Equal(t, contactID, ce.Contact.ID)
			assert.Equal(t, "Jane Doe", ce.Contact.Name)
		}
	}
	delivered := got[1].envelope["message"].(map[string]any)
	assert.Equal(t, s.json(t)["id"], delivered["id"])
	assert.Equal(t, "delivered", delivered["deliveryState"])
	received := got[2].envelope["message"].(map[string]any)
	assert.Equal(t, in.ID, received["id"])
	assert.Equal(t, "in", received["direction"])
	failed := got[7].envelope["message"].(map[string]any)
	assert.Equal(t, "failed", failed["deliveryState"])

	ds := a.srv.Deliveries()
	require.Len(t, ds, len(got))
	for i, d := range ds {
		assert.True(t, d.Delivered && d.Done)
		assert.Equal(t, 1, d.Attempts)
		assert.Equal(t, []int{200}, d.Statuses)
		assert.Equal(t, got[i].envelope["id"], d.ID)
		assert.Equal(t, hookID, d.Webhook)
		assert.Equal(t, rc.url, d.URL)
		assert.Equal(t, got[i].body, d.Body)
	}
}

func TestWebhookSubscriptionFiltering(t *testing.T) {
	rcAll := newReceiver(t, nil)
	rcRecv := newReceiver(t, nil)
	rcOff := newReceiver(t, nil)
	a := newAPI(t)
	allID, _ := a.subscribe(rcAll.url, allActions(true))
	a.subscribe(rcRecv.url, map[string]bool{"message.received": true, "message.delivered": false})
	offID, _ := a.subscribe(rcOff.url, allActions(true))
	require.Equal(t, http.StatusOK, a.do("PUT", offID, map[string]any{"active": false}).status)

	_, err := a.srv.ReceiveMessage("+13035551234", "hello")
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, a.do("POST", "/"+a.srv.Account()+"/messages",
		map[string]any{"to": "+13035551234", "body": "hi"}).status)
	waitIdle(t, a.srv)

	assert.Equal(t, []string{"contact.created", "message.received", "message.delivered"}, rcAll.actions())
	assert.Equal(t, []string{"message.received"}, rcRecv.actions())
	assert.Empty(t, rcOff.actions())

	// Turning a subscription off stops its deliveries.
	require.Equal(t, http.StatusOK, a.do("PUT", allID, map[string]any{"active": false}).status)
	_, err = a.srv.ReceiveMessage("+13035551234", "anyone?")
	require.NoError(t, err)
	waitIdle(t, a.srv)
	assert.Len(t, rcAll.actions(), 3)
	assert.Len(t, rcRecv.actions(), 2)
}

func TestWebhookRetriesWithSameID(t *testing.T) {
	rc := newReceiver(t, func(n int, _ received) int {
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	a := newAPI(t, textustest.WithWebhookRetry(5, time.Millisecond, 10*time.Millisecond))
	a.subscribe(rc.url, map[string]bool{"message.received": true})
	_, err := a.srv.ReceiveMessage("+13035551234", "hello")
	require.NoError(t, err)
	waitIdle(t, a.srv)

	got := rc.received()
	require.Len(t, got, 3)
	for _, g := range got[1:] {
		assert.Equal(t, got[0].envelope["id"], g.envelope["id"], "a retry carries the same delivery id")
		assert.Equal(t, got[0].body, g.body, "and the same body")
		assert.Equal(t, got[0].signature, g.signature)
	}
	ds := a.srv.Deliveries()
	require.Len(t, ds, 1)
	assert.Equal(t, 3, ds[0].Attempts)
	assert.Equal(t, []int{500, 500, 200}, ds[0].Statuses)
	assert.True(t, ds[0].Delivered)
}

func TestWebhookGivesUpAndMarksUnhealthy(t *testing.T) {
	var fail sync.Mutex
	failing := true
	rc := newReceiver(t, func(int, received) int {
		fail.Lock()
		defer fail.Unlock()
		if failing {
			return http.StatusServiceUnavailable
		}
		return http.StatusNoContent
	})
	a := newAPI(t, textustest.WithWebhookRetry(3, time.Millisecond, 5*time.Millisecond))
	id, _ := a.subscribe(rc.url, map[string]bool{"message.received": true})
	_, err := a.srv.ReceiveMessage("+13035551234", "hello")
	require.NoError(t, err)
	waitIdle(t, a.srv)

	require.Len(t, rc.received(), 3, "three attempts in all")
	ds := a.srv.Deliveries()
	require.Len(t, ds, 1)
	assert.False(t, ds[0].Delivered)
	assert.True(t, ds[0].Done)
	assert.Equal(t, []int{503, 503, 503}, ds[0].Statuses)
	healthy := func() any {
		for _, p := range a.pages("/" + a.srv.Account() + "/integrations") {
			for _, m := range p["members"].([]any) {
				if m.(map[string]any)["id"] == id {
					return m.(map[string]any)["isHealthy"]
				}
			}
		}
		return nil
	}
	assert.Equal(t, false, healthy())

	fail.Lock()
	failing = false
	fail.Unlock()
	_, err = a.srv.ReceiveMessage("+13035551234", "again")
	require.NoError(t, err)
	waitIdle(t, a.srv)
	assert.Equal(t, true, healthy(), "a later success makes it healthy again")
}

func TestWebhookOrderingPerConversation(t *testing.T) {
	// The receiver fails the first attempt of every delivery, so any
	// reordering by retries would show.
	seen := map[string]bool{}
	var mu sync.Mutex
	rc := newReceiver(t, func(_ int, r received) int {
		mu.Lock()
		defer mu.Unlock()
		id, _ := r.envelope["id"].(string)
		if !seen[id] {
			seen[id] = true
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	a := newAPI(t, textustest.WithWebhookRetry(5, time.Millisecond, 5*time.Millisecond))
	a.subscribe(rc.url, map[string]bool{"message.received": true})

	phones := []string{"+13035550001", "+13035550002", "+13035550003"}
	want := map[string][]string{}
	for i := 0; i < 8; i++ {
		for _, p := range phones {
			m, err := a.srv.ReceiveMessage(p, "msg")
			require.NoError(t, err)
			want[p] = append(want[p], m.ID)
		}
	}
	waitIdle(t, a.srv)

	got := map[string][]string{}
	for _, r := range rc.received() {
		if r.envelope["id"] == nil || !seen[r.envelope["id"].(string)] {
			continue
		}
		conv := r.envelope["conversation"].(map[string]any)
		msg := r.envelope["message"].(map[string]any)
		p := conv["phoneNumber"].(string)
		id := msg["id"].(string)
		if n := len(got[p]); n > 0 && got[p][n-1] == id {
			continue // the successful retry of the previous attempt
		}
		got[p] = append(got[p], id)
	}
	assert.Equal(t, want, got)
}

func TestWebhookConversationsDoNotBlockEachOther(t *testing.T) {
	release := make(chan struct{})
	rc := newReceiver(t, func(_ int, r received) int {
		conv, _ := r.envelope["conversation"].(map[string]any)
		if conv["phoneNumber"] == "+13035550001" {
			<-release
		}
		return http.StatusOK
	})
	a := newAPI(t)
	a.subscribe(rc.url, map[string]bool{"message.received": true})
	_, err := a.srv.ReceiveMessage("+13035550001", "slow")
	require.NoError(t, err)
	_, err = a.srv.ReceiveMessage("+13035550002", "fast")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(rc.received()) == 2 }, waitTimeout, 5*time.Millisecond,
		"the second conversation is delivered while the first one's receiver is stuck")
	close(release)
	waitIdle(t, a.srv)
}

func TestCloseWaitsForDeliveries(t *testing.T) {
	rc := newReceiver(t, func(int, received) int {
		time.Sleep(200 * time.Millisecond) // a slow receiver
		return http.StatusOK
	})
	srv := textustest.NewServer()
	t.Cleanup(srv.Close)
	c := &api{t: t, srv: srv, hc: &http.Client{}}
	c.subscribe(rc.url, map[string]bool{"message.received": true})
	for i := 0; i < 3; i++ {
		_, err := srv.ReceiveMessage("+13035551234", "hello")
		require.NoError(t, err)
	}
	srv.Close()
	c.hc.CloseIdleConnections()
	assert.Len(t, rc.received(), 3, "Close returned after the pending deliveries")
	for _, d := range srv.Deliveries() {
		assert.True(t, d.Delivered)
	}
	_, err := srv.ReceiveMessage("+13035551234", "late")
	assert.ErrorIs(t, err, textustest.ErrClosed)
	srv.Close() // idempotent
}

func TestCloseAbandonsDeliveriesAfterTimeout(t *testing.T) {
	rc := newReceiver(t, func(int, received) int { return http.StatusInternalServerError })
	srv := textustest.NewServer(
		textustest.WithWebhookRetry(1000, 20*time.Millisecond, 20*time.Millisecond),
		textustest.WithCloseTimeout(200*time.Millisecond),
	)
	t.Cleanup(srv.Close)
	c := &api{t: t, srv: srv, hc: &http.Client{}}
	c.subscribe(rc.url, map[string]bool{"message.received": true})
	_, err := srv.ReceiveMessage("+13035551234", "hello")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(rc.received()) >= 2 }, waitTimeout, 5*time.Millisecond)
	srv.Close()
	c.hc.CloseIdleConnections()
	ds := srv.Deliveries()
	require.Len(t, ds, 1)
	assert.False(t, ds[0].Delivered)
	assert.True(t, ds[0].Done)
	// goleak (TestMain) checks that no delivery goroutine is left.
}

func TestWebhookRedirectIsNotFollowed(t *testing.T) {
	target := newReceiver(t, nil)
	redirect := newLoopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.url, http.StatusTemporaryRedirect)
	}))
	a := newAPI(t, textustest.WithWebhookRetry(2, time.Millisecond, time.Millisecond))
	a.subscribe(redirect.url+"/hook", map[string]bool{"message.received": true})
	_, err := a.srv.ReceiveMessage("+13035551234", "hello")
	require.NoError(t, err)
	waitIdle(t, a.srv)
	ds := a.srv.Deliveries()
	require.Len(t, ds, 1)
	assert.Equal(t, []int{307, 307}, ds[0].Statuses, "a redirect is a failed attempt")
	assert.False(t, ds[0].Delivered)
	assert.Empty(t, target.received(), "and is not followed")
}
