package textus_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textustest"
)

// The conformance scenarios check the SDK against a TextUs target: the fake
// server (package textustest) always, and the real API when configured:
//
//	TEXTUS_TOKEN            an API token; without it the "live" target is skipped
//	TEXTUS_ACCOUNT          the account slug (required with TEXTUS_TOKEN)
//	TEXTUS_BASE_URL         optional, default https://next.textus.com
//	TEXTUS_TEST_PHONE       a phone you own: contacts and conversation lookups use it
//	TEXTUS_CONFORMANCE_SEND set to 1 to text TEXTUS_TEST_PHONE (one SMS per run)
//
//	TEXTUS_TOKEN=... TEXTUS_ACCOUNT=my_account go test -run Conformance -v .
//
// Against the real API the scenarios create a contact, an opt-out for the
// fictional number +1 303-555-0173 and an inactive webhook subscription
// pointing at example.invalid; the API can delete none of them. No SMS is
// sent unless TEXTUS_CONFORMANCE_SEND=1.

// conformanceEnv describes the target a scenario runs against.
type conformanceEnv struct {
	Target  string // "fake" or "live"
	Token   string // only to check that it never appears in an error
	BaseURL string
	Account string
	// RunID makes this run's names and URLs unique.
	RunID string
	// ContactPhone is the number of the contact the scenarios create.
	ContactPhone string
	// Phone is a number with a conversation that may be looked up and,
	// when Send is set, texted; scenarios that need it skip when it is "".
	Phone string
	Send  bool
	// NoOptOutPhone never has an opt-out; OptOutPhone may be opted out.
	NoOptOutPhone, OptOutPhone string
	// MinContacts is how many contacts the pagination scenario makes sure
	// exist (0: use what the account has).
	MinContacts int
}

type conformanceScenario struct {
	name string
	run  func(t *testing.T, c *textus.Client, env conformanceEnv)
}

var conformanceScenarios = []conformanceScenario{
	{"contact create then get", conformContactCreateGet},
	{"contact list pagination", conformContactPagination},
	{"conversation by phone", conformConversationByPhone},
	{"opt-out lookup without opt-out", conformOptOutNone},
	{"opt-out create is idempotent", conformOptOutIdempotent},
	{"error shape 404", conformError404},
	{"error shape 401", conformError401},
	{"webhook subscription create update list", conformWebhooks},
	{"send message", conformSend},
}

// conformanceTarget is where the scenarios run. open prepares it once (and
// skips the target when it is not configured); the function it returns
// gives each scenario its client and environment.
type conformanceTarget struct {
	name string
	open func(t *testing.T) func(t *testing.T) (*textus.Client, conformanceEnv)
}

var conformanceTargets = []conformanceTarget{
	{"fake", openFakeTarget},
	{"live", openLiveTarget},
}

func TestConformance(t *testing.T) {
	for _, target := range conformanceTargets {
		t.Run(target.name, func(t *testing.T) {
			setup := target.open(t)
			for _, sc := range conformanceScenarios {
				t.Run(sc.name, func(t *testing.T) {
					c, env := setup(t)
					sc.run(t, c, env)
				})
			}
		})
	}
}

// openFakeTarget gives every scenario a fresh fake server, with small pages
// so that pagination is exercised.
func openFakeTarget(*testing.T) func(t *testing.T) (*textus.Client, conformanceEnv) {
	return func(t *testing.T) (*textus.Client, conformanceEnv) {
		srv := textustest.NewServer(textustest.WithPageSize(2))
		t.Cleanup(srv.Close)
		env := conformanceEnv{
			Target:        "fake",
			Token:         srv.Token(),
			BaseURL:       srv.URL(),
			Account:       srv.Account(),
			RunID:         "fake",
			ContactPhone:  "+13035550142",
			Phone:         "+13035550142",
			Send:          true,
			NoOptOutPhone: "+13035550187",
			OptOutPhone:   "+13035550173",
			MinContacts:   5,
		}
		return srv.Client(), env
	}
}

// openLiveTarget reads the TEXTUS_* settings; every scenario shares one
// client.
func openLiveTarget(t *testing.T) func(t *testing.T) (*textus.Client, conformanceEnv) {
	token := os.Getenv("TEXTUS_TOKEN")
	if token == "" {
		t.Skip("set TEXTUS_TOKEN and TEXTUS_ACCOUNT to run the scenarios against the real API")
	}
	account := os.Getenv("TEXTUS_ACCOUNT")
	if account == "" {
		t.Fatal("TEXTUS_ACCOUNT (the account slug) is required with TEXTUS_TOKEN")
	}
	var phone string
	if p := os.Getenv("TEXTUS_TEST_PHONE"); p != "" {
		var err error
		phone, err = textus.NormalizePhone(p)
		require.NoError(t, err, "TEXTUS_TEST_PHONE")
	}
	send := os.Getenv("TEXTUS_CONFORMANCE_SEND") == "1"
	if send && phone == "" {
		t.Fatal("TEXTUS_CONFORMANCE_SEND=1 needs TEXTUS_TEST_PHONE, the phone to text")
	}
	opts := []textus.Option{textus.WithAccount(account), textus.WithUserAgent("textus-go-conformance/1")}
	if base := os.Getenv("TEXTUS_BASE_URL"); base != "" {
		opts = append(opts, textus.WithBaseURL(base))
	}
	c, err := textus.NewClient(token, opts...)
	require.NoError(t, err)
	env := conformanceEnv{
		Target:        "live",
		Token:         token,
		BaseURL:       c.BaseURL(),
		Account:       account,
		RunID:         newRunID(),
		ContactPhone:  "+13035550142", // fictional (555-01xx)
		Phone:         phone,
		Send:          send,
		NoOptOutPhone: "+13035550187", // fictional, never opted out by these tests
		OptOutPhone:   "+13035550173", // fictional
	}
	if phone != "" {
		env.ContactPhone = phone
	}
	return func(*testing.T) (*textus.Client, conformanceEnv) { return c, env }
}

func newRunID() string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return time.Now().UTC().Format("20060102150405")
	}
	return hex.EncodeToString(b)
}

// The live target's settings, checked against a fake server standing in
// for TextUs.
func TestConformanceLiveSettings(t *testing.T) {
	srv := textustest.NewServer()
	defer srv.Close()
	const phone = "+17205550142"
	_, err := srv.ReceiveMessage(phone, "hello") // a conversation to look up
	require.NoError(t, err)
	t.Setenv("TEXTUS_TOKEN", srv.Token())
	t.Setenv("TEXTUS_ACCOUNT", srv.Account())
	t.Setenv("TEXTUS_BASE_URL", srv.URL())
	t.Setenv("TEXTUS_TEST_PHONE", nationalForm(phone))
	t.Setenv("TEXTUS_CONFORMANCE_SEND", "1")

	setup := openLiveTarget(t)
	for _, sc := range conformanceScenarios {
		t.Run(sc.name, func(t *testing.T) {
			c, env := setup(t)
			assert.Equal(t, "live", env.Target)
			assert.Equal(t, phone, env.Phone)
			sc.run(t, c, env)
		})
	}
	assert.Len(t, srv.SentMessages(), 1, "one text with TEXTUS_CONFORMANCE_SEND=1")
}

func conformanceCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// nationalForm writes a North American E.164 number as "303-555-0142", to
// check that the SDK normalises what users type.
func nationalForm(e164 string) string {
	if !strings.HasPrefix(e164, "+1") || len(e164) != 12 {
		return e164
	}
	d := e164[2:]
	return d[:3] + "-" + d[3:6] + "-" + d[6:]
}

func createConformanceContact(t *testing.T, ctx context.Context, c *textus.Client, env conformanceEnv, name string) *textus.Contact {
	t.Helper()
	ct, err := c.Contacts.Create(ctx, &textus.ContactParams{
		Name:   name,
		Phones: []textus.PhoneParams{{Number: nationalForm(env.ContactPhone), Type: "Mobile"}},
		Data:   map[string]any{"conformanceRun": env.RunID},
	})
	require.NoError(t, err)
	return ct
}

func conformContactCreateGet(t *testing.T, c *textus.Client, env conformanceEnv) {
	ctx := conformanceCtx(t)
	name := "Conformance " + env.RunID
	created := createConformanceContact(t, ctx, c, env, name)
	assert.True(t, strings.HasPrefix(created.ID, "/contacts/"), "contact id %q", created.ID)
	assert.Equal(t, name, created.Name)
	require.NotEmpty(t, created.Phones)
	assert.Equal(t, env.ContactPhone, created.Phones[0].PhoneNumber)

	got, err := c.Contacts.Get(ctx, created.ID)
	require.NoError(t, err)
	assert.Equal(t, created.ID, got.ID)
	assert.Equal(t, name, got.Name)
	require.NotEmpty(t, got.Phones)
	assert.Equal(t, env.ContactPhone, got.Phones[0].PhoneNumber)
	assert.Equal(t, env.RunID, got.Data["conformanceRun"])

	bySlug, err := c.Contacts.Get(ctx, created.ID[strings.LastIndex(created.ID, "/")+1:])
	require.NoError(t, err)
	assert.Equal(t, created.ID, bySlug.ID)
}

func conformContactPagination(t *testing.T, c *textus.Client, env conformanceEnv) {
	ctx := conformanceCtx(t)
	for i := 0; i < env.MinContacts; i++ {
		_, err := c.Contacts.Create(ctx, &textus.ContactParams{Name: "Page " + string(rune('A'+i)) + " " + env.RunID})
		require.NoError(t, err)
	}

	first, err := c.Contacts.ListPage(ctx, nil, "")
	require.NoError(t, err)
	require.NotEmpty(t, first.Items, "the account has no contacts")
	assert.GreaterOrEqual(t, first.TotalItems, len(first.Items))
	firstIDs := contactIDs(first.Items)

	want := firstIDs
	if first.HasNext() {
		second, err := c.Contacts.ListPage(ctx, nil, first.NextCursor)
		require.NoError(t, err)
		require.NotEmpty(t, second.Items)
		for _, id := range contactIDs(second.Items) {
			assert.NotContains(t, firstIDs, id, "a contact on two pages")
		}
		want = append(append([]string(nil), firstIDs...), contactIDs(second.Items)...)
	} else {
		assert.Equal(t, len(first.Items), first.TotalItems, "a single page holds every contact")
		t.Log("the account's contacts fit on one page; cross-page checks skipped")
	}

	// The iterator yields the same contacts, crossing the page boundary,
	// and stops fetching when the loop breaks.
	var got []string
	for ct, err := range c.Contacts.List(ctx, nil) {
		require.NoError(t, err)
		got = append(got, ct.ID)
		if len(got) == len(want) {
			break
		}
	}
	assert.Equal(t, want, got)
}

func contactIDs(cs []*textus.Contact) []string {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

func conformConversationByPhone(t *testing.T, c *textus.Client, env conformanceEnv) {
	if env.Phone == "" {
		t.Skip("set TEXTUS_TEST_PHONE to a number with a conversation")
	}
	ctx := conformanceCtx(t)
	if env.Target == "fake" {
		// On the fake, a contact with the number makes the conversation.
		createConformanceContact(t, ctx, c, env, "Conversation "+env.RunID)
	}
	conv, err := c.Conversations.GetByPhone(ctx, nationalForm(env.Phone))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(conv.ID, "/conversations/"), "conversation id %q", conv.ID)
	assert.Equal(t, env.Phone, conv.PhoneNumber)
	assert.NotEmpty(t, conv.CurrentState)

	again, err := c.Conversations.Get(ctx, conv.ID)
	require.NoError(t, err)
	assert.Equal(t, conv.ID, again.ID)

	for m, err := range c.Conversations.Timeline(ctx, conv.ID) {
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(m.ID, "/messages/"), "message id %q", m.ID)
		break // the first page reads; Send checks the content
	}
}

func conformOptOutNone(t *testing.T, c *textus.Client, env conformanceEnv) {
	ctx := conformanceCtx(t)
	_, err := c.OptOuts.Get(ctx, env.NoOptOutPhone)
	require.Error(t, err)
	assert.ErrorIs(t, err, textus.ErrNotFound)

	out, err := c.OptOuts.IsOptedOut(ctx, nationalForm(env.NoOptOutPhone))
	require.NoError(t, err)
	assert.False(t, out)

	for o, err := range c.OptOuts.List(ctx, &textus.OptOutListOptions{Exact: []string{env.NoOptOutPhone}}) {
		require.NoError(t, err)
		t.Errorf("unexpected opt-out %s", o.ID)
	}
}

func conformOptOutIdempotent(t *testing.T, c *textus.Client, env conformanceEnv) {
	ctx := conformanceCtx(t)
	first, err := c.OptOuts.Create(ctx, env.OptOutPhone)
	require.NoError(t, err)
	second, err := c.OptOuts.Create(ctx, nationalForm(env.OptOutPhone)) // PUT again, another spelling
	require.NoError(t, err)
	assert.NotEmpty(t, first.ID)
	assert.Equal(t, first.ID, second.ID)
	assert.Equal(t, env.OptOutPhone, first.PhoneNumber)
	assert.Equal(t, env.OptOutPhone, second.PhoneNumber)

	out, err := c.OptOuts.IsOptedOut(ctx, env.OptOutPhone)
	require.NoError(t, err)
	assert.True(t, out)

	var found []*textus.OptOut
	for o, err := range c.OptOuts.List(ctx, &textus.OptOutListOptions{Exact: []string{env.OptOutPhone}}) {
		require.NoError(t, err)
		found = append(found, o)
	}
	require.Len(t, found, 1, "one opt-out after two PUTs")
	assert.Equal(t, env.OptOutPhone, found[0].PhoneNumber)
}

func conformError404(t *testing.T, c *textus.Client, env conformanceEnv) {
	ctx := conformanceCtx(t)
	_, err := c.Contacts.Get(ctx, "/contacts/zzNoSuchContact0")
	require.Error(t, err)
	assert.ErrorIs(t, err, textus.ErrNotFound)
	assert.NotErrorIs(t, err, textus.ErrUnauthorized)
	assert.NotErrorIs(t, err, textus.ErrOutcomeUnknown)

	var apiErr *textus.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 404, apiErr.StatusCode)
	assert.Equal(t, "GET", apiErr.Method)
	assert.Contains(t, apiErr.URL, "/contacts/zzNoSuchContact0")
	assert.NotEmpty(t, apiErr.Message)
	assert.NotContains(t, err.Error(), env.Token)
}

func conformError401(t *testing.T, _ *textus.Client, env conformanceEnv) {
	ctx := conformanceCtx(t)
	const badToken = "conformance-invalid-token"
	bad, err := textus.NewClient(badToken,
		textus.WithBaseURL(env.BaseURL), textus.WithAccount(env.Account), textus.WithMaxRetries(0))
	require.NoError(t, err)

	_, err = bad.Contacts.ListPage(ctx, nil, "")
	require.Error(t, err)
	assert.ErrorIs(t, err, textus.ErrUnauthorized)
	assert.NotErrorIs(t, err, textus.ErrNotFound)

	var apiErr *textus.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 401, apiErr.StatusCode)
	assert.NotEmpty(t, apiErr.Message)
	assert.NotContains(t, err.Error(), badToken)
	assert.NotContains(t, apiErr.URL, badToken)
}

func conformWebhooks(t *testing.T, c *textus.Client, env conformanceEnv) {
	ctx := conformanceCtx(t)
	url := "https://example.invalid/textus-conformance/" + env.RunID
	off := false // never delivers anywhere
	created, err := c.Webhooks.Create(ctx, &textus.WebhookParams{
		URL:    url,
		Events: []textus.EventType{textus.EventMessageReceived},
		Active: &off,
	})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(created.ID, "/integrations/"), "integration id %q", created.ID)
	assert.Equal(t, url, created.URL)
	assert.False(t, created.Active)
	assert.Equal(t, []textus.EventType{textus.EventMessageReceived}, created.Events)
	assert.NotEmpty(t, created.Secret, "the signing secret is returned on create")
	assert.NotContains(t, created.String(), created.Secret)

	updated, err := c.Webhooks.Update(ctx, created.ID, &textus.WebhookParams{
		URL:    url + "/v2",
		Events: []textus.EventType{textus.EventMessageReceived, "contact.opted-out"}, // alias of contact.opted_out
	})
	require.NoError(t, err)
	assert.Equal(t, created.ID, updated.ID)
	assert.Equal(t, url+"/v2", updated.URL)
	assert.False(t, updated.Active, "fields left out of the update are unchanged")
	assert.Equal(t, []textus.EventType{textus.EventContactOptedOut, textus.EventMessageReceived}, updated.Events)

	var listed *textus.Webhook
	for w, err := range c.Webhooks.List(ctx) {
		require.NoError(t, err)
		if w.ID == created.ID {
			listed = w
		}
	}
	require.NotNil(t, listed, "the subscription is listed")
	assert.Equal(t, url+"/v2", listed.URL)
	assert.Equal(t, updated.Events, listed.Events)
	assert.False(t, listed.Active)
}

func conformSend(t *testing.T, c *textus.Client, env conformanceEnv) {
	if !env.Send || env.Phone == "" {
		t.Skip("set TEXTUS_TEST_PHONE and TEXTUS_CONFORMANCE_SEND=1 to send a text")
	}
	ctx := conformanceCtx(t)
	body := "textus-go conformance check " + env.RunID
	m, err := c.Messages.Send(ctx, &textus.SendMessageParams{To: nationalForm(env.Phone), Body: body})
	if errors.Is(err, textus.ErrOutcomeUnknown) {
		t.Fatalf("the text may or may not have been sent; not sending it again: %v", err)
	}
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(m.ID, "/messages/"), "message id %q", m.ID)
	assert.Equal(t, textus.DirectionOut, m.Direction)
	assert.Equal(t, body, m.Body)
	assert.NotEmpty(t, m.Conversation)

	got, err := c.Messages.Get(ctx, m.ID)
	require.NoError(t, err)
	assert.Equal(t, body, got.Body)

	// The newest message of the conversation's timeline is this one.
	for newest, err := range c.Conversations.Timeline(ctx, m.Conversation) {
		require.NoError(t, err)
		assert.Equal(t, m.ID, newest.ID)
		break
	}
}
