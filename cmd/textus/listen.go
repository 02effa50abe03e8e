package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/webhooks"
)

func listenCommand() *command {
	return &command{
		name:     "listen",
		summary:  "Receive webhook deliveries and print each verified event",
		synopsis: "[--addr :8080] --secret SECRET [--secret OLD_SECRET] [--path /webhooks] [--json]",
		desc: "Serves the SDK's webhook handler (webhooks.Handler) on --addr and --path, and prints\n" +
			"one line per verified delivery: time, action, delivery id, phone number and a snippet\n" +
			"of the body (the message text, or the contact's name). With --json, each delivery is\n" +
			"one JSON line with those fields and the delivery itself. Deliveries with a missing or\n" +
			"wrong signature are answered 401 and reported on stderr; duplicates are answered 200\n" +
			"and printed once.\n\n" +
			"The secret comes from --secret or TEXTUS_WEBHOOK_SECRET. Repeat --secret to accept\n" +
			"several secrets while rotating. The address actually listened on is printed on\n" +
			"stderr (use --addr 127.0.0.1:0 for any free port). Ctrl-C (or SIGTERM) stops the\n" +
			"server gracefully.",
		examples: "textus listen --addr :8080 --secret \"$TEXTUS_WEBHOOK_SECRET\"\n" +
			"textus listen --addr 127.0.0.1:9000 --path /textus/webhook --json | jq .action\n" +
			"textus listen --secret textus-new... --secret textus-old...   # during a rotation",
		run: listen,
	}
}

// eventLine is one received event, as listen prints it.
type eventLine struct {
	Time     time.Time       `json:"time"`
	Action   string          `json:"action"`
	ID       string          `json:"id"`
	Phone    string          `json:"phone,omitempty"`
	Body     string          `json:"body,omitempty"`
	Delivery json.RawMessage `json:"delivery"`
}

// syncWriter serialises writes from concurrent deliveries.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func listen(ctx context.Context, a *app, in *invocation) error {
	var secrets []string
	addr := in.fs.String("addr", ":8080", "`ADDRESS` to listen on (host:port; port 0 picks a free one)")
	in.fs.Var(&listValue{p: &secrets, secret: true}, "secret", "webhook signing `SECRET` (repeatable; default $"+envSecret+")")
	path := in.fs.String("path", "/webhooks", "URL `PATH` that receives the deliveries")
	in.fs.BoolVar(&a.g.json, "json", a.g.json, "print one JSON line per event")
	in.fs.Lookup("json").DefValue = "false"
	tolerance := in.fs.Duration("tolerance", 0, "refuse deliveries whose timestamp is further than `DURATION` from now (0: off)")
	pos, err := a.parse(in)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError(in.path, "unexpected argument %q", pos[0])
	}
	var keys []string
	for _, s := range secrets {
		if s != "" {
			keys = append(keys, s)
		}
	}
	if len(keys) == 0 && a.env(envSecret) != "" {
		keys = []string{a.env(envSecret)}
	}
	if len(keys) == 0 {
		return &exitError{code: exitFailure, msg: "no webhook secret: pass --secret or set " + envSecret}
	}
	if !strings.HasPrefix(*path, "/") {
		return inputError("--path %q: must start with /", *path)
	}
	if *tolerance < 0 {
		return inputError("--tolerance must not be negative")
	}

	stdout := &syncWriter{w: a.stdout}
	stderr := &syncWriter{w: a.stderr}
	h, err := webhooks.NewHandler(keys[0],
		webhooks.WithSecrets(keys[1:]...),
		webhooks.WithTolerance(*tolerance),
		webhooks.WithLogger(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{
			Level: slog.LevelWarn,
			ReplaceAttr: func(groups []string, at slog.Attr) slog.Attr {
				if len(groups) == 0 && at.Key == slog.TimeKey {
					return slog.Attr{} // the line is printed as it happens
				}
				return at
			},
		}))),
	)
	if err != nil {
		return &exitError{code: exitFailure, msg: strings.TrimPrefix(err.Error(), "webhooks: ")}
	}
	p := &eventPrinter{w: stdout, json: a.g.json}
	registerPrinters(h, p)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return &exitError{code: exitFailure, msg: "listen: " + err.Error()}
	}
	route := *path
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != route {
				http.NotFound(w, r)
				return
			}
			h.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(stderr, "textus: http: ", 0),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stderr, "textus: listening on %s (Ctrl-C to stop)\n", displayURL(ln.Addr(), route))

	select {
	case err := <-served:
		return &exitError{code: exitFailure, msg: "serve: " + err.Error()}
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Fprintln(stderr, "textus: stopped listening")
	return nil
}

// displayURL is the URL to post to, for the startup line.
func displayURL(addr net.Addr, path string) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String() + path
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + path
}

// eventPrinter prints events, one line each.
type eventPrinter struct {
	w    io.Writer
	json bool
}

// registerPrinters registers a printing callback for every event, and for
// unknown ones.
func registerPrinters(h *webhooks.Handler, p *eventPrinter) {
	msg := func(_ context.Context, e *textus.MessageEvent) error {
		var phone, body string
		if e.Conversation != nil {
			phone = e.Conversation.PhoneNumber
		}
		if e.Message != nil {
			body = e.Message.Body
		}
		return p.print(&e.Event, phone, body)
	}
	opt := func(_ context.Context, e *textus.OptOutEvent) error {
		return p.print(&e.Event, e.PhoneNumber(), "")
	}
	h.OnMessageReceived(msg)
	h.OnMessageDelivered(msg)
	h.OnMessageFailed(msg)
	h.OnMessageUnknown(msg)
	h.OnContactOptedOut(opt)
	h.OnContactOptedIn(opt)
	h.OnContactCreated(func(_ context.Context, e *textus.ContactEvent) error {
		var phone, name string
		if e.Contact != nil {
			name = e.Contact.Name
			if len(e.Contact.Phones) > 0 {
				phone = e.Contact.Phones[0].PhoneNumber
			}
		}
		return p.print(&e.Event, phone, name)
	})
	h.OnPhoneCallCompleted(func(_ context.Context, e *textus.PhoneCallEvent) error {
		var phone string
		if e.Conversation != nil {
			phone = e.Conversation.PhoneNumber
		}
		return p.print(&e.Event, phone, callSummary(e.PhoneCall))
	})
	h.OnUnknownEvent(func(_ context.Context, e *textus.Event) error {
		return p.print(e, "", "")
	})
}

// callSummary describes a phone call payload, whose shape TextUs does not
// document: its duration and status when present.
func callSummary(raw json.RawMessage) string {
	var c struct {
		Duration json.Number `json:"duration"`
		Status   string      `json:"status"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &c) != nil {
		return ""
	}
	var parts []string
	if c.Status != "" {
		parts = append(parts, c.Status)
	}
	if c.Duration != "" {
		if n, err := strconv.ParseFloat(string(c.Duration), 64); err == nil {
			parts = append(parts, (time.Duration(n) * time.Second).String())
		}
	}
	return strings.Join(parts, ", ")
}

func (p *eventPrinter) print(e *textus.Event, phone, body string) error {
	t := e.Timestamp
	if t.IsZero() {
		t = time.Now()
	}
	action := string(e.Action)
	if action == "" {
		action = orDefault(e.RawAction, "(no action)")
	}
	if p.json {
		// The delivery was handled: a broken stdout is not the sender's
		// problem, so write errors are not returned.
		_ = jsonLine(p.w, eventLine{Time: t, Action: action, ID: e.ID, Phone: phone, Body: body, Delivery: e.Raw})
		return nil
	}
	text := "-"
	if body != "" {
		text = strconv.Quote(snippet(body, 60))
	}
	fmt.Fprintf(p.w, "%s  %-20s  %s  %s  %s\n", t.UTC().Format("2006-01-02T15:04:05.000Z"), action, orDefault(e.ID, "-"), orDefault(phone, "-"), text)
	return nil
}
