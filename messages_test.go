package textus

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// specMessageJSON is the Message example of the API spec (§4.6).
const specMessageJSON = `{
  "@type": "Message", "@context": "/contexts/Message.jsonld", "id": "/messages/QNDkpL",
  "direction": "out", "body": "Your appointment is confirmed.",
  "formattedBody": "<div>Your appointment is confirmed.</div>",
  "displayTimestamp": "2018-07-24T20:59:32.156Z", "timelinePosition": "2018-07-24T20:59:32.156Z",
  "deliveryState": "delivered", "friendlyStateDescription": "Message Delivered",
  "conversation": "/conversations/kY1QwY", "sender": "/users/hikvlD",
  "attachments": { "@type": "hydra:Collection", "id": "/messages/QNDkpL/attachments", "members": [], "totalItems": 0 },
  "retryAllowed": false, "retry": null, "latestEventAt": "2018-07-24T20:59:32.156Z",
  "flags": [], "source": "textus", "channel": "sms"
}`

func assertSpecMessage(t *testing.T, m *Message) {
	t.Helper()
	require.NotNil(t, m)
	ts := time.Date(2018, 7, 24, 20, 59, 32, 156e6, time.UTC)
	assert.Equal(t, "Message", m.LDType)
	assert.Equal(t, "/messages/QNDkpL", m.ID)
	assert.Equal(t, DirectionOut, m.Direction)
	assert.Equal(t, "Your appointment is confirmed.", m.Body)
	assert.Equal(t, "<div>Your appointment is confirmed.</div>", m.FormattedBody)
	assert.True(t, m.DisplayTimestamp.Equal(ts), "DisplayTimestamp %v", m.DisplayTimestamp)
	assert.True(t, m.LatestEventAt.Equal(ts), "LatestEventAt %v", m.LatestEventAt)
	assert.True(t, m.CreatedAt.IsZero())
	assert.True(t, m.Time().Equal(ts))
	assert.Equal(t, "2018-07-24T20:59:32.156Z", m.TimelinePosition)
	assert.Equal(t, DeliveryDelivered, m.DeliveryState)
	assert.Equal(t, "Message Delivered", m.FriendlyStateDescription)
	assert.Equal(t, "/conversations/kY1QwY", m.Conversation)
	assert.Equal(t, "/users/hikvlD", m.Sender)
	assert.Empty(t, m.AttachmentIDs)
	assert.False(t, m.RetryAllowed)
	assert.Empty(t, m.Flags)
	assert.Equal(t, "textus", m.Source)
	assert.Equal(t, "sms", m.Channel)
	assert.JSONEq(t, specMessageJSON, string(m.Raw))
}

func TestMessagesSend(t *testing.T) {
	for _, to := range []string{"+13035551234", "(303) 555-1234", "303.555.1234", "1-303-555-1234"} {
		t.Run(to, func(t *testing.T) {
			client, mux, ts := setup(t)
			mux.HandleFunc("/my_account/messages", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "POST")
				testURI(t, r, "/api-v1/my_account/messages")
				testHeader(t, r, true)
				testJSONBody(t, r, `{"to":"+13035551234","body":"Your appointment is confirmed."}`)
				writeJSON(w, http.StatusCreated, specMessageJSON)
			})
			m, err := client.Messages.Send(context.Background(), &SendMessageParams{
				To: to, Body: "Your appointment is confirmed.",
			})
			require.NoError(t, err)
			assertSpecMessage(t, m)
			assert.Equal(t, 1, ts.Requests())
		})
	}
}

func TestMessagesSendSavedReply(t *testing.T) {
	for _, ref := range []string{"/saved_replies/QxvonQv", "QxvonQv", " QxvonQv "} {
		t.Run(ref, func(t *testing.T) {
			client, mux, _ := setup(t)
			mux.HandleFunc("/my_account/messages", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "POST")
				testJSONBody(t, r, `{"to":"+13035551234","body":"Hi","saved_reply":"/saved_replies/QxvonQv"}`)
				writeJSON(w, http.StatusCreated, specMessageJSON)
			})
			_, err := client.Messages.Send(context.Background(), &SendMessageParams{
				To: "+13035551234", Body: "Hi", SavedReply: ref,
			})
			require.NoError(t, err)
		})
	}
	for _, ref := range []string{"/contacts/QxvonQv", "a/b", "..", "x?y"} {
		t.Run("refused "+ref, func(t *testing.T) {
			client, mux, ts := setup(t)
			refuseAll(t, mux)
			_, err := client.Messages.Send(context.Background(), &SendMessageParams{To: "+13035551234", Body: "Hi", SavedReply: ref})
			require.ErrorContains(t, err, "SavedReply")
			assertNothingSent(t, ts)
		})
	}
}

func TestMessagesSendWithoutAccount(t *testing.T) {
	tests := []struct {
		name string
		p    SendMessageParams
		body string
	}{
		{
			"from number",
			SendMessageParams{To: "+13035551234", Body: "Hi", From: "(720) 555-0000"},
			`{"to":"+13035551234","body":"Hi","from":"+17205550000"}`,
		},
		{
			"from user email",
			SendMessageParams{To: "303-555-1234", Body: "Hi", Email: " agent@example.com "},
			`{"to":"+13035551234","body":"Hi","email":"agent@example.com"}`,
		},
		{
			"from wins over email",
			SendMessageParams{To: "+13035551234", Body: "Hi", From: "+17205550000", Email: "agent@example.com"},
			`{"to":"+13035551234","body":"Hi","from":"+17205550000"}`,
		},
	}
	for _, tt := range tests {
		for _, withAccount := range []bool{false, true} {
			name := tt.name + "/no account"
			if withAccount {
				name = tt.name + "/account set"
			}
			t.Run(name, func(t *testing.T) {
				_, mux, ts := setup(t)
				mux.HandleFunc("/messages", func(w http.ResponseWriter, r *http.Request) {
					testMethod(t, r, "POST")
					testURI(t, r, "/api-v1/messages")
					testHeader(t, r, true)
					testJSONBody(t, r, tt.body)
					writeJSON(w, http.StatusCreated, specMessageJSON)
				})
				var client *Client
				if withAccount {
					client = newTestClient(t, ts, WithAccount(testAccount))
				} else {
					client = newTestClient(t, ts)
				}
				p := tt.p
				m, err := client.Messages.Send(context.Background(), &p)
				require.NoError(t, err)
				assertSpecMessage(t, m)
				assert.Equal(t, 1, ts.Requests())
			})
		}
	}
}

func TestMessagesSendAccepted(t *testing.T) {
	client, mux, _ := setup(t)
	mux.HandleFunc("/my_account/messages", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
	})
	m, err := client.Messages.Send(context.Background(), &SendMessageParams{To: "+13035551234", Body: "Hi"})
	require.NoError(t, err)
	require.NotNil(t, m)
	assert.Empty(t, m.ID)
	assert.Equal(t, "Hi", m.Body)
	assert.Equal(t, DirectionOut, m.Direction)
}

func TestMessagesSendBadInput(t *testing.T) {
	tests := []struct {
		name      string
		p         *SendMessageParams
		wantPhone bool
	}{
		{"nil params", nil, false},
		{"no recipient", &SendMessageParams{Body: "Hi"}, false},
		{"blank recipient", &SendMessageParams{To: "  ", Body: "Hi"}, false},
		{"empty body", &SendMessageParams{To: "+13035551234"}, false},
		{"blank body", &SendMessageParams{To: "+13035551234", Body: " \n "}, false},
		{"malformed recipient", &SendMessageParams{To: "555-1234", Body: "Hi"}, true},
		{"letters in recipient", &SendMessageParams{To: "call me", Body: "Hi"}, true},
		{"recipient with extension", &SendMessageParams{To: "303-555-1234 x12", Body: "Hi"}, true},
		{"malformed from", &SendMessageParams{To: "+13035551234", Body: "Hi", From: "+12"}, true},
		{"email without @", &SendMessageParams{To: "+13035551234", Body: "Hi", Email: "agent"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, mux, ts := setup(t)
			refuseAll(t, mux)
			m, err := client.Messages.Send(context.Background(), tt.p)
			require.Error(t, err)
			assert.Nil(t, m)
			if tt.wantPhone {
				assert.ErrorIs(t, err, ErrInvalidPhone)
			}
			assertNothingSent(t, ts)
		})
	}
}

func TestMessagesSendNoAccount(t *testing.T) {
	_, mux, ts := setup(t)
	refuseAll(t, mux)
	client := newTestClient(t, ts)
	_, err := client.Messages.Send(context.Background(), &SendMessageParams{To: "+13035551234", Body: "Hi"})
	require.ErrorIs(t, err, ErrNoAccount)
	err = client.Messages.SendMany(context.Background(), &SendManyParams{To: []string{"+13035551234"}, Body: "Hi"})
	require.ErrorIs(t, err, ErrNoAccount)
	_, err = client.Messages.Schedule(context.Background(), &ScheduleMessageParams{
		To: "+13035551234", Body: "Hi", At: time.Date(2058, 10, 25, 18, 9, 13, 0, time.UTC),
	})
	require.ErrorIs(t, err, ErrNoAccount)
	assertNothingSent(t, ts)
}

// A send is not repeated after a 5xx: the text may have gone out.
func TestMessagesSendNotResentAfter5xx(t *testing.T) {
	client, mux, ts := setup(t)
	mux.HandleFunc("/my_account/messages", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusBadGateway, `{"error":"upstream"}`)
	})
	_, err := client.Messages.Send(context.Background(), &SendMessageParams{To: "+13035551234", Body: "Hi"})
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	assert.Equal(t, 1, ts.Requests())
}

func TestMessagesSendMany(t *testing.T) {
	tests := []struct {
		name string
		p    SendManyParams
		path string
		body string
	}{
		{
			"account",
			SendManyParams{To: []string{"+13035551234", "(720) 555-0000"}, Body: "Closed today"},
			"/my_account/messages",
			`{"to":["+13035551234","+17205550000"],"body":"Closed today"}`,
		},
		{
			"single recipient is still a list",
			SendManyParams{To: []string{"303-555-1234"}, Body: "Closed today"},
			"/my_account/messages",
			`{"to":["+13035551234"],"body":"Closed today"}`,
		},
		{
			"without account, from",
			SendManyParams{To: []string{"+13035551234", "+17205550000"}, Body: "Closed today", From: "+13035559999"},
			"/messages",
			`{"to":["+13035551234","+17205550000"],"body":"Closed today","from":"+13035559999"}`,
		},
		{
			"without account, email",
			SendManyParams{To: []string{"+13035551234", "+17205550000"}, Body: "Closed today", Email: "agent@example.com"},
			"/messages",
			`{"to":["+13035551234","+17205550000"],"body":"Closed today","email":"agent@example.com"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, mux, ts := setup(t)
			mux.HandleFunc(tt.path, func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "POST")
				testURI(t, r, "/api-v1"+tt.path)
				testHeader(t, r, true)
				testJSONBody(t, r, tt.body)
				w.WriteHeader(http.StatusAccepted) // no body
			})
			p := tt.p
			require.NoError(t, client.Messages.SendMany(context.Background(), &p))
			assert.Equal(t, 1, ts.Requests())
		})
	}
}

func TestMessagesSendManyBadInput(t *testing.T) {
	tests := map[string]*SendManyParams{
		"nil params":          nil,
		"no recipients":       {Body: "Hi"},
		"empty recipient":     {To: []string{"+13035551234", ""}, Body: "Hi"},
		"one bad recipient":   {To: []string{"+13035551234", "555-1234"}, Body: "Hi"},
		"empty body":          {To: []string{"+13035551234"}},
		"malformed from":      {To: []string{"+13035551234"}, Body: "Hi", From: "abc"},
		"email without @ too": {To: []string{"+13035551234"}, Body: "Hi", Email: "nobody"},
	}
	for name, p := range tests {
		t.Run(name, func(t *testing.T) {
			client, mux, ts := setup(t)
			refuseAll(t, mux)
			require.Error(t, client.Messages.SendMany(context.Background(), p))
			assertNothingSent(t, ts)
		})
	}
}

const scheduledMessageJSON = `{
  "@type": "Message", "@context": "/contexts/Message.jsonld", "id": "/messages/Sch3d",
  "direction": "out", "body": "See you tomorrow", "deliveryState": "scheduled",
  "conversation": { "@type": "Conversation", "id": "/conversations/kY1QwY", "phoneNumber": "+13035551234" },
  "sender": { "@type": "User", "id": "/users/hikvlD", "name": "Agent" },
  "createdAt": "2058-10-24T10:00:00.123456Z", "scheduledAt": "2058-10-25T18:09:13Z",
  "flags": ["scheduled"], "timelinePosition": 1234567
}`

func TestMessagesSchedule(t *testing.T) {
	denver := time.FixedZone("MDT", -6*3600)
	tests := []struct {
		name string
		p    ScheduleMessageParams
		body string
	}{
		{
			"with from",
			ScheduleMessageParams{To: "(303) 555-1234", From: "720.555.0000", Body: "See you tomorrow",
				At: time.Date(2058, 10, 25, 12, 9, 13, 0, denver)},
			`{"to":"+13035551234","from":"+17205550000","body":"See you tomorrow","scheduled_at":"2058-10-25T18:09:13Z"}`,
		},
		{
			"with a saved reply by slug",
			ScheduleMessageParams{To: "+13035551234", From: "+17205550000", Body: "See you tomorrow", SavedReply: "QxvonQv",
				At: time.Date(2058, 10, 25, 18, 9, 13, 0, time.UTC)},
			`{"to":"+13035551234","from":"+17205550000","body":"See you tomorrow","saved_reply":"/saved_replies/QxvonQv","scheduled_at":"2058-10-25T18:09:13Z"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, mux, ts := setup(t)
			mux.HandleFunc("/my_account/messages/schedule", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "POST")
				testURI(t, r, "/api-v1/my_account/messages/schedule")
				testHeader(t, r, true)
				testJSONBody(t, r, tt.body)
				writeJSON(w, http.StatusCreated, scheduledMessageJSON)
			})
			p := tt.p
			m, err := client.Messages.Schedule(context.Background(), &p)
			require.NoError(t, err)
			assert.Equal(t, "/messages/Sch3d", m.ID)
			assert.Equal(t, DeliveryScheduled, m.DeliveryState)
			assert.Equal(t, []string{"scheduled"}, m.Flags)
			assert.Equal(t, "/conversations/kY1QwY", m.Conversation, "embedded conversation decodes to its IRI")
			assert.Equal(t, "/users/hikvlD", m.Sender, "embedded sender decodes to its IRI")
			assert.True(t, m.ScheduledAt.Equal(time.Date(2058, 10, 25, 18, 9, 13, 0, time.UTC)))
			assert.True(t, m.CreatedAt.Equal(time.Date(2058, 10, 24, 10, 0, 0, 123456000, time.UTC)))
			assert.Equal(t, "1234567", m.TimelinePosition)
			assert.Equal(t, 1, ts.Requests())
		})
	}
}

// Without From, the docs' example is followed all the same: the account's
// own number is read and sent, in one GET before the POST.
func TestMessagesScheduleWithoutFromSendsTheAccountNumber(t *testing.T) {
	client, mux, ts := setup(t)
	var order []string
	mux.HandleFunc("/accounts/my_account", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		testURI(t, r, "/api-v1/accounts/my_account")
		order = append(order, "GET account")
		writeJSON(w, http.StatusOK, accountJSON) // phoneNumbers: ["(303) 555-1111"]
	})
	mux.HandleFunc("/my_account/messages/schedule", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "POST")
		testHeader(t, r, true)
		testJSONBody(t, r, `{"to":"+13035551234","from":"+13035551111","body":"See you tomorrow","saved_reply":"/saved_replies/QxvonQv","scheduled_at":"2058-10-25T18:09:13Z"}`)
		order = append(order, "POST schedule")
		writeJSON(w, http.StatusCreated, scheduledMessageJSON)
	})
	m, err := client.Messages.Schedule(context.Background(), &ScheduleMessageParams{
		To: "+13035551234", Body: "See you tomorrow", SavedReply: "/saved_replies/QxvonQv",
		At: time.Date(2058, 10, 25, 18, 9, 13, 0, time.UTC),
	})
	require.NoError(t, err)
	assert.Equal(t, "/messages/Sch3d", m.ID)
	assert.Equal(t, []string{"GET account", "POST schedule"}, order)
	assert.Equal(t, 2, ts.Requests())
}

// An account without exactly one number cannot say what From is: nothing is
// scheduled, and the error says to set From.
func TestMessagesScheduleWithoutFromNeedsOneAccountNumber(t *testing.T) {
	at := time.Date(2058, 10, 25, 18, 9, 13, 0, time.UTC)
	cases := map[string]struct {
		account string
		status  int
		want    string
		is      error
	}{
		"no number":      {`{"id":"/accounts/my_account","slug":"my_account","phoneNumbers":[]}`, 200, "has no phone number", nil},
		"two numbers":    {`{"id":"/accounts/my_account","slug":"my_account","phoneNumbers":["(303) 555-1111","(720) 555-2222"]}`, 200, "has 2 phone numbers ((303) 555-1111, (720) 555-2222); set From", nil},
		"odd number":     {`{"id":"/accounts/my_account","slug":"my_account","phoneNumbers":["ext 12"]}`, 200, "set From", ErrInvalidPhone},
		"lookup refused": {`{"hydra:title":"Not Found","hydra:description":"no such account"}`, 404, "reading the account's number", ErrNotFound},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			client, mux, ts := setup(t)
			mux.HandleFunc("/accounts/my_account", func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, tc.status, tc.account)
			})
			mux.HandleFunc("/my_account/messages/schedule", refuseHandler(t))
			m, err := client.Messages.Schedule(context.Background(), &ScheduleMessageParams{To: "+13035551234", Body: "Hi", At: at})
			require.Error(t, err)
			assert.Nil(t, m)
			assert.Contains(t, err.Error(), tc.want)
			assert.Equal(t, 1, strings.Count(err.Error(), "textus:"), "%v", err)
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			}
			assert.Equal(t, 1, ts.Requests(), "only the account lookup")
		})
	}
}

func TestMessagesScheduleBadInput(t *testing.T) {
	at := time.Date(2058, 10, 25, 18, 9, 13, 0, time.UTC)
	tests := map[string]*ScheduleMessageParams{
		"nil params":          nil,
		"no time":             {To: "+13035551234", Body: "Hi"},
		"no recipient":        {Body: "Hi", At: at},
		"malformed recipient": {To: "12", Body: "Hi", At: at},
		"empty body":          {To: "+13035551234", At: at},
		"malformed from":      {To: "+13035551234", From: "x", Body: "Hi", At: at},
		"bad saved reply":     {To: "+13035551234", From: "+13035551111", Body: "Hi", At: at, SavedReply: "/contacts/x"},
		"saved reply path":    {To: "+13035551234", Body: "Hi", At: at, SavedReply: "a/b"},
	}
	for name, p := range tests {
		t.Run(name, func(t *testing.T) {
			client, mux, ts := setup(t)
			refuseAll(t, mux)
			m, err := client.Messages.Schedule(context.Background(), p)
			require.Error(t, err)
			assert.Nil(t, m)
			assertNothingSent(t, ts)
		})
	}
}
