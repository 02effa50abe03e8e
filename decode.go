package textus

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// One-pass decoding.
//
// The API's resources have documented shapes and nearly every response
// follows them. Each resource type read in bulk (Contact, Message,
// Conversation, OptOut) has a wire struct that mirrors its documented
// shape with plain fields only, which encoding/json decodes in one pass;
// the resource is then filled from it. When a value does not fit (a
// relation sent as an object where a link is documented, a number where a
// string is expected), encoding/json reports a type error, and that one
// resource is decoded again from its own bytes by its lenient decoder,
// which accepts every form and leaves a field it cannot read zero. Both
// paths give the same result for the same bytes (TestOnePassMatchesLenient).
//
// A response body is read whole, through the size cap, and the resources
// keep their bytes as Raw without a copy: a page's members are walked with
// a json.Decoder, whose input offsets delimit each member.

// wireResource is implemented by the resource types that have a one-pass
// decoder.
type wireResource interface {
	// decodeNext decodes the next value of dec, whose bytes start at
	// body[start:] (after any separator), into the receiver, which keeps
	// them as Raw. isNull reports a JSON null, which leaves it zero.
	decodeNext(dec *json.Decoder, body []byte, start int64) (isNull bool, err error)
	// decodeBytes decodes raw into the receiver, which keeps raw as Raw.
	decodeBytes(raw []byte) error
}

// filler is a wire struct: it fills a resource of type T, with raw as its
// Raw.
type filler[T any] interface {
	fill(v *T, raw []byte)
}

// decodeNextWire is wireResource.decodeNext for a resource T with wire
// struct W and lenient decoder lenient.
func decodeNextWire[T, W any, PW interface {
	*W
	filler[T]
}](v *T, dec *json.Decoder, body []byte, start int64, lenient func(*T, []byte) error) (bool, error) {
	var w W
	err := dec.Decode(&w)
	if err != nil && !misfit(err) {
		return false, err
	}
	raw := memberBytes(body, start, dec.InputOffset())
	if isNull(raw) {
		return true, nil
	}
	if err == nil {
		PW(&w).fill(v, raw)
		return false, nil
	}
	return false, lenient(v, raw)
}

// decodeBytesWire is wireResource.decodeBytes for a resource T with wire
// struct W and lenient decoder lenient. A JSON null leaves v as it is.
func decodeBytesWire[T, W any, PW interface {
	*W
	filler[T]
}](v *T, raw []byte, lenient func(*T, []byte) error) error {
	if isNull(raw) {
		return nil
	}
	var w W
	err := json.Unmarshal(raw, &w)
	if err == nil {
		PW(&w).fill(v, raw)
		return nil
	}
	if !misfit(err) {
		return err
	}
	return lenient(v, raw)
}

// misfit reports whether err from encoding/json means that a value did not
// fit its Go type (the input is valid JSON): the case for the lenient
// decoder.
func misfit(err error) bool {
	var te *json.UnmarshalTypeError
	return errors.As(err, &te)
}

// memberBytes returns body[start:end] without the separators (white space
// and a comma) a json.Decoder leaves before a value.
func memberBytes(body []byte, start, end int64) []byte {
	raw := body[start:end]
	for len(raw) > 0 {
		switch raw[0] {
		case ' ', '\t', '\r', '\n', ',', ':':
			raw = raw[1:]
			continue
		}
		break
	}
	return raw
}

func isNull(b []byte) bool { return string(trimJSONSpace(b)) == "null" }

// trimJSONSpace trims what JSON counts as white space (not, for instance, a
// form feed, which makes the value invalid).
func trimJSONSpace(b []byte) []byte { return bytes.Trim(b, " \t\r\n") }

// unmarshalResource decodes a whole response body into v: in one pass when v
// is a wireResource (v then keeps body as its Raw), else with
// encoding/json. An empty body leaves v untouched.
func unmarshalResource(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if w, ok := v.(wireResource); ok {
		return w.decodeBytes(body)
	}
	return json.Unmarshal(body, v)
}

// collectionPage is a hydra collection page: what keep (when set) lets
// through of its members, its total and its next link.
type collectionPage[T any] struct {
	keep       func(*T) bool
	items      []*T
	totalItems int
	next       string
}

// decodeBody decodes a response body as a page.
func (p *collectionPage[T]) decodeBody(body []byte) error {
	return p.decode(body)
}

// decode decodes a hydra collection page. It accepts the compact keys
// (members, totalItems, view) and the prefixed ones (hydra:member, ...), the
// compact ones winning when both are present; a page with no total counts
// its members. A collection sent as a bare array of members, as a link
// string or as null decodes too. Null members are skipped. keep, when set,
// drops the members it returns false for (mixed collections).
func (p *collectionPage[T]) decode(body []byte) error {
	keep := p.keep
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('['):
		if p.items, err = decodeMembers(dec, body, keep); err != nil {
			return err
		}
		p.totalItems = len(p.items)
		return nil
	case json.Delim('{'):
	default:
		if _, isString := tok.(string); isString || tok == nil {
			return nil // a link to the collection, or null: no members here
		}
		return fmt.Errorf("a collection must be a JSON object, got %v", tok)
	}
	var total, hTotal *int
	var view, hView *jsonldView
	var members, hMembers []*T
	var haveMembers bool
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return err
		}
		switch key {
		case "members", "hydra:member":
			items, isNullValue, err := decodeMemberArray(dec, body, keep)
			if err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			if key == "members" {
				members, haveMembers = items, !isNullValue
			} else {
				hMembers = items
			}
		case "totalItems":
			err = dec.Decode(&total)
		case "hydra:totalItems":
			err = dec.Decode(&hTotal)
		case "view":
			err = dec.Decode(&view)
		case "hydra:view":
			err = dec.Decode(&hView)
		default:
			err = dec.Decode(&skipJSON{})
		}
		if err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return err
	}
	p.items = members
	if !haveMembers {
		p.items = hMembers
	}
	switch {
	case total != nil:
		p.totalItems = *total
	case hTotal != nil:
		p.totalItems = *hTotal
	default:
		p.totalItems = len(p.items)
	}
	if view == nil {
		view = hView
	}
	if view != nil {
		p.next = view.Next
	}
	return nil
}

// jsonldView is the part of a hydra:PartialCollectionView the SDK reads.
type jsonldView struct {
	Next string `json:"next"`
}

// decodeMemberArray decodes the value of a members key: an array, or null.
func decodeMemberArray[T any](dec *json.Decoder, body []byte, keep func(*T) bool) (items []*T, isNullValue bool, err error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, false, err
	}
	switch tok {
	case json.Delim('['):
		items, err = decodeMembers(dec, body, keep)
		return items, false, err
	case nil:
		return nil, true, nil
	}
	return nil, false, fmt.Errorf("want an array of members, got %v", tok)
}

// decodeMembers decodes the members of an array whose '[' dec has read, and
// the closing ']'.
func decodeMembers[T any](dec *json.Decoder, body []byte, keep func(*T) bool) ([]*T, error) {
	items := make([]*T, 0, 8)
	for dec.More() {
		start := dec.InputOffset()
		v := new(T)
		var isNullValue bool
		var err error
		if w, ok := any(v).(wireResource); ok {
			isNullValue, err = w.decodeNext(dec, body, start)
		} else {
			var raw json.RawMessage
			if err = dec.Decode(&raw); err == nil {
				if isNullValue = isNull(raw); !isNullValue {
					err = json.Unmarshal(raw, v)
				}
			}
		}
		if err != nil {
			return nil, fmt.Errorf("member %d: %w", len(items), err)
		}
		if isNullValue || (keep != nil && !keep(v)) {
			continue
		}
		items = append(items, v)
	}
	if _, err := dec.Token(); err != nil { // the closing bracket
		return nil, err
	}
	return items, nil
}

// wireLink is a relation in a wire struct: a link string, an object with
// an id (or @id), or null, read as its IRI. Like jsonld.Link, whose
// reading it mirrors, it never fails: any other value is no IRI. It lets a
// resource whose relations are embedded objects decode in one pass.
type wireLink string

func (l *wireLink) UnmarshalJSON(b []byte) error {
	*l = ""
	switch b[0] {
	case '"':
		// Without escapes and in valid UTF-8, the string is its bytes
		// (encoding/json would replace invalid bytes with U+FFFD).
		if inner := b[1 : len(b)-1]; bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
			*l = wireLink(inner)
			return nil
		}
		var s string
		if json.Unmarshal(b, &s) == nil {
			*l = wireLink(s)
		}
	case '{':
		*l = wireLink(objectIRI(b))
	}
	return nil
}

// objectIRI returns the IRI of an embedded object: its "id", else its
// "@id", read as json.Unmarshal would read them into wireRef (the member
// names matched exactly, then folded for case; the last string value of
// each wins; a value that is not a string is no IRI), without decoding the
// rest of the object.
func objectIRI(obj []byte) string {
	var id, aid []byte
	err := scanTopObject(obj, func(key, value []byte) {
		if value[0] != '"' {
			return // null changes nothing, another type is not an IRI
		}
		switch refField(key) {
		case refID:
			id = value
		case refAtID:
			aid = value
		}
	})
	if err != nil { // not reached for the valid JSON encoding/json hands over
		var ref wireRef
		_ = json.Unmarshal(obj, &ref)
		return ref.iri()
	}
	if s := jsonStringValue(id); s != "" {
		return s
	}
	return jsonStringValue(aid)
}

// The members of wireRef, for refField.
const (
	refOther = iota
	refID
	refAtID
)

// refField says which member of wireRef a raw member name (as between the
// quotes) names, matching as json.Unmarshal matches struct fields: the
// exact name first, then the name folded for case.
func refField(rawKey []byte) int {
	name := rawKey
	if !simpleJSONString(rawKey) {
		var s string
		if json.Unmarshal(quoteRaw(rawKey), &s) != nil {
			return refOther
		}
		name = []byte(s)
	}
	switch string(name) {
	case "id":
		return refID
	case "@id":
		return refAtID
	}
	if len(name) > 12 { // three runes of at most four bytes: no folding of a longer name is "@ID"
		return refOther
	}
	var buf [12]byte
	switch string(appendFoldedJSONName(buf[:0], name)) {
	case "ID":
		return refID
	case "@ID":
		return refAtID
	}
	return refOther
}

// jsonStringValue decodes a raw JSON string value (quotes included); nil
// is "".
func jsonStringValue(v []byte) string {
	if len(v) < 2 {
		return ""
	}
	if inner := v[1 : len(v)-1]; simpleJSONString(inner) {
		return string(inner)
	}
	var s string
	_ = json.Unmarshal(v, &s)
	return s
}

// wireRef is an embedded object of which only the IRI is kept.
type wireRef struct {
	ID  string `json:"id"`
	AID string `json:"@id"`
}

func (r *wireRef) iri() string {
	if r == nil {
		return ""
	}
	if r.ID != "" {
		return r.ID
	}
	return r.AID
}

// skipJSON skips a value of any type.
type skipJSON struct{}

func (*skipJSON) UnmarshalJSON([]byte) error { return nil }
