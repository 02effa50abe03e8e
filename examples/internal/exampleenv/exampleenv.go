// Package exampleenv holds helpers that the example programs under examples/
// share: running main until SIGINT or SIGTERM, reading the live-mode settings
// from the environment, and serving a webhook endpoint. It is plumbing only;
// what each example does with the events stays in the example.
package exampleenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/webhooks"
)

// DefaultAddr is the address the webhook endpoint listens on when
// TEXTUS_WEBHOOK_ADDR is not set.
const DefaultAddr = ":8080"

const (
	readHeaderTimeout = 5 * time.Second
	shutdownTimeout   = 10 * time.Second
)

// Main runs an example's run function with a context that SIGINT or
// SIGTERM cancels, os.Stdout and os.Getenv. If run returns an error, Main
// prints "name: error" to stderr and exits with status 1.
func Main(name string, run func(ctx context.Context, stdout io.Writer, env func(string) string) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}

// Live is what an example's live mode, against the real API, starts from.
type Live struct {
	// Client calls the API with TEXTUS_TOKEN for account TEXTUS_ACCOUNT,
	// at TEXTUS_BASE_URL if that is set.
	Client *textus.Client
	// Logger logs text lines to the program's output.
	Logger *slog.Logger
	// Handler is the webhook endpoint, without callbacks yet: it accepts
	// deliveries signed with TEXTUS_WEBHOOK_SECRET, the webhookSecret of
	// the subscription, and logs through Logger.
	Handler *webhooks.Handler
	// Addr is the address to serve the endpoint on: TEXTUS_WEBHOOK_ADDR,
	// or DefaultAddr.
	Addr string
}

// LoadLive reads the live-mode settings through env (os.Getenv in a
// program) and builds the client, a logger that writes to stdout and the
// webhook handler. TEXTUS_ACCOUNT and TEXTUS_WEBHOOK_SECRET are required;
// the error says so when either is missing. An empty or malformed
// TEXTUS_TOKEN, or a malformed TEXTUS_BASE_URL, gives textus.NewClient's
// error.
func LoadLive(env func(string) string, stdout io.Writer) (*Live, error) {
	account, secret := env("TEXTUS_ACCOUNT"), env("TEXTUS_WEBHOOK_SECRET")
	if account == "" || secret == "" {
		return nil, errors.New("TEXTUS_ACCOUNT and TEXTUS_WEBHOOK_SECRET are required with TEXTUS_TOKEN")
	}
	opts := []textus.Option{textus.WithAccount(account)}
	if base := env("TEXTUS_BASE_URL"); base != "" {
		opts = append(opts, textus.WithBaseURL(base))
	}
	c, err := textus.NewClient(env("TEXTUS_TOKEN"), opts...)
	if err != nil {
		return nil, err
	}
	logger := slog.New(slog.NewTextHandler(stdout, nil))
	h, err := webhooks.NewHandler(secret, webhooks.WithLogger(logger))
	if err != nil {
		return nil, err
	}
	return &Live{Client: c, Logger: logger, Handler: h, Addr: ListenAddr(env)}, nil
}

// ListenAddr returns TEXTUS_WEBHOOK_ADDR as read through env, or
// DefaultAddr when it is not set.
func ListenAddr(env func(string) string) string {
	if addr := env("TEXTUS_WEBHOOK_ADDR"); addr != "" {
		return addr
	}
	return DefaultAddr
}

// ServeInBackground serves h at path on ln until the returned function is
// called. Stopping is graceful: deliveries in progress finish (for up to 10
// seconds), then stop returns once the server has stopped.
func ServeInBackground(ln net.Listener, path string, h http.Handler) (stop func()) {
	mux := http.NewServeMux()
	mux.Handle(path, h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: readHeaderTimeout}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln) // http.ErrServerClosed once stopped
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		if srv.Shutdown(ctx) != nil {
			srv.Close()
		}
		<-done
	}
}

// ServeOption changes what Serve does besides serving.
type ServeOption func(*serveConfig)

type serveConfig struct {
	logAttrs     []any
	whileServing func(context.Context) error
}

// WithLogAttrs adds attrs, key-value pairs as slog takes them, to the
// "serving" line that Serve logs.
func WithLogAttrs(attrs ...any) ServeOption {
	return func(c *serveConfig) { c.logAttrs = append(c.logAttrs, attrs...) }
}

// WhileServing makes Serve call f, with Serve's context, once the endpoint
// is serving. If f returns an error, Serve stops the server and returns
// that error; otherwise Serve goes on serving until its context is done.
func WhileServing(f func(ctx context.Context) error) ServeOption {
	return func(c *serveConfig) { c.whileServing = f }
}

// Serve is an example's live mode: it listens on addr, serves h at path
// until ctx is done (in a program, until SIGINT or SIGTERM), then shuts
// down gracefully as ServeInBackground does. It logs "serving", with the
// address it listens on and path, once it serves, and "shutting down" when
// ctx is done. It returns an error only if it cannot listen or the function
// given with WhileServing fails.
func Serve(ctx context.Context, addr, path string, h http.Handler, logger *slog.Logger, opts ...ServeOption) error {
	var cfg serveConfig
	for _, o := range opts {
		o(&cfg)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	stop := ServeInBackground(ln, path, h)
	defer stop()
	logger.Info("serving", append([]any{"addr", ln.Addr().String(), "path", path}, cfg.logAttrs...)...)
	if cfg.whileServing != nil {
		if err := cfg.whileServing(ctx); err != nil {
			return err
		}
	}
	<-ctx.Done()
	logger.Info("shutting down")
	return nil
}

// StartReceiver starts an offline demo's webhook endpoint: it listens on a
// loopback port, subscribes http://<that address><path> to events with
// c.Webhooks.Create, builds a webhooks.Handler with the subscription's
// secret, lets register set the example's callbacks on it, and serves it at
// path (see ServeInBackground) until stop is called.
//
// When the fake TextUs server behind c delivers the webhooks, close it
// before calling stop: closing it waits for the deliveries in flight.
func StartReceiver(ctx context.Context, c *textus.Client, path string, events []textus.EventType, register func(*webhooks.Handler)) (stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	hook, err := c.Webhooks.Create(ctx, &textus.WebhookParams{
		URL:    "http://" + ln.Addr().String() + path,
		Events: events,
	})
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("subscribing: %w", err)
	}
	h, err := webhooks.NewHandler(hook.Secret)
	if err != nil {
		ln.Close()
		return nil, err
	}
	register(h)
	return ServeInBackground(ln, path, h), nil
}
