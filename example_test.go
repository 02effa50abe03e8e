package textus_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textustest"
)

// The examples run against textustest, a fake TextUs server. Against
// TextUs, create the client with your API token and account slug instead:
//
//	c, err := textus.NewClient(os.Getenv("TEXTUS_TOKEN"), textus.WithAccount("my_account"))

func ExampleNewClient() {
	srv := textustest.NewServer()
	defer srv.Close()

	c, err := textus.NewClient(srv.Token(),
		textus.WithBaseURL(srv.URL()), // omit for https://next.textus.com
		textus.WithAccount(srv.Account()),
		textus.WithUserAgent("acme-ats/2.1"),
	)
	if err != nil {
		log.Fatal(err)
	}
	account, err := c.Accounts.Get(context.Background(), c.Account())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(account.Name, account.Slug)

	// Output:
	// Test Account test_account
}

func ExampleContactsService_Create() {
	srv := textustest.NewServer()
	defer srv.Close()
	c := srv.Client()

	contact, err := c.Contacts.Create(context.Background(), &textus.ContactParams{
		Name:   "Jordan Lee",
		Phones: []textus.PhoneParams{{Number: "(303) 555-1234", Type: "Mobile"}},
		Data:   map[string]any{"businessName": "Acme Logistics", "tags": []string{"forklift"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(contact.Name, "/", contact.FirstName, "/", contact.LastName)
	fmt.Println(contact.Phones[0].PhoneNumber, contact.Phones[0].FormattedPhoneNumber, contact.Phones[0].Type)
	fmt.Println(contact.Data["businessName"])

	// Output:
	// Jordan Lee / Jordan / Lee
	// +13035551234 (303) 555-1234 Mobile
	// Acme Logistics
}

func ExampleContactsService_List() {
	srv := textustest.NewServer(textustest.WithPageSize(2)) // small pages, to show they are followed
	defer srv.Close()
	c := srv.Client()
	ctx := context.Background()
	for i, name := range []string{"Ada Park", "Ben Cho", "Cy Diaz", "Dee Ford", "Eli Gray"} {
		phone := fmt.Sprintf("+1303555010%d", i)
		if _, err := c.Contacts.Create(ctx, &textus.ContactParams{Name: name, Phones: []textus.PhoneParams{{Number: phone}}}); err != nil {
			log.Fatal(err)
		}
	}

	// The iterator fetches pages as the loop needs them; breaking out stops
	// fetching.
	n := 0
	for contact, err := range c.Contacts.List(ctx, nil) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(contact.Name, contact.Phones[0].PhoneNumber)
		if n++; n == 3 {
			break
		}
	}

	// Output:
	// Ada Park +13035550100
	// Ben Cho +13035550101
	// Cy Diaz +13035550102
}

func ExampleContactsService_ListPage() {
	srv := textustest.NewServer(textustest.WithPageSize(2))
	defer srv.Close()
	c := srv.Client()
	ctx := context.Background()
	for _, name := range []string{"Ada Park", "Ben Cho", "Cy Diaz", "Dee Ford", "Eli Gray"} {
		if _, err := c.Contacts.Create(ctx, &textus.ContactParams{Name: name}); err != nil {
			log.Fatal(err)
		}
	}

	// A long export reads one page, saves the cursor, and resumes from it
	// later, possibly in another process.
	page, err := c.Contacts.ListPage(ctx, nil, "")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("first page:", len(page.Items), "of", page.TotalItems, "contacts; more:", page.HasNext())
	saved := page.NextCursor

	for cursor := saved; cursor != ""; {
		page, err := c.Contacts.ListPage(ctx, nil, cursor)
		if err != nil {
			log.Fatal(err)
		}
		for _, contact := range page.Items {
			fmt.Println("resumed:", contact.Name)
		}
		cursor = page.NextCursor
	}

	// Output:
	// first page: 2 of 5 contacts; more: true
	// resumed: Cy Diaz
	// resumed: Dee Ford
	// resumed: Eli Gray
}

func ExampleMessagesService_Send() {
	srv := textustest.NewServer()
	defer srv.Close()
	c := srv.Client()

	m, err := c.Messages.Send(context.Background(), &textus.SendMessageParams{
		To:   "(303) 555-1234", // normalised to +13035551234
		Body: "Hi Jordan, are you free for a call at 3pm?",
	})
	switch {
	case errors.Is(err, textus.ErrOutcomeUnknown):
		log.Fatal("the text may have gone out; check the conversation before sending again: ", err)
	case errors.Is(err, textus.ErrValidation):
		log.Fatal("refused, for example because the number opted out: ", err)
	case err != nil:
		log.Fatal(err)
	}
	fmt.Println(m.Direction, m.DeliveryState, m.Body)
	fmt.Println(srv.SentMessages()[0].DeliveryState)

	// Output:
	// out queued Hi Jordan, are you free for a call at 3pm?
	// delivered
}

// A send whose response is lost: TextUs sent the text, but the client
// cannot know. The SDK never re-sends a POST that may have reached TextUs;
// the error matches ErrOutcomeUnknown and the caller decides.
func ExampleMessagesService_Send_outcomeUnknown() {
	srv := textustest.NewServer(textustest.WithFaults(textustest.Fault{
		Kind:   textustest.FaultLoseResponse, // the server acts, then drops the connection
		Rate:   1,
		Method: "POST",
		Path:   "/:account/messages",
	}))
	defer srv.Close()
	c := srv.Client()

	_, err := c.Messages.Send(context.Background(), &textus.SendMessageParams{To: "+13035551234", Body: "See you at 3pm"})
	if errors.Is(err, textus.ErrOutcomeUnknown) {
		fmt.Println("outcome unknown: not re-sent")
	}
	fmt.Println("texts the server recorded:", len(srv.SentMessages()))

	// Output:
	// outcome unknown: not re-sent
	// texts the server recorded: 1
}

func ExampleConversationsService_Timeline() {
	srv := textustest.NewServer()
	defer srv.Close()
	c := srv.Client()
	ctx := context.Background()
	if _, err := c.Messages.Send(ctx, &textus.SendMessageParams{To: "+13035551234", Body: "Are you free at 3pm?"}); err != nil {
		log.Fatal(err)
	}
	if _, err := srv.ReceiveMessage("+13035551234", "Yes, 3pm works"); err != nil { // the candidate answers
		log.Fatal(err)
	}

	conv, err := c.Conversations.GetByPhone(ctx, "+13035551234")
	if err != nil {
		log.Fatal(err)
	}
	// Newest first.
	for m, err := range c.Conversations.Timeline(ctx, conv.ID) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%-3s %-9s %s\n", m.Direction, m.DeliveryState, m.Body)
	}

	// Output:
	// in  received  Yes, 3pm works
	// out delivered Are you free at 3pm?
}

func ExampleOptOutsService_IsOptedOut() {
	srv := textustest.NewServer()
	defer srv.Close()
	c := srv.Client()
	ctx := context.Background()

	out, err := c.OptOuts.IsOptedOut(ctx, "(303) 555-1234")
	if err != nil {
		log.Fatal(err) // a failed check is an error, never "not opted out"
	}
	fmt.Println("before STOP:", out)

	if _, err := srv.ReceiveMessage("+13035551234", "STOP"); err != nil {
		log.Fatal(err)
	}
	out, err = c.OptOuts.IsOptedOut(ctx, "(303) 555-1234")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("after STOP:", out)

	_, err = c.Messages.Send(ctx, &textus.SendMessageParams{To: "+13035551234", Body: "One more thing"})
	fmt.Println("send refused:", errors.Is(err, textus.ErrValidation))

	// Output:
	// before STOP: false
	// after STOP: true
	// send refused: true
}

func ExampleWebhooksService_Create() {
	srv := textustest.NewServer()
	defer srv.Close()
	c := srv.Client()

	hook, err := c.Webhooks.Create(context.Background(), &textus.WebhookParams{
		URL:    "https://example.com/webhooks/textus",
		Events: []textus.EventType{textus.EventMessageReceived, textus.EventContactOptedOut},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(hook.URL, hook.Active)
	fmt.Println(hook.Events)
	// Give hook.Secret to webhooks.NewHandler; keep it out of logs.
	fmt.Println("secret returned:", hook.Secret != "")

	// Output:
	// https://example.com/webhooks/textus true
	// [contact.opted_out message.received]
	// secret returned: true
}

func ExampleParseEvent() {
	body := []byte(`{
	  "@type": "WebhookDelivery",
	  "id": "/integrations/h13Jc5/deliveries/xyz",
	  "timestamp": "2018-07-24T20:59:32.156Z",
	  "action": "message.received",
	  "webHook": "/integrations/h13Jc5",
	  "conversation": {"id": "/conversations/JYnJBY", "phoneNumber": "+13035551234"},
	  "message": {"id": "/messages/06oyogE", "direction": "in", "body": "Yes, 3pm works", "deliveryState": "received"}
	}`)

	// Verify the signature first (webhooks.Verify), then parse.
	ev, err := textus.ParseEvent(body)
	if err != nil {
		log.Fatal(err)
	}
	switch e := ev.(type) {
	case *textus.MessageEvent:
		fmt.Println(e.Action, e.ID)
		fmt.Println(e.Timestamp.UTC().Format("2006-01-02 15:04:05"))
		fmt.Printf("%s from %s: %q\n", e.Message.Direction, e.Conversation.PhoneNumber, e.Message.Body)
	case *textus.OptOutEvent:
		fmt.Println("opt-out of", e.PhoneNumber())
	case *textus.Event:
		fmt.Println("unknown action", e.RawAction)
	}

	// Output:
	// message.received /integrations/h13Jc5/deliveries/xyz
	// 2018-07-24 20:59:32
	// in from +13035551234: "Yes, 3pm works"
}
