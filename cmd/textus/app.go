package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/textus-go/textus"
)

// Environment variables read by the tool.
const (
	envToken   = "TEXTUS_TOKEN"
	envAccount = "TEXTUS_ACCOUNT"
	envBaseURL = "TEXTUS_BASE_URL"
	envSecret  = "TEXTUS_WEBHOOK_SECRET"
)

// userAgent names the tool in the User-Agent header, before the SDK's own
// product token.
const userAgent = "textus-cli/" + textus.Version

// app is one execution of the tool: its streams, its environment and the
// global flags.
type app struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	env    func(string) string
	// tty reports whether stderr is a terminal; progress is shown only then.
	tty bool
	g   globals
	// transport carries the API requests; its idle connections are closed
	// when the command ends.
	transport *http.Transport
}

// globals are the flags every API command accepts, before the command name
// or among its own flags.
type globals struct {
	token      string
	account    string
	baseURL    string
	json       bool
	maxRetries int
	rateLimit  string
}

// command is a node of the command tree: a group (subs) or a leaf (run).
type command struct {
	name     string
	summary  string // one line, for the parent's list
	synopsis string // what follows the command path in "Usage:"
	desc     string // paragraphs shown by --help
	examples string // shown by --help, one example per line
	subs     []*command
	run      func(ctx context.Context, a *app, in *invocation) error
}

// invocation is a leaf command being run: its path ("contacts get"), its
// flag set and its arguments.
type invocation struct {
	cmd  *command
	path string
	fs   *flag.FlagSet
	args []string
}

// commands returns the command tree.
func commands() *command {
	return &command{
		name:     "textus",
		synopsis: "<command> [subcommand] [flags] [arguments]",
		desc: "textus is a command-line tool for the TextUs business-texting API.\n\n" +
			"Authentication and target come from TEXTUS_TOKEN, TEXTUS_ACCOUNT and TEXTUS_BASE_URL,\n" +
			"or from --token, --account and --base-url (flags win). Prefer the variable for the\n" +
			"token: command lines are visible to other users of the machine.\n\n" +
			"--json prints one JSON document for a single resource and JSON Lines (one object per\n" +
			"line) for lists.\n\n" +
			"Exit codes: 0 success; 1 API or usage error; 2 bad input (invalid phone number, bad\n" +
			"CSV rows, bad flag value); 3 outcome unknown (a send may have reached TextUs without\n" +
			"an answer: check the conversation timeline before resending).",
		examples: "export TEXTUS_TOKEN=... TEXTUS_ACCOUNT=my_account\n" +
			"textus contacts list\n" +
			"textus messages send --to +13035551234 --body \"Are you free at 3pm?\"\n" +
			"textus --json optouts list | jq .phoneNumber\n" +
			"textus fake    # a local fake TextUs server to try things on",
		subs: []*command{
			accountsCommand(),
			contactsCommand(),
			messagesCommand(),
			conversationsCommand(),
			campaignsCommand(),
			optOutsCommand(),
			usersCommand(),
			savedRepliesCommand(),
			webhooksCommand(),
			listenCommand(),
			triggerCommand(),
			fakeCommand(),
			versionCommand(),
		},
	}
}

// main parses the global flags and runs the command named by args.
func (a *app) main(ctx context.Context, args []string) error {
	defer func() {
		if a.transport != nil {
			a.transport.CloseIdleConnections()
		}
	}()
	root := commands()
	a.g.maxRetries = textus.DefaultMaxRetries
	a.g.rateLimit = defaultRateLimit
	fs := flag.NewFlagSet("textus", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	a.apiFlags(fs)
	a.jsonFlag(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			a.groupHelp(a.stdout, root, "")
			return errHelp
		}
		return flagError(err, "")
	}
	rest := fs.Args()
	if len(rest) > 0 && rest[0] == "help" {
		// "textus help contacts export" is "textus contacts export --help".
		return a.dispatch(ctx, root, "", append(append([]string(nil), rest[1:]...), "--help"))
	}
	return a.dispatch(ctx, root, "", rest)
}

// dispatch walks down the tree to the leaf named by args and runs it.
func (a *app) dispatch(ctx context.Context, c *command, path string, args []string) error {
	if c.run != nil {
		fs := flag.NewFlagSet("textus "+path, flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		return c.run(ctx, a, &invocation{cmd: c, path: path, fs: fs, args: args})
	}
	if len(args) == 0 {
		a.groupHelp(a.stderr, c, path)
		if path == "" {
			return usageError("", "missing command")
		}
		return usageError(path, "missing subcommand")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		a.groupHelp(a.stdout, c, path)
		return errHelp
	}
	for _, sub := range c.subs {
		if sub.name == args[0] {
			return a.dispatch(ctx, sub, strings.TrimSpace(path+" "+sub.name), args[1:])
		}
	}
	if strings.HasPrefix(args[0], "-") {
		return usageError(path, "unexpected flag %s before the subcommand", args[0])
	}
	if path == "" {
		return usageError("", "unknown command %q", args[0])
	}
	return usageError(path, "unknown subcommand %q", args[0])
}

// groupHelp prints the usage of a group: its subcommands with their
// summaries.
func (a *app) groupHelp(w io.Writer, c *command, path string) {
	full := strings.TrimSpace("textus " + path)
	fmt.Fprintf(w, "Usage:\n  %s %s\n", full, orDefault(c.synopsis, "<subcommand> [flags] [arguments]"))
	if c.desc != "" {
		fmt.Fprintf(w, "\n%s\n", c.desc)
	}
	fmt.Fprintf(w, "\nCommands:\n")
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	for _, sub := range c.subs {
		fmt.Fprintf(tw, "  %s\t%s\n", sub.name, sub.summary)
	}
	tw.Flush()
	if path == "" {
		fmt.Fprintf(w, "\nGlobal flags (before the command, or among the flags of any API command):\n")
		fs := flag.NewFlagSet("textus", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		var g app
		g.apiFlags(fs)
		g.jsonFlag(fs)
		printFlags(w, fs)
	}
	if c.examples != "" {
		fmt.Fprintf(w, "\nExamples:\n%s\n", indent(c.examples, "  "))
	}
	fmt.Fprintf(w, "\nRun '%s <command> --help' for the flags and examples of a command.\n", full)
}

// leafHelp prints the usage of a leaf command: synopsis, description,
// flags and examples.
func (a *app) leafHelp(w io.Writer, in *invocation) {
	c := in.cmd
	fmt.Fprintf(w, "Usage:\n  textus %s %s\n", in.path, c.synopsis)
	if c.desc != "" {
		fmt.Fprintf(w, "\n%s\n", c.desc)
	}
	if hasFlags(in.fs) {
		fmt.Fprintf(w, "\nFlags:\n")
		printFlags(w, in.fs)
	}
	if c.examples != "" {
		fmt.Fprintf(w, "\nExamples:\n%s\n", indent(c.examples, "  "))
	}
}

// parse parses the invocation's flags (which may come before, between or
// after the positional arguments) and returns the positional arguments.
// -h and --help print the command's help and return errHelp.
func (a *app) parse(in *invocation) ([]string, error) {
	pos, err := parseInterspersed(in.fs, in.args)
	if errors.Is(err, flag.ErrHelp) {
		a.leafHelp(a.stdout, in)
		return nil, errHelp
	}
	if err != nil {
		return nil, flagError(err, in.path)
	}
	return pos, nil
}

// apiFlags adds the flags of commands that call the API. Their values are
// kept in a.g, so values given before the command name stay in effect.
func (a *app) apiFlags(fs *flag.FlagSet) {
	fs.Var(&secretValue{p: &a.g.token}, "token", "API `TOKEN` (default $"+envToken+"; prefer the variable)")
	fs.StringVar(&a.g.account, "account", a.g.account, "account `SLUG` (default $"+envAccount+")")
	fs.StringVar(&a.g.baseURL, "base-url", a.g.baseURL, "API root `URL` (default $"+envBaseURL+", else "+textus.DefaultBaseURL+")")
	fs.IntVar(&a.g.maxRetries, "max-retries", a.g.maxRetries, "retry a failed request up to `N` times (a send is never re-sent once it may have reached TextUs)")
	fs.StringVar(&a.g.rateLimit, "rate-limit", a.g.rateLimit, "pace requests to at most `N/PERIOD`, such as 1000/5m (0 turns pacing off; by default the budget the server reports, spread evenly)")
	// The defaults shown by --help are the built-in ones, not the values
	// given before the command name.
	fs.Lookup("account").DefValue = ""
	fs.Lookup("base-url").DefValue = ""
	fs.Lookup("max-retries").DefValue = strconv.Itoa(textus.DefaultMaxRetries)
	fs.Lookup("rate-limit").DefValue = defaultRateLimit
}

// jsonFlag adds --json.
func (a *app) jsonFlag(fs *flag.FlagSet) {
	fs.BoolVar(&a.g.json, "json", a.g.json, "JSON output: one document for a resource, JSON Lines for a list")
	fs.Lookup("json").DefValue = "false"
}

// defaultRateLimit is the TextUs budget per token.
const defaultRateLimit = "1000/5m"

// client builds the SDK client from the flags and the environment.
// noArgs parses the invocation (its flags registered first), refuses
// positional arguments, and returns a client.
func (a *app) noArgs(in *invocation) (*textus.Client, error) {
	pos, err := a.parse(in)
	if err != nil {
		return nil, err
	}
	if len(pos) > 0 {
		return nil, usageError(in.path, "unexpected argument %q", pos[0])
	}
	return a.client()
}

// oneArg parses the invocation (its flags registered first) and returns
// its one positional argument; anything else is a usage error that says
// "want one " and what.
func (a *app) oneArg(in *invocation, what string) (string, error) {
	pos, err := a.parse(in)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		return "", usageError(in.path, "want one %s", what)
	}
	return pos[0], nil
}

// idArg is oneArg followed by a client: the prologue of the commands that
// act on one resource.
func (a *app) idArg(in *invocation, what string) (string, *textus.Client, error) {
	arg, err := a.oneArg(in, what)
	if err != nil {
		return "", nil, err
	}
	c, err := a.client()
	if err != nil {
		return "", nil, err
	}
	return arg, c, nil
}

// phoneArg parses the invocation (its flags registered first), expects one
// PHONE argument, and returns it in E.164 form with a client.
func (a *app) phoneArg(in *invocation) (string, *textus.Client, error) {
	arg, err := a.oneArg(in, "PHONE number")
	if err != nil {
		return "", nil, err
	}
	phone, err := textus.NormalizePhone(arg)
	if err != nil {
		return "", nil, err
	}
	c, err := a.client()
	if err != nil {
		return "", nil, err
	}
	return phone, c, nil
}

func (a *app) client() (*textus.Client, error) {
	token := a.g.token
	if token == "" {
		token = a.env(envToken)
	}
	if strings.TrimSpace(token) == "" {
		return nil, &exitError{code: exitFailure, msg: "no API token: set " + envToken + " (or pass --token)"}
	}
	account := firstNonEmpty(a.g.account, a.env(envAccount))
	base := firstNonEmpty(a.g.baseURL, a.env(envBaseURL))
	if a.g.maxRetries < 0 {
		return nil, inputError("--max-retries must not be negative")
	}
	n, per, err := parseRate(a.g.rateLimit)
	if err != nil {
		return nil, inputError("--rate-limit: %v", err)
	}
	if a.transport == nil {
		a.transport = http.DefaultTransport.(*http.Transport).Clone()
		a.transport.MaxIdleConnsPerHost = 16
	}
	opts := []textus.Option{
		textus.WithHTTPClient(&http.Client{Transport: a.transport, Timeout: 2 * time.Minute}),
		textus.WithUserAgent(userAgent),
		textus.WithMaxRetries(a.g.maxRetries),
	}
	if a.g.rateLimit != defaultRateLimit {
		// A budget given on the command line is a cap; by default the
		// client paces from the server's own figures.
		opts = append(opts, textus.WithRateLimit(n, per))
	}
	if account != "" {
		opts = append(opts, textus.WithAccount(account))
	}
	if base != "" {
		opts = append(opts, textus.WithBaseURL(base))
	}
	c, err := textus.NewClient(token, opts...)
	if err != nil {
		// Every NewClient error is about a value we were given; none
		// contains the token.
		return nil, inputError("%s", strings.TrimPrefix(err.Error(), "textus: "))
	}
	return c, nil
}

// parseRate reads "N/PERIOD" ("1000/5m"); "0", "off" and "none" turn
// pacing off.
func parseRate(s string) (int, time.Duration, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "0", "off", "none":
		return 0, 0, nil
	}
	num, per, ok := strings.Cut(s, "/")
	if !ok {
		return 0, 0, fmt.Errorf("%q: want N/PERIOD, such as 1000/5m, or 0 for none", s)
	}
	n, err := strconv.Atoi(strings.TrimSpace(num))
	if err != nil || n < 0 {
		return 0, 0, fmt.Errorf("%q: %q is not a number of requests", s, num)
	}
	per = strings.TrimSpace(per)
	if per != "" && (per[0] < '0' || per[0] > '9') {
		per = "1" + per // "100/s" means 100 per second
	}
	d, err := time.ParseDuration(per)
	if err != nil || d <= 0 {
		return 0, 0, fmt.Errorf("%q: %q is not a positive duration", s, per)
	}
	return n, d, nil
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// indent prefixes every line of s.
func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n")
}
