package textus_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textustest"
)

// BenchmarkBulkSends sends messages as fast as the client allows against a
// textustest server with a quota of 50 requests per second, from 1 and from
// 8 goroutines sharing one client, and reports the sends per second, the
// share of the quota they use (the floor is the quota itself: no client can
// do better), and the errors returned, the requests answered 429 and the
// messages sent twice, which must all be 0. Target: quota-share >= 0.95.
// Run it over several windows:
//
//	go test -run '^$' -bench BulkSends -benchtime 300x
func BenchmarkBulkSends(b *testing.B) {
	const quota = 50
	for _, workers := range []int{1, 8} {
		b.Run(fmt.Sprintf("goroutines=%d", workers), func(b *testing.B) {
			srv := textustest.NewServer(textustest.WithRateLimit(quota, time.Second))
			defer srv.Close()
			c := srv.Client()
			ctx := context.Background()
			var next, failed atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						_, err := c.Messages.Send(ctx, &textus.SendMessageParams{
							To: fmt.Sprintf("+1720555%04d", i%10000), Body: fmt.Sprintf("bulk send %d", i),
						})
						if err != nil {
							failed.Add(1)
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()

			bodies := map[string]int{}
			for _, m := range srv.SentMessages() {
				bodies[m.Body]++
			}
			dups := 0
			for _, n := range bodies {
				dups += n - 1
			}
			refused := 0
			for _, r := range srv.Requests() {
				if r.Status == http.StatusTooManyRequests {
					refused++
				}
			}
			// Only the sends that succeeded count: a call that failed (say,
			// with ErrRateLimited) sent nothing.
			perSecond := float64(int64(b.N)-failed.Load()) / elapsed.Seconds()
			b.ReportMetric(perSecond, "sends/s")
			b.ReportMetric(perSecond/quota, "quota-share")
			b.ReportMetric(float64(failed.Load()), "errors")
			b.ReportMetric(float64(refused), "answered-429")
			b.ReportMetric(float64(dups), "duplicates")
			b.ReportMetric(0, "ns/op") // the time per send is the pacing, not work
		})
	}
}
