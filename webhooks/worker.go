package webhooks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/textus-go/textus"
)

// queueMode is the configuration of a Handler built WithQueue.
type queueMode struct {
	q           Queue
	workers     int
	lease       time.Duration
	maxAttempts int
	minBackoff  time.Duration
	maxBackoff  time.Duration
	orderKey    func(event any) string
	onDead      func(context.Context, DeadLetter)
	consumer    string
}

func newQueueMode(s *settings) *queueMode {
	if s.queue == nil {
		return nil
	}
	m := &queueMode{
		q:           s.queue,
		workers:     DefaultWorkers,
		lease:       DefaultLease,
		maxAttempts: DefaultMaxAttempts,
		minBackoff:  DefaultMinBackoff,
		maxBackoff:  DefaultMaxBackoff,
		orderKey:    s.orderKey,
		onDead:      s.onDead,
		consumer:    s.consumer,
	}
	if s.workers > 0 {
		m.workers = s.workers
	}
	if s.lease > 0 {
		m.lease = s.lease
	}
	if s.maxAttempts > 0 {
		m.maxAttempts = s.maxAttempts
	}
	if s.minBackoff > 0 {
		m.minBackoff, m.maxBackoff = s.minBackoff, s.maxBackoff
	}
	return m
}

// backoff is the wait before the attempt after attempt n (n >= 1):
// minBackoff doubled n-1 times, capped at maxBackoff, then drawn at
// random in its upper half.
func (m *queueMode) backoff(n int) time.Duration {
	d := m.maxBackoff
	if n-1 < 62 {
		if b := m.minBackoff << (n - 1); b > 0 && b < d {
			d = b
		}
	}
	half := d / 2
	return half + time.Duration(mrand.Int64N(int64(d-half)+1))
}

// opTimeout bounds the queue and Deduplicator calls a worker makes after
// a callback, which must not depend on the Run context (it may have ended)
// nor on the job's (its lease may have).
const opTimeout = 30 * time.Second

// Run receives jobs from the queue (WithQueue) and runs their callbacks,
// up to WithWorkers at a time, until ctx ends; see WithQueue for what a
// worker does with each job. Run may be called several times, in one or in
// several processes sharing the queue; each call is a consumer of its own.
//
// When ctx ends, Run stops receiving jobs and returns once the callbacks
// in progress have returned or their leases have expired (the callbacks'
// context ends with the lease, not with ctx). A job whose callback has
// not finished stays in the queue and is handed out again after its
// lease, so nothing is lost when Run stops, provided the queue is durable
// (MemoryQueue lives only as long as the process). Callbacks must return
// when their context ends, or their goroutines outlive Run.
//
// Run returns nil when ctx ends, and an error at once when the Handler
// has no queue. Errors from the queue (it is unreachable, say) are logged
// and retried with a backoff; they do not stop Run.
func (h *Handler) Run(ctx context.Context) error {
	m := h.queue
	if m == nil {
		return errors.New("webhooks: Run needs a queue (WithQueue)")
	}
	consumer := m.consumer
	if consumer == "" {
		consumer = defaultConsumerName()
	}
	slots := make(chan struct{}, m.workers)
	var running sync.WaitGroup
	defer running.Wait()
	failures := 0
	for {
		leases, held, err := h.receive(ctx, consumer, slots)
		if len(leases) == 0 {
			if ctx.Err() != nil {
				return nil
			}
			if err == nil {
				continue
			}
			failures++
			wait := min(100*time.Millisecond<<min(failures-1, 6), 5*time.Second)
			h.logJob(ctx, slog.LevelError, "textus webhook: receiving jobs failed", nil, slog.String("error", err.Error()), slog.Duration("retry_in", wait))
			if !sleep(ctx, wait) {
				return nil
			}
			continue
		}
		if err != nil {
			h.logJob(ctx, slog.LevelWarn, "textus webhook: receiving jobs returned an error with the jobs", nil, slog.String("error", err.Error()))
		}
		failures = 0
		for i, l := range leases {
			// A queue that handed out more jobs than asked: the others
			// wait for workers to free up.
			if i >= held && !acquire(ctx, slots) {
				h.logJob(ctx, slog.LevelWarn, "textus webhook: stopping with received jobs not started; the queue hands them out again", nil,
					slog.Int("jobs", len(leases)-i))
				break
			}
			running.Add(1)
			go func(l Lease) {
				defer running.Done()
				defer func() { <-slots }()
				h.runJob(ctx, l)
			}(l)
		}
	}
}

// receive waits for a free worker, then receives up to as many jobs as
// there are free workers. It holds a worker slot for each of the first
// held jobs returned.
func (h *Handler) receive(ctx context.Context, consumer string, slots chan struct{}) (leases []Lease, held int, err error) {
	m := h.queue
	if !acquire(ctx, slots) {
		return nil, 0, ctx.Err()
	}
	free := 1
	for free < m.workers && tryAcquire(slots) {
		free++
	}
	leases, err = m.q.Receive(ctx, consumer, free, m.lease)
	held = min(len(leases), free)
	for i := held; i < free; i++ {
		<-slots
	}
	return leases, held, err
}

func tryAcquire(slots chan struct{}) bool {
	select {
	case slots <- struct{}{}:
		return true
	default:
		return false
	}
}

// acquire takes a worker slot, unless ctx ends first.
func acquire(ctx context.Context, slots chan struct{}) bool {
	select {
	case slots <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// sleep waits for d or until ctx ends, and reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// defaultConsumerName names a Run call: host, process and a random part.
func defaultConsumerName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "host"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// attempt is one run of a job by a worker.
type attempt struct {
	h     *Handler
	m     *queueMode
	lease Lease
	ctx   context.Context // the job's: it ends with the lease
	ops   context.Context // for the queue and Deduplicator calls after the callback
}

// runJob runs one leased job and ends its lease.
func (h *Handler) runJob(runCtx context.Context, l Lease) {
	expires := l.Expires
	if expires.IsZero() {
		expires = time.Now().Add(h.queue.lease)
	}
	jobCtx, cancel := context.WithDeadline(context.WithoutCancel(runCtx), expires)
	defer cancel()
	var end func(JobEnd)
	if h.observer != nil {
		var octx context.Context
		octx, end = h.observer.StartJob(jobCtx, JobStart{
			ID: l.Job.ID, Action: l.Job.Action, Attempt: l.Job.Attempt, EnqueuedAt: l.Job.EnqueuedAt, Trace: l.Job.Trace,
		})
		if octx != nil {
			jobCtx = octx
		}
	}
	ops, cancelOps := context.WithTimeout(context.WithoutCancel(runCtx), opTimeout)
	defer cancelOps()
	a := &attempt{h: h, m: h.queue, lease: l, ctx: jobCtx, ops: ops}
	result := a.run()
	if end != nil {
		end(result)
	}
}

// run decides what to do with the job, runs its callback if it should,
// and ends the lease accordingly.
func (a *attempt) run() JobEnd {
	job := &a.lease.Job
	if job.Attempt > a.m.maxAttempts {
		cause := fmt.Sprintf("gave up after %d attempts, the last of which did not finish within its lease", job.Attempt-1)
		if job.LastError != "" {
			cause += "; the last error: " + job.LastError
		}
		return a.deadLetter("attempts exhausted", cause)
	}
	if err := a.h.verify(job.Body, job.Signature); err != nil {
		return a.deadLetter("signature does not verify", "the stored body does not verify against its signature with the handler's secrets: "+err.Error())
	}
	parsed, err := textus.ParseEvent(job.Body)
	if err != nil {
		return a.deadLetter("body is not a JSON object", "the stored body is not a JSON object")
	}
	cb := a.h.cbs.Load().lookup(envelope(parsed).Action)
	if cb == nil {
		return a.ack(JobSkipped, "no callback")
	}
	status, token, err := a.h.dedup.Claim(a.ctx, job.ID)
	switch {
	case err != nil:
		return a.retry("de-duplication unavailable", "de-duplication unavailable: "+err.Error())
	case status == ClaimDone:
		return a.ack(JobDuplicate, "already handled")
	case status == ClaimInProgress:
		return a.retry("delivery in progress elsewhere", "the delivery is being handled by another worker or request")
	case status != ClaimAcquired:
		return a.retry("de-duplication unavailable", fmt.Sprintf("Deduplicator.Claim returned %v", status))
	}

	_, cbErr := call(a.ctx, cb, parsed)
	if cbErr == nil {
		if err := a.h.dedup.Complete(a.ops, job.ID, token); err != nil {
			a.log(slog.LevelWarn, "textus webhook: recording the delivery as done failed", slog.String("error", err.Error()))
		}
		return a.ack(JobDone, "")
	}
	if err := a.h.dedup.Release(a.ops, job.ID, token); err != nil {
		a.log(slog.LevelError, "textus webhook: releasing the delivery failed", slog.String("error", err.Error()))
	}
	reason := "callback failed"
	var pe *panicError
	if errors.As(cbErr, &pe) {
		reason = "callback panicked"
	}
	if a.leaseExpired() {
		a.log(slog.LevelWarn, "textus webhook: job lease expired; the queue hands it out again", slog.String("error", cbErr.Error()))
		return JobEnd{Outcome: JobAbandoned, Reason: "lease expired"}
	}
	return a.retry(reason, cbErr.Error())
}

// leaseExpired reports whether the job's lease has ended.
func (a *attempt) leaseExpired() bool {
	return !a.lease.Expires.IsZero() && !time.Now().Before(a.lease.Expires)
}

func (a *attempt) ack(outcome JobOutcome, reason string) JobEnd {
	if err := a.m.q.Ack(a.ops, a.lease.Receipt); err != nil {
		return a.queueFailed("acknowledging the job failed", err, outcome == JobDone)
	}
	a.log(slog.LevelDebug, "textus webhook: job "+string(outcome))
	return JobEnd{Outcome: outcome, Reason: reason}
}

func (a *attempt) retry(reason, cause string) JobEnd {
	if a.lease.Job.Attempt >= a.m.maxAttempts {
		return a.deadLetter(reason, cause)
	}
	delay := a.m.backoff(a.lease.Job.Attempt)
	if err := a.m.q.Retry(a.ops, a.lease.Receipt, delay, limitCause(cause)); err != nil {
		return a.queueFailed("scheduling the job's retry failed", err, false)
	}
	a.log(slog.LevelWarn, "textus webhook: job will be retried", slog.String("reason", reason),
		slog.String("error", cause), slog.Duration("retry_in", delay))
	return JobEnd{Outcome: JobRetry, Reason: reason}
}

func (a *attempt) deadLetter(reason, cause string) JobEnd {
	cause = limitCause(cause)
	ref, err := a.m.q.DeadLetter(a.ops, a.lease.Receipt, cause)
	if err != nil {
		return a.queueFailed("dead-lettering the job failed", err, false)
	}
	a.log(slog.LevelError, "textus webhook: job dead-lettered", slog.String("reason", reason), slog.String("error", cause),
		slog.Int("attempts", a.lease.Job.Attempt), slog.String("dead_letter", ref))
	if a.m.onDead != nil {
		job := a.lease.Job
		job.LastError = cause
		a.m.onDead(a.ops, DeadLetter{Ref: ref, Job: job, At: time.Now()})
	}
	return JobEnd{Outcome: JobDeadLettered, Reason: reason}
}

// queueFailed reports a lease the worker could not end: the queue hands
// the job out again after the lease. handled says whether the callback
// succeeded, in which case the de-duplication record stops it from
// running again.
func (a *attempt) queueFailed(msg string, err error, handled bool) JobEnd {
	level := slog.LevelError
	if errors.Is(err, ErrLeaseLost) {
		level = slog.LevelWarn
	}
	a.log(level, "textus webhook: "+msg, slog.String("error", err.Error()), slog.Bool("callback_succeeded", handled))
	if handled {
		return JobEnd{Outcome: JobDone}
	}
	return JobEnd{Outcome: JobAbandoned, Reason: "queue refused the outcome"}
}

// maxCause bounds the error text stored with a job.
const maxCause = 2048

func limitCause(s string) string {
	if len(s) <= maxCause {
		return s
	}
	return s[:maxCause] + "..."
}

func (a *attempt) log(level slog.Level, msg string, attrs ...slog.Attr) {
	a.h.logJob(a.ctx, level, msg, &a.lease, attrs...)
}

// logJob logs a worker's decision about a job: its delivery id, action
// and attempt, never its body.
func (h *Handler) logJob(ctx context.Context, level slog.Level, msg string, l *Lease, attrs ...slog.Attr) {
	if h.logger == nil || !h.logger.Enabled(ctx, level) {
		return
	}
	if l != nil {
		attrs = append([]slog.Attr{
			slog.String("delivery", l.Job.ID), slog.String("action", string(l.Job.Action)), slog.Int("attempt", l.Job.Attempt),
		}, attrs...)
	}
	h.logger.LogAttrs(ctx, level, msg, attrs...)
}
