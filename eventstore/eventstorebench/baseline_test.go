package eventstorebench_test

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/eventstorebench"
	"github.com/acv-registry/acv/eventstore/postgres"
	"github.com/acv-registry/acv/eventstore/sqlite"
	"github.com/acv-registry/acv/internal/pgtest"
	"github.com/google/uuid"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// backend is a store with its baseline, and what the test asks of the
// database directly.
type backend struct {
	store eventstore.Store
	raw   eventstorebench.Baseline
	// count returns the rows of table, or an error when it does not exist.
	count func(table string) (int, error)
	// indexes returns how many indexes table has.
	indexes func(table string) int
}

func TestCopyLogSQLite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "acv.db")
	s, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	raw, err := eventstorebench.SQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	rawPath := eventstorebench.SQLiteRawPath(path)
	// raw_events is in its own file, events in the store's.
	file := func(table string) string {
		if table == "raw_events" {
			return rawPath
		}
		return path
	}
	checkCopyLog(t, backend{store: s, raw: raw,
		count: func(table string) (int, error) {
			var n int
			err := sqliteQuery(ctx, file(table), `SELECT count(*) FROM `+table, &n)
			return n, err
		},
		indexes: func(table string) int {
			var n int
			if err := sqliteQuery(ctx, file(table), `SELECT count(*) FROM pragma_index_list(?)`, &n, table); err != nil {
				t.Fatal(err)
			}
			return n
		},
	})
	if _, err := os.Stat(rawPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the raw file is left after Close: %v", err)
	}
	var n int
	if err := sqliteQuery(ctx, path, `SELECT count(*) FROM sqlite_schema WHERE name = 'raw_events'`, &n); err != nil || n != 0 {
		t.Errorf("the store's file holds raw_events (%v)", err)
	}
}

// sqliteQuery scans the one value q selects from the SQLite file at path,
// opened read-only: a file that does not exist is an error.
func sqliteQuery(ctx context.Context, path, q string, dest any, args ...any) error {
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	return db.QueryRowContext(ctx, q, args...).Scan(dest)
}

func TestCopyLogPostgres(t *testing.T) {
	ctx := context.Background()
	s, err := postgres.Open(ctx, pgtest.DSN(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	raw, err := eventstorebench.Postgres(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	pool := s.Pool()
	checkCopyLog(t, backend{store: s, raw: raw,
		count: func(table string) (int, error) {
			var n int
			err := pool.QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&n)
			return n, err
		},
		indexes: func(table string) int {
			var n int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_index WHERE indrelid = $1::regclass`, table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		},
	})
}

// checkCopyLog: CopyLog fills raw_events with every row of the log, with
// events' indexes (a repeated event id or stream version is refused);
// Reset empties it; Close drops it.
func checkCopyLog(t *testing.T, b backend) {
	ctx := context.Background()
	const streams, per = 7, 30
	for i := 0; i < streams; i++ {
		if _, err := b.store.Append(ctx, "asset-"+uuid.NewString(), eventstore.NoStream, eventstorebench.Events(per)); err != nil {
			t.Fatal(err)
		}
	}
	need, free, err := b.raw.Room(ctx)
	if err != nil || need <= 0 || (free != eventstorebench.FreeUnknown && free <= 0) {
		t.Errorf("Room = %d, %d, %v; want a positive need and a free space", need, free, err)
	}
	n, err := b.raw.CopyLog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != streams*per {
		t.Errorf("CopyLog copied %d rows, want %d", n, streams*per)
	}
	if got, err := b.count("raw_events"); err != nil || got != streams*per {
		t.Errorf("raw_events holds %d rows (%v), want %d", got, err, streams*per)
	}
	if got, want := b.indexes("raw_events"), b.indexes("events"); got != want {
		t.Errorf("raw_events has %d indexes, events %d", got, want)
	}
	// The unique indexes are there, and the inserts go on after the copy.
	e := eventstorebench.Event("acv.nomination-received.v1")
	if err := b.raw.InsertOne(ctx, "bench-a", e); err != nil {
		t.Fatal(err)
	}
	if err := b.raw.InsertOne(ctx, "bench-b", e); err == nil {
		t.Error("raw_events took an event id twice")
	}
	if err := b.raw.InsertOne(ctx, "bench-a", eventstorebench.Event("acv.nomination-received.v1")); err == nil {
		t.Error("raw_events took a stream's version twice")
	}
	if err := b.raw.InsertBatch["raw-insert"](ctx, "bench-c", eventstorebench.Events(100)); err != nil {
		t.Fatal(err)
	}
	if got, err := b.count("raw_events"); err != nil || got != streams*per+101 {
		t.Errorf("raw_events holds %d rows (%v), want %d", got, err, streams*per+101)
	}
	if err := b.raw.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := b.count("raw_events"); err != nil || got != 0 {
		t.Errorf("raw_events holds %d rows after Reset (%v), want none", got, err)
	}
	if err := b.raw.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := b.count("raw_events"); err == nil {
		t.Error("raw_events is left after Close")
	}
	if got, err := b.count("events"); err != nil || got != streams*per {
		t.Errorf("events holds %d rows after Close (%v), want %d", got, err, streams*per)
	}
}
