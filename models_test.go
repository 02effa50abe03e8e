package textus

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTimestampForms(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want time.Time
	}{
		{"milliseconds Z", `"2018-07-24T20:59:32.156Z"`, time.Date(2018, 7, 24, 20, 59, 32, 156e6, time.UTC)},
		{"microseconds Z", `"2018-07-24T20:59:32.156789Z"`, time.Date(2018, 7, 24, 20, 59, 32, 156789e3, time.UTC)},
		{"nanoseconds Z", `"2018-07-24T20:59:32.156789123Z"`, time.Date(2018, 7, 24, 20, 59, 32, 156789123, time.UTC)},
		{"no fraction", `"2018-07-24T20:59:32Z"`, time.Date(2018, 7, 24, 20, 59, 32, 0, time.UTC)},
		{"negative offset", `"2018-07-24T14:59:32.156-06:00"`, time.Date(2018, 7, 24, 20, 59, 32, 156e6, time.UTC)},
		{"positive offset, micros", `"2018-07-24T22:59:32.156789+02:00"`, time.Date(2018, 7, 24, 20, 59, 32, 156789e3, time.UTC)},
		{"zero offset", `"2018-07-24T20:59:32+00:00"`, time.Date(2018, 7, 24, 20, 59, 32, 0, time.UTC)},
		{"no offset reads as UTC", `"2018-07-24T20:59:32.156"`, time.Date(2018, 7, 24, 20, 59, 32, 156e6, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var lt lenientTime
			require.NoError(t, json.Unmarshal([]byte(tt.in), &lt))
			assert.True(t, lt.Equal(tt.want), "got %v, want %v", lt.Time, tt.want)

			// The same value inside each resource type.
			var m Message
			require.NoError(t, json.Unmarshal([]byte(`{"id":"/messages/x","createdAt":`+tt.in+`,"displayTimestamp":`+tt.in+
				`,"latestEventAt":`+tt.in+`,"scheduledAt":`+tt.in+`}`), &m))
			for _, got := range []time.Time{m.CreatedAt, m.DisplayTimestamp, m.LatestEventAt, m.ScheduledAt} {
				assert.True(t, got.Equal(tt.want), "message: got %v", got)
			}
			var c Contact
			require.NoError(t, json.Unmarshal([]byte(`{"id":"/contacts/x","createdAt":`+tt.in+`}`), &c))
			assert.True(t, c.CreatedAt.Equal(tt.want), "contact: got %v", c.CreatedAt)
			var o OptOut
			require.NoError(t, json.Unmarshal([]byte(`{"id":"/textus/opt_outs/+13035551234","createdAt":`+tt.in+`}`), &o))
			assert.True(t, o.CreatedAt.Equal(tt.want), "opt-out: got %v", o.CreatedAt)
		})
	}
}

// An odd timestamp does not make the resource unreadable: it decodes to the
// zero time.
func TestTimestampLenient(t *testing.T) {
	for _, in := range []string{`null`, `""`, `"yesterday"`, `"2018-13-45T99:00:00Z"`, `1532465972`, `{}`, `[]`, `true`} {
		t.Run(in, func(t *testing.T) {
			var m Message
			require.NoError(t, json.Unmarshal([]byte(`{"id":"/messages/x","body":"hi","createdAt":`+in+`}`), &m))
			assert.True(t, m.CreatedAt.IsZero())
			assert.Equal(t, "hi", m.Body, "the rest of the message still decodes")
		})
	}
}

func TestMessageTime(t *testing.T) {
	t1 := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	t2 := t1.Add(time.Hour)
	t3 := t2.Add(time.Hour)
	assert.Equal(t, t1, (&Message{DisplayTimestamp: t1, CreatedAt: t2, LatestEventAt: t3}).Time())
	assert.Equal(t, t2, (&Message{CreatedAt: t2, LatestEventAt: t3}).Time())
	assert.Equal(t, t3, (&Message{LatestEventAt: t3}).Time())
	assert.True(t, (&Message{}).Time().IsZero())
}

func TestRawScalar(t *testing.T) {
	tests := map[string]string{
		``:                           "",
		`null`:                       "",
		`"2018-07-24T20:59:32.156Z"`: "2018-07-24T20:59:32.156Z",
		`1234567`:                    "1234567",
		`12.5`:                       "12.5",
		`{"a":1}`:                    "",
		`[1]`:                        "",
		` "x" `:                      "x",
	}
	for in, want := range tests {
		assert.Equal(t, want, rawScalar(json.RawMessage(in)), "rawScalar(%s)", in)
	}
}

// Relations arrive as a link string on one endpoint and as an embedded
// object on another; both decode to the same IRI, and null to "".
func TestRelationsStringOrObject(t *testing.T) {
	type relCase struct {
		name   string
		decode func(rel string) (string, error)
		iri    string
		object string
	}
	msg := func(field string, get func(*Message) string) func(string) (string, error) {
		return func(rel string) (string, error) {
			var m Message
			err := json.Unmarshal([]byte(`{"@type":"Message","id":"/messages/x","`+field+`":`+rel+`}`), &m)
			return get(&m), err
		}
	}
	conv := func(field string, get func(*Conversation) string) func(string) (string, error) {
		return func(rel string) (string, error) {
			var c Conversation
			err := json.Unmarshal([]byte(`{"@type":"Conversation","id":"/conversations/x","`+field+`":`+rel+`}`), &c)
			return get(&c), err
		}
	}
	optOut := func(field string, get func(*OptOut) string) func(string) (string, error) {
		return func(rel string) (string, error) {
			var o OptOut
			err := json.Unmarshal([]byte(`{"@type":"OptOut","id":"/textus/opt_outs/+13035551234","`+field+`":`+rel+`}`), &o)
			return get(&o), err
		}
	}
	cases := []relCase{
		{"Message.conversation", msg("conversation", func(m *Message) string { return m.Conversation }),
			"/conversations/kY1QwY", `{"@type":"Conversation","id":"/conversations/kY1QwY","phoneNumber":"+13035551234"}`},
		{"Message.sender", msg("sender", func(m *Message) string { return m.Sender }),
			"/users/hikvlD", `{"@type":"User","id":"/users/hikvlD","name":"Agent"}`},
		{"Conversation.account", conv("account", func(c *Conversation) string { return c.Account }),
			"/accounts/my_account", `{"@type":"Account","id":"/accounts/my_account","name":"My Account"}`},
		{"Conversation.assignedContact", conv("assignedContact", func(c *Conversation) string { return c.AssignedContact }),
			"/contacts/DQeeO69", `{"@type":"Contact","id":"/contacts/DQeeO69","name":"Cordell Walker"}`},
		{"OptOut.user", optOut("user", func(o *OptOut) string { return o.User }),
			"/users/wqyODPA", `{"@type":"User","id":"/users/wqyODPA"}`},
		{"OptOut.originatingAccount", optOut("originatingAccount", func(o *OptOut) string { return o.Account }),
			"/accounts/my_account", `{"@type":"Account","id":"/accounts/my_account","name":"My Account"}`},
		{"OptOut.account", optOut("account", func(o *OptOut) string { return o.Account }),
			"/accounts/my_account", `{"@type":"Account","id":"/accounts/my_account"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			asString, err := c.decode(`"` + c.iri + `"`)
			require.NoError(t, err)
			asObject, err := c.decode(c.object)
			require.NoError(t, err)
			asNull, err := c.decode(`null`)
			require.NoError(t, err)
			assert.Equal(t, c.iri, asString)
			assert.Equal(t, c.iri, asObject)
			assert.Empty(t, asNull)
		})
	}

	t.Run("ContactPhone.contact", func(t *testing.T) {
		var byLink, byObject ContactPhone
		require.NoError(t, json.Unmarshal([]byte(`{"id":"/contact_phones/p","phoneNumber":"+13035551234","contact":"/contacts/DQeeO69"}`), &byLink))
		require.NoError(t, json.Unmarshal([]byte(`{"id":"/contact_phones/p","phoneNumber":"+13035551234",`+
			`"contact":{"@type":"ContactItem","id":"/contacts/DQeeO69","name":"Cordell Walker","phones":"/contacts/DQeeO69/phones"}}`), &byObject))
		assert.Equal(t, "/contacts/DQeeO69", byLink.ContactID)
		assert.Nil(t, byLink.Contact)
		assert.Equal(t, "/contacts/DQeeO69", byObject.ContactID)
		require.NotNil(t, byObject.Contact)
		assert.Equal(t, "Cordell Walker", byObject.Contact.Name)
	})

	t.Run("Contact.conversations", func(t *testing.T) {
		var byLink, byObject Contact
		require.NoError(t, json.Unmarshal([]byte(`{"id":"/contacts/x","conversations":"/contacts/x/conversations"}`), &byLink))
		require.NoError(t, json.Unmarshal([]byte(`{"id":"/contacts/x","conversations":{"@type":"hydra:Collection","id":"/contacts/x/conversations","members":[]}}`), &byObject))
		assert.Equal(t, "/contacts/x/conversations", byLink.Conversations)
		assert.Equal(t, "/contacts/x/conversations", byObject.Conversations)
	})
}

func TestMessageAttachments(t *testing.T) {
	var m Message
	require.NoError(t, json.Unmarshal([]byte(`{"id":"/messages/x","attachments":{"@type":"hydra:Collection","totalItems":2,"members":[
		"/attachments/a1",
		{"@type":"Attachment","id":"/attachments/a2","contentType":"image/png"}
	]}}`), &m))
	assert.Equal(t, []string{"/attachments/a1", "/attachments/a2"}, m.AttachmentIDs)
}

// Fields added by newer API versions are ignored; the raw JSON keeps them.
func TestUnknownFieldsIgnored(t *testing.T) {
	in := `{"@type":"Message","id":"/messages/x","body":"hi","channel":"whatsapp",
	  "whatsAppTemplate":{"name":"t"},"engagementScore":0.7,"engagementTemperature":"hot","somethingNew":[1,2]}`
	var m Message
	require.NoError(t, json.Unmarshal([]byte(in), &m))
	assert.Equal(t, "hi", m.Body)
	assert.Equal(t, "whatsapp", m.Channel)
	assert.JSONEq(t, in, string(m.Raw))
}

// Raw is a copy: the decoder's input buffer may be reused.
func TestRawIsACopy(t *testing.T) {
	in := []byte(`{"@type":"Contact","id":"/contacts/x","name":"A"}`)
	var c Contact
	require.NoError(t, json.Unmarshal(in, &c))
	for i := range in {
		in[i] = ' '
	}
	assert.JSONEq(t, `{"@type":"Contact","id":"/contacts/x","name":"A"}`, string(c.Raw))
}

func TestConversationLatestItem(t *testing.T) {
	tests := map[string]bool{
		`"/messages/06oyogE"`: false,
		`null`:                false,
		`{"@type":"Message","id":"/messages/06oyogE","body":"hi"}`: true,
	}
	for latest, embedded := range tests {
		var c Conversation
		require.NoError(t, json.Unmarshal([]byte(`{"id":"/conversations/x","latestPreviewableItem":`+latest+`}`), &c), latest)
		if embedded {
			require.NotNil(t, c.LatestMessage, latest)
			assert.Equal(t, "/messages/06oyogE", c.LatestMessage.ID)
		} else {
			assert.Nil(t, c.LatestMessage, latest)
		}
	}
}

// A decoded value can be reused: decoding again does not keep stale
// relations from the previous value.
func TestDecodeIntoReusedValue(t *testing.T) {
	var c Conversation
	require.NoError(t, json.Unmarshal([]byte(`{"id":"/conversations/a","latestPreviewableItem":{"id":"/messages/m"},"account":"/accounts/a"}`), &c))
	require.NotNil(t, c.LatestMessage)
	require.NoError(t, json.Unmarshal([]byte(`{"id":"/conversations/b"}`), &c))
	assert.Nil(t, c.LatestMessage)
	assert.Empty(t, c.Account)

	var m Message
	require.NoError(t, json.Unmarshal([]byte(`{"id":"/messages/a","attachments":["/attachments/1"],"conversation":"/conversations/a"}`), &m))
	require.NoError(t, json.Unmarshal([]byte(`{"id":"/messages/b"}`), &m))
	assert.Empty(t, m.AttachmentIDs)
	assert.Empty(t, m.Conversation)
}
