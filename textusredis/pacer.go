package textusredis

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/textus-go/textus"
)

// waitScript reserves the next slot of a shared budget (GCRA), in one
// round trip. Times are microseconds of the Redis server's clock, so every
// process reads the same clock.
//
// KEYS[1] the theoretical arrival time of the next request (TAT), KEYS[2]
// the end of the server's block. ARGV[1] the emission interval (0: no
// budget, only the block applies), ARGV[2] the burst tolerance, ARGV[3] the
// longest acceptable wait. It returns {1, wait} after reserving a slot
// wait microseconds from now, or {0, wait} without reserving anything when
// wait is longer than acceptable.
var waitScript = redis.NewScript(`
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local at = now
local block = tonumber(redis.call('GET', KEYS[2]))
if block and block > at then
	at = block
end
local tat = nil
if interval > 0 then
	tat = tonumber(redis.call('GET', KEYS[1]))
	if tat and tat - tolerance > at then
		at = tat - tolerance
	end
end
local wait = at - now
if wait > limit then
	return {0, wait}
end
if interval > 0 then
	local base = at
	if tat and tat > base then
		base = tat
	end
	local nexttat = base + interval
	redis.call('SET', KEYS[1], string.format('%.0f', nexttat), 'PX', string.format('%.0f', math.ceil((nexttat - now) / 1000)))
end
return {1, wait}
`)

// blockScript extends the server's block to at least ARGV[1] microseconds
// from now (Redis's clock). KEYS[1] the end of the block.
var blockScript = redis.NewScript(`
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local d = tonumber(ARGV[1])
local untilv = now + d
local cur = tonumber(redis.call('GET', KEYS[1]))
if cur and cur >= untilv then
	return 0
end
redis.call('SET', KEYS[1], string.format('%.0f', untilv), 'PX', string.format('%.0f', math.ceil(d / 1000)))
return 1
`)

// observeTimeout bounds the Redis call of Observe, which runs on the
// client's response path.
const observeTimeout = 2 * time.Second

// Pacer is a textus.Pacer whose budget is kept in Redis, so that every
// process using the same Redis, prefix and key keeps to one budget
// together. Create it with NewPacer and pass it to textus.WithPacer.
//
// The budget is a GCRA (generic cell rate algorithm): requests are spread
// evenly, one every per/requests, with a burst of WithBurst. Each Wait is
// one Lua script, one round trip, that reserves the next free slot on the
// Redis server's clock and returns how long to sleep until it. The Pacer
// also shares the server's own rule: when Observe sees a response with
// X-RateLimit-Remaining: 0, it records the block until X-RateLimit-Reset
// in Redis, and no process's Wait lets a request go before it ends.
//
// It uses two keys, in one cluster hash slot thanks to their hash tag:
// {<prefix>pacer:<key>}:tat (the next free slot) and
// {<prefix>pacer:<key>}:block (the end of the server's block), each
// expiring as soon as it no longer matters.
//
// It is safe for concurrent use.
type Pacer struct {
	rdb       redis.UniversalClient
	name      string // the key's common part, for errors
	keys      []string
	interval  time.Duration
	tolerance time.Duration
	maxWait   time.Duration
	logger    *slog.Logger
	err       error
}

var _ textus.Pacer = (*Pacer)(nil)

// NewPacer returns a Pacer that lets requests go at most requests per per,
// spread evenly, shared by every Pacer on the same Redis with the same
// prefix and key. Use one key per API token, since the server's budget is
// per token, but not the token itself: the key appears in Redis key names
// and in error messages. Choose requests a little under the server's quota
// (for TextUs, 1000 per 5 minutes) to leave room for the jitter of the
// network.
//
// requests <= 0 (or per <= 0) turns the budget off; the Pacer then only
// shares the server's Remaining: 0 block. Options: WithPrefix, WithMaxWait,
// WithBurst, WithLogger. A nil rdb or an empty key makes every Wait fail
// with an error.
func NewPacer(rdb redis.UniversalClient, key string, requests int, per time.Duration, opts ...Option) *Pacer {
	c := newConfig(opts)
	name := "{" + c.prefix + "pacer:" + key + "}"
	p := &Pacer{
		rdb:     rdb,
		name:    name,
		keys:    []string{name + ":tat", name + ":block"},
		maxWait: c.maxWait,
		logger:  c.logger,
	}
	if requests > 0 && per > 0 {
		// Rounded up to the microsecond, so that the budget is never
		// exceeded by rounding.
		p.interval = (per/time.Duration(requests) + time.Microsecond - 1).Truncate(time.Microsecond)
		p.tolerance = time.Duration(c.burst-1) * p.interval
		if p.maxWait == 0 {
			p.maxWait = per
		}
	}
	if p.maxWait == 0 {
		p.maxWait = textus.DefaultRetryWaitMax
	}
	switch {
	case rdb == nil:
		p.err = fmt.Errorf("textusredis: pacer %s: %w", name, errNilClient)
	case key == "":
		p.err = fmt.Errorf("textusredis: pacer %s: empty key", name)
	}
	return p
}

// Wait implements textus.Pacer: it reserves the next slot of the shared
// budget (after the end of any server block) and sleeps until it. When the
// slot is further away than the max wait (WithMaxWait) it fails at once
// with an error wrapping textus.ErrRateLimited; when it is past ctx's
// deadline, with an error wrapping context.DeadlineExceeded. Either way no
// slot is taken. A Redis failure is returned as an error. A wait cut short
// by ctx returns ctx's error; its slot stays taken, as does the slot of a
// script that the Redis client sent again after losing its reply: both err
// on the side of sending less.
func (p *Pacer) Wait(ctx context.Context) error {
	if p.err != nil {
		return p.err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	limit := p.maxWait
	if dl, ok := ctx.Deadline(); ok {
		limit = min(limit, time.Until(dl))
	}
	res, err := waitScript.Run(ctx, p.rdb, p.keys,
		p.interval.Microseconds(), p.tolerance.Microseconds(), max(limit.Microseconds(), 0)).Int64Slice()
	if err != nil {
		return fmt.Errorf("textusredis: pacer %s: %w", p.name, err)
	}
	if len(res) != 2 {
		return fmt.Errorf("textusredis: pacer %s: unexpected script result %v", p.name, res)
	}
	wait := time.Duration(res[1]) * time.Microsecond
	if res[0] == 0 {
		if wait > p.maxWait {
			return fmt.Errorf("textusredis: pacer %s: the next free slot is %s away, beyond the max wait of %s: %w",
				p.name, wait.Round(time.Millisecond), p.maxWait, textus.ErrRateLimited)
		}
		return fmt.Errorf("textusredis: pacer %s: the wait of %s would outlast the context's deadline: %w",
			p.name, wait.Round(time.Millisecond), context.DeadlineExceeded)
	}
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Observe implements textus.Pacer: a response with X-RateLimit-Remaining: 0
// and a reset still to come blocks every process sharing the key until the
// reset. Other responses change nothing. Observe cannot return an error: a
// Redis failure is logged (WithLogger), and the client that saw the
// response still keeps the block for itself.
func (p *Pacer) Observe(r textus.Rate) {
	if p.err != nil || r.Remaining > 0 || r.Reset.IsZero() {
		return
	}
	d := time.Until(r.Reset)
	if d <= 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), observeTimeout)
	defer cancel()
	if err := blockScript.Run(ctx, p.rdb, p.keys[1:], d.Microseconds()).Err(); err != nil {
		p.logger.LogAttrs(ctx, slog.LevelWarn, "textusredis: sharing the server's rate-limit block failed",
			slog.String("key", p.keys[1]), slog.Duration("block", d), slog.String("error", err.Error()))
	}
}
