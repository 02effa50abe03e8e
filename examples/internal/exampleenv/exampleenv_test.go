package exampleenv

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/textus-go/textus/webhooks"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadLive(t *testing.T) {
	env := map[string]string{
		"TEXTUS_TOKEN": "token", "TEXTUS_ACCOUNT": "acme", "TEXTUS_WEBHOOK_SECRET": "textus-secret",
		"TEXTUS_BASE_URL": "http://127.0.0.1:9",
	}
	var out bytes.Buffer
	live, err := LoadLive(envOf(env), &out)
	require.NoError(t, err)
	assert.Equal(t, DefaultAddr, live.Addr)
	assert.Equal(t, "http://127.0.0.1:9", live.Client.BaseURL())
	live.Logger.Info("hello")
	assert.Contains(t, out.String(), "msg=hello")

	// The handler accepts deliveries signed with TEXTUS_WEBHOOK_SECRET only.
	body := []byte(`{"@type":"WebhookDelivery","id":"/integrations/x/deliveries/1","timestamp":"2024-05-01T12:00:00.000Z","action":"message.received"}`)
	rec := httptest.NewRecorder()
	live.Handler.ServeHTTP(rec, webhooks.NewSignedRequest("/hooks", "textus-secret", body))
	assert.Equal(t, http.StatusOK, rec.Code)
	rec = httptest.NewRecorder()
	live.Handler.ServeHTTP(rec, webhooks.NewSignedRequest("/hooks", "textus-other", body))
	assert.Equal(t, http.StatusUnauthorized, rec.Code)

	env["TEXTUS_WEBHOOK_ADDR"] = "127.0.0.1:0"
	live, err = LoadLive(envOf(env), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:0", live.Addr)

	for _, missing := range []string{"TEXTUS_ACCOUNT", "TEXTUS_WEBHOOK_SECRET"} {
		without := map[string]string{}
		for k, v := range env {
			if k != missing {
				without[k] = v
			}
		}
		_, err := LoadLive(envOf(without), io.Discard)
		require.EqualError(t, err, "TEXTUS_ACCOUNT and TEXTUS_WEBHOOK_SECRET are required with TEXTUS_TOKEN", "without %s", missing)
	}

	env["TEXTUS_BASE_URL"] = "::bad"
	_, err = LoadLive(envOf(env), io.Discard)
	require.ErrorContains(t, err, "base URL")
}

var servingAddr = regexp.MustCompile(`msg=serving addr=(\S+) path=/hooks extra=1`)

// Serve serves the handler until its context is done; what WhileServing
// runs finds the endpoint up.
func TestServe(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var log bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&log, nil))
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "hooked") })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var body string
	err := Serve(ctx, "127.0.0.1:0", "/hooks", h, logger, WithLogAttrs("extra", 1), WhileServing(func(context.Context) error {
		defer cancel()
		m := servingAddr.FindStringSubmatch(log.String())
		if m == nil {
			return errors.New("no serving line in the log: " + log.String())
		}
		tr := &http.Transport{}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr}).Get("http://" + m[1] + "/hooks")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		body = string(b)
		return err
	}))
	require.NoError(t, err)
	assert.Equal(t, "hooked", body)
	assert.Contains(t, log.String(), `msg="shutting down"`)
}

// An error from WhileServing stops the server and is returned.
func TestServeWhileServingFails(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var log bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&log, nil))
	boom := errors.New("boom")
	err := Serve(context.Background(), "127.0.0.1:0", "/hooks", http.NotFoundHandler(), logger,
		WhileServing(func(context.Context) error { return boom }))
	require.ErrorIs(t, err, boom)
	assert.Contains(t, log.String(), "msg=serving")
	assert.NotContains(t, log.String(), "shutting down")
}

func TestServeCannotListen(t *testing.T) {
	err := Serve(context.Background(), "127.0.0.1:notaport", "/hooks", http.NotFoundHandler(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.Error(t, err)
}
