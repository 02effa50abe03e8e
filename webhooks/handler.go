package webhooks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/textus-go/textus"
)

// Handler is an http.Handler that receives TextUs webhook deliveries: it
// verifies each one, decodes it, drops duplicates and calls the callback
// registered for its action. Create it with NewHandler, register callbacks
// with the On methods (or Listen), and mount it on your router. It is safe
// for concurrent use; callbacks may be registered while it serves.
//
// For each request, in this order:
//
//  1. A method other than POST is answered 405 Method Not Allowed (with
//     Allow: POST).
//  2. A body larger than the cap (WithMaxBodyBytes) is answered 413 Content
//     Too Large.
//  3. The raw body is read once. When ServeHTTP returns, r.Body is
//     replaced by a reader over the same bytes (those of the event's Raw
//     once it is decoded), so anything that reads it afterwards (a
//     wrapping middleware) still can.
//  4. A missing or wrong signature is answered 401 Unauthorized.
//  5. With WithTolerance, a delivery whose timestamp is out of range (or
//     unreadable) is answered 403 Forbidden.
//  6. A body that is not a JSON object is answered 400 Bad Request. Any
//     JSON object is accepted: see textus.ParseEvent for how mistyped fields
//     are handled (they are reported in Event.DecodeError, not refused).
//  7. A delivery whose action has no callback is answered 200 OK and not
//     recorded. Unknown actions go to OnUnknownEvent when it is set.
//  8. The delivery is claimed in the Deduplicator under its id
//     (textus.Event.ID; when a delivery has none, "sha256:" and the hex
//     SHA-256 of the body). A delivery already processed is answered 200 OK
//     without calling the callback again. A delivery that is being
//     processed right now by another request is answered 409 Conflict: the
//     first attempt may still fail, and a non-2xx answer keeps this copy
//     eligible for the sender's retry instead of acknowledging an outcome
//     that is not known yet. If the Deduplicator fails, the answer is 503
//     Service Unavailable and the callback is not called.
//  9. The callback runs with the request's context. It returns nil: 200 OK.
//     It returns an error or panics: the claim is released and the answer
//     is 500 Internal Server Error, so that the sender's retry is processed
//     in full. (A panic with http.ErrAbortHandler is re-raised after the
//     release.)
//
// With WithQueue, steps 8 and 9 change: the delivery is stored in a queue
// and answered 200 at once, and Run calls the callbacks (see WithQueue).
//
// Error answers are short fixed texts; they never contain the body, a
// secret or a signature. Because TextUs's request timeout is undocumented,
// keep callbacks fast, or use WithQueue.
type Handler struct {
	keys      []*signingKey
	maxBody   int64
	tolerance time.Duration
	now       func() time.Time
	dedup     Deduplicator
	logger    *slog.Logger
	observer  Observer
	queue     *queueMode // nil without WithQueue

	mu  sync.Mutex // serialises registrations
	cbs atomic.Pointer[callbacks]
}

// NewHandler returns a Handler that accepts deliveries signed with secret
// or with any secret added by WithSecrets. At least one non-empty secret is
// required: otherwise the error wraps ErrNoSecret. There is deliberately no
// way to turn verification off; in tests, sign bodies with Sign or build
// requests with NewSignedRequest.
func NewHandler(secret string, opts ...Option) (*Handler, error) {
	s := settings{maxBody: DefaultMaxBodyBytes, now: time.Now}
	s.secrets = append(s.secrets, secret)
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&s); err != nil {
			return nil, err
		}
	}
	if err := s.checkQueueOptions(); err != nil {
		return nil, err
	}
	h := &Handler{
		maxBody:   s.maxBody,
		tolerance: s.tolerance,
		now:       s.now,
		dedup:     s.dedup,
		logger:    s.logger,
		observer:  s.observer,
		queue:     newQueueMode(&s),
	}
	for _, sec := range s.secrets {
		if sec != "" {
			h.keys = append(h.keys, newSigningKey(sec))
		}
	}
	if len(h.keys) == 0 {
		return nil, fmt.Errorf("%w: NewHandler needs a non-empty secret (the integration's webhookSecret)", ErrNoSecret)
	}
	if h.dedup == nil {
		h.dedup = NewMemoryDeduplicator(DefaultDedupEntries, DefaultDedupTTL)
	}
	if qo, ok := h.observer.(QueueObserver); ok && h.queue != nil {
		qo.ObserveQueue(h.queue.q)
	}
	h.cbs.Store(&callbacks{})
	return h, nil
}

// signingKey keeps a pool of HMAC states keyed with one secret, so that
// verifying a delivery does not set up a new HMAC each time.
type signingKey struct{ pool sync.Pool }

type macState struct {
	mac hash.Hash
	sum [sha256.Size]byte
}

func newSigningKey(secret string) *signingKey {
	key := []byte(secret)
	k := &signingKey{}
	k.pool.New = func() any { return &macState{mac: hmac.New(sha256.New, key)} }
	return k
}

func (k *signingKey) matches(body []byte, want *[sha256.Size]byte) bool {
	st := k.pool.Get().(*macState)
	st.mac.Reset()
	st.mac.Write(body)
	ok := hmac.Equal(st.mac.Sum(st.sum[:0]), want[:])
	k.pool.Put(st)
	return ok
}

// verify is Verify with the handler's pooled keys.
func (h *Handler) verify(body []byte, signature string) error {
	want, err := decodeSignature(signature)
	if err != nil {
		return err
	}
	for _, k := range h.keys {
		if k.matches(body, &want) {
			return nil
		}
	}
	return ErrInvalidSignature
}

// ServeHTTP handles one delivery; see Handler for the steps and the
// status codes, and WithQueue for the queue mode.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d := delivery{h: h, w: w, r: r}
	d.start()
	defer d.finish()
	if !d.checkMethod() {
		return
	}
	if !d.checkSize() {
		return
	}
	if !d.readBody() {
		return
	}
	if !d.verify() {
		return
	}
	if !d.checkFreshness() {
		return
	}
	if !d.parse() {
		return
	}
	if !d.findCallback() {
		return
	}
	if h.queue != nil {
		if d.peekDone() {
			return
		}
		d.enqueue()
		return
	}
	if !d.claim() {
		return
	}
	d.dispatch()
}

// delivery is one request on its way through ServeHTTP's steps. Each step
// returns false when it has answered the request.
type delivery struct {
	h   *Handler
	w   http.ResponseWriter
	r   *http.Request
	ctx context.Context

	buf       *[]byte // the pooled read buffer, while in use
	body      []byte  // the raw body as read
	signature string

	decoded bool
	parsed  any           // the typed event, when decoded in full
	ev      *textus.Event // the envelope (parsed's, or decoded alone)
	perr    error         // why the body could not be decoded
	cb      callback
	key     string // the de-duplication key
	token   string // the Deduplicator claim, once acquired

	end func(DeliveryEnd)
	out DeliveryEnd
}

// start begins a request, telling the Observer.
func (d *delivery) start() {
	d.ctx = d.r.Context()
	if o := d.h.observer; o != nil {
		ctx, end := o.StartDelivery(d.ctx, DeliveryStart{Method: d.r.Method, Route: d.r.Pattern})
		if ctx != nil {
			d.ctx = ctx
		}
		d.end = end
	}
}

// finish restores r.Body, recycles the read buffer and tells the Observer
// how the request ended.
func (d *delivery) finish() {
	if d.body != nil {
		restored := d.body
		if d.ev != nil && d.ev.Raw != nil {
			restored = d.ev.Raw
			d.recycle()
		}
		br := &bodyReader{}
		br.Reset(restored)
		d.r.Body = br
	}
	if d.end != nil {
		if d.ev != nil {
			d.out.ID, d.out.Action = d.ev.ID, d.ev.Action
		}
		d.end(d.out)
	}
}

// 1. The method.
func (d *delivery) checkMethod() bool {
	if d.r.Method == http.MethodPost {
		return true
	}
	d.w.Header().Set("Allow", http.MethodPost)
	d.refuse(http.StatusMethodNotAllowed, "method not allowed", nil)
	return false
}

// 2. The size cap, when the request announces its length.
func (d *delivery) checkSize() bool {
	if d.r.ContentLength <= d.h.maxBody {
		return true
	}
	d.refuse(http.StatusRequestEntityTooLarge, "request body too large", nil)
	return false
}

// 3. The raw body, read once through the cap.
func (d *delivery) readBody() bool {
	src := d.r.Body
	if src == nil {
		src = http.NoBody
	}
	if d.r.ContentLength < 0 {
		// Of unknown length: let net/http close the connection if it
		// turns out too large, rather than drain it.
		src = http.MaxBytesReader(d.w, src, d.h.maxBody)
	}
	d.buf = getReadBuffer(d.r.ContentLength)
	body, err := readBody(src, (*d.buf)[:0], d.h.maxBody)
	*d.buf = body[:0]
	if err != nil {
		d.recycle()
		var tooLarge *http.MaxBytesError
		if errors.Is(err, errBodyTooLarge) || errors.As(err, &tooLarge) {
			d.refuse(http.StatusRequestEntityTooLarge, "request body too large", nil)
			return false
		}
		d.refuse(http.StatusBadRequest, "could not read request body", nil)
		return false
	}
	d.body = body
	return true
}

// 4. The signature.
func (d *delivery) verify() bool {
	d.signature = d.r.Header.Get(canonicalSignatureHeader)
	if err := d.h.verify(d.body, d.signature); err != nil {
		msg := "invalid signature"
		if errors.Is(err, ErrMissingSignature) {
			msg = "missing signature"
		}
		d.refuse(http.StatusUnauthorized, msg, err)
		return false
	}
	d.out.Verified = true
	return true
}

// 5. The freshness window. It needs the timestamp, so it decodes the
// body; a body that cannot be decoded has no timestamp.
func (d *delivery) checkFreshness() bool {
	if d.h.tolerance <= 0 {
		return true
	}
	d.decode()
	var ts time.Time
	if d.ev != nil {
		ts = d.ev.Timestamp
	}
	if err := CheckTimestamp(ts, d.h.tolerance, d.h.now()); err != nil {
		d.refuse(http.StatusForbidden, "delivery timestamp outside tolerance", err)
		return false
	}
	return true
}

// 6. The decoding.
func (d *delivery) parse() bool {
	d.decode()
	if d.perr != nil {
		d.refuse(http.StatusBadRequest, "body is not a JSON object", nil)
		return false
	}
	return true
}

// decode decodes the body once: in full when the callback will run in
// this request or an order key needs the event, the envelope alone when
// the delivery is only queued.
func (d *delivery) decode() {
	if d.decoded {
		return
	}
	d.decoded = true
	if q := d.h.queue; q != nil && q.orderKey == nil {
		ev := new(textus.Event)
		if d.perr = ev.UnmarshalJSON(d.body); d.perr == nil {
			d.ev = ev
		}
		return
	}
	d.parsed, d.perr = textus.ParseEvent(d.body)
	if d.perr == nil {
		d.ev = envelope(d.parsed)
	}
}

// 7. The callback.
func (d *delivery) findCallback() bool {
	d.cb = d.h.cbs.Load().lookup(d.ev.Action)
	if d.cb == nil {
		d.answer(http.StatusOK, "no callback", "textus webhook: no callback for action")
		return false
	}
	d.key = d.ev.ID
	if d.key == "" {
		sum := sha256.Sum256(d.body)
		d.key = "sha256:" + hex.EncodeToString(sum[:])
	}
	return true
}

// 8. The de-duplication claim.
func (d *delivery) claim() bool {
	status, token, err := d.h.dedup.Claim(d.ctx, d.key)
	if err != nil {
		d.refuse(http.StatusServiceUnavailable, "de-duplication unavailable", err)
		return false
	}
	switch status {
	case ClaimAcquired:
		d.token = token
		return true
	case ClaimDone:
		d.duplicate()
		return false
	case ClaimInProgress:
		d.refuse(http.StatusConflict, "delivery already in progress", nil)
		return false
	}
	d.refuse(http.StatusServiceUnavailable, "de-duplication unavailable",
		fmt.Errorf("webhooks: Deduplicator.Claim returned %v", status))
	return false
}

// 9. The callback, in the request.
func (d *delivery) dispatch() {
	abort, err := call(d.ctx, d.cb, d.parsed)
	if err != nil {
		if rerr := d.h.dedup.Release(context.WithoutCancel(d.ctx), d.key, d.token); rerr != nil {
			d.log(slog.LevelError, "textus webhook: releasing the delivery failed", slog.String("error", rerr.Error()))
		}
		if abort {
			d.out.Status, d.out.Reason = 0, "callback aborted the request"
			panic(http.ErrAbortHandler)
		}
		reason := "callback failed"
		var pe *panicError
		if errors.As(err, &pe) {
			reason = "callback panicked"
		}
		d.out.Reason = reason
		d.refuseAs(http.StatusInternalServerError, "callback failed", reason, err)
		return
	}
	if err := d.h.dedup.Complete(context.WithoutCancel(d.ctx), d.key, d.token); err != nil {
		d.log(slog.LevelWarn, "textus webhook: recording the delivery as done failed", slog.String("error", err.Error()))
	}
	d.answer(http.StatusOK, "handled", "textus webhook: delivery handled")
}

// 8 (queue mode). A delivery recorded as done is not queued again. The
// Handler only peeks: the claim it may get is released at once, since the
// worker that runs the job claims the delivery itself. A Deduplicator
// that fails does not stop the delivery from being queued: the worker
// de-duplicates again.
func (d *delivery) peekDone() bool {
	status, token, err := d.h.dedup.Claim(d.ctx, d.key)
	switch {
	case err != nil:
		d.log(slog.LevelWarn, "textus webhook: de-duplication unavailable; queueing the delivery", slog.String("error", err.Error()))
	case status == ClaimDone:
		d.duplicate()
		return true
	case status == ClaimAcquired:
		if err := d.h.dedup.Release(context.WithoutCancel(d.ctx), d.key, token); err != nil {
			d.log(slog.LevelWarn, "textus webhook: releasing the delivery failed", slog.String("error", err.Error()))
		}
	}
	return false
}

// 9 (queue mode). The delivery is stored, then acknowledged.
func (d *delivery) enqueue() {
	q := d.h.queue
	job := Job{
		ID:         d.key,
		Action:     d.ev.Action,
		Body:       d.ev.Raw,
		Signature:  d.signature,
		EnqueuedAt: time.Now(), // the wall clock, not WithClock's freshness clock: job latency is measured from it
	}
	if q.orderKey != nil {
		job.OrderKey = q.orderKey(d.parsed)
	}
	if d.h.observer != nil {
		carrier := make(map[string]string)
		d.h.observer.Inject(d.ctx, carrier)
		if len(carrier) > 0 {
			job.Trace = carrier
		}
	}
	err := q.q.Enqueue(d.ctx, job)
	switch {
	case err == nil:
		d.out.Queued = true
		d.answer(http.StatusOK, "queued", "textus webhook: delivery queued")
	case errors.Is(err, ErrDuplicateJob):
		d.duplicate()
	case errors.Is(err, ErrQueueFull):
		d.w.Header().Set("Retry-After", queueRetryAfter)
		d.refuse(http.StatusServiceUnavailable, "queue full", err)
	default:
		d.w.Header().Set("Retry-After", queueRetryAfter)
		d.refuse(http.StatusServiceUnavailable, "queue unavailable", err)
	}
}

// queueRetryAfter is the Retry-After of a 503 answered because the queue
// refused a delivery, in seconds.
const queueRetryAfter = "30"

// duplicate answers a delivery already handled or already queued.
func (d *delivery) duplicate() {
	d.out.Duplicate = true
	d.out.Status, d.out.Reason = http.StatusOK, "duplicate"
	d.log(slog.LevelInfo, "textus webhook: duplicate delivery ignored", slog.Int("status", http.StatusOK))
	d.w.WriteHeader(http.StatusOK)
}

// answer writes a 2xx answer, logging it at debug level.
func (d *delivery) answer(status int, reason, msg string) {
	d.out.Status, d.out.Reason = status, reason
	if l := d.h.logger; l != nil && l.Enabled(d.ctx, slog.LevelDebug) {
		l.LogAttrs(d.ctx, slog.LevelDebug, msg, append(deliveryAttrs(d.ev), slog.Int("status", status))...)
	}
	d.w.WriteHeader(status)
}

// refuse answers with a short fixed text, which is also the reason told
// to the Observer, and logs why.
func (d *delivery) refuse(status int, text string, cause error) {
	d.refuseAs(status, text, text, cause)
}

func (d *delivery) refuseAs(status int, text, reason string, cause error) {
	d.out.Status, d.out.Reason = status, reason
	level := slog.LevelWarn
	if status >= 500 {
		level = slog.LevelError
	}
	if l := d.h.logger; l != nil && l.Enabled(d.ctx, level) {
		attrs := append(deliveryAttrs(d.ev), slog.Int("status", status))
		if cause != nil {
			attrs = append(attrs, slog.String("error", cause.Error()))
		}
		l.LogAttrs(d.ctx, level, "textus webhook: "+text, attrs...)
	}
	http.Error(d.w, text, status)
}

// log logs a decision about the delivery.
func (d *delivery) log(level slog.Level, msg string, attrs ...slog.Attr) {
	if l := d.h.logger; l != nil && l.Enabled(d.ctx, level) {
		l.LogAttrs(d.ctx, level, msg, append(deliveryAttrs(d.ev), attrs...)...)
	}
}

// recycle returns the read buffer to the pool, once nothing refers to it.
func (d *delivery) recycle() {
	if d.buf != nil {
		putReadBuffer(d.buf)
		d.buf = nil
	}
}

// canonicalSignatureHeader is SignatureHeader as net/http stores it, so
// that looking it up does not canonicalise it again.
var canonicalSignatureHeader = http.CanonicalHeaderKey(SignatureHeader)

// bodyReader is the restored request body.
type bodyReader struct{ bytes.Reader }

func (*bodyReader) Close() error { return nil }

// maxPrealloc bounds the buffer reserved on the word of Content-Length
// alone, so that slow clients announcing large bodies cannot make the
// handler reserve the full cap per connection before sending anything.
// Buffers up to this size are also the ones recycled.
const maxPrealloc = 64 << 10

// readBuffers recycles the buffers bodies are read into. A buffer goes
// back once the decoded event holds its own copy of the body.
var readBuffers sync.Pool

// getReadBuffer returns an empty buffer with room for a body of
// contentLength bytes (when known) and the read that reports its end.
func getReadBuffer(contentLength int64) *[]byte {
	want := 512
	if contentLength > 0 {
		want = int(min(contentLength, maxPrealloc)) + 1
	}
	if b, ok := readBuffers.Get().(*[]byte); ok {
		if cap(*b) >= want {
			return b
		}
		readBuffers.Put(b)
	}
	buf := make([]byte, 0, want)
	return &buf
}

func putReadBuffer(b *[]byte) {
	if cap(*b) <= maxPrealloc+1 {
		*b = (*b)[:0]
		readBuffers.Put(b)
	}
}

// errBodyTooLarge is readBody's error for a body over the cap.
var errBodyTooLarge = errors.New("webhooks: request body too large")

// readBody reads r to the end into buf, growing it as needed, and fails
// with errBodyTooLarge past max bytes.
func readBody(r io.Reader, buf []byte, max int64) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > max {
			return buf, errBodyTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// envelope returns the common fields of a value from textus.ParseEvent.
func envelope(v any) *textus.Event {
	if e, ok := v.(interface{ Envelope() *textus.Event }); ok {
		return e.Envelope()
	}
	return &textus.Event{}
}

func deliveryAttrs(ev *textus.Event) []slog.Attr {
	if ev == nil {
		return nil
	}
	return []slog.Attr{slog.String("delivery", ev.ID), slog.String("action", string(ev.Action))}
}
