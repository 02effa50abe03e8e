package textus

import (
	"context"
	"encoding/json"
	"errors"
	"hash/fnv"
	"iter"

	"github.com/textus-go/textus/internal/jsonld"
)

// Page is one page of a collection, for callers that want page-level
// control: long exports that save their place and resume later.
type Page[T any] struct {
	// Items are the page's members, in the order the API sent them.
	Items []T
	// TotalItems is the collection's total across all pages, as the API
	// reports it.
	TotalItems int
	// NextCursor is an opaque cursor for the next page ("" on the last
	// page). It is safe to store: pass it to the same ListPage method,
	// possibly in another process, to continue where this page ended.
	NextCursor string
}

// HasNext reports whether another page follows.
func (p *Page[T]) HasNext() bool { return p != nil && p.NextCursor != "" }

// fetchPage GETs one collection page of ep at link. With a nil decode,
// members are decoded straight into T; otherwise each member is decoded by
// decode, which may skip it by returning ok=false (mixed collections).
func fetchPage[T any](ctx context.Context, c *Client, ep *endpoint, link string, decode func(json.RawMessage) (T, bool, error)) (*Page[T], error) {
	if decode == nil {
		var coll jsonld.Collection[T]
		if _, err := c.do(ctx, ep, link, nil, &coll); err != nil {
			return nil, err
		}
		items := coll.Members[:0]
		for _, v := range coll.Members {
			if !isZero(v) { // a null member
				items = append(items, v)
			}
		}
		return &Page[T]{Items: items, TotalItems: coll.TotalItems, NextCursor: coll.Next()}, nil
	}
	var coll jsonld.Collection[json.RawMessage]
	if _, err := c.do(ctx, ep, link, nil, &coll); err != nil {
		return nil, err
	}
	p := &Page[T]{TotalItems: coll.TotalItems, Items: make([]T, 0, len(coll.Members))}
	for _, raw := range coll.Members {
		if string(raw) == "null" { // a null member, skipped as on the direct path
			continue
		}
		v, ok, err := decode(raw)
		if err != nil {
			return nil, err
		}
		if ok {
			p.Items = append(p.Items, v)
		}
	}
	p.NextCursor = coll.Next()
	return p, nil
}

// isZero reports whether v is its type's zero value (a nil pointer for the
// resource pointer types pages hold).
func isZero[T any](v T) bool {
	var zero T
	return any(v) == any(zero)
}

// decodeInto is the member decoder for a plain resource type.
func decodeInto[T any](raw json.RawMessage) (*T, bool, error) {
	v := new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, false, err
	}
	return v, true, nil
}

// pager builds the first link lazily (so argument errors surface on the
// first step, like any other error) and walks view.next. Every page is a
// call to ep.
type pager[T any] struct {
	c      *Client
	ep     *endpoint
	first  func() (string, error)
	decode func(json.RawMessage) (T, bool, error)
}

// newPager returns a pager whose first page is ep's path for args, with the
// query encoded from opts (a go-querystring struct, or nil).
func newPager[T any](c *Client, ep *endpoint, opts any, args ...string) pager[T] {
	return pager[T]{c: c, ep: ep, first: func() (string, error) {
		p, err := ep.path(c, args...)
		if err != nil {
			return "", err
		}
		return withQuery(p, opts)
	}}
}

// page fetches the page at cursor, or the first page when cursor is "".
func (p pager[T]) page(ctx context.Context, cursor string) (*Page[T], error) {
	link := cursor
	if link == "" {
		var err error
		if link, err = p.first(); err != nil {
			return nil, err
		}
	}
	return fetchPage(ctx, p.c, p.ep, link, p.decode)
}

// all is a lazy iterator over every item of every page: nothing is fetched
// before the first step; one page is held at a time; breaking out stops
// fetching; an error is yielded once and ends the sequence.
func (p pager[T]) all(ctx context.Context) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		link, err := p.first()
		if err != nil {
			yield(zero, err)
			return
		}
		var seen visited
		seen.visit(p.c, link)
		for {
			pg, err := fetchPage(ctx, p.c, p.ep, link, p.decode)
			if err != nil {
				yield(zero, err)
				return
			}
			for i, item := range pg.Items {
				pg.Items[i] = zero // the consumer's copy is the only one kept
				if !yield(item, nil) {
					return
				}
			}
			if pg.NextCursor == "" {
				return
			}
			if seen.visit(p.c, pg.NextCursor) {
				yield(zero, errors.New("textus: pagination loop: the API's next link points at a page already read"))
				return
			}
			link = pg.NextCursor
		}
	}
}

// visited remembers the last pages an iterator has read, as 64-bit hashes
// of their resolved URLs, so that a next link pointing back at one of them
// ends the loop instead of cycling forever. It holds a fixed number of
// pages (catching any cycle up to that length) so that memory does not grow
// with the length of the export. Links are resolved first, since the API
// may write the same page with or without the base path or as an absolute
// URL.
type visited struct {
	ring [64]uint64
	n    int
}

// visit records link and reports whether it was among the last pages read.
func (v *visited) visit(c *Client, link string) bool {
	if full, err := c.resolve(link); err == nil {
		link = full
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(link))
	k := h.Sum64()
	for i := 0; i < min(v.n, len(v.ring)); i++ {
		if v.ring[i] == k {
			return true
		}
	}
	v.ring[v.n%len(v.ring)] = k
	v.n++
	return false
}

// errSeq is a sequence that yields err once.
func errSeq[T any](err error) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		yield(zero, err)
	}
}
