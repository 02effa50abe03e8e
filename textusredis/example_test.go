package textusredis_test

// These examples need a Redis server (and, for the pacer, the TextUs API),
// so they have no Output comment: go test compiles them but does not run
// them. The tests run the same wiring against a private redis-server.

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
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

// Every replica of the webhook receiver runs this: it answers TextUs as
// soon as a delivery is stored in Redis, and its workers run the callbacks
// of the jobs that any replica stored. A replica that dies leaves its
// jobs to the others, after their lease.
func ExampleNewQueue() {
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{os.Getenv("REDIS_ADDR")}})
	defer rdb.Close()

	q := textusredis.NewQueue(rdb, "webhooks",
		textusredis.WithPrefix("acme-prod:"),
		textusredis.WithCapacity(50000))
	h, err := webhooks.NewHandler(os.Getenv("TEXTUS_WEBHOOK_SECRET"),
		webhooks.WithDeduplicator(textusredis.NewDeduplicator(rdb, textusredis.WithPrefix("acme-prod:"))),
		webhooks.WithQueue(q),
		webhooks.WithWorkers(8),
		webhooks.WithLease(2*time.Minute),
		webhooks.WithOrderKey(webhooks.ConversationKey))
	if err != nil {
		log.Fatal(err)
	}
	h.OnMessageReceived(func(ctx context.Context, ev *textus.MessageEvent) error {
		return inbox.Store(ctx, ev) // your code: idempotent per ev.ID
	})

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		if err := h.Run(ctx); err != nil {
			log.Print(err)
		}
	}()
	mux := http.NewServeMux()
	mux.Handle("POST /hooks/textus", h)
	srv := &http.Server{Addr: ":8080", Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Shutdown(context.Background())
	}()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		log.Print(err)
	}
	stop()
	<-ran // the callbacks in progress finish (or their jobs go back to the queue)
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
