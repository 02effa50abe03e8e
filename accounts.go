package textus

import "encoding/json"

// Account is a TextUs account (an organization or one of its messaging
// accounts).
type Account struct {
	// LDType is the JSON-LD @type ("Account").
	LDType string `json:"@type,omitempty"`
	// ID is the account's IRI, e.g. "/accounts/my_account".
	ID   string `json:"id"`
	Name string `json:"name"`
	// Slug is what account-scoped paths start with; pass it to WithAccount
	// or ForAccount.
	Slug string `json:"slug"`
	// AccountType is the API's "type" field (e.g. "organization", "standard").
	AccountType string `json:"type,omitempty"`
	MultiUser   bool   `json:"multiUser,omitempty"`
	// PhoneNumbers are display strings such as "(303) 555-1111".
	PhoneNumbers        []string `json:"phoneNumbers,omitempty"`
	ContactsEnabled     bool     `json:"contactsEnabled,omitempty"`
	MessagingRestricted bool     `json:"messagingRestricted,omitempty"`
	EffectiveRole       string   `json:"effectiveRole,omitempty"`
	FamilyCount         int      `json:"familyCount,omitempty"`
	ChildrenCount       int      `json:"childrenCount,omitempty"`
	// Raw is the JSON the account was decoded from.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes an account and keeps the raw JSON.
func (a *Account) UnmarshalJSON(b []byte) error {
	type plain Account
	if err := json.Unmarshal(b, (*plain)(a)); err != nil {
		return err
	}
	a.Raw = append(json.RawMessage(nil), b...)
	return nil
}
