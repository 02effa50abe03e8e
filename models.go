package textus

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// lenientTime decodes an RFC 3339 timestamp with any fractional precision
// and any offset; null, "" and a malformed string decode to the zero time
// rather than failing the whole resource (the API's timestamps are
// informational, and one odd value must not make a delivery unreadable).
type lenientTime struct{ time.Time }

func (t *lenientTime) UnmarshalJSON(b []byte) error {
	t.Time = parseTime(b)
	return nil
}

func parseTime(b []byte) time.Time {
	b = bytes.TrimSpace(b)
	if len(b) < 2 || b[0] != '"' {
		return time.Time{}
	}
	// The common case, read from the bytes without making a string: an
	// RFC 3339 timestamp without escapes.
	if inner := b[1 : len(b)-1]; bytes.IndexByte(inner, '\\') < 0 {
		var t time.Time
		if t.UnmarshalText(inner) == nil {
			return t
		}
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return time.Time{}
	}
	return parseTimeString(s)
}

// parseTimeString reads an RFC 3339 timestamp with any fractional precision
// and any offset, or one without an offset (read as UTC); anything else is
// the zero time.
func parseTimeString(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		// Some producers omit the offset; read those as UTC.
		if tm2, err2 := time.Parse("2006-01-02T15:04:05.999999999", s); err2 == nil {
			return tm2.UTC()
		}
		return time.Time{}
	}
	return tm
}

// rawScalar renders a JSON scalar (string or number) as a string; anything
// else becomes "".
func rawScalar(b json.RawMessage) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return ""
	}
	if b[0] == '"' {
		var s string
		if json.Unmarshal(b, &s) == nil {
			return s
		}
		return ""
	}
	if b[0] == '{' || b[0] == '[' {
		return ""
	}
	return string(b)
}

// decodeObject decodes a resource object into v leniently (see lenient);
// null leaves v as it is, as encoding/json does, and any other value that
// is not a JSON object is an error.
func decodeObject(b []byte, v any) error {
	b = trimJSONSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) == 0 || b[0] != '{' {
		return fmt.Errorf("textus: expected a JSON object, got %.20q", b)
	}
	return lenient(json.Unmarshal(b, v))
}

// lenient drops the error encoding/json reports for a field whose JSON type
// does not fit (a number where a string was expected): json.Unmarshal has
// then decoded everything else, the odd field is left zero, and the raw
// JSON is kept on the resource. Any other error is returned.
func lenient(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return nil
	}
	return err
}
