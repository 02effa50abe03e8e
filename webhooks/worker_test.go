package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/textus-go/textus"
)

// patience bounds the waits of the queue tests; nothing asserts how long
// anything takes.
const patience = 60 * time.Second

// running is a Handler.Run in the background.
type running struct {
	cancel context.CancelFunc
	done   chan error
}

func startRun(t *testing.T, h *Handler) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- h.Run(ctx) }()
	t.Cleanup(func() { _ = r.stop(t) })
	return r
}

// stop cancels Run and waits for it to return.
func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err, ok := <-r.done:
		if ok {
			close(r.done)
		}
		return err
	case <-time.After(patience):
		t.Fatal("Run did not return after its context ended")
		return nil
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, patience, 2*time.Millisecond, what)
}

func queueLen(t *testing.T, q Queue) int {
	t.Helper()
	n, err := q.Len(context.Background())
	require.NoError(t, err)
	return n
}

func deadLetters(t *testing.T, q Queue) []DeadLetter {
	t.Helper()
	var all []DeadLetter
	after := ""
	for {
		page, err := q.DeadLetters(context.Background(), after, 100)
		require.NoError(t, err)
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
		after = page[len(page)-1].Ref
	}
}

func TestRunNeedsAQueue(t *testing.T) {
	h := newTestHandler(t)
	err := h.Run(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "WithQueue")
}

func TestQueueOptionsAreChecked(t *testing.T) {
	q := NewMemoryQueue(10)
	for name, opts := range map[string][]Option{
		"nil queue":          {WithQueue(nil)},
		"workers 0":          {WithQueue(q), WithWorkers(0)},
		"lease too short":    {WithQueue(q), WithLease(time.Microsecond)},
		"attempts 0":         {WithQueue(q), WithAttempts(0)},
		"backoff min 0":      {WithQueue(q), WithBackoff(0, time.Second)},
		"backoff max < min":  {WithQueue(q), WithBackoff(time.Second, time.Millisecond)},
		"nil order key":      {WithQueue(q), WithOrderKey(nil)},
		"empty consumer":     {WithQueue(q), WithConsumerName("")},
		"workers, no queue":  {WithWorkers(2)},
		"lease, no queue":    {WithLease(time.Second)},
		"ordered, no queue":  {WithOrderKey(ConversationKey)},
		"dead fn, no queue":  {WithDeadLetterFunc(func(context.Context, DeadLetter) {})},
		"consumer, no queue": {WithConsumerName("a")},
	} {
		_, err := NewHandler(testSecret, opts...)
		assert.Error(t, err, name)
	}
	_, err := NewHandler(testSecret, WithQueue(q), WithWorkers(2), WithLease(time.Second), WithAttempts(1),
		WithBackoff(time.Millisecond, time.Millisecond), WithOrderKey(ConversationKey),
		WithDeadLetterFunc(nil), WithConsumerName("c"))
	assert.NoError(t, err)
}

// A callback that takes 10 seconds (an ATS call, say) does not hold the
// sender's requests: every delivery is answered 200 while no callback has
// finished, then every one is processed.
func TestQueueAnswersBeforeSlowCallbacks(t *testing.T) {
	if testing.Short() {
		t.Skip("callbacks sleep 10 s")
	}
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	const n = 8
	q := NewMemoryQueue(100)
	h := newTestHandler(t, WithQueue(q), WithWorkers(n), WithLease(time.Minute))
	var started, finished atomic.Int32
	h.OnMessageReceived(func(ctx context.Context, e *textus.MessageEvent) error {
		started.Add(1)
		select {
		case <-time.After(10 * time.Second):
		case <-ctx.Done():
			return ctx.Err()
		}
		finished.Add(1)
		return nil
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	run := startRun(t, h)

	for i := 0; i < n; i++ {
		req, err := http.NewRequest(http.MethodPost, srv.URL, nil)
		require.NoError(t, err)
		SignRequest(req, testSecret, messageBody(fmt.Sprintf("slow-%d", i)))
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	assert.Zero(t, finished.Load(), "every delivery was answered before any callback finished")

	waitFor(t, "every delivery processed", func() bool { return finished.Load() == n && queueLen(t, q) == 0 })
	assert.EqualValues(t, n, started.Load(), "each ran once")
	require.NoError(t, run.stop(t))
	srv.Close()
}

// A worker killed mid-callback (its Run context cancelled, the job not
// acknowledged) leaves the job to the queue: after the lease it is handed
// out again and runs to completion once.
func TestQueueKilledWorkerJobRunsAgainOnce(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	q := NewMemoryQueue(100)
	h := newTestHandler(t, WithQueue(q), WithLease(300*time.Millisecond), WithBackoff(time.Hour, time.Hour))
	entered := make(chan struct{})
	var calls, effects atomic.Int32
	var attempts []int
	var mu sync.Mutex
	h.OnMessageReceived(func(ctx context.Context, e *textus.MessageEvent) error {
		if calls.Add(1) == 1 {
			close(entered)
			<-ctx.Done() // killed: never finishes; its lease runs out
			return ctx.Err()
		}
		effects.Add(1)
		return nil
	})
	obs := newRecordingObserver()
	h.observer = obs

	require.Equal(t, http.StatusOK, serve(h, testSecret, messageBody("killed")).Code)
	first := startRun(t, h)
	<-entered
	require.NoError(t, first.stop(t), "the killed worker's Run returns once the lease is over")
	assert.Zero(t, effects.Load())
	assert.Equal(t, 1, queueLen(t, q), "the job is still queued")

	second := startRun(t, h)
	waitFor(t, "the job runs again", func() bool { return effects.Load() == 1 && queueLen(t, q) == 0 })
	require.NoError(t, second.stop(t))
	assert.EqualValues(t, 2, calls.Load())
	assert.EqualValues(t, 1, effects.Load())
	assert.Empty(t, deadLetters(t, q))
	mu.Lock()
	defer mu.Unlock()
	for _, j := range obs.jobs() {
		attempts = append(attempts, j.start.Attempt)
	}
	assert.Equal(t, []int{1, 2}, attempts)
	assert.Equal(t, []JobOutcome{JobAbandoned, JobDone}, obs.outcomes())
}

// A consumer that received a job and crashed without a word: Run picks
// the job up once its lease expires.
func TestQueueCrashedConsumerJobIsReclaimed(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	q := NewMemoryQueue(100)
	h := newTestHandler(t, WithQueue(q))
	var effects atomic.Int32
	h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error { effects.Add(1); return nil })
	require.Equal(t, http.StatusOK, serve(h, testSecret, messageBody("orphan")).Code)
	ls, err := q.Receive(context.Background(), "crashed", 1, 200*time.Millisecond)
	require.NoError(t, err)
	require.Len(t, ls, 1)

	run := startRun(t, h)
	waitFor(t, "the orphaned job is processed", func() bool { return effects.Load() == 1 && queueLen(t, q) == 0 })
	require.NoError(t, run.stop(t))
	assert.ErrorIs(t, q.Ack(context.Background(), ls[0].Receipt), ErrLeaseLost)
}

// flaky decides, the same way every run, whether an attempt at a
// delivery fails: about one attempt in five does, and the "poison"
// deliveries always do.
func flaky(id string, attempt int) bool {
	if strings.HasSuffix(id, "0") && strings.Contains(id, "poison") {
		return true
	}
	h := fnv.New32a()
	fmt.Fprintf(h, "%s#%d", id, attempt)
	return h.Sum32()%5 == 0
}

// 5,000 deliveries, 20% of callback attempts failing, 10% of deliveries
// sent twice: every delivery's effect happens exactly once, or the
// delivery is in the dead letters with its body intact; none is lost.
func TestQueueFiveThousandDeliveries(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	const n = 5000
	q := NewMemoryQueue(2 * n)
	h := newTestHandler(t, WithQueue(q), WithWorkers(8), WithAttempts(4),
		WithBackoff(time.Millisecond, 4*time.Millisecond), WithLease(time.Minute))

	var mu sync.Mutex
	effects := map[string]int{}
	attempts := map[string]int{}
	var failed atomic.Int64
	var calls atomic.Int64
	h.OnMessageReceived(func(_ context.Context, e *textus.MessageEvent) error {
		calls.Add(1)
		mu.Lock()
		attempts[e.ID]++
		a := attempts[e.ID]
		mu.Unlock()
		if flaky(e.ID, a) {
			failed.Add(1)
			return errors.New("the ATS said no")
		}
		mu.Lock()
		effects[e.ID]++
		mu.Unlock()
		return nil
	})
	deadSeen := make(chan DeadLetter, n)
	h.queue.onDead = func(_ context.Context, d DeadLetter) { deadSeen <- d }

	bodies := make(map[string][]byte, n)
	var order []string
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("bulk-%04d", i)
		if i%100 == 0 {
			name = fmt.Sprintf("poison-%04d", i)
		}
		body := messageBody(name)
		id := "/integrations/h13Jc5/deliveries/" + name
		bodies[id] = body
		order = append(order, id)
	}

	run := startRun(t, h)
	// Post every delivery, and a tenth of them again: some while queued or
	// running, the rest after they are done.
	var redelivered []string
	var wg sync.WaitGroup
	posts := make(chan string)
	var refused atomic.Int64
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range posts {
				if code := serve(h, testSecret, bodies[id]).Code; code != http.StatusOK {
					refused.Add(1)
					t.Errorf("delivery %s answered %d", id, code)
				}
			}
		}()
	}
	for i, id := range order {
		posts <- id
		if i%10 == 3 {
			redelivered = append(redelivered, id)
			if i%20 == 3 {
				posts <- id // at once, very likely still queued
			}
		}
	}
	for i, id := range redelivered {
		if i%2 == 1 {
			posts <- id // later, likely done or dead
		}
	}
	close(posts)
	wg.Wait()
	require.Zero(t, refused.Load())
	require.Len(t, redelivered, n/10)

	waitFor(t, "the queue drains", func() bool { return queueLen(t, q) == 0 })
	require.NoError(t, run.stop(t))

	dead := deadLetters(t, q)
	deadIDs := map[string]bool{}
	for _, d := range dead {
		deadIDs[d.Job.ID] = true
		assert.Equal(t, string(bodies[d.Job.ID]), string(d.Job.Body), "dead letter %s keeps its body", d.Job.ID)
		assert.Equal(t, 4, d.Job.Attempt, "dead letter %s made every attempt", d.Job.ID)
		assert.Equal(t, "the ATS said no", d.Job.LastError)
	}
	assert.Len(t, deadSeen, len(dead), "the dead-letter function saw each one")

	var done, lost, twice []string
	for _, id := range order {
		switch e := effects[id]; {
		case e == 1:
			done = append(done, id)
		case e > 1:
			twice = append(twice, id)
		case !deadIDs[id]:
			lost = append(lost, id)
		}
	}
	assert.Empty(t, twice, "effects that happened more than once")
	assert.Empty(t, lost, "deliveries neither processed nor dead-lettered")
	for id := range deadIDs {
		if strings.Contains(id, "poison") {
			continue
		}
		// A delivery dead-lettered by bad luck (four failures in a row)
		// may have been processed since, from its redelivery.
		assert.LessOrEqual(t, effects[id], 1)
	}
	for _, id := range order {
		if strings.Contains(id, "poison") {
			assert.True(t, deadIDs[id], "poison %s is in the dead letters", id)
			assert.Zero(t, effects[id])
		}
	}
	t.Logf("%d deliveries: %d processed, %d dead letters, %d callback calls, %d failed (%.0f%%), %d redeliveries",
		n, len(done), len(dead), calls.Load(), failed.Load(), 100*float64(failed.Load())/float64(calls.Load()), len(redelivered))
	assert.InDelta(t, 0.2, float64(failed.Load())/float64(calls.Load()), 0.05, "about 20% of callback calls fail")
}

// A full queue is answered 503 with Retry-After, and nothing is
// acknowledged that is not stored; the sender's retry is accepted later
// and processed.
func TestQueueFullAnswers503ThenAcceptsTheRetry(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	q := NewMemoryQueue(1)
	h := newTestHandler(t, WithQueue(q))
	var mu sync.Mutex
	var handled []string
	h.OnMessageReceived(func(_ context.Context, e *textus.MessageEvent) error {
		mu.Lock()
		handled = append(handled, e.ID)
		mu.Unlock()
		return nil
	})
	require.Equal(t, http.StatusOK, serve(h, testSecret, messageBody("first")).Code)
	rec := serve(h, testSecret, messageBody("second"))
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Equal(t, "30", rec.Header().Get("Retry-After"))
	assert.Equal(t, 1, queueLen(t, q), "the refused delivery was not stored")

	run := startRun(t, h)
	waitFor(t, "the first is processed", func() bool { return queueLen(t, q) == 0 })
	require.Equal(t, http.StatusOK, serve(h, testSecret, messageBody("second")).Code, "the retry")
	waitFor(t, "the retry is processed", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(handled) == 2
	})
	require.NoError(t, run.stop(t))
	assert.Equal(t, []string{"/integrations/h13Jc5/deliveries/first", "/integrations/h13Jc5/deliveries/second"}, handled)
}

// failingQueue refuses every Enqueue.
type failingQueue struct{ *MemoryQueue }

func (failingQueue) Enqueue(context.Context, Job) error {
	return errors.New("redis: connection refused")
}

func TestQueueUnavailableAnswers503(t *testing.T) {
	h := newTestHandler(t, WithQueue(failingQueue{NewMemoryQueue(1)}))
	h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error { return nil })
	rec := serve(h, testSecret, messageBody("x"))
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.NotEmpty(t, rec.Header().Get("Retry-After"))
	assert.NotContains(t, rec.Body.String(), "redis")
}

// Redeliveries compose with the queue: one sent while the job waits is
// answered 200 and not queued twice; one sent after it ran is answered 200
// and not queued again.
func TestQueueRedeliveries(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	q := NewMemoryQueue(10)
	h := newTestHandler(t, WithQueue(q))
	var calls atomic.Int32
	h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error { calls.Add(1); return nil })
	obs := newRecordingObserver()
	h.observer = obs
	body := messageBody("again")
	require.Equal(t, http.StatusOK, serve(h, testSecret, body).Code)
	require.Equal(t, http.StatusOK, serve(h, testSecret, body).Code, "while queued")
	assert.Equal(t, 1, queueLen(t, q))

	run := startRun(t, h)
	waitFor(t, "processed", func() bool { return calls.Load() == 1 && queueLen(t, q) == 0 })
	require.Equal(t, http.StatusOK, serve(h, testSecret, body).Code, "after it ran")
	assert.Equal(t, 0, queueLen(t, q), "not queued again")
	require.NoError(t, run.stop(t))
	assert.EqualValues(t, 1, calls.Load())

	ds := obs.deliveries()
	require.Len(t, ds, 3)
	assert.True(t, ds[0].end.Queued)
	assert.False(t, ds[0].end.Duplicate)
	for _, d := range ds[1:] {
		assert.True(t, d.end.Duplicate)
		assert.False(t, d.end.Queued)
		assert.Equal(t, "duplicate", d.end.Reason)
	}
}

// Deliveries of one conversation run one at a time, in the order they
// were accepted, even when some attempts fail; other conversations run
// alongside.
func TestQueueOrderByConversation(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	q := NewMemoryQueue(1000)
	h := newTestHandler(t, WithQueue(q), WithWorkers(8), WithOrderKey(ConversationKey),
		WithBackoff(time.Millisecond, 2*time.Millisecond))
	var mu sync.Mutex
	got := map[string][]int{}
	inFlight := map[string]int{}
	var overlap atomic.Int32
	tries := map[string]int{}
	h.OnMessageReceived(func(_ context.Context, e *textus.MessageEvent) error {
		conv := e.Conversation.ID
		mu.Lock()
		inFlight[conv]++
		if inFlight[conv] > 1 {
			overlap.Add(1)
		}
		tries[e.ID]++
		fail := tries[e.ID] == 1 && strings.HasSuffix(e.ID, "3") // first attempts of some fail
		mu.Unlock()
		time.Sleep(time.Millisecond)
		mu.Lock()
		defer mu.Unlock()
		inFlight[conv]--
		if fail {
			return errors.New("try again")
		}
		var seq int
		_, _ = fmt.Sscanf(e.Message.Body, "seq %d", &seq)
		got[conv] = append(got[conv], seq)
		return nil
	})
	const convs, per = 4, 25
	for i := 0; i < per; i++ {
		for c := 0; c < convs; c++ {
			body := fmt.Sprintf(`{"id":"/integrations/x/deliveries/c%d-%d","action":"message.received",`+
				`"conversation":{"id":"/conversations/C%d"},"message":{"body":"seq %d"}}`, c, i, c, i)
			require.Equal(t, http.StatusOK, serve(h, testSecret, []byte(body)).Code)
		}
	}
	run := startRun(t, h)
	waitFor(t, "all processed", func() bool { return queueLen(t, q) == 0 })
	require.NoError(t, run.stop(t))
	mu.Lock()
	defer mu.Unlock()
	assert.Zero(t, overlap.Load(), "two deliveries of one conversation ran at once")
	want := make([]int, per)
	for i := range want {
		want[i] = i
	}
	for c := 0; c < convs; c++ {
		assert.Equal(t, want, got[fmt.Sprintf("/conversations/C%d", c)], "conversation %d in order", c)
	}
}

// Without an order key, jobs run in parallel, up to WithWorkers.
func TestQueueRunsInParallel(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	const workers = 4
	q := NewMemoryQueue(100)
	h := newTestHandler(t, WithQueue(q), WithWorkers(workers))
	var inFlight, most atomic.Int32
	release := make(chan struct{})
	h.OnMessageReceived(func(ctx context.Context, _ *textus.MessageEvent) error {
		n := inFlight.Add(1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		select {
		case <-release:
		case <-ctx.Done():
		}
		inFlight.Add(-1)
		return nil
	})
	for i := 0; i < 2*workers; i++ {
		body := fmt.Sprintf(`{"id":"/integrations/x/deliveries/p%d","action":"message.received",`+
			`"conversation":{"id":"/conversations/SAME"}}`, i)
		require.Equal(t, http.StatusOK, serve(h, testSecret, []byte(body)).Code)
	}
	run := startRun(t, h)
	waitFor(t, "every worker busy", func() bool { return inFlight.Load() == workers })
	close(release)
	waitFor(t, "all processed", func() bool { return queueLen(t, q) == 0 })
	require.NoError(t, run.stop(t))
	assert.EqualValues(t, workers, most.Load(), "never more than WithWorkers at once")
}

// A job that keeps failing is dead-lettered with its body, its attempts
// and its last error; once the cause is fixed, redriving it runs it.
func TestQueueDeadLetterAndRedrive(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	q := NewMemoryQueue(10)
	var seen []DeadLetter
	var mu sync.Mutex
	h := newTestHandler(t, WithQueue(q), WithAttempts(3), WithBackoff(time.Millisecond, time.Millisecond),
		WithDeadLetterFunc(func(_ context.Context, d DeadLetter) {
			mu.Lock()
			seen = append(seen, d)
			mu.Unlock()
		}))
	var broken atomic.Bool
	broken.Store(true)
	var calls, effects atomic.Int32
	h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error {
		calls.Add(1)
		if broken.Load() {
			return errors.New("crm: 502 bad gateway")
		}
		effects.Add(1)
		return nil
	})
	body := messageBody("doomed")
	require.Equal(t, http.StatusOK, serve(h, testSecret, body).Code)
	run := startRun(t, h)
	waitFor(t, "dead-lettered", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) == 1
	})
	assert.EqualValues(t, 3, calls.Load())
	dead := deadLetters(t, q)
	require.Len(t, dead, 1)
	d := dead[0]
	assert.Equal(t, seen[0].Ref, d.Ref)
	assert.Equal(t, string(body), string(d.Job.Body))
	assert.Equal(t, 3, d.Job.Attempt)
	assert.Equal(t, "crm: 502 bad gateway", d.Job.LastError)
	assert.Equal(t, d.Job.LastError, seen[0].Job.LastError)

	broken.Store(false)
	require.NoError(t, q.Redrive(context.Background(), d.Ref))
	waitFor(t, "redriven and processed", func() bool { return effects.Load() == 1 && queueLen(t, q) == 0 })
	require.NoError(t, run.stop(t))
	assert.Empty(t, deadLetters(t, q))
}

// A callback that panics is a failed attempt, retried.
func TestQueueCallbackPanicIsRetried(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	q := NewMemoryQueue(10)
	h := newTestHandler(t, WithQueue(q), WithBackoff(time.Millisecond, time.Millisecond))
	var calls atomic.Int32
	h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error {
		if calls.Add(1) == 1 {
			panic("nil map")
		}
		return nil
	})
	obs := newRecordingObserver()
	h.observer = obs
	require.Equal(t, http.StatusOK, serve(h, testSecret, messageBody("panics")).Code)
	run := startRun(t, h)
	waitFor(t, "processed", func() bool { return calls.Load() == 2 && queueLen(t, q) == 0 })
	require.NoError(t, run.stop(t))
	jobs := obs.jobs()
	require.Len(t, jobs, 2)
	assert.Equal(t, JobEnd{Outcome: JobRetry, Reason: "callback panicked"}, jobs[0].end)
	assert.Equal(t, JobEnd{Outcome: JobDone}, jobs[1].end)
}

// A job whose stored signature does not verify never reaches a callback:
// whoever could write to the queue cannot inject deliveries.
func TestQueueJobWithBadSignatureIsDeadLettered(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	q := NewMemoryQueue(10)
	h := newTestHandler(t, WithQueue(q))
	var calls atomic.Int32
	h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error { calls.Add(1); return nil })
	body := messageBody("forged")
	require.NoError(t, q.Enqueue(context.Background(), Job{
		ID: "forged", Action: textus.EventMessageReceived, Body: body, Signature: Sign("textus-not-ours", body),
	}))
	require.NoError(t, q.Enqueue(context.Background(), Job{
		ID: "garbage", Action: textus.EventMessageReceived, Body: []byte("nope"), Signature: Sign(testSecret, []byte("nope")),
	}))
	run := startRun(t, h)
	waitFor(t, "dead-lettered", func() bool { return queueLen(t, q) == 0 })
	require.NoError(t, run.stop(t))
	assert.Zero(t, calls.Load())
	dead := deadLetters(t, q)
	require.Len(t, dead, 2)
	byID := map[string]string{}
	for _, d := range dead {
		byID[d.Job.ID] = d.Job.LastError
		assert.Equal(t, 1, d.Job.Attempt, "not retried")
	}
	assert.Contains(t, byID["forged"], "does not verify")
	assert.Contains(t, byID["garbage"], "not a JSON object")
}

// A job whose action lost its callback since it was queued is
// acknowledged; one whose delivery another worker already handled is
// acknowledged without running again.
func TestQueueSkipsAndDuplicatesAtRunTime(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	q := NewMemoryQueue(10)
	h := newTestHandler(t, WithQueue(q))
	var calls atomic.Int32
	h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error { calls.Add(1); return nil })
	h.OnContactOptedOut(func(context.Context, *textus.OptOutEvent) error { calls.Add(1); return nil })
	require.Equal(t, http.StatusOK, serve(h, testSecret, optOutBody("removed", "2024-01-01T00:00:00Z")).Code)
	h.OnContactOptedOut(nil)
	// The same delivery already handled elsewhere (a shared Deduplicator).
	body := messageBody("handled-elsewhere")
	require.Equal(t, http.StatusOK, serve(h, testSecret, body).Code)
	st, tok, err := h.dedup.Claim(context.Background(), "/integrations/h13Jc5/deliveries/handled-elsewhere")
	require.NoError(t, err)
	require.Equal(t, ClaimAcquired, st)
	require.NoError(t, h.dedup.Complete(context.Background(), "/integrations/h13Jc5/deliveries/handled-elsewhere", tok))

	obs := newRecordingObserver()
	h.observer = obs
	run := startRun(t, h)
	waitFor(t, "both acknowledged", func() bool { return queueLen(t, q) == 0 })
	require.NoError(t, run.stop(t))
	assert.Zero(t, calls.Load())
	assert.ElementsMatch(t, []JobOutcome{JobSkipped, JobDuplicate}, obs.outcomes())
}

// Run stops receiving when its context ends, lets the callbacks in
// progress finish, and the jobs left in the queue are processed by the
// next Run: nothing is lost across a restart.
func TestQueueGracefulShutdownAndRestart(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	q := NewMemoryQueue(100)
	h := newTestHandler(t, WithQueue(q), WithWorkers(1))
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	var mu sync.Mutex
	var handled []string
	h.OnMessageReceived(func(_ context.Context, e *textus.MessageEvent) error {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-release
		mu.Lock()
		handled = append(handled, e.ID)
		mu.Unlock()
		return nil
	})
	for i := 0; i < 5; i++ {
		require.Equal(t, http.StatusOK, serve(h, testSecret, messageBody(fmt.Sprintf("r%d", i))).Code)
	}
	first := startRun(t, h)
	<-entered
	stopped := make(chan error, 1)
	go func() { stopped <- first.stop(t) }()
	select {
	case err := <-stopped:
		t.Fatalf("Run returned (%v) while a callback was in progress", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	require.NoError(t, <-stopped)
	mu.Lock()
	require.Len(t, handled, 1, "the callback in progress finished")
	mu.Unlock()
	assert.Equal(t, 4, queueLen(t, q), "the rest wait in the queue")

	second := startRun(t, h)
	waitFor(t, "the rest processed", func() bool { return queueLen(t, q) == 0 })
	require.NoError(t, second.stop(t))
	mu.Lock()
	defer mu.Unlock()
	sort.Strings(handled)
	assert.Equal(t, []string{
		"/integrations/h13Jc5/deliveries/r0", "/integrations/h13Jc5/deliveries/r1", "/integrations/h13Jc5/deliveries/r2",
		"/integrations/h13Jc5/deliveries/r3", "/integrations/h13Jc5/deliveries/r4",
	}, handled)
}

// receiveFailingQueue fails Receive a few times, as an unreachable store
// would.
type receiveFailingQueue struct {
	*MemoryQueue
	failures atomic.Int32
}

func (q *receiveFailingQueue) Receive(ctx context.Context, consumer string, max int, lease time.Duration) ([]Lease, error) {
	if q.failures.Add(-1) >= 0 {
		return nil, errors.New("redis: i/o timeout")
	}
	return q.MemoryQueue.Receive(ctx, consumer, max, lease)
}

// Receive errors are logged and retried; they do not stop Run.
func TestRunSurvivesReceiveErrors(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	q := &receiveFailingQueue{MemoryQueue: NewMemoryQueue(10)}
	q.failures.Store(3)
	var logs syncBuffer
	h := newTestHandler(t, WithQueue(q), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	var calls atomic.Int32
	h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error { calls.Add(1); return nil })
	require.Equal(t, http.StatusOK, serve(h, testSecret, messageBody("late")).Code)
	run := startRun(t, h)
	waitFor(t, "processed", func() bool { return calls.Load() == 1 })
	require.NoError(t, run.stop(t))
	assert.Contains(t, logs.String(), "receiving jobs failed")
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The worker's logs name the delivery, never its body or a secret.
func TestQueueLogsDoNotLeak(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var logs syncBuffer
	q := NewMemoryQueue(10)
	h := newTestHandler(t, WithQueue(q), WithAttempts(2), WithBackoff(time.Millisecond, time.Millisecond),
		WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error { return errors.New("callback failed") })
	body := []byte(`{"id":"/integrations/a/deliveries/leak","action":"message.received",` +
		`"conversation":{"phoneNumber":"+13035551234"},"message":{"body":"SENSITIVE-PAYLOAD"}}`)
	require.Equal(t, http.StatusOK, serve(h, testSecret, body).Code)
	run := startRun(t, h)
	waitFor(t, "dead-lettered", func() bool { return queueLen(t, q) == 0 })
	require.NoError(t, run.stop(t))
	out := logs.String()
	assert.Contains(t, out, "/integrations/a/deliveries/leak")
	assert.Contains(t, out, "job dead-lettered")
	for _, s := range []string{"SENSITIVE-PAYLOAD", "+13035551234", testSecret, Sign(testSecret, body)} {
		assert.NotContains(t, out, s)
	}
}

func TestBackoffGrowsWithJitterWithinBounds(t *testing.T) {
	m := &queueMode{minBackoff: time.Second, maxBackoff: time.Minute}
	for n := 1; n <= 100; n++ {
		want := time.Minute
		if n <= 6 {
			want = time.Second << (n - 1)
		}
		for i := 0; i < 20; i++ {
			d := m.backoff(n)
			assert.GreaterOrEqual(t, d, want/2, "attempt %d", n)
			assert.LessOrEqual(t, d, want, "attempt %d", n)
		}
	}
}

// greedyQueue hands out more jobs than asked.
type greedyQueue struct{ *MemoryQueue }

func (q greedyQueue) Receive(ctx context.Context, consumer string, _ int, lease time.Duration) ([]Lease, error) {
	return q.MemoryQueue.Receive(ctx, consumer, 100, lease)
}

// Run keeps to WithWorkers even when the queue hands out more jobs than
// it asked for.
func TestRunKeepsToWorkersWithAGreedyQueue(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	q := NewMemoryQueue(100)
	h := newTestHandler(t, WithQueue(greedyQueue{q}), WithWorkers(2))
	var inFlight, most, calls atomic.Int32
	h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error {
		n := inFlight.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(time.Millisecond)
		inFlight.Add(-1)
		calls.Add(1)
		return nil
	})
	for i := 0; i < 10; i++ {
		require.Equal(t, http.StatusOK, serve(h, testSecret, messageBody(fmt.Sprintf("g%d", i))).Code)
	}
	run := startRun(t, h)
	waitFor(t, "all processed", func() bool { return calls.Load() == 10 && queueLen(t, q) == 0 })
	require.NoError(t, run.stop(t))
	assert.LessOrEqual(t, most.Load(), int32(2))
}

// An attempt whose lease expired counts: when it was the last one, the job
// is dead-lettered on its next hand-out, without running again.
func TestQueueLeaseExpiryUsesUpAttempts(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	q := NewMemoryQueue(10)
	h := newTestHandler(t, WithQueue(q), WithAttempts(1), WithLease(200*time.Millisecond))
	var calls atomic.Int32
	h.OnMessageReceived(func(ctx context.Context, _ *textus.MessageEvent) error {
		calls.Add(1)
		<-ctx.Done() // hangs past its lease
		return ctx.Err()
	})
	require.Equal(t, http.StatusOK, serve(h, testSecret, messageBody("hangs")).Code)
	run := startRun(t, h)
	waitFor(t, "dead-lettered", func() bool { return queueLen(t, q) == 0 })
	require.NoError(t, run.stop(t))
	assert.EqualValues(t, 1, calls.Load())
	dead := deadLetters(t, q)
	require.Len(t, dead, 1)
	assert.Equal(t, 2, dead[0].Job.Attempt)
	assert.Contains(t, dead[0].Job.LastError, "did not finish within its lease")
}
