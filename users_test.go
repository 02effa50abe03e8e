package textus

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// docsUserJSON is the User of the docs' users pages, memberships embedded.
const docsUserJSON = `{
  "@type": "User", "@context": "/contexts/User.jsonld", "id": "/users/wqyODPA",
  "name": "Chuck Norris", "firstName": "Chuck", "lastName": "Norris", "email": "chuck@textus.example",
  "avatar": null, "automatedActor": false, "hasPassword": false, "discarded": false,
  "settings": { "customSettings": { "/textus/user_schema/calendar": "https://calend.ly/chuck-norris" } },
  "memberships": { "@type": "hydra:Collection", "@context": "/contexts/hydra:Collection.jsonld",
    "id": "/users/wqyODPA/memberships",
    "members": [ { "@type": "Membership", "@context": "/contexts/Membership.jsonld",
      "id": "/users/wqyODPA/memberships/PWApBE3", "role": "user", "user": "/users/wqyODPA",
      "account": { "@type": "Account", "@context": "/contexts/Account.jsonld", "id": "/accounts/my_account", "name": "Example Account" } } ],
    "totalItems": 1 }
}`

func assertDocsUser(t *testing.T, u *User) {
	t.Helper()
	require.NotNil(t, u)
	assert.Equal(t, "User", u.LDType)
	assert.Equal(t, "/users/wqyODPA", u.ID)
	assert.Equal(t, "Chuck Norris", u.Name)
	assert.Equal(t, "Chuck", u.FirstName)
	assert.Equal(t, "Norris", u.LastName)
	assert.Equal(t, "chuck@textus.example", u.Email)
	assert.Empty(t, u.Avatar)
	assert.Equal(t, map[string]any{"customSettings": map[string]any{"/textus/user_schema/calendar": "https://calend.ly/chuck-norris"}}, u.Settings)
	assert.Equal(t, []Membership{{ID: "/users/wqyODPA/memberships/PWApBE3", Role: "user", User: "/users/wqyODPA",
		Account: "/accounts/my_account", AccountName: "Example Account"}}, u.Memberships)
	assert.Empty(t, u.MembershipsIRI)
	assert.JSONEq(t, docsUserJSON, string(u.Raw))
}

func TestUsersList(t *testing.T) {
	cases := []struct {
		name string
		opts *UserListOptions
		uri  string
	}{
		{"no options", nil, "/api-v1/users"},
		{"query", &UserListOptions{Query: " chuck "}, "/api-v1/users?q=chuck"},
		{"accounts", &UserListOptions{Accounts: []string{"my_account", "/accounts/child"}},
			"/api-v1/users?accounts%5B%5D=%2Faccounts%2Fmy_account&accounts%5B%5D=%2Faccounts%2Fchild"},
		{"both", &UserListOptions{Query: "a b", Accounts: []string{"x"}}, "/api-v1/users?accounts%5B%5D=%2Faccounts%2Fx&q=a+b"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			client, mux, ts := setup(t)
			mux.HandleFunc("/users", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "GET")
				testURI(t, r, tc.uri)
				testHeader(t, r, false)
				writeJSON(w, http.StatusOK, hydraPage("/users", 2, "", docsUserJSON,
					`{"@type":"User","id":"/users/2","name":"Ann","memberships":"/users/2/memberships","avatar":"https://x/a.png"}`))
			})
			seq := client.Users.List(context.Background(), tc.opts)
			assert.Zero(t, ts.Requests())
			users, errs := collectSeq(seq)
			require.Empty(t, errs)
			require.Len(t, users, 2)
			assertDocsUser(t, users[0])
			assert.Equal(t, "/users/2/memberships", users[1].MembershipsIRI)
			assert.Empty(t, users[1].Memberships)
			assert.Equal(t, "https://x/a.png", users[1].Avatar)

			page, err := client.Users.ListPage(context.Background(), tc.opts, "")
			require.NoError(t, err)
			assert.Len(t, page.Items, 2)
			assert.False(t, page.HasNext())
		})
	}
	t.Run("works without an account", func(t *testing.T) {
		_, mux, ts := setup(t)
		mux.HandleFunc("/users", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, hydraPage("/users", 0, ""))
		})
		_, errs := collectSeq(newTestClient(t, ts).Users.List(context.Background(), nil))
		assert.Empty(t, errs)
	})
	t.Run("bad account refused", func(t *testing.T) {
		client, mux, ts := setup(t)
		refuseAll(t, mux)
		for _, a := range []string{"", "a/b", "/contacts/x"} {
			assert.Error(t, firstErr(client.Users.List(context.Background(), &UserListOptions{Accounts: []string{a}})), a)
			_, err := client.Users.ListPage(context.Background(), &UserListOptions{Accounts: []string{a}}, "")
			assert.Error(t, err, a)
		}
		assertNothingSent(t, ts)
	})
	t.Run("forbidden", func(t *testing.T) {
		client, mux, _ := setup(t)
		mux.HandleFunc("/users", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusForbidden, `{"error":"admins only"}`)
		})
		assert.ErrorIs(t, firstErr(client.Users.List(context.Background(), nil)), ErrForbidden)
	})
}

func TestUsersUpdate(t *testing.T) {
	cases := []struct {
		name string
		p    UserParams
		body string
	}{
		{"the docs' example", UserParams{Name: "Not Chuck", Email: "not+chuck@textus.example",
			Settings: map[string]any{"notifications": map[string]any{"email": true, "audio": true}}},
			`{"name":"Not Chuck","email":"not+chuck@textus.example","settings":{"notifications":{"email":true,"audio":true}}}`},
		{"memberships", UserParams{Name: "Not Chuck", Email: "not+chuck@textus.example", Memberships: []MembershipParams{
			{Role: "user", Account: "/accounts/my_account"}, {Role: " Support ", Account: "my_account_child"}}},
			`{"name":"Not Chuck","email":"not+chuck@textus.example","memberships":[{"role":"user","account":"/accounts/my_account"},{"role":"support","account":"/accounts/my_account_child"}]}`},
		{"name only", UserParams{Name: " Ann "}, `{"name":"Ann"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			client, mux, ts := setup(t)
			mux.HandleFunc("/users/PWApBE3", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "PUT")
				testURI(t, r, "/api-v1/users/PWApBE3")
				testHeader(t, r, true)
				testJSONBody(t, r, tc.body)
				writeJSON(w, http.StatusOK, docsUserJSON)
			})
			p := tc.p
			u, err := client.Users.Update(context.Background(), "/users/PWApBE3", &p)
			require.NoError(t, err)
			assertDocsUser(t, u)
			assert.Equal(t, 1, ts.Requests())
		})
	}
}

func TestUsersUpdateBadInput(t *testing.T) {
	cases := map[string]*UserParams{
		"nil":          nil,
		"nothing":      {},
		"blank":        {Name: " ", Email: " "},
		"bad email":    {Email: "chuck"},
		"bad role":     {Memberships: []MembershipParams{{Role: "owner", Account: "a"}}},
		"no account":   {Memberships: []MembershipParams{{Role: "user"}}},
		"account path": {Memberships: []MembershipParams{{Role: "user", Account: "a/b"}}},
	}
	for name, p := range cases {
		t.Run(name, func(t *testing.T) {
			client, mux, ts := setup(t)
			refuseAll(t, mux)
			u, err := client.Users.Update(context.Background(), "PWApBE3", p)
			require.Error(t, err)
			assert.Nil(t, u)
			assertNothingSent(t, ts)
		})
	}
}
