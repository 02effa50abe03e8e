package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textustest"
)

func TestImportReportsEveryBadRowAndCreatesNothing(t *testing.T) {
	srv := newFake(t)
	dir := t.TempDir()
	file := writeFile(t, dir, "contacts.csv", strings.Join([]string{
		"Name,Phone,Phone_Type,city",                           // 1 (column names in any case)
		"Good One,+13035550001,Mobile,Denver",                  // 2
		"Bad Phone,303-555-CALL,,Denver",                       // 3
		",,,Boulder",                                           // 4 neither name nor phone
		"Too,+13035550002,Mobile,Denver,extra",                 // 5 too many fields
		`"Multi`,                                               // 6 a quoted field over two lines:
		`Line",+13035550003,Mobile,"Fort Collins"`,             // 7   ...a valid row
		"Mismatch,+13035550004;+13035550005,Mobile;Work;Home,", // 8
		"Type Only,,Mobile,",                                   // 9
		"Empty Number,+13035550006;;+13035550007,,",            // 10
		"Short,555-1234,,",                                     // 11 seven digits
		"Good Two,(303) 555-0008 x12,Work,",                    // 12
		`Bad "quote,+13035550009,,`,                            // 13
	}, "\n")+"\n")

	r := runCLI(t, fakeEnv(srv), "", "contacts", "import", file)
	require.Equal(t, 2, r.code, r)
	assert.Empty(t, r.stdout)
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	re := regexp.MustCompile(`^textus: ` + regexp.QuoteMeta(file) + `: line (\d+): `)
	var bad []string
	for _, l := range lines[:len(lines)-1] {
		m := re.FindStringSubmatch(l)
		require.NotNil(t, m, "line %q", l)
		bad = append(bad, m[1])
	}
	assert.Equal(t, []string{"3", "4", "5", "8", "9", "10", "11", "13"}, bad, r.stderr)
	assert.Contains(t, lines[0], `"303-555-CALL" contains 'C'`)
	assert.Contains(t, lines[1], "needs a name or a phone number")
	assert.Contains(t, lines[2], "5 fields, but the header has 4")
	assert.Contains(t, lines[3], "phone_type has 3 types for 2 numbers")
	assert.Contains(t, lines[4], "phone_type without a phone")
	assert.Contains(t, lines[5], "an empty number")
	assert.Contains(t, lines[7], "not valid CSV")
	assert.Equal(t, "textus: "+file+": 8 bad rows; nothing was imported", lines[len(lines)-1])

	assert.Empty(t, srv.Contacts(), "nothing is created when a row is bad")
	assert.Empty(t, srv.Requests(), "nothing is sent when a row is bad")
}

func TestImportHeaderProblems(t *testing.T) {
	srv := newFake(t)
	dir := t.TempDir()
	for content, want := range map[string]string{
		"":                            "the file is empty",
		"name,phone,Name\n":           `the column "Name" twice`,
		"city,state\nDenver,CO\n":     "neither a name nor a phone column",
		"name,,phone\nA,x,+1303555\n": "header column 2 has no name",
	} {
		r := runCLI(t, fakeEnv(srv), "", "contacts", "import", writeFile(t, dir, "h.csv", content))
		assert.Equal(t, 2, r.code, "%q: %s", content, r)
		assert.Contains(t, requireOneErrorLine(t, r), want)
	}
	r := runCLI(t, fakeEnv(srv), "", "contacts", "import", filepath.Join(dir, "missing.csv"))
	assert.Equal(t, 1, r.code, r)
	assert.Empty(t, srv.Contacts())
}

func TestImportDryRunAndStdin(t *testing.T) {
	srv := newFake(t)
	csvText := "\uFEFFname,phone,phone_type,tags\nAda,+13035550001,Mobile,\"[\"\"vip\"\"]\"\nGrace,3035550002,,\n"
	r := runCLI(t, fakeEnv(srv), csvText, "contacts", "import", "--dry-run", "-")
	require.Equal(t, 0, r.code, r)
	assert.Equal(t, "standard input: 2 rows are valid; nothing was created (dry run).\n", r.stdout)
	assert.Empty(t, srv.Contacts())

	r = runCLI(t, fakeEnv(srv), csvText, "contacts", "import", "-")
	require.Equal(t, 0, r.code, r)
	assert.Equal(t, "standard input: 2 created, 0 failed.\n", r.stdout)
	cs := srv.Contacts()
	require.Len(t, cs, 2)
	byName := map[string]*textus.Contact{}
	for _, c := range cs {
		byName[c.Name] = c
	}
	assert.Equal(t, map[string]any{"tags": []any{"vip"}}, byName["Ada"].Data)
	assert.Equal(t, "+13035550002", byName["Grace"].Phones[0].PhoneNumber)
}

// rejectingProxy forwards to the fake, except contact creations whose body
// contains reject, which it answers 422.
func rejectingProxy(t *testing.T, srv *textustest.Server, reject string) *httptest.Server {
	t.Helper()
	u, err := url.Parse(srv.URL())
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(u)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			body, _ := io.ReadAll(r.Body)
			if bytes.Contains(body, []byte(reject)) {
				w.Header().Set("Content-Type", textus.MediaType)
				w.WriteHeader(http.StatusUnprocessableEntity)
				_, _ = io.WriteString(w, `{"@type":"hydra:Error","hydra:title":"Unprocessable Entity","hydra:description":"name: is reserved"}`)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func TestImportReportsFailedRowsWithLineNumbers(t *testing.T) {
	srv := newFake(t)
	proxy := rejectingProxy(t, srv, "Reject Me")
	env := fakeEnv(srv)
	env[envBaseURL] = proxy.URL
	file := writeFile(t, t.TempDir(), "c.csv", "name,phone\nA,+13035550001\nReject Me,+13035550002\nB,+13035550003\nReject Me Too,+13035550004\n")

	r := runCLI(t, env, "", "contacts", "import", "--concurrency", "2", file)
	require.Equal(t, 1, r.code, r)
	assert.Equal(t, file+": 2 created, 2 failed.\n", r.stdout)
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	require.Len(t, lines, 3, r.stderr)
	assert.Equal(t, "textus: "+file+": line 3: 422 Unprocessable Entity: name: is reserved (POST /test_account/contacts)", lines[0])
	assert.Contains(t, lines[1], "line 5: 422")
	assert.Equal(t, "textus: 2 rows failed; the other rows were imported", lines[2])
	assert.Len(t, srv.Contacts(), 2)
}

func TestImportOutcomeUnknownIsExit3(t *testing.T) {
	srv := newFake(t, textustest.WithFaults(textustest.Fault{
		Kind: textustest.FaultServerError, Rate: 1, Method: "POST", Path: "/:account/contacts", After: 1, Limit: 1,
	}))
	file := writeFile(t, t.TempDir(), "c.csv", "name,phone\nA,+13035550001\nB,+13035550002\nC,+13035550003\n")
	r := runCLI(t, fakeEnv(srv), "", "contacts", "import", "--concurrency", "1", file)
	require.Equal(t, 3, r.code, r)
	assert.Equal(t, file+": 2 created, 0 failed, 1 unknown.\n", r.stdout)
	assert.Contains(t, r.stderr, "line 3: outcome unknown: the contact may have been created")
	assert.Contains(t, lastLine(r.stderr), "outcome unknown for 1 row (lines 3)")
}

// seedContacts creates n contacts through the SDK.
func seedContacts(t *testing.T, srv *textustest.Server, n int) {
	t.Helper()
	c := srv.Client()
	for i := 0; i < n; i++ {
		_, err := c.Contacts.Create(context.Background(), &textus.ContactParams{
			Name:   fmt.Sprintf("Person %02d", i),
			Phones: []textus.PhoneParams{{Number: fmt.Sprintf("+1303555%04d", i), Type: "Mobile"}},
			Data:   map[string]any{"city": "Denver"},
		})
		require.NoError(t, err)
	}
}

func TestExportCSVImportsBackUnchanged(t *testing.T) {
	src := newFake(t, textustest.WithPageSize(2))
	c := src.Client()
	ctx := context.Background()
	for _, p := range []*textus.ContactParams{
		{Name: `Walker, "Cordell"`, Phones: []textus.PhoneParams{{Number: "+13035551234", Type: "Mobile"}, {Number: "720-555-0199 x12", Type: "Work"}},
			Data: map[string]any{"businessName": "McDonalds", "tags": []any{"cashier", "nights"}}},
		{Name: "Ada Lovelace", Phones: []textus.PhoneParams{{Number: "+13035550001", Type: "Home"}}, Data: map[string]any{"note": "line one\nline two"}},
		{Name: "No Phone"},
		{Phones: []textus.PhoneParams{{Number: "+13035550002", Type: "Mobile"}}},
		{Name: "Unicode Zoë", Phones: []textus.PhoneParams{{Number: "+447700900123", Type: "Mobile"}}, Data: map[string]any{"city": "Zürich"}},
	} {
		_, err := c.Contacts.Create(ctx, p)
		require.NoError(t, err)
	}
	dir := t.TempDir()
	first := filepath.Join(dir, "first.csv")
	r := runCLI(t, fakeEnv(src), "", "contacts", "export", "--out", first, "--data-columns", "businessName,city,note,tags")
	require.Equal(t, 0, r.code, r)
	assert.Empty(t, r.stderr, "no progress when stderr is not a terminal")

	t.Log("export done")
	dst := newFake(t)
	r = runCLI(t, fakeEnv(dst), "", "contacts", "import", first)
	t.Log("import done")
	require.Equal(t, 0, r.code, r)
	second := filepath.Join(dir, "second.csv")
	r = runCLI(t, fakeEnv(dst), "", "contacts", "export", "--format", "csv", "--out", second)
	require.Equal(t, 0, r.code, r)

	a, b := readCSV(t, first), readCSV(t, second)
	require.Equal(t, []string{"name", "phone", "phone_type", "businessName", "city", "note", "tags"}, a[0])
	assert.Equal(t, a[0], b[0], "same columns")
	assert.ElementsMatch(t, a[1:], b[1:], "same rows")
	assert.Contains(t, a[1:], []string{`Walker, "Cordell"`, "+13035551234;+17205550199 x12", "Mobile;Work", "McDonalds", "", "", `["cashier","nights"]`})
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer func() { assert.NoError(t, f.Close()) }()
	recs, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	return recs
}

func TestExportResumeFromCursor(t *testing.T) {
	srv := newFake(t, textustest.WithPageSize(3))
	seedContacts(t, srv, 7)
	page, err := srv.Client().Contacts.ListPage(context.Background(), nil, "")
	require.NoError(t, err)
	require.True(t, page.HasNext())

	r := runCLI(t, fakeEnv(srv), "", "contacts", "export", "--format", "jsonl", "--resume-from", page.NextCursor)
	require.Equal(t, 0, r.code, r)
	var names []string
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var c textus.Contact
		require.NoError(t, json.Unmarshal([]byte(l), &c))
		names = append(names, c.Name)
	}
	assert.Equal(t, []string{"Person 03", "Person 04", "Person 05", "Person 06"}, names)

	// CSV resumed to standard output has no header: it is appended to the
	// first part.
	r = runCLI(t, fakeEnv(srv), "", "contacts", "export", "--resume-from", page.NextCursor, "--data-columns", "city")
	require.Equal(t, 0, r.code, r)
	assert.True(t, strings.HasPrefix(r.stdout, "Person 03,+13035550003,Mobile,Denver\n"), r.stdout)

	r = runCLI(t, fakeEnv(srv), "", "contacts", "export", "--resume-from", "/test_account/contacts?cursor=notacursor", "--max-retries", "0")
	require.Equal(t, 1, r.code, r)
	assert.Contains(t, r.stderr, "400 Bad Request")
}

// resumeCursor finds the cursor in an export's "resume cursor:" line.
func resumeCursor(t *testing.T, stderr string) string {
	t.Helper()
	m := regexp.MustCompile(`resume cursor: (\S+)`).FindStringSubmatch(stderr)
	require.NotNil(t, m, stderr)
	return m[1]
}

func TestExportStopsOnErrorPrintsCursorAndResumesIntoTheSameFile(t *testing.T) {
	srv := newFake(t, textustest.WithPageSize(2))
	seedContacts(t, srv, 7)
	dir := t.TempDir()
	full := filepath.Join(dir, "full.csv")
	require.Equal(t, 0, runCLI(t, fakeEnv(srv), "", "contacts", "export", "--out", full).code)

	// The third page fails (503), and GETs are not retried here.
	srv.SetFaults(textustest.Fault{Kind: textustest.FaultServerError, Rate: 1, Method: "GET", Path: "/:account/contacts", After: 2})
	part := filepath.Join(dir, "part.csv")
	r := runCLI(t, fakeEnv(srv), "", "contacts", "export", "--out", part, "--max-retries", "0")
	require.Equal(t, 1, r.code, r)
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	require.Len(t, lines, 3, r.stderr)
	assert.Regexp(t, `^textus: 503 Service Unavailable: .* \(GET /test_account/contacts\?cursor=\S+\)$`, lines[0])
	cursor := resumeCursor(t, lines[1])
	assert.Equal(t, "textus: export stopped after 4 contacts; resume cursor: "+cursor, lines[1])
	assert.Equal(t, "textus: to resume: textus contacts export --format csv --out "+shellQuote(part)+" --resume-from "+shellQuote(cursor), lines[2])
	assert.Len(t, readCSV(t, part), 5, "header and two complete pages")

	srv.SetFaults()
	r = runCLI(t, fakeEnv(srv), "", "contacts", "export", "--out", part, "--resume-from", cursor)
	require.Equal(t, 0, r.code, r)
	want, err := os.ReadFile(full)
	require.NoError(t, err)
	got, err := os.ReadFile(part)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got), "the resumed file is the complete export")
}

// cancelOnProgress is a terminal-like stderr that cancels the export's
// context when the first progress line is written.
type cancelOnProgress struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	cancel context.CancelFunc
}

func (c *cancelOnProgress) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if bytes.Contains(p, []byte("Exporting:")) {
		c.cancel()
	}
	return c.buf.Write(p)
}

func TestExportInterruptedPrintsCursorAndShowsProgressOnTerminal(t *testing.T) {
	srv := newFake(t, textustest.WithPageSize(3))
	seedContacts(t, srv, 7)
	dir := t.TempDir()
	out := filepath.Join(dir, "c.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &cancelOnProgress{cancel: cancel}
	a := &app{stdin: strings.NewReader(""), stdout: io.Discard, stderr: stderr, env: envFunc(fakeEnv(srv)), tty: true}
	code := a.exitCode(a.main(ctx, []string{"contacts", "export", "--format", "jsonl", "--out", out}))
	require.Equal(t, 1, code, stderr.buf.String())
	msg := stderr.buf.String()
	assert.Contains(t, msg, "\rExporting: 3/7 contacts\n")
	assert.Contains(t, msg, "textus: interrupted\n")
	assert.Contains(t, msg, "export stopped after 3 contacts")
	cursor := resumeCursor(t, msg)

	// Resuming on a terminal shows progress and a summary.
	stderr2 := &syncBuffer{}
	a = &app{stdin: strings.NewReader(""), stdout: io.Discard, stderr: stderr2, env: envFunc(fakeEnv(srv)), tty: true}
	code = a.exitCode(a.main(context.Background(), []string{"contacts", "export", "--format", "jsonl", "--out", out, "--resume-from", cursor}))
	require.Equal(t, 0, code, stderr2.String())
	assert.Contains(t, stderr2.String(), "\rExporting: 3/7 contacts\rExporting: 4/7 contacts\n")
	assert.Contains(t, stderr2.String(), "Exported 4 contacts to "+out+".")

	data, err := os.ReadFile(out)
	require.NoError(t, err)
	var names []string
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var c textus.Contact
		require.NoError(t, json.Unmarshal([]byte(l), &c))
		names = append(names, c.Name)
	}
	sort.Strings(names)
	assert.Equal(t, []string{"Person 00", "Person 01", "Person 02", "Person 03", "Person 04", "Person 05", "Person 06"}, names)
}

func TestExportWarnsAboutKeysOutsideTheColumns(t *testing.T) {
	srv := newFake(t, textustest.WithPageSize(1))
	c := srv.Client()
	ctx := context.Background()
	_, err := c.Contacts.Create(ctx, &textus.ContactParams{Name: "A", Data: map[string]any{"city": "Denver"}})
	require.NoError(t, err)
	_, err = c.Contacts.Create(ctx, &textus.ContactParams{Name: "B", Data: map[string]any{"city": "Boulder", "late": "x"}})
	require.NoError(t, err)

	r := runCLI(t, fakeEnv(srv), "", "contacts", "export")
	require.Equal(t, 0, r.code, r)
	assert.Equal(t, "name,phone,phone_type,city\nA,,,Denver\nB,,,Boulder\n", r.stdout)
	assert.Equal(t, "textus: warning: data key \"late\" is not exported: it is not among the CSV columns (name it with --data-columns)\n", r.stderr)

	r = runCLI(t, fakeEnv(srv), "", "contacts", "export", "--data-columns", "city,late")
	require.Equal(t, 0, r.code, r)
	assert.Equal(t, "name,phone,phone_type,city,late\nA,,,Denver,\nB,,,Boulder,x\n", r.stdout)
	assert.Empty(t, r.stderr)
}

func TestExportRefusesToAppendToABrokenFile(t *testing.T) {
	srv := newFake(t)
	seedContacts(t, srv, 1)
	dir := t.TempDir()
	partial := writeFile(t, dir, "p.csv", "name,phone,phone_type,city\nPerson 00,+13035550000,Mob")
	r := runCLI(t, fakeEnv(srv), "", "contacts", "export", "--out", partial, "--resume-from", "/test_account/contacts")
	require.Equal(t, 2, r.code, r)
	assert.Contains(t, requireOneErrorLine(t, r), "does not end with a complete line")

	other := writeFile(t, dir, "o.csv", "id,name\n1,x\n")
	r = runCLI(t, fakeEnv(srv), "", "contacts", "export", "--out", other, "--resume-from", "/test_account/contacts")
	require.Equal(t, 2, r.code, r)
	assert.Contains(t, requireOneErrorLine(t, r), "not a contacts export")

	good := writeFile(t, dir, "g.csv", "name,phone,phone_type,city\n")
	r = runCLI(t, fakeEnv(srv), "", "contacts", "export", "--out", good, "--resume-from", "/test_account/contacts", "--data-columns", "zip")
	require.Equal(t, 2, r.code, r)
	assert.Contains(t, requireOneErrorLine(t, r), "differ from the columns")
}
