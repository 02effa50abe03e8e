package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// parseInterspersed parses flags wherever they appear among the positional
// arguments ("contacts get ID --json" as well as "contacts get --json ID"),
// which the flag package alone does not do. Everything after "--" is
// positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// secretValue is a string flag whose value is never shown: not as a
// default in --help, not in any message.
type secretValue struct{ p *string }

func (s *secretValue) String() string { return "" }

func (s *secretValue) Set(v string) error {
	*s.p = v
	return nil
}

// listValue is a repeatable string flag ("--phone A --phone B").
type listValue struct {
	p      *[]string
	secret bool
}

func (l *listValue) String() string {
	if l.p == nil || l.secret {
		return ""
	}
	return strings.Join(*l.p, ",")
}

func (l *listValue) Set(v string) error {
	*l.p = append(*l.p, v)
	return nil
}

// hasFlags reports whether fs defines any flag.
func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// printFlags lists the flags of fs GNU-style ("--name ARG  usage").
func printFlags(w io.Writer, fs *flag.FlagSet) {
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		name := "--" + f.Name
		if arg != "" {
			name += " " + arg
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			name = "--" + f.Name
		}
		def := ""
		switch f.DefValue {
		case "", "false", "0", "0s", "[]":
		default:
			def = " (default " + f.DefValue + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s%s\n", name, usage, def)
	})
	tw.Flush()
}

// flagError classifies an error from the flag package: a bad value is bad
// input (exit 2); an unknown flag or a missing value is a usage error
// (exit 1).
func flagError(err error, path string) error {
	msg := err.Error()
	if strings.Contains(msg, " for flag -") {
		msg = strings.Replace(msg, " for flag -", " for --", 1)
	} else {
		msg = strings.Replace(msg, " for -", " for --", 1)
	}
	if strings.HasPrefix(msg, "invalid value") || strings.HasPrefix(msg, "invalid boolean value") {
		return &exitError{code: exitBadInput, msg: msg + helpHint(path)}
	}
	return usageError(path, "%s", msg)
}
