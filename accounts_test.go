package textus

import (
	"context"
	"net/http"
	"strings"
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

func TestAccountsListLegal(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		legal *bool
		uri   string
	}{{&yes, "/api-v1/accounts?legal=true"}, {&no, "/api-v1/accounts?legal=false"}, {nil, "/api-v1/accounts"}} {
		client, mux, _ := setup(t)
		mux.HandleFunc("/accounts", func(w http.ResponseWriter, r *http.Request) {
			testURI(t, r, tc.uri)
			writeJSON(w, http.StatusOK, `{"@type":"AccountCollection","totalItems":0,"members":[]}`)
		})
		_, errs := collectSeq(client.Accounts.List(context.Background(), &AccountListOptions{Legal: tc.legal}))
		require.Empty(t, errs)
	}
}

// docsDescendantsJSON is the docs' descendants example.
const docsDescendantsJSON = `{
  "@type": "AccountCollection", "@context": "/contexts/AccountCollection.jsonld", "id": "/accounts/my_account/accounts",
  "members": [ { "@type": "Account", "@context": "/contexts/Account.jsonld", "id": "/accounts/my_account",
    "name": "Example Account", "slug": "my_account", "logo": null, "phoneNumbers": ["(303) 555-1111"],
    "effectiveRole": "admin", "type": "standard", "analytics": "/accounts/my_account/analytics",
    "inbox": "/my_account/inbox", "contacts": "/my_account/contacts", "campaigns": "/my_account/campaigns",
    "users": { "@type": "hydra:Collection", "id": "/my_account/users", "totalItems": 2 },
    "children": { "@type": "hydra:Collection", "id": "/accounts/my_account/children", "totalItems": 1, "members": [] } } ],
  "totalItems": 1,
  "view": { "@type": "hydra:PartialCollectionView", "id": "/accounts/my_account/accounts",
    "first": "/accounts/my_account/accounts", "next": null, "previous": null }
}`

func TestAccountsDescendants(t *testing.T) {
	yes := true
	cases := []struct {
		name string
		slug string
		opts *DescendantOptions
		uri  string
	}{
		{"slug", "my_account", nil, "/api-v1/accounts/my_account/accounts"},
		{"IRI and options", "/accounts/my_account", &DescendantOptions{Query: "den", Type: "standard", Messaging: &yes, Legal: &yes},
			"/api-v1/accounts/my_account/accounts?legal=true&messaging=true&q=den&type=standard"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, mux, ts := setup(t)
			mux.HandleFunc("/accounts/my_account/accounts", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "GET")
				testURI(t, r, tc.uri)
				testHeader(t, r, false)
				writeJSON(w, http.StatusOK, docsDescendantsJSON)
			})
			client := newTestClient(t, ts) // not account-scoped
			seq := client.Accounts.Descendants(context.Background(), tc.slug, tc.opts)
			assert.Zero(t, ts.Requests())
			accounts, errs := collectSeq(seq)
			require.Empty(t, errs)
			require.Len(t, accounts, 1)
			assert.Equal(t, "my_account", accounts[0].Slug)
			assert.Equal(t, []string{"(303) 555-1111"}, accounts[0].PhoneNumbers)
		})
	}
	t.Run("bad slug", func(t *testing.T) {
		client, mux, ts := setup(t)
		refuseAll(t, mux)
		for _, s := range []string{"", "a/b", "/contacts/x", ".."} {
			assert.Error(t, firstErr(client.Accounts.Descendants(context.Background(), s, nil)), s)
		}
		assertNothingSent(t, ts)
	})
}

// docsTreeJSON is the docs' tree example, with a grandchild added.
const docsTreeJSON = `{
  "@type": "hydra:Collection", "@context": "/contexts/hydra:Collection.jsonld", "id": "/accounts/tree",
  "members": [ { "@type": "AccountTree", "@context": "/contexts/AccountTree.jsonld", "id": "/accounts/my_account",
    "name": "Example Account", "slug": "my_account", "analytics": "/accounts/my_account/analytics",
    "children": { "@type": "hydra:Collection", "@context": "/contexts/hydra:Collection.jsonld",
      "id": "/accounts/my_account/children",
      "members": [ { "@type": "AccountTree", "@context": "/contexts/AccountTree.jsonld", "id": "/accounts/my_account_child",
        "name": "My Account Child", "slug": "my_account_child", "analytics": "/accounts/my_account_child/analytics",
        "children": { "@type": "hydra:Collection", "id": "/accounts/my_account_child/children", "members": [
          { "@type": "AccountTree", "id": "/accounts/leaf", "name": "Leaf", "slug": "leaf", "children": { "members": [] } } ] } },
        null ] } } ]
}`

func TestAccountsTree(t *testing.T) {
	for _, tc := range []struct {
		opts *TreeOptions
		uri  string
	}{{nil, "/api-v1/accounts/tree"}, {&TreeOptions{Role: "admin"}, "/api-v1/accounts/tree?role=admin"}} {
		_, mux, ts := setup(t)
		mux.HandleFunc("/accounts/tree", func(w http.ResponseWriter, r *http.Request) {
			testMethod(t, r, "GET")
			testURI(t, r, tc.uri)
			testHeader(t, r, false)
			writeJSON(w, http.StatusOK, docsTreeJSON)
		})
		roots, errs := collectSeq(newTestClient(t, ts).Accounts.Tree(context.Background(), tc.opts))
		require.Empty(t, errs)
		require.Len(t, roots, 1)
		var walked []string
		roots[0].Walk(func(a *AccountTree, depth int) bool {
			walked = append(walked, strings.Repeat("-", depth)+a.Slug)
			return true
		})
		assert.Equal(t, []string{"my_account", "-my_account_child", "--leaf"}, walked)
		assert.Equal(t, "AccountTree", roots[0].LDType)
		assert.Equal(t, "My Account Child", roots[0].Children[0].Name)
		assert.Empty(t, roots[0].Children[0].Children[0].Children)

		var first []string
		roots[0].Walk(func(a *AccountTree, _ int) bool { first = append(first, a.Slug); return len(first) < 2 })
		assert.Equal(t, []string{"my_account", "my_account_child"}, first, "Walk stops when told")
	}
}

// docsSettingsBody is the body of the docs' settings example.
const docsSettingsBody = `{"settings":{
  "inboundMmsDisabled":{"value":false},"forwardingNumber":{"value":"5555555555"},
  "campaignDeliveryCutoffTime":{"value":460},"campaignDeliveryCutoffTimeEnabled":{"value":true},
  "autoReplyMessageEnabled":{"value":true},
  "autoReplyMessage":{"value":{"officeHours":false,"message":"This is an automated reply."}},
  "companyName":{"disabled":false,"setAtAccount":"/accounts/my_account"},
  "companyFooter":{"disabled":false,"setAtAccount":"/accounts/my_account"},
  "product":{"disabled":false,"setAtAccount":"/accounts/my_account"}}}`

func TestAccountsUpdateSettings(t *testing.T) {
	off := false
	settings := map[string]AccountSetting{
		"inboundMmsDisabled":                {Value: false},
		"forwardingNumber":                  {Value: "5555555555"},
		"campaignDeliveryCutoffTime":        {Value: 460},
		"campaignDeliveryCutoffTimeEnabled": {Value: true},
		"autoReplyMessageEnabled":           {Value: true},
		"autoReplyMessage":                  {Value: map[string]any{"officeHours": false, "message": "This is an automated reply."}},
		"companyName":                       {Disabled: &off, SetAtAccount: "my_account"},
		"companyFooter":                     {Disabled: &off, SetAtAccount: "/accounts/my_account"},
		"product":                           {Disabled: &off, SetAtAccount: "my_account"},
	}
	_, mux, ts := setup(t)
	mux.HandleFunc("/accounts/my_account", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "PATCH")
		testURI(t, r, "/api-v1/accounts/my_account")
		testHeader(t, r, true)
		testJSONBody(t, r, docsSettingsBody)
		writeJSON(w, http.StatusOK, `{"@type":"Account","id":"/accounts/my_account","slug":"my_account",
		  "settings":{"inboundMmsDisabled":{"value":false}}}`)
	})
	a, err := newTestClient(t, ts).Accounts.UpdateSettings(context.Background(), "/accounts/my_account", settings)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"inboundMmsDisabled": map[string]any{"value": false}}, a.Settings)
	assert.Equal(t, 1, ts.Requests())
	assert.Equal(t, "my_account", settings["companyName"].SetAtAccount, "the caller's map is not modified")
}

func TestAccountsUpdateSettingsOutcomeUnknown(t *testing.T) {
	client, mux, ts := setup(t, WithMaxRetries(3))
	mux.HandleFunc("/accounts/my_account", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusBadGateway, `{"error":"upstream"}`)
	})
	_, err := client.Accounts.UpdateSettings(context.Background(), "my_account", map[string]AccountSetting{"x": {Value: 1}})
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	assert.Equal(t, 1, ts.Requests(), "a PATCH is not repeated once it may have arrived")
}

func TestAccountsUpdateSettingsBadInput(t *testing.T) {
	cases := map[string]struct {
		slug     string
		settings map[string]AccountSetting
	}{
		"no settings":    {"my_account", nil},
		"empty name":     {"my_account", map[string]AccountSetting{" ": {Value: 1}}},
		"bad setAt":      {"my_account", map[string]AccountSetting{"x": {SetAtAccount: "a/b"}}},
		"empty slug":     {"", map[string]AccountSetting{"x": {Value: 1}}},
		"slug with path": {"a/b", map[string]AccountSetting{"x": {Value: 1}}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			client, mux, ts := setup(t)
			refuseAll(t, mux)
			a, err := client.Accounts.UpdateSettings(context.Background(), tc.slug, tc.settings)
			require.Error(t, err)
			assert.Nil(t, a)
			assertNothingSent(t, ts)
		})
	}
}
