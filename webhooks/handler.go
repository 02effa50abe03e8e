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
//  3. The raw body is read once; r.Body is then replaced by a reader over
//     the same bytes, so anything that reads it afterwards (a wrapping
//     middleware) still can.
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
// Error answers are short fixed texts; they never contain the body, a
// secret or a signature. Because TextUs's request timeout is undocumented,
// keep callbacks fast: record or enqueue the event and return.
type Handler struct {
	keys      []*signingKey
	maxBody   int64
	tolerance time.Duration
	now       func() time.Time
	dedup     Deduplicator
	logger    *slog.Logger

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
	h := &Handler{
		maxBody:   s.maxBody,
		tolerance: s.tolerance,
		now:       s.now,
		dedup:     s.dedup,
		logger:    s.logger,
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
// status codes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.refuse(ctx, w, http.StatusMethodNotAllowed, "method not allowed", nil)
		return
	}
	if r.ContentLength > h.maxBody {
		h.refuse(ctx, w, http.StatusRequestEntityTooLarge, "request body too large", nil)
		return
	}
	src := r.Body
	if src == nil {
		src = http.NoBody
	}
	body, err := readBody(http.MaxBytesReader(w, src, h.maxBody), r.ContentLength)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			h.refuse(ctx, w, http.StatusRequestEntityTooLarge, "request body too large", nil)
			return
		}
		h.refuse(ctx, w, http.StatusBadRequest, "could not read request body", nil)
		return
	}
	r.Body = &bodyReader{Reader: bytes.NewReader(body)}

	if err := h.verify(body, r.Header.Get(SignatureHeader)); err != nil {
		msg := "invalid signature"
		if errors.Is(err, ErrMissingSignature) {
			msg = "missing signature"
		}
		h.refuse(ctx, w, http.StatusUnauthorized, msg, err)
		return
	}

	// Decoded once: the freshness check reads the timestamp of the parsed
	// envelope, and a body that cannot be parsed has no timestamp, so the
	// observable order is the documented one (freshness, then parse).
	parsed, perr := textus.ParseEvent(body)
	var ev *textus.Event
	if perr == nil {
		ev = envelope(parsed)
	}
	if h.tolerance > 0 {
		var ts time.Time
		if ev != nil {
			ts = ev.Timestamp
		}
		if err := CheckTimestamp(ts, h.tolerance, h.now()); err != nil {
			h.refuse(ctx, w, http.StatusForbidden, "delivery timestamp outside tolerance", err, deliveryAttrs(ev)...)
			return
		}
	}
	if perr != nil {
		h.refuse(ctx, w, http.StatusBadRequest, "body is not a JSON object", nil)
		return
	}

	cbs := h.cbs.Load()
	if cbs == nil || !cbs.has(parsed) {
		h.debug(ctx, "textus webhook: no callback for action", ev, http.StatusOK)
		w.WriteHeader(http.StatusOK)
		return
	}

	key := ev.ID
	if key == "" {
		sum := sha256.Sum256(body)
		key = "sha256:" + hex.EncodeToString(sum[:])
	}
	status, token, err := h.dedup.Claim(ctx, key)
	if err != nil {
		h.refuse(ctx, w, http.StatusServiceUnavailable, "de-duplication unavailable", err, deliveryAttrs(ev)...)
		return
	}
	switch status {
	case ClaimAcquired:
	case ClaimDone:
		h.log(ctx, slog.LevelInfo, "textus webhook: duplicate delivery ignored", append(deliveryAttrs(ev), slog.Int("status", http.StatusOK))...)
		w.WriteHeader(http.StatusOK)
		return
	case ClaimInProgress:
		h.refuse(ctx, w, http.StatusConflict, "delivery already in progress", nil, deliveryAttrs(ev)...)
		return
	default:
		h.refuse(ctx, w, http.StatusServiceUnavailable, "de-duplication unavailable",
			fmt.Errorf("webhooks: Deduplicator.Claim returned %v", status), deliveryAttrs(ev)...)
		return
	}

	abort, cbErr := cbs.call(ctx, parsed)
	if cbErr != nil {
		if rerr := h.dedup.Release(context.WithoutCancel(ctx), key, token); rerr != nil {
			h.log(ctx, slog.LevelError, "textus webhook: releasing the delivery failed", append(deliveryAttrs(ev), slog.String("error", rerr.Error()))...)
		}
		if abort {
			panic(http.ErrAbortHandler)
		}
		h.refuse(ctx, w, http.StatusInternalServerError, "callback failed", cbErr, deliveryAttrs(ev)...)
		return
	}
	if err := h.dedup.Complete(context.WithoutCancel(ctx), key, token); err != nil {
		h.log(ctx, slog.LevelWarn, "textus webhook: recording the delivery as done failed", append(deliveryAttrs(ev), slog.String("error", err.Error()))...)
	}
	h.debug(ctx, "textus webhook: delivery handled", ev, http.StatusOK)
	w.WriteHeader(http.StatusOK)
}

// bodyReader is the restored request body.
type bodyReader struct{ *bytes.Reader }

func (*bodyReader) Close() error { return nil }

// maxPrealloc bounds the buffer reserved on the word of Content-Length
// alone, so that slow clients announcing large bodies cannot make the
// handler reserve the full cap per connection before sending anything.
const maxPrealloc = 64 << 10

// readBody reads r to the end, sizing its buffer from the request's
// Content-Length when known so that a typical delivery is one allocation.
func readBody(r io.Reader, contentLength int64) ([]byte, error) {
	size := 512
	if contentLength > 0 {
		size = int(min(contentLength, maxPrealloc)) + 1 // room for the read that reports EOF
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
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

// refuse answers a request with a short fixed text and logs why.
func (h *Handler) refuse(ctx context.Context, w http.ResponseWriter, status int, text string, cause error, attrs ...slog.Attr) {
	level := slog.LevelWarn
	if status >= 500 {
		level = slog.LevelError
	}
	if h.logger != nil && h.logger.Enabled(ctx, level) {
		attrs = append(attrs, slog.Int("status", status))
		if cause != nil {
			attrs = append(attrs, slog.String("error", cause.Error()))
		}
		h.logger.LogAttrs(ctx, level, "textus webhook: "+text, attrs...)
	}
	http.Error(w, text, status)
}

func (h *Handler) log(ctx context.Context, level slog.Level, msg string, attrs ...slog.Attr) {
	if h.logger != nil && h.logger.Enabled(ctx, level) {
		h.logger.LogAttrs(ctx, level, msg, attrs...)
	}
}

// debug logs a handled delivery without building anything when debug
// logging is off (it is on the hot path).
func (h *Handler) debug(ctx context.Context, msg string, ev *textus.Event, status int) {
	if h.logger != nil && h.logger.Enabled(ctx, slog.LevelDebug) {
		h.logger.LogAttrs(ctx, slog.LevelDebug, msg, append(deliveryAttrs(ev), slog.Int("status", status))...)
	}
}
