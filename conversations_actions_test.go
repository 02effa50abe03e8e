package textus

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// docsAssignContactJSON is the answer of the docs' assign_contact example:
// the assigned contact embedded, the user info embedded.
const docsAssignContactJSON = `{
  "@type": "Conversation", "id": "/conversations/JYnJBY", "@context": "/contexts/Conversation.jsonld",
  "slug": "JYnJBY", "currentState": "closed", "account": "/accounts/marks_llc",
  "requestingUserInfo": { "@type": "ConversationUserInfo", "id": "/conversations/JYnJBY/user_info",
    "@context": "/contexts/ConversationUserInfo.jsonld", "read": false, "readToTimelinePosition": null,
    "starred": false, "assigned": false },
  "phoneNumber": "+13035551234", "formattedPhoneNumber": "(303) 555-1234",
  "assignedContact": { "id": "/contacts/Vled2N", "@type": "Contact", "@context": "/contexts/Contact.jsonld",
    "name": "Jamel Hirthe", "firstName": "Jamel", "lastName": "Hirthe",
    "phones": { "id": "/contacts/Vled2N/phones", "@type": "hydra:Collection", "totalItems": 1, "members": [] },
    "notes": "/contacts/DQeeO69/notes", "conversations": "/contacts/DQeeO69/conversations",
    "data": {}, "createdAt": "2020-01-06T21:49:58.312Z", "formattedData": {} },
  "associatedContacts": "/conversations/JYnJBY/associated_contacts"
}`

func TestConversationsAssignContact(t *testing.T) {
	for _, contact := range []string{"/contacts/Vled2N", "Vled2N"} {
		t.Run(contact, func(t *testing.T) {
			client, mux, ts := setup(t)
			mux.HandleFunc("/conversations/JYnJBY/assign_contact", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "PUT")
				testURI(t, r, "/api-v1/conversations/JYnJBY/assign_contact")
				testHeader(t, r, true)
				testJSONBody(t, r, `{"assigned_contact":"/contacts/Vled2N"}`)
				writeJSON(w, http.StatusOK, docsAssignContactJSON)
			})
			cv, err := client.Conversations.AssignContact(context.Background(), "JYnJBY", contact)
			require.NoError(t, err)
			assert.Equal(t, "/conversations/JYnJBY", cv.ID)
			assert.Equal(t, ConversationClosed, cv.CurrentState)
			assert.Equal(t, "/contacts/Vled2N", cv.AssignedContact, "an embedded contact decodes to its IRI")
			require.NotNil(t, cv.UserInfo)
			assert.Equal(t, ConversationUserInfo{ID: "/conversations/JYnJBY/user_info"}, *cv.UserInfo)
			assert.Equal(t, 1, ts.Requests())
		})
	}
}

func TestConversationsAssignContactBadInput(t *testing.T) {
	cases := map[string]struct{ conv, contact string }{
		"empty contact":        {"JYnJBY", ""},
		"contact of another":   {"JYnJBY", "/messages/x"},
		"contact path":         {"JYnJBY", "a/b"},
		"empty conversation":   {"", "Vled2N"},
		"conversation of othr": {"/contacts/x", "Vled2N"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			client, mux, ts := setup(t)
			refuseAll(t, mux)
			cv, err := client.Conversations.AssignContact(context.Background(), tc.conv, tc.contact)
			require.Error(t, err)
			assert.Nil(t, cv)
			assertNothingSent(t, ts)
		})
	}
}

// Each action goes to its (documented or inferred) method and path, sends
// no body, and returns the conversation TextUs answers with.
func TestConversationActions(t *testing.T) {
	actions := []struct {
		name, method, path string
		call               func(c *Client, id string) (*Conversation, error)
	}{
		{"MarkRead", "PUT", "/conversations/kY1QwY/read", func(c *Client, id string) (*Conversation, error) {
			return c.Conversations.MarkRead(context.Background(), id)
		}},
		{"MarkUnread", "DELETE", "/conversations/kY1QwY/read", func(c *Client, id string) (*Conversation, error) {
			return c.Conversations.MarkUnread(context.Background(), id)
		}},
		{"Close", "PUT", "/conversations/kY1QwY/close", func(c *Client, id string) (*Conversation, error) {
			return c.Conversations.Close(context.Background(), id)
		}},
		{"Reopen", "PUT", "/conversations/kY1QwY/reopen", func(c *Client, id string) (*Conversation, error) {
			return c.Conversations.Reopen(context.Background(), id)
		}},
		{"Star", "PUT", "/conversations/kY1QwY/star", func(c *Client, id string) (*Conversation, error) {
			return c.Conversations.Star(context.Background(), id)
		}},
		{"Unstar", "DELETE", "/conversations/kY1QwY/star", func(c *Client, id string) (*Conversation, error) {
			return c.Conversations.Unstar(context.Background(), id)
		}},
	}
	for _, a := range actions {
		t.Run(a.name, func(t *testing.T) {
			client, mux, ts := setup(t)
			mux.HandleFunc(a.path, func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, a.method)
				testURI(t, r, "/api-v1"+a.path)
				testHeader(t, r, false)
				testNoBody(t, r)
				writeJSON(w, http.StatusOK, specConversationJSON)
			})
			cv, err := a.call(client, "/conversations/kY1QwY")
			require.NoError(t, err)
			assertSpecConversation(t, cv)
			assert.Equal(t, 1, ts.Requests())
		})
		// The docs do not show these answers: one without a body is
		// followed by a read of the conversation.
		t.Run(a.name+" without a body", func(t *testing.T) {
			client, mux, ts := setup(t)
			mux.HandleFunc(a.method+" "+a.path, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusNoContent)
			})
			mux.HandleFunc("GET /conversations/kY1QwY", func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusOK, specConversationJSON)
			})
			cv, err := a.call(client, "kY1QwY")
			require.NoError(t, err)
			assertSpecConversation(t, cv)
			assert.Equal(t, 2, ts.Requests())
		})
		t.Run(a.name+" not found", func(t *testing.T) {
			client, mux, ts := setup(t)
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusNotFound, `{"hydra:title":"Not Found","hydra:description":"no such conversation"}`)
			})
			cv, err := a.call(client, "kY1QwY")
			require.ErrorIs(t, err, ErrNotFound)
			assert.Nil(t, cv)
			assert.Equal(t, 1, ts.Requests())
		})
		t.Run(a.name+" retried as idempotent", func(t *testing.T) {
			client, mux, ts := setup(t)
			n := 0
			mux.HandleFunc(a.path, func(w http.ResponseWriter, r *http.Request) {
				n++
				if n == 1 {
					writeJSON(w, http.StatusBadGateway, `{"error":"upstream"}`)
					return
				}
				writeJSON(w, http.StatusOK, specConversationJSON)
			})
			_, err := a.call(client, "kY1QwY")
			require.NoError(t, err)
			assert.Equal(t, 2, ts.Requests())
		})
	}
}

func TestConversationUserInfo(t *testing.T) {
	var cv Conversation
	require.NoError(t, json.Unmarshal([]byte(`{"id":"/conversations/1","requestingUserInfo":
	  {"id":"/conversations/1/user_info","read":true,"readToTimelinePosition":"2018-07-24T20:59:32.156Z","starred":true,"assigned":true}}`), &cv))
	require.NotNil(t, cv.UserInfo)
	assert.Equal(t, ConversationUserInfo{ID: "/conversations/1/user_info", Read: true,
		ReadToTimelinePosition: "2018-07-24T20:59:32.156Z", Starred: true, Assigned: true}, *cv.UserInfo)
	var spec Conversation
	require.NoError(t, json.Unmarshal([]byte(specConversationJSON), &spec))
	assert.Nil(t, spec.UserInfo, "a link is no user info")
}

// docsFiltersJSON is the docs' conversation filter index, cut to two
// filters.
const docsFiltersJSON = `{
  "@type": "ConversationFilterCollection", "id": "/my_account/conversation_filters",
  "@context": "/contexts/ConversationFilterCollection.jsonld", "totalItems": 2,
  "members": [
    { "@type": "ConversationFilter", "id": "/my_account/conversation_filters/all",
      "@context": "/contexts/ConversationFilter.jsonld", "slug": "all", "title": "All Conversations",
      "unreadCount": 0, "totalCount": 0,
      "closeConversations": "/my_account/conversation_filters/all/conversations/close?modified_before=2018-03-14T09:26:53.589793Z",
      "reopenConversations": "/my_account/conversation_filters/all/conversations/reopen?modified_before=2018-03-14T09:26:53.589793Z",
      "unassignConversations": "/my_account/conversation_filters/all/conversations/assign?modified_before=2018-03-14T09:26:53.589793Z" },
    { "@type": "ConversationFilter", "id": "/my_account/conversation_filters/you", "slug": "you",
      "title": "Assigned to Me", "unreadCount": 2, "totalCount": 5 }
  ]
}`

func TestConversationsFilters(t *testing.T) {
	client, mux, ts := setup(t)
	mux.HandleFunc("/my_account/conversation_filters", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		testURI(t, r, "/api-v1/my_account/conversation_filters")
		testHeader(t, r, false)
		writeJSON(w, http.StatusOK, docsFiltersJSON)
	})
	seq := client.Conversations.Filters(context.Background())
	assert.Zero(t, ts.Requests())
	filters, errs := collectSeq(seq)
	require.Empty(t, errs)
	require.Len(t, filters, 2)
	assert.Equal(t, "ConversationFilter", filters[0].LDType)
	assert.Equal(t, "/my_account/conversation_filters/all", filters[0].ID)
	assert.Equal(t, "all", filters[0].Slug)
	assert.Equal(t, "All Conversations", filters[0].Title)
	assert.Contains(t, string(filters[0].Raw), "closeConversations")
	assert.Equal(t, 2, filters[1].UnreadCount)
	assert.Equal(t, 5, filters[1].TotalCount)

	_, mux2, ts2 := setup(t)
	refuseAll(t, mux2)
	assert.ErrorIs(t, firstErr(newTestClient(t, ts2).Conversations.Filters(context.Background())), ErrNoAccount)
	assertNothingSent(t, ts2)
}

func TestConversationsBatch(t *testing.T) {
	before := time.Date(2018, 3, 14, 3, 26, 53, 589793000, time.FixedZone("MDT", -6*3600))
	calls := []struct {
		name, method, action string
		call                 func(c *Client, filter string, p *BatchParams) error
	}{
		{"BatchReopen", "PUT", "reopen", func(c *Client, f string, p *BatchParams) error {
			return c.Conversations.BatchReopen(context.Background(), f, p)
		}},
		{"BatchClose", "PUT", "close", func(c *Client, f string, p *BatchParams) error {
			return c.Conversations.BatchClose(context.Background(), f, p)
		}},
		{"BatchUnassign", "DELETE", "assign", func(c *Client, f string, p *BatchParams) error {
			return c.Conversations.BatchUnassign(context.Background(), f, p)
		}},
	}
	for _, bc := range calls {
		path := "/my_account/conversation_filters/active/conversations/" + bc.action
		t.Run(bc.name+" by id", func(t *testing.T) {
			client, mux, ts := setup(t)
			mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, bc.method)
				testURI(t, r, "/api-v1"+path)
				testHeader(t, r, true)
				testJSONBody(t, r, `{"conversations":["/conversations/1owpXK0","/conversations/069dV2r"]}`)
				w.WriteHeader(http.StatusAccepted) // no body
			})
			err := bc.call(client, "active", &BatchParams{Conversations: []string{"/conversations/1owpXK0", "069dV2r", "1owpXK0"}})
			require.NoError(t, err)
			assert.Equal(t, 1, ts.Requests())
		})
		t.Run(bc.name+" by time", func(t *testing.T) {
			client, mux, ts := setup(t)
			mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, bc.method)
				testURI(t, r, "/api-v1"+path+"?modified_before=2018-03-14T09%3A26%3A53.589793Z")
				testHeader(t, r, false)
				testNoBody(t, r)
				w.WriteHeader(http.StatusAccepted)
			})
			require.NoError(t, bc.call(client, "active", &BatchParams{ModifiedBefore: before}))
			assert.Equal(t, 1, ts.Requests())
		})
		t.Run(bc.name+" bad input", func(t *testing.T) {
			bad := map[string]struct {
				filter string
				p      *BatchParams
			}{
				"nil params":     {"active", nil},
				"nothing chosen": {"active", &BatchParams{}},
				"both chosen":    {"active", &BatchParams{Conversations: []string{"x"}, ModifiedBefore: before}},
				"empty filter":   {"", &BatchParams{Conversations: []string{"x"}}},
				"filter path":    {"a/b", &BatchParams{Conversations: []string{"x"}}},
				"bad id":         {"active", &BatchParams{Conversations: []string{"x", "/contacts/y"}}},
				"empty id":       {"active", &BatchParams{Conversations: []string{""}}},
			}
			for name, tc := range bad {
				client, mux, ts := setup(t)
				refuseAll(t, mux)
				assert.Error(t, bc.call(client, tc.filter, tc.p), name)
				assertNothingSent(t, ts)
			}
			_, mux, ts := setup(t)
			refuseAll(t, mux)
			assert.ErrorIs(t, bc.call(newTestClient(t, ts), "active", &BatchParams{Conversations: []string{"x"}}), ErrNoAccount)
			assertNothingSent(t, ts)
		})
		t.Run(bc.name+" is retried", func(t *testing.T) {
			client, mux, ts := setup(t)
			n := 0
			mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
				if n++; n == 1 {
					w.WriteHeader(http.StatusServiceUnavailable)
					return
				}
				w.WriteHeader(http.StatusAccepted)
			})
			require.NoError(t, bc.call(client, "active", &BatchParams{Conversations: []string{"x"}}))
			assert.Equal(t, 2, ts.Requests(), "a PUT or DELETE is safe to repeat")
		})
	}
}
