package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/textus-go/textus"
)

func optOutsCommand() *command {
	return &command{
		name:    "optouts",
		summary: "List, check and record opt-outs",
		subs: []*command{
			{
				name:     "list",
				summary:  "List the numbers that opted out",
				synopsis: "[--query DIGITS] [flags]",
				desc:     "Lists opt-outs, optionally those whose number contains --query (at least 3 characters).",
				examples: "textus optouts list\n" +
					"textus optouts list --query 303555\n" +
					"textus optouts list --json | jq -r .phoneNumber",
				run: optOutsList,
			},
			{
				name:     "check",
				summary:  "Tell whether a number opted out",
				synopsis: "PHONE [flags]",
				desc:     "Tells whether PHONE opted out. The exit code is 0 either way; with --json the answer is\n{\"phoneNumber\": ..., \"optedOut\": true|false}.",
				examples: "textus optouts check +13035551234\n" +
					"textus optouts check \"(303) 555-1234\" --json | jq .optedOut",
				run: optOutsCheck,
			},
			{
				name:     "add",
				summary:  "Record that a number opted out",
				synopsis: "PHONE [flags]",
				desc:     "Records an opt-out for PHONE (safe to repeat). The API has no way to remove one.",
				examples: "textus optouts add +13035551234",
				run:      optOutsAdd,
			},
		},
	}
}

func optOutsList(ctx context.Context, a *app, in *invocation) error {
	a.apiFlags(in.fs)
	a.jsonFlag(in.fs)
	query := in.fs.String("query", "", "only numbers containing these `DIGITS` (at least 3 characters)")
	limit := in.fs.Int("limit", 0, "stop after `N` opt-outs (0: all)")
	pos, err := a.parse(in)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError(in.path, "unexpected argument %q", pos[0])
	}
	q := strings.TrimSpace(*query)
	if q != "" && len(q) < 3 {
		return inputError("--query %q: give at least 3 characters", q)
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	return printList(a, c.OptOuts.List(ctx, &textus.OptOutListOptions{Query: q}), listing[*textus.OptOut]{
		header: []string{"PHONE", "OPTED OUT", "VIA", "ACCOUNT"},
		row: func(o *textus.OptOut) []string {
			return []string{orDefault(o.PhoneNumber, o.FormattedPhoneNumber), formatTime(o.CreatedAt), o.CreatedVia, slug(o.Account)}
		},
		empty: "No opt-outs.",
		limit: *limit,
	})
}

func optOutsCheck(ctx context.Context, a *app, in *invocation) error {
	a.apiFlags(in.fs)
	a.jsonFlag(in.fs)
	phone, c, err := a.phoneArg(in)
	if err != nil {
		return err
	}
	opted, err := c.OptOuts.IsOptedOut(ctx, phone)
	if err != nil {
		return err
	}
	if a.g.json {
		return writeJSON(a.stdout, struct {
			PhoneNumber string `json:"phoneNumber"`
			OptedOut    bool   `json:"optedOut"`
		}{phone, opted})
	}
	if opted {
		fmt.Fprintf(a.stdout, "%s has opted out: messages to it are refused.\n", phone)
	} else {
		fmt.Fprintf(a.stdout, "%s has not opted out.\n", phone)
	}
	return nil
}

func optOutsAdd(ctx context.Context, a *app, in *invocation) error {
	a.apiFlags(in.fs)
	a.jsonFlag(in.fs)
	phone, c, err := a.phoneArg(in)
	if err != nil {
		return err
	}
	o, err := c.OptOuts.Create(ctx, phone)
	if err != nil {
		return err
	}
	if a.g.json {
		return writeJSON(a.stdout, o)
	}
	fmt.Fprintf(a.stdout, "Opted out %s (%s).\n", phone, o.ID)
	return nil
}
