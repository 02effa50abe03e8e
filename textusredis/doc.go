// Package textusredis shares what one process of a TextUs integration
// keeps in memory (webhook de-duplication, the queue of accepted webhook
// deliveries and the API's rate budget) between several processes,
// through Redis (github.com/redis/go-redis/v9).
//
// A webhook receiver that runs on several replicas behind a load balancer
// needs one de-duplication record for all of them, or replica B runs a
// delivery that replica A already ran. Deliveries it accepts before
// running their callbacks need a durable queue that every replica's
// workers share, or a replica that crashes loses what it had accepted.
// Workers that share one API token need one budget, or four workers pacing
// at 1000 requests per 5 minutes each send 4000. This package provides
// all three, on any redis.UniversalClient: a single node, Sentinel or
// Cluster.
//
// # De-duplication
//
// NewDeduplicator returns a webhooks.Deduplicator for webhooks.NewHandler:
//
//	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{"redis:6379"}})
//	defer rdb.Close()
//	h, err := webhooks.NewHandler(os.Getenv("TEXTUS_WEBHOOK_SECRET"),
//		webhooks.WithDeduplicator(textusredis.NewDeduplicator(rdb)))
//	if err != nil {
//		return err
//	}
//	h.OnMessageReceived(func(ctx context.Context, ev *textus.MessageEvent) error { ... })
//	http.Handle("/hooks/textus", h)
//
// Every replica processes a delivery only if it wins the claim on its id; a
// claim lasts a lease (WithLease, default 30s) so that a replica that dies
// mid-delivery only delays it, and a processed id is remembered for
// WithCompletedTTL (default 24h). When Redis cannot be reached, the handler
// answers 503 and the sender retries later: nothing is processed twice or
// dropped because of it.
//
// # Queue
//
// NewQueue returns a webhooks.Queue for webhooks.WithQueue: the handler
// answers 200 once a delivery is stored in Redis, and Handler.Run, on any
// replica, runs the callbacks with leases, retries and dead letters:
//
//	q := textusredis.NewQueue(rdb, "webhooks")
//	h, err := webhooks.NewHandler(secret,
//		webhooks.WithDeduplicator(textusredis.NewDeduplicator(rdb)),
//		webhooks.WithQueue(q))
//	...
//	go h.Run(ctx) // in every replica, or in separate worker processes
//
// The queue is a Redis stream with a consumer group ("textus-workers"),
// each job's fields in a hash, and a few keys for the rest: the ids of the
// live jobs (one per delivery id, and the capacity, WithCapacity), the
// lease deadlines, the retries waiting for their time, a list per order
// key, and a second stream for the dead letters, with the raw body
// (WithDeadLetterMaxLen). Each operation is one Lua script. Receive claims
// (XCLAIM) the entries whose lease deadline passed, so the jobs of a
// worker that died are handed out again after their lease, then reads new
// entries (XREADGROUP); with nothing to hand out it waits on the stream
// with XREAD BLOCK (WithBlock). The deadline of each lease is recorded
// rather than inferred from the entry's idle time (XAUTOCLAIM's
// min-idle-time): every Receive names its own lease, so one idle time
// cannot tell which leases expired.
//
// # Shared pacing
//
// NewPacer returns a textus.Pacer for textus.WithPacer. Give every process
// that uses the same token the same key:
//
//	pacer := textusredis.NewPacer(rdb, "acme-prod", 950, 5*time.Minute)
//	c, err := textus.NewClient(os.Getenv("TEXTUS_TOKEN"),
//		textus.WithAccount("acme"), textus.WithPacer(pacer))
//
// The budget (here 950 per 5 minutes, a little under TextUs's 1000, to
// leave room for network jitter) is spread evenly between all of them. When
// any of them gets a response saying X-RateLimit-Remaining: 0, none of them
// sends before X-RateLimit-Reset.
//
// # Keys
//
// Every key starts with the prefix (WithPrefix, default "textus:"). The
// de-duplication and pacer keys expire; the queue's keys are the queue, so
// they have no TTL and are bounded by its capacity instead:
//
//	<prefix>dedup:<delivery id>          "p:<token>" while claimed (TTL: the lease),
//	                                     "d:<token>" once processed (TTL: the completed TTL)
//	{<prefix>pacer:<key>}:tat            the next free slot of the budget, in µs of
//	                                     the Redis clock (TTL: until that slot)
//	{<prefix>pacer:<key>}:block          the end of the server's block, in µs
//	                                     (TTL: until the block ends)
//	{<prefix>queue:<stream>}:stream      the jobs ready or handed out: entries {job: n},
//	                                     consumer group "textus-workers"
//	{<prefix>queue:<stream>}:job:<n>     job n: id, action, body, sig, okey, enq, trace,
//	                                     attempts, error, state, entry
//	{<prefix>queue:<stream>}:ids         hash: delivery id -> n, for the live jobs
//	{<prefix>queue:<stream>}:seq         the last job number
//	{<prefix>queue:<stream>}:leases      sorted set: n by lease deadline (ms, Redis clock)
//	{<prefix>queue:<stream>}:delayed     sorted set: n by retry time (ms, Redis clock)
//	{<prefix>queue:<stream>}:key:<key>   list: the jobs of an order key, oldest first
//	{<prefix>queue:<stream>}:dead        stream: the dead letters (id, action, body,
//	                                     sig, okey, enq, trace, attempts, error)
//
// Each operation is one Lua script (EVALSHA, falling back to EVAL) over
// keys of one cluster slot: a de-duplication script touches one key, the
// two pacer keys share the hash tag {<prefix>pacer:<key>}, and the queue's
// keys share {<prefix>queue:<stream>} (the scripts build the names of the
// job and order-key keys, which are in the same slot as the keys they
// declare).
//
// # Failures
//
// Redis errors are returned wrapped, naming the operation and the key
// ("textusredis: claim textus:dedup:...: ...", "textusredis: queue
// {textus:queue:webhooks}: enqueue ...: ..."); they are never swallowed
// and never panic. A failed Claim makes the webhook handler answer 503
// (in the queue mode, it enqueues all the same: the worker claims
// again); a failed Enqueue makes it answer 503 with Retry-After; a failed
// Receive is logged by Handler.Run, which tries again with a backoff; a
// failed Ack, Retry or DeadLetter leaves the job leased, and it is handed
// out again after its lease. A failed Complete or Release is logged by the
// handler (the claim then expires after its lease); a failed Wait ends the
// API call unsent; a failed Observe is logged (WithLogger) and the client
// keeps the block for itself.
package textusredis
