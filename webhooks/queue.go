package webhooks

import (
	"context"
	"errors"
	"time"

	"github.com/textus-go/textus"
)

// Errors of the Queue contract, matched with errors.Is.
var (
	// ErrQueueFull is returned by Enqueue when the queue holds as many
	// jobs as it may: nothing was stored. The Handler answers 503 with a
	// Retry-After header, so that the sender retries later.
	ErrQueueFull = errors.New("webhooks: queue full")
	// ErrDuplicateJob is returned by Enqueue when a job with the same ID is
	// already stored and neither acknowledged nor dead-lettered: nothing
	// more was stored, and the job already there will run. The Handler
	// answers 200. Redrive returns it when such a job exists for the dead
	// letter's ID.
	ErrDuplicateJob = errors.New("webhooks: a job with this delivery id is already queued")
	// ErrLeaseLost is returned by Ack, Retry and DeadLetter when the lease
	// named by the receipt is no longer held: it expired and the job was
	// handed out again, or the job was acknowledged or dead-lettered
	// already. Nothing was changed.
	ErrLeaseLost = errors.New("webhooks: job lease lost")
	// ErrDeadLetterNotFound is returned by Redrive and Discard for a
	// reference that names no dead letter.
	ErrDeadLetterNotFound = errors.New("webhooks: no such dead letter")
)

// Job is a verified delivery waiting in a Queue for its callback. It holds
// the raw signed body, so that a worker can verify and decode it again
// after a restart, in another process, or from a dead letter.
type Job struct {
	// ID is the delivery's de-duplication key: textus.Event.ID, or
	// "sha256:" and the hex SHA-256 of the body when the delivery has no
	// id. A Queue holds at most one live job per ID.
	ID string
	// Action is the delivery's action (normalised, see
	// textus.NormalizeEventType), for routing and metrics.
	Action textus.EventType
	// Body is the delivery exactly as received: the bytes the signature
	// covers. Neither the queue nor its users may modify it.
	Body []byte
	// Signature is the SignatureHeader value the delivery carried; the
	// worker verifies Body against it again before running a callback.
	Signature string
	// OrderKey groups the jobs that must run one at a time, in the order
	// they were enqueued (see WithOrderKey); "" for none.
	OrderKey string
	// EnqueuedAt is when the Handler accepted the delivery. Redrive keeps
	// it.
	EnqueuedAt time.Time
	// Attempt is the number of times the job has been handed out by
	// Receive, this time included: 1 on the first attempt. The queue sets
	// it; it is 0 in Enqueue.
	Attempt int
	// LastError is why the previous attempt failed ("" before any
	// failure), as given to Retry or DeadLetter.
	LastError string
	// Trace carries the trace context of the delivery that enqueued the
	// job (see Observer.Inject), so that the attempts can be linked to it.
	// It is nil without an Observer. Treat it as read-only.
	Trace map[string]string
}

// Lease is a job handed out by Queue.Receive. Until Expires, no other
// Receive hands the same job out; the worker ends the lease with Ack,
// Retry or DeadLetter, quoting Receipt.
type Lease struct {
	// Job is the job, with Attempt set.
	Job Job
	// Receipt identifies this hand-out of the job.
	Receipt string
	// Expires is when the lease ends: from then on the job may be handed
	// out again. Implementations set it no later than that moment (a
	// remote store measures it from before its request was sent).
	Expires time.Time
}

// DeadLetter is a job that a worker gave up on: its attempts ran out, or
// it cannot run at all (its signature no longer verifies, or its body is
// not a delivery). It is kept, with the raw signed body, until it is
// redriven or discarded.
type DeadLetter struct {
	// Ref identifies the dead letter in Redrive and Discard, and is the
	// cursor of DeadLetters.
	Ref string
	// Job is the job as it was given up: Attempt is the number of
	// attempts made, LastError the reason it was given up.
	Job Job
	// At is when the job was dead-lettered.
	At time.Time
}

// Queue holds verified deliveries between the Handler's 2xx answer and
// the callbacks, which Handler.Run runs. MemoryQueue is the in-process
// implementation; a Queue on a shared store (such as Redis Streams with a
// consumer group) lets several processes share the work and survives
// restarts. Implementations must be safe for concurrent use.
//
// The contract is at-least-once:
//
//   - Enqueue returns nil only once the job is stored: the Handler
//     acknowledges a delivery only after that.
//   - A stored job stays stored until it is acknowledged (Ack) or moved to
//     the dead letters (DeadLetter); neither happens by itself. A job is
//     never dropped.
//   - Receive hands a job to one consumer at a time, under a lease. A job
//     whose lease expires before it is acknowledged, retried or
//     dead-lettered (its worker crashed or hung) is handed out again; so a
//     job can run more than once, and its callback must tolerate that. The
//     Handler de-duplicates on Job.ID, so a callback that succeeded is not
//     run again unless the process crashed between the callback's return
//     and the record of its success.
//   - Jobs with the same non-empty OrderKey are handed out one at a time,
//     in the order they were enqueued: Receive does not hand a job out
//     while an earlier job with its OrderKey is still stored (waiting,
//     leased or waiting for a retry), so a failing job holds back the ones
//     behind it until it succeeds or is dead-lettered. Jobs without an
//     OrderKey are handed out in any order, in parallel.
//
// With Redis Streams (package textusredis): Enqueue is an XADD (in a
// script that also records the job ID, for ErrDuplicateJob, and checks the
// length for ErrQueueFull); Receive claims with XCLAIM the entries whose
// lease deadline passed (the jobs of dead consumers; each lease's deadline
// is kept in a sorted set, since every Receive names its own lease and one
// idle time, as XAUTOCLAIM takes, cannot tell which leases ran out), then
// reads new entries with XREADGROUP, counting the attempts; Ack is XACK and
// XDEL; Retry is XACK and a sorted set of jobs due later that Receive moves
// back into the stream; DeadLetter is XACK and an XADD to a dead-letter
// stream, which DeadLetters reads with XRANGE; ordering keys are per-key
// lists of the jobs held back behind the key's current one.
type Queue interface {
	// Enqueue stores job. It returns an error wrapping ErrQueueFull when
	// the queue is full and ErrDuplicateJob when a live job has the same
	// ID; on any error nothing was stored.
	Enqueue(ctx context.Context, job Job) error
	// Receive leases up to max jobs to consumer for lease (each Lease
	// says when it expires), setting each job's Attempt. It waits until at
	// least one job is available or ctx ends (then it returns ctx's
	// error); it may also return no jobs and a nil error after an
	// implementation-chosen wait, and the caller then calls it again.
	Receive(ctx context.Context, consumer string, max int, lease time.Duration) ([]Lease, error)
	// Ack ends a lease: the job succeeded (or needs no callback) and is
	// removed.
	Ack(ctx context.Context, receipt string) error
	// Retry ends a lease: the attempt failed because of cause; the job is
	// handed out again no earlier than delay from now, with LastError set
	// to cause.
	Retry(ctx context.Context, receipt string, delay time.Duration, cause string) error
	// DeadLetter ends a lease: the job is moved to the dead letters with
	// LastError set to cause, and is no longer handed out. It returns the
	// dead letter's Ref.
	DeadLetter(ctx context.Context, receipt string, cause string) (ref string, err error)
	// DeadLetters lists up to max dead letters in the order they were
	// dead-lettered, starting after the one whose Ref is after ("" for the
	// first ones). Pass the last Ref returned to get the next ones.
	DeadLetters(ctx context.Context, after string, max int) ([]DeadLetter, error)
	// Redrive moves a dead letter back to the queue as a new job with no
	// attempts (its EnqueuedAt and OrderKey kept, behind the jobs already
	// waiting for that key). It returns an error wrapping
	// ErrDeadLetterNotFound for an unknown ref, and ErrDuplicateJob when a
	// live job has the same ID (the dead letter is then kept).
	Redrive(ctx context.Context, ref string) error
	// Discard deletes a dead letter; ErrDeadLetterNotFound for an unknown
	// ref.
	Discard(ctx context.Context, ref string) error
	// Len returns the number of live jobs (waiting, leased or waiting for
	// a retry; not dead letters), for metrics. It may be approximate.
	Len(ctx context.Context) (int, error)
}
