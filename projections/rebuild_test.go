package projections_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/postgres"
	"github.com/acv-registry/acv/eventstore/sqlite"
	"github.com/acv-registry/acv/internal/demo"
	"github.com/acv-registry/acv/internal/generate"
	"github.com/acv-registry/acv/internal/pgtest"
	"github.com/acv-registry/acv/projections"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/stdlib"
)

// stack is a store and its read-model database, on one backend.
type stack struct {
	store eventstore.Store
	db    projections.DB
}

func sqliteStack(t testing.TB) stack {
	t.Helper()
	path := filepath.Join(t.TempDir(), "acv.db")
	s, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(60000)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return stack{s, projections.DB{SQL: db, Dialect: projections.SQLite}}
}

// sqliteFilesStack is the SQLite store with its read models in a file of
// their own, replaced whole by each rebuild, as `acv` opens them.
func sqliteFilesStack(t testing.TB) stack {
	t.Helper()
	dir := t.TempDir()
	s, err := sqlite.Open(context.Background(), filepath.Join(dir, "acv.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	rm, err := s.OpenReadModels(context.Background(), filepath.Join(dir, "readmodels.db"), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rm.Close() })
	return stack{s, projections.DB{SQL: rm.DB(), Dialect: projections.SQLite,
		Files: projections.FilesFunc(func(ctx context.Context) (projections.FreshFile, error) { return rm.Fresh(ctx) })}}
}

func postgresStack(t testing.TB) stack {
	t.Helper()
	s, err := postgres.Open(context.Background(), pgtest.DSN(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	db := stdlib.OpenDBFromPool(s.Pool())
	t.Cleanup(func() { db.Close() })
	return stack{s, projections.DB{SQL: db, Dialect: projections.Postgres}}
}

func forEachBackend(t *testing.T, f func(t *testing.T, st stack)) {
	t.Run("sqlite", func(t *testing.T) { f(t, sqliteStack(t)) })
	t.Run("sqlite files", func(t *testing.T) { f(t, sqliteFilesStack(t)) })
	t.Run("postgres", func(t *testing.T) { f(t, postgresStack(t)) })
}

// dump returns every row of every read-model table, as sorted text.
func dump(t testing.TB, db projections.DB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, table := range projections.TableNames() {
		rows, err := db.SQL.Query(`SELECT * FROM ` + table)
		if err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]sql.RawBytes, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for i, v := range vals {
				fmt.Fprintf(&b, "%s=%s|", cols[i], v)
			}
			out[table] = append(out[table], b.String())
		}
		rows.Close()
		sort.Strings(out[table])
	}
	return out
}

// TestRebuildEqualsFollowing: the read models a projector builds by
// following the log one small batch at a time are exactly the rows a
// rebuild from position 0 produces.
func TestRebuildEqualsFollowing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st stack) {
		ctx := context.Background()
		log := slog.New(slog.DiscardHandler)
		p := projections.NewProjector(st.store, st.db, domain.DefaultRegimes(), log)
		if err := p.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		assets := eventstore.NewAssets(st.store, domain.DefaultRegimes(), uuid.New)
		today := domain.DateOf(time.Now())
		// Follow as the log grows: catch up after every asset's story.
		if err := demo.Seed(ctx, assets, today, uuid.NewString); err != nil {
			t.Fatal(err)
		}
		drain(t, st, p, 3)
		followed := dump(t, st.db)
		if len(followed["rm_assets"]) != 12 || len(followed["rm_deadlines"]) == 0 || len(followed["rm_register"]) == 0 {
			t.Fatalf("following built %d assets, %d deadline rows, %d register rows", len(followed["rm_assets"]), len(followed["rm_deadlines"]), len(followed["rm_register"]))
		}
		end, err := projections.Rebuild(ctx, st.store, st.db, domain.DefaultRegimes(), nil)
		if err != nil {
			t.Fatal(err)
		}
		rebuilt := dump(t, st.db)
		for _, table := range projections.TableNames() {
			a, b := followed[table], rebuilt[table]
			if len(a) != len(b) {
				t.Errorf("%s: following gave %d rows, rebuild %d", table, len(a), len(b))
				continue
			}
			for i := range a {
				if a[i] != b[i] {
					t.Errorf("%s row %d:\nfollowed %s\nrebuilt  %s", table, i, a[i], b[i])
					break
				}
			}
		}
		cp, err := (&projections.Queries{DB: st.db}).Checkpoint(ctx)
		if err != nil || cp != end {
			t.Errorf("checkpoint after rebuild = %d, %v; want %d", cp, err, end)
		}
		if st.db.Dialect == projections.SQLite {
			// The trigram table, filled with more gathered in memory, is
			// swapped in with FTS5's default, which bounds what the
			// projector's transactions gather.
			var hash int
			if err := st.db.SQL.QueryRowContext(ctx, `SELECT v FROM rm_search_config WHERE k = 'hashsize'`).Scan(&hash); err != nil || hash != 1<<20 {
				t.Errorf("the trigram table's hashsize after the rebuild = %d, %v; want FTS5's default, %d", hash, err, 1<<20)
			}
		}
		// The projector carries on after the swap, from the rebuild's checkpoint.
		id := firstAsset(t, st)
		saved, err := assets.Update(ctx, id, -1, func(a *domain.Asset) error { return a.AdvanceClocks(today.AddDays(3650)) })
		if err != nil || saved.Position == 0 {
			t.Fatalf("append after the swap: position %d, %v", saved.Position, err)
		}
		drain(t, st, p, 3)
		if cp, err := (&projections.Queries{DB: st.db}).Checkpoint(ctx); err != nil || cp != saved.Position {
			t.Errorf("checkpoint after following on = %d, %v; want %d", cp, err, saved.Position)
		}
		var version int64
		if err := st.db.SQL.QueryRowContext(ctx, st.db.Dialect.Rebind(`SELECT version FROM rm_assets WHERE asset_id = ?`), id).
			Scan(&version); err != nil || version != saved.Version {
			t.Errorf("asset row after following on: version %d, %v; want %d", version, err, saved.Version)
		}
	})
}

func firstAsset(t *testing.T, st stack) string {
	t.Helper()
	events, err := st.store.ReadAll(context.Background(), 0, 1)
	if err != nil || len(events) == 0 {
		t.Fatal("empty log")
	}
	id, _ := projections.AssetID(events[0].Stream)
	return id
}

// TestRebuildOfANationalLogEqualsFollowing: on a generated national
// history (every kind of event, each asset's events spread over the log),
// a rebuild, which reads the log stream by stream, gives exactly the rows a
// projector builds by following the log in its global order.
func TestRebuildOfANationalLogEqualsFollowing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st stack) {
		ctx := context.Background()
		p := projections.NewProjector(st.store, st.db, domain.DefaultRegimes(), slog.New(slog.DiscardHandler))
		if err := p.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		stats, err := generate.Run(ctx, st.store, generate.Options{Seed: 11, Scale: 0.03})
		if err != nil {
			t.Fatal(err)
		}
		drain(t, st, p, 500)
		followed := dump(t, st.db)
		if n := len(followed["rm_assets"]); int64(n) != stats.Assets {
			t.Fatalf("following built %d assets, want %d", n, stats.Assets)
		}
		followedMatches := map[string][]string{}
		if st.db.Dialect == projections.SQLite {
			for _, term := range []string{"the", "church", "road", "lion"} {
				followedMatches[term] = searchMatches(t, st.db, term)
			}
		}
		end, err := projections.Rebuild(ctx, st.store, st.db, domain.DefaultRegimes(), nil)
		if err != nil {
			t.Fatalf("rebuild: %v", err)
		}
		if last, _ := st.store.LastPosition(ctx); end != last {
			t.Errorf("rebuild ended at %d, want %d", end, last)
		}
		rebuilt := dump(t, st.db)
		for _, table := range projections.TableNames() {
			if !slices.Equal(followed[table], rebuilt[table]) {
				t.Errorf("rebuild: %s differs from following (%d rows, %d followed)", table, len(rebuilt[table]), len(followed[table]))
			}
		}
		if st.db.Dialect == projections.SQLite {
			// The trigram table, filled at once from the register,
			// finds what following's finds, and FTS5 finds it whole.
			if _, err := st.db.SQL.ExecContext(ctx, `INSERT INTO rm_search (rm_search, rank) VALUES ('integrity-check', 0)`); err != nil {
				t.Errorf("the rebuilt trigram table: %v", err)
			}
			for term, want := range followedMatches {
				got := searchMatches(t, st.db, term)
				if len(want) == 0 || !slices.Equal(got, want) {
					t.Errorf("%q: the rebuilt trigram table finds %d register rows, following's %d", term, len(got), len(want))
				}
			}
		}
	})
}

// searchMatches returns the register rows (asset/seq) whose search text
// SQLite's trigram table finds term in.
func searchMatches(t testing.TB, db projections.DB, term string) []string {
	t.Helper()
	rows, err := db.SQL.Query(`SELECT r.asset_id || '/' || r.seq FROM rm_search(?) s CROSS JOIN rm_register r ON r.rowid = s.rowid ORDER BY 1`, `"`+term+`"`)
	if err != nil {
		t.Fatalf("search %q: %v", term, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRebuildGathersStatistics: on PostgreSQL a rebuild swaps in tables
// whose statistics are gathered, every table that has rows and the
// expression index on point(lon, lat) (ANALYZE reads the expression only
// once the index exists), so the planner does not guess until autovacuum.
func TestRebuildGathersStatistics(t *testing.T) {
	st := postgresStack(t)
	ctx := context.Background()
	migrateAndSeed(t, st)
	if _, err := projections.Rebuild(ctx, st.store, st.db, domain.DefaultRegimes(), nil); err != nil {
		t.Fatal(err)
	}
	analysed := func(relation string) bool {
		var n int
		if err := st.db.SQL.QueryRow(`SELECT COUNT(*) FROM pg_statistic WHERE starelid = $1::regclass`, relation).Scan(&n); err != nil {
			t.Fatalf("statistics of %s: %v", relation, err)
		}
		return n > 0
	}
	var place string // an index keeps its rebuild's name
	if err := st.db.SQL.QueryRow(`SELECT indexrelid::regclass::text FROM pg_index
		WHERE indrelid = 'rm_register'::regclass AND indexprs IS NOT NULL`).Scan(&place); err != nil {
		t.Fatalf("the index on point(lon, lat): %v", err)
	}
	for _, table := range projections.TableNames() {
		var rows int
		if err := st.db.SQL.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if rows > 0 && !analysed(table) {
			t.Errorf("%s: %d rows and no statistics after a rebuild", table, rows)
		}
	}
	if !analysed(place) {
		t.Errorf("%s: no statistics of point(lon, lat) after a rebuild", place)
	}
}

// TestRebuildKeepsAutovacuumOffTheFreshSetOnly: on PostgreSQL the fresh
// set is built with autovacuum off (no worker analyses a table half
// written, or holds a lock the swap must wait a second for), and is
// vacuumed before the swap, which turns autovacuum back on in its own
// transaction: no live table is left without it, and none is left for a
// worker to vacuum right after the swap.
func TestRebuildKeepsAutovacuumOffTheFreshSetOnly(t *testing.T) {
	st := postgresStack(t)
	ctx := context.Background()
	migrateAndSeed(t, st)
	// options lists each table matching pattern with its own and its
	// TOAST table's storage parameters.
	options := func(pattern string) map[string]string {
		rows, err := st.db.SQL.QueryContext(ctx, `SELECT c.relname,
			concat_ws(',', array_to_string(c.reloptions, ','), array_to_string(tt.reloptions, ','))
			FROM pg_class c LEFT JOIN pg_class tt ON tt.oid = c.reltoastrelid
			WHERE c.relkind = 'r' AND c.relname ~ $1`, pattern)
		if err != nil {
			t.Errorf("storage parameters: %v", err)
			return nil
		}
		defer rows.Close()
		out := map[string]string{}
		for rows.Next() {
			var name, opts string
			if err := rows.Scan(&name, &opts); err != nil {
				t.Errorf("storage parameters: %v", err)
				return nil
			}
			out[name] = opts
		}
		return out
	}
	tables := projections.TableNames()
	var (
		during map[string]string
		once   sync.Once
	)
	progress := func(done, total int64) {
		once.Do(func() { during = options(`^rm_.*_r[0-9a-z]+$`) })
	}
	if _, err := projections.Rebuild(ctx, st.store, st.db, domain.DefaultRegimes(), progress); err != nil {
		t.Fatal(err)
	}
	if len(during) != len(tables) {
		t.Fatalf("fresh tables seen while the rebuild read the log: %v, want %d", during, len(tables))
	}
	for name, opts := range during {
		if strings.Count(opts, "autovacuum_enabled=false") != 2 {
			t.Errorf("fresh %s during the rebuild: options %q, want autovacuum off on it and its TOAST table", name, opts)
		}
	}
	live := options(`^rm_[a-z_]+$`)
	for _, table := range tables {
		opts, ok := live[table]
		if !ok {
			t.Errorf("%s: not live after the rebuild", table)
			continue
		}
		if strings.Contains(opts, "autovacuum") {
			t.Errorf("live %s after the rebuild: options %q, want autovacuum as the server sets it", table, opts)
		}
		var rows int
		var vacuumed bool
		if err := st.db.SQL.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM `+table+`), last_vacuum IS NOT NULL
			FROM pg_stat_user_tables WHERE relname = $1`, table).Scan(&rows, &vacuumed); err != nil {
			t.Fatal(err)
		}
		if rows > 0 && !vacuumed {
			t.Errorf("%s: %d rows swapped in unvacuumed, left for autovacuum beside the traffic", table, rows)
		}
	}
}

// TestRebuildPutsBackTheSettingsOfItsIndexBuilds: on SQLite a rebuild
// builds its indexes on a connection it gives helper threads and a small
// cache; the connection goes back to the pool as it came.
func TestRebuildPutsBackTheSettingsOfItsIndexBuilds(t *testing.T) {
	st := sqliteStack(t)
	ctx := context.Background()
	st.db.SQL.SetMaxOpenConns(1) // the rebuild's index builds have this connection
	if _, err := st.db.SQL.ExecContext(ctx, `PRAGMA cache_size = -1234`); err != nil {
		t.Fatal(err)
	}
	migrateAndSeed(t, st)
	if _, err := projections.Rebuild(ctx, st.store, st.db, domain.DefaultRegimes(), nil); err != nil {
		t.Fatal(err)
	}
	var threads, cache int
	if err := st.db.SQL.QueryRowContext(ctx, `SELECT (SELECT threads FROM pragma_threads), (SELECT cache_size FROM pragma_cache_size)`).Scan(&threads, &cache); err != nil {
		t.Fatal(err)
	}
	if threads != 0 || cache != -1234 {
		t.Errorf("after a rebuild the pool's connection has threads = %d, cache_size = %d; want 0 and -1234 as before", threads, cache)
	}
	var indexes int
	if err := st.db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name LIKE 'rm_%' AND sql IS NOT NULL`).Scan(&indexes); err != nil {
		t.Fatal(err)
	}
	if indexes == 0 {
		t.Error("no secondary index on the read models after a rebuild")
	}
}

// TestRebuildTimesItsPhases: RebuildTimed says how long each phase took;
// on SQLite every phase does work, on PostgreSQL all but the trigram
// table, and together they are no longer than the rebuild.
func TestRebuildTimesItsPhases(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st stack) {
		ctx := context.Background()
		migrateAndSeed(t, st)
		start := time.Now()
		end, phases, err := projections.RebuildTimed(ctx, st.store, st.db, domain.DefaultRegimes(), nil)
		took := time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		if end <= 0 {
			t.Errorf("rebuilt to position %d", end)
		}
		if phases.Stream <= 0 || phases.Finish <= 0 || phases.Swap <= 0 {
			t.Errorf("phases %+v: a phase that ran took no time", phases)
		}
		if (st.db.Dialect == projections.SQLite) != (phases.Search > 0) {
			t.Errorf("%s: trigram table took %s", st.db.Dialect, phases.Search)
		}
		if sum := phases.Stream + phases.Search + phases.Finish + phases.Swap; sum > took {
			t.Errorf("phases %+v add up to %s, longer than the rebuild's %s", phases, sum, took)
		}
		if s := phases.String(); !strings.Contains(s, "statistics and indexes") {
			t.Errorf("phases as text: %q", s)
		}
	})
}

// migrateAndSeed creates the read models' tables on st and appends the
// demo's history to its log, for a test to rebuild.
func migrateAndSeed(t *testing.T, st stack) {
	t.Helper()
	ctx := context.Background()
	p := projections.NewProjector(st.store, st.db, domain.DefaultRegimes(), slog.New(slog.DiscardHandler))
	if err := p.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	assets := eventstore.NewAssets(st.store, domain.DefaultRegimes(), uuid.New)
	if err := demo.Seed(ctx, assets, domain.DateOf(time.Now()), uuid.NewString); err != nil {
		t.Fatal(err)
	}
}
