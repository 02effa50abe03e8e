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

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/examples/internal/exampleenv"
	"github.com/textus-go/textus/textustest"
)

const webhookPath = "/webhooks/textus"

func main() {
	exampleenv.Main("note-logging", run)
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

	events := []textus.EventType{textus.EventMessageReceived, textus.EventMessageDelivered}
	stop, err := exampleenv.StartReceiver(ctx, c, webhookPath, events, notes.Register)
	if err != nil {
		return err
	}
	stopReceiver = stop

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

// ---- live ------------------------------------------------------------------

func live(ctx context.Context, w io.Writer, env func(string) string) error {
	lv, err := exampleenv.LoadLive(env, w)
	if err != nil {
		return err
	}
	(&NoteLogger{Client: lv.Client, CRM: &MemoryCRM{}, Logger: lv.Logger}).Register(lv.Handler)
	return exampleenv.Serve(ctx, lv.Addr, webhookPath, lv.Handler, lv.Logger)
}
