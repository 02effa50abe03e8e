package textus

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLocalPacerBurstThenEvenRefill(t *testing.T) {
	p := newLocalPacer(10, time.Second).(*localPacer) // one slot every 100ms, burst 10
	t0 := time.Unix(1_700_000_000, 0)
	p.lim.SetLimitAt(t0, p.lim.Limit()) // start the bucket's clock at t0
	for i := 0; i < 10; i++ {
		assert.Zero(t, p.lim.ReserveN(t0, 1).DelayFrom(t0), "burst request %d", i)
	}
	assert.Equal(t, 100*time.Millisecond, p.lim.ReserveN(t0, 1).DelayFrom(t0))
	assert.Equal(t, 200*time.Millisecond, p.lim.ReserveN(t0, 1).DelayFrom(t0), "reservations queue up")
	t1 := t0.Add(time.Second) // refills the two reserved slots and 8 more
	for i := 0; i < 8; i++ {
		assert.Zero(t, p.lim.ReserveN(t1, 1).DelayFrom(t1), "after refill %d", i)
	}
	assert.Equal(t, 100*time.Millisecond, p.lim.ReserveN(t1, 1).DelayFrom(t1))
}

func TestLocalPacerDisabled(t *testing.T) {
	assert.Nil(t, newLocalPacer(0, time.Second))
	assert.Nil(t, newLocalPacer(-1, 0))
	c, err := NewClient("tok", WithRateLimit(0, time.Minute))
	require.NoError(t, err)
	assert.Nil(t, c.core.pacer, "requests <= 0 disables pacing whatever per is")
	c, err = NewClient("tok")
	require.NoError(t, err)
	assert.NotNil(t, c.core.pacer, "paced by default")
}

func TestLocalPacerWaitGivesBackOnCancel(t *testing.T) {
	p := newLocalPacer(1, time.Hour).(*localPacer)
	require.NoError(t, p.Wait(context.Background()))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Wait(ctx) }()
	time.Sleep(10 * time.Millisecond)
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)

	ctx, cancel = context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := p.Wait(ctx) // an hour's wait does not fit in a minute: fail at once
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "deadline")
	// Neither refused wait kept its slot: the next one is an hour away, not two or three.
	assert.InDelta(t, time.Hour.Seconds(), p.lim.Reserve().Delay().Seconds(), 5)
}

func TestServerBlock(t *testing.T) {
	var b serverBlock
	now := time.Unix(1_700_000_000, 0)
	b.observe(Rate{Limit: 10, Remaining: 0, Reset: now.Add(40 * time.Second)})
	assert.Equal(t, 40*time.Second, b.remaining(now))
	assert.Equal(t, 25*time.Second, b.remaining(now.Add(15*time.Second)))
	b.observe(Rate{Limit: 10, Remaining: 3, Reset: now.Add(10 * time.Second)})
	assert.Equal(t, 40*time.Second, b.remaining(now), "a late answer from an earlier window does not lift the block")
	b.observe(Rate{Limit: 10, Remaining: 0})
	assert.Equal(t, 40*time.Second, b.remaining(now), "no reset time says nothing")
	b.observe(Rate{Limit: 10, Remaining: 9, Reset: now.Add(40 * time.Second)})
	assert.Zero(t, b.remaining(now), "the next window lifts the block")
	assert.Zero(t, b.remaining(now.Add(time.Hour)))
}

// recordingPacer counts its calls and can refuse.
type recordingPacer struct {
	mu       sync.Mutex
	waits    int
	observed []Rate
	err      error
}

func (p *recordingPacer) Wait(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.waits++
	return p.err
}

func (p *recordingPacer) Observe(r Rate) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.observed = append(p.observed, r)
}

func TestWithPacerPacesEveryAttempt(t *testing.T) {
	p := &recordingPacer{}
	c, mt := newMockClient(t, WithPacer(p))
	reset := time.Now().Add(time.Minute).Unix()
	withRate := func(code, remaining int) httpmock.Responder {
		return func(*http.Request) (*http.Response, error) {
			r := httpmock.NewStringResponse(code, contactJSON)
			r.Header.Set("X-RateLimit-Limit", "100")
			r.Header.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
			r.Header.Set("X-RateLimit-Reset", strconv.FormatInt(reset, 10))
			return r, nil
		}
	}
	mt.RegisterResponder("GET", mockBase+"/contacts/x", sequence(withRate(503, 9), withRate(503, 8), withRate(200, 7)))
	_, err := c.Contacts.Get(context.Background(), "x")
	require.NoError(t, err)
	assert.Equal(t, 3, p.waits, "the pacer is asked before every attempt, retries included")
	require.Len(t, p.observed, 3, "every response's rate state reaches the pacer")
	assert.Equal(t, []int{9, 8, 7}, []int{p.observed[0].Remaining, p.observed[1].Remaining, p.observed[2].Remaining})
	assert.Equal(t, 7, c.Rate().Remaining)
}

func TestWithPacerErrorEndsTheCallUnsent(t *testing.T) {
	refusal := fmt.Errorf("shared budget exhausted: %w", ErrRateLimited)
	p := &recordingPacer{err: refusal}
	c, mt := newMockClient(t, WithPacer(p))
	mt.RegisterResponder("POST", mockBase+"/my_account/messages", status(201, messageJSON))
	_, err := c.Messages.Send(context.Background(), sendParams())
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrRateLimited, "the pacer's error keeps its meaning")
	assert.False(t, errors.Is(err, ErrOutcomeUnknown), "nothing was sent")
	assert.Contains(t, err.Error(), "not sent: shared budget exhausted")
	assert.True(t, strings.HasPrefix(err.Error(), "textus: POST "+mockBase+"/my_account/messages: not sent"), "%v", err)
	assert.Zero(t, mt.GetTotalCallCount())
}

func TestWithPacerNil(t *testing.T) {
	_, err := NewClient("tok", WithPacer(nil))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "WithRateLimit(0, 0)", "the error says how to turn pacing off")
}

// A pacer given with WithPacer replaces WithRateLimit's, in any order.
func TestWithPacerReplacesLocalPacer(t *testing.T) {
	p := &recordingPacer{}
	for _, opts := range [][]Option{{WithPacer(p), WithRateLimit(5, time.Second)}, {WithRateLimit(5, time.Second), WithPacer(p)}} {
		c, err := NewClient("tok", opts...)
		require.NoError(t, err)
		assert.Same(t, p, c.core.pacer)
	}
}
