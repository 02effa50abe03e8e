package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/webhooks"
)

// atsIDKey is the contact data key that carries the ATS id of a contact the
// ATS created. It lets the contact.created webhook recognise the ATS's own
// contacts, even when it arrives before Push has its response.
const atsIDKey = "atsId"

// ContactSync copies contacts both ways between TextUs and the ATS.
type ContactSync struct {
	Client *textus.Client
	ATS    ATS
	Logger *slog.Logger // optional
}

// Register sets the contact.created callback on h.
func (s *ContactSync) Register(h *webhooks.Handler) {
	h.OnContactCreated(s.ContactCreated)
}

// ContactCreated copies a contact created in TextUs (in the web app, by an
// inbound text from a new number, ...) into the ATS. A contact that the ATS
// itself pushed is linked to its candidate instead of copied back. Both
// steps are idempotent, so a repeated delivery changes nothing.
func (s *ContactSync) ContactCreated(ctx context.Context, e *textus.ContactEvent) error {
	ct := e.Contact
	if ct == nil || ct.ID == "" {
		s.log("contact.created without a contact; ignored", "delivery", e.ID)
		return nil // a retry would not carry one either
	}
	if ct.Name == "" && len(ct.Phones) == 0 && ct.Data == nil {
		// The delivery carries only a link: read the contact.
		full, err := s.Client.Contacts.Get(ctx, ct.ID)
		if err != nil {
			return err // 500: TextUs delivers the event again
		}
		ct = full
	}

	if atsID, _ := ct.Data[atsIDKey].(string); atsID != "" {
		err := s.ATS.Link(ctx, atsID, ct.ID)
		switch {
		case err == nil:
			s.log("linked the ATS's own contact", "candidate", atsID, "contact", ct.ID)
			return nil
		case errors.Is(err, ErrLinkedElsewhere):
			// Two TextUs contacts for one candidate: keep the first link and
			// leave the duplicate to a person. Retrying would not help.
			s.log("duplicate contact for a candidate; not linked", "candidate", atsID, "contact", ct.ID)
			return nil
		case !errors.Is(err, ErrNoCandidate):
			return err
		}
		// An id the ATS does not know: import the contact like any other.
	}

	c, added, err := s.ATS.Import(ctx, Candidate{Name: ct.Name, Phone: firstPhone(ct), TextUsID: ct.ID})
	if err != nil {
		return err
	}
	if added {
		s.log("imported a TextUs contact", "candidate", c.ID, "contact", ct.ID)
	}
	return nil
}

// Push creates a TextUs contact for an ATS candidate (c.Contacts.Create)
// and links the two. A candidate that is already linked is not pushed again.
//
// Creating a contact is a POST, which the SDK never repeats once it may have
// reached TextUs. If its outcome is unknown, Push does not try again either:
// if the contact was created, its contact.created webhook carries the ATS id
// and links it.
func (s *ContactSync) Push(ctx context.Context, c Candidate) (*textus.Contact, error) {
	if c.TextUsID != "" {
		return nil, fmt.Errorf("candidate %s is already linked to %s", c.ID, c.TextUsID)
	}
	ct, err := s.Client.Contacts.Create(ctx, &textus.ContactParams{
		Name:   c.Name,
		Phones: []textus.PhoneParams{{Number: c.Phone, Type: "Mobile"}},
		Data:   map[string]any{atsIDKey: c.ID},
	})
	if errors.Is(err, textus.ErrOutcomeUnknown) {
		return nil, fmt.Errorf("the TextUs contact for %s may or may not have been created; not creating it again (the contact.created webhook links it if it exists): %w", c.ID, err)
	}
	if err != nil {
		return nil, fmt.Errorf("creating the TextUs contact for %s: %w", c.ID, err)
	}
	if err := s.ATS.Link(ctx, c.ID, ct.ID); err != nil {
		return ct, err
	}
	return ct, nil
}

func (s *ContactSync) log(msg string, args ...any) {
	if s.Logger != nil {
		s.Logger.Info(msg, args...)
	}
}

func firstPhone(ct *textus.Contact) string {
	if len(ct.Phones) == 0 {
		return ""
	}
	return ct.Phones[0].PhoneNumber
}
