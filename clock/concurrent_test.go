package clock_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/acv-registry/acv/clock"
	"github.com/acv-registry/acv/domain"
)

// Two nodes ticking at the same instants, in goroutines, against one
// PostgreSQL log store each clock event once, under its deterministic id:
// the loser of a race either re-appends the same events (an idempotent
// repeat, same ids and content) or, having computed a different set, hits
// the stream's version, reloads and finds them stored. Every
// seventh day the second node's clock runs a week ahead, so it computes
// more events than the first.
func TestConcurrentTickersAppendOnce(t *testing.T) {
	h := openPostgres(t)
	ctx := context.Background()
	const assets = 24
	var ids []string
	for i := range assets {
		id := fmt.Sprintf("pub-%02d", i)
		ids = append(ids, id)
		received := day("2022-01-03").AddDays(7 * i)
		notice := day("2026-06-01").AddDays(5 * i)
		for _, w := range backdated(nominate("n1", received.String()), list("n1", received.AddDays(40).String()),
			disposalNotice("dn1", notice.String()), bidderRequest("r1", notice.AddDays(2).String())) {
			h.run(t, id, w)
		}
	}
	h.consume(t)

	last := domain.DateOf(yearEnd).AddDays(7)
	want := map[string]int{} // asset -> clock events due by the last day any node sees
	for _, id := range ids {
		a, err := h.assets.Load(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.AdvanceClocks(last); err != nil {
			t.Fatal(err)
		}
		want[id] = len(a.Pending())
	}

	nodes := [2]*clock.Ticker{h.ticker(), h.ticker()}
	saved := 0
	for d := domain.DateOf(yearStart); !d.After(domain.DateOf(yearEnd)); d = d.AddDays(1) {
		at := [2]time.Time{d.StartIn(), d.StartIn()}
		if d.Day()%7 == 0 {
			at[1] = d.AddDays(7).StartIn()
		}
		h.clock.Set(at[0])
		saved += tickTogether(t, nodes, at)
		h.consume(t)
	}
	mustTick(t, nodes[1], last.StartIn())

	got := map[string]int{}
	seen := map[string]bool{}
	for _, e := range h.clockEvents(t) {
		if seen[e.ID.String()] {
			t.Errorf("event %s stored twice", e.ID)
		}
		seen[e.ID.String()] = true
		asset := e.Stream[len(domain.AssetStream("")):]
		got[asset]++
		de, err := domain.UnmarshalEvent(e.Type, e.Data)
		if err != nil {
			t.Fatal(err)
		}
		checkClockMetadata(t, asset, de, e)
	}
	for _, id := range ids {
		if got[id] != want[id] {
			t.Errorf("asset %s has %d clock events, want %d (each once)", id, got[id], want[id])
		}
	}
	t.Logf("%d clock events stored; the nodes saved %d between them (the rest were idempotent repeats)", len(seen), saved)
}

// tickTogether ticks both nodes at once, node i at at[i], and returns how
// many events they saved between them.
func tickTogether(t *testing.T, nodes [2]*clock.Ticker, at [2]time.Time) int {
	t.Helper()
	var wg sync.WaitGroup
	var n [2]int
	var errs [2]error
	start := make(chan struct{})
	for i := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			n[i], errs[i] = nodes[i].Tick(context.Background(), at[i])
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d Tick at %s: %v", i, at[i].UTC(), err)
		}
	}
	return n[0] + n[1]
}
