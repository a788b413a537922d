package main

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/internal/demo"
	"github.com/google/uuid"
)

// TestUpgradeMovesTheStateOutOfTheLog: a data directory of a release that
// kept the service's state in acv.db (here an API token, the consumers'
// offsets, and a read-model table holding a stale row) upgrades on the
// first command: the token still lists, acv.db holds the log alone, and
// `acv rebuild` derives the read models anew from the whole log, not
// from the stale table or its offset.
func TestUpgradeMovesTheStateOutOfTheLog(t *testing.T) {
	ctx := context.Background()
	c, getenv, end, id := seededDataDir(t)
	var out bytes.Buffer

	// The earlier layout: the state's tables in acv.db, and no state.db.
	db, err := sql.Open("sqlite", "file:"+c.SQLitePath()+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // the attachment is the connection's
	if _, err := db.Exec(`ATTACH DATABASE ? AS st`, c.StatePath()); err != nil {
		t.Fatal(err)
	}
	var earlier []string
	for _, table := range sqliteTables(t, db, "st") {
		if strings.HasPrefix(table.name, "rm_") {
			continue
		}
		earlier = append(earlier, table.create, `INSERT INTO main."`+table.name+`" SELECT * FROM st."`+table.name+`"`)
	}
	earlier = append(earlier, `DETACH DATABASE st`,
		`CREATE TABLE rm_assets (asset_id TEXT PRIMARY KEY, doc TEXT)`, `INSERT INTO rm_assets VALUES ('stale', '{}')`)
	for _, q := range earlier {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(c.StatePath() + suffix); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}

	out.Reset()
	if err := run(ctx, []string{"token", "list"}, getenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), id) {
		t.Errorf("after the upgrade the token is not listed:\n%s", out.String())
	}
	var left []string
	for _, table := range sqliteTables(t, db, "main") {
		left = append(left, table.name)
	}
	if got, want := strings.Join(left, ","), "erasures,events,personal_keys,schema_migrations"; got != want {
		t.Errorf("acv.db after the upgrade holds %s; want %s", got, want)
	}
	rebuildAndCheck(t, c, getenv, end)
}

// seededDataDir is a SQLite data directory as `acv` leaves it: the demo's
// log, an API token, and read models rebuilt from the log. It returns the
// directory's configuration and environment, the log's horizon and the
// token's id.
func seededDataDir(t *testing.T) (c Config, getenv func(string) string, end int64, token string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	c, getenv = Config{DataDir: dir}, env("ACV_DATA_DIR", dir)
	store, err := openStore(ctx, c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.Seed(ctx, eventstore.NewAssets(store, regimes(), uuid.New), domain.DateOf(time.Now()), uuid.NewString); err != nil {
		t.Fatal(err)
	}
	end, err = store.Horizon(ctx)
	store.Close()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"token", "create", "--role", "administrator", "--name", "ops"}, getenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	token, _, _ = strings.Cut(strings.TrimPrefix(strings.TrimSpace(out.String()), "acv_"), "_")
	if err := run(ctx, []string{"rebuild"}, getenv, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	return c, getenv, end, token
}

// rebuildAndCheck runs `acv rebuild` on the upgraded directory and checks
// that the read models' file holds the log's assets, none of the stale
// row an earlier layout held, and the offset end.
func rebuildAndCheck(t *testing.T, c Config, getenv func(string) string, end int64) {
	t.Helper()
	if err := run(context.Background(), []string{"rebuild"}, getenv, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	rm, err := sql.Open("sqlite", "file:"+c.ReadModelsPath()+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer rm.Close()
	var assets, stale int
	if err := rm.QueryRow(`SELECT count(*), count(*) FILTER (WHERE asset_id = 'stale') FROM rm_assets`).Scan(&assets, &stale); err != nil {
		t.Fatal(err)
	}
	var offset int64
	if err := rm.QueryRow(`SELECT position FROM consumer_offsets WHERE name = 'read_models'`).Scan(&offset); err != nil {
		t.Fatal(err)
	}
	if assets == 0 || stale != 0 || offset != end {
		t.Errorf("read models after the upgrade and a rebuild: %d assets, %d stale, offset %d; want the demo's, none stale, offset %d", assets, stale, offset, end)
	}
}

// sqliteTable is a table of a SQLite schema and the statement that made it.
type sqliteTable struct{ name, create string }

// sqliteTables lists the tables of schema in db, without SQLite's own and
// without virtual tables' shadow tables, by name.
func sqliteTables(t *testing.T, db *sql.DB, schema string) []sqliteTable {
	t.Helper()
	rows, err := db.Query(`SELECT name, sql FROM ` + schema + `.sqlite_schema WHERE type = 'table'
		AND name NOT LIKE 'sqlite\_%' ESCAPE '\' AND sql NOT LIKE 'CREATE TABLE ''%' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []sqliteTable
	for rows.Next() {
		var tb sqliteTable
		if err := rows.Scan(&tb.name, &tb.create); err != nil {
			t.Fatal(err)
		}
		out = append(out, tb)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestUpgradeMovesTheReadModelsOutOfTheStateFile: a data directory of the
// release that kept the read models in the state file, beside their
// offset, upgrades on the first command: the read-model tables and
// their offset leave the state file (the other consumers' offsets stay),
// which is compacted,
// and the read models are a file of their own behind readmodels.db, which
// `acv rebuild` fills from the whole log.
func TestUpgradeMovesTheReadModelsOutOfTheStateFile(t *testing.T) {
	ctx := context.Background()
	c, getenv, end, _ := seededDataDir(t)

	// The earlier layout: read models, their offset and a poisoned event
	// of theirs in state.db, and no read models' file.
	matches, _ := filepath.Glob(filepath.Join(c.DataDir, "readmodels*"))
	for _, m := range matches {
		if err := os.Remove(m); err != nil {
			t.Fatal(err)
		}
	}
	state, err := sql.Open("sqlite", "file:"+c.StatePath()+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer state.Close()
	for _, q := range []string{
		`CREATE TABLE rm_assets (asset_id TEXT PRIMARY KEY, doc TEXT)`, `INSERT INTO rm_assets VALUES ('stale', '{}')`,
		`CREATE TABLE rm_timeline_rdnc5gy4ucee4 (asset_id TEXT PRIMARY KEY)`,
		`CREATE TABLE IF NOT EXISTS consumer_offsets (name TEXT PRIMARY KEY, position BIGINT NOT NULL)`,
		`INSERT INTO consumer_offsets VALUES ('read_models', 1), ('clock', 2)`,
	} {
		if _, err := state.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	if err := run(ctx, []string{"token", "list"}, getenv, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, table := range sqliteTables(t, state, "main") {
		if strings.HasPrefix(table.name, "rm_") {
			left = append(left, table.name)
		}
	}
	var offsets []string
	rows, err := state.Query(`SELECT name || '=' || position FROM consumer_offsets ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			t.Fatal(err)
		}
		offsets = append(offsets, o)
	}
	rows.Close()
	if len(left) > 0 || strings.Join(offsets, ",") != "clock=2" {
		t.Errorf("state.db after the upgrade holds read-model tables %v and offsets %v; want none, and clock=2 alone", left, offsets)
	}
	var free int
	if err := state.QueryRow(`PRAGMA freelist_count`).Scan(&free); err != nil || free != 0 {
		t.Errorf("state.db after the upgrade has %d free pages (%v); want it compacted, none", free, err)
	}

	rebuildAndCheck(t, c, getenv, end)
}
