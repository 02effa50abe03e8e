package textus

import (
	"fmt"

	"github.com/textus-go/textus/internal/phone"
)

// ErrInvalidPhone is returned (wrapped) for a phone number the SDK cannot
// read as E.164 or as a North American national number. No request is sent.
var ErrInvalidPhone = phone.ErrInvalid

// NormalizePhone returns phone in E.164 form. It accepts E.164 ("+13035551234",
// also with spaces, dots, dashes or parentheses after the "+", 8 to 15
// digits, any country) and the common North American national forms
// ("(303) 555-1234", "303-555-1234", "303.555.1234", "1-303-555-1234",
// "3035551234"), which become "+1..."; anything else (letters, extensions,
// too few or too many digits, an area code starting with 0 or 1) is an
// error wrapping ErrInvalidPhone that says what is wrong. The exchange is
// not checked (the API's own examples use "1-303-123-4567"); TextUs judges
// deliverability.
func NormalizePhone(p string) (string, error) {
	n, err := phone.Parse(p, phone.Strict)
	if err != nil {
		return "", fmt.Errorf("textus: %w", err)
	}
	return n.E164, nil
}
