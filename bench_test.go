package textus

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// benchContactJSON is the documented Contact example.
const benchContactJSON = `{
  "@type": "Contact", "@context": "/contexts/Contact.jsonld", "id": "/contacts/DQeeO69",
  "name": "Cordell Walker", "firstName": "Cordell", "lastName": "Walker",
  "phones": { "@type": "hydra:Collection", "id": "/contacts/DQeeO69/phones", "totalItems": 1,
    "members": [ { "@type": "ContactPhone", "id": "/contact_phones/mxvbRw",
      "phoneNumber": "+13035551234", "formattedPhoneNumber": "(303) 555-1234",
      "extension": null, "type": "Mobile", "deliverabilityStatus": "unknown",
      "contact": "/contacts/DQeeO69" } ] },
  "notes": { "@type": "hydra:Collection", "id": "/contacts/DQeeO69/notes", "totalItems": 0, "members": [] },
  "data": { "businessName": "McDonalds", "tags": ["cashier"] },
  "conversations": "/contacts/DQeeO69/conversations",
  "createdAt": "2020-01-06T21:49:58.312Z"
}`

func benchTransport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 16
	return tr
}

// BenchmarkContactsGet compares Contacts.Get with a hand-written net/http +
// encoding/json call to the same loopback server, decoding into the same
// type. Target: sdk time/op <= 1.10x raw, allocs/op <= 1.5x raw.
func BenchmarkContactsGet(b *testing.B) {
	body := []byte(benchContactJSON)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", MediaType)
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	ctx := context.Background()

	b.Run("raw", func(b *testing.B) {
		hc := &http.Client{Transport: benchTransport()}
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			req, err := http.NewRequestWithContext(ctx, "GET", srv.URL+"/contacts/DQeeO69", nil)
			if err != nil {
				b.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer token")
			req.Header.Set("Accept", MediaType)
			req.Header.Set("User-Agent", "raw/1")
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var c Contact
			err = json.NewDecoder(resp.Body).Decode(&c)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 || c.Name != "Cordell Walker" {
				b.Fatal(err, resp.StatusCode)
			}
		}
	})
	b.Run("sdk", func(b *testing.B) {
		c, err := NewClient("token", WithBaseURL(srv.URL), WithHTTPClient(&http.Client{Transport: benchTransport()}),
			WithRateLimit(0, 0))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			ct, err := c.Contacts.Get(ctx, "DQeeO69")
			if err != nil || ct.Name != "Cordell Walker" {
				b.Fatal(err)
			}
		}
	})
}

// pagedContactsServer serves total contacts in pages of size, building
// each page from one pre-rendered member so the server allocates little.
func pagedContactsServer(total, size int) *httptest.Server {
	member := strings.ReplaceAll(strings.ReplaceAll(benchContactJSON, "\n", ""), "  ", "")
	var members strings.Builder
	for i := 0; i < size; i++ {
		if i > 0 {
			members.WriteByte(',')
		}
		members.WriteString(member)
	}
	page := []byte(members.String())
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		offset, _ := strconv.Atoi(r.URL.Query().Get("cursor"))
		next := "null"
		if offset+size < total {
			next = `"/acct/contacts?cursor=` + strconv.Itoa(offset+size) + `"`
		}
		w.Header().Set("Content-Type", MediaType)
		fmt.Fprintf(w, `{"@type":"hydra:Collection","id":"/acct/contacts","totalItems":%d,"members":[`, total)
		_, _ = w.Write(page)
		fmt.Fprintf(w, `],"view":{"@type":"hydra:PartialCollectionView","id":"/acct/contacts","next":%s}}`, next)
	}))
}

// BenchmarkContactsListStream streams contacts through Contacts.List and
// reports the peak heap seen while streaming (sampled once a page) and the
// heap still live, after a collection, when the last item is reached.
// Target: the peak at 100,000 items is at most 1.2x the peak at 10,000
// (memory does not grow with the total).
func BenchmarkContactsListStream(b *testing.B) {
	for _, total := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("items=%d", total), func(b *testing.B) {
			srv := pagedContactsServer(total, 100)
			defer srv.Close()
			c, err := NewClient("token", WithBaseURL(srv.URL), WithAccount("acct"), WithRateLimit(0, 0),
				WithHTTPClient(&http.Client{Transport: benchTransport(), Timeout: time.Minute}))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			var peak, live uint64
			var ms runtime.MemStats
			for i := 0; i < b.N; i++ {
				runtime.GC()
				n := 0
				for ct, err := range c.Contacts.List(context.Background(), nil) {
					if err != nil {
						b.Fatal(err)
					}
					if ct.ID == "" {
						b.Fatal("empty contact")
					}
					n++
					if n%100 == 0 { // once a page
						runtime.ReadMemStats(&ms)
						peak = max(peak, ms.HeapAlloc)
					}
					if n == total { // still inside the loop: what the iterator retains
						runtime.GC()
						runtime.ReadMemStats(&ms)
						live = max(live, ms.HeapAlloc)
					}
				}
				if n != total {
					b.Fatalf("streamed %d of %d", n, total)
				}
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(live)/(1<<20), "live-heap-at-end-MiB")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*total), "ns/item")
		})
	}
}
