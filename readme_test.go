package textus

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// coverageRow is one row of the README's "API coverage" table.
type coverageRow struct {
	method, path, text string
}

// readmeCoverage parses the table of the README's "API coverage" section.
func readmeCoverage(t *testing.T) []coverageRow {
	t.Helper()
	b, err := os.ReadFile("README.md")
	require.NoError(t, err)
	_, section, found := strings.Cut(string(b), "\n## API coverage\n")
	require.True(t, found, "README.md has no \"## API coverage\" section")
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	var rows []coverageRow
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| Method") {
			continue
		}
		inner := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(line), "|"), "|")
		cells := strings.Split(inner, "|")
		require.Len(t, cells, 5, "row %q: want Method, Path, SDK, CLI and Notes", line)
		rows = append(rows, coverageRow{
			method: strings.TrimSpace(cells[0]),
			path:   strings.Trim(strings.TrimSpace(cells[1]), "`"),
			text:   line,
		})
	}
	require.NotEmpty(t, rows, "the API coverage table has no rows")
	return rows
}

var (
	queryTemplate = regexp.MustCompile(`\{\?[^}]*\}$`)
	pathParam     = regexp.MustCompile(`^(:[a-z_]+|\{[a-z_]+\})$`)
)

// pathShape reduces a path template to its shape: the query template
// dropped and every parameter, whatever its name, written "*".
func pathShape(p string) string {
	p = queryTemplate.ReplaceAllString(p, "")
	parts := strings.Split(p, "/")
	for i, seg := range parts {
		if pathParam.MatchString(seg) {
			parts[i] = "*"
		}
	}
	return strings.Join(parts, "/")
}

// The README's coverage table lists every endpoint the SDK calls, with its
// method, its path and its operation name, so that a new endpoint cannot be
// left out of it.
func TestReadmeCoversEveryEndpoint(t *testing.T) {
	rows := readmeCoverage(t)
	for name, e := range endpointTable(t) {
		var matched *coverageRow
		for i := range rows {
			if rows[i].method == e.method && pathShape(rows[i].path) == pathShape(e.tmpl) {
				matched = &rows[i]
			}
		}
		if !assert.NotNil(t, matched, "%s (%s %s) has no row in the README's API coverage table", name, e.method, e.tmpl) {
			continue
		}
		assert.Regexp(t, `\b`+regexp.QuoteMeta(e.op)+`\b`, matched.text, "the row of %s %s names the operation %s", e.method, e.tmpl, e.op)
	}
	seen := map[string]bool{}
	for _, r := range rows {
		assert.Contains(t, []string{"GET", "POST", "PUT", "PATCH", "DELETE"}, r.method, r.text)
		assert.True(t, strings.HasPrefix(r.path, "/"), r.text)
		key := r.method + " " + pathShape(r.path)
		assert.False(t, seen[key], "%s is listed twice", key)
		seen[key] = true
	}
}

func TestPathShape(t *testing.T) {
	assert.Equal(t, "/*/conversation_filters/*/conversations/reopen",
		pathShape("/:account/conversation_filters/:conversation_filter/conversations/reopen{?modified_before}"))
	assert.Equal(t, "/*/conversation_filters/*/conversations/reopen",
		pathShape("/{account}/conversation_filters/{filter}/conversations/reopen"))
	assert.Equal(t, "/accounts/tree", pathShape("/accounts/tree{?role}"))
	assert.NotEqual(t, pathShape("/accounts/tree"), pathShape("/accounts/{slug}"))
}
