// Command webhook-server receives TextUs webhooks inside an existing net/http
// application: the webhooks.Handler is mounted next to the application's own
// routes (/healthz, /api/activity), the signing secrets come from the
// environment, and SIGINT or SIGTERM shut the server down gracefully.
//
// The handler runs in queue mode: it verifies each delivery, stores it in a
// queue and answers 200 at once, and a worker (Handler.Run) runs the
// callbacks in the background, retrying failures and keeping the deliveries
// of one conversation in order. A slow callback never keeps TextUs waiting.
// On shutdown the server stops taking deliveries first, then the worker
// finishes the ones already accepted. The queue here is a MemoryQueue: a
// crash loses the deliveries it holds; use a Queue on a shared store (such
// as Redis) to survive one.
//
// Serving, for a real deployment behind HTTPS:
//
//	TEXTUS_WEBHOOK_SECRET=textus-... go run ./examples/webhook-server
//
//	TEXTUS_WEBHOOK_SECRET           the webhookSecret of the subscription (required to serve)
//	TEXTUS_WEBHOOK_SECRET_PREVIOUS  the previous secret, while rotating (optional)
//	TEXTUS_WEBHOOK_ADDR             the listen address (default :8080)
//
// To rotate the secret, create a new subscription (it gets a new secret), set
// TEXTUS_WEBHOOK_SECRET to the new secret and TEXTUS_WEBHOOK_SECRET_PREVIOUS
// to the old one, disable the old subscription, then drop the previous
// secret. Deliveries signed with either secret are accepted meanwhile.
//
// Offline demo, when TEXTUS_WEBHOOK_SECRET is not set:
//
//	go run ./examples/webhook-server
//
// The demo starts a fake TextUs server (package textustest), subscribes the
// endpoint through the API, triggers a few events, checks that the other
// routes still answer, and shuts down the way a signal would.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/examples/internal/exampleenv"
	"github.com/textus-go/textus/textustest"
	"github.com/textus-go/textus/webhooks"
)

const (
	webhookPath     = "/webhooks/textus"
	shutdownTimeout = 10 * time.Second
	queueCapacity   = 10000
)

func main() {
	exampleenv.Main("webhook-server", run)
}

// run serves until ctx is done when TEXTUS_WEBHOOK_SECRET is set, and runs
// the offline demo otherwise.
func run(ctx context.Context, stdout io.Writer, env func(string) string) error {
	secret := env("TEXTUS_WEBHOOK_SECRET")
	if secret == "" {
		return demo(ctx, newLogger(stdout, false))
	}
	logger := newLogger(stdout, true)
	addr := exampleenv.ListenAddr(env)
	app := newApp(logger)
	hooks, err := newWebhooks(logger, app, secret, env("TEXTUS_WEBHOOK_SECRET_PREVIOUS"))
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	logger.Info("listening", "addr", "http://"+ln.Addr().String(), "webhooks", webhookPath)
	return serve(ctx, ln, newMux(app, hooks.handler), hooks, logger)
}

// newLogger logs text lines to w; the demo leaves the time out so that its
// output reads the same on every run.
func newLogger(w io.Writer, withTime bool) *slog.Logger {
	opts := &slog.HandlerOptions{}
	if !withTime {
		opts.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		}
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// newMux is the application's router: its own routes, plus the webhook
// endpoint. The webhook handler answers 405 to anything but POST itself.
func newMux(app *app, hooks http.Handler) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /api/activity", app.serveActivity)
	mux.Handle(webhookPath, hooks)
	return mux
}

// serve serves mux on ln, and runs the webhook worker, until ctx is done.
// Then it shuts down gracefully: it stops accepting connections and waits
// (up to shutdownTimeout) for the requests in progress, then for the worker
// to process the deliveries already accepted, and stops the worker.
func serve(ctx context.Context, ln net.Listener, mux http.Handler, hooks *webhookEndpoint, logger *slog.Logger) error {
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	// The worker has its own context: it must outlive the server, to finish
	// the deliveries the server accepted.
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	worked := make(chan error, 1)
	go func() { worked <- hooks.handler.Run(workCtx) }()

	select {
	case err := <-errc:
		stopWork()
		return errors.Join(err, <-worked) // the server failed before it was asked to stop
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		stopWork()
		return errors.Join(fmt.Errorf("shutting down: %w", err), <-worked)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		stopWork()
		return errors.Join(err, <-worked)
	}
	left, err := hooks.drain(sctx)
	stopWork()
	if werr := <-worked; werr != nil {
		return werr
	}
	if err != nil {
		logger.Warn("deliveries left unprocessed", "count", left, "error", err)
		return nil
	}
	logger.Info("shut down cleanly")
	return nil
}

// webhookEndpoint is the webhook handler and the queue it fills.
type webhookEndpoint struct {
	handler *webhooks.Handler
	queue   *webhooks.MemoryQueue
}

// drain waits until the queue holds no job (every accepted delivery is
// processed or dead-lettered) or ctx ends, and returns how many are left.
func (e *webhookEndpoint) drain(ctx context.Context) (int, error) {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		n, err := e.queue.Len(ctx)
		if err != nil || n == 0 {
			return n, err
		}
		select {
		case <-ctx.Done():
			return n, ctx.Err()
		case <-tick.C:
		}
	}
}

// newWebhooks builds the webhook endpoint. It accepts deliveries signed
// with the current secret or, during a rotation, the previous one, and
// queues them; the callbacks run in the worker, those of one conversation
// one at a time and in order.
func newWebhooks(logger *slog.Logger, app *app, current, previous string) (*webhookEndpoint, error) {
	q := webhooks.NewMemoryQueue(queueCapacity)
	h, err := webhooks.NewHandler(current,
		webhooks.WithSecrets(previous), // empty when not rotating: ignored
		webhooks.WithLogger(logger),
		webhooks.WithQueue(q),
		webhooks.WithOrderKey(webhooks.ConversationKey),
		webhooks.WithDeadLetterFunc(func(_ context.Context, d webhooks.DeadLetter) {
			// Alert here; fix the cause, then Redrive from q.DeadLetters.
			logger.Error("webhook delivery dead-lettered", "delivery", d.Job.ID, "attempts", d.Job.Attempt)
		}),
	)
	if err != nil {
		return nil, err
	}
	h.OnMessageReceived(func(_ context.Context, e *textus.MessageEvent) error {
		app.record(e.Action, phoneOf(e.Conversation), bodyOf(e.Message))
		return nil
	})
	h.OnMessageDelivered(func(_ context.Context, e *textus.MessageEvent) error {
		app.record(e.Action, phoneOf(e.Conversation), bodyOf(e.Message))
		return nil
	})
	h.OnMessageFailed(func(_ context.Context, e *textus.MessageEvent) error {
		app.record(e.Action, phoneOf(e.Conversation), bodyOf(e.Message))
		return nil
	})
	h.OnContactCreated(func(_ context.Context, e *textus.ContactEvent) error {
		var name, phone string
		if e.Contact != nil {
			name = e.Contact.Name
			if len(e.Contact.Phones) > 0 {
				phone = e.Contact.Phones[0].PhoneNumber
			}
		}
		app.record(e.Action, phone, name)
		return nil
	})
	h.OnContactOptedOut(func(_ context.Context, e *textus.OptOutEvent) error {
		app.record(e.Action, e.PhoneNumber(), "")
		return nil
	})
	h.OnContactOptedIn(func(_ context.Context, e *textus.OptOutEvent) error {
		app.record(e.Action, e.PhoneNumber(), "")
		return nil
	})
	h.OnUnknownEvent(func(_ context.Context, e *textus.Event) error {
		app.record(textus.EventType(e.RawAction), "", "")
		return nil
	})
	return &webhookEndpoint{handler: h, queue: q}, nil
}

func phoneOf(c *textus.Conversation) string {
	if c == nil {
		return ""
	}
	return c.PhoneNumber
}

func bodyOf(m *textus.Message) string {
	if m == nil {
		return ""
	}
	return m.Body
}

// app stands for the existing application: the webhook callbacks record
// activity, and its own API serves it.
type app struct {
	logger *slog.Logger

	mu       sync.Mutex
	activity []activity
}

type activity struct {
	Event textus.EventType `json:"event"`
	Phone string           `json:"phone,omitempty"`
	Text  string           `json:"text,omitempty"`
}

func newApp(logger *slog.Logger) *app { return &app{logger: logger} }

// record keeps an event. It runs in the worker, so it could as well call a
// slow API: TextUs has had its answer already.
func (a *app) record(event textus.EventType, phone, text string) {
	a.mu.Lock()
	a.activity = append(a.activity, activity{Event: event, Phone: phone, Text: text})
	a.mu.Unlock()
	attrs := []any{"event", string(event)}
	if phone != "" {
		attrs = append(attrs, "phone", phone)
	}
	if text != "" {
		attrs = append(attrs, "text", text)
	}
	a.logger.Info("webhook", attrs...)
}

func (a *app) snapshot() []activity {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]activity(nil), a.activity...)
}

func (a *app) serveActivity(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(a.snapshot())
}

// ---- offline demo ----------------------------------------------------------

const demoPhone = "+13035551234"

func demo(ctx context.Context, logger *slog.Logger) error {
	logger.Info("demo: TEXTUS_WEBHOOK_SECRET is not set, so a fake TextUs server plays TextUs")
	fake := textustest.NewServer()
	defer fake.Close()
	c := fake.Client()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	hook, err := c.Webhooks.Create(ctx, &textus.WebhookParams{URL: base + webhookPath, Events: textus.AllEvents()})
	if err != nil {
		ln.Close()
		return fmt.Errorf("subscribing: %w", err)
	}
	// In production the secret comes from TEXTUS_WEBHOOK_SECRET; here it
	// is the one the new subscription returned.
	app := newApp(logger)
	hooks, err := newWebhooks(logger, app, hook.Secret, "")
	if err != nil {
		ln.Close()
		return err
	}
	serveCtx, stopServing := context.WithCancel(ctx)
	defer stopServing()
	served := make(chan error, 1)
	go func() { served <- serve(serveCtx, ln, newMux(app, hooks.handler), hooks, logger) }()
	logger.Info("demo: subscribed", "url", hook.URL, "events", len(hook.Events))

	if err := triggerEvents(ctx, fake, c); err != nil {
		stopServing()
		return errors.Join(err, <-served)
	}
	if err := fake.WaitIdle(ctx); err != nil { // every delivery answered
		stopServing()
		return errors.Join(err, <-served)
	}
	if _, err := hooks.drain(ctx); err != nil { // and processed
		stopServing()
		return errors.Join(err, <-served)
	}
	status, err := get(ctx, base+"/healthz")
	if err != nil {
		stopServing()
		return errors.Join(err, <-served)
	}
	logger.Info("demo: the application's routes still answer", "GET /healthz", status, "activity", len(app.snapshot()))

	logger.Info("demo: stopping, as SIGINT or SIGTERM would")
	stopServing()
	return <-served
}

// triggerEvents makes the fake emit a few events: contact.created,
// message.delivered, message.received and contact.opted_out.
func triggerEvents(ctx context.Context, fake *textustest.Server, c *textus.Client) error {
	if _, err := c.Contacts.Create(ctx, &textus.ContactParams{
		Name:   "Jordan Lee",
		Phones: []textus.PhoneParams{{Number: demoPhone, Type: "Mobile"}},
	}); err != nil {
		return err
	}
	_, err := c.Messages.Send(ctx, &textus.SendMessageParams{To: demoPhone, Body: "Are you free for a call at 3pm?"})
	if errors.Is(err, textus.ErrOutcomeUnknown) {
		return fmt.Errorf("the text may or may not have gone out; not sending it again: %w", err)
	}
	if err != nil {
		return err
	}
	for _, text := range []string{"Yes, 3pm works", "STOP"} {
		if _, err := fake.ReceiveMessage(demoPhone, text); err != nil {
			return err
		}
	}
	return nil
}

func get(ctx context.Context, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	req.Close = true // no idle connection is left behind
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.Status, nil
}
