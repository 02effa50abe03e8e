package browsertest

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textustest"
	"github.com/textus-go/textus/webhooks"
)

// waitTimeout bounds every wait in the browser. It is generous: the
// machines that run the suite are small and shared, and a browser starts
// slowly there. Nothing asserts that the sandbox is fast.
const waitTimeout = 45 * time.Second

// screenshotEnv names the variable that makes TestSandboxScreenshot write
// the README's image.
const screenshotEnv = "TEXTUS_UPDATE_SCREENSHOT"

// screenshotPath is the README's image, relative to this directory.
const screenshotPath = "../../docs/sandbox.png"

// chromium returns the browser to drive: $TEXTUS_CHROMIUM, or the first
// of the usual names on $PATH. Without one the test is skipped, except in
// CI (CI set), where the browser tests must run.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TEXTUS_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium not found, and CI is set, so the browser tests must run: install it (Debian: apt-get install chromium) or set TEXTUS_CHROMIUM to its path")
	}
	t.Skip("chromium not found: install it (Debian: apt-get install chromium) to run the browser tests")
	return ""
}

// sandbox is a fake TextUs server, the program under test (an SDK client
// and a webhook receiver built with package webhooks), and a browser tab
// on the server's sandbox.
type sandbox struct {
	t   *testing.T
	srv *textustest.Server
	c   *textus.Client
	tab context.Context

	// The receiver's callbacks report each event here.
	received  chan *textus.MessageEvent
	failed    chan *textus.MessageEvent
	optedOut  chan *textus.OptOutEvent
	optedIn   chan *textus.OptOutEvent
	broken    atomic.Bool // the message.received callback fails while set
	problemMu sync.Mutex
	problems  []string // console errors and exceptions in the page
}

func newSandbox(t *testing.T, width, height int64, opts ...textustest.Option) *sandbox {
	t.Helper()
	path := chromium(t)
	sb := &sandbox{
		t:        t,
		received: make(chan *textus.MessageEvent, 100),
		failed:   make(chan *textus.MessageEvent, 100),
		optedOut: make(chan *textus.OptOutEvent, 100),
		optedIn:  make(chan *textus.OptOutEvent, 100),
	}
	sb.srv = textustest.NewServer(opts...)
	t.Cleanup(sb.srv.Close)
	sb.c = sb.srv.Client()

	// The program's webhook receiver: a real webhooks.Handler, subscribed
	// through the API as in production.
	var handler atomic.Pointer[webhooks.Handler]
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := handler.Load()
		if h == nil {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(hook.Close)
	wh, err := sb.c.Webhooks.Create(sb.ctx(), &textus.WebhookParams{URL: hook.URL + "/webhooks/textus", Events: textus.AllEvents()})
	require.NoError(t, err)
	h, err := webhooks.NewHandler(wh.Secret)
	require.NoError(t, err)
	h.OnMessageReceived(func(_ context.Context, e *textus.MessageEvent) error {
		if sb.broken.Load() {
			return errors.New("the program has a bug")
		}
		sb.received <- e
		return nil
	})
	h.OnMessageFailed(func(_ context.Context, e *textus.MessageEvent) error {
		sb.failed <- e
		return nil
	})
	h.OnContactOptedOut(func(_ context.Context, e *textus.OptOutEvent) error {
		sb.optedOut <- e
		return nil
	})
	h.OnContactOptedIn(func(_ context.Context, e *textus.OptOutEvent) error {
		sb.optedIn <- e
		return nil
	})
	handler.Store(h)

	// A fresh profile. Chromium's helper processes may still write to it
	// for a moment after the browser has exited: it is removed (before
	// t.TempDir's own cleanup) once they are done.
	profile := filepath.Join(t.TempDir(), "profile")
	t.Cleanup(func() { removeProfile(t, profile) })
	allocOpts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(int(width), int(height)),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), allocOpts...)
	tab, cancelTab := chromedp.NewContext(actx, chromedp.WithErrorf(func(string, ...any) {}))
	// Cleanups run last-registered first: the browser goes before the
	// server, so that the page's event stream ends with the browser.
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	sb.tab = tab
	chromedp.ListenTarget(tab, func(ev any) {
		var problem string
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			problem = "exception: " + ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil {
				problem += " " + ev.ExceptionDetails.Exception.Description
			}
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.LevelError {
				problem = "console: " + ev.Entry.Text + " " + ev.Entry.URL
			}
		}
		if problem != "" {
			sb.problemMu.Lock()
			sb.problems = append(sb.problems, problem)
			sb.problemMu.Unlock()
		}
	})
	// The first Run starts the browser, which lives as long as the context
	// given to it: the tab's, not one bounded like the waits below.
	require.NoError(t, chromedp.Run(tab, cdplog.Enable(), chromedp.EmulateViewport(width, height)), "start %s", path)
	return sb
}

// removeProfile removes a browser profile, retrying while helper
// processes of the closed browser still write to it.
func removeProfile(t *testing.T, dir string) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := os.RemoveAll(dir)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("removing the browser profile: %v", err)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ctx bounds one SDK call.
func (sb *sandbox) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	sb.t.Cleanup(cancel)
	return ctx
}

// run runs browser actions, each wait bounded by waitTimeout.
func (sb *sandbox) run(what string, actions ...chromedp.Action) {
	sb.t.Helper()
	ctx, cancel := context.WithTimeout(sb.tab, waitTimeout)
	defer cancel()
	require.NoError(sb.t, chromedp.Run(ctx, actions...), what)
}

// open loads a sandbox page and waits until its live updates are on.
func (sb *sandbox) open(path string) {
	sb.t.Helper()
	sb.run("open "+path,
		chromedp.Navigate(sb.srv.SandboxURL()+path),
		chromedp.WaitVisible(`#connection[data-state="live"]`, chromedp.ByQuery),
	)
}

// waitText waits until an element matching the XPath expression is
// visible. XPath queries run through DevTools, not through page script,
// so the sandbox's Content-Security-Policy stays as users get it.
func (sb *sandbox) waitText(what, xpath string) {
	sb.t.Helper()
	sb.run(what, chromedp.WaitVisible(xpath, chromedp.BySearch))
}

// noProblems checks that the page logged no error and threw nothing (a
// script blocked by the Content-Security-Policy would show here).
func (sb *sandbox) noProblems() {
	sb.t.Helper()
	sb.problemMu.Lock()
	defer sb.problemMu.Unlock()
	assert.Empty(sb.t, sb.problems, "errors in the page")
}

func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitTimeout):
		require.FailNow(t, "timed out waiting for "+what)
		var zero T
		return zero
	}
}

// xpathString quotes s for an XPath expression.
func xpathString(s string) string {
	if !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	return `'` + s + `'`
}

// message is the XPath of a message bubble of the open thread holding
// body, optionally in the given delivery state.
func message(body, state string) string {
	x := `//ol[@id="messages"]/li[p[@class="msg-body" and .=` + xpathString(body) + `]]`
	if state != "" {
		x += `[.//span[contains(@class, "state-` + state + `")]]`
	}
	return x
}

func TestSandboxShowsSendsLive(t *testing.T) {
	sb := newSandbox(t, 1280, 800, textustest.WithDeliveryDelay(2*time.Second))
	const phone = "+13035551234"
	sb.open("")

	// A send from the program appears in the list without a reload.
	start := time.Now()
	_, err := sb.c.Messages.Send(sb.ctx(), &textus.SendMessageParams{To: phone, Body: "Hi Jordan, are you free for an interview tomorrow at 3pm?"})
	require.NoError(t, err)
	sb.waitText("the conversation appears in the list", `//ol[@id="conversations"]//a[contains(., "(303) 555-1234")]`)
	t.Logf("the send appeared in the list after %v", time.Since(start))

	// Its thread shows the message queued, then delivered.
	sb.run("open the thread", chromedp.Click(`#conversations a[href$="/conversations/+13035551234"]`, chromedp.ByQuery))
	sb.waitText("the message is shown", message("Hi Jordan, are you free for an interview tomorrow at 3pm?", ""))
	sb.waitText("and turns delivered", message("Hi Jordan, are you free for an interview tomorrow at 3pm?", "delivered"))

	// A second send appears in the open thread, queued, then delivered.
	start = time.Now()
	_, err = sb.c.Messages.Send(sb.ctx(), &textus.SendMessageParams{To: phone, Body: "Reply YES to confirm."})
	require.NoError(t, err)
	sb.waitText("the second send appears queued", message("Reply YES to confirm.", "queued"))
	t.Logf("the send appeared in the thread after %v", time.Since(start))
	sb.waitText("and turns delivered", message("Reply YES to confirm.", "delivered"))

	var live string
	sb.run("read the live region", chromedp.Evaluate(`document.getElementById("announcer").textContent`, &live))
	assert.NotEmpty(t, live, "changes are announced to screen readers")
	sb.noProblems()
}

func TestSandboxReplyFiresTheWebhook(t *testing.T) {
	sb := newSandbox(t, 1280, 800)
	_, err := sb.c.Messages.Send(sb.ctx(), &textus.SendMessageParams{To: "+13035551234", Body: "Can you come in at 3pm?"})
	require.NoError(t, err)
	sb.open("conversations/+13035551234")

	sb.run("reply as the contact",
		chromedp.SendKeys(`#reply-body`, "Yes, 3pm works <b>great</b>", chromedp.ByQuery),
		chromedp.Click(`form.reply button[type="submit"]`, chromedp.ByQuery),
	)
	ev := receive(t, sb.received, "the program's message.received callback")
	assert.Equal(t, "Yes, 3pm works <b>great</b>", ev.Message.Body)
	assert.Equal(t, textus.DirectionIn, ev.Message.Direction)
	sb.waitText("the reply is in the thread, as text", message("Yes, 3pm works <b>great</b>", "received"))
	var left string
	sb.run("the box is emptied", chromedp.Value(`#reply-body`, &left, chromedp.ByQuery))
	assert.Empty(t, left)

	// With the keyboard only: the text box, then Ctrl+Enter.
	sb.run("reply with the keyboard",
		chromedp.Focus(`#reply-body`, chromedp.ByQuery),
		chromedp.SendKeys(`#reply-body`, "See you then", chromedp.ByQuery),
		chromedp.KeyEvent("\r", chromedp.KeyModifiers(input.ModifierCtrl)),
	)
	ev = receive(t, sb.received, "the second message.received")
	assert.Equal(t, "See you then", ev.Message.Body)
	sb.waitText("the second reply is in the thread", message("See you then", "received"))
	sb.noProblems()
}

func TestSandboxStopRefusesSends(t *testing.T) {
	sb := newSandbox(t, 1280, 800)
	const phone = "+13035551234"
	_, err := sb.c.Messages.Send(sb.ctx(), &textus.SendMessageParams{To: phone, Body: "Interested in the role?"})
	require.NoError(t, err)
	sb.open("conversations/+13035551234")

	sb.run("press STOP", chromedp.Click(`#thread-tools button[value="STOP"]`, chromedp.ByQuery))
	ev := receive(t, sb.optedOut, "contact.opted_out")
	assert.Equal(t, phone, ev.PhoneNumber())
	sb.run("the thread says opted out", chromedp.WaitVisible(`#thread-tools .badge-optout`, chromedp.ByQuery))
	sb.waitText("STOP is in the thread", message("STOP", "received"))

	_, err = sb.c.Messages.Send(sb.ctx(), &textus.SendMessageParams{To: phone, Body: "Are you sure?"})
	require.ErrorIs(t, err, textus.ErrValidation, "a send to an opted-out number is refused")

	sb.run("press START", chromedp.Click(`#thread-tools button[value="START"]`, chromedp.ByQuery))
	ev = receive(t, sb.optedIn, "contact.opted_in")
	assert.Equal(t, phone, ev.PhoneNumber())
	sb.run("the badge is gone", chromedp.WaitNotPresent(`#thread-tools .badge-optout`, chromedp.ByQuery))
	_, err = sb.c.Messages.Send(sb.ctx(), &textus.SendMessageParams{To: phone, Body: "Welcome back"})
	require.NoError(t, err)
	sb.waitText("sends work again", message("Welcome back", "delivered"))

	sb.open("optouts")
	sb.waitText("the opt-outs page lists the number", `//ul[@id="optouts"]//a[contains(., "(303) 555-1234")]`)
	sb.noProblems()
}

func TestSandboxUndeliverableSwitch(t *testing.T) {
	sb := newSandbox(t, 1280, 800)
	const phone = "+13035551234"
	_, err := sb.srv.ReceiveMessage(phone, "Hello?")
	require.NoError(t, err)
	receive(t, sb.received, "message.received")
	sb.open("conversations/+13035551234")

	sb.run("switch undeliverable on",
		chromedp.Click(`#thread-tools button[role="switch"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#thread-tools button[role="switch"][aria-checked="true"]`, chromedp.ByQuery),
	)
	_, err = sb.c.Messages.Send(sb.ctx(), &textus.SendMessageParams{To: phone, Body: "This one fails"})
	require.NoError(t, err)
	ev := receive(t, sb.failed, "message.failed")
	assert.Equal(t, "This one fails", ev.Message.Body)
	sb.waitText("the message turns failed", message("This one fails", "failed"))

	var focused string
	sb.run("the switch keeps the focus", chromedp.Evaluate(`document.activeElement.getAttribute("role") || ""`, &focused))
	assert.Equal(t, "switch", focused)
	sb.run("switch it off",
		chromedp.KeyEvent(" "),
		chromedp.WaitVisible(`#thread-tools button[role="switch"][aria-checked="false"]`, chromedp.ByQuery),
	)
	_, err = sb.c.Messages.Send(sb.ctx(), &textus.SendMessageParams{To: phone, Body: "This one arrives"})
	require.NoError(t, err)
	sb.waitText("the message is delivered", message("This one arrives", "delivered"))
	sb.noProblems()
}

func TestSandboxRedeliversAFailedDelivery(t *testing.T) {
	sb := newSandbox(t, 1280, 800, textustest.WithWebhookRetry(2, 10*time.Millisecond, 20*time.Millisecond))
	sb.broken.Store(true) // the program's callback fails: the handler answers 500
	_, err := sb.srv.ReceiveMessage("+13035551234", "Is the job still open?")
	require.NoError(t, err)
	ctx := sb.ctx()
	require.NoError(t, sb.srv.WaitIdle(ctx))
	var failed textustest.Delivery
	for _, d := range sb.srv.Deliveries() {
		if d.Action == textus.EventMessageReceived {
			failed = d
		}
	}
	require.NotEmpty(t, failed.ID)
	require.False(t, failed.Delivered)

	sb.open("deliveries")
	item := `//ol[@id="deliveries"]/li[.//dd/code[.=` + xpathString(failed.ID) + `]]`
	sb.waitText("the delivery is shown failed", item+`[.//span[contains(@class, "badge") and .="failed"]]`)
	sb.waitText("with its attempts", item+`//li[contains(@class, "attempt-bad")][.//span[@class="status" and .="500 Internal Server Error"]]`)

	sb.broken.Store(false) // the bug is fixed
	sb.run("press Redeliver", chromedp.Click(item+`//button[.="Redeliver"]`, chromedp.BySearch))
	ev := receive(t, sb.received, "the redelivered message.received")
	assert.Equal(t, failed.ID, ev.ID, "the same delivery id")
	assert.Equal(t, "Is the job still open?", ev.Message.Body)
	sb.waitText("the delivery turns delivered", item+`[.//span[contains(@class, "badge") and .="delivered"]]`)
	sb.waitText("the redelivery is listed", item+`//li[contains(@class, "attempt-ok")][.//span[contains(., "(redelivery 1)")]]`)
	sb.noProblems()
}

// At 360 px wide nothing overflows, a thread hides the list, and the page
// works from the keyboard: a skip link first, visible focus.
func TestSandboxNarrowScreenAndKeyboard(t *testing.T) {
	sb := newSandbox(t, 360, 740)
	_, err := sb.srv.ReceiveMessage("+13035551234", strings.Repeat("A long message without spaces: ", 3)+strings.Repeat("x", 120))
	require.NoError(t, err)
	_, err = sb.c.Messages.Send(sb.ctx(), &textus.SendMessageParams{To: "+13035551234", Body: "Thanks! We will call you."})
	require.NoError(t, err)

	for _, path := range []string{"", "conversations/+13035551234", "contacts", "optouts", "deliveries"} {
		sb.open(path)
		var overflow bool
		sb.run("measure "+path, chromedp.Evaluate(`document.documentElement.scrollWidth > window.innerWidth`, &overflow))
		assert.False(t, overflow, "%q scrolls sideways at 360px", path)
	}

	sb.open("conversations/+13035551234")
	var listShown, backShown bool
	sb.run("layout",
		chromedp.Evaluate(`getComputedStyle(document.querySelector(".split-list")).display !== "none"`, &listShown),
		chromedp.Evaluate(`getComputedStyle(document.querySelector(".back")).display !== "none"`, &backShown),
	)
	assert.False(t, listShown, "a narrow thread hides the list")
	assert.True(t, backShown, "and offers a way back")

	var first, outline, afterSkip string
	sb.run("tab to the skip link",
		chromedp.KeyEvent(kb.Tab),
		chromedp.Evaluate(`document.activeElement.className`, &first),
		chromedp.Evaluate(`getComputedStyle(document.activeElement).outlineStyle`, &outline),
		chromedp.KeyEvent(kb.Enter),
		chromedp.Evaluate(`document.activeElement.id`, &afterSkip),
	)
	assert.Equal(t, "skip", first, "the first stop is the skip link")
	assert.Equal(t, "solid", outline, "focus is visible")
	assert.Equal(t, "main", afterSkip, "the skip link moves the focus to the main content")
	sb.noProblems()
}

// TestSandboxScreenshot renders a thread at a desktop size. With
// TEXTUS_UPDATE_SCREENSHOT=1 it writes the README's image
// (docs/sandbox.png); regenerate it when the sandbox's look changes:
//
//	cd textustest/browsertest && TEXTUS_UPDATE_SCREENSHOT=1 go test -run TestSandboxScreenshot .
func TestSandboxScreenshot(t *testing.T) {
	sb := newSandbox(t, 1280, 900, textustest.WithUndeliverable("+17205550142"))
	ctx := sb.ctx()
	for _, p := range []struct{ name, phone string }{
		{"Jordan Rivera", "+13035551234"},
		{"Sam Patel", "+17205550142"},
		{"Alex Kim", "+19705550117"},
	} {
		_, err := sb.c.Contacts.Create(ctx, &textus.ContactParams{Name: p.name, Phones: []textus.PhoneParams{{Number: p.phone}}})
		require.NoError(t, err)
	}
	send := func(to, body string) {
		_, err := sb.c.Messages.Send(ctx, &textus.SendMessageParams{To: to, Body: body})
		require.NoError(t, err)
	}
	recv := func(from, body string) {
		_, err := sb.srv.ReceiveMessage(from, body)
		require.NoError(t, err)
	}
	send("+19705550117", "Hi Alex, thanks for applying to the warehouse lead role.")
	recv("+19705550117", "STOP")
	send("+17205550142", "Hi Sam, your interview is confirmed for Friday at 10am.")
	send("+13035551234", "Hi Jordan, this is Casey from Acme Recruiting. Are you free for a call about the driver position?")
	recv("+13035551234", "Yes! Tomorrow after 2pm works for me.")
	send("+13035551234", "Great, I have you down for 3pm. Reply C to confirm.")
	recv("+13035551234", "C")
	require.NoError(t, sb.srv.WaitIdle(ctx))

	sb.open("conversations/+13035551234")
	sb.waitText("the thread is shown", message("C", "received"))
	var shot []byte
	sb.run("screenshot", chromedp.CaptureScreenshot(&shot))
	img, err := png.Decode(bytes.NewReader(shot))
	require.NoError(t, err)
	assert.Equal(t, 1280, img.Bounds().Dx())
	sb.noProblems()

	if os.Getenv(screenshotEnv) == "" {
		t.Logf("set %s=1 to write %s", screenshotEnv, screenshotPath)
		return
	}
	path, err := filepath.Abs(screenshotPath)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o750))
	require.NoError(t, os.WriteFile(path, shot, 0o644))
	t.Logf("wrote %s", path)
}
