package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/textus-go/textus"
)

func usersCommand() *command {
	return &command{
		name:    "users",
		summary: "List and show users (an admin's token is needed)",
		subs: []*command{
			{
				name:     "list",
				summary:  "List the users of the accounts you administer",
				synopsis: "[--query Q] [--accounts SLUG[,SLUG...]] [flags]",
				desc: "Lists the users of the accounts where the token's user is an admin, optionally those\n" +
					"whose name or email matches --query, or who are members of --accounts. The ID column is\n" +
					"what 'textus saved-replies create --user' takes.",
				examples: "textus users list\n" +
					"textus users list --query chuck\n" +
					"textus users list --accounts my_account,my_account_child --json | jq -r .email",
				run: usersList,
			},
			{
				name:     "get",
				summary:  "Show one user and their memberships",
				synopsis: "ID [flags]",
				examples: "textus users get wqyODPA\n" +
					"textus users get /users/wqyODPA --json",
				run: usersGet,
			},
		},
	}
}

// membershipsText renders memberships as "admin@my_account, user@child".
func membershipsText(ms []textus.Membership) string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Role + "@" + slug(m.Account)
	}
	return strings.Join(out, ", ")
}

func usersList(ctx context.Context, a *app, in *invocation) error {
	a.apiFlags(in.fs)
	a.jsonFlag(in.fs)
	query := in.fs.String("query", "", "search names and emails for `Q`")
	accounts := in.fs.String("accounts", "", "only members of these comma-separated account `SLUGS`")
	limit := in.fs.Int("limit", 0, "stop after `N` users (0: all)")
	c, err := a.noArgs(in)
	if err != nil {
		return err
	}
	opts := &textus.UserListOptions{Query: *query}
	for _, s := range strings.Split(*accounts, ",") {
		if s = strings.TrimSpace(s); s != "" {
			opts.Accounts = append(opts.Accounts, s)
		}
	}
	return printList(a, c.Users.List(ctx, opts), listing[*textus.User]{
		header: []string{"ID", "NAME", "EMAIL", "MEMBERSHIPS"},
		row: func(u *textus.User) []string {
			return []string{slug(u.ID), u.Name, u.Email, membershipsText(u.Memberships)}
		},
		empty: "No users.",
		limit: *limit,
	})
}

func usersGet(ctx context.Context, a *app, in *invocation) error {
	a.apiFlags(in.fs)
	a.jsonFlag(in.fs)
	id, c, err := a.idArg(in, "user ID")
	if err != nil {
		return err
	}
	u, err := c.Users.Get(ctx, id)
	if err != nil {
		return err
	}
	if a.g.json {
		return writeJSON(a.stdout, u)
	}
	tw := newTable(a.stdout)
	fmt.Fprintf(tw, "ID:\t%s\n", cell(u.ID))
	fmt.Fprintf(tw, "Name:\t%s\n", cell(u.Name))
	fmt.Fprintf(tw, "Email:\t%s\n", cell(u.Email))
	fmt.Fprintf(tw, "Memberships:\t%s\n", cell(membershipsText(u.Memberships)))
	return tw.Flush()
}

func savedRepliesCommand() *command {
	return &command{
		name:    "saved-replies",
		summary: "Create and update saved replies",
		subs: []*command{
			{
				name:     "create",
				summary:  "Create a saved reply for a user",
				synopsis: "--user ID --title T --content TEXT [flags]",
				desc: "Creates a saved reply (a canned message body) for the user (see 'textus users list').\n" +
					"--content - reads standard input. Creating is never retried once it may have reached\n" +
					"TextUs: exit code 3 means it may exist.",
				examples: "textus saved-replies create --user wqyODPA --title Hours --content \"We're open 9 to 5, Monday to Friday.\"\n" +
					"textus saved-replies create --user wqyODPA --title Directions --content - < directions.txt",
				run: savedRepliesCreate,
			},
			{
				name:     "update",
				summary:  "Change a saved reply's title or content",
				synopsis: "ID [--title T] [--content TEXT] [flags]",
				examples: "textus saved-replies update vxoonZb --content \"We're open 8 to 6.\"\n" +
					"textus saved-replies update /saved_replies/vxoonZb --title \"Opening hours\" --json",
				run: savedRepliesUpdate,
			},
		},
	}
}

func (a *app) showSavedReply(r *textus.SavedReply) error {
	if a.g.json {
		return writeJSON(a.stdout, r)
	}
	tw := newTable(a.stdout)
	fmt.Fprintf(tw, "ID:\t%s\n", cell(r.ID))
	fmt.Fprintf(tw, "Title:\t%s\n", cell(r.Title))
	fmt.Fprintf(tw, "Content:\t%s\n", cell(r.Content))
	fmt.Fprintf(tw, "User:\t%s\n", cell(r.User))
	return tw.Flush()
}

func savedRepliesCreate(ctx context.Context, a *app, in *invocation) error {
	a.apiFlags(in.fs)
	a.jsonFlag(in.fs)
	user := in.fs.String("user", "", "the user `ID` who owns it")
	title := in.fs.String("title", "", "the `TITLE` shown in the list")
	content := in.fs.String("content", "", "the message `TEXT` (\"-\" reads standard input)")
	pos, err := a.parse(in)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError(in.path, "unexpected argument %q", pos[0])
	}
	switch {
	case strings.TrimSpace(*user) == "":
		return usageError(in.path, "--user is required (see 'textus users list')")
	case strings.TrimSpace(*title) == "":
		return usageError(in.path, "--title is required")
	case *content == "":
		return usageError(in.path, "--content is required")
	}
	text, err := a.readBody(*content, "the content")
	if err != nil {
		return err
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	r, err := c.SavedReplies.Create(ctx, *user, &textus.SavedReplyParams{Title: *title, Content: text})
	if err != nil {
		if errors.Is(err, textus.ErrOutcomeUnknown) {
			return &outcomeError{
				what:  "the saved reply may have been created although no answer came back",
				check: "look for it in TextUs before creating it again",
				err:   err,
			}
		}
		return err
	}
	return a.showSavedReply(r)
}

func savedRepliesUpdate(ctx context.Context, a *app, in *invocation) error {
	a.apiFlags(in.fs)
	a.jsonFlag(in.fs)
	title := in.fs.String("title", "", "the new `TITLE`")
	content := in.fs.String("content", "", "the new message `TEXT` (\"-\" reads standard input)")
	arg, err := a.oneArg(in, "saved reply ID")
	if err != nil {
		return err
	}
	set := map[string]bool{}
	in.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["title"] && !set["content"] {
		return usageError(in.path, "nothing to change: give --title or --content")
	}
	p := &textus.SavedReplyParams{}
	if set["title"] {
		if p.Title = strings.TrimSpace(*title); p.Title == "" {
			return inputError("--title must not be empty")
		}
	}
	if set["content"] {
		if p.Content, err = a.readBody(*content, "the content"); err != nil {
			return err
		}
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	r, err := c.SavedReplies.Update(ctx, arg, p)
	if err != nil {
		return err
	}
	return a.showSavedReply(r)
}
