package textus

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// specConversationJSON is the Conversation example of the API spec (§4.5).
const specConversationJSON = `{
  "@type": "Conversation", "@context": "/contexts/Conversation.jsonld", "id": "/conversations/kY1QwY",
  "slug": "kY1QwY", "currentState": "open", "account": "/accounts/my_account",
  "phoneNumber": "+13035551234", "formattedPhoneNumber": "(303) 555-1234",
  "requestingUserInfo": "/conversations/kY1QwY/user_info",
  "assignedContact": null,
  "associatedContacts": "/conversations/kY1QwY/associated_contacts",
  "latestPreviewableItem": { "@type": "Message", "id": "/messages/06oyogE", "direction": "in",
    "body": "Running late, see you at 3", "deliveryState": "received", "sender": null,
    "conversation": "/conversations/kY1QwY" },
  "unanswered": true, "unsubscribed": false, "blocked": false
}`

func assertSpecConversation(t *testing.T, c *Conversation) {
	t.Helper()
	require.NotNil(t, c)
	assert.Equal(t, "Conversation", c.LDType)
	assert.Equal(t, "/conversations/kY1QwY", c.ID)
	assert.Equal(t, "kY1QwY", c.Slug)
	assert.Equal(t, ConversationOpen, c.CurrentState)
	assert.Equal(t, "/accounts/my_account", c.Account)
	assert.Equal(t, "+13035551234", c.PhoneNumber)
	assert.Equal(t, "(303) 555-1234", c.FormattedPhoneNumber)
	assert.Empty(t, c.AssignedContact)
	assert.True(t, c.Unanswered)
	assert.False(t, c.Unsubscribed)
	assert.False(t, c.Blocked)
	require.NotNil(t, c.LatestMessage)
	assert.Equal(t, "/messages/06oyogE", c.LatestMessage.ID)
	assert.Equal(t, DirectionIn, c.LatestMessage.Direction)
	assert.Equal(t, DeliveryReceived, c.LatestMessage.DeliveryState)
	assert.Equal(t, "Running late, see you at 3", c.LatestMessage.Body)
	assert.Empty(t, c.LatestMessage.Sender)
	assert.Equal(t, "/conversations/kY1QwY", c.LatestMessage.Conversation)
	assert.JSONEq(t, specConversationJSON, string(c.Raw))
}

func TestConversationsGetByPhone(t *testing.T) {
	tests := []struct{ phone, uri string }{
		{"+13035551234", "/api-v1/my_account/conversations/+13035551234"},
		{"(303) 555-1234", "/api-v1/my_account/conversations/+13035551234"},
		{"303-555-1234", "/api-v1/my_account/conversations/+13035551234"},
		{"13035551234", "/api-v1/my_account/conversations/+13035551234"},
		{"+44 20 7946 0958", "/api-v1/my_account/conversations/+442079460958"},
	}
	for _, tt := range tests {
		t.Run(tt.phone, func(t *testing.T) {
			client, mux, ts := setup(t)
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "GET")
				testURI(t, r, tt.uri) // E.164 with a literal "+"
				testHeader(t, r, false)
				writeJSON(w, http.StatusOK, specConversationJSON)
			})
			c, err := client.Conversations.GetByPhone(context.Background(), tt.phone)
			require.NoError(t, err)
			assertSpecConversation(t, c)
			assert.Equal(t, 1, ts.Requests())
		})
	}
}

func TestConversationsGetByPhoneNotFound(t *testing.T) {
	client, mux, _ := setup(t)
	mux.HandleFunc("/my_account/conversations/{phone}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, `{"error":"not found"}`)
	})
	c, err := client.Conversations.GetByPhone(context.Background(), "+13035551234")
	assert.Nil(t, c)
	require.ErrorIs(t, err, ErrNotFound)
}

func TestConversationsGetByPhoneBadInput(t *testing.T) {
	for _, phone := range []string{"", "abc", "555-1234", "+12", "303-555-1234 x12"} {
		t.Run(phone, func(t *testing.T) {
			client, mux, ts := setup(t)
			refuseAll(t, mux)
			c, err := client.Conversations.GetByPhone(context.Background(), phone)
			require.ErrorIs(t, err, ErrInvalidPhone)
			assert.Nil(t, c)
			assertNothingSent(t, ts)
		})
	}
	t.Run("no account", func(t *testing.T) {
		_, mux, ts := setup(t)
		refuseAll(t, mux)
		client := newTestClient(t, ts)
		_, err := client.Conversations.GetByPhone(context.Background(), "+13035551234")
		require.ErrorIs(t, err, ErrNoAccount)
		assertNothingSent(t, ts)
	})
}

// timelineJSON is a Timeline page: Messages mixed with other event types.
func timelineJSON(next string) string {
	nx := "null"
	if next != "" {
		nx = `"` + next + `"`
	}
	return `{
	  "@type": "Timeline", "@context": "/contexts/Timeline.jsonld", "id": "/conversations/kY1QwY/timeline",
	  "latestPosition": "2018-07-24T20:59:32.156Z", "totalItems": 4,
	  "members": [
	    ` + specMessageJSON + `,
	    { "@type": "ConversationAssignment", "id": "/conversation_assignments/a1", "createdAt": "2018-07-24T20:00:00Z" },
	    { "@type": "Message", "id": "/messages/06oyogE", "direction": "in", "body": "Running late",
	      "deliveryState": "received", "sender": null,
	      "conversation": { "@type": "Conversation", "id": "/conversations/kY1QwY" },
	      "createdAt": "2018-07-24T19:00:00.123456+02:00" },
	    { "@type": "PhoneCall", "id": "/phone_calls/p1" }
	  ],
	  "view": { "@type": "hydra:PartialCollectionView", "id": "/conversations/kY1QwY/timeline", "next": ` + nx + ` }
	}`
}

func TestConversationsTimeline(t *testing.T) {
	for _, id := range []string{"/conversations/kY1QwY", "kY1QwY"} {
		t.Run(id, func(t *testing.T) {
			client, mux, ts := setup(t)
			mux.HandleFunc("/conversations/kY1QwY/timeline", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "GET")
				testURI(t, r, "/api-v1/conversations/kY1QwY/timeline")
				testHeader(t, r, false)
				writeJSON(w, http.StatusOK, timelineJSON(""))
			})
			seq := client.Conversations.Timeline(context.Background(), id)
			assert.Zero(t, ts.Requests(), "Timeline must not fetch before the first step")
			got, errs := collectSeq(seq)
			require.Empty(t, errs)
			require.Len(t, got, 2, "only the Messages of the timeline")
			assertSpecMessage(t, got[0])
			assert.Equal(t, "/messages/06oyogE", got[1].ID)
			assert.Equal(t, "/conversations/kY1QwY", got[1].Conversation)
			assert.Equal(t, "2018-07-24T17:00:00.123456Z", got[1].CreatedAt.UTC().Format("2006-01-02T15:04:05.999999Z07:00"))
			assert.Equal(t, 1, ts.Requests())
		})
	}
}

func TestConversationsTimelinePages(t *testing.T) {
	client, mux, ts := setup(t)
	mux.HandleFunc("/conversations/kY1QwY/timeline", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		if r.URL.RawQuery == "" {
			writeJSON(w, http.StatusOK, timelineJSON("/api-v1/conversations/kY1QwY/timeline?before=2018-07-24T19%3A00%3A00Z"))
			return
		}
		testURI(t, r, "/api-v1/conversations/kY1QwY/timeline?before=2018-07-24T19%3A00%3A00Z")
		writeJSON(w, http.StatusOK, `{"@type":"Timeline","totalItems":4,"members":[
			{"id":"/messages/old","body":"untyped members are read as messages","direction":"out"}]}`)
	})
	got, errs := collectSeq(client.Conversations.Timeline(context.Background(), "kY1QwY"))
	require.Empty(t, errs)
	require.Len(t, got, 3)
	assert.Equal(t, "/messages/old", got[2].ID)
	assert.Equal(t, 2, ts.Requests())

	p1, err := client.Conversations.TimelinePage(context.Background(), "/conversations/kY1QwY", "")
	require.NoError(t, err)
	require.Len(t, p1.Items, 2)
	assert.Equal(t, 4, p1.TotalItems)
	require.True(t, p1.HasNext())

	resumed := newTestClient(t, ts)
	p2, err := resumed.Conversations.TimelinePage(context.Background(), "kY1QwY", p1.NextCursor)
	require.NoError(t, err)
	require.Len(t, p2.Items, 1)
	assert.Equal(t, "/messages/old", p2.Items[0].ID)
	assert.False(t, p2.HasNext())
}

func TestConversationsList(t *testing.T) {
	tests := []struct {
		name string
		opts *ConversationListOptions
		uri  string
	}{
		{"default filter", nil, "/api-v1/my_account/conversation_filters/active/conversations"},
		{"empty options", &ConversationListOptions{}, "/api-v1/my_account/conversation_filters/active/conversations"},
		{"filter and query", &ConversationListOptions{Filter: "you", Query: "+1303"},
			"/api-v1/my_account/conversation_filters/you/conversations?q=%2B1303"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, mux, ts := setup(t)
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "GET")
				testURI(t, r, tt.uri)
				testHeader(t, r, false)
				writeJSON(w, http.StatusOK, `{"@type":"ConversationCollection","id":"/x","totalItems":1,"members":[`+
					specConversationJSON+`],"view":{"id":"/x","next":null}}`)
			})
			seq := client.Conversations.List(context.Background(), tt.opts)
			assert.Zero(t, ts.Requests())
			got, errs := collectSeq(seq)
			require.Empty(t, errs)
			require.Len(t, got, 1)
			assertSpecConversation(t, got[0])
		})
	}
}

func TestConversationsListNoAccount(t *testing.T) {
	_, mux, ts := setup(t)
	refuseAll(t, mux)
	client := newTestClient(t, ts)
	_, errs := collectSeq(client.Conversations.List(context.Background(), nil))
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], ErrNoAccount)
	assertNothingSent(t, ts)
}

func TestConversationsMarkRead(t *testing.T) {
	for _, id := range []string{"/conversations/kY1QwY", "kY1QwY"} {
		t.Run(id, func(t *testing.T) {
			client, mux, ts := setup(t)
			mux.HandleFunc("/conversations/kY1QwY/read", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "PUT")
				testURI(t, r, "/api-v1/conversations/kY1QwY/read")
				testHeader(t, r, false) // no body, so no Content-Type
				testNoBody(t, r)
				writeJSON(w, http.StatusOK, specConversationJSON)
			})
			c, err := client.Conversations.MarkRead(context.Background(), id)
			require.NoError(t, err)
			assertSpecConversation(t, c)
			assert.Equal(t, 1, ts.Requests())
		})
	}
}
