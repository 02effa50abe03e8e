package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/textus-go/textus"
)

// The fixed CSV columns of export and import; data keys follow them.
const (
	colName      = "name"
	colPhone     = "phone"
	colPhoneType = "phone_type"
)

// phoneSep separates several numbers (and their types) in one CSV cell.
const phoneSep = ";"

func exportCommand() *command {
	return &command{
		name:     "export",
		summary:  "Export every contact as CSV or JSON Lines, resumably",
		synopsis: "[--format csv|jsonl] [--out FILE] [--resume-from CURSOR] [flags]",
		desc: "Streams every contact, page by page, to standard output or --out FILE.\n\n" +
			"CSV has the columns name, phone, phone_type, then one column per data key (the keys\n" +
			"of the first page, sorted, unless --data-columns names them). Several numbers of one\n" +
			"contact are separated by \";\" in phone and phone_type; an extension follows the number\n" +
			"(\"+13035551234 x12\"); data values that are not text are written as JSON. The file\n" +
			"imports back with 'textus contacts import'. jsonl writes one contact per line, as the\n" +
			"SDK decodes it.\n\n" +
			"Progress is shown on stderr when stderr is a terminal. If the export is interrupted\n" +
			"(Ctrl-C) or fails, the cursor of the first page not written is printed on stderr with\n" +
			"the command that resumes: --resume-from CURSOR with the same --out FILE appends to the\n" +
			"file (keeping its CSV columns); without --out, append the output yourself.",
		examples: "textus contacts export --format csv --out contacts.csv\n" +
			"textus contacts export --format jsonl > contacts.jsonl\n" +
			"textus contacts export --out contacts.csv --resume-from '/my_account/contacts?cursor=MjU'\n" +
			"textus contacts export --data-columns businessName,tags --out contacts.csv",
		run: contactsExport,
	}
}

// exportRun is the state of one export.
type exportRun struct {
	a        *app
	format   string
	out      string
	columns  []string // data columns (CSV); nil until known
	explicit bool     // columns came from --data-columns or the file
	written  int
	pages    int
	warned   map[string]bool
	progress bool // a progress line is on the terminal
}

func contactsExport(ctx context.Context, a *app, in *invocation) error {
	a.apiFlags(in.fs)
	format := in.fs.String("format", "csv", "output `FORMAT`: csv or jsonl")
	out := in.fs.String("out", "", "write to `FILE` instead of standard output")
	resume := in.fs.String("resume-from", "", "continue an interrupted export at `CURSOR`")
	var cols []string
	in.fs.Var(&listValue{p: &cols}, "data-columns", "comma-separated data `KEYS` to write as CSV columns")
	verbose := in.fs.Bool("verbose", false, "print each page's next cursor on stderr")
	pos, err := a.parse(in)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError(in.path, "unexpected argument %q", pos[0])
	}
	e := &exportRun{a: a, out: *out, warned: map[string]bool{}}
	switch f := strings.ToLower(strings.TrimSpace(*format)); f {
	case "csv":
		e.format = "csv"
	case "jsonl", "ndjson", "jsonlines":
		e.format = "jsonl"
	default:
		return inputError("--format %q: want csv or jsonl", *format)
	}
	if len(cols) > 0 {
		if e.format != "csv" {
			return inputError("--data-columns applies to --format csv only")
		}
		if e.columns, err = parseColumns(cols); err != nil {
			return err
		}
		e.explicit = true
	}
	cursor := strings.TrimSpace(*resume)

	c, err := a.client()
	if err != nil {
		return err
	}
	w, header, closeOut, err := e.open(cursor != "")
	if err != nil {
		return err
	}
	err = e.stream(ctx, c, w, header, cursor, *verbose)
	if cerr := closeOut(); err == nil && cerr != nil {
		return fmt.Errorf("writing %s: %w", e.out, cerr)
	}
	return err
}

// parseColumns reads --data-columns values ("a,b" and/or repeated).
func parseColumns(vals []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, v := range vals {
		for _, k := range strings.Split(v, ",") {
			k = strings.TrimSpace(k)
			if k == "" || seen[k] {
				continue
			}
			if isFixedColumn(k) {
				return nil, inputError("--data-columns: %q is one of the fixed columns (name, phone, phone_type)", k)
			}
			seen[k] = true
			out = append(out, k)
		}
	}
	return out, nil
}

func isFixedColumn(k string) bool {
	switch strings.ToLower(strings.TrimSpace(k)) {
	case colName, colPhone, colPhoneType:
		return true
	}
	return false
}

// open returns the output writer and whether it needs a CSV header. When
// resuming into an existing non-empty file, the file is appended to and
// its CSV header gives the data columns.
func (e *exportRun) open(resuming bool) (io.Writer, bool, func() error, error) {
	noClose := func() error { return nil }
	if e.out == "" {
		// Resuming to standard output: the caller appends to what they
		// already have, which has its header.
		return e.a.stdout, !resuming, noClose, nil
	}
	if !resuming {
		// The export holds contacts' names and numbers: only its owner may read it.
		f, err := os.OpenFile(e.out, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return nil, false, nil, err
		}
		return f, true, f.Close, nil
	}
	f, err := os.OpenFile(e.out, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, false, nil, err
	}
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		_ = f.Close() // the error above is the one to report
		return nil, false, nil, err
	}
	if size == 0 {
		return f, true, f.Close, nil
	}
	if err := e.adoptFile(f, size); err != nil {
		_ = f.Close() // the error above is the one to report
		return nil, false, nil, err
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		_ = f.Close() // the error above is the one to report
		return nil, false, nil, err
	}
	return f, false, f.Close, nil
}

// adoptFile checks a partial export before appending to it: it must end
// with a complete line, and a CSV file's header sets the data columns.
func (e *exportRun) adoptFile(f *os.File, size int64) error {
	last := make([]byte, 1)
	if _, err := f.ReadAt(last, size-1); err != nil {
		return err
	}
	if last[0] != '\n' {
		return inputError("%s does not end with a complete line; cannot append to it", e.out)
	}
	if e.format != "csv" {
		return nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	header, err := csv.NewReader(bufio.NewReader(f)).Read()
	if err != nil {
		return inputError("%s: cannot read its CSV header: %v", e.out, err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\uFEFF")
	}
	if len(header) < 3 || header[0] != colName || header[1] != colPhone || header[2] != colPhoneType {
		return inputError("%s: its header does not start with name,phone,phone_type; not a contacts export", e.out)
	}
	fileCols := header[3:]
	if e.explicit && strings.Join(fileCols, ",") != strings.Join(e.columns, ",") {
		return inputError("--data-columns %s differ from the columns of %s (%s)", strings.Join(e.columns, ","), e.out, strings.Join(fileCols, ","))
	}
	e.columns, e.explicit = append([]string{}, fileCols...), true
	return nil
}

// stream writes every page from cursor on.
func (e *exportRun) stream(ctx context.Context, c *textus.Client, w io.Writer, header bool, cursor string, verbose bool) error {
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	for {
		if err := ctx.Err(); err != nil {
			return e.stopped(err, cursor)
		}
		page, err := c.Contacts.ListPage(ctx, nil, cursor)
		if err != nil {
			return e.stopped(err, cursor)
		}
		if e.format == "csv" {
			if !e.explicit && e.columns == nil {
				e.columns = e.discover(page.Items)
			}
			if header {
				cw.Write(append([]string{colName, colPhone, colPhoneType}, e.columns...))
				header = false
			}
			for _, ct := range page.Items {
				cw.Write(e.csvRecord(ct))
			}
			cw.Flush()
			err = cw.Error()
		} else {
			for _, ct := range page.Items {
				if err = jsonLine(bw, ct); err != nil {
					break
				}
			}
		}
		if err == nil {
			err = bw.Flush()
		}
		if err != nil {
			return e.stopped(fmt.Errorf("writing the export: %w", err), cursor)
		}
		e.written += len(page.Items)
		e.pages++
		e.showProgress(page.TotalItems)
		if verbose {
			e.endProgress()
			next := page.NextCursor
			if next == "" {
				next = "(none: last page)"
			}
			fmt.Fprintf(e.a.stderr, "textus: page %d: %s; next cursor: %s\n", e.pages, plural(len(page.Items), "contact", "contacts"), next)
		}
		if !page.HasNext() {
			break
		}
		if page.NextCursor == cursor {
			return e.stopped(errors.New("the API's next page is the page just read; stopping"), cursor)
		}
		cursor = page.NextCursor
	}
	e.endProgress()
	if e.a.tty {
		dest := "standard output"
		if e.out != "" {
			dest = e.out
		}
		fmt.Fprintf(e.a.stderr, "Exported %s to %s.\n", plural(e.written, "contact", "contacts"), dest)
	}
	return nil
}

// discover picks the data columns from the first page: every key, sorted.
func (e *exportRun) discover(items []*textus.Contact) []string {
	seen := map[string]bool{}
	for _, ct := range items {
		for k := range ct.Data {
			if isFixedColumn(k) {
				e.warnKey(k, "it has the name of a fixed column")
				continue
			}
			seen[k] = true
		}
	}
	cols := sortedKeys(seen)
	if cols == nil {
		cols = []string{}
	}
	return cols
}

func (e *exportRun) csvRecord(ct *textus.Contact) []string {
	nums := make([]string, len(ct.Phones))
	types := make([]string, len(ct.Phones))
	anyType := false
	for i, p := range ct.Phones {
		nums[i] = phoneWithExtension(p)
		types[i] = p.Type
		anyType = anyType || p.Type != ""
	}
	rec := []string{ct.Name, strings.Join(nums, phoneSep), ""}
	if anyType {
		rec[2] = strings.Join(types, phoneSep)
	}
	for _, col := range e.columns {
		rec = append(rec, dataCell(ct.Data[col]))
	}
	if len(ct.Data) > len(e.columns) {
		for k := range ct.Data {
			if !slices.Contains(e.columns, k) {
				e.warnKey(k, "it is not among the CSV columns (name it with --data-columns)")
			}
		}
	}
	return rec
}

func (e *exportRun) warnKey(k, why string) {
	if e.warned[k] {
		return
	}
	e.warned[k] = true
	e.endProgress()
	fmt.Fprintf(e.a.stderr, "textus: warning: data key %q is not exported: %s\n", k, why)
}

func (e *exportRun) showProgress(total int) {
	if !e.a.tty {
		return
	}
	msg := fmt.Sprintf("\rExporting: %d contacts", e.written)
	if total > 0 {
		msg = fmt.Sprintf("\rExporting: %d/%d contacts", e.written, total)
	}
	fmt.Fprint(e.a.stderr, msg)
	e.progress = true
}

func (e *exportRun) endProgress() {
	if e.progress {
		fmt.Fprintln(e.a.stderr)
		e.progress = false
	}
}

// stopped reports an export that ended early: the error, then the cursor
// to resume from and the command that does it. It returns a silent error
// with the exit code of err.
func (e *exportRun) stopped(err error, cursor string) error {
	e.endProgress()
	code, line := classify(err)
	fmt.Fprintln(e.a.stderr, "textus: "+oneLine(line))
	if cursor == "" && e.written == 0 {
		fmt.Fprintln(e.a.stderr, "textus: nothing was exported; run the export again")
		return &exitError{code: code}
	}
	cmd := []string{"textus", "contacts", "export", "--format", e.format}
	if e.format == "csv" && e.columns != nil && e.out == "" {
		cmd = append(cmd, "--data-columns", shellQuote(strings.Join(e.columns, ",")))
	}
	if e.a.g.account != "" {
		cmd = append(cmd, "--account", shellQuote(e.a.g.account))
	}
	if e.a.g.baseURL != "" {
		cmd = append(cmd, "--base-url", shellQuote(e.a.g.baseURL))
	}
	if e.out != "" {
		cmd = append(cmd, "--out", shellQuote(e.out))
	}
	cmd = append(cmd, "--resume-from", shellQuote(cursor))
	resumeCmd := strings.Join(cmd, " ")
	if e.out == "" {
		resumeCmd += " >> YOUR_FILE"
	}
	fmt.Fprintf(e.a.stderr, "textus: export stopped after %s; resume cursor: %s\n", plural(e.written, "contact", "contacts"), cursor)
	fmt.Fprintf(e.a.stderr, "textus: to resume: %s\n", resumeCmd)
	return &exitError{code: code}
}
