package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/internal/phone"
)

func campaignsCommand() *command {
	return &command{
		name:    "campaigns",
		summary: "Send one message to many contacts",
		subs: []*command{{
			name:     "create",
			summary:  "Create a campaign: one message to many contact phones",
			synopsis: "--title T --body TEXT (--to PHONE ... | --recipient ID ...) [--at TIME] [--exclusion DURATION] [--auto-assign] [flags]",
			desc: "Creates a campaign from the account. Recipients are contact phones: give them as\n" +
				"--recipient with their ID (/contact_phones/mxvbRw or mxvbRw), or as --to with the phone\n" +
				"number of an existing contact, which is looked up first. Both are repeatable.\n" +
				"--at schedules it (RFC 3339, or a duration from now); without it TextUs sends it at once.\n" +
				"--exclusion skips recipients who got another campaign in that window before --at (whole\n" +
				"minutes, e.g. 24h). --auto-assign assigns you to the resulting conversations.\n" +
				"--body - reads standard input.\n\n" +
				"A campaign texts many people, so it is never retried once it may have reached TextUs:\n" +
				"exit code 3 means it may exist; look in TextUs before creating it again.",
			examples: "textus campaigns create --title \"Open house\" --body \"Join us Thursday at 3pm\" --to +13035551234 --to \"(720) 555-0199\"\n" +
				"textus campaigns create --title Reminder --body - --recipient mxvbRw --at 2030-01-02T09:00:00-07:00 --exclusion 24h < reminder.txt",
			run: campaignsCreate,
		}},
	}
}

// contactPhoneID finds the contact phone with number e164 among the
// account's contacts (GET /:account/contact_phones?q=).
func contactPhoneID(ctx context.Context, c *textus.Client, e164 string) (string, error) {
	for p, err := range c.Contacts.SearchPhones(ctx, phone.National(e164)) {
		if err != nil {
			return "", err
		}
		if n, err := textus.NormalizePhone(p.PhoneNumber); err == nil && n == e164 {
			return p.ID, nil
		}
	}
	return "", &exitError{code: exitFailure, msg: "no contact has the number " + e164 + ": create one first (textus contacts create --phone " + e164 + ")"}
}

func campaignsCreate(ctx context.Context, a *app, in *invocation) error {
	a.apiFlags(in.fs)
	a.jsonFlag(in.fs)
	title := in.fs.String("title", "", "the campaign's `TITLE`")
	body := in.fs.String("body", "", "message `TEXT` (\"-\" reads standard input)")
	var to, recipients []string
	in.fs.Var(&listValue{p: &to}, "to", "the `PHONE` number of a contact to text (repeatable)")
	in.fs.Var(&listValue{p: &recipients}, "recipient", "a contact phone `ID` to text (repeatable)")
	at := in.fs.String("at", "", "when to send: an RFC 3339 `TIME`, or a duration from now (default: at once)")
	exclusion := in.fs.Duration("exclusion", 0, "skip recipients who got another campaign within `DURATION` before --at")
	autoAssign := in.fs.Bool("auto-assign", false, "assign you to the resulting conversations")
	pos, err := a.parse(in)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError(in.path, "unexpected argument %q", pos[0])
	}
	switch {
	case strings.TrimSpace(*title) == "":
		return usageError(in.path, "--title is required")
	case *body == "":
		return usageError(in.path, "--body is required")
	case len(to) == 0 && len(recipients) == 0:
		return usageError(in.path, "give at least one --to or --recipient")
	}
	for _, r := range recipients {
		if _, err := textus.NormalizePhone(r); err == nil {
			return inputError("--recipient %q is a phone number: give it with --to", r)
		}
		id := strings.TrimPrefix(strings.TrimSpace(r), "/contact_phones/")
		if id == "" || strings.ContainsAny(id, "/?# ") || id == "." || id == ".." {
			return inputError("--recipient %q: want a contact phone ID such as mxvbRw or /contact_phones/mxvbRw", r)
		}
	}
	if *exclusion < 0 || *exclusion%time.Minute != 0 {
		return inputError("--exclusion %v: want a whole number of minutes, such as 90m or 24h", *exclusion)
	}
	numbers := make([]string, len(to))
	for i, t := range to {
		if numbers[i], err = textus.NormalizePhone(t); err != nil {
			return err
		}
	}
	p := &textus.CampaignParams{Title: *title, Recipients: recipients, ExclusionTime: *exclusion, AutoAssign: *autoAssign}
	if *at != "" {
		if p.ScheduledAt, err = parseWhen("at", *at, false); err != nil {
			return err
		}
	}
	if p.MessageBody, err = a.readBody(*body, "the message body"); err != nil {
		return err
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	for _, n := range numbers {
		id, err := contactPhoneID(ctx, c, n)
		if err != nil {
			return err
		}
		p.Recipients = append(p.Recipients, id)
	}
	cp, err := c.Campaigns.Create(ctx, p)
	if err != nil {
		if errors.Is(err, textus.ErrOutcomeUnknown) {
			return &outcomeError{
				what:  "the campaign may have been created (and may be texting its recipients) although no answer came back",
				check: "look for it in TextUs before creating it again",
				err:   err,
			}
		}
		return err
	}
	if a.g.json {
		return writeJSON(a.stdout, cp)
	}
	tw := newTable(a.stdout)
	fmt.Fprintf(tw, "ID:\t%s\n", cell(cp.ID))
	fmt.Fprintf(tw, "Title:\t%s\n", cell(cp.Title))
	fmt.Fprintf(tw, "State:\t%s\n", cell(cp.State))
	fmt.Fprintf(tw, "Scheduled:\t%s\n", formatTime(cp.ScheduledAt))
	fmt.Fprintf(tw, "Recipients:\t%d\n", len(p.Recipients))
	return tw.Flush()
}
