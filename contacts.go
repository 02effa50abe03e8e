package textus

import (
	"encoding/json"
	"time"

	"github.com/textus-go/textus/internal/jsonld"
)

// Contact is a TextUs contact (JSON-LD type "Contact" or the condensed
// "ContactItem").
type Contact struct {
	// LDType is the JSON-LD @type ("Contact", or "ContactItem" when condensed).
	LDType string `json:"@type,omitempty"`
	// ID is the contact's IRI, e.g. "/contacts/DQeeO69".
	ID        string `json:"id"`
	Name      string `json:"name,omitempty"`
	FirstName string `json:"firstName,omitempty"`
	LastName  string `json:"lastName,omitempty"`
	// Phones are the contact's phone numbers. The API embeds them as a
	// collection; when it sends only a link, Phones is empty and PhonesIRI
	// holds the link.
	Phones    []ContactPhone `json:"phones,omitempty"`
	PhonesIRI string         `json:"-"`
	// Data is the free-form data object (businessName, tags, custom keys).
	Data map[string]any `json:"data,omitempty"`
	// Conversations is the IRI of the contact's conversation collection.
	Conversations string    `json:"conversations,omitempty"`
	CreatedAt     time.Time `json:"createdAt,omitzero"`
	// Raw is the JSON the contact was decoded from.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes a contact leniently: phones and conversations may be
// a link string, an embedded collection or null.
func (c *Contact) UnmarshalJSON(b []byte) error {
	type plain Contact
	aux := struct {
		*plain
		Phones        jsonld.Collection[ContactPhone] `json:"phones"`
		Conversations jsonld.Link                     `json:"conversations"`
		CreatedAt     lenientTime                     `json:"createdAt"`
	}{plain: (*plain)(c)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	c.Phones = aux.Phones.Members
	if len(c.Phones) == 0 {
		c.PhonesIRI = aux.Phones.ID
	}
	c.Conversations = aux.Conversations.IRI
	c.CreatedAt = aux.CreatedAt.Time
	c.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// ContactPhone is one phone number of a contact ("ContactPhone", or
// "RecipientContactPhone" in contact-phone searches, which embeds Contact).
type ContactPhone struct {
	// LDType is the JSON-LD @type.
	LDType string `json:"@type,omitempty"`
	// ID is the phone's IRI, e.g. "/contact_phones/mxvbRw".
	ID string `json:"id"`
	// PhoneNumber is the number in E.164 form.
	PhoneNumber          string `json:"phoneNumber"`
	FormattedPhoneNumber string `json:"formattedPhoneNumber,omitempty"`
	// Extension is empty when the number has none.
	Extension string `json:"extension,omitempty"`
	// Type is the kind of number ("Mobile", "Work", ...).
	Type                 string `json:"type,omitempty"`
	DeliverabilityStatus string `json:"deliverabilityStatus,omitempty"`
	// ContactID is the IRI of the owning contact.
	ContactID string `json:"-"`
	// Contact is the embedded owner, when the API embeds it
	// (contact-phone searches); nil when it sends only a link.
	Contact *Contact `json:"-"`
}

// UnmarshalJSON decodes a phone leniently: extension may be null and the
// owning contact may be a link string or an embedded object.
func (p *ContactPhone) UnmarshalJSON(b []byte) error {
	type plain ContactPhone
	aux := struct {
		*plain
		Extension *string     `json:"extension"`
		Contact   jsonld.Link `json:"contact"`
	}{plain: (*plain)(p)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	if aux.Extension != nil {
		p.Extension = *aux.Extension
	}
	p.ContactID = aux.Contact.IRI
	if len(aux.Contact.Raw) > 0 {
		var c Contact
		if err := json.Unmarshal(aux.Contact.Raw, &c); err != nil {
			return err
		}
		p.Contact = &c
	}
	return nil
}
