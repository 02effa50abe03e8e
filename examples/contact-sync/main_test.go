package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/examples/internal/exampletest"
	"github.com/textus-go/textus/textustest"
	"github.com/textus-go/textus/webhooks"
)

// setup starts the contact sync's webhook endpoint for fake, subscribed to
// contact.created.
func setup(t *testing.T, fake *textustest.Server) (*textus.Client, *MemoryATS, *ContactSync) {
	t.Helper()
	c := fake.Client()
	ats := &MemoryATS{}
	cs := &ContactSync{Client: c, ATS: ats}
	exampletest.StartReceiver(t, fake, c, webhookPath, []textus.EventType{textus.EventContactCreated}, cs.Register)
	return c, ats, cs
}

func TestTextUsToATS(t *testing.T) {
	ctx := context.Background()
	fake := textustest.NewServer()
	c, ats, _ := setup(t, fake)

	ct, err := c.Contacts.Create(ctx, &textus.ContactParams{
		Name:   "Jordan Lee",
		Phones: []textus.PhoneParams{{Number: "303-555-1234"}},
	})
	require.NoError(t, err)
	require.NoError(t, fake.WaitIdle(ctx))
	require.Equal(t, []Candidate{{ID: "cand-1", Name: "Jordan Lee", Phone: "+13035551234", TextUsID: ct.ID}}, ats.List())

	// A text from a new number creates a contact in TextUs, and a candidate.
	_, err = fake.ReceiveMessage("+17205550123", "Is the job still open?")
	require.NoError(t, err)
	require.NoError(t, fake.WaitIdle(ctx))
	list := ats.List()
	require.Len(t, list, 2)
	assert.Equal(t, "+17205550123", list[1].Phone)
	assert.NotEmpty(t, list[1].TextUsID)

	// The same events delivered again (another replica, a retry) add nothing.
	secret := fake.Webhooks()[0].Secret
	other, err := webhooks.NewHandler(secret)
	require.NoError(t, err)
	(&ContactSync{Client: c, ATS: ats}).Register(other)
	for _, d := range fake.Deliveries() {
		rec := httptest.NewRecorder()
		other.ServeHTTP(rec, webhooks.NewSignedRequest(webhookPath, secret, d.Body))
		assert.Equal(t, http.StatusOK, rec.Code)
	}
	assert.Len(t, ats.List(), 2)
}

func TestATSToTextUs(t *testing.T) {
	ctx := context.Background()
	fake := textustest.NewServer()
	c, ats, cs := setup(t, fake)

	cand := ats.Add("Sam Rivera", "+13035559876")
	ct, err := cs.Push(ctx, cand)
	require.NoError(t, err)
	require.NoError(t, fake.WaitIdle(ctx))

	got, err := c.Contacts.Get(ctx, ct.ID)
	require.NoError(t, err)
	assert.Equal(t, "Sam Rivera", got.Name)
	require.Len(t, got.Phones, 1)
	assert.Equal(t, "+13035559876", got.Phones[0].PhoneNumber)
	assert.Equal(t, cand.ID, got.Data[atsIDKey])

	linked, ok := ats.Get(cand.ID)
	require.True(t, ok)
	assert.Equal(t, ct.ID, linked.TextUsID)
	assert.Len(t, ats.List(), 1, "the contact.created webhook did not copy it back")
	assert.Len(t, fake.Contacts(), 1)

	// Pushing a linked candidate again does nothing.
	_, err = cs.Push(ctx, linked)
	require.Error(t, err)
	assert.Len(t, fake.Contacts(), 1)
}

// The webhook may arrive before Push has its response: it links the
// candidate, and Push's own link then agrees.
func TestWebhookBeforePushResponse(t *testing.T) {
	ctx := context.Background()
	ats := &MemoryATS{}
	cs := &ContactSync{ATS: ats} // no client: nothing may be called
	cand := ats.Add("Sam Rivera", "+13035559876")
	e := &textus.ContactEvent{Contact: &textus.Contact{
		ID: "/contacts/abc", Name: "Sam Rivera", Data: map[string]any{atsIDKey: cand.ID},
	}}
	require.NoError(t, cs.ContactCreated(ctx, e))
	require.NoError(t, ats.Link(ctx, cand.ID, "/contacts/abc"))
	got, _ := ats.Get(cand.ID)
	assert.Equal(t, "/contacts/abc", got.TextUsID)

	// A second contact claiming the same candidate is not linked.
	e.Contact.ID = "/contacts/other"
	require.NoError(t, cs.ContactCreated(ctx, e))
	got, _ = ats.Get(cand.ID)
	assert.Equal(t, "/contacts/abc", got.TextUsID)
	assert.Len(t, ats.List(), 1)
}

// When the create's response is lost, Push reports it and does not create
// the contact again; the contact.created webhook links it.
func TestPushOutcomeUnknown(t *testing.T) {
	ctx := context.Background()
	fake := textustest.NewServer(textustest.WithFaults(textustest.Fault{
		Kind: textustest.FaultLoseResponse, Rate: 1, Method: http.MethodPost, Path: "/:account/contacts",
	}))
	_, ats, cs := setup(t, fake)

	cand := ats.Add("Sam Rivera", "+13035559876")
	_, err := cs.Push(ctx, cand)
	require.ErrorIs(t, err, textus.ErrOutcomeUnknown)
	require.NoError(t, fake.WaitIdle(ctx))

	require.Len(t, fake.Contacts(), 1, "created once, not again")
	linked, _ := ats.Get(cand.ID)
	assert.Equal(t, fake.Contacts()[0].ID, linked.TextUsID, "the webhook linked it")
	assert.Len(t, ats.List(), 1)
}

// A delivery that carries only the contact's link is completed with a read.
func TestLinkOnlyDeliveryReadsTheContact(t *testing.T) {
	ctx := context.Background()
	fake := textustest.NewServer()
	defer fake.Close()
	c := fake.Client()
	ct, err := c.Contacts.Create(ctx, &textus.ContactParams{Name: "Ada Park", Phones: []textus.PhoneParams{{Number: "+13035550111"}}})
	require.NoError(t, err)

	ats := &MemoryATS{}
	cs := &ContactSync{Client: c, ATS: ats}
	require.NoError(t, cs.ContactCreated(ctx, &textus.ContactEvent{Contact: &textus.Contact{ID: ct.ID}}))
	assert.Equal(t, []Candidate{{ID: "cand-1", Name: "Ada Park", Phone: "+13035550111", TextUsID: ct.ID}}, ats.List())
}

func TestRunDemo(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, func(string) string { return "" }))
	assert.Equal(t, `contact-sync demo: a fake TextUs server plays TextUs; the ATS is in memory.
1. Contacts created in TextUs were copied into the ATS.
2. Candidate cand-3 was created in TextUs; its contact.created webhook linked it, not copied it back.
ATS candidates (3), TextUs contacts (3):
  cand-1  Jordan Lee   +13035551234  linked to TextUs: true
  cand-2  (no name)    +17205550123  linked to TextUs: true
  cand-3  Sam Rivera   +13035559876  linked to TextUs: true
`, out.String())
}

func TestRunLive(t *testing.T) {
	ctx := context.Background()
	fake := textustest.NewServer()
	defer fake.Close()
	env := map[string]string{
		"TEXTUS_TOKEN": fake.Token(), "TEXTUS_ACCOUNT": fake.Account(), "TEXTUS_BASE_URL": fake.URL(),
		"TEXTUS_WEBHOOK_SECRET": "textus-secret", "TEXTUS_WEBHOOK_ADDR": "127.0.0.1:0",
		"PUSH_NAME": "Sam Rivera", "PUSH_PHONE": "303-555-9876",
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := &exampletest.SyncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(cctx, out, func(k string) string { return env[k] }) }()
	// Stop once the candidate is pushed.
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "pushed a candidate") },
		10*time.Second, 5*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	assert.Contains(t, out.String(), "msg=serving")
	require.Len(t, fake.Contacts(), 1)
	assert.Equal(t, "Sam Rivera", fake.Contacts()[0].Name)
	assert.Contains(t, out.String(), "contact="+fake.Contacts()[0].ID)

	delete(env, "TEXTUS_WEBHOOK_SECRET")
	require.ErrorContains(t, run(ctx, out, func(k string) string { return env[k] }), "TEXTUS_WEBHOOK_SECRET")
}
