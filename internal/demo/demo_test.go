package demo_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/sqlite"
	"github.com/acv-registry/acv/internal/demo"
	"github.com/google/uuid"
)

// TestSeed: the demo passes every rule of the domain, across the lifecycle,
// whatever today is (it is relative to today).
func TestSeed(t *testing.T) {
	for _, today := range []domain.Date{domain.NewDate(2026, 11, 23), domain.NewDate(2027, 3, 28), domain.NewDate(2030, 2, 28)} {
		t.Run(today.String(), func(t *testing.T) {
			s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "acv.db"), sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			assets := eventstore.NewAssets(s, domain.DefaultRegimes(), uuid.New)
			if err := demo.Seed(context.Background(), assets, today, uuid.NewString); err != nil {
				t.Fatal(err)
			}
			events, err := s.ReadAll(context.Background(), 0, 10_000)
			if err != nil {
				t.Fatal(err)
			}
			streams := map[string]bool{}
			for _, e := range events {
				streams[e.Stream] = true
			}
			if len(streams) != 12 {
				t.Errorf("demo has %d assets, want 12", len(streams))
			}
			statuses := map[domain.Status]int{}
			for st := range streams {
				a, err := assets.Load(context.Background(), st[len("asset-"):])
				if err != nil {
					t.Fatal(err)
				}
				statuses[a.Status()]++
			}
			for _, want := range []domain.Status{domain.StatusNominated, domain.StatusListed, domain.StatusNotListed, domain.StatusRemoved} {
				if statuses[want] == 0 {
					t.Errorf("no demo asset is %q: %v", want, statuses)
				}
			}
		})
	}
}
