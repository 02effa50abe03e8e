// Command quickstart runs the whole TextUs story once: a recruiter texts a
// candidate, the candidate answers and then texts STOP, the application
// hears about each step through a webhook, records the opt-out in TextUs and
// in its own list, and is refused when it tries to text the candidate again.
//
// Offline, with no TextUs account (the default):
//
//	go run ./examples/quickstart
//
// This starts an in-process fake TextUs server (package textustest), mounts a
// webhooks.Handler on a local HTTP server, subscribes it through the API
// (c.Webhooks.Create) and simulates the candidate's texts with
// srv.ReceiveMessage. Nothing leaves the machine.
//
// Against the real API, set:
//
//	TEXTUS_TOKEN     an API token (it is never printed)
//	TEXTUS_ACCOUNT   the account slug, e.g. my_account
//	TEXTUS_TO        the number to text: use a phone you own
//	TEXTUS_BASE_URL  optional, default https://next.textus.com
//
//	TEXTUS_TOKEN=... TEXTUS_ACCOUNT=my_account TEXTUS_TO=+13035551234 go run ./examples/quickstart
//
// The same API calls are made, but the webhook and simulation steps are
// skipped: TextUs delivers webhooks only to a public HTTPS endpoint, and the
// replies would come from the real phone. Be aware that TEXTUS_TO receives one
// real text and is then opted out; the API cannot undo an opt-out, so text
// START from that phone to opt back in.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textustest"
	"github.com/textus-go/textus/webhooks"
)

const (
	candidateName  = "Jordan Lee"
	candidatePhone = "+13035551234" // the simulated candidate (offline only)
	firstText      = "Hi Jordan, this is Acme Recruiting. Are you free for a call tomorrow at 3pm?"
	replyText      = "Yes, 3pm works"
	followUpText   = "Great, talk to you at 3pm!"

	// eventTimeout bounds the wait for each webhook delivery.
	eventTimeout = 10 * time.Second
	// runTimeout bounds the whole run.
	runTimeout = 25 * time.Second
)

func main() {
	if err := run(context.Background(), os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// run tells the story on stdout. It runs offline unless env("TEXTUS_TOKEN")
// is set.
func run(ctx context.Context, stdout io.Writer, env func(string) string) error {
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	st := &story{w: stdout}
	if token := env("TEXTUS_TOKEN"); token != "" {
		return runLive(ctx, st, token, env)
	}
	return runOffline(ctx, st)
}

// story prints numbered steps.
type story struct {
	w io.Writer
	n int
}

func (s *story) say(format string, args ...any) {
	fmt.Fprintf(s.w, format+"\n", args...)
}

func (s *story) step(format string, args ...any) {
	s.n++
	s.say("%d. "+format, append([]any{s.n}, args...)...)
}

// ---- offline: the fake server, a webhook receiver and simulated texts ----

func runOffline(ctx context.Context, st *story) error {
	st.say("TextUs quickstart, offline: an in-process fake TextUs server stands in for the API.")
	st.say("(Set TEXTUS_TOKEN, TEXTUS_ACCOUNT and TEXTUS_TO to run it against the real API.)")

	srv := textustest.NewServer()
	stopReceiver := func() {}
	defer func() {
		srv.Close() // waits for deliveries in flight, so it goes before the receiver
		stopReceiver()
	}()
	c := srv.Client()
	st.step("Started a fake TextUs server for account %q.", srv.Account())

	// The handler needs the secret that the subscription returns, and the
	// subscription needs the receiver's URL: listen first, subscribe, then
	// build the handler and serve. No event happens before that.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listening for webhooks: %w", err)
	}
	hook, err := c.Webhooks.Create(ctx, &textus.WebhookParams{
		URL: "http://" + ln.Addr().String() + "/webhooks/textus",
		Events: []textus.EventType{
			textus.EventMessageDelivered, textus.EventMessageReceived, textus.EventContactOptedOut,
		},
	})
	if err != nil {
		ln.Close()
		return fmt.Errorf("subscribing the webhook receiver: %w", err)
	}
	rx := newReceiver(c)
	h, err := webhooks.NewHandler(hook.Secret)
	if err != nil {
		ln.Close()
		return err
	}
	rx.register(h)
	stopReceiver = serve(ln, h)
	st.step("Mounted a webhooks.Handler on a local HTTP server and subscribed it to %s.", joinEvents(hook.Events))

	if err := createCandidate(ctx, st, c, candidatePhone); err != nil {
		return err
	}
	sent, err := sendFirstText(ctx, st, c, candidatePhone)
	if err != nil {
		return err
	}
	ev, err := wait(ctx, rx.delivered, "message.delivered")
	if err != nil {
		return err
	}
	if ev.id != sent.ID {
		return fmt.Errorf("message.delivered is for %s, want %s", ev.id, sent.ID)
	}
	st.step("Webhook message.delivered: the text reached %s.", ev.phone)

	for _, text := range []string{replyText, "STOP"} {
		if _, err := srv.ReceiveMessage(candidatePhone, text); err != nil {
			return err
		}
		st.step("Simulated %s texting %q.", candidateName, text)
		in, err := wait(ctx, rx.received, "message.received")
		if err != nil {
			return err
		}
		st.step("Webhook message.received from %s: %q.", in.phone, in.body)
	}

	out, err := wait(ctx, rx.optedOut, "contact.opted_out")
	if err != nil {
		return err
	}
	st.step("Webhook contact.opted_out for %s: synced it to TextUs (PUT, opt-out %s) and added it to the app's do-not-text list.", out.phone, out.id)
	if !rx.doNotText(candidatePhone) {
		return errors.New("the opt-out callback did not record the number")
	}

	before := len(srv.SentMessages())
	if err := checkOptedOut(ctx, st, c, candidatePhone); err != nil {
		return err
	}
	if err := sendRefused(ctx, st, c, candidatePhone); err != nil {
		return err
	}
	if after := len(srv.SentMessages()); after != before {
		return fmt.Errorf("the fake recorded %d new texts after the opt-out", after-before)
	}
	st.step("The fake recorded no new text: %d message sent in total.", before)
	st.say("Done.")
	return nil
}

// serve serves h on ln until the returned function is called; that
// function closes the server and waits for it to stop.
func serve(ln net.Listener, h http.Handler) (stop func()) {
	mux := http.NewServeMux()
	mux.Handle("/webhooks/textus", h)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = hs.Serve(ln) // always http.ErrServerClosed after Close
	}()
	return func() {
		hs.Close()
		<-done
	}
}

// event is what the story needs from a delivery.
type event struct {
	id, phone, body string
}

func messageEvent(e *textus.MessageEvent) event {
	var ev event
	if e.Conversation != nil {
		ev.phone = e.Conversation.PhoneNumber
	}
	if e.Message != nil {
		ev.id, ev.body = e.Message.ID, e.Message.Body
	}
	return ev
}

// receiver holds the webhook callbacks: it hands each event to the story
// through a channel and keeps the app's own list of opted-out numbers.
type receiver struct {
	c         *textus.Client
	delivered chan event
	received  chan event
	optedOut  chan event

	mu     sync.Mutex
	optOut map[string]bool // the app's do-not-text list
}

func newReceiver(c *textus.Client) *receiver {
	return &receiver{
		c:         c,
		delivered: make(chan event, 8),
		received:  make(chan event, 8),
		optedOut:  make(chan event, 8),
		optOut:    make(map[string]bool),
	}
}

func (r *receiver) register(h *webhooks.Handler) {
	h.OnMessageDelivered(func(ctx context.Context, e *textus.MessageEvent) error {
		return push(ctx, r.delivered, messageEvent(e))
	})
	h.OnMessageReceived(func(ctx context.Context, e *textus.MessageEvent) error {
		return push(ctx, r.received, messageEvent(e))
	})
	h.OnContactOptedOut(func(ctx context.Context, e *textus.OptOutEvent) error {
		phone := e.PhoneNumber()
		if phone == "" {
			return errors.New("contact.opted_out without a phone number")
		}
		// Mirror the opt-out in TextUs, as the help centre advises. It is a
		// PUT, so a retried delivery repeats it harmlessly. An error answers
		// 500 and TextUs delivers the event again.
		o, err := r.c.OptOuts.Create(ctx, phone)
		if err != nil {
			return fmt.Errorf("recording the opt-out in TextUs: %w", err)
		}
		r.mu.Lock()
		r.optOut[phone] = true
		r.mu.Unlock()
		return push(ctx, r.optedOut, event{id: o.ID, phone: phone})
	})
}

func (r *receiver) doNotText(phone string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.optOut[phone]
}

func push(ctx context.Context, ch chan<- event, ev event) error {
	select {
	case ch <- ev:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// wait returns the next event from ch, or an error after eventTimeout.
func wait(ctx context.Context, ch <-chan event, what string) (event, error) {
	t := time.NewTimer(eventTimeout)
	defer t.Stop()
	select {
	case ev := <-ch:
		return ev, nil
	case <-t.C:
		return event{}, fmt.Errorf("no %s webhook within %s", what, eventTimeout)
	case <-ctx.Done():
		return event{}, fmt.Errorf("waiting for %s: %w", what, ctx.Err())
	}
}

func joinEvents(events []textus.EventType) string {
	names := make([]string, len(events))
	for i, e := range events {
		names[i] = string(e)
	}
	return strings.Join(names, ", ")
}

// ---- live: the same API calls against TextUs -------------------------------

func runLive(ctx context.Context, st *story, token string, env func(string) string) error {
	account, to := env("TEXTUS_ACCOUNT"), env("TEXTUS_TO")
	if account == "" {
		return errors.New("TEXTUS_ACCOUNT (the account slug) is required with TEXTUS_TOKEN")
	}
	if to == "" {
		return errors.New("TEXTUS_TO (the number to text; use a phone you own) is required with TEXTUS_TOKEN")
	}
	phone, err := textus.NormalizePhone(to)
	if err != nil {
		return fmt.Errorf("TEXTUS_TO: %w", err)
	}
	opts := []textus.Option{textus.WithAccount(account), textus.WithUserAgent("textus-quickstart/1")}
	if base := env("TEXTUS_BASE_URL"); base != "" {
		opts = append(opts, textus.WithBaseURL(base))
	}
	c, err := textus.NewClient(token, opts...)
	if err != nil {
		return err
	}

	st.say("TextUs quickstart against %s, account %q.", c.BaseURL(), account)
	st.say("Skipped here: the webhook receiver and the simulated replies. TextUs delivers webhooks only")
	st.say("to a public HTTPS endpoint, and the replies would come from the phone itself.")
	if err := createCandidate(ctx, st, c, phone); err != nil {
		return err
	}
	if _, err := sendFirstText(ctx, st, c, phone); err != nil {
		return err
	}
	st.step("Skipped: message.delivered, the reply and STOP (they arrive as webhooks).")
	if _, err := c.OptOuts.Create(ctx, phone); err != nil {
		return fmt.Errorf("recording the opt-out: %w", err)
	}
	st.step("Recorded an opt-out for %s in TextUs (PUT), as the contact.opted_out callback does. Text START from the phone to opt back in.", phone)
	if err := checkOptedOut(ctx, st, c, phone); err != nil {
		return err
	}
	if err := sendRefused(ctx, st, c, phone); err != nil {
		return err
	}
	st.say("Done.")
	return nil
}

// ---- steps shared by both modes --------------------------------------------

func createCandidate(ctx context.Context, st *story, c *textus.Client, phone string) error {
	contact, err := c.Contacts.Create(ctx, &textus.ContactParams{
		Name:   candidateName,
		Phones: []textus.PhoneParams{{Number: phone, Type: "Mobile"}},
		Data:   map[string]any{"tags": []string{"candidate"}},
	})
	if err != nil {
		return fmt.Errorf("creating the contact: %w", err)
	}
	st.step("Created contact %q with phone %s.", contact.Name, phone)
	return nil
}

func sendFirstText(ctx context.Context, st *story, c *textus.Client, phone string) (*textus.Message, error) {
	m, err := c.Messages.Send(ctx, &textus.SendMessageParams{To: phone, Body: firstText})
	if errors.Is(err, textus.ErrOutcomeUnknown) {
		// The text may or may not have gone out. Sending again could text
		// the candidate twice, so stop and let a person look at the
		// conversation.
		return nil, fmt.Errorf("the first text may or may not have been sent, so it is not sent again: %w", err)
	}
	if err != nil {
		return nil, fmt.Errorf("sending the first text: %w", err)
	}
	st.step("Sent %q (state: %s).", m.Body, m.DeliveryState)
	return m, nil
}

func checkOptedOut(ctx context.Context, st *story, c *textus.Client, phone string) error {
	out, err := c.OptOuts.IsOptedOut(ctx, phone)
	if err != nil {
		return fmt.Errorf("checking the opt-out: %w", err)
	}
	st.step("c.OptOuts.IsOptedOut(%s) = %t.", phone, out)
	if !out {
		return errors.New("TextUs does not report the number as opted out")
	}
	return nil
}

// sendRefused tries one more text and expects TextUs to refuse it. A real
// application checks its own do-not-text list first and does not call Send
// at all (see examples/optout-sync); here the call shows the API's answer.
func sendRefused(ctx context.Context, st *story, c *textus.Client, phone string) error {
	_, err := c.Messages.Send(ctx, &textus.SendMessageParams{To: phone, Body: followUpText})
	var apiErr *textus.APIError
	switch {
	case err == nil:
		return errors.New("TextUs accepted a text to an opted-out number")
	case errors.Is(err, textus.ErrOutcomeUnknown):
		return fmt.Errorf("the follow-up may or may not have been sent; it is not sent again: %w", err)
	case errors.Is(err, textus.ErrValidation) && errors.As(err, &apiErr):
		st.step("Sending again is refused (textus.ErrValidation, HTTP %d): %q", apiErr.StatusCode, apiErr.Message)
		return nil
	}
	return fmt.Errorf("the follow-up failed in an unexpected way: %w", err)
}
