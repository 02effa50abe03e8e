package textus

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// specOptOutJSON is the OptOut example of the API spec (§4.7).
const specOptOutJSON = `{
  "@type": "OptOut", "@context": "/contexts/OptOut.jsonld", "id": "/textus/opt_outs/+15553031234",
  "createdAt": "2020-07-30T15:18:52.133Z", "formattedPhoneNumber": "5553031234",
  "user": null, "createdVia": "User",
  "originatingAccount": { "@type": "Account", "id": "/accounts/my_account", "name": "My Account" }
}`

// specOptOutCollectionJSON is the paginated collection example of the API
// spec (§5).
const specOptOutCollectionJSON = `{
  "@type": "hydra:Collection", "@context": "/contexts/hydra:Collection.jsonld", "id": "/my_account/opt_outs",
  "totalItems": 57,
  "members": [ { "@type": "OptOut", "id": "/textus/opt_outs/+15553031234", "createdAt": "2020-07-30T15:18:52.133Z",
    "formattedPhoneNumber": "5553031234", "user": null, "createdVia": "User" } ],
  "view": { "@type": "hydra:PartialCollectionView", "@context": "/contexts/hydra:PartialCollectionView.jsonld",
    "id": "/my_account/opt_outs", "first": "/my_account/opt_outs",
    "next": "/my_account/opt_outs?cursor=MjU", "previous": null }
}`

func assertSpecOptOut(t *testing.T, o *OptOut) {
	t.Helper()
	require.NotNil(t, o)
	assert.Equal(t, "OptOut", o.LDType)
	assert.Equal(t, "/textus/opt_outs/+15553031234", o.ID)
	assert.Equal(t, "+15553031234", o.PhoneNumber)
	assert.Equal(t, "5553031234", o.FormattedPhoneNumber)
	assert.True(t, o.CreatedAt.Equal(time.Date(2020, 7, 30, 15, 18, 52, 133e6, time.UTC)), "CreatedAt %v", o.CreatedAt)
	assert.Equal(t, "User", o.CreatedVia)
	assert.Empty(t, o.User)
	assert.Equal(t, "/accounts/my_account", o.Account)
	assert.JSONEq(t, specOptOutJSON, string(o.Raw))
}

func TestOptOutsList(t *testing.T) {
	client, mux, ts := setup(t)
	mux.HandleFunc("/my_account/opt_outs", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		testHeader(t, r, false)
		if r.URL.Query().Get("cursor") == "" {
			testURI(t, r, "/api-v1/my_account/opt_outs")
			writeJSON(w, http.StatusOK, specOptOutCollectionJSON)
			return
		}
		testURI(t, r, "/api-v1/my_account/opt_outs?cursor=MjU")
		writeJSON(w, http.StatusOK, hydraPage("/my_account/opt_outs?cursor=MjU", 57, "", specOptOutJSON))
	})
	seq := client.OptOuts.List(context.Background(), nil)
	assert.Zero(t, ts.Requests(), "List must not fetch before the first step")
	got, errs := collectSeq(seq)
	require.Empty(t, errs)
	require.Len(t, got, 2)
	assert.Equal(t, "/textus/opt_outs/+15553031234", got[0].ID)
	assert.Equal(t, "+15553031234", got[0].PhoneNumber)
	assert.Empty(t, got[0].Account)
	assertSpecOptOut(t, got[1])
	assert.Equal(t, 2, ts.Requests())
}

func TestOptOutsListQuery(t *testing.T) {
	tests := []struct {
		name string
		opts *OptOutListOptions
		uri  string
	}{
		{"q", &OptOutListOptions{Query: "303"}, "/api-v1/my_account/opt_outs?q=303"},
		{"q with plus", &OptOutListOptions{Query: "+1303"}, "/api-v1/my_account/opt_outs?q=%2B1303"},
		{"exact", &OptOutListOptions{Exact: []string{"+13035551234"}}, "/api-v1/my_account/opt_outs?exact%5B%5D=3035551234"},
		{
			"exact normalised",
			&OptOutListOptions{Exact: []string{"(303) 555-1234", "720.555.0000"}},
			"/api-v1/my_account/opt_outs?exact%5B%5D=3035551234&exact%5B%5D=7205550000",
		},
		{
			"exact outside North America stays E.164",
			&OptOutListOptions{Exact: []string{"+44 20 7123 4567"}},
			"/api-v1/my_account/opt_outs?exact%5B%5D=%2B442071234567",
		},
		{
			"q and exact",
			&OptOutListOptions{Query: "555", Exact: []string{"+13035551234"}},
			"/api-v1/my_account/opt_outs?exact%5B%5D=3035551234&q=555",
		},
		{"empty options", &OptOutListOptions{}, "/api-v1/my_account/opt_outs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, mux, ts := setup(t)
			mux.HandleFunc("/my_account/opt_outs", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "GET")
				testURI(t, r, tt.uri)
				writeJSON(w, http.StatusOK, hydraPage("/my_account/opt_outs", 1, "", specOptOutJSON))
			})
			got, errs := collectSeq(client.OptOuts.List(context.Background(), tt.opts))
			require.Empty(t, errs)
			require.Len(t, got, 1)
			assert.Equal(t, 1, ts.Requests())
		})
	}
}

// List copies the caller's options: changing them after the call, or the
// normalisation of Exact, touches neither the request nor the caller's slice.
func TestOptOutsListCopiesOptions(t *testing.T) {
	client, mux, _ := setup(t)
	mux.HandleFunc("/my_account/opt_outs", func(w http.ResponseWriter, r *http.Request) {
		testURI(t, r, "/api-v1/my_account/opt_outs?exact%5B%5D=3035551234")
		writeJSON(w, http.StatusOK, hydraPage("/my_account/opt_outs", 0, ""))
	})
	exact := []string{"303-555-1234"}
	opts := &OptOutListOptions{Exact: exact}
	seq := client.OptOuts.List(context.Background(), opts)
	opts.Query = "x"
	_, errs := collectSeq(seq)
	require.Empty(t, errs)
	assert.Equal(t, []string{"303-555-1234"}, exact)
}

func TestOptOutsListBadInput(t *testing.T) {
	tests := map[string]*OptOutListOptions{
		"query of 1":       {Query: "3"},
		"query of 2":       {Query: "30"},
		"query of 2 blank": {Query: " 30 "},
		"bad exact":        {Exact: []string{"+13035551234", "555-1234"}},
		"empty exact":      {Exact: []string{""}},
	}
	for name, opts := range tests {
		t.Run(name, func(t *testing.T) {
			client, mux, ts := setup(t)
			refuseAll(t, mux)
			got, errs := collectSeq(client.OptOuts.List(context.Background(), opts))
			assert.Empty(t, got)
			require.Len(t, errs, 1)
			assertNothingSent(t, ts)
		})
	}
	t.Run("bad exact is an invalid phone", func(t *testing.T) {
		client, mux, ts := setup(t)
		refuseAll(t, mux)
		_, errs := collectSeq(client.OptOuts.List(context.Background(), &OptOutListOptions{Exact: []string{"abc"}}))
		require.Len(t, errs, 1)
		assert.ErrorIs(t, errs[0], ErrInvalidPhone)
		assertNothingSent(t, ts)
	})
	t.Run("no account", func(t *testing.T) {
		_, mux, ts := setup(t)
		refuseAll(t, mux)
		client := newTestClient(t, ts)
		_, errs := collectSeq(client.OptOuts.List(context.Background(), nil))
		require.Len(t, errs, 1)
		assert.ErrorIs(t, errs[0], ErrNoAccount)
		assertNothingSent(t, ts)
	})
}

// optOutPathCases: the opt-out path takes the 10-digit national number for
// +1 numbers (as the API's examples do) and E.164 otherwise.
var optOutPathCases = []struct{ phone, uri string }{
	{"+15553031234", "/api-v1/my_account/opt_outs/5553031234"},
	{"(555) 303-1234", "/api-v1/my_account/opt_outs/5553031234"},
	{"555-303-1234", "/api-v1/my_account/opt_outs/5553031234"},
	{"1-555-303-1234", "/api-v1/my_account/opt_outs/5553031234"},
	{"5553031234", "/api-v1/my_account/opt_outs/5553031234"},
	{"+44 20 7946 0958", "/api-v1/my_account/opt_outs/+442079460958"},
}

func TestOptOutsGet(t *testing.T) {
	for _, tt := range optOutPathCases {
		t.Run(tt.phone, func(t *testing.T) {
			client, mux, ts := setup(t)
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "GET")
				testURI(t, r, tt.uri)
				testHeader(t, r, false)
				testNoBody(t, r)
				writeJSON(w, http.StatusOK, specOptOutJSON)
			})
			o, err := client.OptOuts.Get(context.Background(), tt.phone)
			require.NoError(t, err)
			assertSpecOptOut(t, o)
			assert.Equal(t, 1, ts.Requests())
		})
	}
}

func TestOptOutsGetNotFound(t *testing.T) {
	client, mux, ts := setup(t)
	mux.HandleFunc("/my_account/opt_outs/5553031234", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, `{"hydra:title":"An error occurred","hydra:description":"Not Found"}`)
	})
	o, err := client.OptOuts.Get(context.Background(), "+15553031234")
	assert.Nil(t, o)
	require.ErrorIs(t, err, ErrNotFound)
	assert.Equal(t, 1, ts.Requests(), "a 404 is not retried")
}

// The docs leave open whether "no opt-out" is a 404 or an empty answer;
// an answer without an opt-out is ErrNotFound as well.
func TestOptOutsGetEmptyAnswer(t *testing.T) {
	for name, body := range map[string]string{"empty object": `{}`, "no body": ``, "null": `null`} {
		t.Run(name, func(t *testing.T) {
			client, mux, _ := setup(t)
			mux.HandleFunc("/my_account/opt_outs/5553031234", func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusOK, body)
			})
			o, err := client.OptOuts.Get(context.Background(), "+15553031234")
			assert.Nil(t, o)
			require.ErrorIs(t, err, ErrNotFound)

			opted, err := client.OptOuts.IsOptedOut(context.Background(), "+15553031234")
			require.NoError(t, err)
			assert.False(t, opted)
		})
	}
}

func TestOptOutsCreate(t *testing.T) {
	for _, tt := range optOutPathCases {
		t.Run(tt.phone, func(t *testing.T) {
			client, mux, ts := setup(t)
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "PUT")
				testURI(t, r, tt.uri)
				testHeader(t, r, false) // no body, so no Content-Type
				testNoBody(t, r)
				writeJSON(w, http.StatusCreated, specOptOutJSON)
			})
			o, err := client.OptOuts.Create(context.Background(), tt.phone)
			require.NoError(t, err)
			assertSpecOptOut(t, o)
			assert.Equal(t, 1, ts.Requests())
		})
	}
}

// Create is a PUT, safe to repeat, so a transient failure is retried.
func TestOptOutsCreateRetried(t *testing.T) {
	client, mux, ts := setup(t)
	var calls atomic.Int32
	mux.HandleFunc("/my_account/opt_outs/5553031234", func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			writeJSON(w, http.StatusServiceUnavailable, `{"error":"busy"}`)
			return
		}
		writeJSON(w, http.StatusCreated, specOptOutJSON)
	})
	o, err := client.OptOuts.Create(context.Background(), "+15553031234")
	require.NoError(t, err)
	assertSpecOptOut(t, o)
	assert.Equal(t, 2, ts.Requests())
}

func TestOptOutsBadInput(t *testing.T) {
	for _, phone := range []string{"", "abc", "555-1234", "+12", "0035551234", "303-555-1234 x12"} {
		t.Run(phone, func(t *testing.T) {
			client, mux, ts := setup(t)
			refuseAll(t, mux)
			_, err := client.OptOuts.Get(context.Background(), phone)
			require.ErrorIs(t, err, ErrInvalidPhone)
			_, err = client.OptOuts.Create(context.Background(), phone)
			require.ErrorIs(t, err, ErrInvalidPhone)
			opted, err := client.OptOuts.IsOptedOut(context.Background(), phone)
			require.ErrorIs(t, err, ErrInvalidPhone)
			assert.False(t, opted)
			assertNothingSent(t, ts)
		})
	}
	t.Run("no account", func(t *testing.T) {
		_, mux, ts := setup(t)
		refuseAll(t, mux)
		client := newTestClient(t, ts)
		_, err := client.OptOuts.Get(context.Background(), "+15553031234")
		require.ErrorIs(t, err, ErrNoAccount)
		_, err = client.OptOuts.Create(context.Background(), "+15553031234")
		require.ErrorIs(t, err, ErrNoAccount)
		_, err = client.OptOuts.IsOptedOut(context.Background(), "+15553031234")
		require.ErrorIs(t, err, ErrNoAccount)
		assertNothingSent(t, ts)
	})
}

func TestOptOutsIsOptedOut(t *testing.T) {
	t.Run("opted out", func(t *testing.T) {
		client, mux, _ := setup(t)
		mux.HandleFunc("/my_account/opt_outs/5553031234", func(w http.ResponseWriter, r *http.Request) {
			testMethod(t, r, "GET")
			writeJSON(w, http.StatusOK, specOptOutJSON)
		})
		opted, err := client.OptOuts.IsOptedOut(context.Background(), "(555) 303-1234")
		require.NoError(t, err)
		assert.True(t, opted)
	})
	t.Run("404 is not opted out", func(t *testing.T) {
		client, mux, _ := setup(t)
		mux.HandleFunc("/my_account/opt_outs/5553031234", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusNotFound, `{"error":"not found"}`)
		})
		opted, err := client.OptOuts.IsOptedOut(context.Background(), "+15553031234")
		require.NoError(t, err)
		assert.False(t, opted)
	})
	t.Run("500 is an error, not false", func(t *testing.T) {
		client, mux, ts := setup(t)
		mux.HandleFunc("/my_account/opt_outs/5553031234", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusInternalServerError, `{"error":"boom"}`)
		})
		opted, err := client.OptOuts.IsOptedOut(context.Background(), "+15553031234")
		require.Error(t, err)
		assert.False(t, opted)
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, http.StatusInternalServerError, apiErr.StatusCode)
		assert.NotErrorIs(t, err, ErrNotFound)
		assert.Equal(t, DefaultMaxRetries+1, ts.Requests(), "a GET is retried before giving up")
	})
	t.Run("401 is an error", func(t *testing.T) {
		client, mux, _ := setup(t)
		mux.HandleFunc("/my_account/opt_outs/5553031234", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusUnauthorized, `{"error":"bad token"}`)
		})
		opted, err := client.OptOuts.IsOptedOut(context.Background(), "+15553031234")
		require.ErrorIs(t, err, ErrUnauthorized)
		assert.False(t, opted)
	})
}

// OptOut decodes the current shape (originatingAccount object, E.164 in the
// IRI) and the older one (account string, numeric IRI, formatted number).
func TestOptOutShapes(t *testing.T) {
	tests := []struct {
		name    string
		json    string
		phone   string
		account string
		user    string
	}{
		{"current", specOptOutJSON, "+15553031234", "/accounts/my_account", ""},
		{
			"older: account string, numeric id",
			`{"@type":"OptOut","id":"/textus/opt_outs/735","createdAt":"2019-05-01T10:00:00.000-06:00",
			  "formattedPhoneNumber":"(940) 850-3220","displayUserName":"Jane Agent",
			  "account":"/accounts/old_account","createdVia":"User","user":"/users/wqyODPA"}`,
			"+19408503220", "/accounts/old_account", "/users/wqyODPA",
		},
		{
			"user object, account object",
			`{"@type":"OptOut","id":"/textus/opt_outs/+442079460958","formattedPhoneNumber":"020 7946 0958",
			  "user":{"@type":"User","id":"/users/wqyODPA","name":"Jane"},
			  "account":{"@type":"Account","id":"/accounts/uk"}}`,
			"+442079460958", "/accounts/uk", "/users/wqyODPA",
		},
		{
			"explicit phoneNumber wins",
			`{"@type":"OptOut","id":"/textus/opt_outs/735","phoneNumber":"+13035551234","formattedPhoneNumber":"(940) 850-3220"}`,
			"+13035551234", "", "",
		},
		{
			"no usable number",
			`{"@type":"OptOut","id":"/textus/opt_outs/735"}`,
			"", "", "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o OptOut
			require.NoError(t, o.UnmarshalJSON([]byte(tt.json)))
			assert.Equal(t, tt.phone, o.PhoneNumber)
			assert.Equal(t, tt.account, o.Account)
			assert.Equal(t, tt.user, o.User)
		})
	}

	var o OptOut
	require.NoError(t, o.UnmarshalJSON([]byte(tests[1].json)))
	assert.True(t, o.CreatedAt.Equal(time.Date(2019, 5, 1, 16, 0, 0, 0, time.UTC)), "numeric offset: %v", o.CreatedAt)
}
