package textus

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/textus-go/textus/internal/retry"
)

const (
	mockBase  = "https://api.textus.test"
	mockToken = "tok_SECRET_5f3c9a"
)

// newMockClient returns a client whose inner *http.Client is driven by an
// httpmock transport, plus that transport for registering responders and
// counting attempts.
func newMockClient(t *testing.T, opts ...Option) (*Client, *httpmock.MockTransport) {
	t.Helper()
	hc := &http.Client{}
	mt := httpmock.NewMockTransport()
	hc.Transport = mt
	base := []Option{
		WithBaseURL(mockBase), WithAccount("my_account"), WithHTTPClient(hc),
		WithRetryWait(time.Millisecond, 5*time.Millisecond), WithRateLimit(0, 0),
	}
	c, err := NewClient(mockToken, append(base, opts...)...)
	require.NoError(t, err)
	return c, mt
}

// capture returns a logger writing every level to a buffer.
func capture() (*slog.Logger, *lockedBuffer) {
	buf := &lockedBuffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

const contactJSON = `{"@type":"Contact","id":"/contacts/DQeeO69","name":"Cordell Walker"}`
const messageJSON = `{"@type":"Message","id":"/messages/QNDkpL","direction":"out","body":"hi","deliveryState":"queued","conversation":"/conversations/kY1QwY"}`

var (
	errReset   = &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	errRefused = &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	errTimeout = &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
)

// sequence answers with the given responders in turn (the last repeats).
func sequence(rs ...httpmock.Responder) httpmock.Responder {
	var mu sync.Mutex
	i := 0
	return func(req *http.Request) (*http.Response, error) {
		mu.Lock()
		r := rs[min(i, len(rs)-1)]
		i++
		mu.Unlock()
		return r(req)
	}
}

func status(code int, body string) httpmock.Responder {
	return httpmock.NewStringResponder(code, body)
}

func fail(err error) httpmock.Responder { return httpmock.NewErrorResponder(err) }

func sendParams() *SendMessageParams {
	return &SendMessageParams{To: "(303) 555-1234", Body: "Your interview is at 3pm"}
}

func TestRequestHeaders(t *testing.T) {
	c, mt := newMockClient(t, WithUserAgent("acme-ats/2.1"))
	mt.RegisterResponder("POST", mockBase+"/my_account/messages", func(r *http.Request) (*http.Response, error) {
		assert.Equal(t, "Bearer "+mockToken, r.Header.Get("Authorization"))
		assert.Equal(t, "application/vnd.textus+jsonld", r.Header.Get("Accept"))
		assert.Equal(t, "application/vnd.textus+jsonld", r.Header.Get("Content-Type"))
		assert.Equal(t, "acme-ats/2.1 textus-go/"+Version, r.Header.Get("User-Agent"))
		b, _ := io.ReadAll(r.Body)
		assert.JSONEq(t, `{"to":"+13035551234","body":"Your interview is at 3pm"}`, string(b))
		return httpmock.NewStringResponse(201, messageJSON), nil
	})
	mt.RegisterResponder("GET", mockBase+"/contacts/DQeeO69", func(r *http.Request) (*http.Response, error) {
		assert.Empty(t, r.Header.Get("Content-Type"), "no body, no Content-Type")
		assert.Equal(t, "application/vnd.textus+jsonld", r.Header.Get("Accept"))
		assert.Equal(t, "textus-go/"+Version, r.Header.Get("User-Agent")[len("acme-ats/2.1 "):])
		return httpmock.NewStringResponse(200, contactJSON), nil
	})
	m, err := c.Messages.Send(context.Background(), sendParams())
	require.NoError(t, err)
	assert.Equal(t, "/messages/QNDkpL", m.ID)
	_, err = c.Contacts.Get(context.Background(), "DQeeO69")
	require.NoError(t, err)
}

func TestIdempotentRetriedOnTransientFailures(t *testing.T) {
	failures := map[string]httpmock.Responder{
		"reset":   fail(errReset),
		"timeout": fail(errTimeout),
		"refused": fail(errRefused),
		"408":     status(408, ""),
		"429":     status(429, ""),
		"500":     status(500, ""),
		"502":     status(502, ""),
		"503":     status(503, ""),
		"504":     status(504, ""),
	}
	for name, f := range failures {
		t.Run("GET "+name, func(t *testing.T) {
			c, mt := newMockClient(t)
			mt.RegisterResponder("GET", mockBase+"/contacts/DQeeO69", sequence(f, f, status(200, contactJSON)))
			ct, err := c.Contacts.Get(context.Background(), "/contacts/DQeeO69")
			require.NoError(t, err)
			assert.Equal(t, "Cordell Walker", ct.Name)
			assert.Equal(t, 3, mt.GetTotalCallCount())
		})
		t.Run("PUT "+name, func(t *testing.T) {
			c, mt := newMockClient(t)
			mt.RegisterResponder("PUT", mockBase+"/my_account/opt_outs/3035551234",
				sequence(f, status(201, `{"id":"/textus/opt_outs/+13035551234"}`)))
			o, err := c.OptOuts.Create(context.Background(), "+13035551234")
			require.NoError(t, err)
			assert.Equal(t, "+13035551234", o.PhoneNumber)
			assert.Equal(t, 2, mt.GetTotalCallCount())
		})
	}
}

func TestNonRetryableStatusNotRetried(t *testing.T) {
	for _, code := range []int{400, 401, 403, 404, 409, 422, 501} {
		c, mt := newMockClient(t)
		mt.RegisterResponder("GET", mockBase+"/contacts/x", status(code, `{"error":"nope"}`))
		_, err := c.Contacts.Get(context.Background(), "x")
		require.Error(t, err)
		assert.Equal(t, 1, mt.GetTotalCallCount(), "status %d", code)
	}
}

func TestPOSTNeverResentAfterItMayHaveArrived(t *testing.T) {
	cases := map[string]httpmock.Responder{
		"reset":   fail(errReset),
		"timeout": fail(errTimeout),
		"EOF":     fail(io.ErrUnexpectedEOF),
		"500":     status(500, `{"error":"boom"}`),
		"502":     status(502, ""),
		"503":     status(503, ""),
		"504":     status(504, ""),
		"408":     status(408, ""),
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			logger, logs := capture()
			c, mt := newMockClient(t, WithMaxRetries(5), WithLogger(logger))
			mt.RegisterResponder("POST", mockBase+"/my_account/messages", sequence(f, status(201, messageJSON)))
			m, err := c.Messages.Send(context.Background(), sendParams())
			require.Error(t, err)
			assert.Nil(t, m)
			assert.True(t, errors.Is(err, ErrOutcomeUnknown), "outcome unknown: %v", err)
			assert.Equal(t, 1, mt.GetTotalCallCount(), "a POST that may have arrived is never re-sent")
			assert.Contains(t, err.Error(), "outcome unknown")
			assert.Contains(t, logs.String(), retry.ReasonMaybeSent)
			var apiErr *APIError
			if errors.As(err, &apiErr) {
				assert.Equal(t, "POST", apiErr.Method)
				assert.True(t, apiErr.OutcomeUnknown)
			}
		})
	}
}

func TestPOSTRetriedWhenProvablyNotProcessed(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder("POST", mockBase+"/my_account/messages",
			sequence(fail(errRefused), fail(errRefused), status(201, messageJSON)))
		m, err := c.Messages.Send(context.Background(), sendParams())
		require.NoError(t, err)
		assert.Equal(t, "/messages/QNDkpL", m.ID)
		assert.Equal(t, 3, mt.GetTotalCallCount())
	})
	t.Run("429", func(t *testing.T) {
		c, mt := newMockClient(t)
		mt.RegisterResponder("POST", mockBase+"/my_account/messages",
			sequence(status(429, `{"error":"slow down"}`), status(201, messageJSON)))
		_, err := c.Messages.Send(context.Background(), sendParams())
		require.NoError(t, err)
		assert.Equal(t, 2, mt.GetTotalCallCount())
	})
	t.Run("refused until exhausted is not outcome-unknown", func(t *testing.T) {
		c, mt := newMockClient(t, WithMaxRetries(2))
		mt.RegisterResponder("POST", mockBase+"/my_account/messages", fail(errRefused))
		_, err := c.Messages.Send(context.Background(), sendParams())
		require.Error(t, err)
		assert.False(t, errors.Is(err, ErrOutcomeUnknown), "nothing reached the server: %v", err)
		assert.True(t, errors.Is(err, syscall.ECONNREFUSED))
		assert.Equal(t, 3, mt.GetTotalCallCount())
	})
	t.Run("429 until exhausted", func(t *testing.T) {
		c, mt := newMockClient(t, WithMaxRetries(2))
		mt.RegisterResponder("POST", mockBase+"/my_account/messages", status(429, `{"error":"slow down"}`))
		_, err := c.Messages.Send(context.Background(), sendParams())
		require.Error(t, err)
		assert.True(t, errors.Is(err, ErrRateLimited))
		assert.False(t, errors.Is(err, ErrOutcomeUnknown))
		assert.Equal(t, 3, mt.GetTotalCallCount())
	})
}

func TestMaxRetriesMeansRetries(t *testing.T) {
	for _, n := range []int{0, 1, 4} {
		c, mt := newMockClient(t, WithMaxRetries(n))
		mt.RegisterResponder("GET", mockBase+"/contacts/x", status(503, ""))
		_, err := c.Contacts.Get(context.Background(), "x")
		require.Error(t, err)
		assert.Equal(t, n+1, mt.GetTotalCallCount(), "WithMaxRetries(%d)", n)
	}
}

func TestExhaustedReturnsLastResponseAsAPIError(t *testing.T) {
	c, mt := newMockClient(t, WithMaxRetries(2))
	mt.RegisterResponder("GET", mockBase+"/contacts/x", sequence(
		status(503, `{"error":"first"}`),
		status(502, `{"error":"second"}`),
		status(500, `{"hydra:title":"Internal Server Error","hydra:description":"database unavailable"}`),
	))
	_, err := c.Contacts.Get(context.Background(), "x")
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 500, apiErr.StatusCode)
	assert.Equal(t, "database unavailable", apiErr.Message, "a title that repeats the status text is left out")
	assert.Contains(t, err.Error(), ": 500 Internal Server Error: database unavailable")
	assert.Contains(t, string(apiErr.Body), "database unavailable")
	assert.Equal(t, "GET", apiErr.Method)
	assert.Equal(t, mockBase+"/contacts/x", apiErr.URL)
	assert.NotContains(t, err.Error(), "giving up")
	assert.False(t, errors.Is(err, ErrOutcomeUnknown), "a GET is never outcome-unknown")
}

func TestRetryAfterBeyondMaxWaitFailsAtOnce(t *testing.T) {
	c, mt := newMockClient(t, WithRetryWait(time.Millisecond, 2*time.Second), WithMaxRetries(5))
	mt.RegisterResponder("GET", mockBase+"/contacts/x", func(*http.Request) (*http.Response, error) {
		r := httpmock.NewStringResponse(429, `{"error":"Too many requests"}`)
		r.Header.Set("Retry-After", "3600")
		return r, nil
	})
	mt.RegisterResponder("POST", mockBase+"/my_account/messages", func(*http.Request) (*http.Response, error) {
		r := httpmock.NewStringResponse(429, `{"error":"Too many requests"}`)
		r.Header.Set("Retry-After", time.Now().Add(2*time.Hour).UTC().Format(http.TimeFormat))
		return r, nil
	})
	_, err := c.Contacts.Get(context.Background(), "x")
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrRateLimited))
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, time.Hour, apiErr.RetryAfter, "carries the requested wait")
	assert.Contains(t, err.Error(), "retry after 1h0m0s")

	_, err = c.Messages.Send(context.Background(), sendParams())
	require.ErrorAs(t, err, &apiErr)
	assert.True(t, errors.Is(err, ErrRateLimited))
	assert.False(t, errors.Is(err, ErrOutcomeUnknown), "a 429 was refused, not processed")
	assert.Greater(t, apiErr.RetryAfter, 119*time.Minute)
	assert.Equal(t, 2, mt.GetTotalCallCount(), "one attempt each, no sleeping")
}

func TestRetryAfterWithinMaxWaitIsRetried(t *testing.T) {
	c, mt := newMockClient(t, WithRetryWait(time.Millisecond, 2*time.Second))
	rl := func(*http.Request) (*http.Response, error) {
		r := httpmock.NewStringResponse(429, "")
		r.Header.Set("Retry-After", "0")
		return r, nil
	}
	mt.RegisterResponder("GET", mockBase+"/contacts/x", sequence(rl, status(200, contactJSON)))
	_, err := c.Contacts.Get(context.Background(), "x")
	require.NoError(t, err)
	assert.Equal(t, 2, mt.GetTotalCallCount())
}

func TestContextCancelInterruptsBackoff(t *testing.T) {
	c, mt := newMockClient(t, WithRetryWait(time.Hour, time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	mt.RegisterResponder("GET", mockBase+"/contacts/x", func(*http.Request) (*http.Response, error) {
		// Cancel once the client is in its hour-long backoff wait; the
		// wait must end then, not in an hour.
		time.AfterFunc(20*time.Millisecond, cancel)
		return httpmock.NewStringResponse(503, ""), nil
	})
	_, err := c.Contacts.Get(ctx, "x")
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.Canceled), "%v", err)
	assert.Equal(t, 1, mt.GetTotalCallCount())
}

func TestContextCancelInterruptsPacing(t *testing.T) {
	c, mt := newMockClient(t, WithRateLimit(1, time.Hour))
	mt.RegisterResponder("GET", mockBase+"/contacts/x", status(200, contactJSON))
	_, err := c.Contacts.Get(context.Background(), "x")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = c.Messages.Send(ctx, sendParams()) // must wait an hour for a token
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
	assert.False(t, errors.Is(err, ErrOutcomeUnknown), "stopped before sending")
	assert.Equal(t, 1, mt.GetTotalCallCount(), "the paced request was never sent")
}

func TestCanceledPOSTInFlightIsOutcomeUnknown(t *testing.T) {
	c, mt := newMockClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	mt.RegisterResponder("POST", mockBase+"/my_account/messages", func(*http.Request) (*http.Response, error) {
		cancel()
		return nil, context.Canceled
	})
	_, err := c.Messages.Send(ctx, sendParams())
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.Canceled))
	assert.True(t, errors.Is(err, ErrOutcomeUnknown))
	assert.Equal(t, 1, mt.GetTotalCallCount())
}

func TestSentinels(t *testing.T) {
	cases := map[int]error{401: ErrUnauthorized, 403: ErrForbidden, 404: ErrNotFound, 422: ErrValidation, 429: ErrRateLimited}
	for code, sentinel := range cases {
		c, mt := newMockClient(t, WithMaxRetries(0))
		mt.RegisterResponder("GET", mockBase+"/contacts/x", status(code, `{"message":"m"}`))
		_, err := c.Contacts.Get(context.Background(), "x")
		assert.True(t, errors.Is(err, sentinel), "%d", code)
		for other, s := range cases {
			if other != code {
				assert.False(t, errors.Is(err, s), "%d must not match the sentinel of %d", code, other)
			}
		}
		assert.False(t, errors.Is(err, ErrOutcomeUnknown))
	}
}

func TestErrorMessageExtraction(t *testing.T) {
	cases := []struct{ body, want string }{
		{`{"@type":"hydra:Error","hydra:title":"Unprocessable Entity","hydra:description":"to: has opted out"}`, "Unprocessable Entity: to: has opted out"},
		{`{"hydra:description":"only a description"}`, "only a description"},
		{`{"hydra:title":"only a title"}`, "only a title"},
		{`{"error":"invalid token"}`, "invalid token"},
		{`{"error":{"message":"nested message","code":12}}`, "nested message"},
		{`{"message":"plain message"}`, "plain message"},
		{`{"errors":["first","second"]}`, "first; second"},
		{`{"errors":{"body":["can't be blank"],"to":["is invalid"]}}`, "body can't be blank; to is invalid"},
		{`<html><body>Bad Gateway</body></html>`, ""},
		{``, ""},
		{`{"unrelated":true}`, ""},
		{`{"error":`, ""},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, errorMessage([]byte(tc.body), "Bad Request"), tc.body)
	}
	c, mt := newMockClient(t)
	mt.RegisterResponder("GET", mockBase+"/contacts/x", status(404, `<html>not found</html>`))
	_, err := c.Contacts.Get(context.Background(), "x")
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "Not Found", apiErr.Message, "falls back to the status text")
	assert.Equal(t, "textus: GET https://api.textus.test/contacts/x: 404 Not Found", err.Error())
}

func TestErrorBodyIsCapped(t *testing.T) {
	c, mt := newMockClient(t)
	big := `{"error":"` + strings.Repeat("x", 1<<20) + `"}`
	mt.RegisterResponder("GET", mockBase+"/contacts/x", status(400, big))
	_, err := c.Contacts.Get(context.Background(), "x")
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Len(t, apiErr.Body, maxErrorBody)
}

func TestTokenNeverInErrorsOrLogs(t *testing.T) {
	logger, logs := capture()
	c, mt := newMockClient(t, WithLogger(logger), WithMaxRetries(2))
	echo := func(r *http.Request) (*http.Response, error) {
		// A hostile or buggy server echoing the request headers back.
		return httpmock.NewStringResponse(500, `{"error":"bad auth header `+r.Header.Get("Authorization")+`"}`), nil
	}
	mt.RegisterResponder("GET", mockBase+"/contacts/a", echo)
	mt.RegisterResponder("GET", mockBase+"/contacts/b", fail(errReset))
	mt.RegisterResponder("POST", mockBase+"/my_account/messages", fail(errTimeout))
	mt.RegisterResponder("POST", mockBase+"/my_account/contacts", status(503, ""))
	ctx := context.Background()
	var errs []error
	_, err := c.Contacts.Get(ctx, "b")
	errs = append(errs, err)
	_, err = c.Messages.Send(ctx, sendParams())
	errs = append(errs, err)
	_, err = c.Contacts.Create(ctx, &ContactParams{Name: "x"})
	errs = append(errs, err)
	_, err = c.Contacts.Get(ctx, "a")
	require.Error(t, err)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.NotContains(t, string(apiErr.Body), mockToken, "an echoed token is scrubbed from the body too")
	assert.Contains(t, string(apiErr.Body), "bad auth header Bearer [REDACTED]")
	errs = append(errs, err)
	for _, e := range errs {
		require.Error(t, e)
		assert.NotContains(t, e.Error(), mockToken)
	}
	require.NotEmpty(t, logs.String())
	assert.NotContains(t, logs.String(), mockToken)
	assert.NotContains(t, logs.String(), "Bearer")
	assert.NotContains(t, c.String(), mockToken)
	assert.Contains(t, logs.String(), "reason=")
}

func TestRateStateAndPacing(t *testing.T) {
	c, mt := newMockClient(t, WithRetryWait(time.Millisecond, 40*time.Second))
	reset := time.Now().Add(30 * time.Second).Unix()
	mt.RegisterResponder("GET", mockBase+"/contacts/x", func(*http.Request) (*http.Response, error) {
		r := httpmock.NewStringResponse(200, contactJSON)
		r.Header.Set("X-RateLimit-Limit", "1000")
		r.Header.Set("X-RateLimit-Remaining", "0")
		r.Header.Set("X-RateLimit-Reset", strconv.FormatInt(reset, 10))
		return r, nil
	})
	assert.Equal(t, Rate{}, c.Rate())
	_, err := c.Contacts.Get(context.Background(), "x")
	require.NoError(t, err)
	other := c.ForAccount("other")
	assert.Equal(t, Rate{Limit: 1000, Remaining: 0, Reset: time.Unix(reset, 0)}, other.Rate(), "copies share rate state")
	// The next request (from any copy) is held until the window resets.
	wait := other.core.block.remaining(time.Now())
	assert.Greater(t, wait, 20*time.Second)
	assert.LessOrEqual(t, wait, 30*time.Second)
	// A later response from the same window does not lift the block; one
	// from the next window does.
	c.core.block.observe(Rate{Limit: 1000, Remaining: 5, Reset: time.Unix(reset-300, 0)})
	assert.Greater(t, c.core.block.remaining(time.Now()), 20*time.Second, "a late answer of an earlier window")
	c.core.block.observe(Rate{Limit: 1000, Remaining: 999, Reset: time.Unix(reset+300, 0)})
	assert.Zero(t, c.core.block.remaining(time.Now()), "the next window lifts the block")
}

func TestForAccountAndNoAccount(t *testing.T) {
	c, mt := newMockClient(t)
	mt.RegisterResponder("GET", mockBase+"/other_acct/contacts", status(200, `{"members":[],"totalItems":0}`))
	other := c.ForAccount("/accounts/other_acct")
	assert.Equal(t, "other_acct", other.Account())
	assert.Equal(t, "my_account", c.Account(), "the original is unchanged")
	for _, err := range other.Contacts.List(context.Background(), nil) {
		require.NoError(t, err)
	}
	assert.Equal(t, 1, mt.GetTotalCallCount())
	assert.Same(t, other, other.Contacts.client, "services are bound to the copy")

	none, err := NewClient(mockToken, WithBaseURL(mockBase), WithHTTPClient(&http.Client{Transport: mt}))
	require.NoError(t, err)
	_, err = none.Messages.Send(context.Background(), sendParams())
	assert.ErrorIs(t, err, ErrNoAccount)
	_, err = none.ForAccount("").OptOuts.Create(context.Background(), "3035551234")
	assert.ErrorIs(t, err, ErrNoAccount)
	assert.Equal(t, 1, mt.GetTotalCallCount(), "nothing sent without an account")
}

func TestNewClientValidation(t *testing.T) {
	bad := map[string][]Option{
		"base no scheme":  {WithBaseURL("next.textus.com")},
		"base ftp":        {WithBaseURL("ftp://next.textus.com")},
		"base userinfo":   {WithBaseURL("https://u:p@next.textus.com")},
		"base query":      {WithBaseURL("https://next.textus.com/?x=1")},
		"negative retry":  {WithMaxRetries(-1)},
		"wait min zero":   {WithRetryWait(0, time.Second)},
		"wait max < min":  {WithRetryWait(time.Second, time.Millisecond)},
		"rate period":     {WithRateLimit(10, 0)},
		"nil logger":      {WithLogger(nil)},
		"nil http client": {WithHTTPClient(nil)},
		"empty account":   {WithAccount(" ")},
		"bad account":     {WithAccount("a/b")},
		"user agent ctl":  {WithUserAgent("x\r\ny")},
		"nil option":      {nil},
	}
	for name, opts := range bad {
		_, err := NewClient(mockToken, opts...)
		assert.Error(t, err, name)
		if err != nil {
			assert.NotContains(t, err.Error(), mockToken)
		}
	}
	_, err := NewClient("")
	assert.Error(t, err)
	_, err = NewClient("   ")
	assert.Error(t, err)
	c, err := NewClient(mockToken, WithRateLimit(0, 0), WithRateLimit(-5, -time.Second))
	require.NoError(t, err, "requests <= 0 disables pacing whatever per is")
	assert.Equal(t, DefaultBaseURL, c.BaseURL())
	c, err = NewClient(mockToken, WithBaseURL("https://proxy.example/textus/"))
	require.NoError(t, err)
	assert.Equal(t, "https://proxy.example/textus", c.BaseURL())
}

func TestBasePathPrefixAndLinks(t *testing.T) {
	c, mt := newMockClient(t, WithBaseURL("https://proxy.example/textus"))
	mt.RegisterResponder("GET", "https://proxy.example/textus/contacts/x", status(200, contactJSON))
	_, err := c.Contacts.Get(context.Background(), "x")
	require.NoError(t, err)
	for link, want := range map[string]string{
		"/my_account/contacts?cursor=MjU":        "https://proxy.example/textus/my_account/contacts?cursor=MjU",
		"/textus/my_account/contacts?cursor=MjU": "https://proxy.example/textus/my_account/contacts?cursor=MjU",
		"https://proxy.example/x?cursor=a%2Bb":   "https://proxy.example/x?cursor=a%2Bb",
	} {
		got, err := c.resolve(link)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	for _, link := range []string{"https://evil.example/steal", "http://proxy.example/x", "relative", ""} {
		_, err := c.resolve(link)
		assert.Error(t, err, link)
	}
}

func TestNilContext(t *testing.T) {
	c, mt := newMockClient(t)
	//lint:ignore SA1012 deliberately passing a nil context
	_, err := c.Contacts.Get(nil, "x") //nolint:staticcheck
	assert.Error(t, err)
	assert.Zero(t, mt.GetTotalCallCount())
}

func TestPaginationCycleEnds(t *testing.T) {
	c, mt := newMockClient(t)
	page := func(id, next string) httpmock.Responder {
		return status(200, `{"members":[{"id":"/contacts/`+id+`"}],"totalItems":9,"view":{"next":"`+next+`"}}`)
	}
	mt.RegisterResponder("GET", mockBase+"/my_account/contacts", page("a", "/my_account/contacts?cursor=B"))
	mt.RegisterResponder("GET", mockBase+"/my_account/contacts?cursor=B", page("b", mockBase+"/my_account/contacts"))
	var ids []string
	var errs []error
	for ct, err := range c.Contacts.List(context.Background(), nil) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ids = append(ids, ct.ID)
	}
	assert.Equal(t, []string{"/contacts/a", "/contacts/b"}, ids)
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0].Error(), "pagination loop")
	assert.Equal(t, 2, mt.GetTotalCallCount())
}

func TestExhaustedBudgetBeyondMaxWaitFailsWithoutSending(t *testing.T) {
	c, mt := newMockClient(t, WithRetryWait(time.Millisecond, 2*time.Second))
	reset := time.Now().Add(time.Hour).Unix()
	mt.RegisterResponder("GET", mockBase+"/contacts/x", func(*http.Request) (*http.Response, error) {
		r := httpmock.NewStringResponse(200, contactJSON)
		r.Header.Set("X-RateLimit-Limit", "1000")
		r.Header.Set("X-RateLimit-Remaining", "0")
		r.Header.Set("X-RateLimit-Reset", strconv.FormatInt(reset, 10))
		return r, nil
	})
	_, err := c.Contacts.Get(context.Background(), "x")
	require.NoError(t, err)
	_, err = c.Messages.Send(context.Background(), sendParams())
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrRateLimited))
	assert.False(t, errors.Is(err, ErrOutcomeUnknown))
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Greater(t, apiErr.RetryAfter, 59*time.Minute)
	assert.Equal(t, 1, mt.GetTotalCallCount(), "the send was not attempted")
}

func TestReplacedDefaultTransportIsUsed(t *testing.T) {
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("GET", mockBase+"/contacts/x", status(200, contactJSON))
	saved := http.DefaultTransport
	http.DefaultTransport = mt
	defer func() { http.DefaultTransport = saved }()
	c, err := NewClient(mockToken, WithBaseURL(mockBase))
	require.NoError(t, err, "a replaced http.DefaultTransport must not make NewClient fail or panic")
	_, err = c.Contacts.Get(context.Background(), "x")
	require.NoError(t, err)
	assert.Equal(t, 1, mt.GetTotalCallCount())
}
