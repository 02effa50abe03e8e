package webhooks

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newTestDedup(max int, ttl time.Duration) (*MemoryDeduplicator, *fakeClock) {
	clock := &fakeClock{t: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	d := NewMemoryDeduplicator(max, ttl)
	d.now = clock.Now
	return d, clock
}

func claim(t *testing.T, d Deduplicator, key string) (ClaimStatus, string) {
	t.Helper()
	s, tok, err := d.Claim(context.Background(), key)
	require.NoError(t, err)
	return s, tok
}

func TestMemoryDeduplicatorLifecycle(t *testing.T) {
	ctx := context.Background()
	d, _ := newTestDedup(10, time.Hour)

	s, tok := claim(t, d, "a")
	require.Equal(t, ClaimAcquired, s)
	require.NotEmpty(t, tok)
	s, _ = claim(t, d, "a")
	assert.Equal(t, ClaimInProgress, s)

	require.NoError(t, d.Complete(ctx, "a", tok))
	s, _ = claim(t, d, "a")
	assert.Equal(t, ClaimDone, s)

	// Release after failure makes the key claimable again.
	s, tok = claim(t, d, "b")
	require.Equal(t, ClaimAcquired, s)
	require.NoError(t, d.Release(ctx, "b", tok))
	s, tok2 := claim(t, d, "b")
	assert.Equal(t, ClaimAcquired, s)
	assert.NotEqual(t, tok, tok2, "every claim has its own token")

	// A stale token can neither release nor complete a newer claim.
	require.NoError(t, d.Release(ctx, "b", tok))
	s, _ = claim(t, d, "b")
	assert.Equal(t, ClaimInProgress, s)
	assert.ErrorIs(t, d.Complete(ctx, "b", tok), ErrClaimNotHeld)
	require.NoError(t, d.Complete(ctx, "b", tok2))
	// Release of a completed key does nothing.
	require.NoError(t, d.Release(ctx, "b", tok2))
	s, _ = claim(t, d, "b")
	assert.Equal(t, ClaimDone, s)

	assert.Equal(t, "acquired", ClaimAcquired.String())
	assert.Equal(t, "in progress", ClaimInProgress.String())
	assert.Equal(t, "done", ClaimDone.String())
	assert.Equal(t, "ClaimStatus(9)", ClaimStatus(9).String())
}

func TestMemoryDeduplicatorTTL(t *testing.T) {
	ctx := context.Background()
	d, clock := newTestDedup(100, time.Minute)

	_, tok := claim(t, d, "done")
	require.NoError(t, d.Complete(ctx, "done", tok))
	_, _ = claim(t, d, "stuck") // claimed, never completed: a crashed worker

	clock.Advance(59 * time.Second)
	s, _ := claim(t, d, "done")
	assert.Equal(t, ClaimDone, s)
	s, _ = claim(t, d, "stuck")
	assert.Equal(t, ClaimInProgress, s)

	clock.Advance(time.Second)
	s, _ = claim(t, d, "done")
	assert.Equal(t, ClaimAcquired, s, "forgotten after the TTL")
	s, _ = claim(t, d, "stuck")
	assert.Equal(t, ClaimAcquired, s, "an abandoned claim expires")

	// Expired keys are swept as new ones arrive.
	for i := 0; i < 50; i++ {
		claim(t, d, fmt.Sprintf("k%d", i))
	}
	assert.Equal(t, 52, d.Len())
	clock.Advance(time.Hour)
	claim(t, d, "fresh")
	assert.Equal(t, 1, d.Len())
}

func TestMemoryDeduplicatorCompleteRefreshesTTL(t *testing.T) {
	ctx := context.Background()
	d, clock := newTestDedup(100, time.Minute)
	_, tok := claim(t, d, "slow")
	clock.Advance(50 * time.Second)
	require.NoError(t, d.Complete(ctx, "slow", tok))
	clock.Advance(50 * time.Second)
	s, _ := claim(t, d, "slow")
	assert.Equal(t, ClaimDone, s, "kept for the TTL after completion")
}

func TestMemoryDeduplicatorSizeBound(t *testing.T) {
	ctx := context.Background()
	d, clock := newTestDedup(3, time.Hour)
	for _, k := range []string{"a", "b", "c"} {
		_, tok := claim(t, d, k)
		require.NoError(t, d.Complete(ctx, k, tok))
		clock.Advance(time.Second)
	}
	assert.Equal(t, 3, d.Len())
	claim(t, d, "d")
	assert.Equal(t, 3, d.Len(), "never more than maxEntries")
	s, _ := claim(t, d, "a")
	assert.Equal(t, ClaimAcquired, s, "the oldest key was evicted")
	s, _ = claim(t, d, "c")
	assert.Equal(t, ClaimDone, s)
	assert.Equal(t, 3, d.Len())

	// Completing a key that was evicted while in progress records it.
	d2, _ := newTestDedup(1, time.Hour)
	_, tok := claim(t, d2, "x")
	claim(t, d2, "y") // evicts x
	require.NoError(t, d2.Complete(ctx, "x", tok))
	assert.Equal(t, 1, d2.Len())
	s, _ = claim(t, d2, "x")
	assert.Equal(t, ClaimDone, s)
}

func TestMemoryDeduplicatorDefaults(t *testing.T) {
	d := NewMemoryDeduplicator(0, 0)
	assert.Equal(t, DefaultDedupEntries, d.max)
	assert.Equal(t, DefaultDedupTTL, d.ttl)
	d = NewMemoryDeduplicator(-1, -time.Second)
	assert.Equal(t, DefaultDedupEntries, d.max)
	assert.Equal(t, DefaultDedupTTL, d.ttl)
}

func TestMemoryDeduplicatorConcurrentClaims(t *testing.T) {
	ctx := context.Background()
	d := NewMemoryDeduplicator(1000, time.Hour)
	const workers, keys = 16, 200
	var acquired [keys]atomic.Int32
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < keys; k++ {
				key := fmt.Sprintf("key-%d", k)
				s, tok, err := d.Claim(ctx, key)
				if err != nil {
					t.Error(err)
					return
				}
				if s == ClaimAcquired {
					acquired[k].Add(1)
					if err := d.Complete(ctx, key, tok); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	for k := range acquired {
		assert.EqualValues(t, 1, acquired[k].Load(), "key %d", k)
	}
	assert.Equal(t, keys, d.Len())
}

// The list and the map stay consistent through a random mix of operations.
func TestMemoryDeduplicatorInvariants(t *testing.T) {
	ctx := context.Background()
	d, clock := newTestDedup(20, 30*time.Second)
	tokens := map[string]string{}
	for i := 0; i < 5000; i++ {
		key := fmt.Sprintf("k%d", (i*7919)%53)
		switch i % 5 {
		case 0, 1:
			if s, tok := claim(t, d, key); s == ClaimAcquired {
				tokens[key] = tok
			}
		case 2:
			_ = d.Complete(ctx, key, tokens[key])
		case 3:
			_ = d.Release(ctx, key, tokens[key])
		case 4:
			clock.Advance(time.Second)
		}
		checkList(t, d)
	}
}

func checkList(t *testing.T, d *MemoryDeduplicator) {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	var prev *dedupEntry
	for e := d.oldest; e != nil; e = e.next {
		require.Same(t, prev, e.prev)
		require.Same(t, e, d.entries[e.key])
		if prev != nil {
			require.False(t, e.expires.Before(prev.expires), "list ordered by expiry")
		}
		prev = e
		n++
	}
	require.Same(t, prev, d.newest)
	require.Equal(t, len(d.entries), n)
	require.LessOrEqual(t, n, d.max)
}
