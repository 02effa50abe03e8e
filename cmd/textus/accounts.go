package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/textus-go/textus"
)

func accountsCommand() *command {
	return &command{
		name:    "accounts",
		summary: "List the accounts the token can use",
		subs: []*command{{
			name:     "list",
			summary:  "List the accounts where the token's user has a membership",
			synopsis: "[flags]",
			desc: "Lists the accounts where the token's user has a direct membership. The SLUG column\n" +
				"is what TEXTUS_ACCOUNT and --account take.",
			examples: "textus accounts list\n" +
				"textus accounts list --json | jq -r .slug",
			run: accountsList,
		}},
	}
}

func accountsList(ctx context.Context, a *app, in *invocation) error {
	a.apiFlags(in.fs)
	a.jsonFlag(in.fs)
	limit := in.fs.Int("limit", 0, "stop after `N` accounts (0: all)")
	c, err := a.noArgs(in)
	if err != nil {
		return err
	}
	return printList(a, c.Accounts.List(ctx, nil), listing[*textus.Account]{
		header: []string{"SLUG", "NAME", "TYPE", "PHONE NUMBERS"},
		row: func(ac *textus.Account) []string {
			return []string{ac.Slug, ac.Name, ac.AccountType, strings.Join(ac.PhoneNumbers, ", ")}
		},
		empty: "No accounts.",
		limit: *limit,
	})
}

func versionCommand() *command {
	return &command{
		name:     "version",
		summary:  "Print the version of the tool and of the SDK",
		synopsis: "",
		examples: "textus version",
		run: func(_ context.Context, a *app, in *invocation) error {
			pos, err := a.parse(in)
			if err != nil {
				return err
			}
			if len(pos) > 0 {
				return usageError(in.path, "unexpected argument %q", pos[0])
			}
			fmt.Fprintf(a.stdout, "textus %s (textus-go SDK %s, %s %s/%s)\n",
				moduleVersion(), textus.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}

// moduleVersion is the module version the binary was built from ("v0.1.0"
// after go install ...@v0.1.0), or the SDK version for a local build.
func moduleVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "v" + textus.Version
}
