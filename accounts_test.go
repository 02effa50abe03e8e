package textus

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// accountJSON carries the Account fields of the API spec (§4.1).
const accountJSON = `{
  "@type": "Account", "@context": "/contexts/Account.jsonld", "id": "/accounts/my_account",
  "name": "My Account", "slug": "my_account", "type": "standard", "multiUser": true,
  "settings": {}, "logo": null, "familyCount": 3, "childrenCount": 2,
  "phoneNumbers": ["(303) 555-1111"], "contactsEnabled": true, "featureFlags": {},
  "effectiveRole": "admin", "hasCumulativePlan": false, "messagingRestricted": true,
  "shortenedLinkDomain": null, "shortenedLinkPreviewUrl": null,
  "contacts": "/my_account/contacts", "conversations": "/my_account/conversations",
  "users": "/accounts/my_account/users"
}`

func assertAccount(t *testing.T, a *Account) {
	t.Helper()
	require.NotNil(t, a)
	assert.Equal(t, "Account", a.LDType)
	assert.Equal(t, "/accounts/my_account", a.ID)
	assert.Equal(t, "My Account", a.Name)
	assert.Equal(t, "my_account", a.Slug)
	assert.Equal(t, "standard", a.AccountType)
	assert.True(t, a.MultiUser)
	assert.Equal(t, []string{"(303) 555-1111"}, a.PhoneNumbers)
	assert.True(t, a.ContactsEnabled)
	assert.True(t, a.MessagingRestricted)
	assert.Equal(t, "admin", a.EffectiveRole)
	assert.Equal(t, 3, a.FamilyCount)
	assert.Equal(t, 2, a.ChildrenCount)
	assert.JSONEq(t, accountJSON, string(a.Raw))
}

// Accounts.Get is not account-scoped: it works on a client without one.
func TestAccountsGetWithoutAccount(t *testing.T) {
	_, mux, ts := setup(t)
	mux.HandleFunc("/accounts/other", func(w http.ResponseWriter, r *http.Request) {
		testURI(t, r, "/api-v1/accounts/other")
		writeJSON(w, http.StatusOK, `{"@type":"Account","id":"/accounts/other","slug":"other"}`)
	})
	client := newTestClient(t, ts)
	a, err := client.Accounts.Get(context.Background(), "other")
	require.NoError(t, err)
	assert.Equal(t, "other", a.Slug)
}

func TestAccountsList(t *testing.T) {
	tests := []struct {
		name string
		opts *AccountListOptions
		uri  string
	}{
		{"no options", nil, "/api-v1/accounts"},
		{"empty options", &AccountListOptions{}, "/api-v1/accounts"},
		{"query", &AccountListOptions{Query: "acme co"}, "/api-v1/accounts?q=acme+co"},
		{
			"all options",
			&AccountListOptions{Query: "a", Type: "standard", Slug: "my_account", Ancestors: "x", Descendants: "y"},
			"/api-v1/accounts?ancestors=x&descendants=y&q=a&slug=my_account&type=standard",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, mux, ts := setup(t)
			mux.HandleFunc("/accounts", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "GET")
				testURI(t, r, tt.uri)
				testHeader(t, r, false)
				writeJSON(w, http.StatusOK, `{"@type":"AccountCollection","id":"/accounts","totalItems":1,"members":[`+accountJSON+`]}`)
			})
			seq := client.Accounts.List(context.Background(), tt.opts)
			assert.Zero(t, ts.Requests(), "List must not fetch before the first step")
			got, errs := collectSeq(seq)
			require.Empty(t, errs)
			require.Len(t, got, 1)
			assertAccount(t, got[0])
			assert.Equal(t, 1, ts.Requests())
		})
	}
}

// The account slug from an account can bind a client with ForAccount, and
// the bound client's scoped calls use it.
func TestAccountsSlugBindsClient(t *testing.T) {
	client, mux, ts := setup(t)
	mux.HandleFunc("/accounts", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `{"@type":"AccountCollection","totalItems":1,"members":[{"@type":"Account","id":"/accounts/child","slug":"child"}]}`)
	})
	mux.HandleFunc("/child/contacts", func(w http.ResponseWriter, r *http.Request) {
		testURI(t, r, "/api-v1/child/contacts")
		writeJSON(w, http.StatusOK, hydraPage("/child/contacts", 0, ""))
	})
	var slug string
	for a, err := range client.Accounts.List(context.Background(), nil) {
		require.NoError(t, err)
		slug = a.Slug
	}
	_, errs := collectSeq(client.ForAccount(slug).Contacts.List(context.Background(), nil))
	require.Empty(t, errs)
	_, errs = collectSeq(client.ForAccount("/accounts/child").Contacts.List(context.Background(), nil))
	require.Empty(t, errs)
	assert.Equal(t, 3, ts.Requests())
}
