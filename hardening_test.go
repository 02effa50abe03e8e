package textus

// Tests of the SDK against a hostile or misbehaving server and careless
// input: the token never leaves for another origin nor shows in an error,
// paths cannot be steered with dot segments, memory stays bounded, and bad
// input is refused before anything is sent with an error that says why.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A server (or a proxy or WAF in front of it) that echoes the request's
// Authorization header in its error bodies must not get the token into
// anything an APIError holds or prints.
func TestEchoedTokenScrubbedFromErrors(t *testing.T) {
	ctx := context.Background()
	for _, code := range []int{401, 404, 422, 429, 500, 502} {
		for _, method := range []string{"GET", "POST"} {
			t.Run(fmt.Sprintf("%s %d", method, code), func(t *testing.T) {
				logger, logs := capture()
				client, mux, _ := setup(t, WithLogger(logger), WithMaxRetries(1))
				mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
					auth := r.Header.Get("Authorization")
					w.Header().Set("X-Echo", auth)
					w.Header().Set("Retry-After", "3600") // no retry: the test wants one answer
					writeJSON(w, code, `{"error":"rejected header Authorization: `+auth+`","echo":{"token":"`+testToken+`"}}`)
				})
				var err error
				if method == "GET" {
					_, err = client.Contacts.Get(ctx, "DQeeO69")
				} else {
					_, err = client.Messages.Send(ctx, sendParams())
				}
				require.Error(t, err)
				var apiErr *APIError
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, code, apiErr.StatusCode)
				everything := strings.Join([]string{err.Error(), apiErr.Message, string(apiErr.Body), fmt.Sprint(apiErr.Header), fmt.Sprintf("%+v", apiErr), logs.String()}, "\n")
				assert.NotContains(t, everything, testToken)
				assert.Contains(t, apiErr.Message, "rejected header Authorization", "the rest of the message is kept")
				assert.Contains(t, string(apiErr.Body), `"echo"`, "the rest of the body is kept")
			})
		}
	}
}

// A redirect to another origin (here: the same host, another port, which
// Go's own rule treats as the same site) never receives the token, and the
// call fails with an error that says why instead of returning the other
// server's data as TextUs's.
func TestRedirectToAnotherOriginRefused(t *testing.T) {
	var leaked atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Add(1)
		}
		writeJSON(w, http.StatusOK, `{"@type":"Contact","id":"/contacts/evil","name":"Not TextUs"}`)
	}))
	defer other.Close()
	ctx := context.Background()
	clients := map[string][]Option{
		"default client":  nil,
		"WithHTTPClient":  {WithHTTPClient(&http.Client{Timeout: 10 * time.Second})},
		"user redirector": {WithHTTPClient(&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return nil }})},
	}
	for name, opts := range clients {
		t.Run(name, func(t *testing.T) {
			client, mux, ts := setup(t, opts...)
			mux.HandleFunc("/contacts/DQeeO69", func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other.URL+"/contacts/evil", http.StatusFound)
			})
			mux.HandleFunc("/my_account/messages", func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other.URL+"/my_account/messages", http.StatusTemporaryRedirect)
			})
			c, err := client.Contacts.Get(ctx, "DQeeO69")
			require.Error(t, err, "GET 302")
			assert.Nil(t, c)
			assert.Contains(t, err.Error(), "redirect to another origin")
			assert.Contains(t, err.Error(), other.URL[len("http://"):])

			_, err = client.Messages.Send(ctx, sendParams())
			require.Error(t, err, "POST 307")
			assert.Contains(t, err.Error(), "redirect to another origin")
			assert.False(t, errors.Is(err, ErrOutcomeUnknown), "a redirect is an answer: TextUs did not act")
			assert.Zero(t, leaked.Load(), "the token reached the other origin")
			assert.Equal(t, 2, ts.Requests(), "a refused redirect is not retried")
		})
	}
}

// Same-origin redirects are still followed.
func TestRedirectOnSameOriginFollowed(t *testing.T) {
	client, mux, _ := setup(t)
	mux.HandleFunc("/contacts/old", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, testBasePath+"/contacts/DQeeO69", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/contacts/DQeeO69", func(w http.ResponseWriter, r *http.Request) {
		testHeader(t, r, false)
		writeJSON(w, http.StatusOK, contactJSON)
	})
	c, err := client.Contacts.Get(context.Background(), "old")
	require.NoError(t, err)
	assert.Equal(t, "/contacts/DQeeO69", c.ID)
}

// Dot segments in ids, slugs, account names and filters are refused before
// anything is sent: a server or proxy that normalises paths would send
// them elsewhere.
func TestDotSegmentsRefused(t *testing.T) {
	ctx := context.Background()
	calls := map[string]func(c *Client) error{
		"Contacts.Get IRI ..":  func(c *Client) error { _, err := c.Contacts.Get(ctx, "/contacts/../accounts"); return err },
		"Contacts.Get ..":      func(c *Client) error { _, err := c.Contacts.Get(ctx, ".."); return err },
		"Contacts.Get .":       func(c *Client) error { _, err := c.Contacts.Get(ctx, "."); return err },
		"Contacts.Get IRI /..": func(c *Client) error { _, err := c.Contacts.Get(ctx, "/contacts/.."); return err },
		"Contacts.Update ..": func(c *Client) error {
			_, err := c.Contacts.Update(ctx, "..", &ContactParams{Name: "x"})
			return err
		},
		"Contacts.Conversations ..": func(c *Client) error { return firstErr(c.Contacts.Conversations(ctx, "..")) },
		"Conversations.Get ..":      func(c *Client) error { _, err := c.Conversations.Get(ctx, "/conversations/.."); return err },
		"Conversations.Timeline .":  func(c *Client) error { return firstErr(c.Conversations.Timeline(ctx, ".")) },
		"Conversations.MarkRead ..": func(c *Client) error { _, err := c.Conversations.MarkRead(ctx, ".."); return err },
		"Conversations.List filter ..": func(c *Client) error {
			return firstErr(c.Conversations.List(ctx, &ConversationListOptions{Filter: ".."}))
		},
		"Contacts.List filter ..": func(c *Client) error {
			return firstErr(c.Contacts.List(ctx, &ContactListOptions{Query: "303", Filter: ".."}))
		},
		"Messages.Get ..":     func(c *Client) error { _, err := c.Messages.Get(ctx, ".."); return err },
		"Accounts.Get ..":     func(c *Client) error { _, err := c.Accounts.Get(ctx, ".."); return err },
		"Accounts.Get IRI ..": func(c *Client) error { _, err := c.Accounts.Get(ctx, "/accounts/.."); return err },
		"Webhooks.Update ..": func(c *Client) error {
			on := true
			_, err := c.Webhooks.Update(ctx, "/integrations/..", &WebhookParams{Active: &on})
			return err
		},
		"ForAccount(..)":  func(c *Client) error { return firstErr(c.ForAccount("..").Contacts.List(ctx, nil)) },
		"ForAccount(.)":   func(c *Client) error { return firstErr(c.ForAccount(".").Contacts.List(ctx, nil)) },
		"ForAccount(IRI)": func(c *Client) error { return firstErr(c.ForAccount("/accounts/..").Contacts.List(ctx, nil)) },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			client, mux, ts := setup(t)
			refuseAll(t, mux)
			err := call(client)
			require.Error(t, err)
			assert.Regexp(t, `"\.\.?"`, err.Error(), "the error names the bad value")
			assertNothingSent(t, ts)
		})
	}
	_, err := NewClient(testToken, WithAccount(".."))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `".."`)
}

// A client from ForAccount with a refused slug says so in its later
// errors, instead of telling a caller who did call ForAccount to call it.
func TestForAccountRefusedSlugNamedLater(t *testing.T) {
	client, mux, ts := setup(t)
	refuseAll(t, mux)
	bad := client.ForAccount("bad slug")
	assert.Empty(t, bad.Account())
	_, err := bad.Messages.Send(context.Background(), sendParams())
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrNoAccount)
	assert.Contains(t, err.Error(), `ForAccount("bad slug")`)
	assert.NotContains(t, err.Error(), "use WithAccount or Client.ForAccount")
	assertNothingSent(t, ts)
}

// endlessBody serves a JSON object whose one string never ends (or ends
// after n bytes).
func endlessBody(n int64) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", MediaType)
		_, _ = io.WriteString(w, `{"@type":"Contact","id":"/contacts/x","name":"`)
		chunk := []byte(strings.Repeat("a", 64<<10))
		for sent := int64(0); n < 0 || sent < n; sent += int64(len(chunk)) {
			if _, err := w.Write(chunk); err != nil {
				return // the client hung up
			}
		}
		_, _ = io.WriteString(w, `"}`)
	}
}

// A huge or endless success body fails the call with a clear error once it
// passes the cap, and the heap does not grow with it.
func TestHugeResponseBodyCapped(t *testing.T) {
	for name, n := range map[string]int64{"200 MB": 200 << 20, "endless": -1} {
		t.Run(name, func(t *testing.T) {
			client, mux, _ := setup(t, WithMaxRetries(0))
			mux.HandleFunc("/contacts/x", endlessBody(n))
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			c, err := client.Contacts.Get(context.Background(), "x")
			runtime.ReadMemStats(&after)
			require.Error(t, err)
			assert.Nil(t, c)
			assert.Contains(t, err.Error(), "larger than 8388608 bytes")
			assert.Contains(t, err.Error(), "WithMaxResponseBytes")
			grown := after.TotalAlloc - before.TotalAlloc
			assert.Less(t, grown, uint64(64<<20), "allocated %d MiB while reading the body", grown>>20)
		})
	}
	t.Run("option", func(t *testing.T) {
		client, mux, _ := setup(t, WithMaxResponseBytes(1<<10))
		mux.HandleFunc("/contacts/x", endlessBody(2<<10))
		mux.HandleFunc("/contacts/y", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, contactJSON) })
		_, err := client.Contacts.Get(context.Background(), "x")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "larger than 1024 bytes")
		_, err = client.Contacts.Get(context.Background(), "y")
		assert.NoError(t, err, "a body under the cap is read")
		_, err = NewClient(testToken, WithMaxResponseBytes(0))
		assert.Error(t, err)
	})
}

// Error texts say each thing once.
func TestErrorTextsNotRepeated(t *testing.T) {
	client, mux, _ := setup(t)
	mux.HandleFunc("/contacts/x", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 404, `{"@type":"hydra:Error","hydra:title":"Not Found","hydra:description":"contact x not found"}`)
	})
	_, err := client.Contacts.Get(context.Background(), "x")
	require.ErrorIs(t, err, ErrNotFound)
	assert.Equal(t, 1, strings.Count(err.Error(), "Not Found"), "%v", err)
	assert.Contains(t, err.Error(), ": 404 Not Found: contact x not found")

	_, err = client.Messages.Send(context.Background(), &SendMessageParams{To: "call me", Body: "x"})
	require.ErrorIs(t, err, ErrInvalidPhone)
	assert.Equal(t, 1, strings.Count(err.Error(), "textus:"), "%v", err)
	_, err = client.Messages.Send(context.Background(), &SendMessageParams{To: "+13035551234", From: "+1", Body: "x"})
	require.ErrorIs(t, err, ErrInvalidPhone)
	assert.Equal(t, 1, strings.Count(err.Error(), "textus:"), "%v", err)
}

// Errors from options echo the value and say how to fix it.
func TestOptionErrorsEchoValueAndFix(t *testing.T) {
	cases := map[string]struct {
		opt  Option
		want []string
	}{
		"no scheme":     {WithBaseURL("next.textus.com"), []string{`"next.textus.com"`, "https://next.textus.com"}},
		"ftp scheme":    {WithBaseURL("ftp://next.textus.com"), []string{`"ftp://next.textus.com"`, "http or https"}},
		"retry wait":    {WithRetryWait(2*time.Second, time.Second), []string{"2s", "1s"}},
		"max retries":   {WithMaxRetries(-1), []string{"-1"}},
		"rate period":   {WithRateLimit(10, 0), []string{"10", "0s"}},
		"account slash": {WithAccount("a/b"), []string{`"a/b"`}},
		"user agent":    {WithUserAgent("acme\n"), []string{`"acme\n"`}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := NewClient(testToken, tc.opt)
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.Equal(t, 1, strings.Count(err.Error(), "textus:"), "%v", err)
		})
	}
}

// OptOuts.List sends exact[] in the form the opt-out path uses: the
// 10-digit national number for North American numbers, as the API's
// examples do, so that a bulk check cannot read a stored opt-out as none.
func TestOptOutsListExactUsesPathForm(t *testing.T) {
	client, mux, _ := setup(t)
	mux.HandleFunc("/my_account/opt_outs", func(w http.ResponseWriter, r *http.Request) {
		testURI(t, r, testBasePath+"/my_account/opt_outs?exact%5B%5D=3035551234&exact%5B%5D=%2B442071234567")
		writeJSON(w, 200, hydraPage("/my_account/opt_outs", 0, ""))
	})
	_, errs := collectSeq(client.OptOuts.List(context.Background(), &OptOutListOptions{Exact: []string{"+1 (303) 555-1234", "+442071234567"}}))
	assert.Empty(t, errs)
}

// Webhooks.Create refuses plain-http endpoints except on loopback, where
// tests and the fake server run.
func TestWebhooksCreateNeedsHTTPS(t *testing.T) {
	ctx := context.Background()
	for _, u := range []string{"http://example.com/hooks", "http://10.0.0.5/hooks", "http://localhost.example.com/x"} {
		client, mux, ts := setup(t)
		refuseAll(t, mux)
		_, err := client.Webhooks.Create(ctx, &WebhookParams{URL: u, Events: []EventType{EventMessageReceived}})
		require.Error(t, err, u)
		assert.Contains(t, err.Error(), "https")
		assert.Contains(t, err.Error(), u)
		on := true
		_, err = client.Webhooks.Update(ctx, "x", &WebhookParams{URL: u, Active: &on})
		require.Error(t, err, u)
		assertNothingSent(t, ts)
	}
	for _, u := range []string{"http://127.0.0.1:8080/hooks", "http://localhost:9000/x", "http://[::1]:9000/x", "https://example.com/hooks"} {
		client, mux, _ := setup(t)
		mux.HandleFunc("/my_account/integrations", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 201, `{"@type":"Integration","id":"/integrations/a","provider":"webhook","active":true,"config":{"baseUrl":"`+u+`","webhookSecret":"s"}}`)
		})
		_, err := client.Webhooks.Create(ctx, &WebhookParams{URL: u, Events: []EventType{EventMessageReceived}})
		assert.NoError(t, err, u)
	}
}

// Contact phone numbers are checked like every other number the SDK
// takes: one it cannot read fails with ErrInvalidPhone before anything is
// sent (the API would answer 422 at best, or store garbage), and the
// error says which phone.
func TestContactPhonesCheckedBeforeSending(t *testing.T) {
	ctx := context.Background()
	for _, number := range []string{"abc", "555-1234", "+12", "303-555-1234 x", "call 303-555-1234"} {
		t.Run(number, func(t *testing.T) {
			client, mux, ts := setup(t)
			refuseAll(t, mux)
			p := &ContactParams{Name: "A", Phones: []PhoneParams{{Number: "+13035551234"}, {Number: number}}}
			_, err := client.Contacts.Create(ctx, p)
			require.ErrorIs(t, err, ErrInvalidPhone)
			assert.Contains(t, err.Error(), "phone 1")
			assert.Equal(t, 1, strings.Count(err.Error(), "textus:"), "%v", err)
			_, err = client.Contacts.Update(ctx, "DQeeO69", p)
			require.ErrorIs(t, err, ErrInvalidPhone)
			assertNothingSent(t, ts)
			assert.Equal(t, number, p.Phones[1].Number, "the caller's params are not changed")
		})
	}
}
