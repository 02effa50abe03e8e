package textus

import (
	"encoding/json"
	"time"

	"github.com/textus-go/textus/internal/jsonld"
)

// OptOut records that a phone number has opted out of text messages. Opt-outs
// apply across the organization.
type OptOut struct {
	// LDType is the JSON-LD @type ("OptOut").
	LDType string `json:"@type,omitempty"`
	// ID is the opt-out's IRI, e.g. "/textus/opt_outs/+15553031234".
	ID string `json:"id"`
	// PhoneNumber is the number in E.164 form: the API's phoneNumber field
	// when present, else derived from ID or FormattedPhoneNumber.
	PhoneNumber          string    `json:"phoneNumber,omitempty"`
	FormattedPhoneNumber string    `json:"formattedPhoneNumber,omitempty"`
	CreatedAt            time.Time `json:"createdAt,omitzero"`
	CreatedVia           string    `json:"createdVia,omitempty"`
	// Kind is "opt-out" or "opt-in" on webhook payloads (their "type"
	// field); empty on REST responses.
	Kind string `json:"type,omitempty"`
	// User is the IRI of the user who recorded it, if any.
	User string `json:"user,omitempty"`
	// Account is the IRI of the originating account (originatingAccount, or
	// the older account field).
	Account string `json:"account,omitempty"`
	// Raw is the JSON the opt-out was decoded from.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes an opt-out leniently, accepting both the current and
// the older documented shapes.
func (o *OptOut) UnmarshalJSON(b []byte) error {
	type plain OptOut
	aux := struct {
		*plain
		CreatedAt          lenientTime `json:"createdAt"`
		User               jsonld.Link `json:"user"`
		Account            jsonld.Link `json:"account"`
		OriginatingAccount jsonld.Link `json:"originatingAccount"`
	}{plain: (*plain)(o)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	o.CreatedAt = aux.CreatedAt.Time
	o.User = aux.User.IRI
	o.Account = aux.OriginatingAccount.IRI
	if o.Account == "" {
		o.Account = aux.Account.IRI
	}
	if o.PhoneNumber == "" {
		o.PhoneNumber = optOutPhone(o.ID, o.FormattedPhoneNumber)
	}
	o.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// optOutPhone finds the E.164 number of an opt-out from its IRI (whose last
// segment is the number in current payloads) or its formatted number.
func optOutPhone(id, formatted string) string {
	if p, err := NormalizePhone(jsonld.Slug(id)); err == nil {
		return p
	}
	if p, err := NormalizePhone(formatted); err == nil {
		return p
	}
	return ""
}
