package textustest_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textustest"
)

func TestSampleDeliveryEveryEvent(t *testing.T) {
	at := time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.UTC)
	opts := textustest.SampleOptions{
		Phone: "(720) 555-0199", Body: "Custom text", Account: "acme",
		AccountPhone: "+17205550100", Webhook: "/integrations/h13Jc5", Time: at,
	}
	ids := map[string]bool{}
	for _, action := range textus.AllEvents() {
		t.Run(string(action), func(t *testing.T) {
			body, err := textustest.SampleDelivery(action, opts)
			require.NoError(t, err)
			var env map[string]any
			require.NoError(t, json.Unmarshal(body, &env))
			assert.Equal(t, "/contexts/WebhookDelivery.jsonld", env["@context"])
			assert.Equal(t, "2024-05-01T12:00:00.123Z", env["timestamp"])
			assert.Equal(t, "/integrations/h13Jc5", env["webHook"])
			assert.Regexp(t, `^/integrations/h13Jc5/deliveries/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, env["id"])
			assert.False(t, ids[env["id"].(string)], "every sample has its own id")
			ids[env["id"].(string)] = true

			ev, err := textus.ParseEvent(body)
			require.NoError(t, err)
			switch e := ev.(type) {
			case *textus.MessageEvent:
				assert.Equal(t, "WebhookDelivery", e.Type)
				assert.Equal(t, action, e.Action)
				require.NotNil(t, e.Conversation)
				require.NotNil(t, e.Message)
				assert.Equal(t, "+17205550199", e.Conversation.PhoneNumber)
				assert.Equal(t, "/accounts/acme", env["conversation"].(map[string]any)["account"])
				assert.Equal(t, "+17205550100", env["conversation"].(map[string]any)["accountPhoneNumber"])
				assert.Equal(t, e.Conversation.ID, e.Message.Conversation)
				assert.Equal(t, "Custom text", e.Message.Body)
				if action == textus.EventMessageReceived {
					assert.Equal(t, textus.DirectionIn, e.Message.Direction)
					assert.Equal(t, textus.DeliveryState("received"), e.Message.DeliveryState)
				} else {
					assert.Equal(t, textus.DirectionOut, e.Message.Direction)
					assert.Equal(t, "message."+string(e.Message.DeliveryState), string(action))
				}
			case *textus.OptOutEvent:
				assert.Equal(t, "OptOutWebhookDelivery", e.Type)
				assert.Equal(t, "+17205550199", e.PhoneNumber())
				kind := map[textus.EventType]string{textus.EventContactOptedOut: "opt-out", textus.EventContactOptedIn: "opt-in"}[action]
				assert.Equal(t, kind, e.OptOut.Kind)
			case *textus.ContactEvent:
				require.NotNil(t, e.Contact)
				assert.Equal(t, "Jordan Lee", e.Contact.Name)
				require.Len(t, e.Contact.Phones, 1)
				assert.Equal(t, "+17205550199", e.Contact.Phones[0].PhoneNumber)
				assert.Equal(t, "(720) 555-0199", e.Contact.Phones[0].FormattedPhoneNumber)
				assert.True(t, at.Truncate(time.Millisecond).Equal(e.Contact.CreatedAt))
			case *textus.PhoneCallEvent:
				require.NotNil(t, e.Conversation)
				var call map[string]any
				require.NoError(t, json.Unmarshal(e.PhoneCall, &call))
				assert.Equal(t, "completed", call["status"])
				assert.Equal(t, "+17205550199", call["from"])
				assert.Equal(t, e.Conversation.ID, call["conversation"])
			default:
				t.Fatalf("ParseEvent returned %T", ev)
			}
		})
	}
}

func TestSampleDeliveryDefaults(t *testing.T) {
	before := time.Now().Add(-time.Second)
	a, err := textustest.SampleDelivery("contact.opted-out", textustest.SampleOptions{})
	require.NoError(t, err)
	b, err := textustest.SampleDelivery(textus.EventMessageDelivered, textustest.SampleOptions{})
	require.NoError(t, err)

	ev, err := textus.ParseEvent(a)
	require.NoError(t, err)
	out := ev.(*textus.OptOutEvent)
	assert.Equal(t, textus.EventContactOptedOut, out.Action, "the alias names the same event")
	assert.Contains(t, string(a), `"action":"contact.opted_out"`, "written with the wire name")

	ev, err = textus.ParseEvent(b)
	require.NoError(t, err)
	m := ev.(*textus.MessageEvent)
	assert.Equal(t, "+13035551234", m.Conversation.PhoneNumber)
	assert.Equal(t, textustest.DefaultPhoneNumber, m.Conversation.AccountPhoneNumber)
	assert.Contains(t, string(b), `"account":"/accounts/`+textustest.DefaultAccount+`"`)
	assert.NotEmpty(t, m.Message.Body)
	assert.True(t, m.Timestamp.After(before), "stamped now: %v", m.Timestamp)
	assert.Regexp(t, `^/integrations/\w{7}$`, m.WebHook)
	assert.NotEqual(t, out.WebHook, m.WebHook, "each call has its own subscription unless Webhook is set")
}

func TestSampleDeliveryRefusesBadInput(t *testing.T) {
	tests := []struct {
		name   string
		action textus.EventType
		opts   textustest.SampleOptions
		want   string
	}{
		{"unknown event", "message.sent", textustest.SampleOptions{}, `no sample for event "message.sent"`},
		{"phone", textus.EventMessageReceived, textustest.SampleOptions{Phone: "call me"}, `Phone: invalid phone number: "call me"`},
		{"account phone", textus.EventMessageReceived, textustest.SampleOptions{AccountPhone: "555"}, "AccountPhone: invalid phone number"},
		{"account", textus.EventMessageReceived, textustest.SampleOptions{Account: "no/slug"}, `Account "no/slug" is not a valid account slug`},
		{"webhook", textus.EventMessageReceived, textustest.SampleOptions{Webhook: "/hooks/1"}, `Webhook "/hooks/1" is not an /integrations/<id> IRI`},
		{"webhook without id", textus.EventMessageReceived, textustest.SampleOptions{Webhook: "/integrations/"}, `Webhook "/integrations/" is not an /integrations/<id> IRI`},
	}
	for _, tt := range tests {
		body, err := textustest.SampleDelivery(tt.action, tt.opts)
		require.Error(t, err, tt.name)
		assert.Contains(t, err.Error(), "textustest: SampleDelivery: "+tt.want, tt.name)
		assert.Nil(t, body, tt.name)
	}
}

// A sample has the very shape of the deliveries a Server makes for the
// same event: the same keys at every level (but in a contact's free-form
// data), with values of the same JSON types wherever both are set.
func TestSampleDeliveryMatchesServerDeliveries(t *testing.T) {
	srv := newServer(t, textustest.WithUndeliverable("+13035550000"))
	c := srv.Client()
	ctx := testContext(t)
	hook := newLoopbackServer(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	_, err := c.Webhooks.Create(ctx, &textus.WebhookParams{URL: hook.url, Events: textus.AllEvents()})
	require.NoError(t, err)

	_, err = srv.ReceiveMessage("+13035551234", "Hello") // contact.created, message.received
	require.NoError(t, err)
	_, err = c.Messages.Send(ctx, &textus.SendMessageParams{To: "+13035551234", Body: "Hi"}) // message.delivered
	require.NoError(t, err)
	_, err = c.Messages.Send(ctx, &textus.SendMessageParams{To: "+13035550000", Body: "Hi"}) // message.failed
	require.NoError(t, err)
	_, err = srv.ReceiveMessage("+13035551234", "STOP") // contact.opted_out
	require.NoError(t, err)
	_, err = srv.ReceiveMessage("+13035551234", "START") // contact.opted_in
	require.NoError(t, err)
	require.NoError(t, srv.WaitIdle(ctx))

	compared := 0
	seen := map[textus.EventType]bool{}
	for _, d := range srv.Deliveries() {
		if seen[d.Action] {
			continue
		}
		seen[d.Action] = true
		sample, err := textustest.SampleDelivery(d.Action, textustest.SampleOptions{})
		require.NoError(t, err)
		var got, want any
		require.NoError(t, json.Unmarshal(d.Body, &want))
		require.NoError(t, json.Unmarshal(sample, &got))
		assertSameShape(t, want, got, string(d.Action))
		compared++
	}
	assert.Equal(t, 6, compared, "every event the server emits: %v", seen)
}

func assertSameShape(t *testing.T, want, got any, path string) {
	t.Helper()
	if want == nil || got == nil {
		return // null where the other is set: a value, not a shape
	}
	switch w := want.(type) {
	case map[string]any:
		if strings.HasSuffix(path, ".data") {
			return // free-form: its keys are the user's
		}
		g, ok := got.(map[string]any)
		require.True(t, ok, "%s: %T, want an object", path, got)
		assert.Equal(t, slices.Sorted(maps.Keys(w)), slices.Sorted(maps.Keys(g)), "%s: keys", path)
		for k, v := range w {
			if gv, ok := g[k]; ok {
				assertSameShape(t, v, gv, path+"."+k)
			}
		}
	case []any:
		g, ok := got.([]any)
		require.True(t, ok, "%s: %T, want an array", path, got)
		if len(w) > 0 && len(g) > 0 {
			assertSameShape(t, w[0], g[0], path+"[0]")
		}
	default:
		assert.IsType(t, want, got, path)
	}
}
