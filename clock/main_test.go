package clock_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/acv-registry/acv/clock"
	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/postgres"
	"github.com/acv-registry/acv/eventstore/sqlite"
	"github.com/acv-registry/acv/internal/pgtest"
	"github.com/acv-registry/acv/internal/testclock"
	"github.com/acv-registry/acv/messaging"
	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// harness is one database holding the log and clock_schedule, with the
// schedule consumer run by hand (read the log after its offset, handle each
// event in a transaction through messaging.StdTx, commit).
type harness struct {
	store    eventstore.Store
	db       *sql.DB
	dialect  eventstore.Dialect
	clock    *testclock.Clock
	assets   *eventstore.Assets // the council's writes: fresh ids
	schedule *clock.Schedule
	offset   int64
}

// forEachBackend runs fn against SQLite and against PostgreSQL (skipped
// without PostgreSQL unless ACV_REQUIRE_DB=1).
func forEachBackend(t *testing.T, fn func(t *testing.T, h *harness)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, openSQLite(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, openPostgres(t))
	})
}

func openSQLite(t testing.TB) *harness {
	t.Helper()
	c := testclock.New(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	path := filepath.Join(t.TempDir(), "acv.db")
	store, err := sqlite.Open(context.Background(), path, sqlite.Options{Now: c.Now})
	if err != nil {
		t.Fatalf("open sqlite store: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(60000)&_txlock=immediate")
	if err != nil {
		t.Fatalf("open sqlite db: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return newHarness(t, store, db, eventstore.SQLite, c)
}

func openPostgres(t testing.TB) *harness {
	t.Helper()
	dsn := pgtest.DSN(t)
	c := testclock.New(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	store, err := postgres.Open(context.Background(), dsn, postgres.Options{Now: c.Now})
	if err != nil {
		t.Fatalf("open postgres store: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("open postgres db: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return newHarness(t, store, db, eventstore.Postgres, c)
}

func newHarness(t testing.TB, store eventstore.Store, db *sql.DB, d eventstore.Dialect, c *testclock.Clock) *harness {
	t.Helper()
	if err := clock.Migrate(context.Background(), db, d); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	assets := eventstore.NewAssets(store, domain.DefaultRegimes(), uuid.New)
	return &harness{store: store, db: db, dialect: d, clock: c, assets: assets, schedule: clock.NewSchedule(assets, d)}
}

// ticker returns a new ticker (a node, or a node after a restart) on the
// harness's database and clock.
func (h *harness) ticker() *clock.Ticker {
	return clock.NewTicker(h.db, h.dialect, eventstore.NewAssets(h.store, domain.DefaultRegimes(), uuid.New),
		clock.Options{Now: h.clock.Now})
}

// consume runs the schedule consumer over the events after its offset and
// returns how many it handled.
func (h *harness) consume(t testing.TB) int {
	t.Helper()
	ctx := context.Background()
	n := 0
	for {
		events, err := h.store.ReadAll(ctx, h.offset, 200)
		if err != nil {
			t.Fatalf("ReadAll after %d: %v", h.offset, err)
		}
		if len(events) == 0 {
			return n
		}
		h.handle(t, events)
		h.offset = events[len(events)-1].Position
		n += len(events)
	}
}

// handle runs the schedule over events in one transaction.
func (h *harness) handle(t testing.TB, events []eventstore.Event) {
	t.Helper()
	ctx := context.Background()
	tx, err := h.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	defer tx.Rollback()
	for _, e := range events {
		if err := h.schedule.Handle(ctx, messaging.StdTx(tx), e); err != nil {
			t.Fatalf("Handle %s %s@%d: %v", e.Type, e.Stream, e.Version, err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("commit: %v", err)
	}
}

// rows returns clock_schedule as asset id -> due day.
func (h *harness) rows(t testing.TB) map[string]string {
	t.Helper()
	rs, err := h.db.Query(`SELECT asset_id, due_on FROM clock_schedule`)
	if err != nil {
		t.Fatalf("read clock_schedule: %v", err)
	}
	defer rs.Close()
	m := map[string]string{}
	for rs.Next() {
		var id, due string
		if err := rs.Scan(&id, &due); err != nil {
			t.Fatal(err)
		}
		m[id] = due
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}

// clockEvents returns every clock event in the log, in log order.
func (h *harness) clockEvents(t testing.TB) []eventstore.Event {
	t.Helper()
	var out []eventstore.Event
	for after := int64(0); ; {
		events, err := h.store.ReadAll(context.Background(), after, 1000)
		if err != nil {
			t.Fatalf("ReadAll: %v", err)
		}
		if len(events) == 0 {
			return out
		}
		for _, e := range events {
			if clockTypes[e.Type] {
				out = append(out, e)
			}
		}
		after = events[len(events)-1].Position
	}
}

var clockTypes = map[string]bool{
	domain.TypeNominationDecisionOverdue: true,
	domain.TypeReviewDecisionOverdue:     true,
	domain.TypeInterimMoratoriumEnded:    true,
	domain.TypeFullMoratoriumEnded:       true,
	domain.TypeProtectedPeriodEnded:      true,
	domain.TypeListingExpired:            true,
	domain.TypeUnsuccessfulEntryExpired:  true,
}

// day parses a YYYY-MM-DD date; it panics on a typo in a test.
func day(s string) domain.Date {
	d, err := domain.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// london returns the instant of a wall-clock time in Europe/London.
func london(y int, m time.Month, d, hh, mm, ss int) time.Time {
	return time.Date(y, m, d, hh, mm, ss, 0, domain.England())
}
