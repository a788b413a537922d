package projections

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore/postgres"
	"github.com/acv-registry/acv/internal/pgtest"
	"github.com/acv-registry/acv/messaging"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// forEachDialect runs fn as a subtest against a fresh SQLite database and a
// fresh PostgreSQL database (skipped when PostgreSQL cannot be had, unless
// ACV_REQUIRE_DB=1), each holding the empty live read-model tables.
func forEachDialect(t *testing.T, fn func(t *testing.T, db DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, openDB(t, SQLite))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, openDB(t, Postgres))
	})
}

// openDB opens a fresh database of the dialect with the live tables made.
func openDB(t testing.TB, d Dialect) DB {
	t.Helper()
	db := openEmpty(t, d)
	if err := CreateTables(context.Background(), db.SQL, d, ""); err != nil {
		t.Fatalf("CreateTables: %v", err)
	}
	if err := messaging.Migrate(context.Background(), db.SQL, d); err != nil {
		t.Fatalf("messaging.Migrate: %v", err)
	}
	return db
}

// openEmpty opens a fresh, empty database of the dialect.
func openEmpty(t testing.TB, d Dialect) DB {
	t.Helper()
	var (
		sdb *sql.DB
		err error
	)
	switch d {
	case SQLite:
		path := filepath.Join(t.TempDir(), "rm.db")
		sdb, err = sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)")
	case Postgres:
		// The log's own schema too: the read models' checkpoint names an event.
		dsn := pgtest.DSN(t)
		store, serr := postgres.Open(context.Background(), dsn, postgres.Options{})
		if serr != nil {
			t.Fatalf("create the log's schema: %v", serr)
		}
		store.Close()
		sdb, err = sql.Open("pgx", dsn)
	}
	if err != nil {
		t.Fatalf("open %s: %v", d, err)
	}
	t.Cleanup(func() { sdb.Close() })
	return DB{SQL: sdb, Dialect: d}
}

// setCheckpoint sets the read models' checkpoint (their consumer's offset) in tx.
func setCheckpoint(t testing.TB, tx *sql.Tx, d Dialect, position int64) {
	t.Helper()
	ctx := context.Background()
	if _, err := messaging.LockOffset(ctx, tx, d, ConsumerName); err != nil {
		t.Fatal(err)
	}
	if err := messaging.SetOffset(ctx, tx, d, ConsumerName, position); err != nil {
		t.Fatal(err)
	}
}

// mustReplace writes rows to the live tables in one transaction.
func mustReplace(t testing.TB, db DB, rows ...AssetRows) {
	t.Helper()
	mustReplaceIn(t, db, Writer{Dialect: db.Dialect}, rows...)
}

// mustReplaceIn writes rows with w in one transaction.
func mustReplaceIn(t testing.TB, db DB, w Writer, rows ...AssetRows) {
	t.Helper()
	ctx := context.Background()
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	defer tx.Rollback()
	if err := w.Replace(ctx, tx, rows); err != nil {
		t.Fatalf("Replace: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("commit: %v", err)
	}
}

// day parses a YYYY-MM-DD date; it panics on a typo in a test.
func day(s string) domain.Date {
	d, err := domain.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// fixture describes a hand-made asset; rows turns it into AssetRows.
type fixture struct {
	id, council, name, address, postcode, category, status string
	point                                                  *domain.Point
	version                                                int64    // the stream version of its last event
	decisions                                              []string // one nomination per item; "" undecided
	register                                               []RegisterVersion
	deadlines                                              []Deadline
	moratoria                                              []Moratorium
}

func (f fixture) rows() AssetRows {
	var counts NominationCounts
	for _, d := range f.decisions {
		counts.add(domain.Outcome(d))
	}
	r := AssetRows{
		Asset: AssetRow{ID: f.id, Council: f.council, Reference: f.id, Name: f.name, Address: f.address,
			Postcode: f.postcode, Point: f.point, Category: f.category, Status: f.status,
			Version: f.version, Position: f.version * 10, Counts: counts},
		Register:  f.register,
		Deadlines: f.deadlines,
		Moratoria: f.moratoria,
	}
	for i := range r.Register {
		rv := &r.Register[i]
		rv.AssetID, rv.Council = f.id, f.council
		e := &rv.Entry
		e.AssetID, e.Organisation = f.id, f.council
		if e.Reference == "" {
			e.Reference = f.id
		}
		if e.Name == "" {
			e.Name, e.AddressText, e.Postcode, e.Point = f.name, f.address, f.postcode, f.point
		}
	}
	for i := range r.Deadlines {
		r.Deadlines[i].AssetID, r.Deadlines[i].Council = f.id, f.council
	}
	for i := range r.Moratoria {
		r.Moratoria[i].AssetID, r.Moratoria[i].Council = f.id, f.council
	}
	return r
}

// version is a register version of the given list from one day to another
// ("" for still standing).
func version(list List, from, to, status string, entered string) RegisterVersion {
	v := RegisterVersion{List: list, ValidFrom: day(from), Entry: RegisterEntry{Status: status}}
	if to != "" {
		v.ValidTo = day(to)
	}
	if entered != "" {
		v.Entry.EntryDate = day(entered)
		v.Entry.StartDate = day(entered)
	}
	return v
}

// storedAsset reads the asset's row back from the live rm_assets. An
// unknown asset is an error wrapping domain.ErrNotFound.
func storedAsset(t testing.TB, db DB, id string) (AssetRow, error) {
	t.Helper()
	var (
		a        AssetRow
		lat, lon sql.NullFloat64
	)
	err := db.SQL.QueryRow(db.Dialect.Rebind(`SELECT asset_id, council, reference, name, address, postcode, uprn,
		lat, lon, category, status, version, position, nominations, decided_listed, decided_partly_listed,
		decided_not_listed FROM rm_assets WHERE asset_id = ?`), id).
		Scan(&a.ID, &a.Council, &a.Reference, &a.Name, &a.Address, &a.Postcode, &a.UPRN, &lat, &lon, &a.Category,
			&a.Status, &a.Version, &a.Position, &a.Counts.Nominations, &a.Counts.Listed, &a.Counts.PartlyListed,
			&a.Counts.NotListed)
	if errors.Is(err, sql.ErrNoRows) {
		return AssetRow{}, fmt.Errorf("stored asset %s: %w", id, domain.ErrNotFound)
	}
	if err != nil {
		return AssetRow{}, fmt.Errorf("stored asset %s: %w", id, err)
	}
	if lat.Valid && lon.Valid {
		a.Point = &domain.Point{Lat: lat.Float64, Lon: lon.Float64}
	}
	return a, nil
}

// countRows returns the number of rows of a table.
func countRows(t testing.TB, db DB, table string) int {
	t.Helper()
	var n int
	if err := db.SQL.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}
