package textus

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidPhone is returned (wrapped) for a phone number the SDK cannot
// read as E.164 or as a North American national number. No request is sent.
var ErrInvalidPhone = errors.New("textus: invalid phone number")

// NormalizePhone returns phone in E.164 form. It accepts E.164 ("+13035551234",
// also with spaces, dots, dashes or parentheses after the "+", 8 to 15
// digits, any country) and the common North American national forms
// ("(303) 555-1234", "303-555-1234", "303.555.1234", "1-303-555-1234",
// "3035551234"), which become "+1..."; anything else (letters, extensions,
// too few or too many digits, an area code starting with 0 or 1) is an
// error wrapping ErrInvalidPhone. The exchange is not checked (the API's own
// examples use "1-303-123-4567"); TextUs judges deliverability.
func NormalizePhone(phone string) (string, error) {
	s := strings.TrimSpace(phone)
	if s == "" {
		return "", fmt.Errorf("%w: empty", ErrInvalidPhone)
	}
	plus := strings.HasPrefix(s, "+")
	if plus {
		s = s[1:]
	}
	var digits [16]byte
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if n == len(digits) {
				return "", fmt.Errorf("%w: %q has too many digits", ErrInvalidPhone, phone)
			}
			digits[n] = c
			n++
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
		default:
			return "", fmt.Errorf("%w: %q contains %q", ErrInvalidPhone, phone, c)
		}
	}
	d := string(digits[:n])
	if plus {
		if n < 8 || n > 15 || d[0] == '0' {
			return "", fmt.Errorf("%w: %q is not E.164 (+ and 8 to 15 digits)", ErrInvalidPhone, phone)
		}
		return "+" + d, nil
	}
	if n == 11 && d[0] == '1' {
		d = d[1:]
		n = 10
	}
	if n != 10 || d[0] < '2' {
		return "", fmt.Errorf("%w: %q is neither E.164 nor a 10-digit North American number", ErrInvalidPhone, phone)
	}
	return "+1" + d, nil
}
