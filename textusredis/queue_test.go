package textusredis_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
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
	"github.com/textus-go/textus/webhooks/queuetest"
)

// TestQueueConformance runs the webhooks.Queue conformance suite against
// a Queue on a single redis-server, each test on a stream of its own.
func TestQueueConformance(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	var n atomic.Int32
	queuetest.Run(t, func(_ *testing.T, capacity int) webhooks.Queue {
		return textusredis.NewQueue(rdb, fmt.Sprintf("conformance-%d", n.Add(1)), textusredis.WithCapacity(capacity))
	})
}

// TestQueueConformanceOnCluster runs the suite through a ClusterClient on
// a one-node cluster, which refuses any script whose keys span slots.
func TestQueueConformanceOnCluster(t *testing.T) {
	srv := redistest.Start(t, redistest.WithCluster())
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{srv.Addr}, IsClusterMode: true, DisableIdentity: true})
	t.Cleanup(func() { _ = rdb.Close() })
	_, isCluster := rdb.(*redis.ClusterClient)
	require.True(t, isCluster)
	var n atomic.Int32
	queuetest.Run(t, func(_ *testing.T, capacity int) webhooks.Queue {
		return textusredis.NewQueue(rdb, fmt.Sprintf("conformance-%d", n.Add(1)), textusredis.WithCapacity(capacity),
			textusredis.WithPrefix("cluster:"))
	})
}

// qjob is a job of the queue tests, with a body that verifies against
// testSecret.
func qjob(id string) webhooks.Job {
	body := messageBody(id)
	return webhooks.Job{
		ID: deliveryID(id), Action: textus.EventMessageReceived, Body: body,
		Signature: webhooks.Sign(testSecret, body), EnqueuedAt: time.Now(),
	}
}

// receiveAll receives until it has n jobs.
func receiveAll(t *testing.T, q webhooks.Queue, consumer string, n int, lease time.Duration) []webhooks.Lease {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out []webhooks.Lease
	for len(out) < n {
		ls, err := q.Receive(ctx, consumer, n-len(out), lease)
		require.NoError(t, err)
		out = append(out, ls...)
	}
	return out
}

// scanKeys returns the keys that match pattern.
func scanKeys(t *testing.T, rdb redis.UniversalClient, pattern string) []string {
	t.Helper()
	ctx := context.Background()
	var keys []string
	iter := rdb.Scan(ctx, 0, pattern, 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	require.NoError(t, iter.Err())
	sort.Strings(keys)
	return keys
}

// Every key of a queue is in one cluster slot, including the keys of jobs
// and order keys that the scripts build; once every job has ended, only
// the stream (empty), its sequence number and the dead letters are left.
func TestQueueKeysShareOneSlotAndMemoryIsBounded(t *testing.T) {
	srv := redistest.Start(t, redistest.WithCluster())
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{srv.Addr}, IsClusterMode: true, DisableIdentity: true})
	t.Cleanup(func() { _ = rdb.Close() })
	ctx := context.Background()
	q := textusredis.NewQueue(rdb, "hooks", textusredis.WithPrefix("acme:"))
	require.Equal(t, "{acme:queue:hooks}:stream", q.Key())
	require.Equal(t, "{acme:queue:hooks}:dead", q.DeadLetterKey())

	// Jobs in every state: held behind an order key, leased, delayed.
	const jobs = 30
	for i := range jobs {
		j := qjob(fmt.Sprintf("k%02d", i))
		if i%3 == 0 {
			j.OrderKey = fmt.Sprintf("/conversations/C%d", i%2)
		}
		require.NoError(t, q.Enqueue(ctx, j))
	}
	first := receiveAll(t, q, "c1", 10, time.Minute)
	require.NoError(t, q.Retry(ctx, first[0].Receipt, 300*time.Millisecond, "later"))
	keys := scanKeys(t, rdb, "*")
	require.NotEmpty(t, keys)
	slot := rdb.ClusterKeySlot(ctx, q.Key()).Val()
	for _, k := range keys {
		require.True(t, strings.HasPrefix(k, "{acme:queue:hooks}:"), k)
		require.Equal(t, slot, rdb.ClusterKeySlot(ctx, k).Val(), "key %s is in another slot", k)
	}
	for _, want := range []string{":stream", ":ids", ":seq", ":leases", ":delayed", ":job:1", ":key:/conversations/C0"} {
		require.Contains(t, keys, "{acme:queue:hooks}"+want)
	}

	// Every job ends: acknowledged, or dead-lettered for one in five.
	require.ErrorIs(t, q.Retry(ctx, first[0].Receipt, 0, "now"), webhooks.ErrLeaseLost, "a second Retry with the same receipt")
	for _, l := range first[1:] {
		require.NoError(t, q.Retry(ctx, l.Receipt, 0, "now"))
	}
	done := 0
	for done < jobs {
		for _, l := range receiveAll(t, q, "c2", 1, time.Minute) {
			if done%5 == 0 {
				_, err := q.DeadLetter(ctx, l.Receipt, "no")
				require.NoError(t, err)
			} else {
				require.NoError(t, q.Ack(ctx, l.Receipt))
			}
			done++
		}
	}
	n, err := q.Len(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
	keys = scanKeys(t, rdb, "*")
	assert.Equal(t, []string{"{acme:queue:hooks}:dead", "{acme:queue:hooks}:seq", "{acme:queue:hooks}:stream"}, keys)
	assert.Zero(t, rdb.XLen(ctx, q.Key()).Val(), "every entry of the stream was deleted")
	pending, err := rdb.XPending(ctx, q.Key(), "textus-workers").Result()
	require.NoError(t, err)
	assert.Zero(t, pending.Count)
	assert.EqualValues(t, jobs/5, rdb.XLen(ctx, q.DeadLetterKey()).Val())
}

// A Redis failure is an error naming the queue and the operation, never
// a panic or a silent pass; the handler answers 503 when Enqueue fails,
// and accepts the delivery once Redis is back.
func TestQueueRedisDownIsAnErrorAnd503(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	q := textusredis.NewQueue(rdb, "hooks")
	h, err := webhooks.NewHandler(testSecret, webhooks.WithQueue(q),
		webhooks.WithDeduplicator(textusredis.NewDeduplicator(rdb)))
	require.NoError(t, err)
	h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error { return nil })
	require.Equal(t, http.StatusOK, serve(h, messageBody("1")))

	ctx := context.Background()
	ls := receiveAll(t, q, "c1", 1, time.Minute)
	srv.Stop()

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, webhooks.NewSignedRequest("/hooks/textus", testSecret, messageBody("2")))
	require.Equal(t, http.StatusServiceUnavailable, rec.Code, "the handler answers 503 when Enqueue fails")
	require.NotEmpty(t, rec.Header().Get("Retry-After"))

	const prefix = "textusredis: queue {textus:queue:hooks}: "
	err = q.Enqueue(ctx, qjob("3"))
	require.ErrorContains(t, err, prefix+"enqueue /integrations/h13Jc5/deliveries/3: ")
	require.False(t, errors.Is(err, webhooks.ErrQueueFull) || errors.Is(err, webhooks.ErrDuplicateJob))
	_, err = q.Receive(ctx, "c1", 1, time.Minute)
	require.ErrorContains(t, err, prefix+"receive: ")
	err = q.Ack(ctx, ls[0].Receipt)
	require.ErrorContains(t, err, prefix+"ack "+ls[0].Receipt+": ")
	require.False(t, errors.Is(err, webhooks.ErrLeaseLost), "an unreachable Redis is not a lost lease")
	require.ErrorContains(t, q.Retry(ctx, ls[0].Receipt, time.Second, "x"), prefix+"retry ")
	_, err = q.DeadLetter(ctx, ls[0].Receipt, "x")
	require.ErrorContains(t, err, prefix+"dead-letter ")
	_, err = q.DeadLetters(ctx, "", 10)
	require.ErrorContains(t, err, prefix+"list dead letters: ")
	require.ErrorContains(t, q.Redrive(ctx, "1-0"), prefix+"redrive 1-0: ")
	require.ErrorContains(t, q.Discard(ctx, "1-0"), prefix+"discard 1-0: ")
	_, err = q.Len(ctx)
	require.ErrorContains(t, err, prefix+"len: ")

	srv.Start()
	require.Eventually(t, func() bool { return serve(h, messageBody("2")) == http.StatusOK }, 10*time.Second, 20*time.Millisecond,
		"deliveries are accepted again once Redis is back")
	// This server keeps nothing across a restart (no persistence): the
	// lease is gone with the job, and the new delivery is there.
	require.ErrorIs(t, q.Ack(ctx, ls[0].Receipt), webhooks.ErrLeaseLost)
	ls = receiveAll(t, q, "c1", 1, time.Minute)
	require.Equal(t, deliveryID("2"), ls[0].Job.ID)
	require.NoError(t, q.Ack(ctx, ls[0].Receipt))
}

func TestQueueRefusesBadConfigurationAndInput(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	ctx := context.Background()
	for name, q := range map[string]*textusredis.Queue{
		"no Redis client":    textusredis.NewQueue(nil, "hooks"),
		"empty stream name":  textusredis.NewQueue(rdb, ""),
		"without a hash tag": textusredis.NewQueue(rdb, "hooks", textusredis.WithPrefix("}x")),
	} {
		require.ErrorContains(t, q.Enqueue(ctx, qjob("1")), name)
		_, err := q.Receive(ctx, "c", 1, time.Second)
		require.ErrorContains(t, err, name)
		require.ErrorContains(t, q.Ack(ctx, "1:1"), name)
		_, err = q.DeadLetters(ctx, "", 1)
		require.ErrorContains(t, err, name)
		_, err = q.Len(ctx)
		require.ErrorContains(t, err, name)
	}

	q := textusredis.NewQueue(rdb, "hooks")
	j := qjob("1")
	j.ID = ""
	require.ErrorContains(t, q.Enqueue(ctx, j), "the job has no ID")
	for _, bad := range []struct {
		consumer string
		max      int
		lease    time.Duration
	}{{"c", 0, time.Second}, {"c", 1, 0}, {"", 1, time.Second}} {
		_, err := q.Receive(ctx, bad.consumer, bad.max, bad.lease)
		require.Error(t, err, "%+v", bad)
	}
	for _, r := range []string{"", "x", "1", "1:", ":1", "1:x", "-1:1"} {
		require.ErrorIs(t, q.Ack(ctx, r), webhooks.ErrLeaseLost, "receipt %q", r)
	}
	for _, ref := range []string{"", "x", "1", "1-x"} {
		require.ErrorIs(t, q.Redrive(ctx, ref), webhooks.ErrDeadLetterNotFound, "ref %q", ref)
		require.ErrorIs(t, q.Discard(ctx, ref), webhooks.ErrDeadLetterNotFound, "ref %q", ref)
	}
	_, err := q.DeadLetters(ctx, "x", 1)
	require.ErrorContains(t, err, "malformed ref")

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	require.ErrorIs(t, q.Enqueue(cancelled, qjob("1")), context.Canceled)
	_, err = q.Receive(cancelled, "c", 1, time.Second)
	require.ErrorIs(t, err, context.Canceled)
}

// Dead letters are never dropped: when there are WithDeadLetterMaxLen of
// them, Enqueue refuses new jobs until some are redriven or discarded.
func TestQueueDeadLetterMaxLen(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	q := textusredis.NewQueue(srv.Client(), "hooks", textusredis.WithDeadLetterMaxLen(1))
	require.NoError(t, q.Enqueue(ctx, qjob("1")))
	l := receiveAll(t, q, "c1", 1, time.Minute)[0]
	ref, err := q.DeadLetter(ctx, l.Receipt, "no")
	require.NoError(t, err)
	err = q.Enqueue(ctx, qjob("2"))
	require.ErrorIs(t, err, webhooks.ErrQueueFull)
	require.ErrorContains(t, err, "1 dead letters: redrive or discard them")
	require.NoError(t, q.Discard(ctx, ref))
	require.NoError(t, q.Enqueue(ctx, qjob("2")))
}

// The consumers of Run calls that are gone are deleted from the group
// once they hold nothing; one that holds a job is kept.
func TestQueuePrunesIdleConsumers(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	ctx := context.Background()
	q := textusredis.NewQueue(rdb, "hooks")
	require.NoError(t, q.Enqueue(ctx, qjob("1")))
	require.NoError(t, q.Enqueue(ctx, qjob("2")))
	l := receiveAll(t, q, "gone", 1, time.Minute)[0]
	require.NoError(t, q.Ack(ctx, l.Receipt))
	receiveAll(t, q, "holding", 1, time.Minute)

	textusredis.SetPruneIdle(q, time.Millisecond)
	time.Sleep(5 * time.Millisecond)
	require.NoError(t, q.Enqueue(ctx, qjob("3")))
	receiveAll(t, q, "new", 1, time.Minute)
	var names []string
	for _, c := range rdb.XInfoConsumers(ctx, q.Key(), "textus-workers").Val() {
		names = append(names, c.Name)
	}
	assert.ElementsMatch(t, []string{"holding", "new"}, names)
}

// An entry that no Queue wrote (added by hand, say) is not handed out, and
// is deleted so that it does not come back.
func TestQueueDropsForeignEntries(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	ctx := context.Background()
	q := textusredis.NewQueue(rdb, "hooks")
	require.NoError(t, rdb.XAdd(ctx, &redis.XAddArgs{Stream: q.Key(), Values: []string{"job", "999"}}).Err())
	require.NoError(t, rdb.XAdd(ctx, &redis.XAddArgs{Stream: q.Key(), Values: []string{"other", "x"}}).Err())
	require.NoError(t, q.Enqueue(ctx, qjob("1")))
	ls := receiveAll(t, q, "c1", 1, time.Minute)
	require.Len(t, ls, 1)
	require.Equal(t, deliveryID("1"), ls[0].Job.ID)
	require.NoError(t, q.Ack(ctx, ls[0].Receipt))
	require.Zero(t, rdb.XLen(ctx, q.Key()).Val())
}

// A job whose stream was deleted by hand while it was leased is not lost:
// once its lease has expired it goes back into a new stream and is handed
// out again.
func TestQueueLeasedJobSurvivesADeletedStream(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	ctx := context.Background()
	q := textusredis.NewQueue(rdb, "hooks")
	require.NoError(t, q.Enqueue(ctx, qjob("1")))
	first := receiveAll(t, q, "c1", 1, 100*time.Millisecond)[0]
	require.NoError(t, rdb.Del(ctx, q.Key()).Err())
	again := receiveAll(t, q, "c2", 1, time.Minute)[0]
	require.Equal(t, deliveryID("1"), again.Job.ID)
	require.Equal(t, 2, again.Job.Attempt)
	require.ErrorIs(t, q.Ack(ctx, first.Receipt), webhooks.ErrLeaseLost)
	require.NoError(t, q.Ack(ctx, again.Receipt))
}
