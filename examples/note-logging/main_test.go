package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/examples/internal/exampletest"
	"github.com/textus-go/textus/textustest"
	"github.com/textus-go/textus/webhooks"
)

const phone = "+13035556666"

// setup starts a fake TextUs server and the note logger's webhook endpoint,
// subscribed to message.received and message.delivered.
func setup(t *testing.T, fake *textustest.Server) (*textus.Client, *MemoryCRM, *NoteLogger) {
	t.Helper()
	c := fake.Client()
	crm := &MemoryCRM{}
	nl := &NoteLogger{Client: c, CRM: crm}
	events := []textus.EventType{textus.EventMessageReceived, textus.EventMessageDelivered}
	exampletest.StartReceiver(t, fake, c, webhookPath, events, nl.Register)
	return c, crm, nl
}

func send(t *testing.T, c *textus.Client, body string) *textus.Message {
	t.Helper()
	m, err := c.Messages.Send(context.Background(), &textus.SendMessageParams{To: phone, Body: body})
	require.NoError(t, err)
	return m
}

func timelineReads(fake *textustest.Server) int {
	n := 0
	for _, r := range fake.Requests() {
		if r.Method == http.MethodGet && strings.HasSuffix(r.Path, "/timeline") {
			n++
		}
	}
	return n
}

func noteIDs(notes []Note) []string {
	ids := make([]string, len(notes))
	for i, n := range notes {
		ids[i] = n.MessageID
	}
	return ids
}

func TestEveryMessageIsNotedOnceInOrder(t *testing.T) {
	ctx := context.Background()
	fake := textustest.NewServer()
	c, crm, _ := setup(t, fake)

	m1 := send(t, c, "Hi, thanks for applying!")
	m2 := send(t, c, "Free tomorrow at 3pm?")
	in, err := fake.ReceiveMessage(phone, "Yes, 3pm works")
	require.NoError(t, err)
	require.NoError(t, fake.WaitIdle(ctx))

	notes := crm.Notes(phone)
	assert.Equal(t, []string{m1.ID, m2.ID, in.ID}, noteIDs(notes))
	assert.Equal(t, textus.DirectionOut, notes[0].Direction)
	assert.Equal(t, "Free tomorrow at 3pm?", notes[1].Body)
	assert.Equal(t, textus.DirectionIn, notes[2].Direction)
	assert.Equal(t, "Yes, 3pm works", notes[2].Body)
	for _, n := range notes {
		assert.False(t, n.At.IsZero())
	}
	assert.Len(t, fake.Deliveries(), 3)
	assert.Equal(t, 3, timelineReads(fake), "one timeline read per delivery")
}

// The same events delivered again under a handler that has never seen them
// (another replica, or a second integration with the same URL) add nothing.
func TestRedeliveredEventsAddNoNotes(t *testing.T) {
	ctx := context.Background()
	fake := textustest.NewServer()
	c, crm, nl := setup(t, fake)
	send(t, c, "Hi")
	_, err := fake.ReceiveMessage(phone, "Hello!")
	require.NoError(t, err)
	require.NoError(t, fake.WaitIdle(ctx))
	require.Len(t, crm.Notes(phone), 2)

	secret := fake.Webhooks()[0].Secret
	other, err := webhooks.NewHandler(secret)
	require.NoError(t, err)
	nl.Register(other)
	for _, d := range fake.Deliveries() {
		rec := httptest.NewRecorder()
		other.ServeHTTP(rec, webhooks.NewSignedRequest(webhookPath, secret, d.Body))
		assert.Equal(t, http.StatusOK, rec.Code)
	}
	assert.Len(t, crm.Notes(phone), 2)
}

// The first event of a conversation logs its earlier history too, and a
// later sync reads only as far back as the last noted message.
func TestSyncBackfillsThenReadsOnlyNewPages(t *testing.T) {
	ctx := context.Background()
	fake := textustest.NewServer(textustest.WithPageSize(1))
	defer fake.Close()
	c := fake.Client()
	crm := &MemoryCRM{}
	nl := &NoteLogger{Client: c, CRM: crm}

	// History from before the integration existed.
	m1 := send(t, c, "one")
	m2 := send(t, c, "two")
	m3 := send(t, c, "three")
	cv, err := c.Conversations.GetByPhone(ctx, phone)
	require.NoError(t, err)

	added, err := nl.Sync(ctx, cv.ID, phone)
	require.NoError(t, err)
	assert.Equal(t, 3, added)
	assert.Equal(t, []string{m1.ID, m2.ID, m3.ID}, noteIDs(crm.Notes(phone)))

	m4 := send(t, c, "four")
	before := timelineReads(fake)
	added, err = nl.Sync(ctx, cv.ID, phone)
	require.NoError(t, err)
	assert.Equal(t, 1, added)
	assert.Equal(t, []string{m1.ID, m2.ID, m3.ID, m4.ID}, noteIDs(crm.Notes(phone)))
	assert.Equal(t, 2, timelineReads(fake)-before, "pages read: the new message, then the first one already noted")
}

func TestTimelineErrorFailsTheDelivery(t *testing.T) {
	fake := textustest.NewServer(textustest.WithFaults(textustest.Fault{
		Kind: textustest.FaultServerError, Rate: 1, Method: http.MethodGet, Path: "/conversations/:id/timeline",
	}))
	defer fake.Close()
	nl := &NoteLogger{Client: fake.Client(textus.WithMaxRetries(0)), CRM: &MemoryCRM{}}
	e := &textus.MessageEvent{Conversation: &textus.Conversation{ID: "/conversations/kY1QwY", PhoneNumber: phone}}
	err := nl.handle(context.Background(), e)
	require.Error(t, err, "the handler answers 500 so that TextUs delivers the event again")
}

func TestEventWithoutConversationIsAcknowledged(t *testing.T) {
	nl := &NoteLogger{CRM: &MemoryCRM{}} // no client: nothing may be called
	require.NoError(t, nl.handle(context.Background(), &textus.MessageEvent{}))
}

func TestMemoryCRMAddNoteIsIdempotent(t *testing.T) {
	ctx := context.Background()
	crm := &MemoryCRM{}
	n := Note{MessageID: "/messages/a", Phone: phone, Body: "hi"}
	added, err := crm.AddNote(ctx, n)
	require.NoError(t, err)
	assert.True(t, added)
	added, err = crm.AddNote(ctx, n)
	require.NoError(t, err)
	assert.False(t, added)
	has, err := crm.HasNote(ctx, phone, "/messages/a")
	require.NoError(t, err)
	assert.True(t, has)
	assert.Len(t, crm.Notes(phone), 1)
}

func TestRunDemo(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, func(string) string { return "" }))
	assert.Equal(t, `note-logging demo: a fake TextUs server plays TextUs; the notes go on its contacts.
Webhook deliveries handled: 3. Notes on Jordan Lee (+13035551234) in TextUs:
  out "Hi Jordan, thanks for applying to Acme!"
  out "Are you free for a call tomorrow at 3pm?"
  in  "Yes, 3pm works"
Syncing the conversation again added 0 notes; the contact has 3.
`, out.String())
}

func TestRunLive(t *testing.T) {
	fake := textustest.NewServer()
	defer fake.Close()
	env := map[string]string{
		"TEXTUS_TOKEN": fake.Token(), "TEXTUS_ACCOUNT": fake.Account(), "TEXTUS_BASE_URL": fake.URL(),
		"TEXTUS_WEBHOOK_SECRET": "textus-secret", "TEXTUS_WEBHOOK_ADDR": "127.0.0.1:0",
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // stop at once: this checks the wiring, not the serving
	var out bytes.Buffer
	require.NoError(t, run(ctx, &out, func(k string) string { return env[k] }))
	assert.Contains(t, out.String(), "msg=serving")

	delete(env, "TEXTUS_WEBHOOK_SECRET")
	require.ErrorContains(t, run(ctx, &out, func(k string) string { return env[k] }), "TEXTUS_WEBHOOK_SECRET")
}
