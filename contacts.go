package textus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/textus-go/textus/internal/jsonld"
	"github.com/textus-go/textus/internal/phone"
)

// Contact is a TextUs contact (JSON-LD type "Contact" or the condensed
// "ContactItem").
type Contact struct {
	// LDType is the JSON-LD @type ("Contact", or "ContactItem" when condensed).
	LDType string `json:"@type,omitempty"`
	// ID is the contact's IRI, e.g. "/contacts/DQeeO69".
	ID string `json:"id"`
	// Name is the full name.
	Name string `json:"name,omitempty"`
	// FirstName is the given name, as TextUs splits Name.
	FirstName string `json:"firstName,omitempty"`
	// LastName is the family name, as TextUs splits Name.
	LastName string `json:"lastName,omitempty"`
	// Phones are the contact's phone numbers. The API embeds them as a
	// collection; when it sends only a link, Phones is empty and PhonesIRI
	// holds the link.
	Phones []ContactPhone `json:"phones,omitempty"`
	// PhonesIRI is the link to the phone collection when the API sends only a link.
	PhonesIRI string `json:"-"`
	// Data is the free-form data object (businessName, tags, custom keys).
	Data map[string]any `json:"data,omitempty"`
	// Conversations is the IRI of the contact's conversation collection.
	Conversations string `json:"conversations,omitempty"`
	// CustomData are the members of the contact's customData collection
	// (the values of the account's custom fields), when the API embeds
	// them; CustomDataIRI is the collection's link
	// ("/contacts/DQeeO69/custom_data"), which ContactsService.CustomData
	// reads.
	CustomData []CustomDataItem `json:"customData,omitempty"`
	// CustomDataIRI is the link to the contact's customData collection.
	CustomDataIRI string `json:"-"`
	// FormattedData is the API's formattedData object: the contact's
	// data and custom data as display values, keyed as the API keys them.
	// The docs show it only empty; it is decoded as it comes.
	FormattedData map[string]any `json:"formattedData,omitempty"`
	// CreatedAt is when the contact was created; zero when absent.
	CreatedAt time.Time `json:"createdAt,omitzero"`
	// Raw is the JSON the contact was decoded from.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes a contact, replacing c's fields. Decoding is
// lenient: phones and conversations may be a link string, an embedded
// collection or null, and a field of an unexpected JSON type is left zero
// rather than failing the contact.
func (c *Contact) UnmarshalJSON(b []byte) error {
	return c.decodeBytes(append([]byte(nil), b...))
}

func (c *Contact) decodeBytes(raw []byte) error {
	return decodeBytesWire[Contact, wireContact](c, raw, lenientContact)
}

func (c *Contact) decodeNext(dec *json.Decoder, body []byte, start int64) (bool, error) {
	return decodeNextWire[Contact, wireContact](c, dec, body, start, lenientContact)
}

// wireContact is the documented shape of a contact (see the one-pass
// decoding in decode.go).
type wireContact struct {
	LDType        string          `json:"@type"`
	ID            string          `json:"id"`
	Name          string          `json:"name"`
	FirstName     string          `json:"firstName"`
	LastName      string          `json:"lastName"`
	Phones        *wirePhones     `json:"phones"`
	Data          map[string]any  `json:"data"`
	Conversations wireLink        `json:"conversations"`
	CustomData    *wireCustomData `json:"customData"`
	FormattedData map[string]any  `json:"formattedData"`
	CreatedAt     lenientTime     `json:"createdAt"`
}

// wireCustomData is the documented shape of a contact's customData
// collection.
type wireCustomData struct {
	ID       string           `json:"id"`
	Members  []CustomDataItem `json:"members"`
	HMembers []CustomDataItem `json:"hydra:member"`
}

// wirePhones is the documented shape of a contact's phone collection.
type wirePhones struct {
	ID       string      `json:"id"`
	Members  []wirePhone `json:"members"`
	HMembers []wirePhone `json:"hydra:member"`
}

// wirePhone is the documented shape of a phone in a contact: the owning
// contact as a link.
type wirePhone struct {
	LDType               string `json:"@type"`
	ID                   string `json:"id"`
	PhoneNumber          string `json:"phoneNumber"`
	FormattedPhoneNumber string `json:"formattedPhoneNumber"`
	Extension            string `json:"extension"`
	Type                 string `json:"type"`
	DeliverabilityStatus string `json:"deliverabilityStatus"`
	Contact              string `json:"contact"`
}

func (w *wireContact) fill(c *Contact, raw []byte) {
	*c = Contact{
		LDType:        w.LDType,
		ID:            w.ID,
		Name:          w.Name,
		FirstName:     w.FirstName,
		LastName:      w.LastName,
		Data:          w.Data,
		Conversations: string(w.Conversations),
		FormattedData: w.FormattedData,
		CreatedAt:     w.CreatedAt.Time,
		Raw:           raw,
	}
	if cd := w.CustomData; cd != nil {
		c.CustomData = cd.Members
		if c.CustomData == nil {
			c.CustomData = cd.HMembers
		}
		if len(c.CustomData) == 0 {
			c.CustomData, c.CustomDataIRI = nil, cd.ID
		}
	}
	if w.Phones == nil {
		return
	}
	members := w.Phones.Members
	if members == nil {
		members = w.Phones.HMembers
	}
	if members != nil {
		c.Phones = make([]ContactPhone, len(members))
		for i := range members {
			p := &members[i]
			c.Phones[i] = ContactPhone{
				LDType: p.LDType, ID: p.ID, PhoneNumber: p.PhoneNumber, FormattedPhoneNumber: p.FormattedPhoneNumber,
				Extension: p.Extension, Type: p.Type, DeliverabilityStatus: p.DeliverabilityStatus, ContactID: p.Contact,
			}
		}
	}
	if len(c.Phones) == 0 {
		c.PhonesIRI = w.Phones.ID
	}
}

// lenientContact decodes any form of a contact into c, which keeps raw.
func lenientContact(c *Contact, raw []byte) error {
	type plain Contact
	*c = Contact{}
	aux := struct {
		*plain
		Phones        jsonld.Collection[ContactPhone]   `json:"phones"`
		Conversations jsonld.Link                       `json:"conversations"`
		CustomData    jsonld.Collection[CustomDataItem] `json:"customData"`
		CreatedAt     lenientTime                       `json:"createdAt"`
	}{plain: (*plain)(c)}
	if err := decodeObject(raw, &aux); err != nil {
		return err
	}
	if len(aux.CustomData.Members) > 0 {
		c.CustomData = aux.CustomData.Members
	} else {
		c.CustomDataIRI = aux.CustomData.ID
	}
	c.Phones = aux.Phones.Members
	if len(c.Phones) == 0 {
		c.PhonesIRI = aux.Phones.ID
	}
	c.Conversations = aux.Conversations.IRI
	c.CreatedAt = aux.CreatedAt.Time
	c.Raw = raw
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
	PhoneNumber string `json:"phoneNumber"`
	// FormattedPhoneNumber is the display form, e.g. "(303) 555-1234".
	FormattedPhoneNumber string `json:"formattedPhoneNumber,omitempty"`
	// Extension is empty when the number has none.
	Extension string `json:"extension,omitempty"`
	// Type is the kind of number ("Mobile", "Work", ...).
	Type string `json:"type,omitempty"`
	// DeliverabilityStatus is TextUs's judgement of the number ("unknown", ...).
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
	if err := decodeObject(b, &aux); err != nil {
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

// ContactsService manages contacts. Get it from Client.Contacts.
type ContactsService service

// ContactListOptions selects contacts for ContactsService.List.
type ContactListOptions struct {
	// Query searches phone numbers (and names) through the contact filter
	// (GET /:account/contact_filters/:filter/contacts?q=). Empty lists all
	// contacts (GET /:account/contacts).
	Query string `url:"q,omitempty"`
	// Filter is the contact filter used with Query; default "all".
	Filter string `url:"-"`
}

// ContactParams is the body of ContactsService.Create and Update.
type ContactParams struct {
	// Name is the contact's full name.
	Name string `json:"name,omitempty"`
	// Phones are the contact's numbers, in any form NormalizePhone reads,
	// optionally with an extension ("303-555-1234 x2921", "ext. 12"). They
	// are checked and normalised before anything is sent: a number the SDK
	// cannot read fails the call with an error matching ErrInvalidPhone.
	Phones []PhoneParams `json:"phones,omitempty"`
	// Data is free-form contact data; keys are camelCase by API convention
	// (businessName, tags, custom keys).
	Data map[string]any `json:"data,omitempty"`
}

// PhoneParams is one phone number in ContactParams.
type PhoneParams struct {
	// Number is the phone number, with an optional extension; required.
	Number string `json:"number"`
	// Type such as "Mobile" or "Work"; optional.
	Type string `json:"type,omitempty"`
}

// body checks p and returns the body to send, with every phone number
// normalised: E.164, followed by " x" and the extension when it has one
// ("303-555-1234 ext 12" is sent as "+13035551234 x12"). A number the SDK
// cannot read is an error matching ErrInvalidPhone, before anything is
// sent. p is not modified.
func (p *ContactParams) body(create bool) (*ContactParams, error) {
	if p == nil {
		return nil, errors.New("textus: nil *ContactParams")
	}
	if create && strings.TrimSpace(p.Name) == "" && len(p.Phones) == 0 {
		return nil, errors.New("textus: a new contact needs a name or a phone number")
	}
	if !create && p.Name == "" && len(p.Phones) == 0 && len(p.Data) == 0 {
		return nil, errors.New("textus: contact update has no fields to change")
	}
	b := *p
	if p.Phones != nil {
		b.Phones = make([]PhoneParams, len(p.Phones))
	}
	for i, ph := range p.Phones {
		n, err := phone.Parse(ph.Number, phone.AllowExtension)
		if err != nil {
			return nil, &contextError{fmt.Sprintf("phone %d", i), err}
		}
		b.Phones[i] = PhoneParams{Number: n.E164, Type: strings.TrimSpace(ph.Type)}
		if n.Extension != "" {
			b.Phones[i].Number += " x" + n.Extension
		}
	}
	return &b, nil
}

func (s *ContactsService) pager(opts *ContactListOptions) pager[Contact] {
	var o ContactListOptions
	if opts != nil {
		o = *opts
	}
	if strings.TrimSpace(o.Query) == "" {
		return newPager[Contact](s.client, epContactsList, nil)
	}
	if o.Filter == "" {
		o.Filter = "all"
	}
	return newPager[Contact](s.client, epContactsSearch, &o, o.Filter)
}

// List iterates over the account's contacts, or over the contacts matching
// opts.Query. It is lazy: nothing is fetched before the first step, pages
// are fetched as the loop needs them, and breaking out stops fetching.
// An error is yielded once and ends the sequence.
//
// GET /:account/contacts, or GET /:account/contact_filters/:filter/contacts?q=
// (https://apidocs.next.textus.com/docs/contacts/index).
func (s *ContactsService) List(ctx context.Context, opts *ContactListOptions) iter.Seq2[*Contact, error] {
	return s.pager(opts).all(ctx)
}

// ListPage returns one page of List. Pass "" as cursor for the first page
// and Page.NextCursor for the next; a saved cursor resumes a long export.
func (s *ContactsService) ListPage(ctx context.Context, opts *ContactListOptions, cursor string) (*Page[*Contact], error) {
	return s.pager(opts).page(ctx, cursor)
}

// Search iterates over contacts whose phone number (or name) matches q.
// It is List with Query set; q must not be empty.
//
// GET /:account/contact_filters/all/contacts?q=
// (https://apidocs.next.textus.com/docs/contact_filters/contacts).
func (s *ContactsService) Search(ctx context.Context, q string) iter.Seq2[*Contact, error] {
	if strings.TrimSpace(q) == "" {
		return errSeq[*Contact](errors.New("textus: empty search query"))
	}
	return s.List(ctx, &ContactListOptions{Query: q})
}

// FindByPhone returns the first contact that has phone (any form
// NormalizePhone accepts) among its numbers, or an error matching
// ErrNotFound.
//
// It does not depend on the form in which the server keeps numbers: it
// searches with the number's national digits ("3035551234" for a North
// American number, which every stored form contains), then compares each
// phone of the results as a number, reading its phoneNumber and its
// formattedPhoneNumber in any form (E.164, national, display, with an
// extension), so "(303) 555-1234 x12" matches +13035551234 and a number
// that merely contains the same digits does not.
//
// GET /:account/contact_filters/all/contacts?q=
func (s *ContactsService) FindByPhone(ctx context.Context, p string) (*Contact, error) {
	e164, err := NormalizePhone(p)
	if err != nil {
		return nil, err
	}
	for c, err := range s.List(ctx, &ContactListOptions{Query: phone.National(e164)}) {
		if err != nil {
			return nil, err
		}
		for _, ph := range c.Phones {
			if samePhone(e164, ph.PhoneNumber) || samePhone(e164, ph.FormattedPhoneNumber) {
				return c, nil
			}
		}
	}
	return nil, fmt.Errorf("%w: no contact with phone %s", ErrNotFound, e164)
}

// samePhone reports whether stored, a number in any form a server may keep
// it in, is the number e164.
func samePhone(e164, stored string) bool {
	if stored == "" {
		return false
	}
	n, err := phone.Parse(stored, phone.AllowExtension|phone.AnyAreaCode|phone.AllowSlash)
	return err == nil && n.E164 == e164
}

// SearchPhones iterates over contact phones matching q (a name or number),
// each with its condensed contact embedded. Their IDs are what campaign
// recipients take.
//
// GET /:account/contact_phones?q=
// (https://apidocs.next.textus.com/docs/contact_phones/index/).
func (s *ContactsService) SearchPhones(ctx context.Context, q string) iter.Seq2[*ContactPhone, error] {
	if strings.TrimSpace(q) == "" {
		return errSeq[*ContactPhone](errors.New("textus: empty search query"))
	}
	return newPager[ContactPhone](s.client, epContactPhonesSearch, struct {
		Q string `url:"q"`
	}{q}).all(ctx)
}

// Get returns one contact by IRI ("/contacts/DQeeO69") or slug.
//
// GET /contacts/:contact (https://apidocs.next.textus.com/docs/contacts/get/).
func (s *ContactsService) Get(ctx context.Context, id string) (*Contact, error) {
	return call[Contact](ctx, s.client, epContactsGet, nil, id)
}

// Create creates a contact in the client's account. It is a POST: if it
// fails after it may have reached TextUs, the error matches
// ErrOutcomeUnknown and it is not retried (search before creating again).
//
// POST /:account/contacts (https://apidocs.next.textus.com/docs/contacts/create-contact/).
func (s *ContactsService) Create(ctx context.Context, p *ContactParams) (*Contact, error) {
	b, err := p.body(true)
	if err != nil {
		return nil, err
	}
	return call[Contact](ctx, s.client, epContactsCreate, b)
}

// Update changes a contact; fields left empty in p are not sent. Phones,
// when given, replace the contact's numbers as the API defines.
//
// PUT /contacts/:contact (https://apidocs.next.textus.com/docs/contacts/update).
func (s *ContactsService) Update(ctx context.Context, id string, p *ContactParams) (*Contact, error) {
	b, err := p.body(false)
	if err != nil {
		return nil, err
	}
	return call[Contact](ctx, s.client, epContactsUpdate, b, id)
}

// Conversations iterates over a contact's conversations (across accounts).
//
// GET /contacts/:contact/conversations (https://apidocs.next.textus.com/docs/contacts/conversations).
func (s *ContactsService) Conversations(ctx context.Context, id string) iter.Seq2[*Conversation, error] {
	return newPager[Conversation](s.client, epContactsConversations, nil, id).all(ctx)
}

// CustomDataItem is one member of a contact's customData collection: the
// value of one of the account's custom fields (see the CustomField and
// ContactField types of the API documentation) for the contact.
//
// The docs show the collection only empty, so the members' shape is not
// documented. The SDK reads what a custom field and its value are called
// elsewhere in the API: slug (or key), title, type and value; anything
// else stays in Raw.
type CustomDataItem struct {
	// LDType is the JSON-LD @type, as the API sends it.
	LDType string `json:"@type,omitempty"`
	// ID is the member's IRI, when it has one.
	ID string `json:"id,omitempty"`
	// Slug is the custom field's unique name ("calendar-link").
	Slug string `json:"slug,omitempty"`
	// Title is the custom field's display title ("Calendar Link").
	Title string `json:"title,omitempty"`
	// Type is the custom field's type ("text", "date", "url", ...).
	Type string `json:"type,omitempty"`
	// Value is the contact's value for the field, as JSON decodes it.
	Value any `json:"value,omitempty"`
	// Raw is the JSON the member was decoded from.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes a custom data member leniently: a field of an
// unexpected JSON type is left zero, "key" is read when "slug" is absent,
// and the raw JSON is kept.
func (d *CustomDataItem) UnmarshalJSON(b []byte) error {
	type plain CustomDataItem
	aux := struct {
		*plain
		Key string `json:"key"`
	}{plain: (*plain)(d)}
	*d = CustomDataItem{}
	if err := decodeObject(b, &aux); err != nil {
		return err
	}
	if d.Slug == "" {
		d.Slug = aux.Key
	}
	if !isNull(b) {
		d.Raw = append(json.RawMessage(nil), b...)
	}
	return nil
}

// CustomData iterates over a contact's custom data (by IRI or slug): the
// members of its customData collection. Lazy, like List.
//
// GET /contacts/:contact/custom_data. The docs show this collection as the
// customData link of a contact (https://apidocs.next.textus.com/docs/contacts/get/)
// without a page of its own; the SDK reads it as it reads every other
// collection, following view.next when there is one. An unknown contact
// yields an error matching ErrNotFound.
func (s *ContactsService) CustomData(ctx context.Context, id string) iter.Seq2[*CustomDataItem, error] {
	return newPager[CustomDataItem](s.client, epContactsCustomData, nil, id).all(ctx)
}
