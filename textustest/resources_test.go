package textustest_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textustest"
)

// createContact makes a contact over HTTP and returns its wire form.
func (a *api) createContact(name, phone string) map[string]any {
	a.t.Helper()
	r := a.do("POST", "/"+a.srv.Account()+"/contacts", map[string]any{"name": name, "phones": []any{map[string]any{"number": phone}}})
	require.Equal(a.t, http.StatusOK, r.status, "%s", r.body)
	return r.json(a.t)
}

func phoneID(t *testing.T, contact map[string]any, i int) string {
	t.Helper()
	return contact["phones"].(map[string]any)["members"].([]any)[i].(map[string]any)["id"].(string)
}

func TestNotesEndpoints(t *testing.T) {
	a := newAPI(t, textustest.WithPageSize(2))
	ct := a.createContact("Jordan Lee", "+13035551234")
	id := ct["id"].(string)

	r := a.do("POST", id+"/notes", map[string]any{"content": "Prefers mornings"})
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	n := r.json(t)
	assert.Equal(t, "ContactNote", n["@type"])
	assert.True(t, strings.HasPrefix(n["id"].(string), "/contact_notes/"))
	assert.Equal(t, "Prefers mornings", n["content"])
	assert.Equal(t, id, n["contact"])
	user := n["user"].(map[string]any)
	assert.Equal(t, "User", user["@type"])
	assert.Equal(t, "Test User", user["name"])
	for _, c := range []string{"second", "third"} {
		require.Equal(t, http.StatusCreated, a.do("POST", id+"/notes", map[string]any{"content": c}).status)
	}

	pages := a.pages(id + "/notes")
	require.Len(t, pages, 2, "paginated like every collection")
	assert.EqualValues(t, 3, pages[0]["totalItems"])
	var contents []string
	for _, p := range pages {
		for _, m := range p["members"].([]any) {
			contents = append(contents, m.(map[string]any)["content"].(string))
		}
	}
	assert.Equal(t, []string{"Prefers mornings", "second", "third"}, contents, "oldest first")

	// The contact embeds its notes.
	got := a.do("GET", id, nil).json(t)
	assert.EqualValues(t, 3, got["notes"].(map[string]any)["totalItems"])

	assert.Contains(t, requireError(t, a.do("POST", id+"/notes", map[string]any{"content": "  "}), http.StatusUnprocessableEntity), "content")
	assert.Contains(t, requireError(t, a.do("POST", id+"/notes", map[string]any{"note": "x"}), http.StatusUnprocessableEntity), "content")
	requireError(t, a.do("POST", "/contacts/nope/notes", map[string]any{"content": "x"}), http.StatusNotFound)
	requireError(t, a.do("GET", "/contacts/nope/notes", nil), http.StatusNotFound)
	r = a.do("DELETE", id+"/notes", nil)
	requireError(t, r, http.StatusMethodNotAllowed)
	assert.Equal(t, "GET, POST", r.header.Get("Allow"))

	notes := a.srv.Notes(id)
	require.Len(t, notes, 3)
	assert.Equal(t, "Prefers mornings", notes[0].Content)
	assert.Equal(t, id, notes[0].Contact)
	assert.Nil(t, a.srv.Notes("/contacts/nope"))
}

func TestCustomData(t *testing.T) {
	a := newAPI(t)
	ct := a.createContact("Jordan Lee", "+13035551234")
	id := ct["id"].(string)
	assert.Empty(t, a.do("GET", id+"/custom_data", nil).json(t)["members"])

	require.NoError(t, a.srv.SetCustomData(id, map[string]any{"calendar-link": "https://cal.example/j", "score": 7}))
	require.NoError(t, a.srv.SetCustomData(strings.TrimPrefix(id, "/contacts/"), map[string]any{"score": 8, "gone": nil}))
	members := a.do("GET", id+"/custom_data", nil).json(t)["members"].([]any)
	require.Len(t, members, 2)
	first := members[0].(map[string]any)
	assert.Equal(t, "calendar-link", first["slug"])
	assert.Equal(t, "Calendar Link", first["title"])
	assert.Equal(t, "text", first["type"])
	assert.Equal(t, "https://cal.example/j", first["value"])
	assert.EqualValues(t, 8, members[1].(map[string]any)["value"])

	got := a.do("GET", id, nil).json(t)
	assert.Equal(t, map[string]any{"calendar-link": "https://cal.example/j", "score": "8"}, got["formattedData"])
	assert.EqualValues(t, 2, got["customData"].(map[string]any)["totalItems"])

	require.NoError(t, a.srv.SetCustomData(id, map[string]any{"score": nil}))
	assert.Len(t, a.do("GET", id+"/custom_data", nil).json(t)["members"], 1)

	assert.Error(t, a.srv.SetCustomData("/contacts/nope", map[string]any{"a": "b"}))
	assert.Error(t, a.srv.SetCustomData(id, map[string]any{"": "b"}))
	assert.Error(t, a.srv.SetCustomData(id, map[string]any{"a": []int{1}}))
	requireError(t, a.do("GET", "/contacts/nope/custom_data", nil), http.StatusNotFound)
}

func TestConversationActionsAndFilters(t *testing.T) {
	a := newAPI(t)
	acct := "/" + a.srv.Account()
	_, err := a.srv.ReceiveMessage("+13035551234", "Hi")
	require.NoError(t, err)
	_, err = a.srv.ReceiveMessage("+13035555678", "Hello")
	require.NoError(t, err)
	cv1 := a.do("GET", acct+"/conversations/+13035551234", nil).json(t)["id"].(string)
	cv2 := a.do("GET", acct+"/conversations/+13035555678", nil).json(t)["id"].(string)

	state := func(id string) (string, map[string]any) {
		m := a.do("GET", id, nil).json(t)
		return m["currentState"].(string), m["requestingUserInfo"].(map[string]any)
	}
	for _, step := range []struct {
		method, action string
		check          func(st string, info map[string]any)
	}{
		{"PUT", "/close", func(st string, _ map[string]any) { assert.Equal(t, "closed", st) }},
		{"PUT", "/reopen", func(st string, _ map[string]any) { assert.Equal(t, "open", st) }},
		{"PUT", "/star", func(_ string, info map[string]any) { assert.Equal(t, true, info["starred"]) }},
		{"DELETE", "/star", func(_ string, info map[string]any) { assert.Equal(t, false, info["starred"]) }},
		{"PUT", "/read", func(_ string, info map[string]any) { assert.Equal(t, true, info["read"]) }},
		{"DELETE", "/read", func(_ string, info map[string]any) { assert.Equal(t, false, info["read"]) }},
	} {
		r := a.do(step.method, cv1+step.action, nil)
		require.Equal(t, http.StatusOK, r.status, "%s %s: %s", step.method, step.action, r.body)
		step.check(r.json(t)["currentState"].(string), r.json(t)["requestingUserInfo"].(map[string]any))
		step.check(state(cv1))
	}
	requireError(t, a.do("PUT", "/conversations/nope/close", nil), http.StatusNotFound)
	r := a.do("POST", cv1+"/star", nil)
	requireError(t, r, http.StatusMethodNotAllowed)
	assert.Equal(t, "PUT, DELETE", r.header.Get("Allow"))

	// An inbound text reopens a closed conversation.
	require.Equal(t, http.StatusOK, a.do("PUT", cv2+"/close", nil).status)
	closed := memberIDs(a.pages(acct + "/conversation_filters/closed/conversations"))
	assert.Equal(t, []string{cv2}, closed)
	assert.NotContains(t, memberIDs(a.pages(acct+"/conversation_filters/active/conversations")), cv2)
	_, err = a.srv.ReceiveMessage("+13035555678", "Still there?")
	require.NoError(t, err)
	st, _ := state(cv2)
	assert.Equal(t, "open", st)

	// The filter index counts and links.
	idx := a.do("GET", acct+"/conversation_filters", nil).json(t)
	assert.Equal(t, "ConversationFilterCollection", idx["@type"])
	filters := map[string]map[string]any{}
	for _, m := range idx["members"].([]any) {
		f := m.(map[string]any)
		filters[f["slug"].(string)] = f
	}
	for _, slug := range []string{"all", "active", "open", "closed", "unread", "unanswered", "starred", "you", "assigned"} {
		require.Contains(t, filters, slug)
	}
	assert.EqualValues(t, 2, filters["all"]["totalCount"])
	assert.EqualValues(t, 2, filters["all"]["unreadCount"])
	assert.Regexp(t, `^/test_account/conversation_filters/all/conversations/reopen\?modified_before=`, filters["all"]["reopenConversations"])
	requireError(t, a.do("GET", acct+"/conversation_filters/nope/conversations", nil), http.StatusNotFound)
}

func TestAssignContact(t *testing.T) {
	a := newAPI(t)
	acct := "/" + a.srv.Account()
	// Two contacts share a number: the conversation has no assigned contact
	// until one is chosen.
	first := a.createContact("Pat Shared", "+13035551234")["id"].(string)
	second := a.createContact("Sam Shared", "(303) 555-1234")["id"].(string)
	other := a.createContact("Other", "+17205550000")["id"].(string)
	cv := a.do("GET", acct+"/conversations/+13035551234", nil).json(t)
	assert.Nil(t, cv["assignedContact"])
	id := cv["id"].(string)

	r := a.do("PUT", id+"/assign_contact", map[string]any{"assigned_contact": second})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	embedded := r.json(t)["assignedContact"].(map[string]any)
	assert.Equal(t, second, embedded["id"], "the answer embeds the contact, as the docs' example")
	assert.Equal(t, "Sam Shared", embedded["name"])
	assert.Equal(t, second, a.do("GET", id, nil).json(t)["assignedContact"])

	assert.Contains(t, requireError(t, a.do("PUT", id+"/assign_contact", map[string]any{"assigned_contact": other}), http.StatusUnprocessableEntity), "does not have")
	assert.Contains(t, requireError(t, a.do("PUT", id+"/assign_contact", map[string]any{"assignedContact": first}), http.StatusUnprocessableEntity), "assigned_contact")
	requireError(t, a.do("PUT", id+"/assign_contact", map[string]any{"assigned_contact": "/contacts/nope"}), http.StatusUnprocessableEntity)
	requireError(t, a.do("PUT", id+"/assign_contact", map[string]any{"assigned_contact": strings.TrimPrefix(first, "/contacts/")}), http.StatusUnprocessableEntity)
	requireError(t, a.do("PUT", "/conversations/nope/assign_contact", map[string]any{"assigned_contact": first}), http.StatusNotFound)
}

func TestBatchActions(t *testing.T) {
	a := newAPI(t)
	acct := "/" + a.srv.Account()
	var ids []string
	for _, p := range []string{"+13035550001", "+13035550002", "+13035550003"} {
		_, err := a.srv.ReceiveMessage(p, "hi")
		require.NoError(t, err)
		ids = append(ids, a.do("GET", acct+"/conversations/"+p, nil).json(t)["id"].(string))
	}
	base := acct + "/conversation_filters/all/conversations"

	r := a.do("PUT", base+"/close", map[string]any{"conversations": ids[:2]})
	require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
	assert.Empty(t, r.body, "202 with no body")
	assert.ElementsMatch(t, ids[:2], memberIDs(a.pages(acct+"/conversation_filters/closed/conversations")))

	// Reopen in a filter that does not hold the listed conversation: it
	// stays closed.
	require.Equal(t, http.StatusAccepted, a.do("PUT", acct+"/conversation_filters/unanswered/conversations/reopen",
		map[string]any{"conversations": ids[:1]}).status)
	require.Equal(t, http.StatusAccepted, a.do("PUT", acct+"/conversation_filters/closed/conversations/reopen",
		map[string]any{"conversations": ids[:1]}).status)
	assert.ElementsMatch(t, ids[1:2], memberIDs(a.pages(acct+"/conversation_filters/closed/conversations")))

	// By time: everything modified before now.
	time.Sleep(2 * time.Millisecond)
	cut := time.Now().UTC().Format(time.RFC3339Nano)
	require.Equal(t, http.StatusAccepted, a.do("PUT", base+"/reopen?modified_before="+cut, nil).status)
	assert.Empty(t, memberIDs(a.pages(acct+"/conversation_filters/closed/conversations")))

	// Unassign: a campaign with auto-assign assigned them first.
	ct := a.createContact("Campaign Target", "+13035550009")
	r = a.do("POST", acct+"/campaigns", map[string]any{"title": "T", "message_body": "B",
		"recipients": []any{phoneID(t, ct, 0)}, "auto-assign": true})
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	you := memberIDs(a.pages(acct + "/conversation_filters/you/conversations"))
	require.Len(t, you, 1)
	r = a.do("DELETE", acct+"/conversation_filters/you/conversations/assign", map[string]any{"conversations": you})
	require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
	assert.Empty(t, memberIDs(a.pages(acct+"/conversation_filters/you/conversations")))

	assert.Contains(t, requireError(t, a.do("PUT", base+"/close", nil), http.StatusUnprocessableEntity), "one is required")
	requireError(t, a.do("PUT", base+"/close", map[string]any{"conversations": []any{}}), http.StatusUnprocessableEntity)
	requireError(t, a.do("PUT", base+"/close", map[string]any{"conversations": []any{"/conversations/nope"}}), http.StatusUnprocessableEntity)
	requireError(t, a.do("PUT", base+"/close?modified_before=yesterday", nil), http.StatusUnprocessableEntity)
	requireError(t, a.do("PUT", acct+"/conversation_filters/nope/conversations/close", map[string]any{"conversations": ids}), http.StatusNotFound)
	r = a.do("GET", base+"/assign", nil)
	requireError(t, r, http.StatusMethodNotAllowed)
	assert.Equal(t, "DELETE", r.header.Get("Allow"))
}

func TestCampaignEndpoint(t *testing.T) {
	a := newAPI(t)
	acct := "/" + a.srv.Account()
	c1 := a.createContact("Ann", "+13035550001")
	c2 := a.createContact("Ben", "+13035550002")
	c3 := a.createContact("Cy", "+13035550003")
	_, err := a.srv.ReceiveMessage("+13035550003", "STOP")
	require.NoError(t, err)
	recipients := []any{phoneID(t, c1, 0), phoneID(t, c2, 0), phoneID(t, c3, 0), phoneID(t, c1, 0)}

	r := a.do("POST", acct+"/campaigns", map[string]any{"title": "Open house", "message_body": "Come by at 3pm", "recipients": recipients})
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	m := r.json(t)
	assert.Equal(t, "Campaign", m["@type"])
	assert.Equal(t, "Open house", m["title"])
	assert.Equal(t, "Come by at 3pm", m["messageBody"])
	assert.Equal(t, "sent", m["state"])
	assert.Equal(t, "/accounts/"+a.srv.Account(), m["account"])
	assert.Equal(t, map[string]any{"recipients": 3.0, "messages": 2.0, "optedOut": 1.0, "excluded": 0.0}, m["deliveryStatistics"])
	sent := a.srv.SentMessages()
	require.Len(t, sent, 2, "one message per recipient that did not opt out")
	assert.Equal(t, "Come by at 3pm", sent[0].Body)

	// exclusion_time skips who got a campaign in that window.
	r = a.do("POST", acct+"/campaigns", map[string]any{"title": "Again", "message_body": "Reminder",
		"recipients": []any{phoneID(t, c1, 0)}, "exclusion_time": 60})
	require.Equal(t, http.StatusCreated, r.status)
	assert.EqualValues(t, 1, r.json(t)["deliveryStatistics"].(map[string]any)["excluded"])
	assert.Len(t, a.srv.SentMessages(), 2)

	// A future scheduled_at schedules the messages.
	future := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	r = a.do("POST", acct+"/campaigns", map[string]any{"title": "Later", "message_body": "Tomorrow",
		"recipients": []any{phoneID(t, c2, 0)}, "scheduled_at": future})
	require.Equal(t, http.StatusCreated, r.status)
	assert.Equal(t, "scheduled", r.json(t)["state"])
	last := a.srv.SentMessages()[2]
	assert.Equal(t, textus.DeliveryScheduled, last.DeliveryState)
	assert.Len(t, a.srv.Campaigns(), 3)

	for body, want := range map[string]string{
		`{"message_body":"x","recipients":["` + phoneID(t, c1, 0) + `"]}`:                                   "title",
		`{"title":"t","messageBody":"x","recipients":["` + phoneID(t, c1, 0) + `"]}`:                        "message_body",
		`{"title":"t","message_body":"x","recipients":[]}`:                                                  "recipients",
		`{"title":"t","message_body":"x","recipients":["+13035550001"]}`:                                    "recipients[0]",
		`{"title":"t","message_body":"x","recipients":["/contact_phones/nope"]}`:                            "recipients[0]",
		`{"title":"t","message_body":"x","recipients":["` + phoneID(t, c1, 0) + `"],"scheduled_at":"soon"}`: "scheduled_at",
		`{"title":"t","message_body":"x","recipients":["` + phoneID(t, c1, 0) + `"],"exclusion_time":-5}`:   "exclusion_time",
	} {
		assert.Contains(t, requireError(t, a.do("POST", acct+"/campaigns", body), http.StatusUnprocessableEntity), want, body)
	}
	assert.Len(t, a.srv.Campaigns(), 3, "refused campaigns are not recorded")
}

func TestUsersAndSavedReplies(t *testing.T) {
	a := newAPI(t)
	list := a.do("GET", "/users", nil).json(t)
	members := list["members"].([]any)
	require.Len(t, members, 2)
	me := members[0].(map[string]any)
	assert.Equal(t, "Test User", me["name"])
	ms := me["memberships"].(map[string]any)["members"].([]any)
	require.Len(t, ms, 1)
	assert.Equal(t, "admin", ms[0].(map[string]any)["role"])
	meID := me["id"].(string)

	byQ := a.do("GET", "/users?q=ALEX", nil).json(t)["members"].([]any)
	require.Len(t, byQ, 1)
	assert.Equal(t, "Alex Agent", byQ[0].(map[string]any)["name"])
	child := "/accounts/" + a.srv.Account() + "_child"
	byAccount := a.do("GET", "/users?accounts%5B%5D="+strings.ReplaceAll(child, "/", "%2F"), nil).json(t)["members"].([]any)
	require.Len(t, byAccount, 1)
	assert.Equal(t, "Alex Agent", byAccount[0].(map[string]any)["name"])
	requireError(t, a.do("GET", "/users?accounts%5B%5D=nope", nil), http.StatusUnprocessableEntity)

	r := a.do("PUT", meID, map[string]any{"name": "Not Chuck", "settings": map[string]any{"notifications": map[string]any{"email": true}},
		"memberships": []any{map[string]any{"role": "support", "account": child}}})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	u := r.json(t)
	assert.Equal(t, "Not Chuck", u["name"])
	assert.Equal(t, "Not", u["firstName"])
	assert.Equal(t, map[string]any{"email": true}, u["settings"].(map[string]any)["notifications"])
	assert.Len(t, u["memberships"].(map[string]any)["members"], 2, "a membership on another account is added")
	requireError(t, a.do("PUT", meID, map[string]any{"email": "nope"}), http.StatusUnprocessableEntity)
	requireError(t, a.do("PUT", meID, map[string]any{"memberships": []any{map[string]any{"role": "owner", "account": child}}}), http.StatusUnprocessableEntity)
	requireError(t, a.do("PUT", meID, map[string]any{"memberships": []any{map[string]any{"role": "user", "account": "child"}}}), http.StatusUnprocessableEntity)
	requireError(t, a.do("GET", "/users/nope", nil), http.StatusNotFound)

	r = a.do("POST", meID+"/saved_replies", map[string]any{"saved_reply": map[string]any{"title": "Hours", "content": "Open 9 to 5",
		"attachments": []any{map[string]any{"key": "def123", "contentType": "image/png", "size": 1024}}}})
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	sr := r.json(t)
	assert.Equal(t, "SavedReply", sr["@type"])
	assert.Equal(t, meID, sr["user"])
	assert.EqualValues(t, 1, sr["attachments"].(map[string]any)["totalItems"])
	id := sr["id"].(string)

	r = a.do("PUT", id, map[string]any{"saved_reply": map[string]any{"content": "Open 8 to 6"}})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, "Hours", r.json(t)["title"])
	assert.Equal(t, "Open 8 to 6", r.json(t)["content"])

	// A send that names it uses its content when the body is empty.
	acct := "/" + a.srv.Account()
	r = a.do("POST", acct+"/messages", map[string]any{"to": "+13035551234", "body": "", "saved_reply": id})
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	assert.Equal(t, "Open 8 to 6", r.json(t)["body"])
	requireError(t, a.do("POST", acct+"/messages", map[string]any{"to": "+13035551234", "body": "x", "saved_reply": "/saved_replies/nope"}), http.StatusUnprocessableEntity)

	assert.Contains(t, requireError(t, a.do("POST", meID+"/saved_replies", map[string]any{"title": "t", "content": "c"}), http.StatusUnprocessableEntity), "saved_reply")
	requireError(t, a.do("POST", meID+"/saved_replies", map[string]any{"saved_reply": map[string]any{"title": "t"}}), http.StatusUnprocessableEntity)
	requireError(t, a.do("POST", meID+"/saved_replies", map[string]any{"saved_reply": map[string]any{"title": "t", "content": "c", "attachments": []any{map[string]any{}}}}), http.StatusUnprocessableEntity)
	requireError(t, a.do("POST", "/users/nope/saved_replies", map[string]any{"saved_reply": map[string]any{"title": "t", "content": "c"}}), http.StatusNotFound)
	requireError(t, a.do("PUT", "/saved_replies/nope", map[string]any{"saved_reply": map[string]any{"title": "t"}}), http.StatusNotFound)
	assert.Len(t, a.srv.SavedReplies(), 1)
}

func TestAccountTreeEndpoints(t *testing.T) {
	a := newAPI(t)
	top, child := a.srv.Account(), a.srv.Account()+"_child"

	ids := func(path string) []string { return memberIDs(a.pages(path)) }
	assert.Equal(t, []string{"/accounts/" + top}, ids("/accounts"), "direct memberships")
	assert.Equal(t, []string{"/accounts/" + top, "/accounts/" + child}, ids("/accounts/"+top+"/accounts"))
	assert.Equal(t, []string{"/accounts/" + child}, ids("/accounts/"+child+"/accounts"))
	assert.Equal(t, []string{"/accounts/" + top, "/accounts/" + child}, ids("/accounts?descendants="+top))
	assert.Equal(t, []string{"/accounts/" + child, "/accounts/" + top}, ids("/accounts?ancestors="+child))
	assert.Equal(t, []string{"/accounts/" + child}, ids("/accounts/"+top+"/accounts?q=child"))
	assert.Equal(t, []string{"/accounts/" + top}, ids("/accounts/"+top+"/accounts?legal=true"))
	assert.Equal(t, []string{"/accounts/" + child}, ids("/accounts?descendants="+top+"&legal=false"))
	requireError(t, a.do("GET", "/accounts?legal=maybe", nil), http.StatusUnprocessableEntity)
	requireError(t, a.do("GET", "/accounts/nope/accounts", nil), http.StatusNotFound)

	acct := a.do("GET", "/accounts/"+top, nil).json(t)
	assert.EqualValues(t, 2, acct["familyCount"])
	assert.EqualValues(t, 1, acct["childrenCount"])
	assert.Equal(t, []any{"(303) 555-0101"}, a.do("GET", "/accounts/"+child, nil).json(t)["phoneNumbers"])

	tree := a.do("GET", "/accounts/tree", nil).json(t)
	members := tree["members"].([]any)
	require.Len(t, members, 1)
	root := members[0].(map[string]any)
	assert.Equal(t, "AccountTree", root["@type"])
	kids := root["children"].(map[string]any)["members"].([]any)
	require.Len(t, kids, 1)
	assert.Equal(t, child, kids[0].(map[string]any)["slug"])
	assert.Empty(t, kids[0].(map[string]any)["children"].(map[string]any)["members"])
	assert.Empty(t, a.do("GET", "/accounts/tree?role=support", nil).json(t)["members"])
	requireError(t, a.do("GET", "/accounts/tree?role=owner", nil), http.StatusUnprocessableEntity)

	r := a.do("PATCH", "/accounts/"+top, map[string]any{"settings": map[string]any{
		"inboundMmsDisabled": map[string]any{"value": true},
		"companyName":        map[string]any{"disabled": false, "setAtAccount": "/accounts/" + top},
	}})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	settings := r.json(t)["settings"].(map[string]any)
	assert.Equal(t, map[string]any{"value": true}, settings["inboundMmsDisabled"])
	assert.Equal(t, map[string]any{"disabled": false, "setAtAccount": "/accounts/" + top}, settings["companyName"])
	assert.Equal(t, settings, a.do("GET", "/accounts/"+top, nil).json(t)["settings"], "kept")
	for _, body := range []any{
		map[string]any{},
		map[string]any{"settings": map[string]any{"x": true}},
		map[string]any{"settings": map[string]any{"x": map[string]any{}}},
		map[string]any{"settings": map[string]any{"x": map[string]any{"disabled": "no"}}},
		map[string]any{"settings": map[string]any{"x": map[string]any{"disabled": true, "setAtAccount": "/accounts/nope"}}},
	} {
		requireError(t, a.do("PATCH", "/accounts/"+top, body), http.StatusUnprocessableEntity)
	}
	requireError(t, a.do("PATCH", "/accounts/nope", map[string]any{"settings": map[string]any{"x": map[string]any{"value": 1}}}), http.StatusNotFound)
}

func TestResetForgetsTheNewRecords(t *testing.T) {
	a := newAPI(t)
	acct := "/" + a.srv.Account()
	ct := a.createContact("Jordan Lee", "+13035551234")
	id := ct["id"].(string)
	require.Equal(t, http.StatusCreated, a.do("POST", id+"/notes", map[string]any{"content": "x"}).status)
	require.NoError(t, a.srv.SetCustomData(id, map[string]any{"a": "b"}))
	require.Equal(t, http.StatusCreated, a.do("POST", acct+"/campaigns", map[string]any{"title": "T", "message_body": "B",
		"recipients": []any{phoneID(t, ct, 0)}}).status)
	me := a.do("GET", "/users", nil).json(t)["members"].([]any)[0].(map[string]any)["id"].(string)
	require.Equal(t, http.StatusCreated, a.do("POST", me+"/saved_replies", map[string]any{"saved_reply": map[string]any{"title": "t", "content": "c"}}).status)
	require.Equal(t, http.StatusOK, a.do("PUT", me, map[string]any{"name": "Renamed"}).status)
	require.Equal(t, http.StatusOK, a.do("PATCH", "/accounts/"+a.srv.Account(), map[string]any{"settings": map[string]any{"x": map[string]any{"value": 1}}}).status)

	a.srv.Reset()
	assert.Nil(t, a.srv.Notes(id))
	assert.Empty(t, a.srv.Campaigns())
	assert.Empty(t, a.srv.SavedReplies())
	assert.Equal(t, "Test User", a.do("GET", me, nil).json(t)["name"], "the token's user keeps its id, not its changes")
	assert.Empty(t, a.do("GET", "/accounts/"+a.srv.Account(), nil).json(t)["settings"])
}
