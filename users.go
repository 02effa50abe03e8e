package textus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strings"

	"github.com/textus-go/textus/internal/jsonld"
)

// User is a TextUs user (JSON-LD type "User").
type User struct {
	// LDType is the JSON-LD @type ("User").
	LDType string `json:"@type,omitempty"`
	// ID is the user's IRI, e.g. "/users/wqyODPA".
	ID string `json:"id"`
	// Name is the full name.
	Name string `json:"name,omitempty"`
	// FirstName is the given name, as TextUs splits Name.
	FirstName string `json:"firstName,omitempty"`
	// LastName is the family name, as TextUs splits Name.
	LastName string `json:"lastName,omitempty"`
	// Email is the user's email address.
	Email string `json:"email,omitempty"`
	// Avatar is the avatar URL; empty when none.
	Avatar string `json:"avatar,omitempty"`
	// AutomatedActor is set on users that stand for an integration.
	AutomatedActor bool `json:"automatedActor,omitempty"`
	// HasPassword reports whether the user can sign in with a password.
	HasPassword bool `json:"hasPassword,omitempty"`
	// Discarded is set on deactivated users.
	Discarded bool `json:"discarded,omitempty"`
	// Settings is the user's settings object (customSettings,
	// notifications, ...), as the API sends it.
	Settings map[string]any `json:"settings,omitempty"`
	// Memberships are the user's roles on accounts, when the API embeds
	// them; MembershipsIRI is the collection's link otherwise.
	Memberships []Membership `json:"memberships,omitempty"`
	// MembershipsIRI is the link to the membership collection when the API
	// sends only a link.
	MembershipsIRI string `json:"-"`
	// Raw is the JSON the user was decoded from.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes a user leniently: memberships may be an embedded
// collection or a link, and a field of an unexpected JSON type is left
// zero.
func (u *User) UnmarshalJSON(b []byte) error {
	type plain User
	*u = User{}
	aux := struct {
		*plain
		Avatar      json.RawMessage               `json:"avatar"`
		Memberships jsonld.Collection[Membership] `json:"memberships"`
	}{plain: (*plain)(u)}
	if err := decodeObject(b, &aux); err != nil {
		return err
	}
	u.Avatar = rawScalar(aux.Avatar)
	u.Memberships = aux.Memberships.Members
	if len(u.Memberships) == 0 {
		u.Memberships, u.MembershipsIRI = nil, aux.Memberships.ID
	}
	if !isNull(b) {
		u.Raw = append(json.RawMessage(nil), b...)
	}
	return nil
}

// Membership is a user's role on one account (JSON-LD type "Membership").
type Membership struct {
	// ID is the membership's IRI.
	ID string `json:"id,omitempty"`
	// Role is "user", "support" or "admin".
	Role string `json:"role"`
	// User is the IRI of the member.
	User string `json:"user,omitempty"`
	// Account is the IRI of the account.
	Account string `json:"account"`
	// AccountName is the account's name when the API embeds the account.
	AccountName string `json:"accountName,omitempty"`
}

// UnmarshalJSON decodes a membership whose user and account may be links
// or embedded objects.
func (m *Membership) UnmarshalJSON(b []byte) error {
	type plain Membership
	*m = Membership{}
	aux := struct {
		*plain
		User    jsonld.Link `json:"user"`
		Account jsonld.Link `json:"account"`
	}{plain: (*plain)(m)}
	if err := decodeObject(b, &aux); err != nil {
		return err
	}
	m.User, m.Account = aux.User.IRI, aux.Account.IRI
	if len(aux.Account.Raw) > 0 {
		var a struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(aux.Account.Raw, &a) == nil {
			m.AccountName = a.Name
		}
	}
	return nil
}

// UsersService lists, reads and updates users. Listing and changing other
// users needs an admin's token. Get it from Client.Users.
type UsersService service

// UserListOptions selects users for UsersService.List.
type UserListOptions struct {
	// Query searches names and email addresses (q=).
	Query string `url:"q,omitempty"`
	// Accounts narrows the list to members of these accounts (accounts[]=),
	// each given as a slug ("my_account") or an IRI.
	//
	// The docs do not say in which form accounts[] takes an account; the
	// SDK sends the account's IRI ("/accounts/my_account"), the form in
	// which request bodies reference accounts.
	Accounts []string `url:"-"`
}

// query checks the options and returns what the query string carries.
func (o *UserListOptions) query() (any, error) {
	q := struct {
		Query    string   `url:"q,omitempty"`
		Accounts []string `url:"accounts,brackets,omitempty"`
	}{Query: strings.TrimSpace(o.Query)}
	for _, a := range o.Accounts {
		slug, err := accountSlug(a)
		if err != nil {
			return nil, &contextError{"Accounts", err}
		}
		q.Accounts = append(q.Accounts, "/accounts/"+slug)
	}
	return &q, nil
}

func (s *UsersService) pager(opts *UserListOptions) (pager[User], error) {
	var o UserListOptions
	if opts != nil {
		o = *opts
		o.Accounts = append([]string(nil), opts.Accounts...)
	}
	q, err := o.query()
	if err != nil {
		return pager[User]{}, err
	}
	return newPager[User](s.client, epUsersList, q), nil
}

// List iterates over the users of the accounts where the token's user is
// an admin, optionally searched by name or email and narrowed to some
// accounts. Lazy, like ContactsService.List. A token without admin rights
// yields an error matching ErrForbidden (or an empty list, as TextUs
// decides).
//
// GET /users{?q,accounts[]} (https://apidocs.next.textus.com/docs/users/index).
func (s *UsersService) List(ctx context.Context, opts *UserListOptions) iter.Seq2[*User, error] {
	p, err := s.pager(opts)
	if err != nil {
		return errSeq[*User](err)
	}
	return p.all(ctx)
}

// ListPage returns one page of List; see ContactsService.ListPage for
// cursors.
func (s *UsersService) ListPage(ctx context.Context, opts *UserListOptions, cursor string) (*Page[*User], error) {
	p, err := s.pager(opts)
	if err != nil {
		return nil, err
	}
	return p.page(ctx, cursor)
}

// Get returns one user, with memberships, by IRI ("/users/wqyODPA") or
// slug. An unknown user yields an error matching ErrNotFound.
//
// GET /users/:user (https://apidocs.next.textus.com/docs/users/show).
func (s *UsersService) Get(ctx context.Context, id string) (*User, error) {
	return call[User](ctx, s.client, epUsersGet, nil, id)
}

// UserParams is the body of UsersService.Update; fields left empty are not
// sent.
type UserParams struct {
	// Name is the user's full name.
	Name string `json:"name,omitempty"`
	// Email is the user's email address; it must contain "@".
	Email string `json:"email,omitempty"`
	// Settings are sent as given, e.g.
	// {"notifications": {"email": true, "audio": true}}.
	Settings map[string]any `json:"settings,omitempty"`
	// Memberships give the user a role on accounts.
	Memberships []MembershipParams `json:"memberships,omitempty"`
}

// MembershipParams is one membership in UserParams.
type MembershipParams struct {
	// Role is "user", "support" or "admin" (any case; sent in lower case).
	Role string `json:"role"`
	// Account is the account's slug or IRI; it is sent as the IRI.
	Account string `json:"account"`
}

// userRoles are the documented membership roles.
var userRoles = map[string]bool{"user": true, "support": true, "admin": true}

// body checks p and returns the body to send. p is not modified.
func (p *UserParams) body() (*UserParams, error) {
	if p == nil {
		return nil, errors.New("textus: nil *UserParams")
	}
	if strings.TrimSpace(p.Name) == "" && strings.TrimSpace(p.Email) == "" && len(p.Settings) == 0 && len(p.Memberships) == 0 {
		return nil, errors.New("textus: user update has no fields to change")
	}
	b := &UserParams{Name: strings.TrimSpace(p.Name), Email: strings.TrimSpace(p.Email), Settings: p.Settings}
	if b.Email != "" && !strings.Contains(b.Email, "@") {
		return nil, fmt.Errorf("textus: invalid email %q", p.Email)
	}
	for i, m := range p.Memberships {
		role := strings.ToLower(strings.TrimSpace(m.Role))
		if !userRoles[role] {
			return nil, fmt.Errorf("textus: membership %d: role %q: want user, support or admin", i, m.Role)
		}
		slug, err := accountSlug(m.Account)
		if err != nil {
			return nil, &contextError{fmt.Sprintf("membership %d", i), err}
		}
		b.Memberships = append(b.Memberships, MembershipParams{Role: role, Account: "/accounts/" + slug})
	}
	return b, nil
}

// Update changes a user (by IRI or slug): name, email, settings or
// memberships. It is a PUT, retried like any idempotent request.
//
// The docs do not say whether memberships replace the user's memberships or
// are added to them (their example adds one by sending both); the SDK sends
// the list as given. Changing another user needs an admin's token
// (ErrForbidden otherwise); an unknown user yields ErrNotFound, values
// TextUs refuses ErrValidation.
//
// PUT /users/:user (https://apidocs.next.textus.com/docs/users/update).
func (s *UsersService) Update(ctx context.Context, id string, p *UserParams) (*User, error) {
	b, err := p.body()
	if err != nil {
		return nil, err
	}
	return call[User](ctx, s.client, epUsersUpdate, b, id)
}
