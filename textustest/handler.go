package textustest

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// MediaType is the media type of the API's requests and responses.
const MediaType = "application/vnd.textus+jsonld"

// maxBodyBytes caps request bodies; larger ones get 413.
const maxBodyBytes = 1 << 20

type route struct {
	method  string
	pattern []string
	handle  func(*call) result
}

// call is one routed request.
type call struct {
	s      *Server
	r      *http.Request
	params map[string]string
	body   []byte
}

// result is what a handler answers; body nil means no body.
type result struct {
	status int
	body   any
}

type hydraError struct {
	Context     string `json:"@context"`
	Type        string `json:"@type"`
	Title       string `json:"hydra:title"`
	Description string `json:"hydra:description"`
}

func errorResult(status int, format string, args ...any) result {
	return result{status: status, body: hydraError{
		Context:     "/contexts/Error",
		Type:        "hydra:Error",
		Title:       http.StatusText(status),
		Description: fmt.Sprintf(format, args...),
	}}
}

func answer(status int, body any) result { return result{status: status, body: body} }

// ServeHTTP implements http.Handler: the sandbox under SandboxPath, and for
// the API fault injection, latency, rate limiting, authentication, then
// routing. The server's own listener uses it; it is exported so that the
// fake can also be mounted under another server (Close then stops only
// what the fake itself started).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handlers.Add(1)
	defer s.handlers.Done()
	if s.ui.serve(w, r) { // the sandbox (ui.go): no token, loopback only
		return
	}
	rec := RequestRecord{Time: now(), Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery}

	fault, faulted := s.faults.pick(r.Method, r.URL.Path)
	if faulted {
		rec.Fault = fault.Kind
		if fault.Kind == FaultDropRequest {
			s.logRequest(rec)
			abort(w)
			return
		}
	}
	// Read the body now: once it is consumed, the server notices a client
	// that hangs up during the latency wait.
	body, bodyErr := readRequestBody(w, r)
	if s.cfg.latency > 0 {
		switch s.sleep(r.Context(), s.cfg.latency) {
		case sleepClientGone:
			s.logRequest(rec)
			return
		case sleepClosing:
			res := errorResult(http.StatusServiceUnavailable, "the server is shutting down")
			rec.Status = res.status
			s.logRequest(rec)
			writeResult(w, res)
			return
		}
	}

	authed := s.authorized(r)
	key := "ip:" + clientIP(r)
	if authed {
		key = "token:" + s.cfg.token
	}
	var res result
	switch {
	case !s.limiter.take(key, w.Header(), time.Now()):
		res = errorResult(http.StatusTooManyRequests, "rate limit of %d requests per %v exceeded; retry after %s seconds",
			s.cfg.rateN, s.cfg.ratePer, w.Header().Get("Retry-After"))
	case !authed:
		w.Header().Set("WWW-Authenticate", `Bearer realm="textus"`)
		res = errorResult(http.StatusUnauthorized, "missing or invalid API token")
	case faulted && fault.Kind == FaultServerError:
		res = errorResult(fault.Status, "injected fault: the server failed before acting on the request")
	default:
		res = s.dispatch(r, body, bodyErr)
	}
	if faulted && fault.Kind == FaultLoseResponse {
		s.logRequest(rec)
		abort(w)
		return
	}
	rec.Status = res.status
	s.logRequest(rec)
	writeResult(w, res)
}

// abort closes the connection without a response.
func abort(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

type sleepResult int

const (
	sleepDone sleepResult = iota
	sleepClientGone
	sleepClosing
)

func (s *Server) sleep(ctx context.Context, d time.Duration) sleepResult {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return sleepDone
	case <-ctx.Done():
		return sleepClientGone
	case <-s.closing:
		return sleepClosing
	}
}

func (s *Server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	scheme, tok, found := strings.Cut(strings.TrimSpace(h), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	tok = strings.TrimSpace(tok)
	return subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.token)) == 1
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func writeResult(w http.ResponseWriter, res result) {
	if res.body == nil {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(res.status)
		return
	}
	b, err := marshalJSON(res.body)
	if err != nil {
		res = errorResult(http.StatusInternalServerError, "encoding the response: %v", err)
		b, _ = marshalJSON(res.body)
	}
	if a, isAllow := res.body.(allowBody); isAllow {
		w.Header().Set("Allow", a.allow)
	}
	w.Header().Set("Content-Type", MediaType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(res.status)
	_, _ = w.Write(b)
}

// dispatch routes the request: 404 for an unknown path, 405 (with Allow)
// for a known path and another method.
func (s *Server) dispatch(r *http.Request, body []byte, bodyErr error) result {
	segs, err := pathSegments(r.URL)
	if err != nil {
		return errorResult(http.StatusNotFound, "no route matches %s", r.URL.EscapedPath())
	}
	var allow []string
	for _, rt := range s.router {
		params, ok := matchRoute(rt.pattern, segs)
		if !ok {
			continue
		}
		if rt.method != r.Method {
			allow = append(allow, rt.method)
			continue
		}
		if acct, ok := params["account"]; ok && acct != s.cfg.account {
			return errorResult(http.StatusNotFound, "account %q not found", acct)
		}
		c := &call{s: s, r: r, params: params}
		if res, failed := c.checkBody(body, bodyErr); failed {
			return res
		}
		return rt.handle(c)
	}
	if len(allow) > 0 {
		return result{status: http.StatusMethodNotAllowed, body: methodNotAllowed(r.Method, allow)}
	}
	return errorResult(http.StatusNotFound, "no route matches %s %s", r.Method, r.URL.EscapedPath())
}

// methodNotAllowed is a 405 body; writeResult sets the Allow header from it.
func methodNotAllowed(method string, allow []string) any {
	return allowBody{
		hydraError: errorResult(http.StatusMethodNotAllowed, "%s is not allowed here; allowed: %s",
			method, strings.Join(allow, ", ")).body.(hydraError),
		allow: strings.Join(allow, ", "),
	}
}

// allowBody is a hydra error that also sets the Allow header.
type allowBody struct {
	hydraError
	allow string
}

// MarshalJSON encodes the embedded error only.
func (a allowBody) MarshalJSON() ([]byte, error) { return json.Marshal(a.hydraError) }

// pathSegments splits the escaped path and unescapes each segment, so that
// "%2B13035551234" and "+13035551234" both read as "+13035551234" and an
// escaped slash stays inside its segment.
func pathSegments(u *url.URL) ([]string, error) {
	raw := splitPath(u.EscapedPath())
	out := make([]string, len(raw))
	for i, seg := range raw {
		v, err := url.PathUnescape(seg)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func matchRoute(pattern, segs []string) (map[string]string, bool) {
	if len(pattern) != len(segs) {
		return nil, false
	}
	var params map[string]string
	for i, p := range pattern {
		if strings.HasPrefix(p, ":") {
			if segs[i] == "" {
				return nil, false
			}
			if params == nil {
				params = make(map[string]string)
			}
			params[p[1:]] = segs[i]
			continue
		}
		if p != segs[i] {
			return nil, false
		}
	}
	return params, true
}

// readRequestBody reads the body of a request, up to maxBodyBytes.
func readRequestBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Method == http.MethodGet || r.Method == http.MethodHead {
		return nil, nil
	}
	return io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
}

// checkBody checks the size and media type of the body read by
// readRequestBody and keeps it for decode.
func (c *call) checkBody(b []byte, err error) (result, bool) {
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errorResult(http.StatusRequestEntityTooLarge, "request body is larger than %d bytes", maxBodyBytes), true
		}
		return errorResult(http.StatusBadRequest, "reading the request body: %v", err), true
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return result{}, false
	}
	ct := c.r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || !c.s.acceptsMediaType(mt) {
		want := MediaType
		if c.s.cfg.lenientCT {
			want += " or application/json"
		}
		return errorResult(http.StatusUnsupportedMediaType, "Content-Type %q is not supported; send %s", ct, want), true
	}
	c.body = b
	return result{}, false
}

func (s *Server) acceptsMediaType(mt string) bool {
	mt = strings.ToLower(mt)
	if mt == MediaType {
		return true
	}
	return s.cfg.lenientCT && (mt == "application/json" || mt == "application/ld+json")
}

// decode reads the JSON object body into v: 400 when it is missing or not
// a JSON object, 422 when a field has the wrong type.
func (c *call) decode(v any) (result, bool) {
	b := bytes.TrimSpace(c.body)
	if len(b) == 0 {
		return errorResult(http.StatusBadRequest, "a JSON request body is required"), true
	}
	if b[0] != '{' || !json.Valid(b) {
		return errorResult(http.StatusBadRequest, "request body is not a valid JSON object"), true
	}
	if err := json.Unmarshal(b, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return errorResult(http.StatusUnprocessableEntity, "%s: must be %s, not %s", fieldName(te), te.Type.String(), te.Value), true
		}
		return errorResult(http.StatusBadRequest, "request body is not valid: %v", err), true
	}
	return result{}, false
}

func fieldName(te *json.UnmarshalTypeError) string {
	if te.Field != "" {
		return te.Field
	}
	return "body"
}

// Pagination. Cursors are opaque to clients: base64url of the offset.

func encodeCursor(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("o:" + strconv.Itoa(offset)))
}

func decodeCursor(cur string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(cur)
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimPrefix(string(b), "o:"))
	if err != nil || n < 0 || !strings.HasPrefix(string(b), "o:") {
		return 0, false
	}
	return n, true
}

// page answers one page of a paginated collection. The collection's id is
// the request path; view links keep the other query parameters.
func (c *call) page(typ string, members []any, decorate func(*wireCollection)) result {
	q := c.r.URL.Query()
	offset := 0
	if cur := q.Get("cursor"); cur != "" {
		n, ok := decodeCursor(cur)
		if !ok {
			return errorResult(http.StatusBadRequest, "invalid cursor %q", cur)
		}
		offset = n
	}
	q.Del("cursor")
	path := c.r.URL.EscapedPath()
	link := func(off int) string {
		qq := url.Values{}
		for k, v := range q {
			qq[k] = v
		}
		if off > 0 {
			qq.Set("cursor", encodeCursor(off))
		}
		if len(qq) == 0 {
			return path
		}
		return path + "?" + qq.Encode()
	}
	size := c.s.cfg.pageSize
	total := len(members)
	if offset > total {
		offset = total
	}
	end := offset + size
	if end > total {
		end = total
	}
	view := &wireView{
		Type:    "hydra:PartialCollectionView",
		Context: "/contexts/hydra:PartialCollectionView.jsonld",
		ID:      link(offset),
		First:   link(0),
	}
	if end < total {
		next := link(end)
		view.Next = &next
	}
	if offset > 0 {
		prevOff := offset - size
		if prevOff < 0 {
			prevOff = 0
		}
		prev := link(prevOff)
		view.Previous = &prev
	}
	coll := &wireCollection{
		Type:       typ,
		Context:    "/contexts/" + typ + ".jsonld",
		ID:         path,
		TotalItems: total,
		Members:    append([]any{}, members[offset:end]...),
		View:       view,
	}
	if decorate != nil {
		decorate(coll)
	}
	return answer(http.StatusOK, coll)
}
