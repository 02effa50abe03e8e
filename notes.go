package textus

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"strings"
	"time"

	"github.com/textus-go/textus/internal/jsonld"
)

// ContactNote is a note a user wrote about a contact (JSON-LD type
// "ContactNote"). The contact never sees it.
type ContactNote struct {
	// LDType is the JSON-LD @type ("ContactNote").
	LDType string `json:"@type,omitempty"`
	// ID is the note's IRI, e.g. "/contact_notes/RN5QNG".
	ID string `json:"id"`
	// Content is the note's text.
	Content string `json:"content"`
	// CreatedAt is when the note was written; zero when absent.
	CreatedAt time.Time `json:"createdAt,omitzero"`
	// UpdatedAt is when it last changed; zero when absent.
	UpdatedAt time.Time `json:"updatedAt,omitzero"`
	// User is the IRI of the user who wrote it (an embedded user decodes
	// to its IRI).
	User string `json:"user,omitempty"`
	// UserName is the author's name when the API embeds the user.
	UserName string `json:"userName,omitempty"`
	// Contact is the IRI of the contact the note is about.
	Contact string `json:"contact,omitempty"`
	// Raw is the JSON the note was decoded from.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes a note leniently: user and contact may be links or
// embedded objects, timestamps any RFC 3339 form, and a field of an
// unexpected JSON type is left zero.
func (n *ContactNote) UnmarshalJSON(b []byte) error {
	type plain ContactNote
	*n = ContactNote{}
	aux := struct {
		*plain
		User      jsonld.Link `json:"user"`
		Contact   jsonld.Link `json:"contact"`
		CreatedAt lenientTime `json:"createdAt"`
		UpdatedAt lenientTime `json:"updatedAt"`
	}{plain: (*plain)(n)}
	if err := decodeObject(b, &aux); err != nil {
		return err
	}
	n.User, n.Contact = aux.User.IRI, aux.Contact.IRI
	n.CreatedAt, n.UpdatedAt = aux.CreatedAt.Time, aux.UpdatedAt.Time
	if len(aux.User.Raw) > 0 {
		var u struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(aux.User.Raw, &u) == nil {
			n.UserName = u.Name
		}
	}
	if !isNull(b) {
		n.Raw = append(json.RawMessage(nil), b...)
	}
	return nil
}

func (s *ContactsService) notes(id string) pager[ContactNote] {
	return newPager[ContactNote](s.client, epContactsNotes, nil, id)
}

// Notes iterates over the notes users wrote about a contact (by IRI or
// slug), in the order TextUs lists them. Lazy, like List; an unknown
// contact yields an error matching ErrNotFound.
//
// GET /contacts/:contact/notes (https://apidocs.next.textus.com/docs/contact_notes/index/).
func (s *ContactsService) Notes(ctx context.Context, id string) iter.Seq2[*ContactNote, error] {
	return s.notes(id).all(ctx)
}

// NotesPage returns one page of Notes; see ListPage for cursors.
func (s *ContactsService) NotesPage(ctx context.Context, id, cursor string) (*Page[*ContactNote], error) {
	return s.notes(id).page(ctx, cursor)
}

// CreateNote adds a note to a contact (by IRI or slug) and returns it. The
// content is sent as given; a blank one is refused before anything is sent.
//
// It is a POST, and TextUs offers no idempotency key: if it fails after it
// may have reached TextUs (a timeout, a reset connection, a 5xx), the error
// matches ErrOutcomeUnknown and the note is not posted again. Read Notes
// before adding it once more. An unknown contact yields an error matching
// ErrNotFound; content TextUs refuses, ErrValidation.
//
// POST /contacts/:contact/notes with {"content": ...}, answered 201
// (https://apidocs.next.textus.com/docs/contact_notes/create/).
func (s *ContactsService) CreateNote(ctx context.Context, id, content string) (*ContactNote, error) {
	if strings.TrimSpace(content) == "" {
		return nil, errors.New("textus: note content is empty")
	}
	return call[ContactNote](ctx, s.client, epContactsCreateNote, struct {
		Content string `json:"content"`
	}{content}, id)
}
