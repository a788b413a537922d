package projections_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/internal/demo"
	"github.com/acv-registry/acv/projections"
	"github.com/google/uuid"
)

// TestPagesAreDerivedFromTheLog: an asset's page and timeline are derived
// from its stream when asked, so they are never behind the log: an event
// appended while the projector is stopped is on both at once, while the
// tables' row still shows the version before it. Once the projector has
// caught up, the page agrees with the tables' row. The tables hold
// neither the page nor the timeline. An unknown asset is not found, and
// queries with no log or no regimes say so instead of answering "not
// found".
func TestPagesAreDerivedFromTheLog(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st stack) {
		ctx := context.Background()
		regimes := domain.DefaultRegimes()
		p := projections.NewProjector(st.store, st.db, regimes, slog.New(slog.DiscardHandler))
		if err := p.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		assets := eventstore.NewAssets(st.store, regimes, uuid.New)
		today := domain.DateOf(time.Now())
		if err := demo.Seed(ctx, assets, today, uuid.NewString); err != nil {
			t.Fatal(err)
		}
		drain(t, st, p, 50)
		q := &projections.Queries{DB: st.db, Log: st.store, Regimes: regimes}
		id := firstAsset(t, st)
		stored := func() (version int64, name, status string) {
			t.Helper()
			if err := st.db.SQL.QueryRowContext(ctx, st.db.Dialect.Rebind(`SELECT version, name, status FROM rm_assets WHERE asset_id = ?`), id).
				Scan(&version, &name, &status); err != nil {
				t.Fatal(err)
			}
			return version, name, status
		}

		before, err := q.Asset(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if v, name, status := stored(); before.Version != v || before.Name != name || before.Status != status {
			t.Errorf("page of %s: version %d, %q, %s; the tables' row: version %d, %q, %s",
				id, before.Version, before.Name, before.Status, v, name, status)
		}
		var view projections.AssetView
		if err := json.Unmarshal(before.View, &view); err != nil || view.ID != id || view.Version != before.Version || len(view.Nominations) == 0 {
			t.Errorf("view of %s = %s (%v)", id, before.View, err)
		}

		saved, err := assets.Update(ctx, id, -1, func(a *domain.Asset) error { return a.AdvanceClocks(today.AddDays(3650)) })
		if err != nil || saved.Version <= before.Version {
			t.Fatalf("append: version %d, %v; want past %d", saved.Version, err, before.Version)
		}
		after, err := q.Asset(ctx, id)
		if err != nil || after.Version != saved.Version {
			t.Errorf("page after an append, the projector stopped: version %d, %v; want %d", after.Version, err, saved.Version)
		}
		if v, _, _ := stored(); v != before.Version {
			t.Fatalf("the tables' row moved to version %d with the projector stopped", v)
		}
		tl, err := q.Timeline(ctx, id)
		if err != nil || len(tl) != int(saved.Version) || tl[len(tl)-1].Version != saved.Version || tl[len(tl)-1].Text == "" {
			t.Fatalf("timeline after an append: %d entries, %v; want %d, the last described", len(tl), err, saved.Version)
		}
		for i, e := range tl {
			if e.Version != int64(i+1) {
				t.Fatalf("timeline entry %d has version %d: want oldest first", i, e.Version)
			}
		}
		// What Derive makes of the whole stream, from the same read.
		events, err := st.store.ReadStream(ctx, domain.AssetStream(id), 1, eventstore.AsErased)
		if err != nil {
			t.Fatal(err)
		}
		history, err := projections.Decode(events)
		if err != nil {
			t.Fatal(err)
		}
		want := projections.Derive(id, regimes, history)
		if !reflect.DeepEqual(tl, want.Timeline) || string(after.View) != string(want.Asset.View) {
			t.Errorf("page and timeline differ from Derive of the stream")
		}
		drain(t, st, p, 50)
		if v, _, _ := stored(); v != saved.Version {
			t.Errorf("the tables' row after the projector caught up: version %d, want %d", v, saved.Version)
		}

		for _, table := range []string{"rm_timeline"} {
			if _, err := st.db.SQL.ExecContext(ctx, `SELECT 1 FROM `+table); err == nil {
				t.Errorf("%s exists: the timeline is stored", table)
			}
		}
		if _, err := st.db.SQL.ExecContext(ctx, `SELECT view FROM rm_assets`); err == nil {
			t.Error("rm_assets has a view column: the page is stored")
		}

		unknown := uuid.NewString()
		if _, err := q.Asset(ctx, unknown); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("Asset(unknown) error = %v, want ErrNotFound", err)
		}
		if _, err := q.Timeline(ctx, unknown); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("Timeline(unknown) error = %v, want ErrNotFound", err)
		}
		noLog := &projections.Queries{DB: st.db, Regimes: regimes}
		if _, err := noLog.Timeline(ctx, id); err == nil || errors.Is(err, domain.ErrNotFound) {
			t.Errorf("Timeline with no log: error %v, want one that is not ErrNotFound", err)
		}
		// The zero Regimes knows no regime: every clock would be wrong.
		noRegimes := &projections.Queries{DB: st.db, Log: st.store}
		if _, err := noRegimes.Asset(ctx, id); err == nil || errors.Is(err, domain.ErrNotFound) {
			t.Errorf("Asset with no regimes: error %v, want one that is not ErrNotFound", err)
		}
	})
}
