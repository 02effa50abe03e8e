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
// the replica's Redis client between deliveries: a claim, once acquired,
// holds a read lock until its Complete or Release, and kill takes the
// write lock before closing the client. Closing a client between a
// callback's success and its Complete would leave the claim to expire and
// the delivery to run again after the lease: that window is the one a real
// crash has, and no de-duplicator can close it (make such effects
// idempotent). Everything else about the replica stops at once: claims
// that start after the kill fail, and the handler answers 503.
type killableDedup struct {
	d  *textusredis.Deduplicator
	mu sync.RWMutex
}

func (k *killableDedup) Claim(ctx context.Context, key string) (webhooks.ClaimStatus, string, error) {
	k.mu.RLock()
	st, tok, err := k.d.Claim(ctx, key)
	if err != nil || st != webhooks.ClaimAcquired {
		k.mu.RUnlock()
	}
	return st, tok, err
}

func (k *killableDedup) Complete(ctx context.Context, key, token string) error {
	defer k.mu.RUnlock()
	return k.d.Complete(ctx, key, token)
}

func (k *killableDedup) Release(ctx context.Context, key, token string) error {
	defer k.mu.RUnlock()
	return k.d.Release(ctx, key, token)
}

func (r *replica) kill() {
	r.dedup.mu.Lock()
	defer r.dedup.mu.Unlock()
	_ = r.rdb.Close()
}

// TestFleetProcessesEachDeliveryOnce runs three webhook receivers with
// three separate Redis clients on one Redis, as three replicas would. Each
// delivery is sent to all three at once; the sender retries every copy
// that is not answered 2xx, rotating to the next replica. Callbacks fail
// 20% of the time (answered 500 and redelivered), 10% of the deliveries are
// sent again later, and one replica's Redis client is closed halfway (its
// requests are then answered 503 and redelivered to the others). Every
// delivery's effect must happen exactly once, and none may be lost.
func TestFleetProcessesEachDeliveryOnce(t *testing.T) {
	deliveries := 10000
	if testing.Short() {
		deliveries = 1000
	}
	srv := redistest.Start(t)
	ctx := context.Background()

	fx := &effects{n: make(map[string]int, deliveries)}
	var failures atomic.Int64
	replicas := make([]*replica, 3)
	for i := range replicas {
		rdb := redis.NewClient(srv.Options())
		t.Cleanup(func() { _ = rdb.Close() })
		k := &killableDedup{d: textusredis.NewDeduplicator(rdb, textusredis.WithPrefix("fleet:"))}
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
			if attempt > 10000 {
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

	lost, twice := 0, 0
	for i := range deliveries {
		switch n := fx.get(deliveryID(fmt.Sprintf("d%05d", i))); {
		case n == 0:
			lost++
		case n > 1:
			twice++
		}
	}
	t.Logf("%d deliveries x 3 copies: %d answered 200, %d 409, %d 500 (%d callback failures), %d 503; %d redelivered later",
		deliveries, statuses[200].Load(), statuses[409].Load(), statuses[500].Load(), failures.Load(),
		statuses[503].Load(), redelivered.Load())
	require.Zero(t, lost, "deliveries lost")
	require.Zero(t, twice, "deliveries whose effect happened more than once")
	require.Len(t, fx.n, deliveries)
	assert.Positive(t, statuses[500].Load(), "callback failures were answered 500")
	assert.Positive(t, statuses[503].Load(), "the closed replica answered 503")
	assert.Positive(t, redelivered.Load())

	// Every key expires, and every delivery is recorded as done.
	check := srv.Client()
	require.Equal(t, deliveries, keysWithTTL(t, check, "fleet:"))
	d := textusredis.NewDeduplicator(check, textusredis.WithPrefix("fleet:"))
	for _, i := range []int{0, deliveries / 2, deliveries - 1} {
		st, _, err := d.Claim(ctx, deliveryID(fmt.Sprintf("d%05d", i)))
		require.NoError(t, err)
		require.Equal(t, webhooks.ClaimDone, st)
	}
}
