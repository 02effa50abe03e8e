package textus

import (
	"context"
	"errors"
	"hash/fnv"
	"iter"
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

// fetchPage GETs one collection page of ep at link. keep, when set, drops
// the members it returns false for (mixed collections).
func fetchPage[T any](ctx context.Context, c *Client, ep *endpoint, link string, keep func(*T) bool) (*Page[*T], error) {
	p := &collectionPage[T]{keep: keep}
	if _, err := c.do(ctx, ep, link, nil, p); err != nil {
		return nil, err
	}
	return &Page[*T]{Items: p.items, TotalItems: p.totalItems, NextCursor: p.next}, nil
}

// pager builds the first link lazily (so argument errors surface on the
// first step, like any other error) and walks view.next. Every page is a
// call to ep. keep, when set, drops the members it returns false for
// (mixed collections).
type pager[T any] struct {
	c     *Client
	ep    *endpoint
	first func() (string, error)
	keep  func(*T) bool
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
func (p pager[T]) page(ctx context.Context, cursor string) (*Page[*T], error) {
	link := cursor
	if link == "" {
		var err error
		if link, err = p.first(); err != nil {
			return nil, err
		}
	}
	return fetchPage(ctx, p.c, p.ep, link, p.keep)
}

// all is a lazy iterator over every item of every page: nothing is fetched
// before the first step; one page is held at a time; breaking out stops
// fetching; an error is yielded once and ends the sequence.
func (p pager[T]) all(ctx context.Context) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		link, err := p.first()
		if err != nil {
			yield(nil, err)
			return
		}
		var seen visited
		seen.visit(p.c, link)
		for {
			pg, err := fetchPage(ctx, p.c, p.ep, link, p.keep)
			if err != nil {
				yield(nil, err)
				return
			}
			for i, item := range pg.Items {
				pg.Items[i] = nil // the consumer's copy is the only one kept
				if !yield(item, nil) {
					return
				}
			}
			if pg.NextCursor == "" {
				return
			}
			if seen.visit(p.c, pg.NextCursor) {
				yield(nil, errors.New("textus: pagination loop: the API's next link points at a page already read"))
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
