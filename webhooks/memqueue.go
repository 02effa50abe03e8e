package webhooks

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultQueueCapacity is the capacity of NewMemoryQueue(0).
const DefaultQueueCapacity = 10000

// MemoryQueue is a Queue in the process's memory: bounded, safe for
// concurrent use, with leases, delayed retries, ordering keys and dead
// letters, and no background goroutine. It is not durable: the jobs it
// holds are lost when the process ends, so a delivery acknowledged to
// TextUs but not yet processed is lost in a crash. Use it on one replica,
// for tests, or where that is acceptable; use a Queue on a shared store
// otherwise.
type MemoryQueue struct {
	mu       sync.Mutex
	capacity int
	seq      uint64
	deadSeq  uint64
	live     map[uint64]*memJob
	byID     map[string]*memJob
	ready    []*memJob // jobs that may be handed out, oldest first
	timers   memTimers // leased and delayed jobs, by due time
	keys     map[string][]*memJob
	dead     []memDead // in the order they were dead-lettered
	waiting  int
	wake     chan struct{} // closed when a waiting Receive should look again
}

type memState int

const (
	memReady   memState = iota + 1 // in ready
	memLeased                      // in timers until the lease expires
	memDelayed                     // in timers until its retry is due
	memHeld                        // behind an earlier job with its OrderKey
)

type memDead struct {
	seq uint64
	DeadLetter
}

type memJob struct {
	seq   uint64
	job   Job
	state memState
	gen   uint64    // the hand-out the current receipt names
	due   time.Time // lease expiry or retry time
	index int       // in timers, or -1
}

// NewMemoryQueue returns an empty MemoryQueue that holds at most capacity
// jobs, dead letters included (DefaultQueueCapacity when capacity <= 0):
// past that, Enqueue fails with ErrQueueFull and the Handler answers 503,
// so a pile of dead letters nobody looks at shows up as refused
// deliveries rather than as lost ones.
func NewMemoryQueue(capacity int) *MemoryQueue {
	if capacity <= 0 {
		capacity = DefaultQueueCapacity
	}
	return &MemoryQueue{
		capacity: capacity,
		live:     make(map[uint64]*memJob),
		byID:     make(map[string]*memJob),
		keys:     make(map[string][]*memJob),
		wake:     make(chan struct{}),
	}
}

var _ Queue = (*MemoryQueue)(nil)

// Enqueue implements Queue. The job's Body and Trace are kept as given,
// not copied.
func (q *MemoryQueue) Enqueue(ctx context.Context, job Job) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if job.ID == "" {
		return errors.New("webhooks: MemoryQueue.Enqueue: the job has no ID")
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, dup := q.byID[job.ID]; dup {
		return ErrDuplicateJob
	}
	if len(q.live)+len(q.dead) >= q.capacity {
		return fmt.Errorf("%w (%d jobs and dead letters)", ErrQueueFull, q.capacity)
	}
	job.Attempt, job.LastError = 0, ""
	q.add(job)
	return nil
}

// add stores a new live job, ready or held behind its key.
func (q *MemoryQueue) add(job Job) {
	q.seq++
	j := &memJob{seq: q.seq, job: job, index: -1}
	q.live[j.seq] = j
	q.byID[job.ID] = j
	if k := job.OrderKey; k != "" {
		line := q.keys[k]
		q.keys[k] = append(line, j)
		if len(line) > 0 {
			j.state = memHeld
			return
		}
	}
	q.makeReady(j)
}

func (q *MemoryQueue) makeReady(j *memJob) {
	j.state = memReady
	q.ready = append(q.ready, j)
	q.signal()
}

// signal wakes the Receive calls waiting for jobs.
func (q *MemoryQueue) signal() {
	if q.waiting > 0 {
		close(q.wake)
		q.wake = make(chan struct{})
	}
}

// Receive implements Queue. It waits until a job is ready (a new one, one
// whose retry is due, or one whose lease expired) or ctx ends.
func (q *MemoryQueue) Receive(ctx context.Context, consumer string, max int, lease time.Duration) ([]Lease, error) {
	if max <= 0 {
		return nil, errors.New("webhooks: MemoryQueue.Receive needs max > 0")
	}
	if lease <= 0 {
		return nil, errors.New("webhooks: MemoryQueue.Receive needs a positive lease")
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		q.mu.Lock()
		now := time.Now()
		q.expire(now)
		if out := q.handOut(now, max, lease); len(out) > 0 {
			q.mu.Unlock()
			return out, nil
		}
		var timer *time.Timer
		var due <-chan time.Time
		if len(q.timers) > 0 {
			timer = time.NewTimer(q.timers[0].due.Sub(now))
			due = timer.C
		}
		wake := q.wake
		q.waiting++
		q.mu.Unlock()

		select {
		case <-ctx.Done():
		case <-wake:
		case <-due:
		}
		if timer != nil {
			timer.Stop()
		}
		q.mu.Lock()
		q.waiting--
		q.mu.Unlock()
	}
}

// expire makes ready the jobs whose lease expired or whose retry is due.
func (q *MemoryQueue) expire(now time.Time) {
	for len(q.timers) > 0 && !q.timers[0].due.After(now) {
		j := heap.Pop(&q.timers).(*memJob)
		q.makeReady(j)
	}
}

// handOut leases up to max ready jobs.
func (q *MemoryQueue) handOut(now time.Time, max int, lease time.Duration) []Lease {
	n := min(max, len(q.ready))
	if n == 0 {
		return nil
	}
	out := make([]Lease, 0, n)
	for _, j := range q.ready[:n] {
		j.gen++
		j.job.Attempt++
		j.state = memLeased
		j.due = now.Add(lease)
		heap.Push(&q.timers, j)
		out = append(out, Lease{Job: j.job, Receipt: receipt(j.seq, j.gen), Expires: j.due})
	}
	clear(q.ready[:n])
	q.ready = q.ready[n:]
	if len(q.ready) == 0 {
		q.ready = nil
	}
	return out
}

func receipt(seq, gen uint64) string {
	return strconv.FormatUint(seq, 10) + "." + strconv.FormatUint(gen, 10)
}

// leased returns the job a receipt names, if that lease is still held.
func (q *MemoryQueue) leased(r string) (*memJob, error) {
	s, g, ok := strings.Cut(r, ".")
	seq, err1 := strconv.ParseUint(s, 10, 64)
	gen, err2 := strconv.ParseUint(g, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return nil, fmt.Errorf("%w: malformed receipt %q", ErrLeaseLost, r)
	}
	j := q.live[seq]
	if j == nil || j.gen != gen || j.state != memLeased {
		return nil, ErrLeaseLost
	}
	return j, nil
}

// Ack implements Queue.
func (q *MemoryQueue) Ack(_ context.Context, receipt string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	j, err := q.leased(receipt)
	if err != nil {
		return err
	}
	q.remove(j)
	return nil
}

// remove drops a leased job and lets the next job of its key go.
func (q *MemoryQueue) remove(j *memJob) {
	if j.index >= 0 {
		heap.Remove(&q.timers, j.index)
	}
	delete(q.live, j.seq)
	delete(q.byID, j.job.ID)
	if k := j.job.OrderKey; k != "" {
		line := q.keys[k]
		if len(line) > 0 && line[0] == j {
			line[0] = nil
			line = line[1:]
		}
		if len(line) == 0 {
			delete(q.keys, k)
			return
		}
		q.keys[k] = line
		if line[0].state == memHeld {
			q.makeReady(line[0])
		}
	}
}

// Retry implements Queue. A negative delay counts as 0.
func (q *MemoryQueue) Retry(_ context.Context, receipt string, delay time.Duration, cause string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	j, err := q.leased(receipt)
	if err != nil {
		return err
	}
	j.job.LastError = cause
	j.state = memDelayed
	j.due = time.Now().Add(max(delay, 0))
	heap.Fix(&q.timers, j.index)
	q.signal()
	return nil
}

// DeadLetter implements Queue.
func (q *MemoryQueue) DeadLetter(_ context.Context, receipt string, cause string) (string, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	j, err := q.leased(receipt)
	if err != nil {
		return "", err
	}
	q.remove(j)
	q.deadSeq++
	ref := strconv.FormatUint(q.deadSeq, 10)
	job := j.job
	job.LastError = cause
	q.dead = append(q.dead, memDead{seq: q.deadSeq, DeadLetter: DeadLetter{Ref: ref, Job: job, At: time.Now()}})
	return ref, nil
}

// DeadLetters implements Queue. An after that names no dead letter any
// more (it was redriven or discarded meanwhile) still works as a cursor.
func (q *MemoryQueue) DeadLetters(_ context.Context, after string, max int) ([]DeadLetter, error) {
	var from uint64
	if after != "" {
		n, err := strconv.ParseUint(after, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("webhooks: MemoryQueue.DeadLetters: malformed ref %q", after)
		}
		from = n
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []DeadLetter
	for i := q.searchDead(from + 1); i < len(q.dead) && len(out) < max; i++ {
		out = append(out, q.dead[i].DeadLetter)
	}
	return out, nil
}

// searchDead returns the index of the first dead letter numbered seq or
// more.
func (q *MemoryQueue) searchDead(seq uint64) int {
	return sort.Search(len(q.dead), func(i int) bool { return q.dead[i].seq >= seq })
}

// findDead returns the index of the dead letter ref names.
func (q *MemoryQueue) findDead(ref string) (int, error) {
	seq, err := strconv.ParseUint(ref, 10, 64)
	if err == nil {
		if i := q.searchDead(seq); i < len(q.dead) && q.dead[i].seq == seq {
			return i, nil
		}
	}
	return 0, fmt.Errorf("%w: %q", ErrDeadLetterNotFound, ref)
}

func (q *MemoryQueue) dropDead(i int) {
	q.dead = append(q.dead[:i], q.dead[i+1:]...)
}

// Redrive implements Queue.
func (q *MemoryQueue) Redrive(_ context.Context, ref string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	i, err := q.findDead(ref)
	if err != nil {
		return err
	}
	job := q.dead[i].Job
	if _, dup := q.byID[job.ID]; dup {
		return ErrDuplicateJob
	}
	q.dropDead(i)
	job.Attempt, job.LastError = 0, ""
	q.add(job)
	return nil
}

// Discard implements Queue.
func (q *MemoryQueue) Discard(_ context.Context, ref string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	i, err := q.findDead(ref)
	if err != nil {
		return err
	}
	q.dropDead(i)
	return nil
}

// Len implements Queue: the jobs waiting, leased or waiting for a retry.
func (q *MemoryQueue) Len(context.Context) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.live), nil
}

// memTimers is a min-heap of jobs by due time.
type memTimers []*memJob

func (t memTimers) Len() int           { return len(t) }
func (t memTimers) Less(i, j int) bool { return t[i].due.Before(t[j].due) }
func (t memTimers) Swap(i, j int) {
	t[i], t[j] = t[j], t[i]
	t[i].index, t[j].index = i, j
}

func (t *memTimers) Push(x any) {
	j := x.(*memJob)
	j.index = len(*t)
	*t = append(*t, j)
}

func (t *memTimers) Pop() any {
	old := *t
	j := old[len(old)-1]
	old[len(old)-1] = nil
	j.index = -1
	*t = old[:len(old)-1]
	return j
}
