package webhooks_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/webhooks"
)

const inbound = `{"@type":"WebhookDelivery","id":"/integrations/h13Jc5/deliveries/xyz",` +
	`"timestamp":"2018-07-24T20:59:32.156Z","action":"message.received","webHook":"/integrations/h13Jc5",` +
	`"conversation":{"id":"/conversations/JYnJBY","phoneNumber":"+13035551234","accountPhoneNumber":"+13035550000"},` +
	`"message":{"id":"/messages/06oyogE","direction":"in","body":"Yes, 3pm works","deliveryState":"received"}}`

// Mount a handler on a ServeMux and receive a signed delivery, as TextUs
// would send it.
func ExampleNewHandler() {
	secret := "textus-HOTh4kXxHIbYst0xutpkdw" // the integration's webhookSecret

	h, err := webhooks.NewHandler(secret)
	if err != nil {
		log.Fatal(err)
	}
	h.OnMessageReceived(func(ctx context.Context, e *textus.MessageEvent) error {
		fmt.Printf("%s from %s: %q\n", e.Action, e.Conversation.PhoneNumber, e.Message.Body)
		return nil
	})
	mux := http.NewServeMux()
	mux.Handle("/hooks/textus", h)

	srv := httptest.NewServer(mux)
	defer srv.Close()

	post := func() {
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/hooks/textus", strings.NewReader(inbound))
		if err != nil {
			log.Fatal(err)
		}
		req.Header.Set(webhooks.SignatureHeader, webhooks.Sign(secret, []byte(inbound)))
		resp, err := srv.Client().Do(req)
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Println(resp.Status)
	}
	post()
	post() // the same delivery again: acknowledged, not handled twice

	// Output:
	// message.received from +13035551234: "Yes, 3pm works"
	// 200 OK
	// 200 OK
}

// Accept the previous secret alongside the current one while rotating.
func ExampleWithSecrets() {
	const current, previous = "textus-new-secret", "textus-old-secret"
	h, err := webhooks.NewHandler(current, webhooks.WithSecrets(previous))
	if err != nil {
		log.Fatal(err)
	}
	h.OnContactOptedOut(func(ctx context.Context, e *textus.OptOutEvent) error {
		fmt.Println("opted out:", e.PhoneNumber())
		return nil
	})

	for i, secret := range []string{current, previous, "textus-someone-else"} {
		body := fmt.Sprintf(`{"id":"/integrations/KYxmBL/deliveries/%d","action":"contact.opted_out",`+
			`"optOut":{"id":"/textus/opt_outs/+1303555123%d","type":"opt-out"}}`, i, i)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, webhooks.NewSignedRequest("/hooks/textus", secret, []byte(body)))
		fmt.Println(rec.Code)
	}

	// Output:
	// opted out: +13035551230
	// 200
	// opted out: +13035551231
	// 200
	// 401
}

// Verify a body yourself, for routers that do not take an http.Handler.
func ExampleVerify() {
	body := []byte(`{"@type":"WebhookDelivery","id":"/integrations/h13Jc5/deliveries/xyz","timestamp":"2018-07-24T20:59:32.156Z","action":"message.received","webHook":"/integrations/h13Jc5"}`)
	header := "E56AD2FB2781DB42FAB485897338BB15B11FB38DA9CD6DF9DCC6E85A07467942"

	fmt.Println(webhooks.Verify(body, header, "textus-HOTh4kXxHIbYst0xutpkdw"))
	fmt.Println(webhooks.Verify(body, header, "textus-wrong"))
	fmt.Println(webhooks.Verify(body, "", "textus-HOTh4kXxHIbYst0xutpkdw"))

	// Output:
	// <nil>
	// webhooks: invalid signature
	// webhooks: missing signature
}

// Sign a body in a test.
func ExampleSign() {
	body := []byte(`{"@type":"WebhookDelivery","id":"/integrations/h13Jc5/deliveries/xyz","timestamp":"2018-07-24T20:59:32.156Z","action":"message.received","webHook":"/integrations/h13Jc5"}`)
	fmt.Println(webhooks.Sign("textus-HOTh4kXxHIbYst0xutpkdw", body))

	// Output:
	// e56ad2fb2781db42fab485897338bb15b11fb38da9cd6df9dcc6e85a07467942
}

type optOutSync struct {
	webhooks.NopListener
}

func (optOutSync) ContactOptedOut(ctx context.Context, e *textus.OptOutEvent) error {
	fmt.Println("mirror opt-out of", e.PhoneNumber())
	return nil
}

// Implement only the events you need with a Listener.
func ExampleHandler_Listen() {
	h, err := webhooks.NewHandler("textus-secret")
	if err != nil {
		log.Fatal(err)
	}
	h.Listen(optOutSync{})

	body := []byte(`{"id":"/integrations/KYxmBL/deliveries/1","action":"contact.opted-out",` +
		`"optOut":{"formattedPhoneNumber":"(303) 555-1234"}}`)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, webhooks.NewSignedRequest("/", "textus-secret", body))
	fmt.Println(rec.Code)

	// Output:
	// mirror opt-out of +13035551234
	// 200
}

// Queue deliveries: the handler answers as soon as a delivery is stored,
// and Run processes it in the background. The callback is idempotent per
// delivery id (an upsert keyed on e.ID), so even a job that runs again
// after a crash leaves one record: processing is effectively once. A
// redelivery of a queued or processed delivery is acknowledged and not run
// again.
func ExampleWithQueue() {
	secret := "textus-HOTh4kXxHIbYst0xutpkdw"
	h, err := webhooks.NewHandler(secret, webhooks.WithQueue(webhooks.NewMemoryQueue(1000)))
	if err != nil {
		log.Fatal(err)
	}
	var mu sync.Mutex
	inbox := map[string]string{} // delivery id -> message text
	processed := make(chan struct{}, 10)
	h.OnMessageReceived(func(ctx context.Context, e *textus.MessageEvent) error {
		mu.Lock()
		inbox[e.ID] = e.Message.Body // an upsert keyed on the delivery id
		mu.Unlock()
		processed <- struct{}{}
		return nil
	})

	ctx, stop := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- h.Run(ctx) }()

	for i := 0; i < 2; i++ { // the delivery, then TextUs sending it again
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, webhooks.NewSignedRequest("/hooks/textus", secret, []byte(inbound)))
		fmt.Println(rec.Code)
	}
	<-processed
	stop()
	fmt.Println("Run:", <-stopped)
	mu.Lock()
	fmt.Println(len(inbox), inbox["/integrations/h13Jc5/deliveries/xyz"])
	mu.Unlock()

	// Output:
	// 200
	// 200
	// Run: <nil>
	// 1 Yes, 3pm works
}

// A job that keeps failing ends in the dead letters with its raw body;
// once the cause is fixed, redrive it.
func ExampleQueue_deadLetters() {
	secret := "textus-HOTh4kXxHIbYst0xutpkdw"
	q := webhooks.NewMemoryQueue(1000)
	dead := make(chan webhooks.DeadLetter, 1)
	h, err := webhooks.NewHandler(secret, webhooks.WithQueue(q),
		webhooks.WithAttempts(2), webhooks.WithBackoff(time.Millisecond, time.Millisecond),
		webhooks.WithDeadLetterFunc(func(ctx context.Context, d webhooks.DeadLetter) { dead <- d }))
	if err != nil {
		log.Fatal(err)
	}
	var crmDown atomic.Bool
	crmDown.Store(true)
	processed := make(chan string, 1)
	h.OnMessageReceived(func(ctx context.Context, e *textus.MessageEvent) error {
		if crmDown.Load() {
			return errors.New("crm: 503 service unavailable")
		}
		processed <- e.Message.Body
		return nil
	})
	ctx, stop := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- h.Run(ctx) }()

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, webhooks.NewSignedRequest("/hooks/textus", secret, []byte(inbound)))
	fmt.Println(rec.Code)

	d := <-dead
	fmt.Printf("dead letter %s after %d attempts: %s\n", d.Job.ID, d.Job.Attempt, d.Job.LastError)

	// Later, with the CRM back: list the dead letters and redrive them.
	crmDown.Store(false)
	letters, err := q.DeadLetters(ctx, "", 100)
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range letters {
		if err := q.Redrive(ctx, l.Ref); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println("processed:", <-processed)
	stop()
	fmt.Println("Run:", <-stopped)

	// Output:
	// 200
	// dead letter /integrations/h13Jc5/deliveries/xyz after 2 attempts: crm: 503 service unavailable
	// processed: Yes, 3pm works
	// Run: <nil>
}
