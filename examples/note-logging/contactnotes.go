package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/textus-go/textus"
)

// ContactNotes is a CRM whose records are the TextUs contacts themselves:
// each message becomes a note on the contact of its number, through the
// notes endpoint (POST /contacts/:contact/notes).
//
// TextUs offers no idempotency key, so every note carries its message id
// on its last line ("[/messages/QNDkpL]"), and the contact's notes are read
// to know what is noted already. Adding a note is a POST that the SDK never
// repeats once it may have reached TextUs; when the answer is lost
// (ErrOutcomeUnknown) the notes are read again to learn whether it was
// added, and otherwise the error makes the delivery fail so that TextUs
// delivers it again, and the next attempt looks before adding.
type ContactNotes struct {
	Client *textus.Client

	mu       sync.Mutex
	contacts map[string]string      // phone -> contact IRI
	noted    map[string]bool        // message ids seen in the contacts' notes
	locks    map[string]*sync.Mutex // one adder at a time per contact
}

// ErrNoContact is returned for a number that no TextUs contact has: there
// is no record to put its notes on.
var ErrNoContact = errors.New("no TextUs contact has this number")

// contactOf returns the IRI of the contact with phone.
func (s *ContactNotes) contactOf(ctx context.Context, phone string) (string, error) {
	s.mu.Lock()
	id, ok := s.contacts[phone]
	s.mu.Unlock()
	if ok {
		return id, nil
	}
	ct, err := s.Client.Contacts.FindByPhone(ctx, phone)
	if errors.Is(err, textus.ErrNotFound) {
		return "", fmt.Errorf("%s: %w", phone, ErrNoContact)
	}
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	if s.contacts == nil {
		s.contacts = make(map[string]string)
	}
	s.contacts[phone] = ct.ID
	s.mu.Unlock()
	return ct.ID, nil
}

// lock returns the mutex that serialises the notes of one contact.
func (s *ContactNotes) lock(contact string) *sync.Mutex {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.locks == nil {
		s.locks = make(map[string]*sync.Mutex)
	}
	if s.locks[contact] == nil {
		s.locks[contact] = new(sync.Mutex)
	}
	return s.locks[contact]
}

// refresh reads the contact's notes and records the message ids they name.
func (s *ContactNotes) refresh(ctx context.Context, contact string) error {
	for n, err := range s.Client.Contacts.Notes(ctx, contact) {
		if err != nil {
			return fmt.Errorf("reading the notes of %s: %w", contact, err)
		}
		if id := noteMessageID(n.Content); id != "" {
			s.mu.Lock()
			if s.noted == nil {
				s.noted = make(map[string]bool)
			}
			s.noted[id] = true
			s.mu.Unlock()
		}
	}
	return nil
}

func (s *ContactNotes) isNoted(messageID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.noted[messageID]
}

// HasNote implements CRM: it reads the contact's notes unless the message
// is already known to be noted.
func (s *ContactNotes) HasNote(ctx context.Context, phone, messageID string) (bool, error) {
	if s.isNoted(messageID) {
		return true, nil
	}
	contact, err := s.contactOf(ctx, phone)
	if err != nil {
		return false, err
	}
	if err := s.refresh(ctx, contact); err != nil {
		return false, err
	}
	return s.isNoted(messageID), nil
}

// AddNote implements CRM: it adds the note to the contact of n.Phone unless
// one names n.MessageID already.
func (s *ContactNotes) AddNote(ctx context.Context, n Note) (bool, error) {
	contact, err := s.contactOf(ctx, n.Phone)
	if err != nil {
		return false, err
	}
	mu := s.lock(contact)
	mu.Lock()
	defer mu.Unlock()
	if has, err := s.HasNote(ctx, n.Phone, n.MessageID); err != nil || has {
		return false, err
	}
	_, err = s.Client.Contacts.CreateNote(ctx, contact, noteText(n))
	if errors.Is(err, textus.ErrOutcomeUnknown) {
		// The note may exist. Never post it blindly again: look.
		if rerr := s.refresh(ctx, contact); rerr != nil {
			return false, errors.Join(err, rerr)
		}
		if s.isNoted(n.MessageID) {
			return true, nil
		}
	}
	if err != nil {
		return false, err
	}
	s.mu.Lock()
	if s.noted == nil {
		s.noted = make(map[string]bool)
	}
	s.noted[n.MessageID] = true
	s.mu.Unlock()
	return true, nil
}

// noteText renders a note: a heading, the message text, and the message
// id on the last line, which noteMessageID reads back.
//
//	Text out, 2025-01-02 15:04 UTC
//	Are you free for a call tomorrow at 3pm?
//	[/messages/QNDkpL]
func noteText(n Note) string {
	return fmt.Sprintf("Text %s, %s\n%s\n[%s]", n.Direction, n.At.UTC().Format("2006-01-02 15:04 MST"), n.Body, n.MessageID)
}

// parseNote reads back a note written by noteText; ok is false for any
// other note (one a person wrote).
func parseNote(content string) (direction textus.Direction, body, messageID string, ok bool) {
	lines := strings.Split(content, "\n")
	if len(lines) < 3 || !strings.HasPrefix(lines[0], "Text ") {
		return "", "", "", false
	}
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "[/messages/") || !strings.HasSuffix(last, "]") {
		return "", "", "", false
	}
	dir, _, _ := strings.Cut(strings.TrimPrefix(lines[0], "Text "), ",")
	return textus.Direction(dir), strings.Join(lines[1:len(lines)-1], "\n"), last[1 : len(last)-1], true
}

// noteMessageID is the message id a note written by noteText names, or "".
func noteMessageID(content string) string {
	_, _, id, _ := parseNote(content)
	return id
}
