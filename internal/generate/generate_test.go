package generate_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/sqlite"
	"github.com/acv-registry/acv/internal/generate"
)

// memStore is a Store that keeps appends in memory and checks their
// expected versions; only Append is used by the generator.
type memStore struct {
	eventstore.Store
	streams map[string]int64
	log     []eventstore.Event
}

func (m *memStore) Append(_ context.Context, stream string, expected eventstore.ExpectedVersion, events []eventstore.NewEvent) ([]int64, error) {
	if m.streams == nil {
		m.streams = map[string]int64{}
	}
	if err := eventstore.CheckExpected(stream, expected, m.streams[stream]); err != nil {
		return nil, err
	}
	var ps []int64
	for _, e := range events {
		m.streams[stream]++
		m.log = append(m.log, eventstore.Event{ID: e.ID, Stream: stream, Version: m.streams[stream], Position: int64(len(m.log) + 1),
			Type: e.Type, Data: e.Data, Metadata: e.Metadata})
		ps = append(ps, int64(len(m.log)))
	}
	return ps, nil
}

func TestSameSeedSameLog(t *testing.T) {
	run := func(seed uint64) []eventstore.Event {
		var m memStore
		if _, err := generate.Run(context.Background(), &m, generate.Options{Seed: seed, Scale: 0.2}); err != nil {
			t.Fatal(err)
		}
		return m.log
	}
	a, b, c := run(7), run(7), run(8)
	if len(a) == 0 || !reflect.DeepEqual(a, b) {
		t.Fatalf("two runs with seed 7 wrote different logs (%d and %d events)", len(a), len(b))
	}
	if reflect.DeepEqual(a, c) {
		t.Fatal("seeds 7 and 8 wrote the same log")
	}
}

// TestSameSeedSameStoredLog: on a real store with a fixed clock and a
// fixed source of the keys that seal personal data, the same seed stores
// the same rows, hashes included.
func TestSameSeedSameStoredLog(t *testing.T) {
	ctx := context.Background()
	now := func() time.Time { return time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC) }
	read := func() []eventstore.Event {
		random := &lockedReader{r: rand.NewChaCha8([32]byte{1})}
		s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "acv.db"), sqlite.Options{Now: now, Random: random})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stats, err := generate.Run(ctx, s, generate.Options{Seed: 1, Scale: 0.02})
		if err != nil {
			t.Fatal(err)
		}
		events, err := s.ReadAll(ctx, 0, 1_000_000)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(events)) != stats.Events || stats.Events == 0 {
			t.Fatalf("stored %d events, stats say %d", len(events), stats.Events)
		}
		return events
	}
	a, b := read(), read()
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed stored different logs")
	}
	if r, err := verifyAll(ctx, a); err != nil {
		t.Fatal(r, err)
	}
}

// lockedReader makes a deterministic reader safe for concurrent appends.
type lockedReader struct {
	mu sync.Mutex
	r  io.Reader
}

func (l *lockedReader) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(p)
}

func verifyAll(_ context.Context, events []eventstore.Event) (string, error) {
	for i, e := range events {
		if len(e.Hash) == 0 {
			return fmt.Sprint(i), fmt.Errorf("event %d has no hash", i)
		}
	}
	return "", nil
}

// TestHistoryIsEngland: at scale 1 the history has the shape of England's
// (domain-rules.md, "Scale and reference data"), and every stream replays.
func TestHistoryIsEngland(t *testing.T) {
	var m memStore
	stats, err := generate.Run(context.Background(), &m, generate.Options{Seed: 42, Scale: 1})
	if err != nil {
		t.Fatal(err)
	}
	years := float64(generate.DefaultUntil.Year()-2012) + 0.02
	perYear := func(typ string) float64 { return float64(stats.Count(typ)) / years }
	t.Logf("%d events in %d appends, %d assets; per year: %.0f nominations, %.0f disposal notices",
		stats.Events, stats.Appends, stats.Assets, perYear(domain.TypeNominationReceived), perYear(domain.TypeDisposalNoticeReceived))

	within := func(what string, got, lo, hi float64) {
		t.Helper()
		if got < lo || got > hi {
			t.Errorf("%s = %.3f, want between %.3f and %.3f", what, got, lo, hi)
		}
	}
	within("nominations a year", perYear(domain.TypeNominationReceived), 680, 820)
	within("disposal notices a year", perYear(domain.TypeDisposalNoticeReceived), 35, 65)

	// Replay every stream: shares by outcome, category and moratorium.
	histories := map[string][]domain.Event{}
	var order []string
	for _, e := range m.log {
		ev, err := domain.UnmarshalEvent(e.Type, e.Data)
		if err != nil {
			t.Fatalf("%s v%d: %v", e.Stream, e.Version, err)
		}
		if _, ok := histories[e.Stream]; !ok {
			order = append(order, e.Stream)
		}
		histories[e.Stream] = append(histories[e.Stream], ev)
	}
	var decided, listed, pubs, greens, nominations, notices, full, expired, renominated int
	for _, stream := range order {
		a := domain.Rebuild(stream[len("asset-"):], domain.DefaultRegimes(), histories[stream])
		ns := a.Nominations()
		if len(ns) > 1 {
			renominated++
		}
		for _, n := range ns {
			nominations++
			switch n.Received.Land.Category {
			case "pub":
				pubs++
			case "green_space":
				greens++
			}
			if n.Decision != nil {
				decided++
				if n.Decision.Outcome != domain.NotListed {
					listed++
				}
			}
		}
		for _, mr := range a.Moratoria() {
			notices++
			if mr.FullTriggered {
				full++
			}
		}
		for _, e := range a.Entries() {
			if e.RemovalReason == domain.RemovedOnExpiry {
				expired++
			}
		}
	}
	t.Logf("listed %.2f, pubs %.2f, green %.2f, full moratoria %.2f, %d expiries, %d re-nominated", float64(listed)/float64(decided), float64(pubs)/float64(nominations), float64(greens)/float64(nominations), float64(full)/float64(notices), expired, renominated)
	within("listed share of decisions", float64(listed)/float64(decided), 0.60, 0.80)
	within("pub share of nominations", float64(pubs)/float64(nominations), 0.37, 0.45)
	within("green-space share of nominations", float64(greens)/float64(nominations), 0.12, 0.18)
	within("full moratoria share of notices", float64(full)/float64(notices), 0.65, 0.85)
	if expired == 0 || renominated == 0 {
		t.Errorf("%d expiries and %d re-nominated assets; want some of each", expired, renominated)
	}
	for _, typ := range []string{domain.TypeReviewDecided, domain.TypeAppealDecided, domain.TypeBidSubmitted, domain.TypeDisposalRecorded,
		domain.TypeFullMoratoriumEnded, domain.TypeProtectedPeriodEnded, domain.TypeListingExpired, domain.TypeNominationDecisionOverdue,
		domain.TypeUnsuccessfulEntryExpired, domain.TypeMoratoriumOutcomeRecorded, domain.TypeOwnerChanged, domain.TypeRemovedFromList} {
		if stats.Count(typ) == 0 {
			t.Errorf("no %s events", typ)
		}
	}
}

func TestScaleMultipliesTheHistory(t *testing.T) {
	count := func(scale float64) int64 {
		var m memStore
		stats, err := generate.Run(context.Background(), &m, generate.Options{Seed: 3, Scale: scale, Councils: 20})
		if err != nil {
			t.Fatal(err)
		}
		return stats.Events
	}
	small, big := count(0.1), count(0.4)
	if r := float64(big) / float64(small); r < 3.3 || r > 4.7 {
		t.Errorf("scale 0.4 wrote %d events, scale 0.1 %d: ratio %.2f, want about 4", big, small, r)
	}
}
