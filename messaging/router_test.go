package messaging_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/postgres"
	"github.com/acv-registry/acv/eventstore/sqlite"
	"github.com/acv-registry/acv/internal/pgtest"
	"github.com/acv-registry/acv/messaging"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// backend is a store and a database/sql handle on its database.
type backend struct {
	store   eventstore.Store
	db      *sql.DB
	dialect eventstore.Dialect
	// open opens another store on the same database: another node.
	open func(t *testing.T) (eventstore.Store, *sql.DB)
}

func forEachBackend(t *testing.T, fn func(t *testing.T, b backend)) {
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "acv.db")
		open := func(t *testing.T) (eventstore.Store, *sql.DB) {
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
			return s, db
		}
		s, db := open(t)
		fn(t, backend{store: s, db: db, dialect: eventstore.SQLite, open: open})
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := pgtest.DSN(t)
		open := func(t *testing.T) (eventstore.Store, *sql.DB) {
			s, err := postgres.Open(context.Background(), dsn, postgres.Options{Listen: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			db := stdlib.OpenDBFromPool(s.Pool())
			t.Cleanup(func() { db.Close() })
			return s, db
		}
		s, db := open(t)
		fn(t, backend{store: s, db: db, dialect: eventstore.Postgres, open: open})
	})
}

// recorder is a consumer that records, through its transaction, every
// event it handles in messaging_test_seen. It fails on an event whose
// data is {"poison": true} while failing is set, after writing its row
// (which the savepoint must undo).
type recorder struct {
	name    string
	dialect eventstore.Dialect
	failing atomic.Bool
	calls   atomic.Int64
}

func (r *recorder) Name() string { return r.name }

func (r *recorder) Handle(ctx context.Context, tx messaging.Tx, e eventstore.Event) error {
	r.calls.Add(1)
	if _, err := tx.ExecContext(ctx, r.dialect.Rebind(`INSERT INTO messaging_test_seen (consumer, position, event_id) VALUES (?, ?, ?)`),
		r.name, e.Position, e.ID.String()); err != nil {
		return err
	}
	var data struct{ Poison bool }
	_ = json.Unmarshal(e.Data, &data)
	if data.Poison && r.failing.Load() {
		return errors.New("this event cannot be handled yet")
	}
	return nil
}

func setup(t *testing.T, b backend) {
	t.Helper()
	ctx := context.Background()
	if err := messaging.Migrate(ctx, b.db, b.dialect); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.Exec(`CREATE TABLE IF NOT EXISTS messaging_test_seen (consumer TEXT, position BIGINT, event_id TEXT)`); err != nil {
		t.Fatal(err)
	}
}

// appendEvents appends n events to their own streams, with correlation ids.
func appendEvents(t *testing.T, s eventstore.Store, n int, data string) []int64 {
	t.Helper()
	var out []int64
	for i := 0; i < n; i++ {
		pos, err := s.Append(context.Background(), "test-"+uuid.NewString(), eventstore.NoStream, []eventstore.NewEvent{{
			ID: uuid.New(), Type: "acv.test.v1", Data: json.RawMessage(data),
			Metadata: eventstore.Metadata{CorrelationID: uuid.New(), SchemaVersion: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, pos...)
	}
	return out
}

// seen returns how often each position was recorded by consumer name.
func seen(t *testing.T, b backend, name string) map[int64]int {
	t.Helper()
	rows, err := b.db.Query(b.dialect.Rebind(`SELECT position FROM messaging_test_seen WHERE consumer = ?`), name)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var p int64
		if err := rows.Scan(&p); err != nil {
			t.Fatal(err)
		}
		out[p]++
	}
	return out
}

// run runs r until the test ends.
func run(t *testing.T, r *messaging.Router) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("router: %v", err)
		}
	})
}

// waitFor waits until consumer name's offset covers position.
func waitFor(t *testing.T, b backend, r *messaging.Router, name string, position int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := messaging.NewProgress(b.db, b.dialect, b.store, name, r).WaitFor(ctx, position); err != nil {
		t.Fatalf("%s did not reach position %d: %v", name, position, err)
	}
}

// TestEveryEventOnceWithItsOffset: each consumer group handles every event
// exactly once, in the log's order, and what it wrote commits with its
// offset.
func TestEveryEventOnceWithItsOffset(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		setup(t, b)
		a, c := &recorder{name: "a", dialect: b.dialect}, &recorder{name: "c", dialect: b.dialect}
		r, err := messaging.NewRouterFor(b.store, b.db, b.dialect, nil, a, c)
		if err != nil {
			t.Fatal(err)
		}
		positions := appendEvents(t, b.store, 30, `{}`)
		run(t, r)
		positions = append(positions, appendEvents(t, b.store, 30, `{}`)...)
		last := positions[len(positions)-1]
		for _, name := range []string{"a", "c"} {
			waitFor(t, b, r, name, last)
			got := seen(t, b, name)
			for _, p := range positions {
				if got[p] != 1 {
					t.Errorf("%s handled position %d %d times, want once", name, p, got[p])
				}
			}
			if len(got) != len(positions) {
				t.Errorf("%s handled %d positions, want %d", name, len(got), len(positions))
			}
			off, err := messaging.Offset(context.Background(), b.db, b.dialect, name)
			if err != nil || off != last {
				t.Errorf("%s offset = %d, %v; want %d", name, off, err, last)
			}
		}
	})
}

// TestCommitWakesConsumers: a consumer that polls once an hour still sees
// an append within seconds (the bound only tells a wake-up from the hour): the store's commit signal, carried by the
// GoChannel, wakes it (issue 5: polling alone must not set the lag).
func TestCommitWakesConsumers(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		setup(t, b)
		rec := &recorder{name: "slow-poll", dialect: b.dialect}
		src, err := messaging.SourceFor(b.store, b.db, 100)
		if err != nil {
			t.Fatal(err)
		}
		r, err := messaging.NewRouter(messaging.Config{Source: src, Store: b.store, DB: b.db, Dialect: b.dialect, Poll: time.Hour}, rec)
		if err != nil {
			t.Fatal(err)
		}
		run(t, r)
		time.Sleep(300 * time.Millisecond) // let the subscriber find the log empty and wait
		for i := 0; i < 5; i++ {
			pos := appendEvents(t, b.store, 1, `{}`)[0]
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			err := messaging.NewProgress(b.db, b.dialect, b.store, rec.name, r).WaitFor(ctx, pos)
			cancel()
			if err != nil {
				t.Fatalf("append %d was not handled within 15s with an hour's poll: %v", i, err)
			}
		}
	})
}

// TestPoisonedEventIsVisibleAndReplayable: an event that keeps failing is
// retried, then put in the poison queue, while the events after it keep
// flowing; its failed attempts leave nothing behind; once the cause is
// fixed a replay handles it and marks it replayed.
func TestPoisonedEventIsVisibleAndReplayable(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		setup(t, b)
		var logs syncBuffer
		log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		rec := &recorder{name: "rec", dialect: b.dialect}
		rec.failing.Store(true)
		src, err := messaging.SourceFor(b.store, b.db, 100)
		if err != nil {
			t.Fatal(err)
		}
		r, err := messaging.NewRouter(messaging.Config{Source: src, Store: b.store, DB: b.db, Dialect: b.dialect, Log: log,
			Retries: 2, RetryInterval: time.Millisecond}, rec)
		if err != nil {
			t.Fatal(err)
		}
		run(t, r)
		before := appendEvents(t, b.store, 3, `{}`)
		bad := appendEvents(t, b.store, 1, `{"poison": true}`)[0]
		after := appendEvents(t, b.store, 3, `{}`)
		waitFor(t, b, r, rec.name, after[len(after)-1])

		got := seen(t, b, rec.name)
		for _, p := range append(before, after...) {
			if got[p] != 1 {
				t.Errorf("position %d handled %d times, want once: events after a poisoned one keep flowing", p, got[p])
			}
		}
		if got[bad] != 0 {
			t.Errorf("the poisoned event's failed attempts left %d rows; the savepoint should undo them", got[bad])
		}
		if n := rec.calls.Load(); n < 3+3+3 {
			t.Errorf("%d handler calls; want the poisoned event tried 3 times (1 + 2 retries)", n)
		}
		queue, err := messaging.ListPoisoned(context.Background(), b.db, b.dialect, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(queue) != 1 || queue[0].Position != bad || queue[0].Consumer != "rec" || !strings.Contains(queue[0].Reason, "cannot be handled yet") {
			t.Fatalf("poison queue = %+v; want the event at %d, consumer rec, with its reason", queue, bad)
		}
		// The event's correlation id is in the consumer's logs.
		events, err := b.store.ReadAll(context.Background(), before[len(before)-1], 1)
		if err != nil || len(events) != 1 {
			t.Fatal(err)
		}
		if corr := events[0].Metadata.CorrelationID.String(); !strings.Contains(logs.String(), corr) || queue[0].CorrelationID != corr {
			t.Errorf("correlation id %s of the poisoned event is not in the consumer's log or its queue entry (%q)", corr, queue[0].CorrelationID)
		}

		// A replay that still fails is recorded and leaves the entry open.
		now := func() time.Time { return time.Date(2027, 1, 1, 9, 0, 0, 0, time.UTC) }
		if err := messaging.Replay(context.Background(), b.db, b.dialect, b.store, now, queue[0].ID, rec); err == nil {
			t.Fatal("Replay succeeded while the handler still fails")
		}
		queue, _ = messaging.ListPoisoned(context.Background(), b.db, b.dialect, false)
		if len(queue) != 1 || queue[0].ReplayError == "" {
			t.Fatalf("after a failed replay the queue is %+v; want the entry open with the replay's error", queue)
		}
		rec.failing.Store(false)
		if err := messaging.Replay(context.Background(), b.db, b.dialect, b.store, now, queue[0].ID, rec); err != nil {
			t.Fatalf("Replay: %v", err)
		}
		if got := seen(t, b, rec.name); got[bad] != 1 {
			t.Errorf("after the replay the event was handled %d times, want once", got[bad])
		}
		open, _ := messaging.ListPoisoned(context.Background(), b.db, b.dialect, false)
		all, _ := messaging.ListPoisoned(context.Background(), b.db, b.dialect, true)
		if len(open) != 0 || len(all) != 1 || !all[0].ReplayedAt.Equal(now()) {
			t.Errorf("after the replay: open %+v, all %+v; want none open and one replayed at %v", open, all, now())
		}
		if err := messaging.Replay(context.Background(), b.db, b.dialect, b.store, now, 999, rec); !errors.Is(err, messaging.ErrUnknownPoisoned) {
			t.Errorf("Replay(unknown id) = %v, want ErrUnknownPoisoned", err)
		}
	})
}

// TestTwoNodesShareAConsumerGroup: two routers (two nodes) on one database
// run the same consumer group; every event is handled once in all.
func TestTwoNodesShareAConsumerGroup(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		setup(t, b)
		store2, db2 := b.open(t)
		r1, err := messaging.NewRouterFor(b.store, b.db, b.dialect, nil, &recorder{name: "shared", dialect: b.dialect})
		if err != nil {
			t.Fatal(err)
		}
		r2, err := messaging.NewRouterFor(store2, db2, b.dialect, nil, &recorder{name: "shared", dialect: b.dialect})
		if err != nil {
			t.Fatal(err)
		}
		run(t, r1)
		run(t, r2)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var positions []int64
		for _, s := range []eventstore.Store{b.store, store2, b.store, store2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p := appendEvents(t, s, 50, `{}`)
				mu.Lock()
				positions = append(positions, p...)
				mu.Unlock()
			}()
		}
		wg.Wait()
		last, _ := b.store.LastPosition(context.Background())
		waitFor(t, b, r1, "shared", last)
		got := seen(t, b, "shared")
		for _, p := range positions {
			if got[p] != 1 {
				t.Errorf("position %d handled %d times by the two nodes, want once", p, got[p])
			}
		}
		if len(got) != len(positions) {
			t.Errorf("%d positions handled, want %d", len(got), len(positions))
		}
	})
}

// syncBuffer is a bytes.Buffer safe for the logger's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
