package postgres

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/internal/pgtest"
	"github.com/google/uuid"
)

// TestDecoderMatchesScan: the wire-format decoder reads every row exactly
// as pgx's Scan does, and is the path ReadAll takes.
func TestDecoderMatchesScan(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, pgtest.DSN(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mk := func(date domain.Date) eventstore.NewEvent {
		return eventstore.NewEvent{ID: uuid.New(), Type: "acv.test.v1", Data: []byte(`{"name":"The Crown","n":[1,2.5,"é"]}`),
			Metadata: eventstore.Metadata{EffectiveDate: date, Actor: eventstore.Actor{Org: "E07000228", Role: "council_officer", TokenID: "t"},
				CorrelationID: uuid.New(), CausationID: uuid.New(), Regime: "localism-2012", SchemaVersion: 3}}
	}
	es := []eventstore.NewEvent{mk(domain.NewDate(2026, 3, 29)), mk(domain.Date{}), mk(domain.NewDate(1999, 12, 31))}
	if _, err := s.Append(ctx, "asset-a", eventstore.NoStream, es); err != nil {
		t.Fatal(err)
	}
	rows, err := s.pool.Query(ctx, selectEvent+` ORDER BY position`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var dec pageDecoder
	n := 0
	for rows.Next() {
		var fast, slow eventstore.Event
		if err := dec.decode(rows, &fast); err != nil {
			t.Fatalf("decode: %v (ReadAll would fall back to Scan)", err)
		}
		if err := scanEvent(rows, &slow); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Errorf("decoded %+v\nscanned %+v", fast, slow)
		}
		if fast.Metadata != es[n].Metadata {
			t.Errorf("metadata %+v, want %+v", fast.Metadata, es[n].Metadata)
		}
		if !fast.RecordedAt.Equal(slow.RecordedAt) || fast.RecordedAt.After(time.Now()) {
			t.Errorf("recorded_at %v", fast.RecordedAt)
		}
		n++
	}
	if n != 3 {
		t.Fatalf("read %d rows", n)
	}
}
