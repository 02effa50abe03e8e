package textus

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// onePassCorpus holds, per resource type, documented examples and variants
// in every form the lenient decoders accept.
var onePassCorpus = map[string][]string{
	"contact": {
		specContactJSON, benchContactJSON, contactJSON,
		`{"id":"/contacts/1","phones":"/contacts/1/phones","conversations":{"id":"/contacts/1/conversations"}}`,
		`{"id":"/contacts/1","phones":[{"phoneNumber":"+13035551234","contact":{"id":"/contacts/1","name":"x"}}]}`,
		`{"id":"/contacts/1","phones":{"hydra:member":[{"phoneNumber":"+13035551234","extension":"12"}]},"createdAt":"2020-01-06T21:49:58Z"}`,
		`{"id":"/contacts/1","phones":{"members":[],"hydra:member":[{"phoneNumber":"+1"}]}}`,
		`{"id":"/contacts/1","phones":{"members":null,"hydra:member":[{"phoneNumber":"+1"}]}}`,
		`{"id":"/contacts/1","phones":{"id":"/contacts/1/phones","members":[null]}}`,
		`{"id":7,"name":"x","createdAt":5,"data":"nope","phones":{"members":[{"phoneNumber":5}]}}`,
		`{"id":"/contacts/1","createdAt":"2020-01-06T21:49:58.123456-05:00","data":null}`,
		`{"id":"/contacts/1","createdAt":"not a time","Name":"Case"}`,
		`{"id":"/contacts/1","createdAt":"2020-01-06T21:49:58.312"}`,
		`{}`, `null`,
		docsGetContactJSON,
		`{"id":"/contacts/1","customData":{"id":"/contacts/1/custom_data","members":[{"slug":"a","value":1},{"key":"b"},null]},"formattedData":{"a":"1"}}`,
		`{"id":"/contacts/1","customData":{"hydra:member":[{"slug":"a"}]},"formattedData":[1]}`,
		`{"id":"/contacts/1","customData":[{"slug":"a"}],"formattedData":null}`,
		`{"id":"/contacts/1","customData":"/contacts/1/custom_data"}`,
	},
	"message": {
		specMessageJSON, messageJSON,
		`{"id":"/messages/1","conversation":{"id":"/conversations/2","slug":"2"},"sender":{"id":"/users/3"}}`,
		`{"id":"/messages/1","attachments":{"members":["/attachments/1",{"id":"/attachments/2"},null]}}`,
		`{"id":"/messages/1","attachments":{"members":[{"@id":"/attachments/9"},null]},"timelinePosition":12}`,
		`{"id":"/messages/1","attachments":["/a/1"],"flags":["automated",3],"retryAllowed":"yes"}`,
		`{"id":"/messages/1","attachments":{"members":[]},"flags":[]}`,
		`{"@type":"Message","id":"/messages/1","body":"hi","direction":"in","deliveryState":"received","sender":null,"timelinePosition":"2018-07-24T20:59:32.156Z"}`,
		`{"@type":"PhoneCall","id":"/phone_calls/1","body":{"x":1}}`,
	},
	"conversation": {
		specConversationJSON,
		`{"id":"/conversations/1","account":{"id":"/accounts/a","name":"A"},"assignedContact":{"id":"/contacts/9"}}`,
		`{"id":"/conversations/1","latestPreviewableItem":"/messages/1"}`,
		`{"id":"/conversations/1","latestPreviewableItem":{"id":"/messages/1","conversation":{"id":"/conversations/1"}}}`,
		`{"id":"/conversations/1","latestPreviewableItem":null,"unanswered":"true"}`,
		`{"id":"/conversations/1","latestPreviewableItem":{"id":5}}`,
		`{"id":"/conversations/1","account":{"ID":"/accounts/upper"},"assignedContact":{"@ID":"/contacts/at","id":5}}`,
		`{"id":"/conversations/1","account":{"i\u0064":"/accounts/escaped"},"assignedContact":{"id":null,"@id":"/contacts/3"}}`,
		`{"id":"/conversations/1","account":{"id":"/accounts/4","Id":"/accounts/5","nested":{"id":"/no"}},"assignedContact":{"@id":"\u002fcontacts\u002f6"}}`,
		`{"id":"/conversations/1","account":{"name":"no id"},"assignedContact":{"id":"","@id":"/contacts/7"}}`,
		`{"id":"/conversations/1","requestingUserInfo":{"id":"/conversations/1/user_info","read":true,"readToTimelinePosition":null,"starred":true,"assigned":false}}`,
		`{"id":"/conversations/1","requestingUserInfo":{"read":"yes","readToTimelinePosition":12,"assigned":true},"assignedContact":"/contacts/2"}`,
		`{"id":"/conversations/1","requestingUserInfo":"/conversations/1/user_info","assignedContact":{"id":"/contacts/3","name":"x"}}`,
		`{"id":"/conversations/1","requestingUserInfo":[true],"assignedContact":5}`,
	},
	"optout": {
		specOptOutJSON,
		`{"id":"/textus/opt_outs/735","formattedPhoneNumber":"(940) 850-3220","account":"/accounts/old","displayUserName":"x"}`,
		`{"id":"/textus/opt_outs/%2B13035551234","user":"/users/1","originatingAccount":"/accounts/a"}`,
		`{"id":"/textus/opt_outs/+13035551234","user":{"@id":"/users/2"},"originatingAccount":{"id":"/accounts/a","name":"A"},"type":"opt-out"}`,
		`{"id":"/textus/opt_outs/+13035551234","phoneNumber":"+13035559999","createdAt":"2020-07-30T15:18:52.133Z"}`,
		`{"id":"/textus/opt_outs/+13035551234","user":{"id":3}}`,
	},
}

// onePass and lenient decode raw into a new resource of the corpus kind,
// through the one-pass path and through the lenient decoder alone.
func decodeBoth(kind string, raw []byte) (fast, slow any, fastErr, slowErr error) {
	own := func() []byte { return append([]byte(nil), raw...) }
	switch kind {
	case "contact":
		f, s := new(Contact), new(Contact)
		fastErr, slowErr = f.decodeBytes(own()), lenientOrNull(s, own(), lenientContact)
		return f, s, fastErr, slowErr
	case "message":
		f, s := new(Message), new(Message)
		fastErr, slowErr = f.decodeBytes(own()), lenientOrNull(s, own(), lenientMessage)
		return f, s, fastErr, slowErr
	case "conversation":
		f, s := new(Conversation), new(Conversation)
		fastErr, slowErr = f.decodeBytes(own()), lenientOrNull(s, own(), lenientConversation)
		return f, s, fastErr, slowErr
	case "optout":
		f, s := new(OptOut), new(OptOut)
		fastErr, slowErr = f.decodeBytes(own()), lenientOrNull(s, own(), lenientOptOut)
		return f, s, fastErr, slowErr
	}
	panic("unknown kind " + kind)
}

func lenientOrNull[T any](v *T, raw []byte, lenient func(*T, []byte) error) error {
	if isNull(raw) {
		return nil
	}
	return lenient(v, raw)
}

// The one-pass decoder and the lenient decoder give the same resource for
// the same bytes, whichever path the one-pass decoder took.
func TestOnePassMatchesLenient(t *testing.T) {
	for kind, samples := range onePassCorpus {
		for i, sample := range samples {
			fast, slow, fastErr, slowErr := decodeBoth(kind, []byte(sample))
			require.Equal(t, slowErr == nil, fastErr == nil, "%s %d: errors %v / %v", kind, i, fastErr, slowErr)
			assert.Equal(t, slow, fast, "%s %d: %s", kind, i, sample)
		}
	}
}

// The one-pass path really is taken for the documented examples (else the
// speed is lost while the results still match).
func TestOnePassTakenForDocumentedShapes(t *testing.T) {
	for name, c := range map[string]struct {
		raw string
		w   any
	}{
		"contact":      {specContactJSON, &wireContact{}},
		"message":      {specMessageJSON, &wireMessage{}},
		"conversation": {specConversationJSON, &wireConversation{}},
		"optout":       {specOptOutJSON, &wireOptOut{}},
	} {
		assert.NoError(t, json.Unmarshal([]byte(c.raw), c.w), name)
	}
}

// A page's members keep their own bytes as Raw, without the separators
// around them, and a member that does not fit the documented shape is the
// only one decoded again.
func TestPageMembersKeepTheirBytes(t *testing.T) {
	m1 := `{"id":"/contacts/1","name":"A"}`
	m2 := `{"id":"/contacts/2","conversations":{"id":"/contacts/2/conversations"}}`
	body := []byte("{\"totalItems\": 2, \"members\" : [ " + m1 + " ,\n\t" + m2 + " , null ], \"view\":{\"next\":\"/x?cursor=2\"}}")
	p := &collectionPage[Contact]{}
	require.NoError(t, p.decode(body))
	require.Len(t, p.items, 2)
	assert.Equal(t, m1, string(p.items[0].Raw))
	assert.Equal(t, m2, string(p.items[1].Raw))
	assert.Equal(t, "/contacts/2/conversations", p.items[1].Conversations, "the misfit member went the lenient way")
	assert.Equal(t, 2, p.totalItems)
	assert.Equal(t, "/x?cursor=2", p.next)
}

// Pages in every accepted form.
func TestDecodePageForms(t *testing.T) {
	cases := map[string]struct {
		body  string
		ids   []string
		total int
		next  string
		fails bool
	}{
		"empty body":      {body: "", ids: nil},
		"null":            {body: "null", ids: nil},
		"link":            {body: `"/my_account/contacts"`, ids: nil},
		"bare array":      {body: `[{"id":"a"},null,{"id":"b"}]`, ids: []string{"a", "b"}, total: 2},
		"prefixed keys":   {body: `{"hydra:member":[{"id":"a"}],"hydra:totalItems":9,"hydra:view":{"next":"/n"}}`, ids: []string{"a"}, total: 9, next: "/n"},
		"compact wins":    {body: `{"hydra:member":[{"id":"h"}],"members":[{"id":"c"}],"hydra:totalItems":9,"totalItems":1}`, ids: []string{"c"}, total: 1},
		"null members":    {body: `{"members":null,"hydra:member":[{"id":"h"}]}`, ids: []string{"h"}, total: 1},
		"no total":        {body: `{"members":[{"id":"a"},{"id":"b"}],"other":{"deep":[1,2,{"x":null}]}}`, ids: []string{"a", "b"}, total: 2},
		"null view":       {body: `{"members":[],"view":null}`, ids: nil},
		"html":            {body: `<html>proxy</html>`, fails: true},
		"members string":  {body: `{"members":"x"}`, fails: true},
		"member a string": {body: `{"members":["not an object"]}`, fails: true},
		"truncated":       {body: `{"members":[{"id":"a"}`, fails: true},
		"total a string":  {body: `{"members":[],"totalItems":"x"}`, fails: true},
		"a number":        {body: `5`, fails: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p := &collectionPage[Contact]{}
			err := p.decode([]byte(tc.body))
			if tc.fails {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			var ids []string
			for _, c := range p.items {
				ids = append(ids, c.ID)
			}
			assert.Equal(t, tc.ids, ids)
			assert.Equal(t, tc.total, p.totalItems)
			assert.Equal(t, tc.next, p.next)
		})
	}
}

func FuzzOnePassMatchesLenient(f *testing.F) {
	for kind, samples := range onePassCorpus {
		for _, s := range samples {
			f.Add(kind, s)
		}
	}
	f.Fuzz(func(t *testing.T, kind, raw string) {
		if _, ok := onePassCorpus[kind]; !ok {
			return
		}
		fast, slow, fastErr, slowErr := decodeBoth(kind, []byte(raw))
		if (fastErr == nil) != (slowErr == nil) {
			t.Fatalf("errors differ for %q: one pass %v, lenient %v", raw, fastErr, slowErr)
		}
		if fastErr == nil && !reflect.DeepEqual(fast, slow) {
			t.Fatalf("results differ for %q:\n one pass %+v\n lenient  %+v", raw, fast, slow)
		}
	})
}
