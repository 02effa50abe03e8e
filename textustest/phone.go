package textustest

import "github.com/textus-go/textus/internal/phone"

// The fake reads phone numbers more leniently than textus.NormalizePhone,
// so that it stands for the server rather than for the SDK's own checks:
// like TextUs, which judges numbers itself and documents "1-303-123-4567"
// as valid input, it checks neither area nor exchange code, and it also
// takes "/" between the digits.
const (
	// numberRules read a number that stands alone: message recipients,
	// opt-outs, conversation lookups, ReceiveMessage. An extension makes no
	// sense there and is refused.
	numberRules = phone.AnyAreaCode | phone.AllowSlash
	// contactPhoneRules read a contact's phones[].number, which may end in
	// an extension ("1-303-123-4567 x2921"); the API stores it apart.
	contactPhoneRules = numberRules | phone.AllowExtension
)

// parseE164 reads a number under numberRules and returns it in E.164 form.
func parseE164(s string) (string, error) {
	n, err := phone.Parse(s, numberRules)
	return n.E164, err
}
