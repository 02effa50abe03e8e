package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/textus-go/textus"
)

// Exit codes.
const (
	exitOK             = 0
	exitFailure        = 1 // API error or usage error
	exitBadInput       = 2 // invalid phone number, bad CSV rows, bad flag value
	exitOutcomeUnknown = 3 // a request that is not safe to repeat may have been acted on
)

// errHelp reports that help was printed on request (exit 0).
var errHelp = errors.New("help shown")

// exitError ends the command with code, after printing msg (when not
// empty) as one line on stderr.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// usageError is a mistake in the command line (exit 1).
func usageError(path, format string, args ...any) error {
	return &exitError{code: exitFailure, msg: fmt.Sprintf(format, args...) + helpHint(path)}
}

// inputError is a value the tool refuses before calling the API (exit 2).
func inputError(format string, args ...any) error {
	return &exitError{code: exitBadInput, msg: fmt.Sprintf(format, args...)}
}

func helpHint(path string) string {
	return " (see 'textus " + strings.TrimSpace(path+" --help") + "')"
}

// outcomeError is a request that may have been acted on although no
// answer came back (textus.ErrOutcomeUnknown). what says plainly what may
// have happened; check says how to find out.
type outcomeError struct {
	what  string
	check string
	err   error
}

func (e *outcomeError) Error() string { return e.what }
func (e *outcomeError) Unwrap() error { return e.err }

// exitCode prints err (one line on stderr) and returns the exit code.
func (a *app) exitCode(err error) int {
	if err == nil || errors.Is(err, errHelp) {
		return exitOK
	}
	code, line := classify(err)
	if line != "" {
		fmt.Fprintln(a.stderr, "textus: "+oneLine(line))
	}
	return code
}

// classify maps an error to its exit code and its message line.
func classify(err error) (int, string) {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code, ee.msg
	}
	var oe *outcomeError
	if errors.As(err, &oe) {
		return exitOutcomeUnknown, "outcome unknown: " + oe.what + " (" + describe(oe.err) + "); " + oe.check
	}
	switch {
	case errors.Is(err, textus.ErrOutcomeUnknown):
		return exitOutcomeUnknown, "outcome unknown: the request may have been carried out by TextUs although no answer came back; check before trying again (" + describe(err) + ")"
	case errors.Is(err, textus.ErrInvalidPhone):
		return exitBadInput, describe(err)
	case errors.Is(err, textus.ErrNoAccount):
		return exitFailure, "no account set: set " + envAccount + " or pass --account (list yours with 'textus accounts list')"
	case errors.Is(err, context.Canceled):
		return exitFailure, "interrupted"
	}
	return exitFailure, describe(err)
}

// describe renders an error for a message line. An API error shows the
// HTTP status, the TextUs message and the request; other errors lose the
// SDK's "textus: " prefix (the line gets its own).
func describe(err error) string {
	var apiErr *textus.APIError
	if !errors.As(err, &apiErr) {
		return strings.TrimPrefix(err.Error(), "textus: ")
	}
	status := http.StatusText(apiErr.StatusCode)
	s := fmt.Sprintf("%d %s", apiErr.StatusCode, status)
	msg := strings.TrimSpace(apiErr.Message)
	msg = strings.TrimPrefix(msg, status+": ")
	if msg != "" && msg != status {
		s += ": " + msg
	}
	if apiErr.Method != "" {
		s += " (" + apiErr.Method + " " + requestPath(apiErr.URL) + ")"
	}
	if apiErr.RetryAfter > 0 {
		s += fmt.Sprintf("; retry after %s", apiErr.RetryAfter)
	}
	switch apiErr.StatusCode {
	case http.StatusUnauthorized:
		s += "; check the API token (" + envToken + " or --token)"
	case http.StatusForbidden:
		s += "; the token's user lacks the permission (webhooks need an organization admin)"
	}
	return s
}

// requestPath returns the path and query of a URL, for messages.
func requestPath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Path == "" {
		return raw
	}
	return u.RequestURI()
}

// oneLine flattens s onto a single line.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '\n', '\r', '\t':
			return ' '
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}
