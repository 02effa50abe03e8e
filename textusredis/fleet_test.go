package textusredis_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
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

// effects counts what the callbacks did, per delivery id.
type effects struct {
	mu sync.Mutex
	n  map[string]int
}

func (e *effects) add(id string) {
	e.mu.Lock()
	e.n[id]++
	e.mu.Unlock()
}

func (e *effects) get(id string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.n[id]
}

// replica is one webhook receiver process: a handler with its own Redis
// client.
type replica struct {
	h     *webhooks.Handler
	rdb   *redis.Client
	dedup *killableDedup
}

// killableDedup wraps a replica's Deduplicator so that the test can close
// the replica's Redis client mid-run, and records the ids whose Complete
// failed.
//
// With drain, a claim, once acquired, holds a read lock until its Complete
// or Release, and kill takes the write lock before closing the client, so
// no callback is caught between its success and its Complete. That window
// is the one a real crash has, and no de-duplicator outside the effect's
// own transaction can close it: the claim is left to expire, and the
// delivery runs again after the lease (TestFleetAbruptCloseLosesNothing).
// Everything else about the replica stops at once: claims that start after
// the kill fail, and the handler answers 503.
type killableDedup struct {
	d     *textusredis.Deduplicator
	drain bool
	mu    sync.RWMutex

	failedMu       sync.Mutex
	completeFailed map[string]bool
}

func (k *killableDedup) Claim(ctx context.Context, key string) (webhooks.ClaimStatus, string, error) {
	if !k.drain {
		return k.d.Claim(ctx, key)
	}
	k.mu.RLock()
	st, tok, err := k.d.Claim(ctx, key)
	if err != nil || st != webhooks.ClaimAcquired {
		k.mu.RUnlock()
	}
	return st, tok, err
}

func (k *killableDedup) Complete(ctx context.Context, key, token string) error {
	if k.drain {
		defer k.mu.RUnlock()
	}
	err := k.d.Complete(ctx, key, token)
	if err != nil {
		k.failedMu.Lock()
		k.completeFailed[key] = true
		k.failedMu.Unlock()
	}
	return err
}

func (k *killableDedup) Release(ctx context.Context, key, token string) error {
	if k.drain {
		defer k.mu.RUnlock()
	}
	return k.d.Release(ctx, key, token)
}

func (r *replica) kill() {
	r.dedup.mu.Lock()
	defer r.dedup.mu.Unlock()
	_ = r.rdb.Close()
}

// fleet is the outcome of runFleet.
type fleet struct {
	deliveries     int
	effects        *effects
	completeFailed map[string]bool // over all replicas
	statuses       map[int]int64
	failures       int64 // callback failures
	redelivered    int64
	check          *redis.Client
	prefix         string
}

// runFleet runs three webhook receivers with three separate Redis clients
// on one Redis, as three replicas would. Each delivery is sent to all
// three at once; the sender retries every copy that is not answered 2xx,
// rotating to the next replica. Callbacks fail 20% of the time (answered
// 500 and redelivered), 10% of the deliveries are sent again later, and
// the third replica's Redis client is closed halfway (its requests are then
// answered 503 and redelivered to the others).
func runFleet(t *testing.T, deliveries int, drain bool, lease time.Duration) *fleet {
	srv := redistest.Start(t)
	const prefix = "fleet:"

	fx := &effects{n: make(map[string]int, deliveries)}
	var failures atomic.Int64
	replicas := make([]*replica, 3)
	for i := range replicas {
		rdb := redis.NewClient(srv.Options())
		t.Cleanup(func() { _ = rdb.Close() })
		k := &killableDedup{
			d:              textusredis.NewDeduplicator(rdb, textusredis.WithPrefix(prefix), textusredis.WithLease(lease)),
			drain:          drain,
			completeFailed: make(map[string]bool),
		}
		h, err := webhooks.NewHandler(testSecret, webhooks.WithDeduplicator(k))
		require.NoError(t, err)
		h.OnMessageReceived(func(_ context.Context, ev *textus.MessageEvent) error {
			if rand.IntN(5) == 0 {
				failures.Add(1)
				return errors.New("flaky downstream")
			}
			fx.add(ev.ID)
			return nil
		})
		replicas[i] = &replica{h: h, rdb: rdb, dedup: k}
	}

	var statuses [600]atomic.Int64
	// send delivers one copy, starting with replica r, until a replica
	// accepts it.
	send := func(r int, body []byte) {
		for attempt := 0; ; attempt++ {
			code := serve(replicas[(r+attempt)%3].h, body)
			statuses[code].Add(1)
			switch code {
			case http.StatusOK:
				return
			case http.StatusConflict: // being processed elsewhere: retry soon
				time.Sleep(200 * time.Microsecond)
			case http.StatusInternalServerError, http.StatusServiceUnavailable:
			default:
				t.Errorf("unexpected status %d", code)
				return
			}
			if attempt > 100000 {
				t.Errorf("a delivery was never accepted")
				return
			}
		}
	}

	redeliver := make(chan []byte, deliveries)
	var redelivered atomic.Int64
	var redeliverers sync.WaitGroup
	for range 2 {
		redeliverers.Add(1)
		go func() {
			defer redeliverers.Done()
			for body := range redeliver {
				send(rand.IntN(3), body)
				redelivered.Add(1)
			}
		}()
	}

	jobs := make(chan int)
	var dispatched atomic.Int64
	var killOnce sync.Once
	var workers sync.WaitGroup
	for range 8 {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for i := range jobs {
				if dispatched.Add(1) == int64(deliveries/2) {
					killOnce.Do(replicas[2].kill)
				}
				body := messageBody(fmt.Sprintf("d%05d", i))
				var copies sync.WaitGroup
				for r := range 3 {
					copies.Add(1)
					go func() {
						defer copies.Done()
						send(r, body)
					}()
				}
				copies.Wait()
				if rand.IntN(10) == 0 {
					redeliver <- body
				}
			}
		}()
	}
	for i := range deliveries {
		jobs <- i
	}
	close(jobs)
	workers.Wait()
	close(redeliver)
	redeliverers.Wait()

	f := &fleet{
		deliveries: deliveries, effects: fx, completeFailed: make(map[string]bool),
		statuses: make(map[int]int64), failures: failures.Load(), redelivered: redelivered.Load(),
		check: srv.Client(), prefix: prefix,
	}
	for code := range statuses {
		if n := statuses[code].Load(); n > 0 {
			f.statuses[code] = n
		}
	}
	for _, r := range replicas {
		for id := range r.dedup.completeFailed {
			f.completeFailed[id] = true
		}
	}
	t.Logf("%d deliveries x 3 copies: statuses %v (%d callback failures); %d redelivered later; %d completions failed",
		deliveries, f.statuses, f.failures, f.redelivered, len(f.completeFailed))
	return f
}

// count returns how many deliveries had no effect and how many had more
// than one, leaving out the ids in except.
func (f *fleet) count(except map[string]bool) (lost, twice int) {
	for i := range f.deliveries {
		id := deliveryID(fmt.Sprintf("d%05d", i))
		switch n := f.effects.get(id); {
		case n == 0:
			lost++
		case n > 1 && !except[id]:
			twice++
		}
	}
	return lost, twice
}

// TestFleetProcessesEachDeliveryOnce: every delivery's effect happens
// exactly once and none is lost (see runFleet).
func TestFleetProcessesEachDeliveryOnce(t *testing.T) {
	deliveries := 10000
	if testing.Short() {
		deliveries = 1000
	}
	f := runFleet(t, deliveries, true, textusredis.DefaultLease)
	lost, twice := f.count(nil)
	require.Zero(t, lost, "deliveries lost")
	require.Zero(t, twice, "deliveries whose effect happened more than once")
	require.Len(t, f.effects.n, deliveries)
	require.Empty(t, f.completeFailed)
	assert.Positive(t, f.statuses[500], "callback failures were answered 500")
	assert.Positive(t, f.statuses[503], "the closed replica answered 503")
	assert.Positive(t, f.redelivered)

	// Every key expires, and every delivery is recorded as done.
	require.Equal(t, deliveries, keysWithTTL(t, f.check, f.prefix))
	d := textusredis.NewDeduplicator(f.check, textusredis.WithPrefix(f.prefix))
	for i := range deliveries {
		st, _, err := d.Claim(context.Background(), deliveryID(fmt.Sprintf("d%05d", i)))
		require.NoError(t, err)
		require.Equal(t, webhooks.ClaimDone, st)
	}
}

// TestFleetAbruptCloseLosesNothing closes the replica's Redis client
// without waiting for its callbacks: a callback that succeeded just before
// cannot record its delivery as done, the claim expires after the lease,
// and the delivery runs again. Nothing is lost, and only those deliveries
// can run twice.
func TestFleetAbruptCloseLosesNothing(t *testing.T) {
	f := runFleet(t, 2000, false, 300*time.Millisecond)
	lost, twice := f.count(f.completeFailed)
	require.Zero(t, lost, "deliveries lost")
	require.Zero(t, twice, "deliveries that ran twice although their completion was recorded")
	assert.LessOrEqual(t, len(f.completeFailed), 8*3, "at most the copies in flight at the kill")
}
