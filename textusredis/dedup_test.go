package textusredis_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textusredis"
	"github.com/textus-go/textus/textusredis/internal/redistest"
	"github.com/textus-go/textus/webhooks"
)

func TestDeduplicatorClaimCompleteRelease(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	ctx := context.Background()
	d := textusredis.NewDeduplicator(rdb, textusredis.WithPrefix("app1:"),
		textusredis.WithLease(time.Minute), textusredis.WithCompletedTTL(time.Hour))
	require.Equal(t, "app1:dedup:evt-1", d.Key("evt-1"))

	st, tok, err := d.Claim(ctx, "evt-1")
	require.NoError(t, err)
	require.Equal(t, webhooks.ClaimAcquired, st)
	require.NotEmpty(t, tok)
	ttl := rdb.PTTL(ctx, "app1:dedup:evt-1").Val()
	assert.True(t, ttl > 0 && ttl <= time.Minute, "a claim lasts the lease, got %v", ttl)

	st, tok2, err := d.Claim(ctx, "evt-1")
	require.NoError(t, err)
	assert.Equal(t, webhooks.ClaimInProgress, st)
	assert.Empty(t, tok2)

	require.NoError(t, d.Release(ctx, "evt-1", "not-the-token"), "releasing someone else's claim does nothing")
	st, _, err = d.Claim(ctx, "evt-1")
	require.NoError(t, err)
	assert.Equal(t, webhooks.ClaimInProgress, st)

	require.NoError(t, d.Release(ctx, "evt-1", tok))
	st, tok2, err = d.Claim(ctx, "evt-1")
	require.NoError(t, err)
	require.Equal(t, webhooks.ClaimAcquired, st, "a released claim can be taken again")
	require.NotEqual(t, tok, tok2, "every claim has its own token")

	err = d.Complete(ctx, "evt-1", tok)
	require.ErrorIs(t, err, webhooks.ErrClaimNotHeld, "the first claim was replaced")
	require.ErrorContains(t, err, "textusredis: complete app1:dedup:evt-1")

	require.NoError(t, d.Complete(ctx, "evt-1", tok2))
	require.NoError(t, d.Complete(ctx, "evt-1", tok2), "completing the same claim again is harmless")
	ttl = rdb.PTTL(ctx, "app1:dedup:evt-1").Val()
	assert.True(t, ttl > time.Minute && ttl <= time.Hour, "a processed id is kept for the completed TTL, got %v", ttl)

	st, _, err = d.Claim(ctx, "evt-1")
	require.NoError(t, err)
	assert.Equal(t, webhooks.ClaimDone, st)
	require.NoError(t, d.Release(ctx, "evt-1", tok2), "releasing a completed claim does nothing")
	st, _, err = d.Claim(ctx, "evt-1")
	require.NoError(t, err)
	assert.Equal(t, webhooks.ClaimDone, st)
	require.ErrorIs(t, d.Complete(ctx, "evt-1", tok), webhooks.ErrClaimNotHeld)

	// Another prefix is another namespace.
	other := textusredis.NewDeduplicator(rdb, textusredis.WithPrefix("app2:"))
	st, _, err = other.Claim(ctx, "evt-1")
	require.NoError(t, err)
	assert.Equal(t, webhooks.ClaimAcquired, st)

	// The default prefix.
	def := textusredis.NewDeduplicator(rdb)
	require.Equal(t, "textus:dedup:evt-1", def.Key("evt-1"))
	assert.Equal(t, 1, keysWithTTL(t, rdb, "app1:"))
	assert.Equal(t, 1, keysWithTTL(t, rdb, "app2:"))
}

func TestDeduplicatorOneWinnerAmongConcurrentClaims(t *testing.T) {
	srv := redistest.Start(t)
	var replicas []*textusredis.Deduplicator
	for range 3 {
		replicas = append(replicas, textusredis.NewDeduplicator(srv.Client()))
	}
	ctx := context.Background()
	for round := range 20 {
		id := "evt-" + string(rune('a'+round))
		var acquired, inProgress atomic.Int32
		var wg sync.WaitGroup
		for g := range 30 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st, _, err := replicas[g%3].Claim(ctx, id)
				assert.NoError(t, err)
				switch st {
				case webhooks.ClaimAcquired:
					acquired.Add(1)
				case webhooks.ClaimInProgress:
					inProgress.Add(1)
				}
			}()
		}
		wg.Wait()
		require.EqualValues(t, 1, acquired.Load(), "exactly one claimant wins")
		require.EqualValues(t, 29, inProgress.Load())
	}
}

func TestDeduplicatorExpiredLeaseIsTakenOver(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	lease := textusredis.WithLease(200 * time.Millisecond)
	a := textusredis.NewDeduplicator(srv.Client(), lease)
	b := textusredis.NewDeduplicator(srv.Client(), lease)

	// Replica A claims the delivery and dies.
	st, tokA, err := a.Claim(ctx, "evt-1")
	require.NoError(t, err)
	require.Equal(t, webhooks.ClaimAcquired, st)
	st, _, err = b.Claim(ctx, "evt-1")
	require.NoError(t, err)
	require.Equal(t, webhooks.ClaimInProgress, st, "while the lease lasts, B leaves it alone")

	// After the lease, B processes it.
	var tokB string
	require.Eventually(t, func() bool {
		var st webhooks.ClaimStatus
		var err error
		st, tokB, err = b.Claim(ctx, "evt-1")
		return err == nil && st == webhooks.ClaimAcquired
	}, 10*time.Second, 20*time.Millisecond)
	require.ErrorIs(t, a.Complete(ctx, "evt-1", tokA), webhooks.ErrClaimNotHeld, "A's late completion does not override B's claim")
	require.NoError(t, a.Release(ctx, "evt-1", tokA), "nor does A's late release")
	st, _, err = a.Claim(ctx, "evt-1")
	require.NoError(t, err)
	require.Equal(t, webhooks.ClaimInProgress, st)
	require.NoError(t, b.Complete(ctx, "evt-1", tokB))
	st, _, err = a.Claim(ctx, "evt-1")
	require.NoError(t, err)
	require.Equal(t, webhooks.ClaimDone, st)

	// A claim that expired with nobody taking it over is still completed:
	// the work was done.
	st, tok, err := a.Claim(ctx, "evt-2")
	require.NoError(t, err)
	require.Equal(t, webhooks.ClaimAcquired, st)
	rdb := srv.Client()
	require.Eventually(t, func() bool { return rdb.Exists(ctx, a.Key("evt-2")).Val() == 0 }, 10*time.Second, 20*time.Millisecond)
	require.NoError(t, a.Complete(ctx, "evt-2", tok))
	st, _, err = b.Claim(ctx, "evt-2")
	require.NoError(t, err)
	require.Equal(t, webhooks.ClaimDone, st)
}

func TestDeduplicatorRedisDownIsAnErrorAnd503(t *testing.T) {
	srv := redistest.Start(t)
	d := textusredis.NewDeduplicator(srv.Client(), textusredis.WithPrefix("t:"))
	var calls atomic.Int32
	h, err := webhooks.NewHandler(testSecret, webhooks.WithDeduplicator(d))
	require.NoError(t, err)
	h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error {
		calls.Add(1)
		return nil
	})
	require.Equal(t, 200, serve(h, messageBody("1")))

	srv.Stop()
	ctx := context.Background()
	_, _, err = d.Claim(ctx, "evt-1")
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "textusredis: claim t:dedup:evt-1: "), err.Error())
	err = d.Complete(ctx, "evt-1", "tok")
	require.ErrorContains(t, err, "textusredis: complete t:dedup:evt-1: ")
	require.False(t, errors.Is(err, webhooks.ErrClaimNotHeld))
	require.ErrorContains(t, d.Release(ctx, "evt-1", "tok"), "textusredis: release t:dedup:evt-1: ")

	require.Equal(t, 503, serve(h, messageBody("2")), "the handler answers 503 when Redis is down")
	require.Equal(t, 503, serve(h, messageBody("1")))
	require.EqualValues(t, 1, calls.Load(), "and calls no callback")

	srv.Start()
	require.Eventually(t, func() bool { return serve(h, messageBody("2")) == 200 }, 10*time.Second, 20*time.Millisecond,
		"processing resumes when Redis is back")
	require.Equal(t, 200, serve(h, messageBody("2")))
	require.EqualValues(t, 2, calls.Load())
}

func TestDeduplicatorNilClient(t *testing.T) {
	d := textusredis.NewDeduplicator(nil)
	ctx := context.Background()
	_, _, err := d.Claim(ctx, "x")
	require.ErrorContains(t, err, "textusredis: claim textus:dedup:x: no Redis client")
	require.Error(t, d.Complete(ctx, "x", "t"))
	require.Error(t, d.Release(ctx, "x", "t"))
}

func TestDeduplicatorContextCanceled(t *testing.T) {
	srv := redistest.Start(t)
	d := textusredis.NewDeduplicator(srv.Client())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := d.Claim(ctx, "x")
	require.ErrorIs(t, err, context.Canceled)
}

// A one-node cluster refuses scripts over keys of several slots, so this
// checks the key layout as a real cluster would.
func TestDeduplicatorOnCluster(t *testing.T) {
	srv := redistest.Start(t, redistest.WithCluster())
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{srv.Addr}, IsClusterMode: true, DisableIdentity: true})
	t.Cleanup(func() { _ = rdb.Close() })
	_, isCluster := rdb.(*redis.ClusterClient)
	require.True(t, isCluster)
	d := textusredis.NewDeduplicator(rdb)
	ctx := context.Background()
	st, tok, err := d.Claim(ctx, "evt-1")
	require.NoError(t, err)
	require.Equal(t, webhooks.ClaimAcquired, st)
	require.NoError(t, d.Complete(ctx, "evt-1", tok))
	st, _, err = d.Claim(ctx, "evt-1")
	require.NoError(t, err)
	require.Equal(t, webhooks.ClaimDone, st)
	require.NoError(t, d.Release(ctx, "evt-1", tok))
}
