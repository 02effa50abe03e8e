package textusredis

import "time"

// SetPruneIdle sets how long a consumer of q's group must have been idle,
// with nothing pending, before a Receive deletes it (an hour otherwise),
// and lets the next Receive prune at once.
func SetPruneIdle(q *Queue, d time.Duration) {
	q.pruneIdle = d
	q.lastPrune.Store(0)
}
