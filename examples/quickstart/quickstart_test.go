package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/textus-go/textus/textustest"
)

// runMainEnv makes the test binary run main instead of the tests, so that
// TestMainExitStatus can check the real program's exit status.
const runMainEnv = "QUICKSTART_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func noEnv(string) string { return "" }

func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// assertNumbered checks that the numbered lines count 1, 2, 3, ... in order.
func assertNumbered(t *testing.T, out string) {
	t.Helper()
	want := 1
	for _, line := range strings.Split(out, "\n") {
		n, _, ok := strings.Cut(line, ". ")
		if !ok {
			continue
		}
		if i, err := strconv.Atoi(n); err == nil {
			assert.Equal(t, want, i, "step number in %q", line)
			want++
		}
	}
	assert.Greater(t, want, 1, "no numbered steps")
}

func TestRunOffline(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, noEnv))
	got := out.String()

	for _, line := range []string{
		`Created contact "Jordan Lee" with phone +13035551234.`,
		`Sent "` + firstText + `" (state: queued).`,
		`Webhook message.delivered: the text reached +13035551234.`,
		`Simulated Jordan Lee texting "Yes, 3pm works".`,
		`Webhook message.received from +13035551234: "Yes, 3pm works".`,
		`Simulated Jordan Lee texting "STOP".`,
		`Webhook message.received from +13035551234: "STOP".`,
		`Webhook contact.opted_out for +13035551234: synced it to TextUs (PUT, opt-out /textus/opt_outs/+13035551234)`,
		`c.OptOuts.IsOptedOut(+13035551234) = true.`,
		`Sending again is refused (textus.ErrValidation, HTTP 422): "`,
		`The fake recorded no new text: 1 message sent in total.`,
		"Done.",
	} {
		assert.Contains(t, got, line)
	}
	assertNumbered(t, got)
	assert.Less(t, strings.Index(got, "message.delivered:"), strings.Index(got, `texting "Yes`), "steps out of order")
	assert.Less(t, strings.Index(got, `texting "STOP"`), strings.Index(got, "contact.opted_out for"), "steps out of order")
}

func TestRunOfflineIsDeterministic(t *testing.T) {
	var first, second bytes.Buffer
	require.NoError(t, run(context.Background(), &first, noEnv))
	require.NoError(t, run(context.Background(), &second, noEnv))
	assert.Equal(t, first.String(), second.String())
}

// The live mode makes the same API calls; pointed at a fake server it can be
// checked without TextUs.
func TestRunLiveAgainstFake(t *testing.T) {
	srv := textustest.NewServer()
	defer srv.Close()
	env := map[string]string{
		"TEXTUS_TOKEN":    srv.Token(),
		"TEXTUS_ACCOUNT":  srv.Account(),
		"TEXTUS_BASE_URL": srv.URL(),
		"TEXTUS_TO":       "(720) 555-0123",
	}
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, mapEnv(env)))
	got := out.String()

	assert.Contains(t, got, "TextUs quickstart against "+srv.URL())
	assert.Contains(t, got, "Skipped here: the webhook receiver and the simulated replies.")
	assert.Contains(t, got, `Created contact "Jordan Lee" with phone +17205550123.`)
	assert.Contains(t, got, "Recorded an opt-out for +17205550123 in TextUs (PUT)")
	assert.Contains(t, got, "c.OptOuts.IsOptedOut(+17205550123) = true.")
	assert.Contains(t, got, "Sending again is refused (textus.ErrValidation, HTTP 422)")
	assert.NotContains(t, got, srv.Token(), "the token must never be printed")
	assertNumbered(t, got)

	sent := srv.SentMessages()
	require.Len(t, sent, 1, "exactly one text goes out")
	assert.Equal(t, firstText, sent[0].Body)
	assert.True(t, srv.IsOptedOut("+17205550123"))
}

func TestRunLiveNeedsSettings(t *testing.T) {
	for name, tc := range map[string]struct {
		env  map[string]string
		want string
	}{
		"no account":   {map[string]string{"TEXTUS_TOKEN": "t", "TEXTUS_TO": "+13035551234"}, "TEXTUS_ACCOUNT"},
		"no recipient": {map[string]string{"TEXTUS_TOKEN": "t", "TEXTUS_ACCOUNT": "a"}, "TEXTUS_TO"},
		"bad recipient": {
			map[string]string{"TEXTUS_TOKEN": "t", "TEXTUS_ACCOUNT": "a", "TEXTUS_TO": "call me"},
			"TEXTUS_TO",
		},
	} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), &out, mapEnv(tc.env))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Empty(t, out.String(), "nothing happens before the settings are checked")
		})
	}
}

// The program itself exits 0 and prints the story.
func TestMainExitStatus(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the program in a child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = []string{runMainEnv + "=1"} // no TEXTUS_TOKEN: offline
	if home := os.Getenv("HOME"); home != "" {
		cmd.Env = append(cmd.Env, "HOME="+home)
	}
	if testing.CoverMode() != "" {
		// Under -cover the child writes coverage data; give it a place so
		// it does not warn on stderr.
		cmd.Env = append(cmd.Env, "GOCOVERDIR="+t.TempDir())
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "stderr: %s", stderr.String())
	assert.Equal(t, 0, cmd.ProcessState.ExitCode())
	assert.Contains(t, stdout.String(), "c.OptOuts.IsOptedOut(+13035551234) = true.")
	assert.Contains(t, stdout.String(), "Done.")
	assert.Empty(t, stderr.String())
}
