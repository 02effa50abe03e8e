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
	PhoneNumber string `json:"phoneNumber,omitempty"`
	// FormattedPhoneNumber is the number as the API displays it ("5553031234" or "(303) 555-1234").
	FormattedPhoneNumber string `json:"formattedPhoneNumber,omitempty"`
	// CreatedAt is when the opt-out was recorded; zero when absent.
	CreatedAt time.Time `json:"createdAt,omitzero"`
	// CreatedVia says how it was recorded (e.g. "User").
	CreatedVia string `json:"createdVia,omitempty"`
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

// UnmarshalJSON decodes an opt-out, replacing o's fields. Decoding is
// lenient and accepts both the current and the older documented shapes; a
// field of an unexpected JSON type is left zero.
func (o *OptOut) UnmarshalJSON(b []byte) error {
	return o.decodeBytes(append([]byte(nil), b...))
}

func (o *OptOut) decodeBytes(raw []byte) error {
	return decodeBytesWire[OptOut, wireOptOut](o, raw, lenientOptOut)
}

func (o *OptOut) decodeNext(dec *json.Decoder, body []byte, start int64) (bool, error) {
	return decodeNextWire[OptOut, wireOptOut](o, dec, body, start, lenientOptOut)
}

// wireOptOut is the documented shape of an opt-out (see the one-pass
// decoding in decode.go).
type wireOptOut struct {
	LDType               string      `json:"@type"`
	ID                   string      `json:"id"`
	PhoneNumber          string      `json:"phoneNumber"`
	FormattedPhoneNumber string      `json:"formattedPhoneNumber"`
	CreatedAt            lenientTime `json:"createdAt"`
	CreatedVia           string      `json:"createdVia"`
	Kind                 string      `json:"type"`
	User                 wireLink    `json:"user"`
	Account              wireLink    `json:"account"`
	OriginatingAccount   wireLink    `json:"originatingAccount"`
}

func (w *wireOptOut) fill(o *OptOut, raw []byte) {
	*o = OptOut{
		LDType:               w.LDType,
		ID:                   w.ID,
		PhoneNumber:          w.PhoneNumber,
		FormattedPhoneNumber: w.FormattedPhoneNumber,
		CreatedAt:            w.CreatedAt.Time,
		CreatedVia:           w.CreatedVia,
		Kind:                 w.Kind,
		User:                 string(w.User),
		Account:              string(w.OriginatingAccount),
		Raw:                  raw,
	}
	if o.Account == "" {
		o.Account = string(w.Account)
	}
	if o.PhoneNumber == "" {
		o.PhoneNumber = optOutPhone(o.ID, o.FormattedPhoneNumber)
	}
}

// lenientOptOut decodes any form of an opt-out into o, which keeps raw.
func lenientOptOut(o *OptOut, raw []byte) error {
	type plain OptOut
	*o = OptOut{}
	aux := struct {
		*plain
		CreatedAt          lenientTime `json:"createdAt"`
		User               jsonld.Link `json:"user"`
		Account            jsonld.Link `json:"account"`
		OriginatingAccount jsonld.Link `json:"originatingAccount"`
	}{plain: (*plain)(o)}
	if err := decodeObject(raw, &aux); err != nil {
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
	o.Raw = raw
	return nil
}

// optOutPhone finds the E.164 number of an opt-out from its IRI (whose last
// segment is the number in current payloads) or its formatted number.
func optOutPhone(id, formatted string) string {
	return firstPhone(iriPhone(id), formatted)
}

// OptOutsService reads and records opt-outs. Get it from Client.OptOuts.
// The API has no opt-in call: opt-ins arrive only as the contact.opted_in
// webhook, and TextUs advises keeping opt-out records for compliance.
type OptOutsService service

// OptOutListOptions selects opt-outs for OptOutsService.List.
type OptOutListOptions struct {
	// Query is a partial phone match of at least 3 characters (q=).
	Query string `url:"q,omitempty"`
	// Exact lists phone numbers to look up (exact[]=). Each is sent in the
	// form the opt-out path takes, as the API's examples do: the 10-digit
	// national number for North American numbers ("3035551234"), E.164
	// for others.
	Exact []string `url:"exact,brackets,omitempty"`
}

// optOutPathPhone is the number as the opt-out path takes it: the 10-digit
// national form for North American numbers, as the API's examples use,
// else E.164.
func optOutPathPhone(phone string) (string, error) {
	e164, err := NormalizePhone(phone)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(e164, "+1") && len(e164) == 12 {
		return e164[2:], nil
	}
	return e164, nil
}

// List iterates over the account's opt-outs, optionally filtered. A Query
// shorter than 3 characters or an invalid Exact number is an error before
// any request.
//
// GET /:account/opt_outs?q=&exact[]= (https://apidocs.next.textus.com/docs/opt_outs/index).
func (s *OptOutsService) List(ctx context.Context, opts *OptOutListOptions) iter.Seq2[*OptOut, error] {
	var o OptOutListOptions
	if opts != nil {
		o.Query = strings.TrimSpace(opts.Query)
		o.Exact = append([]string(nil), opts.Exact...)
	}
	if o.Query != "" && len(o.Query) < 3 {
		return errSeq[*OptOut](fmt.Errorf("textus: opt-out query %q is shorter than 3 characters", o.Query))
	}
	for i, e := range o.Exact {
		n, err := optOutPathPhone(e)
		if err != nil {
			return errSeq[*OptOut](err)
		}
		o.Exact[i] = n
	}
	return newPager[OptOut](s.client, epOptOutsList, &o).all(ctx)
}

// Get returns the opt-out recorded for a number, or an error matching
// ErrNotFound when the number has none. The number may be in any form
// NormalizePhone accepts.
//
// GET /:account/opt_outs/:phone_number (https://apidocs.next.textus.com/docs/opt_outs/show).
func (s *OptOutsService) Get(ctx context.Context, phone string) (*OptOut, error) {
	o, err := s.call(ctx, epOptOutsGet, phone)
	if err != nil {
		return nil, err
	}
	if o.ID == "" {
		// The docs leave open whether "none" is a 404 or an empty answer.
		return nil, fmt.Errorf("%w: no opt-out for %s", ErrNotFound, phone)
	}
	return o, nil
}

// Create records an opt-out for a number. It is a PUT, so it is safe to
// repeat and is retried like a read.
//
// PUT /:account/opt_outs/:phone_number (https://apidocs.next.textus.com/docs/opt_outs/update).
func (s *OptOutsService) Create(ctx context.Context, phone string) (*OptOut, error) {
	return s.call(ctx, epOptOutsCreate, phone)
}

// call sends a request to ep, /:account/opt_outs/:phone_number.
func (s *OptOutsService) call(ctx context.Context, ep *endpoint, phone string) (*OptOut, error) {
	pp, err := optOutPathPhone(phone)
	if err != nil {
		return nil, err
	}
	return call[OptOut](ctx, s.client, ep, nil, pp)
}

// IsOptedOut reports whether a number has an opt-out. Any error other than
// "not found" is returned, so a failed check never reads as "not opted out".
//
// GET /:account/opt_outs/:phone_number
func (s *OptOutsService) IsOptedOut(ctx context.Context, phone string) (bool, error) {
	_, err := s.Get(ctx, phone)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrNotFound):
		return false, nil
	}
	return false, err
}
