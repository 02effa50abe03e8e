package textustest

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Conversation actions, the filter index and batch actions.

// conversationAction applies fn to the conversation of the path and
// answers 200 with it.
func (s *Server) conversationAction(c *call, fn func(cv *conversation)) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	cv, res, ok := lookup(s.convs, c, "conversation")
	if !ok {
		return res
	}
	fn(cv)
	cv.changedAt = now()
	return answer(http.StatusOK, s.wireConversation(cv, false))
}

func (s *Server) markUnread(c *call) result {
	return s.conversationAction(c, func(cv *conversation) { cv.read = false })
}

func (s *Server) closeConversation(c *call) result {
	return s.conversationAction(c, func(cv *conversation) { cv.closed = true })
}

func (s *Server) reopenConversation(c *call) result {
	return s.conversationAction(c, func(cv *conversation) { cv.closed = false })
}

func (s *Server) starConversation(c *call) result {
	return s.conversationAction(c, func(cv *conversation) { cv.starred = true })
}

func (s *Server) unstarConversation(c *call) result {
	return s.conversationAction(c, func(cv *conversation) { cv.starred = false })
}

// assignContact answers PUT /conversations/:id/assign_contact
// {"assigned_contact": "/contacts/..."}: the contact must exist and have
// the conversation's number. The answer embeds the contact, as the docs'
// example does.
func (s *Server) assignContact(c *call) result {
	var in struct {
		AssignedContact *string `json:"assigned_contact"`
	}
	if res, failed := c.decode(&in); failed {
		return res
	}
	if in.AssignedContact == nil || *in.AssignedContact == "" {
		return errorResult(http.StatusUnprocessableEntity, "assigned_contact: is required (a contact IRI)")
	}
	slug, isIRI := strings.CutPrefix(*in.AssignedContact, "/contacts/")
	if !isIRI {
		return errorResult(http.StatusUnprocessableEntity, "assigned_contact: %q is not a contact IRI", *in.AssignedContact)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cv, res, ok := lookup(s.convs, c, "conversation")
	if !ok {
		return res
	}
	ct := s.contacts[slug]
	if ct == nil {
		return errorResult(http.StatusUnprocessableEntity, "assigned_contact: contact %q not found", *in.AssignedContact)
	}
	hasNumber := false
	for _, p := range ct.phones {
		hasNumber = hasNumber || p.e164 == cv.phone
	}
	if !hasNumber {
		return errorResult(http.StatusUnprocessableEntity, "assigned_contact: contact %s does not have this conversation's number %s", ct.iri(), cv.phone)
	}
	cv.contact = ct
	cv.changedAt = now()
	w := s.wireConversation(cv, false)
	w.AssignedContact = s.wireContact(ct)
	return answer(http.StatusOK, w)
}

// listConversationFilters answers GET /:account/conversation_filters.
func (s *Server) listConversationFilters(c *call) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	convs := s.sortedConversations()
	acct := "/" + s.cfg.account + "/conversation_filters/"
	stamp := "?" + url.Values{"modified_before": {now().Format(time.RFC3339Nano)}}.Encode()
	members := make([]any, 0, len(conversationFilters))
	for _, f := range conversationFilters {
		total, unread := 0, 0
		for _, cv := range convs {
			if f.keep(cv) {
				total++
				if !cv.read {
					unread++
				}
			}
		}
		base := acct + f.slug + "/conversations"
		members = append(members, wireConversationFilter{
			Type: "ConversationFilter", ID: acct + f.slug, Context: "/contexts/ConversationFilter.jsonld",
			Slug: f.slug, Title: f.title, UnreadCount: unread, TotalCount: total,
			CloseConversations: base + "/close" + stamp, ReopenConversations: base + "/reopen" + stamp,
			StarConversations: base + "/star" + stamp, UnstarConversations: base + "/star" + stamp,
			ReadConversations: base + "/read" + stamp, UnreadConversations: base + "/read" + stamp,
			AssignConversations: base + "/assign" + stamp, UnassignConversations: base + "/assign" + stamp,
			SearchConversations: base + "{?q}",
		})
	}
	return c.page("ConversationFilterCollection", members, nil)
}

func (s *Server) batchReopen(c *call) result {
	return s.batch(c, func(cv *conversation) { cv.closed = false })
}

func (s *Server) batchClose(c *call) result {
	return s.batch(c, func(cv *conversation) { cv.closed = true })
}

func (s *Server) batchUnassign(c *call) result {
	return s.batch(c, func(cv *conversation) { cv.assigned = false })
}

// batch applies fn to the conversations of the path's filter that the
// body lists ({"conversations": [IRIs]}) and/or that were last modified
// before ?modified_before=, and answers 202 with no body. Listed
// conversations outside the filter are left alone; an unknown one is a
// 422, as is a request that selects by neither.
func (s *Server) batch(c *call, fn func(*conversation)) result {
	f := findConversationFilter(c.params["filter"])
	if f == nil {
		return errorResult(http.StatusNotFound, "conversation filter %q not found", c.params["filter"])
	}
	var in struct {
		Conversations *[]string `json:"conversations"`
	}
	if len(bytes.TrimSpace(c.body)) > 0 {
		if res, failed := c.decode(&in); failed {
			return res
		}
	}
	var before time.Time
	if raw := c.r.URL.Query().Get("modified_before"); raw != "" {
		t, err := time.Parse(time.RFC3339Nano, raw)
		if err != nil {
			return errorResult(http.StatusUnprocessableEntity, "modified_before: %q is not an RFC 3339 time", raw)
		}
		before = t
	}
	if in.Conversations == nil && before.IsZero() {
		return errorResult(http.StatusUnprocessableEntity, "conversations or modified_before: one is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var listed map[*conversation]bool
	if in.Conversations != nil {
		if len(*in.Conversations) == 0 {
			return errorResult(http.StatusUnprocessableEntity, "conversations: the list is empty")
		}
		listed = map[*conversation]bool{}
		for i, iri := range *in.Conversations {
			slug, isIRI := strings.CutPrefix(iri, "/conversations/")
			cv := s.convs[slug]
			if !isIRI || cv == nil {
				return errorResult(http.StatusUnprocessableEntity, "conversations[%d]: %q is not a conversation of this account", i, iri)
			}
			listed[cv] = true
		}
	}
	t := now()
	for _, cv := range s.sortedConversations() {
		if !f.keep(cv) || (listed != nil && !listed[cv]) || (!before.IsZero() && !cv.modifiedAt().Before(before)) {
			continue
		}
		fn(cv)
		cv.changedAt = t
	}
	return result{status: http.StatusAccepted}
}
