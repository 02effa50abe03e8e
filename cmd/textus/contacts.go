package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/internal/phone"
)

func contactsCommand() *command {
	return &command{
		name:    "contacts",
		summary: "List, show, create, update, search, note, export and import contacts",
		subs: []*command{
			{
				name:     "list",
				summary:  "List the account's contacts",
				synopsis: "[flags]",
				examples: "textus contacts list\n" +
					"textus contacts list --limit 20\n" +
					"textus contacts list --json > contacts.jsonl",
				run: contactsList,
			},
			{
				name:     "search",
				summary:  "Search contacts by phone number or name",
				synopsis: "QUERY [flags]",
				desc:     "Lists the contacts whose phone number (or name) matches QUERY.",
				examples: "textus contacts search 3035551234\n" +
					"textus contacts search Walker --json",
				run: contactsSearch,
			},
			{
				name:     "get",
				summary:  "Show one contact",
				synopsis: "ID [flags]",
				desc:     "Shows one contact. ID is the slug (DQeeO69) or the IRI (/contacts/DQeeO69).",
				examples: "textus contacts get DQeeO69\n" +
					"textus contacts get /contacts/DQeeO69 --json",
				run: contactsGet,
			},
			{
				name:     "create",
				summary:  "Create a contact",
				synopsis: "--name NAME --phone PHONE [--phone-type TYPE] [--data KEY=VALUE ...] [flags]",
				desc: "Creates a contact with a name and/or phone numbers. --phone may be repeated; numbers\n" +
					"are E.164 (+13035551234) or North American national forms ((303) 555-1234), with an\n" +
					"optional extension (\"303-555-1234 x12\"). --phone-type is given once for all numbers or\n" +
					"once per number. --data sets custom fields (camelCase keys by API convention); a value\n" +
					"that is a JSON array or object (tags=[\"vip\"]) is stored as such.\n\n" +
					"An invalid number is refused before anything is sent (exit 2). If the request fails\n" +
					"after it may have reached TextUs, the exit code is 3: search before creating again.",
				examples: "textus contacts create --name \"Cordell Walker\" --phone \"(303) 555-1234\" --phone-type Mobile\n" +
					"textus contacts create --name \"Alex Doe\" --phone +13035551234 --data businessName=Acme --data 'tags=[\"vip\"]'",
				run: contactsCreate,
			},
			{
				name:     "update",
				summary:  "Change a contact's name, phone numbers or data",
				synopsis: "ID [--name NAME] [--phone PHONE ...] [--phone-type TYPE] [--data KEY=VALUE ...] [flags]",
				desc: "Changes a contact. --phone replaces all of the contact's numbers. --data merges into\n" +
					"the existing data: KEY=VALUE sets a key, KEY= removes it.",
				examples: "textus contacts update DQeeO69 --name \"Cordell T. Walker\"\n" +
					"textus contacts update DQeeO69 --phone +13035551234 --phone +17205550199 --phone-type Mobile --phone-type Work\n" +
					"textus contacts update DQeeO69 --data businessName=Acme --data oldKey=",
				run: contactsUpdate,
			},
			{
				name:     "notes",
				summary:  "List the notes written about a contact",
				synopsis: "ID [flags]",
				desc:     "Lists the notes users wrote about the contact, in the order TextUs keeps them.",
				examples: "textus contacts notes DQeeO69\n" +
					"textus contacts notes /contacts/DQeeO69 --json | jq -r .content",
				run: contactsNotes,
			},
			{
				name:     "note",
				summary:  "Add a note to a contact",
				synopsis: "ID TEXT [flags]",
				desc: "Adds a note (which the contact never sees). TEXT - reads standard input.\n\n" +
					"Adding a note is never retried once it may have reached TextUs: exit code 3 means it may\n" +
					"have been added; list the notes before adding it again.",
				examples: "textus contacts note DQeeO69 \"Prefers texts after 5pm\"\n" +
					"echo \"Interview booked for Tuesday\" | textus contacts note DQeeO69 -",
				run: contactsNote,
			},
			exportCommand(),
			importCommand(),
		},
	}
}

// noteListing is how note lists are printed.
func noteListing(limit int) listing[*textus.ContactNote] {
	return listing[*textus.ContactNote]{
		header: []string{"ID", "WRITTEN", "BY", "NOTE"},
		row: func(n *textus.ContactNote) []string {
			return []string{slug(n.ID), formatTime(n.CreatedAt), orDefault(n.UserName, slug(n.User)), snippet(n.Content, 80)}
		},
		empty: "No notes.",
		limit: limit,
	}
}

func contactsNotes(ctx context.Context, a *app, in *invocation) error {
	a.apiFlags(in.fs)
	a.jsonFlag(in.fs)
	limit := in.fs.Int("limit", 0, "stop after `N` notes (0: all)")
	id, c, err := a.idArg(in, "contact ID")
	if err != nil {
		return err
	}
	return printList(a, c.Contacts.Notes(ctx, id), noteListing(*limit))
}

func contactsNote(ctx context.Context, a *app, in *invocation) error {
	a.apiFlags(in.fs)
	a.jsonFlag(in.fs)
	pos, err := a.parse(in)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usageError(in.path, "want a contact ID and the note's TEXT")
	}
	text, err := a.readBody(pos[1], "the note")
	if err != nil {
		return err
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	n, err := c.Contacts.CreateNote(ctx, pos[0], text)
	if err != nil {
		if errors.Is(err, textus.ErrOutcomeUnknown) {
			return &outcomeError{
				what:  "the note may have been added although no answer came back",
				check: "list the notes (textus contacts notes " + pos[0] + ") before adding it again",
				err:   err,
			}
		}
		return err
	}
	if a.g.json {
		return writeJSON(a.stdout, n)
	}
	fmt.Fprintf(a.stdout, "Added note %s to %s.\n", n.ID, orDefault(n.Contact, pos[0]))
	return nil
}

// contactListing is how contact lists are printed.
func contactListing(limit int) listing[*textus.Contact] {
	return listing[*textus.Contact]{
		header: []string{"ID", "NAME", "PHONES", "CREATED"},
		row: func(c *textus.Contact) []string {
			return []string{slug(c.ID), c.Name, phoneList(c.Phones), formatTime(c.CreatedAt)}
		},
		empty: "No contacts.",
		limit: limit,
	}
}

func contactsList(ctx context.Context, a *app, in *invocation) error {
	a.apiFlags(in.fs)
	a.jsonFlag(in.fs)
	limit := in.fs.Int("limit", 0, "stop after `N` contacts (0: all)")
	c, err := a.noArgs(in)
	if err != nil {
		return err
	}
	return printList(a, c.Contacts.List(ctx, nil), contactListing(*limit))
}

func contactsSearch(ctx context.Context, a *app, in *invocation) error {
	a.apiFlags(in.fs)
	a.jsonFlag(in.fs)
	limit := in.fs.Int("limit", 0, "stop after `N` contacts (0: all)")
	pos, err := a.parse(in)
	if err != nil {
		return err
	}
	if len(pos) != 1 || strings.TrimSpace(pos[0]) == "" {
		return usageError(in.path, "want one search QUERY")
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	l := contactListing(*limit)
	l.empty = "No contacts match " + pos[0] + "."
	return printList(a, c.Contacts.Search(ctx, pos[0]), l)
}

func contactsGet(ctx context.Context, a *app, in *invocation) error {
	a.apiFlags(in.fs)
	a.jsonFlag(in.fs)
	id, c, err := a.idArg(in, "contact ID")
	if err != nil {
		return err
	}
	ct, err := c.Contacts.Get(ctx, id)
	if err != nil {
		return err
	}
	return a.showContact(ct)
}

// contactFlags are the flags of contacts create and update.
type contactFlags struct {
	name       string
	phones     []string
	phoneTypes []string
	data       []string
}

func (f *contactFlags) define(in *invocation) {
	in.fs.StringVar(&f.name, "name", "", "the contact's full `NAME`")
	in.fs.Var(&listValue{p: &f.phones}, "phone", "a phone `NUMBER` (repeatable)")
	in.fs.Var(&listValue{p: &f.phoneTypes}, "phone-type", "the `TYPE` of the numbers, such as Mobile or Work (once, or once per --phone)")
	in.fs.Var(&listValue{p: &f.data}, "data", "a custom field, `KEY=VALUE` (repeatable)")
}

// phoneParams validates the --phone and --phone-type values.
func (f *contactFlags) phoneParams() ([]textus.PhoneParams, error) {
	if len(f.phoneTypes) > 0 && len(f.phones) == 0 {
		return nil, inputError("--phone-type needs --phone")
	}
	if len(f.phoneTypes) > 1 && len(f.phoneTypes) != len(f.phones) {
		return nil, inputError("give --phone-type once, or once per --phone (%d numbers, %d types)", len(f.phones), len(f.phoneTypes))
	}
	var out []textus.PhoneParams
	for i, p := range f.phones {
		n, err := checkPhone(p)
		if err != nil {
			return nil, err
		}
		pp := textus.PhoneParams{Number: n}
		switch len(f.phoneTypes) {
		case 0:
		case 1:
			pp.Type = strings.TrimSpace(f.phoneTypes[0])
		default:
			pp.Type = strings.TrimSpace(f.phoneTypes[i])
		}
		out = append(out, pp)
	}
	return out, nil
}

// dataPairs parses the --data values: key -> value, with "" for "KEY=".
func (f *contactFlags) dataPairs() (map[string]string, []string, error) {
	pairs := map[string]string{}
	var order []string
	for _, kv := range f.data {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, nil, inputError("--data %q: want KEY=VALUE", kv)
		}
		if _, seen := pairs[k]; !seen {
			order = append(order, k)
		}
		pairs[k] = v
	}
	return pairs, order, nil
}

func contactsCreate(ctx context.Context, a *app, in *invocation) error {
	a.apiFlags(in.fs)
	a.jsonFlag(in.fs)
	var f contactFlags
	f.define(in)
	pos, err := a.parse(in)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError(in.path, "unexpected argument %q", pos[0])
	}
	if strings.TrimSpace(f.name) == "" && len(f.phones) == 0 {
		return usageError(in.path, "a contact needs --name or --phone")
	}
	phones, err := f.phoneParams()
	if err != nil {
		return err
	}
	pairs, order, err := f.dataPairs()
	if err != nil {
		return err
	}
	var data map[string]any
	for _, k := range order {
		if pairs[k] == "" {
			continue
		}
		if data == nil {
			data = map[string]any{}
		}
		data[k] = dataValue(pairs[k])
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	ct, err := c.Contacts.Create(ctx, &textus.ContactParams{Name: strings.TrimSpace(f.name), Phones: phones, Data: data})
	if err != nil {
		if errors.Is(err, textus.ErrOutcomeUnknown) {
			return &outcomeError{
				what:  "the contact may have been created although no answer came back",
				check: "search for it (textus contacts search ...) before creating it again",
				err:   err,
			}
		}
		return err
	}
	return a.showContact(ct)
}

func contactsUpdate(ctx context.Context, a *app, in *invocation) error {
	a.apiFlags(in.fs)
	a.jsonFlag(in.fs)
	var f contactFlags
	f.define(in)
	arg, err := a.oneArg(in, "contact ID")
	if err != nil {
		return err
	}
	nameSet := false
	in.fs.Visit(func(fl *flag.Flag) {
		if fl.Name == "name" {
			nameSet = true
		}
	})
	if !nameSet && len(f.phones) == 0 && len(f.data) == 0 {
		return usageError(in.path, "nothing to change: give --name, --phone or --data")
	}
	if nameSet && strings.TrimSpace(f.name) == "" {
		return inputError("--name must not be empty")
	}
	phones, err := f.phoneParams()
	if err != nil {
		return err
	}
	pairs, _, err := f.dataPairs()
	if err != nil {
		return err
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	p := &textus.ContactParams{Name: strings.TrimSpace(f.name), Phones: phones}
	if len(pairs) > 0 {
		// The API replaces data as a whole: merge into the current data.
		cur, err := c.Contacts.Get(ctx, arg)
		if err != nil {
			return err
		}
		data := make(map[string]any, len(cur.Data)+len(pairs))
		for k, v := range cur.Data {
			data[k] = v
		}
		for k, v := range pairs {
			if v == "" {
				delete(data, k)
			} else {
				data[k] = dataValue(v)
			}
		}
		if len(data) == 0 {
			return inputError("cannot remove every data key: the request would carry no data, which leaves it unchanged")
		}
		p.Data = data
	}
	ct, err := c.Contacts.Update(ctx, arg, p)
	if err != nil {
		return err
	}
	return a.showContact(ct)
}

// showContact prints a contact: a JSON document with --json, otherwise a
// short description.
func (a *app) showContact(c *textus.Contact) error {
	if a.g.json {
		return writeJSON(a.stdout, c)
	}
	tw := newTable(a.stdout)
	fmt.Fprintf(tw, "ID:\t%s\n", cell(c.ID))
	fmt.Fprintf(tw, "Name:\t%s\n", cell(c.Name))
	if len(c.Phones) == 0 {
		fmt.Fprintf(tw, "Phones:\t-\n")
	}
	for i, p := range c.Phones {
		label := ""
		if i == 0 {
			label = "Phones:"
		}
		fmt.Fprintf(tw, "%s\t%s\n", label, cell(phoneText(p)))
	}
	keys := sortedKeys(c.Data)
	for i, k := range keys {
		label := ""
		if i == 0 {
			label = "Data:"
		}
		fmt.Fprintf(tw, "%s\t%s=%s\n", label, cell(k), oneLine(dataCell(c.Data[k])))
	}
	for i, d := range c.CustomData {
		label := ""
		if i == 0 {
			label = "Custom data:"
		}
		fmt.Fprintf(tw, "%s\t%s=%s\n", label, cell(orDefault(d.Slug, d.Title)), oneLine(dataCell(d.Value)))
	}
	fmt.Fprintf(tw, "Created:\t%s\n", formatTime(c.CreatedAt))
	return tw.Flush()
}

// phoneText renders a contact phone: "+13035551234 x12 (Mobile)".
func phoneText(p textus.ContactPhone) string {
	s := phoneWithExtension(p)
	if p.Type != "" {
		s += " (" + p.Type + ")"
	}
	return s
}

// phoneWithExtension renders a number with its extension, the form import
// reads back: "+13035551234 x12".
func phoneWithExtension(p textus.ContactPhone) string {
	s := p.PhoneNumber
	if s == "" {
		s = p.FormattedPhoneNumber
	}
	if p.Extension != "" {
		s += " x" + p.Extension
	}
	return s
}

func phoneList(ps []textus.ContactPhone) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = phoneText(p)
	}
	return strings.Join(out, ", ")
}

// checkPhone validates a contact phone number as typed: E.164 or a North
// American national form, as textus.NormalizePhone reads them, with an
// optional extension ("303-555-1234 x12"). It returns the value to send:
// as typed, trimmed, since the API stores the extension separately.
func checkPhone(raw string) (string, error) {
	if _, err := phone.Parse(raw, phone.AllowExtension); err != nil {
		return "", fmt.Errorf("textus: %w", err)
	}
	return strings.TrimSpace(raw), nil
}

// dataValue reads a data value given as text: a JSON array or object is
// decoded ("[\"vip\"]" becomes a list), anything else stays text.
func dataValue(s string) any {
	t := strings.TrimSpace(s)
	if t != "" && (t[0] == '[' || t[0] == '{') && json.Valid([]byte(t)) {
		var v any
		if json.Unmarshal([]byte(t), &v) == nil {
			return v
		}
	}
	return s
}

// dataCell renders a data value as text: strings as they are, anything
// else as JSON. dataValue reads it back.
func dataCell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
