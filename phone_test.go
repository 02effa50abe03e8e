package textus

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNormalizePhone(t *testing.T) {
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
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := NormalizePhone(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)

			// Normalising is idempotent.
			again, err := NormalizePhone(got)
			require.NoError(t, err)
			assert.Equal(t, got, again)
		})
	}
}

func TestNormalizePhoneRefused(t *testing.T) {
	tests := []struct{ name, in string }{
		{"empty", ""},
		{"blank", "   "},
		{"letters", "abc"},
		{"vanity letters", "1-800-FLOWERS"},
		{"seven digits", "555-1234"},
		{"plus and two digits", "+12"},
		{"plus and seven digits", "+1234567"},
		{"extension", "303-555-1234 x12"},
		{"extension word", "303-555-1234 ext. 12"},
		{"invalid area code 0", "0035551234"},
		{"invalid area code 1", "1035551234"},
		{"eleven digits not starting with 1", "23035551234"},
		{"nine digits", "303555123"},
		{"twelve national digits", "130355512345"},
		{"sixteen digits", "1234567890123456"},
		{"sixteen digits with plus", "+1234567890123456"},
		{"seventeen digits", "12345678901234567"},
		{"E.164 starting with 0", "+0123456789"},
		{"two plus signs", "++13035551234"},
		{"plus inside", "1+3035551234"},
		{"slash", "303/555/1234"},
		{"unicode digits", "३०३५५५१२३४"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizePhone(tt.in)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalidPhone)
			assert.Empty(t, got)
		})
	}
}
