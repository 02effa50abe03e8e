package textustest

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A subscriber that does not keep up is dropped; the publisher never
// waits for it.
func TestEventBusDropsSlowSubscribers(t *testing.T) {
	b := newEventBus(2, 3)
	slow, ok := b.subscribe()
	require.True(t, ok)
	fast, ok := b.subscribe()
	require.True(t, ok)
	_, ok = b.subscribe()
	assert.False(t, ok, "the number of subscribers is bounded")

	var got []string
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case m := <-fast.ch:
				got = append(got, string(m))
			case <-fast.gone:
				return
			}
		}
	}()
	done := make(chan struct{})
	go func() {
		for i := 0; i < 100; i++ {
			b.publish(uiEvent{Kind: "message"})
			time.Sleep(time.Microsecond)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		require.FailNow(t, "publish blocked on a slow subscriber")
	}
	select {
	case <-slow.gone:
	default:
		require.FailNow(t, "the slow subscriber was not dropped")
	}
	assert.Len(t, slow.ch, 3, "it got what fitted in its buffer")
	b.unsubscribe(slow) // already gone: no panic
	_, ok = b.subscribe()
	assert.True(t, ok, "a dropped subscriber frees its place")
	b.unsubscribe(fast)
	wg.Wait()
	assert.NotEmpty(t, got)
	assert.Equal(t, `{"kind":"message"}`, got[0])
}

func TestLoopbackChecks(t *testing.T) {
	for o, want := range map[string]bool{
		"http://127.0.0.1:8080":   true,
		"https://localhost":       true,
		"http://[::1]:3000":       true,
		"http://127.0.0.1:8080/":  false, // an Origin has no path
		"null":                    false,
		"file://":                 false,
		"http://evil.example":     false,
		"http://user@127.0.0.1":   false,
		"ftp://127.0.0.1":         false,
		"http://127.0.0.1.evil.x": false,
	} {
		assert.Equal(t, want, loopbackOrigin(o, false), o)
	}
	assert.True(t, loopbackOrigin("http://127.0.0.1:8080/_textustest/ui/?q=1", true))
	assert.False(t, loopbackOrigin("http://evil.example/_textustest/ui/", true))
	assert.False(t, loopbackHost(""))
	assert.False(t, loopbackHost("[::1"))
}

func TestValidPrefix(t *testing.T) {
	assert.Equal(t, "ab", validPrefix([]byte("ab")))
	assert.Equal(t, "a", validPrefix([]byte("a\xc3")), "a cut character is dropped")
	assert.Equal(t, "aé", validPrefix([]byte("aé")))
	assert.Equal(t, "a\uFFFDb", validPrefix([]byte("a\xffb")), "an invalid byte is replaced")
	assert.Equal(t, "", validPrefix(nil))
}

// A server built without NewServer (SampleDelivery's) has no sandbox, and
// its hooks are no-ops.
func TestNilSandbox(t *testing.T) {
	var u *sandbox
	assert.False(t, u.serve(nil, nil))
	u.publish(uiEvent{Kind: "reset"})
	u.webhookEvent("message.received", "+13035551234")
	u.requestDone(RequestRecord{Method: "POST", Status: 201})
}
