package webhooks

import (
	"context"
	"time"

	"github.com/textus-go/textus"
)

// Observer is a hook for instrumentation (tracing, metrics) of a Handler:
// it is told when each delivery starts and how it ended, and, with a
// queue, when each job attempt starts and how it ended. Install it with
// WithObserver. An OpenTelemetry implementation makes one server span per
// delivery and one span per job attempt linked to it; a Prometheus one
// counts deliveries by action and status, duplicates, and job latencies.
//
// Nothing given to an Observer holds the body, a phone number, a secret or
// a signature: only the delivery id, the action, fixed reasons and
// statuses. Its methods are called concurrently and must be fast; they
// must not panic.
type Observer interface {
	// StartDelivery is called when a request reaches ServeHTTP, before
	// anything is read. The context it returns is used for the rest of the
	// request: the Deduplicator and Queue calls and, without a queue, the
	// callback receive it (return ctx when there is nothing to add). end,
	// if not nil, is called once when the answer has been written.
	StartDelivery(ctx context.Context, d DeliveryStart) (_ context.Context, end func(DeliveryEnd))
	// Inject writes the trace context of ctx (a context returned by
	// StartDelivery) into carrier, which is stored with the job the
	// delivery becomes; StartJob gets it back as JobStart.Trace. It is
	// called only with a queue; keep what it writes small.
	Inject(ctx context.Context, carrier map[string]string)
	// StartJob is called when a worker starts an attempt at a job. ctx
	// ends when the job's lease does; the context returned is the one the
	// callback receives. end, if not nil, is called once when the attempt
	// is over.
	StartJob(ctx context.Context, j JobStart) (_ context.Context, end func(JobEnd))
}

// QueueObserver is implemented by an Observer that also reports the depth
// of the queue: NewHandler calls ObserveQueue once with the handler's
// queue, and the observer calls Queue.Len when its metrics are collected
// (for example from an asynchronous gauge).
type QueueObserver interface {
	// ObserveQueue is given the queue of a Handler built with WithQueue.
	ObserveQueue(q Queue)
}

// DeliveryStart describes a request reaching a Handler.
type DeliveryStart struct {
	// Method is the request method.
	Method string
	// Route is the pattern of the ServeMux route that matched
	// (http.Request.Pattern), or "" when the handler is not mounted on a
	// ServeMux. It never holds path values.
	Route string
}

// DeliveryEnd describes how a Handler answered a request.
type DeliveryEnd struct {
	// Status is the HTTP status answered.
	Status int
	// Reason is a short fixed text saying why: the error text of a non-2xx
	// answer ("invalid signature", "queue full"), or for a 2xx one
	// "handled", "queued", "duplicate" or "no callback".
	Reason string
	// ID is the delivery id ("" when the body was not read or not
	// verified, or has none).
	ID string
	// Action is the delivery's action ("" when it was not decoded). It
	// comes from the sender: bound the cardinality of metric labels with
	// Action.Known().
	Action textus.EventType
	// Verified reports whether the signature matched.
	Verified bool
	// Duplicate reports whether the delivery was already handled or
	// already queued, so that the callback did not run (again) for it.
	Duplicate bool
	// Queued reports whether the delivery was stored in the queue by this
	// request.
	Queued bool
}

// JobStart describes a job attempt starting.
type JobStart struct {
	// ID is the delivery id (Job.ID).
	ID string
	// Action is the delivery's action.
	Action textus.EventType
	// Attempt is the attempt number, 1 for the first.
	Attempt int
	// EnqueuedAt is when the delivery was accepted: the time from it to
	// now is the job's wait.
	EnqueuedAt time.Time
	// Trace is the carrier Inject filled when the job was enqueued (nil
	// when it wrote nothing). Read-only.
	Trace map[string]string
}

// JobOutcome says how a job attempt ended.
type JobOutcome string

// The outcomes of a job attempt.
const (
	// JobDone: the callback succeeded; the job was acknowledged.
	JobDone JobOutcome = "done"
	// JobDuplicate: the delivery had already been handled; the job was
	// acknowledged without running the callback.
	JobDuplicate JobOutcome = "duplicate"
	// JobSkipped: no callback is registered for the action any more; the
	// job was acknowledged.
	JobSkipped JobOutcome = "skipped"
	// JobRetry: the attempt failed; the job will run again later.
	JobRetry JobOutcome = "retry"
	// JobDeadLettered: the job was moved to the dead letters.
	JobDeadLettered JobOutcome = "dead_lettered"
	// JobAbandoned: the lease expired before the attempt ended (or the
	// queue refused the outcome); the queue hands the job out again.
	JobAbandoned JobOutcome = "abandoned"
)

// JobEnd describes how a job attempt ended.
type JobEnd struct {
	// Outcome is what happened to the job.
	Outcome JobOutcome
	// Reason is a short fixed text saying why ("callback failed",
	// "callback panicked", "signature does not verify", ...), or "" for
	// JobDone.
	Reason string
}
