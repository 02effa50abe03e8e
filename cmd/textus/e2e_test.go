package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textustest"
)

// These tests build the textus binary once and run it as a user would,
// against a textustest server on loopback.

func TestE2EImportExportRoundTrip1000Contacts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	srv := newFake(t, textustest.WithPageSize(100), textustest.WithRateLimit(100000, time.Minute))
	env := fakeEnv(srv)
	dir := t.TempDir()

	var b strings.Builder
	b.WriteString("name,phone,phone_type,businessName,city\n")
	var want []string
	for i := 0; i < 1000; i++ {
		typ := "Mobile"
		if i%3 == 0 {
			typ = "Work"
		}
		city := ""
		if i%2 == 0 {
			city = "Denver"
		}
		row := fmt.Sprintf("Candidate %04d,+1720555%04d,%s,\"Acme, Inc.\",%s", i, i, typ, city)
		b.WriteString(row + "\n")
		want = append(want, row)
	}
	in := writeFile(t, dir, "in.csv", b.String())

	r := execCLI(t, env, "", "contacts", "import", in)
	require.Equal(t, 0, r.code, r)
	assert.Equal(t, in+": 1000 created, 0 failed.\n", r.stdout)
	require.Len(t, srv.Contacts(), 1000)

	out := filepath.Join(dir, "out.csv")
	r = execCLI(t, env, "", "contacts", "export", "--format", "csv", "--out", out)
	require.Equal(t, 0, r.code, r)
	assert.Empty(t, r.stderr)

	got := readCSV(t, out)
	require.Equal(t, []string{"name", "phone", "phone_type", "businessName", "city"}, got[0])
	var rows []string
	for _, rec := range got[1:] {
		rows = append(rows, fmt.Sprintf("%s,%s,%s,%q,%s", rec[0], rec[1], rec[2], rec[3], rec[4]))
	}
	sort.Strings(rows)
	sort.Strings(want)
	assert.Equal(t, want, rows, "the export is the import")
}

func TestE2ESendAndOptOutRefusal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	srv := newFake(t)
	env := fakeEnv(srv)
	const phone = "+13035551234"
	_, err := srv.ReceiveMessage(phone, "STOP")
	require.NoError(t, err)

	r := execCLI(t, env, "", "messages", "send", "--to", "(303) 555-1234", "--body", "Still interested in the role?")
	require.Equal(t, 1, r.code, r)
	assert.Equal(t, "textus: +13035551234 has opted out of text messages; not sent (pass --force to try anyway; TextUs normally refuses it too)\n", r.stderr)
	assert.Empty(t, r.stdout)
	assert.Empty(t, srv.SentMessages(), "nothing was sent")

	r = execCLI(t, env, "", "messages", "send", "--to", phone, "--body", "Still interested in the role?", "--force")
	require.Equal(t, 1, r.code, r)
	assert.Equal(t, "textus: 422 Unprocessable Entity: +13035551234 has opted out of messages (POST /test_account/messages)\n", r.stderr)
	assert.Empty(t, srv.SentMessages(), "TextUs refused it too")

	r = execCLI(t, env, "", "messages", "send", "--to", "720-555-0199", "--body", "Interview at 3pm?")
	require.Equal(t, 0, r.code, r)
	assert.Regexp(t, `^Sent /messages/\S+ to \+17205550199 \(\w+\)\.\n$`, r.stdout)
	sent := srv.SentMessages()
	require.Len(t, sent, 1)
	assert.Equal(t, "Interview at 3pm?", sent[0].Body)
}

func TestE2EListenAndTriggerEveryEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	const secret = "textus-e2e-listen-secret"
	l := startCLI(t, nil, "listen", "--addr", "127.0.0.1:0", "--secret", "textus-old-secret", "--secret", secret)
	line := waitLine(t, l.stderr, "listening on ")
	m := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+/webhooks) `).FindStringSubmatch(line)
	require.NotNil(t, m, line)
	url := m[1]

	events := textus.AllEvents()
	for _, ev := range events {
		r := execCLI(t, nil, "", "trigger", string(ev), "--url", url, "--secret", secret, "--phone", "+17205550199", "--body", "Yes, 3pm works")
		require.Equal(t, 0, r.code, "%s: %s", ev, r)
		assert.Regexp(t, `^`+regexp.QuoteMeta(string(ev))+`\s+/integrations/\w+/deliveries/[0-9a-f-]{36}\s+200 OK\n$`, r.stdout)
		id := strings.Fields(r.stdout)[1]

		printed := waitLine(t, l.stdout, id)
		f := strings.Fields(printed)
		require.GreaterOrEqual(t, len(f), 5, printed)
		ts, err := time.Parse(time.RFC3339Nano, f[0])
		require.NoError(t, err, printed)
		assert.WithinDuration(t, time.Now(), ts, time.Minute)
		assert.Equal(t, string(ev), f[1])
		assert.Equal(t, id, f[2])
		assert.Equal(t, "+17205550199", f[3])
		rest := strings.Join(f[4:], " ")
		switch ev {
		case textus.EventMessageReceived, textus.EventMessageDelivered, textus.EventMessageFailed, textus.EventMessageUnknown:
			assert.Equal(t, `"Yes, 3pm works"`, rest, ev)
		case textus.EventContactCreated:
			assert.Equal(t, `"Jordan Lee"`, rest)
		case textus.EventPhoneCallCompleted:
			assert.Equal(t, `"completed, 42s"`, rest)
		default:
			assert.Equal(t, "-", rest, ev)
		}
	}

	// The old secret still works (rotation); a wrong one is refused.
	r := execCLI(t, nil, "", "trigger", "contact.created", "--url", url, "--secret", "textus-old-secret")
	require.Equal(t, 0, r.code, r)
	r = execCLI(t, nil, "", "trigger", "message.received", "--url", url, "--secret", "textus-wrong-secret")
	require.Equal(t, 1, r.code, r)
	assert.Contains(t, r.stdout, "401 Unauthorized")
	assert.Equal(t, "textus: message.received: the receiver answered 401 Unauthorized: invalid signature\n", r.stderr)
	waitLine(t, l.stderr, "invalid signature")

	assert.Equal(t, 0, l.interrupt(t), "listen stops cleanly on SIGINT")
	var rest []string
	for line := range l.stdout {
		rest = append(rest, line)
	}
	require.Len(t, rest, 1, "only the old-secret delivery is left; the refused one was not printed: %v", rest)
	assert.Contains(t, rest[0], "contact.created")
}

func TestE2EExitCodes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	srv := newFake(t)
	env := fakeEnv(srv)

	r := execCLI(t, env, "", "accounts", "list")
	assert.Equal(t, 0, r.code, r)

	r = execCLI(t, env, "", "contacts", "get", "NoSuch1")
	assert.Equal(t, 1, r.code, r)
	assert.Equal(t, "textus: 404 Not Found: contact \"NoSuch1\" not found (GET /contacts/NoSuch1)\n", r.stderr)

	r = execCLI(t, env, "", "messages", "send", "--to", "555-CALL-NOW", "--body", "hi")
	assert.Equal(t, 2, r.code, r)
	assert.Contains(t, r.stderr, "invalid phone number")

	srv.SetFaults(textustest.Fault{Kind: textustest.FaultLoseResponse, Rate: 1, Method: "POST", Path: "/:account/messages"})
	r = execCLI(t, env, "", "messages", "send", "--to", "+13035551234", "--body", "Offer letter attached")
	assert.Equal(t, 3, r.code, r)
	assert.Equal(t, 1, strings.Count(r.stderr, "\n"), r.stderr)
	assert.Contains(t, r.stderr, "textus: outcome unknown: the message to +13035551234 may have been sent")
	assert.Contains(t, r.stderr, "textus conversations timeline +13035551234")
	assert.Len(t, srv.SentMessages(), 1, "it went out once and was not re-sent")
	srv.SetFaults()

	// The timeline shows it, as the message advises.
	r = execCLI(t, env, "", "conversations", "timeline", "+13035551234")
	assert.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stdout, "Offer letter attached")

	r = execCLI(t, env, "", "bogus")
	assert.Equal(t, 1, r.code, r)
	r = execCLI(t, env, "", "contacts", "list", "--limit", "many")
	assert.Equal(t, 2, r.code, r)
}

func TestE2EFakeCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	p := startCLI(t, nil, "fake", "--addr", "127.0.0.1:0", "--page-size", "2", "--account", "acme_recruiting")
	env := map[string]string{}
	for _, key := range []string{envBaseURL, envToken, envAccount} {
		line := waitLine(t, p.stdout, "export "+key+"=")
		env[key] = strings.Trim(strings.TrimPrefix(line, "export "+key+"="), "'")
	}
	assert.Equal(t, "acme_recruiting", env[envAccount])
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+$`, env[envBaseURL])

	for i := 0; i < 3; i++ {
		r := execCLI(t, env, "", "contacts", "create", "--name", fmt.Sprintf("Candidate %d", i), "--phone", fmt.Sprintf("+1720555010%d", i))
		require.Equal(t, 0, r.code, r)
	}
	r := execCLI(t, env, "", "contacts", "list", "--json")
	require.Equal(t, 0, r.code, r)
	assert.Equal(t, 3, strings.Count(r.stdout, "\n"), "three contacts over two pages")
	var c textus.Contact
	require.NoError(t, json.Unmarshal([]byte(strings.SplitN(r.stdout, "\n", 2)[0]), &c))
	assert.Equal(t, "Candidate 0", c.Name)

	assert.Equal(t, 0, p.interrupt(t))
}

func TestE2ETokenNeverPrinted(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	const tok = "tok-e2e-SENTINEL-5a5a5a5a"
	srv := newFake(t, textustest.WithToken(tok))
	env := fakeEnv(srv)
	for _, args := range [][]string{
		{"accounts", "list"},
		{"contacts", "list", "--json"},
		{"contacts", "get", "missing"},
		{"messages", "send", "--to", "bad", "--body", "x"},
		{"webhooks", "list"},
		{"--token", tok, "optouts", "list"},
		{"--token", tok, "--help"},
		{"contacts", "list", "--token", tok + "-wrong"},
		{"contacts", "list", "--base-url", "http://127.0.0.1:1", "--max-retries", "0"},
	} {
		r := execCLI(t, env, "", args...)
		assert.NotContains(t, r.stdout+r.stderr, tok, "%v", args)
	}
}
