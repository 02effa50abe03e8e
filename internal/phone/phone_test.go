package phone

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The rules each caller uses.
const (
	sdk          = Strict                                    // textus.NormalizePhone
	cliContact   = AllowExtension                            // textus contacts create/update/import
	fakeContact  = AllowExtension | AnyAreaCode | AllowSlash // textustest, contact phones
	fakeNoExtens = AnyAreaCode | AllowSlash                  // textustest, recipients and lookups
)

var allRules = []Rules{sdk, cliContact, fakeContact, fakeNoExtens}

func TestParseAcceptedByEveryRule(t *testing.T) {
	tests := []struct{ in, want string }{
		// E.164 passes through, any country.
		{"+13035551234", "+13035551234"},
		{"+442079460958", "+442079460958"},
		{"+4915112345678", "+4915112345678"},
		{"+12345678", "+12345678"},               // 8 digits, the shortest accepted
		{"+123456789012345", "+123456789012345"}, // 15 digits, the longest
		// E.164 with separators.
		{"+44 20 7946 0958", "+442079460958"},
		{"+1 (303) 555-1234", "+13035551234"},
		{"+1.303.555.1234", "+13035551234"},
		{" +13035551234 ", "+13035551234"},
		// North American national forms.
		{"(303) 555-1234", "+13035551234"},
		{"(303)555-1234", "+13035551234"},
		{"303-555-1234", "+13035551234"},
		{"303.555.1234", "+13035551234"},
		{"303 555 1234", "+13035551234"},
		{"1-303-555-1234", "+13035551234"},
		{"1 (303) 555-1234", "+13035551234"},
		{"3035551234", "+13035551234"},
		{"13035551234", "+13035551234"},
		{"5553031234", "+15553031234"},
		// The exchange is not checked: the API documents "1-303-123-4567"
		// as valid input, and TextUs itself judges deliverability.
		{"1-303-123-4567", "+13031234567"},
		{"3030551234", "+13030551234"},
	}
	for _, r := range allRules {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%b/%s", r, tt.in), func(t *testing.T) {
				got, err := Parse(tt.in, r)
				require.NoError(t, err)
				assert.Equal(t, Number{E164: tt.want}, got)

				again, err := Parse(got.E164, r)
				require.NoError(t, err, "parsing is idempotent")
				assert.Equal(t, got, again)
			})
		}
	}
}

func TestParseRefusedByEveryRule(t *testing.T) {
	tests := []struct{ name, in, reason string }{
		{"empty", "", "empty"},
		{"blank", "   ", "empty"},
		{"letters", "abc", `"abc" contains 'a'`},
		{"vanity letters", "1-800-FLOWERS", `"1-800-FLOWERS" contains 'F'`},
		{"seven digits", "555-1234", `"555-1234" is neither E.164 nor a 10-digit North American number`},
		{"plus and two digits", "+12", `"+12" is not E.164 (+ and 8 to 15 digits, the first not 0)`},
		{"plus and seven digits", "+1234567", `"+1234567" is not E.164 (+ and 8 to 15 digits, the first not 0)`},
		{"eleven digits not starting with 1", "23035551234", `"23035551234" is neither E.164 nor a 10-digit North American number`},
		{"nine digits", "303555123", `"303555123" is neither E.164 nor a 10-digit North American number`},
		{"twelve national digits", "130355512345", `"130355512345" is neither E.164 nor a 10-digit North American number`},
		{"sixteen digits", "1234567890123456", `"1234567890123456" has too many digits (at most 15)`},
		{"sixteen digits with plus", "+1234567890123456", `"+1234567890123456" has too many digits (at most 15)`},
		{"E.164 starting with 0", "+0123456789", `"+0123456789" is not E.164 (+ and 8 to 15 digits, the first not 0)`},
		{"two plus signs", "++13035551234", `"++13035551234" contains '+'`},
		{"plus inside", "1+3035551234", `"1+3035551234" contains '+'`},
		{"unicode digits", "३०३५५५१२३४", `"३०३५५५१२३४" contains '३'`},
		{"marker without digits", "303-555-1234 x", `"303-555-1234 x" contains 'x'`},
		{"extension only", "x123", `"x123" contains 'x'`},
	}
	for _, r := range allRules {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%b/%s", r, tt.name), func(t *testing.T) {
				got, err := Parse(tt.in, r)
				require.Error(t, err)
				assert.ErrorIs(t, err, ErrInvalid)
				var pe *Error
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, tt.in, pe.Input)
				assert.Equal(t, tt.reason, pe.Reason)
				assert.Equal(t, "invalid phone number: "+tt.reason, err.Error())
				assert.Empty(t, got)
			})
		}
	}
}

// Each rule widens what is accepted, and only that: a number is accepted
// exactly by the rules that include all of needs.
func TestParseRules(t *testing.T) {
	tests := []struct {
		in     string
		needs  Rules
		want   Number
		reason string // why the other rules refuse it, when there is one reason
	}{
		{"1-303-123-4567 x2921", AllowExtension, Number{"+13031234567", "2921"},
			`"1-303-123-4567 x2921" has an extension (2921), which is not accepted here`},
		{"303-555-1234 ext. 12", AllowExtension, Number{"+13035551234", "12"},
			`"303-555-1234 ext. 12" has an extension (12), which is not accepted here`},
		{"303-555-1234 Ext 7", AllowExtension, Number{"+13035551234", "7"},
			`"303-555-1234 Ext 7" has an extension (7), which is not accepted here`},
		{"3035551234 extension 9", AllowExtension, Number{"+13035551234", "9"},
			`"3035551234 extension 9" has an extension (9), which is not accepted here`},
		{"+1 303 555 1234#44", AllowExtension, Number{"+13035551234", "44"},
			`"+1 303 555 1234#44" has an extension (44), which is not accepted here`},
		{"0035551234", AnyAreaCode, Number{"+10035551234", ""},
			`"0035551234" has area code 003; North American area codes start with 2 to 9`},
		{"1-103-555-1234", AnyAreaCode, Number{"+11035551234", ""},
			`"1-103-555-1234" has area code 103; North American area codes start with 2 to 9`},
		{"303/555/1234", AllowSlash, Number{"+13035551234", ""},
			`"303/555/1234" contains '/'`},
		{"103/555/1234 x5", AllowExtension | AnyAreaCode | AllowSlash, Number{"+11035551234", "5"}, ""},
	}
	for _, tt := range tests {
		for _, r := range allRules {
			t.Run(fmt.Sprintf("%b/%s", r, tt.in), func(t *testing.T) {
				got, err := Parse(tt.in, r)
				if r&tt.needs == tt.needs {
					require.NoError(t, err)
					assert.Equal(t, tt.want, got)
					return
				}
				require.ErrorIs(t, err, ErrInvalid)
				if tt.reason != "" {
					var pe *Error
					require.ErrorAs(t, err, &pe)
					assert.Equal(t, tt.reason, pe.Reason)
				}
			})
		}
	}
}

func TestSplitExtension(t *testing.T) {
	tests := []struct {
		in, num, ext string
		ok           bool
	}{
		{"303-555-1234 x12", "303-555-1234", "12", true},
		{"303-555-1234 X12", "303-555-1234", "12", true},
		{"+13035551234 ext. 7", "+13035551234", "7", true},
		{"+13035551234 EXT 7", "+13035551234", "7", true},
		{"(303) 555-1234 extension 2921", "(303) 555-1234", "2921", true},
		{"(303) 555-1234 #2921", "(303) 555-1234", "2921", true},
		{"3035551234x1", "3035551234", "1", true},
		{"+13035551234", "+13035551234", "", false},
		{"x123", "x123", "", false},                     // no number before the marker
		{"303-555-1234 x", "303-555-1234 x", "", false}, // no digits after it
		{"303-555-1234 x1a", "303-555-1234 x1a", "", false},
		// Non-ASCII text before the marker keeps the offsets right.
		{"İ303 x12", "İ303", "12", true},
	}
	for _, tt := range tests {
		num, ext, ok := SplitExtension(tt.in)
		assert.Equal(t, tt.num, num, tt.in)
		assert.Equal(t, tt.ext, ext, tt.in)
		assert.Equal(t, tt.ok, ok, tt.in)
	}
}

func TestFormatting(t *testing.T) {
	tests := []struct{ e164, display, national string }{
		{"+13035551234", "(303) 555-1234", "3035551234"},
		{"+442079460958", "+442079460958", "442079460958"},
		{"+1303555123", "+1303555123", "1303555123"}, // not ten digits after +1
	}
	for _, tt := range tests {
		assert.Equal(t, tt.display, Display(tt.e164), tt.e164)
		assert.Equal(t, tt.national, National(tt.e164), tt.e164)
	}
	assert.Equal(t, "3035551234", Digits("(303) 555-1234"))
	assert.Equal(t, "", Digits("call me"))
}

func TestErrorMatchesOnlyErrInvalid(t *testing.T) {
	_, err := Parse("nope", Strict)
	assert.ErrorIs(t, err, ErrInvalid)
	assert.False(t, errors.Is(err, errors.New("textus: invalid phone number")), "matched by identity, not text")
}

func Example() {
	n, err := Parse("(303) 555-1234", Strict)
	fmt.Println(n.E164, err)

	_, err = Parse("1-303-123-4567 x2921", Strict)
	fmt.Println(err)

	n, err = Parse("1-303-123-4567 x2921", AllowExtension)
	fmt.Println(n.E164, n.Extension, err)
	fmt.Println(Display(n.E164), National(n.E164))
	// Output:
	// +13035551234 <nil>
	// invalid phone number: "1-303-123-4567 x2921" has an extension (2921), which is not accepted here
	// +13031234567 2921 <nil>
	// (303) 123-4567 3031234567
}
