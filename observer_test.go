package textus

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recordingObserver keeps every event it is told of.
type recordingObserver struct {
	mu    sync.Mutex
	calls []*recordedCall
}

type recordedCall struct {
	info    CallInfo
	paced   []time.Duration
	retries []AttemptInfo
	end     *CallResult
	ends    int
}

type ctxKey struct{}

func (o *recordingObserver) StartCall(ctx context.Context, info CallInfo) (context.Context, CallObserver) {
	o.mu.Lock()
	defer o.mu.Unlock()
	rc := &recordedCall{info: info}
	o.calls = append(o.calls, rc)
	return context.WithValue(ctx, ctxKey{}, info.Operation), &recordingCall{o: o, rc: rc}
}

type recordingCall struct {
	o  *recordingObserver
	rc *recordedCall
}

func (c *recordingCall) Paced(d time.Duration) {
	c.o.mu.Lock()
	defer c.o.mu.Unlock()
	c.rc.paced = append(c.rc.paced, d)
}

func (c *recordingCall) Retrying(a AttemptInfo) {
	c.o.mu.Lock()
	defer c.o.mu.Unlock()
	c.rc.retries = append(c.rc.retries, a)
}

func (c *recordingCall) End(r CallResult) {
	c.o.mu.Lock()
	defer c.o.mu.Unlock()
	c.rc.end = &r
	c.rc.ends++
}

func (o *recordingObserver) only(t *testing.T) *recordedCall {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	require.Len(t, o.calls, 1)
	return o.calls[0]
}

func TestObserverSeesOneCallWithRetries(t *testing.T) {
	obs := &recordingObserver{}
	c, mt := newMockClient(t, WithObserver(obs))
	var sawCtx []any
	var mu sync.Mutex
	mt.RegisterResponder("GET", mockBase+"/contacts/DQeeO69", sequence(
		func(r *http.Request) (*http.Response, error) {
			mu.Lock()
			sawCtx = append(sawCtx, r.Context().Value(ctxKey{}))
			mu.Unlock()
			return status(503, "")(r)
		},
		fail(errReset),
		func(r *http.Request) (*http.Response, error) {
			mu.Lock()
			sawCtx = append(sawCtx, r.Context().Value(ctxKey{}))
			mu.Unlock()
			return status(200, contactJSON)(r)
		},
	))
	_, err := c.Contacts.Get(context.Background(), "/contacts/DQeeO69")
	require.NoError(t, err)

	rc := obs.only(t)
	assert.Equal(t, CallInfo{
		Operation: "Contacts.Get", Method: "GET", URLTemplate: "/contacts/{contact}",
		ServerAddress: "api.textus.test", ServerPort: 443,
	}, rc.info, "not account-scoped: no account")
	assert.Equal(t, []any{"Contacts.Get", "Contacts.Get"}, sawCtx, "the observer's context reaches the transport on every attempt")
	assert.Len(t, rc.paced, 3, "paced before each attempt")
	require.Len(t, rc.retries, 2)
	assert.Equal(t, AttemptInfo{Attempt: 1, StatusCode: 503, Reason: "idempotent method after a transient failure", ErrorType: "http_503"}, rc.retries[0])
	assert.Equal(t, 2, rc.retries[1].Attempt)
	assert.Zero(t, rc.retries[1].StatusCode)
	assert.ErrorIs(t, rc.retries[1].Err, errReset)
	require.NotNil(t, rc.end)
	assert.Equal(t, 1, rc.ends)
	assert.Equal(t, 3, rc.end.Attempts)
	assert.Equal(t, 200, rc.end.StatusCode)
	assert.NoError(t, rc.end.Err)
	assert.Empty(t, rc.end.ErrorType)
	assert.False(t, rc.end.OutcomeUnknown)
	assert.Greater(t, rc.end.Duration, time.Duration(0))
}

func TestObserverOutcomeUnknownPOST(t *testing.T) {
	obs := &recordingObserver{}
	c, mt := newMockClient(t, WithObserver(obs))
	mt.RegisterResponder("POST", mockBase+"/my_account/messages", fail(errReset))
	_, err := c.Messages.Send(context.Background(), sendParams())
	require.ErrorIs(t, err, ErrOutcomeUnknown)

	rc := obs.only(t)
	assert.Equal(t, "Messages.Send", rc.info.Operation)
	assert.Equal(t, "/{account}/messages", rc.info.URLTemplate)
	assert.Equal(t, "my_account", rc.info.Account)
	assert.Empty(t, rc.retries, "a POST that may have arrived is not retried")
	assert.True(t, rc.end.OutcomeUnknown)
	assert.Equal(t, "outcome_unknown", rc.end.ErrorType)
	assert.Equal(t, 1, rc.end.Attempts)
	assert.Zero(t, rc.end.StatusCode)
}

func TestObserverErrorTypes(t *testing.T) {
	cases := map[string]struct {
		code int
		want string
	}{
		"401": {401, "unauthorized"}, "403": {403, "forbidden"}, "404": {404, "not_found"},
		"422": {422, "validation"}, "409": {409, "http_409"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			obs := &recordingObserver{}
			c, mt := newMockClient(t, WithObserver(obs))
			mt.RegisterResponder("GET", mockBase+"/contacts/x", status(tc.code, `{"error":"no"}`))
			_, err := c.Contacts.Get(context.Background(), "x")
			require.Error(t, err)
			rc := obs.only(t)
			assert.Equal(t, tc.want, rc.end.ErrorType)
			assert.Equal(t, tc.code, rc.end.StatusCode)
			assert.Equal(t, err, rc.end.Err)
		})
	}
	t.Run("not sent", func(t *testing.T) {
		obs := &recordingObserver{}
		c, mt := newMockClient(t, WithObserver(obs), WithPacer(&recordingPacer{err: errors.New("store down")}))
		_, err := c.Contacts.Get(context.Background(), "x")
		require.Error(t, err)
		rc := obs.only(t)
		assert.Equal(t, "not_sent", rc.end.ErrorType)
		assert.Zero(t, rc.end.Attempts)
		assert.Empty(t, rc.paced, "no attempt was paced through")
		assert.Zero(t, mt.GetTotalCallCount())
	})
	t.Run("canceled", func(t *testing.T) {
		obs := &recordingObserver{}
		c, _ := newMockClient(t, WithObserver(obs))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.Contacts.Get(ctx, "x")
		require.Error(t, err)
		assert.Equal(t, "canceled", obs.only(t).end.ErrorType)
	})
}

// Bad input fails before the call starts: observers see nothing.
func TestObserverNotToldOfRefusedInput(t *testing.T) {
	obs := &recordingObserver{}
	c, _ := newMockClient(t, WithObserver(obs))
	_, err := c.Contacts.Get(context.Background(), "..")
	require.Error(t, err)
	assert.Empty(t, obs.calls)
}

// Pages of an iterator are one call each, all of the list's operation.
func TestObserverIteratorPages(t *testing.T) {
	obs := &recordingObserver{}
	c, mt := newMockClient(t, WithObserver(obs))
	mt.RegisterResponder("GET", mockBase+"/my_account/contacts", status(200,
		hydraPage("/my_account/contacts", 2, "/my_account/contacts?cursor=2", contactJSON)))
	mt.RegisterResponder("GET", mockBase+"/my_account/contacts?cursor=2", status(200,
		hydraPage("/my_account/contacts", 2, "", contactJSON)))
	items, errs := collectSeq(c.Contacts.List(context.Background(), nil))
	require.Empty(t, errs)
	require.Len(t, items, 2)
	require.Len(t, obs.calls, 2)
	for _, rc := range obs.calls {
		assert.Equal(t, "Contacts.List", rc.info.Operation)
		assert.Equal(t, "/{account}/contacts", rc.info.URLTemplate)
	}
}

// Several observers each see every call, in order; an observer that wants
// nothing returns a nil CallObserver.
func TestSeveralObservers(t *testing.T) {
	a, b := &recordingObserver{}, &recordingObserver{}
	var order []string
	first := observerFunc(func(ctx context.Context, info CallInfo) (context.Context, CallObserver) {
		order = append(order, "first")
		return ctx, nil
	})
	c, mt := newMockClient(t, WithObserver(first), WithObserver(a), WithObserver(b))
	mt.RegisterResponder("GET", mockBase+"/contacts/x", status(200, contactJSON))
	_, err := c.Contacts.Get(context.Background(), "x")
	require.NoError(t, err)
	assert.Equal(t, []string{"first"}, order)
	assert.Equal(t, 1, a.only(t).ends)
	assert.Equal(t, 1, b.only(t).ends)
	_, err = NewClient("tok", WithObserver(nil))
	assert.Error(t, err)
}

type observerFunc func(context.Context, CallInfo) (context.Context, CallObserver)

func (f observerFunc) StartCall(ctx context.Context, info CallInfo) (context.Context, CallObserver) {
	return f(ctx, info)
}

// No phone number, id, token or body reaches what an observer is given,
// apart from the documented Err fields.
func TestObserverSeesNoSecrets(t *testing.T) {
	obs := &recordingObserver{}
	c, mt := newMockClient(t, WithObserver(obs))
	mt.RegisterResponder("GET", mockBase+"/my_account/conversations/+13035551234", status(200, `{"id":"/conversations/abc"}`))
	mt.RegisterResponder("GET", mockBase+"/contacts/DQeeO69", status(200, contactJSON))
	mt.RegisterResponder("POST", mockBase+"/my_account/messages", status(201, messageJSON))
	_, err := c.Conversations.GetByPhone(context.Background(), "(303) 555-1234")
	require.NoError(t, err)
	_, err = c.Contacts.Get(context.Background(), "DQeeO69")
	require.NoError(t, err)
	_, err = c.Messages.Send(context.Background(), sendParams())
	require.NoError(t, err)
	for _, rc := range obs.calls {
		seen := fmt.Sprintf("%+v %+v %+v", rc.info, rc.retries, *rc.end)
		for _, secret := range []string{"3035551234", "DQeeO69", mockToken, "interview"} {
			assert.False(t, strings.Contains(seen, secret), "%q in %s", secret, seen)
		}
	}
}

// CallResult tells a zero X-RateLimit-Remaining from a response without
// one.
func TestObserverRateKnown(t *testing.T) {
	obs := &recordingObserver{}
	c, mt := newMockClient(t, WithObserver(obs))
	mt.RegisterResponder("GET", mockBase+"/contacts/x", func(*http.Request) (*http.Response, error) {
		r := httpmock.NewStringResponse(200, contactJSON)
		r.Header.Set("X-RateLimit-Limit", "1000")
		r.Header.Set("X-RateLimit-Remaining", "0")
		return r, nil
	})
	mt.RegisterResponder("GET", mockBase+"/contacts/y", status(200, contactJSON))
	_, err := c.Contacts.Get(context.Background(), "x")
	require.NoError(t, err)
	_, err = c.Contacts.Get(context.Background(), "y")
	require.NoError(t, err)
	require.Len(t, obs.calls, 2)
	assert.True(t, obs.calls[0].end.HasRemaining)
	assert.Equal(t, Rate{Limit: 1000}, obs.calls[0].end.Rate)
	assert.False(t, obs.calls[1].end.HasRemaining)
}
