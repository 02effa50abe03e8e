package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/examples/internal/exampletest"
	"github.com/textus-go/textus/textustest"
	"github.com/textus-go/textus/webhooks"
)

// contactNotes returns the message ids noted on the contact, in order.
func contactNotes(t *testing.T, fake *textustest.Server, contactID string) []string {
	t.Helper()
	var ids []string
	for _, n := range fake.Notes(contactID) {
		id := noteMessageID(n.Content)
		require.NotEmpty(t, id, "note %q", n.Content)
		ids = append(ids, id)
	}
	return ids
}

func newContact(t *testing.T, c *textus.Client) *textus.Contact {
	t.Helper()
	ct, err := c.Contacts.Create(context.Background(), &textus.ContactParams{Name: "Jordan Lee", Phones: []textus.PhoneParams{{Number: phone}}})
	require.NoError(t, err)
	return ct
}

func TestMessagesAreNotedOnTheTextUsContactOnce(t *testing.T) {
	ctx := context.Background()
	fake := textustest.NewServer()
	c := fake.Client()
	nl := &NoteLogger{Client: c, CRM: &ContactNotes{Client: c}}
	exampletest.StartReceiver(t, fake, c, webhookPath, []textus.EventType{textus.EventMessageReceived, textus.EventMessageDelivered}, nl.Register)
	ct := newContact(t, c)

	m1 := send(t, c, "Hi, thanks for applying!")
	in, err := fake.ReceiveMessage(phone, "Thanks!\nWhen can we talk?")
	require.NoError(t, err)
	require.NoError(t, fake.WaitIdle(ctx))
	assert.Equal(t, []string{m1.ID, in.ID}, contactNotes(t, fake, ct.ID))
	notes := fake.Notes(ct.ID)
	dir, body, _, ok := parseNote(notes[1].Content)
	require.True(t, ok)
	assert.Equal(t, textus.DirectionIn, dir)
	assert.Equal(t, "Thanks!\nWhen can we talk?", body)

	// The same deliveries, to a handler with a fresh ContactNotes (another
	// replica, nothing cached): the notes in TextUs say what is noted.
	secret := fake.Webhooks()[0].Secret
	other, err := webhooks.NewHandler(secret)
	require.NoError(t, err)
	(&NoteLogger{Client: c, CRM: &ContactNotes{Client: c}}).Register(other)
	for _, d := range fake.Deliveries() {
		rec := httptest.NewRecorder()
		other.ServeHTTP(rec, webhooks.NewSignedRequest(webhookPath, secret, d.Body))
		assert.Equal(t, http.StatusOK, rec.Code)
	}
	assert.Len(t, fake.Notes(ct.ID), 2)
}

// A note whose answer is lost was added: the notes are read again, and it
// is not added twice.
func TestLostNoteAnswerIsNotAddedTwice(t *testing.T) {
	ctx := context.Background()
	fake := textustest.NewServer()
	defer fake.Close()
	c := fake.Client()
	ct := newContact(t, c)
	crm := &ContactNotes{Client: c}
	fake.SetFaults(textustest.Fault{Kind: textustest.FaultLoseResponse, Rate: 1, Method: "POST", Path: "/contacts/:id/notes", Limit: 1})

	n := Note{MessageID: "/messages/m1", Phone: phone, Direction: textus.DirectionOut, Body: "hi", At: time.Now()}
	added, err := crm.AddNote(ctx, n)
	require.NoError(t, err, "the lost answer is resolved by reading the notes")
	assert.True(t, added)
	added, err = crm.AddNote(ctx, n)
	require.NoError(t, err)
	assert.False(t, added)
	assert.Equal(t, []string{"/messages/m1"}, contactNotes(t, fake, ct.ID))
}

// A note refused with a 5xx was not added: the error fails the delivery,
// and the next attempt adds it, once.
func TestNoteNotAddedIsAddedOnTheNextAttempt(t *testing.T) {
	ctx := context.Background()
	fake := textustest.NewServer()
	defer fake.Close()
	c := fake.Client()
	ct := newContact(t, c)
	crm := &ContactNotes{Client: c}
	fake.SetFaults(textustest.Fault{Kind: textustest.FaultServerError, Rate: 1, Method: "POST", Path: "/contacts/:id/notes", Limit: 1})

	n := Note{MessageID: "/messages/m1", Phone: phone, Direction: textus.DirectionOut, Body: "hi", At: time.Now()}
	_, err := crm.AddNote(ctx, n)
	require.ErrorIs(t, err, textus.ErrOutcomeUnknown)
	assert.Empty(t, fake.Notes(ct.ID))
	added, err := crm.AddNote(ctx, n)
	require.NoError(t, err)
	assert.True(t, added)
	assert.Equal(t, []string{"/messages/m1"}, contactNotes(t, fake, ct.ID))
}

// A number without a contact has nowhere to note its messages: the
// delivery is acknowledged rather than retried forever.
func TestNumberWithoutContactIsSkipped(t *testing.T) {
	fake := textustest.NewServer()
	defer fake.Close()
	c := fake.Client()
	m := send(t, c, "hello") // a send does not make a contact
	nl := &NoteLogger{Client: c, CRM: &ContactNotes{Client: c}}
	err := nl.handle(context.Background(), &textus.MessageEvent{Message: m, Conversation: &textus.Conversation{ID: m.Conversation, PhoneNumber: phone}})
	require.NoError(t, err)
	_, err = (&ContactNotes{Client: c}).HasNote(context.Background(), phone, m.ID)
	require.ErrorIs(t, err, ErrNoContact)
}

func TestNoteTextRoundTrip(t *testing.T) {
	n := Note{MessageID: "/messages/QNDkpL", Direction: textus.DirectionIn, Body: "two\nlines",
		At: time.Date(2025, 1, 2, 15, 4, 5, 0, time.UTC)}
	text := noteText(n)
	assert.Equal(t, "Text in, 2025-01-02 15:04 UTC\ntwo\nlines\n[/messages/QNDkpL]", text)
	dir, body, id, ok := parseNote(text)
	require.True(t, ok)
	assert.Equal(t, textus.DirectionIn, dir)
	assert.Equal(t, "two\nlines", body)
	assert.Equal(t, "/messages/QNDkpL", id)
	for _, other := range []string{"", "Call back Tuesday", "Text out, x\n[/messages/a]", "Text out\nbody\n[/contacts/a]"} {
		_, _, _, ok := parseNote(other)
		assert.False(t, ok, other)
	}
}
