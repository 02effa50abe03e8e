package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/build"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textustest"
	"github.com/textus-go/textus/webhooks"
)

// binDir holds the binary built for the end-to-end tests.
var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
	buildLog  []byte
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir) // a temporary directory; nothing to report to
	}
	os.Exit(code)
}

// binary builds the textus command once per test run and returns its path.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "textus-cli-test-")
		if buildErr != nil {
			return
		}
		name := "textus"
		if runtime.GOOS == "windows" {
			name += ".exe"
		}
		binPath = filepath.Join(binDir, name)
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = filepath.Join(build.Default.GOROOT, "bin", "go")
		}
		cmd := exec.Command(goTool, "build", "-o", binPath, ".")
		buildLog, buildErr = cmd.CombinedOutput()
	})
	require.NoError(t, buildErr, "building the textus binary: %s", buildLog)
	return binPath
}

// result is what one run of the tool printed and returned.
type result struct {
	stdout string
	stderr string
	code   int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// envFunc turns a map into the env argument of run.
func envFunc(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// runCLI runs the tool in-process. Every run checks that the API token
// given in env appears in neither output.
func runCLI(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	return runCLICtx(context.Background(), t, env, stdin, args...)
}

func runCLICtx(ctx context.Context, t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(ctx, args, strings.NewReader(stdin), &out, &errb, envFunc(env))
	r := result{stdout: out.String(), stderr: errb.String(), code: code}
	assertNoToken(t, env, r)
	return r
}

func assertNoToken(t *testing.T, env map[string]string, r result) {
	t.Helper()
	if tok := env[envToken]; tok != "" {
		assert.NotContains(t, r.stdout, tok, "the token was printed on stdout")
		assert.NotContains(t, r.stderr, tok, "the token was printed on stderr")
	}
}

// newFake starts a textustest server for one test.
func newFake(t *testing.T, opts ...textustest.Option) *textustest.Server {
	t.Helper()
	srv := textustest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// fakeEnv is the environment that points the tool at srv.
func fakeEnv(srv *textustest.Server) map[string]string {
	return map[string]string{
		envBaseURL: srv.URL(),
		envToken:   srv.Token(),
		envAccount: srv.Account(),
	}
}

// execCLI runs the built binary with env (on top of a cleaned process
// environment) and waits for it.
func execCLI(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t), args...)
	cmd.Env = processEnv(env)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		var ee *exec.ExitError
		require.True(t, errors.As(err, &ee), "running textus %v: %v", args, err)
		code = ee.ExitCode()
	}
	r := result{stdout: out.String(), stderr: errb.String(), code: code}
	assertNoToken(t, env, r)
	return r
}

// processEnv is the current environment without TEXTUS_* variables, plus
// env.
func processEnv(env map[string]string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TEXTUS_") {
			out = append(out, kv)
		}
	}
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// background is a long-running command (listen, fake) run in-process.
type background struct {
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	done           chan int
}

// runInBackground runs the tool in-process until stop is called (or the
// test ends).
func runInBackground(t *testing.T, env map[string]string, args ...string) *background {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	b := &background{stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	go func() { b.done <- run(ctx, args, strings.NewReader(""), b.stdout, b.stderr, envFunc(env)) }()
	t.Cleanup(func() {
		cancel()
		<-b.done
	})
	return b
}

// stop ends the command as an interrupt does and returns its exit code.
func (b *background) stop(t *testing.T) int {
	t.Helper()
	b.cancel()
	select {
	case code := <-b.done:
		b.done <- code // for the cleanup
		return code
	case <-time.After(10 * time.Second):
		require.FailNow(t, "the command did not stop")
		return -1
	}
}

// testContext is a context that ends with the test, or after a minute.
func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// proc is a long-running textus process (listen, fake).
type proc struct {
	cmd    *exec.Cmd
	stdout chan string
	stderr chan string
	done   chan struct{}
	code   int
}

// startCLI starts the binary in the background; its output lines arrive on
// the channels. The process is killed at the end of the test if still
// running.
func startCLI(t *testing.T, env map[string]string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = processEnv(env)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	p := &proc{cmd: cmd, stdout: make(chan string, 1000), stderr: make(chan string, 1000), done: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Add(2)
	go scanLines(&wg, stdout, p.stdout)
	go scanLines(&wg, stderr, p.stderr)
	go func() {
		wg.Wait()
		err := cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			p.code = ee.ExitCode()
		} else if err != nil {
			p.code = -1
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func scanLines(wg *sync.WaitGroup, r io.Reader, ch chan<- string) {
	defer wg.Done()
	defer close(ch)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		ch <- sc.Text()
	}
}

// waitLine returns the first line on ch that contains want.
func waitLine(t *testing.T, ch <-chan string, want string) string {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case line, ok := <-ch:
			require.True(t, ok, "output ended before a line containing %q", want)
			if strings.Contains(line, want) {
				return line
			}
		case <-timeout:
			require.FailNow(t, "timed out waiting for a line containing "+want)
		}
	}
}

// interrupt sends SIGINT and returns the exit code.
func (p *proc) interrupt(t *testing.T) int {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT on Windows")
	}
	require.NoError(t, p.cmd.Process.Signal(os.Interrupt))
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		require.FailNow(t, "the process did not stop after SIGINT")
	}
	return p.code
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader in different
// goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// writeFile writes a file in dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

func signForTest(secret string, body []byte) string { return webhooks.Sign(secret, body) }

// captureListener hands every event to a function.
type captureListener struct {
	mu sync.Mutex
	fn func(any)
}

func (c *captureListener) got(ev any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fn(ev)
	return nil
}

func (c *captureListener) MessageReceived(_ context.Context, e *textus.MessageEvent) error {
	return c.got(e)
}

func (c *captureListener) MessageDelivered(_ context.Context, e *textus.MessageEvent) error {
	return c.got(e)
}
func (c *captureListener) MessageFailed(_ context.Context, e *textus.MessageEvent) error {
	return c.got(e)
}
func (c *captureListener) MessageUnknown(_ context.Context, e *textus.MessageEvent) error {
	return c.got(e)
}
func (c *captureListener) PhoneCallCompleted(_ context.Context, e *textus.PhoneCallEvent) error {
	return c.got(e)
}
func (c *captureListener) ContactOptedOut(_ context.Context, e *textus.OptOutEvent) error {
	return c.got(e)
}
func (c *captureListener) ContactOptedIn(_ context.Context, e *textus.OptOutEvent) error {
	return c.got(e)
}
func (c *captureListener) ContactCreated(_ context.Context, e *textus.ContactEvent) error {
	return c.got(e)
}
func (c *captureListener) UnknownEvent(_ context.Context, e *textus.Event) error { return c.got(e) }

// newTestHandler is a webhook handler that passes every verified event to
// fn (calls are serialised).
func newTestHandler(t *testing.T, secret string, fn func(any)) *webhooks.Handler {
	t.Helper()
	h, err := webhooks.NewHandler(secret)
	require.NoError(t, err)
	h.Listen(&captureListener{fn: fn})
	return h
}
