package textus

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Sentinel errors, matched with errors.Is against the errors the client
// returns.
var (
	// ErrUnauthorized matches a 401 response: the token is missing, wrong
	// or revoked.
	ErrUnauthorized = errors.New("textus: unauthorized")
	// ErrForbidden matches a 403 response: the token's user lacks the
	// permission (some calls need an organization admin).
	ErrForbidden = errors.New("textus: forbidden")
	// ErrNotFound matches a 404 response.
	ErrNotFound = errors.New("textus: not found")
	// ErrValidation matches a 422 response: the API refused the input
	// (for example a send to an opted-out number).
	ErrValidation = errors.New("textus: validation failed")
	// ErrRateLimited matches a 429 response, also when the SDK stopped
	// because the server asked to wait longer than the configured maximum
	// retry wait; APIError.RetryAfter then holds the requested wait.
	ErrRateLimited = errors.New("textus: rate limited")
	// ErrOutcomeUnknown matches an error from a request that is not safe to
	// repeat (a POST, such as sending a message) which failed after it may
	// have reached TextUs: a timeout, a reset connection or a 5xx. The SDK
	// did not re-send it. The message may or may not have gone out; check
	// the conversation timeline before sending again.
	ErrOutcomeUnknown = errors.New("textus: outcome unknown: the request may have been processed")
	// ErrNoAccount is returned, before anything is sent, by account-scoped
	// calls on a client with no account (see WithAccount and ForAccount).
	ErrNoAccount = errors.New("textus: no account set: use WithAccount or Client.ForAccount")
)

// maxErrorBody caps how much of an error response is read.
const maxErrorBody = 64 << 10

// APIError is a non-2xx response from TextUs.
type APIError struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Message is the API's error text (hydra:title/hydra:description,
	// error, message or errors), or the status text when the body has none.
	Message string
	// Body is the raw response body, read through a 64 KiB cap.
	Body []byte
	// Method and URL identify the request; the URL has credentials removed.
	Method string
	// URL is the request URL with credentials removed.
	URL string
	// Header is the response header.
	Header http.Header
	// RetryAfter is the wait the server asked for (Retry-After), if any.
	RetryAfter time.Duration
	// Rate is the rate-limit state the response carried.
	Rate Rate
	// OutcomeUnknown is set when the request was not safe to repeat and the
	// failure (5xx, 408) leaves open whether TextUs acted on it; such an
	// error also matches ErrOutcomeUnknown.
	OutcomeUnknown bool
}

// Error implements error. It names the method, the path, the status and the
// API's message; it never contains the token.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("textus: ")
	b.WriteString(e.Method)
	b.WriteByte(' ')
	b.WriteString(e.URL)
	fmt.Fprintf(&b, ": %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" && e.Message != http.StatusText(e.StatusCode) {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.OutcomeUnknown {
		b.WriteString(" (outcome unknown: the request may have been processed and was not re-sent)")
	}
	return b.String()
}

// Is matches the sentinel errors by status code.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrValidation:
		return e.StatusCode == http.StatusUnprocessableEntity
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrOutcomeUnknown:
		return e.OutcomeUnknown
	}
	return false
}

// newAPIError reads the body of a non-2xx response through the cap and
// extracts the message. scrub removes the token from everything the error
// keeps: some proxies and firewalls echo the request's headers in their
// answers.
func newAPIError(method, url string, resp *http.Response, scrub *scrubber) *APIError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	body = scrub.bytes(body)
	e := &APIError{
		StatusCode: resp.StatusCode,
		Method:     method,
		URL:        url,
		Body:       body,
		Header:     scrub.header(resp.Header),
		Message:    errorMessage(body, http.StatusText(resp.StatusCode)),
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	return e
}

// scrubber replaces a secret, in the forms a server may echo it in (as
// sent, as a JSON string, URL-encoded), with "[REDACTED]".
type scrubber struct{ forms [][]byte }

func newScrubber(secret string) *scrubber {
	sc := &scrubber{}
	add := func(f string) {
		for _, have := range sc.forms {
			if string(have) == f {
				return
			}
		}
		sc.forms = append(sc.forms, []byte(f))
	}
	add(secret)
	if b, err := json.Marshal(secret); err == nil {
		add(string(b[1 : len(b)-1]))
	}
	add(url.QueryEscape(secret))
	return sc
}

var redacted = []byte("[REDACTED]")

func (sc *scrubber) bytes(b []byte) []byte {
	for _, f := range sc.forms {
		if bytes.Contains(b, f) {
			b = bytes.ReplaceAll(b, f, redacted)
		}
	}
	return b
}

func (sc *scrubber) string(s string) string {
	for _, f := range sc.forms {
		if strings.Contains(s, string(f)) {
			s = strings.ReplaceAll(s, string(f), string(redacted))
		}
	}
	return s
}

// header returns h, or a scrubbed copy when any value holds the secret.
func (sc *scrubber) header(h http.Header) http.Header {
	var out http.Header
	for k, vs := range h {
		for i, v := range vs {
			if clean := sc.string(v); clean != v {
				if out == nil {
					out = h.Clone()
				}
				out[k][i] = clean
			}
		}
	}
	if out == nil {
		return h
	}
	return out
}

// errorMessage finds the message in an error body, trying hydra:title and
// hydra:description, error (string or object), message and errors (array
// or object of field -> messages). A title that only repeats the status
// text is left out, since APIError.Error prints that already. A body that
// is not JSON yields "".
func errorMessage(body []byte, statusText string) string {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return ""
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return ""
	}
	title, desc := jsonText(m["hydra:title"]), jsonText(m["hydra:description"])
	if desc != "" && strings.EqualFold(title, statusText) {
		title = ""
	}
	switch {
	case title != "" && desc != "" && title != desc:
		return title + ": " + desc
	case desc != "":
		return desc
	case title != "":
		return title
	}
	for _, k := range []string{"error", "message", "detail", "errors"} {
		if s := jsonText(m[k]); s != "" {
			return s
		}
	}
	return ""
}

// jsonText renders a JSON value as message text: a string as is, an object's
// "message"/"description" or its field -> messages pairs, an array joined.
func jsonText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		var s string
		_ = json.Unmarshal(raw, &s)
		return strings.TrimSpace(s)
	case '[':
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return ""
		}
		parts := make([]string, 0, len(items))
		for _, it := range items {
			if s := jsonText(it); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, "; ")
	case '{':
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil {
			return ""
		}
		for _, k := range []string{"message", "description", "detail", "title"} {
			if s := jsonText(obj[k]); s != "" {
				return s
			}
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			if s := jsonText(obj[k]); s != "" {
				parts = append(parts, k+" "+s)
			}
		}
		return strings.Join(parts, "; ")
	}
	return ""
}

// transportError wraps a failure in which no response was received.
type transportError struct {
	method, url string
	err         error
	unknown     bool
}

func (e *transportError) Error() string {
	msg := "textus: " + e.method + " " + e.url + ": " + unprefixed(e.err)
	if e.unknown {
		msg += " (outcome unknown: the request may have reached TextUs and was not re-sent)"
	}
	return msg
}

func (e *transportError) Unwrap() error { return e.err }

func (e *transportError) Is(target error) bool {
	return target == ErrOutcomeUnknown && e.unknown
}

// accountError is the error of an account-scoped call on a client made by
// ForAccount with a slug it refused: it names the slug and matches
// ErrNoAccount.
type accountError struct {
	slug  string
	cause error
}

func (e *accountError) Error() string {
	return fmt.Sprintf("textus: no account: ForAccount(%q) refused the slug: %s", e.slug, unprefixed(e.cause))
}

func (e *accountError) Is(target error) bool { return target == ErrNoAccount }

func (e *accountError) Unwrap() error { return e.cause }

// unprefixed renders an error of this package without its "textus: "
// prefix, for nesting in another error's text.
func unprefixed(err error) string {
	return strings.TrimPrefix(err.Error(), "textus: ")
}

// notSentError is a call that the Pacer ended before its request was sent.
type notSentError struct{ err error }

func (e *notSentError) Error() string { return "textus: not sent: " + unprefixed(e.err) }

func (e *notSentError) Unwrap() error { return e.err }

// isNotSent reports whether err ended a call before anything was sent.
func isNotSent(err error) bool {
	var ns *notSentError
	return errors.As(err, &ns)
}

// contextError puts an error of this package in context ("recipient",
// "sender (From)") while keeping it matchable with errors.Is and its text to
// one "textus: " prefix.
type contextError struct {
	context string
	err     error
}

func (e *contextError) Error() string { return "textus: " + e.context + ": " + unprefixed(e.err) }

func (e *contextError) Unwrap() error { return e.err }
