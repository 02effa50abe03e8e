package textus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/textus-go/textus/internal/retry"
)

// The request pipeline. Every API call goes through Client.do, which reads
// in one direction:
//
//	prepare   resolve the URL, encode the body, set the headers
//	pace      wait out the server's Remaining: 0 block, then the Pacer
//	send      retryablehttp sends the request; after each attempt it asks
//	          retry.Decide whether to retry (exchange.checkRetry) and
//	          retry.Backoff how long to wait, and paces again before the
//	          next attempt (exchange.beforeRetry)
//	observe   the X-RateLimit-* headers of each response update Client.Rate,
//	          the server block and the Pacer, once per response
//	classify  the last response or failure becomes the call's error, from
//	          what checkRetry recorded (exchange.classify)
//	decode    a 2xx body is decoded through the size cap (exchange.decode)
//
// The state of one call lives in an exchange, on the stack of do and in the
// closures handed to retryablehttp; nothing of it travels in the context.

// response is what do returns about a successful response.
type response struct {
	StatusCode int
	Header     http.Header
}

// call sends one request to ep at the path built from args and decodes the
// response into a new T.
func call[T any](ctx context.Context, c *Client, ep *endpoint, body any, args ...string) (*T, error) {
	path, err := ep.path(c, args...)
	if err != nil {
		return nil, err
	}
	v := new(T)
	if _, err := c.do(ctx, ep, path, body, v); err != nil {
		return nil, err
	}
	return v, nil
}

// exchange is one call in flight.
type exchange struct {
	cr      *core
	ep      *endpoint
	url     string // the request URL, for logs and errors
	attempt int    // attempts sent so far
	last    retry.Decision
	rate    Rate // the rate state of the last response that carried one
	hasRem  bool // and whether it carried X-RateLimit-Remaining
	obs     CallObserver
}

// do sends one call to endpoint ep at target (a path built by ep.path,
// possibly with a query, or a link from the API) through the pipeline.
// body, when non-nil, is encoded as JSON. out, when non-nil, receives the
// decoded 2xx body (an empty body leaves it untouched).
func (c *Client) do(ctx context.Context, ep *endpoint, target string, body, out any) (*response, error) {
	if ctx == nil {
		return nil, errors.New("textus: nil context")
	}
	cr := c.core
	req, err := c.prepare(ctx, ep, target, body)
	if err != nil {
		return nil, err
	}
	x := &exchange{cr: cr, ep: ep, url: redactURL(req.URL.String())}
	var start time.Time
	if cr.observer != nil {
		start = cr.now()
		var reqCtx context.Context
		reqCtx, x.obs = cr.observer.StartCall(ctx, c.callInfo(ep))
		if reqCtx != ctx {
			req = req.WithContext(reqCtx)
		}
	}

	var resp *http.Response
	if err = x.pace(req.Context()); err == nil {
		rc := &retryablehttp.Client{
			HTTPClient:   cr.http,
			RetryWaitMin: cr.retryWaitMin,
			RetryWaitMax: cr.retryWaitMax,
			RetryMax:     cr.maxRetries,
			CheckRetry:   x.checkRetry,
			Backoff:      x.backoff,
			PrepareRetry: x.beforeRetry,
			ErrorHandler: lastOutcome,
		}
		resp, err = rc.Do(req) //nolint:bodyclose // classify or decode closes it
	}
	if err = x.classify(req.Context(), resp, err); err == nil {
		err = x.decode(resp, out)
	}
	if x.obs != nil {
		x.end(resp, err, start)
	}
	if err != nil {
		return nil, err
	}
	return &response{StatusCode: resp.StatusCode, Header: resp.Header}, nil
}

// end tells the call's observer how the call ended.
func (x *exchange) end(resp *http.Response, err error, start time.Time) {
	res := CallResult{Attempts: x.attempt, Err: err, Rate: x.rate, HasRemaining: x.hasRem, Duration: x.cr.now().Sub(start)}
	if resp != nil {
		res.StatusCode = resp.StatusCode
	}
	res.OutcomeUnknown = errors.Is(err, ErrOutcomeUnknown)
	res.ErrorType = errorType(err, res.StatusCode, res.OutcomeUnknown)
	x.obs.End(res)
}

// prepare builds the request: full URL, encoded body, headers.
func (c *Client) prepare(ctx context.Context, ep *endpoint, target string, body any) (*retryablehttp.Request, error) {
	full, err := c.resolve(target)
	if err != nil {
		return nil, err
	}
	var payload any // must stay a nil interface when there is no body
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("textus: encoding request body: %w", err)
		}
		payload = b
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, ep.method, full, payload)
	if err != nil {
		return nil, fmt.Errorf("textus: building request: %w", err)
	}
	h := req.Header
	h["Authorization"] = []string{c.core.auth}
	h["Accept"] = []string{MediaType}
	h["User-Agent"] = []string{c.core.userAgent}
	if body != nil {
		h["Content-Type"] = []string{MediaType}
	}
	return req, nil
}

// callInfo describes a call to ep for an Observer.
func (c *Client) callInfo(ep *endpoint) CallInfo {
	info := CallInfo{Operation: ep.op, Method: ep.method, URLTemplate: ep.tmpl,
		ServerAddress: c.core.host, ServerPort: c.core.port}
	if strings.HasPrefix(ep.tmpl, "/{account}") {
		info.Account = c.account
	}
	return info
}

// pace waits until the next attempt may be sent: first for the server's
// Remaining: 0 block (failing at once with ErrRateLimited when it lasts
// longer than the maximum retry wait), then for the Pacer. An error means
// the attempt was not sent.
func (x *exchange) pace(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	cr := x.cr
	start := cr.now()
	if d := cr.block.remaining(start); d > 0 {
		if d > cr.retryWaitMax {
			// Sending now could only earn a 429.
			return &APIError{
				StatusCode: http.StatusTooManyRequests, Method: x.ep.method, URL: x.url,
				Message:    "rate limit exhausted (X-RateLimit-Remaining: 0); not sent",
				RetryAfter: d.Round(time.Second), Rate: cr.currentRate(),
			}
		}
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
	if cr.pacer != nil {
		if err := cr.pacer.Wait(ctx); err != nil {
			return &notSentError{err: err}
		}
	}
	if x.obs != nil {
		x.obs.Paced(cr.now().Sub(start))
	}
	return nil
}

// beforeRetry is retryablehttp's PrepareRetry: it paces the next attempt.
func (x *exchange) beforeRetry(req *http.Request) error { return x.pace(req.Context()) }

// checkRetry is retryablehttp's CheckRetry, called once after every
// attempt: it observes the response's rate headers and applies retry.Decide,
// logging the decision with its reason.
func (x *exchange) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	cr := x.cr
	x.attempt++
	if resp != nil {
		if r, ok, hasRemaining := parseRate(resp.Header); ok {
			x.rate, x.hasRem = r, hasRemaining
			cr.observeRate(r, hasRemaining)
		}
	}
	d := retry.Decide(retry.Input{
		Ctx: ctx, Method: x.ep.method, Attempt: x.attempt - 1, MaxRetries: cr.maxRetries,
		MaxWait: cr.retryWaitMax, Resp: resp, Err: err, Now: cr.now(),
	})
	x.last = d
	if d.Reason != retry.ReasonDone {
		x.logDecision(ctx, resp, err, d)
	}
	if d.Retry && x.obs != nil {
		a := AttemptInfo{Attempt: x.attempt, Reason: d.Reason, Err: err}
		if resp != nil {
			a.StatusCode = resp.StatusCode
		}
		a.ErrorType = statusErrorType(a.StatusCode)
		x.obs.Retrying(a)
	}
	return d.Retry, nil
}

func (x *exchange) logDecision(ctx context.Context, resp *http.Response, err error, d retry.Decision) {
	level := slog.LevelDebug
	if !d.Retry {
		level = slog.LevelInfo
	}
	if !x.cr.logger.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", x.ep.method), slog.String("url", x.url),
		slog.Int("attempt", x.attempt), slog.Bool("retry", d.Retry), slog.String("reason", d.Reason),
	}
	if resp != nil {
		attrs = append(attrs, slog.Int("status", resp.StatusCode))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", redactError(err)))
	}
	x.cr.logger.LogAttrs(ctx, level, "textus: retry decision", attrs...)
}

// backoff is retryablehttp's Backoff.
func (x *exchange) backoff(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
	return retry.Backoff(lo, hi, attempt, resp, x.cr.now())
}

// lastOutcome is retryablehttp's ErrorHandler, called when it stops with a
// failure: an error (a transport failure, or pacing that refused the next
// attempt) wins over the previous response, which retryablehttp has already
// drained; otherwise the last response is handed back unchanged, so that
// the caller gets the real APIError instead of a generic "giving up"
// message.
func lastOutcome(resp *http.Response, err error, _ int) (*http.Response, error) {
	if err != nil {
		if resp != nil {
			resp.Body.Close()
		}
		return nil, err
	}
	return resp, nil
}

// classify turns the outcome of the send step into the call's error, from
// what checkRetry recorded about the last attempt: nil for a 2xx response
// (whose body decode then reads); an *APIError for any other status; for a
// failure without a final response (a transport error, pacing that refused
// or was interrupted, a context done while waiting), the error with its
// outcome: unknown when a request that is not safe to repeat may have
// reached TextUs.
func (x *exchange) classify(ctx context.Context, resp *http.Response, err error) error {
	cr := x.cr
	if err == nil && resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return nil
	}
	var apiErr *APIError
	unknown := x.last.MaybeSent && !x.last.Retry
	switch {
	case err == nil:
		defer resp.Body.Close()
		apiErr = newAPIError(x.ep.method, x.url, resp, cr.scrub)
		apiErr.Rate = x.rate
		if x.last.HasRetryAfter {
			apiErr.RetryAfter = x.last.RetryAfter
		}
		apiErr.OutcomeUnknown = unknown
		err = apiErr
	case errors.As(err, &apiErr): // pacing refused: the server block outlasts the max wait
		return apiErr
	default:
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // drop net/http's copy of the URL; we add a redacted one
		}
		var stop *retry.StopError
		if errors.As(err, &stop) {
			err = stop.Err
		}
		err = &transportError{method: x.ep.method, url: x.url, err: err, unknown: unknown}
	}
	if unknown {
		cr.logger.LogAttrs(ctx, slog.LevelWarn, "textus: outcome unknown; not re-sent",
			slog.String("method", x.ep.method), slog.String("url", x.url), slog.String("error", err.Error()))
	}
	return err
}

// decode reads a 2xx body whole, through the size cap, and decodes it into
// out (when non-nil): a collection page, or a resource (see
// unmarshalResource), which keeps the body as its Raw.
func (x *exchange) decode(resp *http.Response, out any) error {
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody)) // so the connection can be reused
		return nil
	}
	body, err := readCapped(resp.Body, resp.ContentLength, x.cr.maxBody)
	if errors.Is(err, errBodyTooLarge) {
		return fmt.Errorf("textus: %s %s: the response body is larger than %d bytes (see WithMaxResponseBytes)", x.ep.method, x.url, x.cr.maxBody)
	}
	if err != nil {
		return fmt.Errorf("textus: %s %s: reading response: %w", x.ep.method, x.url, err)
	}
	if p, ok := out.(interface{ decodeBody([]byte) error }); ok {
		err = p.decodeBody(body)
	} else {
		err = unmarshalResource(body, out)
	}
	if err != nil {
		return fmt.Errorf("textus: %s %s: decoding response: %w", x.ep.method, x.url, err)
	}
	return nil
}

// readCapped reads r to the end into a buffer sized from the response's
// Content-Length when it is known, and fails with errBodyTooLarge past max
// bytes, so that a huge or endless body cannot grow memory without bound.
func readCapped(r io.Reader, contentLength, max int64) ([]byte, error) {
	if contentLength > max {
		return nil, errBodyTooLarge
	}
	size := int64(512)
	if contentLength >= 0 {
		size = contentLength + 1 // room for the read that reports EOF
	}
	buf := make([]byte, 0, size)
	for {
		if int64(len(buf)) > max {
			return nil, errBodyTooLarge
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):min(int64(cap(buf)), max+1)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			if int64(len(buf)) > max {
				return nil, errBodyTooLarge
			}
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// errBodyTooLarge is returned by readCapped past its cap.
var errBodyTooLarge = errors.New("textus: response body too large")

// observeRate records a response's rate state in Client.Rate and, when the
// response said how many requests remain, in the server block and the Pacer.
func (cr *core) observeRate(r Rate, hasRemaining bool) {
	cr.rateMu.Lock()
	cr.rate = r
	cr.rateMu.Unlock()
	if !hasRemaining {
		return
	}
	cr.block.observe(r)
	if cr.pacer != nil {
		cr.pacer.Observe(r)
	}
}

func (cr *core) currentRate() Rate {
	cr.rateMu.Lock()
	defer cr.rateMu.Unlock()
	return cr.rate
}

// parseRate reads the X-RateLimit-* headers; ok is false when there are
// none, hasRemaining when X-RateLimit-Remaining is among them.
func parseRate(h http.Header) (r Rate, ok, hasRemaining bool) {
	lim, rem, reset := h.Get("X-RateLimit-Limit"), h.Get("X-RateLimit-Remaining"), h.Get("X-RateLimit-Reset")
	if lim == "" && rem == "" && reset == "" {
		return r, false, false
	}
	r.Limit, _ = strconv.Atoi(strings.TrimSpace(lim))
	r.Remaining, _ = strconv.Atoi(strings.TrimSpace(rem))
	if secs, err := strconv.ParseInt(strings.TrimSpace(reset), 10, 64); err == nil && secs > 0 {
		r.Reset = time.Unix(secs, 0)
	}
	return r, true, rem != ""
}

// redactError renders an error for a log line, without net/http's copy of
// the URL.
func redactError(err error) string {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Op + ": " + uerr.Err.Error()
	}
	return err.Error()
}
