package textustest

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/textus-go/textus"
)

// Contact notes and custom data.

// listNotes answers GET /contacts/:id/notes, oldest first.
func (s *Server) listNotes(c *call) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	ct, res, ok := lookup(s.contacts, c, "contact")
	if !ok {
		return res
	}
	return c.page("hydra:Collection", s.wireNotes(ct), nil)
}

// createNote answers POST /contacts/:id/notes {"content": ...} with 201 and
// the note, written by the token's user.
func (s *Server) createNote(c *call) result {
	var in struct {
		Content *string `json:"content"`
	}
	if res, failed := c.decode(&in); failed {
		return res
	}
	if in.Content == nil || strings.TrimSpace(*in.Content) == "" {
		return errorResult(http.StatusUnprocessableEntity, "content: can't be blank")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ct, res, ok := lookup(s.contacts, c, "contact")
	if !ok {
		return res
	}
	n := &note{slug: s.newSlug(), content: *in.Content, createdAt: now(), contact: ct, user: s.meLocked()}
	s.api.notes[n.slug] = n
	ct.notes = append(ct.notes, n)
	return answer(http.StatusCreated, s.wireNote(n))
}

// listCustomData answers GET /contacts/:id/custom_data: the values set
// with SetCustomData, in the order their fields were first set.
func (s *Server) listCustomData(c *call) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	ct, res, ok := lookup(s.contacts, c, "contact")
	if !ok {
		return res
	}
	return c.page("hydra:Collection", s.wireCustomData(ct), nil)
}

// Notes returns the notes of a contact (by IRI or slug), oldest first;
// nil when there is no such contact.
func (s *Server) Notes(contactID string) []*textus.ContactNote {
	slug := strings.TrimPrefix(strings.TrimSpace(contactID), "/contacts/")
	s.mu.Lock()
	defer s.mu.Unlock()
	ct := s.contacts[slug]
	if ct == nil {
		return nil
	}
	out := make([]*textus.ContactNote, 0, len(ct.notes))
	for _, n := range ct.notes {
		var tn textus.ContactNote
		if err := remarshal(s.wireNote(n), &tn); err != nil {
			tn = textus.ContactNote{ID: n.iri(), Content: n.content, Contact: ct.iri()}
		}
		out = append(out, &tn)
	}
	return out
}

// SetCustomData sets custom data on a contact (by IRI or slug), as an
// integration importing from another system would: each key is a custom
// field's slug ("calendar-link"), each value a string, number or boolean.
// A nil value removes the field. The values appear in the contact's
// customData collection (GET /contacts/:id/custom_data) and, as text, in
// its formattedData. It returns an error for an unknown contact, an empty
// key or a value of another type.
func (s *Server) SetCustomData(contactID string, fields map[string]any) error {
	slug := strings.TrimPrefix(strings.TrimSpace(contactID), "/contacts/")
	keys := make([]string, 0, len(fields))
	for k, v := range fields {
		if strings.TrimSpace(k) == "" || strings.ContainsAny(k, "/?# ") {
			return fmt.Errorf("textustest: SetCustomData: invalid field %q", k)
		}
		switch v.(type) {
		case nil, string, bool, int, int64, float64:
		default:
			return fmt.Errorf("textustest: SetCustomData: field %s: a %T is not a string, number or boolean", k, v)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.contacts[slug] == nil {
		return errors.New("textustest: SetCustomData: contact " + contactID + " not found")
	}
	data := s.api.custom[slug]
	for _, k := range keys {
		v := fields[k]
		i := -1
		for j, d := range data {
			if d.slug == k {
				i = j
			}
		}
		switch {
		case v == nil && i >= 0:
			data = append(data[:i], data[i+1:]...)
		case v == nil:
		case i >= 0:
			data[i].value, data[i].typ = v, fieldType(v)
		default:
			data = append(data, &customDatum{slug: k, title: fieldTitle(k), typ: fieldType(v), value: v})
		}
	}
	s.api.custom[slug] = data
	return nil
}

// fieldType is the custom field type of a value.
func fieldType(v any) string {
	switch v.(type) {
	case string:
		return "text"
	case bool:
		return "boolean"
	}
	return "number"
}

// fieldTitle makes a display title of a field slug ("calendar-link" ->
// "Calendar Link").
func fieldTitle(slug string) string {
	words := strings.FieldsFunc(slug, func(r rune) bool { return r == '-' || r == '_' || r == '.' })
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}
