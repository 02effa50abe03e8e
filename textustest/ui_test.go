package textustest_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textustest"
)

// sandbox drives the browser UI of a fake server with plain HTTP requests,
// as a browser would send them.
type sandbox struct {
	t    *testing.T
	srv  *textustest.Server
	hc   *http.Client
	csrf string
}

func newSandbox(t *testing.T, opts ...textustest.Option) *sandbox {
	t.Helper()
	srv := textustest.NewServer(opts...)
	tr := &http.Transport{Proxy: nil}
	sb := &sandbox{t: t, srv: srv, hc: &http.Client{
		Transport:     tr,
		Timeout:       waitTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	t.Cleanup(func() {
		srv.Close()
		tr.CloseIdleConnections()
	})
	r := sb.get("", nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	m := regexp.MustCompile(`<meta name="csrf-token" content="([0-9a-f]{32})">`).FindSubmatch(r.body)
	require.NotNil(t, m, "the page carries the CSRF token")
	sb.csrf = string(m[1])
	return sb
}

// origin is the sandbox's own origin, which a browser sends on its posts.
func (sb *sandbox) origin() string { return sb.srv.URL() }

func (sb *sandbox) do(method, path string, body io.Reader, headers map[string]string) reply {
	sb.t.Helper()
	req, err := http.NewRequest(method, sb.srv.SandboxURL()+path, body)
	require.NoError(sb.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range headers {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := sb.hc.Do(req)
	require.NoError(sb.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(sb.t, err)
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

func (sb *sandbox) get(path string, headers map[string]string) reply {
	sb.t.Helper()
	return sb.do(http.MethodGet, path, nil, headers)
}

// post sends a form as it is, with the given headers only.
func (sb *sandbox) post(path string, form url.Values, headers map[string]string) reply {
	sb.t.Helper()
	return sb.do(http.MethodPost, path, strings.NewReader(form.Encode()), headers)
}

// act sends a form as the sandbox page does: with the CSRF token and the
// page's origin.
func (sb *sandbox) act(path string, form url.Values) reply {
	sb.t.Helper()
	f := url.Values{"csrf": {sb.csrf}}
	for k, v := range form {
		f[k] = v
	}
	return sb.post(path, f, map[string]string{"Origin": sb.origin()})
}

// page gets a sandbox page and checks what every page must have.
func (sb *sandbox) page(path string) string {
	sb.t.Helper()
	r := sb.get(path, nil)
	require.Equal(sb.t, http.StatusOK, r.status, "%s: %s", path, r.body)
	assert.Equal(sb.t, "text/html; charset=utf-8", r.header.Get("Content-Type"), path)
	requireSecurityHeaders(sb.t, r)
	return string(r.body)
}

func requireSecurityHeaders(t *testing.T, r reply) {
	t.Helper()
	csp := r.header.Get("Content-Security-Policy")
	assert.Contains(t, csp, "default-src 'self'")
	assert.Contains(t, csp, "script-src 'self'")
	assert.Contains(t, csp, "frame-ancestors 'none'")
	assert.NotContains(t, csp, "unsafe-inline")
	assert.Equal(t, "nosniff", r.header.Get("X-Content-Type-Options"))
	assert.Equal(t, "no-referrer", r.header.Get("Referrer-Policy"))
	assert.Equal(t, "DENY", r.header.Get("X-Frame-Options"))
}

// seed fills a sandbox with one of everything, hostile names included.
func seed(t *testing.T, sb *sandbox, hookURL string) {
	t.Helper()
	ctx := testContext(t)
	c := sb.srv.Client()
	_, err := c.Webhooks.Create(ctx, &textus.WebhookParams{URL: hookURL, Events: textus.AllEvents()})
	require.NoError(t, err)
	_, err = c.Contacts.Create(ctx, &textus.ContactParams{
		Name:   `<script>alert("name")</script> & Co`,
		Phones: []textus.PhoneParams{{Number: "+13035551234"}},
	})
	require.NoError(t, err)
	_, err = c.Messages.Send(ctx, &textus.SendMessageParams{To: "+13035551234", Body: `<script>alert("body")</script>`})
	require.NoError(t, err)
	_, err = sb.srv.ReceiveMessage("+13035551234", `<img src=x onerror=alert(1)> "yes" & 'no'`)
	require.NoError(t, err)
	_, err = sb.srv.ReceiveMessage("+17205550199", "STOP")
	require.NoError(t, err)
	waitIdle(t, sb.srv)
}

func TestSandboxPages(t *testing.T) {
	sb := newSandbox(t)
	rc := newReceiver(t, nil)
	seed(t, sb, rc.url)

	pages := map[string][]string{
		"":                           {"Text from a number", "(720) 555-0199", "Opted out", "Unread"},
		"conversations/+13035551234": {"Reply as (303) 555-1234", "delivered", "received", "Undeliverable"},
		"conversations/3035551234":   {"Reply as (303) 555-1234"},
		"conversations/+13035550000": {"No messages with this number yet."},
		"contacts":                   {"(303) 555-1234", "(720) 555-0199"},
		"contacts?q=co":              {"(303) 555-1234"},
		"optouts":                    {"(720) 555-0199", "Opted out", "Keyword"},
		"optouts?q=720":              {"(720) 555-0199"},
		"deliveries":                 {"message.received", "contact.opted_out", "200 OK", "Redeliver", rc.url},
	}
	for path, want := range pages {
		body := sb.page(path)
		for _, w := range want {
			assert.Contains(t, body, htmlText(w), "page %q", path)
		}
		// Hostile names and bodies are shown as text, never as markup.
		assert.NotContains(t, body, "<script>alert", "page %q", path)
		assert.NotContains(t, body, "<img src=x", "page %q", path)
		// The only script is the embedded file.
		assert.Equal(t, 1, strings.Count(body, "<script"), "page %q", path)
		assert.Contains(t, body, `<script src="/_textustest/ui/static/app.js" defer></script>`, "page %q", path)
		assert.Contains(t, body, `<a class="skip" href="#main">`, "page %q", path)
		assert.Contains(t, body, `aria-live="polite"`, "page %q", path)
	}
	thread := sb.page("conversations/+13035551234")
	assert.Contains(t, thread, "&lt;script&gt;alert(&#34;body&#34;)&lt;/script&gt;")
	assert.Contains(t, thread, "&lt;img src=x onerror=alert(1)&gt; &#34;yes&#34; &amp; &#39;no&#39;")
	assert.Contains(t, thread, "&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt; &amp; Co")
	assert.NotContains(t, sb.page("contacts?q=nobody"), "(303) 555-1234", "the search filters")
	assert.NotContains(t, sb.page("optouts?q=303"), "(720) 555-0199", "the search filters")

	// The thread shows the direction and state of each message.
	assert.Contains(t, thread, `role="switch" aria-checked="false"`)
	assert.Regexp(t, `(?s)msg-out.*Your program.*state-delivered.*msg-in.*Contact \(you\).*state-received`, thread)
}

// htmlText is s as html/template writes it in text.
func htmlText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;", "+", "&#43;").Replace(s)
}

func TestSandboxRoutes(t *testing.T) {
	sb := newSandbox(t)

	r := sb.do(http.MethodGet, "", nil, nil)
	require.Equal(t, http.StatusOK, r.status)
	// Without the trailing slash, a redirect to the sandbox.
	req, err := http.NewRequest(http.MethodGet, sb.srv.URL()+"/_textustest/ui", nil)
	require.NoError(t, err)
	resp, err := sb.hc.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMovedPermanently, resp.StatusCode)
	assert.Equal(t, textustest.SandboxPath, resp.Header.Get("Location"))

	for path, status := range map[string]int{
		"nope":                  http.StatusNotFound,
		"conversations/":        http.StatusNotFound,
		"conversations/hello":   http.StatusNotFound,
		"static/":               http.StatusNotFound,
		"static/missing.js":     http.StatusNotFound,
		"static/../ui.go":       http.StatusNotFound,
		"contacts/extra":        http.StatusNotFound,
		"events/extra":          http.StatusNotFound,
		"static/app.js":         http.StatusOK,
		"static/style.css":      http.StatusOK,
		"deliveries?x=<script>": http.StatusOK,
	} {
		r := sb.get(path, nil)
		assert.Equal(t, status, r.status, path)
		requireSecurityHeaders(t, r)
		assert.NotContains(t, string(r.body), "<script>", path)
	}
	js := sb.get("static/app.js", nil)
	assert.Equal(t, "text/javascript; charset=utf-8", js.header.Get("Content-Type"))
	assert.Contains(t, string(js.body), "EventSource")
	assert.Equal(t, "text/css; charset=utf-8", sb.get("static/style.css", nil).header.Get("Content-Type"))

	// Pages are read-only: another method is 405.
	for _, path := range []string{"", "contacts", "deliveries", "events", "static/app.js"} {
		r := sb.post(path, url.Values{"csrf": {sb.csrf}}, map[string]string{"Origin": sb.origin()})
		assert.Equal(t, http.StatusMethodNotAllowed, r.status, path)
		assert.Equal(t, "GET, HEAD", r.header.Get("Allow"), path)
	}
	// Actions are POST only.
	for _, path := range []string{"receive", "undeliverable", "redeliver", "reset"} {
		for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
			r := sb.do(method, path, nil, nil)
			assert.Equal(t, http.StatusMethodNotAllowed, r.status, "%s %s", method, path)
			assert.Equal(t, "POST", r.header.Get("Allow"), path)
			requireSecurityHeaders(t, r)
		}
	}

	// The sandbox is not part of the API: no token, no rate limit, no
	// request log entry.
	assert.Empty(t, sb.srv.Requests())
}

func TestSandboxRefusesOtherHosts(t *testing.T) {
	sb := newSandbox(t)
	port := strings.TrimPrefix(sb.srv.URL(), "http://127.0.0.1:")
	for host, ok := range map[string]bool{
		"127.0.0.1:" + port:            true,
		"127.0.0.1":                    true,
		"127.1.2.3:" + port:            true,
		"localhost:" + port:            true,
		"LOCALHOST":                    true,
		"localhost.:" + port:           true,
		"[::1]:" + port:                true,
		"[::1]":                        true,
		"evil.example:" + port:         false,
		"evil.example":                 false,
		"localhost.evil.example":       false,
		"127.0.0.1.nip.io:" + port:     false,
		"10.0.0.7:" + port:             false,
		"0.0.0.0:" + port:              false,
		"[2001:db8::1]:" + port:        false,
		"[::ffff:192.168.0.1]:" + port: false,
	} {
		for _, path := range []string{"", "conversations/+13035551234", "deliveries", "static/app.js"} {
			r := sb.get(path, map[string]string{"Host": host})
			if ok {
				assert.Equal(t, http.StatusOK, r.status, "Host %s %s", host, path)
			} else {
				assert.Equal(t, http.StatusForbidden, r.status, "Host %s %s", host, path)
				requireSecurityHeaders(t, r)
			}
		}
		r := sb.post("receive", url.Values{"csrf": {sb.csrf}, "from": {"+13035551234"}, "body": {"hi"}},
			map[string]string{"Host": host, "Origin": sb.origin()})
		if ok {
			assert.Equal(t, http.StatusSeeOther, r.status, "Host %s", host)
		} else {
			assert.Equal(t, http.StatusForbidden, r.status, "Host %s", host)
		}
	}
	// The events stream is refused too (checked before it starts).
	r := sb.get("events", map[string]string{"Host": "evil.example"})
	assert.Equal(t, http.StatusForbidden, r.status)
}

func TestSandboxActionsNeedSameOriginAndToken(t *testing.T) {
	sb := newSandbox(t)
	form := func() url.Values {
		return url.Values{"csrf": {sb.csrf}, "from": {"+13035551234"}, "body": {"hi"}}
	}
	for name, c := range map[string]struct {
		form    url.Values
		headers map[string]string
		status  int
	}{
		"same origin":              {form(), map[string]string{"Origin": sb.origin()}, http.StatusSeeOther},
		"localhost origin":         {form(), map[string]string{"Origin": "http://localhost:1234"}, http.StatusSeeOther},
		"no origin, no referer":    {form(), nil, http.StatusSeeOther},
		"loopback referer":         {form(), map[string]string{"Referer": sb.srv.SandboxURL()}, http.StatusSeeOther},
		"token in header":          {url.Values{"from": {"+13035551234"}, "body": {"hi"}}, map[string]string{"X-CSRF-Token": sb.csrf}, http.StatusSeeOther},
		"other origin":             {form(), map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		"rebinding origin":         {form(), map[string]string{"Origin": "http://evil.example:" + strings.TrimPrefix(sb.srv.URL(), "http://127.0.0.1:")}, http.StatusForbidden},
		"null origin":              {form(), map[string]string{"Origin": "null"}, http.StatusForbidden},
		"other referer":            {form(), map[string]string{"Referer": "https://evil.example/page"}, http.StatusForbidden},
		"origin wins over referer": {form(), map[string]string{"Origin": "https://evil.example", "Referer": sb.srv.SandboxURL()}, http.StatusForbidden},
		"no token":                 {url.Values{"from": {"+13035551234"}, "body": {"hi"}}, map[string]string{"Origin": sb.origin()}, http.StatusForbidden},
		"wrong token":              {url.Values{"csrf": {strings.Repeat("0", 32)}, "from": {"+13035551234"}, "body": {"hi"}}, map[string]string{"Origin": sb.origin()}, http.StatusForbidden},
		"wrong token in header":    {url.Values{"from": {"+13035551234"}, "body": {"hi"}}, map[string]string{"X-CSRF-Token": "nope"}, http.StatusForbidden},
	} {
		r := sb.post("receive", c.form, c.headers)
		assert.Equal(t, c.status, r.status, "%s: %s", name, r.body)
		requireSecurityHeaders(t, r)
	}
	// A token in the query string does not count.
	r := sb.post("receive?csrf="+sb.csrf, url.Values{"from": {"+13035551234"}, "body": {"hi"}}, nil)
	assert.Equal(t, http.StatusForbidden, r.status)
	// Nothing refused was acted on: five texts were received.
	assert.Len(t, sb.srv.Messages("+13035551234"), 5)

	// Every action checks the token.
	for _, path := range []string{"receive", "undeliverable", "redeliver", "reset"} {
		r := sb.post(path, url.Values{"phone": {"+13035551234"}, "undeliverable": {"true"}}, map[string]string{"Origin": sb.origin()})
		assert.Equal(t, http.StatusForbidden, r.status, path)
	}
	assert.Len(t, sb.srv.Messages("+13035551234"), 5, "reset was refused")

	// A form too large is refused.
	r = sb.act("receive", url.Values{"from": {"+13035551234"}, "body": {strings.Repeat("x", 70<<10)}})
	assert.Equal(t, http.StatusRequestEntityTooLarge, r.status)
}

func TestSandboxReplyAsContact(t *testing.T) {
	sb := newSandbox(t)
	ctx := testContext(t)
	c := sb.srv.Client()

	r := sb.act("receive", url.Values{"from": {"(303) 555-1234"}, "body": {"Yes, 3pm works"}})
	require.Equal(t, http.StatusSeeOther, r.status, "%s", r.body)
	assert.Equal(t, "/_textustest/ui/conversations/+13035551234", r.header.Get("Location"))
	msgs := sb.srv.Messages("+13035551234")
	require.Len(t, msgs, 1)
	assert.Equal(t, textus.DirectionIn, msgs[0].Direction)
	assert.Equal(t, "Yes, 3pm works", msgs[0].Body)

	// The page's script gets 204 and the page to show.
	r = sb.post("receive", url.Values{"from": {"+13035551234"}, "body": {"Thanks"}},
		map[string]string{"Origin": sb.origin(), "X-CSRF-Token": sb.csrf, "X-Sandbox-Fetch": "1"})
	require.Equal(t, http.StatusNoContent, r.status, "%s", r.body)
	assert.Equal(t, "/_textustest/ui/conversations/+13035551234", r.header.Get("X-Sandbox-Next"))

	// STOP opts out: the program's sends are refused; START opts back in.
	require.Equal(t, http.StatusSeeOther, sb.act("receive", url.Values{"from": {"+13035551234"}, "body": {"STOP"}}).status)
	assert.True(t, sb.srv.IsOptedOut("+13035551234"))
	_, err := c.Messages.Send(ctx, &textus.SendMessageParams{To: "+13035551234", Body: "Still there?"})
	require.ErrorIs(t, err, textus.ErrValidation)
	assert.Contains(t, sb.page("conversations/+13035551234"), "badge-optout")
	require.Equal(t, http.StatusSeeOther, sb.act("receive", url.Values{"from": {"+13035551234"}, "body": {"START"}}).status)
	assert.False(t, sb.srv.IsOptedOut("+13035551234"))
	_, err = c.Messages.Send(ctx, &textus.SendMessageParams{To: "+13035551234", Body: "Welcome back"})
	require.NoError(t, err)

	for name, form := range map[string]url.Values{
		"bad number": {"from": {"call me"}, "body": {"hi"}},
		"no number":  {"body": {"hi"}},
		"no body":    {"from": {"+13035551234"}, "body": {"  "}},
	} {
		r := sb.act("receive", form)
		assert.Equal(t, http.StatusUnprocessableEntity, r.status, name)
		assert.Contains(t, r.header.Get("Content-Type"), "text/html", name)
		assert.NotContains(t, string(r.body), "<script>", name)
	}
	// The error for the script is text, and echoes input only as text.
	r = sb.post("receive", url.Values{"from": {"<b>x</b>"}, "body": {"hi"}},
		map[string]string{"X-CSRF-Token": sb.csrf, "X-Sandbox-Fetch": "1"})
	assert.Equal(t, http.StatusUnprocessableEntity, r.status)
	assert.Equal(t, "text/plain; charset=utf-8", r.header.Get("Content-Type"))
}

func TestSandboxUndeliverableSwitch(t *testing.T) {
	sb := newSandbox(t)
	ctx := testContext(t)
	c := sb.srv.Client()
	const phone = "+13035551234"

	r := sb.act("undeliverable", url.Values{"phone": {phone}, "undeliverable": {"true"}})
	require.Equal(t, http.StatusSeeOther, r.status, "%s", r.body)
	assert.Equal(t, "/_textustest/ui/conversations/+13035551234", r.header.Get("Location"))
	m, err := c.Messages.Send(ctx, &textus.SendMessageParams{To: phone, Body: "one"})
	require.NoError(t, err)
	waitIdle(t, sb.srv)
	got, err := c.Messages.Get(ctx, m.ID)
	require.NoError(t, err)
	assert.Equal(t, textus.DeliveryState("failed"), got.DeliveryState)
	page := sb.page("conversations/" + phone)
	assert.Contains(t, page, `aria-checked="true"`)
	assert.Contains(t, page, "state-failed")

	require.Equal(t, http.StatusSeeOther, sb.act("undeliverable", url.Values{"phone": {phone}, "undeliverable": {"false"}}).status)
	m, err = c.Messages.Send(ctx, &textus.SendMessageParams{To: phone, Body: "two"})
	require.NoError(t, err)
	waitIdle(t, sb.srv)
	got, err = c.Messages.Get(ctx, m.ID)
	require.NoError(t, err)
	assert.Equal(t, textus.DeliveryState("delivered"), got.DeliveryState)
	assert.Contains(t, sb.page("conversations/"+phone), `aria-checked="false"`)

	assert.Equal(t, http.StatusUnprocessableEntity, sb.act("undeliverable", url.Values{"phone": {phone}, "undeliverable": {"maybe"}}).status)
	assert.Equal(t, http.StatusUnprocessableEntity, sb.act("undeliverable", url.Values{"phone": {"nope"}, "undeliverable": {"true"}}).status)
}

func TestSandboxRedeliver(t *testing.T) {
	sb := newSandbox(t, textustest.WithWebhookRetry(2, time.Millisecond, time.Millisecond))
	var mu sync.Mutex
	fail := true
	rc := newReceiver(t, func(int, received) int {
		mu.Lock()
		defer mu.Unlock()
		if fail {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	ctx := testContext(t)
	_, err := sb.srv.Client().Webhooks.Create(ctx, &textus.WebhookParams{URL: rc.url, Events: []textus.EventType{textus.EventMessageReceived}})
	require.NoError(t, err)
	_, err = sb.srv.ReceiveMessage("+13035551234", "hello")
	require.NoError(t, err)
	waitIdle(t, sb.srv)
	ds := sb.srv.Deliveries()
	require.Len(t, ds, 1)
	require.False(t, ds[0].Delivered)
	assert.Contains(t, sb.page("deliveries"), "503 Service Unavailable")

	mu.Lock()
	fail = false
	mu.Unlock()
	r := sb.act("redeliver", url.Values{"id": {ds[0].ID}})
	require.Equal(t, http.StatusSeeOther, r.status, "%s", r.body)
	assert.Equal(t, "/_textustest/ui/deliveries", r.header.Get("Location"))
	waitIdle(t, sb.srv)

	got := rc.received()
	require.Len(t, got, 3, "two failed attempts, then the redelivery")
	assert.Equal(t, got[0].body, got[2].body, "the same body")
	assert.Equal(t, got[0].signature, got[2].signature)
	assert.Equal(t, ds[0].ID, got[2].envelope["id"], "the same delivery id")
	after := sb.srv.Deliveries()
	require.Len(t, after, 1, "a redelivery is a new series of the same delivery")
	d := after[0]
	assert.True(t, d.Delivered)
	assert.Equal(t, 2, d.Series)
	assert.Equal(t, 3, d.Attempts)
	assert.Equal(t, []int{503, 503, 200}, d.Statuses)
	require.Len(t, d.Log, 3)
	assert.Equal(t, []int{1, 1, 2}, []int{d.Log[0].Series, d.Log[1].Series, d.Log[2].Series})
	page := sb.page("deliveries")
	assert.Contains(t, page, "Attempt 3 (redelivery 1)")
	assert.Contains(t, page, "200 OK")
	assert.Contains(t, page, d.Signature, "the signature header value is shown")

	assert.Equal(t, http.StatusNotFound, sb.act("redeliver", url.Values{"id": {"/integrations/x/deliveries/nope"}}).status)
	err = sb.srv.Redeliver("nope")
	assert.Error(t, err)
}

func TestSandboxReset(t *testing.T) {
	sb := newSandbox(t)
	_, err := sb.srv.ReceiveMessage("+13035551234", "hello")
	require.NoError(t, err)
	r := sb.act("reset", nil)
	require.Equal(t, http.StatusSeeOther, r.status)
	assert.Equal(t, textustest.SandboxPath, r.header.Get("Location"))
	assert.Empty(t, sb.srv.Contacts())
	assert.Contains(t, sb.page(""), "No conversations yet.")
}

// stream is an open events stream of the sandbox.
type stream struct {
	events chan map[string]any
	cancel context.CancelFunc
	done   chan struct{}
	raw    *strings.Builder
	mu     *sync.Mutex
}

func openStream(t *testing.T, sb *sandbox) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, sb.srv.SandboxURL()+"events", nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := sb.hc.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	requireSecurityHeaders(t, reply{header: resp.Header})
	st := &stream{events: make(chan map[string]any, 1000), cancel: cancel, done: make(chan struct{}), raw: &strings.Builder{}, mu: &sync.Mutex{}}
	go func() {
		defer close(st.done)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			line := sc.Text()
			st.mu.Lock()
			st.raw.WriteString(line + "\n")
			st.mu.Unlock()
			if data, ok := strings.CutPrefix(line, "data: "); ok {
				var ev map[string]any
				if json.Unmarshal([]byte(data), &ev) == nil {
					st.events <- ev
				}
			}
		}
		close(st.events)
	}()
	t.Cleanup(func() {
		cancel()
		<-st.done
	})
	return st
}

// next waits for an event that has every given field.
func (st *stream) next(t *testing.T, want map[string]any) map[string]any {
	t.Helper()
	timeout := time.After(waitTimeout)
	for {
		select {
		case ev, ok := <-st.events:
			require.True(t, ok, "the stream ended while waiting for %v", want)
			match := true
			for k, v := range want {
				if fmt.Sprint(ev[k]) != fmt.Sprint(v) {
					match = false
				}
			}
			if match {
				return ev
			}
		case <-timeout:
			require.FailNow(t, "no event", "waiting for %v", want)
		}
	}
}

func (st *stream) text() string {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.raw.String()
}

func TestSandboxEvents(t *testing.T) {
	sb := newSandbox(t, textustest.WithWebhookRetry(1, time.Millisecond, time.Millisecond))
	rc := newReceiver(t, func(int, received) int { return http.StatusTeapot })
	st := openStream(t, sb)
	ctx := testContext(t)
	c := sb.srv.Client()
	_, err := c.Webhooks.Create(ctx, &textus.WebhookParams{URL: rc.url, Events: []textus.EventType{textus.EventMessageReceived}})
	require.NoError(t, err)
	st.next(t, map[string]any{"kind": "changed"})

	_, err = sb.srv.ReceiveMessage("+13035551234", "hello")
	require.NoError(t, err)
	st.next(t, map[string]any{"kind": "contact", "action": "contact.created", "phone": "+13035551234"})
	st.next(t, map[string]any{"kind": "message", "action": "message.received", "phone": "+13035551234"})
	ev := st.next(t, map[string]any{"kind": "delivery", "action": "message.received", "phone": "+13035551234", "attempt": 1, "status": 418})
	assert.Contains(t, ev["delivery"], "/deliveries/")

	_, err = c.Messages.Send(ctx, &textus.SendMessageParams{To: "+13035551234", Body: "hi"})
	require.NoError(t, err)
	st.next(t, map[string]any{"kind": "message", "action": "message.delivered", "phone": "+13035551234"})
	st.next(t, map[string]any{"kind": "message", "action": "message.created"})

	require.Equal(t, http.StatusSeeOther, sb.act("receive", url.Values{"from": {"+13035551234"}, "body": {"STOP"}}).status)
	st.next(t, map[string]any{"kind": "optout", "action": "contact.opted_out", "phone": "+13035551234"})
	require.NoError(t, sb.srv.SetUndeliverable("+13035551234"))
	st.next(t, map[string]any{"kind": "undeliverable", "phone": "+13035551234"})
	sb.srv.Reset()
	st.next(t, map[string]any{"kind": "reset"})

	assert.Regexp(t, `^retry: \d+\n`, st.text())
}

func TestSandboxEventsEndWithTheRequest(t *testing.T) {
	sb := newSandbox(t)
	st := openStream(t, sb)
	st.cancel()
	select {
	case <-st.done:
	case <-time.After(waitTimeout):
		require.FailNow(t, "the stream did not end with its request")
	}
	// The server forgot the stream: publishing still works.
	_, err := sb.srv.ReceiveMessage("+13035551234", "hello")
	require.NoError(t, err)
}

func TestCloseEndsEventStreams(t *testing.T) {
	sb := newSandbox(t)
	streams := []*stream{openStream(t, sb), openStream(t, sb), openStream(t, sb)}
	closed := make(chan struct{})
	start := time.Now()
	go func() {
		sb.srv.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(waitTimeout):
		require.FailNow(t, "Close hangs on open event streams")
	}
	assert.Less(t, time.Since(start), 3*time.Second, "Close does not wait for the streams' clients")
	for _, st := range streams {
		select {
		case <-st.done:
		case <-time.After(waitTimeout):
			require.FailNow(t, "a stream outlived Close")
		}
	}
}

// Neither the API token nor a webhook secret appears in any page or event.
func TestSandboxNeverShowsSecrets(t *testing.T) {
	const token = "tok-SANDBOX-SENTINEL-0123456789"
	sb := newSandbox(t, textustest.WithToken(token))
	st := openStream(t, sb)
	rc := newReceiver(t, func(n int, _ received) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	seed(t, sb, rc.url)
	// A client secret set through the API is a secret too.
	hooks := sb.srv.Webhooks()
	require.NotEmpty(t, hooks)
	req, err := http.NewRequest(http.MethodPut, sb.srv.URL()+hooks[0].ID, strings.NewReader(`{"config":{"clientSecret":"client-SECRET-sentinel"}}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", textustest.MediaType)
	resp, err := sb.hc.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	secrets := []string{token, "client-SECRET-sentinel"}
	for _, h := range sb.srv.Webhooks() {
		require.NotEmpty(t, h.Secret)
		secrets = append(secrets, h.Secret)
	}

	var pages []string
	for _, path := range []string{"", "conversations/+13035551234", "conversations/+17205550199", "contacts", "optouts", "deliveries", "nope", "static/app.js", "static/style.css"} {
		pages = append(pages, string(sb.get(path, nil).body))
	}
	for _, r := range []reply{
		sb.get("", map[string]string{"Host": "evil.example"}),
		sb.act("receive", url.Values{"from": {"bad"}, "body": {"x"}}),
		sb.act("redeliver", url.Values{"id": {"nope"}}),
		sb.post("reset", nil, nil),
	} {
		pages = append(pages, string(r.body))
	}
	// Every event so far has been streamed once a later one arrives.
	require.NoError(t, sb.srv.SetUndeliverable("+19705550100"))
	st.next(t, map[string]any{"kind": "undeliverable", "phone": "+19705550100"})
	pages = append(pages, st.text())
	assert.Contains(t, st.text(), "message.received")
	for i, p := range pages {
		for _, s := range secrets {
			assert.NotContains(t, p, s, "response %d", i)
		}
	}
}

func TestSandboxRedeliverWhileAttempting(t *testing.T) {
	release := make(chan struct{})
	rc := newReceiver(t, func(int, received) int {
		<-release
		return http.StatusOK
	})
	sb := newSandbox(t)
	ctx := testContext(t)
	_, err := sb.srv.Client().Webhooks.Create(ctx, &textus.WebhookParams{URL: rc.url, Events: []textus.EventType{textus.EventMessageReceived}})
	require.NoError(t, err)
	_, err = sb.srv.ReceiveMessage("+13035551234", "hello")
	require.NoError(t, err)
	ds := sb.srv.Deliveries()
	require.Len(t, ds, 1)
	r := sb.act("redeliver", url.Values{"id": {ds[0].ID}})
	assert.Equal(t, http.StatusConflict, r.status, "%s", r.body)
	assert.Contains(t, sb.page("deliveries"), "disabled>Redeliver", "the button is off while attempts run")
	close(release)
	waitIdle(t, sb.srv)
	assert.Equal(t, http.StatusSeeOther, sb.act("redeliver", url.Values{"id": {ds[0].ID}}).status)
	waitIdle(t, sb.srv)
	assert.Len(t, rc.received(), 2)
}

// After a load test the pages stay small: each list shows its newest 200
// entries and says how many it leaves out.
func TestSandboxListsAreBounded(t *testing.T) {
	sb := newSandbox(t)
	rc := newReceiver(t, nil)
	_, err := sb.srv.Client().Webhooks.Create(testContext(t), &textus.WebhookParams{URL: rc.url, Events: []textus.EventType{textus.EventMessageReceived}})
	require.NoError(t, err)
	for i := 0; i < 205; i++ {
		_, err := sb.srv.ReceiveMessage(fmt.Sprintf("+1303555%04d", i), "STOP")
		require.NoError(t, err)
		_, err = sb.srv.ReceiveMessage("+17205550100", fmt.Sprintf("message %d", i))
		require.NoError(t, err)
	}
	waitIdle(t, sb.srv)

	page := sb.page("")
	assert.Equal(t, 200, strings.Count(page, `<li class="conv`))
	assert.Contains(t, page, "6 older conversations are not listed.")
	thread := sb.page("conversations/+17205550100")
	assert.Equal(t, 200, strings.Count(thread, `<li class="msg `))
	assert.Contains(t, thread, "5 earlier messages are not shown.")
	assert.Contains(t, thread, "message 204")
	assert.NotContains(t, thread, "message 4<")
	contacts := sb.page("contacts")
	assert.Contains(t, contacts, "6 more contacts are not listed")
	assert.Contains(t, sb.page("optouts"), "5 older records are not listed")
	deliveries := sb.page("deliveries")
	assert.Equal(t, 200, strings.Count(deliveries, `<li class="card delivery"`))
	assert.Contains(t, deliveries, "210 older deliveries are not listed.")
}
