package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/eventstoretest"
	"github.com/acv-registry/acv/eventstore/sqlite"
)

// openWithState opens a store in the test's temp dir and a state file
// beside it.
func openWithState(t *testing.T) (*sqlite.Store, *sql.DB) {
	t.Helper()
	dir := t.TempDir()
	s, err := sqlite.Open(context.Background(), filepath.Join(dir, "acv.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	db, err := s.OpenState(context.Background(), filepath.Join(dir, "state.db"), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE hog (n INTEGER)`); err != nil {
		t.Fatal(err)
	}
	return s, db
}

// TestWritersTakeTurns: a writer that commits and begins again at once -
// a consumer catching up, batch after batch - does not starve another
// statement on its handle, nor the store's appends. Under SQLite's busy handler
// alone the waiting writer looks for the lock every 100 ms and finds it
// taken almost every time (an API write waited 60 s and failed at 10^6
// events); with turns it waits for the transaction in hand, first come
// first served.
func TestWritersTakeTurns(t *testing.T) {
	s, db := openWithState(t)
	ctx := context.Background()

	const most = 1500 // transactions the hog makes at most, about 3 s
	var done atomic.Int64
	hogErr := make(chan error, 1)
	stop := make(chan struct{})
	go func() {
		hogErr <- func() error {
			for done.Load() < most {
				select {
				case <-stop:
					return nil
				default:
				}
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					return err
				}
				if _, err := tx.Exec(`INSERT INTO hog VALUES (1)`); err != nil {
					tx.Rollback()
					return err
				}
				time.Sleep(2 * time.Millisecond) // a batch's work, the lock held
				if err := tx.Commit(); err != nil {
					return err
				}
				done.Add(1)
			}
			return nil
		}()
	}()
	for done.Load() < 5 {
		time.Sleep(time.Millisecond)
	}

	waits := map[string]int64{}
	before := done.Load()
	if _, err := s.Append(ctx, "asset-turn", eventstore.NoStream, []eventstore.NewEvent{eventstoretest.Event("t.v1")}); err != nil {
		t.Fatalf("append beside the hog: %v", err)
	}
	waits["an append"] = done.Load() - before
	before = done.Load()
	if _, err := db.Exec(`INSERT INTO hog VALUES (2)`); err != nil {
		t.Fatalf("a statement beside the hog: %v", err)
	}
	waits["a statement on the same handle"] = done.Load() - before
	close(stop)
	if err := <-hogErr; err != nil {
		t.Fatalf("hog: %v", err)
	}
	for what, n := range waits {
		// The transaction in hand, and those the hog made while the
		// writer opened a connection and queued. Without turns the
		// append waits for nearly all of them (1,495 of 1,500).
		if n > 10 {
			t.Errorf("%s waited for %d of the hog's transactions; want at most 10", what, n)
		}
	}
}

// TestTurnWaitEndsWithItsContext: a writer whose context ends while it
// waits gives up with the context's error, and its place in the queue
// does not keep the lock from the next writer.
func TestTurnWaitEndsWithItsContext(t *testing.T) {
	_, db := openWithState(t)
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = db.ExecContext(short, `INSERT INTO hog VALUES (3)`)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a statement while a transaction holds the lock = %v; want the context's deadline", err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO hog VALUES (4)`); err != nil {
		t.Fatalf("a statement once the lock is free: %v", err)
	}
}

// TestStateWritesLeaveTheLogFree: the state file has a write lock of its
// own, so an append goes ahead while a consumer's transaction holds the
// state file's; and a state connection reads the log's tables, read-only,
// as the embedded consumers' queries do.
func TestStateWritesLeaveTheLogFree(t *testing.T) {
	s, db := openWithState(t)
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`INSERT INTO hog VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := s.Append(short, "asset-free", eventstore.NoStream, []eventstore.NewEvent{eventstoretest.Event("t.v1")}); err != nil {
		t.Fatalf("append while the state file's lock is held: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM events WHERE stream_id = 'asset-free'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the log's events through the state file: %d, %v; want 1", n, err)
	}
	if _, err := db.Exec(`INSERT INTO log.events (event_id) VALUES ('x')`); err == nil {
		t.Fatal("a state connection wrote to the log")
	}
}
