package textustest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"sync"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textustest"
	"github.com/textus-go/textus/webhooks"
)

// The fake keeps real state: what the client creates can be read back,
// inbound texts are simulated with ReceiveMessage, and a STOP makes later
// sends fail as they would against TextUs.
func Example() {
	srv := textustest.NewServer()
	defer srv.Close()
	c := srv.Client()
	ctx := context.Background()

	contact, err := c.Contacts.Create(ctx, &textus.ContactParams{
		Name:   "Jane Doe",
		Phones: []textus.PhoneParams{{Number: "303-555-1234", Type: "Mobile"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(contact.Name, contact.Phones[0].PhoneNumber)

	msg, err := c.Messages.Send(ctx, &textus.SendMessageParams{To: "+13035551234", Body: "Your interview is at 3pm."})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(msg.Direction, msg.Body)

	// The candidate answers, then opts out.
	if _, err := srv.ReceiveMessage("+13035551234", "See you then"); err != nil {
		log.Fatal(err)
	}
	if _, err := srv.ReceiveMessage("+13035551234", "STOP"); err != nil {
		log.Fatal(err)
	}
	_, err = c.Messages.Send(ctx, &textus.SendMessageParams{To: "+13035551234", Body: "One more thing"})
	fmt.Println(errors.Is(err, textus.ErrValidation))
	fmt.Println(len(srv.SentMessages()), "message sent")

	// Output:
	// Jane Doe +13035551234
	// out Your interview is at 3pm.
	// true
	// 1 message sent
}

// A lost response: the server sends the text, then drops the connection.
// The SDK reports that the outcome is unknown instead of sending again.
func ExampleFault() {
	srv := textustest.NewServer(textustest.WithFaults(textustest.Fault{
		Kind:   textustest.FaultLoseResponse,
		Rate:   1,
		Method: "POST",
		Path:   "/:account/messages",
		Limit:  1,
	}))
	defer srv.Close()
	c := srv.Client()

	_, err := c.Messages.Send(context.Background(), &textus.SendMessageParams{To: "+13035551234", Body: "Hello"})
	fmt.Println(errors.Is(err, textus.ErrOutcomeUnknown))
	fmt.Println(len(srv.SentMessages()), "message sent")

	// Output:
	// true
	// 1 message sent
}

// Webhook subscriptions created through the client receive signed
// deliveries; WaitIdle waits for them without sleeping.
func Example_webhooks() {
	srv := textustest.NewServer()
	defer srv.Close()
	c := srv.Client()
	ctx := context.Background()

	// The handler needs the secret that Create returns, and Create needs
	// the URL: mount the handler once it exists.
	var mu sync.Mutex
	var handler http.Handler = http.NotFoundHandler()
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		h := handler
		mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	defer receiver.Close()

	hook, err := c.Webhooks.Create(ctx, &textus.WebhookParams{
		URL:    receiver.URL,
		Events: []textus.EventType{textus.EventMessageReceived, textus.EventContactOptedOut},
	})
	if err != nil {
		log.Fatal(err)
	}
	h, err := webhooks.NewHandler(hook.Secret)
	if err != nil {
		log.Fatal(err)
	}
	h.OnMessageReceived(func(_ context.Context, e *textus.MessageEvent) error {
		fmt.Println("received:", e.Message.Body)
		return nil
	})
	h.OnContactOptedOut(func(_ context.Context, e *textus.OptOutEvent) error {
		fmt.Println("opted out:", e.PhoneNumber())
		return nil
	})
	mu.Lock()
	handler = h
	mu.Unlock()

	if _, err := srv.ReceiveMessage("+13035551234", "stop"); err != nil {
		log.Fatal(err)
	}
	if err := srv.WaitIdle(ctx); err != nil {
		log.Fatal(err)
	}

	// Output:
	// received: stop
	// opted out: +13035551234
}

// SampleDelivery builds the delivery TextUs would post for an event, to
// test a webhook receiver without a server: sign it with the
// subscription's secret and hand it to the handler.
func ExampleSampleDelivery() {
	const secret = "textus-example-secret"
	h, err := webhooks.NewHandler(secret)
	if err != nil {
		log.Fatal(err)
	}
	h.OnMessageReceived(func(_ context.Context, e *textus.MessageEvent) error {
		fmt.Println(e.Action, e.Conversation.PhoneNumber, e.Message.Body)
		return nil
	})

	body, err := textustest.SampleDelivery(textus.EventMessageReceived, textustest.SampleOptions{
		Phone: "(303) 555-1234",
		Body:  "Yes, 3pm works",
	})
	if err != nil {
		log.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/webhooks", bytes.NewReader(body))
	req.Header.Set(webhooks.SignatureHeader, webhooks.Sign(secret, body))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code)

	// Output:
	// message.received +13035551234 Yes, 3pm works
	// 200
}
