package textus

import (
	"context"
	"net/http"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every method that reads one resource by id: GET, no body, the documented
// headers, the IRI or the bare slug (with stray spaces) accepted, and the
// documented example decoded.
func TestGetByID(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name, iri, body string
		get             func(c *Client, id string) (any, error)
		check           func(t *testing.T, v any)
	}{
		{"Contacts.Get", "/contacts/DQeeO69", specContactJSON,
			func(c *Client, id string) (any, error) { return c.Contacts.Get(ctx, id) },
			func(t *testing.T, v any) { assertSpecContact(t, v.(*Contact)) }},
		{"Conversations.Get", "/conversations/kY1QwY", specConversationJSON,
			func(c *Client, id string) (any, error) { return c.Conversations.Get(ctx, id) },
			func(t *testing.T, v any) { assertSpecConversation(t, v.(*Conversation)) }},
		{"Messages.Get", "/messages/QNDkpL", specMessageJSON,
			func(c *Client, id string) (any, error) { return c.Messages.Get(ctx, id) },
			func(t *testing.T, v any) { assertSpecMessage(t, v.(*Message)) }},
		{"Accounts.Get", "/accounts/my_account", accountJSON,
			func(c *Client, id string) (any, error) { return c.Accounts.Get(ctx, id) },
			func(t *testing.T, v any) { assertAccount(t, v.(*Account)) }},
		{"Users.Get", "/users/wqyODPA", docsUserJSON,
			func(c *Client, id string) (any, error) { return c.Users.Get(ctx, id) },
			func(t *testing.T, v any) { assertDocsUser(t, v.(*User)) }},
	}
	for _, tc := range cases {
		slug := tc.iri[len(tc.iri)-len(lastSegment(tc.iri)):]
		for _, id := range []string{tc.iri, slug, " " + slug + " "} {
			t.Run(tc.name+"("+id+")", func(t *testing.T) {
				client, mux, ts := setup(t)
				mux.HandleFunc(tc.iri, func(w http.ResponseWriter, r *http.Request) {
					testMethod(t, r, "GET")
					testURI(t, r, testBasePath+tc.iri)
					testHeader(t, r, false)
					testNoBody(t, r)
					writeJSON(w, http.StatusOK, tc.body)
				})
				v, err := tc.get(client, id)
				require.NoError(t, err)
				tc.check(t, v)
				assert.Equal(t, 1, ts.Requests())
			})
		}
	}
}

func lastSegment(iri string) string {
	for i := len(iri) - 1; i >= 0; i-- {
		if iri[i] == '/' {
			return iri[i+1:]
		}
	}
	return iri
}

// Every method that takes a resource id refuses a bad one before sending
// anything, with a nil result: empty, an IRI of another collection, the
// collection alone, a path, spaces, a query, dot segments.
func TestIDArgumentsRefused(t *testing.T) {
	ctx := context.Background()
	on := true
	methods := []struct {
		name, collection string
		call             func(c *Client, id string) (any, error)
	}{
		{"Contacts.Get", "contacts", func(c *Client, id string) (any, error) { return c.Contacts.Get(ctx, id) }},
		{"Contacts.Update", "contacts", func(c *Client, id string) (any, error) {
			return c.Contacts.Update(ctx, id, &ContactParams{Name: "x"})
		}},
		{"Contacts.Conversations", "contacts", func(c *Client, id string) (any, error) {
			return nil, firstErr(c.Contacts.Conversations(ctx, id))
		}},
		{"Conversations.Get", "conversations", func(c *Client, id string) (any, error) { return c.Conversations.Get(ctx, id) }},
		{"Conversations.Timeline", "conversations", func(c *Client, id string) (any, error) {
			return nil, firstErr(c.Conversations.Timeline(ctx, id))
		}},
		{"Conversations.TimelinePage", "conversations", func(c *Client, id string) (any, error) {
			return c.Conversations.TimelinePage(ctx, id, "")
		}},
		{"Conversations.MarkRead", "conversations", func(c *Client, id string) (any, error) { return c.Conversations.MarkRead(ctx, id) }},
		{"Messages.Get", "messages", func(c *Client, id string) (any, error) { return c.Messages.Get(ctx, id) }},
		{"Accounts.Get", "accounts", func(c *Client, id string) (any, error) { return c.Accounts.Get(ctx, id) }},
		{"Webhooks.Update", "integrations", func(c *Client, id string) (any, error) {
			return c.Webhooks.Update(ctx, id, &WebhookParams{Active: &on})
		}},
		{"Webhooks.Disable", "integrations", func(c *Client, id string) (any, error) { return c.Webhooks.Disable(ctx, id) }},
		{"Contacts.Notes", "contacts", func(c *Client, id string) (any, error) { return nil, firstErr(c.Contacts.Notes(ctx, id)) }},
		{"Contacts.NotesPage", "contacts", func(c *Client, id string) (any, error) { return c.Contacts.NotesPage(ctx, id, "") }},
		{"Contacts.CreateNote", "contacts", func(c *Client, id string) (any, error) { return c.Contacts.CreateNote(ctx, id, "x") }},
		{"Contacts.CustomData", "contacts", func(c *Client, id string) (any, error) { return nil, firstErr(c.Contacts.CustomData(ctx, id)) }},
		{"Conversations.MarkUnread", "conversations", func(c *Client, id string) (any, error) { return c.Conversations.MarkUnread(ctx, id) }},
		{"Conversations.Close", "conversations", func(c *Client, id string) (any, error) { return c.Conversations.Close(ctx, id) }},
		{"Conversations.Reopen", "conversations", func(c *Client, id string) (any, error) { return c.Conversations.Reopen(ctx, id) }},
		{"Conversations.Star", "conversations", func(c *Client, id string) (any, error) { return c.Conversations.Star(ctx, id) }},
		{"Conversations.Unstar", "conversations", func(c *Client, id string) (any, error) { return c.Conversations.Unstar(ctx, id) }},
		{"Conversations.AssignContact", "conversations", func(c *Client, id string) (any, error) {
			return c.Conversations.AssignContact(ctx, id, "Vled2N")
		}},
		{"Conversations.AssignContact(contact)", "contacts", func(c *Client, id string) (any, error) {
			return c.Conversations.AssignContact(ctx, "JYnJBY", id)
		}},
		{"Users.Get", "users", func(c *Client, id string) (any, error) { return c.Users.Get(ctx, id) }},
		{"Users.Update", "users", func(c *Client, id string) (any, error) { return c.Users.Update(ctx, id, &UserParams{Name: "x"}) }},
		{"SavedReplies.Create", "users", func(c *Client, id string) (any, error) {
			return c.SavedReplies.Create(ctx, id, &SavedReplyParams{Title: "t", Content: "c"})
		}},
		{"SavedReplies.Update", "saved_replies", func(c *Client, id string) (any, error) {
			return c.SavedReplies.Update(ctx, id, &SavedReplyParams{Title: "t"})
		}},
		{"Accounts.Descendants", "accounts", func(c *Client, id string) (any, error) {
			return nil, firstErr(c.Accounts.Descendants(ctx, id, nil))
		}},
		{"Accounts.UpdateSettings", "accounts", func(c *Client, id string) (any, error) {
			return c.Accounts.UpdateSettings(ctx, id, map[string]AccountSetting{"x": {Value: 1}})
		}},
		{"Campaigns.Create(recipient)", "contact_phones", func(c *Client, id string) (any, error) {
			return c.Campaigns.Create(ctx, &CampaignParams{Title: "t", MessageBody: "b", Recipients: []string{id}})
		}},
		{"Conversations.BatchReopen(conversation)", "conversations", func(c *Client, id string) (any, error) {
			return nil, c.Conversations.BatchReopen(ctx, "all", &BatchParams{Conversations: []string{id}})
		}},
	}
	for _, m := range methods {
		other := "/messages/x"
		if m.collection == "messages" {
			other = "/contacts/x"
		}
		bad := []string{"", "  ", other, "/" + m.collection + "/", "/" + m.collection, "a/b", "a b", "x?y", "x#y", ".", "..", "/" + m.collection + "/.."}
		if m.collection == "accounts" {
			bad = []string{"", "  ", other, "/accounts/", "a/b", "a b", "x?y", ".", "..", "/accounts/.."}
		}
		for _, id := range bad {
			t.Run(m.name+"("+id+")", func(t *testing.T) {
				client, mux, ts := setup(t)
				refuseAll(t, mux)
				v, err := m.call(client, id)
				require.Error(t, err)
				if v != nil {
					assert.True(t, reflect.ValueOf(v).IsNil(), "result on error: %#v", v)
				}
				assertNothingSent(t, ts)
			})
		}
	}
}
