package textustest

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
)

// FaultKind says how an injected fault breaks a request.
type FaultKind int

// The fault kinds.
const (
	// FaultNone marks a request no fault was injected into (in Requests).
	FaultNone FaultKind = iota
	// FaultServerError answers with a 5xx (Fault.Status, default 503) and
	// a hydra:Error body without acting on the request.
	FaultServerError
	// FaultDropRequest closes the connection before the request is read:
	// nothing is done and no response is sent.
	FaultDropRequest
	// FaultLoseResponse performs the request (a send is recorded, a
	// contact created, a webhook event fired) and then closes the
	// connection instead of answering, as when a response is lost on the
	// way back. The client sees a transport error although the action
	// happened: the case an SMS client must never retry blindly.
	FaultLoseResponse
)

// String names the kind.
func (k FaultKind) String() string {
	switch k {
	case FaultNone:
		return "none"
	case FaultServerError:
		return "server-error"
	case FaultDropRequest:
		return "drop-request"
	case FaultLoseResponse:
		return "lose-response"
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// Fault describes failures to inject into matching requests. A request
// matches when its method equals Method (any method when empty) and its
// path matches Path (any path when empty). Of the matching requests, the
// first After pass untouched; each later one fails with probability Rate,
// drawn from the server's seeded random source (WithSeed), until Limit
// faults have been injected (no limit when 0).
//
// Path is a pattern of slash-separated segments: a segment starting with
// ':' matches any one segment, a final "*" matches one or more segments,
// and the rest must match literally, so "/:account/messages" matches the account
// send endpoint and "/contacts/*" every single-contact path.
//
// Examples:
//
//	// Every POST to /:account/messages answers 503, 30% of the time.
//	textustest.Fault{Kind: textustest.FaultServerError, Rate: 0.3, Method: "POST", Path: "/:account/messages"}
//	// The second send is processed but its response is lost.
//	textustest.Fault{Kind: textustest.FaultLoseResponse, Rate: 1, Method: "POST", Path: "/:account/messages", After: 1, Limit: 1}
type Fault struct {
	Kind FaultKind
	// Rate is the probability, from 0 to 1, that a matching request
	// fails. 1 fails every matching request.
	Rate float64
	// Method restricts the fault to one HTTP method ("POST"); empty
	// matches all.
	Method string
	// Path restricts the fault to matching paths; empty matches all.
	Path string
	// Status is the status of a FaultServerError (default 503).
	Status int
	// After lets the first After matching requests through.
	After int
	// Limit caps how many faults this entry injects; 0 means no cap.
	Limit int
}

// faultState is a Fault with its counters.
type faultState struct {
	Fault
	seen     int
	injected int
}

// faultInjector picks at most one fault per request, deterministically for a
// given seed and request sequence.
type faultInjector struct {
	mu     sync.Mutex
	rng    *rand.Rand
	faults []*faultState
}

func newFaultInjector(seed int64, faults []Fault) *faultInjector {
	fi := &faultInjector{rng: rand.New(rand.NewPCG(uint64(seed), 0x7465787475735f66))}
	fi.set(faults)
	return fi
}

func (fi *faultInjector) set(faults []Fault) {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	fi.faults = fi.faults[:0]
	for _, f := range faults {
		if f.Kind == FaultNone {
			continue
		}
		if f.Kind == FaultServerError && (f.Status < 500 || f.Status > 599) {
			f.Status = http.StatusServiceUnavailable
		}
		fi.faults = append(fi.faults, &faultState{Fault: f})
	}
}

// pick returns the fault to inject into a request, if any. The random
// source is consulted only for faults that match the request and are still
// armed, so adding a fault for POSTs leaves the GETs' sequence alone.
func (fi *faultInjector) pick(method, path string) (Fault, bool) {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	for _, f := range fi.faults {
		if !f.matches(method, path) {
			continue
		}
		f.seen++
		if f.seen <= f.After || (f.Limit > 0 && f.injected >= f.Limit) || f.Rate <= 0 {
			continue
		}
		if f.Rate >= 1 || fi.rng.Float64() < f.Rate {
			f.injected++
			return f.Fault, true
		}
	}
	return Fault{}, false
}

func (f *Fault) matches(method, path string) bool {
	if f.Method != "" && !strings.EqualFold(f.Method, method) {
		return false
	}
	return f.Path == "" || matchPattern(f.Path, path)
}

// matchPattern matches a path against a pattern of literal segments,
// ":param" wildcards and a final "*".
func matchPattern(pattern, path string) bool {
	ps := splitPath(pattern)
	xs := splitPath(path)
	for i, p := range ps {
		if i >= len(xs) {
			return false
		}
		if p == "*" && i == len(ps)-1 {
			return true
		}
		if strings.HasPrefix(p, ":") {
			continue
		}
		if p != xs[i] {
			return false
		}
	}
	return len(ps) == len(xs)
}

// splitPath splits "/a/b/" into ["a", "b"].
func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}
