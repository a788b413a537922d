package projections

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/sqlite"
	"github.com/google/uuid"
)

// TestPublisher: the public form of an event is redacted with what its
// stream had said by then, carries the asset's council, and is the same
// however the publisher comes to it.
func TestPublisher(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "acv.db"), sqlite.Options{Now: func() time.Time { return time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	stream := domain.AssetStream("a1")
	raw := []string{
		`{"asset_id":"a1","council":"E07000228","nominator":{"id":"g-1","name":"Friends","kind":"charity","local_connection":true},"owner":{"id":"g-2","name":"Jo Bloggs","address":"1 Lane"},"evidence":"21 electors: A, B"}`,
		`{"asset_id":"a1","buyer":{"id":"g-2","name":"Later Group"}}`,
		`{"asset_id":"a1","bidder":{"id":"g-2","name":"Later Group"},"group":{"id":"g-2","name":"Later Group","kind":"charity","local_connection":true}}`,
		`{"asset_id":"a1","buyer":{"id":"g-2","name":"Later Group"}}`,
	}
	types := []string{domain.TypeNominationReceived, "acv.test-a.v1", "acv.test-b.v1", "acv.test-a.v1"}
	var news []eventstore.NewEvent
	for i, r := range raw {
		news = append(news, eventstore.NewEvent{ID: uuid.New(), Type: types[i], Data: json.RawMessage(r),
			Metadata: eventstore.Metadata{EffectiveDate: domain.NewDate(2026, 5, i+1), Regime: "localism-2012"}})
	}
	if _, err := store.Append(ctx, stream, eventstore.NoStream, news); err != nil {
		t.Fatal(err)
	}
	stored, err := store.ReadStream(ctx, stream, 1, eventstore.Opened)
	if err != nil {
		t.Fatal(err)
	}

	// In order, as the live stream meets them.
	follow := NewPublisher(store)
	var inOrder []PublicEvent
	for _, e := range stored {
		pe, err := follow.Public(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		inOrder = append(inOrder, pe)
	}
	first := inOrder[0]
	if first.Council != "E07000228" || first.AssetID != "a1" || first.Version != 1 || first.Position != stored[0].Position ||
		first.EffectiveDate != domain.NewDate(2026, 5, 1) || first.Regime != "localism-2012" || first.ID != stored[0].ID {
		t.Errorf("first public event %+v", first)
	}
	if s := string(first.Data); strings.Contains(s, "Jo Bloggs") || strings.Contains(s, "1 Lane") || strings.Contains(s, "electors") || !strings.Contains(s, "Friends") {
		t.Errorf("first event's data %s", s)
	}
	// g-2 is a community body only from version 3: before, it is a private party.
	if strings.Contains(string(inOrder[1].Data), "Later Group") || !strings.Contains(string(inOrder[3].Data), "Later Group") {
		t.Errorf("versions 2 and 4: %s, %s", inOrder[1].Data, inOrder[3].Data)
	}
	for i, pe := range inOrder {
		if pe.Council != "E07000228" {
			t.Errorf("version %d has council %q", i+1, pe.Council)
		}
	}

	// Out of order, cold, and by version: the same forms.
	for _, i := range []int{3, 1, 1, 0, 2, 3} {
		for name, p := range map[string]*Publisher{"cold": NewPublisher(store), "warm": follow} {
			pe, err := p.Public(ctx, stored[i])
			if err != nil {
				t.Fatal(err)
			}
			at, err := p.At(ctx, stream, int64(i+1))
			if err != nil {
				t.Fatal(err)
			}
			for _, got := range []PublicEvent{pe, at} {
				a, _ := json.Marshal(got)
				b, _ := json.Marshal(inOrder[i])
				if string(a) != string(b) {
					t.Errorf("%s publisher, version %d:\n got %s\nwant %s", name, i+1, a, b)
				}
			}
		}
	}
	if _, err := follow.At(ctx, stream, 9); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("At(version 9) = %v, want not found", err)
	}
	if c, err := NewPublisher(store).Council(ctx, stored[2]); err != nil || c != "E07000228" {
		t.Errorf("Council = %q, %v", c, err)
	}
	if !slices.Equal(inOrder[0].Redacted, []string{"/data/evidence", "/data/owner/id", "/data/owner/name", "/data/owner/address"}) {
		t.Errorf("redacted %v", inOrder[0].Redacted)
	}
}

func TestAssetIDOf(t *testing.T) {
	for in, want := range map[string]string{"asset-a1": "a1", "organisation-1": "", "asset-": ""} {
		if got := AssetIDOf(in); got != want {
			t.Errorf("AssetIDOf(%q) = %q, want %q", in, got, want)
		}
	}
}
