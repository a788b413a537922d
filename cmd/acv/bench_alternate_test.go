package main

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestAlternate: every op is warmed up unmeasured, then measured in two
// rounds, in the given order and then in reverse, so that the store is not
// always the load measured first; each result counts both rounds only.
func TestAlternate(t *testing.T) {
	b := &bench{ctx: context.Background(), d: time.Minute}
	var (
		mu    sync.Mutex
		order []int // the op of each call, runs of one op collapsed
		calls = make([]int, 3)
	)
	ops := make([]func() error, 3)
	for i := range ops {
		ops[i] = func() error {
			mu.Lock()
			defer mu.Unlock()
			calls[i]++
			if len(order) == 0 || order[len(order)-1] != i {
				order = append(order, i)
			}
			return nil
		}
	}
	rs, err := b.alternate(4, 100, ops)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 1, 2, 0, 1, 2, 1, 0}; !slices.Equal(order, want) {
		t.Errorf("loads ran in the order %v, want %v (warm-ups, then a round each way)", order, want)
	}
	for i, r := range rs {
		if calls[i] != 10+45+45 {
			t.Errorf("op %d: %d calls, want 100", i, calls[i])
		}
		if len(r.lats) != 90 || r.ops <= 0 {
			t.Errorf("op %d: %d calls measured at %v/s, want the 90 of its two rounds", i, len(r.lats), r.ops)
		}
	}
}

// TestLoadResultMerge: merged loads are their calls over their summed time.
func TestLoadResultMerge(t *testing.T) {
	ms := func(n ...int) []time.Duration {
		out := make([]time.Duration, len(n))
		for i, v := range n {
			out[i] = time.Duration(v) * time.Millisecond
		}
		return out
	}
	m := loadResult{lats: ms(1, 3), secs: 1, peak: 5}.merge(loadResult{lats: ms(2, 4, 5, 6), secs: 2, peak: 7})
	if m.ops != 2 || m.secs != 3 || m.peak != 7 || m.p50 != 4*time.Millisecond || !slices.IsSorted(m.lats) {
		t.Errorf("merge = %+v, want 2 calls/s over 3 s, peak 7, p50 4ms", m)
	}
}
