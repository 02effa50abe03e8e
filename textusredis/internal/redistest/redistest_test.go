package redistest

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

func TestStartStopRestart(t *testing.T) {
	srv := Start(t, WithAppendOnly())
	c := srv.Client()
	ctx := context.Background()
	require.NoError(t, c.Set(ctx, "k", "v", 0).Err())

	srv.Kill()
	require.Error(t, c.Ping(ctx).Err(), "a killed server does not answer")

	srv.Start()
	v, err := c.Get(ctx, "k").Result()
	require.NoError(t, err, "the client reconnects to the same address")
	require.Equal(t, "v", v, "the append-only file kept the acknowledged write")

	srv.Stop()
	srv.Stop() // idempotent
}

func TestCluster(t *testing.T) {
	srv := Start(t, WithCluster())
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{srv.Addr}, DisableIdentity: true})
	t.Cleanup(func() { _ = c.Close() })
	ctx := context.Background()
	require.NoError(t, c.Set(ctx, "a", "1", 0).Err())
	err := c.Do(ctx, "EVAL", "return redis.call('MGET', KEYS[1], KEYS[2])", 2, "a", "b").Err()
	require.ErrorContains(t, err, "CROSSSLOT", "keys of different slots are refused, as on a real cluster")
	require.NoError(t, c.Do(ctx, "EVAL", "return redis.call('MGET', KEYS[1], KEYS[2])", 2, "{x}a", "{x}b").Err())
}
