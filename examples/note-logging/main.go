// Command note-logging keeps a record of every text on the TextUs contact
// it was exchanged with: on every message.received and message.delivered
// webhook it reads the conversation's timeline (c.Conversations.Timeline)
// and adds a note to the contact (c.Contacts.CreateNote, the notes
// endpoint) for each message not yet noted. Notes are de-duplicated by
// message id, which each note names on its last line, so retried or
// duplicated deliveries, several events for the same conversation, and a
// note whose answer was lost never log a message twice.
//
// Offline demo (the default), on a fake TextUs server:
//
//	go run ./examples/note-logging
//
// Against the real API, serving the webhook endpoint until SIGINT or SIGTERM:
//
//	TEXTUS_TOKEN=... TEXTUS_ACCOUNT=my_account TEXTUS_WEBHOOK_SECRET=textus-... \
//	TEXTUS_WEBHOOK_ADDR=:8080 go run ./examples/note-logging
//
// Subscribe the endpoint (https://your-host/webhooks/textus) to
// message.received and message.delivered first, with c.Webhooks.Create, and
// put its webhookSecret in TEXTUS_WEBHOOK_SECRET. TEXTUS_BASE_URL optionally
// overrides https://next.textus.com. Messages with a number that no contact
// has are not noted (there is no record to note them on). The CRM interface
// lets the same logger write to another system's notes instead.
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
	fmt.Fprintln(w, "note-logging demo: a fake TextUs server plays TextUs; the notes go on its contacts.")
	fake := textustest.NewServer()
	stopReceiver := func() {}
	defer func() {
		fake.Close() // waits for deliveries in flight, so it goes before the receiver
		stopReceiver()
	}()
	c := fake.Client()
	notes := &NoteLogger{Client: c, CRM: &ContactNotes{Client: c}}

	events := []textus.EventType{textus.EventMessageReceived, textus.EventMessageDelivered}
	stop, err := exampleenv.StartReceiver(ctx, c, webhookPath, events, notes.Register)
	if err != nil {
		return err
	}
	stopReceiver = stop

	// The candidate is a contact, as an ATS integration would have made.
	contact, err := c.Contacts.Create(ctx, &textus.ContactParams{
		Name: "Jordan Lee", Phones: []textus.PhoneParams{{Number: candidate, Type: "Mobile"}},
	})
	if err != nil {
		return err
	}
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

	fmt.Fprintf(w, "Webhook deliveries handled: %d. Notes on %s (%s) in TextUs:\n", len(fake.Deliveries()), contact.Name, candidate)
	n, err := printNotes(ctx, w, c, contact.ID)
	if err != nil {
		return err
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
	fmt.Fprintf(w, "Syncing the conversation again added %d notes; the contact has %d.\n", added, n+added)
	return nil
}

// printNotes prints the message notes of a contact, read back from TextUs,
// and returns how many there are.
func printNotes(ctx context.Context, w io.Writer, c *textus.Client, contactID string) (int, error) {
	n := 0
	for note, err := range c.Contacts.Notes(ctx, contactID) {
		if err != nil {
			return n, err
		}
		if dir, body, _, ok := parseNote(note.Content); ok {
			fmt.Fprintf(w, "  %-3s %q\n", dir, body)
			n++
		}
	}
	return n, nil
}

// ---- live ------------------------------------------------------------------

func live(ctx context.Context, w io.Writer, env func(string) string) error {
	lv, err := exampleenv.LoadLive(env, w)
	if err != nil {
		return err
	}
	(&NoteLogger{Client: lv.Client, CRM: &ContactNotes{Client: lv.Client}, Logger: lv.Logger}).Register(lv.Handler)
	return exampleenv.Serve(ctx, lv.Addr, webhookPath, lv.Handler, lv.Logger)
}
