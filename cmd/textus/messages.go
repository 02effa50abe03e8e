package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/textus-go/textus"
)

func messagesCommand() *command {
	return &command{
		name:    "messages",
		summary: "Send text messages",
		subs: []*command{{
			name:     "send",
			summary:  "Send a text message to one number",
			synopsis: "--to PHONE --body TEXT [--from PHONE | --email EMAIL] [--force] [flags]",
			desc: "Sends one text message from the account (or, with --from or --email, without an\n" +
				"account: from that TextUs number, or as that TextUs user).\n\n" +
				"The number's opt-out status is checked first, and a number that opted out is refused\n" +
				"(exit 1) unless --force is given; TextUs itself normally refuses such a send too.\n" +
				"--body - reads the text from standard input.\n\n" +
				"A send is never retried once it may have reached TextUs. If the connection fails\n" +
				"after that point, the message may or may not have gone out: the exit code is 3, and\n" +
				"you should look at the conversation timeline before sending again.",
			examples: "textus messages send --to +13035551234 --body \"Hi Jordan, are you free at 3pm?\"\n" +
				"textus messages send --to \"(303) 555-1234\" --from +13035550100 --body \"Reminder: interview tomorrow\"\n" +
				"echo \"Your offer letter is ready\" | textus messages send --to 303-555-1234 --body -\n" +
				"textus messages send --to +13035551234 --body Hello --json",
			run: messagesSend,
		}},
	}
}

func messagesSend(ctx context.Context, a *app, in *invocation) error {
	a.apiFlags(in.fs)
	a.jsonFlag(in.fs)
	to := in.fs.String("to", "", "recipient `PHONE` (E.164 or a North American form)")
	body := in.fs.String("body", "", "message `TEXT` (\"-\" reads standard input)")
	from := in.fs.String("from", "", "send without an account, from this TextUs `PHONE` number")
	email := in.fs.String("email", "", "send without an account, as the TextUs user with this `EMAIL`")
	force := in.fs.Bool("force", false, "send even if the number opted out (skips the opt-out check)")
	pos, err := a.parse(in)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError(in.path, "unexpected argument %q", pos[0])
	}
	if strings.TrimSpace(*to) == "" {
		return usageError(in.path, "--to is required")
	}
	if *body == "" {
		return usageError(in.path, "--body is required")
	}
	if *from != "" && *email != "" {
		return usageError(in.path, "give --from or --email, not both")
	}
	phone, err := textus.NormalizePhone(*to)
	if err != nil {
		return err
	}
	if *from != "" {
		if _, err := textus.NormalizePhone(*from); err != nil {
			return inputError("--from: %s", strings.TrimPrefix(err.Error(), "textus: "))
		}
	}
	text := *body
	if text == "-" {
		b, err := io.ReadAll(io.LimitReader(a.stdin, 1<<20))
		if err != nil {
			return fmt.Errorf("reading the body from standard input: %w", err)
		}
		text = strings.TrimRight(string(b), "\r\n")
	}
	if strings.TrimSpace(text) == "" {
		return inputError("the message body is empty")
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	if !*force {
		if c.Account() == "" {
			return &exitError{code: exitFailure, msg: "cannot check whether " + phone +
				" opted out without an account: set " + envAccount + " or --account, or pass --force to send without the check"}
		}
		opted, err := c.OptOuts.IsOptedOut(ctx, phone)
		if err != nil {
			return err
		}
		if opted {
			return &exitError{code: exitFailure, msg: phone + " has opted out of text messages; not sent (pass --force to try anyway; TextUs normally refuses it too)"}
		}
	}
	m, err := c.Messages.Send(ctx, &textus.SendMessageParams{To: phone, Body: text, From: *from, Email: *email})
	if err != nil {
		if errors.Is(err, textus.ErrOutcomeUnknown) {
			return &outcomeError{
				what:  "the message to " + phone + " may have been sent although no answer came back",
				check: "check the conversation timeline (textus conversations timeline " + phone + ") before resending",
				err:   err,
			}
		}
		return err
	}
	if a.g.json {
		return writeJSON(a.stdout, m)
	}
	id := m.ID
	if id == "" {
		id = "(accepted; TextUs returned no message id)"
	}
	state := string(m.DeliveryState)
	if state == "" {
		state = "accepted"
	}
	fmt.Fprintf(a.stdout, "Sent %s to %s (%s).\n", id, phone, state)
	return nil
}

func conversationsCommand() *command {
	return &command{
		name:    "conversations",
		summary: "Read conversations",
		subs: []*command{{
			name:     "timeline",
			summary:  "Show the messages exchanged with a phone number",
			synopsis: "PHONE [flags]",
			desc: "Finds the account's conversation with PHONE and lists its messages, newest first.\n" +
				"Use it to check whether a message went out before sending it again.",
			examples: "textus conversations timeline +13035551234\n" +
				"textus conversations timeline \"(303) 555-1234\" --limit 10\n" +
				"textus conversations timeline 303-555-1234 --json | jq -r .body",
			run: conversationsTimeline,
		}},
	}
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
