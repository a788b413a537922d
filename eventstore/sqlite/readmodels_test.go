package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/acv-registry/acv/eventstore/sqlite"
)

// openReadModels opens a store in dir and a handle on its read models, as
// one process would.
func openReadModels(t *testing.T, dir string) *sqlite.ReadModels {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(dir, "acv.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	rm, err := s.OpenReadModels(ctx, filepath.Join(dir, "readmodels.db"), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rm.Close() })
	return rm
}

// generation builds and publishes a generation through rm holding one
// row, label, in table t, written after a sync ahead of the table's
// creation, as a rebuild's indexes are after its rows.
func generation(t *testing.T, rm *sqlite.ReadModels, label string) {
	t.Helper()
	ctx := context.Background()
	f, err := rm.Fresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Discard()
	for _, q := range []string{`CREATE TABLE t (label TEXT)`, `INSERT INTO t VALUES ('` + label + `')`} {
		if _, err := f.DB().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
		f.SyncAhead()
	}
	if err := f.Publish(ctx); err != nil {
		t.Fatal(err)
	}
}

func label(t *testing.T, q interface {
	QueryRow(string, ...any) *sql.Row
}) string {
	t.Helper()
	var l string
	if err := q.QueryRow(`SELECT label FROM t`).Scan(&l); err != nil {
		t.Fatal(err)
	}
	return l
}

// files lists dir's read-model files (generations, their WAL and shared
// memory), without the link and its lock.
func files(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if n := e.Name(); strings.HasPrefix(n, "readmodels-") {
			out = append(out, n)
		}
	}
	return out
}

// TestReadModelsFollowTheirLink: a generation one handle publishes is what
// another handle on the same data directory (another process: `acv
// serve` beside `acv rebuild`) reads at its next statement, while a
// transaction begun before keeps reading the generation it began on; the
// replaced generation's file is deleted, and the read models' directory
// then holds the current generation alone.
func TestReadModelsFollowTheirLink(t *testing.T) {
	dir := t.TempDir()
	rebuilder, server := openReadModels(t, dir), openReadModels(t, dir)
	generation(t, rebuilder, "first")
	if got := label(t, server.DB()); got != "first" {
		t.Fatalf("the other handle reads %q, want first", got)
	}
	tx, err := server.DB().Begin() // IMMEDIATE: the old generation's write lock
	if err != nil {
		t.Fatal(err)
	}
	generation(t, rebuilder, "second")
	if got := label(t, tx); got != "first" {
		t.Errorf("a transaction begun before the publication reads %q, want first", got)
	}
	tx.Rollback()
	for range 3 { // every connection the pool held
		if got := label(t, server.DB()); got != "second" {
			t.Fatalf("after the publication the other handle reads %q, want second", got)
		}
	}
	current, err := server.Path()
	if err != nil {
		t.Fatal(err)
	}
	left := files(t, dir)
	if len(left) == 0 || !slices.Contains(left, filepath.Base(current)) || slices.ContainsFunc(left, func(n string) bool {
		return !strings.HasPrefix(n, filepath.Base(current))
	}) {
		t.Errorf("files after two publications: %v; want only the current generation's, %s", left, filepath.Base(current))
	}
}

// TestReadModelsRebuildCleansUp: a generation discarded, even with a sync
// ahead started, is deleted, and the next rebuild deletes the file a
// crashed one left, but never the current generation's.
func TestReadModelsRebuildCleansUp(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	rm := openReadModels(t, dir)
	generation(t, rm, "live")
	f, err := rm.Fresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.DB().ExecContext(ctx, `CREATE TABLE t (label TEXT)`); err != nil {
		t.Fatal(err)
	}
	f.SyncAhead()
	if err := f.Discard(); err != nil {
		t.Fatal(err)
	}
	crashed := filepath.Join(dir, "readmodels-crashed.db")
	if err := os.WriteFile(crashed, []byte("half a rebuild"), 0o644); err != nil {
		t.Fatal(err)
	}
	generation(t, rm, "next") // Fresh waits for no lock: the discard released it
	current, _ := rm.Path()
	if left := files(t, dir); !slices.Equal(left, []string{filepath.Base(current)}) &&
		!slices.Equal(left, []string{filepath.Base(current), filepath.Base(current) + "-shm", filepath.Base(current) + "-wal"}) {
		t.Errorf("files after a discard, a crash and a rebuild: %v; want only %s's", left, filepath.Base(current))
	}
	if got := label(t, rm.DB()); got != "next" {
		t.Errorf("read models read %q, want next", got)
	}
}

// TestPoolsKeepTheirConnections: the read models' pool is bounded, and
// it and the state's keep the connections a burst opened instead of
// closing all but database/sql's default two, which made every request of
// a burst past the second open a connection of its own (schema, the log
// attached, a cold cache) and the uncached register serve fewer requests
// to 64 clients than to 2 (docs/performance.md).
func TestPoolsKeepTheirConnections(t *testing.T) {
	ctx := context.Background()
	s, state := openWithState(t)
	rm, err := s.OpenReadModels(ctx, filepath.Join(t.TempDir(), "readmodels.db"), "")
	if err != nil {
		t.Fatal(err)
	}
	defer rm.Close()
	limit := rm.DB().Stats().MaxOpenConnections
	if limit < 8 || limit > 256 {
		t.Fatalf("the read models' pool opens at most %d connections; want a bound of at least 8", limit)
	}
	for name, db := range map[string]*sql.DB{"read models": rm.DB(), "state": state} {
		// A burst: every connection taken at once, then given back.
		conns := make([]*sql.Conn, limit)
		for i := range conns {
			c, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.PingContext(ctx); err != nil {
				t.Fatal(err)
			}
			conns[i] = c
		}
		for _, c := range conns {
			c.Close()
		}
		if st := db.Stats(); st.Idle != limit || st.MaxIdleClosed != 0 {
			t.Errorf("%s: after a burst of %d, %d connections kept and %d closed; want all kept", name, limit, st.Idle, st.MaxIdleClosed)
		}
	}
}

// TestReadModelsLinkMustBeALink: a regular file where the link should be
// is refused, not written over.
func TestReadModelsLinkMustBeALink(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(dir, "acv.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	link := filepath.Join(dir, "readmodels.db")
	if err := os.WriteFile(link, []byte("not a link"), 0o644); err != nil {
		t.Fatal(err)
	}
	if rm, err := s.OpenReadModels(ctx, link, ""); err == nil {
		rm.Close()
		t.Fatal("opened read models through a regular file")
	}
	if b, _ := os.ReadFile(link); string(b) != "not a link" {
		t.Errorf("the file was changed: %q", b)
	}
}
