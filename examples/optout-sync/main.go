// Command optout-sync keeps opt-outs in step between TextUs and the
// application, as in the TextUs help centre's webhook use case: when a
// contact opts out (for example by texting STOP), the contact.opted_out
// webhook records the opt-out in the application's own store and in TextUs
// (PUT /:account/opt_outs/:phone_number), and the application's send path
// checks its store so that it never texts that number again, without even
// calling TextUs. When the contact opts back in (START), contact.opted_in
// marks the record as opted back in; the record itself is kept, for
// compliance.
//
// Offline demo (the default), on a fake TextUs server:
//
//	go run ./examples/optout-sync
//
// Against the real API, serving the webhook endpoint until SIGINT or SIGTERM:
//
//	TEXTUS_TOKEN=... TEXTUS_ACCOUNT=my_account TEXTUS_WEBHOOK_SECRET=textus-... \
//	OPTOUT_STORE=optouts.json TEXTUS_WEBHOOK_ADDR=:8080 go run ./examples/optout-sync
//
// Subscribe the endpoint (https://your-host/webhooks/textus) to
// contact.opted_out and contact.opted_in first, with c.Webhooks.Create, and
// put its webhookSecret in TEXTUS_WEBHOOK_SECRET. OPTOUT_STORE is the JSON
// file of the application's records (default optouts.json); TEXTUS_BASE_URL
// optionally overrides https://next.textus.com.
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
	"strings"
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
		fmt.Fprintln(os.Stderr, "optout-sync:", err)
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
	step := stepper(w)
	fmt.Fprintln(w, "optout-sync demo: a fake TextUs server plays TextUs; the app's store is in memory.")

	fake := textustest.NewServer()
	stopReceiver := func() {}
	defer func() {
		fake.Close() // waits for deliveries in flight, so it goes before the receiver
		stopReceiver()
	}()
	c := fake.Client()
	store, err := OpenFileStore("")
	if err != nil {
		return err
	}
	texter := &Texter{Client: c, Store: store}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hook, err := c.Webhooks.Create(ctx, &textus.WebhookParams{
		URL:    "http://" + ln.Addr().String() + webhookPath,
		Events: []textus.EventType{textus.EventContactOptedOut, textus.EventContactOptedIn},
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
	(&Syncer{Client: c, Store: store}).Register(h)
	stopReceiver = serveInBackground(ln, h)
	step("Subscribed the app's webhook endpoint to contact.opted_out and contact.opted_in.")

	if _, err := texter.Send(ctx, candidate, "Hi Jordan, are you free for a call tomorrow?"); err != nil {
		return err
	}
	step("App texted %s.", candidate)

	if err := receive(ctx, fake, "STOP"); err != nil {
		return err
	}
	step("The candidate texted STOP.")
	rec, _, err := store.Get(ctx, candidate)
	if err != nil {
		return err
	}
	step("App store: %s opted out = %t.", candidate, rec.OptedOut)
	inTextUs, err := c.OptOuts.IsOptedOut(ctx, candidate)
	if err != nil {
		return err
	}
	put, status := putOptOut(fake)
	step("TextUs: %s opted out = %t (the callback's %s answered %d).", candidate, inTextUs, put, status)

	before := len(fake.Requests())
	_, err = texter.Send(ctx, candidate, "Just checking in!")
	if !errors.Is(err, ErrOptedOut) {
		return fmt.Errorf("texting an opted-out number: got %v, want ErrOptedOut", err)
	}
	step("App refused to text %s (%v); TextUs requests made: %d.", candidate, err, len(fake.Requests())-before)

	if err := receive(ctx, fake, "START"); err != nil {
		return err
	}
	step("The candidate texted START.")
	rec, _, err = store.Get(ctx, candidate)
	if err != nil {
		return err
	}
	step("App store: record kept (opt-out recorded: %t, opt-in recorded: %t); opted out = %t.",
		!rec.OptedOutAt.IsZero(), !rec.OptedInAt.IsZero(), rec.OptedOut)

	if _, err := texter.Send(ctx, candidate, "Welcome back, Jordan!"); err != nil {
		return err
	}
	step("App texted %s again; TextUs has sent %d texts in all.", candidate, len(fake.SentMessages()))
	return nil
}

// putOptOut finds the callback's PUT of the opt-out among the requests the
// fake received.
func putOptOut(fake *textustest.Server) (string, int) {
	for _, r := range fake.Requests() {
		if r.Method == http.MethodPut && strings.Contains(r.Path, "/opt_outs/") {
			return "PUT " + r.Path, r.Status
		}
	}
	return "PUT (none)", 0
}

// receive simulates an inbound text and waits until its webhooks have been
// handled.
func receive(ctx context.Context, fake *textustest.Server, body string) error {
	if _, err := fake.ReceiveMessage(candidate, body); err != nil {
		return err
	}
	return fake.WaitIdle(ctx)
}

func stepper(w io.Writer) func(format string, args ...any) {
	n := 0
	return func(format string, args ...any) {
		n++
		fmt.Fprintf(w, "%d. %s\n", n, fmt.Sprintf(format, args...))
	}
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
	path := env("OPTOUT_STORE")
	if path == "" {
		path = "optouts.json"
	}
	store, err := OpenFileStore(path)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(w, nil))
	h, err := webhooks.NewHandler(secret, webhooks.WithLogger(logger))
	if err != nil {
		return err
	}
	(&Syncer{Client: c, Store: store, Logger: logger}).Register(h)

	addr := env("TEXTUS_WEBHOOK_ADDR")
	if addr == "" {
		addr = ":8080"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	logger.Info("serving", "addr", ln.Addr().String(), "path", webhookPath, "store", path)
	stop := serveInBackground(ln, h)
	<-ctx.Done()
	logger.Info("shutting down")
	stop()
	return nil
}
