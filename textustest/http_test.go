package textustest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/textus-go/textus/textustest"
)

func TestAuthentication(t *testing.T) {
	a := newAPI(t)
	path := "/" + a.srv.Account() + "/contacts"

	r := a.doWith("GET", path, nil, nil)
	requireError(t, r, http.StatusUnauthorized)
	assert.NotEmpty(t, r.header.Get("X-RateLimit-Limit"), "rate headers on every response")

	r = a.doWith("GET", path, nil, map[string]string{"Authorization": "Bearer wrong"})
	requireError(t, r, http.StatusUnauthorized)

	r = a.doWith("GET", path, nil, map[string]string{"Authorization": "Basic " + a.srv.Token()})
	requireError(t, r, http.StatusUnauthorized)

	r = a.doWith("GET", path, nil, map[string]string{"Authorization": "bearer " + a.srv.Token()})
	assert.Equal(t, http.StatusOK, r.status, "the scheme is case-insensitive")

	// Unknown paths also need a token.
	requireError(t, a.doWith("GET", "/nowhere", nil, nil), http.StatusUnauthorized)
}

func TestTokenAndAccountOptions(t *testing.T) {
	a := newAPI(t, textustest.WithToken("tok-123"), textustest.WithAccount("acme"), textustest.WithAccountName("Acme Inc"),
		textustest.WithPhoneNumber("(720) 555-0199"))
	assert.Equal(t, "tok-123", a.srv.Token())
	assert.Equal(t, "acme", a.srv.Account())
	assert.Equal(t, "+17205550199", a.srv.PhoneNumber())
	assert.True(t, strings.HasPrefix(a.srv.URL(), "http://127.0.0.1:"), a.srv.URL())

	r := a.do("GET", "/accounts/acme", nil)
	require.Equal(t, http.StatusOK, r.status)
	m := r.json(t)
	assert.Equal(t, "Account", m["@type"])
	assert.Equal(t, "/accounts/acme", m["id"])
	assert.Equal(t, "acme", m["slug"])
	assert.Equal(t, "Acme Inc", m["name"])
	assert.Equal(t, []any{"(720) 555-0199"}, m["phoneNumbers"])

	requireError(t, a.do("GET", "/accounts/other", nil), http.StatusNotFound)
	requireError(t, a.do("GET", "/test_account/contacts", nil), http.StatusNotFound)

	r = a.do("GET", "/accounts", nil)
	require.Equal(t, http.StatusOK, r.status)
	m = r.json(t)
	assert.Equal(t, "AccountCollection", m["@type"])
	assert.EqualValues(t, 1, m["totalItems"])

	// Slugs that cannot be a path segment are ignored.
	for _, bad := range []string{"a/b", "contacts", "x y", ".."} {
		s := textustest.NewServer(textustest.WithAccount(bad))
		assert.Equal(t, textustest.DefaultAccount, s.Account(), bad)
		s.Close()
	}

	// Two servers have different default tokens.
	other := textustest.NewServer()
	defer other.Close()
	assert.NotEqual(t, other.Token(), newAPI(t).srv.Token())
}

func TestRoutingErrors(t *testing.T) {
	a := newAPI(t)
	acct := "/" + a.srv.Account()

	requireError(t, a.do("GET", "/nowhere", nil), http.StatusNotFound)
	requireError(t, a.do("GET", acct+"/unknown", nil), http.StatusNotFound)
	requireError(t, a.do("GET", "/contacts/nope", nil), http.StatusNotFound)
	requireError(t, a.do("GET", "/messages/nope", nil), http.StatusNotFound)
	requireError(t, a.do("GET", "/conversations/nope", nil), http.StatusNotFound)
	requireError(t, a.do("GET", "/conversations/nope/timeline", nil), http.StatusNotFound)
	requireError(t, a.do("PUT", "/integrations/nope", map[string]any{"active": false}), http.StatusNotFound)
	requireError(t, a.do("GET", acct+"/contact_filters/vip/contacts", nil), http.StatusNotFound)
	requireError(t, a.do("GET", acct+"/conversation_filters/nope/conversations", nil), http.StatusNotFound)

	r := a.do("DELETE", "/contacts/abc", nil)
	requireError(t, r, http.StatusMethodNotAllowed)
	assert.Equal(t, "GET, PUT", r.header.Get("Allow"))
	r = a.do("GET", acct+"/messages", nil)
	requireError(t, r, http.StatusMethodNotAllowed)
	assert.Equal(t, "POST", r.header.Get("Allow"))

	// The control API is off unless asked for.
	requireError(t, a.do("POST", textustest.ControlPrefix+"/reset", nil), http.StatusNotFound)
}

func TestMalformedRequests(t *testing.T) {
	a := newAPI(t)
	path := "/" + a.srv.Account() + "/contacts"

	requireError(t, a.do("POST", path, `{"name": "x"`), http.StatusBadRequest)
	requireError(t, a.do("POST", path, `["x"]`), http.StatusBadRequest)
	requireError(t, a.do("POST", path, nil), http.StatusBadRequest)

	desc := requireError(t, a.do("POST", path, `{"name": 5}`), http.StatusUnprocessableEntity)
	assert.Contains(t, desc, "name")

	// Bodies must be sent as the vendor media type.
	r := a.doWith("POST", path, `{"name": "x"}`, map[string]string{
		"Authorization": "Bearer " + a.srv.Token(), "Content-Type": "application/json",
	})
	requireError(t, r, http.StatusUnsupportedMediaType)
	r = a.doWith("POST", path, `{"name": "x"}`, map[string]string{
		"Authorization": "Bearer " + a.srv.Token(), "Content-Type": textustest.MediaType + "; charset=utf-8",
	})
	assert.Equal(t, http.StatusOK, r.status, "parameters are allowed")

	// Too large.
	big := `{"name": "` + strings.Repeat("x", 1<<20) + `"}`
	requireError(t, a.do("POST", path, big), http.StatusRequestEntityTooLarge)

	// Nothing was created by the failed requests.
	assert.Len(t, a.srv.Contacts(), 1)
}

func TestLenientContentType(t *testing.T) {
	a := newAPI(t, textustest.WithLenientContentType())
	r := a.doWith("POST", "/"+a.srv.Account()+"/contacts", `{"name": "x"}`, map[string]string{
		"Authorization": "Bearer " + a.srv.Token(), "Content-Type": "application/json",
	})
	assert.Equal(t, http.StatusOK, r.status)
	r = a.doWith("POST", "/"+a.srv.Account()+"/contacts", `{"name": "x"}`, map[string]string{
		"Authorization": "Bearer " + a.srv.Token(), "Content-Type": "text/plain",
	})
	requireError(t, r, http.StatusUnsupportedMediaType)
}

var (
	contactIRI = regexp.MustCompile(`^/contacts/[A-Za-z0-9]{7}$`)
	stamp      = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
)

func TestContactCreateGetUpdate(t *testing.T) {
	a := newAPI(t)
	r := a.do("POST", "/"+a.srv.Account()+"/contacts", map[string]any{
		"name": "Cordell Walker",
		"phones": []map[string]any{
			{"number": "1-303-123-4567 x2921", "type": "Work"},
			{"number": "+1 (720) 333-1234", "type": "Mobile"},
		},
		"data": map[string]any{"businessName": "McDonalds", "tags": []string{"cashier"}},
	})
	require.Equal(t, http.StatusOK, r.status, "contact create answers 200 like the docs' example: %s", r.body)
	require.Equal(t, textustest.MediaType, r.header.Get("Content-Type"))
	c := r.json(t)
	assert.Equal(t, "Contact", c["@type"])
	assert.Equal(t, "/contexts/Contact.jsonld", c["@context"])
	id := c["id"].(string)
	assert.Regexp(t, contactIRI, id)
	assert.Equal(t, "Cordell Walker", c["name"])
	assert.Equal(t, "Cordell", c["firstName"])
	assert.Equal(t, "Walker", c["lastName"])
	assert.Regexp(t, stamp, c["createdAt"])
	assert.Equal(t, id+"/conversations", c["conversations"])
	assert.Equal(t, map[string]any{"businessName": "McDonalds", "tags": []any{"cashier"}}, c["data"])

	phones := c["phones"].(map[string]any)
	assert.Equal(t, "hydra:Collection", phones["@type"])
	assert.EqualValues(t, 2, phones["totalItems"])
	assert.NotContains(t, phones, "view", "embedded collections are not paginated")
	members := phones["members"].([]any)
	require.Len(t, members, 2)
	p0 := members[0].(map[string]any)
	assert.Equal(t, "ContactPhone", p0["@type"])
	assert.Regexp(t, `^/contact_phones/[A-Za-z0-9]{7}$`, p0["id"])
	assert.Equal(t, "+13031234567", p0["phoneNumber"])
	assert.Equal(t, "(303) 123-4567", p0["formattedPhoneNumber"])
	assert.Equal(t, "2921", p0["extension"])
	assert.Equal(t, "Work", p0["type"])
	assert.Equal(t, "unknown", p0["deliverabilityStatus"])
	assert.Equal(t, id, p0["contact"])
	p1 := members[1].(map[string]any)
	assert.Equal(t, "+17203331234", p1["phoneNumber"])
	assert.Nil(t, p1["extension"])
	assert.Contains(t, p1, "extension", "a missing extension is null, not absent")

	notes := c["notes"].(map[string]any)
	assert.EqualValues(t, 0, notes["totalItems"])

	// Get returns the same representation.
	g := a.do("GET", id, nil)
	require.Equal(t, http.StatusOK, g.status)
	assert.JSONEq(t, string(r.body), string(g.body))

	// Update: the name changes, phones are replaced (kept numbers keep their
	// id), data is replaced.
	u := a.do("PUT", id, map[string]any{
		"name":   "Chuck Norris",
		"phones": []map[string]any{{"number": "+17203331234", "type": "Mobile"}},
		"data":   map[string]any{"tags": []string{"ranger"}},
	})
	require.Equal(t, http.StatusOK, u.status, "%s", u.body)
	uc := u.json(t)
	assert.Equal(t, "Chuck", uc["firstName"])
	up := uc["phones"].(map[string]any)["members"].([]any)
	require.Len(t, up, 1)
	assert.Equal(t, p1["id"], up[0].(map[string]any)["id"])
	assert.Equal(t, map[string]any{"tags": []any{"ranger"}}, uc["data"])

	// A partial update leaves the rest alone.
	u = a.do("PUT", id, map[string]any{"name": "Chuck N."})
	require.Equal(t, http.StatusOK, u.status)
	uc = u.json(t)
	assert.Equal(t, "Chuck N.", uc["name"])
	assert.EqualValues(t, 1, uc["phones"].(map[string]any)["totalItems"])
	assert.Equal(t, map[string]any{"tags": []any{"ranger"}}, uc["data"])

	// Validation.
	desc := requireError(t, a.do("PUT", id, map[string]any{"phones": []map[string]any{{"number": "call me"}}}), http.StatusUnprocessableEntity)
	assert.Contains(t, desc, "phones[0].number")
	requireError(t, a.do("POST", "/"+a.srv.Account()+"/contacts", map[string]any{"name": "  "}), http.StatusUnprocessableEntity)
	requireError(t, a.do("POST", "/"+a.srv.Account()+"/contacts", map[string]any{"name": "x", "data": []int{1}}), http.StatusUnprocessableEntity)
	requireError(t, a.do("PUT", "/contacts/nope", map[string]any{"name": "x"}), http.StatusNotFound)

	// The contact's conversations: one per number.
	cv := a.do("GET", id+"/conversations", nil)
	require.Equal(t, http.StatusOK, cv.status)
	cvm := cv.json(t)
	assert.Equal(t, "ConversationCollection", cvm["@type"])
	conv := cvm["members"].([]any)[0].(map[string]any)
	assert.Equal(t, "ConversationWithAccount", conv["@type"])
	assert.Equal(t, "+17203331234", conv["phoneNumber"])
	assert.Equal(t, "/accounts/"+a.srv.Account(), conv["account"].(map[string]any)["id"])
}

// pages follows view.next from path and returns every page.
func (a *api) pages(path string) []map[string]any {
	a.t.Helper()
	var out []map[string]any
	for path != "" {
		r := a.do("GET", path, nil)
		require.Equal(a.t, http.StatusOK, r.status, "GET %s: %s", path, r.body)
		m := r.json(a.t)
		out = append(out, m)
		require.Less(a.t, len(out), 100, "too many pages")
		view, _ := m["view"].(map[string]any)
		next, _ := view["next"].(string)
		path = next
	}
	return out
}

func memberIDs(pages []map[string]any) []string {
	var ids []string
	for _, p := range pages {
		for _, m := range p["members"].([]any) {
			ids = append(ids, m.(map[string]any)["id"].(string))
		}
	}
	return ids
}

func TestPagination(t *testing.T) {
	a := newAPI(t, textustest.WithPageSize(25))
	var created []string
	for i := 0; i < 60; i++ {
		r := a.do("POST", "/"+a.srv.Account()+"/contacts", map[string]any{
			"name":   fmt.Sprintf("Contact %02d", 59-i),
			"phones": []map[string]any{{"number": fmt.Sprintf("+1303555%04d", i)}},
		})
		require.Equal(t, http.StatusOK, r.status)
		created = append(created, r.json(t)["id"].(string))
	}

	pages := a.pages("/" + a.srv.Account() + "/contacts")
	require.Len(t, pages, 3)
	for i, p := range pages {
		assert.Equal(t, "hydra:Collection", p["@type"])
		assert.EqualValues(t, 60, p["totalItems"], "totalItems counts every page")
		assert.Equal(t, "/"+a.srv.Account()+"/contacts", p["id"])
		view := p["view"].(map[string]any)
		assert.Equal(t, "hydra:PartialCollectionView", view["@type"])
		assert.Equal(t, "/"+a.srv.Account()+"/contacts", view["first"])
		if i < 2 {
			assert.Regexp(t, `^/`+a.srv.Account()+`/contacts\?cursor=[A-Za-z0-9_-]+$`, view["next"])
		} else {
			assert.Nil(t, view["next"], "last page")
			assert.Contains(t, view, "next", "next is present and null on the last page")
		}
		if i == 0 {
			assert.Nil(t, view["previous"])
		} else {
			assert.NotNil(t, view["previous"])
		}
	}
	assert.Len(t, pages[0]["members"], 25)
	assert.Len(t, pages[2]["members"], 10)
	assert.Equal(t, created, memberIDs(pages), "creation order, nothing repeated or lost")

	// The filter endpoint is alphabetical and keeps q in its links.
	fp := a.pages("/" + a.srv.Account() + "/contact_filters/all/contacts?q=contact")
	require.Len(t, fp, 3)
	ids := memberIDs(fp)
	require.Len(t, ids, 60)
	assert.Equal(t, created[59], ids[0], "Contact 00 first")
	assert.Contains(t, fp[0]["view"].(map[string]any)["next"], "q=contact")

	// A bad cursor is refused.
	requireError(t, a.do("GET", "/"+a.srv.Account()+"/contacts?cursor=%21%21", nil), http.StatusBadRequest)

	// Small collections are one page with next null.
	one := a.pages("/" + a.srv.Account() + "/integrations")
	require.Len(t, one, 1)
	assert.EqualValues(t, 0, one[0]["totalItems"])
	assert.Equal(t, []any{}, one[0]["members"])
}

func TestContactSearch(t *testing.T) {
	a := newAPI(t)
	acct := "/" + a.srv.Account()
	for _, c := range []struct{ name, phone string }{
		{"zed Zulu", "+13035550001"}, {"Chuck Norris", "+17205550002"}, {"alice chuckwick", "+13035550003"},
	} {
		require.Equal(t, http.StatusOK, a.do("POST", acct+"/contacts", map[string]any{
			"name": c.name, "phones": []map[string]any{{"number": c.phone}},
		}).status)
	}
	names := func(path string) []string {
		var out []string
		for _, p := range a.pages(path) {
			for _, m := range p["members"].([]any) {
				out = append(out, m.(map[string]any)["name"].(string))
			}
		}
		return out
	}
	assert.Equal(t, []string{"alice chuckwick", "Chuck Norris", "zed Zulu"}, names(acct+"/contact_filters/all/contacts"))
	assert.Equal(t, []string{"alice chuckwick", "Chuck Norris"}, names(acct+"/contact_filters/all/contacts?q=CHUCK"))
	assert.Equal(t, []string{"alice chuckwick", "zed Zulu"}, names(acct+"/contact_filters/all/contacts?q=303"))
	assert.Equal(t, []string{"Chuck Norris"}, names(acct+"/contact_filters/all/contacts?q="+url.QueryEscape("(720) 555")))
	assert.Empty(t, names(acct+"/contact_filters/all/contacts?q=nobody"))

	// contact_phones: RecipientContactPhone with an embedded ContactItem.
	r := a.do("GET", acct+"/contact_phones?q=Chuck+N", nil)
	require.Equal(t, http.StatusOK, r.status)
	m := r.json(t)
	require.EqualValues(t, 1, m["totalItems"])
	ph := m["members"].([]any)[0].(map[string]any)
	assert.Equal(t, "RecipientContactPhone", ph["@type"])
	assert.Equal(t, "+17205550002", ph["phoneNumber"])
	ct := ph["contact"].(map[string]any)
	assert.Equal(t, "ContactItem", ct["@type"])
	assert.Equal(t, "Chuck Norris", ct["name"])
	assert.Equal(t, ct["id"].(string)+"/phones", ct["phones"], "condensed: collections are links")
	assert.Equal(t, ct["id"].(string)+"/notes", ct["notes"])

	r = a.do("GET", acct+"/contact_phones?q=%2B1303", nil)
	assert.EqualValues(t, 2, r.json(t)["totalItems"])
}

func TestSendConversationTimeline(t *testing.T) {
	a := newAPI(t, textustest.WithPageSize(2))
	acct := "/" + a.srv.Account()
	to := "+13035551234"

	r := a.do("POST", acct+"/messages", map[string]any{"to": to, "body": "Your appointment is confirmed."})
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	m := r.json(t)
	assert.Equal(t, "Message", m["@type"])
	assert.Equal(t, "/contexts/Message.jsonld", m["@context"])
	assert.Regexp(t, `^/messages/[A-Za-z0-9]{7}$`, m["id"])
	assert.Equal(t, "out", m["direction"])
	assert.Equal(t, "Your appointment is confirmed.", m["body"])
	assert.Equal(t, "<div>Your appointment is confirmed.</div>", m["formattedBody"])
	assert.Equal(t, "queued", m["deliveryState"], "the send's own answer is queued")
	convIRI, isString := m["conversation"].(string)
	require.True(t, isString, "conversation is an IRI string")
	assert.Regexp(t, `^/conversations/[A-Za-z0-9]{7}$`, convIRI)
	assert.Regexp(t, `^/users/`, m["sender"])
	assert.Regexp(t, stamp, m["displayTimestamp"])
	assert.Equal(t, "hydra:Collection", m["attachments"].(map[string]any)["@type"])
	assert.Equal(t, []any{}, m["flags"])
	assert.Equal(t, "sms", m["channel"])

	g := a.do("GET", m["id"].(string), nil)
	require.Equal(t, http.StatusOK, g.status)
	assert.Equal(t, "delivered", g.json(t)["deliveryState"], "delivered once answered")
	assert.Equal(t, "Message Delivered", g.json(t)["friendlyStateDescription"])

	// The conversation, by id and by phone in every accepted spelling.
	c := a.do("GET", convIRI, nil)
	require.Equal(t, http.StatusOK, c.status)
	cm := c.json(t)
	assert.Equal(t, "Conversation", cm["@type"])
	assert.Equal(t, to, cm["phoneNumber"])
	assert.Equal(t, "(303) 555-1234", cm["formattedPhoneNumber"])
	assert.Equal(t, a.srv.PhoneNumber(), cm["accountPhoneNumber"])
	assert.Equal(t, "/accounts/"+a.srv.Account(), cm["account"])
	assert.Equal(t, "open", cm["currentState"])
	assert.Equal(t, m["id"], cm["latestPreviewableItem"].(map[string]any)["id"])
	assert.Equal(t, false, cm["unanswered"])
	for _, p := range []string{to, "%2B13035551234", "3035551234", "13035551234"} {
		r := a.do("GET", acct+"/conversations/"+p, nil)
		require.Equal(t, http.StatusOK, r.status, p)
		assert.Equal(t, convIRI, r.json(t)["id"], p)
	}
	requireError(t, a.do("GET", acct+"/conversations/+17205550000", nil), http.StatusNotFound)
	requireError(t, a.do("GET", acct+"/conversations/not-a-phone", nil), http.StatusNotFound)

	// More traffic, then the timeline is newest first across pages.
	in, err := a.srv.ReceiveMessage("303-555-1234", "Running late, see you at 3")
	require.NoError(t, err)
	assert.Equal(t, "received", string(in.DeliveryState))
	cm = a.do("GET", convIRI, nil).json(t)
	assert.Equal(t, true, cm["unanswered"])
	assert.Equal(t, false, cm["requestingUserInfo"].(map[string]any)["read"])
	unread := a.pages(acct + "/conversation_filters/unread/conversations")
	assert.EqualValues(t, 1, unread[0]["totalItems"])
	rd := a.do("PUT", convIRI+"/read", nil)
	require.Equal(t, http.StatusOK, rd.status)
	assert.Equal(t, true, rd.json(t)["requestingUserInfo"].(map[string]any)["read"])
	r2 := a.do("POST", acct+"/messages", map[string]any{"to": []string{to}, "body": "No problem"})
	require.Equal(t, http.StatusCreated, r2.status, "a one-element list is a single recipient")
	tl := a.pages(convIRI + "/timeline")
	require.Len(t, tl, 2)
	assert.Equal(t, "Timeline", tl[0]["@type"])
	assert.EqualValues(t, 3, tl[0]["totalItems"])
	assert.Regexp(t, stamp, tl[0]["latestPosition"])
	assert.Equal(t, []string{r2.json(t)["id"].(string), in.ID, m["id"].(string)}, memberIDs(tl))

	cm = a.do("GET", convIRI, nil).json(t)
	assert.Equal(t, false, cm["unanswered"])

	// Several recipients: 202 and no body; each gets a message.
	multi := a.do("POST", acct+"/messages", map[string]any{"to": []string{"+13035550001", "+13035550002"}, "body": "Hi all"})
	require.Equal(t, http.StatusAccepted, multi.status)
	assert.Empty(t, multi.body)
	sent := a.srv.SentMessages()
	require.Len(t, sent, 4)
	assert.Equal(t, "Hi all", sent[3].Body)

	// The conversation filter lists the most recent first.
	list := a.pages(acct + "/conversation_filters/all/conversations")
	var phones []string
	for _, p := range list {
		for _, c := range p["members"].([]any) {
			phones = append(phones, c.(map[string]any)["phoneNumber"].(string))
		}
	}
	assert.Equal(t, []string{"+13035550002", "+13035550001", to}, phones)
	q := a.pages(acct + "/conversation_filters/all/conversations?q=0001")
	assert.EqualValues(t, 1, q[0]["totalItems"])
}

func TestSendWithoutAccountAndSchedule(t *testing.T) {
	a := newAPI(t)
	acct := "/" + a.srv.Account()

	r := a.do("POST", "/messages", map[string]any{"to": "+13035551234", "body": "hi", "from": a.srv.PhoneNumber()})
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	r = a.do("POST", "/messages", map[string]any{"to": "+13035551234", "body": "hi", "email": "agent@example.com"})
	require.Equal(t, http.StatusCreated, r.status)
	desc := requireError(t, a.do("POST", "/messages", map[string]any{"to": "+13035551234", "body": "hi", "from": "+17205550000"}), http.StatusUnprocessableEntity)
	assert.Contains(t, desc, "+17205550000")
	requireError(t, a.do("POST", "/messages", map[string]any{"to": "+13035551234", "body": "hi"}), http.StatusUnprocessableEntity)

	at := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	s := a.do("POST", acct+"/messages/schedule", map[string]any{
		"from": a.srv.PhoneNumber(), "to": "+13035551234", "body": "Reminder", "scheduled_at": at.Format(time.RFC3339),
	})
	require.Equal(t, http.StatusCreated, s.status, "%s", s.body)
	sm := s.json(t)
	assert.Equal(t, []any{"scheduled"}, sm["flags"])
	assert.Equal(t, "scheduled", sm["deliveryState"])
	gotAt, err := time.Parse(time.RFC3339Nano, sm["scheduledAt"].(string))
	require.NoError(t, err)
	assert.True(t, at.Equal(gotAt))
	requireError(t, a.do("POST", acct+"/messages/schedule", map[string]any{
		"to": "+13035551234", "body": "Too late", "scheduled_at": "2001-01-01T00:00:00Z",
	}), http.StatusUnprocessableEntity)
	requireError(t, a.do("POST", acct+"/messages/schedule", map[string]any{
		"to": "+13035551234", "body": "When?", "scheduled_at": "tomorrow",
	}), http.StatusUnprocessableEntity)

	sent := a.srv.SentMessages()
	require.Len(t, sent, 3)
	assert.Equal(t, "scheduled", string(sent[2].DeliveryState))
	// Scheduled messages are not in the timeline yet.
	assert.Len(t, a.srv.Messages("+13035551234"), 2)
}

func TestSendValidation(t *testing.T) {
	a := newAPI(t)
	path := "/" + a.srv.Account() + "/messages"
	for name, body := range map[string]any{
		"blank body":    map[string]any{"to": "+13035551234", "body": "  "},
		"no body":       map[string]any{"to": "+13035551234"},
		"saved reply":   map[string]any{"to": "+13035551234", "saved_reply": "/saved_replies/x"},
		"no to":         map[string]any{"body": "hi"},
		"bad to":        map[string]any{"to": "not a number", "body": "hi"},
		"bad in list":   map[string]any{"to": []string{"+13035551234", "12"}, "body": "hi"},
		"empty list":    map[string]any{"to": []string{}, "body": "hi"},
		"number as to":  map[string]any{"to": 3035551234, "body": "hi"},
		"body as array": map[string]any{"to": "+13035551234", "body": []string{"hi"}},
	} {
		t.Run(name, func(t *testing.T) {
			requireError(t, a.do("POST", path, body), http.StatusUnprocessableEntity)
		})
	}
	assert.Empty(t, a.srv.SentMessages())
}

func TestOptOutEndpoints(t *testing.T) {
	a := newAPI(t)
	acct := "/" + a.srv.Account()

	requireError(t, a.do("GET", acct+"/opt_outs/5553031234", nil), http.StatusNotFound)

	r := a.do("PUT", acct+"/opt_outs/5553031234", nil)
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	o := r.json(t)
	assert.Equal(t, "OptOut", o["@type"])
	assert.Equal(t, "/textus/opt_outs/+15553031234", o["id"])
	assert.Equal(t, "5553031234", o["formattedPhoneNumber"])
	assert.Equal(t, "User", o["createdVia"])
	assert.Regexp(t, stamp, o["createdAt"])
	assert.Equal(t, map[string]any{"@type": "Account", "id": "/accounts/" + a.srv.Account(), "name": textustest.DefaultAccountName}, o["originatingAccount"])

	again := a.do("PUT", acct+"/opt_outs/%2B15553031234", nil)
	require.Equal(t, http.StatusOK, again.status, "repeating the PUT is safe")
	assert.JSONEq(t, string(r.body), string(again.body))

	g := a.do("GET", acct+"/opt_outs/+15553031234", nil)
	require.Equal(t, http.StatusOK, g.status)
	assert.Equal(t, o["id"], g.json(t)["id"])

	require.Equal(t, http.StatusCreated, a.do("PUT", acct+"/opt_outs/7205550000", nil).status)
	requireError(t, a.do("PUT", acct+"/opt_outs/nope", nil), http.StatusUnprocessableEntity)

	list := func(query string) []string {
		var out []string
		for _, p := range a.pages(acct + "/opt_outs" + query) {
			for _, m := range p["members"].([]any) {
				out = append(out, m.(map[string]any)["id"].(string))
			}
		}
		return out
	}
	assert.Equal(t, []string{"/textus/opt_outs/+15553031234", "/textus/opt_outs/+17205550000"}, list(""))
	assert.Equal(t, []string{"/textus/opt_outs/+15553031234"}, list("?q=555303"))
	assert.Equal(t, []string{"/textus/opt_outs/+17205550000"}, list("?exact[]=7205550000"))
	assert.Equal(t, []string{"/textus/opt_outs/+15553031234", "/textus/opt_outs/+17205550000"},
		list("?exact[]=%2B15553031234&exact[]=7205550000&exact[]=3035550000"))
	assert.Empty(t, list("?q=999"))

	requireError(t, a.do("GET", acct+"/opt_outs?q=55", nil), http.StatusUnprocessableEntity)
	requireError(t, a.do("GET", acct+"/opt_outs?exact[]=12", nil), http.StatusUnprocessableEntity)

	// Sends to an opted-out number are refused and not recorded.
	desc := requireError(t, a.do("POST", acct+"/messages", map[string]any{"to": "+15553031234", "body": "hi"}), http.StatusUnprocessableEntity)
	assert.Equal(t, "+15553031234 has opted out of messages", desc)
	requireError(t, a.do("POST", acct+"/messages", map[string]any{"to": []string{"+13035550001", "+15553031234"}, "body": "hi"}), http.StatusUnprocessableEntity)
	assert.Empty(t, a.srv.SentMessages())
	assert.True(t, a.srv.IsOptedOut("(555) 303-1234"))
	assert.Len(t, a.srv.OptOuts(), 2)
}

func TestStopAndStartKeywords(t *testing.T) {
	a := newAPI(t)
	acct := "/" + a.srv.Account()
	phone := "+13035559876"

	msg, err := a.srv.ReceiveMessage(phone, "Hello there")
	require.NoError(t, err)
	assert.Equal(t, "in", string(msg.Direction))
	assert.False(t, a.srv.IsOptedOut(phone))
	require.Len(t, a.srv.Contacts(), 1, "an unknown sender becomes a contact")
	assert.Equal(t, phone, a.srv.Contacts()[0].Phones[0].PhoneNumber)

	for _, body := range []string{"  stop ", "Unsubscribe", "CANCEL", "end", "Quit"} {
		_, err = a.srv.ReceiveMessage(phone, body)
		require.NoError(t, err)
		assert.True(t, a.srv.IsOptedOut(phone), body)
		requireError(t, a.do("POST", acct+"/messages", map[string]any{"to": phone, "body": "hi"}), http.StatusUnprocessableEntity)
		_, err = a.srv.ReceiveMessage(phone, "start")
		require.NoError(t, err)
		assert.False(t, a.srv.IsOptedOut(phone), body)
	}

	// A keyword inside a sentence is just a message.
	_, err = a.srv.ReceiveMessage(phone, "please stop by tomorrow")
	require.NoError(t, err)
	assert.False(t, a.srv.IsOptedOut(phone))

	_, err = a.srv.ReceiveMessage(phone, "STOP")
	require.NoError(t, err)
	g := a.do("GET", acct+"/opt_outs/"+phone, nil)
	require.Equal(t, http.StatusOK, g.status)
	assert.Equal(t, "Keyword", g.json(t)["createdVia"])
	cm := a.do("GET", acct+"/conversations/"+phone, nil).json(t)
	assert.Equal(t, true, cm["unsubscribed"])

	_, err = a.srv.ReceiveMessage(phone, "UNSTOP")
	require.NoError(t, err)
	requireError(t, a.do("GET", acct+"/opt_outs/"+phone, nil), http.StatusNotFound)
	assert.Empty(t, a.srv.OptOuts())
	r := a.do("POST", acct+"/messages", map[string]any{"to": phone, "body": "Welcome back"})
	require.Equal(t, http.StatusCreated, r.status, "sends work again after START")
	require.Len(t, a.srv.SentMessages(), 1)

	// Every inbound message is in the conversation.
	assert.Len(t, a.srv.Messages(phone), 1+5*2+1+2+1)

	_, err = a.srv.ReceiveMessage("nope", "hi")
	require.Error(t, err)
	_, err = a.srv.ReceiveMessage(phone, "")
	require.Error(t, err)
}

func TestUndeliverable(t *testing.T) {
	a := newAPI(t, textustest.WithUndeliverable("7205550123"))
	require.NoError(t, a.srv.SetUndeliverable("+13035550999"))
	require.Error(t, a.srv.SetUndeliverable("x"))
	for _, to := range []string{"+17205550123", "+13035550999"} {
		r := a.do("POST", "/"+a.srv.Account()+"/messages", map[string]any{"to": to, "body": "hi"})
		require.Equal(t, http.StatusCreated, r.status)
		g := a.do("GET", r.json(t)["id"].(string), nil)
		assert.Equal(t, "failed", g.json(t)["deliveryState"], to)
	}
}

func TestDeliveryDelay(t *testing.T) {
	a := newAPI(t, textustest.WithDeliveryDelay(50*time.Millisecond))
	r := a.do("POST", "/"+a.srv.Account()+"/messages", map[string]any{"to": "+13035551234", "body": "hi"})
	require.Equal(t, http.StatusCreated, r.status)
	waitIdle(t, a.srv)
	assert.Equal(t, "delivered", string(a.srv.SentMessages()[0].DeliveryState))
}

// centuryWindow is a rate-limit window that no test run crosses: windows
// are aligned to the Unix epoch, and the one holding today ends in 2070.
// A test that counts requests within one window uses it, so that it cannot
// fail by running across a window boundary.
const centuryWindow = 100 * 365 * 24 * time.Hour

func TestRateLimit(t *testing.T) {
	a := newAPI(t, textustest.WithRateLimit(3, centuryWindow))
	path := "/" + a.srv.Account() + "/contacts"
	start := time.Now()
	var reset int64
	for i := 0; i < 3; i++ {
		r := a.do("GET", path, nil)
		require.Equal(t, http.StatusOK, r.status)
		assert.Equal(t, "3", r.header.Get("X-RateLimit-Limit"))
		assert.Equal(t, strconv.Itoa(2-i), r.header.Get("X-RateLimit-Remaining"))
		rs, err := strconv.ParseInt(r.header.Get("X-RateLimit-Reset"), 10, 64)
		require.NoError(t, err)
		if i == 0 {
			reset = rs
		}
		assert.Equal(t, reset, rs, "fixed window")
	}
	// Windows are aligned to the epoch: this one ends on a multiple of
	// its length.
	assert.Zero(t, reset%int64(centuryWindow/time.Second), "reset %d", reset)
	assert.Greater(t, reset, start.Unix())
	assert.LessOrEqual(t, reset, start.Add(centuryWindow).Unix()+1)

	r := a.do("GET", path, nil)
	requireError(t, r, http.StatusTooManyRequests)
	assert.Equal(t, "0", r.header.Get("X-RateLimit-Remaining"))
	ra, err := strconv.ParseInt(r.header.Get("Retry-After"), 10, 64)
	require.NoError(t, err)
	assert.InDelta(t, reset-time.Now().Unix(), ra, 1, "Retry-After is the time left to the reset")
	assert.True(t, ra >= 1 && ra <= int64(centuryWindow/time.Second), "Retry-After %d", ra)
	// 429 refuses before acting: no contact was created.
	requireError(t, a.do("POST", path, map[string]any{"name": "x"}), http.StatusTooManyRequests)
	assert.Empty(t, a.srv.Contacts())

	// Unauthenticated requests count per client, separately.
	u := a.doWith("GET", path, nil, nil)
	requireError(t, u, http.StatusUnauthorized)
	assert.Equal(t, "2", u.header.Get("X-RateLimit-Remaining"))

	// Reset clears the windows.
	a.srv.Reset()
	assert.Equal(t, http.StatusOK, a.do("GET", path, nil).status)
}

// Over HTTP, a refused client is served again in the next window (the
// windows' boundaries are tested on the limiter, with its clock).
func TestRateLimitWindowRolls(t *testing.T) {
	a := newAPI(t, textustest.WithRateLimit(1, 200*time.Millisecond))
	path := "/" + a.srv.Account() + "/contacts"
	var refused reply
	require.Eventually(t, func() bool {
		refused = a.do("GET", path, nil)
		return refused.status == http.StatusTooManyRequests
	}, waitTimeout, time.Millisecond, "a second request in one window is refused")
	requireError(t, refused, http.StatusTooManyRequests)
	assert.Equal(t, "1", refused.header.Get("Retry-After"), "rounded up to a whole second")
	require.Eventually(t, func() bool { return a.do("GET", path, nil).status == http.StatusOK },
		waitTimeout, 50*time.Millisecond)
}

func TestRateLimitOff(t *testing.T) {
	a := newAPI(t, textustest.WithRateLimit(0, 0))
	r := a.do("GET", "/accounts", nil)
	require.Equal(t, http.StatusOK, r.status)
	assert.Empty(t, r.header.Get("X-RateLimit-Limit"))
}

func TestRequestsLogAndReset(t *testing.T) {
	a := newAPI(t)
	a.do("GET", "/accounts", nil)
	a.do("POST", "/"+a.srv.Account()+"/contacts", map[string]any{"name": "x"})
	reqs := a.srv.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, "GET", reqs[0].Method)
	assert.Equal(t, "/accounts", reqs[0].Path)
	assert.Equal(t, http.StatusOK, reqs[0].Status)
	assert.Equal(t, textustest.FaultNone, reqs[0].Fault)
	assert.Equal(t, "POST", reqs[1].Method)

	a.srv.Reset()
	assert.Empty(t, a.srv.Requests())
	assert.Empty(t, a.srv.Contacts())
	assert.Equal(t, http.StatusOK, a.do("GET", "/accounts", nil).status, "token unchanged")
}

func TestLatency(t *testing.T) {
	a := newAPI(t, textustest.WithLatency(100*time.Millisecond))
	start := time.Now()
	require.Equal(t, http.StatusOK, a.do("GET", "/accounts", nil).status)
	assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)
}

func TestConversationOfAContact(t *testing.T) {
	a := newAPI(t)
	acct := "/" + a.srv.Account()
	require.Equal(t, http.StatusOK, a.do("POST", acct+"/contacts", map[string]any{
		"name": "Quiet Person", "phones": []map[string]any{{"number": "+17205550111"}},
	}).status)
	// No message yet, but the contact's number has a conversation.
	r := a.do("GET", acct+"/conversations/7205550111", nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	cm := r.json(t)
	assert.Nil(t, cm["latestPreviewableItem"])
	assert.Regexp(t, contactIRI, cm["assignedContact"])
	tl := a.pages(cm["id"].(string) + "/timeline")
	require.Len(t, tl, 1)
	assert.EqualValues(t, 0, tl[0]["totalItems"])
	assert.NotContains(t, tl[0], "latestPosition")
	// Conversations without messages are not listed by the filters.
	assert.EqualValues(t, 0, a.pages(acct + "/conversation_filters/all/conversations")[0]["totalItems"])
}

func TestLatencyClientGivesUp(t *testing.T) {
	a := newAPI(t, textustest.WithLatency(time.Hour))
	a.hc.Timeout = 100 * time.Millisecond
	_, err := a.try("POST", "/"+a.srv.Account()+"/contacts", map[string]any{"name": "x"},
		map[string]string{"Authorization": "Bearer " + a.srv.Token()})
	require.Error(t, err)
	require.Eventually(t, func() bool { return len(a.srv.Requests()) == 1 }, waitTimeout, 5*time.Millisecond)
	assert.Equal(t, 0, a.srv.Requests()[0].Status)
	assert.Empty(t, a.srv.Contacts(), "a request abandoned during the delay is not acted on")
}

func TestCloseDuringLatency(t *testing.T) {
	srv := textustest.NewServer(textustest.WithLatency(time.Hour))
	t.Cleanup(srv.Close)
	tr := &http.Transport{Proxy: nil}
	defer tr.CloseIdleConnections()
	wrote := make(chan struct{})
	type outcome struct {
		status int
		err    error
	}
	done := make(chan outcome, 1)
	go func() {
		ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
			WroteRequest: func(httptrace.WroteRequestInfo) { close(wrote) },
		})
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL()+"/accounts", nil)
		req.Header.Set("Authorization", "Bearer "+srv.Token())
		resp, err := tr.RoundTrip(req)
		if err != nil {
			done <- outcome{err: err}
			return
		}
		resp.Body.Close()
		done <- outcome{status: resp.StatusCode}
	}()
	<-wrote
	srv.Close() // returns without waiting out the hour
	select {
	case o := <-done:
		if o.err == nil {
			assert.Equal(t, http.StatusServiceUnavailable, o.status)
		}
	case <-time.After(waitTimeout):
		t.Fatal("the request was not ended by Close")
	}
}
