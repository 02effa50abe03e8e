package textustest

import (
	"crypto/subtle"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
)

// SandboxPath is the path of the sandbox, the browser UI that every Server
// serves (see the package documentation, "Sandbox").
const SandboxPath = ControlPrefix + "/ui/"

// uiRoot is SandboxPath without its trailing slash.
const uiRoot = ControlPrefix + "/ui"

// maxFormBytes caps the body of a sandbox action.
const maxFormBytes = 64 << 10

// csrfHeader carries the sandbox's CSRF token on requests made by its
// script; forms carry it in the csrfField field.
const (
	csrfHeader = "X-CSRF-Token"
	csrfField  = "csrf"
	// fetchHeader marks an action sent by the sandbox's script, which
	// wants 204 rather than a redirect.
	fetchHeader = "X-Sandbox-Fetch"
)

// uiFiles holds the templates and the static files of the sandbox.
//
//go:embed ui
var uiFiles embed.FS

// contentSecurityPolicy allows only the sandbox's own files: no inline
// script or style, no framing, forms posted only to the sandbox.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// sandbox is the browser UI of a Server: pages rendered from its state,
// actions that stand for the contact, and a stream of live events.
type sandbox struct {
	s    *Server
	csrf string
	bus  *eventBus
}

func newSandbox(s *Server) *sandbox {
	u := &sandbox{s: s, csrf: randomHex(16), bus: newEventBus(maxLiveViews, liveViewBuffer)}
	s.hooks.cfg.attempted = u.deliveryAttempted
	return u
}

// pages are the sandbox's templates, parsed once: each page is the layout
// with its own "content".
var pages = sync.OnceValue(func() map[string]*template.Template {
	base := template.Must(template.New("").ParseFS(uiFiles, "ui/templates/layout.html", "ui/templates/parts.html"))
	out := map[string]*template.Template{}
	for _, name := range []string{"conversations", "thread", "contacts", "optouts", "deliveries", "error"} {
		t := template.Must(base.Clone())
		out[name] = template.Must(t.ParseFS(uiFiles, "ui/templates/"+name+".html"))
	}
	return out
})

// staticFiles are served under SandboxPath + "static/".
var staticFiles = func() fs.FS {
	sub, err := fs.Sub(uiFiles, "ui/static")
	if err != nil {
		panic(err) // the directory is embedded above
	}
	return sub
}()

// serve answers the request if its path is the sandbox's, and reports
// whether it did. A nil sandbox serves nothing.
func (u *sandbox) serve(w http.ResponseWriter, r *http.Request) bool {
	if u == nil || (r.URL.Path != uiRoot && !strings.HasPrefix(r.URL.Path, SandboxPath)) {
		return false
	}
	u.handle(w, r)
	return true
}

// handle checks where the request comes from, then routes it.
func (u *sandbox) handle(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")

	// A page reached under another host name is a DNS rebinding attempt
	// (or a remote client): the sandbox answers loopback names only.
	if !loopbackHost(r.Host) {
		plainError(w, http.StatusForbidden, "the sandbox answers only requests addressed to localhost or a loopback address")
		return
	}
	if o := r.Header.Get("Origin"); o != "" && !loopbackOrigin(o, false) {
		plainError(w, http.StatusForbidden, "the sandbox refuses requests from other origins")
		return
	}
	rest := strings.TrimPrefix(r.URL.Path, uiRoot)
	if rest == "" {
		http.Redirect(w, r, SandboxPath, http.StatusMovedPermanently)
		return
	}
	rest = strings.TrimPrefix(rest, "/")

	if action, ok := u.actions()[rest]; ok {
		if r.Method != http.MethodPost {
			h.Set("Allow", http.MethodPost)
			plainError(w, http.StatusMethodNotAllowed, "this action needs POST")
			return
		}
		if !sameSite(r) {
			plainError(w, http.StatusForbidden, "the sandbox refuses actions sent from other sites")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				plainError(w, http.StatusRequestEntityTooLarge, "the form is too large")
				return
			}
			plainError(w, http.StatusBadRequest, "the form could not be read")
			return
		}
		if !u.csrfOK(r) {
			plainError(w, http.StatusForbidden, "missing or invalid CSRF token: reload the sandbox page and try again")
			return
		}
		action(w, r)
		return
	}

	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		plainError(w, http.StatusMethodNotAllowed, "this page is read with GET")
		return
	}
	switch {
	case rest == "":
		u.conversationsPage(w, r)
	case strings.HasPrefix(rest, "conversations/"):
		u.threadPage(w, r, strings.TrimPrefix(rest, "conversations/"))
	case rest == "contacts":
		u.contactsPage(w, r)
	case rest == "optouts":
		u.optOutsPage(w, r)
	case rest == "deliveries":
		u.deliveriesPage(w, r)
	case rest == "events":
		u.events(w, r)
	case strings.HasPrefix(rest, "static/"):
		u.static(w, r, strings.TrimPrefix(rest, "static/"))
	default:
		u.errorPage(w, http.StatusNotFound, "There is no sandbox page at "+r.URL.Path+".")
	}
}

// actions are the state-changing routes, relative to SandboxPath.
func (u *sandbox) actions() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"receive":       u.receive,
		"undeliverable": u.setUndeliverable,
		"redeliver":     u.redeliver,
		"reset":         u.reset,
	}
}

// sameSite refuses a state-changing request sent from a page that is not
// on a loopback origin: Origin (checked for every request by handle) or,
// without it, Referer must be a loopback origin when present.
func sameSite(r *http.Request) bool {
	if r.Header.Get("Origin") != "" {
		return true
	}
	ref := r.Header.Get("Referer")
	return ref == "" || loopbackOrigin(ref, true)
}

// csrfOK reports whether the request carries the sandbox's CSRF token, in
// its header or in the form body (never the query string).
func (u *sandbox) csrfOK(r *http.Request) bool {
	tok := r.Header.Get(csrfHeader)
	if tok == "" {
		tok = r.PostForm.Get(csrfField)
	}
	return tok != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(u.csrf)) == 1
}

// loopbackHost reports whether hostport (a Host header) names localhost
// or a loopback address, with or without a port.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	if host == "" {
		return false
	}
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loopbackOrigin reports whether o (an Origin, or a Referer when withPath
// is set) is an http(s) origin on a loopback host.
func loopbackOrigin(o string, withPath bool) bool {
	v, err := url.Parse(o)
	if err != nil || (v.Scheme != "http" && v.Scheme != "https") || v.Host == "" || v.User != nil {
		return false
	}
	if !withPath && (v.Path != "" || v.RawQuery != "") {
		return false
	}
	return loopbackHost(v.Host)
}

// static serves an embedded file.
func (u *sandbox) static(w http.ResponseWriter, r *http.Request, name string) {
	if name == "" || !fs.ValidPath(name) {
		u.errorPage(w, http.StatusNotFound, "No such file.")
		return
	}
	b, err := fs.ReadFile(staticFiles, name)
	if err != nil {
		u.errorPage(w, http.StatusNotFound, "No such file.")
		return
	}
	switch path.Ext(name) {
	case ".js":
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	case ".css":
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case ".svg":
		w.Header().Set("Content-Type", "image/svg+xml")
	default:
		w.Header().Set("Content-Type", "application/octet-stream")
	}
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b) //nolint:gosec // G705: an embedded file, served with its own Content-Type and nosniff, never request data
	}
}

// plainError answers a short text error, for refusals and for the
// sandbox's script.
func plainError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = fmt.Fprintln(w, msg)
}

// render writes a page. Templates only read the view they are given, so
// the only way one fails is a closed connection.
func (u *sandbox) render(w http.ResponseWriter, status int, name string, v *pageView) {
	v.Base = SandboxPath
	v.CSRF = u.csrf
	v.Account = u.s.cfg.accountName
	v.AccountPhone = u.s.cfg.phone
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = pages()[name].ExecuteTemplate(w, "layout", v)
}

func (u *sandbox) errorPage(w http.ResponseWriter, status int, msg string) {
	u.render(w, status, "error", &pageView{Title: http.StatusText(status), Error: msg})
}

// actionError answers a refused action: text for the sandbox's script, a
// page for a plain form post.
func (u *sandbox) actionError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if r.Header.Get(fetchHeader) != "" {
		plainError(w, status, msg)
		return
	}
	u.errorPage(w, status, msg)
}

// actionDone answers a successful action: 204 for the sandbox's script
// (with the page to show in X-Sandbox-Next), a redirect to that page for a
// plain form post.
func actionDone(w http.ResponseWriter, r *http.Request, next string) {
	if r.Header.Get(fetchHeader) != "" {
		w.Header().Set("X-Sandbox-Next", next)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther) //nolint:gosec // G710: next is a sandbox path (SandboxPath and an escaped E.164 number), never taken from the request as is
}

// threadURL is the sandbox page of the conversation with phone.
func threadURL(phone string) string {
	return SandboxPath + "conversations/" + url.PathEscape(phone)
}

// receive is "reply as the contact": an inbound text from the form's
// number, which STOP and START buttons also send.
func (u *sandbox) receive(w http.ResponseWriter, r *http.Request) {
	from, body := r.PostForm.Get("from"), r.PostForm.Get("body")
	if strings.TrimSpace(body) == "" {
		u.actionError(w, r, http.StatusUnprocessableEntity, "Type a message to send as the contact.")
		return
	}
	_, err := u.s.ReceiveMessage(from, body)
	switch {
	case errors.Is(err, ErrClosed):
		u.actionError(w, r, http.StatusServiceUnavailable, "The server is shutting down.")
		return
	case err != nil:
		u.actionError(w, r, http.StatusUnprocessableEntity, "That is not a phone number the fake accepts.")
		return
	}
	phone, _ := parseE164(from)
	actionDone(w, r, threadURL(phone))
}

// setUndeliverable is the undeliverable switch of a number.
func (u *sandbox) setUndeliverable(w http.ResponseWriter, r *http.Request) {
	phone, err := parseE164(r.PostForm.Get("phone"))
	if err != nil {
		u.actionError(w, r, http.StatusUnprocessableEntity, "That is not a phone number the fake accepts.")
		return
	}
	switch r.PostForm.Get("undeliverable") {
	case "true":
		err = u.s.SetUndeliverable(phone)
	case "false":
		err = u.s.SetDeliverable(phone)
	default:
		u.actionError(w, r, http.StatusUnprocessableEntity, `undeliverable must be "true" or "false".`)
		return
	}
	if err != nil { // the number was parsed above: not reached
		u.actionError(w, r, http.StatusUnprocessableEntity, "That is not a phone number the fake accepts.")
		return
	}
	actionDone(w, r, threadURL(phone))
}

// redeliver re-sends a webhook delivery.
func (u *sandbox) redeliver(w http.ResponseWriter, r *http.Request) {
	id := r.PostForm.Get("id")
	err := u.s.Redeliver(id)
	switch {
	case err == nil:
		actionDone(w, r, SandboxPath+"deliveries")
	case errors.Is(err, ErrClosed):
		u.actionError(w, r, http.StatusServiceUnavailable, "The server is shutting down.")
	case errors.Is(err, errNoSuchDelivery):
		u.actionError(w, r, http.StatusNotFound, "There is no delivery with that id (the log may have been reset).")
	case errors.Is(err, errDeliveryUnderway):
		u.actionError(w, r, http.StatusConflict, "The delivery is still being attempted; redeliver it once it is done.")
	default:
		u.actionError(w, r, http.StatusInternalServerError, "The delivery could not be sent again.")
	}
}

// reset forgets all state, as Server.Reset.
func (u *sandbox) reset(w http.ResponseWriter, r *http.Request) {
	u.s.Reset()
	actionDone(w, r, SandboxPath)
}
