package textus_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textustest"
)

// FindByPhone finds a contact whatever form the server keeps its number in
// (E.164 as documented, the national digits, the display form, or the
// number as it was typed), and only that contact: a miss would make callers
// create a duplicate contact.
func TestFindByPhoneWhateverTheStoredForm(t *testing.T) {
	ctx := context.Background()
	forms := map[string]textustest.PhoneForm{
		"E.164": textustest.PhoneFormE164, "national": textustest.PhoneFormNational,
		"display": textustest.PhoneFormDisplay, "as typed": textustest.PhoneFormAsTyped,
	}
	typed := []string{"303-555-1234", "+1 (303) 555-1234", "1-303-555-1234", "3035551234", "(303) 555-1234 x12"}
	for name, form := range forms {
		for _, number := range typed {
			t.Run(fmt.Sprintf("%s/%s", name, number), func(t *testing.T) {
				srv := textustest.NewServer(textustest.WithPhoneForm(form))
				defer srv.Close()
				c := srv.Client()
				// Neighbours whose digits contain or resemble the number's.
				for _, other := range []string{"+1 720 303 5551", "+44 303 555 1234"} {
					_, err := c.Contacts.Create(ctx, &textus.ContactParams{Name: "Other " + other, Phones: []textus.PhoneParams{{Number: other}}})
					require.NoError(t, err)
				}
				want, err := c.Contacts.Create(ctx, &textus.ContactParams{Name: "Jordan Lee", Phones: []textus.PhoneParams{{Number: number}}})
				require.NoError(t, err)

				for _, query := range []string{"+13035551234", "(303) 555-1234", "1-303-555-1234"} {
					got, err := c.Contacts.FindByPhone(ctx, query)
					require.NoError(t, err, "FindByPhone(%q)", query)
					assert.Equal(t, want.ID, got.ID)
				}
				_, err = c.Contacts.FindByPhone(ctx, "+13035551230")
				assert.True(t, errors.Is(err, textus.ErrNotFound), "a number nobody has: %v", err)
			})
		}
	}
}
