package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"

	"github.com/textus-go/textus"
)

// callback is a registered callback: it runs the user's function with a
// decoded event of the type that function takes.
type callback interface {
	call(ctx context.Context, ev any) error
}

// typedCallback adapts a callback taking one event type to the table.
type typedCallback[E any] func(context.Context, E) error

func (f typedCallback[E]) call(ctx context.Context, ev any) error {
	e, ok := ev.(E)
	if !ok {
		var want E
		return fmt.Errorf("webhooks: a callback for %T was given a %T", want, ev)
	}
	return f(ctx, e)
}

// callbacks is the dispatch table: the callback of each known action
// (textus.EventType.Known) and the fallback for the others. It is
// immutable; registration replaces the whole table, so serving reads it
// with one atomic load.
type callbacks struct {
	byAction map[textus.EventType]callback
	unknown  callback
}

// lookup returns the callback for a delivery's action, or nil when none
// is registered.
func (c *callbacks) lookup(action textus.EventType) callback {
	if c == nil {
		return nil
	}
	if cb, ok := c.byAction[action]; ok {
		return cb
	}
	if action.Known() {
		return nil
	}
	return c.unknown
}

// update replaces the table with a copy changed by f.
func (h *Handler) update(f func(*callbacks)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := callbacks{byAction: make(map[textus.EventType]callback)}
	if cur := h.cbs.Load(); cur != nil {
		for a, cb := range cur.byAction {
			c.byAction[a] = cb
		}
		c.unknown = cur.unknown
	}
	f(&c)
	h.cbs.Store(&c)
}

// on registers fn as the callback of action; a nil fn removes it.
func on[E any](h *Handler, action textus.EventType, fn func(context.Context, E) error) {
	h.update(func(c *callbacks) {
		if fn == nil {
			delete(c.byAction, action)
			return
		}
		c.byAction[action] = typedCallback[E](fn)
	})
}

// OnMessageReceived sets the callback for message.received: an inbound
// message from a contact arrived. A nil fn removes the callback. The same
// applies to every On method.
func (h *Handler) OnMessageReceived(fn func(context.Context, *textus.MessageEvent) error) {
	on(h, textus.EventMessageReceived, fn)
}

// OnMessageDelivered sets the callback for message.delivered: an outbound
// message was delivered.
func (h *Handler) OnMessageDelivered(fn func(context.Context, *textus.MessageEvent) error) {
	on(h, textus.EventMessageDelivered, fn)
}

// OnMessageFailed sets the callback for message.failed: an outbound message
// could not be delivered.
func (h *Handler) OnMessageFailed(fn func(context.Context, *textus.MessageEvent) error) {
	on(h, textus.EventMessageFailed, fn)
}

// OnMessageUnknown sets the callback for message.unknown: an outbound
// message failed for an unknown reason.
func (h *Handler) OnMessageUnknown(fn func(context.Context, *textus.MessageEvent) error) {
	on(h, textus.EventMessageUnknown, fn)
}

// OnPhoneCallCompleted sets the callback for phone_call.completed.
func (h *Handler) OnPhoneCallCompleted(fn func(context.Context, *textus.PhoneCallEvent) error) {
	on(h, textus.EventPhoneCallCompleted, fn)
}

// OnContactOptedOut sets the callback for contact.opted_out (also sent as
// contact.opted-out): a contact opted out of text messages. Mirror it with
// Client.OptOuts.Create; e.PhoneNumber() is the number.
func (h *Handler) OnContactOptedOut(fn func(context.Context, *textus.OptOutEvent) error) {
	on(h, textus.EventContactOptedOut, fn)
}

// OnContactOptedIn sets the callback for contact.opted_in (also sent as
// contact.opted-in): a contact opted back in.
func (h *Handler) OnContactOptedIn(fn func(context.Context, *textus.OptOutEvent) error) {
	on(h, textus.EventContactOptedIn, fn)
}

// OnContactCreated sets the callback for contact.created.
func (h *Handler) OnContactCreated(fn func(context.Context, *textus.ContactEvent) error) {
	on(h, textus.EventContactCreated, fn)
}

// OnUnknownEvent sets the fallback for deliveries whose action the SDK does
// not know (a new event, or none): it receives the envelope, whose Raw
// field holds the whole delivery. Known actions without a callback do not
// reach it. Without a fallback such deliveries are answered 200 OK.
func (h *Handler) OnUnknownEvent(fn func(context.Context, *textus.Event) error) {
	h.update(func(c *callbacks) {
		c.unknown = nil
		if fn != nil {
			c.unknown = typedCallback[*textus.Event](fn)
		}
	})
}

// Listener receives every kind of delivery through one value. Embed
// NopListener to implement only the methods you need:
//
//	type hooks struct {
//		webhooks.NopListener
//		db *sql.DB
//	}
//
//	func (l hooks) ContactOptedOut(ctx context.Context, e *textus.OptOutEvent) error {
//		return markOptedOut(ctx, l.db, e.PhoneNumber())
//	}
//
// Each method has the meaning of the matching On method of Handler.
type Listener interface {
	// MessageReceived handles message.received.
	MessageReceived(context.Context, *textus.MessageEvent) error
	// MessageDelivered handles message.delivered.
	MessageDelivered(context.Context, *textus.MessageEvent) error
	// MessageFailed handles message.failed.
	MessageFailed(context.Context, *textus.MessageEvent) error
	// MessageUnknown handles message.unknown.
	MessageUnknown(context.Context, *textus.MessageEvent) error
	// PhoneCallCompleted handles phone_call.completed.
	PhoneCallCompleted(context.Context, *textus.PhoneCallEvent) error
	// ContactOptedOut handles contact.opted_out.
	ContactOptedOut(context.Context, *textus.OptOutEvent) error
	// ContactOptedIn handles contact.opted_in.
	ContactOptedIn(context.Context, *textus.OptOutEvent) error
	// ContactCreated handles contact.created.
	ContactCreated(context.Context, *textus.ContactEvent) error
	// UnknownEvent handles deliveries with an action the SDK does not know.
	UnknownEvent(context.Context, *textus.Event) error
}

// NopListener implements Listener with methods that do nothing and return
// nil. Embed it in your listener and override what you need.
type NopListener struct{}

var _ Listener = NopListener{}

// MessageReceived returns nil.
func (NopListener) MessageReceived(context.Context, *textus.MessageEvent) error { return nil }

// MessageDelivered returns nil.
func (NopListener) MessageDelivered(context.Context, *textus.MessageEvent) error { return nil }

// MessageFailed returns nil.
func (NopListener) MessageFailed(context.Context, *textus.MessageEvent) error { return nil }

// MessageUnknown returns nil.
func (NopListener) MessageUnknown(context.Context, *textus.MessageEvent) error { return nil }

// PhoneCallCompleted returns nil.
func (NopListener) PhoneCallCompleted(context.Context, *textus.PhoneCallEvent) error { return nil }

// ContactOptedOut returns nil.
func (NopListener) ContactOptedOut(context.Context, *textus.OptOutEvent) error { return nil }

// ContactOptedIn returns nil.
func (NopListener) ContactOptedIn(context.Context, *textus.OptOutEvent) error { return nil }

// ContactCreated returns nil.
func (NopListener) ContactCreated(context.Context, *textus.ContactEvent) error { return nil }

// UnknownEvent returns nil.
func (NopListener) UnknownEvent(context.Context, *textus.Event) error { return nil }

// listenerMethods is the Listener method of each known action.
var listenerMethods = map[textus.EventType]func(Listener) callback{
	textus.EventMessageReceived:    func(l Listener) callback { return typedCallback[*textus.MessageEvent](l.MessageReceived) },
	textus.EventMessageDelivered:   func(l Listener) callback { return typedCallback[*textus.MessageEvent](l.MessageDelivered) },
	textus.EventMessageFailed:      func(l Listener) callback { return typedCallback[*textus.MessageEvent](l.MessageFailed) },
	textus.EventMessageUnknown:     func(l Listener) callback { return typedCallback[*textus.MessageEvent](l.MessageUnknown) },
	textus.EventPhoneCallCompleted: func(l Listener) callback { return typedCallback[*textus.PhoneCallEvent](l.PhoneCallCompleted) },
	textus.EventContactOptedOut:    func(l Listener) callback { return typedCallback[*textus.OptOutEvent](l.ContactOptedOut) },
	textus.EventContactOptedIn:     func(l Listener) callback { return typedCallback[*textus.OptOutEvent](l.ContactOptedIn) },
	textus.EventContactCreated:     func(l Listener) callback { return typedCallback[*textus.ContactEvent](l.ContactCreated) },
}

// Listen registers every method of l as the callback of its event,
// replacing the callbacks registered before. Since every event then has a
// callback, every delivery is de-duplicated and acknowledged only after l
// returns. Listen(nil) removes all callbacks.
func (h *Handler) Listen(l Listener) {
	h.update(func(c *callbacks) {
		clear(c.byAction)
		c.unknown = nil
		if l == nil {
			return
		}
		for action, method := range listenerMethods {
			c.byAction[action] = method(l)
		}
		c.unknown = typedCallback[*textus.Event](l.UnknownEvent)
	})
}

// call runs cb with ev, turning a panic into an error. abort reports a
// panic with http.ErrAbortHandler, which a request's caller re-raises.
func call(ctx context.Context, cb callback, ev any) (abort bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				abort, err = true, errors.New("webhooks: callback aborted the request")
				return
			}
			buf := make([]byte, 4096)
			buf = buf[:runtime.Stack(buf, false)]
			err = &panicError{value: p, stack: buf}
		}
	}()
	return false, cb.call(ctx, ev)
}

// panicError is a callback panic turned into an error.
type panicError struct {
	value any
	stack []byte
}

func (p *panicError) Error() string {
	return fmt.Sprintf("webhooks: callback panicked: %v\n%s", p.value, p.stack)
}
