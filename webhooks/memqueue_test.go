package webhooks_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/textus-go/textus/webhooks"
	"github.com/textus-go/textus/webhooks/queuetest"
)

func TestMemoryQueueConformance(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	queuetest.Run(t, func(t *testing.T, capacity int) webhooks.Queue {
		return webhooks.NewMemoryQueue(capacity)
	})
}

func memJob(id string) webhooks.Job {
	return webhooks.Job{ID: id, Action: "message.received", Body: []byte(`{"id":"` + id + `"}`), Signature: "s"}
}

// Dead letters count against the capacity until redriven or discarded.
func TestMemoryQueueDeadLettersCountAgainstCapacity(t *testing.T) {
	ctx := context.Background()
	q := webhooks.NewMemoryQueue(1)
	require.NoError(t, q.Enqueue(ctx, memJob("a")))
	ls, err := q.Receive(ctx, "c", 1, time.Minute)
	require.NoError(t, err)
	ref, err := q.DeadLetter(ctx, ls[0].Receipt, "no")
	require.NoError(t, err)
	assert.ErrorIs(t, q.Enqueue(ctx, memJob("b")), webhooks.ErrQueueFull)
	require.NoError(t, q.Discard(ctx, ref))
	assert.NoError(t, q.Enqueue(ctx, memJob("b")))
}

func TestMemoryQueueRefusesBadInput(t *testing.T) {
	ctx := context.Background()
	q := webhooks.NewMemoryQueue(0)
	assert.Error(t, q.Enqueue(ctx, webhooks.Job{Body: []byte("{}")}), "a job without an ID")
	_, err := q.Receive(ctx, "c", 1, 0)
	assert.Error(t, err, "no lease")
	_, err = q.Receive(ctx, "c", -1, time.Second)
	assert.Error(t, err, "negative max")
	_, err = q.DeadLetters(ctx, "not-a-ref", 10)
	assert.Error(t, err)
	assert.ErrorIs(t, q.Redrive(ctx, "x"), webhooks.ErrDeadLetterNotFound)
	assert.ErrorIs(t, q.Discard(ctx, "42"), webhooks.ErrDeadLetterNotFound)
	assert.ErrorIs(t, q.Ack(ctx, "1.x"), webhooks.ErrLeaseLost)
	assert.ErrorIs(t, q.Retry(ctx, "", 0, ""), webhooks.ErrLeaseLost)

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	assert.ErrorIs(t, q.Enqueue(cancelled, memJob("c")), context.Canceled, "nothing stored for a cancelled request")
	n, err := q.Len(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)

	// The default capacity.
	for i := 0; i < webhooks.DefaultQueueCapacity; i++ {
		require.NoError(t, q.Enqueue(ctx, memJob(string(rune('a'+i%26))+time.Duration(i).String())))
	}
	assert.ErrorIs(t, q.Enqueue(ctx, memJob("one too many")), webhooks.ErrQueueFull)
}
