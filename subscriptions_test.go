package textus

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// specIntegrationJSON is the Integration example of the API spec (§4.9).
const specIntegrationJSON = `{
  "@type": "Integration", "@context": "/contexts/Integration.jsonld", "id": "/integrations/0yX2VrJ",
  "active": true, "provider": "webhook",
  "config": { "baseUrl": "https://example.com/textus/webhook", "webhookSecret": "textus-abcdefgh12345678" },
  "settings": { "actions": { "message.received": true, "message.delivered": true, "message.failed": true,
    "message.unknown": false, "phone_call.completed": false, "contact.opted_out": true,
    "contact.opted_in": true, "contact.created": true } },
  "isHealthy": true, "ipaas": false, "category": null
}`

func assertSpecWebhook(t *testing.T, w *Webhook) {
	t.Helper()
	require.NotNil(t, w)
	assert.Equal(t, "/integrations/0yX2VrJ", w.ID)
	assert.Equal(t, "https://example.com/textus/webhook", w.URL)
	assert.Equal(t, "textus-abcdefgh12345678", w.Secret)
	assert.Equal(t, []EventType{
		EventContactCreated, EventContactOptedIn, EventContactOptedOut,
		EventMessageDelivered, EventMessageFailed, EventMessageReceived,
	}, w.Events)
	assert.True(t, w.Active)
	assert.True(t, w.Healthy)
	assert.Equal(t, "webhook", w.Provider)
	assert.JSONEq(t, specIntegrationJSON, string(w.Raw))
}

// actionsJSON is settings.actions with every documented event present:
// true for those in on, false for the others.
func actionsJSON(on ...EventType) string {
	m := map[EventType]bool{}
	for _, e := range AllEvents() {
		m[e] = false
	}
	for _, e := range on {
		m[e] = true
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func TestWebhooksCreate(t *testing.T) {
	client, mux, ts := setup(t)
	mux.HandleFunc("/my_account/integrations", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "POST")
		testURI(t, r, "/api-v1/my_account/integrations")
		testHeader(t, r, true)
		testJSONBody(t, r, `{
		  "provider": "webhook",
		  "active": true,
		  "config": { "baseUrl": "https://example.com/textus/webhook" },
		  "settings": { "actions": {
		    "message.received": true, "message.delivered": true, "message.failed": true,
		    "message.unknown": false, "phone_call.completed": false, "contact.opted_out": true,
		    "contact.opted_in": true, "contact.created": true } }
		}`)
		writeJSON(w, http.StatusCreated, specIntegrationJSON)
	})
	wh, err := client.Webhooks.Create(context.Background(), &WebhookParams{
		URL: "https://example.com/textus/webhook",
		Events: []EventType{
			EventMessageReceived, EventMessageDelivered, EventMessageFailed,
			"contact.opted-out", // the help centre's hyphenated spelling
			EventContactOptedIn, EventContactCreated,
		},
	})
	require.NoError(t, err)
	assertSpecWebhook(t, wh)
	assert.Equal(t, 1, ts.Requests())
}

func TestWebhooksCreateInactive(t *testing.T) {
	client, mux, _ := setup(t)
	mux.HandleFunc("/my_account/integrations", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "POST")
		testJSONBody(t, r, `{"provider":"webhook","active":false,"config":{"baseUrl":"http://localhost:8080/hook"},`+
			`"settings":{"actions":`+actionsJSON(EventContactOptedOut)+`}}`)
		writeJSON(w, http.StatusCreated, `{"@type":"Integration","id":"/integrations/z","provider":"webhook","active":false,`+
			`"config":{"baseUrl":"http://localhost:8080/hook","webhookSecret":"s"},"settings":{"actions":{"contact.opted_out":true}}}`)
	})
	off := false
	wh, err := client.Webhooks.Create(context.Background(), &WebhookParams{
		URL: "http://localhost:8080/hook", Events: []EventType{EventContactOptedOut}, Active: &off,
	})
	require.NoError(t, err)
	assert.False(t, wh.Active)
	assert.False(t, wh.Healthy, "isHealthy absent")
	assert.Equal(t, []EventType{EventContactOptedOut}, wh.Events)
}

func TestWebhooksCreateBadInput(t *testing.T) {
	ev := []EventType{EventMessageReceived}
	tests := map[string]*WebhookParams{
		"nil params":       nil,
		"no events":        {URL: "https://example.com/hook"},
		"empty events":     {URL: "https://example.com/hook", Events: []EventType{}},
		"empty event name": {URL: "https://example.com/hook", Events: []EventType{" "}},
		"no URL":           {Events: ev},
		"relative URL":     {URL: "/hook", Events: ev},
		"URL no scheme":    {URL: "example.com/hook", Events: ev},
		"ftp URL":          {URL: "ftp://example.com/hook", Events: ev},
		"URL without host": {URL: "https://", Events: ev},
		"unparseable URL":  {URL: "https://exa mple.com/%zz", Events: ev},
	}
	for name, p := range tests {
		t.Run(name, func(t *testing.T) {
			client, mux, ts := setup(t)
			refuseAll(t, mux)
			wh, err := client.Webhooks.Create(context.Background(), p)
			require.Error(t, err)
			assert.Nil(t, wh)
			assertNothingSent(t, ts)
		})
	}
	t.Run("no account", func(t *testing.T) {
		_, mux, ts := setup(t)
		refuseAll(t, mux)
		client := newTestClient(t, ts)
		_, err := client.Webhooks.Create(context.Background(), &WebhookParams{URL: "https://example.com/hook", Events: ev})
		require.ErrorIs(t, err, ErrNoAccount)
		assertNothingSent(t, ts)
	})
}

func TestWebhooksUpdate(t *testing.T) {
	on := true
	tests := []struct {
		name string
		p    WebhookParams
		body string
	}{
		{"URL only", WebhookParams{URL: "https://example.com/new"}, `{"config":{"baseUrl":"https://example.com/new"}}`},
		{"active only", WebhookParams{Active: &on}, `{"active":true}`},
		{
			"events only",
			WebhookParams{Events: []EventType{EventMessageReceived, "contact.opted-in"}},
			`{"settings":{"actions":` + actionsJSON(EventMessageReceived, EventContactOptedIn) + `}}`,
		},
		{
			"everything",
			WebhookParams{URL: "https://example.com/new", Events: []EventType{EventPhoneCallCompleted}, Active: &on},
			`{"active":true,"config":{"baseUrl":"https://example.com/new"},"settings":{"actions":` + actionsJSON(EventPhoneCallCompleted) + `}}`,
		},
	}
	for _, tt := range tests {
		for _, id := range []string{"/integrations/0yX2VrJ", "0yX2VrJ"} {
			t.Run(tt.name+"/"+id, func(t *testing.T) {
				client, mux, ts := setup(t)
				mux.HandleFunc("/integrations/0yX2VrJ", func(w http.ResponseWriter, r *http.Request) {
					testMethod(t, r, "PUT")
					testURI(t, r, "/api-v1/integrations/0yX2VrJ")
					testHeader(t, r, true)
					testJSONBody(t, r, tt.body)
					writeJSON(w, http.StatusOK, specIntegrationJSON)
				})
				p := tt.p
				wh, err := client.Webhooks.Update(context.Background(), id, &p)
				require.NoError(t, err)
				assertSpecWebhook(t, wh)
				assert.Equal(t, 1, ts.Requests())
			})
		}
	}
}

func TestWebhooksUpdateBadInput(t *testing.T) {
	tests := []struct {
		name string
		id   string
		p    *WebhookParams
	}{
		{"nil params", "0yX2VrJ", nil},
		{"no fields", "0yX2VrJ", &WebhookParams{}},
		{"empty events list", "0yX2VrJ", &WebhookParams{Events: []EventType{}}},
		{"bad URL", "0yX2VrJ", &WebhookParams{URL: "not a url"}},
		{"empty id", "", &WebhookParams{URL: "https://example.com/new"}},
		{"IRI of another type", "/contacts/0yX2VrJ", &WebhookParams{URL: "https://example.com/new"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, mux, ts := setup(t)
			refuseAll(t, mux)
			wh, err := client.Webhooks.Update(context.Background(), tt.id, tt.p)
			require.Error(t, err)
			assert.Nil(t, wh)
			assertNothingSent(t, ts)
		})
	}
}

func TestWebhooksDisable(t *testing.T) {
	for _, id := range []string{"/integrations/0yX2VrJ", "0yX2VrJ"} {
		t.Run(id, func(t *testing.T) {
			client, mux, ts := setup(t)
			mux.HandleFunc("/integrations/0yX2VrJ", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "PUT")
				testURI(t, r, "/api-v1/integrations/0yX2VrJ")
				testHeader(t, r, true)
				testJSONBody(t, r, `{"active":false}`)
				writeJSON(w, http.StatusOK, `{"@type":"Integration","id":"/integrations/0yX2VrJ","active":false,"provider":"webhook",`+
					`"config":{"baseUrl":"https://example.com/textus/webhook","webhookSecret":"textus-abcdefgh12345678"},"settings":{}}`)
			})
			wh, err := client.Webhooks.Disable(context.Background(), id)
			require.NoError(t, err)
			assert.False(t, wh.Active)
			assert.Empty(t, wh.Events, "settings: {} has no actions")
			assert.Equal(t, 1, ts.Requests())
		})
	}
	t.Run("bad id", func(t *testing.T) {
		client, mux, ts := setup(t)
		refuseAll(t, mux)
		for _, id := range []string{"", "/messages/0yX2VrJ"} {
			_, err := client.Webhooks.Disable(context.Background(), id)
			require.Error(t, err, "id %q", id)
		}
		assertNothingSent(t, ts)
	})
}

func TestWebhooksList(t *testing.T) {
	client, mux, ts := setup(t)
	mux.HandleFunc("/my_account/integrations", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		testHeader(t, r, false)
		if r.URL.RawQuery == "" {
			testURI(t, r, "/api-v1/my_account/integrations")
			writeJSON(w, http.StatusOK, hydraPage("/my_account/integrations", 3, "/my_account/integrations?cursor=2",
				specIntegrationJSON,
				`{"@type":"Integration","id":"/integrations/hub","provider":"hubspot","active":true,"config":{"clientSecret":"[FILTERED]"}}`))
			return
		}
		testURI(t, r, "/api-v1/my_account/integrations?cursor=2")
		writeJSON(w, http.StatusOK, hydraPage("/my_account/integrations?cursor=2", 3, "",
			`{"@type":"Integration","id":"/integrations/old","active":true,"config":{"baseUrl":"https://old.example/hook"},"settings":{}}`))
	})
	seq := client.Webhooks.List(context.Background())
	assert.Zero(t, ts.Requests(), "List must not fetch before the first step")
	got, errs := collectSeq(seq)
	require.Empty(t, errs)
	require.Len(t, got, 2, "integrations of other providers are skipped")
	assertSpecWebhook(t, got[0])
	assert.Equal(t, "/integrations/old", got[1].ID)
	assert.Equal(t, "https://old.example/hook", got[1].URL)
	assert.Equal(t, 2, ts.Requests())
}

func TestWebhooksListNoAccount(t *testing.T) {
	_, mux, ts := setup(t)
	refuseAll(t, mux)
	client := newTestClient(t, ts)
	_, errs := collectSeq(client.Webhooks.List(context.Background()))
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], ErrNoAccount)
	assertNothingSent(t, ts)
}

// The signing secret stays out of String and of the JSON encoding.
func TestWebhookSecretNotPrinted(t *testing.T) {
	var w Webhook
	require.NoError(t, json.Unmarshal([]byte(specIntegrationJSON), &w))
	require.Equal(t, "textus-abcdefgh12345678", w.Secret)
	assert.NotContains(t, w.String(), w.Secret)
	assert.NotContains(t, fmt.Sprint(&w), w.Secret)
	b, err := json.Marshal(w)
	require.NoError(t, err)
	assert.NotContains(t, string(b), w.Secret)
	var nilHook *Webhook
	assert.Equal(t, "<nil>", nilHook.String())
}
