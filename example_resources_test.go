package textus_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textustest"
)

func ExampleContactsService_CreateNote() {
	srv := textustest.NewServer()
	defer srv.Close()
	c := srv.Client()
	ctx := context.Background()

	contact, err := c.Contacts.Create(ctx, &textus.ContactParams{Name: "Jordan Lee"})
	if err != nil {
		log.Fatal(err)
	}
	for _, text := range []string{"Prefers texts after 5pm", "Interview booked for Tuesday"} {
		_, err := c.Contacts.CreateNote(ctx, contact.ID, text)
		if errors.Is(err, textus.ErrOutcomeUnknown) {
			log.Fatal("the note may exist; read the notes before adding it again: ", err)
		}
		if err != nil {
			log.Fatal(err)
		}
	}
	for note, err := range c.Contacts.Notes(ctx, contact.ID) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %s\n", note.UserName, note.Content)
	}

	// Output:
	// Test User: Prefers texts after 5pm
	// Test User: Interview booked for Tuesday
}

func ExampleCampaignsService_Create() {
	srv := textustest.NewServer()
	defer srv.Close()
	c := srv.Client()
	ctx := context.Background()

	// Campaigns address contact phones, not numbers: their IDs come with
	// the contacts (or from Contacts.SearchPhones).
	var recipients []string
	for _, p := range []textus.PhoneParams{{Number: "(303) 555-0142"}, {Number: "(303) 555-0143"}} {
		contact, err := c.Contacts.Create(ctx, &textus.ContactParams{Phones: []textus.PhoneParams{p}})
		if err != nil {
			log.Fatal(err)
		}
		recipients = append(recipients, contact.Phones[0].ID)
	}
	campaign, err := c.Campaigns.Create(ctx, &textus.CampaignParams{
		Title:         "Open house",
		MessageBody:   "Join us Thursday at 3pm for our open house!",
		Recipients:    recipients,
		ExclusionTime: 24 * time.Hour, // skip anyone who got a campaign in the last day
	})
	if errors.Is(err, textus.ErrOutcomeUnknown) {
		// Never create it again blindly: it may be texting people already.
		log.Fatal("the campaign may exist; look in TextUs before creating it again: ", err)
	}
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(campaign.Title, campaign.State)
	fmt.Println(len(srv.SentMessages()), "texts sent")

	// Output:
	// Open house sent
	// 2 texts sent
}

func ExampleConversationsService_BatchClose() {
	srv := textustest.NewServer()
	defer srv.Close()
	c := srv.Client()
	ctx := context.Background()
	for _, p := range []string{"+13035550142", "+13035550143"} {
		if _, err := srv.ReceiveMessage(p, "Thanks, all set!"); err != nil {
			log.Fatal(err)
		}
	}

	// Close every active conversation that has not changed since now.
	err := c.Conversations.BatchClose(ctx, "active", &textus.BatchParams{ModifiedBefore: time.Now().Add(time.Second)})
	if err != nil {
		log.Fatal(err)
	}
	for cv, err := range c.Conversations.List(ctx, &textus.ConversationListOptions{Filter: "closed"}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(cv.PhoneNumber, cv.CurrentState)
	}

	// Output:
	// +13035550143 closed
	// +13035550142 closed
}

func ExampleAccountsService_Tree() {
	srv := textustest.NewServer()
	defer srv.Close()
	c := srv.Client()

	for root, err := range c.Accounts.Tree(context.Background(), nil) {
		if err != nil {
			log.Fatal(err)
		}
		root.Walk(func(a *textus.AccountTree, depth int) bool {
			fmt.Printf("%*s%s (%s)\n", 2*depth, "", a.Name, a.Slug)
			return true
		})
	}

	// Output:
	// Test Account (test_account)
	//   Test Account Child (test_account_child)
}
