package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/webhooks"
)

// Syncer handles the opt-out webhooks: it records each opt-out in the
// application's store and in TextUs, and each opt-in in the store.
type Syncer struct {
	Client *textus.Client
	Store  Store
	Logger *slog.Logger // optional
}

// Register sets the Syncer's callbacks on h.
func (s *Syncer) Register(h *webhooks.Handler) {
	h.OnContactOptedOut(s.OptedOut)
	h.OnContactOptedIn(s.OptedIn)
}

// OptedOut handles contact.opted_out. The application's own record comes
// first, so the number is blocked even if the call to TextUs fails; an
// error makes the handler answer 500, and TextUs's retry repeats both steps
// harmlessly (the store keeps the latest time, and the PUT is idempotent).
func (s *Syncer) OptedOut(ctx context.Context, e *textus.OptOutEvent) error {
	phone := e.PhoneNumber()
	if phone == "" {
		s.log("contact.opted_out without a phone number; ignored", "delivery", e.ID)
		return nil // a retry would not carry a number either
	}
	var current bool
	err := s.Store.Update(ctx, phone, func(r *Record) { current = r.apply(true, eventTime(&e.Event)) })
	if err != nil {
		return fmt.Errorf("recording the opt-out of %s: %w", phone, err)
	}
	if !current {
		// An opt-in newer than this opt-out was already recorded (deliveries
		// may arrive out of order): do not opt the number out again in TextUs.
		s.log("stale contact.opted_out; kept in the history only", "phone", phone)
		return nil
	}
	// Mirror it in TextUs, as the help centre advises: PUT
	// /:account/opt_outs/:phone_number.
	if _, err := s.Client.OptOuts.Create(ctx, phone); err != nil {
		return fmt.Errorf("recording the opt-out of %s in TextUs: %w", phone, err)
	}
	s.log("opted out", "phone", phone)
	return nil
}

// OptedIn handles contact.opted_in: the record is kept, for compliance, and
// marked as opted back in. TextUs has no opt-in call and already knows.
func (s *Syncer) OptedIn(ctx context.Context, e *textus.OptOutEvent) error {
	phone := e.PhoneNumber()
	if phone == "" {
		s.log("contact.opted_in without a phone number; ignored", "delivery", e.ID)
		return nil
	}
	var current bool
	err := s.Store.Update(ctx, phone, func(r *Record) { current = r.apply(false, eventTime(&e.Event)) })
	if err != nil {
		return fmt.Errorf("recording the opt-in of %s: %w", phone, err)
	}
	if !current {
		s.log("stale contact.opted_in; kept in the history only", "phone", phone)
		return nil
	}
	s.log("opted back in", "phone", phone)
	return nil
}

func (s *Syncer) log(msg string, args ...any) {
	if s.Logger != nil {
		s.Logger.Info(msg, args...)
	}
}

// eventTime is when the event happened: the delivery's timestamp, or now
// when it has none.
func eventTime(e *textus.Event) time.Time {
	if e.Timestamp.IsZero() {
		return time.Now()
	}
	return e.Timestamp
}

// ErrOptedOut is returned by Texter.Send for a number that opted out.
var ErrOptedOut = errors.New("the recipient has opted out of text messages")

// Texter is the application's only way to send a text: it checks the
// application's own opt-out records before it calls TextUs.
type Texter struct {
	Client *textus.Client
	Store  Store
}

// Send texts body to the number to, unless the number opted out (the error
// then matches ErrOptedOut and TextUs is not called). If the store cannot
// be read, nothing is sent. A send whose outcome is unknown is reported,
// never repeated.
func (t *Texter) Send(ctx context.Context, to, body string) (*textus.Message, error) {
	phone, err := textus.NormalizePhone(to)
	if err != nil {
		return nil, err
	}
	rec, ok, err := t.Store.Get(ctx, phone)
	if err != nil {
		return nil, fmt.Errorf("checking the opt-out records, so not sending: %w", err)
	}
	if ok && rec.OptedOut {
		return nil, fmt.Errorf("%w: %s", ErrOptedOut, phone)
	}
	m, err := t.Client.Messages.Send(ctx, &textus.SendMessageParams{To: phone, Body: body})
	if errors.Is(err, textus.ErrOutcomeUnknown) {
		// TextUs may have sent it. Sending again could text the person
		// twice: report it and let someone check the conversation.
		return nil, fmt.Errorf("the text to %s may or may not have been sent; it will not be sent again: %w", phone, err)
	}
	if err != nil {
		return nil, fmt.Errorf("texting %s: %w", phone, err)
	}
	return m, nil
}
