package textus

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/google/go-querystring/query"
)

// endpoint is one documented TextUs API operation: its name (what logs and
// observers call it), its HTTP method, its path template and its page in
// the API documentation. Every call the SDK makes goes to an endpoint of
// the table below, and its path is built by endpoint.path, the one place
// where ids, slugs and phone numbers become path segments.
//
// In a template, {account} is the client's account (see WithAccount and
// Client.ForAccount); every other {name} is filled, in order, from the
// arguments of path. A parameter named after a resource ({contact},
// {conversation}, ...) takes the resource's IRI ("/contacts/DQeeO69") or
// its bare slug ("DQeeO69").
type endpoint struct {
	op     string // "Contacts.Get"
	method string // "GET"
	tmpl   string // "/contacts/{contact}"
	doc    string // documentation page, relative to docBase
	parts  []string
}

// docBase is the root of the TextUs API documentation.
const docBase = "https://apidocs.next.textus.com/"

// docURL is the endpoint's page in the API documentation.
func (e *endpoint) docURL() string { return docBase + e.doc }

func newEndpoint(op, method, tmpl, doc string) *endpoint {
	return &endpoint{op: op, method: method, tmpl: tmpl, doc: doc, parts: strings.Split(tmpl[1:], "/")}
}

// The endpoints the SDK calls, in the order of the API documentation.
var (
	epAccountsList           = newEndpoint("Accounts.List", "GET", "/accounts", "docs/accounts/index")
	epAccountsGet            = newEndpoint("Accounts.Get", "GET", "/accounts/{slug}", "types/Account")
	epAccountsDescendants    = newEndpoint("Accounts.Descendants", "GET", "/accounts/{slug}/accounts", "docs/accounts/descendants/")
	epAccountsTree           = newEndpoint("Accounts.Tree", "GET", "/accounts/tree", "docs/accounts/tree/")
	epAccountsUpdateSettings = newEndpoint("Accounts.UpdateSettings", "PATCH", "/accounts/{slug}", "docs/accounts/settings")

	epUsersList   = newEndpoint("Users.List", "GET", "/users", "docs/users/index")
	epUsersGet    = newEndpoint("Users.Get", "GET", "/users/{user}", "docs/users/show")
	epUsersUpdate = newEndpoint("Users.Update", "PUT", "/users/{user}", "docs/users/update")

	epSavedRepliesCreate = newEndpoint("SavedReplies.Create", "POST", "/users/{user}/saved_replies", "docs/saved_replies/create")
	epSavedRepliesUpdate = newEndpoint("SavedReplies.Update", "PUT", "/saved_replies/{saved_reply}", "docs/saved_replies/update")

	epContactsList          = newEndpoint("Contacts.List", "GET", "/{account}/contacts", "docs/contacts/index")
	epContactsSearch        = newEndpoint("Contacts.Search", "GET", "/{account}/contact_filters/{filter}/contacts", "docs/contact_filters/contacts")
	epContactsCreate        = newEndpoint("Contacts.Create", "POST", "/{account}/contacts", "docs/contacts/create-contact/")
	epContactsGet           = newEndpoint("Contacts.Get", "GET", "/contacts/{contact}", "docs/contacts/get/")
	epContactsUpdate        = newEndpoint("Contacts.Update", "PUT", "/contacts/{contact}", "docs/contacts/update")
	epContactsConversations = newEndpoint("Contacts.Conversations", "GET", "/contacts/{contact}/conversations", "docs/contacts/conversations")
	epContactPhonesSearch   = newEndpoint("Contacts.SearchPhones", "GET", "/{account}/contact_phones", "docs/contact_phones/index/")
	epContactsNotes         = newEndpoint("Contacts.Notes", "GET", "/contacts/{contact}/notes", "docs/contact_notes/index/")
	epContactsCreateNote    = newEndpoint("Contacts.CreateNote", "POST", "/contacts/{contact}/notes", "docs/contact_notes/create/")
	epContactsCustomData    = newEndpoint("Contacts.CustomData", "GET", "/contacts/{contact}/custom_data", "docs/contacts/get/")

	epConversationsGet      = newEndpoint("Conversations.Get", "GET", "/conversations/{conversation}", "docs/conversations/get")
	epConversationsByPhone  = newEndpoint("Conversations.GetByPhone", "GET", "/{account}/conversations/{phone}", "docs/accounts/conversation/")
	epConversationsTimeline = newEndpoint("Conversations.Timeline", "GET", "/conversations/{conversation}/timeline", "docs/conversations/timeline")
	epConversationsRead     = newEndpoint("Conversations.MarkRead", "PUT", "/conversations/{conversation}/read", "docs/conversations/read")
	epConversationsUnread   = newEndpoint("Conversations.MarkUnread", "DELETE", "/conversations/{conversation}/read", "docs/conversations/read")
	epConversationsAssign   = newEndpoint("Conversations.AssignContact", "PUT", "/conversations/{conversation}/assign_contact", "docs/conversations/assign_contact")
	epConversationsClose    = newEndpoint("Conversations.Close", "PUT", "/conversations/{conversation}/close", "types/Conversation/")
	epConversationsReopen   = newEndpoint("Conversations.Reopen", "PUT", "/conversations/{conversation}/reopen", "types/Conversation/")
	epConversationsStar     = newEndpoint("Conversations.Star", "PUT", "/conversations/{conversation}/star", "types/Conversation/")
	epConversationsUnstar   = newEndpoint("Conversations.Unstar", "DELETE", "/conversations/{conversation}/star", "types/Conversation/")
	epConversationsList     = newEndpoint("Conversations.List", "GET", "/{account}/conversation_filters/{filter}/conversations", "docs/conversation_filters/conversations")
	epConversationFilters   = newEndpoint("Conversations.Filters", "GET", "/{account}/conversation_filters", "docs/conversation_filters/index/")
	epBatchReopen           = newEndpoint("Conversations.BatchReopen", "PUT", "/{account}/conversation_filters/{filter}/conversations/reopen", "docs/conversation_filters/batch_reopen/")
	epBatchClose            = newEndpoint("Conversations.BatchClose", "PUT", "/{account}/conversation_filters/{filter}/conversations/close", "docs/conversation_filters/batch_close/")
	epBatchUnassign         = newEndpoint("Conversations.BatchUnassign", "DELETE", "/{account}/conversation_filters/{filter}/conversations/assign", "docs/conversation_filters/batch_unassign/")

	epMessagesSend          = newEndpoint("Messages.Send", "POST", "/{account}/messages", "docs/messages/send")
	epMessagesSendNoAccount = newEndpoint("Messages.SendWithoutAccount", "POST", "/messages", "docs/messages/send_without_account")
	epMessagesSchedule      = newEndpoint("Messages.Schedule", "POST", "/{account}/messages/schedule", "docs/messages/schedule")
	epMessagesGet           = newEndpoint("Messages.Get", "GET", "/messages/{message}", "docs/messages/get")

	epCampaignsCreate = newEndpoint("Campaigns.Create", "POST", "/{account}/campaigns", "docs/campaigns/create/")

	epOptOutsList   = newEndpoint("OptOuts.List", "GET", "/{account}/opt_outs", "docs/opt_outs/index")
	epOptOutsGet    = newEndpoint("OptOuts.Get", "GET", "/{account}/opt_outs/{phone}", "docs/opt_outs/show")
	epOptOutsCreate = newEndpoint("OptOuts.Create", "PUT", "/{account}/opt_outs/{phone}", "docs/opt_outs/update")

	epWebhooksList   = newEndpoint("Webhooks.List", "GET", "/{account}/integrations", "docs/integrations/create/")
	epWebhooksCreate = newEndpoint("Webhooks.Create", "POST", "/{account}/integrations", "docs/integrations/create/")
	epWebhooksUpdate = newEndpoint("Webhooks.Update", "PUT", "/integrations/{integration}", "docs/integrations/update/")
)

// idParams names the template parameters that take a resource id: the
// noun used in error messages and the collection its IRIs start with.
var idParams = map[string]struct{ noun, collection string }{
	"contact":       {"contact", "contacts"},
	"conversation":  {"conversation", "conversations"},
	"message":       {"message", "messages"},
	"integration":   {"webhook", "integrations"},
	"slug":          {"account", "accounts"},
	"user":          {"user", "users"},
	"saved_reply":   {"saved reply", "saved_replies"},
	"contact_phone": {"contact phone", "contact_phones"},
}

// path builds the endpoint's path for client c from args, one per template
// parameter other than {account}. Every value is checked and escaped as one
// path segment: empty values, "." and "..", and values holding '/', '?' or
// '#' are refused with an error naming the value, before anything is sent.
func (e *endpoint) path(c *Client, args ...string) (string, error) {
	var b strings.Builder
	b.Grow(len(e.tmpl) + 16)
	for _, part := range e.parts {
		b.WriteByte('/')
		name, isParam := strings.CutPrefix(part, "{")
		if !isParam {
			b.WriteString(part)
			continue
		}
		name = strings.TrimSuffix(name, "}")
		if name == "account" {
			if c.account == "" {
				return "", c.noAccount()
			}
			b.WriteString(url.PathEscape(c.account))
			continue
		}
		if len(args) == 0 {
			panic("textus: endpoint " + e.op + ": missing argument {" + name + "}") // a bug in this package
		}
		v := args[0]
		args = args[1:]
		var err error
		if p, ok := idParams[name]; ok {
			v, err = resourceSlug(p.noun, p.collection, v)
		} else {
			v, err = pathSegment(name, v)
		}
		if err != nil {
			return "", err
		}
		b.WriteString(url.PathEscape(v))
	}
	return b.String(), nil
}

// pathSegment checks one value that becomes a path segment as it is.
func pathSegment(noun, v string) (string, error) {
	switch {
	case v == "":
		return "", fmt.Errorf("textus: empty %s", noun)
	case v == "." || v == "..":
		return "", fmt.Errorf("textus: invalid %s %q: a path segment cannot be %q", noun, v, v)
	case strings.ContainsAny(v, "/?#") || strings.ContainsFunc(v, isSpaceOrControl):
		return "", fmt.Errorf("textus: invalid %s %q: it must not contain '/', '?', '#', spaces or control characters", noun, v)
	}
	return v, nil
}

func isSpaceOrControl(r rune) bool { return r <= ' ' || r == 0x7f }

// resourceSlug accepts an IRI ("/contacts/DQeeO69") or a bare slug
// ("DQeeO69") for a resource of the given collection and returns the slug.
func resourceSlug(noun, collection, id string) (string, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		return "", fmt.Errorf("textus: empty %s id", noun)
	}
	if strings.HasPrefix(id, "/") {
		prefix := "/" + collection + "/"
		rest, ok := strings.CutPrefix(id, prefix)
		if !ok {
			return "", fmt.Errorf("textus: %q is not a %s IRI (want %s...)", id, noun, prefix)
		}
		if i := strings.IndexAny(rest, "/?#"); i >= 0 {
			rest = rest[:i]
		}
		id = rest
	}
	return pathSegment(noun+" id", id)
}

// accountSlug reads an account slug ("my_account") or IRI
// ("/accounts/my_account").
func accountSlug(s string) (string, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "/accounts/")
	s = strings.Trim(s, "/")
	if s == "" {
		return "", errors.New("textus: empty account slug")
	}
	return pathSegment("account slug", s)
}

// withQuery appends a go-querystring-encoded options struct to a path.
func withQuery(path string, opts any) (string, error) {
	if opts == nil {
		return path, nil
	}
	v, err := query.Values(opts)
	if err != nil {
		return "", fmt.Errorf("textus: encoding query: %w", err)
	}
	if len(v) == 0 {
		return path, nil
	}
	return path + "?" + v.Encode(), nil
}

// resolve turns a path ("/contacts/x") or a link from the API (a
// server-relative URL, or an absolute URL on the API's origin) into a full
// URL. Links are used as opaque strings; their query is not rebuilt. A link
// to another origin (scheme, host and port) is refused so that the token is
// never sent elsewhere.
func (c *Client) resolve(link string) (string, error) {
	base := c.core.base
	if strings.HasPrefix(link, "http://") || strings.HasPrefix(link, "https://") {
		u, err := url.Parse(link)
		if err != nil {
			return "", fmt.Errorf("textus: invalid link %q: %w", redactURL(link), err)
		}
		if !sameOrigin(u, base) {
			return "", fmt.Errorf("textus: refusing to follow a link to another origin (%s://%s)", u.Scheme, u.Host)
		}
		return link, nil
	}
	if strings.HasPrefix(link, "//") {
		// A network-path reference names another host.
		return "", fmt.Errorf("textus: refusing to follow a link to another origin (%s)", redactURL(link))
	}
	if !strings.HasPrefix(link, "/") {
		return "", fmt.Errorf("textus: invalid link %q", link)
	}
	p := base.EscapedPath()
	if p != "" && (link == p || strings.HasPrefix(link, p+"/") || strings.HasPrefix(link, p+"?")) {
		p = ""
	}
	return c.core.origin + p + link, nil
}

// sameOrigin reports whether u has the scheme, host and port of base
// (default ports made explicit).
func sameOrigin(u, base *url.URL) bool {
	return strings.EqualFold(u.Scheme, base.Scheme) &&
		strings.EqualFold(u.Hostname(), base.Hostname()) &&
		portOf(u) == portOf(base)
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

// resourceIRI accepts the IRI ("/contacts/DQeeO69") or the bare slug of a
// resource of the kind named by param (a key of idParams) and returns its
// IRI: the form in which request bodies reference other resources. A bad
// value is refused as endpoint.path refuses it.
func resourceIRI(param, id string) (string, error) {
	p, ok := idParams[param]
	if !ok {
		panic("textus: no id rule for {" + param + "}") // a bug in this package
	}
	slug, err := resourceSlug(p.noun, p.collection, id)
	if err != nil {
		return "", err
	}
	return "/" + p.collection + "/" + url.PathEscape(slug), nil
}
