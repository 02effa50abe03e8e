package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"

	"github.com/textus-go/textus"
)

// callbacks is an immutable table of registered callbacks; registration
// replaces the whole table, so serving reads it with one atomic load.
type callbacks struct {
	messageReceived    func(context.Context, *textus.MessageEvent) error
	messageDelivered   func(context.Context, *textus.MessageEvent) error
	messageFailed      func(context.Context, *textus.MessageEvent) error
	messageUnknown     func(context.Context, *textus.MessageEvent) error
	phoneCallCompleted func(context.Context, *textus.PhoneCallEvent) error
	contactOptedOut    func(context.Context, *textus.OptOutEvent) error
	contactOptedIn     func(context.Context, *textus.OptOutEvent) error
	contactCreated     func(context.Context, *textus.ContactEvent) error
	unknownEvent       func(context.Context, *textus.Event) error
}

func (h *Handler) update(f func(*callbacks)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var c callbacks
	if cur := h.cbs.Load(); cur != nil {
		c = *cur
	}
	f(&c)
	h.cbs.Store(&c)
}

// OnMessageReceived sets the callback for message.received: an inbound
// message from a contact arrived. A nil fn removes the callback. The same
// applies to every On method.
func (h *Handler) OnMessageReceived(fn func(context.Context, *textus.MessageEvent) error) {
	h.update(func(c *callbacks) { c.messageReceived = fn })
}

// OnMessageDelivered sets the callback for message.delivered: an outbound
// message was delivered.
func (h *Handler) OnMessageDelivered(fn func(context.Context, *textus.MessageEvent) error) {
	h.update(func(c *callbacks) { c.messageDelivered = fn })
}

// OnMessageFailed sets the callback for message.failed: an outbound message
// could not be delivered.
func (h *Handler) OnMessageFailed(fn func(context.Context, *textus.MessageEvent) error) {
	h.update(func(c *callbacks) { c.messageFailed = fn })
}

// OnMessageUnknown sets the callback for message.unknown: an outbound
// message failed for an unknown reason.
func (h *Handler) OnMessageUnknown(fn func(context.Context, *textus.MessageEvent) error) {
	h.update(func(c *callbacks) { c.messageUnknown = fn })
}

// OnPhoneCallCompleted sets the callback for phone_call.completed.
func (h *Handler) OnPhoneCallCompleted(fn func(context.Context, *textus.PhoneCallEvent) error) {
	h.update(func(c *callbacks) { c.phoneCallCompleted = fn })
}

// OnContactOptedOut sets the callback for contact.opted_out (also sent as
// contact.opted-out): a contact opted out of text messages. Mirror it with
// Client.OptOuts.Create; e.PhoneNumber() is the number.
func (h *Handler) OnContactOptedOut(fn func(context.Context, *textus.OptOutEvent) error) {
	h.update(func(c *callbacks) { c.contactOptedOut = fn })
}

// OnContactOptedIn sets the callback for contact.opted_in (also sent as
// contact.opted-in): a contact opted back in.
func (h *Handler) OnContactOptedIn(fn func(context.Context, *textus.OptOutEvent) error) {
	h.update(func(c *callbacks) { c.contactOptedIn = fn })
}

// OnContactCreated sets the callback for contact.created.
func (h *Handler) OnContactCreated(fn func(context.Context, *textus.ContactEvent) error) {
	h.update(func(c *callbacks) { c.contactCreated = fn })
}

// OnUnknownEvent sets the fallback for deliveries whose action the SDK does
// not know (a new event, or none): it receives the envelope, whose Raw
// field holds the whole delivery. Known actions without a callback do not
// reach it. Without a fallback such deliveries are answered 200 OK.
func (h *Handler) OnUnknownEvent(fn func(context.Context, *textus.Event) error) {
	h.update(func(c *callbacks) { c.unknownEvent = fn })
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

// Listen registers every method of l as the callback of its event,
// replacing the callbacks registered before. Since every event then has a
// callback, every delivery is de-duplicated and acknowledged only after l
// returns. Listen(nil) removes all callbacks.
func (h *Handler) Listen(l Listener) {
	h.update(func(c *callbacks) {
		if l == nil {
			*c = callbacks{}
			return
		}
		*c = callbacks{
			messageReceived:    l.MessageReceived,
			messageDelivered:   l.MessageDelivered,
			messageFailed:      l.MessageFailed,
			messageUnknown:     l.MessageUnknown,
			phoneCallCompleted: l.PhoneCallCompleted,
			contactOptedOut:    l.ContactOptedOut,
			contactOptedIn:     l.ContactOptedIn,
			contactCreated:     l.ContactCreated,
			unknownEvent:       l.UnknownEvent,
		}
	})
}

func (c *callbacks) message(a textus.EventType) func(context.Context, *textus.MessageEvent) error {
	switch a {
	case textus.EventMessageReceived:
		return c.messageReceived
	case textus.EventMessageDelivered:
		return c.messageDelivered
	case textus.EventMessageFailed:
		return c.messageFailed
	case textus.EventMessageUnknown:
		return c.messageUnknown
	}
	return nil
}

func (c *callbacks) optOut(a textus.EventType) func(context.Context, *textus.OptOutEvent) error {
	switch a {
	case textus.EventContactOptedOut:
		return c.contactOptedOut
	case textus.EventContactOptedIn:
		return c.contactOptedIn
	}
	return nil
}

// has reports whether a callback is registered for ev.
func (c *callbacks) has(ev any) bool {
	switch e := ev.(type) {
	case *textus.MessageEvent:
		return c.message(e.Action) != nil
	case *textus.OptOutEvent:
		return c.optOut(e.Action) != nil
	case *textus.ContactEvent:
		return c.contactCreated != nil
	case *textus.PhoneCallEvent:
		return c.phoneCallCompleted != nil
	case *textus.Event:
		return c.unknownEvent != nil
	}
	return false
}

// call runs the callback for ev, turning a panic into an error. abort
// reports a panic with http.ErrAbortHandler, which the caller re-raises.
func (c *callbacks) call(ctx context.Context, ev any) (abort bool, err error) {
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
	switch e := ev.(type) {
	case *textus.MessageEvent:
		if fn := c.message(e.Action); fn != nil {
			return false, fn(ctx, e)
		}
	case *textus.OptOutEvent:
		if fn := c.optOut(e.Action); fn != nil {
			return false, fn(ctx, e)
		}
	case *textus.ContactEvent:
		if c.contactCreated != nil {
			return false, c.contactCreated(ctx, e)
		}
	case *textus.PhoneCallEvent:
		if c.phoneCallCompleted != nil {
			return false, c.phoneCallCompleted(ctx, e)
		}
	case *textus.Event:
		if c.unknownEvent != nil {
			return false, c.unknownEvent(ctx, e)
		}
	}
	return false, nil
}

// panicError is a callback panic turned into an error.
type panicError struct {
	value any
	stack []byte
}

func (p *panicError) Error() string {
	return fmt.Sprintf("webhooks: callback panicked: %v\n%s", p.value, p.stack)
}
