package textus

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// specNoteJSON is the ContactNote of the docs' examples (contact notes
// index and create).
const specNoteJSON = `{
  "@type": "ContactNote", "id": "/contact_notes/RN5QNG", "@context": "/contexts/ContactNote.jsonld",
  "content": "Life is a fragile thing, Har. One minute you're chewin' on a burger, the next minute you're dead meat.",
  "createdAt": "2018-10-31T16:17:10.914Z", "updatedAt": "2018-10-31T16:17:10.914Z",
  "user": { "@type": "User", "@context": "/contexts/User.jsonld", "id": "/users/wqyODPA", "name": "Chuck Norris",
    "firstName": "Chuck", "lastName": "Norris", "email": "chuck@textus.example", "avatar": null,
    "automatedActor": false, "hasPassword": false, "discarded": false, "settings": { "customSettings": {} },
    "memberships": "/users/wqyODPA/memberships" },
  "contact": "/contacts/DQeeO69"
}`

func assertSpecNote(t *testing.T, n *ContactNote) {
	t.Helper()
	require.NotNil(t, n)
	assert.Equal(t, "ContactNote", n.LDType)
	assert.Equal(t, "/contact_notes/RN5QNG", n.ID)
	assert.Contains(t, n.Content, "Life is a fragile thing")
	assert.True(t, n.CreatedAt.Equal(time.Date(2018, 10, 31, 16, 17, 10, 914e6, time.UTC)))
	assert.True(t, n.UpdatedAt.Equal(n.CreatedAt))
	assert.Equal(t, "/users/wqyODPA", n.User)
	assert.Equal(t, "Chuck Norris", n.UserName)
	assert.Equal(t, "/contacts/DQeeO69", n.Contact)
	assert.JSONEq(t, specNoteJSON, string(n.Raw))
}

func TestContactsNotes(t *testing.T) {
	for _, id := range []string{"/contacts/DQeeO69", "DQeeO69"} {
		t.Run(id, func(t *testing.T) {
			client, mux, ts := setup(t)
			mux.HandleFunc("/contacts/DQeeO69/notes", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "GET")
				testHeader(t, r, false)
				testNoBody(t, r)
				switch r.URL.RawQuery {
				case "":
					testURI(t, r, "/api-v1/contacts/DQeeO69/notes")
					writeJSON(w, http.StatusOK, hydraPage("/contacts/DQeeO69/notes", 2, "/contacts/DQeeO69/notes?cursor=Mg", specNoteJSON))
				case "cursor=Mg":
					writeJSON(w, http.StatusOK, hydraPage("/contacts/DQeeO69/notes", 2, "",
						`{"@type":"ContactNote","id":"/contact_notes/2","content":"second","user":"/users/x","contact":{"id":"/contacts/DQeeO69"}}`))
				default:
					t.Errorf("unexpected query %q", r.URL.RawQuery)
				}
			})
			seq := client.Contacts.Notes(context.Background(), id)
			assert.Zero(t, ts.Requests(), "Notes must not fetch before the first step")
			notes, errs := collectSeq(seq)
			require.Empty(t, errs)
			require.Len(t, notes, 2)
			assertSpecNote(t, notes[0])
			assert.Equal(t, "second", notes[1].Content)
			assert.Equal(t, "/users/x", notes[1].User)
			assert.Empty(t, notes[1].UserName)
			assert.Equal(t, "/contacts/DQeeO69", notes[1].Contact)
			assert.Equal(t, 2, ts.Requests())

			page, err := client.Contacts.NotesPage(context.Background(), id, "")
			require.NoError(t, err)
			assert.Equal(t, 2, page.TotalItems)
			assert.Equal(t, "/contacts/DQeeO69/notes?cursor=Mg", page.NextCursor)
		})
	}
}

func TestContactsCreateNote(t *testing.T) {
	for _, id := range []string{"/contacts/DQeeO69", "DQeeO69"} {
		t.Run(id, func(t *testing.T) {
			client, mux, ts := setup(t)
			mux.HandleFunc("/contacts/DQeeO69/notes", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "POST")
				testURI(t, r, "/api-v1/contacts/DQeeO69/notes")
				testHeader(t, r, true)
				testJSONBody(t, r, `{"content":"Awesome note!"}`)
				writeJSON(w, http.StatusCreated, specNoteJSON)
			})
			n, err := client.Contacts.CreateNote(context.Background(), id, "Awesome note!")
			require.NoError(t, err)
			assertSpecNote(t, n)
			assert.Equal(t, 1, ts.Requests())
		})
	}
}

func TestContactsCreateNoteBadInput(t *testing.T) {
	cases := map[string]struct{ id, content string }{
		"empty content": {"DQeeO69", ""},
		"blank content": {"DQeeO69", " \n\t"},
		"empty id":      {"", "x"},
		"other IRI":     {"/messages/x", "x"},
		"path":          {"a/b", "x"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			client, mux, ts := setup(t)
			refuseAll(t, mux)
			n, err := client.Contacts.CreateNote(context.Background(), tc.id, tc.content)
			require.Error(t, err)
			assert.Nil(t, n)
			assertNothingSent(t, ts)
		})
	}
}

// A note is a POST: after a 5xx it may exist, so it is not posted again.
func TestContactsCreateNoteNotResentAfter5xx(t *testing.T) {
	client, mux, ts := setup(t)
	mux.HandleFunc("/contacts/DQeeO69/notes", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusServiceUnavailable, `{"error":"try later"}`)
	})
	n, err := client.Contacts.CreateNote(context.Background(), "DQeeO69", "hi")
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	assert.Nil(t, n)
	assert.Equal(t, 1, ts.Requests())
}

func TestContactsNotesNotFound(t *testing.T) {
	client, mux, _ := setup(t)
	mux.HandleFunc("/contacts/nope/notes", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, `{"hydra:title":"Not Found","hydra:description":"contact nope not found"}`)
	})
	assert.ErrorIs(t, firstErr(client.Contacts.Notes(context.Background(), "nope")), ErrNotFound)
	_, err := client.Contacts.CreateNote(context.Background(), "nope", "x")
	assert.ErrorIs(t, err, ErrNotFound)
	assert.NotErrorIs(t, err, ErrOutcomeUnknown, "a 404 is an answer")
}
