package projections

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/acv-registry/acv/eventstore/sqlite"
	"github.com/acv-registry/acv/internal/generate"
)

// TestHistoryReaderJoinsPages: whatever the page size, a rebuild's reader
// yields every asset's whole history once, oldest first, in asset id
// order, with histories that run over a page's end joined up, and notes
// the organisations among the other streams.
func TestHistoryReaderJoinsPages(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "acv.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := generate.Run(ctx, s, generate.Options{Seed: 5, Scale: 0.01}); err != nil {
		t.Fatal(err)
	}
	want := map[string][]int64{} // asset id -> positions, in log order
	orgs := map[string]bool{}
	for after := int64(0); ; {
		page, err := s.ReadAll(ctx, after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			if id, ok := AssetID(e.Stream); ok {
				want[id] = append(want[id], e.Position)
			} else if org, ok := OrganisationStreamID(e.Stream); ok {
				orgs[org] = true
			}
		}
		after = page[len(page)-1].Position
	}
	if len(want) < 20 {
		t.Fatalf("the generated log has %d assets: too few to test", len(want))
	}
	upTo, err := s.Horizon(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, batch := range []int{1, 2, 3, 7, 100, 10_000} {
		r := &historyReader{store: s, upTo: upTo, batch: batch, progress: func(int64, int64) {}, orgs: map[string]bool{}}
		var ids []string
		for {
			id, h, ok := r.next(ctx)
			if !ok {
				break
			}
			got := make([]int64, len(h))
			for i, e := range h {
				got[i] = e.Position
			}
			if !slices.Equal(got, want[id]) {
				t.Fatalf("pages of %d: asset %s's history is at positions %v, want %v", batch, id, got, want[id])
			}
			ids = append(ids, id)
		}
		if r.err != nil {
			t.Fatalf("pages of %d: %v", batch, r.err)
		}
		if len(ids) != len(want) || !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) {
			t.Fatalf("pages of %d: %d histories (sorted %v), want each of %d once, in id order", batch, len(ids), slices.IsSorted(ids), len(want))
		}
		if len(r.orgs) != len(orgs) {
			t.Errorf("pages of %d: noted %d organisations, want %d", batch, len(r.orgs), len(orgs))
		}
	}
}
