package textusredis_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/textus-go/textus/textusredis"
	"github.com/textus-go/textus/textusredis/internal/redistest"
	"github.com/textus-go/textus/webhooks"
	"github.com/textus-go/textus/webhooks/queuetest"
)

// TestQueueConformance runs the webhooks.Queue conformance suite against
// a Queue on a single redis-server, each test on a stream of its own.
func TestQueueConformance(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	var n atomic.Int32
	queuetest.Run(t, func(_ *testing.T, capacity int) webhooks.Queue {
		return textusredis.NewQueue(rdb, fmt.Sprintf("conformance-%d", n.Add(1)), textusredis.WithCapacity(capacity))
	})
}

// TestQueueConformanceOnCluster runs the suite through a ClusterClient on
// a one-node cluster, which refuses any script whose keys span slots.
func TestQueueConformanceOnCluster(t *testing.T) {
	srv := redistest.Start(t, redistest.WithCluster())
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{srv.Addr}, IsClusterMode: true, DisableIdentity: true})
	t.Cleanup(func() { _ = rdb.Close() })
	_, isCluster := rdb.(*redis.ClusterClient)
	require.True(t, isCluster)
	var n atomic.Int32
	queuetest.Run(t, func(_ *testing.T, capacity int) webhooks.Queue {
		return textusredis.NewQueue(rdb, fmt.Sprintf("conformance-%d", n.Add(1)), textusredis.WithCapacity(capacity),
			textusredis.WithPrefix("cluster:"))
	})
}
