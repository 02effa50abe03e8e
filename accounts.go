package textus

import (
	"context"
	"encoding/json"
	"iter"
)

// Account is a TextUs account (an organization or one of its messaging
// accounts).
type Account struct {
	// LDType is the JSON-LD @type ("Account").
	LDType string `json:"@type,omitempty"`
	// ID is the account's IRI, e.g. "/accounts/my_account".
	ID string `json:"id"`
	// Name is the account's display name.
	Name string `json:"name"`
	// Slug is what account-scoped paths start with; pass it to WithAccount
	// or ForAccount.
	Slug string `json:"slug"`
	// AccountType is the API's "type" field (e.g. "organization", "standard").
	AccountType string `json:"type,omitempty"`
	// MultiUser reports whether several users share the account.
	MultiUser bool `json:"multiUser,omitempty"`
	// PhoneNumbers are display strings such as "(303) 555-1111".
	PhoneNumbers []string `json:"phoneNumbers,omitempty"`
	// ContactsEnabled reports whether the account keeps contacts.
	ContactsEnabled bool `json:"contactsEnabled,omitempty"`
	// MessagingRestricted is set when the account may not send (not 10DLC-registered).
	MessagingRestricted bool `json:"messagingRestricted,omitempty"`
	// EffectiveRole is the token user's role on the account ("user", "admin", ...).
	EffectiveRole string `json:"effectiveRole,omitempty"`
	// FamilyCount is the number of accounts in the account's tree.
	FamilyCount int `json:"familyCount,omitempty"`
	// ChildrenCount is the number of direct child accounts.
	ChildrenCount int `json:"childrenCount,omitempty"`
	// Raw is the JSON the account was decoded from.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes an account and keeps the raw JSON.
func (a *Account) UnmarshalJSON(b []byte) error {
	type plain Account
	if err := decodeObject(b, (*plain)(a)); err != nil {
		return err
	}
	a.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// AccountsService lists and reads accounts. Get it from Client.Accounts.
type AccountsService service

// AccountListOptions selects accounts for AccountsService.List. With no
// field set, the accounts where the user has a direct membership are
// listed.
type AccountListOptions struct {
	// Query searches accounts (q=).
	Query string `url:"q,omitempty"`
	// Type narrows to one account type (type=).
	Type string `url:"type,omitempty"`
	// Slug looks up an account by slug (slug=).
	Slug string `url:"slug,omitempty"`
	// Ancestors and Descendants select hierarchy views of the account
	// named by the value (ancestors=, descendants=).
	Ancestors string `url:"ancestors,omitempty"`
	// Descendants: see Ancestors.
	Descendants string `url:"descendants,omitempty"`
}

// List iterates over accounts.
//
// GET /accounts{?ancestors,descendants,q,type,slug} (https://apidocs.next.textus.com/docs/accounts/index).
func (s *AccountsService) List(ctx context.Context, opts *AccountListOptions) iter.Seq2[*Account, error] {
	var o AccountListOptions
	if opts != nil {
		o = *opts
	}
	return newPager[Account](s.client, epAccountsList, &o).all(ctx)
}

// Get returns one account by slug ("my_account") or IRI.
//
// GET /accounts/:account
func (s *AccountsService) Get(ctx context.Context, slug string) (*Account, error) {
	return call[Account](ctx, s.client, epAccountsGet, nil, slug)
}
