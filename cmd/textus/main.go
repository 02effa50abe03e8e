// Command textus is a terminal tool for the TextUs business-texting API,
// for integrators and support staff. It is built only on the public
// textus-go SDK (packages textus, webhooks and textustest).
//
// Install it with:
//
//	go install github.com/textus-go/textus/cmd/textus@latest
//
// Usage:
//
//	textus [global flags] <command> [subcommand] [flags] [arguments]
//
//	textus accounts list
//	textus contacts list | search QUERY | get ID
//	textus contacts create --name N --phone P [--phone-type T] [--data k=v ...]
//	textus contacts update ID [--name N] [--phone P ...] [--data k=v ...]
//	textus contacts export [--format csv|jsonl] [--out FILE] [--resume-from CURSOR]
//	textus contacts import [--concurrency N] [--dry-run] FILE.csv
//	textus messages send --to PHONE --body TEXT [--from PHONE | --email E] [--force]
//	textus conversations timeline PHONE
//	textus optouts list [--query Q] | check PHONE | add PHONE
//	textus webhooks list | create --url URL --events a,b|all | update ID [--url U] [--events E] [--active=BOOL]
//	textus listen [--addr :8080] --secret S [--path /webhooks] [--json]
//	textus trigger EVENT|all --url URL --secret S
//	textus fake [--addr 127.0.0.1:0] [--token T] [--page-size N]
//	textus version
//
// The API token, account slug and API root come from the environment
// variables TEXTUS_TOKEN, TEXTUS_ACCOUNT and TEXTUS_BASE_URL, or from the
// flags --token, --account and --base-url; a flag wins over its variable.
// Prefer the variable for the token: command lines are visible to other
// users of the machine. listen and trigger take the webhook secret from
// --secret or TEXTUS_WEBHOOK_SECRET.
//
// Output is a readable table (or a short description) by default. With
// --json, a command that shows one resource prints one JSON document, and
// a command that lists resources prints JSON Lines: one JSON object per
// line, written as the pages arrive.
//
// The token is never printed, and a webhook secret is printed only once:
// by "webhooks create", which shows the secret of the new subscription.
//
// Exit codes:
//
//	0  success
//	1  API error (the HTTP status and the TextUs message are shown) or usage error
//	2  bad input: an invalid phone number, bad CSV rows, a bad flag value
//	3  outcome unknown: a send (or another create) may have reached TextUs
//	   but no answer came back; check (for a message, its conversation
//	   timeline) before trying again
//
// Every command and subcommand accepts -h or --help, which prints its flags
// and examples.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, restore the default behaviour so that a
		// second Ctrl-C ends the process at once.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run executes the command line args (without the program name) and
// returns the exit code. Everything it reads or writes goes through its
// arguments, so tests can run it in-process.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, env func(string) string) int {
	if env == nil {
		env = func(string) string { return "" }
	}
	a := &app{
		stdin:  stdin,
		stdout: stdout,
		stderr: stderr,
		env:    env,
		tty:    isTerminal(stderr),
	}
	return a.exitCode(a.main(ctx, args))
}
