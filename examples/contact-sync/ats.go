package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Candidate is a person in the user's own system, an applicant tracking
// system (ATS) here.
type Candidate struct {
	ID    string // the ATS's id, e.g. "cand-1"
	Name  string
	Phone string // E.164
	// TextUsID is the IRI of the linked TextUs contact ("/contacts/..."),
	// empty until linked.
	TextUsID string
}

// Errors of ATS.Link.
var (
	ErrNoCandidate     = errors.New("no such candidate")
	ErrLinkedElsewhere = errors.New("candidate is linked to another TextUs contact")
)

// ATS is the part of the user's system that contact sync needs. Implement
// it on your own database; MemoryATS is an in-memory version.
type ATS interface {
	// Link records that candidate id is the TextUs contact textusID. Linking
	// again to the same contact does nothing; a candidate linked to another
	// contact is left alone and the error matches ErrLinkedElsewhere.
	Link(ctx context.Context, id, textusID string) error
	// Import adds a candidate for a TextUs contact unless one is already
	// linked to c.TextUsID, atomically. It returns the candidate and
	// whether it was added.
	Import(ctx context.Context, c Candidate) (Candidate, bool, error)
}

// MemoryATS is an in-memory ATS.
type MemoryATS struct {
	mu         sync.Mutex
	candidates []*Candidate
}

// Add creates a candidate in the ATS, as a recruiter would, and returns it.
func (a *MemoryATS) Add(name, phone string) Candidate {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.addLocked(Candidate{Name: name, Phone: phone})
}

func (a *MemoryATS) addLocked(c Candidate) Candidate {
	c.ID = fmt.Sprintf("cand-%d", len(a.candidates)+1)
	a.candidates = append(a.candidates, &c)
	return c
}

// Link implements ATS.
func (a *MemoryATS) Link(_ context.Context, id, textusID string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, c := range a.candidates {
		if c.ID != id {
			continue
		}
		switch c.TextUsID {
		case "":
			c.TextUsID = textusID
			return nil
		case textusID:
			return nil
		}
		return fmt.Errorf("%w: %s is linked to %s, not %s", ErrLinkedElsewhere, id, c.TextUsID, textusID)
	}
	return fmt.Errorf("%w: %s", ErrNoCandidate, id)
}

// Import implements ATS.
func (a *MemoryATS) Import(_ context.Context, c Candidate) (Candidate, bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, existing := range a.candidates {
		if existing.TextUsID == c.TextUsID {
			return *existing, false, nil
		}
	}
	return a.addLocked(c), true, nil
}

// Get returns a candidate by id.
func (a *MemoryATS) Get(id string) (Candidate, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, c := range a.candidates {
		if c.ID == id {
			return *c, true
		}
	}
	return Candidate{}, false
}

// List returns every candidate, oldest first.
func (a *MemoryATS) List() []Candidate {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]Candidate, len(a.candidates))
	for i, c := range a.candidates {
		out[i] = *c
	}
	return out
}
