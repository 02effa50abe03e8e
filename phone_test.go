package textus

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The parser itself is tested in internal/phone; these tests pin what
// NormalizePhone documents: the strict rules and the error it returns.
func TestNormalizePhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+13035551234", "+13035551234"},
		{"+44 20 7946 0958", "+442079460958"},
		{"(303) 555-1234", "+13035551234"},
		{"303.555.1234", "+13035551234"},
		{"1-303-123-4567", "+13031234567"},
		{" 3035551234 ", "+13035551234"},
	}
	for _, tt := range tests {
		got, err := NormalizePhone(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

func TestNormalizePhoneRefused(t *testing.T) {
	tests := []struct{ in, msg string }{
		{"", "textus: invalid phone number: empty"},
		{"555-1234", `textus: invalid phone number: "555-1234" is neither E.164 nor a 10-digit North American number`},
		{"303-555-1234 x12", `textus: invalid phone number: "303-555-1234 x12" has an extension (12), which is not accepted here`},
		{"1035551234", `textus: invalid phone number: "1035551234" has area code 103; North American area codes start with 2 to 9`},
		{"303/555/1234", `textus: invalid phone number: "303/555/1234" contains '/'`},
		{"+12", `textus: invalid phone number: "+12" is not E.164 (+ and 8 to 15 digits, the first not 0)`},
	}
	for _, tt := range tests {
		got, err := NormalizePhone(tt.in)
		require.Error(t, err, tt.in)
		assert.ErrorIs(t, err, ErrInvalidPhone, tt.in)
		assert.EqualError(t, err, tt.msg)
		assert.Empty(t, got)
	}
	assert.EqualError(t, ErrInvalidPhone, "textus: invalid phone number")
}
