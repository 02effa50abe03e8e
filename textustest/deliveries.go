package textustest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/webhooks"
)

// Delivery is one webhook delivery: an event sent to one subscription,
// with every attempt made so far.
type Delivery struct {
	// ID is the envelope id, "/integrations/<id>/deliveries/<unique>". All
	// attempts of a delivery carry the same ID (and the same body).
	ID string
	// Webhook is the subscription's IRI ("/integrations/<id>").
	Webhook string
	// URL is where the delivery is posted (the subscription's baseUrl when
	// the event happened).
	URL    string
	Action textus.EventType
	// Key is the ordering key: deliveries with the same Webhook and Key (a
	// phone number) are made one after another, in event order.
	Key string
	// Body is the exact JSON posted, and Signature its X-TextUs-Signature.
	Body      []byte
	Signature string
	// Attempts counts the requests made; Statuses has the status of each
	// (0 for a transport error or timeout).
	Attempts int
	Statuses []int
	// LastError is the last transport error, if any.
	LastError string
	// Delivered is true once an attempt got a 2xx; Done once the delivery
	// is finished, delivered or given up on (or abandoned by Close).
	Delivered bool
	Done      bool
	// Series counts the attempt series: 1 for the delivery as the event
	// fired it, one more for each Server.Redeliver.
	Series int
	// Log has one record per attempt, oldest first.
	Log []DeliveryAttempt
}

// DeliveryAttempt is one request of a webhook delivery (see
// Delivery.Log).
type DeliveryAttempt struct {
	// Series is the attempt series the request belongs to (Delivery.Series
	// when it was made).
	Series int
	// Time is when the request was sent, and Latency how long the
	// receiver took to answer (or to fail).
	Time    time.Time
	Latency time.Duration
	// Status is the status answered, 0 for a transport error or timeout.
	Status int
	// Answer is the start of the receiver's response body (at most
	// MaxAnswerBytes bytes, cut at a character boundary), and
	// AnswerTruncated reports that the body was longer.
	Answer          string
	AnswerTruncated bool
	// Error is the transport error, if any.
	Error string
}

// MaxAnswerBytes is how much of a receiver's response body a
// DeliveryAttempt keeps.
const MaxAnswerBytes = 512

type hookConfig struct {
	attempts int
	min, max time.Duration
	timeout  time.Duration
	// result is told the outcome of each finished delivery; it is called
	// without the engine's lock held.
	result func(d *Delivery, delivered bool)
	// attempted is told of each attempt made (the sandbox's live view);
	// it is called without the engine's lock held and must not block.
	attempted func(d *Delivery, a DeliveryAttempt)
}

type queueKey struct{ webhook, key string }

// hookEngine posts deliveries. Each (subscription, phone number) pair has a
// FIFO queue worked by at most one goroutine, which exists only while the
// queue is not empty: deliveries for one conversation arrive in order (a
// failing one holds back those behind it until it succeeds or is given
// up), while different conversations and subscriptions proceed in
// parallel.
type hookEngine struct {
	cfg    hookConfig
	client *http.Client
	tr     *http.Transport
	idle   idleTracker

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	closed bool
	queues map[queueKey][]*Delivery
	log    []*Delivery
}

func newHookEngine(cfg hookConfig) *hookEngine {
	tr := &http.Transport{
		Proxy:                 nil, // deliveries go straight to the receiver
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       30 * time.Second,
		ResponseHeaderTimeout: cfg.timeout,
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &hookEngine{
		cfg: cfg,
		tr:  tr,
		client: &http.Client{
			Transport: tr,
			Timeout:   cfg.timeout,
			// A redirect is an answer that is not 2xx: following it would
			// turn the POST into a GET.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		ctx:    ctx,
		cancel: cancel,
		queues: make(map[queueKey][]*Delivery),
	}
}

// enqueue adds a delivery behind the others of its queue.
func (e *hookEngine) enqueue(d *Delivery) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return
	}
	e.log = append(e.log, d)
	d.Series = 1
	e.pushLocked(d)
}

// Errors of redeliver.
var (
	errNoSuchDelivery   = errors.New("no such delivery")
	errDeliveryUnderway = errors.New("the delivery is still being attempted")
)

// redeliver starts a new series of attempts of the logged delivery id,
// with the same id, body and signature, behind the others of its queue.
func (e *hookEngine) redeliver(id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return ErrClosed
	}
	var d *Delivery
	for _, l := range e.log {
		if l.ID == id {
			d = l
			break
		}
	}
	switch {
	case d == nil:
		return fmt.Errorf("%w %q", errNoSuchDelivery, id)
	case !d.Done:
		return fmt.Errorf("%q: %w", id, errDeliveryUnderway)
	}
	d.Done, d.Delivered = false, false
	d.Series++
	e.pushLocked(d)
	return nil
}

// pushLocked queues d and starts its queue's worker if none runs. The
// caller holds e.mu.
func (e *hookEngine) pushLocked(d *Delivery) {
	k := queueKey{d.Webhook, d.Key}
	q, running := e.queues[k]
	e.queues[k] = append(q, d)
	e.idle.add()
	if !running {
		e.wg.Add(1)
		go e.work(k)
	}
}

// work delivers the queue's deliveries in order and ends when it is empty.
func (e *hookEngine) work(k queueKey) {
	defer e.wg.Done()
	for {
		e.mu.Lock()
		q := e.queues[k]
		if len(q) == 0 {
			delete(e.queues, k)
			e.mu.Unlock()
			return
		}
		d := q[0]
		e.mu.Unlock()

		e.deliver(d)

		e.mu.Lock()
		d.Done = true
		delivered, abandoned := d.Delivered, e.ctx.Err() != nil
		e.queues[k] = e.queues[k][1:]
		e.mu.Unlock()
		if e.cfg.result != nil && !abandoned {
			e.cfg.result(d, delivered)
		}
		e.idle.done()
	}
}

// deliver makes the attempts of one delivery.
func (e *hookEngine) deliver(d *Delivery) {
	wait := e.cfg.min
	for attempt := 1; attempt <= e.cfg.attempts; attempt++ {
		if e.ctx.Err() != nil {
			return
		}
		start := time.Now()
		status, head, err := e.post(d)
		delivered := status >= 200 && status < 300
		e.mu.Lock()
		rec := DeliveryAttempt{
			Series: d.Series, Time: start, Latency: time.Since(start), Status: status,
			Answer: validPrefix(head[:min(len(head), MaxAnswerBytes)]), AnswerTruncated: len(head) > MaxAnswerBytes,
		}
		d.Attempts++
		d.Statuses = append(d.Statuses, status)
		if err != nil {
			d.LastError = err.Error()
			rec.Error = d.LastError
		}
		d.Log = append(d.Log, rec)
		d.Delivered = delivered
		e.mu.Unlock()
		if e.cfg.attempted != nil {
			e.cfg.attempted(d, rec)
		}
		if delivered || attempt == e.cfg.attempts {
			return
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-e.ctx.Done():
			t.Stop()
			return
		}
		wait *= 2
		if wait > e.cfg.max {
			wait = e.cfg.max
		}
	}
}

// post makes one attempt; it returns the status and the start of the
// answer's body, one byte longer than MaxAnswerBytes if it is longer.
func (e *hookEngine) post(d *Delivery) (int, []byte, error) {
	req, err := http.NewRequestWithContext(e.ctx, http.MethodPost, d.URL, bytes.NewReader(d.Body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "textustest-webhooks")
	req.Header.Set(webhooks.SignatureHeader, d.Signature)
	resp, err := e.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	head, _ := io.ReadAll(io.LimitReader(resp.Body, MaxAnswerBytes+1))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	return resp.StatusCode, head, nil
}

// validPrefix returns b as a string, without a last character cut by the
// read limit and with any other invalid byte replaced.
func validPrefix(b []byte) string {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				b = b[:i]
			}
			break
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// sign computes the signature of a delivery body.
func sign(secret string, body []byte) string { return webhooks.Sign(secret, body) }

func (e *hookEngine) deliveries() []Delivery {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Delivery, 0, len(e.log))
	for _, d := range e.log {
		c := *d
		c.Body = append([]byte(nil), d.Body...)
		c.Statuses = append([]int(nil), d.Statuses...)
		c.Log = append([]DeliveryAttempt(nil), d.Log...)
		out = append(out, c)
	}
	return out
}

func (e *hookEngine) resetLog() {
	e.mu.Lock()
	e.log = nil
	e.mu.Unlock()
}

func (e *hookEngine) waitIdle(ctx context.Context) error { return e.idle.wait(ctx) }

// close lets pending deliveries finish for up to timeout, then abandons the
// rest and waits for every worker to end.
func (e *hookEngine) close(timeout time.Duration) {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	_ = e.idle.wait(ctx)
	cancel()
	e.cancel()
	e.wg.Wait()
	e.tr.CloseIdleConnections()
}

// idleTracker counts pending work and lets callers wait for none.
type idleTracker struct {
	mu sync.Mutex
	n  int
	ch chan struct{} // closed when n drops to 0; nil while n == 0
}

func (t *idleTracker) add() {
	t.mu.Lock()
	if t.n == 0 {
		t.ch = make(chan struct{})
	}
	t.n++
	t.mu.Unlock()
}

func (t *idleTracker) done() {
	t.mu.Lock()
	t.n--
	if t.n == 0 {
		close(t.ch)
		t.ch = nil
	}
	t.mu.Unlock()
}

func (t *idleTracker) wait(ctx context.Context) error {
	t.mu.Lock()
	ch := t.ch
	t.mu.Unlock()
	if ch == nil {
		return nil
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
