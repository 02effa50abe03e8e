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

// simulatePacer sends count requests, each as soon as the pacer allows,
// without sleeping, and returns their times.
func simulatePacer(p *localPacer, t0 time.Time, count int) []time.Time {
	p.lim.SetLimitAt(t0, p.lim.Limit()) // start the bucket's clock at t0
	times := make([]time.Time, 0, count)
	t := t0
	for i := 0; i < count; i++ {
		t = t.Add(p.lim.ReserveN(t, 1).DelayFrom(t))
		times = append(times, t)
	}
	return times
}

// The default pacer never lets more than n requests into any stretch of
// one period, however the server's windows fall, and still uses at least
// 95% of the budget.
func TestLocalPacerKeepsToTheBudgetInAnyWindow(t *testing.T) {
	for _, tc := range []struct {
		n   int
		per time.Duration
	}{{1, 2 * time.Second}, {2, time.Second}, {5, time.Second}, {50, time.Second}, {1000, 5 * time.Minute}} {
		t.Run(fmt.Sprintf("%d per %s", tc.n, tc.per), func(t *testing.T) {
			p := newLocalPacer(tc.n, tc.per, true).(*localPacer)
			t0 := time.Unix(1_700_000_000, 0)
			times := simulatePacer(p, t0, 20*tc.n+5)
			// Any half-open window [start, start+per) that begins at a send
			// holds the most sends a window of that length can.
			for i, start := range times {
				in := 0
				for _, at := range times[i:] {
					if at.Sub(start) >= tc.per {
						break
					}
					in++
				}
				require.LessOrEqual(t, in, tc.n, "window starting at send %d (%s)", i, start.Sub(t0))
			}
			// Over many periods the pacer uses the budget.
			periods := 20
			end := t0.Add(time.Duration(periods) * tc.per)
			sent := 0
			for _, at := range times {
				if at.Before(end) {
					sent++
				}
			}
			ratio := float64(sent) / float64(periods*tc.n)
			if tc.n >= 50 {
				assert.GreaterOrEqual(t, ratio, 0.95, "sent %d in %d periods", sent, periods)
			}
			assert.LessOrEqual(t, ratio, 1.0)
		})
	}
}

// The server's figures reshape the bucket: what remains is spread over the
// time left to the reset, so the whole window is used evenly; a budget given
// to WithRateLimit stays a cap.
func TestLocalPacerSpreadsWhatRemains(t *testing.T) {
	p := newLocalPacer(DefaultRateLimit, DefaultRatePeriod, false).(*localPacer)
	p.Observe(Rate{Limit: 100_000, Remaining: 6000, Reset: time.Now().Add(time.Minute)})
	assert.Equal(t, 120, p.lim.Burst())
	assert.InDelta(t, float64(6000-120+1)/60*(1-pacerMargin), float64(p.lim.Limit()), 1, "about 96 a second")

	p.Observe(Rate{Limit: 1000, Remaining: 10, Reset: time.Now().Add(100 * time.Second)})
	assert.Equal(t, 1, p.lim.Burst())
	assert.InDelta(t, 10.0/100*(1-pacerMargin), float64(p.lim.Limit()), 0.01, "another client spent the budget: slow down")

	before := p.lim.Limit()
	p.Observe(Rate{Limit: 1000, Remaining: 0, Reset: time.Now().Add(time.Minute)})
	p.Observe(Rate{Limit: 1000, Remaining: 50, Reset: time.Now().Add(-time.Second)})
	p.Observe(Rate{})
	assert.Equal(t, before, p.lim.Limit(), "nothing left, a past reset or no figures: unchanged")

	capped := newLocalPacer(50, time.Second, true).(*localPacer)
	capped.Observe(Rate{Limit: 100_000, Remaining: 99_000, Reset: time.Now().Add(time.Minute)})
	assert.InDelta(t, 50*(1-pacerMargin), float64(capped.lim.Limit()), 0.01, "WithRateLimit is a cap")
	assert.Equal(t, 1, capped.lim.Burst())
	capped.Observe(Rate{Limit: 100, Remaining: 5, Reset: time.Now().Add(time.Second)})
	assert.Less(t, float64(capped.lim.Limit()), 5.0, "but the server can slow it down")
}

func TestLocalPacerDisabled(t *testing.T) {
	assert.Nil(t, newLocalPacer(0, time.Second, true))
	assert.Nil(t, newLocalPacer(-1, 0, false))
	c, err := NewClient("tok", WithRateLimit(0, time.Minute))
	require.NoError(t, err)
	assert.Nil(t, c.core.pacer, "requests <= 0 disables pacing whatever per is")
	c, err = NewClient("tok")
	require.NoError(t, err)
	assert.NotNil(t, c.core.pacer, "paced by default")
}

func TestLocalPacerWaitGivesBackOnCancel(t *testing.T) {
	p := newLocalPacer(1, time.Hour, true).(*localPacer)
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
	// Neither refused wait kept its slot: the next one is one interval
	// away, not two or three.
	interval := time.Duration(float64(time.Second) / float64(p.lim.Limit()))
	assert.InDelta(t, interval.Seconds(), p.lim.Reserve().Delay().Seconds(), 5)
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
