package webhooks

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/textus-go/textus"
)

// Every known action has a Listener method, and the callback each On
// method registers takes the type ParseEvent returns for that action.
func TestDispatchTableCoversEveryEvent(t *testing.T) {
	h := newTestHandler(t)
	called := map[textus.EventType]int{}
	h.Listen(recordingListener{called: called})
	table := h.cbs.Load()
	require.Len(t, table.byAction, len(textus.AllEvents()))
	for _, action := range textus.AllEvents() {
		require.Contains(t, listenerMethods, action)
		cb := table.lookup(action)
		require.NotNil(t, cb, action)
		ev, err := textus.ParseEvent([]byte(fmt.Sprintf(`{"id":"x","action":%q}`, action)))
		require.NoError(t, err)
		require.NoError(t, cb.call(context.Background(), ev), action)
		assert.Equal(t, 1, called[action], action)
	}
	assert.Len(t, listenerMethods, len(textus.AllEvents()), "no entry for an unknown action")

	unknown := table.lookup("survey.completed")
	require.NotNil(t, unknown)
	ev, err := textus.ParseEvent([]byte(`{"action":"survey.completed"}`))
	require.NoError(t, err)
	require.NoError(t, unknown.call(context.Background(), ev))
	assert.Equal(t, 1, called["survey.completed"])
}

type recordingListener struct {
	NopListener
	called map[textus.EventType]int
}

func (l recordingListener) record(a textus.EventType) error { l.called[a]++; return nil }

func (l recordingListener) MessageReceived(_ context.Context, e *textus.MessageEvent) error {
	return l.record(e.Action)
}
func (l recordingListener) MessageDelivered(_ context.Context, e *textus.MessageEvent) error {
	return l.record(e.Action)
}
func (l recordingListener) MessageFailed(_ context.Context, e *textus.MessageEvent) error {
	return l.record(e.Action)
}
func (l recordingListener) MessageUnknown(_ context.Context, e *textus.MessageEvent) error {
	return l.record(e.Action)
}
func (l recordingListener) PhoneCallCompleted(_ context.Context, e *textus.PhoneCallEvent) error {
	return l.record(e.Action)
}
func (l recordingListener) ContactOptedOut(_ context.Context, e *textus.OptOutEvent) error {
	return l.record(e.Action)
}
func (l recordingListener) ContactOptedIn(_ context.Context, e *textus.OptOutEvent) error {
	return l.record(e.Action)
}
func (l recordingListener) ContactCreated(_ context.Context, e *textus.ContactEvent) error {
	return l.record(e.Action)
}
func (l recordingListener) UnknownEvent(_ context.Context, e *textus.Event) error {
	return l.record(e.Action)
}

// A callback given an event of another type fails with an error; it does
// not panic.
func TestTypedCallbackRefusesAnotherType(t *testing.T) {
	cb := typedCallback[*textus.MessageEvent](func(context.Context, *textus.MessageEvent) error { return nil })
	err := cb.call(context.Background(), &textus.ContactEvent{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "*textus.MessageEvent")
	assert.Contains(t, err.Error(), "*textus.ContactEvent")
}

// Known actions without a callback do not reach the fallback.
func TestLookupKnownActionWithoutCallback(t *testing.T) {
	h := newTestHandler(t)
	h.OnUnknownEvent(func(context.Context, *textus.Event) error { return nil })
	table := h.cbs.Load()
	assert.Nil(t, table.lookup(textus.EventMessageReceived))
	assert.NotNil(t, table.lookup("new.event"))
	assert.NotNil(t, table.lookup(""))
	var none *callbacks
	assert.Nil(t, none.lookup(textus.EventMessageReceived))
}
