package projections

import (
	"context"
	"encoding/json"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/sqlite"
	"github.com/acv-registry/acv/internal/generate"
	"github.com/google/uuid"
)

// generatedStore returns a SQLite store, closed when the test ends, that
// holds the history internal/generate writes with seed and scale.
func generatedStore(t *testing.T, seed uint64, scale float64) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "acv.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := generate.Run(ctx, s, generate.Options{Seed: seed, Scale: scale}); err != nil {
		t.Fatal(err)
	}
	return s
}

// eachEvent calls f with every event of the log, in its order.
func eachEvent(t *testing.T, s eventstore.Store, f func(eventstore.Event)) {
	t.Helper()
	for after := int64(0); ; {
		page, err := s.ReadAll(context.Background(), after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			return
		}
		for _, e := range page {
			f(e)
		}
		after = page[len(page)-1].Position
	}
}

// TestHistoryReaderJoinsPages: whatever the page size, a rebuild's reader
// yields every asset's whole history once, oldest first, in asset id
// order, with histories that run over a page's end joined up, and notes
// the organisations among the other streams; split between readers of
// ranges of stream ids, every history comes once, from the reader of its
// range. Streams that are neither assets' nor organisations' (here, like
// the bench's own, before, between and after them) are not read at all:
// the readers' progress counts exactly the events of the others.
func TestHistoryReaderJoinsPages(t *testing.T) {
	ctx := context.Background()
	s := generatedStore(t, 5, 0.01)
	for _, stream := range []string{"bench-" + uuid.NewString(), "assets-x", "asset", "aardvark-1", "zeta-1", "organisations-x", domain.OrganisationStream("E09000001")} {
		var news []eventstore.NewEvent
		for range 50 {
			news = append(news, eventstore.NewEvent{ID: uuid.New(), Type: "acv.test.v1", Data: json.RawMessage(`{}`),
				Metadata: eventstore.Metadata{EffectiveDate: domain.NewDate(2026, 5, 1), Regime: "localism-2012"}})
		}
		if _, err := s.Append(ctx, stream, eventstore.NoStream, news); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string][]int64{} // asset id -> positions, in log order
	orgs := map[string]bool{}
	var needed int64 // events of assets' and organisations' streams
	eachEvent(t, s, func(e eventstore.Event) {
		if id, ok := AssetID(e.Stream); ok {
			want[id] = append(want[id], e.Position)
			needed++
		} else if org, ok := OrganisationStreamID(e.Stream); ok {
			orgs[org] = true
			needed++
		}
	})
	if len(want) < 20 {
		t.Fatalf("the generated log has %d assets: too few to test", len(want))
	}
	if len(want) < 20 || !orgs["E09000001"] {
		t.Fatalf("the log has %d assets and organisations %v: too few to test", len(want), orgs)
	}
	upTo, err := s.Horizon(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, batch := range []int{1, 2, 3, 7, 100, 10_000} {
		for _, n := range []int{1, 2, 3, 16} {
			var read int64
			readers := rangeReaders(s, upTo, n, func(done, total int64) { read = done })
			var ids []string
			noted := map[string]bool{}
			for i, r := range readers {
				r.batch = batch
				var mine []string
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
						t.Fatalf("pages of %d, %d readers: asset %s's history is at positions %v, want %v", batch, n, id, got, want[id])
					}
					mine = append(mine, id)
				}
				if r.err != nil {
					t.Fatalf("pages of %d, %d readers: %v", batch, n, r.err)
				}
				if !slices.IsSorted(mine) {
					t.Fatalf("pages of %d, reader %d of %d: histories not in id order", batch, i, n)
				}
				if len(mine) > 0 && ((i > 0 && "asset-"+mine[0] < streamSplit(i, n)) || (i < n-1 && "asset-"+mine[len(mine)-1] >= streamSplit(i+1, n))) {
					t.Fatalf("pages of %d, reader %d of %d: assets %s to %s, outside its range", batch, i, n, mine[0], mine[len(mine)-1])
				}
				ids = append(ids, mine...)
				maps.Copy(noted, r.orgs)
			}
			slices.Sort(ids)
			if len(ids) != len(want) || len(slices.Compact(slices.Clone(ids))) != len(ids) {
				t.Fatalf("pages of %d, %d readers: %d histories, want each of %d once", batch, n, len(ids), len(want))
			}
			if !maps.Equal(noted, orgs) {
				t.Errorf("pages of %d, %d readers: noted %d organisations, want %d", batch, n, len(noted), len(orgs))
			}
			if read != needed {
				t.Errorf("pages of %d, %d readers: read %d events, want the %d of assets and organisations", batch, n, read, needed)
			}
		}
	}
}

// TestNominationAccessorsAgreeWithNominations: after every event of a
// generated national history, Asset.Nomination(id) is the element of
// Asset.Nominations() with that id, and Asset.LastDecided(outcome) the last
// element decided with that outcome: what the register's versions (step)
// and the timeline read instead of copying every nomination.
func TestNominationAccessorsAgreeWithNominations(t *testing.T) {
	s := generatedStore(t, 7, 0.01)
	streams := map[string][]eventstore.Event{}
	eachEvent(t, s, func(e eventstore.Event) {
		if _, ok := AssetID(e.Stream); ok {
			streams[e.Stream] = append(streams[e.Stream], e)
		}
	})
	checked, decided := 0, 0
	for stream, events := range streams {
		history, err := Decode(events)
		if err != nil {
			t.Fatal(err)
		}
		a := domain.NewAsset(stream, domain.DefaultRegimes())
		for _, r := range history {
			a.Fold(r.Event)
			noms := a.Nominations()
			for _, n := range noms {
				got, ok := a.Nomination(n.Received.NominationID)
				if !ok || !reflect.DeepEqual(got, n) {
					t.Fatalf("%s: Nomination(%s) = %+v, %v; want %+v", stream, n.Received.NominationID, got, ok, n)
				}
				checked++
			}
			if _, ok := a.Nomination("no-such-nomination"); ok {
				t.Fatalf("%s: Nomination of an unknown id found one", stream)
			}
			for _, outcome := range []domain.Outcome{domain.Listed, domain.PartlyListed, domain.NotListed} {
				var want *domain.NominationRecord
				for i := range noms {
					if d := noms[i].Decision; d != nil && d.Outcome == outcome {
						want = &noms[i]
					}
				}
				got, ok := a.LastDecided(outcome)
				if ok != (want != nil) || ok && !reflect.DeepEqual(got, *want) {
					t.Fatalf("%s: LastDecided(%s) = %+v, %v; want %+v", stream, outcome, got, ok, want)
				}
				if ok {
					decided++
				}
			}
		}
	}
	if checked == 0 || decided == 0 {
		t.Fatalf("checked %d nominations and %d decisions: the history has none", checked, decided)
	}
}
