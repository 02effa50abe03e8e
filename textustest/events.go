package textustest

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/internal/phone"
)

// Event emission. Every emit* function runs with s.mu held, so events of
// one conversation are queued in the order they happened.

// emit queues one delivery of an event to each active subscription of
// action. build fills the event's resources into the envelope.
func (s *Server) emit(action textus.EventType, key string, build func(*wireDelivery)) {
	if s.closed {
		return
	}
	t := now()
	for _, in := range s.integOrder {
		if !in.active || !in.actions[string(action)] {
			continue
		}
		hook := "/integrations/" + in.slug
		env := &wireDelivery{
			Type:      "WebhookDelivery",
			Context:   "/contexts/WebhookDelivery.jsonld",
			ID:        hook + "/deliveries/" + newUUID(),
			Timestamp: ts(t),
			Action:    string(action),
			WebHook:   hook,
		}
		build(env)
		body, err := marshalJSON(env)
		if err != nil {
			continue // the wire structs always marshal
		}
		s.hooks.enqueue(&Delivery{
			ID:        env.ID,
			Webhook:   hook,
			URL:       in.baseURL,
			Action:    action,
			Key:       key,
			Body:      body,
			Signature: sign(in.secret, body),
		})
	}
}

func (s *Server) emitMessage(action textus.EventType, m *message) {
	s.emit(action, m.conv.phone, func(env *wireDelivery) {
		env.Conversation = s.wireConversation(m.conv, false)
		env.Message = s.wireMessage(m)
	})
}

func (s *Server) emitOpt(action textus.EventType, o *optOut) {
	kind := "opt-out"
	if action == textus.EventContactOptedIn {
		kind = "opt-in"
	}
	s.emit(action, o.phone, func(env *wireDelivery) {
		env.OptOut = &wireHookOptOut{
			Type:                 "OptOut",
			ID:                   "/textus/opt_outs/" + o.phone,
			Kind:                 kind,
			PhoneNumber:          o.phone,
			FormattedPhoneNumber: phone.Display(o.phone),
			Account:              s.accountIRI(),
		}
	})
}

func (s *Server) emitContactCreated(c *contact) {
	key := c.iri()
	if len(c.phones) > 0 {
		key = c.phones[0].e164
	}
	s.emit(textus.EventContactCreated, key, func(env *wireDelivery) {
		env.Contact = s.wireContact(c)
	})
}

// settleLocked moves a queued outbound message to its final state and
// fires message.delivered or message.failed.
func (s *Server) settleLocked(m *message) {
	if m.state != "queued" {
		return
	}
	m.latestAt = now()
	if s.undeliverable[m.conv.phone] {
		m.state = "failed"
		s.emitMessage(textus.EventMessageFailed, m)
		return
	}
	m.state = "delivered"
	s.emitMessage(textus.EventMessageDelivered, m)
}

// scheduleSettleLocked settles m now, or after the delivery delay.
func (s *Server) scheduleSettleLocked(m *message) {
	if s.cfg.deliveryDelay <= 0 {
		s.settleLocked(m)
		return
	}
	s.hooks.idle.add()
	var t *time.Timer
	t = time.AfterFunc(s.cfg.deliveryDelay, func() {
		s.mu.Lock()
		delete(s.timers, t)
		if !s.closed {
			s.settleLocked(m)
		}
		s.mu.Unlock()
		s.hooks.idle.done()
	})
	s.timers[t] = true
}

// webhookResult records a subscription's health: a delivery given up on
// marks it unhealthy, a successful one healthy again.
func (s *Server) webhookResult(d *Delivery, delivered bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, in := range s.integOrder {
		if "/integrations/"+in.slug == d.Webhook {
			in.healthy = delivered
		}
	}
}

func newUUID() string {
	b := []byte(randomHex(16))
	// Version 4, variant 10xx.
	b[12] = '4'
	b[16] = "89ab"[b[16]%4]
	return string(b[0:8]) + "-" + string(b[8:12]) + "-" + string(b[12:16]) + "-" + string(b[16:20]) + "-" + string(b[20:32])
}

// marshalJSON encodes v without HTML escaping and without the trailing
// newline json.Encoder adds.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
