package pace

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestBucketBurstThenEvenRefill(t *testing.T) {
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	l := New(10, time.Second) // one token every 100ms, burst 10
	l.SetClock(clk.now)
	for i := 0; i < 10; i++ {
		assert.Zero(t, l.Reserve(time.Minute), "burst request %d", i)
	}
	assert.Equal(t, 100*time.Millisecond, l.Reserve(time.Minute))
	assert.Equal(t, 200*time.Millisecond, l.Reserve(time.Minute), "reservations queue up")
	clk.add(time.Second) // refills the two reserved tokens and 8 more
	for i := 0; i < 8; i++ {
		assert.Zero(t, l.Reserve(time.Minute), "after refill %d", i)
	}
	assert.Equal(t, 100*time.Millisecond, l.Reserve(time.Minute))
}

func TestDisabled(t *testing.T) {
	for _, l := range []*Limiter{New(0, time.Second), New(-1, 0), New(5, 0)} {
		for i := 0; i < 1000; i++ {
			require.Zero(t, l.Reserve(time.Minute))
		}
	}
}

func TestServerBlockCappedAndLifted(t *testing.T) {
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	l := New(0, 0)
	l.SetClock(clk.now)
	l.Observe(0, clk.now().Add(40*time.Second))
	assert.Equal(t, 10*time.Second, l.Reserve(10*time.Second), "capped at the max wait")
	assert.Equal(t, 40*time.Second, l.Reserve(time.Minute))
	clk.add(15 * time.Second)
	assert.Equal(t, 25*time.Second, l.Reserve(time.Minute))
	l.Observe(999, time.Time{})
	assert.Zero(t, l.Reserve(time.Minute), "a positive remaining lifts the block")
	l.Observe(0, time.Time{})
	assert.Zero(t, l.Reserve(time.Minute), "no reset time, no block")
}

func TestWaitReturnsOnCancel(t *testing.T) {
	l := New(1, time.Hour)
	require.NoError(t, l.Wait(context.Background(), time.Minute))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Wait(ctx, time.Minute) }()
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
}
