package textusredis_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/textus-go/textus/textusredis"
	"github.com/textus-go/textus/textusredis/internal/redistest"
	"github.com/textus-go/textus/webhooks"
)

// BenchmarkRoundTrips compares each operation with one raw SET NX round
// trip to the same private redis-server, one caller at a time: the ratio
// of their ns/op is their cost in round trips. The sub-benchmarks are named
// op=..., so that benchstat -col /op shows each against SetNX.
func BenchmarkRoundTrips(b *testing.B) {
	srv := redistest.Start(b)
	rdb := srv.Client()
	ctx := context.Background()
	run := 0 // keeps keys of successive runs apart

	b.Run("op=SetNX", func(b *testing.B) {
		run++
		prefix := "bench:setnx:" + strconv.Itoa(run) + ":"
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if err := rdb.SetNX(ctx, prefix+strconv.Itoa(i), "1", time.Minute).Err(); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})

	b.Run("op=ClaimComplete", func(b *testing.B) {
		run++
		d := textusredis.NewDeduplicator(rdb, textusredis.WithPrefix("bench:"+strconv.Itoa(run)+":"),
			textusredis.WithCompletedTTL(time.Minute))
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			id := strconv.Itoa(i)
			st, tok, err := d.Claim(ctx, id)
			if err != nil || st != webhooks.ClaimAcquired {
				b.Fatal(st, err)
			}
			if err := d.Complete(ctx, id, tok); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})

	b.Run("op=PacerWait", func(b *testing.B) {
		run++
		// A budget far above what one caller can use: Wait never sleeps,
		// so this measures its round trip.
		p := textusredis.NewPacer(rdb, "bench"+strconv.Itoa(run), 1<<30, time.Minute, textusredis.WithBurst(1<<20))
		b.ReportAllocs()
		for b.Loop() {
			if err := p.Wait(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
