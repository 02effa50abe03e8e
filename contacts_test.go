package textus

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// specContactJSON is the Contact example of the API spec (§4.3).
const specContactJSON = `{
  "@type": "Contact", "@context": "/contexts/Contact.jsonld", "id": "/contacts/DQeeO69",
  "name": "Cordell Walker", "firstName": "Cordell", "lastName": "Walker",
  "phones": { "@type": "hydra:Collection", "id": "/contacts/DQeeO69/phones", "totalItems": 1,
    "members": [ { "@type": "ContactPhone", "id": "/contact_phones/mxvbRw",
      "phoneNumber": "+13035551234", "formattedPhoneNumber": "(303) 555-1234",
      "extension": null, "type": "Mobile", "deliverabilityStatus": "unknown",
      "contact": "/contacts/DQeeO69" } ] },
  "notes": { "@type": "hydra:Collection", "id": "/contacts/DQeeO69/notes", "totalItems": 0, "members": [] },
  "data": { "businessName": "McDonalds", "tags": ["cashier"] },
  "conversations": "/contacts/DQeeO69/conversations",
  "createdAt": "2020-01-06T21:49:58.312Z"
}`

// assertSpecContact checks the decoding of specContactJSON.
func assertSpecContact(t *testing.T, c *Contact) {
	t.Helper()
	require.NotNil(t, c)
	assert.Equal(t, "Contact", c.LDType)
	assert.Equal(t, "/contacts/DQeeO69", c.ID)
	assert.Equal(t, "Cordell Walker", c.Name)
	assert.Equal(t, "Cordell", c.FirstName)
	assert.Equal(t, "Walker", c.LastName)
	require.Len(t, c.Phones, 1)
	assert.Equal(t, ContactPhone{
		LDType:               "ContactPhone",
		ID:                   "/contact_phones/mxvbRw",
		PhoneNumber:          "+13035551234",
		FormattedPhoneNumber: "(303) 555-1234",
		Extension:            "",
		Type:                 "Mobile",
		DeliverabilityStatus: "unknown",
		ContactID:            "/contacts/DQeeO69",
	}, c.Phones[0])
	assert.Empty(t, c.PhonesIRI)
	assert.Equal(t, map[string]any{"businessName": "McDonalds", "tags": []any{"cashier"}}, c.Data)
	assert.Equal(t, "/contacts/DQeeO69/conversations", c.Conversations)
	assert.True(t, c.CreatedAt.Equal(time.Date(2020, 1, 6, 21, 49, 58, 312e6, time.UTC)), "CreatedAt %v", c.CreatedAt)
	assert.JSONEq(t, specContactJSON, string(c.Raw))
}

func contactMember(id, phone string) string {
	return `{"@type":"Contact","id":"/contacts/` + id + `","name":"C ` + id + `","phones":{"@type":"hydra:Collection","members":[` +
		`{"@type":"ContactPhone","id":"/contact_phones/p` + id + `","phoneNumber":"` + phone + `"}]}}`
}

func TestContactsGetNotFound(t *testing.T) {
	client, mux, _ := setup(t)
	mux.HandleFunc("/contacts/nope", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, `{"hydra:title":"An error occurred","hydra:description":"Not Found"}`)
	})
	_, err := client.Contacts.Get(context.Background(), "nope")
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrNotFound))
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusNotFound, apiErr.StatusCode)
	assert.Equal(t, "GET", apiErr.Method)
}

func TestContactsCreate(t *testing.T) {
	client, mux, _ := setup(t)
	mux.HandleFunc("/my_account/contacts", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "POST")
		testURI(t, r, "/api-v1/my_account/contacts")
		testHeader(t, r, true)
		testJSONBody(t, r, `{
			"name": "Cordell Walker",
			"phones": [
				{"number": "+13035551234", "type": "Mobile"},
				{"number": "+13031234567 x2921"}
			],
			"data": {"businessName": "McDonalds", "tags": ["cashier"]}
		}`)
		writeJSON(w, http.StatusOK, specContactJSON) // the documented status is 200
	})
	c, err := client.Contacts.Create(context.Background(), &ContactParams{
		Name: "Cordell Walker",
		Phones: []PhoneParams{
			{Number: "1-303-555-1234", Type: "Mobile"},
			{Number: "1-303-123-4567 x2921"}, // normalised, extension kept: the API takes extensions here
		},
		Data: map[string]any{"businessName": "McDonalds", "tags": []string{"cashier"}},
	})
	require.NoError(t, err)
	assertSpecContact(t, c)
}

func TestContactsCreateOnlyName(t *testing.T) {
	client, mux, _ := setup(t)
	mux.HandleFunc("/my_account/contacts", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "POST")
		testJSONBody(t, r, `{"name":"Solo"}`)
		writeJSON(w, http.StatusCreated, `{"@type":"Contact","id":"/contacts/abc","name":"Solo"}`)
	})
	c, err := client.Contacts.Create(context.Background(), &ContactParams{Name: "Solo"})
	require.NoError(t, err)
	assert.Equal(t, "/contacts/abc", c.ID)
	assert.Empty(t, c.Phones)
}

func TestContactsCreateBadInput(t *testing.T) {
	tests := map[string]*ContactParams{
		"nil params":        nil,
		"no name, no phone": {},
		"blank name":        {Name: "   "},
		"empty phone":       {Name: "A", Phones: []PhoneParams{{Number: ""}}},
		"blank phone":       {Name: "A", Phones: []PhoneParams{{Number: " ", Type: "Mobile"}}},
	}
	for name, p := range tests {
		t.Run(name, func(t *testing.T) {
			client, mux, ts := setup(t)
			refuseAll(t, mux)
			c, err := client.Contacts.Create(context.Background(), p)
			require.Error(t, err)
			assert.Nil(t, c)
			assertNothingSent(t, ts)
		})
	}
}

func TestContactsCreateNoAccount(t *testing.T) {
	_, mux, ts := setup(t)
	refuseAll(t, mux)
	client := newTestClient(t, ts) // no WithAccount
	_, err := client.Contacts.Create(context.Background(), &ContactParams{Name: "A"})
	require.ErrorIs(t, err, ErrNoAccount)
	assertNothingSent(t, ts)
}

func TestContactsUpdate(t *testing.T) {
	for _, id := range []string{"/contacts/DQeeO69", "DQeeO69"} {
		t.Run(id, func(t *testing.T) {
			client, mux, _ := setup(t)
			mux.HandleFunc("/contacts/DQeeO69", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "PUT")
				testURI(t, r, "/api-v1/contacts/DQeeO69")
				testHeader(t, r, true)
				testJSONBody(t, r, `{"name":"Cordell Walker","data":{"businessName":"McDonalds","tags":["cashier"]}}`)
				writeJSON(w, http.StatusOK, specContactJSON)
			})
			c, err := client.Contacts.Update(context.Background(), id, &ContactParams{
				Name: "Cordell Walker",
				Data: map[string]any{"businessName": "McDonalds", "tags": []string{"cashier"}},
			})
			require.NoError(t, err)
			assertSpecContact(t, c)
		})
	}
}

func TestContactsUpdatePhonesOnly(t *testing.T) {
	client, mux, _ := setup(t)
	mux.HandleFunc("/contacts/DQeeO69", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "PUT")
		testJSONBody(t, r, `{"phones":[{"number":"+13035550000","type":"Work"}]}`)
		writeJSON(w, http.StatusOK, specContactJSON)
	})
	_, err := client.Contacts.Update(context.Background(), "DQeeO69", &ContactParams{
		Phones: []PhoneParams{{Number: "+13035550000", Type: "Work"}},
	})
	require.NoError(t, err)
}

func TestContactsUpdateBadInput(t *testing.T) {
	tests := []struct {
		name string
		id   string
		p    *ContactParams
	}{
		{"nil params", "DQeeO69", nil},
		{"no fields", "DQeeO69", &ContactParams{}},
		// Empty lists and maps are not sent (omitempty), so they change nothing either.
		{"empty phones and data", "DQeeO69", &ContactParams{Phones: []PhoneParams{}, Data: map[string]any{}}},
		{"empty id", "", &ContactParams{Name: "A"}},
		{"IRI of another type", "/messages/x", &ContactParams{Name: "A"}},
		{"empty phone number", "DQeeO69", &ContactParams{Phones: []PhoneParams{{Type: "Mobile"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, mux, ts := setup(t)
			refuseAll(t, mux)
			c, err := client.Contacts.Update(context.Background(), tt.id, tt.p)
			require.Error(t, err)
			assert.Nil(t, c)
			assertNothingSent(t, ts)
		})
	}
}

func TestContactsList(t *testing.T) {
	client, mux, ts := setup(t)
	mux.HandleFunc("/my_account/contacts", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		testHeader(t, r, false)
		switch r.URL.Query().Get("cursor") {
		case "":
			testURI(t, r, "/api-v1/my_account/contacts")
			writeJSON(w, http.StatusOK, hydraPage("/my_account/contacts", 3, "/my_account/contacts?cursor=p2",
				contactMember("a", "+13035550001"), contactMember("b", "+13035550002")))
		case "p2":
			testURI(t, r, "/api-v1/my_account/contacts?cursor=p2")
			writeJSON(w, http.StatusOK, hydraPage("/my_account/contacts?cursor=p2", 3, "",
				contactMember("c", "+13035550003")))
		default:
			t.Errorf("unexpected cursor in %s", r.RequestURI)
		}
	})
	seq := client.Contacts.List(context.Background(), nil)
	assert.Zero(t, ts.Requests(), "List must not fetch before the first step")
	got, errs := collectSeq(seq)
	require.Empty(t, errs)
	require.Len(t, got, 3)
	assert.Equal(t, "/contacts/a", got[0].ID)
	assert.Equal(t, "/contacts/b", got[1].ID)
	assert.Equal(t, "/contacts/c", got[2].ID)
	assert.Equal(t, "+13035550003", got[2].Phones[0].PhoneNumber)
	assert.Equal(t, 2, ts.Requests())
}

func TestContactsListWithQuery(t *testing.T) {
	tests := []struct {
		name string
		opts *ContactListOptions
		uri  string
	}{
		{"default filter", &ContactListOptions{Query: "Chuck Norris"}, "/api-v1/my_account/contact_filters/all/contacts?q=Chuck+Norris"},
		{"named filter", &ContactListOptions{Query: "+1303", Filter: "mine"}, "/api-v1/my_account/contact_filters/mine/contacts?q=%2B1303"},
		{"empty query lists all", &ContactListOptions{Filter: "mine"}, "/api-v1/my_account/contacts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, mux, ts := setup(t)
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "GET")
				testURI(t, r, tt.uri)
				writeJSON(w, http.StatusOK, hydraPage("/x", 1, "", contactMember("a", "+13035550001")))
			})
			got, errs := collectSeq(client.Contacts.List(context.Background(), tt.opts))
			require.Empty(t, errs)
			require.Len(t, got, 1)
			assert.Equal(t, 1, ts.Requests())
		})
	}
}

func TestContactsListCopiesOptions(t *testing.T) {
	client, mux, _ := setup(t)
	mux.HandleFunc("/my_account/contact_filters/all/contacts", func(w http.ResponseWriter, r *http.Request) {
		testURI(t, r, "/api-v1/my_account/contact_filters/all/contacts?q=first")
		writeJSON(w, http.StatusOK, hydraPage("/x", 0, ""))
	})
	opts := &ContactListOptions{Query: "first"}
	seq := client.Contacts.List(context.Background(), opts)
	opts.Query = "changed after the call"
	_, errs := collectSeq(seq)
	require.Empty(t, errs)
}

func TestContactsListNoAccount(t *testing.T) {
	_, mux, ts := setup(t)
	refuseAll(t, mux)
	client := newTestClient(t, ts)
	got, errs := collectSeq(client.Contacts.List(context.Background(), nil))
	assert.Empty(t, got)
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], ErrNoAccount)
	assertNothingSent(t, ts)
}

func TestContactsListPage(t *testing.T) {
	client, mux, ts := setup(t)
	mux.HandleFunc("/my_account/contacts", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		if r.URL.Query().Get("cursor") == "" {
			testURI(t, r, "/api-v1/my_account/contacts")
			writeJSON(w, http.StatusOK, hydraPage("/my_account/contacts", 3, "/my_account/contacts?cursor=MjU",
				contactMember("a", "+13035550001"), contactMember("b", "+13035550002")))
			return
		}
		testURI(t, r, "/api-v1/my_account/contacts?cursor=MjU")
		writeJSON(w, http.StatusOK, hydraPage("/my_account/contacts?cursor=MjU", 3, "", contactMember("c", "+13035550003")))
	})
	p1, err := client.Contacts.ListPage(context.Background(), nil, "")
	require.NoError(t, err)
	require.Len(t, p1.Items, 2)
	assert.Equal(t, 3, p1.TotalItems)
	assert.True(t, p1.HasNext())
	assert.Equal(t, "/my_account/contacts?cursor=MjU", p1.NextCursor)

	// Resume from the saved cursor with a new client, as another process would.
	resumed := newTestClient(t, ts, WithAccount(testAccount))
	p2, err := resumed.Contacts.ListPage(context.Background(), nil, p1.NextCursor)
	require.NoError(t, err)
	require.Len(t, p2.Items, 1)
	assert.Equal(t, "/contacts/c", p2.Items[0].ID)
	assert.False(t, p2.HasNext())
	assert.Empty(t, p2.NextCursor)
	assert.Equal(t, 2, ts.Requests())
}

func TestContactsListPageQuery(t *testing.T) {
	client, mux, _ := setup(t)
	mux.HandleFunc("/my_account/contact_filters/all/contacts", func(w http.ResponseWriter, r *http.Request) {
		testURI(t, r, "/api-v1/my_account/contact_filters/all/contacts?q=walker")
		writeJSON(w, http.StatusOK, hydraPage("/x", 1, "", contactMember("a", "+13035550001")))
	})
	p, err := client.Contacts.ListPage(context.Background(), &ContactListOptions{Query: "walker"}, "")
	require.NoError(t, err)
	require.Len(t, p.Items, 1)
	assert.False(t, p.HasNext())
}

func TestContactsSearch(t *testing.T) {
	client, mux, ts := setup(t)
	mux.HandleFunc("/my_account/contact_filters/all/contacts", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		testURI(t, r, "/api-v1/my_account/contact_filters/all/contacts?q=303555")
		testHeader(t, r, false)
		writeJSON(w, http.StatusOK, hydraPage("/x", 1, "", specContactJSON))
	})
	seq := client.Contacts.Search(context.Background(), "303555")
	assert.Zero(t, ts.Requests())
	got, errs := collectSeq(seq)
	require.Empty(t, errs)
	require.Len(t, got, 1)
	assertSpecContact(t, got[0])
}

func TestContactsSearchEmpty(t *testing.T) {
	client, mux, ts := setup(t)
	refuseAll(t, mux)
	got, errs := collectSeq(client.Contacts.Search(context.Background(), "  "))
	assert.Empty(t, got)
	require.Len(t, errs, 1)
	assertNothingSent(t, ts)
}

func TestContactsFindByPhone(t *testing.T) {
	for _, phone := range []string{"+13035551234", "(303) 555-1234", "303-555-1234", "1-303-555-1234"} {
		t.Run(phone, func(t *testing.T) {
			client, mux, _ := setup(t)
			mux.HandleFunc("/my_account/contact_filters/all/contacts", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "GET")
				testURI(t, r, "/api-v1/my_account/contact_filters/all/contacts?q=3035551234")
				// A loose match first: the search is by the national
				// digits, which every stored form holds; only the same
				// number counts.
				writeJSON(w, http.StatusOK, hydraPage("/x", 2, "", contactMember("near", "+130355512345"), specContactJSON))
			})
			c, err := client.Contacts.FindByPhone(context.Background(), phone)
			require.NoError(t, err)
			assertSpecContact(t, c)
		})
	}
}

func TestContactsFindByPhoneStopsAtMatch(t *testing.T) {
	client, mux, ts := setup(t)
	mux.HandleFunc("/my_account/contact_filters/all/contacts", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("cursor") != "" {
			t.Errorf("page 2 fetched after the match was found")
		}
		writeJSON(w, http.StatusOK, hydraPage("/x", 9, "/my_account/contact_filters/all/contacts?q=3035551234&cursor=2", specContactJSON))
	})
	_, err := client.Contacts.FindByPhone(context.Background(), "+13035551234")
	require.NoError(t, err)
	assert.Equal(t, 1, ts.Requests())
}

func TestContactsFindByPhoneNotFound(t *testing.T) {
	client, mux, _ := setup(t)
	mux.HandleFunc("/my_account/contact_filters/all/contacts", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, hydraPage("/x", 1, "", contactMember("other", "+13035559999")))
	})
	c, err := client.Contacts.FindByPhone(context.Background(), "+13035551234")
	assert.Nil(t, c)
	require.ErrorIs(t, err, ErrNotFound)
}

func TestContactsFindByPhoneBadInput(t *testing.T) {
	for _, phone := range []string{"", "abc", "555-1234"} {
		t.Run(phone, func(t *testing.T) {
			client, mux, ts := setup(t)
			refuseAll(t, mux)
			_, err := client.Contacts.FindByPhone(context.Background(), phone)
			require.ErrorIs(t, err, ErrInvalidPhone)
			assertNothingSent(t, ts)
		})
	}
}

func TestContactsSearchPhones(t *testing.T) {
	client, mux, ts := setup(t)
	mux.HandleFunc("/my_account/contact_phones", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		testURI(t, r, "/api-v1/my_account/contact_phones?q=Chuck")
		testHeader(t, r, false)
		writeJSON(w, http.StatusOK, `{
		  "@type": "hydra:Collection", "id": "/my_account/contact_phones", "totalItems": 1,
		  "members": [ {
		    "@type": "RecipientContactPhone", "id": "/contact_phones/mxvbRw",
		    "phoneNumber": "+13035551234", "formattedPhoneNumber": "(303) 555-1234",
		    "extension": "12", "type": "Mobile", "deliverabilityStatus": "unknown",
		    "contact": { "@type": "ContactItem", "id": "/contacts/DQeeO69", "name": "Chuck Norris",
		      "phones": "/contacts/DQeeO69/phones", "notes": "/contacts/DQeeO69/notes",
		      "conversations": "/contacts/DQeeO69/conversations" }
		  } ],
		  "view": { "@type": "hydra:PartialCollectionView", "id": "/my_account/contact_phones", "next": null }
		}`)
	})
	seq := client.Contacts.SearchPhones(context.Background(), "Chuck")
	assert.Zero(t, ts.Requests())
	got, errs := collectSeq(seq)
	require.Empty(t, errs)
	require.Len(t, got, 1)
	p := got[0]
	assert.Equal(t, "RecipientContactPhone", p.LDType)
	assert.Equal(t, "/contact_phones/mxvbRw", p.ID)
	assert.Equal(t, "+13035551234", p.PhoneNumber)
	assert.Equal(t, "12", p.Extension)
	assert.Equal(t, "/contacts/DQeeO69", p.ContactID)
	require.NotNil(t, p.Contact)
	assert.Equal(t, "ContactItem", p.Contact.LDType)
	assert.Equal(t, "Chuck Norris", p.Contact.Name)
	assert.Empty(t, p.Contact.Phones)
	assert.Equal(t, "/contacts/DQeeO69/phones", p.Contact.PhonesIRI)
	assert.Equal(t, "/contacts/DQeeO69/conversations", p.Contact.Conversations)
}

func TestContactsSearchPhonesBadInput(t *testing.T) {
	client, mux, ts := setup(t)
	refuseAll(t, mux)
	_, errs := collectSeq(client.Contacts.SearchPhones(context.Background(), ""))
	require.Len(t, errs, 1)

	noAccount := newTestClient(t, ts)
	_, errs = collectSeq(noAccount.Contacts.SearchPhones(context.Background(), "Chuck"))
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], ErrNoAccount)
	assertNothingSent(t, ts)
}

func TestContactsConversations(t *testing.T) {
	for _, id := range []string{"/contacts/DQeeO69", "DQeeO69"} {
		t.Run(id, func(t *testing.T) {
			client, mux, ts := setup(t)
			mux.HandleFunc("/contacts/DQeeO69/conversations", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "GET")
				testURI(t, r, "/api-v1/contacts/DQeeO69/conversations")
				testHeader(t, r, false)
				writeJSON(w, http.StatusOK, `{
				  "@type": "ConversationCollection", "id": "/contacts/DQeeO69/conversations", "totalItems": 2,
				  "members": [
				    { "@type": "ConversationWithAccount", "id": "/conversations/kY1QwY", "currentState": "open",
				      "phoneNumber": "+13035551234",
				      "account": { "@type": "Account", "id": "/accounts/my_account", "name": "My Account" } },
				    { "@type": "ConversationWithAccount", "id": "/conversations/zZ9", "currentState": "closed",
				      "phoneNumber": "+13035551234", "account": "/accounts/other" }
				  ]
				}`)
			})
			seq := client.Contacts.Conversations(context.Background(), id)
			assert.Zero(t, ts.Requests())
			got, errs := collectSeq(seq)
			require.Empty(t, errs)
			require.Len(t, got, 2)
			assert.Equal(t, "/conversations/kY1QwY", got[0].ID)
			assert.Equal(t, ConversationOpen, got[0].CurrentState)
			assert.Equal(t, "/accounts/my_account", got[0].Account)
			assert.Equal(t, ConversationClosed, got[1].CurrentState)
			assert.Equal(t, "/accounts/other", got[1].Account)
		})
	}
}

// Contacts embed their phones as a hydra collection, send them as a link
// string, or (in some payloads) as a bare array; all three decode.
func TestContactPhonesForms(t *testing.T) {
	phone := `{"@type":"ContactPhone","id":"/contact_phones/mxvbRw","phoneNumber":"+13035551234","extension":"2921","contact":"/contacts/DQeeO69"}`
	tests := []struct {
		name    string
		phones  string
		wantN   int
		wantIRI string
	}{
		{"hydra collection", `{"@type":"hydra:Collection","id":"/contacts/DQeeO69/phones","totalItems":1,"members":[` + phone + `]}`, 1, ""},
		{"prefixed hydra collection", `{"@type":"hydra:Collection","id":"/contacts/DQeeO69/phones","hydra:totalItems":1,"hydra:member":[` + phone + `]}`, 1, ""},
		{"link string", `"/contacts/DQeeO69/phones"`, 0, "/contacts/DQeeO69/phones"},
		{"bare array", `[` + phone + `]`, 1, ""},
		{"empty collection", `{"@type":"hydra:Collection","id":"/contacts/DQeeO69/phones","totalItems":0,"members":[]}`, 0, "/contacts/DQeeO69/phones"},
		{"null", `null`, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Contact
			require.NoError(t, c.UnmarshalJSON([]byte(`{"@type":"Contact","id":"/contacts/DQeeO69","phones":`+tt.phones+`}`)))
			require.Len(t, c.Phones, tt.wantN)
			assert.Equal(t, tt.wantIRI, c.PhonesIRI)
			if tt.wantN == 1 {
				assert.Equal(t, "+13035551234", c.Phones[0].PhoneNumber)
				assert.Equal(t, "2921", c.Phones[0].Extension)
				assert.Equal(t, "/contacts/DQeeO69", c.Phones[0].ContactID)
				assert.Nil(t, c.Phones[0].Contact)
			}
		})
	}
}

// docsGetContactJSON is the example of the docs' contact page: notes
// embedded, and the customData collection (empty).
const docsGetContactJSON = `{
  "id": "/contacts/Vled2N", "@type": "Contact", "@context": "/contexts/Contact.jsonld",
  "name": "Jamel Hirthe", "firstName": "Jamel", "lastName": "Hirthe",
  "phones": { "id": "/contacts/Vled2N/phones", "@type": "hydra:Collection", "totalItems": 1,
    "members": [ { "@type": "ContactPhone", "id": "/contact_phones/mxvbRw", "phoneNumber": "+13035551234",
      "formattedPhoneNumber": "(303) 555-1234", "extension": null, "type": "Mobile",
      "deliverabilityStatus": "unknown", "contact": "/contacts/DQeeO69" } ] },
  "notes": { "@type": "hydra:Collection", "id": "/contacts/DQeeO69/notes", "totalItems": 0,
    "members": [ ` + specNoteJSON + ` ] },
  "conversations": "/contacts/DQeeO69/conversations",
  "data": {},
  "customData": { "@context": "/contexts/hydra:Collection.jsonld", "@type": "hydra:Collection",
    "id": "/contacts/DQeeO69/custom_data", "members": [], "totalItems": 0 },
  "createdAt": "2020-01-06T21:49:58.312Z"
}`

func TestContactCustomAndFormattedData(t *testing.T) {
	var c Contact
	require.NoError(t, json.Unmarshal([]byte(docsGetContactJSON), &c))
	assert.Equal(t, "Jamel Hirthe", c.Name)
	require.Len(t, c.Phones, 1)
	assert.Equal(t, "/contact_phones/mxvbRw", c.Phones[0].ID)
	assert.Empty(t, c.CustomData)
	assert.Equal(t, "/contacts/DQeeO69/custom_data", c.CustomDataIRI)
	assert.Nil(t, c.FormattedData)

	const withData = `{"id":"/contacts/1","formattedData":{"businessName":"Acme","startDate":"Jan 2, 2025"},
	  "customData":{"id":"/contacts/1/custom_data","members":[
	    {"@type":"ContactCustomData","id":"/contacts/1/custom_data/calendar-link","slug":"calendar-link","title":"Calendar Link","type":"url","value":"https://cal.example/j"},
	    {"key":"startDate","value":"2025-01-02","extra":{"x":1}},
	    {"slug":7,"value":[1,2]}]}}`
	require.NoError(t, json.Unmarshal([]byte(withData), &c))
	assert.Equal(t, map[string]any{"businessName": "Acme", "startDate": "Jan 2, 2025"}, c.FormattedData)
	assert.Empty(t, c.CustomDataIRI)
	require.Len(t, c.CustomData, 3)
	assert.Equal(t, CustomDataItem{LDType: "ContactCustomData", ID: "/contacts/1/custom_data/calendar-link",
		Slug: "calendar-link", Title: "Calendar Link", Type: "url", Value: "https://cal.example/j",
		Raw: c.CustomData[0].Raw}, c.CustomData[0])
	assert.Equal(t, "startDate", c.CustomData[1].Slug, "key is read when slug is absent")
	assert.Equal(t, "2025-01-02", c.CustomData[1].Value)
	assert.Contains(t, string(c.CustomData[1].Raw), `"extra"`)
	assert.Empty(t, c.CustomData[2].Slug, "a slug of the wrong type is left empty")
	assert.Equal(t, []any{1.0, 2.0}, c.CustomData[2].Value)

	// A customData sent as a link, and a formattedData of the wrong type.
	require.NoError(t, json.Unmarshal([]byte(`{"id":"/contacts/1","customData":"/contacts/1/custom_data","formattedData":"x"}`), &c))
	assert.Equal(t, "/contacts/1/custom_data", c.CustomDataIRI)
	assert.Nil(t, c.FormattedData)
}

func TestContactsCustomData(t *testing.T) {
	client, mux, ts := setup(t)
	mux.HandleFunc("/contacts/DQeeO69/custom_data", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		testURI(t, r, "/api-v1/contacts/DQeeO69/custom_data")
		testHeader(t, r, false)
		writeJSON(w, http.StatusOK, hydraPage("/contacts/DQeeO69/custom_data", 1, "",
			`{"@type":"ContactCustomData","slug":"calendar-link","title":"Calendar Link","type":"url","value":"https://cal.example/j"}`))
	})
	seq := client.Contacts.CustomData(context.Background(), "/contacts/DQeeO69")
	assert.Zero(t, ts.Requests())
	items, errs := collectSeq(seq)
	require.Empty(t, errs)
	require.Len(t, items, 1)
	assert.Equal(t, "calendar-link", items[0].Slug)
	assert.Equal(t, "https://cal.example/j", items[0].Value)
	assert.Equal(t, 1, ts.Requests())
}
