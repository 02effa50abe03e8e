package textusredis_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
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

// Settings of the queue-mode fleet.
const (
	qfleetPrefix = "qfleet:"
	qfleetStream = "hooks"
	qfleetBase   = "{" + qfleetPrefix + "queue:" + qfleetStream + "}"
	// qfleetStreamKey is the Queue's stream.
	qfleetStreamKey = qfleetBase + ":stream"
	qfleetAttempts  = 5
	// qfleetLease is the job lease: the jobs the killed replica held are
	// handed out again this long after it stopped.
	qfleetLease = 2 * time.Second
)

// poison reports whether delivery i fails on every attempt, so that it
// ends in the dead letters (2% of them).
func poison(i int) bool { return i%50 == 7 }

// flaky reports whether delivery i fails on its first attempt only (20%).
func flaky(i int) bool { return i%5 == 1 }

// queueReplica is one webhook receiver process in queue mode: a handler
// that enqueues, and Handler.Run running the callbacks, on a Redis client
// of its own.
type queueReplica struct {
	h     *webhooks.Handler
	rdb   *redis.Client
	dedup *killableDedup
	stop  context.CancelFunc
	ran   chan struct{} // closed when Run has returned
}

// kill stops the replica as a hang followed by a crash would, except that
// a callback that already succeeded records it first (see killableDedup).
// The replica first freezes for a moment: its workers go on receiving jobs
// but block before claiming them. Then Run's context is cancelled and the
// client closed without waiting for Run, so the jobs it holds are neither
// acknowledged nor retried, and the other replicas take them over when
// their lease expires.
func (r *queueReplica) kill() {
	r.dedup.mu.Lock()
	defer r.dedup.mu.Unlock()
	time.Sleep(100 * time.Millisecond)
	r.stop()
	_ = r.rdb.Close()
}

// TestFleetQueueModeProcessesEachDeliveryOnce runs three webhook replicas
// in queue mode, each with its own Redis client, Deduplicator and Queue on
// one stream, and its own Handler.Run with 8 workers. Each of 10,000
// signed deliveries is sent to all three at once (the sender retries a
// copy that is not answered 2xx on the next replica); 10% are sent again
// later. Callbacks fail for 22% of the deliveries: on every attempt for
// 2% (they end in the dead letters after 5 attempts), on the first
// attempt only for 20%. Halfway, the third replica hangs for 100ms and is
// killed: its Run stopped and its client closed under the jobs it holds.
//
// Every delivery's effect happens exactly once or the delivery is in the
// dead letters, with its body byte for byte; none is lost; and when the
// work is done the queue's keys hold nothing but the dead letters.
func TestFleetQueueModeProcessesEachDeliveryOnce(t *testing.T) {
	deliveries := 10000
	if testing.Short() {
		deliveries = 1000
	}
	srv := redistest.Start(t)
	check := srv.Client()
	ctx := context.Background()

	fx := &effects{n: make(map[string]int, deliveries)}
	var callsMu sync.Mutex
	calls := make(map[string]int, deliveries)
	var failures, deadFuncs atomic.Int64
	callback := func(_ context.Context, ev *textus.MessageEvent) error {
		i, err := strconv.Atoi(strings.TrimPrefix(ev.ID, deliveryID("q")))
		if err != nil {
			return fmt.Errorf("unexpected delivery id %s", ev.ID)
		}
		time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond) // the downstream's latency
		callsMu.Lock()
		calls[ev.ID]++
		first := calls[ev.ID] == 1
		callsMu.Unlock()
		if poison(i) || (flaky(i) && first) {
			failures.Add(1)
			return errors.New("downstream refused delivery " + ev.ID)
		}
		fx.add(ev.ID)
		return nil
	}

	replicas := make([]*queueReplica, 3)
	for i := range replicas {
		rdb := redis.NewClient(srv.Options())
		t.Cleanup(func() { _ = rdb.Close() })
		k := &killableDedup{
			d: textusredis.NewDeduplicator(rdb, textusredis.WithPrefix(qfleetPrefix),
				textusredis.WithLease(5*time.Second)),
			drain:          true,
			completeFailed: make(map[string]bool),
		}
		q := textusredis.NewQueue(rdb, qfleetStream, textusredis.WithPrefix(qfleetPrefix),
			textusredis.WithCapacity(2*deliveries), textusredis.WithBlock(250*time.Millisecond))
		h, err := webhooks.NewHandler(testSecret, webhooks.WithDeduplicator(k), webhooks.WithQueue(q),
			webhooks.WithWorkers(8), webhooks.WithLease(qfleetLease), webhooks.WithAttempts(qfleetAttempts),
			webhooks.WithBackoff(10*time.Millisecond, 100*time.Millisecond),
			webhooks.WithConsumerName(fmt.Sprintf("replica-%d", i)),
			webhooks.WithDeadLetterFunc(func(context.Context, webhooks.DeadLetter) { deadFuncs.Add(1) }))
		require.NoError(t, err)
		h.OnMessageReceived(callback)
		runCtx, stop := context.WithCancel(ctx)
		r := &queueReplica{h: h, rdb: rdb, dedup: k, stop: stop, ran: make(chan struct{})}
		go func() {
			defer close(r.ran)
			assert.NoError(t, h.Run(runCtx))
		}()
		replicas[i] = r
	}
	t.Cleanup(func() {
		for _, r := range replicas {
			r.stop()
			<-r.ran
		}
	})

	var statuses [600]atomic.Int64
	send := func(r int, body []byte) {
		for attempt := 0; ; attempt++ {
			code := serve(replicas[(r+attempt)%3].h, body)
			statuses[code].Add(1)
			switch code {
			case http.StatusOK:
				return
			case http.StatusServiceUnavailable:
			default:
				t.Errorf("unexpected status %d", code)
				return
			}
			if attempt > 1000 {
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
				time.Sleep(time.Millisecond) // later: while the first copies are being worked on
				send(rand.IntN(3), body)
				redelivered.Add(1)
			}
		}()
	}

	jobs := make(chan int)
	var dispatched atomic.Int64
	var killOnce sync.Once
	var heldByKilled int
	kill := func() {
		replicas[2].kill()
		pending, err := check.XPendingExt(ctx, &redis.XPendingExtArgs{
			Stream: qfleetStreamKey, Group: "textus-workers", Start: "-", End: "+", Count: 100, Consumer: "replica-2",
		}).Result()
		assert.NoError(t, err)
		heldByKilled = len(pending)
	}
	var senders sync.WaitGroup
	for range 8 {
		senders.Add(1)
		go func() {
			defer senders.Done()
			for i := range jobs {
				if dispatched.Add(1) == int64(deliveries/2) {
					killOnce.Do(kill)
				}
				body := messageBody(fmt.Sprintf("q%05d", i))
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
	began := time.Now()
	for i := range deliveries {
		jobs <- i
	}
	close(jobs)
	senders.Wait()
	close(redeliver)
	redeliverers.Wait()
	sent := time.Since(began)

	// The two surviving replicas finish the work, the killed one's
	// leased jobs included.
	q := textusredis.NewQueue(check, qfleetStream, textusredis.WithPrefix(qfleetPrefix))
	require.Eventually(t, func() bool {
		n, err := q.Len(ctx)
		return err == nil && n == 0
	}, 60*time.Second, 50*time.Millisecond, "the queue drains")
	for _, r := range replicas { // the workers finish what they were doing (WithDeadLetterFunc, say)
		r.stop()
		<-r.ran
	}
	t.Logf("%d deliveries x 3 copies sent in %s, drained %s later: statuses 200=%d 503=%d; %d redelivered later; %d callback failures; the killed replica held %d jobs",
		deliveries, sent.Round(time.Millisecond), (time.Since(began) - sent).Round(time.Millisecond),
		statuses[200].Load(), statuses[503].Load(), redelivered.Load(), failures.Load(), heldByKilled)

	// The dead letters, listed page by page.
	dead := make(map[string][]webhooks.DeadLetter)
	after := ""
	for {
		page, err := q.DeadLetters(ctx, after, 100)
		require.NoError(t, err)
		if len(page) == 0 {
			break
		}
		for _, d := range page {
			dead[d.Job.ID] = append(dead[d.Job.ID], d)
		}
		after = page[len(page)-1].Ref
	}

	var twice, lost, poisoned, otherDead int
	for i := range deliveries {
		name := fmt.Sprintf("q%05d", i)
		id := deliveryID(name)
		n, ds := fx.get(id), dead[id]
		switch {
		case n > 1:
			twice++
		case n == 0 && len(ds) == 0:
			lost++
		case n == 1 && len(ds) > 0:
			t.Errorf("%s both took effect and was dead-lettered", id)
		}
		if poison(i) {
			poisoned++
			require.Zero(t, n, "%s never succeeds", id)
		} else if len(ds) > 0 {
			otherDead++
		}
		for _, d := range ds {
			require.Equal(t, string(messageBody(name)), string(d.Job.Body), "the dead letter keeps the body byte for byte")
			require.Equal(t, webhooks.Sign(testSecret, d.Job.Body), d.Job.Signature)
			require.GreaterOrEqual(t, d.Job.Attempt, qfleetAttempts)
			require.Contains(t, d.Job.LastError, "downstream refused delivery "+id)
		}
	}
	require.Zero(t, lost, "deliveries lost: neither done nor dead-lettered")
	require.Zero(t, twice, "deliveries whose effect happened more than once")
	deadLetters := 0
	for _, ds := range dead {
		deadLetters += len(ds)
	}
	t.Logf("%d dead letters for %d poison deliveries (a redelivery that came after the first was dead-lettered runs again); %d other deliveries dead-lettered",
		deadLetters, poisoned, otherDead)
	assert.Zero(t, otherDead, "a delivery that fails once is not dead-lettered with 5 attempts")
	assert.Positive(t, statuses[503].Load(), "the killed replica answered 503")
	assert.Positive(t, heldByKilled, "the killed replica held jobs, which the others took over")
	assert.Positive(t, redelivered.Load())
	assert.Equal(t, int64(deadLetters), deadFuncs.Load(), "WithDeadLetterFunc ran once per dead letter")

	// Nothing is left but the dead letters: no job, no lease, no entry.
	assert.Equal(t, []string{qfleetBase + ":dead", qfleetBase + ":seq", qfleetStreamKey}, scanKeys(t, check, qfleetBase+"*"))
	assert.Zero(t, check.XLen(ctx, q.Key()).Val())
	for _, c := range check.XInfoConsumers(ctx, q.Key(), "textus-workers").Val() {
		assert.Zero(t, c.Pending, "consumer %s still holds jobs", c.Name)
	}
}
