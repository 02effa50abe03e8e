package webhooks

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"
)

// ClaimStatus is the answer of Deduplicator.Claim.
type ClaimStatus int

// The possible claim outcomes.
const (
	// ClaimAcquired means the key was unseen (or its earlier claim had
	// expired): the caller now holds an in-progress claim and must process
	// the delivery, then call Complete on success or Release on failure.
	ClaimAcquired ClaimStatus = iota + 1
	// ClaimInProgress means another worker holds a live claim on the key:
	// the same delivery is being processed right now.
	ClaimInProgress
	// ClaimDone means the delivery was already processed successfully.
	ClaimDone
)

// String returns "acquired", "in progress" or "done".
func (s ClaimStatus) String() string {
	switch s {
	case ClaimAcquired:
		return "acquired"
	case ClaimInProgress:
		return "in progress"
	case ClaimDone:
		return "done"
	}
	return "ClaimStatus(" + strconv.Itoa(int(s)) + ")"
}

// ErrClaimNotHeld is returned by Complete when the caller's claim has been
// replaced (it expired and another worker claimed the key).
var ErrClaimNotHeld = errors.New("webhooks: de-duplication claim no longer held")

// Deduplicator records which deliveries have been processed, so that a
// delivery TextUs sends again (a retry, or a copy that raced the first) runs
// the callbacks only once. The Handler keys it on the delivery id
// (textus.Event.ID).
//
// It is a two-phase protocol, so that a delivery whose processing fails is
// not lost: Claim atomically marks the key in progress (only one caller
// among concurrent ones gets ClaimAcquired); the claimant then calls
// Complete (processed: later claims get ClaimDone) or Release (failed:
// forget the claim so the sender's retry is processed). The token that
// Claim returns identifies that one claim; Complete and Release must act
// only when the key is still held under that token, so a slow worker whose
// claim expired cannot undo the work of the worker that took over.
//
// To share de-duplication between replicas, implement it on a shared
// store. With Redis, for example: Claim is SET key "p:"+token NX PX lease,
// and on failure a GET that maps "d" to ClaimDone and anything else to
// ClaimInProgress; Complete is a script that SETs "d" with the retention
// TTL if the value is still "p:"+token; Release is a script that DELs the
// key if the value is still "p:"+token. The lease bounds how long a
// replica that crashed mid-delivery blocks the retries: choose it longer
// than your slowest callback and shorter than the sender's retry interval.
//
// Implementations must be safe for concurrent use. Errors make the Handler
// answer 503 (from Claim) or are logged (from Complete and Release).
type Deduplicator interface {
	// Claim reports the state of key and, when it is unseen or its claim
	// expired, records an in-progress claim owned by the caller and
	// returns ClaimAcquired with a token identifying it.
	Claim(ctx context.Context, key string) (status ClaimStatus, token string, err error)
	// Complete marks the claim identified by token as processed.
	Complete(ctx context.Context, key, token string) error
	// Release removes the in-progress claim identified by token, if it is
	// still held, so that the key can be claimed again.
	Release(ctx context.Context, key, token string) error
}

// Defaults of NewMemoryDeduplicator.
const (
	DefaultDedupEntries = 10000
	DefaultDedupTTL     = 24 * time.Hour
)

// MemoryDeduplicator is the default Deduplicator: an in-process table
// bounded in size and in age. Each key, claimed or completed, is kept for
// the TTL after its last change; when the table is full the oldest key is
// dropped. Every operation is O(1) and runs under one mutex; there is no
// background goroutine (expired keys are swept as new ones arrive).
//
// It de-duplicates within one process only. Several replicas behind a load
// balancer need a shared Deduplicator (see the interface).
type MemoryDeduplicator struct {
	mu      sync.Mutex
	max     int
	ttl     time.Duration
	now     func() time.Time
	seq     uint64
	entries map[string]*dedupEntry
	// oldest and newest are the ends of a list of the entries in the order
	// of their last change, which is also the order of their expiry.
	oldest, newest *dedupEntry
}

type dedupEntry struct {
	key        string
	token      string
	done       bool
	expires    time.Time
	prev, next *dedupEntry
}

// NewMemoryDeduplicator returns an in-memory Deduplicator that remembers at
// most maxEntries keys (DefaultDedupEntries when maxEntries <= 0), each for
// ttl (DefaultDedupTTL when ttl <= 0). Choose maxEntries above the number
// of deliveries you expect within ttl, and ttl longer than the sender's
// retry horizon.
func NewMemoryDeduplicator(maxEntries int, ttl time.Duration) *MemoryDeduplicator {
	if maxEntries <= 0 {
		maxEntries = DefaultDedupEntries
	}
	if ttl <= 0 {
		ttl = DefaultDedupTTL
	}
	return &MemoryDeduplicator{
		max:     maxEntries,
		ttl:     ttl,
		now:     time.Now,
		entries: make(map[string]*dedupEntry),
	}
}

// Len returns the number of keys currently remembered, expired ones not yet
// swept included.
func (d *MemoryDeduplicator) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.entries)
}

// Claim implements Deduplicator.
func (d *MemoryDeduplicator) Claim(_ context.Context, key string) (ClaimStatus, string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	d.sweep(now)
	e, ok := d.entries[key]
	if ok {
		if now.Before(e.expires) {
			if e.done {
				return ClaimDone, "", nil
			}
			return ClaimInProgress, "", nil
		}
		d.unlink(e)
	} else {
		if len(d.entries) >= d.max && d.oldest != nil {
			d.remove(d.oldest)
		}
		e = &dedupEntry{key: key}
		d.entries[key] = e
	}
	d.seq++
	e.token = strconv.FormatUint(d.seq, 36)
	e.done = false
	e.expires = now.Add(d.ttl)
	d.pushNewest(e)
	return ClaimAcquired, e.token, nil
}

// Complete implements Deduplicator. A key that is no longer remembered
// (evicted while in progress) is recorded as done; a key claimed again by
// someone else is left alone and ErrClaimNotHeld returned.
func (d *MemoryDeduplicator) Complete(_ context.Context, key, token string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	e, ok := d.entries[key]
	switch {
	case !ok:
		if len(d.entries) >= d.max && d.oldest != nil {
			d.remove(d.oldest)
		}
		e = &dedupEntry{key: key, token: token}
		d.entries[key] = e
	case e.token != token:
		return ErrClaimNotHeld
	default:
		d.unlink(e)
	}
	e.done = true
	e.expires = now.Add(d.ttl)
	d.pushNewest(e)
	return nil
}

// Release implements Deduplicator. It does nothing when the claim is no
// longer held or was completed.
func (d *MemoryDeduplicator) Release(_ context.Context, key, token string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if e, ok := d.entries[key]; ok && !e.done && e.token == token {
		d.remove(e)
	}
	return nil
}

// sweep drops the expired entries at the old end of the list.
func (d *MemoryDeduplicator) sweep(now time.Time) {
	for e := d.oldest; e != nil && !now.Before(e.expires); e = d.oldest {
		d.remove(e)
	}
}

func (d *MemoryDeduplicator) remove(e *dedupEntry) {
	d.unlink(e)
	delete(d.entries, e.key)
}

func (d *MemoryDeduplicator) unlink(e *dedupEntry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		d.oldest = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		d.newest = e.prev
	}
	e.prev, e.next = nil, nil
}

func (d *MemoryDeduplicator) pushNewest(e *dedupEntry) {
	e.prev = d.newest
	e.next = nil
	if d.newest != nil {
		d.newest.next = e
	} else {
		d.oldest = e
	}
	d.newest = e
}
