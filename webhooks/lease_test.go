package webhooks

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestKilledSenderIsRetriedAfterLease: a node that claims a delivery and
// dies before recording anything holds it for its lease; then another node
// sends it, and the log counts both attempts.
func TestKilledSenderIsRetriedAfterLease(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		rcv := newReceiver(t, false, nil)
		sub, _ := e.subscribe(NewSubscription{Council: councilA, URL: rcv.srv.URL})
		e.record("a1", nomination("a1", councilA))
		e.outbox(0)

		killed := e.deliverer(nil, DelivererOptions{Lease: time.Minute})
		if cs, err := killed.claim(ctx); err != nil || len(cs) != 1 {
			t.Fatalf("claim = %v, %v", cs, err)
		} // ... and the node is gone

		other := e.deliverer(nil, DelivererOptions{})
		mustDeliver(t, other, 0) // leased
		e.clock.Advance(59 * time.Second)
		mustDeliver(t, other, 0)
		e.clock.Advance(time.Second)
		mustDeliver(t, other, 1)
		d := e.deliveries(sub)[0]
		if d.Status != Delivered || d.Attempts != 2 || len(d.Log) != 1 || d.Log[0].N != 2 || len(rcv.requests()) != 1 {
			t.Errorf("delivery %+v, %d requests", d, len(rcv.requests()))
		}
	})
}

// TestLateResultIsFenced: a node whose lease ran out while it was sending
// cannot overwrite what the node that claimed the delivery after it
// recorded.
func TestLateResultIsFenced(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		sub, _ := e.subscribe(NewSubscription{Council: councilA, URL: "http://127.0.0.1:1/"})
		e.record("a1", nomination("a1", councilA))
		e.outbox(0)
		slow, fast := e.deliverer(nil, DelivererOptions{}), e.deliverer(nil, DelivererOptions{})
		first, err := slow.claim(ctx)
		if err != nil || len(first) != 1 {
			t.Fatalf("claim = %v, %v", first, err)
		}
		e.clock.Advance(2 * time.Minute)
		second, err := fast.claim(ctx)
		if err != nil || len(second) != 1 || second[0].attempt != 2 {
			t.Fatalf("second claim = %v, %v", second, err)
		}
		if err := fast.finish(ctx, second[0], result{status: Delivered, attempted: true, started: e.clock.Now(), httpStatus: 200}); err != nil {
			t.Fatal(err)
		}
		if err := slow.finish(ctx, first[0], slow.retry(first[0], result{attempted: true, started: start, err: "late"})); err != nil {
			t.Fatal(err)
		}
		d := e.deliveries(sub)[0]
		if d.Status != Delivered || d.LastStatus != 200 || d.LastError != "" || len(d.Log) != 2 {
			t.Errorf("delivery %+v", d)
		}
	})
}

// TestTwoDeliverersRace: two nodes' deliverers (and a third that dies
// holding claims) work one PostgreSQL database at once against a receiver
// that fails some first attempts. No delivery is ever being sent by two
// nodes at once, and every delivery arrives at least once, with the same
// CloudEvent id on every attempt.
func TestTwoDeliverersRace(t *testing.T) {
	e := newEnv(t, "postgres")
	e.clock.Set(time.Now()) // the nodes run on real time
	ctx := context.Background()

	var (
		mu        sync.Mutex
		inFlight  = map[string]int{}
		ids       = map[string]map[string]bool{} // delivery -> CloudEvent ids seen
		overlap   atomic.Int32
		delivered = map[string]bool{}
	)
	rcv := newReceiver(t, false, nil)
	rcv.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(HeaderDelivery)
		var ce struct {
			ID string `json:"id"`
		}
		decodeBody(t, r, &ce)
		mu.Lock()
		inFlight[id]++
		if inFlight[id] > 1 {
			overlap.Add(1)
		}
		if ids[id] == nil {
			ids[id] = map[string]bool{}
		}
		ids[id][ce.ID] = true
		mu.Unlock()
		time.Sleep(5 * time.Millisecond)
		mu.Lock()
		inFlight[id]--
		fail := r.Header.Get(HeaderAttempt) == "1" && id[len(id)-1]%3 == 0
		if !fail {
			delivered[id] = true
		}
		mu.Unlock()
		if fail {
			w.WriteHeader(http.StatusBadGateway)
		}
	})

	subA, _ := e.subscribe(NewSubscription{Council: councilA, URL: rcv.srv.URL + "/a"})
	subB, _ := e.subscribe(NewSubscription{Council: councilA, URL: rcv.srv.URL + "/b"})
	const assets = 20
	for range assets {
		id := uuid.NewString()
		e.record(id, nomination(id, councilA), decision(id))
	}
	e.outbox(0)
	const total = assets * 2 * 2 // events x subscriptions

	// A node that claims a batch and dies: its claims come back after its
	// short lease.
	dead := NewDeliverer(e.db, e.d, e.store, DelivererOptions{Lease: 300 * time.Millisecond, Concurrency: 6})
	if cs, err := dead.claim(ctx); err != nil || len(cs) != 6 {
		t.Fatalf("the dying node claimed %d: %v", len(cs), err)
	}

	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var sent [2]atomic.Int32 // requests per node
	for node := range 2 {
		client := &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
			sent[node].Add(1)
			return http.DefaultTransport.RoundTrip(r)
		})}
		dl := NewDeliverer(e.db, e.d, e.store, DelivererOptions{Client: client, Poll: 20 * time.Millisecond, Lease: 5 * time.Second,
			Timeout: 2 * time.Second, Concurrency: 4, Backoff: func(int) time.Duration { return 50 * time.Millisecond }})
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := dl.Run(runCtx); err != nil {
				t.Errorf("Run: %v", err)
			}
		}()
	}
	deadline := time.Now().Add(60 * time.Second)
	for e.count(`SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'delivered'`) < total {
		if time.Now().After(deadline) {
			stop()
			wg.Wait()
			t.Fatalf("only %d of %d delivered in time", e.count(`SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'delivered'`), total)
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	wg.Wait()

	if sent[0].Load() == 0 || sent[1].Load() == 0 {
		t.Errorf("the nodes sent %d and %d requests: one did nothing", sent[0].Load(), sent[1].Load())
	}
	if n := overlap.Load(); n != 0 {
		t.Errorf("%d times a delivery was being sent by two nodes at once", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(delivered) != total {
		t.Errorf("the receiver accepted %d distinct deliveries, want %d", len(delivered), total)
	}
	for id, seen := range ids {
		if len(seen) != 1 {
			t.Errorf("delivery %s came with CloudEvent ids %v", id, seen)
		}
	}
	for _, sub := range []uuid.UUID{subA, subB} {
		for _, d := range e.deliveries(sub) {
			if d.Status != Delivered || !delivered[d.ID.String()] {
				t.Errorf("delivery %+v", d)
			}
		}
	}
	if n := e.count(`SELECT COUNT(*) FROM webhook_attempts WHERE status = 502`); n == 0 {
		t.Error("no first attempt failed: the retries went untested")
	}
}

// roundTripper is a function as an [http.RoundTripper].
type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
