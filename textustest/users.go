package textustest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
)

// Users and saved replies. The fake has two users: the token's user (an
// admin of the top account) and an agent (a user of the child account).

// userRoles are the documented membership roles.
var userRoles = map[string]bool{"user": true, "support": true, "admin": true}

// listUsers answers GET /users{?q,accounts[]}: the users of the accounts
// where the token's user is an admin (and of their descendants), searched
// by name or email and narrowed to members of the accounts given (by slug
// or IRI; an unknown one is a 422).
func (s *Server) listUsers(c *call) result {
	query := c.r.URL.Query()
	q := strings.ToLower(strings.TrimSpace(query.Get("q")))
	s.mu.Lock()
	defer s.mu.Unlock()
	var narrow map[*fakeAccount]bool
	for _, ref := range append(query["accounts[]"], query["accounts"]...) {
		a := s.accountLocked(ref)
		if a == nil {
			return errorResult(http.StatusUnprocessableEntity, "accounts[]: account %q not found", ref)
		}
		if narrow == nil {
			narrow = map[*fakeAccount]bool{}
		}
		narrow[a] = true
	}
	administered := map[*fakeAccount]bool{}
	for _, m := range s.meLocked().memberships {
		if m.role == "admin" {
			for _, a := range s.descendantsLocked(m.account) {
				administered[a] = true
			}
		}
	}
	members := []any{}
	for _, u := range s.api.users {
		visible, inNarrow := false, narrow == nil
		for _, m := range u.memberships {
			visible = visible || administered[m.account]
			inNarrow = inNarrow || narrow[m.account]
		}
		if !visible || !inNarrow {
			continue
		}
		if q != "" && !strings.Contains(strings.ToLower(u.name), q) && !strings.Contains(strings.ToLower(u.email), q) {
			continue
		}
		members = append(members, s.wireUser(u, true))
	}
	return c.page("hydra:Collection", members, nil)
}

func (s *Server) getUser(c *call) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(c.params["id"])
	if u == nil {
		return errorResult(http.StatusNotFound, "user %q not found", c.params["id"])
	}
	return answer(http.StatusOK, s.wireUser(u, true))
}

type userIn struct {
	Name        *string         `json:"name"`
	Email       *string         `json:"email"`
	Settings    json.RawMessage `json:"settings"`
	Memberships []struct {
		Role    string `json:"role"`
		Account string `json:"account"`
	} `json:"memberships"`
}

// updateUser answers PUT /users/:id. Settings are merged key by key;
// memberships are added, or change the role on an account the user is
// already a member of.
func (s *Server) updateUser(c *call) result {
	var in userIn
	if res, failed := c.decode(&in); failed {
		return res
	}
	if in.Name != nil && strings.TrimSpace(*in.Name) == "" {
		return errorResult(http.StatusUnprocessableEntity, "name: can't be blank")
	}
	if in.Email != nil && !strings.Contains(*in.Email, "@") {
		return errorResult(http.StatusUnprocessableEntity, "email: %q is not an email address", *in.Email)
	}
	var settings map[string]any
	if raw := bytes.TrimSpace(in.Settings); len(raw) > 0 && !bytes.Equal(raw, []byte("null")) {
		if raw[0] != '{' || json.Unmarshal(raw, &settings) != nil {
			return errorResult(http.StatusUnprocessableEntity, "settings: must be an object")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(c.params["id"])
	if u == nil {
		return errorResult(http.StatusNotFound, "user %q not found", c.params["id"])
	}
	type change struct {
		role    string
		account *fakeAccount
	}
	var changes []change
	for i, m := range in.Memberships {
		if !userRoles[m.Role] {
			return errorResult(http.StatusUnprocessableEntity, "memberships[%d].role: %q is not user, support or admin", i, m.Role)
		}
		if !strings.HasPrefix(m.Account, "/accounts/") {
			return errorResult(http.StatusUnprocessableEntity, "memberships[%d].account: %q is not an account IRI", i, m.Account)
		}
		a := s.accountLocked(m.Account)
		if a == nil {
			return errorResult(http.StatusUnprocessableEntity, "memberships[%d].account: %q not found", i, m.Account)
		}
		changes = append(changes, change{m.Role, a})
	}
	if in.Name != nil {
		u.name = strings.TrimSpace(*in.Name)
	}
	if in.Email != nil {
		u.email = strings.TrimSpace(*in.Email)
	}
	for k, v := range settings {
		u.settings[k] = v
	}
	for _, ch := range changes {
		found := false
		for _, m := range u.memberships {
			if m.account == ch.account {
				m.role, found = ch.role, true
			}
		}
		if !found {
			u.memberships = append(u.memberships, &membership{slug: s.newSlug(), role: ch.role, account: ch.account})
		}
	}
	return answer(http.StatusOK, s.wireUser(u, true))
}

// savedReplyIn is the wrapped body of the saved reply endpoints.
type savedReplyIn struct {
	SavedReply *struct {
		Title       *string          `json:"title"`
		Content     *string          `json:"content"`
		Attachments []map[string]any `json:"attachments"`
	} `json:"saved_reply"`
}

// check validates the body: 422 for a body not wrapped in "saved_reply",
// a blank title or content, or an attachment without a key.
func (in *savedReplyIn) check(create bool) (result, bool) {
	r := in.SavedReply
	if r == nil {
		return errorResult(http.StatusUnprocessableEntity, "saved_reply: is required (the fields go inside {\"saved_reply\": {...}})"), false
	}
	if (create && r.Title == nil) || (r.Title != nil && strings.TrimSpace(*r.Title) == "") {
		return errorResult(http.StatusUnprocessableEntity, "saved_reply.title: can't be blank"), false
	}
	if (create && r.Content == nil) || (r.Content != nil && strings.TrimSpace(*r.Content) == "") {
		return errorResult(http.StatusUnprocessableEntity, "saved_reply.content: can't be blank"), false
	}
	for i, a := range r.Attachments {
		if k, _ := a["key"].(string); k == "" {
			return errorResult(http.StatusUnprocessableEntity, "saved_reply.attachments[%d].key: can't be blank", i), false
		}
	}
	return result{}, true
}

func (s *Server) createSavedReply(c *call) result {
	var in savedReplyIn
	if res, failed := c.decode(&in); failed {
		return res
	}
	if res, ok := in.check(true); !ok {
		return res
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(c.params["id"])
	if u == nil {
		return errorResult(http.StatusNotFound, "user %q not found", c.params["id"])
	}
	r := &savedReply{slug: s.newSlug(), title: strings.TrimSpace(*in.SavedReply.Title), content: *in.SavedReply.Content,
		user: u, attachments: in.SavedReply.Attachments}
	s.api.savedReplies[r.slug] = r
	s.api.replyOrder = append(s.api.replyOrder, r)
	return answer(http.StatusCreated, s.wireSavedReply(r))
}

func (s *Server) updateSavedReply(c *call) result {
	var in savedReplyIn
	if res, failed := c.decode(&in); failed {
		return res
	}
	if res, ok := in.check(false); !ok {
		return res
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, res, ok := lookup(s.api.savedReplies, c, "saved reply")
	if !ok {
		return res
	}
	if t := in.SavedReply.Title; t != nil {
		r.title = strings.TrimSpace(*t)
	}
	if t := in.SavedReply.Content; t != nil {
		r.content = *t
	}
	if in.SavedReply.Attachments != nil {
		r.attachments = in.SavedReply.Attachments
	}
	return answer(http.StatusOK, s.wireSavedReply(r))
}

// savedReplyLocked finds a saved reply by IRI.
func (s *Server) savedReplyLocked(iri string) *savedReply {
	slug, ok := strings.CutPrefix(iri, "/saved_replies/")
	if !ok {
		return nil
	}
	return s.api.savedReplies[slug]
}
