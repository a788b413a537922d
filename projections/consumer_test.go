package projections_test

import (
	"context"
	"testing"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/internal/demo"
	"github.com/acv-registry/acv/messaging"
	"github.com/acv-registry/acv/projections"
	"github.com/google/uuid"
)

// drain brings the projector up to date with the log through the real
// consumer path: a Watermill router reading the events table, batch
// events per transaction.
func drain(t testing.TB, st stack, p *projections.Projector, batch int) {
	t.Helper()
	src, err := messaging.SourceFor(st.store, st.db.SQL, batch)
	if err != nil {
		t.Fatal(err)
	}
	r, err := messaging.NewRouter(messaging.Config{Source: src, Store: st.store, DB: st.db.SQL, Dialect: st.db.Dialect}, p)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := r.Drain(ctx); err != nil {
		t.Fatalf("drain: %v", err)
	}
}

// TestProjectorReplaysToTheSameRows: handling an event again (a replay from
// the poison queue, a consumer offset set back) leaves the read models as
// they were, because an asset's rows are derived from its whole stream.
func TestProjectorReplaysToTheSameRows(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st stack) {
		ctx := context.Background()
		p := projections.NewProjector(st.store, st.db, domain.DefaultRegimes(), nil)
		if err := p.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		assets := eventstore.NewAssets(st.store, domain.DefaultRegimes(), uuid.New)
		if err := demo.Seed(ctx, assets, domain.DateOf(time.Now()), uuid.NewString); err != nil {
			t.Fatal(err)
		}
		drain(t, st, p, 7)
		before := dump(t, st.db)
		if len(before["rm_assets"]) != 12 {
			t.Fatalf("the projector built %d assets, want the demo's 12", len(before["rm_assets"]))
		}
		// Set the offset back to 0 and follow the whole log again.
		tx, err := st.db.SQL.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := messaging.LockOffset(ctx, tx, st.db.Dialect, projections.ConsumerName); err != nil {
			t.Fatal(err)
		}
		if err := messaging.SetOffset(ctx, tx, st.db.Dialect, projections.ConsumerName, 0); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		drain(t, st, p, 500)
		after := dump(t, st.db)
		for _, table := range projections.TableNames() {
			if len(before[table]) != len(after[table]) {
				t.Errorf("%s: %d rows before the replay, %d after", table, len(before[table]), len(after[table]))
				continue
			}
			for i := range before[table] {
				if before[table][i] != after[table][i] {
					t.Errorf("%s row %d changed on replay:\nbefore %s\nafter  %s", table, i, before[table][i], after[table][i])
					break
				}
			}
		}
	})
}
