package textustest_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/textus-go/textus/textustest"
)

// lockedBuffer is an io.Writer safe for concurrent use.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestConfigFlags(t *testing.T) {
	var cfg textustest.Config
	fs := flag.NewFlagSet("fake", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	require.NoError(t, fs.Parse([]string{
		"-addr", "127.0.0.1:0", "-token", "tok", "-account", "acme", "-phone", "+17205550100",
		"-page-size", "2", "-rate-limit", "5", "-rate-period", "1m", "-seed", "3",
	}))
	assert.Equal(t, textustest.Config{
		Addr: "127.0.0.1:0", Token: "tok", Account: "acme", AccountName: textustest.DefaultAccountName,
		PhoneNumber: "+17205550100", PageSize: 2, RateLimit: 5, RatePeriod: time.Minute, Seed: 3,
	}, cfg)

	var defaults textustest.Config
	fs = flag.NewFlagSet("fake", flag.ContinueOnError)
	defaults.RegisterFlags(fs)
	require.NoError(t, fs.Parse(nil))
	assert.Equal(t, textustest.DefaultAddr, defaults.Addr)
	assert.Equal(t, textustest.DefaultRateLimit, defaults.RateLimit)
	assert.Equal(t, textustest.DefaultRatePeriod, defaults.RatePeriod)
	assert.Equal(t, textustest.DefaultPageSize, defaults.PageSize)

	srv, err := textustest.NewServerAt(cfg.Addr, cfg.Options()...)
	require.NoError(t, err)
	defer srv.Close()
	assert.Equal(t, "tok", srv.Token())
	assert.Equal(t, "acme", srv.Account())
	assert.Equal(t, "+17205550100", srv.PhoneNumber())
}

func TestServe(t *testing.T) {
	var out, log lockedBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- textustest.Serve(ctx, textustest.Config{Addr: "127.0.0.1:0", Token: "tok", Log: &log}, &out)
	}()
	defer func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(waitTimeout):
			t.Error("Serve did not return after its context ended")
		}
	}()
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "TEXTUS_CONTROL_URL=") },
		waitTimeout, 5*time.Millisecond)
	env := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		env[k] = v
	}
	assert.Equal(t, "tok", env["TEXTUS_TOKEN"])
	assert.Equal(t, textustest.DefaultAccount, env["TEXTUS_ACCOUNT"])
	assert.Equal(t, textustest.DefaultPhoneNumber, env["TEXTUS_PHONE_NUMBER"])
	base := env["TEXTUS_BASE_URL"]
	require.True(t, strings.HasPrefix(base, "http://127.0.0.1:"), base)
	assert.Equal(t, base+textustest.ControlPrefix, env["TEXTUS_CONTROL_URL"])

	tr := &http.Transport{Proxy: nil}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: waitTimeout}
	call := func(method, path, body string) (int, map[string]any) {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, base+path, rd)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer tok")
		if body != "" {
			req.Header.Set("Content-Type", textustest.MediaType)
		}
		resp, err := hc.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var m map[string]any
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		if len(b) > 0 {
			require.NoError(t, json.Unmarshal(b, &m), "%s", b)
		}
		return resp.StatusCode, m
	}

	// Simulate an inbound text, send a reply, inspect what was sent.
	st, m := call("POST", textustest.ControlPrefix+"/receive", `{"from": "+13035551234", "body": "Hi"}`)
	require.Equal(t, http.StatusCreated, st, "%v", m)
	assert.Equal(t, "in", m["direction"])
	st, _ = call("PUT", textustest.ControlPrefix+"/undeliverable/+13035550000", "")
	require.Equal(t, http.StatusNoContent, st)
	st, _ = call("POST", "/"+textustest.DefaultAccount+"/messages", `{"to": "+13035551234", "body": "Hello"}`)
	require.Equal(t, http.StatusCreated, st)
	st, _ = call("POST", "/"+textustest.DefaultAccount+"/messages", `{"to": "+13035550000", "body": "Landline"}`)
	require.Equal(t, http.StatusCreated, st)
	st, m = call("GET", textustest.ControlPrefix+"/sent", "")
	require.Equal(t, http.StatusOK, st)
	require.EqualValues(t, 2, m["totalItems"])
	sent := m["members"].([]any)
	assert.Equal(t, "delivered", sent[0].(map[string]any)["deliveryState"])
	assert.Equal(t, "failed", sent[1].(map[string]any)["deliveryState"])
	st, m = call("GET", textustest.ControlPrefix+"/deliveries", "")
	require.Equal(t, http.StatusOK, st)
	assert.EqualValues(t, 0, m["totalItems"], "no subscription, no delivery")

	st, m = call("POST", textustest.ControlPrefix+"/receive", `{"from": "nope", "body": "Hi"}`)
	assert.Equal(t, http.StatusUnprocessableEntity, st, "%v", m)

	st, _ = call("POST", textustest.ControlPrefix+"/reset", "")
	require.Equal(t, http.StatusNoContent, st)
	_, m = call("GET", textustest.ControlPrefix+"/sent", "")
	assert.EqualValues(t, 0, m["totalItems"])

	assert.Contains(t, log.String(), "POST /"+textustest.DefaultAccount+"/messages 201")
}

func TestServeAddressInUse(t *testing.T) {
	srv := newServer(t)
	addr := strings.TrimPrefix(srv.URL(), "http://")
	err := textustest.Serve(context.Background(), textustest.Config{Addr: addr}, io.Discard)
	require.Error(t, err)
	_, err = textustest.NewServerAt(addr)
	require.Error(t, err)
}
