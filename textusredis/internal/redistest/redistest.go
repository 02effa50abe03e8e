// Package redistest starts private redis-server instances for tests: each
// on a free loopback port, in its own temporary directory, stopped when
// the test ends.
//
// When redis-server is not in PATH, Start skips the test with a message
// that says how to install it, or, when the environment variable CI is set
// (non-empty), fails it: in CI the Redis tests must run.
package redistest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// InstallHint is the message of a test skipped (or failed, in CI) because
// redis-server is missing.
const InstallHint = "redis-server not found: install it (Debian: apt-get install redis-server) to run these tests"

// Option configures Start.
type Option func(*config)

type config struct {
	appendOnly bool
	cluster    bool
}

// WithAppendOnly turns on the append-only file with appendfsync always, so
// that every acknowledged write survives a crash of the server.
func WithAppendOnly() Option { return func(c *config) { c.appendOnly = true } }

// WithCluster starts the server in cluster mode, as a cluster of one node
// that serves every slot: scripts whose keys are not in one slot fail with
// CROSSSLOT, as they would on a real cluster.
func WithCluster() Option { return func(c *config) { c.cluster = true } }

// Server is a running (or stopped) private redis-server.
type Server struct {
	t    testing.TB
	bin  string
	cfg  config
	dir  string
	port int
	// Addr is the server's host:port on the loopback interface. It stays
	// the same across Stop, Kill and Start.
	Addr string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
	out  *lockedBuffer
}

// Start starts a redis-server for t and registers its stop with t.Cleanup.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(InstallHint + " (CI is set: in CI these tests must run)")
		}
		t.Skip(InstallHint)
	}
	s := &Server{t: t, bin: bin, dir: t.TempDir()}
	for _, o := range opts {
		o(&s.cfg)
	}
	t.Cleanup(s.Stop)
	var last error
	for range 5 { // another process may take the free port before the server binds it
		if s.port, err = freePort(); err != nil {
			t.Fatalf("redistest: finding a free port: %v", err)
		}
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
		if last = s.start(); last == nil {
			return s
		}
	}
	t.Fatalf("redistest: %v", last)
	return nil
}

// Client returns a new client of the server, closed when the test ends.
func (s *Server) Client() *redis.Client {
	c := redis.NewClient(s.Options())
	s.t.Cleanup(func() { _ = c.Close() })
	return c
}

// Options returns client options for the server, with short timeouts and
// no retries so that a call to a stopped server fails at once.
func (s *Server) Options() *redis.Options {
	return &redis.Options{
		Addr:            s.Addr,
		DialTimeout:     time.Second,
		DialerRetries:   1,
		ReadTimeout:     2 * time.Second,
		WriteTimeout:    2 * time.Second,
		MaxRetries:      -1, // a test sees each failure
		DisableIdentity: true,
	}
}

// Start starts the server again after Stop or Kill, on the same port and
// directory (so with the same data when the append-only file is on).
func (s *Server) Start() {
	s.t.Helper()
	if err := s.start(); err != nil {
		s.t.Fatalf("redistest: restarting: %v", err)
	}
}

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("server already running")
	}
	args := []string{
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--dir", s.dir,
		"--save", "", "--daemonize", "no", "--logfile", "",
	}
	if s.cfg.appendOnly {
		args = append(args, "--appendonly", "yes", "--appendfsync", "always",
			"--auto-aof-rewrite-percentage", "0")
	} else {
		args = append(args, "--appendonly", "no")
	}
	if s.cfg.cluster {
		args = append(args, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
	}
	cmd := exec.Command(s.bin, args...)
	cmd.Dir = s.dir
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", s.bin, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	s.cmd, s.done, s.out = cmd, done, out
	if err := s.waitReady(done); err != nil {
		_ = cmd.Process.Kill()
		<-done
		s.cmd = nil
		return fmt.Errorf("%w\nredis-server output:\n%s", err, out.String())
	}
	return nil
}

// waitReady waits until the server answers PING (and, in cluster mode,
// serves every slot).
func (s *Server) waitReady(done <-chan struct{}) error {
	c := redis.NewClient(s.Options())
	defer func() { _ = c.Close() }() // a probe's connection: nothing to report
	ctx := context.Background()
	deadline := time.Now().Add(15 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return errors.New("redis-server exited before answering PING")
		default:
		}
		if err = c.Ping(ctx).Err(); err == nil {
			if !s.cfg.cluster {
				return nil
			}
			if err = s.clusterReady(ctx, c); err == nil {
				return nil
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("redis-server on %s not ready: %w", s.Addr, err)
}

func (s *Server) clusterReady(ctx context.Context, c *redis.Client) error {
	info, err := c.ClusterInfo(ctx).Result()
	if err != nil {
		return err
	}
	if bytes.Contains([]byte(info), []byte("cluster_state:ok")) {
		return nil
	}
	// A fresh node serves no slot: give it all of them (an error means
	// they were given already, on a restart).
	_ = c.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", "0", "16383").Err()
	return errors.New("cluster not ready: " + info)
}

// Stop shuts the server down (SIGTERM, as a service manager would) and
// waits for it to exit. It does nothing when the server is not running.
func (s *Server) Stop() { s.signal(false) }

// Kill kills the server (SIGKILL, a crash) and waits for it to exit.
func (s *Server) Kill() { s.signal(true) }

func (s *Server) signal(kill bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	if kill {
		_ = s.cmd.Process.Kill()
	} else {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
	}
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

// Output returns what the server has logged since it was last started.
func (s *Server) Output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.out == nil {
		return ""
	}
	return s.out.String()
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// SilenceClientLogs turns off go-redis's own log lines (failed dials and
// the like), which tests that stop their server on purpose would
// otherwise fill with noise. It changes a global of go-redis: call it from
// TestMain.
func SilenceClientLogs() { redis.SetLogger(discardLogger{}) }

type discardLogger struct{}

func (discardLogger) Printf(context.Context, string, ...any) {}
