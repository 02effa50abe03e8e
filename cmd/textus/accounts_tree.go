package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/textus-go/textus"
)

// accountArg returns the SLUG argument of an accounts command, or the
// configured account when there is none.
func (a *app) accountArg(in *invocation, pos []string) (string, error) {
	switch len(pos) {
	case 0:
		if s := firstNonEmpty(a.g.account, a.env(envAccount)); s != "" {
			return s, nil
		}
		return "", usageError(in.path, "want an account SLUG (or set %s or --account)", envAccount)
	case 1:
		return pos[0], nil
	}
	return "", usageError(in.path, "unexpected argument %q", pos[1])
}

func accountsTree(ctx context.Context, a *app, in *invocation) error {
	a.apiFlags(in.fs)
	a.jsonFlag(in.fs)
	role := in.fs.String("role", "", "only accounts where you have this `ROLE` (user, support or admin)")
	c, err := a.noArgs(in)
	if err != nil {
		return err
	}
	n := 0
	for root, err := range c.Accounts.Tree(ctx, &textus.TreeOptions{Role: strings.TrimSpace(*role)}) {
		if err != nil {
			return err
		}
		n++
		if a.g.json {
			if err := jsonLine(a.stdout, root); err != nil {
				return err
			}
			continue
		}
		root.Walk(func(t *textus.AccountTree, depth int) bool {
			fmt.Fprintf(a.stdout, "%s%s  %s\n", strings.Repeat("  ", depth), t.Slug, oneLine(t.Name))
			return true
		})
	}
	if n == 0 && !a.g.json {
		fmt.Fprintln(a.stderr, "No accounts.")
	}
	return nil
}

func accountsDescendants(ctx context.Context, a *app, in *invocation) error {
	a.apiFlags(in.fs)
	a.jsonFlag(in.fs)
	query := in.fs.String("query", "", "search the accounts for `Q`")
	limit := in.fs.Int("limit", 0, "stop after `N` accounts (0: all)")
	pos, err := a.parse(in)
	if err != nil {
		return err
	}
	slugArg, err := a.accountArg(in, pos)
	if err != nil {
		return err
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	return printList(a, c.Accounts.Descendants(ctx, slugArg, &textus.DescendantOptions{Query: strings.TrimSpace(*query)}), accountListing(*limit))
}

// accountListing is how account lists are printed.
func accountListing(limit int) listing[*textus.Account] {
	return listing[*textus.Account]{
		header: []string{"SLUG", "NAME", "TYPE", "PHONE NUMBERS"},
		row: func(ac *textus.Account) []string {
			return []string{ac.Slug, ac.Name, ac.AccountType, strings.Join(ac.PhoneNumbers, ", ")}
		},
		empty: "No accounts.",
		limit: limit,
	}
}

func accountsSettings(ctx context.Context, a *app, in *invocation) error {
	a.apiFlags(in.fs)
	a.jsonFlag(in.fs)
	var sets []string
	in.fs.Var(&listValue{p: &sets}, "set", "set a setting, `NAME=VALUE` (repeatable; VALUE is JSON when it parses as JSON)")
	pos, err := a.parse(in)
	if err != nil {
		return err
	}
	slugArg, err := a.accountArg(in, pos)
	if err != nil {
		return err
	}
	changes := map[string]textus.AccountSetting{}
	for _, kv := range sets {
		name, value, ok := strings.Cut(kv, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return inputError("--set %q: want NAME=VALUE", kv)
		}
		changes[name] = textus.AccountSetting{Value: settingValue(value)}
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	var acct *textus.Account
	if len(changes) > 0 {
		acct, err = c.Accounts.UpdateSettings(ctx, slugArg, changes)
	} else {
		acct, err = c.Accounts.Get(ctx, slugArg)
	}
	if err != nil {
		return err
	}
	if a.g.json {
		return writeJSON(a.stdout, acct.Settings)
	}
	if len(acct.Settings) == 0 {
		fmt.Fprintln(a.stderr, "No settings.")
		return nil
	}
	tw := newTable(a.stdout)
	row(tw, "SETTING", "VALUE")
	for _, k := range sortedKeys(acct.Settings) {
		row(tw, k, dataCell(acct.Settings[k]))
	}
	return tw.Flush()
}

// settingValue reads a --set value: JSON (true, 460, "text", {...}) when
// it parses as JSON, otherwise the text itself.
func settingValue(s string) any {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err == nil {
		return v
	}
	return s
}
