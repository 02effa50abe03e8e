package retry

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func resp(code int, retryAfter string) *http.Response {
	r := &http.Response{StatusCode: code, Header: http.Header{}}
	if retryAfter != "" {
		r.Header.Set("Retry-After", retryAfter)
	}
	return r
}

var (
	dialErr  = &url.Error{Op: "Post", URL: "https://x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}
	resetErr = &url.Error{Op: "Post", URL: "https://x", Err: &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}}
)

func TestDecideOrder(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	bg := context.Background()
	now := time.Now()
	cases := []struct {
		name      string
		ctx       context.Context
		method    string
		attempt   int
		resp      *http.Response
		err       error
		retry     bool
		reason    string
		maybeSent bool
	}{
		{"success", bg, "POST", 0, resp(201, ""), nil, false, ReasonDone, false},
		{"422 is final", bg, "POST", 0, resp(422, ""), nil, false, ReasonDone, false},
		{"404 GET is final", bg, "GET", 0, resp(404, ""), nil, false, ReasonDone, false},
		{"context done first", canceled, "GET", 0, resp(503, ""), nil, false, ReasonContextDone, false},
		{"context done on POST in flight", canceled, "POST", 0, nil, resetErr, false, ReasonContextDone, true},
		{"exhausted before never-sent", bg, "POST", 3, nil, dialErr, false, ReasonExhausted, false},
		{"exhausted GET", bg, "GET", 3, resp(503, ""), nil, false, ReasonExhausted, false},
		{"exhausted POST 500 is maybe sent", bg, "POST", 3, resp(500, ""), nil, false, ReasonExhausted, true},
		{"never sent POST", bg, "POST", 0, nil, dialErr, true, ReasonNeverSent, false},
		{"dns failure POST", bg, "POST", 0, nil, &net.DNSError{Err: "no such host", Name: "x"}, true, ReasonNeverSent, false},
		{"429 POST", bg, "POST", 0, resp(429, "1"), nil, true, ReasonRateLimited, false},
		{"429 too long", bg, "GET", 0, resp(429, "3600"), nil, false, ReasonWaitTooLong, false},
		{"503 too long", bg, "GET", 0, resp(503, "3600"), nil, false, ReasonWaitTooLong, false},
		{"GET 500", bg, "GET", 0, resp(500, ""), nil, true, ReasonIdempotentFailure, false},
		{"GET 502", bg, "GET", 1, resp(502, ""), nil, true, ReasonIdempotentFailure, false},
		{"PUT 503", bg, "PUT", 0, resp(503, ""), nil, true, ReasonIdempotentFailure, false},
		{"DELETE 504", bg, "DELETE", 0, resp(504, ""), nil, true, ReasonIdempotentFailure, false},
		{"GET 408", bg, "GET", 0, resp(408, ""), nil, true, ReasonIdempotentFailure, false},
		{"GET reset", bg, "GET", 0, nil, resetErr, true, ReasonIdempotentFailure, false},
		{"POST reset", bg, "POST", 0, nil, resetErr, false, ReasonMaybeSent, true},
		{"POST 500", bg, "POST", 0, resp(500, ""), nil, false, ReasonMaybeSent, true},
		{"POST 503 with short Retry-After", bg, "POST", 0, resp(503, "1"), nil, false, ReasonMaybeSent, true},
		{"POST 408", bg, "POST", 0, resp(408, ""), nil, false, ReasonMaybeSent, true},
		{"PATCH reset", bg, "PATCH", 0, nil, resetErr, false, ReasonMaybeSent, true},
		{"POST 501 is final but maybe sent", bg, "POST", 0, resp(501, ""), nil, false, ReasonDone, true},
		{"POST 422 is not maybe sent", bg, "POST", 0, resp(422, ""), nil, false, ReasonDone, false},
		{"stop error is final and not maybe sent", bg, "POST", 0, nil, &url.Error{Op: "Post", URL: "https://x", Err: &StopError{Err: errors.New("redirect refused")}}, false, ReasonStopped, false},
		{"stop error GET", bg, "GET", 0, nil, &StopError{Err: errors.New("redirect refused")}, false, ReasonStopped, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(Input{Ctx: tc.ctx, Method: tc.method, Attempt: tc.attempt, MaxRetries: 3,
				MaxWait: 30 * time.Second, Resp: tc.resp, Err: tc.err, Now: now})
			assert.Equal(t, tc.retry, d.Retry, "retry")
			assert.Equal(t, tc.reason, d.Reason, "reason")
			assert.Equal(t, tc.maybeSent, d.MaybeSent, "maybeSent")
		})
	}
}

func TestNeverSent(t *testing.T) {
	assert.True(t, NeverSent(dialErr))
	assert.True(t, NeverSent(&net.OpError{Op: "proxyconnect", Err: errors.New("x")}))
	assert.False(t, NeverSent(resetErr))
	assert.False(t, NeverSent(nil))
	assert.False(t, NeverSent(context.DeadlineExceeded))
	assert.False(t, NeverSent(errors.New("EOF")))
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	d, ok := ParseRetryAfter("120", now)
	require.True(t, ok)
	assert.Equal(t, 2*time.Minute, d)

	d, ok = ParseRetryAfter(" 0 ", now)
	require.True(t, ok)
	assert.Equal(t, time.Duration(0), d)

	d, ok = ParseRetryAfter(now.Add(90*time.Second).Format(http.TimeFormat), now)
	require.True(t, ok)
	assert.Equal(t, 90*time.Second, d)

	d, ok = ParseRetryAfter(now.Add(-time.Hour).Format(http.TimeFormat), now)
	require.True(t, ok)
	assert.Equal(t, time.Duration(0), d, "a past date means no wait")

	for _, bad := range []string{"", "soon", "-5", "1.5"} {
		_, ok := ParseRetryAfter(bad, now)
		assert.False(t, ok, bad)
	}
	d, ok = ParseRetryAfter("99999999999999999", now)
	require.True(t, ok)
	assert.Positive(t, d, "huge values must not overflow to a negative wait")
}

func TestBackoffBounds(t *testing.T) {
	min, max := 100*time.Millisecond, 2*time.Second
	for attempt := 0; attempt < 10; attempt++ {
		ceiling := min << attempt
		if ceiling > max {
			ceiling = max
		}
		for i := 0; i < 200; i++ {
			d := Backoff(min, max, attempt, nil, time.Now())
			require.GreaterOrEqual(t, d, min)
			require.LessOrEqual(t, d, ceiling, "attempt %d", attempt)
		}
	}
}

func TestBackoffHonoursRetryAfterCapped(t *testing.T) {
	now := time.Now()
	assert.Equal(t, 3*time.Second, Backoff(time.Millisecond, 10*time.Second, 0, resp(429, "3"), now))
	assert.Equal(t, 10*time.Second, Backoff(time.Millisecond, 10*time.Second, 0, resp(429, "60"), now))
	assert.Equal(t, time.Duration(0), Backoff(time.Millisecond, 10*time.Second, 0, resp(503, "0"), now))
}
