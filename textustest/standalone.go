package textustest

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"
)

// DefaultAddr is where the standalone server listens unless told otherwise.
const DefaultAddr = "127.0.0.1:8080"

// Config configures a standalone fake server (see Serve). The zero value
// is valid: every empty field takes the package default.
type Config struct {
	// Addr is the listening address (default DefaultAddr; ":0" or
	// "127.0.0.1:0" picks a free port).
	Addr string
	// Token is the accepted API token; empty makes a random one.
	Token string
	// Account and AccountName name the fake account.
	Account     string
	AccountName string
	// PhoneNumber is the account's own number.
	PhoneNumber string
	// PageSize is the collection page size.
	PageSize int
	// RateLimit requests per RatePeriod per token; 0 keeps the default
	// (1000 per 5 minutes) and a negative value turns rate limiting off.
	RateLimit  int
	RatePeriod time.Duration
	// Latency delays every request.
	Latency time.Duration
	// Seed seeds fault injection and ids (0 keeps DefaultSeed).
	Seed int64
	// LenientContentType accepts application/json request bodies too.
	LenientContentType bool
	// Log, when set, receives one line per request.
	Log io.Writer
}

// RegisterFlags defines command-line flags for c on fs (-addr, -token,
// -account, -account-name, -phone, -page-size, -rate-limit, -rate-period,
// -latency, -seed, -lenient-content-type), with the current values of c as
// defaults. A command that embeds the fake server (such as "textus fake")
// needs only:
//
//	var cfg textustest.Config
//	cfg.RegisterFlags(fs)
//	if err := fs.Parse(args); err != nil {
//		return err
//	}
//	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
//	defer stop()
//	return textustest.Serve(ctx, cfg, os.Stdout)
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	addr := c.Addr
	if addr == "" {
		addr = DefaultAddr
	}
	fs.StringVar(&c.Addr, "addr", addr, "address to listen on (host:port; port 0 picks a free one)")
	fs.StringVar(&c.Token, "token", c.Token, "API token to accept (default: a random token, printed at start)")
	fs.StringVar(&c.Account, "account", orDefault(c.Account, DefaultAccount), "account slug")
	fs.StringVar(&c.AccountName, "account-name", orDefault(c.AccountName, DefaultAccountName), "account display name")
	fs.StringVar(&c.PhoneNumber, "phone", orDefault(c.PhoneNumber, DefaultPhoneNumber), "the account's own phone number (E.164)")
	fs.IntVar(&c.PageSize, "page-size", orDefaultInt(c.PageSize, DefaultPageSize), "members per collection page")
	fs.IntVar(&c.RateLimit, "rate-limit", orDefaultInt(c.RateLimit, DefaultRateLimit), "requests per rate period per token (negative: no limit)")
	period := c.RatePeriod
	if period <= 0 {
		period = DefaultRatePeriod
	}
	fs.DurationVar(&c.RatePeriod, "rate-period", period, "rate-limit window")
	fs.DurationVar(&c.Latency, "latency", c.Latency, "delay added to every request")
	fs.Int64Var(&c.Seed, "seed", c.Seed, "seed for fault injection and ids (0: the default seed)")
	fs.BoolVar(&c.LenientContentType, "lenient-content-type", c.LenientContentType, "also accept application/json request bodies")
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

func orDefaultInt(v, d int) int {
	if v == 0 {
		return d
	}
	return v
}

// Options turns the configuration into server options. The control API
// (WithControlEndpoints) is always included: programs in other languages
// need it to simulate inbound messages.
func (c Config) Options() []Option {
	opts := []Option{
		WithControlEndpoints(),
		WithToken(c.Token),
		WithAccount(c.Account),
		WithAccountName(c.AccountName),
		WithPageSize(c.PageSize),
		WithLatency(c.Latency),
	}
	if c.PhoneNumber != "" {
		opts = append(opts, WithPhoneNumber(c.PhoneNumber))
	}
	switch {
	case c.RateLimit < 0:
		opts = append(opts, WithRateLimit(0, 0))
	case c.RateLimit > 0:
		opts = append(opts, WithRateLimit(c.RateLimit, c.RatePeriod))
	}
	if c.Seed != 0 {
		opts = append(opts, WithSeed(c.Seed))
	}
	if c.LenientContentType {
		opts = append(opts, WithLenientContentType())
	}
	if c.Log != nil {
		opts = append(opts, WithLog(c.Log))
	}
	return opts
}

// Serve runs a standalone fake server until ctx is done, then closes it.
// Once listening it writes the connection details to out, one KEY=value per
// line (TEXTUS_BASE_URL, TEXTUS_TOKEN, TEXTUS_ACCOUNT, TEXTUS_PHONE_NUMBER,
// TEXTUS_CONTROL_URL), so that scripts can read them. It returns an error
// only when the address cannot be listened on.
func Serve(ctx context.Context, cfg Config, out io.Writer) error {
	addr := cfg.Addr
	if addr == "" {
		addr = DefaultAddr
	}
	s, err := NewServerAt(addr, cfg.Options()...)
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Fprintf(out, "TEXTUS_BASE_URL=%s\nTEXTUS_TOKEN=%s\nTEXTUS_ACCOUNT=%s\nTEXTUS_PHONE_NUMBER=%s\nTEXTUS_CONTROL_URL=%s\n",
		s.URL(), s.Token(), s.Account(), s.PhoneNumber(), s.URL()+ControlPrefix)
	<-ctx.Done()
	return nil
}
