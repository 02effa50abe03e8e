package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textustest"
)

// lastLine returns the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// requireOneErrorLine checks that stderr is exactly one "textus: " line.
func requireOneErrorLine(t *testing.T, r result) string {
	t.Helper()
	require.Equal(t, 1, strings.Count(r.stderr, "\n"), "want one line on stderr, got:\n%s", r.stderr)
	require.True(t, strings.HasPrefix(r.stderr, "textus: "), r.stderr)
	return strings.TrimSpace(r.stderr)
}

// commandPaths lists the path of every command of the tree ("" for the
// root) and whether it is a leaf.
func commandPaths() map[string]bool {
	out := map[string]bool{}
	var walk func(c *command, path string)
	walk = func(c *command, path string) {
		out[path] = c.run != nil
		for _, s := range c.subs {
			walk(s, strings.TrimSpace(path+" "+s.name))
		}
	}
	walk(commands(), "")
	return out
}

func TestHelpOnEveryCommand(t *testing.T) {
	paths := commandPaths()
	require.Greater(t, len(paths), 20)
	for path, leaf := range paths {
		for _, h := range []string{"--help", "-h"} {
			args := append(strings.Fields(path), h)
			r := runCLI(t, nil, "", args...)
			require.Equal(t, 0, r.code, "textus %s %s: %s", path, h, r)
			assert.Empty(t, r.stderr, path)
			assert.Contains(t, r.stdout, "Usage:\n  "+strings.TrimSpace("textus "+path), path)
			if leaf {
				assert.Contains(t, r.stdout, "Examples:\n  textus "+path, "%q has no examples", path)
			} else {
				assert.Contains(t, r.stdout, "Commands:", path)
			}
		}
		// "textus help PATH" is the same as "textus PATH --help".
		r := runCLI(t, nil, "", append([]string{"help"}, strings.Fields(path)...)...)
		require.Equal(t, 0, r.code, "textus help %s: %s", path, r)
		assert.Contains(t, r.stdout, "Usage:", path)
	}
}

func TestHelpNeverShowsTheToken(t *testing.T) {
	const tok = "tok-help-SENTINEL-4242"
	for _, args := range [][]string{
		{"--token", tok, "--help"},
		{"--token", tok, "contacts", "list", "--help"},
		{"contacts", "list", "--token", tok, "--help"},
		{"--token", tok, "messages", "send", "-h"},
	} {
		r := runCLI(t, nil, "", args...)
		require.Equal(t, 0, r.code, r)
		assert.NotContains(t, r.stdout+r.stderr, tok, "%v", args)
	}
}

func TestUsageAndInputErrors(t *testing.T) {
	env := map[string]string{envToken: "tok-usage-SENTINEL", envAccount: "acct", envBaseURL: "http://127.0.0.1:1"}
	cases := []struct {
		args []string
		code int
		want string
	}{
		{nil, 1, "missing command"},
		{[]string{"bogus"}, 1, `unknown command "bogus"`},
		{[]string{"contacts"}, 1, "missing subcommand"},
		{[]string{"contacts", "bogus"}, 1, `unknown subcommand "bogus"`},
		{[]string{"contacts", "get"}, 1, "want one contact ID"},
		{[]string{"contacts", "list", "--bogus"}, 1, "flag provided but not defined"},
		{[]string{"contacts", "list", "extra"}, 1, `unexpected argument "extra"`},
		{[]string{"contacts", "create"}, 1, "needs --name or --phone"},
		{[]string{"contacts", "create", "--name", "X", "--phone", "12"}, 2, "invalid phone number"},
		{[]string{"contacts", "create", "--phone", "+13035551234", "--phone-type", "Mobile", "--phone-type", "Work"}, 2, "--phone-type once, or once per --phone"},
		{[]string{"contacts", "create", "--name", "X", "--data", "novalue"}, 2, "want KEY=VALUE"},
		{[]string{"contacts", "update", "ID"}, 1, "nothing to change"},
		{[]string{"contacts", "import", "--concurrency", "x", "f.csv"}, 2, `invalid value "x" for --concurrency`},
		{[]string{"contacts", "import", "--concurrency", "0", "f.csv"}, 2, "want 1 to 64"},
		{[]string{"contacts", "export", "--format", "xml"}, 2, `--format "xml"`},
		{[]string{"messages", "send", "--to", "+13035551234"}, 1, "--body is required"},
		{[]string{"messages", "send", "--body", "hi"}, 1, "--to is required"},
		{[]string{"messages", "send", "--to", "hello", "--body", "hi"}, 2, "invalid phone number"},
		{[]string{"messages", "send", "--to", "+13035551234", "--from", "nope", "--body", "hi"}, 2, "--from: invalid phone number"},
		{[]string{"conversations", "timeline", "555"}, 2, "invalid phone number"},
		{[]string{"optouts", "check", "abc"}, 2, "invalid phone number"},
		{[]string{"optouts", "list", "--query", "30"}, 2, "at least 3 characters"},
		{[]string{"webhooks", "create", "--url", "https://x.example/h"}, 1, "--events is required"},
		{[]string{"webhooks", "create", "--url", "ftp://x", "--events", "all"}, 2, "absolute http(s) URL"},
		{[]string{"webhooks", "create", "--url", "https://x.example/h", "--events", "message.sent"}, 2, `unknown event "message.sent"`},
		{[]string{"webhooks", "update", "ID", "--active=maybe"}, 2, `invalid boolean value "maybe" for --active`},
		{[]string{"webhooks", "update", "ID"}, 1, "nothing to change"},
		{[]string{"listen", "--addr", "127.0.0.1:0"}, 1, "no webhook secret"},
		{[]string{"listen", "--secret", "s", "--path", "hooks"}, 2, "must start with /"},
		{[]string{"trigger", "message.sent", "--url", "http://127.0.0.1:1/", "--secret", "s"}, 2, `unknown event "message.sent"`},
		{[]string{"trigger", "message.received", "--secret", "s"}, 1, "--url is required"},
		{[]string{"trigger", "message.received", "--url", "http://127.0.0.1:1/"}, 1, "no webhook secret"},
		{[]string{"fake", "extra"}, 1, `unexpected argument "extra"`},
		{[]string{"fake", "--page-size", "0"}, 2, "--page-size must be at least 1"},
		{[]string{"fake", "--rate-period", "0s"}, 2, "--rate-period must be positive"},
		{[]string{"fake", "--latency", "-1s"}, 2, "must not be negative"},
		{[]string{"fake", "--account-name", " "}, 2, "--account-name must not be empty"},
		{[]string{"fake", "--token", "a b"}, 2, "--token must not contain white space"},
		{[]string{"fake", "--phone", "555-0100"}, 2, `--phone: invalid phone number: "555-0100"`},
		{[]string{"fake", "--addr", "127.0.0.1:0", "--account", "no/slug"}, 2, `--account "no/slug": not a valid account slug`},
		{[]string{"fake", "--addr", "127.0.0.1:notaport"}, 1, "cannot listen on 127.0.0.1:notaport"},
		{[]string{"--max-retries", "-1", "accounts", "list"}, 2, "--max-retries must not be negative"},
		{[]string{"accounts", "list", "--rate-limit", "lots"}, 2, "--rate-limit"},
		{[]string{"accounts", "list", "--base-url", "ftp://x"}, 2, "invalid base URL"},
		{[]string{"version", "extra"}, 1, "unexpected argument"},
	}
	for _, tc := range cases {
		r := runCLI(t, env, "", tc.args...)
		assert.Equal(t, tc.code, r.code, "textus %v: %s", tc.args, r)
		line := lastLine(r.stderr)
		assert.True(t, strings.HasPrefix(line, "textus: "), "textus %v: %s", tc.args, r)
		assert.Contains(t, line, tc.want, "textus %v", tc.args)
		assert.Empty(t, r.stdout, "textus %v", tc.args)
	}
}

func TestNoTokenIsAClearError(t *testing.T) {
	r := runCLI(t, map[string]string{envAccount: "a"}, "", "contacts", "list")
	require.Equal(t, 1, r.code)
	line := requireOneErrorLine(t, r)
	assert.Contains(t, line, "no API token: set TEXTUS_TOKEN")
}

func TestNoAccountIsAClearError(t *testing.T) {
	srv := newFake(t)
	env := fakeEnv(srv)
	delete(env, envAccount)
	r := runCLI(t, env, "", "contacts", "list")
	require.Equal(t, 1, r.code, r)
	assert.Contains(t, requireOneErrorLine(t, r), "no account set: set TEXTUS_ACCOUNT or pass --account")
	// The flag supplies it, before or after the command name.
	r = runCLI(t, env, "", "--account", srv.Account(), "contacts", "list")
	require.Equal(t, 0, r.code, r)
	r = runCLI(t, env, "", "contacts", "list", "--account", srv.Account())
	require.Equal(t, 0, r.code, r)
}

func TestFlagsWinOverEnvironment(t *testing.T) {
	srv := newFake(t)
	env := map[string]string{envBaseURL: "http://127.0.0.1:1", envToken: "wrong-token", envAccount: "nope"}
	r := runCLI(t, env, "", "--base-url", srv.URL(), "--account", srv.Account(), "accounts", "list", "--token", srv.Token())
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stdout, srv.Account())
	assert.NotContains(t, r.stdout+r.stderr, srv.Token())
}

func TestAccountsList(t *testing.T) {
	srv := newFake(t)
	r := runCLI(t, fakeEnv(srv), "", "accounts", "list")
	require.Equal(t, 0, r.code, r)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 2)
	assert.Regexp(t, `^SLUG\s+NAME\s+TYPE\s+PHONE NUMBERS$`, lines[0])
	assert.Regexp(t, `^test_account\s+Test Account\s+`, lines[1])

	r = runCLI(t, fakeEnv(srv), "", "accounts", "list", "--json")
	require.Equal(t, 0, r.code, r)
	var acct textus.Account
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &acct))
	assert.Equal(t, srv.Account(), acct.Slug)
}

func TestContactsLifecycle(t *testing.T) {
	srv := newFake(t)
	env := fakeEnv(srv)

	r := runCLI(t, env, "", "contacts", "create", "--name", "Cordell Walker", "--phone", "(303) 555-1234",
		"--phone-type", "Mobile", "--data", "businessName=McDonalds", "--data", `tags=["cashier"]`, "--json")
	require.Equal(t, 0, r.code, r)
	var created textus.Contact
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &created))
	require.NotEmpty(t, created.ID)
	require.Len(t, created.Phones, 1)
	assert.Equal(t, "+13035551234", created.Phones[0].PhoneNumber)
	assert.Equal(t, "Mobile", created.Phones[0].Type)
	assert.Equal(t, map[string]any{"businessName": "McDonalds", "tags": []any{"cashier"}}, created.Data)

	id := slug(created.ID)
	r = runCLI(t, env, "", "contacts", "get", id)
	require.Equal(t, 0, r.code, r)
	assert.Regexp(t, `Name:\s+Cordell Walker`, r.stdout)
	assert.Regexp(t, `Phones:\s+\+13035551234 \(Mobile\)`, r.stdout)
	assert.Regexp(t, `Data:\s+businessName=McDonalds`, r.stdout)
	assert.Contains(t, r.stdout, `tags=["cashier"]`)

	// Flags after the positional argument work too; --data merges.
	r = runCLI(t, env, "", "contacts", "update", created.ID, "--name", "Cordell T. Walker", "--data", "city=Dallas", "--data", "businessName=", "--json")
	require.Equal(t, 0, r.code, r)
	var updated textus.Contact
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &updated))
	assert.Equal(t, "Cordell T. Walker", updated.Name)
	assert.Equal(t, map[string]any{"city": "Dallas", "tags": []any{"cashier"}}, updated.Data)
	require.Len(t, updated.Phones, 1, "phones are kept when --phone is not given")

	r = runCLI(t, env, "", "contacts", "update", id, "--phone", "+13035551234", "--phone", "720-555-0199 x12", "--phone-type", "Mobile", "--phone-type", "Work")
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stdout, "+17205550199 x12 (Work)")

	r = runCLI(t, env, "", "contacts", "create", "--name", "Alex Doe", "--phone", "+13035559876")
	require.Equal(t, 0, r.code, r)

	r = runCLI(t, env, "", "contacts", "list")
	require.Equal(t, 0, r.code, r)
	assert.Regexp(t, `(?m)^ID\s+NAME\s+PHONES\s+CREATED$`, r.stdout)
	assert.Contains(t, r.stdout, "Cordell T. Walker")
	assert.Contains(t, r.stdout, "Alex Doe")

	r = runCLI(t, env, "", "contacts", "list", "--limit", "1", "--json")
	require.Equal(t, 0, r.code, r)
	assert.Equal(t, 1, strings.Count(r.stdout, "\n"))

	r = runCLI(t, env, "", "contacts", "search", "9876")
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stdout, "Alex Doe")
	assert.NotContains(t, r.stdout, "Cordell")

	r = runCLI(t, env, "", "contacts", "search", "nobody-matches")
	require.Equal(t, 0, r.code, r)
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, "No contacts match")

	r = runCLI(t, env, "", "contacts", "get", "NoSuch1")
	require.Equal(t, 1, r.code, r)
	assert.Equal(t, `textus: 404 Not Found: contact "NoSuch1" not found (GET /contacts/NoSuch1)`, requireOneErrorLine(t, r))
}

func TestContactsCreateRefusesBadPhoneBeforeSending(t *testing.T) {
	srv := newFake(t)
	r := runCLI(t, fakeEnv(srv), "", "contacts", "create", "--name", "X", "--phone", "call me maybe")
	require.Equal(t, 2, r.code, r)
	assert.Contains(t, requireOneErrorLine(t, r), "invalid phone number")
	assert.Empty(t, srv.Contacts())
	assert.Empty(t, srv.Requests(), "nothing may be sent")
}

func TestMessagesSend(t *testing.T) {
	srv := newFake(t)
	env := fakeEnv(srv)

	r := runCLI(t, env, "", "messages", "send", "--to", "(303) 555-1234", "--body", "Are you free at 3pm?")
	require.Equal(t, 0, r.code, r)
	assert.Regexp(t, `^Sent /messages/\S+ to \+13035551234 \(\w+\)\.\n$`, r.stdout)

	r = runCLI(t, env, "Body from\nstandard input\n", "messages", "send", "--to", "+13035551234", "--body", "-", "--json")
	require.Equal(t, 0, r.code, r)
	var m textus.Message
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &m))
	assert.Equal(t, "Body from\nstandard input", m.Body)

	r = runCLI(t, env, "", "messages", "send", "--to", "+13035551234", "--from", srv.PhoneNumber(), "--body", "without an account")
	require.Equal(t, 0, r.code, r)

	sent := srv.SentMessages()
	require.Len(t, sent, 3)
	assert.Equal(t, "Are you free at 3pm?", sent[0].Body)
}

func TestMessagesSendRefusesOptedOutNumber(t *testing.T) {
	srv := newFake(t)
	env := fakeEnv(srv)
	_, err := srv.ReceiveMessage("+13035551234", "STOP")
	require.NoError(t, err)

	r := runCLI(t, env, "", "messages", "send", "--to", "303-555-1234", "--body", "hello?")
	require.Equal(t, 1, r.code, r)
	assert.Contains(t, requireOneErrorLine(t, r), "+13035551234 has opted out of text messages; not sent")
	assert.Empty(t, srv.SentMessages())

	// --force skips the check; the API refuses the send itself.
	r = runCLI(t, env, "", "messages", "send", "--to", "303-555-1234", "--body", "hello?", "--force")
	require.Equal(t, 1, r.code, r)
	assert.Equal(t, "textus: 422 Unprocessable Entity: +13035551234 has opted out of messages (POST /test_account/messages)", requireOneErrorLine(t, r))
	assert.Empty(t, srv.SentMessages())
}

func TestMessagesSendWithoutAccountNeedsForce(t *testing.T) {
	srv := newFake(t)
	env := fakeEnv(srv)
	delete(env, envAccount)
	r := runCLI(t, env, "", "messages", "send", "--to", "+13035551234", "--from", srv.PhoneNumber(), "--body", "hi")
	require.Equal(t, 1, r.code, r)
	assert.Contains(t, requireOneErrorLine(t, r), "pass --force to send without the check")
	r = runCLI(t, env, "", "messages", "send", "--to", "+13035551234", "--from", srv.PhoneNumber(), "--body", "hi", "--force")
	require.Equal(t, 0, r.code, r)
	assert.Len(t, srv.SentMessages(), 1)
}

func TestMessagesSendOutcomeUnknownWhenTheResponseIsLost(t *testing.T) {
	srv := newFake(t, textustest.WithFaults(textustest.Fault{
		Kind: textustest.FaultLoseResponse, Rate: 1, Method: "POST", Path: "/:account/messages",
	}))
	r := runCLI(t, fakeEnv(srv), "", "messages", "send", "--to", "+13035551234", "--body", "Interview at 3pm?")
	require.Equal(t, 3, r.code, r)
	line := requireOneErrorLine(t, r)
	assert.Contains(t, line, "outcome unknown: the message to +13035551234 may have been sent")
	assert.Contains(t, line, "check the conversation timeline (textus conversations timeline +13035551234) before resending")
	// It was sent once, and never re-sent.
	assert.Len(t, srv.SentMessages(), 1)
}

func TestMessagesSendOutcomeUnknownWhenTheConnectionCloses(t *testing.T) {
	var posts atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/acct/opt_outs/"):
			w.Header().Set("Content-Type", textus.MediaType)
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"hydra:title":"Not Found","hydra:description":"no opt-out"}`)
		case r.Method == http.MethodPost && r.URL.Path == "/acct/messages":
			posts.Add(1)
			_, _ = io.ReadAll(r.Body)
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer ts.Close()
	env := map[string]string{envBaseURL: ts.URL, envToken: "tok-hijack-SENTINEL", envAccount: "acct"}
	r := runCLI(t, env, "", "messages", "send", "--to", "+13035551234", "--body", "hi")
	require.Equal(t, 3, r.code, r)
	assert.Contains(t, requireOneErrorLine(t, r), "may have been sent")
	assert.Equal(t, int32(1), posts.Load(), "a send is never repeated")
}

func TestConversationTimeline(t *testing.T) {
	srv := newFake(t)
	env := fakeEnv(srv)
	_, err := srv.ReceiveMessage("+13035551234", "Is the interview still on?")
	require.NoError(t, err)
	r := runCLI(t, env, "", "messages", "send", "--to", "+13035551234", "--body", "Yes,\tsee you at 3pm")
	require.Equal(t, 0, r.code, r)

	r = runCLI(t, env, "", "conversations", "timeline", "(303) 555-1234")
	require.Equal(t, 0, r.code, r)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 5, r.stdout)
	assert.Regexp(t, `^Conversation /conversations/\S+ with \+13035551234 \(open\)$`, lines[0])
	assert.Regexp(t, `^TIME\s+DIRECTION\s+STATE\s+ID\s+BODY$`, lines[2])
	assert.Regexp(t, `\bout\s+\w+\s+\S+\s+Yes, see you at 3pm$`, lines[3], "newest first, one line")
	assert.Regexp(t, `\bin\s+received\s+\S+\s+Is the interview still on\?$`, lines[4])

	r = runCLI(t, env, "", "conversations", "timeline", "+13035551234", "--json")
	require.Equal(t, 0, r.code, r)
	var bodies []string
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var m textus.Message
		require.NoError(t, json.Unmarshal([]byte(l), &m))
		bodies = append(bodies, m.Body)
	}
	assert.Equal(t, []string{"Yes,\tsee you at 3pm", "Is the interview still on?"}, bodies)

	r = runCLI(t, env, "", "conversations", "timeline", "+17205550000")
	require.Equal(t, 1, r.code, r)
	assert.Contains(t, requireOneErrorLine(t, r), "404 Not Found")
}

func TestOptOuts(t *testing.T) {
	srv := newFake(t)
	env := fakeEnv(srv)

	r := runCLI(t, env, "", "optouts", "list")
	require.Equal(t, 0, r.code, r)
	assert.Empty(t, r.stdout)
	assert.Equal(t, "No opt-outs.\n", r.stderr)

	r = runCLI(t, env, "", "optouts", "check", "303-555-1234")
	require.Equal(t, 0, r.code, r)
	assert.Equal(t, "+13035551234 has not opted out.\n", r.stdout)

	r = runCLI(t, env, "", "optouts", "add", "303-555-1234")
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stdout, "Opted out +13035551234")
	assert.True(t, srv.IsOptedOut("+13035551234"))
	r = runCLI(t, env, "", "optouts", "add", "+13035551234")
	require.Equal(t, 0, r.code, "adding twice is fine: %s", r)

	r = runCLI(t, env, "", "optouts", "check", "+13035551234", "--json")
	require.Equal(t, 0, r.code, r)
	assert.JSONEq(t, `{"phoneNumber":"+13035551234","optedOut":true}`, r.stdout)

	_, err := srv.ReceiveMessage("+17205550199", "stop")
	require.NoError(t, err)
	r = runCLI(t, env, "", "optouts", "list")
	require.Equal(t, 0, r.code, r)
	assert.Regexp(t, `(?m)^PHONE\s+OPTED OUT\s+VIA\s+ACCOUNT$`, r.stdout)
	assert.Contains(t, r.stdout, "+13035551234")
	assert.Contains(t, r.stdout, "+17205550199")

	r = runCLI(t, env, "", "optouts", "list", "--query", "720555")
	require.Equal(t, 0, r.code, r)
	assert.NotContains(t, r.stdout, "+13035551234")
	assert.Contains(t, r.stdout, "+17205550199")
}

func TestWebhooksSecretIsPrintedOnlyByCreate(t *testing.T) {
	sink := newSink(t) // closed after the fake, which delivers to it
	srv := newFake(t)
	env := fakeEnv(srv)

	r := runCLI(t, env, "", "webhooks", "create", "--url", sink+"/textus", "--events", "message.received,contact.opted-out")
	require.Equal(t, 0, r.code, r)
	hooks := srv.Webhooks()
	require.Len(t, hooks, 1)
	secret := hooks[0].Secret
	require.NotEmpty(t, secret)
	assert.Equal(t, 1, strings.Count(r.stdout, secret), "the new secret is shown once")
	assert.Contains(t, r.stdout, "shown only this once")
	assert.Regexp(t, `Events:\s+contact.opted_out,message.received`, r.stdout)
	id := slug(hooks[0].ID)

	r = runCLI(t, env, "", "webhooks", "create", "--url", sink+"/all", "--events", "all", "--json")
	require.Equal(t, 0, r.code, r)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
	assert.NotEmpty(t, doc["secret"])
	assert.Len(t, doc["events"], 8)
	secret2, _ := doc["secret"].(string)

	for _, args := range [][]string{
		{"webhooks", "list"},
		{"webhooks", "list", "--json"},
		{"webhooks", "update", id, "--active=false"},
		{"webhooks", "update", id, "--url", sink + "/new", "--events", "all", "--json"},
	} {
		r := runCLI(t, env, "", args...)
		require.Equal(t, 0, r.code, "%v: %s", args, r)
		assert.NotContains(t, r.stdout+r.stderr, secret, "%v", args)
		assert.NotContains(t, r.stdout+r.stderr, secret2, "%v", args)
	}
	r = runCLI(t, env, "", "webhooks", "list")
	assert.Regexp(t, `(?m)^`+id+`\s+`+regexp.QuoteMeta(sink)+`/new\s+no\s+`, r.stdout)
}

func TestJSONOutputParses(t *testing.T) {
	sink := newSink(t)
	srv := newFake(t, textustest.WithPageSize(2))
	env := fakeEnv(srv)
	for i, p := range []string{"+13035550001", "+13035550002", "+13035550003"} {
		r := runCLI(t, env, "", "contacts", "create", "--name", "Person "+string(rune('A'+i)), "--phone", p)
		require.Equal(t, 0, r.code, r)
	}
	_, err := srv.ReceiveMessage("+13035550001", "hello")
	require.NoError(t, err)
	_, err = srv.ReceiveMessage("+13035550002", "STOP")
	require.NoError(t, err)
	require.Equal(t, 0, runCLI(t, env, "", "webhooks", "create", "--url", sink, "--events", "all").code)
	r := runCLI(t, env, "", "--json", "contacts", "list")
	require.Equal(t, 0, r.code, r)
	var first textus.Contact
	require.NoError(t, json.Unmarshal([]byte(strings.SplitN(r.stdout, "\n", 2)[0]), &first))

	lists := [][]string{
		{"accounts", "list"},
		{"contacts", "list"},
		{"contacts", "search", "Person"},
		{"optouts", "list"},
		{"webhooks", "list"},
		{"conversations", "timeline", "+13035550001"},
	}
	for _, args := range lists {
		r := runCLI(t, env, "", append(args, "--json")...)
		require.Equal(t, 0, r.code, "%v: %s", args, r)
		lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
		require.NotEmpty(t, lines[0], "%v printed nothing", args)
		for _, l := range lines {
			var v map[string]any
			require.NoError(t, json.Unmarshal([]byte(l), &v), "%v: line %q", args, l)
		}
	}
	assert.Equal(t, 3, strings.Count(runCLI(t, env, "", "contacts", "list", "--json").stdout, "\n"), "JSON Lines across pages")

	docs := [][]string{
		{"contacts", "get", slug(first.ID)},
		{"optouts", "check", "+13035550002"},
		{"optouts", "add", "+13035550009"},
		{"contacts", "create", "--name", "Json Doc"},
		{"messages", "send", "--to", "+13035550003", "--body", "hi"},
	}
	for _, args := range docs {
		r := runCLI(t, env, "", append(args, "--json")...)
		require.Equal(t, 0, r.code, "%v: %s", args, r)
		dec := json.NewDecoder(strings.NewReader(r.stdout))
		var v map[string]any
		require.NoError(t, dec.Decode(&v), "%v", args)
		require.False(t, dec.More(), "%v: want one JSON document", args)
	}
}

func TestTokenNeverPrinted(t *testing.T) {
	const tok = "tok-SENTINEL-never-printed-0123456789"
	sink := newSink(t)
	srv := newFake(t, textustest.WithToken(tok), textustest.WithPageSize(1))
	env := fakeEnv(srv)
	_, err := srv.ReceiveMessage("+13035551234", "STOP")
	require.NoError(t, err)
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.csv", "name,phone\nX,not-a-phone\n")
	good := writeFile(t, dir, "good.csv", "name,phone\nA,+13035550001\nB,+13035550002\n")

	runs := [][]string{
		{"accounts", "list"},
		{"accounts", "list", "--json"},
		{"contacts", "list"},
		{"contacts", "get", "nope"},
		{"contacts", "create", "--name", "X", "--phone", "bad"},
		{"contacts", "import", bad},
		{"contacts", "import", good},
		{"contacts", "export", "--format", "csv"},
		{"contacts", "export", "--resume-from", "/test_account/contacts?cursor=%%%"},
		{"messages", "send", "--to", "+13035551234", "--body", "hi"},
		{"messages", "send", "--to", "+13035551234", "--body", "hi", "--force"},
		{"optouts", "list", "--json"},
		{"webhooks", "create", "--url", sink, "--events", "all"},
		{"webhooks", "list"},
		{"conversations", "timeline", "+13035551234"},
		{"--token", tok, "contacts", "list"},
		{"contacts", "list", "--token", tok, "--base-url", "http://127.0.0.1:1", "--max-retries", "0"},
		{"contacts", "list", "--token", tok + "x"},
	}
	for _, args := range runs {
		r := runCLI(t, env, "", args...)
		assert.NotContains(t, r.stdout+r.stderr, tok, "%v", args)
	}
	// A token with white space is refused without being echoed.
	r := runCLI(t, map[string]string{envToken: "tok SENTINEL-with-space", envAccount: "a"}, "", "contacts", "list")
	require.Equal(t, 2, r.code, r)
	assert.NotContains(t, r.stderr, "SENTINEL")
}

func TestTriggerSendsEveryEventShapeSigned(t *testing.T) {
	const secret = "textus-trigger-secret"
	got := map[textus.EventType]any{}
	h := newTestHandler(t, secret, func(ev any) {
		e := ev.(interface{ Envelope() *textus.Event }).Envelope()
		got[e.Action] = ev
	})
	ts := httptest.NewServer(h)
	defer ts.Close()

	r := runCLI(t, nil, "", "trigger", "all", "--url", ts.URL, "--secret", secret, "--phone", "(720) 555-0199", "--body", "Custom text")
	require.Equal(t, 0, r.code, r)
	assert.Empty(t, r.stderr)
	assert.Equal(t, 8, strings.Count(r.stdout, " 200 OK\n"), r.stdout)
	assert.NotContains(t, r.stdout, secret)
	require.Len(t, got, 8)

	ids, hooks := map[string]bool{}, map[string]bool{}
	for _, ev := range textus.AllEvents() {
		e := got[ev].(interface{ Envelope() *textus.Event }).Envelope()
		assert.NoError(t, e.DecodeError, ev)
		assert.WithinDuration(t, time.Now(), e.Timestamp, time.Minute, ev)
		assert.Regexp(t, `^/integrations/\w{7}/deliveries/[0-9a-f-]{36}$`, e.ID)
		assert.False(t, ids[e.ID], "delivery ids are unique")
		ids[e.ID] = true
		hooks[e.WebHook] = true
	}
	assert.Len(t, hooks, 1, "one subscription sends them all")
	for _, ev := range []textus.EventType{textus.EventMessageReceived, textus.EventMessageDelivered, textus.EventMessageFailed, textus.EventMessageUnknown} {
		m := got[ev].(*textus.MessageEvent)
		require.NotNil(t, m.Conversation, ev)
		require.NotNil(t, m.Message, ev)
		assert.Equal(t, "+17205550199", m.Conversation.PhoneNumber)
		assert.Equal(t, "Custom text", m.Message.Body)
		assert.Equal(t, m.Conversation.ID, m.Message.Conversation)
	}
	assert.Equal(t, textus.DirectionIn, got[textus.EventMessageReceived].(*textus.MessageEvent).Message.Direction)
	assert.Equal(t, textus.DeliveryFailed, got[textus.EventMessageFailed].(*textus.MessageEvent).Message.DeliveryState)
	out := got[textus.EventContactOptedOut].(*textus.OptOutEvent)
	assert.Equal(t, "+17205550199", out.PhoneNumber())
	assert.Equal(t, "OptOutWebhookDelivery", out.Type)
	assert.Equal(t, "opt-in", got[textus.EventContactOptedIn].(*textus.OptOutEvent).OptOut.Kind)
	ct := got[textus.EventContactCreated].(*textus.ContactEvent)
	require.NotNil(t, ct.Contact)
	require.Len(t, ct.Contact.Phones, 1)
	assert.Equal(t, "+17205550199", ct.Contact.Phones[0].PhoneNumber)
	call := got[textus.EventPhoneCallCompleted].(*textus.PhoneCallEvent)
	require.NotNil(t, call.Conversation)
	assert.NotEmpty(t, call.PhoneCall)
}

func TestTriggerFailsOnNon2xxAndOnNoAnswer(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "database down\nretry later", http.StatusInternalServerError)
	}))
	defer ts.Close()
	r := runCLI(t, nil, "", "trigger", "message.received", "--url", ts.URL, "--secret", "s")
	require.Equal(t, 1, r.code, r)
	assert.Contains(t, r.stdout, "500 Internal Server Error")
	assert.Equal(t, "textus: message.received: the receiver answered 500 Internal Server Error: database down retry later", requireOneErrorLine(t, r))

	ts.Close()
	r = runCLI(t, map[string]string{envSecret: "s"}, "", "trigger", "contact.created", "--url", ts.URL)
	require.Equal(t, 1, r.code, r)
	assert.Contains(t, r.stdout, "no answer")
}

func TestListenInProcessJSONAndShutdown(t *testing.T) {
	const secret = "textus-listen-secret"
	p := runInBackground(t, map[string]string{envSecret: secret}, "listen", "--addr", "127.0.0.1:0", "--json", "--path", "/hooks")
	stdout, stderr := p.stdout, p.stderr
	var url string
	require.Eventually(t, func() bool {
		_, after, ok := strings.Cut(stderr.String(), "listening on ")
		if ok {
			url = strings.Fields(after)[0]
		}
		return ok
	}, 10*time.Second, 10*time.Millisecond)
	require.True(t, strings.HasSuffix(url, "/hooks"), url)

	r := runCLI(t, nil, "", "trigger", "message.received", "--url", url, "--secret", secret, "--body", "Yes, 3pm works")
	require.Equal(t, 0, r.code, r)

	// A duplicate delivery (same id) is acknowledged and printed once; a
	// bad signature is refused.
	body := []byte(`{"@type":"WebhookDelivery","id":"/integrations/h1/deliveries/dup","timestamp":"2024-05-01T12:00:00.000Z","action":"contact.opted-out","optOut":{"id":"/textus/opt_outs/+13035551234","phoneNumber":"+13035551234"}}`)
	for i := 0; i < 2; i++ {
		resp := postSigned(t, url, secret, body)
		assert.Equal(t, http.StatusOK, resp)
	}
	assert.Equal(t, http.StatusUnauthorized, postSigned(t, url, "wrong", body))
	unknown := []byte(`{"@type":"WebhookDelivery","id":"/integrations/h1/deliveries/new","timestamp":"2024-05-01T12:00:01Z","action":"conversation.closed"}`)
	assert.Equal(t, http.StatusOK, postSigned(t, url, secret, unknown))
	assert.Equal(t, http.StatusNotFound, postSigned(t, strings.TrimSuffix(url, "/hooks")+"/other", secret, body))

	require.Eventually(t, func() bool { return strings.Count(stdout.String(), "\n") >= 3 }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, 0, p.stop(t))
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	require.Len(t, lines, 3, stdout.String())
	var ev eventLine
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &ev))
	assert.Equal(t, "message.received", ev.Action)
	assert.Equal(t, "+13035551234", ev.Phone)
	assert.Equal(t, "Yes, 3pm works", ev.Body)
	assert.True(t, json.Valid(ev.Delivery))
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &ev))
	assert.Equal(t, "contact.opted_out", ev.Action)
	assert.Equal(t, "/integrations/h1/deliveries/dup", ev.ID)
	assert.Equal(t, "+13035551234", ev.Phone)
	require.NoError(t, json.Unmarshal([]byte(lines[2]), &ev))
	assert.Equal(t, "conversation.closed", ev.Action, "unknown events are printed too")
	assert.Contains(t, stderr.String(), "invalid signature")
	assert.Contains(t, stderr.String(), "stopped listening")
	assert.NotContains(t, stdout.String()+stderr.String(), secret)
}

func TestFakeInProcess(t *testing.T) {
	p := runInBackground(t, nil, "fake", "--addr", "127.0.0.1:0", "--token", "fake-token", "--account", "acme",
		"--account-name", "Acme Recruiting", "--phone", "(720) 555-0100", "--page-size", "2",
		"--rate-limit", "50", "--rate-period", "1m", "--log")
	stdout, stderr := p.stdout, p.stderr
	ctx := testContext(t)
	require.Eventually(t, func() bool { return strings.Contains(stdout.String(), "export "+envControlURL+"=") },
		10*time.Second, 10*time.Millisecond)
	env := map[string]string{}
	for _, line := range strings.Split(stdout.String(), "\n") {
		if kv, ok := strings.CutPrefix(line, "export "); ok {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = strings.Trim(v, "'")
		}
	}
	assert.Equal(t, "fake-token", env[envToken])
	assert.Equal(t, "acme", env[envAccount])
	assert.Equal(t, "+17205550100", env[envPhoneNumber])
	require.Regexp(t, `^http://127\.0\.0\.1:\d+$`, env[envBaseURL])
	assert.Equal(t, env[envBaseURL]+textustest.ControlPrefix, env[envControlURL])

	// The flags reached the server.
	c, err := textus.NewClient(env[envToken], textus.WithBaseURL(env[envBaseURL]), textus.WithAccount(env[envAccount]))
	require.NoError(t, err)
	acct, err := c.Accounts.Get(ctx, "acme")
	require.NoError(t, err)
	assert.Equal(t, "Acme Recruiting", acct.Name)
	assert.Equal(t, 50, c.Rate().Limit)
	for i := 0; i < 3; i++ {
		_, err := c.Contacts.Create(ctx, &textus.ContactParams{Name: fmt.Sprintf("Candidate %d", i)})
		require.NoError(t, err)
	}
	n := 0
	for _, err := range c.Contacts.List(ctx, nil) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 3, n)

	// The control API is on, with the same token.
	req, err := http.NewRequest(http.MethodPost, env[envControlURL]+"/receive", strings.NewReader(`{"from": "+13035551234", "body": "Hi"}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+env[envToken])
	req.Header.Set("Content-Type", textus.MediaType)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusCreated, resp.StatusCode)

	assert.Equal(t, 0, p.stop(t))
	assert.Contains(t, stderr.String(), "GET /accounts/acme 200", "--log prints one line per request")
	assert.Contains(t, stderr.String(), "POST "+textustest.ControlPrefix+"/receive 201")
	assert.Contains(t, stderr.String(), "GET /acme/contacts?cursor=", "three contacts take two pages of two")
	assert.Contains(t, stderr.String(), "fake server stopped")
}

func postSigned(t *testing.T, url, secret string, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("X-TextUs-Signature", signForTest(secret, body))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

func TestParseInterspersed(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	j := fs.Bool("json", false, "")
	n := fs.String("name", "", "")
	pos, err := parseInterspersed(fs, []string{"a", "--json", "b", "--name", "x y", "c", "--", "--name", "-d"})
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "c", "--name", "-d"}, pos)
	assert.True(t, *j)
	assert.Equal(t, "x y", *n)
}

func TestParseRate(t *testing.T) {
	for in, want := range map[string][2]int64{
		"1000/5m": {1000, int64(5 * time.Minute)},
		"100/s":   {100, int64(time.Second)},
		"10/1h":   {10, int64(time.Hour)},
		"0":       {0, 0},
		"off":     {0, 0},
	} {
		n, per, err := parseRate(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, [2]int64{int64(n), int64(per)}, in)
	}
	for _, in := range []string{"", "abc", "10", "x/5m", "10/-1s", "-1/5m", "10/0s"} {
		_, _, err := parseRate(in)
		assert.Error(t, err, in)
	}
}

func TestCheckPhone(t *testing.T) {
	for in, want := range map[string]string{
		" 303-555-1234 x12 ":   "303-555-1234 x12",
		"+13035551234 ext. 7":  "+13035551234 ext. 7",
		"(303) 555-1234 #2921": "(303) 555-1234 #2921",
		"+13035551234":         "+13035551234",
	} {
		v, err := checkPhone(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, v, "sent as typed")
	}
	// As strict as textus.NormalizePhone, the extension aside.
	for in, msg := range map[string]string{
		"555-1234":         `textus: invalid phone number: "555-1234" is neither E.164 nor a 10-digit North American number`,
		"103-555-1234 x12": `textus: invalid phone number: "103-555-1234 x12" has area code 103; North American area codes start with 2 to 9`,
		"x123":             `textus: invalid phone number: "x123" contains 'x'`,
	} {
		_, err := checkPhone(in)
		assert.ErrorIs(t, err, textus.ErrInvalidPhone, in)
		assert.EqualError(t, err, msg)
	}
}

func TestSmallHelpers(t *testing.T) {
	assert.Equal(t, "3, 7-9, 12", lineRanges([]int{3, 7, 8, 9, 12}))
	assert.Equal(t, "'/a?cursor=b'", shellQuote("/a?cursor=b"))
	assert.Equal(t, `'it'\''s'`, shellQuote("it's"))
	assert.Equal(t, "plain-word", shellQuote("plain-word"))
	assert.Equal(t, "abc…", snippet("abcdef", 4))
	assert.Equal(t, "a b", snippet("a\n\tb", 10))
	assert.Equal(t, []any{"vip"}, dataValue(`["vip"]`))
	assert.Equal(t, "[not json", dataValue("[not json"))
	assert.Equal(t, `["vip"]`, dataCell([]any{"vip"}))
	assert.Equal(t, "42", dataCell(float64(42)))
}

func TestDescribeAPIError(t *testing.T) {
	e := &textus.APIError{
		StatusCode: 422, Method: "POST", URL: "http://127.0.0.1:9/acct/messages",
		Message: "Unprocessable Entity: +13035551234 has opted out\nof messages",
	}
	code, line := classify(e)
	assert.Equal(t, 1, code)
	assert.Equal(t, "422 Unprocessable Entity: +13035551234 has opted out of messages (POST /acct/messages)", oneLine(line))
	code, line = classify(&textus.APIError{StatusCode: 401, Method: "GET", URL: "http://h/accounts", Message: "Unauthorized"})
	assert.Equal(t, 1, code)
	assert.Equal(t, "401 Unauthorized (GET /accounts); check the API token (TEXTUS_TOKEN or --token)", line)
	code, _ = classify(context.Canceled)
	assert.Equal(t, 1, code)
}

func TestVersion(t *testing.T) {
	r := runCLI(t, nil, "", "version")
	require.Equal(t, 0, r.code, r)
	assert.Regexp(t, `^textus v\S+ \(textus-go SDK `+textus.Version+`, go\S+ \S+/\S+\)\n$`, r.stdout)
}

// newSink starts a loopback webhook receiver that accepts everything, so
// that subscriptions made in tests never point off the machine.
func newSink(t *testing.T) string {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}
