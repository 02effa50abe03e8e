package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textustest"
)

// createContactCLI creates a contact with the tool and returns it.
func createContactCLI(t *testing.T, env map[string]string, name, phone string) textus.Contact {
	t.Helper()
	r := runCLI(t, env, "", "contacts", "create", "--name", name, "--phone", phone, "--json")
	require.Equal(t, 0, r.code, r)
	var c textus.Contact
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &c))
	return c
}

func TestContactNotes(t *testing.T) {
	srv := newFake(t)
	env := fakeEnv(srv)
	ct := createContactCLI(t, env, "Jordan Lee", "+13035551234")
	id := slug(ct.ID)

	r := runCLI(t, env, "", "contacts", "note", id, "Prefers texts after 5pm")
	require.Equal(t, 0, r.code, r)
	assert.Regexp(t, `^Added note /contact_notes/\S+ to /contacts/\S+\.\n$`, r.stdout)
	r = runCLI(t, env, "Interview booked\nfor Tuesday\n", "contacts", "note", ct.ID, "-", "--json")
	require.Equal(t, 0, r.code, r)
	var n textus.ContactNote
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &n))
	assert.Equal(t, "Interview booked\nfor Tuesday", n.Content)

	r = runCLI(t, env, "", "contacts", "notes", id)
	require.Equal(t, 0, r.code, r)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 3)
	assert.Regexp(t, `^ID\s+WRITTEN\s+BY\s+NOTE$`, lines[0])
	assert.Regexp(t, `Test User\s+Prefers texts after 5pm$`, lines[1])
	assert.Regexp(t, `Test User\s+Interview booked for Tuesday$`, lines[2], "one line")

	r = runCLI(t, env, "", "contacts", "notes", id, "--json")
	require.Equal(t, 0, r.code, r)
	assert.Equal(t, 2, strings.Count(r.stdout, "\n"), "JSON Lines")

	r = runCLI(t, env, "", "contacts", "note", id, "  ")
	require.Equal(t, 2, r.code, r)
	assert.Contains(t, requireOneErrorLine(t, r), "the note is empty")
	r = runCLI(t, env, "", "contacts", "notes", "NoSuch1")
	require.Equal(t, 1, r.code, r)
	assert.Contains(t, requireOneErrorLine(t, r), "404 Not Found")
	assert.Len(t, srv.Notes(ct.ID), 2)

	// Custom data shows with the contact.
	require.NoError(t, srv.SetCustomData(ct.ID, map[string]any{"calendar-link": "https://cal.example/j"}))
	r = runCLI(t, env, "", "contacts", "get", id)
	require.Equal(t, 0, r.code, r)
	assert.Regexp(t, `Custom data:\s+calendar-link=https://cal.example/j`, r.stdout)
}

func TestContactNoteOutcomeUnknown(t *testing.T) {
	srv := newFake(t)
	env := fakeEnv(srv)
	ct := createContactCLI(t, env, "Jordan Lee", "+13035551234")
	srv.SetFaults(textustest.Fault{Kind: textustest.FaultLoseResponse, Rate: 1, Method: "POST", Path: "/contacts/:id/notes"})
	r := runCLI(t, env, "", "contacts", "note", slug(ct.ID), "hello")
	require.Equal(t, 3, r.code, r)
	line := requireOneErrorLine(t, r)
	assert.Contains(t, line, "outcome unknown: the note may have been added")
	assert.Contains(t, line, "textus contacts notes "+slug(ct.ID))
	assert.Len(t, srv.Notes(ct.ID), 1, "added once, not again")
}

func TestConversationCommands(t *testing.T) {
	srv := newFake(t)
	env := fakeEnv(srv)
	for _, p := range []string{"+13035551234", "+13035555678"} {
		_, err := srv.ReceiveMessage(p, "Is the job still open?")
		require.NoError(t, err)
	}

	r := runCLI(t, env, "", "conversations", "filters")
	require.Equal(t, 0, r.code, r)
	assert.Regexp(t, `(?m)^SLUG\s+TITLE\s+TOTAL\s+UNREAD$`, r.stdout)
	assert.Regexp(t, `(?m)^all\s+All Conversations\s+2\s+2$`, r.stdout)

	r = runCLI(t, env, "", "conversations", "list")
	require.Equal(t, 0, r.code, r)
	assert.Regexp(t, `(?m)^ID\s+PHONE\s+STATE\s+FLAGS\s+LATEST$`, r.stdout)
	assert.Regexp(t, `\+13035555678\s+open\s+unread\s+in: Is the job still open\?`, r.stdout)

	steps := []struct {
		args []string
		want string
	}{
		{[]string{"close", "(303) 555-1234"}, `State:\s+closed`},
		{[]string{"reopen", "303-555-1234"}, `State:\s+open`},
		{[]string{"star", "+13035551234"}, `Starred:\s+yes`},
		{[]string{"unstar", "+13035551234"}, `Starred:\s+no`},
		{[]string{"read", "+13035551234"}, `Read:\s+yes`},
		{[]string{"unread", "+13035551234"}, `Read:\s+no`},
	}
	for _, st := range steps {
		r := runCLI(t, env, "", append([]string{"conversations"}, st.args...)...)
		require.Equal(t, 0, r.code, "%v: %s", st.args, r)
		assert.Regexp(t, st.want, r.stdout, "%v", st.args)
	}
	r = runCLI(t, env, "", "conversations", "close", "+13035551234", "--json")
	require.Equal(t, 0, r.code, r)
	var cv textus.Conversation
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &cv))
	assert.Equal(t, textus.ConversationClosed, cv.CurrentState)

	r = runCLI(t, env, "", "conversations", "list", "--filter", "closed")
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stdout, "+13035551234")
	assert.NotContains(t, r.stdout, "+13035555678")

	// Batch: by id (a phone number is looked up), then by time.
	r = runCLI(t, env, "", "conversations", "batch", "close", "--filter", "all", "--id", "+13035555678", "--id", slug(cv.ID))
	require.Equal(t, 0, r.code, r)
	assert.Equal(t, "Accepted: close 2 conversations in filter all (TextUs acts on it shortly).\n", r.stdout)
	r = runCLI(t, env, "", "conversations", "list", "--filter", "closed", "--json")
	require.Equal(t, 0, r.code, r)
	assert.Equal(t, 2, strings.Count(r.stdout, "\n"))
	r = runCLI(t, env, "", "conversations", "batch", "reopen", "--filter", "closed", "--modified-before", time.Now().Add(time.Minute).Format(time.RFC3339))
	require.Equal(t, 0, r.code, r)
	r = runCLI(t, env, "", "conversations", "list", "--filter", "closed")
	require.Equal(t, 0, r.code, r)
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, "No conversations.")
	r = runCLI(t, env, "", "conversations", "batch", "unassign", "--filter", "you", "--id", "+13035555678")
	require.Equal(t, 0, r.code, r)

	// Assign: the second of two contacts sharing a number.
	createContactCLI(t, env, "Pat Shared", "+13035551234")
	second := createContactCLI(t, env, "Sam Shared", "+13035551234")
	r = runCLI(t, env, "", "conversations", "assign", "+13035551234", "--contact", slug(second.ID))
	require.Equal(t, 0, r.code, r)
	assert.Regexp(t, `Contact:\s+`+second.ID, r.stdout)

	r = runCLI(t, env, "", "conversations", "close", "+17205550000")
	require.Equal(t, 1, r.code, r)
	assert.Contains(t, requireOneErrorLine(t, r), "404 Not Found")
	r = runCLI(t, env, "", "conversations", "star", "NoSuch1")
	require.Equal(t, 1, r.code, r)
	assert.Contains(t, requireOneErrorLine(t, r), `conversation "NoSuch1" not found`)
}

func TestCampaignsCreate(t *testing.T) {
	srv := newFake(t)
	env := fakeEnv(srv)
	ann := createContactCLI(t, env, "Ann", "+13035550001")
	createContactCLI(t, env, "Ben", "(303) 555-0002")

	r := runCLI(t, env, "", "campaigns", "create", "--title", "Open house", "--body", "Join us Thursday at 3pm",
		"--to", "303-555-0002", "--recipient", slug(ann.Phones[0].ID), "--exclusion", "24h")
	require.Equal(t, 0, r.code, r)
	assert.Regexp(t, `ID:\s+/campaigns/\S+`, r.stdout)
	assert.Regexp(t, `State:\s+sent`, r.stdout)
	assert.Regexp(t, `Recipients:\s+2`, r.stdout)
	require.Len(t, srv.Campaigns(), 1)
	assert.Len(t, srv.SentMessages(), 2)

	r = runCLI(t, env, "Tomorrow at 9\n", "campaigns", "create", "--title", "Later", "--body", "-",
		"--recipient", ann.Phones[0].ID, "--at", "48h", "--json")
	require.Equal(t, 0, r.code, r)
	var cp textus.Campaign
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &cp))
	assert.Equal(t, "scheduled", cp.State)
	assert.Equal(t, "Tomorrow at 9", cp.MessageBody)

	r = runCLI(t, env, "", "campaigns", "create", "--title", "T", "--body", "B", "--to", "+17205550000")
	require.Equal(t, 1, r.code, r)
	assert.Contains(t, requireOneErrorLine(t, r), "no contact has the number +17205550000")
	assert.Len(t, srv.Campaigns(), 2)
}

func TestCampaignsCreateOutcomeUnknown(t *testing.T) {
	srv := newFake(t)
	env := fakeEnv(srv)
	ann := createContactCLI(t, env, "Ann", "+13035550001")
	srv.SetFaults(textustest.Fault{Kind: textustest.FaultLoseResponse, Rate: 1, Method: "POST", Path: "/:account/campaigns"})
	r := runCLI(t, env, "", "campaigns", "create", "--title", "T", "--body", "B", "--recipient", ann.Phones[0].ID)
	require.Equal(t, 3, r.code, r)
	assert.Contains(t, requireOneErrorLine(t, r), "outcome unknown: the campaign may have been created")
	assert.Len(t, srv.Campaigns(), 1, "created once, never re-sent")
	assert.Len(t, srv.SentMessages(), 1)
}

func TestUsersAndSavedRepliesCommands(t *testing.T) {
	srv := newFake(t)
	env := fakeEnv(srv)
	r := runCLI(t, env, "", "users", "list")
	require.Equal(t, 0, r.code, r)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 3)
	assert.Regexp(t, `^ID\s+NAME\s+EMAIL\s+MEMBERSHIPS$`, lines[0])
	assert.Regexp(t, `Test User\s+test.user@example.com\s+admin@test_account$`, lines[1])
	assert.Regexp(t, `Alex Agent\s+alex.agent@example.com\s+user@test_account_child$`, lines[2])
	me := strings.Fields(lines[1])[0]

	r = runCLI(t, env, "", "users", "list", "--accounts", "test_account_child", "--json")
	require.Equal(t, 0, r.code, r)
	assert.Equal(t, 1, strings.Count(r.stdout, "\n"))
	assert.Contains(t, r.stdout, "Alex Agent")
	r = runCLI(t, env, "", "users", "list", "--query", "nobody")
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stderr, "No users.")
	r = runCLI(t, env, "", "users", "get", me)
	require.Equal(t, 0, r.code, r)
	assert.Regexp(t, `Memberships:\s+admin@test_account`, r.stdout)

	r = runCLI(t, env, "", "saved-replies", "create", "--user", me, "--title", "Hours", "--content", "Open 9 to 5")
	require.Equal(t, 0, r.code, r)
	assert.Regexp(t, `ID:\s+/saved_replies/\S+`, r.stdout)
	id := srv.SavedReplies()[0].ID
	r = runCLI(t, env, "Open 8 to 6\n", "saved-replies", "update", slug(id), "--content", "-", "--json")
	require.Equal(t, 0, r.code, r)
	var sr textus.SavedReply
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &sr))
	assert.Equal(t, "Hours", sr.Title)
	assert.Equal(t, "Open 8 to 6", sr.Content)

	// A scheduled message may name it; without --from the account's number is used.
	r = runCLI(t, env, "", "messages", "schedule", "--to", "303-555-1234", "--body", "Reminder", "--at", "2h", "--saved-reply", slug(id))
	require.Equal(t, 0, r.code, r)
	assert.Regexp(t, `^Scheduled /messages/\S+ to \+13035551234 for `, r.stdout)
	sent := srv.SentMessages()
	require.Len(t, sent, 1)
	assert.Equal(t, textus.DeliveryScheduled, sent[0].DeliveryState)
}

func TestAccountTreeCommands(t *testing.T) {
	srv := newFake(t)
	env := fakeEnv(srv)
	r := runCLI(t, env, "", "accounts", "tree")
	require.Equal(t, 0, r.code, r)
	assert.Equal(t, "test_account  Test Account\n  test_account_child  Test Account Child\n", r.stdout)
	r = runCLI(t, env, "", "accounts", "tree", "--role", "support")
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stderr, "No accounts.")

	r = runCLI(t, env, "", "accounts", "descendants")
	require.Equal(t, 0, r.code, r)
	assert.Regexp(t, `(?m)^test_account\s+Test Account\s+standard\s+\(303\) 555-0100$`, r.stdout)
	assert.Regexp(t, `(?m)^test_account_child\s+Test Account Child\s+standard\s+\(303\) 555-0101$`, r.stdout)
	r = runCLI(t, env, "", "accounts", "descendants", "test_account_child", "--json")
	require.Equal(t, 0, r.code, r)
	assert.Equal(t, 1, strings.Count(r.stdout, "\n"))

	r = runCLI(t, env, "", "accounts", "settings")
	require.Equal(t, 0, r.code, r)
	assert.Contains(t, r.stderr, "No settings.")
	r = runCLI(t, env, "", "accounts", "settings", "--set", "inboundMmsDisabled=true", "--set", `autoReplyMessage={"officeHours":false,"message":"Back soon"}`, "--set", "forwardingNumber=5555555555x")
	require.Equal(t, 0, r.code, r)
	assert.Regexp(t, `(?m)^inboundMmsDisabled\s+\{"value":true\}$`, r.stdout)
	assert.Regexp(t, `(?m)^autoReplyMessage\s+\{"value":\{"message":"Back soon","officeHours":false\}\}$`, r.stdout)
	assert.Regexp(t, `(?m)^forwardingNumber\s+\{"value":"5555555555x"\}$`, r.stdout)
	r = runCLI(t, env, "", "accounts", "settings", "test_account", "--json")
	require.Equal(t, 0, r.code, r)
	var settings map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &settings))
	assert.Equal(t, map[string]any{"value": true}, settings["inboundMmsDisabled"])
}

func TestNewCommandsRefuseBadInput(t *testing.T) {
	env := map[string]string{envToken: "tok-usage-SENTINEL", envAccount: "acct", envBaseURL: "http://127.0.0.1:1"}
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"contacts", "note", "ID"}, 1, "want a contact ID and the note's TEXT"},
		{[]string{"contacts", "notes"}, 1, "want one contact ID"},
		{[]string{"conversations", "close"}, 1, "want one CONVERSATION"},
		{[]string{"conversations", "assign", "+13035551234"}, 1, "--contact is required"},
		{[]string{"conversations", "batch", "close", "--id", "x"}, 1, "--filter is required"},
		{[]string{"conversations", "batch", "close", "--filter", "all"}, 1, "give --id or --modified-before"},
		{[]string{"conversations", "batch", "close", "--filter", "all", "--modified-before", "yesterday"}, 2, "--modified-before"},
		{[]string{"conversations", "batch", "--filter", "all", "--id", "x"}, 1, "want one action"},
		{[]string{"campaigns", "create", "--body", "B", "--to", "+13035551234"}, 1, "--title is required"},
		{[]string{"campaigns", "create", "--title", "T", "--body", "B"}, 1, "give at least one --to or --recipient"},
		{[]string{"campaigns", "create", "--title", "T", "--body", "B", "--to", "555"}, 2, "invalid phone number"},
		{[]string{"campaigns", "create", "--title", "T", "--body", "B", "--recipient", "+13035551234"}, 2, "is a phone number: give it with --to"},
		{[]string{"campaigns", "create", "--title", "T", "--body", "B", "--recipient", "/contacts/x"}, 2, "want a contact phone ID"},
		{[]string{"campaigns", "create", "--title", "T", "--body", "B", "--recipient", "x", "--exclusion", "90s"}, 2, "whole number of minutes"},
		{[]string{"campaigns", "create", "--title", "T", "--body", "B", "--recipient", "x", "--at", "soon"}, 2, "--at"},
		{[]string{"campaigns", "create", "--title", "T", "--body", " ", "--recipient", "x"}, 2, "the message body is empty"},
		{[]string{"messages", "schedule", "--to", "+13035551234", "--body", "x"}, 1, "--at is required"},
		{[]string{"messages", "schedule", "--to", "+13035551234", "--body", "x", "--at", "2001-01-01T00:00:00Z"}, 2, "is not in the future"},
		{[]string{"messages", "schedule", "--to", "+13035551234", "--body", "x", "--at", "1h", "--from", "nope"}, 2, "--from"},
		{[]string{"users", "get"}, 1, "want one user ID"},
		{[]string{"saved-replies", "create", "--title", "T", "--content", "C"}, 1, "--user is required"},
		{[]string{"saved-replies", "update", "ID"}, 1, "nothing to change"},
		{[]string{"saved-replies", "update", "ID", "--title", " "}, 2, "--title must not be empty"},
		{[]string{"accounts", "settings", "--set", "novalue"}, 2, "want NAME=VALUE"},
		{[]string{"accounts", "descendants", "a", "b"}, 1, `unexpected argument "b"`},
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
