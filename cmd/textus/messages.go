package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/textus-go/textus"
)

func messagesCommand() *command {
	return &command{
		name:    "messages",
		summary: "Send and schedule text messages",
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
		}, {
			name:     "schedule",
			summary:  "Schedule a text message for later",
			synopsis: "--to PHONE --body TEXT --at TIME [--from PHONE] [--saved-reply ID] [flags]",
			desc: "Schedules one text message from the account. --at is an RFC 3339 time or a duration from\n" +
				"now (90m, 24h). Without --from the account's own number is used (read from the account\n" +
				"first; an account with several numbers needs --from). --body - reads standard input.\n\n" +
				"Like a send, a schedule is never retried once it may have reached TextUs: exit code 3\n" +
				"means it may be scheduled; check the conversation before scheduling it again.",
			examples: "textus messages schedule --to +13035551234 --body \"Reminder: interview at 3pm\" --at 2030-01-02T14:00:00-07:00\n" +
				"textus messages schedule --to 303-555-1234 --body \"Still interested?\" --at 72h --saved-reply QxvonQv",
			run: messagesSchedule,
		}},
	}
}

// readBody returns the text of a --body flag (or a TEXT argument), "-"
// reading standard input; what names it in the error for an empty one.
func (a *app) readBody(body, what string) (string, error) {
	text := body
	if text == "-" {
		b, err := io.ReadAll(io.LimitReader(a.stdin, 1<<20))
		if err != nil {
			return "", fmt.Errorf("reading the body from standard input: %w", err)
		}
		text = strings.TrimRight(string(b), "\r\n")
	}
	if strings.TrimSpace(text) == "" {
		return "", inputError("%s is empty", what)
	}
	return text, nil
}

func messagesSchedule(ctx context.Context, a *app, in *invocation) error {
	a.apiFlags(in.fs)
	a.jsonFlag(in.fs)
	to := in.fs.String("to", "", "recipient `PHONE`")
	body := in.fs.String("body", "", "message `TEXT` (\"-\" reads standard input)")
	at := in.fs.String("at", "", "when to send: an RFC 3339 `TIME`, or a duration from now")
	from := in.fs.String("from", "", "the account's `PHONE` number to send from (default: the account's number)")
	savedReply := in.fs.String("saved-reply", "", "the saved reply `ID` the message comes from")
	pos, err := a.parse(in)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError(in.path, "unexpected argument %q", pos[0])
	}
	switch {
	case strings.TrimSpace(*to) == "":
		return usageError(in.path, "--to is required")
	case *body == "":
		return usageError(in.path, "--body is required")
	case *at == "":
		return usageError(in.path, "--at is required")
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
	when, err := parseWhen("at", *at, false)
	if err != nil {
		return err
	}
	if !when.After(time.Now()) {
		return inputError("--at %s is not in the future", when.Format(time.RFC3339))
	}
	text, err := a.readBody(*body, "the message body")
	if err != nil {
		return err
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	m, err := c.Messages.Schedule(ctx, &textus.ScheduleMessageParams{To: phone, From: *from, Body: text, SavedReply: *savedReply, At: when})
	if err != nil {
		if errors.Is(err, textus.ErrOutcomeUnknown) {
			return &outcomeError{
				what:  "the message to " + phone + " may have been scheduled although no answer came back",
				check: "check the conversation (textus conversations timeline " + phone + ") before scheduling it again",
				err:   err,
			}
		}
		return err
	}
	if a.g.json {
		return writeJSON(a.stdout, m)
	}
	fmt.Fprintf(a.stdout, "Scheduled %s to %s for %s.\n", m.ID, phone, formatTime(when))
	return nil
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
	text, err := a.readBody(*body, "the message body")
	if err != nil {
		return err
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
