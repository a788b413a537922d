package projections

import (
	"bytes"
	"context"
	"reflect"
	"testing"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
)

// TestRowsHoldNoPersonalData: on a generated national history, whose
// nominations, owners and notices carry sealed personal data, every
// asset's rows, and the day its next statutory clock falls due, are the
// same from its history opened as from its history read as erased. That
// is why the projector, a rebuild and the clock's schedule read asset
// streams with eventstore.AsErased and read no key.
func TestRowsHoldNoPersonalData(t *testing.T) {
	ctx := context.Background()
	s := generatedStore(t, 5, 0.03)
	seen := map[string]bool{}
	var ids []string
	eachEvent(t, s, func(e eventstore.Event) {
		if id, ok := AssetID(e.Stream); ok && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	})
	regimes := domain.DefaultRegimes()
	sealed := 0
	for _, id := range ids {
		history := map[eventstore.PersonalData][]Recorded{}
		var data [2][][]byte
		for i, pd := range []eventstore.PersonalData{eventstore.Opened, eventstore.AsErased} {
			stored, err := s.ReadStream(ctx, domain.AssetStream(id), 1, pd)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range stored {
				data[i] = append(data[i], e.Data)
			}
			if history[pd], err = Decode(stored); err != nil {
				t.Fatalf("asset %s: %v", id, err)
			}
		}
		for i := range data[0] {
			if !bytes.Equal(data[0][i], data[1][i]) {
				sealed++
				break
			}
		}
		opened, erased := history[eventstore.Opened], history[eventstore.AsErased]
		if a, b := Derive(id, regimes, opened), Derive(id, regimes, erased); !reflect.DeepEqual(a, b) {
			t.Fatalf("asset %s: rows differ when its personal data is read as erased:\nopened %+v\nerased %+v", id, a, b)
		}
		due := func(h []Recorded) string {
			events := make([]domain.Event, len(h))
			for i, r := range h {
				events[i] = r.Event
			}
			d, pending := domain.Rebuild(id, regimes, events).NextClockDue()
			if !pending {
				return "none"
			}
			return d.String()
		}
		if a, b := due(opened), due(erased); a != b {
			t.Fatalf("asset %s: next clock due %s opened, %s erased", id, a, b)
		}
	}
	// Not vacuous: most assets hold personal data that erasure changes.
	if len(ids) < 100 || sealed < len(ids)/2 {
		t.Fatalf("%d assets, %d with personal data read differently as erased: want at least 100, half of them", len(ids), sealed)
	}
	t.Logf("%d assets, %d with sealed personal data", len(ids), sealed)
}
