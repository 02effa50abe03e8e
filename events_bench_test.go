package textus

import (
	"encoding/json"
	"testing"
	"time"
)

// benchDelivery is a realistic message.received delivery of about 2 KB.
const benchDelivery = `{"@type":"WebhookDelivery","@context":"/contexts/WebhookDelivery.jsonld",` +
	`"id":"/integrations/h13Jc5/deliveries/f8db6d71-04bd-47cb-9983-d6fd2015ce3b",` +
	`"timestamp":"2023-11-17T13:59:04.568354-05:00","action":"message.received","webHook":"/integrations/h13Jc5",` +
	`"conversation":{"@type":"Conversation","@context":"/contexts/Conversation.jsonld","id":"/conversations/JYnJBY",` +
	`"slug":"JYnJBY","currentState":"open","account":{"@type":"Account","id":"/accounts/my_account","name":"My Account",` +
	`"slug":"my_account","phoneNumbers":["+13035550000"]},"phoneNumber":"+13035551234",` +
	`"formattedPhoneNumber":"(303) 555-1234","accountPhoneNumber":"+13035550000",` +
	`"formattedAccountPhoneNumber":"(303) 555-0000","unanswered":false,"unsubscribed":false,"blocked":false,` +
	`"assignedContact":{"@type":"Contact","id":"/contacts/DQeeO69","name":"Jordan Smith","firstName":"Jordan",` +
	`"lastName":"Smith","data":{"businessName":"Acme Staffing","tags":["candidate","nursing"]}},` +
	`"assignment":"/conversations/JYnJBY/assignment","participants":"/conversations/JYnJBY/participants",` +
	`"timeline":"/conversations/JYnJBY/timeline","read":"/conversations/JYnJBY/read",` +
	`"latestPreviewableItem":"/messages/06oyogD","createdAt":"2023-10-02T15:21:07.123456-04:00",` +
	`"updatedAt":"2023-11-17T13:59:04.101112-05:00"},` +
	`"message":{"@type":"Message","@context":"/contexts/Message.jsonld","id":"/messages/06oyogE","direction":"in",` +
	`"body":"Yes, 3pm works for me. Should I bring my license and the signed onboarding forms, or were those already sent over? Thanks!",` +
	`"formattedBody":"Yes, 3pm works for me. Should I bring my license and the signed onboarding forms, or were those already sent over? Thanks!",` +
	`"deliveryState":"received","status":"Received","friendlyStateDescription":"Received",` +
	`"conversation":"/conversations/JYnJBY","sender":null,"source":"textus","channel":"sms","retryAllowed":false,` +
	`"attachments":{"@type":"hydra:Collection","id":"/messages/06oyogE/attachments","members":[],"totalItems":0},` +
	`"flags":[],"createdAt":"2023-11-17T13:59:04.468354-05:00","displayTimestamp":"2023-11-17T13:59:04.468354-05:00",` +
	`"timelinePosition":"1700247544468354","latestEventAt":"2023-11-17T13:59:04.568354-05:00",` +
	`"links":{"self":"/messages/06oyogE","conversation":"/conversations/JYnJBY","events":"/messages/06oyogE/events"},` +
	`"recipients":[{"@type":"Recipient","phoneNumber":"+13035550000","deliveryState":"received"}]}}`

// BenchmarkParseEvent decodes the whole delivery into a *MessageEvent.
func BenchmarkParseEvent(b *testing.B) {
	body := []byte(benchDelivery)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		v, err := ParseEvent(body)
		if err != nil || v.(*MessageEvent).Message == nil {
			b.Fatal("bad parse")
		}
	}
}

// BenchmarkParseEnvelope decodes the envelope only (Event.UnmarshalJSON),
// which is what a handler reads before it queues a delivery.
func BenchmarkParseEnvelope(b *testing.B) {
	body := []byte(benchDelivery)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var e Event
		if err := e.UnmarshalJSON(body); err != nil || e.ID == "" {
			b.Fatal("bad parse")
		}
	}
}

// benchResources returns the raw "conversation" and "message" objects of
// benchDelivery.
func benchResources(b *testing.B) (conversation, message []byte) {
	var d eventDecoder
	if err := d.decode([]byte(benchDelivery)); err != nil {
		b.Fatal(err)
	}
	return d.env.Conversation, d.env.Message
}

// plainConversation and plainMessage hold the fields of Conversation and
// Message in plain structs, as code without the SDK would decode them.
type plainLink struct {
	ID string `json:"id"`
}

type plainConversation struct {
	LDType                      string    `json:"@type"`
	ID                          string    `json:"id"`
	Slug                        string    `json:"slug"`
	CurrentState                string    `json:"currentState"`
	Account                     plainLink `json:"account"`
	PhoneNumber                 string    `json:"phoneNumber"`
	FormattedPhoneNumber        string    `json:"formattedPhoneNumber"`
	AccountPhoneNumber          string    `json:"accountPhoneNumber"`
	FormattedAccountPhoneNumber string    `json:"formattedAccountPhoneNumber"`
	Unanswered                  bool      `json:"unanswered"`
	Unsubscribed                bool      `json:"unsubscribed"`
	Blocked                     bool      `json:"blocked"`
	AssignedContact             plainLink `json:"assignedContact"`
	LatestPreviewableItem       string    `json:"latestPreviewableItem"`
}

type plainMessage struct {
	LDType                   string   `json:"@type"`
	ID                       string   `json:"id"`
	Body                     string   `json:"body"`
	FormattedBody            string   `json:"formattedBody"`
	Direction                string   `json:"direction"`
	DeliveryState            string   `json:"deliveryState"`
	Status                   string   `json:"status"`
	FriendlyStateDescription string   `json:"friendlyStateDescription"`
	Conversation             string   `json:"conversation"`
	Sender                   string   `json:"sender"`
	Source                   string   `json:"source"`
	Channel                  string   `json:"channel"`
	Flags                    []string `json:"flags"`
	RetryAllowed             bool     `json:"retryAllowed"`
	Attachments              struct {
		Members []plainLink `json:"members"`
	} `json:"attachments"`
	CreatedAt        time.Time `json:"createdAt"`
	DisplayTimestamp time.Time `json:"displayTimestamp"`
	TimelinePosition string    `json:"timelinePosition"`
	LatestEventAt    time.Time `json:"latestEventAt"`
	ScheduledAt      time.Time `json:"scheduledAt"`
}

// BenchmarkDecodeResource decodes the conversation and the message of a
// delivery with the model types (impl=model: what ParseEvent spends most
// of its time in) and, as the floor, with encoding/json into plain structs
// with the same fields (impl=plain). Compare with benchstat -col /impl.
func BenchmarkDecodeResource(b *testing.B) {
	conv, msg := benchResources(b)
	cases := []struct {
		name string
		raw  []byte
		run  func([]byte) error
	}{
		{"kind=conversation/impl=model", conv, func(v []byte) error { var c Conversation; return c.UnmarshalJSON(v) }},
		{"kind=conversation/impl=plain", conv, func(v []byte) error { var c plainConversation; return json.Unmarshal(v, &c) }},
		{"kind=message/impl=model", msg, func(v []byte) error { var m Message; return m.UnmarshalJSON(v) }},
		{"kind=message/impl=plain", msg, func(v []byte) error { var m plainMessage; return json.Unmarshal(v, &m) }},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(tc.raw)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if err := tc.run(tc.raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
