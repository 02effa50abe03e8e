package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/textus-go/textus"
)

// maxReported caps how many bad rows or failures are listed one by one.
const maxReported = 100

func importCommand() *command {
	return &command{
		name:     "import",
		summary:  "Create contacts from a CSV file",
		synopsis: "[--concurrency N] [--dry-run] FILE.csv",
		desc: "Creates one contact per row of a CSV file (\"-\" reads standard input). The first row\n" +
			"is a header: the columns name, phone and phone_type (any case, any order) fill the\n" +
			"contact, and every other column becomes a data key of the same name. A row needs a\n" +
			"name or a phone. Several numbers go in one cell separated by \";\" (phone_type then has\n" +
			"one type, or one per number); a number may carry an extension (\"303-555-1234 x12\").\n" +
			"Empty cells are left out; a cell holding a JSON array or object is stored as such.\n" +
			"The output of 'textus contacts export --format csv' imports as it is.\n\n" +
			"Every row is validated before anything is created: if any row is bad, each bad row\n" +
			"is reported with its line number, nothing is created, and the exit code is 2.\n" +
			"--dry-run stops after the validation. Contacts are then created --concurrency at a\n" +
			"time, within the client's rate limit, and a summary of created and failed rows is\n" +
			"printed; failures are listed with their line numbers on stderr (exit 1, or 3 when a\n" +
			"create may have succeeded without an answer).",
		examples: "textus contacts import --dry-run contacts.csv\n" +
			"textus contacts import contacts.csv\n" +
			"textus contacts import --concurrency 8 contacts.csv\n" +
			"textus contacts export --out backup.csv && textus contacts import --account other_account backup.csv",
		run: contactsImport,
	}
}

// importRow is one valid row of an import file.
type importRow struct {
	line   int
	params *textus.ContactParams
}

// importHeader maps the columns of an import file.
type importHeader struct {
	name, phone, phoneType int // column index, -1 when absent
	data                   map[int]string
	width                  int
}

func contactsImport(ctx context.Context, a *app, in *invocation) error {
	a.apiFlags(in.fs)
	concurrency := in.fs.Int("concurrency", 4, "create up to `N` contacts at a time (1 to 64)")
	dryRun := in.fs.Bool("dry-run", false, "validate the file only; create nothing")
	arg, err := a.oneArg(in, "CSV FILE")
	if err != nil {
		return err
	}
	if *concurrency < 1 || *concurrency > 64 {
		return inputError("--concurrency %d: want 1 to 64", *concurrency)
	}
	name := arg
	var r io.Reader = a.stdin
	if name == "-" {
		name = "standard input"
	} else {
		f, err := os.Open(name)
		if err != nil {
			return &exitError{code: exitFailure, msg: err.Error()}
		}
		defer func() { _ = f.Close() }() // read only: nothing to lose
		r = f
	}
	rows, problems, err := readContactsCSV(r)
	if err != nil {
		return withFile(name, err)
	}
	if len(problems) > 0 {
		for i, p := range problems {
			if i == maxReported {
				fmt.Fprintf(a.stderr, "textus: %s: ... and %d more bad rows\n", name, len(problems)-maxReported)
				break
			}
			fmt.Fprintf(a.stderr, "textus: %s: %s\n", name, oneLine(p))
		}
		return inputError("%s: %s; nothing was imported", name, plural(len(problems), "bad row", "bad rows"))
	}
	if *dryRun {
		fmt.Fprintf(a.stdout, "%s: %s valid; nothing was created (dry run).\n", name, plural(len(rows), "row is", "rows are"))
		return nil
	}
	if len(rows) == 0 {
		fmt.Fprintf(a.stdout, "%s: no rows to import.\n", name)
		return nil
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	return a.createContacts(ctx, c, name, rows, *concurrency)
}

// withFile prefixes a file-level input error with the file name.
func withFile(name string, err error) error {
	var ee *exitError
	if errors.As(err, &ee) {
		return &exitError{code: ee.code, msg: name + ": " + ee.msg}
	}
	return &exitError{code: exitFailure, msg: name + ": " + err.Error()}
}

// readContactsCSV reads and validates a whole import file. It returns the
// valid rows and one problem per bad row ("line N: ..."); the error is for
// a file that cannot be read as an import at all (no header, bad header,
// I/O).
func readContactsCSV(r io.Reader) ([]importRow, []string, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	rec, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, inputError("the file is empty; it needs a header row such as name,phone,phone_type")
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, nil, inputError("line %d: the header is not valid CSV: %v", pe.StartLine, pe.Err)
		}
		return nil, nil, err
	}
	h, err := parseImportHeader(rec)
	if err != nil {
		return nil, nil, err
	}
	var rows []importRow
	var problems []string
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, nil, err
			}
			problems = append(problems, fmt.Sprintf("line %d: not valid CSV: %v", pe.StartLine, pe.Err))
			continue
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != h.width {
			problems = append(problems, fmt.Sprintf("line %d: %d fields, but the header has %d", line, len(rec), h.width))
			continue
		}
		p, msgs := h.params(rec)
		if len(msgs) > 0 {
			problems = append(problems, fmt.Sprintf("line %d: %s", line, strings.Join(msgs, "; ")))
			continue
		}
		rows = append(rows, importRow{line: line, params: p})
	}
	return rows, problems, nil
}

func parseImportHeader(rec []string) (*importHeader, error) {
	h := &importHeader{name: -1, phone: -1, phoneType: -1, data: map[int]string{}, width: len(rec)}
	seen := map[string]bool{}
	for i, col := range rec {
		if i == 0 {
			col = strings.TrimPrefix(col, "\uFEFF")
		}
		col = strings.TrimSpace(col)
		if col == "" {
			return nil, inputError("line 1: header column %d has no name", i+1)
		}
		key := col
		if isFixedColumn(col) {
			key = strings.ToLower(col)
		}
		if seen[key] {
			return nil, inputError("line 1: the header has the column %q twice", col)
		}
		seen[key] = true
		switch key {
		case colName:
			h.name = i
		case colPhone:
			h.phone = i
		case colPhoneType:
			h.phoneType = i
		default:
			h.data[i] = col
		}
	}
	if h.name < 0 && h.phone < 0 {
		return nil, inputError("line 1: the header has neither a name nor a phone column (want name,phone,phone_type,...)")
	}
	return h, nil
}

// params validates one record and builds its contact; it returns every
// problem of the record.
func (h *importHeader) params(rec []string) (*textus.ContactParams, []string) {
	var msgs []string
	p := &textus.ContactParams{}
	if h.name >= 0 {
		p.Name = strings.TrimSpace(rec[h.name])
	}
	if h.phone >= 0 && strings.TrimSpace(rec[h.phone]) != "" {
		for _, num := range strings.Split(rec[h.phone], phoneSep) {
			if strings.TrimSpace(num) == "" {
				msgs = append(msgs, fmt.Sprintf("phone %q: an empty number between %q", rec[h.phone], phoneSep))
				continue
			}
			n, err := checkPhone(num)
			if err != nil {
				msgs = append(msgs, fmt.Sprintf("phone: %s", strings.TrimPrefix(err.Error(), "textus: ")))
				continue
			}
			p.Phones = append(p.Phones, textus.PhoneParams{Number: n})
		}
	}
	if h.phoneType >= 0 && strings.TrimSpace(rec[h.phoneType]) != "" {
		types := strings.Split(rec[h.phoneType], phoneSep)
		switch {
		case h.phone < 0 || strings.TrimSpace(rec[h.phone]) == "":
			msgs = append(msgs, "phone_type without a phone")
		case len(types) == 1:
			for i := range p.Phones {
				p.Phones[i].Type = strings.TrimSpace(types[0])
			}
		case len(types) != len(strings.Split(rec[h.phone], phoneSep)):
			msgs = append(msgs, fmt.Sprintf("phone_type has %d types for %d numbers", len(types), len(strings.Split(rec[h.phone], phoneSep))))
		default:
			for i := range p.Phones {
				p.Phones[i].Type = strings.TrimSpace(types[i])
			}
		}
	}
	if p.Name == "" && len(p.Phones) == 0 && len(msgs) == 0 {
		msgs = append(msgs, "needs a name or a phone number")
	}
	for i, key := range h.data {
		v := rec[i]
		if strings.TrimSpace(v) == "" {
			continue
		}
		if p.Data == nil {
			p.Data = map[string]any{}
		}
		p.Data[key] = dataValue(v)
	}
	return p, msgs
}

// createContacts creates the rows with at most n requests in flight and
// reports the outcome.
func (a *app) createContacts(ctx context.Context, c *textus.Client, name string, rows []importRow, n int) error {
	errs := make([]error, len(rows))
	attempted := make([]bool, len(rows))
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex // guards done and the progress line
	done := 0
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				_, err := c.Contacts.Create(ctx, rows[i].params)
				errs[i] = err
				mu.Lock()
				done++
				if a.tty && (done%10 == 0 || done == len(rows)) {
					fmt.Fprintf(a.stderr, "\rImporting: %d/%d contacts", done, len(rows))
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for i := range rows {
		select {
		case jobs <- i:
			attempted[i] = true
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if a.tty && done > 0 {
		fmt.Fprintln(a.stderr)
	}

	var created, failed int
	var unknownLines, skippedLines []int
	for i, r := range rows {
		err := errs[i]
		switch {
		case !attempted[i]:
			skippedLines = append(skippedLines, r.line)
		case err == nil:
			created++
		case errors.Is(err, textus.ErrOutcomeUnknown):
			unknownLines = append(unknownLines, r.line)
			fmt.Fprintf(a.stderr, "textus: %s: line %d: outcome unknown: the contact may have been created (%s)\n", name, r.line, oneLine(describe(err)))
		default:
			failed++
			if failed <= maxReported {
				_, line := classify(err)
				fmt.Fprintf(a.stderr, "textus: %s: line %d: %s\n", name, r.line, oneLine(line))
			}
		}
	}
	if failed > maxReported {
		fmt.Fprintf(a.stderr, "textus: %s: ... and %d more failed rows\n", name, failed-maxReported)
	}
	summary := fmt.Sprintf("%s: %d created, %d failed", name, created, failed)
	if len(unknownLines) > 0 {
		summary += fmt.Sprintf(", %d unknown", len(unknownLines))
	}
	if len(skippedLines) > 0 {
		summary += fmt.Sprintf(", %d not attempted", len(skippedLines))
	}
	fmt.Fprintln(a.stdout, summary+".")

	switch {
	case len(unknownLines) > 0:
		return &exitError{code: exitOutcomeUnknown, msg: fmt.Sprintf(
			"outcome unknown for %s (lines %s): they may have been created although no answer came back; search for them before importing those rows again",
			plural(len(unknownLines), "row", "rows"), lineRanges(unknownLines))}
	case len(skippedLines) > 0:
		return &exitError{code: exitFailure, msg: fmt.Sprintf("interrupted; lines %s were not imported", lineRanges(skippedLines))}
	case failed > 0:
		return &exitError{code: exitFailure, msg: fmt.Sprintf("%s failed; the other rows were imported", plural(failed, "row", "rows"))}
	}
	return nil
}

// lineRanges renders sorted line numbers compactly: "3, 7-9, 12".
func lineRanges(lines []int) string {
	var parts []string
	for i := 0; i < len(lines); {
		j := i
		for j+1 < len(lines) && lines[j+1] == lines[j]+1 {
			j++
		}
		if j == i {
			parts = append(parts, strconv.Itoa(lines[i]))
		} else {
			parts = append(parts, strconv.Itoa(lines[i])+"-"+strconv.Itoa(lines[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}
