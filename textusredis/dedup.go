package textusredis

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/textus-go/textus/webhooks"
)

// The value of a de-duplication key: claimPrefix followed by the claim's
// token while a delivery is in progress, donePrefix followed by the token
// of the claim that completed it once it is processed. Keeping the token
// makes Claim and Complete safe to repeat when a reply is lost and the
// client sends the script again.
const (
	claimPrefix = "p:"
	donePrefix  = "d:"
)

// Results of claimScript.
const (
	claimAcquired   = 1
	claimInProgress = 2
	claimDone       = 3
)

// claimScript: KEYS[1] the delivery's key; ARGV[1] the claim value
// ("p:"+token), ARGV[2] the lease in milliseconds.
var claimScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then
	redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
	return 1
end
if v == ARGV[1] then
	return 1
end
if string.sub(v, 1, 2) == 'd:' then
	return 3
end
return 2
`)

// completeScript: KEYS[1] the delivery's key; ARGV[1] the claim value
// ("p:"+token), ARGV[2] the done value ("d:"+token), ARGV[3] the completed
// TTL in milliseconds. It returns 1 when the key is recorded as done by
// this claim, 0 when another claim (or its completion) has replaced it.
var completeScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v and v ~= ARGV[1] and v ~= ARGV[2] then
	return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`)

// releaseScript: KEYS[1] the delivery's key; ARGV[1] the claim value. It
// deletes the key only while it still holds that claim.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	return redis.call('DEL', KEYS[1])
end
return 0
`)

// Deduplicator is a webhooks.Deduplicator kept in Redis, so that every
// replica of a webhook receiver that uses the same Redis and prefix
// processes each delivery once. Create it with NewDeduplicator and pass it
// to webhooks.WithDeduplicator.
//
// Each delivery id is one string key, <prefix>dedup:<id>, holding
// "p:<token>" while a claim is in progress (expiring after the lease) and
// "d:<token>" once the delivery is processed (expiring after the completed
// TTL).
// Claim, Complete and Release are each one Lua script, so each is atomic
// and one round trip. A Redis failure is returned as an error naming the
// operation and the key; the webhooks.Handler answers 503 when Claim fails,
// so the sender retries the delivery later.
//
// It is safe for concurrent use.
type Deduplicator struct {
	rdb          redis.UniversalClient
	prefix       string
	lease        time.Duration
	completedTTL time.Duration
}

var _ webhooks.Deduplicator = (*Deduplicator)(nil)

// NewDeduplicator returns a Deduplicator that keeps its state in rdb.
// Options: WithPrefix, WithLease, WithCompletedTTL. A nil rdb makes every
// call fail with an error.
func NewDeduplicator(rdb redis.UniversalClient, opts ...Option) *Deduplicator {
	c := newConfig(opts)
	return &Deduplicator{rdb: rdb, prefix: c.prefix, lease: c.lease, completedTTL: c.completedTTL}
}

// Key returns the Redis key that records the delivery id.
func (d *Deduplicator) Key(id string) string { return d.prefix + "dedup:" + id }

// errNilClient is returned by every call of a Deduplicator or Pacer made
// with a nil client.
var errNilClient = errors.New("no Redis client (nil redis.UniversalClient)")

// Claim implements webhooks.Deduplicator: when the id is unseen, or its
// previous claim expired or was released, it records a claim that lasts the
// lease and returns webhooks.ClaimAcquired with the claim's random token;
// otherwise webhooks.ClaimInProgress or webhooks.ClaimDone, with no token.
func (d *Deduplicator) Claim(ctx context.Context, id string) (webhooks.ClaimStatus, string, error) {
	key := d.Key(id)
	if d.rdb == nil {
		return 0, "", fmt.Errorf("textusredis: claim %s: %w", key, errNilClient)
	}
	token := rand.Text()
	n, err := claimScript.Run(ctx, d.rdb, []string{key}, claimPrefix+token, ms(d.lease)).Int()
	if err != nil {
		return 0, "", fmt.Errorf("textusredis: claim %s: %w", key, err)
	}
	switch n {
	case claimAcquired:
		return webhooks.ClaimAcquired, token, nil
	case claimInProgress:
		return webhooks.ClaimInProgress, "", nil
	case claimDone:
		return webhooks.ClaimDone, "", nil
	}
	return 0, "", fmt.Errorf("textusredis: claim %s: unexpected script result %d", key, n)
}

// Complete implements webhooks.Deduplicator: it records the id as processed
// for the completed TTL. When the claim has been taken over (its lease
// expired and another caller claimed or completed the id) it changes
// nothing and returns an error wrapping webhooks.ErrClaimNotHeld. When the
// claim expired and nobody took it over, the id is recorded as processed
// all the same. Completing the same claim again is harmless.
func (d *Deduplicator) Complete(ctx context.Context, id, token string) error {
	key := d.Key(id)
	if d.rdb == nil {
		return fmt.Errorf("textusredis: complete %s: %w", key, errNilClient)
	}
	n, err := completeScript.Run(ctx, d.rdb, []string{key}, claimPrefix+token, donePrefix+token, ms(d.completedTTL)).Int()
	if err != nil {
		return fmt.Errorf("textusredis: complete %s: %w", key, err)
	}
	if n == 0 {
		return fmt.Errorf("textusredis: complete %s: %w", key, webhooks.ErrClaimNotHeld)
	}
	return nil
}

// Release implements webhooks.Deduplicator: it forgets the claim identified
// by token, if it is still held, so that the sender's retry is processed.
// It does nothing when the claim expired, was taken over or was completed.
func (d *Deduplicator) Release(ctx context.Context, id, token string) error {
	key := d.Key(id)
	if d.rdb == nil {
		return fmt.Errorf("textusredis: release %s: %w", key, errNilClient)
	}
	if err := releaseScript.Run(ctx, d.rdb, []string{key}, claimPrefix+token).Err(); err != nil {
		return fmt.Errorf("textusredis: release %s: %w", key, err)
	}
	return nil
}

// ms returns d in whole milliseconds, at least 1, for PX.
func ms(d time.Duration) int64 {
	return max(int64((d+time.Millisecond-1)/time.Millisecond), 1)
}
