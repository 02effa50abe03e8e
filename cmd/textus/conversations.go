package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/textus-go/textus"
)

// conversationArg is the help text for a conversation argument.
const conversationArg = "CONVERSATION is the contact's PHONE number, or the conversation's ID (kY1QwY or\n/conversations/kY1QwY)."

func conversationsCommand() *command {
	action := func(name, summary, desc string, do func(c *textus.Client) func(context.Context, string) (*textus.Conversation, error)) *command {
		return &command{
			name:     name,
			summary:  summary,
			synopsis: "CONVERSATION [flags]",
			desc:     desc + "\n" + conversationArg,
			examples: "textus conversations " + name + " +13035551234\n" +
				"textus conversations " + name + " kY1QwY --json",
			run: func(ctx context.Context, a *app, in *invocation) error {
				return conversationAction(ctx, a, in, do)
			},
		}
	}
	return &command{
		name:    "conversations",
		summary: "Read conversations, and close, reopen, star, mark and assign them",
		subs: []*command{
			{
				name:     "timeline",
				summary:  "Show the messages exchanged with a phone number",
				synopsis: "PHONE [flags]",
				desc: "Finds the account's conversation with PHONE and lists its messages, newest first.\n" +
					"Use it to check whether a message went out before sending it again.",
				examples: "textus conversations timeline +13035551234\n" +
					"textus conversations timeline \"(303) 555-1234\" --limit 10\n" +
					"textus conversations timeline 303-555-1234 --json | jq -r .body",
				run: conversationsTimeline,
			},
			{
				name:     "list",
				summary:  "List the conversations of a filter, newest message first",
				synopsis: "[--filter SLUG] [--query Q] [flags]",
				desc:     "Lists the account's conversations in a filter (default active; see 'textus conversations filters').",
				examples: "textus conversations list\n" +
					"textus conversations list --filter unread --limit 20\n" +
					"textus conversations list --filter all --query 303555 --json",
				run: conversationsList,
			},
			{
				name:     "filters",
				summary:  "List the account's conversation filters with their counts",
				synopsis: "[flags]",
				examples: "textus conversations filters\n" +
					"textus conversations filters --json | jq -r .slug",
				run: conversationsFilters,
			},
			action("close", "Close a conversation", "Closes the conversation.",
				func(c *textus.Client) func(context.Context, string) (*textus.Conversation, error) {
					return c.Conversations.Close
				}),
			action("reopen", "Reopen a closed conversation", "Reopens the conversation.",
				func(c *textus.Client) func(context.Context, string) (*textus.Conversation, error) {
					return c.Conversations.Reopen
				}),
			action("star", "Star a conversation", "Stars the conversation for the token's user.",
				func(c *textus.Client) func(context.Context, string) (*textus.Conversation, error) {
					return c.Conversations.Star
				}),
			action("unstar", "Remove the star from a conversation", "Removes the token user's star.",
				func(c *textus.Client) func(context.Context, string) (*textus.Conversation, error) {
					return c.Conversations.Unstar
				}),
			action("read", "Mark a conversation read", "Marks the conversation read for the token's user.",
				func(c *textus.Client) func(context.Context, string) (*textus.Conversation, error) {
					return c.Conversations.MarkRead
				}),
			action("unread", "Mark a conversation unread", "Marks the conversation unread for the token's user.",
				func(c *textus.Client) func(context.Context, string) (*textus.Conversation, error) {
					return c.Conversations.MarkUnread
				}),
			{
				name:     "assign",
				summary:  "Choose which contact a shared number's conversation is with",
				synopsis: "CONVERSATION --contact ID [flags]",
				desc: "When several contacts share a phone number, assigns the conversation to one of them.\n" +
					conversationArg,
				examples: "textus conversations assign +13035551234 --contact DQeeO69\n" +
					"textus conversations assign kY1QwY --contact /contacts/DQeeO69 --json",
				run: conversationsAssign,
			},
			{
				name:     "batch",
				summary:  "Reopen, close or unassign many conversations of a filter at once",
				synopsis: "reopen|close|unassign --filter SLUG (--id CONVERSATION ... | --modified-before TIME) [flags]",
				desc: "Applies an action to the filter's conversations: those given with --id (repeatable;\n" +
					"phone numbers are looked up), or every one modified before --modified-before (RFC 3339,\n" +
					"or a duration such as 24h meaning that long ago). unassign removes the token's user\n" +
					"from them. TextUs accepts the request and acts afterwards.",
				examples: "textus conversations batch close --filter active --modified-before 720h\n" +
					"textus conversations batch reopen --filter closed --id kY1QwY --id +13035551234\n" +
					"textus conversations batch unassign --filter you --id kY1QwY",
				run: conversationsBatch,
			},
		},
	}
}

// conversationID resolves a CONVERSATION argument: a phone number is
// looked up (GET /:account/conversations/:phone); anything else is taken as
// an ID, which the SDK checks.
func conversationID(ctx context.Context, c *textus.Client, arg string) (string, error) {
	if phone, err := textus.NormalizePhone(arg); err == nil {
		cv, err := c.Conversations.GetByPhone(ctx, phone)
		if err != nil {
			return "", err
		}
		return cv.ID, nil
	}
	return arg, nil
}

func conversationsTimeline(ctx context.Context, a *app, in *invocation) error {
	a.apiFlags(in.fs)
	a.jsonFlag(in.fs)
	limit := in.fs.Int("limit", 0, "stop after `N` messages (0: all)")
	phone, c, err := a.phoneArg(in)
	if err != nil {
		return err
	}
	cv, err := c.Conversations.GetByPhone(ctx, phone)
	if err != nil {
		return err
	}
	if !a.g.json {
		state := string(cv.CurrentState)
		if state == "" {
			state = "unknown state"
		}
		fmt.Fprintf(a.stdout, "Conversation %s with %s (%s)\n\n", cv.ID, orDefault(cv.PhoneNumber, phone), state)
	}
	return printList(a, c.Conversations.Timeline(ctx, cv.ID), listing[*textus.Message]{
		header: []string{"TIME", "DIRECTION", "STATE", "ID", "BODY"},
		row: func(m *textus.Message) []string {
			return []string{formatTime(m.Time()), string(m.Direction), string(m.DeliveryState), slug(m.ID), snippet(m.Body, 80)}
		},
		empty: "No messages.",
		limit: *limit,
	})
}

// conversationListing is how conversation lists are printed.
func conversationListing(limit int) listing[*textus.Conversation] {
	return listing[*textus.Conversation]{
		header: []string{"ID", "PHONE", "STATE", "FLAGS", "LATEST"},
		row: func(cv *textus.Conversation) []string {
			latest := ""
			if m := cv.LatestMessage; m != nil {
				latest = string(m.Direction) + ": " + snippet(m.Body, 60)
			}
			return []string{slug(cv.ID), cv.PhoneNumber, string(cv.CurrentState), conversationFlags(cv), latest}
		},
		empty: "No conversations.",
		limit: limit,
	}
}

// conversationFlags renders the user's view of a conversation: "unread,
// starred, assigned".
func conversationFlags(cv *textus.Conversation) string {
	var f []string
	if i := cv.UserInfo; i != nil {
		if !i.Read {
			f = append(f, "unread")
		}
		if i.Starred {
			f = append(f, "starred")
		}
		if i.Assigned {
			f = append(f, "assigned")
		}
	}
	return strings.Join(f, ",")
}

func conversationsList(ctx context.Context, a *app, in *invocation) error {
	a.apiFlags(in.fs)
	a.jsonFlag(in.fs)
	filter := in.fs.String("filter", "active", "the conversation filter `SLUG`")
	query := in.fs.String("query", "", "search the filter's conversations for `Q`")
	limit := in.fs.Int("limit", 0, "stop after `N` conversations (0: all)")
	c, err := a.noArgs(in)
	if err != nil {
		return err
	}
	opts := &textus.ConversationListOptions{Filter: strings.TrimSpace(*filter), Query: strings.TrimSpace(*query)}
	return printList(a, c.Conversations.List(ctx, opts), conversationListing(*limit))
}

func conversationsFilters(ctx context.Context, a *app, in *invocation) error {
	a.apiFlags(in.fs)
	a.jsonFlag(in.fs)
	c, err := a.noArgs(in)
	if err != nil {
		return err
	}
	return printList(a, c.Conversations.Filters(ctx), listing[*textus.ConversationFilter]{
		header: []string{"SLUG", "TITLE", "TOTAL", "UNREAD"},
		row: func(f *textus.ConversationFilter) []string {
			return []string{f.Slug, f.Title, fmt.Sprint(f.TotalCount), fmt.Sprint(f.UnreadCount)}
		},
		empty: "No conversation filters.",
	})
}

// conversationAction runs one of the single-conversation actions.
func conversationAction(ctx context.Context, a *app, in *invocation, do func(c *textus.Client) func(context.Context, string) (*textus.Conversation, error)) error {
	a.apiFlags(in.fs)
	a.jsonFlag(in.fs)
	arg, c, err := a.idArg(in, "CONVERSATION (a phone number or an ID)")
	if err != nil {
		return err
	}
	id, err := conversationID(ctx, c, arg)
	if err != nil {
		return err
	}
	cv, err := do(c)(ctx, id)
	if err != nil {
		return err
	}
	return a.showConversation(cv)
}

func conversationsAssign(ctx context.Context, a *app, in *invocation) error {
	a.apiFlags(in.fs)
	a.jsonFlag(in.fs)
	contact := in.fs.String("contact", "", "the contact `ID` to assign")
	arg, err := a.oneArg(in, "CONVERSATION (a phone number or an ID)")
	if err != nil {
		return err
	}
	if strings.TrimSpace(*contact) == "" {
		return usageError(in.path, "--contact is required")
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	id, err := conversationID(ctx, c, arg)
	if err != nil {
		return err
	}
	cv, err := c.Conversations.AssignContact(ctx, id, *contact)
	if err != nil {
		return err
	}
	return a.showConversation(cv)
}

// showConversation prints a conversation: a JSON document with --json,
// otherwise a short description.
func (a *app) showConversation(cv *textus.Conversation) error {
	if a.g.json {
		return writeJSON(a.stdout, cv)
	}
	tw := newTable(a.stdout)
	fmt.Fprintf(tw, "ID:\t%s\n", cell(cv.ID))
	fmt.Fprintf(tw, "Phone:\t%s\n", cell(cv.PhoneNumber))
	fmt.Fprintf(tw, "State:\t%s\n", cell(string(cv.CurrentState)))
	if cv.UserInfo != nil {
		fmt.Fprintf(tw, "Read:\t%s\n", yesNo(cv.UserInfo.Read))
		fmt.Fprintf(tw, "Starred:\t%s\n", yesNo(cv.UserInfo.Starred))
		fmt.Fprintf(tw, "Assigned to you:\t%s\n", yesNo(cv.UserInfo.Assigned))
	}
	fmt.Fprintf(tw, "Contact:\t%s\n", cell(cv.AssignedContact))
	return tw.Flush()
}

// parseWhen reads a time flag: RFC 3339, or a duration meaning that long
// ago (ago) or from now (!ago).
func parseWhen(name, s string, ago bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return time.Time{}, inputError("--%s %q: want an RFC 3339 time (2030-01-02T15:04:05Z) or a positive duration (24h)", name, s)
	}
	if ago {
		return time.Now().Add(-d), nil
	}
	return time.Now().Add(d), nil
}

func conversationsBatch(ctx context.Context, a *app, in *invocation) error {
	a.apiFlags(in.fs)
	filter := in.fs.String("filter", "", "the conversation filter `SLUG` (required)")
	var ids []string
	in.fs.Var(&listValue{p: &ids}, "id", "a `CONVERSATION` (phone number or ID; repeatable)")
	before := in.fs.String("modified-before", "", "every conversation modified before `TIME` (RFC 3339, or a duration ago)")
	arg, err := a.oneArg(in, "action: reopen, close or unassign")
	if err != nil {
		return err
	}
	if strings.TrimSpace(*filter) == "" {
		return usageError(in.path, "--filter is required")
	}
	if (len(ids) == 0) == (*before == "") {
		return usageError(in.path, "give --id or --modified-before, not both")
	}
	var p textus.BatchParams
	if *before != "" {
		if p.ModifiedBefore, err = parseWhen("modified-before", *before, true); err != nil {
			return err
		}
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	var do func(context.Context, string, *textus.BatchParams) error
	switch arg {
	case "reopen":
		do = c.Conversations.BatchReopen
	case "close":
		do = c.Conversations.BatchClose
	case "unassign":
		do = c.Conversations.BatchUnassign
	default:
		return usageError(in.path, "unknown action %q: want reopen, close or unassign", arg)
	}
	for _, arg := range ids {
		id, err := conversationID(ctx, c, arg)
		if err != nil {
			return err
		}
		p.Conversations = append(p.Conversations, id)
	}
	if err := do(ctx, strings.TrimSpace(*filter), &p); err != nil {
		return err
	}
	what := plural(len(p.Conversations), "conversation", "conversations")
	if len(p.Conversations) == 0 {
		what = "the conversations modified before " + p.ModifiedBefore.UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(a.stdout, "Accepted: %s %s in filter %s (TextUs acts on it shortly).\n", arg, what, strings.TrimSpace(*filter))
	return nil
}
