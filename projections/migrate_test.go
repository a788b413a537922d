package projections_test

import (
	"context"
	"database/sql"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/internal/demo"
	"github.com/acv-registry/acv/messaging"
	"github.com/acv-registry/acv/projections"
	"github.com/google/uuid"
)

// TestMigrateRebuildsAnEarlierLayout: live read-model tables of an earlier
// layout (reach columns and a text search index, but no outward code, and
// neither the postcode, status nor spatial indexes) are rebuilt from the
// log by Migrate, so a node upgraded in place serves the new queries at
// once.
func TestMigrateRebuildsAnEarlierLayout(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st stack) {
		ctx := context.Background()
		assets := eventstore.NewAssets(st.store, domain.DefaultRegimes(), uuid.New)
		today := domain.DateOf(time.Now())
		if err := demo.Seed(ctx, assets, today, uuid.NewString); err != nil {
			t.Fatal(err)
		}
		// The tables of the layout before: a register with reach_back and
		// without outward, SQLite's text search table without rm_geo.
		stmts := []string{
			`CREATE TABLE rm_assets (asset_id TEXT NOT NULL PRIMARY KEY)`,
			`CREATE TABLE rm_register (asset_id TEXT NOT NULL, seq BIGINT NOT NULL, council TEXT NOT NULL, reach_back BIGINT NOT NULL)`,
		}
		if st.db.Dialect == projections.SQLite {
			stmts = append(stmts, `CREATE VIRTUAL TABLE rm_search USING fts5(search, content='', contentless_delete=1, tokenize='trigram case_sensitive 1')`)
		}
		for _, stmt := range stmts {
			if _, err := st.db.SQL.ExecContext(ctx, stmt); err != nil {
				t.Fatal(err)
			}
		}
		p := projections.NewProjector(st.store, st.db, domain.DefaultRegimes(), slog.New(slog.DiscardHandler))
		// Prepare tells, and leaves the tables to a rebuild (acv rebuild's).
		if outdated, err := p.Prepare(ctx); err != nil || !outdated {
			t.Fatalf("Prepare = %v, %v; want outdated", outdated, err)
		}
		if cp, err := (&projections.Queries{DB: st.db}).Checkpoint(ctx); err != nil || cp != 0 {
			t.Fatalf("checkpoint after Prepare = %d, %v; want 0: nothing rebuilt", cp, err)
		}
		if err := p.Migrate(ctx); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		q := &projections.Queries{DB: st.db}
		last, err := st.store.LastPosition(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if cp, err := q.Checkpoint(ctx); err != nil || cp != last {
			t.Errorf("checkpoint after the upgrade = %d, %v; want %d", cp, err, last)
		}
		page, err := q.National(ctx, projections.SearchQuery{Text: "library", Today: today})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) == 0 {
			t.Error("the text search finds nothing after the upgrade")
		}
		reg, err := q.Register(ctx, projections.RegisterQuery{Council: demo.Stockport, Today: today})
		if err != nil || len(reg.Items) == 0 {
			t.Errorf("Stockport's register after the upgrade: %d entries, %v", len(reg.Items), err)
		}
		if len(reg.Items) == 0 || reg.Items[0].Point == nil {
			t.Fatal("no entry with a point to look for")
		}
		e := reg.Items[0]
		for _, s := range []projections.SearchQuery{
			{Postcode: e.Postcode, Today: today},
			{Postcode: strings.Fields(e.Postcode)[0], Today: today},
			{BBox: &projections.BoundingBox{MinLon: e.Point.Lon, MinLat: e.Point.Lat, MaxLon: e.Point.Lon, MaxLat: e.Point.Lat}, Today: today},
		} {
			page, err := q.National(ctx, s)
			if err != nil || !slices.ContainsFunc(page.Items, func(f projections.RegisterEntry) bool { return f.AssetID == e.AssetID }) {
				t.Errorf("national register by %+v after the upgrade: %d entries, %v; want %s among them", s, len(page.Items), err, e.AssetID)
			}
		}
		// Migrating again changes nothing.
		if outdated, err := p.Prepare(ctx); err != nil || outdated {
			t.Fatalf("Prepare after the upgrade = %v, %v; want current", outdated, err)
		}
		if err := p.Migrate(ctx); err != nil {
			t.Fatalf("Migrate again: %v", err)
		}
		// The layout before the statistics' counts: no rm_counts. Migrate
		// rebuilds, and the statistics are there again.
		want, err := q.Stats(ctx, today)
		if err != nil || want.National.Nominations == 0 {
			t.Fatalf("Stats = %+v, %v; want nominations", want.National, err)
		}
		if _, err := st.db.SQL.ExecContext(ctx, `DROP TABLE rm_counts`); err != nil {
			t.Fatal(err)
		}
		if err := p.Migrate(ctx); err != nil {
			t.Fatalf("Migrate without rm_counts: %v", err)
		}
		if got, err := q.Stats(ctx, today); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Stats after rebuilding the counts = %+v, %v; want %+v", got.National, err, want.National)
		}
		// A set an earlier binary rebuilt: rm_assets without its counts
		// beside a stale rm_counts.
		if _, err := st.db.SQL.ExecContext(ctx, `ALTER TABLE rm_assets DROP COLUMN counts`); err != nil {
			t.Fatal(err)
		}
		if err := p.Migrate(ctx); err != nil {
			t.Fatalf("Migrate without rm_assets.counts: %v", err)
		}
		if _, err := st.db.SQL.ExecContext(ctx, `SELECT counts FROM rm_assets`); err != nil {
			t.Errorf("rm_assets.counts after Migrate: %v", err)
		}
		if got, err := q.Stats(ctx, today); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Stats after rebuilding rm_assets.counts = %+v, %v; want %+v", got.National, err, want.National)
		}
		// The layout before an asset's page and timeline were derived when
		// asked: rm_timeline beside the tables, and rm_assets.view. Migrate
		// rebuilds, and both go.
		for _, stmt := range []string{
			`CREATE TABLE rm_timeline (asset_id TEXT NOT NULL PRIMARY KEY, position BIGINT NOT NULL, version BIGINT NOT NULL, entries TEXT NOT NULL)`,
			`ALTER TABLE rm_assets ADD COLUMN view TEXT NOT NULL DEFAULT ''`,
		} {
			if _, err := st.db.SQL.ExecContext(ctx, stmt); err != nil {
				t.Fatal(err)
			}
		}
		if outdated, err := p.Prepare(ctx); err != nil || !outdated {
			t.Fatalf("Prepare with rm_timeline = %v, %v; want outdated", outdated, err)
		}
		if err := p.Migrate(ctx); err != nil {
			t.Fatalf("Migrate with rm_timeline: %v", err)
		}
		for _, stmt := range []string{`SELECT 1 FROM rm_timeline`, `SELECT view FROM rm_assets`} {
			if _, err := st.db.SQL.ExecContext(ctx, stmt); err == nil {
				t.Errorf("%s after the upgrade: no error, want the table or column gone", stmt)
			}
		}
		if got, err := q.Stats(ctx, today); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Stats after dropping rm_timeline = %+v, %v; want %+v", got.National, err, want.National)
		}
		if st.db.Dialect != projections.SQLite {
			return
		}
		// The layout before the register's index on bands of latitude:
		// the spatial index was the R*Tree rm_geo. Migrate rebuilds, and
		// the R*Tree, with its own tables, goes with the set it retires.
		if _, err := st.db.SQL.ExecContext(ctx, `CREATE VIRTUAL TABLE rm_geo USING rtree(id, min_lat, max_lat, min_lon, max_lon)`); err != nil {
			t.Fatal(err)
		}
		if outdated, err := p.Prepare(ctx); err != nil || !outdated {
			t.Fatalf("Prepare with rm_geo = %v, %v; want outdated", outdated, err)
		}
		if err := p.Migrate(ctx); err != nil {
			t.Fatalf("Migrate with rm_geo: %v", err)
		}
		var left int
		if err := st.db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'rm\_geo%' ESCAPE '\'`).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left != 0 {
			t.Errorf("%d tables of the R*Tree are left after the upgrade", left)
		}
		box := projections.BoundingBox{MinLon: e.Point.Lon, MinLat: e.Point.Lat, MaxLon: e.Point.Lon, MaxLat: e.Point.Lat}
		page, err = q.National(ctx, projections.SearchQuery{BBox: &box, Today: today})
		if err != nil || !slices.ContainsFunc(page.Items, func(f projections.RegisterEntry) bool { return f.AssetID == e.AssetID }) {
			t.Errorf("national register in %+v after the upgrade: %d entries, %v; want %s among them", box, len(page.Items), err, e.AssetID)
		}
	})
}

// TestMigrateOfMissingTablesStartsFromTheLog: where the read models'
// tables are missing but their offset is not (an upgrade that moved the
// state out of the log's file dropped them, or an operator did), Migrate
// creates them and sets the offset back to 0, so that the projector
// derives them from the whole log instead of carrying on into empty
// tables. Where the tables exist, the offset is left alone.
func TestMigrateOfMissingTablesStartsFromTheLog(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st stack) {
		ctx := context.Background()
		assets := eventstore.NewAssets(st.store, domain.DefaultRegimes(), uuid.New)
		if err := demo.Seed(ctx, assets, domain.DateOf(time.Now()), uuid.NewString); err != nil {
			t.Fatal(err)
		}
		setOffset := func(position int64) {
			t.Helper()
			if err := messaging.InTx(ctx, st.db.SQL, st.db.Dialect, "test", func(tx *sql.Tx) error {
				if _, err := messaging.LockOffset(ctx, tx, st.db.Dialect, projections.ConsumerName); err != nil {
					return err
				}
				return messaging.SetOffset(ctx, tx, st.db.Dialect, projections.ConsumerName, position)
			}); err != nil {
				t.Fatal(err)
			}
		}
		if err := messaging.Migrate(ctx, st.db.SQL, st.db.Dialect); err != nil {
			t.Fatal(err)
		}
		setOffset(3) // of tables that are not there
		p := projections.NewProjector(st.store, st.db, domain.DefaultRegimes(), slog.New(slog.DiscardHandler))
		if err := p.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if off, err := messaging.Offset(ctx, st.db.SQL, st.db.Dialect, projections.ConsumerName); err != nil || off != 0 {
			t.Fatalf("offset after creating the missing tables = %d, %v; want 0", off, err)
		}
		setOffset(3)
		if err := p.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if off, err := messaging.Offset(ctx, st.db.SQL, st.db.Dialect, projections.ConsumerName); err != nil || off != 3 {
			t.Fatalf("offset after Migrate with the tables there = %d, %v; want 3, untouched", off, err)
		}
	})
}
