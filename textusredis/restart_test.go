package textusredis_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textusredis"
	"github.com/textus-go/textus/textusredis/internal/redistest"
	"github.com/textus-go/textus/webhooks"
)

// recordingDedup records the outcome of every Claim and Complete.
type recordingDedup struct {
	d *textusredis.Deduplicator

	mu             sync.Mutex
	claimErrors    []string
	completed      map[string]bool // Complete returned nil
	completeFailed map[string]bool
}

func (r *recordingDedup) Claim(ctx context.Context, key string) (webhooks.ClaimStatus, string, error) {
	st, tok, err := r.d.Claim(ctx, key)
	if err != nil {
		r.mu.Lock()
		r.claimErrors = append(r.claimErrors, err.Error())
		r.mu.Unlock()
	}
	return st, tok, err
}

func (r *recordingDedup) Complete(ctx context.Context, key, token string) error {
	err := r.d.Complete(ctx, key, token)
	r.mu.Lock()
	if err == nil {
		r.completed[key] = true
	} else {
		r.completeFailed[key] = true
	}
	r.mu.Unlock()
	return err
}

func (r *recordingDedup) Release(ctx context.Context, key, token string) error {
	return r.d.Release(ctx, key, token)
}

// TestDeduplicatorSurvivesRedisRestart crashes redis-server (SIGKILL, with
// the append-only file and appendfsync always) in the middle of a stream
// of deliveries and starts it again: claims made during the outage fail
// with a clear error and the handler answers 503, processing resumes when
// Redis is back, and every delivery recorded as done before the crash is
// still done after it.
func TestDeduplicatorSurvivesRedisRestart(t *testing.T) {
	const deliveries = 3000
	srv := redistest.Start(t, redistest.WithAppendOnly())
	rdb := srv.Client()
	ctx := context.Background()
	rec := &recordingDedup{
		// A short lease: a claim written just before the crash whose
		// reply was lost blocks its delivery only that long.
		d:              textusredis.NewDeduplicator(rdb, textusredis.WithLease(time.Second)),
		completed:      make(map[string]bool),
		completeFailed: make(map[string]bool),
	}
	h, err := webhooks.NewHandler(testSecret, webhooks.WithDeduplicator(rec))
	require.NoError(t, err)
	fx := &effects{n: make(map[string]int)}
	h.OnMessageReceived(func(_ context.Context, ev *textus.MessageEvent) error {
		fx.add(ev.ID)
		return nil
	})

	var statuses [600]atomic.Int64
	send := func(body []byte) {
		for attempt := 0; attempt < 100000; attempt++ {
			code := serve(h, body)
			statuses[code].Add(1)
			if code == http.StatusOK {
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
		t.Errorf("a delivery was never accepted")
	}

	var completedBeforeCrash []string
	crashed := make(chan struct{})
	jobs := make(chan int)
	var senders sync.WaitGroup
	for range 4 {
		senders.Add(1)
		go func() {
			defer senders.Done()
			for i := range jobs {
				send(messageBody(fmt.Sprintf("r%05d", i)))
			}
		}()
	}
	for i := range deliveries {
		if i == deliveries/3 {
			go func() {
				defer close(crashed)
				rec.mu.Lock()
				for id := range rec.completed {
					completedBeforeCrash = append(completedBeforeCrash, id)
				}
				rec.mu.Unlock()
				srv.Kill()
				time.Sleep(300 * time.Millisecond) // the outage; deliveries keep arriving
				srv.Start()
			}()
		}
		jobs <- i
	}
	close(jobs)
	senders.Wait()
	<-crashed

	t.Logf("%d deliveries: %d answered 200, %d 503, %d 409; %d completions failed during the crash",
		deliveries, statuses[200].Load(), statuses[503].Load(), statuses[409].Load(), len(rec.completeFailed))
	require.NotEmpty(t, completedBeforeCrash)
	require.Positive(t, statuses[503].Load(), "deliveries during the outage were answered 503")
	require.NotEmpty(t, rec.claimErrors)
	for _, e := range rec.claimErrors {
		require.True(t, strings.HasPrefix(e, "textusredis: claim textus:dedup:/integrations/"), e)
	}

	// Processing resumed: every delivery was processed, once.
	for i := range deliveries {
		require.Equal(t, 1, fx.get(deliveryID(fmt.Sprintf("r%05d", i))), "delivery r%05d", i)
	}

	// Completed ids survived the crash: a redelivery is a duplicate.
	for _, id := range completedBeforeCrash {
		st, _, err := rec.d.Claim(ctx, id)
		require.NoError(t, err)
		require.Equal(t, webhooks.ClaimDone, st, "%s was completed before the crash", id)
	}
	for i := range deliveries {
		id := deliveryID(fmt.Sprintf("r%05d", i))
		if rec.completed[id] {
			assert.Equal(t, http.StatusOK, serve(h, messageBody(fmt.Sprintf("r%05d", i))))
			assert.Equal(t, 1, fx.get(id), "a redelivery of %s ran the callback again", id)
		}
	}
	// A completion that failed because Redis was down is the one window
	// this cannot cover: those ids are only claimed, and a redelivery after
	// the lease would run again. It is at most one per sender.
	assert.LessOrEqual(t, len(rec.completeFailed), 4)
}

// TestQueueSurvivesRedisRestart crashes redis-server (SIGKILL, with the
// append-only file and appendfsync always) while a handler in queue mode
// accepts deliveries and its Run works through a backlog, and starts it
// again. During the outage deliveries are answered 503 and Run's Receive
// fails; once Redis is back, work resumes where it was: every delivery
// that was answered 200 before the crash and had not run yet runs after
// it, although nobody sends it again, and every delivery runs once.
func TestQueueSurvivesRedisRestart(t *testing.T) {
	const deliveries = 3000
	srv := redistest.Start(t, redistest.WithAppendOnly())
	rdb := srv.Client()
	ctx := context.Background()
	rec := &recordingDedup{
		// Short leases: the claim and the job lease of a callback whose
		// outcome could not be recorded during the outage block it only
		// that long.
		d:              textusredis.NewDeduplicator(rdb, textusredis.WithLease(time.Second)),
		completed:      make(map[string]bool),
		completeFailed: make(map[string]bool),
	}
	q := textusredis.NewQueue(rdb, "hooks", textusredis.WithBlock(200*time.Millisecond))
	const workers = 4
	h, err := webhooks.NewHandler(testSecret, webhooks.WithDeduplicator(rec), webhooks.WithQueue(q),
		webhooks.WithWorkers(workers), webhooks.WithLease(time.Second),
		webhooks.WithBackoff(10*time.Millisecond, 100*time.Millisecond))
	require.NoError(t, err)
	fx := &effects{n: make(map[string]int)}
	h.OnMessageReceived(func(_ context.Context, ev *textus.MessageEvent) error {
		time.Sleep(time.Millisecond) // slower than the senders: a backlog builds up
		fx.add(ev.ID)
		return nil
	})
	runCtx, stop := context.WithCancel(ctx)
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		assert.NoError(t, h.Run(runCtx))
	}()
	defer func() {
		stop()
		<-ran
	}()

	var statuses [600]atomic.Int64
	var acceptedMu sync.Mutex
	accepted := make(map[string]bool)
	send := func(name string) {
		for attempt := 0; attempt < 100000; attempt++ {
			code := serve(h, messageBody(name))
			statuses[code].Add(1)
			if code == http.StatusOK {
				acceptedMu.Lock()
				accepted[deliveryID(name)] = true
				acceptedMu.Unlock()
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
		t.Errorf("a delivery was never accepted")
	}

	// waiting: accepted before the crash, not run yet. Nobody sends them
	// again: only the queue can still run them.
	var waiting []string
	crashed := make(chan struct{})
	jobs := make(chan int)
	var senders sync.WaitGroup
	for range 4 {
		senders.Add(1)
		go func() {
			defer senders.Done()
			for i := range jobs {
				send(fmt.Sprintf("s%05d", i))
			}
		}()
	}
	for i := range deliveries {
		if i == deliveries/2 {
			go func() {
				defer close(crashed)
				acceptedMu.Lock()
				for id := range accepted {
					if fx.get(id) == 0 {
						waiting = append(waiting, id)
					}
				}
				srv.Kill()
				acceptedMu.Unlock()
				time.Sleep(300 * time.Millisecond) // the outage; deliveries keep arriving
				srv.Start()
			}()
		}
		jobs <- i
	}
	close(jobs)
	senders.Wait()
	<-crashed

	require.Eventually(t, func() bool {
		n, err := q.Len(ctx)
		return err == nil && n == 0
	}, 60*time.Second, 50*time.Millisecond, "work resumes after the restart and the queue drains")
	t.Logf("%d deliveries: %d answered 200, %d 503; %d accepted but not run at the crash; %d completions failed during the crash",
		deliveries, statuses[200].Load(), statuses[503].Load(), len(waiting), len(rec.completeFailed))
	require.Positive(t, statuses[503].Load(), "deliveries during the outage were answered 503")
	require.NotEmpty(t, waiting, "the crash came with a backlog")

	for _, id := range waiting {
		require.Positive(t, fx.get(id), "%s was accepted before the crash", id)
	}
	for i := range deliveries {
		id := deliveryID(fmt.Sprintf("s%05d", i))
		n := fx.get(id)
		if rec.completeFailed[id] {
			// A callback that ran during the outage could not record it
			// (the window that no de-duplicator outside the callback's own
			// transaction closes): it may run again.
			require.Positive(t, n, "delivery %s", id)
			continue
		}
		require.Equal(t, 1, n, "delivery %s", id)
	}
	assert.LessOrEqual(t, len(rec.completeFailed), workers, "at most one per worker")
	dead, err := q.DeadLetters(ctx, "", 10)
	require.NoError(t, err)
	assert.Empty(t, dead)
}
