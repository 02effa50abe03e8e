package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/textus-go/textus"
)

func accountsCommand() *command {
	return &command{
		name:    "accounts",
		summary: "List the accounts the token can use, their tree and settings",
		subs: []*command{{
			name:     "list",
			summary:  "List the accounts where the token's user has a membership",
			synopsis: "[flags]",
			desc: "Lists the accounts where the token's user has a direct membership. The SLUG column\n" +
				"is what TEXTUS_ACCOUNT and --account take.",
			examples: "textus accounts list\n" +
				"textus accounts list --json | jq -r .slug",
			run: accountsList,
		}, {
			name:     "tree",
			summary:  "Show the accounts you can use as a tree",
			synopsis: "[--role ROLE] [flags]",
			desc:     "Shows the accounts where the token's user has a membership, each with the accounts below it.",
			examples: "textus accounts tree\n" +
				"textus accounts tree --role admin --json",
			run: accountsTree,
		}, {
			name:     "descendants",
			summary:  "List an account and every account below it",
			synopsis: "[SLUG] [--query Q] [flags]",
			desc:     "Lists the account (default: TEXTUS_ACCOUNT) and all its descendants, in one flat list.",
			examples: "textus accounts descendants\n" +
				"textus accounts descendants my_account --query denver",
			run: accountsDescendants,
		}, {
			name:     "settings",
			summary:  "Show or change an account's settings",
			synopsis: "[SLUG] [--set NAME=VALUE ...] [flags]",
			desc: "Shows the account's settings (default account: TEXTUS_ACCOUNT), or changes them with\n" +
				"--set: each sends {\"NAME\": {\"value\": VALUE}}, VALUE read as JSON when it is JSON (true,\n" +
				"460, {\"officeHours\": false}) and as text otherwise. Changing settings needs an admin.\n" +
				"A change is not retried once it may have reached TextUs (exit code 3): show the\n" +
				"settings and apply it again if needed.",
			examples: "textus accounts settings\n" +
				"textus accounts settings my_account --set inboundMmsDisabled=true --set forwardingNumber=5555555555",
			run: accountsSettings,
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
	return printList(a, c.Accounts.List(ctx, nil), accountListing(*limit))
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
