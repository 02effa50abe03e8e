package textus

import (
	"encoding/json"

	"github.com/textus-go/textus/internal/jsonld"
)

// ConversationState is "open" or "closed" (an open set).
type ConversationState string

// Known conversation states.
const (
	ConversationOpen   ConversationState = "open"
	ConversationClosed ConversationState = "closed"
)

// Conversation is the thread between one of your TextUs numbers and one
// contact phone number.
type Conversation struct {
	// LDType is the JSON-LD @type ("Conversation", "ConversationWithAccount").
	LDType string `json:"@type,omitempty"`
	// ID is the conversation's IRI, e.g. "/conversations/kY1QwY".
	ID           string            `json:"id"`
	Slug         string            `json:"slug,omitempty"`
	CurrentState ConversationState `json:"currentState,omitempty"`
	// Account is the IRI of the owning account.
	Account string `json:"account,omitempty"`
	// PhoneNumber is the contact's number in E.164 form.
	PhoneNumber                 string `json:"phoneNumber,omitempty"`
	FormattedPhoneNumber        string `json:"formattedPhoneNumber,omitempty"`
	AccountPhoneNumber          string `json:"accountPhoneNumber,omitempty"`
	FormattedAccountPhoneNumber string `json:"formattedAccountPhoneNumber,omitempty"`
	Unanswered                  bool   `json:"unanswered,omitempty"`
	Unsubscribed                bool   `json:"unsubscribed,omitempty"`
	Blocked                     bool   `json:"blocked,omitempty"`
	// AssignedContact is the IRI of the assigned contact, if any.
	AssignedContact string `json:"assignedContact,omitempty"`
	// LatestMessage is the embedded latestPreviewableItem, when present.
	LatestMessage *Message `json:"-"`
	// Raw is the JSON the conversation was decoded from.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes a conversation leniently (relations as link or
// embedded object).
func (c *Conversation) UnmarshalJSON(b []byte) error {
	type plain Conversation
	aux := struct {
		*plain
		Account         jsonld.Link     `json:"account"`
		AssignedContact jsonld.Link     `json:"assignedContact"`
		Latest          json.RawMessage `json:"latestPreviewableItem"`
	}{plain: (*plain)(c)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	c.Account = aux.Account.IRI
	c.AssignedContact = aux.AssignedContact.IRI
	c.LatestMessage = nil
	if len(aux.Latest) > 0 && aux.Latest[0] == '{' {
		var m Message
		if err := json.Unmarshal(aux.Latest, &m); err == nil {
			c.LatestMessage = &m
		}
	}
	c.Raw = append(json.RawMessage(nil), b...)
	return nil
}
