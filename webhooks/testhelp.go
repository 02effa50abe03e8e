package webhooks

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
)

// NewSignedRequest returns an incoming-style POST request for target (a
// path such as "/hooks/textus", or an absolute URL) carrying body and a
// valid SignatureHeader for secret, as TextUs would send it. Pass it
// straight to a handler's ServeHTTP in tests, with an
// httptest.ResponseRecorder. It panics if target cannot be parsed, like
// httptest.NewRequest.
func NewSignedRequest(target, secret string, body []byte) *http.Request {
	url := target
	if strings.HasPrefix(url, "/") {
		url = "http://example.com" + url
	}
	r, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url, nil)
	if err != nil {
		panic("webhooks: NewSignedRequest: invalid target: " + err.Error())
	}
	r.RequestURI = r.URL.RequestURI()
	r.RemoteAddr = "192.0.2.1:1234"
	SignRequest(r, secret, body)
	return r
}

// SignRequest sets r's body to body, with its length, and adds the
// SignatureHeader for secret. Use it on a request you send to a test
// server, e.g. one built with http.NewRequest for an httptest.Server URL.
func SignRequest(r *http.Request, secret string, body []byte) {
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(SignatureHeader, Sign(secret, body))
}
