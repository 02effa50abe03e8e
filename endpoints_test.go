package textus

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// endpointTable collects the package's endpoint variables from its source,
// so that a new endpoint cannot escape these checks.
func endpointTable(t *testing.T) map[string]*endpoint {
	t.Helper()
	all := map[string]*endpoint{
		"epAccountsList": epAccountsList, "epAccountsGet": epAccountsGet,
		"epContactsList": epContactsList, "epContactsSearch": epContactsSearch, "epContactsCreate": epContactsCreate,
		"epContactsGet": epContactsGet, "epContactsUpdate": epContactsUpdate, "epContactsConversations": epContactsConversations,
		"epContactPhonesSearch": epContactPhonesSearch,
		"epConversationsGet":    epConversationsGet, "epConversationsByPhone": epConversationsByPhone,
		"epConversationsTimeline": epConversationsTimeline, "epConversationsRead": epConversationsRead,
		"epConversationsList": epConversationsList,
		"epMessagesSend":      epMessagesSend, "epMessagesSendNoAccount": epMessagesSendNoAccount,
		"epMessagesSchedule": epMessagesSchedule, "epMessagesGet": epMessagesGet,
		"epOptOutsList": epOptOutsList, "epOptOutsGet": epOptOutsGet, "epOptOutsCreate": epOptOutsCreate,
		"epWebhooksList": epWebhooksList, "epWebhooksCreate": epWebhooksCreate, "epWebhooksUpdate": epWebhooksUpdate,
		"epAccountsDescendants": epAccountsDescendants, "epAccountsTree": epAccountsTree,
		"epAccountsUpdateSettings": epAccountsUpdateSettings,
		"epUsersList":              epUsersList, "epUsersGet": epUsersGet, "epUsersUpdate": epUsersUpdate,
		"epSavedRepliesCreate": epSavedRepliesCreate, "epSavedRepliesUpdate": epSavedRepliesUpdate,
		"epContactsNotes": epContactsNotes, "epContactsCreateNote": epContactsCreateNote,
		"epContactsCustomData":  epContactsCustomData,
		"epConversationsUnread": epConversationsUnread, "epConversationsAssign": epConversationsAssign,
		"epConversationsClose": epConversationsClose, "epConversationsReopen": epConversationsReopen,
		"epConversationsStar": epConversationsStar, "epConversationsUnstar": epConversationsUnstar,
		"epConversationFilters": epConversationFilters, "epBatchReopen": epBatchReopen,
		"epBatchClose": epBatchClose, "epBatchUnassign": epBatchUnassign,
		"epCampaignsCreate": epCampaignsCreate,
	}
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	declared := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		require.NoError(t, err)
		ast.Inspect(af, func(n ast.Node) bool {
			if vs, ok := n.(*ast.ValueSpec); ok {
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if call, ok := vs.Values[i].(*ast.CallExpr); ok {
							if id, ok := call.Fun.(*ast.Ident); ok && id.Name == "newEndpoint" {
								declared[name.Name] = true
							}
						}
					}
				}
			}
			return true
		})
	}
	for name := range declared {
		assert.Contains(t, all, name, "endpoint %s is missing from this test's table", name)
	}
	return all
}

var templateParam = regexp.MustCompile(`\{([a-z_]+)\}`)

func TestEndpointTable(t *testing.T) {
	ops := map[string]bool{}
	routes := map[string]string{}
	for name, e := range endpointTable(t) {
		assert.False(t, ops[e.op], "%s: operation %q is used twice", name, e.op)
		ops[e.op] = true
		route := e.method + " " + templateParam.ReplaceAllString(e.tmpl, "*")
		assert.Empty(t, routes[route], "%s and %s are the same route %s", name, routes[route], route)
		routes[route] = name
		assert.Regexp(t, `^[A-Z][A-Za-z]+\.[A-Z][A-Za-z]+$`, e.op, name)
		assert.Contains(t, []string{"GET", "POST", "PUT", "PATCH", "DELETE"}, e.method, name)
		assert.True(t, strings.HasPrefix(e.tmpl, "/"), name)
		assert.NotEmpty(t, e.doc, "%s needs its documentation page", name)
		assert.True(t, strings.HasPrefix(e.docURL(), "https://apidocs.next.textus.com/"), name)
		for _, m := range templateParam.FindAllStringSubmatch(e.tmpl, -1) {
			p := m[1]
			_, isID := idParams[p]
			assert.True(t, p == "account" || isID || p == "phone" || p == "filter",
				"%s: template parameter {%s} has no rule in endpoint.path", name, p)
		}
	}
}
