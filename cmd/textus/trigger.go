package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/internal/phone"
	"github.com/textus-go/textus/webhooks"
)

// The fake account number used in sample deliveries (a 555-01xx number,
// reserved for fiction).
const (
	sampleAccountPhone          = "+13035550100"
	sampleFormattedAccountPhone = "(303) 555-0100"
)

func triggerCommand() *command {
	return &command{
		name:     "trigger",
		summary:  "Send a signed sample webhook delivery to a URL",
		synopsis: "EVENT|all --url URL --secret SECRET [--phone PHONE] [--body TEXT] [flags]",
		desc: "Posts a realistic sample delivery of EVENT to URL, signed with SECRET exactly as\n" +
			"TextUs signs it (hex HMAC-SHA256 of the body in the X-TextUs-Signature header), with\n" +
			"a fresh delivery id and the current time, and prints the receiver's answer. The exit\n" +
			"code is 1 when the receiver answers anything but 2xx. \"all\" sends every event.\n\n" +
			"Events: " + eventNames() + ".\n" +
			"Message events carry a conversation and a message, opt-out and opt-in events an\n" +
			"optOut, contact.created a contact, and phone_call.completed a conversation and a\n" +
			"phoneCall. The secret comes from --secret or TEXTUS_WEBHOOK_SECRET.",
		examples: "textus trigger message.received --url http://localhost:8080/webhooks --secret \"$TEXTUS_WEBHOOK_SECRET\"\n" +
			"textus trigger contact.opted_out --url http://localhost:8080/webhooks --secret S --phone \"(303) 555-1234\"\n" +
			"textus trigger all --url http://localhost:8080/webhooks --secret S",
		run: trigger,
	}
}

func trigger(ctx context.Context, a *app, in *invocation) error {
	var secret string
	target := in.fs.String("url", "", "receiver `URL`")
	in.fs.Var(&secretValue{p: &secret}, "secret", "webhook signing `SECRET` (default $"+envSecret+")")
	phoneFlag := in.fs.String("phone", "+13035551234", "the contact's `PHONE` number in the sample")
	body := in.fs.String("body", "", "message `TEXT` for message events (default: a sample text)")
	timeout := in.fs.Duration("timeout", 10*time.Second, "give up on the receiver after `DURATION`")
	pos, err := a.parse(in)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError(in.path, "want one EVENT (%s, or all)", eventNames())
	}
	var events []textus.EventType
	if strings.EqualFold(pos[0], "all") {
		events = textus.AllEvents()
	} else {
		events, err = parseEvents(pos[0])
		if err != nil {
			return err
		}
		if len(events) != 1 {
			return usageError(in.path, "want one EVENT, or all")
		}
	}
	if *target == "" {
		return usageError(in.path, "--url is required")
	}
	if err := checkURL(*target); err != nil {
		return err
	}
	if secret == "" {
		secret = a.env(envSecret)
	}
	if secret == "" {
		return &exitError{code: exitFailure, msg: "no webhook secret: pass --secret or set " + envSecret}
	}
	phone, err := textus.NormalizePhone(*phoneFlag)
	if err != nil {
		return err
	}
	if *timeout <= 0 {
		return inputError("--timeout must be positive")
	}
	s := &sampler{phone: phone, body: *body, account: orDefault(a.env(envAccount), "my_account"), hook: "/integrations/" + randomSlug()}
	hc := &http.Client{Timeout: *timeout}
	failed := 0
	for _, ev := range events {
		payload, id, err := s.delivery(ev, time.Now())
		if err != nil {
			return err
		}
		status, answer, err := post(ctx, hc, strings.TrimSpace(*target), secret, payload)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			failed++
			fmt.Fprintf(a.stdout, "%-20s  %s  no answer\n", ev, id)
			fmt.Fprintf(a.stderr, "textus: %s: %s\n", ev, oneLine(err.Error()))
			continue
		}
		fmt.Fprintf(a.stdout, "%-20s  %s  %d %s\n", ev, id, status, http.StatusText(status))
		if status < 200 || status > 299 {
			failed++
			msg := fmt.Sprintf("textus: %s: the receiver answered %d %s", ev, status, http.StatusText(status))
			if answer != "" {
				msg += ": " + answer
			}
			fmt.Fprintln(a.stderr, msg)
		}
	}
	if failed > 0 {
		return &exitError{code: exitFailure}
	}
	return nil
}

// post sends one signed delivery and returns the status and the start of
// the answer's body, on one line.
func post(ctx context.Context, hc *http.Client, target, secret string, payload []byte) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(payload))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set(webhooks.SignatureHeader, webhooks.Sign(secret, payload))
	resp, err := hc.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	return resp.StatusCode, snippet(string(b), 100), nil
}

// sampler builds sample deliveries.
type sampler struct {
	phone   string
	body    string
	account string
	hook    string
}

// sampleDelivery is the envelope of a delivery (textus-webhooks.md §3).
type sampleDelivery struct {
	Type         string         `json:"@type"`
	Context      string         `json:"@context"`
	ID           string         `json:"id"`
	Timestamp    string         `json:"timestamp"`
	Action       string         `json:"action"`
	WebHook      string         `json:"webHook"`
	Conversation map[string]any `json:"conversation,omitempty"`
	Message      map[string]any `json:"message,omitempty"`
	PhoneCall    map[string]any `json:"phoneCall,omitempty"`
	OptOut       map[string]any `json:"optOut,omitempty"`
	Contact      map[string]any `json:"contact,omitempty"`
}

// delivery returns the body of a sample delivery of ev and its id.
func (s *sampler) delivery(ev textus.EventType, now time.Time) ([]byte, string, error) {
	ts := now.UTC().Format("2006-01-02T15:04:05.000Z07:00")
	d := &sampleDelivery{
		Type:      "WebhookDelivery",
		Context:   "/contexts/WebhookDelivery.jsonld",
		ID:        s.hook + "/deliveries/" + newUUID(),
		Timestamp: ts,
		Action:    string(ev),
		WebHook:   s.hook,
	}
	conv := randomSlug()
	switch ev {
	case textus.EventMessageReceived, textus.EventMessageDelivered, textus.EventMessageFailed, textus.EventMessageUnknown:
		d.Conversation = s.conversation(conv, ev == textus.EventMessageReceived)
		d.Message = s.message(ev, conv, ts)
	case textus.EventPhoneCallCompleted:
		d.Conversation = s.conversation(conv, false)
		d.PhoneCall = map[string]any{
			"@type":        "PhoneCall",
			"id":           "/phone_calls/" + randomSlug(),
			"direction":    "in",
			"status":       "completed",
			"duration":     42,
			"from":         s.phone,
			"to":           sampleAccountPhone,
			"conversation": "/conversations/" + conv,
			"createdAt":    ts,
		}
	case textus.EventContactOptedOut, textus.EventContactOptedIn:
		kind := "opt-out"
		if ev == textus.EventContactOptedIn {
			kind = "opt-in"
		}
		d.Type = "OptOutWebhookDelivery"
		d.OptOut = map[string]any{
			"@type":                "OptOut",
			"id":                   "/textus/opt_outs/" + s.phone,
			"type":                 kind,
			"phoneNumber":          s.phone,
			"formattedPhoneNumber": phone.Display(s.phone),
			"account":              "/accounts/" + s.account,
		}
	case textus.EventContactCreated:
		d.Contact = s.contact(ts)
	default:
		return nil, "", fmt.Errorf("no sample for event %q", ev)
	}
	b, err := json.Marshal(d)
	return b, d.ID, err
}

func (s *sampler) conversation(slug string, unanswered bool) map[string]any {
	return map[string]any{
		"@type":                       "Conversation",
		"@context":                    "/contexts/Conversation.jsonld",
		"id":                          "/conversations/" + slug,
		"slug":                        slug,
		"currentState":                "open",
		"account":                     "/accounts/" + s.account,
		"phoneNumber":                 s.phone,
		"formattedPhoneNumber":        phone.Display(s.phone),
		"accountPhoneNumber":          sampleAccountPhone,
		"formattedAccountPhoneNumber": sampleFormattedAccountPhone,
		"unanswered":                  unanswered,
		"unsubscribed":                false,
		"blocked":                     false,
	}
}

func (s *sampler) message(ev textus.EventType, conv, ts string) map[string]any {
	direction, state, friendly := "out", "delivered", "Message Delivered"
	text := "Hi Jordan, are you free for a call at 3pm tomorrow?"
	var sender any = "/users/" + randomSlug()
	switch ev {
	case textus.EventMessageReceived:
		direction, state, friendly = "in", "received", "Message Received"
		text, sender = "Yes, 3pm works for me.", nil
	case textus.EventMessageFailed:
		state, friendly = "failed", "Message Failed"
	case textus.EventMessageUnknown:
		state, friendly = "unknown", "Delivery Status Unknown"
	}
	if s.body != "" {
		text = s.body
	}
	return map[string]any{
		"@type":                    "Message",
		"@context":                 "/contexts/Message.jsonld",
		"id":                       "/messages/" + randomSlug(),
		"direction":                direction,
		"body":                     text,
		"formattedBody":            "<div>" + html.EscapeString(text) + "</div>",
		"deliveryState":            state,
		"friendlyStateDescription": friendly,
		"conversation":             "/conversations/" + conv,
		"sender":                   sender,
		"attachments":              map[string]any{"@type": "hydra:Collection", "members": []any{}, "totalItems": 0},
		"flags":                    []any{},
		"source":                   "textus",
		"channel":                  "sms",
		"retryAllowed":             false,
		"createdAt":                ts,
		"displayTimestamp":         ts,
		"timelinePosition":         ts,
		"latestEventAt":            ts,
	}
}

func (s *sampler) contact(ts string) map[string]any {
	id := "/contacts/" + randomSlug()
	return map[string]any{
		"@type":     "Contact",
		"@context":  "/contexts/Contact.jsonld",
		"id":        id,
		"name":      "Jordan Lee",
		"firstName": "Jordan",
		"lastName":  "Lee",
		"phones": map[string]any{
			"@type":      "hydra:Collection",
			"id":         id + "/phones",
			"totalItems": 1,
			"members": []any{map[string]any{
				"@type":                "ContactPhone",
				"id":                   "/contact_phones/" + randomSlug(),
				"phoneNumber":          s.phone,
				"formattedPhoneNumber": phone.Display(s.phone),
				"extension":            nil,
				"type":                 "Mobile",
				"deliverabilityStatus": "unknown",
				"contact":              id,
			}},
		},
		"notes":         map[string]any{"@type": "hydra:Collection", "id": id + "/notes", "totalItems": 0, "members": []any{}},
		"data":          map[string]any{"businessName": "Acme Staffing"},
		"conversations": id + "/conversations",
		"createdAt":     ts,
	}
}

// randomSlug returns a 7-character id such as the API uses ("DQeeO69").
func randomSlug() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 7)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
