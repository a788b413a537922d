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
	want := []string{"rm_assets", "rm_register", "rm_timeline", "rm_deadlines", "rm_moratoria", "rm_counts"}
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
			if _, err := q.Asset(ctx, id); err != nil {
				t.Errorf("Asset(%s) after swap: %v", id, err)
			}
			if cp, err := q.Checkpoint(ctx); err != nil || cp != int64(100+i) {
				t.Errorf("Checkpoint() = %d, %v; want %d", cp, err, 100+i)
			}
			// The live set is writable as usual after the swap.
			mustReplace(t, db, fixture{id: id, council: "E1", name: "Renamed", status: "listed"}.rows())
		}
	})
}
