package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textustest"
	"github.com/textus-go/textus/webhooks"
)

func triggerCommand() *command {
	return &command{
		name:     "trigger",
		summary:  "Send a signed sample webhook delivery to a URL",
		synopsis: "EVENT|all --url URL --secret SECRET [--phone PHONE] [--body TEXT] [flags]",
		desc: "Posts a realistic sample delivery of EVENT to URL, signed with SECRET exactly as\n" +
			"TextUs signs it (hex HMAC-SHA256 of the body in the X-TextUs-Signature header), with\n" +
			"a fresh delivery id and the current time, and prints the receiver's answer. The exit\n" +
			"code is 1 when the receiver answers anything but 2xx. \"all\" sends every event, as\n" +
			"from one subscription. The deliveries are those of package textustest\n" +
			"(SampleDelivery), shaped as the fake server's own.\n\n" +
			"Events: " + eventNames() + ".\n" +
			"Message events carry a conversation and a message, opt-out and opt-in events an\n" +
			"optOut, contact.created a contact, and phone_call.completed a conversation and a\n" +
			"phoneCall. The secret comes from --secret or TEXTUS_WEBHOOK_SECRET.",
		examples: "textus trigger message.received --url http://localhost:8080/webhooks --secret \"$TEXTUS_WEBHOOK_SECRET\"\n" +
			"textus trigger contact.opted_out --url http://localhost:8080/webhooks --secret S --phone \"(303) 555-1234\"\n" +
			"textus trigger all --url http://localhost:8080/webhooks --secret S",
		run: trigger,
	}
}

func trigger(ctx context.Context, a *app, in *invocation) error {
	var secret string
	target := in.fs.String("url", "", "receiver `URL`")
	in.fs.Var(&secretValue{p: &secret}, "secret", "webhook signing `SECRET` (default $"+envSecret+")")
	phoneFlag := in.fs.String("phone", "+13035551234", "the contact's `PHONE` number in the sample")
	body := in.fs.String("body", "", "message `TEXT` for message events (default: a sample text)")
	timeout := in.fs.Duration("timeout", 10*time.Second, "give up on the receiver after `DURATION`")
	pos, err := a.parse(in)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError(in.path, "want one EVENT (%s, or all)", eventNames())
	}
	var events []textus.EventType
	if strings.EqualFold(pos[0], "all") {
		events = textus.AllEvents()
	} else {
		events, err = parseEvents(pos[0])
		if err != nil {
			return err
		}
		if len(events) != 1 {
			return usageError(in.path, "want one EVENT, or all")
		}
	}
	if *target == "" {
		return usageError(in.path, "--url is required")
	}
	if err := checkURL(*target); err != nil {
		return err
	}
	if secret == "" {
		secret = a.env(envSecret)
	}
	if secret == "" {
		return &exitError{code: exitFailure, msg: "no webhook secret: pass --secret or set " + envSecret}
	}
	phone, err := textus.NormalizePhone(*phoneFlag)
	if err != nil {
		return err
	}
	if *timeout <= 0 {
		return inputError("--timeout must be positive")
	}
	// Every delivery of a run comes from one subscription: the first
	// sample's.
	opts := textustest.SampleOptions{Phone: phone, Body: *body, Account: orDefault(a.env(envAccount), "my_account")}
	hc := &http.Client{Timeout: *timeout}
	failed := 0
	for _, ev := range events {
		payload, err := textustest.SampleDelivery(ev, opts)
		if err != nil {
			return inputError("cannot build a sample %s delivery: %s", ev, strings.TrimPrefix(err.Error(), "textustest: SampleDelivery: "))
		}
		var env struct {
			ID      string `json:"id"`
			WebHook string `json:"webHook"`
		}
		if err := json.Unmarshal(payload, &env); err != nil {
			return err
		}
		opts.Webhook = env.WebHook
		id := env.ID
		status, answer, err := post(ctx, hc, strings.TrimSpace(*target), secret, payload)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			failed++
			fmt.Fprintf(a.stdout, "%-20s  %s  no answer\n", ev, id)
			fmt.Fprintf(a.stderr, "textus: %s: %s\n", ev, oneLine(err.Error()))
			continue
		}
		fmt.Fprintf(a.stdout, "%-20s  %s  %d %s\n", ev, id, status, http.StatusText(status))
		if status < 200 || status > 299 {
			failed++
			msg := fmt.Sprintf("textus: %s: the receiver answered %d %s", ev, status, http.StatusText(status))
			if answer != "" {
				msg += ": " + answer
			}
			fmt.Fprintln(a.stderr, msg)
		}
	}
	if failed > 0 {
		return &exitError{code: exitFailure}
	}
	return nil
}

// post sends one signed delivery and returns the status and the start of
// the answer's body, on one line.
func post(ctx context.Context, hc *http.Client, target, secret string, payload []byte) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(payload))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set(webhooks.SignatureHeader, webhooks.Sign(secret, payload))
	resp, err := hc.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	return resp.StatusCode, snippet(string(b), 100), nil
}
