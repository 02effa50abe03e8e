package textusredis_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/textus-go/textus"
	"github.com/textus-go/textus/textusredis"
	"github.com/textus-go/textus/textusredis/internal/redistest"
	"github.com/textus-go/textus/webhooks"
)

// BenchmarkRoundTrips compares each operation with one raw SET NX round
// trip to the same private redis-server, one caller at a time: the ratio
// of their ns/op is their cost in round trips. EnqueueAck is one job's
// way through a Queue: Enqueue, Receive and Ack, three scripts. The sub-benchmarks are named
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

	b.Run("op=EnqueueAck", func(b *testing.B) {
		run++
		q := textusredis.NewQueue(rdb, "bench", textusredis.WithPrefix("bench:"+strconv.Itoa(run)+":"))
		body := messageBody("bench") // a realistic delivery, about 500 bytes
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			job := webhooks.Job{ID: strconv.Itoa(i), Action: textus.EventMessageReceived, Body: body, Signature: "sig"}
			if err := q.Enqueue(ctx, job); err != nil {
				b.Fatal(err)
			}
			ls, err := q.Receive(ctx, "bench", 1, time.Minute)
			if err != nil || len(ls) != 1 {
				b.Fatal(len(ls), err)
			}
			if err := q.Ack(ctx, ls[0].Receipt); err != nil {
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
