package textustest

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/textus-go/textus"
)

// Campaigns: POST /:account/campaigns makes one message per recipient.

type campaignIn struct {
	Title         *string         `json:"title"`
	MessageBody   *string         `json:"message_body"`
	ScheduledAt   *string         `json:"scheduled_at"`
	Recipients    json.RawMessage `json:"recipients"`
	ExclusionTime *int            `json:"exclusion_time"`
	AutoAssign    *bool           `json:"auto-assign"`
}

// createCampaign validates the documented body (snake_case keys and
// "auto-assign"; 422 for a missing title or message_body, recipients that
// are not known contact phone IRIs, a bad scheduled_at or a negative
// exclusion_time), then makes one message per distinct recipient number:
// at once ("queued", delivered as sends are) when scheduled_at is absent
// or past, else "scheduled". Recipients that opted out, or that received
// another campaign within exclusion_time minutes before scheduled_at, get
// nothing. With auto-assign the conversations are assigned to the token's
// user. It answers 201 with the campaign.
func (s *Server) createCampaign(c *call) result {
	var in campaignIn
	if res, failed := c.decode(&in); failed {
		return res
	}
	if in.Title == nil || strings.TrimSpace(*in.Title) == "" {
		return errorResult(http.StatusUnprocessableEntity, "title: can't be blank")
	}
	if in.MessageBody == nil || strings.TrimSpace(*in.MessageBody) == "" {
		return errorResult(http.StatusUnprocessableEntity, "message_body: can't be blank")
	}
	var refs []string
	if len(in.Recipients) == 0 || json.Unmarshal(in.Recipients, &refs) != nil || len(refs) == 0 {
		return errorResult(http.StatusUnprocessableEntity, "recipients: must be a non-empty list of contact phone IRIs")
	}
	t := now()
	at, scheduled := t, false
	if in.ScheduledAt != nil && *in.ScheduledAt != "" {
		parsed, err := time.Parse(time.RFC3339Nano, *in.ScheduledAt)
		if err != nil {
			return errorResult(http.StatusUnprocessableEntity, "scheduled_at: %q is not an RFC 3339 time", *in.ScheduledAt)
		}
		if parsed.After(t) {
			at, scheduled = parsed.UTC(), true
		}
	}
	exclusion := 0
	if in.ExclusionTime != nil {
		if *in.ExclusionTime < 0 {
			return errorResult(http.StatusUnprocessableEntity, "exclusion_time: must be a number of minutes, not %d", *in.ExclusionTime)
		}
		exclusion = *in.ExclusionTime
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var phones []*contactPhone
	seen := map[string]bool{}
	for i, ref := range refs {
		p := s.contactPhoneLocked(ref)
		if p == nil {
			return errorResult(http.StatusUnprocessableEntity, "recipients[%d]: %q is not a contact phone of this account", i, ref)
		}
		if !seen[p.e164] {
			seen[p.e164] = true
			phones = append(phones, p)
		}
	}
	cp := &campaign{
		slug: s.newSlug(), title: strings.TrimSpace(*in.Title), body: *in.MessageBody,
		createdAt: t, scheduledAt: at, scheduled: scheduled, user: s.meLocked(), account: s.api.accounts[0],
		recipients: len(phones), exclusion: exclusion, autoAssign: in.AutoAssign != nil && *in.AutoAssign,
	}
	var queued []*message
	for _, p := range phones {
		if s.optedOut(p.e164) {
			cp.optedOut++
			continue
		}
		if exclusion > 0 && s.campaignWithinLocked(p.e164, at, time.Duration(exclusion)*time.Minute) {
			cp.excluded++
			continue
		}
		cv := s.conversationLocked(p.e164, true)
		m := &message{
			slug: s.newSlug(), conv: cv, direction: "out", body: cp.body, state: "queued",
			flags: []string{}, createdAt: t, latestAt: t, seq: s.nextSeq(),
		}
		if scheduled {
			m.state, m.flags, m.scheduledAt = "scheduled", []string{"scheduled"}, at
		} else {
			cv.messages = append(cv.messages, m)
			queued = append(queued, m)
		}
		if cp.autoAssign {
			cv.assigned, cv.changedAt = true, t
		}
		s.messages[m.slug] = m
		s.sent = append(s.sent, m)
		s.api.campaignSends[p.e164] = append(s.api.campaignSends[p.e164], at)
		cp.sent++
	}
	for _, m := range queued {
		s.scheduleSettleLocked(m)
	}
	s.api.campaigns = append(s.api.campaigns, cp)
	return answer(http.StatusCreated, s.wireCampaign(cp))
}

// campaignWithinLocked reports whether a campaign message to phone is
// (or was) sent within window before at.
func (s *Server) campaignWithinLocked(phone string, at time.Time, window time.Duration) bool {
	for _, sent := range s.api.campaignSends[phone] {
		if !sent.After(at) && at.Sub(sent) <= window {
			return true
		}
	}
	return false
}

// contactPhoneLocked finds a contact phone by IRI ("/contact_phones/...").
func (s *Server) contactPhoneLocked(iri string) *contactPhone {
	slug, ok := strings.CutPrefix(iri, "/contact_phones/")
	if !ok || slug == "" {
		return nil
	}
	for _, ct := range s.contactOrder {
		for _, p := range ct.phones {
			if p.slug == slug {
				return p
			}
		}
	}
	return nil
}

// Campaigns returns the campaigns created so far, oldest first.
func (s *Server) Campaigns() []*textus.Campaign {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*textus.Campaign, 0, len(s.api.campaigns))
	for _, cp := range s.api.campaigns {
		var tc textus.Campaign
		if err := remarshal(s.wireCampaign(cp), &tc); err != nil {
			tc = textus.Campaign{ID: cp.iri(), Title: cp.title, MessageBody: cp.body}
		}
		out = append(out, &tc)
	}
	return out
}

// SavedReplies returns the saved replies created so far, oldest first.
func (s *Server) SavedReplies() []*textus.SavedReply {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*textus.SavedReply, 0, len(s.api.replyOrder))
	for _, r := range s.api.replyOrder {
		var tr textus.SavedReply
		if err := remarshal(s.wireSavedReply(r), &tr); err != nil {
			tr = textus.SavedReply{ID: r.iri(), Title: r.title, Content: r.content}
		}
		out = append(out, &tr)
	}
	return out
}
