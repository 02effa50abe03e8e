package textusredis_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textusredis"
	"github.com/textus-go/textus/textusredis/internal/redistest"
	"github.com/textus-go/textus/textustest"
)

// TestPacerSharesOneBudget runs four API clients, as four worker processes
// would (each its own textus.Client, Pacer and Redis client), on one token
// against a fake server with a quota of 100 requests per 2 seconds. They
// share a Pacer key with a budget of 97 per 2 seconds and send as fast as
// it lets them for five windows. The server must answer no 429, no message
// may be sent twice, and the throughput it saw must be at least 95% of the
// quota.
func TestPacerSharesOneBudget(t *testing.T) {
	const (
		quota   = 100
		window  = 2 * time.Second
		budget  = 97
		run     = 5 * window
		clients = 4
		perProc = 4 // goroutines sending in each process
	)
	srv := textustest.NewServer(textustest.WithRateLimit(quota, window))
	defer srv.Close()
	rs := redistest.Start(t)

	ctx, stop := context.WithTimeout(context.Background(), run)
	defer stop()
	var mu sync.Mutex
	var sendErrs []error
	sent := 0
	var wg sync.WaitGroup
	for p := range clients {
		pacer := textusredis.NewPacer(rs.Client(), "acme-token-1", budget, window)
		c := srv.Client(textus.WithPacer(pacer))
		for g := range perProc {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 0; ; n++ {
					_, err := c.Messages.Send(ctx, &textus.SendMessageParams{
						To: "+13035551234", Body: fmt.Sprintf("p%d-g%d-%d", p, g, n)})
					if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
						// The run is over (a slot past its end is
						// refused at once, not sent).
						return
					}
					mu.Lock()
					if err != nil {
						sendErrs = append(sendErrs, err)
					} else {
						sent++
					}
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	for _, err := range sendErrs {
		t.Error(err)
	}

	var times []time.Time
	statuses := map[int]int{}
	for _, r := range srv.Requests() {
		if r.Method != http.MethodPost {
			continue
		}
		statuses[r.Status]++
		if r.Status/100 == 2 {
			times = append(times, r.Time)
		}
	}
	require.Zero(t, statuses[http.StatusTooManyRequests], "requests answered 429: %v", statuses)
	require.Len(t, statuses, 1, "every request was accepted: %v", statuses)

	msgs := srv.SentMessages()
	bodies := make(map[string]bool, len(msgs))
	for _, m := range msgs {
		require.False(t, bodies[m.Body], "message %q sent twice", m.Body)
		bodies[m.Body] = true
	}
	require.GreaterOrEqual(t, len(msgs), sent)
	require.Len(t, times, len(msgs), "one request per message")

	span := times[len(times)-1].Sub(times[0])
	require.GreaterOrEqual(t, span, 4*window, "measured over at least four windows")
	rate := float64(len(times)-1) / span.Seconds()
	ratio := rate / (float64(quota) / window.Seconds())
	t.Logf("%d clients: %d requests in %v: %.2f/s, %.1f%% of the quota of %d per %v; statuses %v",
		clients, len(times), span.Round(time.Millisecond), rate, 100*ratio, quota, window, statuses)
	require.GreaterOrEqual(t, ratio, 0.95, "throughput")
}

// TestPacerSharesTheServerBlock: when one process sees X-RateLimit-Remaining:
// 0, another process that has seen no response yet does not send into the
// closed window.
func TestPacerSharesTheServerBlock(t *testing.T) {
	const window = 2 * time.Second
	srv := textustest.NewServer(textustest.WithRateLimit(3, window))
	defer srv.Close()
	rs := redistest.Start(t)
	ctx := context.Background()
	send := func(c *textus.Client, body string) error {
		_, err := c.Messages.Send(ctx, &textus.SendMessageParams{To: "+13035551234", Body: body})
		return err
	}

	// No budget of their own (requests 0): only the server's block is
	// shared. The fake's windows are aligned to the Unix epoch: start just
	// after one begins, so that A's three sends fall in it and the block B
	// sees lasts most of a window, whatever the machine's load.
	time.Sleep(time.Until(time.Now().Truncate(window).Add(window + 50*time.Millisecond)))
	a := srv.Client(textus.WithPacer(textusredis.NewPacer(rs.Client(), "tok", 0, 0)))
	for i := range 3 {
		require.NoError(t, send(a, fmt.Sprint("a", i)))
	}
	require.Zero(t, a.Rate().Remaining, "the window is exhausted")

	// B has its own client and pacer; it refuses rather than wait longer
	// than 100ms...
	b := srv.Client(textus.WithPacer(textusredis.NewPacer(rs.Client(), "tok", 0, 0,
		textusredis.WithMaxWait(100*time.Millisecond))))
	err := send(b, "b0")
	require.ErrorIs(t, err, textus.ErrRateLimited)
	require.ErrorContains(t, err, "textusredis: pacer {textus:pacer:tok}")

	// ...while C waits for the reset and then sends.
	c := srv.Client(textus.WithPacer(textusredis.NewPacer(rs.Client(), "tok", 0, 0,
		textusredis.WithMaxWait(2*window))))
	require.NoError(t, send(c, "c0"))

	// A pacer on another key (another token) is not blocked.
	p := textusredis.NewPacer(rs.Client(), "other-token", 0, 0, textusredis.WithMaxWait(time.Millisecond))
	require.NoError(t, p.Wait(ctx))

	var statuses []int
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPost {
			statuses = append(statuses, r.Status)
		}
	}
	require.Equal(t, []int{201, 201, 201, 201}, statuses, "no request was sent into the closed window")
}

func TestPacerBudgetIsSharedAndBounded(t *testing.T) {
	rs := redistest.Start(t)
	ctx := context.Background()
	// Five requests an hour, all at once: a sixth must wait 12 minutes.
	opts := []textusredis.Option{textusredis.WithBurst(5), textusredis.WithMaxWait(time.Minute)}
	a := textusredis.NewPacer(rs.Client(), "k", 5, time.Hour, opts...)
	b := textusredis.NewPacer(rs.Client(), "k", 5, time.Hour, opts...)
	for _, p := range []*textusredis.Pacer{a, b, a, b, a} {
		require.NoError(t, p.Wait(ctx))
	}
	rdb := rs.Client()
	tat := rdb.Get(ctx, "{textus:pacer:k}:tat").Val()
	require.NotEmpty(t, tat)

	err := b.Wait(ctx)
	require.ErrorIs(t, err, textus.ErrRateLimited, "the budget is shared")
	require.ErrorContains(t, err, "beyond the max wait of 1m0s")
	require.Equal(t, tat, rdb.Get(ctx, "{textus:pacer:k}:tat").Val(), "a refused wait takes no slot")

	// A deadline shorter than the wait fails at once too, as a deadline.
	dctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	err = textusredis.NewPacer(rdb, "k", 5, time.Hour, textusredis.WithBurst(5)).Wait(dctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.False(t, errors.Is(err, textus.ErrRateLimited))
	require.Equal(t, tat, rdb.Get(ctx, "{textus:pacer:k}:tat").Val())

	// A canceled context ends the wait.
	cctx, cancel2 := context.WithCancel(ctx)
	cancel2()
	require.ErrorIs(t, a.Wait(cctx), context.Canceled)

	// Another prefix is another budget; every key expires.
	require.NoError(t, textusredis.NewPacer(rdb, "k", 5, time.Hour, textusredis.WithPrefix("app2:")).Wait(ctx))
	assert.Equal(t, 1, keysWithTTL(t, rdb, "{textus:pacer:k}"))
	assert.Equal(t, 1, keysWithTTL(t, rdb, "{app2:pacer:k}"))
	ttl := rdb.PTTL(ctx, "{textus:pacer:k}:tat").Val()
	assert.True(t, ttl > 0 && ttl <= time.Hour, "the next slot is kept only until it comes: %v", ttl)
}

func TestPacerObserve(t *testing.T) {
	rs := redistest.Start(t)
	rdb := rs.Client()
	ctx := context.Background()
	p := textusredis.NewPacer(rdb, "k", 0, 0, textusredis.WithMaxWait(time.Millisecond))
	const block = "{textus:pacer:k}:block"

	p.Observe(textus.Rate{Limit: 10, Remaining: 3, Reset: time.Now().Add(time.Minute)})
	p.Observe(textus.Rate{Limit: 10, Remaining: 0, Reset: time.Now().Add(-time.Second)})
	p.Observe(textus.Rate{Limit: 10, Remaining: 0})
	require.Zero(t, rdb.Exists(ctx, block).Val(), "only Remaining: 0 with a reset to come blocks")
	require.NoError(t, p.Wait(ctx))

	p.Observe(textus.Rate{Limit: 10, Remaining: 0, Reset: time.Now().Add(time.Minute)})
	ttl := rdb.PTTL(ctx, block).Val()
	require.True(t, ttl > 50*time.Second && ttl <= time.Minute, "the block lasts until the reset: %v", ttl)
	require.ErrorIs(t, p.Wait(ctx), textus.ErrRateLimited)

	// A late response from an earlier window does not shorten the block.
	p.Observe(textus.Rate{Limit: 10, Remaining: 0, Reset: time.Now().Add(time.Second)})
	require.Greater(t, rdb.PTTL(ctx, block).Val(), 50*time.Second)
}

func TestPacerRedisDown(t *testing.T) {
	srv := textustest.NewServer()
	defer srv.Close()
	rs := redistest.Start(t)
	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &logMu}, nil))
	p := textusredis.NewPacer(rs.Client(), "k", 10, time.Second, textusredis.WithLogger(logger))
	c := srv.Client(textus.WithPacer(p))
	ctx := context.Background()
	_, err := c.Messages.Send(ctx, &textus.SendMessageParams{To: "+13035551234", Body: "one"})
	require.NoError(t, err)

	rs.Stop()
	err = p.Wait(ctx)
	require.Error(t, err)
	require.True(t, strings.HasPrefix(err.Error(), "textusredis: pacer {textus:pacer:k}: "), err.Error())
	_, err = c.Messages.Send(ctx, &textus.SendMessageParams{To: "+13035551234", Body: "two"})
	require.ErrorContains(t, err, "textusredis: pacer {textus:pacer:k}", "the call fails unsent")
	require.False(t, errors.Is(err, textus.ErrOutcomeUnknown))
	require.Len(t, srv.SentMessages(), 1)
	require.Len(t, srv.Requests(), 1, "nothing was sent")

	p.Observe(textus.Rate{Limit: 10, Remaining: 0, Reset: time.Now().Add(time.Minute)})
	logMu.Lock()
	require.Contains(t, logs.String(), "textusredis: sharing the server's rate-limit block failed")
	logMu.Unlock()

	rs.Start()
	require.Eventually(t, func() bool { return p.Wait(ctx) == nil }, 10*time.Second, 20*time.Millisecond)
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestPacerNilClientOrEmptyKey(t *testing.T) {
	ctx := context.Background()
	require.ErrorContains(t, textusredis.NewPacer(nil, "k", 1, time.Second).Wait(ctx), "no Redis client")
	textusredis.NewPacer(nil, "k", 1, time.Second).Observe(textus.Rate{Reset: time.Now().Add(time.Second)})
	rs := redistest.Start(t)
	require.ErrorContains(t, textusredis.NewPacer(rs.Client(), "", 1, time.Second).Wait(ctx), "empty key")
}

// A one-node cluster refuses scripts over keys of several slots: the two
// pacer keys share a hash tag.
func TestPacerOnCluster(t *testing.T) {
	rs := redistest.Start(t, redistest.WithCluster())
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{rs.Addr}, IsClusterMode: true, DisableIdentity: true})
	t.Cleanup(func() { _ = rdb.Close() })
	ctx := context.Background()
	for _, prefix := range []string{"textus:", "{app}:", "a{b:", "x}y:"} {
		p := textusredis.NewPacer(rdb, "k}{", 2, time.Hour, textusredis.WithPrefix(prefix), textusredis.WithMaxWait(time.Millisecond))
		require.NoError(t, p.Wait(ctx), prefix)
		p.Observe(textus.Rate{Limit: 2, Remaining: 0, Reset: time.Now().Add(time.Minute)})
		require.ErrorIs(t, p.Wait(ctx), textus.ErrRateLimited, prefix)
	}
}
