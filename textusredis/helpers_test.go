package textusredis_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/textus-go/textus/webhooks"
)

const testSecret = "textus-abcdefgh12345678"

// messageBody is a message.received delivery whose id ends with id.
func messageBody(id string) []byte {
	return []byte(`{"@type":"WebhookDelivery","id":"/integrations/h13Jc5/deliveries/` + id +
		`","timestamp":"2018-07-24T20:59:32.156Z","action":"message.received","webHook":"/integrations/h13Jc5",` +
		`"conversation":{"@type":"Conversation","id":"/conversations/JYnJBY","currentState":"open",` +
		`"phoneNumber":"+13035551234"},"message":{"@type":"Message","id":"/messages/06oyogE","direction":"in",` +
		`"body":"Yes, 3pm works","deliveryState":"received","conversation":"/conversations/JYnJBY"}}`)
}

// deliveryID is the textus.Event.ID of messageBody(id).
func deliveryID(id string) string { return "/integrations/h13Jc5/deliveries/" + id }

// serve sends one delivery to h and returns the status it answered.
func serve(h http.Handler, body []byte) int {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, webhooks.NewSignedRequest("/hooks/textus", testSecret, body))
	return rec.Code
}

// keysWithTTL scans every key that starts with prefix and checks that each
// expires; it returns how many there are.
func keysWithTTL(t *testing.T, rdb *redis.Client, prefix string) int {
	t.Helper()
	ctx := context.Background()
	var keys []string
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	require.NoError(t, iter.Err())
	cmds, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.PTTL(ctx, k)
		}
		return nil
	})
	require.NoError(t, err)
	for i, c := range cmds {
		// -1: no TTL; -2: the key expired since the scan, which is fine.
		require.NotEqual(t, time.Duration(-1), c.(*redis.DurationCmd).Val(), "key %s has no TTL", keys[i])
	}
	return len(keys)
}
