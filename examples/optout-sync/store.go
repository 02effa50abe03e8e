package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// Record is the application's own opt-out record for one phone number. It is
// never deleted: an opt-in is recorded next to the opt-out, as TextUs advises
// for compliance.
type Record struct {
	Phone string `json:"phone"` // E.164
	// OptedOut is the current state: true after an opt-out, false after a
	// later opt-in.
	OptedOut bool `json:"optedOut"`
	// OptedOutAt is the time of the latest opt-out, OptedInAt of the latest
	// opt-in (zero when none).
	OptedOutAt time.Time `json:"optedOutAt"`
	OptedInAt  time.Time `json:"optedInAt"`
}

// apply records an opt-out (optedOut true) or an opt-in that happened at
// at. Webhook deliveries may arrive out of order, so an event older than
// the one that set the current state is kept in the history but does not
// change the state. It reports whether the state is now optedOut.
func (r *Record) apply(optedOut bool, at time.Time) bool {
	latest := r.OptedOutAt
	if r.OptedInAt.After(latest) {
		latest = r.OptedInAt
	}
	if optedOut && at.After(r.OptedOutAt) {
		r.OptedOutAt = at
	}
	if !optedOut && at.After(r.OptedInAt) {
		r.OptedInAt = at
	}
	if !at.Before(latest) {
		r.OptedOut = optedOut
	}
	return r.OptedOut == optedOut
}

// Store keeps the application's opt-out records. Implement it on your own
// database; FileStore is a small JSON-file version.
type Store interface {
	// Get returns the record of phone; ok is false when there is none.
	Get(ctx context.Context, phone string) (rec Record, ok bool, err error)
	// Update applies fn to the record of phone (a new Record with Phone set
	// when there is none) and saves the result, atomically.
	Update(ctx context.Context, phone string, fn func(*Record)) error
}

// FileStore is a Store kept in memory and, when it has a path, saved to a
// JSON file after every change. It is safe for concurrent use within one
// process.
type FileStore struct {
	path string

	mu      sync.Mutex
	records map[string]Record
}

// OpenFileStore loads the store saved at path, or starts an empty one when
// the file does not exist. An empty path keeps the records in memory only.
func OpenFileStore(path string) (*FileStore, error) {
	s := &FileStore{path: path, records: make(map[string]Record)}
	if path == "" {
		return s, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	var list []Record
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	for _, r := range list {
		s.records[r.Phone] = r
	}
	return s, nil
}

// Get implements Store.
func (s *FileStore) Get(_ context.Context, phone string) (Record, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.records[phone]
	return r, ok, nil
}

// Update implements Store. If saving fails, the change is undone.
func (s *FileStore) Update(_ context.Context, phone string, fn func(*Record)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, had := s.records[phone]
	r := old
	r.Phone = phone
	fn(&r)
	s.records[phone] = r
	if err := s.saveLocked(); err != nil {
		if had {
			s.records[phone] = old
		} else {
			delete(s.records, phone)
		}
		return err
	}
	return nil
}

// saveLocked writes the records to a temporary file and renames it over
// the store, so a crash never leaves a half-written file.
func (s *FileStore) saveLocked() error {
	if s.path == "" {
		return nil
	}
	list := make([]Record, 0, len(s.records))
	for _, r := range s.records {
		list = append(list, r)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Phone < list[j].Phone })
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), ".optouts-*.json")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // fails harmlessly after the rename
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		_ = tmp.Close() // the write error is the one to report
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), s.path)
}
