// Package jsonld holds the small JSON-LD / Hydra helpers the SDK decodes with:
// relations that arrive either as an IRI string or as an embedded object,
// hydra collections under their compact or prefixed keys, and IRI/slug helpers.
package jsonld

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
)

// Link is a relation that the API sends as an IRI string, as an embedded
// object with an "id", or as null. It decodes all three forms and keeps the
// IRI; Raw holds the embedded object when there was one.
type Link struct {
	IRI string
	Raw json.RawMessage
}

var null = []byte("null")

// UnmarshalJSON implements json.Unmarshaler.
func (l *Link) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, null):
		*l = Link{}
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*l = Link{IRI: s}
		return nil
	case b[0] == '{':
		var obj struct {
			ID  string `json:"id"`
			AID string `json:"@id"`
		}
		if err := json.Unmarshal(b, &obj); err != nil {
			var te *json.UnmarshalTypeError
			if !errors.As(err, &te) {
				return err
			}
			// An id that is not a string is no IRI; keep the object.
		}
		id := obj.ID
		if id == "" {
			id = obj.AID
		}
		*l = Link{IRI: id, Raw: append(json.RawMessage(nil), b...)}
		return nil
	default:
		// A number, boolean or array is not a relation; decode it as none
		// rather than failing the resource that holds it.
		*l = Link{}
		return nil
	}
}

// MarshalJSON writes the embedded object when one was decoded, else the IRI
// (or null when empty).
func (l Link) MarshalJSON() ([]byte, error) {
	if len(l.Raw) > 0 {
		return l.Raw, nil
	}
	if l.IRI == "" {
		return null, nil
	}
	return json.Marshal(l.IRI)
}

// View is a hydra:PartialCollectionView.
type View struct {
	ID       string `json:"id"`
	First    string `json:"first"`
	Next     string `json:"next"`
	Previous string `json:"previous"`
}

// Collection is a hydra:Collection embedded in a resource (a contact's
// phones, a message's attachments). It accepts the compact keys (members,
// totalItems, view) and the prefixed ones (hydra:member, ...). A relation
// that arrives as a bare JSON array of members, or as a link string,
// decodes too (the string becomes ID and Members stays empty). Like the
// resources that embed it, it is lenient: a member or key of the wrong JSON
// type is left zero and the rest is kept (a member that is not an object
// becomes a zero member), and any other value (a number, a boolean) is an
// empty collection; only invalid JSON is an error.
type Collection[T any] struct {
	Type       string
	ID         string
	Members    []T
	TotalItems int
	View       *View
}

// UnmarshalJSON implements json.Unmarshaler.
func (c *Collection[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*c = Collection[T]{}
	switch {
	case len(b) == 0 || bytes.Equal(b, null):
		return nil
	case b[0] == '"':
		return json.Unmarshal(b, &c.ID)
	case b[0] == '[':
		if err := json.Unmarshal(b, &c.Members); err != nil && !isTypeError(err) {
			return err
		}
		c.TotalItems = len(c.Members)
		return nil
	}
	var w struct {
		Type        string `json:"@type"`
		ID          string `json:"id"`
		Members     []T    `json:"members"`
		HMembers    []T    `json:"hydra:member"`
		TotalItems  *int   `json:"totalItems"`
		HTotalItems *int   `json:"hydra:totalItems"`
		View        *View  `json:"view"`
		HView       *View  `json:"hydra:view"`
	}
	if err := json.Unmarshal(b, &w); err != nil && !isTypeError(err) {
		return err
	}
	c.Type, c.ID = w.Type, w.ID
	c.Members = w.Members
	if c.Members == nil {
		c.Members = w.HMembers
	}
	switch {
	case w.TotalItems != nil:
		c.TotalItems = *w.TotalItems
	case w.HTotalItems != nil:
		c.TotalItems = *w.HTotalItems
	default:
		c.TotalItems = len(c.Members)
	}
	c.View = w.View
	if c.View == nil {
		c.View = w.HView
	}
	return nil
}

// isTypeError reports a value of the wrong JSON type: encoding/json has then
// decoded everything else.
func isTypeError(err error) bool {
	var te *json.UnmarshalTypeError
	return errors.As(err, &te)
}

// Next returns the next-page link of the collection, or "" on the last page.
func (c *Collection[T]) Next() string {
	if c.View == nil {
		return ""
	}
	return c.View.Next
}

// Slug returns the last path segment of an IRI ("/contacts/DQeeO69" ->
// "DQeeO69"). A value without a slash is returned unchanged, so a bare slug
// passes through. Query strings and fragments are dropped.
func Slug(iri string) string {
	if i := strings.IndexAny(iri, "?#"); i >= 0 {
		iri = iri[:i]
	}
	iri = strings.TrimRight(iri, "/")
	if i := strings.LastIndexByte(iri, '/'); i >= 0 {
		return iri[i+1:]
	}
	return iri
}
