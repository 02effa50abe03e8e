// Package phone reads and formats the phone numbers of the TextUs API. It
// is the one parser behind textus.NormalizePhone, the fake server of
// package textustest and the textus command; each of them picks how strict
// the parser is with Rules.
//
// Parse accepts E.164 ("+13035551234"; "+" and 8 to 15 digits, any
// country) and the North American national forms ("(303) 555-1234",
// "303-555-1234", "303.555.1234", "1-303-555-1234", "3035551234"), which
// become "+1...". Spaces, dashes, dots and parentheses may separate the
// digits. Anything else (letters, too few or too many digits) is an error
// that matches ErrInvalid and says what is wrong:
//
//	n, err := phone.Parse("1-303-555-1234", phone.Strict)
//	// n.E164 == "+13035551234"
//
//	n, err = phone.Parse("303-555-1234 x12", phone.Strict)
//	// err: invalid phone number: "303-555-1234 x12" has an extension ...
//
//	n, err = phone.Parse("303-555-1234 x12", phone.AllowExtension)
//	// n.E164 == "+13035551234", n.Extension == "12"
//
// Display and National format an E.164 number the way API responses do.
package phone

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrInvalid is matched (errors.Is) by every error Parse returns. Package
// textus exports it as ErrInvalidPhone, so its text carries that package's
// prefix.
var ErrInvalid = errors.New("textus: invalid phone number")

// Error is the error Parse returns for a number it refuses.
type Error struct {
	// Input is the number as given to Parse.
	Input string
	// Reason says what is wrong, quoting the input where that helps:
	// `"555-1234" is neither E.164 nor a 10-digit North American number`.
	Reason string
}

// Error returns "invalid phone number: " and the reason.
func (e *Error) Error() string { return "invalid phone number: " + e.Reason }

// Unwrap returns ErrInvalid.
func (e *Error) Unwrap() error { return ErrInvalid }

// Rules say what Parse accepts beyond the strict default. Combine them with
// "|": phone.AllowExtension|phone.AnyAreaCode.
type Rules uint8

// Strict is the zero Rules: E.164, and North American national numbers
// whose area code starts with 2 to 9, without an extension. It is what
// textus.NormalizePhone accepts.
const Strict Rules = 0

const (
	// AllowExtension accepts a trailing extension ("x12", "ext. 12",
	// "ext 12", "extension 12", "#12"), returned in Number.Extension, as the
	// API's contact endpoints do. Without it, a number with an extension
	// is refused with an error that says so.
	AllowExtension Rules = 1 << iota
	// AnyAreaCode accepts a North American national number whose area
	// code starts with 0 or 1 ("0035551234"). Without it, such a number is
	// refused: no North American area code starts with 0 or 1.
	AnyAreaCode
	// AllowSlash accepts "/" as a separator ("303/555/1234").
	AllowSlash
)

// separator reports whether c may stand between the digits.
func (r Rules) separator(c byte) bool {
	switch c {
	case ' ', '-', '.', '(', ')':
		return true
	case '/':
		return r&AllowSlash != 0
	}
	return false
}

// Number is a parsed phone number.
type Number struct {
	// E164 is the number in E.164 form: "+13035551234".
	E164 string
	// Extension is the extension's digits ("2921"), or "" when there is
	// none. It is set only with AllowExtension.
	Extension string
}

// maxDigits is the longest E.164 number; a national number is shorter.
const maxDigits = 15

// Parse reads s under the rules r. Surrounding white space is ignored. A
// refused number yields an *Error, which matches ErrInvalid.
func Parse(s string, r Rules) (Number, error) {
	in := s
	s = strings.TrimSpace(s)
	if s == "" {
		return Number{}, &Error{Input: in, Reason: "empty"}
	}
	var n Number
	if num, ext, ok := SplitExtension(s); ok {
		if r&AllowExtension == 0 {
			return Number{}, &Error{Input: in, Reason: fmt.Sprintf("%q has an extension (%s), which is not accepted here", in, ext)}
		}
		s, n.Extension = num, ext
	}
	plus := strings.HasPrefix(s, "+")
	if plus {
		s = s[1:]
	}
	var buf [maxDigits]byte
	d := buf[:0]
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			if len(d) == maxDigits {
				return Number{}, &Error{Input: in, Reason: fmt.Sprintf("%q has too many digits (at most %d)", in, maxDigits)}
			}
			d = append(d, c)
		case r.separator(c):
		default:
			ch, _ := utf8.DecodeRuneInString(s[i:])
			return Number{}, &Error{Input: in, Reason: fmt.Sprintf("%q contains %q", in, ch)}
		}
	}
	if plus {
		if len(d) < 8 || d[0] == '0' {
			return Number{}, &Error{Input: in, Reason: fmt.Sprintf("%q is not E.164 (+ and 8 to 15 digits, the first not 0)", in)}
		}
		n.E164 = "+" + string(d)
		return n, nil
	}
	if len(d) == 11 && d[0] == '1' {
		d = d[1:]
	}
	if len(d) != 10 {
		return Number{}, &Error{Input: in, Reason: fmt.Sprintf("%q is neither E.164 nor a 10-digit North American number", in)}
	}
	if d[0] < '2' && r&AnyAreaCode == 0 {
		return Number{}, &Error{Input: in, Reason: fmt.Sprintf("%q has area code %s; North American area codes start with 2 to 9", in, d[:3])}
	}
	n.E164 = "+1" + string(d)
	return n, nil
}

// extensionMarkers are the words that introduce an extension, longest
// first so that "ext." is not read as "x".
var extensionMarkers = []string{"extension", "ext.", "ext", "x", "#"}

// SplitExtension splits a trailing extension off s: "1-303-123-4567 x2921"
// gives "1-303-123-4567" and "2921". The extension is introduced by "x",
// "ext", "ext.", "extension" (any case) or "#" and is made of digits only;
// the number before it must not be empty. ok reports whether s had one;
// when it has not, num is s.
func SplitExtension(s string) (num, ext string, ok bool) {
	lower := asciiLower(s)
	for _, marker := range extensionMarkers {
		i := strings.LastIndex(lower, marker)
		if i <= 0 {
			continue
		}
		rest := strings.TrimSpace(s[i+len(marker):])
		if rest == "" || strings.Trim(rest, "0123456789") != "" {
			continue
		}
		return strings.TrimSpace(s[:i]), rest, true
	}
	return s, "", false
}

// asciiLower lowers ASCII letters only, so that byte offsets into the
// result are offsets into s.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// isNANP reports whether an E.164 number is North American: "+1" and ten
// digits.
func isNANP(e164 string) bool {
	return len(e164) == 12 && strings.HasPrefix(e164, "+1")
}

// Display formats an E.164 number for people, as the API's
// formattedPhoneNumber does: "(303) 555-1234" for a North American number,
// the number unchanged otherwise.
func Display(e164 string) string {
	if !isNANP(e164) {
		return e164
	}
	d := e164[2:]
	return "(" + d[:3] + ") " + d[3:6] + "-" + d[6:]
}

// National returns the national digits of an E.164 number, as opt-out
// records carry them: "3035551234" for "+13035551234"; for a number
// outside North America, its digits without the "+".
func National(e164 string) string {
	if isNANP(e164) {
		return e164[2:]
	}
	return strings.TrimPrefix(e164, "+")
}

// Digits keeps only the ASCII digits of s: "(303) 555-1234" gives
// "3035551234".
func Digits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			b.WriteByte(c)
		}
	}
	return b.String()
}
