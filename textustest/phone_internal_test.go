package textustest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParsePhone(t *testing.T) {
	for in, want := range map[string]parsedPhone{
		"+13035551234":           {e164: "+13035551234"},
		"+44 20 7946 0958":       {e164: "+442079460958"},
		"(303) 555-1234":         {e164: "+13035551234"},
		"303.555.1234":           {e164: "+13035551234"},
		"1-303-123-4567":         {e164: "+13031234567"},
		"1-303-123-4567 x2921":   {e164: "+13031234567", extension: "2921"},
		"303-555-1234 ext. 12":   {e164: "+13035551234", extension: "12"},
		"303-555-1234 Ext 7":     {e164: "+13035551234", extension: "7"},
		"3035551234 extension 9": {e164: "+13035551234", extension: "9"},
		"3035551234#44":          {e164: "+13035551234", extension: "44"},
	} {
		got, err := parsePhone(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "  ", "555-1234", "call me", "+0123456789", "+1234567", "12345678901234567", "303-555-1234 x"} {
		_, err := parsePhone(in)
		assert.ErrorIs(t, err, errBadPhone, in)
	}
	_, err := parseE164("303-555-1234 x12")
	assert.ErrorIs(t, err, errBadPhone, "no extension where a plain number is expected")

	assert.Equal(t, "(303) 555-1234", displayPhone("+13035551234"))
	assert.Equal(t, "+442079460958", displayPhone("+442079460958"))
	assert.Equal(t, "3035551234", nationalPhone("+13035551234"))
	assert.Equal(t, "442079460958", nationalPhone("+442079460958"))
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
