package textus

import (
	"bytes"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// This file splits a delivery into its top-level members in one pass that
// also checks the whole body's syntax, so that the envelope is read without
// running encoding/json over the body (its resources are decoded by their
// own model types afterwards). It accepts exactly what json.Valid accepts,
// and matches member names the way json.Unmarshal matches struct fields:
// exactly first, then ignoring case with the same folding.

// maxJSONDepth is the nesting limit of encoding/json's scanner.
const maxJSONDepth = 10000

// jsonSyntaxError says where a body stops being JSON. It never quotes the
// body.
type jsonSyntaxError struct {
	msg    string
	offset int
}

func (e *jsonSyntaxError) Error() string {
	return fmt.Sprintf("%s at offset %d", e.msg, e.offset)
}

// jsonScanner checks JSON syntax over data from off.
type jsonScanner struct {
	data  []byte
	off   int
	depth int
}

func (s *jsonScanner) fail(msg string) error {
	return &jsonSyntaxError{msg: msg, offset: s.off}
}

func (s *jsonScanner) skipSpace() {
	for s.off < len(s.data) {
		switch s.data[s.off] {
		case ' ', '\t', '\r', '\n':
			s.off++
		default:
			return
		}
	}
}

// value checks one JSON value starting at s.off (no leading space) and
// leaves s.off just after it.
func (s *jsonScanner) value() error {
	if s.off >= len(s.data) {
		return s.fail("unexpected end of JSON input")
	}
	switch c := s.data[s.off]; {
	case c == '"':
		return s.str()
	case c == '{':
		return s.object(nil)
	case c == '[':
		return s.array()
	case c == '-' || ('0' <= c && c <= '9'):
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return s.fail("invalid character looking for the beginning of a value")
}

func (s *jsonScanner) literal(lit string) error {
	for i := 0; i < len(lit); i++ {
		if s.off >= len(s.data) {
			return s.fail("unexpected end of JSON input")
		}
		if s.data[s.off] != lit[i] {
			return s.fail("invalid character in literal " + lit)
		}
		s.off++
	}
	return nil
}

func (s *jsonScanner) digits() int {
	n := 0
	for s.off < len(s.data) && '0' <= s.data[s.off] && s.data[s.off] <= '9' {
		s.off++
		n++
	}
	return n
}

func (s *jsonScanner) number() error {
	if s.data[s.off] == '-' {
		s.off++
	}
	if s.off >= len(s.data) {
		return s.fail("unexpected end of JSON input")
	}
	switch c := s.data[s.off]; {
	case c == '0':
		s.off++
	case '1' <= c && c <= '9':
		s.digits()
	default:
		return s.fail("invalid character in numeric literal")
	}
	if s.off < len(s.data) && s.data[s.off] == '.' {
		s.off++
		if s.digits() == 0 {
			return s.fail("invalid character after decimal point in numeric literal")
		}
	}
	if s.off < len(s.data) && (s.data[s.off] == 'e' || s.data[s.off] == 'E') {
		s.off++
		if s.off < len(s.data) && (s.data[s.off] == '+' || s.data[s.off] == '-') {
			s.off++
		}
		if s.digits() == 0 {
			return s.fail("invalid character in exponent of numeric literal")
		}
	}
	return nil
}

// str checks a string starting at its opening quote. Like encoding/json,
// it accepts any byte from 0x20 up except '"' and '\\' unescaped (invalid
// UTF-8 included), and the escapes \" \\ \/ \b \f \n \r \t \uXXXX.
func (s *jsonScanner) str() error {
	s.off++ // the opening quote
	for s.off < len(s.data) {
		c := s.data[s.off]
		switch {
		case c == '"':
			s.off++
			return nil
		case c == '\\':
			s.off++
			if s.off >= len(s.data) {
				return s.fail("unexpected end of JSON input")
			}
			switch s.data[s.off] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.off++
			case 'u':
				s.off++
				for i := 0; i < 4; i++ {
					if s.off >= len(s.data) {
						return s.fail("unexpected end of JSON input")
					}
					if !isHex(s.data[s.off]) {
						return s.fail("invalid character in \\u hexadecimal character escape")
					}
					s.off++
				}
			default:
				return s.fail("invalid character in string escape code")
			}
		case c < 0x20:
			return s.fail("invalid character in string literal")
		default:
			s.off++
		}
	}
	return s.fail("unexpected end of JSON input")
}

func isHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

func (s *jsonScanner) push() error {
	s.depth++
	if s.depth > maxJSONDepth {
		return s.fail("exceeded max depth")
	}
	return nil
}

func (s *jsonScanner) array() error {
	if err := s.push(); err != nil {
		return err
	}
	s.off++ // '['
	s.skipSpace()
	if s.off < len(s.data) && s.data[s.off] == ']' {
		s.off++
		s.depth--
		return nil
	}
	for {
		if err := s.value(); err != nil {
			return err
		}
		s.skipSpace()
		if s.off >= len(s.data) {
			return s.fail("unexpected end of JSON input")
		}
		switch s.data[s.off] {
		case ',':
			s.off++
			s.skipSpace()
		case ']':
			s.off++
			s.depth--
			return nil
		default:
			return s.fail("invalid character after array element")
		}
	}
}

// object checks an object starting at its '{'. When member is not nil it
// is called with each member's raw key (between the quotes, escapes not
// decoded) and raw value.
func (s *jsonScanner) object(member func(key, value []byte)) error {
	if err := s.push(); err != nil {
		return err
	}
	s.off++ // '{'
	s.skipSpace()
	if s.off < len(s.data) && s.data[s.off] == '}' {
		s.off++
		s.depth--
		return nil
	}
	for {
		if s.off >= len(s.data) {
			return s.fail("unexpected end of JSON input")
		}
		if s.data[s.off] != '"' {
			return s.fail("invalid character looking for beginning of object key string")
		}
		keyStart := s.off
		if err := s.str(); err != nil {
			return err
		}
		key := s.data[keyStart+1 : s.off-1]
		s.skipSpace()
		if s.off >= len(s.data) {
			return s.fail("unexpected end of JSON input")
		}
		if s.data[s.off] != ':' {
			return s.fail("invalid character after object key")
		}
		s.off++
		s.skipSpace()
		valStart := s.off
		if err := s.value(); err != nil {
			return err
		}
		if member != nil {
			member(key, s.data[valStart:s.off])
		}
		s.skipSpace()
		if s.off >= len(s.data) {
			return s.fail("unexpected end of JSON input")
		}
		switch s.data[s.off] {
		case ',':
			s.off++
			s.skipSpace()
		case '}':
			s.off++
			s.depth--
			return nil
		default:
			return s.fail("invalid character after object key:value pair")
		}
	}
}

// scanTopObject checks that data is one JSON object with only white space
// around it, and calls member for each of its top-level members in order.
func scanTopObject(data []byte, member func(key, value []byte)) error {
	s := jsonScanner{data: data}
	s.skipSpace()
	if s.off >= len(data) || data[s.off] != '{' {
		return s.fail("not a JSON object")
	}
	if err := s.object(member); err != nil {
		return err
	}
	s.skipSpace()
	if s.off != len(data) {
		return s.fail("invalid character after top-level value")
	}
	return nil
}

// simpleJSONString reports whether the inside of a JSON string decodes to
// itself: no escapes, and valid UTF-8 (encoding/json replaces invalid
// bytes with U+FFFD).
func simpleJSONString(inner []byte) bool {
	return bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner)
}

// quoteRaw puts the quotes back around the inside of a JSON string.
func quoteRaw(inner []byte) []byte {
	q := make([]byte, 0, len(inner)+2)
	q = append(q, '"')
	q = append(q, inner...)
	return append(q, '"')
}

// appendFoldedJSONName appends name folded the way encoding/json folds
// member names for its case-insensitive field match: ASCII letters to
// upper case, any other rune to the smallest rune of its case-folding
// orbit.
func appendFoldedJSONName(out, name []byte) []byte {
	for i := 0; i < len(name); {
		if c := name[i]; c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			out = append(out, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(name[i:])
		out = utf8.AppendRune(out, foldRune(r))
		i += n
	}
	return out
}

func foldRune(r rune) rune {
	for {
		r2 := unicode.SimpleFold(r)
		if r2 <= r {
			return r2
		}
		r = r2
	}
}
