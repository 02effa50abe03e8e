package jsonld

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLinkUnmarshal(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		iri     string
		withRaw bool
	}{
		{"string", `"/contacts/DQeeO69"`, "/contacts/DQeeO69", false},
		{"string with escapes", `"\/contacts\/DQeeO69"`, "/contacts/DQeeO69", false},
		{"empty string", `""`, "", false},
		{"object with id", `{"@type":"Contact","id":"/contacts/DQeeO69","name":"Cordell Walker"}`, "/contacts/DQeeO69", true},
		{"object with @id", `{"@id":"/contacts/DQeeO69"}`, "/contacts/DQeeO69", true},
		{"id wins over @id", `{"id":"/contacts/a","@id":"/contacts/b"}`, "/contacts/a", true},
		{"object without id", `{"name":"x"}`, "", true},
		{"null", `null`, "", false},
		{"null with space", ` null `, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := Link{IRI: "stale", Raw: json.RawMessage(`{"stale":true}`)}
			require.NoError(t, json.Unmarshal([]byte(tt.in), &l))
			assert.Equal(t, tt.iri, l.IRI)
			if tt.withRaw {
				assert.JSONEq(t, tt.in, string(l.Raw))
			} else {
				assert.Empty(t, l.Raw)
			}
		})
	}
}

func TestLinkUnmarshalNotARelation(t *testing.T) {
	// A value that cannot be a relation decodes as none instead of failing
	// the resource that holds it.
	for _, in := range []string{`42`, `true`, `["/contacts/a"]`} {
		t.Run(in, func(t *testing.T) {
			l := Link{IRI: "stale"}
			require.NoError(t, json.Unmarshal([]byte(in), &l))
			assert.Equal(t, Link{}, l)
		})
	}
	var v struct {
		Contact Link   `json:"contact"`
		Name    string `json:"name"`
	}
	require.NoError(t, json.Unmarshal([]byte(`{"contact":7,"name":"kept"}`), &v))
	assert.Empty(t, v.Contact.IRI)
	assert.Equal(t, "kept", v.Name)
	// An object whose id is not a string has no IRI but keeps the object.
	var l Link
	require.NoError(t, json.Unmarshal([]byte(`{"id":42,"name":"x"}`), &l))
	assert.Empty(t, l.IRI)
	assert.JSONEq(t, `{"id":42,"name":"x"}`, string(l.Raw))
}

func TestLinkInStruct(t *testing.T) {
	var v struct {
		A, B, C Link
		D       Link `json:"d"`
	}
	require.NoError(t, json.Unmarshal([]byte(`{"A":"/x/1","B":{"id":"/x/2"},"C":null}`), &v))
	assert.Equal(t, "/x/1", v.A.IRI)
	assert.Equal(t, "/x/2", v.B.IRI)
	assert.Empty(t, v.C.IRI)
	assert.Empty(t, v.D.IRI, "absent")
}

func TestLinkMarshal(t *testing.T) {
	b, err := json.Marshal(Link{IRI: "/contacts/a"})
	require.NoError(t, err)
	assert.JSONEq(t, `"/contacts/a"`, string(b))

	b, err = json.Marshal(Link{})
	require.NoError(t, err)
	assert.Equal(t, `null`, string(b))

	obj := `{"id":"/contacts/a","name":"A"}`
	var l Link
	require.NoError(t, json.Unmarshal([]byte(obj), &l))
	b, err = json.Marshal(l)
	require.NoError(t, err)
	assert.JSONEq(t, obj, string(b), "an embedded object round-trips")
}

type member struct {
	ID string `json:"id"`
}

func TestCollectionCompactKeys(t *testing.T) {
	in := `{
	  "@type": "hydra:Collection", "@context": "/contexts/hydra:Collection.jsonld", "id": "/my_account/opt_outs",
	  "totalItems": 57,
	  "members": [ {"id": "/textus/opt_outs/+15553031234"}, {"id": "/textus/opt_outs/+15553031235"} ],
	  "view": { "@type": "hydra:PartialCollectionView", "id": "/my_account/opt_outs", "first": "/my_account/opt_outs",
	    "next": "/my_account/opt_outs?cursor=MjU", "previous": null }
	}`
	var c Collection[member]
	require.NoError(t, json.Unmarshal([]byte(in), &c))
	assert.Equal(t, "hydra:Collection", c.Type)
	assert.Equal(t, "/my_account/opt_outs", c.ID)
	assert.Equal(t, 57, c.TotalItems, "totalItems is the total across pages, not len(members)")
	assert.Equal(t, []member{{"/textus/opt_outs/+15553031234"}, {"/textus/opt_outs/+15553031235"}}, c.Members)
	require.NotNil(t, c.View)
	assert.Equal(t, View{ID: "/my_account/opt_outs", First: "/my_account/opt_outs", Next: "/my_account/opt_outs?cursor=MjU"}, *c.View)
	assert.Equal(t, "/my_account/opt_outs?cursor=MjU", c.Next())
}

func TestCollectionHydraKeys(t *testing.T) {
	in := `{
	  "@type": "hydra:Collection", "id": "/my_account/contacts",
	  "hydra:totalItems": 9,
	  "hydra:member": [ {"id": "/contacts/a"} ],
	  "hydra:view": { "@type": "hydra:PartialCollectionView", "id": "/my_account/contacts", "next": "/my_account/contacts?cursor=2" }
	}`
	var c Collection[member]
	require.NoError(t, json.Unmarshal([]byte(in), &c))
	assert.Equal(t, 9, c.TotalItems)
	assert.Equal(t, []member{{"/contacts/a"}}, c.Members)
	assert.Equal(t, "/my_account/contacts?cursor=2", c.Next())
}

func TestCollectionCompactKeysWin(t *testing.T) {
	in := `{"members":[{"id":"/a"}],"hydra:member":[{"id":"/b"}],"totalItems":1,"hydra:totalItems":2,
	  "view":{"next":"/a?p=2"},"hydra:view":{"next":"/b?p=2"}}`
	var c Collection[member]
	require.NoError(t, json.Unmarshal([]byte(in), &c))
	assert.Equal(t, []member{{"/a"}}, c.Members)
	assert.Equal(t, 1, c.TotalItems)
	assert.Equal(t, "/a?p=2", c.Next())
}

func TestCollectionTotalItemsDefault(t *testing.T) {
	var c Collection[member]
	require.NoError(t, json.Unmarshal([]byte(`{"members":[{"id":"/a"},{"id":"/b"}]}`), &c))
	assert.Equal(t, 2, c.TotalItems, "defaults to the member count")
	assert.Nil(t, c.View)
	assert.Empty(t, c.Next())

	require.NoError(t, json.Unmarshal([]byte(`{"members":[{"id":"/a"}],"totalItems":0}`), &c))
	assert.Zero(t, c.TotalItems, "an explicit 0 is kept")
}

func TestCollectionArrayForm(t *testing.T) {
	var c Collection[member]
	require.NoError(t, json.Unmarshal([]byte(`[{"id":"/a"},{"id":"/b"},{"id":"/c"}]`), &c))
	assert.Equal(t, []member{{"/a"}, {"/b"}, {"/c"}}, c.Members)
	assert.Equal(t, 3, c.TotalItems)
	assert.Empty(t, c.ID)
	assert.Empty(t, c.Next())
}

func TestCollectionLinkStringForm(t *testing.T) {
	var c Collection[member]
	require.NoError(t, json.Unmarshal([]byte(`"/contacts/DQeeO69/phones"`), &c))
	assert.Equal(t, "/contacts/DQeeO69/phones", c.ID)
	assert.Empty(t, c.Members)
	assert.Zero(t, c.TotalItems)
	assert.Empty(t, c.Next())
}

func TestCollectionNullAndReuse(t *testing.T) {
	c := Collection[member]{ID: "stale", Members: []member{{"/x"}}, TotalItems: 5, View: &View{Next: "/x"}}
	require.NoError(t, json.Unmarshal([]byte(`null`), &c))
	assert.Equal(t, Collection[member]{}, c)

	c = Collection[member]{ID: "stale", Members: []member{{"/x"}}, TotalItems: 5, View: &View{Next: "/x"}}
	require.NoError(t, json.Unmarshal([]byte(`{"members":[]}`), &c))
	assert.Empty(t, c.ID)
	assert.Empty(t, c.Members)
	assert.Zero(t, c.TotalItems)
	assert.Empty(t, c.Next(), "no stale next link")
}

func TestCollectionNullNext(t *testing.T) {
	var c Collection[member]
	require.NoError(t, json.Unmarshal([]byte(`{"members":[],"view":{"id":"/a","next":null}}`), &c))
	require.NotNil(t, c.View)
	assert.Empty(t, c.Next())
}

func TestCollectionOfLinks(t *testing.T) {
	var c Collection[Link]
	require.NoError(t, json.Unmarshal([]byte(`{"members":["/attachments/1",{"id":"/attachments/2"},null]}`), &c))
	require.Len(t, c.Members, 3)
	assert.Equal(t, "/attachments/1", c.Members[0].IRI)
	assert.Equal(t, "/attachments/2", c.Members[1].IRI)
	assert.Empty(t, c.Members[2].IRI)
}

// A collection keeps what fits: mistyped parts are left zero, never fail
// it (nor the resource that embeds it).
func TestCollectionKeepsWhatFits(t *testing.T) {
	cases := []struct {
		in      string
		id      string
		members []member
		total   int
	}{
		{in: `42`}, {in: `true`},
		{in: `{"members":"x","id":"/c"}`, id: "/c"},
		{in: `{"members":[1,{"id":"a"}]}`, members: []member{{}, {ID: "a"}}, total: 2},
		{in: `{"totalItems":"many","members":[{"id":"a"}]}`, members: []member{{ID: "a"}}, total: 0}, // a mistyped total is left zero
		{in: `{"@type":[],"id":"/c","members":[{"id":"a"}]}`, id: "/c", members: []member{{ID: "a"}}, total: 1},
		{in: `[1,{"id":"a"}]`, members: []member{{}, {ID: "a"}}, total: 2},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			var c Collection[member]
			require.NoError(t, json.Unmarshal([]byte(tc.in), &c))
			assert.Equal(t, tc.id, c.ID)
			assert.Equal(t, tc.members, c.Members)
			assert.Equal(t, tc.total, c.TotalItems)
		})
	}
	var c Collection[member]
	assert.Error(t, c.UnmarshalJSON([]byte(`{"members":[`)), "invalid JSON is still an error")
}

func TestNextOnNilView(t *testing.T) {
	var c Collection[member]
	assert.Empty(t, c.Next())
}

func TestSlug(t *testing.T) {
	tests := map[string]string{
		"/contacts/DQeeO69":               "DQeeO69",
		"DQeeO69":                         "DQeeO69",
		"/contacts/DQeeO69/":              "DQeeO69",
		"/textus/opt_outs/+15553031234":   "+15553031234",
		"/textus/opt_outs/735":            "735",
		"/accounts/my_account":            "my_account",
		"/contacts/DQeeO69?x=1":           "DQeeO69",
		"/contacts/DQeeO69#frag":          "DQeeO69",
		"/my_account/opt_outs?cursor=a/b": "opt_outs",
		"":                                "",
		"/":                               "",
	}
	for in, want := range tests {
		assert.Equal(t, want, Slug(in), "Slug(%q)", in)
	}
}
