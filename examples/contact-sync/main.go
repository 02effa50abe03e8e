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
	"fmt"
	"io"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/examples/internal/exampleenv"
	"github.com/textus-go/textus/textustest"
)

const webhookPath = "/webhooks/textus"

func main() {
	exampleenv.Main("contact-sync", run)
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

	stop, err := exampleenv.StartReceiver(ctx, c, webhookPath, []textus.EventType{textus.EventContactCreated}, cs.Register)
	if err != nil {
		return err
	}
	stopReceiver = stop

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

// ---- live ------------------------------------------------------------------

func live(ctx context.Context, w io.Writer, env func(string) string) error {
	lv, err := exampleenv.LoadLive(env, w)
	if err != nil {
		return err
	}
	ats := &MemoryATS{}
	cs := &ContactSync{Client: lv.Client, ATS: ats, Logger: lv.Logger}
	cs.Register(lv.Handler)

	// Once the endpoint serves, push the PUSH_NAME candidate, if any: its
	// contact.created webhook then finds the endpoint up.
	push := func(ctx context.Context) error {
		name, phone := env("PUSH_NAME"), env("PUSH_PHONE")
		if name == "" || phone == "" {
			return nil
		}
		e164, err := textus.NormalizePhone(phone)
		if err != nil {
			return fmt.Errorf("PUSH_PHONE: %w", err)
		}
		ct, err := cs.Push(ctx, ats.Add(name, e164))
		if err != nil {
			return err
		}
		lv.Logger.Info("pushed a candidate", "contact", ct.ID)
		return nil
	}
	return exampleenv.Serve(ctx, lv.Addr, webhookPath, lv.Handler, lv.Logger, exampleenv.WhileServing(push))
}
