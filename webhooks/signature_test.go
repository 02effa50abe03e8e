package webhooks

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The §4.2 vector of the webhook contract.
const (
	vectorSecret = "textus-HOTh4kXxHIbYst0xutpkdw"
	vectorBody   = `{"@type":"WebhookDelivery","id":"/integrations/h13Jc5/deliveries/xyz","timestamp":"2018-07-24T20:59:32.156Z","action":"message.received","webHook":"/integrations/h13Jc5"}`
	vectorSig    = "e56ad2fb2781db42fab485897338bb15b11fb38da9cd6df9dcc6e85a07467942"
)

func TestSpecVector(t *testing.T) {
	require.Len(t, vectorBody, 170)
	assert.Equal(t, vectorSig, Sign(vectorSecret, []byte(vectorBody)))
	assert.NoError(t, Verify([]byte(vectorBody), vectorSig, vectorSecret), "lower case")
	assert.NoError(t, Verify([]byte(vectorBody), strings.ToUpper(vectorSig), vectorSecret), "upper case")
	mixed := strings.ToUpper(vectorSig[:32]) + vectorSig[32:]
	assert.NoError(t, Verify([]byte(vectorBody), mixed, vectorSecret), "mixed case")
}

func TestVerifyAccepts(t *testing.T) {
	body := []byte(vectorBody)
	for name, sig := range map[string]string{
		"leading and trailing space": "  " + vectorSig + " ",
		"tab and newline":            "\t" + vectorSig + "\r\n",
	} {
		assert.NoError(t, Verify(body, sig, vectorSecret), name)
	}
}

func TestVerifyRejects(t *testing.T) {
	body := []byte(vectorBody)
	cases := []struct {
		name    string
		body    string
		sig     string
		secrets []string
		want    error
	}{
		{"tampered body", strings.Replace(vectorBody, "xyz", "xyZ", 1), vectorSig, []string{vectorSecret}, ErrInvalidSignature},
		{"re-serialised body", strings.ReplaceAll(vectorBody, `":"`, `": "`), vectorSig, []string{vectorSecret}, ErrInvalidSignature},
		{"trailing newline in body", vectorBody + "\n", vectorSig, []string{vectorSecret}, ErrInvalidSignature},
		{"wrong secret", vectorBody, vectorSig, []string{"textus-wrong"}, ErrInvalidSignature},
		{"secret with whitespace", vectorBody, vectorSig, []string{vectorSecret + "\n"}, ErrInvalidSignature},
		{"empty header", vectorBody, "", []string{vectorSecret}, ErrMissingSignature},
		{"blank header", vectorBody, "   ", []string{vectorSecret}, ErrMissingSignature},
		{"non-hex", vectorBody, "g" + vectorSig[1:], []string{vectorSecret}, ErrInvalidSignature},
		{"too short", vectorBody, vectorSig[:62], []string{vectorSecret}, ErrInvalidSignature},
		{"odd length", vectorBody, vectorSig[:63], []string{vectorSecret}, ErrInvalidSignature},
		{"too long", vectorBody, vectorSig + "00", []string{vectorSecret}, ErrInvalidSignature},
		{"prefixed", vectorBody, "sha256=" + vectorSig, []string{vectorSecret}, ErrInvalidSignature},
		{"base64", vectorBody, "5WrS+yeB20L6tIWJczi7FbEfs42pzW353MboWgdGeUI=", []string{vectorSecret}, ErrInvalidSignature},
		{"inner space", vectorBody, vectorSig[:32] + " " + vectorSig[33:], []string{vectorSecret}, ErrInvalidSignature},
		{"no secrets", vectorBody, vectorSig, nil, ErrNoSecret},
		{"only empty secrets", vectorBody, vectorSig, []string{"", ""}, ErrNoSecret},
		{"no secrets and no signature", vectorBody, "", nil, ErrNoSecret},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Verify([]byte(tc.body), tc.sig, tc.secrets...)
			require.ErrorIs(t, err, tc.want)
			msg := err.Error()
			assert.NotContains(t, msg, vectorSecret)
			assert.NotContains(t, msg, vectorSig)
			assert.NotContains(t, msg, Sign("textus-wrong", body))
			assert.NotContains(t, msg, "deliveries")
		})
	}
}

func TestVerifyRotation(t *testing.T) {
	body := []byte(vectorBody)
	assert.NoError(t, Verify(body, vectorSig, "textus-new-secret", vectorSecret), "second secret matches")
	assert.NoError(t, Verify(body, vectorSig, vectorSecret, "textus-new-secret"), "first secret matches")
	assert.NoError(t, Verify(body, vectorSig, "", vectorSecret), "empty secrets are skipped")
	assert.ErrorIs(t, Verify(body, vectorSig, "textus-a", "textus-b"), ErrInvalidSignature)
}

func TestCheckTimestamp(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	tol := 5 * time.Minute
	assert.NoError(t, CheckTimestamp(now, tol, now))
	assert.NoError(t, CheckTimestamp(now.Add(-tol), tol, now), "edge in the past")
	assert.NoError(t, CheckTimestamp(now.Add(tol), tol, now), "edge in the future")
	assert.NoError(t, CheckTimestamp(now.Add(-4*time.Minute).In(time.FixedZone("", -5*3600)), tol, now), "offsets do not matter")
	assert.ErrorIs(t, CheckTimestamp(now.Add(-tol-time.Second), tol, now), ErrTimestampOutOfRange)
	assert.ErrorIs(t, CheckTimestamp(now.Add(tol+time.Second), tol, now), ErrTimestampOutOfRange)
	assert.ErrorIs(t, CheckTimestamp(time.Time{}, tol, now), ErrTimestampOutOfRange)
	assert.NoError(t, CheckTimestamp(time.Time{}, 0, now), "tolerance 0 is off")
}
