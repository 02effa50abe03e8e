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
	"net/http"
	"strings"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/examples/internal/exampleenv"
	"github.com/textus-go/textus/textustest"
)

const webhookPath = "/webhooks/textus"

func main() {
	exampleenv.Main("optout-sync", run)
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

	syncer := &Syncer{Client: c, Store: store}
	events := []textus.EventType{textus.EventContactOptedOut, textus.EventContactOptedIn}
	stop, err := exampleenv.StartReceiver(ctx, c, webhookPath, events, syncer.Register)
	if err != nil {
		return err
	}
	stopReceiver = stop
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
		return fmt.Errorf("texting an opted-out number: got %w, want ErrOptedOut", err)
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

// ---- live ------------------------------------------------------------------

func live(ctx context.Context, w io.Writer, env func(string) string) error {
	lv, err := exampleenv.LoadLive(env, w)
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
	(&Syncer{Client: lv.Client, Store: store, Logger: lv.Logger}).Register(lv.Handler)
	return exampleenv.Serve(ctx, lv.Addr, webhookPath, lv.Handler, lv.Logger, exampleenv.WithLogAttrs("store", path))
}
