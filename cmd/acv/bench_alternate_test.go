package main

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestAlternate: every load is warmed up unmeasured, then measured in two
// rounds, in the given order and then in reverse, so that the store is not
// always the load measured first; each result counts both rounds only, and
// each load, the unmeasured too, runs right after its warm.
func TestAlternate(t *testing.T) {
	b := &bench{ctx: context.Background(), d: time.Minute}
	var (
		mu    sync.Mutex
		order []int // the load of each call, runs of one load collapsed; -1-i is load i's warm
		calls = make([]int, 3)
	)
	note := func(i int) {
		if len(order) == 0 || order[len(order)-1] != i {
			order = append(order, i)
		}
	}
	loads := make([]appendLoad, 3)
	for i := range loads {
		loads[i].call = func() error {
			mu.Lock()
			defer mu.Unlock()
			calls[i]++
			note(i)
			return nil
		}
		if i != 1 { // a load may have no warm
			loads[i].warm = func() error {
				mu.Lock()
				defer mu.Unlock()
				note(-1 - i)
				return nil
			}
		}
	}
	rs, err := b.alternate(4, 100, loads)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{-1, 0, 1, -3, 2, -1, 0, 1, -3, 2, -3, 2, 1, -1, 0}; !slices.Equal(order, want) {
		t.Errorf("loads ran in the order %v, want %v (warm-ups, then a round each way, each load after its warm)", order, want)
	}
	for i, r := range rs {
		if calls[i] != 10+45+45 {
			t.Errorf("load %d: %d calls, want 100", i, calls[i])
		}
		if len(r.lats) != 90 || r.ops <= 0 {
			t.Errorf("load %d: %d calls measured at %v/s, want the 90 of its two rounds", i, len(r.lats), r.ops)
		}
	}
}

// TestAlternateStopsAtAFailedWarm: a warm that fails ends the figure with
// its error, before any call of its load.
func TestAlternateStopsAtAFailedWarm(t *testing.T) {
	b := &bench{ctx: context.Background(), d: time.Minute}
	boom := errors.New("boom")
	var calls atomic.Int64
	_, err := b.alternate(2, 10, []appendLoad{{
		warm: func() error { return boom },
		call: func() error { calls.Add(1); return nil },
	}})
	if !errors.Is(err, boom) || calls.Load() != 0 {
		t.Errorf("alternate = %v after %d calls, want boom before any call", err, calls.Load())
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
