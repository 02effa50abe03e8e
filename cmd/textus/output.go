package main

import (
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"
)

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// writeJSON prints v as one indented JSON document.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// jsonLine prints v as one compact JSON line.
func jsonLine(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// newTable returns a tabwriter for aligned columns.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}

// row writes one table row; cells are flattened onto one line.
func row(w io.Writer, cells ...string) {
	for i, c := range cells {
		cells[i] = cell(c)
	}
	fmt.Fprintln(w, strings.Join(cells, "\t"))
}

// cell makes a value safe for a table cell: one line, no tabs, "-" when
// empty.
func cell(s string) string {
	s = oneLine(s)
	if s == "" {
		return "-"
	}
	return s
}

// listing describes how a list command prints its items.
type listing[T any] struct {
	header []string
	row    func(T) []string
	empty  string // printed on stderr when there is nothing to list
	limit  int    // stop after this many items; 0 for all
}

// printList prints every item of seq: JSON Lines with --json (written as
// the pages arrive), otherwise an aligned table. An error ends the list
// after what was printed so far.
func printList[T any](a *app, seq iter.Seq2[T, error], l listing[T]) error {
	n := 0
	if a.g.json {
		for item, err := range seq {
			if err != nil {
				return err
			}
			if err := jsonLine(a.stdout, item); err != nil {
				return err
			}
			n++
			if l.limit > 0 && n >= l.limit {
				break
			}
		}
		return nil
	}
	tw := newTable(a.stdout)
	var iterErr error
	for item, err := range seq {
		if err != nil {
			iterErr = err
			break
		}
		if n == 0 {
			row(tw, l.header...)
		}
		row(tw, l.row(item)...)
		n++
		if l.limit > 0 && n >= l.limit {
			break
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if iterErr != nil {
		return iterErr
	}
	if n == 0 && l.empty != "" {
		fmt.Fprintln(a.stderr, l.empty)
	}
	return nil
}

// slug returns the last segment of an IRI ("/contacts/DQeeO69" ->
// "DQeeO69"), the short form every command accepts as an id.
func slug(iri string) string {
	if i := strings.LastIndex(iri, "/"); i >= 0 {
		return iri[i+1:]
	}
	return iri
}

// formatTime renders a timestamp for tables, in UTC; "-" when zero.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// snippet shortens s to at most n runes, on one line.
func snippet(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=+,@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// yesNo renders a boolean for tables.
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// plural renders "1 contact" / "2 contacts".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
