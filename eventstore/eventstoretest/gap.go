package eventstoretest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/acv-registry/acv/eventstore"
	"github.com/google/uuid"
)

var errRollback = errors.New("rolled back on purpose")

// testGap is the gap test: 8 writers append at least 20,000 events (in
// -short mode, fewer) while a subscriber follows from position 0. Some
// writers hold their transaction open for seconds before committing, and
// some transactions roll back. The subscriber must see every committed event
// exactly once, in the store's order, and no rolled-back event.
func testGap(t *testing.T, b Backend) {
	total := b.GapEvents
	if total == 0 {
		total = 20_000
	}
	if testing.Short() {
		total = min(total, 2_000)
	}
	const writers = 8
	s := b.Open(t, time.Now)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	// The subscriber starts before any write and follows from position 0.
	type seen struct {
		id  uuid.UUID
		pos int64
	}
	delivered := make(chan []seen, 1)
	subErr := make(chan error, 1)
	go func() {
		sub := eventstore.Subscribe(s, 0).WithBatch(500)
		var got []seen
		for len(got) < total {
			e, err := sub.Next(ctx)
			if err != nil {
				subErr <- fmt.Errorf("after %d events: %w", len(got), err)
				return
			}
			got = append(got, seen{e.ID, e.Position})
		}
		// Anything more within a short wait would be a duplicate or a ghost.
		extra, cancelExtra := context.WithTimeout(ctx, 500*time.Millisecond)
		defer cancelExtra()
		for {
			e, err := sub.Next(extra)
			if err != nil {
				break
			}
			got = append(got, seen{e.ID, e.Position})
		}
		delivered <- got
	}()

	var (
		mu         sync.Mutex
		committed  = make(map[uuid.UUID]bool, total)
		rolledBack = make(map[uuid.UUID]bool)
		wg         sync.WaitGroup
		perWriter  = total / writers
	)
	for w := 0; w < writers; w++ {
		quota := perWriter
		if w == 0 {
			quota += total - perWriter*writers
		}
		wg.Add(1)
		go func(w, quota int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			var streams []string
			for done, call := 0, 0; done < quota; call++ {
				n := min(1+rng.IntN(5), quota-done)
				es := events(n)
				var (
					err   error
					hold  = w < 2 && call%(quota/6+1) == quota/12 // writers 0 and 1 hold a few transactions open
					abort = w >= 6 && call%50 == 7                // writers 6 and 7 roll some back
				)
				st := stream()
				expected := eventstore.NoStream
				if len(streams) > 0 && rng.IntN(2) == 0 {
					st, expected = streams[rng.IntN(len(streams))], eventstore.Any
				}
				switch {
				case hold:
					_, err = b.AppendHook(ctx, s, st, expected, es, func() error {
						time.Sleep(3 * time.Second)
						return nil
					})
				case abort:
					_, err = b.AppendHook(ctx, s, st, expected, es, func() error {
						time.Sleep(time.Duration(rng.IntN(200)) * time.Millisecond)
						return errRollback
					})
				default:
					_, err = s.Append(ctx, st, expected, es)
				}
				mu.Lock()
				switch {
				case err == nil:
					for _, e := range es {
						committed[e.ID] = true
					}
					done += n
					if expected == eventstore.NoStream {
						streams = append(streams, st)
					}
				case abort && errors.Is(err, errRollback):
					for _, e := range es {
						rolledBack[e.ID] = true
					}
				default:
					t.Errorf("writer %d: append: %v", w, err)
					mu.Unlock()
					return
				}
				mu.Unlock()
			}
		}(w, quota)
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if len(rolledBack) == 0 {
		t.Fatal("no transaction rolled back: the test did not exercise rollbacks")
	}

	var got []seen
	select {
	case got = <-delivered:
	case err := <-subErr:
		t.Fatalf("subscriber: %v", err)
	case <-ctx.Done():
		t.Fatal("subscriber did not receive every committed event in time")
	}

	order := mustReadAll(t, s)
	if len(order) != total {
		t.Fatalf("log holds %d events, want %d", len(order), total)
	}
	if len(got) != total {
		t.Fatalf("subscriber saw %d events, want exactly the %d committed", len(got), total)
	}
	dup := make(map[uuid.UUID]bool, total)
	for i, g := range got {
		switch {
		case rolledBack[g.id]:
			t.Fatalf("subscriber saw rolled-back event %s", g.id)
		case !committed[g.id]:
			t.Fatalf("subscriber saw unknown event %s", g.id)
		case dup[g.id]:
			t.Fatalf("subscriber saw event %s twice", g.id)
		case order[i].ID != g.id:
			t.Fatalf("subscriber's event %d is %s at position %d; the store's order has %s at position %d",
				i, g.id, g.pos, order[i].ID, order[i].Position)
		}
		dup[g.id] = true
	}
	outOfPosition := 0
	for i := 1; i < len(order); i++ {
		if order[i].Position < order[i-1].Position {
			outOfPosition++
		}
	}
	t.Logf("%d events by %d writers, %d rolled back; %d places where commit order differs from position order",
		total, writers, len(rolledBack), outOfPosition)
}
