package textus

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"strings"

	"github.com/textus-go/textus/internal/jsonld"
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
	// Settings is the account's combined settings object, as the API sends
	// it: each setting is an object such as {"value": true} (see
	// AccountsService.UpdateSettings).
	Settings map[string]any `json:"settings,omitempty"`
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
	// Legal narrows by the accounts' legal flag (legal=true or false); nil
	// leaves it out. The docs name the parameter without describing it.
	Legal *bool `url:"legal,omitempty"`
}

// List iterates over accounts.
//
// GET /accounts{?ancestors,descendants,legal,q,type,slug} (https://apidocs.next.textus.com/docs/accounts/index).
func (s *AccountsService) List(ctx context.Context, opts *AccountListOptions) iter.Seq2[*Account, error] {
	var o AccountListOptions
	if opts != nil {
		o = *opts
	}
	return newPager[Account](s.client, epAccountsList, &o).all(ctx)
}

// Get returns one account by slug ("my_account") or IRI. An unknown
// account yields an error matching ErrNotFound.
//
// GET /accounts/:account. The docs describe the Account type
// (https://apidocs.next.textus.com/types/Account) but give this path only
// as the accounts' IRIs; third-party clients call it.
func (s *AccountsService) Get(ctx context.Context, slug string) (*Account, error) {
	return call[Account](ctx, s.client, epAccountsGet, nil, slug)
}

// DescendantOptions selects accounts for AccountsService.Descendants.
type DescendantOptions struct {
	// Query searches the accounts (q=).
	Query string `url:"q,omitempty"`
	// Type narrows to one account type (type=).
	Type string `url:"type,omitempty"`
	// Messaging narrows by whether the accounts can send messages
	// (messaging=true or false); nil leaves it out. The docs name the
	// parameter without describing it.
	Messaging *bool `url:"messaging,omitempty"`
	// Legal narrows by the accounts' legal flag, as in AccountListOptions.
	Legal *bool `url:"legal,omitempty"`
}

// Descendants iterates over an account (by slug or IRI) and all its
// descendant accounts, in one flat list, the account first. Lazy, like
// List. An unknown account yields an error matching ErrNotFound; a bad
// slug is refused before anything is sent.
//
// GET /accounts/:account/accounts{?messaging,q,legal,type}
// (https://apidocs.next.textus.com/docs/accounts/descendants/).
func (s *AccountsService) Descendants(ctx context.Context, slug string, opts *DescendantOptions) iter.Seq2[*Account, error] {
	var o DescendantOptions
	if opts != nil {
		o = *opts
	}
	return newPager[Account](s.client, epAccountsDescendants, &o, slug).all(ctx)
}

// AccountTree is an account with its children, as GET /accounts/tree
// returns it (JSON-LD type "AccountTree").
type AccountTree struct {
	// LDType is the JSON-LD @type ("AccountTree").
	LDType string `json:"@type,omitempty"`
	// ID is the account's IRI.
	ID string `json:"id"`
	// Name is the account's display name.
	Name string `json:"name"`
	// Slug is the account's slug.
	Slug string `json:"slug"`
	// Children are the account's child accounts, each with its own
	// children; empty for a leaf.
	Children []*AccountTree `json:"children,omitempty"`
}

// UnmarshalJSON decodes a tree node whose children are a hydra collection
// (or a link, or null: no children here).
func (t *AccountTree) UnmarshalJSON(b []byte) error {
	type plain AccountTree
	*t = AccountTree{}
	aux := struct {
		*plain
		Children jsonld.Collection[*AccountTree] `json:"children"`
	}{plain: (*plain)(t)}
	if err := decodeObject(b, &aux); err != nil {
		return err
	}
	for _, c := range aux.Children.Members {
		if c != nil {
			t.Children = append(t.Children, c)
		}
	}
	return nil
}

// Walk calls fn for the account and every account below it, parents
// before children, with each account's depth (0 for t). It stops when fn
// returns false.
func (t *AccountTree) Walk(fn func(a *AccountTree, depth int) bool) {
	t.walk(fn, 0)
}

func (t *AccountTree) walk(fn func(*AccountTree, int) bool, depth int) bool {
	if t == nil || !fn(t, depth) {
		return false
	}
	for _, c := range t.Children {
		if !c.walk(fn, depth+1) {
			return false
		}
	}
	return true
}

// TreeOptions selects the accounts of AccountsService.Tree.
type TreeOptions struct {
	// Role keeps only accounts where the user has this role ("admin").
	Role string `url:"role,omitempty"`
}

// Tree iterates over the top of the account tree the token's user can
// see: each account where the user has a membership (and no ancestor
// membership), with its descendants in Children. Lazy, like List. It is
// not account-scoped; errors are those of any call (ErrUnauthorized for a
// bad token, and so on).
//
// GET /accounts/tree{?role} (https://apidocs.next.textus.com/docs/accounts/tree/).
func (s *AccountsService) Tree(ctx context.Context, opts *TreeOptions) iter.Seq2[*AccountTree, error] {
	var o TreeOptions
	if opts != nil {
		o = *opts
	}
	return newPager[AccountTree](s.client, epAccountsTree, &o).all(ctx)
}

// AccountSetting is one setting in AccountsService.UpdateSettings, in the
// shape of the documented example: {"value": ...} to set a value, or
// {"disabled": ..., "setAtAccount": ...} for settings inherited down the
// account tree.
type AccountSetting struct {
	// Value is the setting's new value (a bool, a number, a string or an
	// object, as the setting takes). It is sent when Disabled is nil, even
	// when it is false or zero.
	Value any
	// Disabled turns an inherited setting off or on for the account.
	Disabled *bool
	// SetAtAccount is the account (slug or IRI) the inherited setting is
	// set at; it is sent as the IRI.
	SetAtAccount string
}

// MarshalJSON writes the setting with the documented keys.
func (s AccountSetting) MarshalJSON() ([]byte, error) {
	if s.Disabled == nil && s.SetAtAccount == "" {
		return json.Marshal(struct {
			Value any `json:"value"`
		}{s.Value})
	}
	out := map[string]any{}
	if s.Disabled != nil {
		out["disabled"] = *s.Disabled
	}
	if s.SetAtAccount != "" {
		out["setAtAccount"] = s.SetAtAccount
	}
	if s.Value != nil {
		out["value"] = s.Value
	}
	return json.Marshal(out)
}

// UpdateSettings changes settings of an account (by slug or IRI) and
// returns the account. Settings are keyed by their camelCase names
// ("inboundMmsDisabled", "autoReplyMessage", ...); settings not given are
// left as they are.
//
// It is a PATCH. The SDK does not repeat a PATCH once it may have reached
// TextUs (it retries only GET, HEAD, PUT and DELETE): a timeout, a reset
// connection or a 5xx returns an error matching ErrOutcomeUnknown; read the
// account with Get and apply the change again if needed. Changing settings
// needs an admin's token (ErrForbidden otherwise); an unknown setting or a
// refused value yields ErrValidation.
//
// PATCH /accounts/:account with {"settings": {...}}
// (the Settings page of the accounts documentation,
// https://apidocs.next.textus.com/docs/accounts/settings).
func (s *AccountsService) UpdateSettings(ctx context.Context, slug string, settings map[string]AccountSetting) (*Account, error) {
	if len(settings) == 0 {
		return nil, errors.New("textus: no settings to change")
	}
	out := make(map[string]AccountSetting, len(settings))
	for name, v := range settings {
		if strings.TrimSpace(name) == "" {
			return nil, errors.New("textus: empty setting name")
		}
		if v.SetAtAccount != "" {
			a, err := accountSlug(v.SetAtAccount)
			if err != nil {
				return nil, &contextError{"setting " + name + ": SetAtAccount", err}
			}
			v.SetAtAccount = "/accounts/" + a
		}
		out[name] = v
	}
	return call[Account](ctx, s.client, epAccountsUpdateSettings, struct {
		Settings map[string]AccountSetting `json:"settings"`
	}{out}, slug)
}
