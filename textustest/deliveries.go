package textustest

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

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
}

type hookConfig struct {
	attempts int
	min, max time.Duration
	timeout  time.Duration
	// result is told the outcome of each finished delivery; it is called
	// without the engine's lock held.
	result func(d *Delivery, delivered bool)
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
		status, err := e.post(d)
		delivered := status >= 200 && status < 300
		e.mu.Lock()
		d.Attempts++
		d.Statuses = append(d.Statuses, status)
		if err != nil {
			d.LastError = err.Error()
		}
		d.Delivered = delivered
		e.mu.Unlock()
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

func (e *hookEngine) post(d *Delivery) (int, error) {
	req, err := http.NewRequestWithContext(e.ctx, http.MethodPost, d.URL, bytes.NewReader(d.Body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "textustest-webhooks")
	req.Header.Set(webhooks.SignatureHeader, d.Signature)
	resp, err := e.client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	return resp.StatusCode, nil
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
