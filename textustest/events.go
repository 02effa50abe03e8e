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
// action. fill puts the event's resources into the envelope.
func (s *Server) emit(action textus.EventType, key string, fill func(*wireDelivery)) {
	if s.closed {
		return
	}
	s.ui.webhookEvent(action, key)
	t := now()
	for _, in := range s.integOrder {
		if !in.active || !in.actions[string(action)] {
			continue
		}
		env := newEnvelope(action, "/integrations/"+in.slug, t)
		fill(env)
		body, err := marshalJSON(env)
		if err != nil {
			continue // the wire structs always marshal
		}
		s.hooks.enqueue(&Delivery{
			ID:        env.ID,
			Webhook:   env.WebHook,
			URL:       in.baseURL,
			Action:    action,
			Key:       key,
			Body:      body,
			Signature: sign(in.secret, body),
		})
	}
}

// newEnvelope starts a delivery of action, made at t by the subscription
// whose IRI is hook, with a fresh id. Opt-out and opt-in deliveries are
// typed OptOutWebhookDelivery (textus-webhooks.md §3.4).
func newEnvelope(action textus.EventType, hook string, t time.Time) *wireDelivery {
	env := &wireDelivery{
		Type:      "WebhookDelivery",
		Context:   "/contexts/WebhookDelivery.jsonld",
		ID:        hook + "/deliveries/" + newUUID(),
		Timestamp: ts(t),
		Action:    string(action),
		WebHook:   hook,
	}
	if action == textus.EventContactOptedOut || action == textus.EventContactOptedIn {
		env.Type = "OptOutWebhookDelivery"
	}
	return env
}

// The fill* methods put an event's resources into its envelope, for the
// deliveries of a Server and for SampleDelivery alike.

// fillMessage is for message.* events: the conversation and the message.
func (s *Server) fillMessage(env *wireDelivery, m *message) {
	env.Conversation = s.wireConversation(m.conv, false)
	env.Message = s.wireMessage(m)
}

// fillOptOut is for contact.opted_out and contact.opted_in.
func (s *Server) fillOptOut(env *wireDelivery, o *optOut) {
	kind := "opt-out"
	if env.Action == string(textus.EventContactOptedIn) {
		kind = "opt-in"
	}
	env.OptOut = &wireHookOptOut{
		Type:                 "OptOut",
		ID:                   "/textus/opt_outs/" + o.phone,
		Kind:                 kind,
		PhoneNumber:          o.phone,
		FormattedPhoneNumber: phone.Display(o.phone),
		Account:              s.accountIRI(),
	}
}

// fillContact is for contact.created.
func (s *Server) fillContact(env *wireDelivery, c *contact) {
	env.Contact = s.wireContact(c)
}

// fillPhoneCall is for phone_call.completed: the conversation and the call.
func (s *Server) fillPhoneCall(env *wireDelivery, pc *phoneCall) {
	env.Conversation = s.wireConversation(pc.conv, false)
	env.PhoneCall = s.wirePhoneCall(pc)
}

func (s *Server) emitMessage(action textus.EventType, m *message) {
	s.emit(action, m.conv.phone, func(env *wireDelivery) { s.fillMessage(env, m) })
}

func (s *Server) emitOpt(action textus.EventType, o *optOut) {
	s.emit(action, o.phone, func(env *wireDelivery) { s.fillOptOut(env, o) })
}

func (s *Server) emitContactCreated(c *contact) {
	key := c.iri()
	if len(c.phones) > 0 {
		key = c.phones[0].e164
	}
	s.emit(textus.EventContactCreated, key, func(env *wireDelivery) { s.fillContact(env, c) })
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
