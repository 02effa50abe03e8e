package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strings"

	"github.com/textus-go/textus"
)

func webhooksCommand() *command {
	return &command{
		name:    "webhooks",
		summary: "Manage webhook subscriptions",
		desc: "Webhook subscriptions (TextUs integrations with provider \"webhook\") are registered on\n" +
			"the top-level organization account with an organization admin's token.",
		subs: []*command{
			{
				name:     "list",
				summary:  "List the webhook subscriptions (never their secrets)",
				synopsis: "[flags]",
				examples: "textus webhooks list\n" +
					"textus webhooks list --json",
				run: webhooksList,
			},
			{
				name:     "create",
				summary:  "Subscribe a URL to events; prints the new signing secret once",
				synopsis: "--url URL --events EVENT[,EVENT...]|all [flags]",
				desc: "Subscribes URL to the events, and prints the signing secret TextUs generated. This is\n" +
					"the only time the secret is shown: store it (for example as TEXTUS_WEBHOOK_SECRET for\n" +
					"'textus listen'). Events: " + eventNames() + ", or all.",
				examples: "textus webhooks create --url https://example.com/textus/webhook --events all\n" +
					"textus webhooks create --url https://example.com/hook --events message.received,contact.opted_out",
				run: webhooksCreate,
			},
			{
				name:     "update",
				summary:  "Change a subscription's URL, events or active flag",
				synopsis: "ID [--url URL] [--events EVENTS|all] [--active=true|false] [flags]",
				desc: "Changes a subscription; unset flags leave it as it is. --events replaces the list.\n" +
					"--active=false stops deliveries (the API has no delete). The secret is not shown.",
				examples: "textus webhooks update 0yX2VrJ --active=false\n" +
					"textus webhooks update /integrations/0yX2VrJ --url https://example.com/new-hook --events all",
				run: webhooksUpdate,
			},
		},
	}
}

// eventNames lists the documented events.
func eventNames() string {
	names := make([]string, 0, 8)
	for _, e := range textus.AllEvents() {
		names = append(names, string(e))
	}
	return strings.Join(names, ", ")
}

// parseEvents reads an --events value: "all" or a comma-separated list of
// documented events (hyphenated aliases accepted).
func parseEvents(s string) ([]textus.EventType, error) {
	if strings.EqualFold(strings.TrimSpace(s), "all") {
		return textus.AllEvents(), nil
	}
	known := map[textus.EventType]bool{}
	for _, e := range textus.AllEvents() {
		known[e] = true
	}
	var out []textus.EventType
	seen := map[textus.EventType]bool{}
	for _, name := range strings.Split(s, ",") {
		if strings.TrimSpace(name) == "" {
			continue
		}
		e := textus.NormalizeEventType(name)
		if !known[e] {
			return nil, inputError("unknown event %q; want %s, or all", strings.TrimSpace(name), eventNames())
		}
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return nil, inputError("--events is empty; want %s, or all", eventNames())
	}
	return out, nil
}

// checkURL validates a webhook URL before anything is sent.
func checkURL(raw string) error {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return inputError("--url %q: want an absolute http(s) URL", raw)
	}
	return nil
}

func webhooksList(ctx context.Context, a *app, in *invocation) error {
	a.apiFlags(in.fs)
	a.jsonFlag(in.fs)
	limit := in.fs.Int("limit", 0, "stop after `N` subscriptions (0: all)")
	c, err := a.noArgs(in)
	if err != nil {
		return err
	}
	return printList(a, c.Webhooks.List(ctx), listing[*textus.Webhook]{
		header: []string{"ID", "URL", "ACTIVE", "HEALTHY", "EVENTS"},
		row: func(w *textus.Webhook) []string {
			return []string{slug(w.ID), w.URL, yesNo(w.Active), yesNo(w.Healthy), joinEvents(w.Events)}
		},
		empty: "No webhook subscriptions.",
		limit: *limit,
	})
}

func webhooksCreate(ctx context.Context, a *app, in *invocation) error {
	a.apiFlags(in.fs)
	a.jsonFlag(in.fs)
	target := in.fs.String("url", "", "the `URL` that receives the deliveries")
	events := in.fs.String("events", "", "comma-separated `EVENTS`, or all")
	pos, err := a.parse(in)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError(in.path, "unexpected argument %q", pos[0])
	}
	if *target == "" {
		return usageError(in.path, "--url is required")
	}
	if *events == "" {
		return usageError(in.path, "--events is required (a comma-separated list, or all)")
	}
	if err := checkURL(*target); err != nil {
		return err
	}
	evs, err := parseEvents(*events)
	if err != nil {
		return err
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	w, err := c.Webhooks.Create(ctx, &textus.WebhookParams{URL: strings.TrimSpace(*target), Events: evs})
	if err != nil {
		if errors.Is(err, textus.ErrOutcomeUnknown) {
			return &outcomeError{
				what:  "the subscription may have been created although no answer came back",
				check: "run 'textus webhooks list' before creating it again",
				err:   err,
			}
		}
		return err
	}
	if a.g.json {
		return writeJSON(a.stdout, struct {
			*textus.Webhook
			Secret string `json:"secret"`
		}{w, w.Secret})
	}
	if err := a.showWebhook(w); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Secret:   %s\n\n", orDefault(w.Secret, "(none returned)"))
	fmt.Fprintln(a.stdout, "Store the secret now: it is shown only this once. Deliveries are signed with it;")
	fmt.Fprintln(a.stdout, "pass it to 'textus listen --secret' or set TEXTUS_WEBHOOK_SECRET.")
	return nil
}

func webhooksUpdate(ctx context.Context, a *app, in *invocation) error {
	a.apiFlags(in.fs)
	a.jsonFlag(in.fs)
	target := in.fs.String("url", "", "new `URL` for the deliveries")
	events := in.fs.String("events", "", "new comma-separated `EVENTS`, or all (replaces the list)")
	active := in.fs.Bool("active", true, "deliver (true) or stop delivering (false)")
	in.fs.Lookup("active").DefValue = "false"
	arg, err := a.oneArg(in, "subscription ID")
	if err != nil {
		return err
	}
	set := map[string]bool{}
	in.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var p textus.WebhookParams
	if set["url"] {
		if err := checkURL(*target); err != nil {
			return err
		}
		p.URL = strings.TrimSpace(*target)
	}
	if set["events"] {
		if p.Events, err = parseEvents(*events); err != nil {
			return err
		}
	}
	if set["active"] {
		p.Active = active
	}
	if p.URL == "" && p.Events == nil && p.Active == nil {
		return usageError(in.path, "nothing to change: give --url, --events or --active")
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	w, err := c.Webhooks.Update(ctx, arg, &p)
	if err != nil {
		return err
	}
	if a.g.json {
		return writeJSON(a.stdout, w)
	}
	return a.showWebhook(w)
}

// showWebhook describes a subscription, without its secret.
func (a *app) showWebhook(w *textus.Webhook) error {
	tw := newTable(a.stdout)
	fmt.Fprintf(tw, "ID:\t%s\n", cell(w.ID))
	fmt.Fprintf(tw, "URL:\t%s\n", cell(w.URL))
	fmt.Fprintf(tw, "Events:\t%s\n", cell(joinEvents(w.Events)))
	fmt.Fprintf(tw, "Active:\t%s\n", yesNo(w.Active))
	fmt.Fprintf(tw, "Healthy:\t%s\n", yesNo(w.Healthy))
	return tw.Flush()
}

func joinEvents(evs []textus.EventType) string {
	s := make([]string, len(evs))
	for i, e := range evs {
		s[i] = string(e)
	}
	return strings.Join(s, ",")
}
