package projections

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// indexNames returns the names of the indexes of the read-model sets
// (SQLite's automatic primary key indexes left out).
func indexNames(t *testing.T, db DB) []string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name LIKE 'rm%'
		AND name NOT LIKE 'sqlite_%'`
	if db.Dialect == Postgres {
		q = `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename LIKE 'rm%'`
	}
	rows, err := db.SQL.Query(q)
	if err != nil {
		t.Fatalf("list indexes: %v", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func TestSchemaCreateAndDrop(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db DB) {
		ctx := context.Background()
		live := indexNames(t, db)
		// Creating again is harmless; a second set lives alongside.
		for _, s := range []string{"", "_next", ""} {
			if err := CreateTables(ctx, db.SQL, db.Dialect, s); err != nil {
				t.Fatalf("CreateTables(%q): %v", s, err)
			}
		}
		both := indexNames(t, db)
		if len(both) != 2*len(live) {
			t.Errorf("indexes with _next set = %v, want twice the live set's %v", both, live)
		}
		for _, n := range both {
			if strings.Contains(n, "_next") == slices.Contains(live, n) {
				t.Errorf("index %s: a name should belong to exactly one set", n)
			}
		}
		for _, name := range TableNames() {
			countRows(t, db, name+"_next") // exists
		}
		if err := DropTables(ctx, db.SQL, db.Dialect, "_next"); err != nil {
			t.Fatalf("DropTables: %v", err)
		}
		if got := indexNames(t, db); !slices.Equal(got, live) {
			t.Errorf("indexes after DropTables(_next) = %v, want %v", got, live)
		}
		if _, err := db.SQL.Exec(`SELECT 1 FROM rm_assets_next`); err == nil {
			t.Error("rm_assets_next still exists after DropTables")
		}
	})
}

func TestSchemaRejectsBadSuffix(t *testing.T) {
	for _, s := range []string{"; DROP TABLE x", "-x", "Next", " "} {
		if err := CreateTables(context.Background(), nil, SQLite, s); err == nil {
			t.Errorf("CreateTables(%q) = nil, want an error", s)
		}
		if err := (Writer{Dialect: SQLite, Suffix: s}).Replace(context.Background(), nil, []AssetRows{{}}); err == nil {
			t.Errorf("Replace with suffix %q = nil, want an error", s)
		}
	}
}

func TestSchemaTableNames(t *testing.T) {
	want := []string{"rm_assets", "rm_register", "rm_deadlines", "rm_moratoria", "rm_counts"}
	if got := TableNames(); !slices.Equal(got, want) {
		t.Errorf("TableNames() = %v, want %v", got, want)
	}
}

// A rebuilt set swapped in by renaming, as the rebuild does, serves the
// queries, and a later set can be created under a new suffix.
func TestSchemaSwapByRename(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db DB) {
		ctx := context.Background()
		mustReplace(t, db, fixture{id: "old", council: "E1", name: "Old", status: "listed"}.rows())
		for i, suffix := range []string{"_r1", "_r2"} {
			if err := CreateTables(ctx, db.SQL, db.Dialect, suffix); err != nil {
				t.Fatalf("CreateTables(%s): %v", suffix, err)
			}
			id := []string{"new1", "new2"}[i]
			mustReplaceIn(t, db, Writer{Dialect: db.Dialect, Suffix: suffix},
				fixture{id: id, council: "E1", name: "New", status: "listed"}.rows())
			tx, err := db.SQL.Begin()
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range TableNames() {
				if _, err := tx.Exec(`DROP TABLE IF EXISTS ` + name); err != nil {
					t.Fatalf("drop %s: %v", name, err)
				}
				if _, err := tx.Exec(`ALTER TABLE ` + name + suffix + ` RENAME TO ` + name); err != nil {
					t.Fatalf("rename %s: %v", name, err)
				}
			}
			setCheckpoint(t, tx, db.Dialect, int64(100+i))
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			q := &Queries{DB: db}
			if _, err := storedAsset(t, db, id); err != nil {
				t.Errorf("%s after swap: %v", id, err)
			}
			if cp, err := q.Checkpoint(ctx); err != nil || cp != int64(100+i) {
				t.Errorf("Checkpoint() = %d, %v; want %d", cp, err, 100+i)
			}
			// The live set is writable as usual after the swap.
			mustReplace(t, db, fixture{id: id, council: "E1", name: "Renamed", status: "listed"}.rows())
		}
	})
}

// TestSchemaCompressesTextWithLZ4: on a PostgreSQL server that has lz4,
// the read models' text columns (the rows' JSON among them) are
// compressed with it, in the live set and a rebuild's fresh one; a row
// written reads back whole.
func TestSchemaCompressesTextWithLZ4(t *testing.T) {
	db := openDB(t, Postgres)
	ctx := context.Background()
	var lz4 bool
	if err := db.SQL.QueryRow(`SELECT 'lz4' = ANY (enumvals) FROM pg_settings WHERE name = 'default_toast_compression'`).Scan(&lz4); err != nil {
		t.Fatal(err)
	}
	if err := CreateTablesWithoutIndexes(ctx, db.SQL, db.Dialect, "_next"); err != nil {
		t.Fatal(err)
	}
	want := ""
	if lz4 {
		want = "l"
	} else {
		t.Log("this server has no lz4: the columns keep the default")
	}
	for _, suffix := range []string{"", "_next"} {
		for _, c := range [][2]string{{tableAssets, countsColumn}, {tableRegister, "entry"}, {tableAssets, "council"}} {
			var got string
			if err := db.SQL.QueryRow(`SELECT attcompression FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2`,
				c[0]+suffix, c[1]).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%s%s.%s compressed with %q, want %q", c[0], suffix, c[1], got, want)
			}
		}
	}
	// Made again, as at every start, the tables are not altered: a
	// reader's lock, which SET COMPRESSION's waits for, does not hold
	// CreateTables up.
	held, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Rollback()
	if _, err := held.Exec(`LOCK TABLE rm_assets, rm_register IN ACCESS SHARE MODE`); err != nil {
		t.Fatal(err)
	}
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SET lock_timeout = '2s'`); err != nil {
		t.Fatal(err)
	}
	if err := CreateTables(ctx, conn, db.Dialect, ""); err != nil {
		t.Errorf("CreateTables again, beside a reader's lock: %v", err)
	}
	held.Rollback()

	// A live table with rows from before is left as it is.
	if _, err := db.SQL.Exec(`ALTER TABLE rm_deadlines ALTER COLUMN council SET COMPRESSION pglz`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL.Exec(`INSERT INTO rm_deadlines (asset_id, seq, council, name, subject, start_date, end_date, closed, rule)
		VALUES ('a1', 1, 'c', 'n', 's', '2026-01-01', '2026-02-01', 0, 'r')`); err != nil {
		t.Fatal(err)
	}
	if err := CreateTables(ctx, db.SQL, db.Dialect, ""); err != nil {
		t.Fatal(err)
	}
	var method string
	if err := db.SQL.QueryRow(`SELECT attcompression FROM pg_attribute WHERE attrelid = 'rm_deadlines'::regclass AND attname = 'council'`).Scan(&method); err != nil {
		t.Fatal(err)
	}
	if method != "p" {
		t.Errorf("rm_deadlines.council, a live table with rows, compressed with %q after CreateTables, want it left at pglz", method)
	}

	long := strings.Repeat("a long name, ", 1000)
	mustReplace(t, db, fixture{id: "a1", council: "E1", name: long, status: "listed",
		register: []RegisterVersion{version(ListACV, "2024-01-10", "", "listed", "2024-01-10")}}.rows())
	var got string
	if err := db.SQL.QueryRow(`SELECT name, COALESCE(pg_column_compression(entry), '') FROM rm_register WHERE asset_id = 'a1'`).Scan(&got, &method); err != nil {
		t.Fatal(err)
	}
	if got != long || (lz4 && method != "lz4") {
		t.Errorf("read back %d bytes (want %d), compressed with %q", len(got), len(long), method)
	}
}

// The bands of latitude a box's query names, computed in Go, are those
// SQLite's index on the register's points holds, computed by cellSQL: a
// point whose band Go got wrong would be missing from a box's page (the
// national register's pages are checked against a scan in
// TestRegisterPagesOfANationalLog). Also the band only grows with the
// latitude, and is a hundredth of a degree high.
func TestCellIsSQLitesBand(t *testing.T) {
	db := openDB(t, SQLite)
	lats := []float64{-90, -89.995, -45.67, -0.01, -0.005, -1e-9, 0, 1e-9, 0.005, 0.01, 0.29, 0.57, 1.005, 1.15, 4.35,
		49.8, 50.0, 51.005, 51.3, 52.23, 53.47, 55.9, 56.565, 89.999, 90}
	for i := range 2000 { // and English latitudes on a fine grid
		lats = append(lats, 49.8+float64(i)*0.0031)
	}
	stmt, err := db.SQL.Prepare(`SELECT ` + strings.ReplaceAll(cellSQL, "lat", "?"))
	if err != nil {
		t.Fatal(err)
	}
	defer stmt.Close()
	prev := int64(-1)
	slices.Sort(lats)
	for _, lat := range lats {
		var want int64
		if err := stmt.QueryRow(lat).Scan(&want); err != nil {
			t.Fatal(err)
		}
		got := cell(lat)
		if got != want {
			t.Errorf("cell(%v) = %d, SQLite's band %d", lat, got, want)
		}
		if got < prev {
			t.Errorf("cell(%v) = %d, below the band of a lower latitude, %d", lat, got, prev)
		}
		prev = got
	}
	if got, want := cell(51.5)-cell(51.49), int64(1); got != want {
		t.Errorf("51.49 and 51.5 are %d bands apart, want %d", got, want)
	}
}
