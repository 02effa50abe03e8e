// Command contact-sync keeps contacts in step between TextUs and the user's
// own system, an applicant tracking system (ATS) here, in both directions:
//
//   - TextUs to ATS: on the contact.created webhook (a contact added in the
//     TextUs web app, or created by a text from a new number), the contact
//     is copied into the ATS as a candidate.
//   - ATS to TextUs: a candidate added in the ATS is created in TextUs with
//     c.Contacts.Create, carrying its ATS id in the contact's data
//     ("atsId"), and linked to the new contact. When TextUs then sends
//     contact.created for it, the webhook recognises the ATS id and links
//     instead of copying it back, even if it arrives before the response.
//
// Offline demo (the default), on a fake TextUs server with an in-memory ATS:
//
//	go run ./examples/contact-sync
//
// Against the real API, serving the webhook endpoint until SIGINT or SIGTERM:
//
//	TEXTUS_TOKEN=... TEXTUS_ACCOUNT=my_account TEXTUS_WEBHOOK_SECRET=textus-... \
//	TEXTUS_WEBHOOK_ADDR=:8080 go run ./examples/contact-sync
//
// Subscribe the endpoint (https://your-host/webhooks/textus) to
// contact.created first, with c.Webhooks.Create, and put its webhookSecret in
// TEXTUS_WEBHOOK_SECRET. To try the other direction too, set PUSH_NAME and
// PUSH_PHONE: that candidate is created in TextUs before serving.
// TEXTUS_BASE_URL optionally overrides https://next.textus.com.
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
		fmt.Fprintln(os.Stderr, "contact-sync:", err)
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

func demo(ctx context.Context, w io.Writer) error {
	fmt.Fprintln(w, "contact-sync demo: a fake TextUs server plays TextUs; the ATS is in memory.")
	fake := textustest.NewServer()
	stopReceiver := func() {}
	defer func() {
		fake.Close() // waits for deliveries in flight, so it goes before the receiver
		stopReceiver()
	}()
	c := fake.Client()
	ats := &MemoryATS{}
	cs := &ContactSync{Client: c, ATS: ats}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hook, err := c.Webhooks.Create(ctx, &textus.WebhookParams{
		URL:    "http://" + ln.Addr().String() + webhookPath,
		Events: []textus.EventType{textus.EventContactCreated},
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
	cs.Register(h)
	stopReceiver = serveInBackground(ln, h)

	// TextUs to ATS: a recruiter adds a contact in TextUs (simulated through
	// the API), then a new number texts in. Waiting for each delivery keeps
	// the demo's output in a fixed order.
	if _, err := c.Contacts.Create(ctx, &textus.ContactParams{
		Name:   "Jordan Lee",
		Phones: []textus.PhoneParams{{Number: "(303) 555-1234", Type: "Mobile"}},
	}); err != nil {
		return err
	}
	if err := fake.WaitIdle(ctx); err != nil {
		return err
	}
	if _, err := fake.ReceiveMessage("+17205550123", "Hi, is the warehouse job still open?"); err != nil {
		return err
	}
	if err := fake.WaitIdle(ctx); err != nil {
		return err
	}
	fmt.Fprintln(w, "1. Contacts created in TextUs were copied into the ATS.")

	// ATS to TextUs: a candidate added in the ATS is pushed to TextUs.
	cand := ats.Add("Sam Rivera", "+13035559876")
	if _, err := cs.Push(ctx, cand); err != nil {
		return err
	}
	if err := fake.WaitIdle(ctx); err != nil { // its contact.created is handled too
		return err
	}
	fmt.Fprintf(w, "2. Candidate %s was created in TextUs; its contact.created webhook linked it, not copied it back.\n", cand.ID)

	fmt.Fprintf(w, "ATS candidates (%d), TextUs contacts (%d):\n", len(ats.List()), len(fake.Contacts()))
	for _, cand := range ats.List() {
		name := cand.Name
		if name == "" {
			name = "(no name)"
		}
		fmt.Fprintf(w, "  %s  %-12s %s  linked to TextUs: %t\n", cand.ID, name, cand.Phone, cand.TextUsID != "")
	}
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
	ats := &MemoryATS{}
	cs := &ContactSync{Client: c, ATS: ats, Logger: logger}
	h, err := webhooks.NewHandler(secret, webhooks.WithLogger(logger))
	if err != nil {
		return err
	}
	cs.Register(h)

	addr := env("TEXTUS_WEBHOOK_ADDR")
	if addr == "" {
		addr = ":8080"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	stop := serveInBackground(ln, h)
	defer stop()
	logger.Info("serving", "addr", ln.Addr().String(), "path", webhookPath)

	if name, phone := env("PUSH_NAME"), env("PUSH_PHONE"); name != "" && phone != "" {
		e164, err := textus.NormalizePhone(phone)
		if err != nil {
			return fmt.Errorf("PUSH_PHONE: %w", err)
		}
		ct, err := cs.Push(ctx, ats.Add(name, e164))
		if err != nil {
			return err
		}
		logger.Info("pushed a candidate", "contact", ct.ID)
	}
	<-ctx.Done()
	logger.Info("shutting down")
	return nil
}
