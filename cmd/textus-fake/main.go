// Command textus-fake runs the fake TextUs API server of package textustest
// on its own, for programs written in other languages or tried by hand:
//
//	go run ./cmd/textus-fake -addr 127.0.0.1:8080 -token secret
//
// It prints the base URL, token, account slug and phone number as
// KEY=value lines, logs one line per request to standard error (turn off
// with -log=false), and serves until interrupted (SIGINT or SIGTERM).
// Besides the TextUs API it serves a control API under /_textustest to
// simulate inbound texts and inspect what was sent; see the textustest
// package documentation.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/textus-go/textus/textustest"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("textus-fake", flag.ContinueOnError)
	var cfg textustest.Config
	cfg.RegisterFlags(fs)
	logRequests := fs.Bool("log", true, "log one line per request to standard error")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "textus-fake: unexpected arguments: %v\n", fs.Args())
		return 2
	}
	if *logRequests {
		cfg.Log = os.Stderr
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := textustest.Serve(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "textus-fake:", err)
		return 1
	}
	return 0
}
