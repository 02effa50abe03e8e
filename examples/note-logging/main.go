// Command note-logging keeps a CRM's activity notes in step with TextUs: on
// every message.received and message.delivered webhook it reads the
// conversation's timeline (c.Conversations.Timeline) and appends a note to
// the contact's CRM record for each message not yet logged. Notes are
// de-duplicated by message id, so retried or duplicated deliveries, and
// several events for the same conversation, never log a message twice.
//
// Offline demo (the default), on a fake TextUs server with an in-memory CRM:
//
//	go run ./examples/note-logging
//
// Against the real API, serving the webhook endpoint until SIGINT or SIGTERM
// (the notes are kept in memory and logged):
//
//	TEXTUS_TOKEN=... TEXTUS_ACCOUNT=my_account TEXTUS_WEBHOOK_SECRET=textus-... \
//	TEXTUS_WEBHOOK_ADDR=:8080 go run ./examples/note-logging
//
// Subscribe the endpoint (https://your-host/webhooks/textus) to
// message.received and message.delivered first, with c.Webhooks.Create, and
// put its webhookSecret in TEXTUS_WEBHOOK_SECRET. TEXTUS_BASE_URL optionally
// overrides https://next.textus.com.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textustest"
	"github.com/textus-go/textus/webhooks"
)

const webhookPath = "/webhooks/textus"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "note-logging:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, stdout io.Writer, env func(string) string) error {
	if env("TEXTUS_TOKEN") == "" {
		return demo(ctx, stdout)
	}
	return live(ctx, stdout, env)
}

// ---- offline demo ----------------------------------------------------------

const candidate = "+13035551234"

func demo(ctx context.Context, w io.Writer) error {
	fmt.Fprintln(w, "note-logging demo: a fake TextUs server plays TextUs; the CRM is in memory.")
	fake := textustest.NewServer()
	stopReceiver := func() {}
	defer func() {
		fake.Close() // waits for deliveries in flight, so it goes before the receiver
		stopReceiver()
	}()
	c := fake.Client()
	crm := &MemoryCRM{}
	notes := &NoteLogger{Client: c, CRM: crm}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hook, err := c.Webhooks.Create(ctx, &textus.WebhookParams{
		URL:    "http://" + ln.Addr().String() + webhookPath,
		Events: []textus.EventType{textus.EventMessageReceived, textus.EventMessageDelivered},
	})
	if err != nil {
		ln.Close()
		return fmt.Errorf("subscribing: %w", err)
	}
	h, err := webhooks.NewHandler(hook.Secret)
	if err != nil {
		ln.Close()
		return err
	}
	notes.Register(h)
	stopReceiver = serveInBackground(ln, h)

	// A recruiter texts the candidate twice and the candidate answers.
	for _, body := range []string{"Hi Jordan, thanks for applying to Acme!", "Are you free for a call tomorrow at 3pm?"} {
		_, err := c.Messages.Send(ctx, &textus.SendMessageParams{To: candidate, Body: body})
		if errors.Is(err, textus.ErrOutcomeUnknown) {
			return fmt.Errorf("a text may or may not have gone out; not sending it again: %w", err)
		}
		if err != nil {
			return err
		}
	}
	if _, err := fake.ReceiveMessage(candidate, "Yes, 3pm works"); err != nil {
		return err
	}
	if err := fake.WaitIdle(ctx); err != nil {
		return err
	}

	fmt.Fprintf(w, "Webhook deliveries handled: %d. CRM notes for %s:\n", len(fake.Deliveries()), candidate)
	for _, n := range crm.Notes(candidate) {
		fmt.Fprintf(w, "  %-3s %q\n", n.Direction, n.Body)
	}

	// A reconciliation run, like a second delivery of an event, finds
	// nothing new: every message is noted once.
	cv, err := c.Conversations.GetByPhone(ctx, candidate)
	if err != nil {
		return err
	}
	added, err := notes.Sync(ctx, cv.ID, candidate)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Syncing the conversation again added %d notes; the CRM has %d.\n", added, len(crm.Notes(candidate)))
	return nil
}

// serveInBackground serves h at webhookPath on ln until the returned
// function is called. Stopping is graceful: deliveries in progress finish
// (for up to 10 seconds).
func serveInBackground(ln net.Listener, h http.Handler) (stop func()) {
	mux := http.NewServeMux()
	mux.Handle(webhookPath, h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln) // http.ErrServerClosed once stopped
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if srv.Shutdown(ctx) != nil {
			srv.Close()
		}
		<-done
	}
}

// ---- live ------------------------------------------------------------------

func live(ctx context.Context, w io.Writer, env func(string) string) error {
	account, secret := env("TEXTUS_ACCOUNT"), env("TEXTUS_WEBHOOK_SECRET")
	if account == "" || secret == "" {
		return errors.New("TEXTUS_ACCOUNT and TEXTUS_WEBHOOK_SECRET are required with TEXTUS_TOKEN")
	}
	opts := []textus.Option{textus.WithAccount(account)}
	if base := env("TEXTUS_BASE_URL"); base != "" {
		opts = append(opts, textus.WithBaseURL(base))
	}
	c, err := textus.NewClient(env("TEXTUS_TOKEN"), opts...)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(w, nil))
	h, err := webhooks.NewHandler(secret, webhooks.WithLogger(logger))
	if err != nil {
		return err
	}
	(&NoteLogger{Client: c, CRM: &MemoryCRM{}, Logger: logger}).Register(h)

	addr := env("TEXTUS_WEBHOOK_ADDR")
	if addr == "" {
		addr = ":8080"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	logger.Info("serving", "addr", ln.Addr().String(), "path", webhookPath)
	stop := serveInBackground(ln, h)
	<-ctx.Done()
	logger.Info("shutting down")
	stop()
	return nil
}
