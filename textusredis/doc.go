// Package textusredis shares what one process of a TextUs integration
// keeps in memory (webhook de-duplication and the API's rate budget) between
// several processes, through Redis (github.com/redis/go-redis/v9).
//
// A webhook receiver that runs on several replicas behind a load balancer
// needs one de-duplication record for all of them, or replica B runs a
// delivery that replica A already ran. Workers that share one API token
// need one budget, or four workers pacing at 1000 requests per 5 minutes
// each send 4000. This package provides both, on any
// redis.UniversalClient: a single node, Sentinel or Cluster.
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
// Every key starts with the prefix (WithPrefix, default "textus:"), and every
// key expires:
//
//	<prefix>dedup:<delivery id>          "p:<token>" while claimed (TTL: the lease),
//	                                     "d:<token>" once processed (TTL: the completed TTL)
//	{<prefix>pacer:<key>}:tat            the next free slot of the budget, in µs of
//	                                     the Redis clock (TTL: until that slot)
//	{<prefix>pacer:<key>}:block          the end of the server's block, in µs
//	                                     (TTL: until the block ends)
//
// Each operation is one Lua script (EVALSHA, falling back to EVAL) over
// keys of one cluster slot: a de-duplication script touches one key, and
// the two pacer keys share the hash tag {<prefix>pacer:<key>}.
//
// # Failures
//
// Redis errors are returned wrapped, naming the operation and the key
// ("textusredis: claim textus:dedup:...: ..."); they are never swallowed
// and never panic. A failed Claim makes the webhook handler answer 503; a
// failed Complete or Release is logged by the handler (the claim then
// expires after its lease); a failed Wait ends the API call unsent; a failed
// Observe is logged (WithLogger) and the client keeps the block for itself.
package textusredis
