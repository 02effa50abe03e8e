package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/examples/internal/exampletest"
	"github.com/textus-go/textus/webhooks"
)

const (
	currentSecret  = "textus-current-0123456789"
	previousSecret = "textus-previous-0123456789"
	runMainEnv     = "WEBHOOK_SERVER_RUN_MAIN"
)

// TestMain lets TestRunServesUntilSignal run main in a child process.
func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func delivery(id, action, body string) []byte {
	return []byte(fmt.Sprintf(`{"@type":"WebhookDelivery","id":"/integrations/h13Jc5/deliveries/%s",`+
		`"timestamp":"2024-05-01T12:00:00.000Z","action":%q,"webHook":"/integrations/h13Jc5",`+
		`"conversation":{"id":"/conversations/JYnJBY","phoneNumber":"+13035551234"},`+
		`"message":{"id":"/messages/%s","direction":"in","body":%q,"deliveryState":"received"}}`,
		id, action, id, body))
}

// testServer runs serve on a loopback port until the returned stop
// function is called; stop reports serve's result.
type testServer struct {
	base   string
	app    *app
	hooks  *webhooks.Handler
	queue  *webhooks.MemoryQueue
	client *http.Client
	log    *exampletest.SyncBuffer
	stop   func() error
}

func startServer(t *testing.T) *testServer {
	t.Helper()
	out := &exampletest.SyncBuffer{}
	logger := newLogger(out, false)
	a := newApp(logger)
	hooks, err := newWebhooks(logger, a, currentSecret, previousSecret)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln, newMux(a, hooks.handler), hooks, logger) }()
	tr := &http.Transport{}
	var once sync.Once
	var result error
	stop := func() error {
		once.Do(func() {
			cancel()
			result = <-done
			tr.CloseIdleConnections()
		})
		return result
	}
	t.Cleanup(func() { _ = stop() })
	return &testServer{
		base: "http://" + ln.Addr().String(), app: a, hooks: hooks.handler, queue: hooks.queue,
		client: &http.Client{Transport: tr, Timeout: 10 * time.Second}, log: out, stop: stop,
	}
}

func (s *testServer) post(t *testing.T, secret string, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.base+webhookPath, nil)
	require.NoError(t, err)
	if secret != "" {
		webhooks.SignRequest(req, secret, body)
	} else {
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
	}
	return s.do(t, req)
}

// processed waits until the worker has processed every accepted delivery.
func (s *testServer) processed(t *testing.T) {
	t.Helper()
	require.Eventually(t, func() bool {
		n, err := s.queue.Len(context.Background())
		return err == nil && n == 0
	}, 10*time.Second, 2*time.Millisecond)
}

func (s *testServer) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := s.client.Get(s.base + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func (s *testServer) do(t *testing.T, req *http.Request) int {
	t.Helper()
	resp, err := s.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func TestServeAcceptsCurrentAndPreviousSecret(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	s := startServer(t)

	assert.Equal(t, http.StatusOK, s.post(t, currentSecret, delivery("d1", "message.received", "signed with the current secret")))
	assert.Equal(t, http.StatusOK, s.post(t, previousSecret, delivery("d2", "message.received", "signed with the previous secret")))
	assert.Equal(t, http.StatusUnauthorized, s.post(t, "", delivery("d3", "message.received", "unsigned")))
	assert.Equal(t, http.StatusUnauthorized, s.post(t, "textus-someone-else", delivery("d4", "message.received", "wrong secret")))
	// A retry of a delivery already queued or handled is acknowledged, not
	// recorded again.
	assert.Equal(t, http.StatusOK, s.post(t, currentSecret, delivery("d1", "message.received", "signed with the current secret")))
	s.processed(t)

	code, body := s.get(t, "/healthz")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "ok\n", body)

	code, body = s.get(t, "/api/activity")
	require.Equal(t, http.StatusOK, code)
	var got []activity
	require.NoError(t, json.Unmarshal([]byte(body), &got))
	assert.Equal(t, []activity{
		{Event: textus.EventMessageReceived, Phone: "+13035551234", Text: "signed with the current secret"},
		{Event: textus.EventMessageReceived, Phone: "+13035551234", Text: "signed with the previous secret"},
	}, got)

	code, _ = s.get(t, webhookPath)
	assert.Equal(t, http.StatusMethodNotAllowed, code)

	require.NoError(t, s.stop())
	assert.Contains(t, s.log.String(), "shut down cleanly")
}

// A delivery is answered before its callback runs; when the server is told
// to stop, it stops taking deliveries first, then the worker finishes the
// ones already accepted before serve returns.
func TestShutdownFinishesAcceptedDeliveries(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	s := startServer(t)
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	s.hooks.OnMessageReceived(func(_ context.Context, e *textus.MessageEvent) error {
		once.Do(func() { close(entered) })
		<-release // a slow call to another system
		s.app.record(e.Action, "", e.Message.Body)
		return nil
	})

	assert.Equal(t, http.StatusOK, s.post(t, currentSecret, delivery("slow", "message.received", "slow")),
		"answered while the callback has not run")
	assert.Equal(t, http.StatusOK, s.post(t, currentSecret, delivery("queued", "message.received", "queued")))
	<-entered

	stopped := make(chan error, 1)
	go func() { stopped <- s.stop() }()
	// Shutdown closes the listener first: once new connections are refused,
	// the server is stopping while the first delivery is in its callback.
	addr := strings.TrimPrefix(s.base, "http://")
	require.Eventually(t, func() bool {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			return true
		}
		conn.Close()
		return false
	}, 10*time.Second, 5*time.Millisecond)
	close(release)
	require.NoError(t, <-stopped)
	assert.Equal(t, []activity{
		{Event: textus.EventMessageReceived, Text: "slow"},
		{Event: textus.EventMessageReceived, Text: "queued"},
	}, s.app.snapshot(), "both accepted deliveries were processed, in order")
	assert.Contains(t, s.log.String(), "shut down cleanly")
}

func TestRunDemo(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	out := &exampletest.SyncBuffer{}
	require.NoError(t, run(context.Background(), out, func(string) string { return "" }))
	got := out.String()
	for _, want := range []string{
		`msg=webhook event=contact.created phone=+13035551234 text="Jordan Lee"`,
		`msg=webhook event=message.delivered phone=+13035551234`,
		`msg=webhook event=message.received phone=+13035551234 text="Yes, 3pm works"`,
		`msg=webhook event=contact.opted_out phone=+13035551234`,
		`"GET /healthz"="200 OK" activity=5`,
		`msg="shut down cleanly"`,
	} {
		assert.Contains(t, got, want)
	}
	assert.NotContains(t, got, "level=WARN")
	assert.NotContains(t, got, "level=ERROR")
}

func TestRunRefusesBadAddress(t *testing.T) {
	env := map[string]string{"TEXTUS_WEBHOOK_SECRET": currentSecret, "TEXTUS_WEBHOOK_ADDR": "127.0.0.1:notaport"}
	err := run(context.Background(), io.Discard, func(k string) string { return env[k] })
	require.Error(t, err)
}

// The real program: secrets from the environment, a signal to stop, exit
// status 0.
func TestRunServesUntilSignal(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the program in a child process")
	}
	if runtime.GOOS == "windows" {
		t.Skip("sends SIGTERM")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = []string{
		runMainEnv + "=1",
		"TEXTUS_WEBHOOK_SECRET=" + currentSecret,
		"TEXTUS_WEBHOOK_SECRET_PREVIOUS=" + previousSecret,
		"TEXTUS_WEBHOOK_ADDR=127.0.0.1:0",
	}
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stderr := &exampletest.SyncBuffer{}
	cmd.Stderr = stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})

	// Read the log until the server says where it listens, then keep
	// draining it in the background.
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var base string
	for line := range lines {
		if i := strings.Index(line, "addr=http://"); i >= 0 {
			base = strings.Fields(line[i+len("addr="):])[0]
			break
		}
	}
	require.NotEmpty(t, base, "the server did not report its address; stderr: %s", stderr.String())

	s := &testServer{base: base, client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}}
	defer s.client.CloseIdleConnections()
	assert.Equal(t, http.StatusOK, s.post(t, currentSecret, delivery("p1", "message.received", "current")))
	assert.Equal(t, http.StatusOK, s.post(t, previousSecret, delivery("p2", "message.received", "previous")))
	assert.Equal(t, http.StatusUnauthorized, s.post(t, "", delivery("p3", "message.received", "unsigned")))
	code, _ := s.get(t, "/healthz")
	assert.Equal(t, http.StatusOK, code)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	var rest []string
	for line := range lines {
		rest = append(rest, line)
	}
	require.NoError(t, cmd.Wait(), "stderr: %s", stderr.String())
	assert.Equal(t, 0, cmd.ProcessState.ExitCode())
	assert.Contains(t, strings.Join(rest, "\n"), `msg="shut down cleanly"`)
}
