package textusredis_test

// These examples need a Redis server (and, for the pacer, the TextUs API),
// so they have no Output comment: go test compiles them but does not run
// them. The tests run the same wiring against a private redis-server.

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textusredis"
	"github.com/textus-go/textus/webhooks"
)

// Every replica of the webhook receiver runs this: they share the
// de-duplication record, so each delivery is processed by one of them.
func ExampleNewDeduplicator() {
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{os.Getenv("REDIS_ADDR")}})
	defer rdb.Close()

	h, err := webhooks.NewHandler(os.Getenv("TEXTUS_WEBHOOK_SECRET"),
		webhooks.WithDeduplicator(textusredis.NewDeduplicator(rdb,
			textusredis.WithPrefix("acme-prod:"),
			textusredis.WithLease(30*time.Second),
			textusredis.WithCompletedTTL(24*time.Hour))))
	if err != nil {
		log.Fatal(err)
	}
	h.OnMessageReceived(func(ctx context.Context, ev *textus.MessageEvent) error {
		return inbox.Store(ctx, ev) // your code: idempotent per ev.ID
	})
	mux := http.NewServeMux()
	mux.Handle("POST /hooks/textus", h)
	srv := &http.Server{Addr: ":8080", Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}

// Every worker that uses the token runs this: together they keep to one
// budget, and a Remaining: 0 seen by one of them holds all of them back
// until the reset.
func ExampleNewPacer() {
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{os.Getenv("REDIS_ADDR")}})
	defer rdb.Close()

	pacer := textusredis.NewPacer(rdb, "acme-prod-token", 950, 5*time.Minute,
		textusredis.WithPrefix("acme-prod:"),
		textusredis.WithMaxWait(time.Minute))
	c, err := textus.NewClient(os.Getenv("TEXTUS_TOKEN"),
		textus.WithAccount("acme"), textus.WithPacer(pacer))
	if err != nil {
		log.Fatal(err)
	}
	msg, err := c.Messages.Send(context.Background(), &textus.SendMessageParams{To: "+13035551234", Body: "Your interview is at 3pm."})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(msg.ID)
}

// inbox stands for the receiver's own store in the example.
var inbox interface {
	Store(context.Context, *textus.MessageEvent) error
}
