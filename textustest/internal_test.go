package textustest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/internal/phone"
)

// The fake's rules: any area code, an extension only on contact phones.
func TestFakePhoneRules(t *testing.T) {
	for in, want := range map[string]string{
		"+13035551234":   "+13035551234",
		"(303) 555-1234": "+13035551234",
		"1-103-555-1234": "+11035551234",
		"303/555/1234":   "+13035551234",
	} {
		got, err := parseE164(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := parseE164("303-555-1234 x12")
	assert.ErrorIs(t, err, textus.ErrInvalidPhone, "no extension where a number stands alone")
	n, err := phone.Parse("1-103-555-1234 x12", contactPhoneRules)
	require.NoError(t, err)
	assert.Equal(t, phone.Number{E164: "+11035551234", Extension: "12"}, n)
}

func TestMatchPattern(t *testing.T) {
	for _, c := range []struct {
		pattern, path string
		want          bool
	}{
		{"/:account/messages", "/acme/messages", true},
		{"/:account/messages", "/messages", false},
		{"/:account/messages", "/acme/messages/schedule", false},
		{"/contacts/*", "/contacts/abc", true},
		{"/contacts/*", "/contacts/abc/conversations", true},
		{"/contacts/*", "/contacts", false},
		{"/accounts", "/accounts/", true},
		{"", "/anything", false},
	} {
		assert.Equal(t, c.want, matchPattern(c.pattern, c.path), "%s %s", c.pattern, c.path)
	}
}

func TestCursor(t *testing.T) {
	for _, n := range []int{0, 1, 25, 1000} {
		got, ok := decodeCursor(encodeCursor(n))
		assert.True(t, ok)
		assert.Equal(t, n, got)
	}
	for _, bad := range []string{"!!", "MjU", "bzotMQ"} {
		_, ok := decodeCursor(bad)
		assert.False(t, ok, bad)
	}
}
