package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/eventstoretest"
	"github.com/acv-registry/acv/eventstore/sqlite"
)

// backend runs the conformance suite on SQLite files in the test's temp dir.
func backend() eventstoretest.Backend {
	paths := map[eventstore.Store]string{}
	return eventstoretest.Backend{
		Open: func(t testing.TB, now func() time.Time) eventstore.Store {
			path := filepath.Join(t.TempDir(), "acv.db")
			s, err := sqlite.Open(context.Background(), path, sqlite.Options{Now: now})
			if err != nil {
				t.Fatalf("open sqlite: %v", err)
			}
			t.Cleanup(func() { s.Close() })
			paths[s] = path
			return s
		},
		AppendHook: func(ctx context.Context, s eventstore.Store, stream string, expected eventstore.ExpectedVersion, es []eventstore.NewEvent, beforeCommit func() error) ([]int64, error) {
			return s.(*sqlite.Store).AppendHook(ctx, stream, expected, es, beforeCommit)
		},
		Tamper: func(t testing.TB, s eventstore.Store, stream string, version int64, how string) {
			t.Helper()
			db, err := sql.Open("sqlite", "file:"+paths[s]+"?_pragma=busy_timeout(10000)")
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			stmts := map[string]string{
				"data":           `UPDATE events SET data = json_set(data, '$.tampered', 1) WHERE stream_id = ? AND version = ?`,
				"hash":           `UPDATE events SET hash = zeroblob(32) WHERE stream_id = ? AND version = ?`,
				"delete":         `DELETE FROM events WHERE stream_id = ? AND version = ?`,
				"recorded_at":    `UPDATE events SET recorded_at = recorded_at + 1000000 WHERE stream_id = ? AND version = ?`,
				"schema_version": `UPDATE events SET schema_version = schema_version + 1 WHERE stream_id = ? AND version = ?`,
			}
			// Behind the application's back: drop the append-only triggers first.
			for _, q := range []string{`DROP TRIGGER events_no_update`, `DROP TRIGGER events_no_delete`, stmts[how]} {
				if _, err := db.Exec(q, stream, version); err != nil && q == stmts[how] {
					t.Fatalf("tamper (%s): %v", how, err)
				}
			}
		},
	}
}

func TestConformance(t *testing.T) {
	eventstoretest.Run(t, backend())
}

func TestAppendOnlyTriggers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "acv.db")
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Append(ctx, "asset-x", eventstore.NoStream, []eventstore.NewEvent{eventstoretest.Event("t.v1")}); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{`UPDATE events SET type = 'x'`, `DELETE FROM events`} {
		if _, err := db.Exec(q); err == nil {
			t.Errorf("%s succeeded; the log must refuse it", q)
		}
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "acv.db")
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		s, err := sqlite.Open(ctx, path, sqlite.Options{})
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("migrate %d: %v", i, err)
		}
		s.Close()
	}
}

// pageSize reads the page size of the SQLite file at path.
func pageSize(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`PRAGMA page_size`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A new file gets pages of PageSize bytes (the setting must come before
// the journal mode, which writes the first page), and a file made with
// SQLite's default 4 KiB keeps it: the store opens, migrates, appends and
// reads it as before.
func TestPageSize(t *testing.T) {
	ctx := context.Background()
	fresh := filepath.Join(t.TempDir(), "acv.db")
	s, err := sqlite.Open(ctx, fresh, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if got := pageSize(t, fresh); got != sqlite.PageSize || got == 4096 {
		t.Errorf("a new store's page size is %d; want %d", got, sqlite.PageSize)
	}

	old := filepath.Join(t.TempDir(), "acv.db")
	db, err := sql.Open("sqlite", "file:"+old+"?_pragma=page_size(4096)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE made_before (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err = sqlite.Open(ctx, old, sqlite.Options{})
	if err != nil {
		t.Fatalf("open a 4 KiB store: %v", err)
	}
	defer s.Close()
	if _, err := s.Append(ctx, "asset-x", eventstore.NoStream, []eventstore.NewEvent{eventstoretest.Event("t.v1")}); err != nil {
		t.Fatalf("append to a 4 KiB store: %v", err)
	}
	es, err := s.ReadStream(ctx, "asset-x", 1, eventstore.Opened)
	if err != nil || len(es) != 1 {
		t.Fatalf("read a 4 KiB store: %d events, %v", len(es), err)
	}
	if got := pageSize(t, old); got != 4096 {
		t.Errorf("an existing store's page size became %d; it must keep 4096", got)
	}
}
