package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textustest"
)

// Variables printed by "textus fake" besides the ones the tool reads, for
// programs in other languages.
const (
	envPhoneNumber = "TEXTUS_PHONE_NUMBER"
	envControlURL  = "TEXTUS_CONTROL_URL"
)

func fakeCommand() *command {
	return &command{
		name:     "fake",
		summary:  "Run a local fake TextUs server (package textustest)",
		synopsis: "[--addr 127.0.0.1:0] [--token TOKEN] [--page-size N] [flags]",
		desc: "Starts the stateful fake TextUs API server of package textustest, prints its URL,\n" +
			"token and account (and the export lines that point this tool, or your own program,\n" +
			"at it), and serves until interrupted. Its state lives in memory. It pages lists,\n" +
			"sends rate-limit headers, refuses sends to opted-out numbers and delivers signed\n" +
			"webhooks to subscriptions made with 'textus webhooks create'. This is the one way\n" +
			"to run the fake on its own, for programs in other languages or tried by hand.\n\n" +
			"Open the UI address it prints in a browser: the sandbox shows the conversations,\n" +
			"contacts, opt-outs and webhook deliveries live, and lets you reply as the contact,\n" +
			"send STOP or START, make a number undeliverable and redeliver a webhook. It needs\n" +
			"no token and answers only on localhost, so keep --addr on a loopback address.\n\n" +
			"Programs in other languages can drive it over HTTP, with the same token:\n" +
			"  POST " + textustest.ControlPrefix + "/receive  {\"from\": \"+13035551234\", \"body\": \"STOP\"}  an inbound text\n" +
			"  GET  " + textustest.ControlPrefix + "/sent                                             messages sent so far\n" +
			"  GET  " + textustest.ControlPrefix + "/deliveries                                       webhook deliveries\n" +
			"  PUT  " + textustest.ControlPrefix + "/undeliverable/PHONE                              sends to PHONE fail\n" +
			"  DELETE " + textustest.ControlPrefix + "/undeliverable/PHONE                            they are delivered again\n" +
			"  POST " + textustest.ControlPrefix + "/redeliver  {\"id\": \"DELIVERY-ID\"}                     send a delivery again\n" +
			"  POST " + textustest.ControlPrefix + "/reset                                            forget everything",
		examples: "textus fake\n" +
			"textus fake --addr 127.0.0.1:8089 --token dev-token --page-size 100 --rate-limit 0\n" +
			"textus fake --log 2> requests.log   # one line per request in requests.log",
		run: fake,
	}
}

// fakeFlags are the flags of "textus fake": the server's settings.
type fakeFlags struct {
	addr          string
	token         string
	account       string
	accountName   string
	phone         string
	pageSize      int
	rateLimit     int
	ratePeriod    time.Duration
	latency       time.Duration
	deliveryDelay time.Duration
	seed          int64
	lenientCT     bool
	log           bool
}

func (f *fakeFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&f.addr, "addr", "127.0.0.1:0", "`HOST:PORT` to listen on (port 0 picks a free one)")
	fs.StringVar(&f.token, "token", "", "API `TOKEN` to accept (default: a random token, printed at start)")
	fs.StringVar(&f.account, "account", textustest.DefaultAccount, "account `SLUG`")
	fs.StringVar(&f.accountName, "account-name", textustest.DefaultAccountName, "account display `NAME`")
	fs.StringVar(&f.phone, "phone", textustest.DefaultPhoneNumber, "the account's own `PHONE` number")
	fs.IntVar(&f.pageSize, "page-size", textustest.DefaultPageSize, "`N` members per collection page")
	fs.IntVar(&f.rateLimit, "rate-limit", textustest.DefaultRateLimit, "`N` requests per rate period per token (0 or less: no limit)")
	fs.DurationVar(&f.ratePeriod, "rate-period", textustest.DefaultRatePeriod, "rate-limit window `DURATION`")
	fs.DurationVar(&f.latency, "latency", 0, "delay `DURATION` added to every request")
	fs.DurationVar(&f.deliveryDelay, "delivery-delay", 0, "keep sent messages queued for `DURATION` before they are delivered")
	fs.Int64Var(&f.seed, "seed", textustest.DefaultSeed, "`SEED` for fault injection and ids")
	fs.BoolVar(&f.lenientCT, "lenient-content-type", false, "also accept application/json request bodies")
	fs.BoolVar(&f.log, "log", false, "print one line per request on stderr")
}

// options validates the flags and turns them into server options. Every
// value the server would replace by its default is refused instead.
func (f *fakeFlags) options(a *app) ([]textustest.Option, error) {
	switch {
	case f.pageSize < 1:
		return nil, inputError("--page-size must be at least 1")
	case f.ratePeriod <= 0:
		return nil, inputError("--rate-period must be positive")
	case f.latency < 0 || f.deliveryDelay < 0:
		return nil, inputError("--latency and --delivery-delay must not be negative")
	case strings.TrimSpace(f.accountName) == "":
		return nil, inputError("--account-name must not be empty")
	case strings.ContainsAny(f.token, " \t\r\n"):
		return nil, inputError("--token must not contain white space")
	}
	phone, err := textus.NormalizePhone(f.phone)
	if err != nil {
		return nil, inputError("--phone: %s", describe(err))
	}
	opts := []textustest.Option{
		textustest.WithControlEndpoints(),
		textustest.WithToken(f.token),
		textustest.WithAccount(f.account),
		textustest.WithAccountName(f.accountName),
		textustest.WithPhoneNumber(phone),
		textustest.WithPageSize(f.pageSize),
		textustest.WithRateLimit(f.rateLimit, f.ratePeriod),
		textustest.WithLatency(f.latency),
		textustest.WithDeliveryDelay(f.deliveryDelay),
		textustest.WithSeed(f.seed),
	}
	if f.lenientCT {
		opts = append(opts, textustest.WithLenientContentType())
	}
	if f.log {
		opts = append(opts, textustest.WithLog(&syncWriter{w: a.stderr}))
	}
	return opts, nil
}

func fake(ctx context.Context, a *app, in *invocation) error {
	var f fakeFlags
	f.define(in.fs)
	pos, err := a.parse(in)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError(in.path, "unexpected argument %q", pos[0])
	}
	opts, err := f.options(a)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return &exitError{code: exitFailure, msg: fmt.Sprintf("cannot listen on %s: %v", f.addr, err)}
	}
	srv := textustest.NewServer(append(opts, textustest.WithListener(ln))...)
	defer srv.Close()
	if srv.Account() != f.account {
		return inputError("--account %q: not a valid account slug", f.account)
	}
	control := srv.URL() + textustest.ControlPrefix
	fmt.Fprintf(a.stdout, "TextUs fake server running (Ctrl-C to stop)\n")
	fmt.Fprintf(a.stdout, "  URL:      %s\n", srv.URL())
	fmt.Fprintf(a.stdout, "  Token:    %s\n", srv.Token())
	fmt.Fprintf(a.stdout, "  Account:  %s\n", srv.Account())
	fmt.Fprintf(a.stdout, "  Phone:    %s\n", srv.PhoneNumber())
	fmt.Fprintf(a.stdout, "  Control:  %s\n", control)
	fmt.Fprintf(a.stdout, "\n")
	fmt.Fprintf(a.stdout, "UI: %s\n", srv.SandboxURL())
	fmt.Fprintf(a.stdout, "  (open it in a browser: see what your program sends, reply as the contact)\n")
	if !isLoopbackAddr(ln.Addr()) {
		fmt.Fprintf(a.stderr, "textus: warning: listening on %s, not a loopback address: the UI has no token, and anyone who can reach this port can use it\n", ln.Addr())
	}
	fmt.Fprintf(a.stdout, "\n")
	for _, kv := range [][2]string{
		{envBaseURL, srv.URL()},
		{envToken, srv.Token()},
		{envAccount, srv.Account()},
		{envPhoneNumber, srv.PhoneNumber()},
		{envControlURL, control},
	} {
		fmt.Fprintf(a.stdout, "export %s=%s\n", kv[0], shellQuote(kv[1]))
	}
	<-ctx.Done()
	srv.Close()
	fmt.Fprintln(a.stderr, "textus: fake server stopped")
	return nil
}

// isLoopbackAddr reports whether a listener's address is a loopback one.
func isLoopbackAddr(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}
