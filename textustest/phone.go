package textustest

import (
	"errors"
	"fmt"
	"strings"
)

// parsedPhone is a phone number as the fake stores it.
type parsedPhone struct {
	e164      string // "+13035551234"
	extension string // "2921", or ""
}

var errBadPhone = errors.New("invalid phone number")

// parsePhone reads a phone number the way the API's contact endpoints do:
// E.164 ("+13035551234"), North American national forms ("(303) 555-1234",
// "1-303-123-4567", "3035551234") and an optional trailing extension
// ("x2921", "ext. 2921", "extension 2921", "#2921"). It is deliberately more
// lenient than textus.NormalizePhone: area and exchange codes are not checked,
// because the API documents "1-303-123-4567" as valid input.
func parsePhone(s string) (parsedPhone, error) {
	orig := s
	s = strings.TrimSpace(s)
	if s == "" {
		return parsedPhone{}, fmt.Errorf("%w: empty", errBadPhone)
	}
	var p parsedPhone
	if num, ext, ok := splitExtension(s); ok {
		s, p.extension = num, ext
	}
	plus := false
	if strings.HasPrefix(s, "+") {
		plus = true
		s = s[1:]
	}
	var digits strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits.WriteByte(c)
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/':
		default:
			return parsedPhone{}, fmt.Errorf("%w: %q contains %q", errBadPhone, orig, c)
		}
	}
	d := digits.String()
	switch {
	case plus:
		if len(d) < 8 || len(d) > 15 || d[0] == '0' {
			return parsedPhone{}, fmt.Errorf("%w: %q is not E.164 (+ and 8 to 15 digits)", errBadPhone, orig)
		}
		p.e164 = "+" + d
	case len(d) == 10:
		p.e164 = "+1" + d
	case len(d) == 11 && d[0] == '1':
		p.e164 = "+" + d
	default:
		return parsedPhone{}, fmt.Errorf("%w: %q is neither E.164 nor a 10-digit North American number", errBadPhone, orig)
	}
	return p, nil
}

// parseE164 is parsePhone for places where an extension makes no sense
// (message recipients, opt-outs, conversation lookups).
func parseE164(s string) (string, error) {
	p, err := parsePhone(s)
	if err != nil {
		return "", err
	}
	if p.extension != "" {
		return "", fmt.Errorf("%w: %q has an extension", errBadPhone, s)
	}
	return p.e164, nil
}

// splitExtension splits "1-303-123-4567 x2921" into the number and "2921".
func splitExtension(s string) (num, ext string, ok bool) {
	lower := strings.ToLower(s)
	for _, marker := range []string{"extension", "ext.", "ext", "x", "#"} {
		i := strings.LastIndex(lower, marker)
		if i <= 0 {
			continue
		}
		rest := strings.TrimSpace(s[i+len(marker):])
		if rest == "" || !allDigits(rest) {
			continue
		}
		return strings.TrimSpace(s[:i]), rest, true
	}
	return s, "", false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// digitsOf keeps only the ASCII digits of s.
func digitsOf(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// isNANP reports whether an E.164 number is North American (+1 and ten digits).
func isNANP(e164 string) bool {
	return len(e164) == 12 && strings.HasPrefix(e164, "+1")
}

// displayPhone formats an E.164 number for people: "(303) 555-1234" for North
// American numbers, the number itself otherwise.
func displayPhone(e164 string) string {
	if !isNANP(e164) {
		return e164
	}
	d := e164[2:]
	return "(" + d[:3] + ") " + d[3:6] + "-" + d[6:]
}

// nationalPhone is the bare national digits ("3035551234") that opt-out
// records carry in formattedPhoneNumber.
func nationalPhone(e164 string) string {
	if isNANP(e164) {
		return e164[2:]
	}
	return strings.TrimPrefix(e164, "+")
}
