package textustest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/textus-go/textus/textustest"
	"github.com/textus-go/textus/webhooks"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// waitTimeout bounds waits for asynchronous work. It is generous because
// the machines that run the suite are small and shared; nothing asserts
// that work is fast.
const waitTimeout = 30 * time.Second

// api sends raw HTTP requests to a fake server, so that the wire format is
// tested without the SDK in between.
type api struct {
	t   *testing.T
	srv *textustest.Server
	hc  *http.Client
}

func newAPI(t *testing.T, opts ...textustest.Option) *api {
	t.Helper()
	srv := textustest.NewServer(opts...)
	tr := &http.Transport{Proxy: nil}
	a := &api{t: t, srv: srv, hc: &http.Client{Transport: tr, Timeout: waitTimeout}}
	t.Cleanup(func() {
		srv.Close()
		tr.CloseIdleConnections()
	})
	return a
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the reply body into a generic map.
func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.body, &m), "body: %s", r.body)
	return m
}

// do sends a request with the server's token. body may be nil, a string
// (sent as is) or a value to marshal.
func (a *api) do(method, path string, body any) reply {
	a.t.Helper()
	return a.doWith(method, path, body, map[string]string{"Authorization": "Bearer " + a.srv.Token()})
}

func (a *api) doWith(method, path string, body any, headers map[string]string) reply {
	a.t.Helper()
	r, err := a.try(method, path, body, headers)
	require.NoError(a.t, err)
	return r
}

func (a *api) try(method, path string, body any, headers map[string]string) (reply, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(a.t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, a.srv.URL()+path, rd)
	require.NoError(a.t, err)
	req.Header.Set("Accept", textustest.MediaType)
	if rd != nil {
		req.Header.Set("Content-Type", textustest.MediaType)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// requireError checks the status and the hydra:Error shape of a reply and
// returns its description.
func requireError(t *testing.T, r reply, status int) string {
	t.Helper()
	require.Equal(t, status, r.status, "body: %s", r.body)
	require.Equal(t, textustest.MediaType, r.header.Get("Content-Type"))
	m := r.json(t)
	require.Equal(t, "hydra:Error", m["@type"])
	require.Equal(t, "/contexts/Error", m["@context"])
	require.Equal(t, http.StatusText(status), m["hydra:title"])
	desc, _ := m["hydra:description"].(string)
	require.NotEmpty(t, desc)
	return desc
}

func waitIdle(t *testing.T, srv *textustest.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	require.NoError(t, srv.WaitIdle(ctx))
}

// receiver is a webhook endpoint that records what it is sent.
type receiver struct {
	t      *testing.T
	url    string
	close  func()
	mu     sync.Mutex
	got    []received
	answer func(n int, r received) int // status for the n-th request (from 1)
}

type received struct {
	body      []byte
	signature string
	header    http.Header
	envelope  map[string]any
}

func newReceiver(t *testing.T, answer func(n int, r received) int) *receiver {
	t.Helper()
	rc := &receiver{t: t, answer: answer}
	mux := http.NewServeMux()
	mux.HandleFunc("/hook", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		in := received{body: b, signature: r.Header.Get(webhooks.SignatureHeader), header: r.Header.Clone()}
		_ = json.Unmarshal(b, &in.envelope)
		rc.mu.Lock()
		rc.got = append(rc.got, in)
		n := len(rc.got)
		rc.mu.Unlock()
		status := http.StatusOK
		if rc.answer != nil {
			status = rc.answer(n, in)
		}
		w.WriteHeader(status)
	})
	srv := newLoopbackServer(t, mux)
	rc.url = srv.url + "/hook"
	rc.close = srv.close
	return rc
}

func (rc *receiver) received() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// actions lists the "action" of each request received, in order.
func (rc *receiver) actions() []string {
	var out []string
	for _, r := range rc.received() {
		a, _ := r.envelope["action"].(string)
		out = append(out, a)
	}
	return out
}

type loopback struct {
	url   string
	close func()
}

func newLoopbackServer(t *testing.T, h http.Handler) loopback {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return loopback{url: s.URL, close: s.Close}
}
