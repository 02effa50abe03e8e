package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/textus-go/textus/textustest"
)

func fakeCommand() *command {
	return &command{
		name:     "fake",
		summary:  "Run a local fake TextUs server (package textustest)",
		synopsis: "[--addr 127.0.0.1:0] [--page-size N] [flags]",
		desc: "Starts the stateful fake TextUs API server of package textustest, prints its URL,\n" +
			"token and account (and the export lines that point this tool, or your own program,\n" +
			"at it), and serves until interrupted. Its state lives in memory. It pages lists,\n" +
			"sends rate-limit headers, refuses sends to opted-out numbers and delivers signed\n" +
			"webhooks to subscriptions made with 'textus webhooks create'.\n\n" +
			"Programs in other languages can drive it over HTTP, with the same token:\n" +
			"  POST " + textustest.ControlPrefix + "/receive  {\"from\": \"+13035551234\", \"body\": \"STOP\"}  an inbound text\n" +
			"  GET  " + textustest.ControlPrefix + "/sent                                             messages sent so far\n" +
			"  GET  " + textustest.ControlPrefix + "/deliveries                                       webhook deliveries\n" +
			"  PUT  " + textustest.ControlPrefix + "/undeliverable/PHONE                              sends to PHONE fail\n" +
			"  POST " + textustest.ControlPrefix + "/reset                                            forget everything",
		examples: "textus fake\n" +
			"textus fake --addr 127.0.0.1:8089 --token dev-token --page-size 100 --rate-limit -1\n" +
			"textus fake --log 2> requests.log   # one line per request in requests.log",
		run: fake,
	}
}

func fake(ctx context.Context, a *app, in *invocation) error {
	// The server's own flags (--addr, --token, --account, --page-size,
	// --rate-limit, --rate-period, --latency, --seed, ...) come from
	// textustest, so the tool and the package stay in step.
	cfg := textustest.Config{Addr: "127.0.0.1:0"}
	cfg.RegisterFlags(in.fs)
	deliveryDelay := in.fs.Duration("delivery-delay", 0, "keep sent messages queued for `DURATION` before they are delivered")
	logRequests := in.fs.Bool("log", false, "print one line per request on stderr")
	pos, err := a.parse(in)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError(in.path, "unexpected argument %q", pos[0])
	}
	if cfg.PageSize < 1 {
		return inputError("--page-size must be at least 1")
	}
	if cfg.Latency < 0 || *deliveryDelay < 0 || cfg.RatePeriod <= 0 {
		return inputError("durations must be positive")
	}
	if strings.ContainsAny(cfg.Token, " \t\r\n") {
		return inputError("--token must not contain white space")
	}
	if *logRequests {
		cfg.Log = &syncWriter{w: a.stderr}
	}
	opts := append(cfg.Options(), textustest.WithDeliveryDelay(*deliveryDelay))
	srv, err := textustest.NewServerAt(cfg.Addr, opts...)
	if err != nil {
		return &exitError{code: exitFailure, msg: strings.TrimPrefix(err.Error(), "textustest: ")}
	}
	defer srv.Close()
	if cfg.Account != "" && srv.Account() != cfg.Account {
		return inputError("--account %q: not a valid account slug", cfg.Account)
	}
	fmt.Fprintf(a.stdout, "TextUs fake server running (Ctrl-C to stop)\n")
	fmt.Fprintf(a.stdout, "  URL:      %s\n", srv.URL())
	fmt.Fprintf(a.stdout, "  Token:    %s\n", srv.Token())
	fmt.Fprintf(a.stdout, "  Account:  %s\n", srv.Account())
	fmt.Fprintf(a.stdout, "  Phone:    %s\n", srv.PhoneNumber())
	fmt.Fprintf(a.stdout, "  Control:  %s\n", srv.URL()+textustest.ControlPrefix)
	fmt.Fprintf(a.stdout, "\n")
	fmt.Fprintf(a.stdout, "export %s=%s\n", envBaseURL, shellQuote(srv.URL()))
	fmt.Fprintf(a.stdout, "export %s=%s\n", envToken, shellQuote(srv.Token()))
	fmt.Fprintf(a.stdout, "export %s=%s\n", envAccount, shellQuote(srv.Account()))
	<-ctx.Done()
	srv.Close()
	fmt.Fprintln(a.stderr, "textus: fake server stopped")
	return nil
}
