package textus_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"sort"
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
//	TEXTUS_TOKEN             an API token; without it the "live" target is skipped
//	TEXTUS_ACCOUNT           the account slug (required with TEXTUS_TOKEN)
//	TEXTUS_BASE_URL          optional, default https://next.textus.com
//	TEXTUS_TEST_PHONE        a phone you own: contacts and conversation lookups use it
//	TEXTUS_CONFORMANCE_WRITE set to 1 to run the scenarios that change data
//	TEXTUS_CONFORMANCE_SEND  set to 1 to text TEXTUS_TEST_PHONE (with WRITE=1)
//
//	TEXTUS_TOKEN=... TEXTUS_ACCOUNT=my_account go test -run Conformance -v .
//
// Against the real API the scenarios only read (GET) unless
// TEXTUS_CONFORMANCE_WRITE=1. With it they create a contact with a note, an
// opt-out for the fictional number +1 303-555-0173, an inactive webhook
// subscription pointing at example.invalid and a saved reply, set an
// account setting and a user's name to the values they already have, and,
// given TEXTUS_TEST_PHONE, star, close, mark and assign that number's
// conversation and put it back as it was; the API can delete none of what
// they create. No SMS is sent (no message, schedule or campaign) unless
// TEXTUS_CONFORMANCE_SEND=1 as well.

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
	// Write allows the scenarios that change data; Send those that text
	// someone.
	Write, Send bool
	// NoOptOutPhone never has an opt-out; OptOutPhone may be opted out.
	NoOptOutPhone, OptOutPhone string
	// MinContacts is how many contacts the pagination scenario makes sure
	// exist (0: use what the account has).
	MinContacts int
	// SetCustomData sets a contact's custom data, which the API has no
	// endpoint for (nil on the live target: the scenario reads what is
	// there).
	SetCustomData func(contactID string, fields map[string]any) error
}

// scenarioKind says what a scenario may do to its target.
type scenarioKind int

const (
	reads  scenarioKind = iota // GET requests only
	writes                     // changes data (TEXTUS_CONFORMANCE_WRITE=1 on the live target)
	texts                      // texts someone (TEXTUS_CONFORMANCE_SEND=1 as well)
)

type conformanceScenario struct {
	name string
	kind scenarioKind
	run  func(t *testing.T, c *textus.Client, env conformanceEnv)
}

var conformanceScenarios = []conformanceScenario{
	{"contact create then get", writes, conformContactCreateGet},
	{"contact list pagination", reads, conformContactPagination},
	{"conversation by phone", reads, conformConversationByPhone},
	{"opt-out lookup without opt-out", reads, conformOptOutNone},
	{"opt-out create is idempotent", writes, conformOptOutIdempotent},
	{"error shape 404", reads, conformError404},
	{"error shape 401", reads, conformError401},
	{"webhook subscription create update list", writes, conformWebhooks},
	{"send message", texts, conformSend},
	{"contact notes", writes, conformNotes},
	{"contact custom data", reads, conformCustomData},
	{"conversation filters", reads, conformConversationFilters},
	{"conversation actions", writes, conformConversationActions},
	{"conversation assign contact", writes, conformAssignContact},
	{"conversation batch actions", writes, conformBatchActions},
	{"accounts descendants tree legal", reads, conformAccountTree},
	{"account settings", writes, conformAccountSettings},
	{"users list and get", reads, conformUsers},
	{"user update", writes, conformUserUpdate},
	{"saved reply create update", writes, conformSavedReplies},
	{"schedule message", texts, conformSchedule},
	{"campaign create", texts, conformCampaign},
}

// allowed skips a scenario that the target's settings do not allow.
func (sc conformanceScenario) allowed(t *testing.T, env conformanceEnv) {
	t.Helper()
	switch {
	case sc.kind >= writes && !env.Write:
		t.Skip("read-only: set TEXTUS_CONFORMANCE_WRITE=1 to run the scenarios that change data")
	case sc.kind == texts && !env.Send:
		t.Skip("set TEXTUS_CONFORMANCE_SEND=1 (and TEXTUS_TEST_PHONE) to run the scenarios that text")
	}
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
					sc.allowed(t, env)
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
			Write:         true,
			Send:          true,
			NoOptOutPhone: "+13035550187",
			OptOutPhone:   "+13035550173",
			MinContacts:   5,
			SetCustomData: srv.SetCustomData,
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
	write := os.Getenv("TEXTUS_CONFORMANCE_WRITE") == "1"
	send := os.Getenv("TEXTUS_CONFORMANCE_SEND") == "1"
	if send && phone == "" {
		t.Fatal("TEXTUS_CONFORMANCE_SEND=1 needs TEXTUS_TEST_PHONE, the phone to text")
	}
	if send && !write {
		t.Fatal("TEXTUS_CONFORMANCE_SEND=1 needs TEXTUS_CONFORMANCE_WRITE=1: texting changes data")
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
		Write:         write,
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
	t.Setenv("TEXTUS_CONFORMANCE_WRITE", "1")
	t.Setenv("TEXTUS_CONFORMANCE_SEND", "1")

	setup := openLiveTarget(t)
	for _, sc := range conformanceScenarios {
		t.Run(sc.name, func(t *testing.T) {
			c, env := setup(t)
			assert.Equal(t, "live", env.Target)
			assert.Equal(t, phone, env.Phone)
			assert.True(t, env.Write)
			sc.allowed(t, env)
			sc.run(t, c, env)
		})
	}
	var texts int
	for _, m := range srv.SentMessages() {
		if m.DeliveryState != textus.DeliveryScheduled {
			texts++
		}
	}
	assert.Equal(t, 2, texts, "one text and one campaign message to the test phone with TEXTUS_CONFORMANCE_SEND=1")
}

// Without TEXTUS_CONFORMANCE_WRITE=1 the live target only reads: every
// request the scenarios send is a GET.
func TestConformanceLiveReadOnly(t *testing.T) {
	srv := textustest.NewServer()
	defer srv.Close()
	const phone = "+17205550142"
	_, err := srv.ReceiveMessage(phone, "hello")
	require.NoError(t, err)
	t.Setenv("TEXTUS_TOKEN", srv.Token())
	t.Setenv("TEXTUS_ACCOUNT", srv.Account())
	t.Setenv("TEXTUS_BASE_URL", srv.URL())
	t.Setenv("TEXTUS_TEST_PHONE", phone)
	t.Setenv("TEXTUS_CONFORMANCE_WRITE", "")
	t.Setenv("TEXTUS_CONFORMANCE_SEND", "")

	setup := openLiveTarget(t)
	ran := 0
	for _, sc := range conformanceScenarios {
		t.Run(sc.name, func(t *testing.T) {
			c, env := setup(t)
			require.False(t, env.Write)
			sc.allowed(t, env)
			ran++
			sc.run(t, c, env)
		})
	}
	assert.GreaterOrEqual(t, ran, 8, "the read-only scenarios ran")
	for _, r := range srv.Requests() {
		assert.Equal(t, "GET", r.Method, "%s %s", r.Method, r.Path)
	}
	assert.Empty(t, srv.SentMessages())
	assert.Len(t, srv.Contacts(), 1)
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

// eventually polls cond until it holds or a few seconds pass: batch
// actions answer 202 and act afterwards.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not seen within 10s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func conformNotes(t *testing.T, c *textus.Client, env conformanceEnv) {
	ctx := conformanceCtx(t)
	ct := createConformanceContact(t, ctx, c, env, "Notes "+env.RunID)
	content := "conformance note " + env.RunID
	n, err := c.Contacts.CreateNote(ctx, ct.ID, content)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(n.ID, "/contact_notes/"), "note id %q", n.ID)
	assert.Equal(t, content, n.Content)
	assert.Equal(t, ct.ID, n.Contact)
	assert.True(t, strings.HasPrefix(n.User, "/users/"), "note user %q", n.User)
	assert.False(t, n.CreatedAt.IsZero())

	var found *textus.ContactNote
	for note, err := range c.Contacts.Notes(ctx, ct.ID) {
		require.NoError(t, err)
		if note.ID == n.ID {
			found = note
		}
	}
	require.NotNil(t, found, "the note is listed")
	assert.Equal(t, content, found.Content)
}

func conformCustomData(t *testing.T, c *textus.Client, env conformanceEnv) {
	ctx := conformanceCtx(t)
	var id string
	if env.SetCustomData != nil {
		id = createConformanceContact(t, ctx, c, env, "Custom data "+env.RunID).ID
		require.NoError(t, env.SetCustomData(id, map[string]any{"calendar-link": "https://cal.example/" + env.RunID}))
	} else {
		page, err := c.Contacts.ListPage(ctx, nil, "")
		require.NoError(t, err)
		if len(page.Items) == 0 {
			t.Skip("the account has no contacts to read custom data from")
		}
		id = page.Items[0].ID
	}
	ct, err := c.Contacts.Get(ctx, id)
	require.NoError(t, err)
	if ct.CustomDataIRI != "" {
		assert.True(t, strings.HasSuffix(ct.CustomDataIRI, "/custom_data"), "customData link %q", ct.CustomDataIRI)
	}
	var items []*textus.CustomDataItem
	for item, err := range c.Contacts.CustomData(ctx, id) {
		require.NoError(t, err)
		items = append(items, item)
	}
	if env.SetCustomData != nil {
		require.Len(t, items, 1)
		assert.Equal(t, "calendar-link", items[0].Slug)
		assert.Equal(t, "https://cal.example/"+env.RunID, items[0].Value)
		require.Len(t, ct.CustomData, 1, "embedded in the contact too")
		assert.Equal(t, "https://cal.example/"+env.RunID, ct.FormattedData["calendar-link"])
	}
}

func conformConversationFilters(t *testing.T, c *textus.Client, env conformanceEnv) {
	ctx := conformanceCtx(t)
	var slugs []string
	for f, err := range c.Conversations.Filters(ctx) {
		require.NoError(t, err)
		assert.NotEmpty(t, f.Slug)
		assert.True(t, strings.HasSuffix(f.ID, "/conversation_filters/"+f.Slug), "filter id %q", f.ID)
		assert.GreaterOrEqual(t, f.TotalCount, f.UnreadCount)
		slugs = append(slugs, f.Slug)
	}
	require.NotEmpty(t, slugs, "the account has conversation filters")
	filter := slugs[0]
	for _, s := range slugs {
		if s == "all" {
			filter = s
		}
	}
	page, err := c.Conversations.ListPage(ctx, &textus.ConversationListOptions{Filter: filter}, "")
	require.NoError(t, err)
	for _, cv := range page.Items {
		assert.True(t, strings.HasPrefix(cv.ID, "/conversations/"), "conversation id %q", cv.ID)
	}
}

// testConversation returns the conversation with env.Phone, making it on
// the fake (with a text, so that it is in the filters).
func testConversation(t *testing.T, ctx context.Context, c *textus.Client, env conformanceEnv) *textus.Conversation {
	t.Helper()
	if env.Phone == "" {
		t.Skip("set TEXTUS_TEST_PHONE to a number with a conversation")
	}
	if env.Target == "fake" {
		_, err := c.Messages.Send(ctx, &textus.SendMessageParams{To: env.Phone, Body: "conformance " + env.RunID})
		require.NoError(t, err)
	}
	cv, err := c.Conversations.GetByPhone(ctx, env.Phone)
	require.NoError(t, err)
	return cv
}

func conformConversationActions(t *testing.T, c *textus.Client, env conformanceEnv) {
	ctx := conformanceCtx(t)
	cv := testConversation(t, ctx, c, env)
	wasClosed := cv.CurrentState == textus.ConversationClosed
	info := cv.UserInfo
	// Put the conversation back as it was.
	defer func() {
		if wasClosed {
			_, _ = c.Conversations.Close(ctx, cv.ID)
		}
		if info != nil && info.Starred {
			_, _ = c.Conversations.Star(ctx, cv.ID)
		}
		if info != nil && !info.Read {
			_, _ = c.Conversations.MarkUnread(ctx, cv.ID)
		}
	}()

	steps := []struct {
		name  string
		do    func(context.Context, string) (*textus.Conversation, error)
		check func(*textus.Conversation)
	}{
		{"star", c.Conversations.Star, func(got *textus.Conversation) {
			if got.UserInfo != nil {
				assert.True(t, got.UserInfo.Starred)
			}
		}},
		{"unstar", c.Conversations.Unstar, func(got *textus.Conversation) {
			if got.UserInfo != nil {
				assert.False(t, got.UserInfo.Starred)
			}
		}},
		{"close", c.Conversations.Close, func(got *textus.Conversation) {
			assert.Equal(t, textus.ConversationClosed, got.CurrentState)
		}},
		{"reopen", c.Conversations.Reopen, func(got *textus.Conversation) {
			assert.Equal(t, textus.ConversationOpen, got.CurrentState)
		}},
		{"unread", c.Conversations.MarkUnread, func(got *textus.Conversation) {
			if got.UserInfo != nil {
				assert.False(t, got.UserInfo.Read)
			}
		}},
		{"read", c.Conversations.MarkRead, func(got *textus.Conversation) {
			if got.UserInfo != nil {
				assert.True(t, got.UserInfo.Read)
			}
		}},
	}
	for _, st := range steps {
		got, err := st.do(ctx, cv.ID)
		require.NoError(t, err, st.name)
		assert.Equal(t, cv.ID, got.ID, st.name)
		st.check(got)
	}
}

func conformAssignContact(t *testing.T, c *textus.Client, env conformanceEnv) {
	ctx := conformanceCtx(t)
	if env.Phone == "" {
		t.Skip("set TEXTUS_TEST_PHONE to a number with a conversation")
	}
	var want string
	if env.Target == "fake" {
		// Two contacts share the number; the second one is chosen.
		createConformanceContact(t, ctx, c, env, "First "+env.RunID)
		want = createConformanceContact(t, ctx, c, env, "Second "+env.RunID).ID
	} else {
		ct, err := c.Contacts.FindByPhone(ctx, env.Phone)
		require.NoError(t, err)
		want = ct.ID
	}
	cv, err := c.Conversations.GetByPhone(ctx, env.Phone)
	require.NoError(t, err)
	got, err := c.Conversations.AssignContact(ctx, cv.ID, want)
	require.NoError(t, err)
	assert.Equal(t, want, got.AssignedContact)
	again, err := c.Conversations.Get(ctx, cv.ID)
	require.NoError(t, err)
	assert.Equal(t, want, again.AssignedContact)
}

func conformBatchActions(t *testing.T, c *textus.Client, env conformanceEnv) {
	ctx := conformanceCtx(t)
	cv := testConversation(t, ctx, c, env)
	wasClosed := cv.CurrentState == textus.ConversationClosed
	defer func() {
		if wasClosed {
			_, _ = c.Conversations.Close(ctx, cv.ID)
		}
	}()
	state := func() textus.ConversationState {
		got, err := c.Conversations.Get(ctx, cv.ID)
		require.NoError(t, err)
		return got.CurrentState
	}
	only := &textus.BatchParams{Conversations: []string{cv.ID}}
	require.NoError(t, c.Conversations.BatchClose(ctx, "all", only))
	eventually(t, "closed by the batch", func() bool { return state() == textus.ConversationClosed })
	if env.Target == "fake" {
		// By time: on the real API this would reach every conversation.
		require.NoError(t, c.Conversations.BatchReopen(ctx, "all", &textus.BatchParams{ModifiedBefore: time.Now().Add(time.Minute)}))
	} else {
		require.NoError(t, c.Conversations.BatchReopen(ctx, "all", only))
	}
	eventually(t, "reopened by the batch", func() bool { return state() == textus.ConversationOpen })
	// Unassigning is undone by nothing the API offers: only when the
	// conversation is not assigned to the token's user (a no-op) or on the
	// fake.
	if env.Target == "fake" || (cv.UserInfo != nil && !cv.UserInfo.Assigned) {
		require.NoError(t, c.Conversations.BatchUnassign(ctx, "all", only))
	}
}

func conformAccountTree(t *testing.T, c *textus.Client, env conformanceEnv) {
	ctx := conformanceCtx(t)
	var slugs []string
	for a, err := range c.Accounts.Descendants(ctx, env.Account, nil) {
		require.NoError(t, err)
		slugs = append(slugs, a.Slug)
	}
	require.NotEmpty(t, slugs)
	assert.Equal(t, env.Account, slugs[0], "the account comes first, then its descendants")

	found := false
	for root, err := range c.Accounts.Tree(ctx, nil) {
		require.NoError(t, err)
		root.Walk(func(a *textus.AccountTree, _ int) bool {
			found = found || a.Slug == env.Account
			return true
		})
	}
	assert.True(t, found, "the account is in the tree")

	yes := true
	for a, err := range c.Accounts.List(ctx, &textus.AccountListOptions{Legal: &yes}) {
		require.NoError(t, err)
		assert.NotEmpty(t, a.Slug)
	}
}

func conformAccountSettings(t *testing.T, c *textus.Client, env conformanceEnv) {
	ctx := conformanceCtx(t)
	a, err := c.Accounts.Get(ctx, env.Account)
	require.NoError(t, err)
	// Write back a setting's own value, so that nothing changes.
	name, value := "", any(nil)
	for _, k := range sortedSettingNames(a.Settings) {
		if m, ok := a.Settings[k].(map[string]any); ok {
			if v, has := m["value"]; has && v != nil {
				name, value = k, v
				break
			}
		}
	}
	if name == "" {
		if env.Target != "fake" {
			t.Skip("the account shows no setting with a value to write back")
		}
		name, value = "inboundMmsDisabled", false
	}
	got, err := c.Accounts.UpdateSettings(ctx, env.Account, map[string]textus.AccountSetting{name: {Value: value}})
	require.NoError(t, err)
	assert.Equal(t, env.Account, got.Slug)
	setting, ok := got.Settings[name].(map[string]any)
	require.True(t, ok, "setting %s in the answer", name)
	assert.Equal(t, value, setting["value"])
}

func sortedSettingNames(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// firstUser returns the first user the token may list, skipping the
// scenario when it may not list users (an admin's token is needed).
func firstUser(t *testing.T, ctx context.Context, c *textus.Client) *textus.User {
	t.Helper()
	page, err := c.Users.ListPage(ctx, nil, "")
	if errors.Is(err, textus.ErrForbidden) {
		t.Skip("listing users needs an admin's token")
	}
	require.NoError(t, err)
	require.NotEmpty(t, page.Items, "an admin sees at least themself")
	return page.Items[0]
}

func conformUsers(t *testing.T, c *textus.Client, env conformanceEnv) {
	ctx := conformanceCtx(t)
	first := firstUser(t, ctx, c)
	assert.True(t, strings.HasPrefix(first.ID, "/users/"), "user id %q", first.ID)
	u, err := c.Users.Get(ctx, first.ID)
	require.NoError(t, err)
	assert.Equal(t, first.ID, u.ID)
	assert.Equal(t, first.Email, u.Email)

	contains := func(opts *textus.UserListOptions) bool {
		for v, err := range c.Users.List(ctx, opts) {
			require.NoError(t, err)
			if v.ID == u.ID {
				return true
			}
		}
		return false
	}
	if u.Email != "" {
		assert.True(t, contains(&textus.UserListOptions{Query: u.Email}), "found by email")
	}
	if len(u.Memberships) > 0 {
		for _, m := range u.Memberships {
			assert.Contains(t, []string{"user", "support", "admin"}, m.Role)
		}
		assert.True(t, contains(&textus.UserListOptions{Accounts: []string{u.Memberships[0].Account}}), "found by account")
	}
}

func conformUserUpdate(t *testing.T, c *textus.Client, env conformanceEnv) {
	ctx := conformanceCtx(t)
	u := firstUser(t, ctx, c)
	got, err := c.Users.Update(ctx, u.ID, &textus.UserParams{Name: u.Name}) // its own name: nothing changes
	require.NoError(t, err)
	assert.Equal(t, u.ID, got.ID)
	assert.Equal(t, u.Name, got.Name)
}

func conformSavedReplies(t *testing.T, c *textus.Client, env conformanceEnv) {
	ctx := conformanceCtx(t)
	u := firstUser(t, ctx, c)
	r, err := c.SavedReplies.Create(ctx, u.ID, &textus.SavedReplyParams{
		Title: "Conformance " + env.RunID, Content: "textus-go conformance saved reply " + env.RunID,
	})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(r.ID, "/saved_replies/"), "saved reply id %q", r.ID)
	assert.Equal(t, "Conformance "+env.RunID, r.Title)
	assert.Equal(t, u.ID, r.User)

	updated, err := c.SavedReplies.Update(ctx, r.ID, &textus.SavedReplyParams{Content: "updated " + env.RunID})
	require.NoError(t, err)
	assert.Equal(t, r.ID, updated.ID)
	assert.Equal(t, "Conformance "+env.RunID, updated.Title, "fields left out are unchanged")
	assert.Equal(t, "updated "+env.RunID, updated.Content)
}

func conformSchedule(t *testing.T, c *textus.Client, env conformanceEnv) {
	ctx := conformanceCtx(t)
	// Five minutes ahead: the text arrives while the run is remembered.
	at := time.Now().Add(5 * time.Minute).UTC().Truncate(time.Second)
	m, err := c.Messages.Schedule(ctx, &textus.ScheduleMessageParams{
		To: nationalForm(env.Phone), Body: "textus-go conformance scheduled " + env.RunID, At: at,
	}) // without From: the account's own number is sent
	if errors.Is(err, textus.ErrOutcomeUnknown) {
		t.Fatalf("the message may or may not be scheduled; not scheduling it again: %v", err)
	}
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(m.ID, "/messages/"), "message id %q", m.ID)
	assert.Contains(t, m.Flags, "scheduled")
}

func conformCampaign(t *testing.T, c *textus.Client, env conformanceEnv) {
	ctx := conformanceCtx(t)
	if env.Target == "fake" {
		createConformanceContact(t, ctx, c, env, "Campaign "+env.RunID)
	}
	ct, err := c.Contacts.FindByPhone(ctx, env.Phone)
	require.NoError(t, err)
	var recipient string
	for _, p := range ct.Phones {
		if p.PhoneNumber == env.Phone || strings.HasSuffix(nationalForm(env.Phone), p.PhoneNumber) {
			recipient = p.ID
		}
	}
	if recipient == "" {
		recipient = ct.Phones[0].ID
	}
	title := "textus-go conformance " + env.RunID
	cp, err := c.Campaigns.Create(ctx, &textus.CampaignParams{
		Title: title, MessageBody: "textus-go conformance campaign " + env.RunID, Recipients: []string{recipient},
	})
	if errors.Is(err, textus.ErrOutcomeUnknown) {
		t.Fatalf("the campaign may or may not exist; not creating it again: %v", err)
	}
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(cp.ID, "/campaigns/"), "campaign id %q", cp.ID)
	assert.Equal(t, title, cp.Title)
	assert.NotEmpty(t, cp.State)
}
