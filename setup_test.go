package textus

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The shared test harness of the REST services, after go-github's: an
// httptest server whose API lives under a non-root base path, so a method
// that builds an absolute URL, or drops the base path, fails loudly.

const (
	testToken   = "test-token"
	testAccount = "my_account"
	// testBasePath is where the API is mounted on the test server.
	testBasePath = "/api-v1"
)

// testServer is the server side of the harness.
type testServer struct {
	// URL is the server's root (scheme://host:port), without the base path.
	URL string
	// Base is the API root the client is configured with (URL + base path).
	Base     string
	requests atomic.Int64
}

// Requests is the number of requests the server has received so far, on any
// path.
func (s *testServer) Requests() int { return int(s.requests.Load()) }

// setup starts a test server and returns a client bound to it (account
// "my_account", millisecond retry waits), the mux on which tests register
// handlers with paths relative to the base path ("/contacts/DQeeO69"), and
// the server. Everything is closed when the test ends.
func setup(t *testing.T, opts ...Option) (*Client, *http.ServeMux, *testServer) {
	t.Helper()
	mux := http.NewServeMux()
	api := http.NewServeMux()
	api.Handle(testBasePath+"/", http.StripPrefix(testBasePath, mux))
	api.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request %s %s does not start with the base path %s", r.Method, r.RequestURI, testBasePath)
		http.Error(w, "outside the base path", http.StatusBadRequest)
	})
	ts := &testServer{}
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.requests.Add(1)
		api.ServeHTTP(w, r)
	}))
	t.Cleanup(server.Close)
	ts.URL = server.URL
	ts.Base = server.URL + testBasePath

	all := append([]Option{
		WithBaseURL(ts.Base),
		WithAccount(testAccount),
		WithRetryWait(time.Millisecond, 5*time.Millisecond),
	}, opts...)
	client, err := NewClient(testToken, all...)
	require.NoError(t, err)
	return client, mux, ts
}

// newTestClient makes another client for the same server (for example one
// without an account, or a fresh one that resumes from a saved cursor).
func newTestClient(t *testing.T, ts *testServer, opts ...Option) *Client {
	t.Helper()
	all := append([]Option{
		WithBaseURL(ts.Base),
		WithRetryWait(time.Millisecond, 5*time.Millisecond),
	}, opts...)
	c, err := NewClient(testToken, all...)
	require.NoError(t, err)
	return c
}

// testMethod checks the request method.
func testMethod(t *testing.T, r *http.Request, want string) {
	t.Helper()
	assert.Equal(t, want, r.Method, "method of %s", r.URL)
}

// testURI checks the exact request target as sent on the wire: base path,
// escaped path and raw query ("/api-v1/my_account/opt_outs?exact%5B%5D=...").
func testURI(t *testing.T, r *http.Request, want string) {
	t.Helper()
	assert.Equal(t, want, r.RequestURI, "request URI")
}

// testHeader checks the headers every request carries, and Content-Type
// only when the request has a body.
func testHeader(t *testing.T, r *http.Request, hasBody bool) {
	t.Helper()
	assert.Equal(t, "Bearer "+testToken, r.Header.Get("Authorization"), "Authorization")
	assert.Equal(t, "application/vnd.textus+jsonld", r.Header.Get("Accept"), "Accept")
	assert.True(t, strings.HasPrefix(r.Header.Get("User-Agent"), "textus-go/"),
		"User-Agent %q should start with textus-go/", r.Header.Get("User-Agent"))
	if hasBody {
		assert.Equal(t, "application/vnd.textus+jsonld", r.Header.Get("Content-Type"), "Content-Type")
	} else {
		assert.Empty(t, r.Header.Values("Content-Type"), "Content-Type on a request without a body")
	}
}

// readBody reads the request body.
func readBody(t *testing.T, r *http.Request) []byte {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	assert.NoError(t, err)
	return b
}

// testJSONBody decodes the request body and compares it with want as JSON
// values, exactly: a missing, extra or differently cased key fails.
func testJSONBody(t *testing.T, r *http.Request, want string) {
	t.Helper()
	got := readBody(t, r)
	var g, w any
	if !assert.NoError(t, json.Unmarshal(got, &g), "request body %q is not JSON", got) {
		return
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Errorf("expected JSON %q is invalid: %v", want, err)
		return
	}
	assert.Equal(t, w, g, "request body %s", got)
}

// testNoBody checks that the request has an empty body.
func testNoBody(t *testing.T, r *http.Request) {
	t.Helper()
	assert.Empty(t, readBody(t, r), "request body")
}

// writeJSON answers with status and a JSON body in the API's media type.
func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/vnd.textus+jsonld; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// refuseHandler returns a handler that fails the test if it is ever called.
func refuseHandler(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected request %s %s", r.Method, r.RequestURI)
		http.Error(w, "unexpected", http.StatusTeapot)
	}
}

// refuseAll registers refuseHandler on every path of mux.
func refuseAll(t *testing.T, mux *http.ServeMux) { mux.HandleFunc("/", refuseHandler(t)) }

// assertNothingSent checks that the server saw no request at all.
func assertNothingSent(t *testing.T, ts *testServer) {
	t.Helper()
	assert.Zero(t, ts.Requests(), "requests sent for bad input")
}

// firstErr takes the first step of a sequence and returns its error.
func firstErr[T any](seq iter.Seq2[T, error]) error {
	for _, err := range seq {
		return err
	}
	return nil
}

// collectSeq drains an iterator into its items and its errors.
func collectSeq[T any](seq iter.Seq2[T, error]) ([]T, []error) {
	var items []T
	var errs []error
	for v, err := range seq {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		items = append(items, v)
	}
	return items, errs
}

// hydraPage renders a hydra collection page with the given members (JSON
// objects) and next link ("" for null).
func hydraPage(id string, total int, next string, members ...string) string {
	nx := "null"
	if next != "" {
		b, _ := json.Marshal(next)
		nx = string(b)
	}
	return fmt.Sprintf(`{"@type":"hydra:Collection","@context":"/contexts/hydra:Collection.jsonld","id":%q,`+
		`"totalItems":%d,"members":[%s],"view":{"@type":"hydra:PartialCollectionView","id":%q,"first":%q,"next":%s,"previous":null}}`,
		id, total, strings.Join(members, ","), id, id, nx)
}

// ---- NewClient input checks --------------------------------------------------

func TestNewClientRejectsBadInput(t *testing.T) {
	tests := []struct {
		name  string
		token string
		opts  []Option
	}{
		{"empty token", "", nil},
		{"blank token", "   ", nil},
		{"token with white space", "abc def", nil},
		{"base URL without scheme", testToken, []Option{WithBaseURL("next.textus.com")}},
		{"base URL with ftp scheme", testToken, []Option{WithBaseURL("ftp://next.textus.com")}},
		{"base URL with userinfo", testToken, []Option{WithBaseURL("https://user:secret@next.textus.com")}},
		{"base URL with query", testToken, []Option{WithBaseURL("https://next.textus.com/?x=1")}},
		{"base URL with fragment", testToken, []Option{WithBaseURL("https://next.textus.com/#x")}},
		{"base URL without host", testToken, []Option{WithBaseURL("https://")}},
		{"empty base URL", testToken, []Option{WithBaseURL("")}},
		{"negative retries", testToken, []Option{WithMaxRetries(-1)}},
		{"zero retry wait", testToken, []Option{WithRetryWait(0, time.Second)}},
		{"negative retry wait", testToken, []Option{WithRetryWait(-time.Second, time.Second)}},
		{"retry max below min", testToken, []Option{WithRetryWait(2*time.Second, time.Second)}},
		{"nil logger", testToken, []Option{WithLogger(nil)}},
		{"nil http client", testToken, []Option{WithHTTPClient(nil)}},
		{"nil option", testToken, []Option{nil}},
		{"empty account", testToken, []Option{WithAccount("")}},
		{"account with a slash", testToken, []Option{WithAccount("a/b")}},
		{"rate limit without period", testToken, []Option{WithRateLimit(10, 0)}},
		{"user agent with control character", testToken, []Option{WithUserAgent("acme\n")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(tt.token, tt.opts...)
			require.Error(t, err)
			assert.Nil(t, c)
			if tt.token != "" {
				assert.NotContains(t, err.Error(), tt.token, "the token must not appear in an error")
			}
		})
	}
}

func TestNewClientAcceptsGoodInput(t *testing.T) {
	c, err := NewClient(testToken,
		WithBaseURL("https://proxy.example/textus/"),
		WithAccount("/accounts/my_account"),
		WithMaxRetries(0),
		WithRetryWait(time.Millisecond, time.Millisecond),
		WithRateLimit(0, 0),
		WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		WithHTTPClient(&http.Client{}),
		WithUserAgent("acme-ats/2.1"),
	)
	require.NoError(t, err)
	assert.Equal(t, "https://proxy.example/textus", c.BaseURL())
	assert.Equal(t, "my_account", c.Account())
	assert.NotNil(t, c.Accounts)
	assert.NotNil(t, c.Contacts)
	assert.NotNil(t, c.Conversations)
	assert.NotNil(t, c.Messages)
	assert.NotNil(t, c.OptOuts)
	assert.NotNil(t, c.Webhooks)
}

// The harness itself: a request outside the base path is reported, and the
// headers are the documented ones.
func TestHarnessHeadersAndBasePath(t *testing.T) {
	client, mux, ts := setup(t, WithUserAgent("acme-ats/2.1"))
	var ua atomic.Value
	mux.HandleFunc("/accounts/my_account", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		testURI(t, r, "/api-v1/accounts/my_account")
		ua.Store(r.Header.Get("User-Agent"))
		writeJSON(w, http.StatusOK, `{"@type":"Account","id":"/accounts/my_account","name":"My Account","slug":"my_account"}`)
	})
	_, err := client.Accounts.Get(context.Background(), "my_account")
	require.NoError(t, err)
	assert.Equal(t, "acme-ats/2.1 textus-go/"+Version, ua.Load())
	assert.Equal(t, 1, ts.Requests())
}

// The default User-Agent names the SDK and its version, and only it.
func TestHarnessDefaultUserAgent(t *testing.T) {
	client, mux, _ := setup(t)
	var ua atomic.Value
	mux.HandleFunc("/accounts/my_account", func(w http.ResponseWriter, r *http.Request) {
		testHeader(t, r, false)
		ua.Store(r.Header.Get("User-Agent"))
		writeJSON(w, http.StatusOK, `{"@type":"Account","id":"/accounts/my_account","slug":"my_account"}`)
	})
	_, err := client.Accounts.Get(context.Background(), "my_account")
	require.NoError(t, err)
	assert.Equal(t, "textus-go/"+Version, ua.Load())
}

// Every single-resource method hands back the API's error as *APIError,
// with a nil result.
func TestServiceMethodsReturnAPIError(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2058, 10, 25, 18, 9, 13, 0, time.UTC)
	on := true
	calls := map[string]func(c *Client) (any, error){
		"Accounts.Get":         func(c *Client) (any, error) { return c.Accounts.Get(ctx, "my_account") },
		"Contacts.Get":         func(c *Client) (any, error) { return c.Contacts.Get(ctx, "x") },
		"Contacts.Create":      func(c *Client) (any, error) { return c.Contacts.Create(ctx, &ContactParams{Name: "A"}) },
		"Contacts.Update":      func(c *Client) (any, error) { return c.Contacts.Update(ctx, "x", &ContactParams{Name: "A"}) },
		"Contacts.FindByPhone": func(c *Client) (any, error) { return c.Contacts.FindByPhone(ctx, "+13035551234") },
		"Contacts.ListPage":    func(c *Client) (any, error) { return c.Contacts.ListPage(ctx, nil, "") },
		"Messages.Send": func(c *Client) (any, error) {
			return c.Messages.Send(ctx, &SendMessageParams{To: "+13035551234", Body: "x"})
		},
		"Messages.Schedule": func(c *Client) (any, error) {
			return c.Messages.Schedule(ctx, &ScheduleMessageParams{To: "+13035551234", Body: "x", At: at})
		},
		"Messages.Get":          func(c *Client) (any, error) { return c.Messages.Get(ctx, "x") },
		"Conversations.Get":     func(c *Client) (any, error) { return c.Conversations.Get(ctx, "x") },
		"Conversations.ByPhone": func(c *Client) (any, error) { return c.Conversations.GetByPhone(ctx, "+13035551234") },
		"Conversations.Page":    func(c *Client) (any, error) { return c.Conversations.TimelinePage(ctx, "x", "") },
		"Conversations.Read":    func(c *Client) (any, error) { return c.Conversations.MarkRead(ctx, "x") },
		"OptOuts.Get":           func(c *Client) (any, error) { return c.OptOuts.Get(ctx, "+13035551234") },
		"OptOuts.Create":        func(c *Client) (any, error) { return c.OptOuts.Create(ctx, "+13035551234") },
		"Webhooks.Create": func(c *Client) (any, error) {
			return c.Webhooks.Create(ctx, &WebhookParams{URL: "https://example.com/h", Events: []EventType{EventMessageReceived}})
		},
		"Webhooks.Update":             func(c *Client) (any, error) { return c.Webhooks.Update(ctx, "x", &WebhookParams{Active: &on}) },
		"Webhooks.Disable":            func(c *Client) (any, error) { return c.Webhooks.Disable(ctx, "x") },
		"Contacts.CreateNote":         func(c *Client) (any, error) { return c.Contacts.CreateNote(ctx, "x", "note") },
		"Contacts.NotesPage":          func(c *Client) (any, error) { return c.Contacts.NotesPage(ctx, "x", "") },
		"Conversations.MarkUnread":    func(c *Client) (any, error) { return c.Conversations.MarkUnread(ctx, "x") },
		"Conversations.Close":         func(c *Client) (any, error) { return c.Conversations.Close(ctx, "x") },
		"Conversations.Reopen":        func(c *Client) (any, error) { return c.Conversations.Reopen(ctx, "x") },
		"Conversations.Star":          func(c *Client) (any, error) { return c.Conversations.Star(ctx, "x") },
		"Conversations.Unstar":        func(c *Client) (any, error) { return c.Conversations.Unstar(ctx, "x") },
		"Conversations.AssignContact": func(c *Client) (any, error) { return c.Conversations.AssignContact(ctx, "x", "y") },
		"Conversations.ListPage":      func(c *Client) (any, error) { return c.Conversations.ListPage(ctx, nil, "") },
		"Campaigns.Create": func(c *Client) (any, error) {
			return c.Campaigns.Create(ctx, &CampaignParams{Title: "t", MessageBody: "b", Recipients: []string{"r"}})
		},
		"Users.Get":      func(c *Client) (any, error) { return c.Users.Get(ctx, "x") },
		"Users.ListPage": func(c *Client) (any, error) { return c.Users.ListPage(ctx, nil, "") },
		"Users.Update":   func(c *Client) (any, error) { return c.Users.Update(ctx, "x", &UserParams{Name: "A"}) },
		"SavedReplies.Create": func(c *Client) (any, error) {
			return c.SavedReplies.Create(ctx, "x", &SavedReplyParams{Title: "t", Content: "c"})
		},
		"SavedReplies.Update": func(c *Client) (any, error) {
			return c.SavedReplies.Update(ctx, "x", &SavedReplyParams{Content: "c"})
		},
		"Accounts.UpdateSettings": func(c *Client) (any, error) {
			return c.Accounts.UpdateSettings(ctx, "x", map[string]AccountSetting{"s": {Value: true}})
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			client, mux, ts := setup(t)
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusUnprocessableEntity, `{"hydra:title":"An error occurred","hydra:description":"invalid input"}`)
			})
			v, err := call(client)
			require.Error(t, err)
			assert.True(t, reflect.ValueOf(v).IsNil(), "result on error: %#v", v)
			assert.ErrorIs(t, err, ErrValidation)
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, http.StatusUnprocessableEntity, apiErr.StatusCode)
			assert.Contains(t, apiErr.Message, "invalid input")
			assert.True(t, strings.HasPrefix(apiErr.URL, ts.Base+"/"), "URL %q", apiErr.URL)
			assert.Equal(t, 1, ts.Requests(), "a 422 is not retried")
		})
	}
	t.Run("Messages.SendMany", func(t *testing.T) {
		client, mux, _ := setup(t)
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusUnprocessableEntity, `{"error":"opted out"}`)
		})
		err := client.Messages.SendMany(ctx, &SendManyParams{To: []string{"+13035551234", "+13035551235"}, Body: "x"})
		require.ErrorIs(t, err, ErrValidation)
	})
}

// Every account-scoped call on a client without an account fails with
// ErrNoAccount before sending anything; calls that are not account-scoped
// are unaffected.
func TestAccountScopedCallsNeedAccount(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2058, 10, 25, 18, 9, 13, 0, time.UTC)
	calls := map[string]func(c *Client) error{
		"Contacts.List":         func(c *Client) error { return firstErr(c.Contacts.List(ctx, nil)) },
		"Contacts.ListPage":     func(c *Client) error { _, err := c.Contacts.ListPage(ctx, nil, ""); return err },
		"Contacts.Search":       func(c *Client) error { return firstErr(c.Contacts.Search(ctx, "303")) },
		"Contacts.FindByPhone":  func(c *Client) error { _, err := c.Contacts.FindByPhone(ctx, "+13035551234"); return err },
		"Contacts.SearchPhones": func(c *Client) error { return firstErr(c.Contacts.SearchPhones(ctx, "Chuck")) },
		"Contacts.Create":       func(c *Client) error { _, err := c.Contacts.Create(ctx, &ContactParams{Name: "A"}); return err },
		"Messages.Send": func(c *Client) error {
			_, err := c.Messages.Send(ctx, &SendMessageParams{To: "+13035551234", Body: "x"})
			return err
		},
		"Messages.SendMany": func(c *Client) error {
			return c.Messages.SendMany(ctx, &SendManyParams{To: []string{"+13035551234"}, Body: "x"})
		},
		"Messages.Schedule": func(c *Client) error {
			_, err := c.Messages.Schedule(ctx, &ScheduleMessageParams{To: "+13035551234", Body: "x", At: at})
			return err
		},
		"Conversations.GetByPhone": func(c *Client) error { _, err := c.Conversations.GetByPhone(ctx, "+13035551234"); return err },
		"Conversations.List":       func(c *Client) error { return firstErr(c.Conversations.List(ctx, nil)) },
		"OptOuts.List":             func(c *Client) error { return firstErr(c.OptOuts.List(ctx, nil)) },
		"OptOuts.Get":              func(c *Client) error { _, err := c.OptOuts.Get(ctx, "+13035551234"); return err },
		"OptOuts.Create":           func(c *Client) error { _, err := c.OptOuts.Create(ctx, "+13035551234"); return err },
		"OptOuts.IsOptedOut":       func(c *Client) error { _, err := c.OptOuts.IsOptedOut(ctx, "+13035551234"); return err },
		"Webhooks.Create": func(c *Client) error {
			_, err := c.Webhooks.Create(ctx, &WebhookParams{URL: "https://example.com/h", Events: []EventType{EventMessageReceived}})
			return err
		},
		"Webhooks.List":          func(c *Client) error { return firstErr(c.Webhooks.List(ctx)) },
		"Conversations.Filters":  func(c *Client) error { return firstErr(c.Conversations.Filters(ctx)) },
		"Conversations.ListPage": func(c *Client) error { _, err := c.Conversations.ListPage(ctx, nil, ""); return err },
		"Conversations.BatchOpen": func(c *Client) error {
			return c.Conversations.BatchReopen(ctx, "all", &BatchParams{Conversations: []string{"x"}})
		},
		"Conversations.BatchClose": func(c *Client) error {
			return c.Conversations.BatchClose(ctx, "all", &BatchParams{ModifiedBefore: at})
		},
		"Conversations.BatchUnassign": func(c *Client) error {
			return c.Conversations.BatchUnassign(ctx, "you", &BatchParams{Conversations: []string{"x"}})
		},
		"Campaigns.Create": func(c *Client) error {
			_, err := c.Campaigns.Create(ctx, &CampaignParams{Title: "t", MessageBody: "b", Recipients: []string{"r"}})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			client, mux, ts := setup(t)
			refuseAll(t, mux)
			for _, c := range []*Client{newTestClient(t, ts), client.ForAccount(""), client.ForAccount("a/b")} {
				assert.Empty(t, c.Account())
				assert.ErrorIs(t, call(c), ErrNoAccount)
			}
			assertNothingSent(t, ts)
		})
	}
}
