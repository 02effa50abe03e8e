package textustest

import (
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"time"

	"github.com/textus-go/textus"
)

// SampleOptions describes the delivery SampleDelivery builds. The zero
// value is valid: every empty field takes its default.
type SampleOptions struct {
	// Phone is the contact's number: the conversation's phoneNumber, the
	// opt-out's number, the new contact's phone. Any form the server
	// accepts; default "+13035551234".
	Phone string
	// Body is the message text of message events. The default is a
	// sample reply for message.received and a sample outbound text for
	// the other message events.
	Body string
	// Account is the account slug (default DefaultAccount).
	Account string
	// AccountPhone is the account's own number (default
	// DefaultPhoneNumber).
	AccountPhone string
	// Webhook is the IRI of the subscription that sends the delivery,
	// "/integrations/<id>". Default: a fresh one for each call; pass the
	// webHook of a first sample to make several look like one
	// subscription's.
	Webhook string
	// Time is when the event happened: the envelope's timestamp and the
	// resources' times (default: now).
	Time time.Time
}

// Sample texts of message events.
const (
	sampleInbound  = "Yes, 3pm works for me."
	sampleOutbound = "Hi Jordan, are you free for a call at 3pm tomorrow?"
)

// SampleDelivery returns the JSON body of a realistic webhook delivery of
// action, exactly as a Server delivers the event (and as TextUs sends it,
// textus-webhooks.md §3): a WebhookDelivery envelope (OptOutWebhookDelivery
// for opt-out and opt-in) with a fresh id under the subscription's IRI,
// the timestamp, the action and webHook, and the event's resources:
//
//   - message.received, message.delivered, message.failed and
//     message.unknown: the conversation with Phone and the message, inbound
//     for message.received ("received"), outbound otherwise, in the state
//     the action names;
//   - contact.opted_out and contact.opted_in: the optOut, with type
//     "opt-out" or "opt-in";
//   - contact.created: the contact, "Jordan Lee" with Phone as a mobile
//     number;
//   - phone_call.completed: the conversation and a completed inbound
//     phoneCall.
//
// Hyphenated aliases ("contact.opted-out") name the same events. The body
// is not signed: post it with webhooks.Sign(secret, body) in the
// X-TextUs-Signature header, as the textus trigger command does. An action
// with no sample, or an option that is not a valid value (a phone number,
// an account slug, an /integrations/ IRI), is an error.
func SampleDelivery(action textus.EventType, opts SampleOptions) ([]byte, error) {
	action = textus.NormalizeEventType(string(action))
	bad := func(format string, args ...any) error {
		return fmt.Errorf("textustest: SampleDelivery: "+format, args...)
	}
	cfg := defaultConfig()
	cfg.seed = mrand.Int64() // samples differ
	if opts.Account != "" {
		if !validSlug(opts.Account) {
			return nil, bad("Account %q is not a valid account slug", opts.Account)
		}
		cfg.account = opts.Account
	}
	var err error
	if opts.AccountPhone != "" {
		if cfg.phone, err = parseE164(opts.AccountPhone); err != nil {
			return nil, bad("AccountPhone: %w", err)
		}
	}
	num := "+13035551234"
	if opts.Phone != "" {
		if num, err = parseE164(opts.Phone); err != nil {
			return nil, bad("Phone: %w", err)
		}
	}
	// A server that is never started holds the event's records.
	s := &Server{cfg: cfg}
	s.resetState()
	s.userSlug = s.newSlug()
	hook := opts.Webhook
	if hook == "" {
		hook = "/integrations/" + s.newSlug()
	} else if id, ok := strings.CutPrefix(hook, "/integrations/"); !ok || id == "" || strings.ContainsAny(id, "/?#") {
		return nil, bad("Webhook %q is not an /integrations/<id> IRI", hook)
	}
	t := now()
	if !opts.Time.IsZero() {
		t = opts.Time.UTC().Truncate(time.Millisecond)
	}

	// The event's records, made as the server makes them, at time t.
	c := s.addContactLocked("Jordan Lee", []*contactPhone{{e164: num, typ: "Mobile"}}, map[string]any{"businessName": "Acme Staffing"})
	c.createdAt = t
	cv := s.conversationLocked(num, true)
	cv.createdAt = t
	env := newEnvelope(action, hook, t)
	switch action {
	case textus.EventMessageReceived, textus.EventMessageDelivered, textus.EventMessageFailed, textus.EventMessageUnknown:
		m := &message{
			slug: s.newSlug(), conv: cv, direction: "out", body: sampleOutbound,
			state: strings.TrimPrefix(string(action), "message."), flags: []string{},
			createdAt: t, latestAt: t, seq: s.nextSeq(),
		}
		if action == textus.EventMessageReceived {
			m.direction, m.body = "in", sampleInbound
			cv.read = false // as ReceiveMessage leaves it
		}
		if opts.Body != "" {
			m.body = opts.Body
		}
		cv.messages = append(cv.messages, m)
		s.fillMessage(env, m)
	case textus.EventContactOptedOut, textus.EventContactOptedIn:
		o := &optOut{phone: num, createdAt: t, updatedAt: t, via: "Keyword", active: action == textus.EventContactOptedOut}
		s.fillOptOut(env, o)
	case textus.EventContactCreated:
		s.fillContact(env, c)
	case textus.EventPhoneCallCompleted:
		pc := &phoneCall{slug: s.newSlug(), conv: cv, direction: "in", status: "completed", duration: 42 * time.Second, createdAt: t}
		s.fillPhoneCall(env, pc)
	default:
		return nil, bad("no sample for event %q; want one of %v", action, textus.AllEvents())
	}
	return marshalJSON(env)
}
