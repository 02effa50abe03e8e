package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// SignatureHeader is the request header that carries a delivery's
// signature: the lowercase hex HMAC-SHA256 of the raw body, keyed with the
// integration's webhook secret. (Go canonicalises it to
// "X-Textus-Signature"; Header.Get finds it either way.)
const SignatureHeader = "X-TextUs-Signature"

// Errors returned by Verify and CheckTimestamp, matched with errors.Is. No
// error carries a computed MAC, a secret or the body.
var (
	// ErrMissingSignature means the signature header was absent or blank.
	ErrMissingSignature = errors.New("webhooks: missing signature")
	// ErrInvalidSignature means the signature was malformed (not 64 hex
	// digits) or matched none of the secrets.
	ErrInvalidSignature = errors.New("webhooks: invalid signature")
	// ErrNoSecret means no non-empty secret was given to check against.
	ErrNoSecret = errors.New("webhooks: no webhook secret configured")
	// ErrTimestampOutOfRange means a delivery's timestamp is missing or
	// further from the current time than the configured tolerance.
	ErrTimestampOutOfRange = errors.New("webhooks: delivery timestamp outside the tolerance")
)

// Sign returns the signature TextUs sends for body: the lowercase hex
// HMAC-SHA256 of body keyed with secret (its UTF-8 bytes, "textus-" prefix
// included). Use it in tests to sign the bodies you post to a Handler.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	var sum [sha256.Size]byte
	return hex.EncodeToString(mac.Sum(sum[:0]))
}

// Verify reports whether signature (the SignatureHeader value) is a valid
// signature of body under any of secrets. body must be the request body
// exactly as received, before any JSON parsing.
//
// Surrounding whitespace is ignored and the hex may be upper or lower case;
// it must decode to 32 bytes. Every non-empty secret is tried (pass the
// current and the previous secret while rotating), and the MACs are
// compared in constant time.
//
// It returns nil on a match, an error wrapping ErrNoSecret when no
// non-empty secret is given, ErrMissingSignature for a blank signature,
// and an error wrapping ErrInvalidSignature otherwise.
func Verify(body []byte, signature string, secrets ...string) error {
	var keys int
	for _, s := range secrets {
		if s != "" {
			keys++
		}
	}
	if keys == 0 {
		return ErrNoSecret
	}
	want, err := decodeSignature(signature)
	if err != nil {
		return err
	}
	var sum [sha256.Size]byte
	for _, s := range secrets {
		if s == "" {
			continue
		}
		mac := hmac.New(sha256.New, []byte(s))
		mac.Write(body)
		if hmac.Equal(mac.Sum(sum[:0]), want[:]) {
			return nil
		}
	}
	return ErrInvalidSignature
}

// decodeSignature trims and hex-decodes a signature header value into the
// 32 bytes of a SHA-256 MAC, without allocating.
func decodeSignature(signature string) ([sha256.Size]byte, error) {
	var out [sha256.Size]byte
	sig := strings.TrimSpace(signature)
	if sig == "" {
		return out, ErrMissingSignature
	}
	if len(sig) != 2*sha256.Size {
		return out, fmt.Errorf("%w: want %d hex digits, got %d characters", ErrInvalidSignature, 2*sha256.Size, len(sig))
	}
	for i := 0; i < sha256.Size; i++ {
		hi, ok1 := fromHex(sig[2*i])
		lo, ok2 := fromHex(sig[2*i+1])
		if !ok1 || !ok2 {
			return out, fmt.Errorf("%w: not hexadecimal", ErrInvalidSignature)
		}
		out[i] = hi<<4 | lo
	}
	return out, nil
}

func fromHex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// CheckTimestamp is the freshness check of WithTolerance: it returns nil
// when ts is within tolerance of now in either direction (a clock running
// ahead of or behind the sender's), and an error wrapping
// ErrTimestampOutOfRange when ts is zero (the delivery had no readable
// timestamp) or further away. A tolerance <= 0 accepts everything.
//
// Use it with Verify and textus.ParseEvent when you do not use Handler:
// the body's timestamp is covered by the signature, so check it only after
// Verify succeeded.
func CheckTimestamp(ts time.Time, tolerance time.Duration, now time.Time) error {
	if tolerance <= 0 {
		return nil
	}
	if ts.IsZero() {
		return fmt.Errorf("%w: the delivery has no readable timestamp", ErrTimestampOutOfRange)
	}
	skew := now.Sub(ts)
	if skew > tolerance {
		return fmt.Errorf("%w: %s old, tolerance %s", ErrTimestampOutOfRange, skew.Round(time.Second), tolerance)
	}
	if -skew > tolerance {
		return fmt.Errorf("%w: %s in the future, tolerance %s", ErrTimestampOutOfRange, (-skew).Round(time.Second), tolerance)
	}
	return nil
}
