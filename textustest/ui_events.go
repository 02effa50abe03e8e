package textustest

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/textus-go/textus"
)

// Live updates of the sandbox: the server publishes a small event for
// each change, and every open page receives them over server-sent events
// (GET SandboxPath + "events") and re-renders the part that changed.

const (
	// maxLiveViews bounds the number of open event streams; more are
	// refused with 503.
	maxLiveViews = 32
	// liveViewBuffer is how many events a stream may fall behind before
	// it is dropped (its page reconnects and re-renders everything).
	liveViewBuffer = 64
	// livePing is how often an idle stream sends a comment, so that a
	// client that went away is noticed.
	livePing = 20 * time.Second
	// liveWriteTimeout bounds one write to a stream.
	liveWriteTimeout = 10 * time.Second
)

// uiEvent is one change, as the stream sends it (a JSON object).
type uiEvent struct {
	// Kind is "message", "contact", "optout", "delivery",
	// "undeliverable", "reset" or "changed" (any other change made
	// through the API).
	Kind string `json:"kind"`
	// Action is the event name: a webhook event ("message.received",
	// "contact.opted_out", ...), or "message.created" for a send.
	Action string `json:"action,omitempty"`
	// Phone is the conversation's number, when the change has one.
	Phone string `json:"phone,omitempty"`
	// Delivery, Attempt and Status describe a delivery attempt.
	Delivery string `json:"delivery,omitempty"`
	Attempt  int    `json:"attempt,omitempty"`
	Status   *int   `json:"status,omitempty"`
}

// eventBus fans events out to subscribers without ever blocking the
// publisher: a subscriber whose buffer is full is dropped.
type eventBus struct {
	max, buffer int

	mu   sync.Mutex
	subs map[*liveView]struct{}
}

// liveView is one subscriber.
type liveView struct {
	ch   chan []byte
	gone chan struct{} // closed when the bus drops the subscriber
}

func newEventBus(max, buffer int) *eventBus {
	return &eventBus{max: max, buffer: buffer, subs: make(map[*liveView]struct{})}
}

// subscribe adds a subscriber; false when there are already max.
func (b *eventBus) subscribe() (*liveView, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.subs) >= b.max {
		return nil, false
	}
	v := &liveView{ch: make(chan []byte, b.buffer), gone: make(chan struct{})}
	b.subs[v] = struct{}{}
	return v, true
}

// unsubscribe removes v; it may already be gone.
func (b *eventBus) unsubscribe(v *liveView) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.subs[v]; ok {
		delete(b.subs, v)
		close(v.gone)
	}
}

// publish sends ev to every subscriber that has room and drops the others.
func (b *eventBus) publish(ev uiEvent) {
	msg, err := json.Marshal(ev)
	if err != nil {
		return // a uiEvent always marshals
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for v := range b.subs {
		select {
		case v.ch <- msg:
		default:
			delete(b.subs, v)
			close(v.gone)
		}
	}
}

// publish is nil-safe: a Server made without NewServer has no sandbox.
func (u *sandbox) publish(ev uiEvent) {
	if u != nil {
		u.bus.publish(ev)
	}
}

// webhookEvent publishes an event the server fires (called by emit, with
// the server's lock held).
func (u *sandbox) webhookEvent(action textus.EventType, key string) {
	kind := "message"
	switch action {
	case textus.EventContactCreated:
		kind = "contact"
	case textus.EventContactOptedOut, textus.EventContactOptedIn:
		kind = "optout"
	}
	if !strings.HasPrefix(key, "+") {
		key = "" // a contact without a phone is keyed by its IRI
	}
	u.publish(uiEvent{Kind: kind, Action: string(action), Phone: key})
}

// deliveryAttempted publishes a webhook delivery attempt.
func (u *sandbox) deliveryAttempted(d *Delivery, a DeliveryAttempt) {
	status := a.Status
	u.publish(uiEvent{Kind: "delivery", Action: string(d.Action), Phone: phoneKey(d.Key), Delivery: d.ID, Attempt: len(d.Statuses), Status: &status})
}

// requestDone publishes a change made through the API: any request other
// than a read that the server acted on.
func (u *sandbox) requestDone(rec RequestRecord) {
	if u == nil || rec.Method == http.MethodGet || rec.Method == http.MethodHead {
		return
	}
	acted := rec.Status >= 200 && rec.Status < 300 || rec.Status == 0 && rec.Fault == FaultLoseResponse
	if !acted {
		return
	}
	if rec.Method == http.MethodPost && (strings.HasSuffix(rec.Path, "/messages") || strings.HasSuffix(rec.Path, "/messages/schedule")) {
		u.publish(uiEvent{Kind: "message", Action: "message.created"})
		return
	}
	u.publish(uiEvent{Kind: "changed"})
}

func phoneKey(key string) string {
	if strings.HasPrefix(key, "+") {
		return key
	}
	return ""
}

// events streams the bus to one page until the page goes away, the
// server closes, or the stream falls behind.
func (u *sandbox) events(w http.ResponseWriter, r *http.Request) {
	v, ok := u.bus.subscribe()
	if !ok {
		plainError(w, http.StatusServiceUnavailable, "too many open sandbox pages")
		return
	}
	defer u.bus.unsubscribe(v)
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	write := func(chunk string) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(liveWriteTimeout))
		if _, err := w.Write([]byte(chunk)); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write("retry: 1000\n: connected\n\n") {
		return
	}
	ping := time.NewTicker(livePing)
	defer ping.Stop()
	for {
		var chunk string
		select {
		case <-r.Context().Done():
			return
		case <-u.s.closing:
			return
		case <-v.gone:
			return
		case <-ping.C:
			chunk = ": ping\n\n"
		case msg := <-v.ch:
			chunk = "data: " + string(msg) + "\n\n"
		}
		if !write(chunk) {
			return
		}
	}
}
