package textus

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// docsSavedReplyJSON is the answer of the docs' saved reply examples.
const docsSavedReplyJSON = `{
  "@type": "SavedReply", "@context": "/contexts/SavedReply.jsonld", "id": "/saved_replies/vxoonZb",
  "title": "Updated Title", "content": "updated content", "shared": false, "user": "/users/wqyODPA",
  "attachments": { "@type": "hydra:Collection", "@context": "/contexts/hydra:Collection.jsonld",
    "id": "/saved_replies/ZLA8Y5/attachments",
    "members": [ { "@type": "SavedReplyAttachment", "@context": "/contexts/SavedReplyAttachment.jsonld",
      "id": "/attachments/9", "url": "https://d1jouk7ho9xl4w.cloudfront.net/abc123==",
      "downloadUrl": "https://s3.amazonaws.com/attachments.textus-staging.net/abc123", "key": "abc123",
      "contentType": "image/png", "size": 1024, "width": 240, "height": 320, "originalFilename": "image01.png" } ],
    "totalItems": 1 }
}`

func assertDocsSavedReply(t *testing.T, r *SavedReply) {
	t.Helper()
	require.NotNil(t, r)
	assert.Equal(t, "SavedReply", r.LDType)
	assert.Equal(t, "/saved_replies/vxoonZb", r.ID)
	assert.Equal(t, "Updated Title", r.Title)
	assert.Equal(t, "updated content", r.Content)
	assert.False(t, r.Shared)
	assert.Equal(t, "/users/wqyODPA", r.User)
	assert.Equal(t, []SavedReplyAttachment{{ID: "/attachments/9", URL: "https://d1jouk7ho9xl4w.cloudfront.net/abc123==",
		DownloadURL: "https://s3.amazonaws.com/attachments.textus-staging.net/abc123", Key: "abc123",
		ContentType: "image/png", Size: 1024, Width: 240, Height: 320, OriginalFilename: "image01.png"}}, r.Attachments)
	assert.JSONEq(t, docsSavedReplyJSON, string(r.Raw))
}

const docsSavedReplyBody = `{"saved_reply":{"title":"My Saved Reply","content":"This is my saved reply.",
  "attachments":[{"key":"def123","originalFilename":"image01.png","size":1024,"height":320,"width":240,"contentType":"image/png"}]}}`

var docsSavedReplyParams = SavedReplyParams{Title: "My Saved Reply", Content: "This is my saved reply.",
	Attachments: []SavedReplyAttachmentParams{{Key: "def123", OriginalFilename: "image01.png", Size: 1024,
		Height: 320, Width: 240, ContentType: "image/png"}}}

func TestSavedRepliesCreate(t *testing.T) {
	for _, user := range []string{"/users/zygnZv", "zygnZv"} {
		t.Run(user, func(t *testing.T) {
			client, mux, ts := setup(t)
			mux.HandleFunc("/users/zygnZv/saved_replies", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "POST")
				testURI(t, r, "/api-v1/users/zygnZv/saved_replies")
				testHeader(t, r, true)
				testJSONBody(t, r, docsSavedReplyBody)
				writeJSON(w, http.StatusCreated, docsSavedReplyJSON)
			})
			p := docsSavedReplyParams
			r, err := client.SavedReplies.Create(context.Background(), user, &p)
			require.NoError(t, err)
			assertDocsSavedReply(t, r)
			assert.Equal(t, 1, ts.Requests())
		})
	}
	t.Run("not re-sent after a 5xx", func(t *testing.T) {
		client, mux, ts := setup(t)
		mux.HandleFunc("/users/zygnZv/saved_replies", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusInternalServerError, `{"error":"boom"}`)
		})
		p := docsSavedReplyParams
		_, err := client.SavedReplies.Create(context.Background(), "zygnZv", &p)
		require.ErrorIs(t, err, ErrOutcomeUnknown)
		assert.Equal(t, 1, ts.Requests())
	})
}

func TestSavedRepliesUpdate(t *testing.T) {
	cases := []struct {
		name string
		p    SavedReplyParams
		body string
	}{
		{"the docs' example", SavedReplyParams{Title: "Updated Title", Content: "updated content",
			Attachments: docsSavedReplyParams.Attachments},
			`{"saved_reply":{"title":"Updated Title","content":"updated content","attachments":[{"key":"def123","originalFilename":"image01.png","size":1024,"height":320,"width":240,"contentType":"image/png"}]}}`},
		{"content only", SavedReplyParams{Content: "new text"}, `{"saved_reply":{"content":"new text"}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			client, mux, ts := setup(t)
			mux.HandleFunc("/saved_replies/vxoonZb", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "PUT")
				testURI(t, r, "/api-v1/saved_replies/vxoonZb")
				testHeader(t, r, true)
				testJSONBody(t, r, tc.body)
				writeJSON(w, http.StatusOK, docsSavedReplyJSON)
			})
			p := tc.p
			r, err := client.SavedReplies.Update(context.Background(), "/saved_replies/vxoonZb", &p)
			require.NoError(t, err)
			assertDocsSavedReply(t, r)
			assert.Equal(t, 1, ts.Requests())
		})
	}
}

func TestSavedRepliesBadInput(t *testing.T) {
	create := map[string]struct {
		user string
		p    *SavedReplyParams
	}{
		"nil":            {"u", nil},
		"no title":       {"u", &SavedReplyParams{Content: "x"}},
		"no content":     {"u", &SavedReplyParams{Title: "x", Content: " "}},
		"attachment key": {"u", &SavedReplyParams{Title: "x", Content: "y", Attachments: []SavedReplyAttachmentParams{{}}}},
		"empty user":     {"", &SavedReplyParams{Title: "x", Content: "y"}},
		"user path":      {"a/b", &SavedReplyParams{Title: "x", Content: "y"}},
		"other IRI":      {"/contacts/x", &SavedReplyParams{Title: "x", Content: "y"}},
	}
	for name, tc := range create {
		t.Run("Create "+name, func(t *testing.T) {
			client, mux, ts := setup(t)
			refuseAll(t, mux)
			r, err := client.SavedReplies.Create(context.Background(), tc.user, tc.p)
			require.Error(t, err)
			assert.Nil(t, r)
			assertNothingSent(t, ts)
		})
	}
	update := map[string]struct {
		id string
		p  *SavedReplyParams
	}{
		"nil":           {"s", nil},
		"nothing":       {"s", &SavedReplyParams{}},
		"blank content": {"s", &SavedReplyParams{Content: "  "}},
		"empty id":      {"", &SavedReplyParams{Title: "x"}},
		"other IRI":     {"/users/x", &SavedReplyParams{Title: "x"}},
	}
	for name, tc := range update {
		t.Run("Update "+name, func(t *testing.T) {
			client, mux, ts := setup(t)
			refuseAll(t, mux)
			r, err := client.SavedReplies.Update(context.Background(), tc.id, tc.p)
			require.Error(t, err)
			assert.Nil(t, r)
			assertNothingSent(t, ts)
		})
	}
}
