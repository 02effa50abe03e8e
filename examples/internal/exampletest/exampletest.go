// Package exampletest holds test helpers that the tests of the example
// programs under examples/ share.
package exampletest

import (
	"bytes"
	"context"
	"net"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/examples/internal/exampleenv"
	"github.com/textus-go/textus/textustest"
	"github.com/textus-go/textus/webhooks"
)

// StartReceiver starts an example's webhook endpoint for a test: it listens
// on a loopback port, subscribes http://<that address><path> to events with
// c, a client of fake, builds a webhooks.Handler with the subscription's
// secret, lets register set the example's callbacks on it, and serves it at
// path (see exampleenv.ServeInBackground). A failure of any step fails the
// test at once. When the test ends, fake is closed first (that waits for
// the deliveries in flight), then the endpoint is stopped.
func StartReceiver(t testing.TB, fake *textustest.Server, c *textus.Client, path string, events []textus.EventType, register func(*webhooks.Handler)) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	hook, err := c.Webhooks.Create(context.Background(), &textus.WebhookParams{
		URL:    "http://" + ln.Addr().String() + path,
		Events: events,
	})
	require.NoError(t, err)
	h, err := webhooks.NewHandler(hook.Secret)
	require.NoError(t, err)
	register(h)
	stop := exampleenv.ServeInBackground(ln, path, h)
	t.Cleanup(func() {
		fake.Close()
		stop()
	})
}

// SyncBuffer is a bytes.Buffer that a program's goroutines and the test
// can share. The zero value is an empty buffer ready to use.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p to the buffer.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what has been written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
