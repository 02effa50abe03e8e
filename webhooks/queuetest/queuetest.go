// Package queuetest checks that a webhooks.Queue keeps the contract the
// Handler relies on: jobs stored until acknowledged, one live job per
// delivery id, leases that expire and hand the job out again, delayed
// retries, ordering keys, and dead letters that keep the raw body and can
// be listed, redriven and discarded.
//
// Run it from the tests of an implementation:
//
//	func TestQueue(t *testing.T) {
//		queuetest.Run(t, func(t *testing.T, capacity int) webhooks.Queue {
//			return myqueue.New(newTestStore(t), capacity)
//		})
//	}
//
// The suite waits on real time with short leases (a few hundred
// milliseconds) and generous deadlines, and asserts no durations.
package queuetest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/webhooks"
)

// NewQueue returns a new, empty queue for one test, which holds at most
// capacity live jobs (capacity > 0). It is called once per subtest;
// register any cleanup with t.Cleanup.
type NewQueue func(t *testing.T, capacity int) webhooks.Queue

const (
	// bigCapacity is the capacity of the queues whose limit a test does
	// not exercise.
	bigCapacity = 10000
	// shortLease is the lease of the tests that let leases expire.
	shortLease = 300 * time.Millisecond
	// longLease is the lease of the tests that must not see one expire.
	longLease = time.Minute
	// patience bounds how long a test waits for something that must
	// happen.
	patience = 10 * time.Second
	// quiet is how long a test watches for something that must not
	// happen.
	quiet = 400 * time.Millisecond
)

// Run runs the conformance suite against the queues newQueue makes.
func Run(t *testing.T, newQueue NewQueue) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, newQueue NewQueue)
	}{
		{"RoundTrip", testRoundTrip},
		{"DuplicateID", testDuplicateID},
		{"Full", testFull},
		{"ReceiveMax", testReceiveMax},
		{"ReceiveWaits", testReceiveWaits},
		{"LeaseExpires", testLeaseExpires},
		{"StaleReceipt", testStaleReceipt},
		{"Retry", testRetry},
		{"RetryDelayHolds", testRetryDelayHolds},
		{"DeadLetter", testDeadLetter},
		{"DeadLettersPaging", testDeadLettersPaging},
		{"RedriveDuplicate", testRedriveDuplicate},
		{"OrderKey", testOrderKey},
		{"OrderKeyRetryHoldsBack", testOrderKeyRetryHoldsBack},
		{"ConcurrentConsumers", testConcurrentConsumers},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newQueue) })
	}
}

// job returns a job with every field set, distinct per id.
func job(id string) webhooks.Job {
	return webhooks.Job{
		ID:         "/integrations/qt/deliveries/" + id,
		Action:     textus.EventMessageReceived,
		Body:       []byte(`{"id":"/integrations/qt/deliveries/` + id + `","action":"message.received","n":"` + id + `"}`),
		Signature:  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		EnqueuedAt: time.Date(2024, 5, 1, 12, 0, 0, 123000000, time.UTC),
		Trace:      map[string]string{"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
	}
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func enqueue(t *testing.T, q webhooks.Queue, jobs ...webhooks.Job) {
	t.Helper()
	for _, j := range jobs {
		require.NoError(t, q.Enqueue(ctxFor(t, patience), j), "enqueue %s", j.ID)
	}
}

// receive waits for at least one job and returns what Receive handed out.
func receive(t *testing.T, q webhooks.Queue, consumer string, max int, lease time.Duration) []webhooks.Lease {
	t.Helper()
	ctx := ctxFor(t, patience)
	for {
		got, err := q.Receive(ctx, consumer, max, lease)
		if len(got) > 0 {
			require.NoError(t, err)
			require.LessOrEqual(t, len(got), max, "Receive returned more than max")
			return got
		}
		if ctx.Err() != nil {
			t.Fatalf("no job handed out within %s (last error: %v)", patience, err)
		}
		if err != nil {
			t.Fatalf("Receive: %v", err)
		}
	}
}

// receiveOne waits for one job and checks it is the expected one.
func receiveOne(t *testing.T, q webhooks.Queue, wantID string, lease time.Duration) webhooks.Lease {
	t.Helper()
	got := receive(t, q, "c1", 1, lease)
	require.Len(t, got, 1)
	require.Equal(t, wantID, got[0].Job.ID)
	return got[0]
}

// receiveNone checks that nothing is handed out for a while.
func receiveNone(t *testing.T, q webhooks.Queue) {
	t.Helper()
	ctx := ctxFor(t, quiet)
	for ctx.Err() == nil {
		got, err := q.Receive(ctx, "c-idle", 10, longLease)
		require.Empty(t, got, "a job was handed out: %v", ids(got))
		if err != nil {
			require.ErrorIs(t, err, context.DeadlineExceeded)
		}
	}
}

func ids(ls []webhooks.Lease) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.Job.ID
	}
	return out
}

func queueLen(t *testing.T, q webhooks.Queue) int {
	t.Helper()
	n, err := q.Len(ctxFor(t, patience))
	require.NoError(t, err)
	return n
}

func testRoundTrip(t *testing.T, newQueue NewQueue) {
	q := newQueue(t, bigCapacity)
	want := job("round-trip")
	want.OrderKey = "/conversations/RT"
	enqueue(t, q, want)
	assert.Equal(t, 1, queueLen(t, q))

	before := time.Now()
	l := receiveOne(t, q, want.ID, longLease)
	after := time.Now()
	got := l.Job
	assert.Equal(t, want.Action, got.Action)
	assert.Equal(t, string(want.Body), string(got.Body), "the body is kept byte for byte")
	assert.Equal(t, want.Signature, got.Signature)
	assert.Equal(t, want.OrderKey, got.OrderKey)
	assert.WithinDuration(t, want.EnqueuedAt, got.EnqueuedAt, time.Millisecond)
	assert.Equal(t, want.Trace, got.Trace)
	assert.Equal(t, 1, got.Attempt)
	assert.Empty(t, got.LastError)
	assert.NotEmpty(t, l.Receipt)
	assert.False(t, l.Expires.Before(before), "Expires %s is before the Receive call", l.Expires)
	assert.False(t, l.Expires.After(after.Add(longLease)), "Expires %s is later than the lease allows", l.Expires)
	assert.Equal(t, 1, queueLen(t, q), "a leased job is still live")

	require.NoError(t, q.Ack(ctxFor(t, patience), l.Receipt))
	assert.Equal(t, 0, queueLen(t, q))
	assert.ErrorIs(t, q.Ack(ctxFor(t, patience), l.Receipt), webhooks.ErrLeaseLost, "a second Ack")
	receiveNone(t, q)
}

func testDuplicateID(t *testing.T, newQueue NewQueue) {
	q := newQueue(t, bigCapacity)
	j := job("dup")
	enqueue(t, q, j)
	other := j
	other.Body = []byte(`{"id":"` + j.ID + `","other":true}`)
	assert.ErrorIs(t, q.Enqueue(ctxFor(t, patience), other), webhooks.ErrDuplicateJob, "while waiting")
	l := receiveOne(t, q, j.ID, longLease)
	assert.ErrorIs(t, q.Enqueue(ctxFor(t, patience), other), webhooks.ErrDuplicateJob, "while leased")
	require.NoError(t, q.Retry(ctxFor(t, patience), l.Receipt, time.Hour, "later"))
	assert.ErrorIs(t, q.Enqueue(ctxFor(t, patience), other), webhooks.ErrDuplicateJob, "while waiting for a retry")
	assert.Equal(t, 1, queueLen(t, q))

	q2 := newQueue(t, bigCapacity)
	enqueue(t, q2, j)
	l = receiveOne(t, q2, j.ID, longLease)
	require.NoError(t, q2.Ack(ctxFor(t, patience), l.Receipt))
	enqueue(t, q2, other) // acknowledged: the id is free again
	l = receiveOne(t, q2, j.ID, longLease)
	assert.Equal(t, string(other.Body), string(l.Job.Body))
}

func testFull(t *testing.T, newQueue NewQueue) {
	q := newQueue(t, 2)
	enqueue(t, q, job("f1"), job("f2"))
	err := q.Enqueue(ctxFor(t, patience), job("f3"))
	require.ErrorIs(t, err, webhooks.ErrQueueFull)
	assert.Equal(t, 2, queueLen(t, q), "nothing stored when full")

	l := receive(t, q, "c1", 1, longLease)
	require.NoError(t, q.Ack(ctxFor(t, patience), l[0].Receipt))
	enqueue(t, q, job("f3"))
	seen := map[string]bool{}
	for len(seen) < 2 {
		for _, l := range receive(t, q, "c1", 2, longLease) {
			seen[l.Job.ID] = true
			require.NoError(t, q.Ack(ctxFor(t, patience), l.Receipt))
		}
	}
	assert.True(t, seen[job("f3").ID])
}

func testReceiveMax(t *testing.T, newQueue NewQueue) {
	q := newQueue(t, bigCapacity)
	for i := 0; i < 5; i++ {
		enqueue(t, q, job(fmt.Sprintf("max-%d", i)))
	}
	seen := map[string]bool{}
	for len(seen) < 5 {
		got := receive(t, q, "c1", 2, longLease)
		for _, l := range got {
			assert.False(t, seen[l.Job.ID], "%s handed out twice", l.Job.ID)
			seen[l.Job.ID] = true
		}
	}
	receiveNone(t, q)
	_, err := q.Receive(ctxFor(t, patience), "c1", 0, longLease)
	assert.Error(t, err, "max 0")
}

func testReceiveWaits(t *testing.T, newQueue NewQueue) {
	q := newQueue(t, bigCapacity)
	got := make(chan []webhooks.Lease, 1)
	go func() {
		ctx := ctxFor(t, patience)
		for ctx.Err() == nil {
			ls, _ := q.Receive(ctx, "c1", 1, longLease)
			if len(ls) > 0 {
				got <- ls
				return
			}
		}
		got <- nil
	}()
	time.Sleep(50 * time.Millisecond) // let Receive start waiting
	enqueue(t, q, job("late"))
	ls := <-got
	require.Len(t, ls, 1, "the waiting Receive gets a job enqueued after it started")
	assert.Equal(t, job("late").ID, ls[0].Job.ID)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		for {
			ls, err := q.Receive(ctx, "c2", 1, longLease)
			if len(ls) > 0 {
				done <- errors.New("a job was handed out from an empty queue")
				return
			}
			if err != nil || ctx.Err() != nil {
				done <- err
				return
			}
		}
	}()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			assert.ErrorIs(t, err, context.Canceled)
		}
	case <-time.After(patience):
		t.Fatal("Receive did not return after its context was cancelled")
	}
}

func testLeaseExpires(t *testing.T, newQueue NewQueue) {
	q := newQueue(t, bigCapacity)
	j := job("expires")
	enqueue(t, q, j)
	first := receiveOne(t, q, j.ID, shortLease)
	assert.Equal(t, 1, first.Job.Attempt)
	// The consumer "crashes": no Ack. The job comes back after the lease.
	second := receive(t, q, "c2", 1, longLease)
	require.Len(t, second, 1)
	assert.Equal(t, j.ID, second[0].Job.ID)
	assert.Equal(t, 2, second[0].Job.Attempt, "an expired lease counts as an attempt")
	assert.Equal(t, string(j.Body), string(second[0].Job.Body))
	assert.NotEqual(t, first.Receipt, second[0].Receipt)

	assert.ErrorIs(t, q.Ack(ctxFor(t, patience), first.Receipt), webhooks.ErrLeaseLost, "the crashed consumer's receipt")
	require.NoError(t, q.Ack(ctxFor(t, patience), second[0].Receipt))
	assert.Equal(t, 0, queueLen(t, q))
	receiveNone(t, q)
}

func testStaleReceipt(t *testing.T, newQueue NewQueue) {
	q := newQueue(t, bigCapacity)
	j := job("stale")
	enqueue(t, q, j)
	first := receiveOne(t, q, j.ID, shortLease)
	second := receive(t, q, "c2", 1, longLease)[0]
	ctx := ctxFor(t, patience)
	assert.ErrorIs(t, q.Retry(ctx, first.Receipt, 0, "late"), webhooks.ErrLeaseLost)
	_, err := q.DeadLetter(ctx, first.Receipt, "late")
	assert.ErrorIs(t, err, webhooks.ErrLeaseLost)
	assert.ErrorIs(t, q.Ack(ctx, "no-such-receipt"), webhooks.ErrLeaseLost)
	// The current lease is untouched.
	require.NoError(t, q.Ack(ctx, second.Receipt))
	dead, err := q.DeadLetters(ctx, "", 10)
	require.NoError(t, err)
	assert.Empty(t, dead)
}

func testRetry(t *testing.T, newQueue NewQueue) {
	q := newQueue(t, bigCapacity)
	j := job("retry")
	enqueue(t, q, j)
	l := receiveOne(t, q, j.ID, longLease)
	require.NoError(t, q.Retry(ctxFor(t, patience), l.Receipt, 50*time.Millisecond, "db down"))
	assert.Equal(t, 1, queueLen(t, q), "a job waiting for a retry is live")
	assert.ErrorIs(t, q.Ack(ctxFor(t, patience), l.Receipt), webhooks.ErrLeaseLost, "the lease ended with Retry")
	l2 := receiveOne(t, q, j.ID, longLease)
	assert.Equal(t, 2, l2.Job.Attempt)
	assert.Equal(t, "db down", l2.Job.LastError)
	assert.Equal(t, string(j.Body), string(l2.Job.Body))
	require.NoError(t, q.Retry(ctxFor(t, patience), l2.Receipt, 0, "again"))
	l3 := receiveOne(t, q, j.ID, longLease)
	assert.Equal(t, 3, l3.Job.Attempt)
	assert.Equal(t, "again", l3.Job.LastError)
	require.NoError(t, q.Ack(ctxFor(t, patience), l3.Receipt))
}

func testRetryDelayHolds(t *testing.T, newQueue NewQueue) {
	q := newQueue(t, bigCapacity)
	enqueue(t, q, job("delayed"))
	l := receive(t, q, "c1", 1, longLease)[0]
	require.NoError(t, q.Retry(ctxFor(t, patience), l.Receipt, time.Hour, "later"))
	receiveNone(t, q)
	assert.Equal(t, 1, queueLen(t, q))
}

func testDeadLetter(t *testing.T, newQueue NewQueue) {
	q := newQueue(t, bigCapacity)
	j := job("dead")
	j.OrderKey = "/conversations/D"
	enqueue(t, q, j)
	l := receiveOne(t, q, j.ID, longLease)
	require.NoError(t, q.Retry(ctxFor(t, patience), l.Receipt, 0, "first failure"))
	l = receiveOne(t, q, j.ID, longLease)
	ctx := ctxFor(t, patience)
	ref, err := q.DeadLetter(ctx, l.Receipt, "gave up: db down")
	require.NoError(t, err)
	require.NotEmpty(t, ref)
	assert.Equal(t, 0, queueLen(t, q), "dead letters are not live")
	assert.ErrorIs(t, q.Ack(ctx, l.Receipt), webhooks.ErrLeaseLost)
	receiveNone(t, q)

	dead, err := q.DeadLetters(ctx, "", 10)
	require.NoError(t, err)
	require.Len(t, dead, 1)
	d := dead[0]
	assert.Equal(t, ref, d.Ref)
	assert.Equal(t, j.ID, d.Job.ID)
	assert.Equal(t, string(j.Body), string(d.Job.Body), "the raw body is kept")
	assert.Equal(t, j.Signature, d.Job.Signature)
	assert.Equal(t, j.OrderKey, d.Job.OrderKey)
	assert.Equal(t, 2, d.Job.Attempt, "the attempts made")
	assert.Equal(t, "gave up: db down", d.Job.LastError)
	assert.False(t, d.At.IsZero())

	require.NoError(t, q.Redrive(ctx, ref))
	dead, err = q.DeadLetters(ctx, "", 10)
	require.NoError(t, err)
	assert.Empty(t, dead, "a redriven dead letter is gone")
	l = receiveOne(t, q, j.ID, longLease)
	assert.Equal(t, 1, l.Job.Attempt, "a redriven job starts its attempts again")
	assert.Equal(t, string(j.Body), string(l.Job.Body))
	assert.WithinDuration(t, j.EnqueuedAt, l.Job.EnqueuedAt, time.Millisecond)

	ref, err = q.DeadLetter(ctx, l.Receipt, "again")
	require.NoError(t, err)
	require.NoError(t, q.Discard(ctx, ref))
	dead, err = q.DeadLetters(ctx, "", 10)
	require.NoError(t, err)
	assert.Empty(t, dead)
	assert.ErrorIs(t, q.Discard(ctx, ref), webhooks.ErrDeadLetterNotFound)
	assert.ErrorIs(t, q.Redrive(ctx, ref), webhooks.ErrDeadLetterNotFound)
}

func testDeadLettersPaging(t *testing.T, newQueue NewQueue) {
	q := newQueue(t, bigCapacity)
	var want []string
	for i := 0; i < 5; i++ {
		j := job(fmt.Sprintf("page-%d", i))
		enqueue(t, q, j)
		l := receiveOne(t, q, j.ID, longLease)
		_, err := q.DeadLetter(ctxFor(t, patience), l.Receipt, "no")
		require.NoError(t, err)
		want = append(want, j.ID)
	}
	var got []string
	after := ""
	for pages := 0; pages < 10; pages++ {
		page, err := q.DeadLetters(ctxFor(t, patience), after, 2)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page), 2)
		if len(page) == 0 {
			break
		}
		for _, d := range page {
			got = append(got, d.Job.ID)
		}
		after = page[len(page)-1].Ref
	}
	assert.Equal(t, want, got, "in the order they were dead-lettered, each once")
}

func testRedriveDuplicate(t *testing.T, newQueue NewQueue) {
	q := newQueue(t, bigCapacity)
	j := job("redrive-dup")
	enqueue(t, q, j)
	l := receiveOne(t, q, j.ID, longLease)
	ctx := ctxFor(t, patience)
	ref, err := q.DeadLetter(ctx, l.Receipt, "no")
	require.NoError(t, err)
	enqueue(t, q, j) // a redelivery of the same delivery
	assert.ErrorIs(t, q.Redrive(ctx, ref), webhooks.ErrDuplicateJob)
	dead, err := q.DeadLetters(ctx, "", 10)
	require.NoError(t, err)
	require.Len(t, dead, 1, "the dead letter is kept")
}

func testOrderKey(t *testing.T, newQueue NewQueue) {
	q := newQueue(t, bigCapacity)
	a1, a2, a3 := job("a1"), job("a2"), job("a3")
	a1.OrderKey, a2.OrderKey, a3.OrderKey = "A", "A", "A"
	b1 := job("b1")
	b1.OrderKey = "B"
	free := job("free")
	enqueue(t, q, a1, a2, b1, free, a3)

	var got []webhooks.Lease
	for len(got) < 3 {
		got = append(got, receive(t, q, "c1", 10, longLease)...)
	}
	assert.ElementsMatch(t, []string{a1.ID, b1.ID, free.ID}, ids(got), "one job per key at a time")
	receiveNone(t, q)

	byID := map[string]webhooks.Lease{}
	for _, l := range got {
		byID[l.Job.ID] = l
	}
	ctx := ctxFor(t, patience)
	require.NoError(t, q.Ack(ctx, byID[a1.ID].Receipt))
	l := receiveOne(t, q, a2.ID, longLease)
	receiveNone(t, q)
	_, err := q.DeadLetter(ctx, l.Receipt, "no")
	require.NoError(t, err)
	l = receiveOne(t, q, a3.ID, longLease)
	require.NoError(t, q.Ack(ctx, l.Receipt))
	require.NoError(t, q.Ack(ctx, byID[b1.ID].Receipt))
	require.NoError(t, q.Ack(ctx, byID[free.ID].Receipt))
	assert.Equal(t, 0, queueLen(t, q))
}

func testOrderKeyRetryHoldsBack(t *testing.T, newQueue NewQueue) {
	q := newQueue(t, bigCapacity)
	first, second := job("k1"), job("k2")
	first.OrderKey, second.OrderKey = "K", "K"
	enqueue(t, q, first, second)
	l := receiveOne(t, q, first.ID, longLease)
	require.NoError(t, q.Retry(ctxFor(t, patience), l.Receipt, time.Hour, "later"))
	receiveNone(t, q) // the second waits behind the first's retry

	q2 := newQueue(t, bigCapacity)
	enqueue(t, q2, first, second)
	l = receiveOne(t, q2, first.ID, shortLease)
	// The lease expires: the first job comes back before the second.
	l = receiveOne(t, q2, first.ID, longLease)
	assert.Equal(t, 2, l.Job.Attempt)
	require.NoError(t, q2.Ack(ctxFor(t, patience), l.Receipt))
	l = receiveOne(t, q2, second.ID, longLease)
	require.NoError(t, q2.Ack(ctxFor(t, patience), l.Receipt))
}

func testConcurrentConsumers(t *testing.T, newQueue NewQueue) {
	const producers, perProducer, consumers = 4, 100, 4
	q := newQueue(t, bigCapacity)
	var wg sync.WaitGroup
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			for i := 0; i < perProducer; i++ {
				j := job(fmt.Sprintf("cc-%d-%d", p, i))
				if i%3 == 0 {
					j.OrderKey = fmt.Sprintf("key-%d", i%7)
				}
				if err := q.Enqueue(ctxFor(t, patience), j); err != nil {
					t.Errorf("enqueue: %v", err)
				}
			}
		}(p)
	}
	var mu sync.Mutex
	acked := map[string]int{}
	ctx, cancel := context.WithTimeout(context.Background(), 4*patience)
	defer cancel()
	var cwg sync.WaitGroup
	for c := 0; c < consumers; c++ {
		cwg.Add(1)
		go func(c int) {
			defer cwg.Done()
			for ctx.Err() == nil {
				ls, err := q.Receive(ctx, fmt.Sprintf("consumer-%d", c), 5, longLease)
				if err != nil && ctx.Err() == nil {
					t.Errorf("receive: %v", err)
					return
				}
				for _, l := range ls {
					if err := q.Ack(context.Background(), l.Receipt); err != nil {
						t.Errorf("ack %s: %v", l.Job.ID, err)
					}
					mu.Lock()
					acked[l.Job.ID]++
					done := len(acked) == producers*perProducer
					mu.Unlock()
					if done {
						cancel()
					}
				}
			}
		}(c)
	}
	wg.Wait()
	cwg.Wait()
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, acked, producers*perProducer, "every job handed out and acknowledged")
	var twice []string
	for id, n := range acked {
		if n != 1 {
			twice = append(twice, id)
		}
	}
	sort.Strings(twice)
	assert.Empty(t, twice, "jobs handed out more than once under a long lease")
	assert.Equal(t, 0, queueLen(t, q))
}
