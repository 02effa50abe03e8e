package textusredis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/webhooks"
)

// queueGroup is the consumer group of every Queue's stream. It is not an
// option: a Queue's state is one per stream, so a second group on the same
// stream would hand every job out twice.
const queueGroup = "textus-workers"

// The indexes of a Queue's keys, in the order the scripts take them.
const (
	keyStream = iota
	keyIDs
	keySeq
	keyLeases
	keyDelayed
	keyDead
)

// queueKeyNames are the suffixes of a Queue's keys after its base.
var queueKeyNames = [...]string{":stream", ":ids", ":seq", ":leases", ":delayed", ":dead"}

// How often a Queue deletes the consumers of processes that are gone, and
// how long a consumer must have been idle, with nothing pending, to go.
const (
	pruneEvery       = time.Minute
	pruneIdleDefault = time.Hour
)

// Queue is a webhooks.Queue kept in Redis, on a stream with a consumer
// group, so that the webhook replicas that accept deliveries and the
// workers that run their callbacks (webhooks.Handler.Run, in the same
// processes or others) share one durable queue. Create it with NewQueue
// and pass it to webhooks.WithQueue.
//
// Its keys share the hash tag {<prefix>queue:<stream>} (the base), so that
// on a Cluster they are in one slot and each operation is one Lua script,
// atomic, in one round trip:
//
//	<base>:stream     the jobs ready to be handed out or handed out
//	                  (stream entries {job: n}; consumer group "textus-workers")
//	<base>:job:<n>    job n: a hash of its fields, raw body included, its
//	                  attempts, last error and state
//	<base>:ids        delivery id -> job number, for the live jobs
//	<base>:seq        the last job number
//	<base>:leases     job number -> lease deadline (ms, Redis clock)
//	<base>:delayed    job number -> when its retry is due (ms, Redis clock)
//	<base>:key:<key>  the job numbers of an order key, oldest first
//	<base>:dead       the dead letters (a stream: raw body, attempts, error)
//
// Enqueue stores the job's hash, records its id in ids (an existing id is
// webhooks.ErrDuplicateJob; a full queue, webhooks.ErrQueueFull) and adds
// an entry to the stream (XADD), unless the job has an order key whose
// list holds an earlier job: it then waits in the list. Receive moves the
// retries that are due back into the stream, claims the entries whose
// lease expired (XCLAIM: the jobs of a consumer that crashed or hung),
// reads new entries (XREADGROUP) and leases what it hands out; with
// nothing to hand out, it waits with XREAD BLOCK for a new entry or the
// next deadline. Ack acknowledges and deletes the entry (XACK, XDEL) and
// the job, and lets the next job of its order key into the stream. Retry
// does the same with the entry, keeps the job and schedules it in
// delayed. DeadLetter moves the job to the dead-letter stream (XADD),
// which DeadLetters reads (XRANGE); Redrive moves one back as a new job,
// Discard deletes it (XDEL).
//
// A receipt names the job and its attempt ("<n>:<attempt>"). Each hand-out
// increments the job's attempts, so a receipt of an earlier hand-out of
// the job no longer matches: Ack, Retry and DeadLetter then change nothing
// and return an error wrapping webhooks.ErrLeaseLost. Leases are measured
// on the Redis server's clock and each is recorded with its own deadline,
// since every Receive may ask for its own lease; the job is claimed again
// (XCLAIM) once that deadline passes.
//
// Memory stays bounded: a job's stream entry is deleted when its hand-out
// ends, a job's keys when it is acknowledged or dead-lettered, so the keys
// hold the live jobs (at most WithCapacity) and the dead letters (at most
// WithDeadLetterMaxLen, plus those dead-lettered while Enqueue refuses
// jobs). The consumers of processes that are gone are deleted from the
// group once they hold nothing and have been idle for an hour. The keys
// have no TTL: they are the queue.
//
// A Redis failure is returned as an error naming the queue and the
// operation; the webhook handler answers 503 when Enqueue fails, and
// Handler.Run logs a failed Receive and tries again. It is safe for
// concurrent use.
type Queue struct {
	rdb       redis.UniversalClient
	base      string
	keys      []string
	capacity  int
	deadMax   int
	block     time.Duration
	pruneIdle time.Duration
	lastPrune atomic.Int64 // unix nanoseconds
	err       error
}

var _ webhooks.Queue = (*Queue)(nil)

// NewQueue returns a Queue on the stream named stream, sharing its jobs
// with every Queue on the same Redis with the same prefix and stream.
// Options: WithPrefix, WithCapacity, WithDeadLetterMaxLen, WithBlock.
//
// A nil rdb or an empty stream makes every call fail with an error, as
// does a prefix starting with "}" (the keys would have no hash tag).
func NewQueue(rdb redis.UniversalClient, stream string, opts ...Option) *Queue {
	c := newConfig(opts)
	base := "{" + c.prefix + "queue:" + stream + "}"
	q := &Queue{
		rdb:       rdb,
		base:      base,
		capacity:  c.capacity,
		deadMax:   c.deadMax,
		block:     c.block,
		pruneIdle: pruneIdleDefault,
	}
	for _, s := range queueKeyNames {
		q.keys = append(q.keys, base+s)
	}
	switch {
	case rdb == nil:
		q.err = errNilClient
	case stream == "":
		q.err = errors.New("empty stream name")
	case strings.HasPrefix(c.prefix, "}"):
		q.err = errors.New(`a prefix that starts with "}" leaves the keys without a hash tag`)
	}
	return q
}

// Key returns the Redis key of the stream, the base of the queue's other
// keys followed by ":stream". XINFO GROUPS and XPENDING on it show the
// consumers and the jobs they hold.
func (q *Queue) Key() string { return q.keys[keyStream] }

// DeadLetterKey returns the Redis key of the dead-letter stream.
func (q *Queue) DeadLetterKey() string { return q.keys[keyDead] }

// fail wraps an error of operation op.
func (q *Queue) fail(op string, err error) error {
	return fmt.Errorf("textusredis: queue %s: %s: %w", q.base, op, err)
}

// run runs a script with the queue's keys, base and group, then args.
func (q *Queue) run(ctx context.Context, s *redis.Script, args ...any) *redis.Cmd {
	return s.Run(ctx, q.rdb, q.keys, append([]any{q.base, queueGroup}, args...)...)
}

// Enqueue implements webhooks.Queue. It fails with an error wrapping
// webhooks.ErrDuplicateJob when a live job has the job's ID, and
// webhooks.ErrQueueFull when the queue holds WithCapacity live jobs or
// WithDeadLetterMaxLen dead letters; then nothing was stored.
func (q *Queue) Enqueue(ctx context.Context, job webhooks.Job) error {
	op := "enqueue " + job.ID
	if q.err != nil {
		return q.fail(op, q.err)
	}
	if job.ID == "" {
		return q.fail(op, errors.New("the job has no ID"))
	}
	if err := ctx.Err(); err != nil {
		return q.fail(op, err)
	}
	trace, err := encodeTrace(job.Trace)
	if err != nil {
		return q.fail(op, err)
	}
	n, err := q.run(ctx, enqueueScript, job.ID, string(job.Action), job.Body, job.Signature, job.OrderKey,
		encodeTime(job.EnqueuedAt), trace, q.capacity, q.deadMax).Int64()
	if err != nil {
		return q.fail(op, err)
	}
	switch n {
	case resultDuplicate:
		return q.fail(op, webhooks.ErrDuplicateJob)
	case resultFull:
		return q.fail(op, fmt.Errorf("%w (%d live jobs)", webhooks.ErrQueueFull, q.capacity))
	case resultDeadFull:
		return q.fail(op, fmt.Errorf("%w (%d dead letters: redrive or discard them)", webhooks.ErrQueueFull, q.deadMax))
	}
	if n <= 0 {
		return q.fail(op, fmt.Errorf("unexpected script result %d", n))
	}
	return nil
}

// Receive implements webhooks.Queue: it hands out up to max jobs to
// consumer, the jobs whose lease expired first, then new ones, oldest
// first. With none to hand out, it waits for a new job, a retry that
// falls due or a lease that expires, up to WithBlock (or ctx's deadline,
// if sooner), and then returns no jobs and a nil error.
func (q *Queue) Receive(ctx context.Context, consumer string, maxJobs int, lease time.Duration) ([]webhooks.Lease, error) {
	const op = "receive"
	switch {
	case q.err != nil:
		return nil, q.fail(op, q.err)
	case maxJobs <= 0:
		return nil, q.fail(op, errors.New("max must be positive"))
	case lease < time.Millisecond:
		return nil, q.fail(op, errors.New("the lease must be at least a millisecond"))
	case consumer == "":
		return nil, q.fail(op, errors.New("empty consumer name"))
	}
	if err := q.prune(ctx); err != nil {
		return nil, q.fail("prune consumers", err)
	}
	deadline := time.Now().Add(q.block)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		start := time.Now()
		res, err := q.run(ctx, receiveScript, consumer, maxJobs, lease.Milliseconds()).Slice()
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, q.fail(op, err)
		}
		leases, wake, last, err := parseReceive(res, start.Add(lease))
		if err != nil {
			return nil, q.fail(op, err)
		}
		if len(leases) > 0 {
			return leases, nil
		}
		wait := time.Until(deadline)
		if wait <= 0 {
			return nil, nil
		}
		if wake >= 0 {
			wait = min(wait, wake)
		}
		if dl, ok := ctx.Deadline(); ok {
			wait = min(wait, time.Until(dl))
		}
		// XREAD BLOCK 0 would wait for ever: at least a millisecond.
		wait = max(wait, time.Millisecond)
		err = q.rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{q.keys[keyStream], last}, Count: 1, Block: wait}).Err()
		if err != nil && !errors.Is(err, redis.Nil) {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, q.fail("wait for jobs", err)
		}
	}
}

// prune deletes the group's idle consumers with nothing pending, at most
// once every pruneEvery per Queue. After a failure, the next Receive
// tries again.
func (q *Queue) prune(ctx context.Context) error {
	now := time.Now().UnixNano()
	last := q.lastPrune.Load()
	if now-last < int64(pruneEvery) || !q.lastPrune.CompareAndSwap(last, now) {
		return nil
	}
	if err := q.run(ctx, pruneScript, q.pruneIdle.Milliseconds()).Err(); err != nil {
		q.lastPrune.Store(last)
		return err
	}
	return nil
}

// parseReceive decodes receiveScript's result.
func parseReceive(res []any, expires time.Time) (leases []webhooks.Lease, wake time.Duration, last string, err error) {
	if len(res) != 3 {
		return nil, 0, "", fmt.Errorf("unexpected script result %v", res)
	}
	jobs, ok1 := res[0].([]any)
	w, ok2 := res[1].(int64)
	last, ok3 := res[2].(string)
	if !ok1 || !ok2 || !ok3 {
		return nil, 0, "", fmt.Errorf("unexpected script result %v", res)
	}
	for _, j := range jobs {
		f, ok := j.([]any)
		if !ok || len(f) != 10 {
			return nil, 0, "", fmt.Errorf("unexpected job in the script result: %v", j)
		}
		n, attempts := str(f[0]), str(f[1])
		a, err := strconv.Atoi(attempts)
		if err != nil {
			return nil, 0, "", fmt.Errorf("job %s: malformed attempts %q", n, attempts)
		}
		leases = append(leases, webhooks.Lease{
			Job: webhooks.Job{
				ID:         str(f[2]),
				Action:     textus.EventType(str(f[3])),
				Body:       []byte(str(f[4])),
				Signature:  str(f[5]),
				OrderKey:   str(f[6]),
				EnqueuedAt: decodeTime(str(f[7])),
				Trace:      decodeTrace(str(f[8])),
				Attempt:    a,
				LastError:  str(f[9]),
			},
			Receipt: n + ":" + attempts,
			Expires: expires,
		})
	}
	return leases, time.Duration(w) * time.Millisecond, last, nil
}

// str returns a script result's string or integer as a string, and "" for
// nil (a missing hash field).
func str(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return ""
}

// parseReceipt splits a receipt into the job's number and the attempt.
func parseReceipt(r string) (n, attempt string, ok bool) {
	n, attempt, ok = strings.Cut(r, ":")
	return n, attempt, ok && isUint(n) && isUint(attempt)
}

func isUint(s string) bool {
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}

// leaseOp runs a script that ends the lease a receipt names, with args
// after the job's number and attempt.
func (q *Queue) leaseOp(ctx context.Context, op string, s *redis.Script, receipt string, args ...any) (*redis.Cmd, error) {
	op += " " + receipt
	if q.err != nil {
		return nil, q.fail(op, q.err)
	}
	n, attempt, ok := parseReceipt(receipt)
	if !ok {
		return nil, q.fail(op, fmt.Errorf("%w: malformed receipt", webhooks.ErrLeaseLost))
	}
	if err := ctx.Err(); err != nil {
		return nil, q.fail(op, err)
	}
	cmd := q.run(ctx, s, append([]any{n, attempt}, args...)...)
	if err := cmd.Err(); err != nil {
		return nil, q.fail(op, err)
	}
	if v, isInt := cmd.Val().(int64); isInt && v == 0 {
		return nil, q.fail(op, webhooks.ErrLeaseLost)
	}
	return cmd, nil
}

// Ack implements webhooks.Queue: the job is deleted, and the next job of
// its order key, if any, is handed out.
func (q *Queue) Ack(ctx context.Context, receipt string) error {
	_, err := q.leaseOp(ctx, "ack", ackScript, receipt)
	return err
}

// Retry implements webhooks.Queue. A delay under a millisecond puts the
// job back at the end of the stream at once.
func (q *Queue) Retry(ctx context.Context, receipt string, delay time.Duration, cause string) error {
	_, err := q.leaseOp(ctx, "retry", retryScript, receipt, delay.Milliseconds(), cause)
	return err
}

// DeadLetter implements webhooks.Queue: the job moves to the dead-letter
// stream, and the next job of its order key, if any, is handed out. The
// ref is the dead letter's entry id in that stream.
func (q *Queue) DeadLetter(ctx context.Context, receipt string, cause string) (string, error) {
	cmd, err := q.leaseOp(ctx, "dead-letter", deadLetterScript, receipt, cause)
	if err != nil {
		return "", err
	}
	ref, ok := cmd.Val().(string)
	if !ok {
		return "", q.fail("dead-letter "+receipt, fmt.Errorf("unexpected script result %v", cmd.Val()))
	}
	return ref, nil
}

// DeadLetters implements webhooks.Queue, reading the dead-letter stream
// with XRANGE. An after that names no dead letter any more still works as
// a cursor.
func (q *Queue) DeadLetters(ctx context.Context, after string, max int) ([]webhooks.DeadLetter, error) {
	const op = "list dead letters"
	if q.err != nil {
		return nil, q.fail(op, q.err)
	}
	start := "-"
	if after != "" {
		if !isStreamID(after) {
			return nil, q.fail(op, fmt.Errorf("malformed ref %q", after))
		}
		start = "(" + after
	}
	if max <= 0 {
		return nil, nil
	}
	msgs, err := q.rdb.XRangeN(ctx, q.keys[keyDead], start, "+", int64(max)).Result()
	if err != nil {
		return nil, q.fail(op, err)
	}
	out := make([]webhooks.DeadLetter, 0, len(msgs))
	for _, m := range msgs {
		d, err := decodeDeadLetter(m)
		if err != nil {
			return nil, q.fail(op, err)
		}
		out = append(out, d)
	}
	return out, nil
}

func decodeDeadLetter(m redis.XMessage) (webhooks.DeadLetter, error) {
	f := func(k string) string { return str(m.Values[k]) }
	attempts, err := strconv.Atoi(f("attempts"))
	if err != nil {
		return webhooks.DeadLetter{}, fmt.Errorf("dead letter %s: malformed attempts %q", m.ID, f("attempts"))
	}
	ms, _, _ := strings.Cut(m.ID, "-")
	at, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return webhooks.DeadLetter{}, fmt.Errorf("dead letter %s: malformed id", m.ID)
	}
	return webhooks.DeadLetter{
		Ref: m.ID,
		Job: webhooks.Job{
			ID:         f("id"),
			Action:     textus.EventType(f("action")),
			Body:       []byte(f("body")),
			Signature:  f("sig"),
			OrderKey:   f("okey"),
			EnqueuedAt: decodeTime(f("enq")),
			Trace:      decodeTrace(f("trace")),
			Attempt:    attempts,
			LastError:  f("error"),
		},
		At: time.UnixMilli(at),
	}, nil
}

// isStreamID reports whether s is a stream entry id, <ms>-<seq>.
func isStreamID(s string) bool {
	ms, seq, ok := strings.Cut(s, "-")
	return ok && isUint(ms) && isUint(seq)
}

// Redrive implements webhooks.Queue: the dead letter becomes a new job,
// behind the live jobs of its order key, and is deleted. It is stored even
// when the queue holds WithCapacity live jobs: the dead letter counted
// against WithDeadLetterMaxLen until then.
func (q *Queue) Redrive(ctx context.Context, ref string) error {
	op := "redrive " + ref
	if q.err != nil {
		return q.fail(op, q.err)
	}
	if !isStreamID(ref) {
		return q.fail(op, webhooks.ErrDeadLetterNotFound)
	}
	n, err := q.run(ctx, redriveScript, ref).Int64()
	if err != nil {
		return q.fail(op, err)
	}
	switch {
	case n == resultNotFound:
		return q.fail(op, webhooks.ErrDeadLetterNotFound)
	case n == resultDuplicate:
		return q.fail(op, webhooks.ErrDuplicateJob)
	case n <= 0:
		return q.fail(op, fmt.Errorf("unexpected script result %d", n))
	}
	return nil
}

// Discard implements webhooks.Queue: XDEL on the dead-letter stream.
func (q *Queue) Discard(ctx context.Context, ref string) error {
	op := "discard " + ref
	if q.err != nil {
		return q.fail(op, q.err)
	}
	if !isStreamID(ref) {
		return q.fail(op, webhooks.ErrDeadLetterNotFound)
	}
	n, err := q.rdb.XDel(ctx, q.keys[keyDead], ref).Result()
	if err != nil {
		return q.fail(op, err)
	}
	if n == 0 {
		return q.fail(op, webhooks.ErrDeadLetterNotFound)
	}
	return nil
}

// Len implements webhooks.Queue: the live jobs (waiting, leased, waiting
// for a retry or held behind their order key), exactly.
func (q *Queue) Len(ctx context.Context) (int, error) {
	const op = "len"
	if q.err != nil {
		return 0, q.fail(op, q.err)
	}
	n, err := q.rdb.HLen(ctx, q.keys[keyIDs]).Result()
	if err != nil {
		return 0, q.fail(op, err)
	}
	return int(n), nil
}

// encodeTime stores a time as Unix nanoseconds, "" for the zero time.
func encodeTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixNano(), 10)
}

func decodeTime(s string) time.Time {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// encodeTrace stores a trace carrier as a JSON object, "" for none.
func encodeTrace(m map[string]string) (string, error) {
	if len(m) == 0 {
		return "", nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("encoding the trace: %w", err)
	}
	return string(b), nil
}

// decodeTrace reads what encodeTrace wrote; a trace that does not decode
// is dropped rather than failing the job: it is only for linking spans.
func decodeTrace(s string) map[string]string {
	if s == "" {
		return nil
	}
	var m map[string]string
	if json.Unmarshal([]byte(s), &m) != nil {
		return nil
	}
	return m
}
