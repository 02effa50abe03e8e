package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/webhooks"
)

// Note is one text message logged on a contact's CRM record.
type Note struct {
	MessageID string           // the TextUs message IRI: the de-duplication key
	Phone     string           // the contact's number, E.164
	Direction textus.Direction // "in" (from the contact) or "out"
	Body      string
	At        time.Time
}

// CRM is where the notes go: the TextUs contacts themselves
// (ContactNotes), or another system's notes API (MemoryCRM stands in for
// one).
type CRM interface {
	// HasNote reports whether a note for the message exists on the record
	// of phone.
	HasNote(ctx context.Context, phone, messageID string) (bool, error)
	// AddNote appends n to the contact's record unless a note for
	// n.MessageID exists, atomically; it reports whether it added it.
	AddNote(ctx context.Context, n Note) (bool, error)
}

// MemoryCRM is an in-memory CRM, the stand-in for another system's notes.
type MemoryCRM struct {
	mu    sync.Mutex
	notes []Note
	seen  map[string]bool
}

// HasNote implements CRM.
func (m *MemoryCRM) HasNote(_ context.Context, _, messageID string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.seen[messageID], nil
}

// AddNote implements CRM.
func (m *MemoryCRM) AddNote(_ context.Context, n Note) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen[n.MessageID] {
		return false, nil
	}
	if m.seen == nil {
		m.seen = make(map[string]bool)
	}
	m.seen[n.MessageID] = true
	m.notes = append(m.notes, n)
	return true, nil
}

// Notes returns the notes of a contact's number, in the order they were
// added.
func (m *MemoryCRM) Notes(phone string) []Note {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Note
	for _, n := range m.notes {
		if n.Phone == phone {
			out = append(out, n)
		}
	}
	return out
}

// NoteLogger logs a conversation's messages as CRM notes whenever a
// message is received or delivered.
type NoteLogger struct {
	Client *textus.Client
	CRM    CRM
	Logger *slog.Logger // optional
}

// Register sets the NoteLogger's callbacks on h.
func (l *NoteLogger) Register(h *webhooks.Handler) {
	h.OnMessageReceived(l.handle)
	h.OnMessageDelivered(l.handle)
}

func (l *NoteLogger) handle(ctx context.Context, e *textus.MessageEvent) error {
	var id, phone string
	if e.Conversation != nil {
		id, phone = e.Conversation.ID, e.Conversation.PhoneNumber
	}
	if id == "" && e.Message != nil {
		id = e.Message.Conversation
	}
	if id == "" {
		l.log("delivery without a conversation; ignored", "delivery", e.ID)
		return nil // a retry would not carry one either
	}
	if phone == "" {
		cv, err := l.Client.Conversations.Get(ctx, id)
		if err != nil {
			return err
		}
		phone = cv.PhoneNumber
	}
	// An error answers 500, and TextUs delivers the event again; the notes
	// already added are not added twice.
	_, err := l.Sync(ctx, id, phone)
	if errors.Is(err, ErrNoContact) {
		l.log("no contact has the number; its messages are not noted", "phone", phone)
		return nil // a retry would find no contact either
	}
	return err
}

// Sync adds a note for every message of the conversation that the CRM does
// not have yet, oldest first, and returns how many it added.
//
// Reading the timeline rather than only the delivered message also catches
// messages whose webhook was lost or has not arrived yet. The timeline is
// newest first and notes are added oldest first, so the first message
// already noted marks where the previous sync ended: everything older is in
// the CRM and is not read again.
func (l *NoteLogger) Sync(ctx context.Context, conversationID, phone string) (int, error) {
	var pending []*textus.Message
	for m, err := range l.Client.Conversations.Timeline(ctx, conversationID) {
		if err != nil {
			return 0, fmt.Errorf("reading the timeline of %s: %w", conversationID, err)
		}
		if m.ID == "" {
			continue
		}
		noted, err := l.CRM.HasNote(ctx, phone, m.ID)
		if err != nil {
			return 0, err
		}
		if noted {
			break
		}
		pending = append(pending, m)
	}
	added := 0
	for i := len(pending) - 1; i >= 0; i-- {
		m := pending[i]
		ok, err := l.CRM.AddNote(ctx, Note{
			MessageID: m.ID, Phone: phone, Direction: m.Direction, Body: m.Body, At: m.Time(),
		})
		if err != nil {
			return added, err
		}
		if ok {
			added++
			l.log("note added", "phone", phone, "message", m.ID, "direction", string(m.Direction))
		}
	}
	return added, nil
}

func (l *NoteLogger) log(msg string, args ...any) {
	if l.Logger != nil {
		l.Logger.Info(msg, args...)
	}
}
