package textus

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// threePages serves /my_account/contacts as three pages of two contacts,
// linking them with next links built by link(cursor).
func threePages(t *testing.T, mux *http.ServeMux, link func(cursor string) string) {
	mux.HandleFunc("/my_account/contacts", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		testHeader(t, r, false)
		switch c := r.URL.Query().Get("cursor"); c {
		case "":
			testURI(t, r, "/api-v1/my_account/contacts")
			writeJSON(w, http.StatusOK, hydraPage("/my_account/contacts", 6, link("p2"),
				contactMember("1", "+13035550001"), contactMember("2", "+13035550002")))
		case "p2":
			testURI(t, r, "/api-v1/my_account/contacts?cursor=p2")
			writeJSON(w, http.StatusOK, hydraPage("/my_account/contacts?cursor=p2", 6, link("p3"),
				contactMember("3", "+13035550003"), contactMember("4", "+13035550004")))
		case "p3":
			testURI(t, r, "/api-v1/my_account/contacts?cursor=p3")
			writeJSON(w, http.StatusOK, hydraPage("/my_account/contacts?cursor=p3", 6, "",
				contactMember("5", "+13035550005"), contactMember("6", "+13035550006")))
		default:
			t.Errorf("unexpected cursor %q", c)
			http.Error(w, "bad cursor", http.StatusBadRequest)
		}
	})
}

func ids(cs []*Contact) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

var sixContacts = []string{"/contacts/1", "/contacts/2", "/contacts/3", "/contacts/4", "/contacts/5", "/contacts/6"}

func TestIteratorFollowsNext(t *testing.T) {
	tests := []struct {
		name string
		link func(ts *testServer, cursor string) string
	}{
		{"relative to the base path", func(_ *testServer, c string) string { return "/my_account/contacts?cursor=" + c }},
		{"including the base path", func(_ *testServer, c string) string { return "/api-v1/my_account/contacts?cursor=" + c }},
		{"absolute on the API host", func(ts *testServer, c string) string { return ts.Base + "/my_account/contacts?cursor=" + c }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, mux, ts := setup(t)
			threePages(t, mux, func(c string) string { return tt.link(ts, c) })

			seq := client.Contacts.List(context.Background(), nil)
			assert.Zero(t, ts.Requests(), "nothing is fetched before the first step")

			var got []string
			var requestsSeen []int
			for c, err := range seq {
				require.NoError(t, err)
				got = append(got, c.ID)
				requestsSeen = append(requestsSeen, ts.Requests())
			}
			assert.Equal(t, sixContacts, got)
			// One page at a time: page n is fetched only when item 2n-1 is needed.
			assert.Equal(t, []int{1, 1, 2, 2, 3, 3}, requestsSeen)
			assert.Equal(t, 3, ts.Requests())
		})
	}
}

// A sequence can be ranged over again; each range starts from the first page.
func TestIteratorIsReusable(t *testing.T) {
	client, mux, ts := setup(t)
	threePages(t, mux, func(c string) string { return "/my_account/contacts?cursor=" + c })
	seq := client.Contacts.List(context.Background(), nil)
	got1, errs := collectSeq(seq)
	require.Empty(t, errs)
	got2, errs := collectSeq(seq)
	require.Empty(t, errs)
	assert.Equal(t, sixContacts, ids(got1))
	assert.Equal(t, sixContacts, ids(got2))
	assert.Equal(t, 6, ts.Requests())
}

func TestIteratorBreak(t *testing.T) {
	for _, stopAfter := range []int{1, 2, 3} {
		t.Run(fmt.Sprint(stopAfter), func(t *testing.T) {
			client, mux, ts := setup(t)
			threePages(t, mux, func(c string) string { return "/my_account/contacts?cursor=" + c })
			n := 0
			for _, err := range client.Contacts.List(context.Background(), nil) {
				require.NoError(t, err)
				n++
				if n == stopAfter {
					break
				}
			}
			assert.Equal(t, stopAfter, n)
			// Items 1-2 are page 1, item 3 needs page 2; nothing beyond is fetched.
			assert.Equal(t, (stopAfter+1)/2, ts.Requests())
		})
	}
}

func TestIteratorErrorOnSecondPage(t *testing.T) {
	for _, status := range []int{http.StatusNotFound, http.StatusInternalServerError} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			client, mux, ts := setup(t)
			mux.HandleFunc("/my_account/contacts", func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Query().Get("cursor") == "" {
					writeJSON(w, http.StatusOK, hydraPage("/my_account/contacts", 4, "/my_account/contacts?cursor=p2",
						contactMember("1", "+13035550001"), contactMember("2", "+13035550002")))
					return
				}
				writeJSON(w, status, `{"error":"gone"}`)
			})
			var got []string
			var errs []error
			yields := 0
			// The consumer keeps going after the error: the sequence must end anyway.
			for c, err := range client.Contacts.List(context.Background(), nil) {
				yields++
				if err != nil {
					assert.Nil(t, c)
					errs = append(errs, err)
					continue
				}
				got = append(got, c.ID)
			}
			assert.Equal(t, []string{"/contacts/1", "/contacts/2"}, got)
			require.Len(t, errs, 1)
			assert.Equal(t, 3, yields)
			var apiErr *APIError
			require.ErrorAs(t, errs[0], &apiErr)
			assert.Equal(t, status, apiErr.StatusCode)
			if status == http.StatusNotFound {
				assert.Equal(t, 2, ts.Requests())
			} else {
				assert.Equal(t, 1+DefaultMaxRetries+1, ts.Requests(), "a failing GET page is retried, then reported once")
			}
		})
	}
}

func TestIteratorBadMember(t *testing.T) {
	client, mux, _ := setup(t)
	mux.HandleFunc("/my_account/contacts", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, hydraPage("/my_account/contacts", 2, "", contactMember("1", "+13035550001"), `"not an object"`))
	})
	got, errs := collectSeq(client.Contacts.List(context.Background(), nil))
	assert.Empty(t, got, "a page that does not decode yields only the error")
	require.Len(t, errs, 1)
}

func TestIteratorMalformedPage(t *testing.T) {
	client, mux, _ := setup(t)
	mux.HandleFunc("/my_account/contacts", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `<html>proxy error</html>`)
	})
	got, errs := collectSeq(client.Contacts.List(context.Background(), nil))
	assert.Empty(t, got)
	require.Len(t, errs, 1)
}

// A next link that points back at the page just read ends the sequence with
// one error instead of looping, whatever form the link takes.
func TestIteratorNextEqualsCurrent(t *testing.T) {
	tests := []struct {
		name string
		next func(ts *testServer) string
	}{
		{"same relative link", func(*testServer) string { return "/my_account/contacts" }},
		{"same link with the base path", func(*testServer) string { return "/api-v1/my_account/contacts" }},
		{"same link, absolute", func(ts *testServer) string { return ts.Base + "/my_account/contacts" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, mux, ts := setup(t)
			var served atomic.Int32
			mux.HandleFunc("/my_account/contacts", func(w http.ResponseWriter, r *http.Request) {
				if served.Add(1) > 5 {
					// Safety net so a looping iterator ends the test.
					writeJSON(w, http.StatusGone, `{"error":"loop"}`)
					return
				}
				writeJSON(w, http.StatusOK, hydraPage("/my_account/contacts", 2, tt.next(ts),
					contactMember("1", "+13035550001"), contactMember("2", "+13035550002")))
			})
			got, errs := collectSeq(client.Contacts.List(context.Background(), nil))
			assert.Equal(t, []string{"/contacts/1", "/contacts/2"}, ids(got), "each item once")
			require.Len(t, errs, 1)
			assert.Contains(t, errs[0].Error(), "pagination")
			assert.Equal(t, 1, ts.Requests())
		})
	}
}

// A next link to another host is refused: the token is never sent there.
func TestIteratorRefusesForeignNext(t *testing.T) {
	var foreign atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		foreign.Add(1)
		t.Errorf("request with Authorization %q reached another host", r.Header.Get("Authorization"))
		writeJSON(w, http.StatusOK, hydraPage("/x", 0, ""))
	}))
	defer other.Close()

	tests := map[string]string{
		"another host":             other.URL + "/api-v1/my_account/contacts?cursor=p2",
		"another host, https":      strings.Replace(other.URL, "http://", "https://", 1) + "/my_account/contacts?cursor=p2",
		"protocol-relative":        "//" + strings.TrimPrefix(other.URL, "http://") + "/my_account/contacts?cursor=p2",
		"not a path":               "my_account/contacts?cursor=p2",
		"javascript-style garbage": "javascript:alert(1)",
	}
	for name, next := range tests {
		t.Run(name, func(t *testing.T) {
			client, mux, ts := setup(t)
			mux.HandleFunc("/my_account/contacts", func(w http.ResponseWriter, r *http.Request) {
				if r.URL.RawQuery != "" {
					t.Errorf("the foreign link reached the API host as %s", r.RequestURI)
				}
				writeJSON(w, http.StatusOK, hydraPage("/my_account/contacts", 3, next,
					contactMember("1", "+13035550001")))
			})
			got, errs := collectSeq(client.Contacts.List(context.Background(), nil))
			assert.Equal(t, []string{"/contacts/1"}, ids(got))
			require.Len(t, errs, 1)
			assert.NotContains(t, errs[0].Error(), testToken)
			assert.Equal(t, 1, ts.Requests())

			// A saved cursor is checked the same way.
			p, err := client.Contacts.ListPage(context.Background(), nil, next)
			require.Error(t, err)
			assert.Nil(t, p)
			assert.Equal(t, 1, ts.Requests())
		})
	}
	assert.Zero(t, foreign.Load(), "the other host must see no request")
}

func TestIteratorHydraPrefixedKeys(t *testing.T) {
	client, mux, ts := setup(t)
	mux.HandleFunc("/my_account/contacts", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("cursor") == "" {
			writeJSON(w, http.StatusOK, `{"@type":"hydra:Collection","hydra:totalItems":3,
			  "hydra:member":[`+contactMember("1", "+13035550001")+`,`+contactMember("2", "+13035550002")+`],
			  "hydra:view":{"@type":"hydra:PartialCollectionView","id":"/my_account/contacts","next":"/my_account/contacts?cursor=p2"}}`)
			return
		}
		writeJSON(w, http.StatusOK, `{"@type":"hydra:Collection","hydra:totalItems":3,
		  "hydra:member":[`+contactMember("3", "+13035550003")+`],
		  "hydra:view":{"@type":"hydra:PartialCollectionView","id":"/my_account/contacts?cursor=p2","next":null}}`)
	})
	got, errs := collectSeq(client.Contacts.List(context.Background(), nil))
	require.Empty(t, errs)
	assert.Equal(t, []string{"/contacts/1", "/contacts/2", "/contacts/3"}, ids(got))
	assert.Equal(t, 2, ts.Requests())

	p, err := client.Contacts.ListPage(context.Background(), nil, "")
	require.NoError(t, err)
	assert.Equal(t, 3, p.TotalItems)
	assert.Equal(t, "/my_account/contacts?cursor=p2", p.NextCursor)
}

// Pages without a view, with an empty next, or with no members in between
// are all handled.
func TestIteratorPageShapes(t *testing.T) {
	client, mux, ts := setup(t)
	mux.HandleFunc("/my_account/contacts", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("cursor") {
		case "":
			writeJSON(w, http.StatusOK, hydraPage("/my_account/contacts", 1, "/my_account/contacts?cursor=empty"))
		case "empty":
			writeJSON(w, http.StatusOK, `{"@type":"hydra:Collection","totalItems":1,"members":[`+
				contactMember("1", "+13035550001")+`],"view":{"id":"/x","next":""}}`)
		}
	})
	got, errs := collectSeq(client.Contacts.List(context.Background(), nil))
	require.Empty(t, errs)
	assert.Equal(t, []string{"/contacts/1"}, ids(got))
	assert.Equal(t, 2, ts.Requests())

	client2, mux2, ts2 := setup(t)
	mux2.HandleFunc("/my_account/contacts", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `{"@type":"hydra:Collection","members":[`+contactMember("1", "+13035550001")+`]}`)
	})
	p, err := client2.Contacts.ListPage(context.Background(), nil, "")
	require.NoError(t, err)
	assert.Len(t, p.Items, 1)
	assert.Equal(t, 1, p.TotalItems, "totalItems defaults to the member count")
	assert.False(t, p.HasNext())
	assert.Equal(t, 1, ts2.Requests())
}

// ListPage: page 1's cursor, given to a new client, returns page 2; and so
// on to the end. Cursors with and without the base path both work.
func TestListPageResumeWithNewClient(t *testing.T) {
	for name, link := range map[string]func(string) string{
		"without base path": func(c string) string { return "/my_account/contacts?cursor=" + c },
		"with base path":    func(c string) string { return "/api-v1/my_account/contacts?cursor=" + c },
	} {
		t.Run(name, func(t *testing.T) {
			client, mux, ts := setup(t)
			threePages(t, mux, link)

			p1, err := client.Contacts.ListPage(context.Background(), nil, "")
			require.NoError(t, err)
			assert.Equal(t, []string{"/contacts/1", "/contacts/2"}, ids(p1.Items))
			assert.Equal(t, 6, p1.TotalItems)
			require.True(t, p1.HasNext())
			cursor := p1.NextCursor

			fresh := newTestClient(t, ts, WithAccount(testAccount))
			p2, err := fresh.Contacts.ListPage(context.Background(), nil, cursor)
			require.NoError(t, err)
			assert.Equal(t, []string{"/contacts/3", "/contacts/4"}, ids(p2.Items))
			require.True(t, p2.HasNext())

			fresh2 := newTestClient(t, ts, WithAccount(testAccount))
			p3, err := fresh2.Contacts.ListPage(context.Background(), nil, p2.NextCursor)
			require.NoError(t, err)
			assert.Equal(t, []string{"/contacts/5", "/contacts/6"}, ids(p3.Items))
			assert.False(t, p3.HasNext())
			assert.Equal(t, 3, ts.Requests())
		})
	}
	var nilPage *Page[*Contact]
	assert.False(t, nilPage.HasNext())
}

func TestIteratorCanceledContext(t *testing.T) {
	client, mux, _ := setup(t)
	mux.HandleFunc("/my_account/contacts", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, hydraPage("/my_account/contacts", 0, ""))
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got, errs := collectSeq(client.Contacts.List(ctx, nil))
	assert.Empty(t, got)
	require.Len(t, errs, 1)
	assert.True(t, errors.Is(errs[0], context.Canceled), "error %v", errs[0])
}

// A null member is skipped, in plain collections and in those decoded
// member by member (timelines, webhook lists).
func TestIteratorSkipsNullMembers(t *testing.T) {
	client, mux, _ := setup(t)
	mux.HandleFunc("/my_account/contacts", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, hydraPage("/my_account/contacts", 2, "", contactMember("1", "+13035550001"), "null"))
	})
	mux.HandleFunc("/conversations/kY1QwY/timeline", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, hydraPage("/conversations/kY1QwY/timeline", 2, "", "null", specMessageJSON))
	})
	mux.HandleFunc("/my_account/integrations", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, hydraPage("/my_account/integrations", 2, "", specIntegrationJSON, "null"))
	})

	contacts, errs := collectSeq(client.Contacts.List(context.Background(), nil))
	require.Empty(t, errs)
	assert.Equal(t, []string{"/contacts/1"}, ids(contacts))

	msgs, errs := collectSeq(client.Conversations.Timeline(context.Background(), "kY1QwY"))
	require.Empty(t, errs)
	require.Len(t, msgs, 1)
	assertSpecMessage(t, msgs[0])

	hooks, errs := collectSeq(client.Webhooks.List(context.Background()))
	require.Empty(t, errs)
	require.Len(t, hooks, 1)
	assertSpecWebhook(t, hooks[0])
}
