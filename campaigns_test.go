package textus

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// docsCampaignJSON is the answer of the docs' campaign create example.
const docsCampaignJSON = `{
  "@type": "Campaign", "@context": "/contexts/Campaign.jsonld", "id": "/campaigns/joOQd57",
  "title": "The Best Campaign", "messageBody": "The best campaign message.", "state": "sent",
  "type": "single", "schedule": null,
  "createdAt": "2018-11-19T20:51:54.000Z", "scheduledAt": "2018-11-19T21:00:54.000Z",
  "sendingStartAt": null, "sendingEndAt": null, "estimatedStartAt": null, "estimatedFinishAt": null,
  "deliveryStatistics": {}, "delete": "/campaigns/joOQd57", "edit": "/campaigns/joOQd57",
  "cancel": "/campaigns/joOQd57/cancel", "account": "/accounts/my_account", "group": null,
  "user": { "@type": "User", "@context": "/contexts/User.jsonld", "id": "/users/wqyODPA", "name": "Chuck Norris",
    "email": "chuck@textus.example", "settings": { "notifications": { "email": true }, "customSettings": {} },
    "memberships": "/users/wqyODPA/memberships" }
}`

func TestCampaignsCreate(t *testing.T) {
	cases := []struct {
		name string
		p    CampaignParams
		body string
	}{
		{
			"the docs' example",
			CampaignParams{Title: "My Beautiful Campaign", MessageBody: "This is the best message ever.",
				ScheduledAt: time.Date(2048, 11, 19, 16, 0, 0, 0, time.FixedZone("MST", -7*3600)),
				Recipients:  []string{"/contact_phones/mxvbRw"}},
			`{"title":"My Beautiful Campaign","message_body":"This is the best message ever.",
			  "scheduled_at":"2048-11-19T23:00:00Z","recipients":["/contact_phones/mxvbRw"]}`,
		},
		{
			"every option, slugs, a duplicate",
			CampaignParams{Title: " Open house ", MessageBody: "Come by at 3pm",
				ScheduledAt:   time.Date(2048, 11, 19, 23, 0, 0, 0, time.UTC),
				Recipients:    []string{"mxvbRw", "/contact_phones/Zy9kQ2", " mxvbRw "},
				ExclusionTime: 90 * time.Minute, AutoAssign: true},
			`{"title":"Open house","message_body":"Come by at 3pm","scheduled_at":"2048-11-19T23:00:00Z",
			  "recipients":["/contact_phones/mxvbRw","/contact_phones/Zy9kQ2"],"exclusion_time":90,"auto-assign":true}`,
		},
		{
			"no schedule",
			CampaignParams{Title: "Now", MessageBody: "Hello", Recipients: []string{"mxvbRw"}},
			`{"title":"Now","message_body":"Hello","recipients":["/contact_phones/mxvbRw"]}`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			client, mux, ts := setup(t)
			mux.HandleFunc("/my_account/campaigns", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "POST")
				testURI(t, r, "/api-v1/my_account/campaigns")
				testHeader(t, r, true)
				testJSONBody(t, r, tc.body)
				writeJSON(w, http.StatusCreated, docsCampaignJSON)
			})
			p := tc.p
			c, err := client.Campaigns.Create(context.Background(), &p)
			require.NoError(t, err)
			assert.Equal(t, "Campaign", c.LDType)
			assert.Equal(t, "/campaigns/joOQd57", c.ID)
			assert.Equal(t, "The Best Campaign", c.Title)
			assert.Equal(t, "The best campaign message.", c.MessageBody)
			assert.Equal(t, "sent", c.State)
			assert.Equal(t, "single", c.Type)
			assert.True(t, c.CreatedAt.Equal(time.Date(2018, 11, 19, 20, 51, 54, 0, time.UTC)))
			assert.True(t, c.ScheduledAt.Equal(time.Date(2018, 11, 19, 21, 0, 54, 0, time.UTC)))
			assert.True(t, c.SendingStartAt.IsZero())
			assert.Equal(t, map[string]any{}, c.DeliveryStatistics)
			assert.Equal(t, "/accounts/my_account", c.Account)
			assert.Equal(t, "/users/wqyODPA", c.User, "an embedded user decodes to its IRI")
			assert.Equal(t, "/campaigns/joOQd57/cancel", c.Cancel)
			assert.JSONEq(t, docsCampaignJSON, string(c.Raw))
			assert.Equal(t, 1, ts.Requests())
			assert.Equal(t, tc.p, p, "the params are not modified")
		})
	}
}

func TestCampaignsCreateBadInput(t *testing.T) {
	ok := CampaignParams{Title: "T", MessageBody: "B", Recipients: []string{"mxvbRw"}}
	with := func(f func(p *CampaignParams)) *CampaignParams {
		p := ok
		p.Recipients = append([]string(nil), ok.Recipients...)
		f(&p)
		return &p
	}
	cases := map[string]struct {
		p    *CampaignParams
		want string
	}{
		"nil":                 {nil, "nil"},
		"no title":            {with(func(p *CampaignParams) { p.Title = " " }), "title"},
		"no body":             {with(func(p *CampaignParams) { p.MessageBody = "\n" }), "message body"},
		"no recipients":       {with(func(p *CampaignParams) { p.Recipients = nil }), "recipient"},
		"phone as recipient":  {with(func(p *CampaignParams) { p.Recipients = []string{"(303) 555-1234"} }), "is a phone number"},
		"E.164 as recipient":  {with(func(p *CampaignParams) { p.Recipients = []string{"+13035551234"} }), "Contacts.SearchPhones"},
		"IRI of another kind": {with(func(p *CampaignParams) { p.Recipients = []string{"/contacts/x"} }), "recipient 0"},
		"empty recipient":     {with(func(p *CampaignParams) { p.Recipients = []string{"mxvbRw", ""} }), "recipient 1"},
		"path recipient":      {with(func(p *CampaignParams) { p.Recipients = []string{"a/b"} }), "recipient 0"},
		"negative exclusion":  {with(func(p *CampaignParams) { p.ExclusionTime = -time.Minute }), "negative"},
		"partial minute":      {with(func(p *CampaignParams) { p.ExclusionTime = 90 * time.Second }), "whole number of minutes"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			client, mux, ts := setup(t)
			refuseAll(t, mux)
			c, err := client.Campaigns.Create(context.Background(), tc.p)
			require.ErrorContains(t, err, tc.want)
			assert.Nil(t, c)
			assertNothingSent(t, ts)
		})
	}
	t.Run("no account", func(t *testing.T) {
		_, mux, ts := setup(t)
		refuseAll(t, mux)
		_, err := newTestClient(t, ts).Campaigns.Create(context.Background(), with(func(*CampaignParams) {}))
		require.ErrorIs(t, err, ErrNoAccount)
		assertNothingSent(t, ts)
	})
}

// A campaign texts many people: after a 5xx it may exist, so it is never
// posted again, whatever the retry budget.
func TestCampaignsCreateNotResentAfter5xx(t *testing.T) {
	for _, status := range []int{500, 502, 503, 504} {
		client, mux, ts := setup(t, WithMaxRetries(5))
		mux.HandleFunc("/my_account/campaigns", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, status, `{"error":"upstream"}`)
		})
		c, err := client.Campaigns.Create(context.Background(), &CampaignParams{Title: "T", MessageBody: "B", Recipients: []string{"x"}})
		require.ErrorIs(t, err, ErrOutcomeUnknown, "status %d", status)
		assert.Nil(t, c)
		assert.Equal(t, 1, ts.Requests(), "status %d", status)
	}
}
