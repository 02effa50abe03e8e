package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/examples/internal/exampletest"
	"github.com/textus-go/textus/textustest"
)

// setup starts a fake TextUs server and the app's webhook endpoint,
// subscribed to the opt-out events, with a store saved in a temporary file.
func setup(t *testing.T, opts ...textustest.Option) (*textustest.Server, *FileStore, *Texter) {
	t.Helper()
	fake := textustest.NewServer(opts...)
	c := fake.Client()
	store, err := OpenFileStore(filepath.Join(t.TempDir(), "optouts.json"))
	require.NoError(t, err)
	events := []textus.EventType{textus.EventContactOptedOut, textus.EventContactOptedIn}
	exampletest.StartReceiver(t, fake, c, webhookPath, events, (&Syncer{Client: c, Store: store}).Register)
	return fake, store, &Texter{Client: c, Store: store}
}

func countRequests(fake *textustest.Server, method, pathPart string) int {
	n := 0
	for _, r := range fake.Requests() {
		if r.Method == method && strings.Contains(r.Path, pathPart) {
			n++
		}
	}
	return n
}

func TestOptOutSyncEndToEnd(t *testing.T) {
	ctx := context.Background()
	fake, store, texter := setup(t)
	const phone = "+13035557777"

	_, err := texter.Send(ctx, "(303) 555-7777", "Hi, are you free tomorrow?")
	require.NoError(t, err)
	require.Len(t, fake.SentMessages(), 1)

	// STOP: the app's store and TextUs both have it.
	_, err = fake.ReceiveMessage(phone, "STOP")
	require.NoError(t, err)
	require.NoError(t, fake.WaitIdle(ctx))

	rec, ok, err := store.Get(ctx, phone)
	require.NoError(t, err)
	require.True(t, ok, "the store has the opt-out")
	assert.True(t, rec.OptedOut)
	assert.False(t, rec.OptedOutAt.IsZero())
	assert.Equal(t, 1, countRequests(fake, http.MethodPut, "/opt_outs/3035557777"), "the callback mirrored it with a PUT")
	optedOut, err := texter.Client.OptOuts.IsOptedOut(ctx, phone)
	require.NoError(t, err)
	assert.True(t, optedOut)

	// The app refuses to send, without calling TextUs.
	requests := len(fake.Requests())
	_, err = texter.Send(ctx, phone, "Just checking in")
	require.ErrorIs(t, err, ErrOptedOut)
	assert.Len(t, fake.Requests(), requests, "no request was made")
	assert.Len(t, fake.SentMessages(), 1)

	// START: the record is kept and marked as opted back in.
	_, err = fake.ReceiveMessage(phone, "START")
	require.NoError(t, err)
	require.NoError(t, fake.WaitIdle(ctx))

	rec2, ok, err := store.Get(ctx, phone)
	require.NoError(t, err)
	require.True(t, ok, "the record is kept")
	assert.False(t, rec2.OptedOut)
	assert.Equal(t, rec.OptedOutAt, rec2.OptedOutAt, "the opt-out stays in the history")
	assert.False(t, rec2.OptedInAt.Before(rec2.OptedOutAt))
	assert.Equal(t, 1, countRequests(fake, http.MethodPut, "/opt_outs/"), "an opt-in makes no TextUs call")

	// The file holds the same record.
	reopened, err := OpenFileStore(store.path)
	require.NoError(t, err)
	fromFile, ok, err := reopened.Get(ctx, phone)
	require.NoError(t, err)
	require.True(t, ok)
	assert.True(t, rec2.OptedOutAt.Equal(fromFile.OptedOutAt))
	assert.True(t, rec2.OptedInAt.Equal(fromFile.OptedInAt))
	assert.False(t, fromFile.OptedOut)

	// Opted back in, the number can be texted again.
	_, err = texter.Send(ctx, phone, "Welcome back")
	require.NoError(t, err)
	assert.Len(t, fake.SentMessages(), 2)
}

func optOutEvent(action textus.EventType, phone string, at time.Time) *textus.OptOutEvent {
	return &textus.OptOutEvent{
		Event:  textus.Event{ID: "/integrations/x/deliveries/" + at.String(), Action: action, Timestamp: at},
		OptOut: &textus.OptOut{PhoneNumber: phone},
	}
}

// Deliveries may arrive out of order: an opt-out older than the recorded
// opt-in must not opt the number out again, in the store or in TextUs.
func TestStaleOptOutIsKeptInHistoryOnly(t *testing.T) {
	ctx := context.Background()
	fake := textustest.NewServer()
	defer fake.Close()
	store, err := OpenFileStore("")
	require.NoError(t, err)
	s := &Syncer{Client: fake.Client(), Store: store}
	const phone = "+13035558888"
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

	require.NoError(t, s.OptedIn(ctx, optOutEvent(textus.EventContactOptedIn, phone, t0.Add(time.Minute))))
	require.NoError(t, s.OptedOut(ctx, optOutEvent(textus.EventContactOptedOut, phone, t0)))

	rec, _, err := store.Get(ctx, phone)
	require.NoError(t, err)
	assert.False(t, rec.OptedOut)
	assert.Equal(t, t0, rec.OptedOutAt)
	assert.Zero(t, countRequests(fake, http.MethodPut, "/opt_outs/"))

	// A newer opt-out does apply.
	require.NoError(t, s.OptedOut(ctx, optOutEvent(textus.EventContactOptedOut, phone, t0.Add(2*time.Minute))))
	rec, _, err = store.Get(ctx, phone)
	require.NoError(t, err)
	assert.True(t, rec.OptedOut)
	assert.True(t, fake.IsOptedOut(phone))
}

// When TextUs cannot be reached, the callback fails (so the delivery is
// retried) but the app's own record is already there.
func TestOptOutIsRecordedLocallyWhenTextUsFails(t *testing.T) {
	ctx := context.Background()
	fake := textustest.NewServer(textustest.WithFaults(textustest.Fault{
		Kind: textustest.FaultServerError, Rate: 1, Method: http.MethodPut, Path: "/:account/opt_outs/:phone",
	}))
	defer fake.Close()
	store, err := OpenFileStore("")
	require.NoError(t, err)
	c := fake.Client(textus.WithMaxRetries(1))
	s := &Syncer{Client: c, Store: store}
	const phone = "+13035559999"

	err = s.OptedOut(ctx, optOutEvent(textus.EventContactOptedOut, phone, time.Now()))
	require.Error(t, err)
	rec, ok, err := store.Get(ctx, phone)
	require.NoError(t, err)
	require.True(t, ok)
	assert.True(t, rec.OptedOut)

	_, err = (&Texter{Client: c, Store: store}).Send(ctx, phone, "hello")
	assert.ErrorIs(t, err, ErrOptedOut)
	assert.Empty(t, fake.SentMessages())
}

func TestEventWithoutPhoneIsAcknowledged(t *testing.T) {
	store, err := OpenFileStore("")
	require.NoError(t, err)
	s := &Syncer{Store: store} // no client: nothing may be called
	e := &textus.OptOutEvent{Event: textus.Event{ID: "/integrations/x/deliveries/1", Action: textus.EventContactOptedOut}}
	require.NoError(t, s.OptedOut(context.Background(), e))
	require.NoError(t, s.OptedIn(context.Background(), e))
}

type brokenStore struct{ Store }

func (brokenStore) Get(context.Context, string) (Record, bool, error) {
	return Record{}, false, errors.New("database is down")
}

func TestTexterFailsClosed(t *testing.T) {
	fake := textustest.NewServer()
	defer fake.Close()
	texter := &Texter{Client: fake.Client(), Store: brokenStore{}}
	_, err := texter.Send(context.Background(), "+13035551234", "hello")
	require.ErrorContains(t, err, "database is down")
	assert.Empty(t, fake.Requests(), "nothing is sent when the opt-out records cannot be read")
}

func TestTexterDoesNotResendWhenOutcomeUnknown(t *testing.T) {
	fake := textustest.NewServer(textustest.WithFaults(textustest.Fault{
		Kind: textustest.FaultLoseResponse, Rate: 1, Method: http.MethodPost, Path: "/:account/messages",
	}))
	defer fake.Close()
	store, err := OpenFileStore("")
	require.NoError(t, err)
	texter := &Texter{Client: fake.Client(), Store: store}

	_, err = texter.Send(context.Background(), "+13035551234", "hello")
	require.ErrorIs(t, err, textus.ErrOutcomeUnknown)
	assert.Contains(t, err.Error(), "will not be sent again")
	assert.Len(t, fake.SentMessages(), 1, "sent exactly once")
}

func TestFileStoreKeepsRecordsAcrossOpens(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "optouts.json")
	s, err := OpenFileStore(path)
	require.NoError(t, err)
	at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	require.NoError(t, s.Update(ctx, "+13035551234", func(r *Record) { r.apply(true, at) }))

	s2, err := OpenFileStore(path)
	require.NoError(t, err)
	rec, ok, err := s2.Get(ctx, "+13035551234")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, Record{Phone: "+13035551234", OptedOut: true, OptedOutAt: at}, rec)

	_, ok, err = s2.Get(ctx, "+13035550000")
	require.NoError(t, err)
	assert.False(t, ok)
}

func TestRunDemo(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, func(string) string { return "" }))
	got := out.String()
	for _, want := range []string{
		"4. App store: +13035551234 opted out = true.",
		"5. TextUs: +13035551234 opted out = true (the callback's PUT /test_account/opt_outs/3035551234 answered ",
		"6. App refused to text +13035551234 (the recipient has opted out of text messages: +13035551234); TextUs requests made: 0.",
		"8. App store: record kept (opt-out recorded: true, opt-in recorded: true); opted out = false.",
		"9. App texted +13035551234 again; TextUs has sent 2 texts in all.",
	} {
		assert.Contains(t, got, want)
	}
}

func TestRunLiveNeedsSettings(t *testing.T) {
	env := map[string]string{"TEXTUS_TOKEN": "t"}
	err := run(context.Background(), &bytes.Buffer{}, func(k string) string { return env[k] })
	require.ErrorContains(t, err, "TEXTUS_WEBHOOK_SECRET")
}

func TestRunLiveServesUntilCancelled(t *testing.T) {
	fake := textustest.NewServer()
	defer fake.Close()
	path := filepath.Join(t.TempDir(), "optouts.json")
	env := map[string]string{
		"TEXTUS_TOKEN":          fake.Token(),
		"TEXTUS_ACCOUNT":        fake.Account(),
		"TEXTUS_BASE_URL":       fake.URL(),
		"TEXTUS_WEBHOOK_SECRET": "textus-secret",
		"TEXTUS_WEBHOOK_ADDR":   "127.0.0.1:0",
		"OPTOUT_STORE":          path,
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // stop at once: this checks the wiring, not the serving
	var out bytes.Buffer
	require.NoError(t, run(ctx, &out, func(k string) string { return env[k] }))
	assert.Contains(t, out.String(), "msg=serving")
	assert.Contains(t, out.String(), "store="+path)
	assert.NotContains(t, out.String(), fake.Token())
}
