package webhooks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/textus-go/textus"
)

// benchBody is a realistic message.received delivery of about 2 KB with a
// unique delivery id.
func benchBody(i int) []byte {
	return []byte(fmt.Sprintf(`{"@type":"WebhookDelivery","@context":"/contexts/WebhookDelivery.jsonld",`+
		`"id":"/integrations/h13Jc5/deliveries/%08d-04bd-47cb-9983-d6fd2015ce3b",`+
		`"timestamp":"2023-11-17T13:59:04.568354-05:00","action":"message.received","webHook":"/integrations/h13Jc5",`+
		`"conversation":{"@type":"Conversation","@context":"/contexts/Conversation.jsonld","id":"/conversations/JYnJBY",`+
		`"slug":"JYnJBY","currentState":"open","account":{"@type":"Account","id":"/accounts/my_account","name":"My Account",`+
		`"slug":"my_account","phoneNumbers":["+13035550000"]},"phoneNumber":"+13035551234",`+
		`"formattedPhoneNumber":"(303) 555-1234","accountPhoneNumber":"+13035550000",`+
		`"formattedAccountPhoneNumber":"(303) 555-0000","unanswered":false,"unsubscribed":false,"blocked":false,`+
		`"assignedContact":{"@type":"Contact","id":"/contacts/DQeeO69","name":"Jordan Smith","firstName":"Jordan",`+
		`"lastName":"Smith","data":{"businessName":"Acme Staffing","tags":["candidate","nursing"]}},`+
		`"assignment":"/conversations/JYnJBY/assignment","participants":"/conversations/JYnJBY/participants",`+
		`"timeline":"/conversations/JYnJBY/timeline","read":"/conversations/JYnJBY/read",`+
		`"latestPreviewableItem":"/messages/06oyogD","createdAt":"2023-10-02T15:21:07.123456-04:00",`+
		`"updatedAt":"2023-11-17T13:59:04.101112-05:00"},`+
		`"message":{"@type":"Message","@context":"/contexts/Message.jsonld","id":"/messages/06oyogE","direction":"in",`+
		`"body":"Yes, 3pm works for me. Should I bring my license and the signed onboarding forms, or were those already sent over? Thanks!",`+
		`"formattedBody":"Yes, 3pm works for me. Should I bring my license and the signed onboarding forms, or were those already sent over? Thanks!",`+
		`"deliveryState":"received","status":"Received","friendlyStateDescription":"Received",`+
		`"conversation":"/conversations/JYnJBY","sender":null,"source":"textus","channel":"sms","retryAllowed":false,`+
		`"attachments":{"@type":"hydra:Collection","id":"/messages/06oyogE/attachments","members":[],"totalItems":0},`+
		`"flags":[],"createdAt":"2023-11-17T13:59:04.468354-05:00","displayTimestamp":"2023-11-17T13:59:04.468354-05:00",`+
		`"timelinePosition":"1700247544468354","latestEventAt":"2023-11-17T13:59:04.568354-05:00",`+
		`"links":{"self":"/messages/06oyogE","conversation":"/conversations/JYnJBY","events":"/messages/06oyogE/events"},`+
		`"recipients":[{"@type":"Recipient","phoneNumber":"+13035550000","deliveryState":"received"}]}}`, i))
}

// benchCorpus holds signed deliveries with distinct ids, grown on demand
// and kept across benchmark rounds so that each is built once.
var benchCorpus struct {
	mu     sync.Mutex
	bodies [][]byte
	sigs   [][]string
}

// corpus returns n signed deliveries with distinct ids.
func corpus(n int) ([][]byte, [][]string) {
	benchCorpus.mu.Lock()
	defer benchCorpus.mu.Unlock()
	for i := len(benchCorpus.bodies); i < n; i++ {
		body := benchBody(i)
		benchCorpus.bodies = append(benchCorpus.bodies, body)
		benchCorpus.sigs = append(benchCorpus.sigs, []string{Sign(testSecret, body)})
	}
	return benchCorpus.bodies[:n], benchCorpus.sigs[:n]
}

// benchWriter is a reusable ResponseWriter, so that the benchmark measures
// the handler and not a recorder.
type benchWriter struct {
	h      http.Header
	status int
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *benchWriter) WriteHeader(code int)        { w.status = code }

type benchReqBody struct{ bytes.Reader }

func (*benchReqBody) Close() error { return nil }

// benchHandler returns a handler with a no-op callback that counts its
// calls, and a de-duplicator large enough that nothing is evicted.
func benchHandler(b *testing.B) (*Handler, *atomic.Int64) {
	h, err := NewHandler(testSecret, WithDeduplicator(NewMemoryDeduplicator(b.N+1, DefaultDedupTTL)))
	if err != nil {
		b.Fatal(err)
	}
	var calls atomic.Int64
	h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error {
		calls.Add(1)
		return nil
	})
	return h, &calls
}

// cpuMeter measures the CPU time the process spends during a benchmark,
// garbage collection included. On a machine shared with other work it
// varies much less than the elapsed time, so it is reported too, as
// cpu-ns/op.
type cpuMeter struct {
	start time.Duration
	ok    bool
}

func startCPU() cpuMeter {
	t, ok := processCPUTime()
	return cpuMeter{start: t, ok: ok}
}

func (m cpuMeter) report(b *testing.B) {
	if t, ok := processCPUTime(); ok && m.ok && b.N > 0 {
		b.ReportMetric(float64(t-m.start)/float64(b.N), "cpu-ns/op")
	}
}

// The floor: the same work as the handler's, written as plain code with the
// standard library only. It reads the body, hex-decodes the signature,
// verifies the HMAC-SHA256 with crypto/hmac, decodes the delivery with
// encoding/json into plain structs holding the fields that
// textus.MessageEvent exposes for the envelope, the conversation and the
// message, calls a no-op callback and answers 200.

type floorLink struct {
	ID string `json:"id"`
}

type floorConversation struct {
	LDType                      string    `json:"@type"`
	ID                          string    `json:"id"`
	Slug                        string    `json:"slug"`
	CurrentState                string    `json:"currentState"`
	Account                     floorLink `json:"account"`
	PhoneNumber                 string    `json:"phoneNumber"`
	FormattedPhoneNumber        string    `json:"formattedPhoneNumber"`
	AccountPhoneNumber          string    `json:"accountPhoneNumber"`
	FormattedAccountPhoneNumber string    `json:"formattedAccountPhoneNumber"`
	Unanswered                  bool      `json:"unanswered"`
	Unsubscribed                bool      `json:"unsubscribed"`
	Blocked                     bool      `json:"blocked"`
	AssignedContact             floorLink `json:"assignedContact"`
	LatestPreviewableItem       string    `json:"latestPreviewableItem"`
}

type floorMessage struct {
	LDType                   string   `json:"@type"`
	ID                       string   `json:"id"`
	Body                     string   `json:"body"`
	FormattedBody            string   `json:"formattedBody"`
	Direction                string   `json:"direction"`
	DeliveryState            string   `json:"deliveryState"`
	Status                   string   `json:"status"`
	FriendlyStateDescription string   `json:"friendlyStateDescription"`
	Conversation             string   `json:"conversation"`
	Sender                   string   `json:"sender"`
	Source                   string   `json:"source"`
	Channel                  string   `json:"channel"`
	Flags                    []string `json:"flags"`
	RetryAllowed             bool     `json:"retryAllowed"`
	Attachments              struct {
		Members []floorLink `json:"members"`
	} `json:"attachments"`
	CreatedAt        time.Time `json:"createdAt"`
	DisplayTimestamp time.Time `json:"displayTimestamp"`
	TimelinePosition string    `json:"timelinePosition"`
	LatestEventAt    time.Time `json:"latestEventAt"`
	ScheduledAt      time.Time `json:"scheduledAt"`
}

type floorDelivery struct {
	Type         string             `json:"@type"`
	ID           string             `json:"id"`
	Action       string             `json:"action"`
	Timestamp    time.Time          `json:"timestamp"`
	WebHook      string             `json:"webHook"`
	Conversation *floorConversation `json:"conversation"`
	Message      *floorMessage      `json:"message"`
}

// floorHandler is the plain-code receiver; callback is called with every
// verified delivery.
func floorHandler(secret string, callback func(context.Context, *floorDelivery) error) http.HandlerFunc {
	key := []byte(secret)
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "could not read request body", http.StatusBadRequest)
			return
		}
		sig, err := hex.DecodeString(r.Header.Get(SignatureHeader))
		if err != nil {
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		mac := hmac.New(sha256.New, key)
		mac.Write(body)
		if !hmac.Equal(mac.Sum(nil), sig) {
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		var d floorDelivery
		if err := json.Unmarshal(body, &d); err != nil {
			http.Error(w, "body is not a JSON object", http.StatusBadRequest)
			return
		}
		if err := callback(r.Context(), &d); err != nil {
			http.Error(w, "callback failed", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	}
}

// benchImpl is a receiver compared by the delivery benchmarks: it builds,
// for one benchmark round of n deliveries, a handler with a no-op callback
// that counts its calls.
type benchImpl struct {
	name string
	new  func(b *testing.B) (http.Handler, *atomic.Int64)
}

// benchImpls are the plain code ("floor") and the SDK's Handler ("sdk",
// with a de-duplicator large enough that nothing is evicted).
var benchImpls = []benchImpl{
	{"impl=floor", func(*testing.B) (http.Handler, *atomic.Int64) {
		calls := new(atomic.Int64)
		return floorHandler(testSecret, func(_ context.Context, d *floorDelivery) error {
			if d.Message != nil {
				calls.Add(1)
			}
			return nil
		}), calls
	}},
	{"impl=sdk", func(b *testing.B) (http.Handler, *atomic.Int64) { return benchHandler(b) }},
}

// BenchmarkDelivery is the full path of one 2 KB message.received delivery
// (a new delivery id each time), served one at a time, by the plain code
// and by the SDK's Handler. Compare them with benchstat -col /impl.
func BenchmarkDelivery(b *testing.B) {
	for _, impl := range benchImpls {
		b.Run(impl.name, func(b *testing.B) {
			bodies, sigs := corpus(b.N)
			h, calls := impl.new(b)
			r, err := http.NewRequest(http.MethodPost, "http://example.com/hooks/textus", nil)
			if err != nil {
				b.Fatal(err)
			}
			body := &benchReqBody{}
			w := &benchWriter{h: make(http.Header)}
			b.SetBytes(int64(len(bodies[0])))
			b.ReportAllocs()
			b.ResetTimer()
			cpu := startCPU()
			for i := 0; i < b.N; i++ {
				body.Reset(bodies[i])
				r.Body = body
				r.ContentLength = int64(len(bodies[i]))
				r.Header["X-Textus-Signature"] = sigs[i]
				w.status = 0
				h.ServeHTTP(w, r)
				if w.status != http.StatusOK {
					b.Fatalf("status %d", w.status)
				}
			}
			b.StopTimer()
			cpu.report(b)
			if calls.Load() != int64(b.N) {
				b.Fatalf("callback ran %d times for %d deliveries", calls.Load(), b.N)
			}
		})
	}
}

// BenchmarkDeliveryParallel serves the deliveries of BenchmarkDelivery
// from all Ps at once (b.RunParallel) and reports deliveries per second.
func BenchmarkDeliveryParallel(b *testing.B) {
	for _, impl := range benchImpls {
		b.Run(impl.name, func(b *testing.B) {
			bodies, sigs := corpus(b.N)
			h, calls := impl.new(b)
			var next atomic.Int64
			b.SetBytes(int64(len(bodies[0])))
			b.ReportAllocs()
			b.ResetTimer()
			cpu := startCPU()
			b.RunParallel(func(pb *testing.PB) {
				r, err := http.NewRequest(http.MethodPost, "http://example.com/hooks/textus", nil)
				if err != nil {
					b.Error(err)
					return
				}
				body := &benchReqBody{}
				w := &benchWriter{h: make(http.Header)}
				for pb.Next() {
					k := int(next.Add(1) - 1)
					body.Reset(bodies[k])
					r.Body = body
					r.ContentLength = int64(len(bodies[k]))
					r.Header["X-Textus-Signature"] = sigs[k]
					w.status = 0
					h.ServeHTTP(w, r)
					if w.status != http.StatusOK {
						b.Errorf("status %d", w.status)
						return
					}
				}
			})
			b.StopTimer()
			cpu.report(b)
			if s := b.Elapsed().Seconds(); s > 0 {
				b.ReportMetric(float64(b.N)/s, "deliveries/s")
			}
			if calls.Load() != int64(b.N) {
				b.Fatalf("callback ran %d times for %d deliveries", calls.Load(), b.N)
			}
		})
	}
}

// BenchmarkTimeTo2xx is how long a delivery waits for its answer: the
// plain-code floor, the SDK's Handler running a no-op callback in the
// request (mode=inline), and the Handler storing the delivery in a
// MemoryQueue (mode=queue; the callback runs later, in Run, and is not
// timed here). The bodies are the same 2 KB deliveries. Compare with
// benchstat -col /mode.
func BenchmarkTimeTo2xx(b *testing.B) {
	modes := []struct {
		name string
		new  func(b *testing.B) (http.Handler, func() int)
	}{
		{"mode=floor", func(b *testing.B) (http.Handler, func() int) {
			h, calls := benchImpls[0].new(b)
			return h, func() int { return int(calls.Load()) }
		}},
		{"mode=inline", func(b *testing.B) (http.Handler, func() int) {
			h, calls := benchHandler(b)
			return h, func() int { return int(calls.Load()) }
		}},
		{"mode=queue", func(b *testing.B) (http.Handler, func() int) {
			q := NewMemoryQueue(b.N + 1)
			h, err := NewHandler(testSecret, WithQueue(q), WithDeduplicator(NewMemoryDeduplicator(b.N+1, DefaultDedupTTL)))
			if err != nil {
				b.Fatal(err)
			}
			h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error { return nil })
			return h, func() int {
				n, _ := q.Len(context.Background())
				return n
			}
		}},
	}
	for _, mode := range modes {
		b.Run(mode.name, func(b *testing.B) {
			bodies, sigs := corpus(b.N)
			h, count := mode.new(b)
			r, err := http.NewRequest(http.MethodPost, "http://example.com/hooks/textus", nil)
			if err != nil {
				b.Fatal(err)
			}
			body := &benchReqBody{}
			w := &benchWriter{h: make(http.Header)}
			b.SetBytes(int64(len(bodies[0])))
			b.ReportAllocs()
			b.ResetTimer()
			cpu := startCPU()
			for i := 0; i < b.N; i++ {
				body.Reset(bodies[i])
				r.Body = body
				r.ContentLength = int64(len(bodies[i]))
				r.Header["X-Textus-Signature"] = sigs[i]
				w.status = 0
				h.ServeHTTP(w, r)
				if w.status != http.StatusOK {
					b.Fatalf("status %d", w.status)
				}
			}
			b.StopTimer()
			cpu.report(b)
			if n := count(); n != b.N {
				b.Fatalf("%d deliveries handled or queued of %d", n, b.N)
			}
		})
	}
}

// BenchmarkRunJobs is the throughput of the workers: b.N deliveries are
// queued first (not timed), then DefaultWorkers goroutines process them
// with a no-op callback. impl=sdk is Handler.Run over a MemoryQueue
// (lease, re-verification, decoding, de-duplication, acknowledgement);
// impl=floor is plain code doing the same verification and decoding from
// a channel. It reports jobs per second.
func BenchmarkRunJobs(b *testing.B) {
	b.Run("impl=floor", func(b *testing.B) {
		bodies, sigs := corpus(b.N)
		type plainJob struct {
			body []byte
			sig  string
		}
		jobs := make(chan plainJob, b.N)
		for i := range bodies {
			jobs <- plainJob{bodies[i], sigs[i][0]}
		}
		close(jobs)
		key := []byte(testSecret)
		var calls atomic.Int64
		callback := func(_ context.Context, d *floorDelivery) error {
			if d.Message != nil {
				calls.Add(1)
			}
			return nil
		}
		b.SetBytes(int64(len(bodies[0])))
		b.ReportAllocs()
		b.ResetTimer()
		cpu := startCPU()
		var wg sync.WaitGroup
		for w := 0; w < DefaultWorkers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range jobs {
					sig, err := hex.DecodeString(j.sig)
					if err != nil {
						b.Error(err)
						return
					}
					mac := hmac.New(sha256.New, key)
					mac.Write(j.body)
					if !hmac.Equal(mac.Sum(nil), sig) {
						b.Error("bad signature")
						return
					}
					var d floorDelivery
					if err := json.Unmarshal(j.body, &d); err != nil {
						b.Error(err)
						return
					}
					_ = callback(context.Background(), &d)
				}
			}()
		}
		wg.Wait()
		b.StopTimer()
		cpu.report(b)
		reportJobs(b, calls.Load())
	})
	b.Run("impl=sdk", func(b *testing.B) {
		bodies, sigs := corpus(b.N)
		q := NewMemoryQueue(b.N + 1)
		h, err := NewHandler(testSecret, WithQueue(q), WithDeduplicator(NewMemoryDeduplicator(b.N+1, DefaultDedupTTL)))
		if err != nil {
			b.Fatal(err)
		}
		var calls atomic.Int64
		done := make(chan struct{})
		h.OnMessageReceived(func(context.Context, *textus.MessageEvent) error {
			if calls.Add(1) == int64(b.N) {
				close(done)
			}
			return nil
		})
		for i := range bodies {
			r, err := http.NewRequest(http.MethodPost, "http://example.com/hooks/textus", bytes.NewReader(bodies[i]))
			if err != nil {
				b.Fatal(err)
			}
			r.Header["X-Textus-Signature"] = sigs[i]
			w := &benchWriter{h: make(http.Header)}
			h.ServeHTTP(w, r)
			if w.status != http.StatusOK {
				b.Fatalf("status %d", w.status)
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		stopped := make(chan error, 1)
		b.SetBytes(int64(len(bodies[0])))
		b.ReportAllocs()
		b.ResetTimer()
		cpu := startCPU()
		go func() { stopped <- h.Run(ctx) }()
		<-done
		b.StopTimer()
		cpu.report(b)
		cancel()
		if err := <-stopped; err != nil {
			b.Fatal(err)
		}
		reportJobs(b, calls.Load())
		if n, _ := q.Len(context.Background()); n != 0 {
			b.Fatalf("%d jobs left", n)
		}
	})
}

func reportJobs(b *testing.B, calls int64) {
	if calls != int64(b.N) {
		b.Fatalf("callback ran %d times for %d jobs", calls, b.N)
	}
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "jobs/s")
	}
}
