package postgres

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/internal/pgtest"
	"github.com/google/uuid"
)

// TestInsertOneBinary: a single append goes through insertOneBinary (its
// statement is prepared on the connection), and what it stores reads back
// as appended and verifies: every column it encodes itself is covered by
// the chain hash, so a wrong encoding breaks the chain. Dates before and
// after 2000, a missing date (NULL), text beyond ASCII and numbers in the
// data are among them.
func TestInsertOneBinary(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, pgtest.DSN(t), Options{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dates := []domain.Date{{}, domain.NewDate(1999, time.December, 31), domain.NewDate(2000, time.January, 1),
		domain.NewDate(2026, time.April, 1), domain.NewDate(1900, time.February, 28)}
	for i, d := range dates {
		stream := "stream-" + uuid.NewString()
		e := eventstore.NewEvent{ID: uuid.New(), Type: "acv.test-ü.v1",
			Data: json.RawMessage(`{"n":1.50,"big":12345678901234567890,"name":"Café ✓","list":[1,"two",null,true]}`),
			Metadata: eventstore.Metadata{EffectiveDate: d, Actor: eventstore.Actor{Org: "org:é", Role: "role", TokenID: "tok"},
				CorrelationID: uuid.New(), CausationID: uuid.New(), Regime: "localism-2012", SchemaVersion: 3 + i}}
		pos, err := s.Append(ctx, stream, eventstore.NoStream, []eventstore.NewEvent{e})
		if err != nil {
			t.Fatalf("append with date %q: %v", d, err)
		}
		got, err := s.ReadStream(ctx, stream, 0, eventstore.Opened)
		if err != nil || len(got) != 1 {
			t.Fatalf("read back: %v, %d events", err, len(got))
		}
		g := got[0]
		want, _ := eventstore.CanonicalJSON(e.Data)
		data, _ := eventstore.CanonicalJSON(g.Data) // jsonb gives its own spacing back
		if g.Position != pos[0] || g.ID != e.ID || g.Version != 1 || g.Type != e.Type || string(data) != string(want) || g.Metadata != e.Metadata {
			t.Errorf("read back %+v (data %s), want %+v (data %s) at %d", g, data, e, want, pos[0])
		}
		if r, err := s.Verify(ctx, stream); err != nil || !r.OK() || r.Events != 1 {
			t.Errorf("verify after a single append with date %q: %+v, %v", d, r, err)
		}
	}
	var prepared int
	if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_prepared_statements WHERE name = $1`, insertOneName).Scan(&prepared); err != nil {
		t.Fatal(err)
	}
	if prepared != 1 {
		t.Errorf("%d statements named %s on the store's one connection, want 1: single appends do not use insertOneBinary", prepared, insertOneName)
	}
}
