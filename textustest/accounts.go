package textustest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// Accounts: the fake's tree is its own account (the top, where the token's
// user is an admin) and one child, "<account>_child".

// boolParam reads an optional boolean query parameter: ok is false (with a
// 422 result) for a value that is not true or false.
func boolParam(q url.Values, name string) (value, set bool, res result, ok bool) {
	if !q.Has(name) {
		return false, false, result{}, true
	}
	switch strings.ToLower(q.Get(name)) {
	case "true", "1":
		return true, true, result{}, true
	case "false", "0":
		return false, true, result{}, true
	}
	return false, false, errorResult(http.StatusUnprocessableEntity, "%s: %q is not true or false", name, q.Get(name)), false
}

// accountFilter applies the query parameters shared by the accounts index
// and the descendants: q, type, slug, legal and messaging. The fake reads
// legal=true as "the top of a tree" (the legal entity) and messaging=true
// as "has a phone number".
func accountFilter(q url.Values) (func(*fakeAccount) bool, result, bool) {
	legal, hasLegal, res, ok := boolParam(q, "legal")
	if !ok {
		return nil, res, false
	}
	messaging, hasMessaging, res, ok := boolParam(q, "messaging")
	if !ok {
		return nil, res, false
	}
	text := strings.ToLower(strings.TrimSpace(q.Get("q")))
	typ, slug := q.Get("type"), q.Get("slug")
	return func(a *fakeAccount) bool {
		switch {
		case text != "" && !strings.Contains(strings.ToLower(a.name), text) && !strings.Contains(strings.ToLower(a.slug), text):
			return false
		case typ != "" && typ != "standard":
			return false
		case slug != "" && slug != a.slug:
			return false
		case hasLegal && legal != (a.parent == nil):
			return false
		case hasMessaging && messaging != (a.phone != ""):
			return false
		}
		return true
	}, result{}, true
}

// listAccounts answers GET /accounts: with no hierarchy parameter, the
// accounts where the token's user has a membership; with ancestors= or
// descendants=, that account and those above or below it.
func (s *Server) listAccounts(c *call) result {
	q := c.r.URL.Query()
	keep, res, ok := accountFilter(q)
	if !ok {
		return res
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var accounts []*fakeAccount
	switch {
	case q.Get("ancestors") != "":
		a := s.accountLocked(q.Get("ancestors"))
		if a == nil {
			return errorResult(http.StatusNotFound, "account %q not found", q.Get("ancestors"))
		}
		accounts = ancestors(a)
	case q.Get("descendants") != "":
		a := s.accountLocked(q.Get("descendants"))
		if a == nil {
			return errorResult(http.StatusNotFound, "account %q not found", q.Get("descendants"))
		}
		accounts = s.descendantsLocked(a)
	default:
		for _, m := range s.meLocked().memberships {
			accounts = append(accounts, m.account)
		}
	}
	members := []any{}
	for _, a := range accounts {
		if keep(a) {
			members = append(members, s.wireAccountOf(a))
		}
	}
	return c.page("AccountCollection", members, nil)
}

func (s *Server) getAccount(c *call) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accountLocked(c.params["slug"])
	if a == nil {
		return errorResult(http.StatusNotFound, "account %q not found", c.params["slug"])
	}
	return answer(http.StatusOK, s.wireAccountOf(a))
}

func (s *Server) accountDescendants(c *call) result {
	keep, res, ok := accountFilter(c.r.URL.Query())
	if !ok {
		return res
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accountLocked(c.params["slug"])
	if a == nil {
		return errorResult(http.StatusNotFound, "account %q not found", c.params["slug"])
	}
	members := []any{}
	for _, d := range s.descendantsLocked(a) {
		if keep(d) {
			members = append(members, s.wireAccountOf(d))
		}
	}
	return c.page("AccountCollection", members, nil)
}

// accountTree answers GET /accounts/tree{?role}: the accounts where the
// token's user has a membership (with that role), each with its children,
// leaving out those below another one listed.
func (s *Server) accountTree(c *call) result {
	role := c.r.URL.Query().Get("role")
	if role != "" && !userRoles[role] {
		return errorResult(http.StatusUnprocessableEntity, "role: %q is not user, support or admin", role)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tops := map[*fakeAccount]bool{}
	for _, m := range s.meLocked().memberships {
		if role == "" || m.role == role {
			tops[m.account] = true
		}
	}
	members := []any{}
	for _, a := range s.api.accounts {
		if !tops[a] {
			continue
		}
		below := false
		for p := a.parent; p != nil; p = p.parent {
			below = below || tops[p]
		}
		if !below {
			members = append(members, s.wireAccountTree(a))
		}
	}
	return c.page("hydra:Collection", members, nil)
}

// patchAccount answers PATCH /accounts/:slug with {"settings": {...}}: each
// setting an object such as {"value": ...} or {"disabled": ...,
// "setAtAccount": ...}, merged into the account's settings.
func (s *Server) patchAccount(c *call) result {
	var in struct {
		Settings map[string]json.RawMessage `json:"settings"`
	}
	if res, failed := c.decode(&in); failed {
		return res
	}
	if len(in.Settings) == 0 {
		return errorResult(http.StatusUnprocessableEntity, "settings: is required and must name at least one setting")
	}
	parsed := make(map[string]map[string]any, len(in.Settings))
	for name, raw := range in.Settings {
		raw = bytes.TrimSpace(raw)
		var v map[string]any
		if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &v) != nil {
			return errorResult(http.StatusUnprocessableEntity, "settings.%s: must be an object such as {\"value\": ...}", name)
		}
		_, hasValue := v["value"]
		_, hasDisabled := v["disabled"]
		if !hasValue && !hasDisabled {
			return errorResult(http.StatusUnprocessableEntity, "settings.%s: needs \"value\" or \"disabled\"", name)
		}
		if d, ok := v["disabled"]; ok {
			if _, isBool := d.(bool); !isBool {
				return errorResult(http.StatusUnprocessableEntity, "settings.%s.disabled: must be true or false", name)
			}
		}
		parsed[name] = v
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accountLocked(c.params["slug"])
	if a == nil {
		return errorResult(http.StatusNotFound, "account %q not found", c.params["slug"])
	}
	for name, v := range parsed {
		if at, ok := v["setAtAccount"]; ok {
			ref, _ := at.(string)
			if s.accountLocked(ref) == nil {
				return errorResult(http.StatusUnprocessableEntity, "settings.%s.setAtAccount: account %v not found", name, at)
			}
		}
	}
	for name, v := range parsed {
		cur := a.settings[name]
		if cur == nil {
			cur = map[string]any{}
		}
		for k, x := range v {
			cur[k] = x
		}
		a.settings[name] = cur
	}
	return answer(http.StatusOK, s.wireAccountOf(a))
}
