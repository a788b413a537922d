package projections

import (
	"context"
	"slices"
	"testing"

	"github.com/acv-registry/acv/domain"
)

func TestReach(t *testing.T) {
	for _, tt := range []struct {
		name                string
		from, to, entered   string
		wantBack, wantAhead int64
	}{
		{"a 5-year entry", "2020-01-10", "2025-01-10", "2020-01-10", 1827, 0},
		{"a later version", "2022-03-01", "2025-01-10", "2020-01-10", 1827, 0},
		{"standing before its entry date", "2020-01-01", "2021-01-01", "2020-01-10", 357, 9},
		{"ended before its entry date", "2020-01-01", "2020-01-05", "2020-01-10", 0, 9},
		{"no end", "2020-01-10", "", "2020-01-10", noReach, 0},
		{"no entry date", "2020-01-10", "2025-01-10", "", noReach, 0},
		{"more than 292 years", "0001-01-01", "2020-01-01", "0001-01-01", 737424, 0},
		{"across 1970", "1969-12-31", "1970-01-01", "1969-12-31", 1, 0},
	} {
		v := version(ListACV, tt.from, tt.to, "listed", tt.entered)
		if back, ahead := reach(v); back != tt.wantBack || ahead != tt.wantAhead {
			t.Errorf("%s: reach = %d, %d; want %d, %d", tt.name, back, ahead, tt.wantBack, tt.wantAhead)
		}
	}
	v := version(ListACV, "2020-01-10", "2025-01-10", "listed", "2020-01-10")
	v.ValidFrom = domain.Date{}
	if _, ahead := reach(v); ahead != noReach {
		t.Errorf("reach of a version with no start: ahead %d, want noReach", ahead)
	}
}

func TestAddDays(t *testing.T) {
	for _, tt := range []struct {
		from string
		n    int64
		want string
		ok   bool
	}{
		{"2024-02-28", 1, "2024-02-29", true},
		{"2024-03-01", -1, "2024-02-29", true},
		{"2026-12-01", -1827, "2021-11-30", true},
		{"0001-01-02", -1, "0001-01-01", true},
		{"0001-01-01", -1, "", false},
		{"9999-12-31", 1, "", false},
		{"2026-12-01", -noReach, "", false},
		{"2026-12-01", noReach, "", false},
	} {
		got, ok := addDays(day(tt.from), tt.n)
		if ok != tt.ok || ok && got != day(tt.want) {
			t.Errorf("addDays(%s, %d) = %s, %v; want %s, %v", tt.from, tt.n, got, ok, tt.want, tt.ok)
		}
	}
}

func TestLeftoverSuffixes(t *testing.T) {
	names := []string{"rm_assets_rabc", "rm_register_rabc", "rm_search_rabc", "rm_search_rabc_data", "rm_search_rabc_idx",
		"rm_search_rdef_config", "rm_register", "rm_search_data", "rm_other_rxyz", "rm_assets_r",
		"rm_geo", "rm_geo_rowid", "rm_geo_node", "rm_geo_parent", "rm_geo_rghi_rowid", "rm_geo_rghi_node"}
	got := leftoverSuffixes(names, knownTables(SQLite))
	if want := []string{"_rabc", "_rdef", "_rghi"}; !slices.Equal(got, want) {
		t.Errorf("leftoverSuffixes = %v, want %v", got, want)
	}
}

// A set left by a rebuild that died, FTS5 table included, is dropped with
// every table it made (SQLite refuses to drop an FTS5 table's own tables
// one by one).
func TestDropLeftoversWithTheSearchTable(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db DB) {
		ctx := context.Background()
		if err := CreateTables(ctx, db.SQL, db.Dialect, "_rdied"); err != nil {
			t.Fatal(err)
		}
		mustReplaceIn(t, db, Writer{Dialect: db.Dialect, Suffix: "_rdied"}, fixture{id: "x", council: "E1", name: "X", status: "listed"}.rows())
		if err := dropLeftovers(ctx, db); err != nil {
			t.Fatalf("dropLeftovers: %v", err)
		}
		q := `SELECT COUNT(*) FROM sqlite_master WHERE name LIKE '%rdied%'`
		if db.Dialect == Postgres {
			q = `SELECT COUNT(*) FROM pg_class WHERE relname LIKE '%rdied%'`
		}
		var n int
		if err := db.SQL.QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d tables and indexes of the dead rebuild are left", n)
		}
		// The live set is whole.
		mustReplace(t, db, fixture{id: "y", council: "E1", name: "Y", status: "listed", point: &domain.Point{Lat: 51, Lon: 0},
			register: []RegisterVersion{version(ListACV, "2024-01-01", "", "listed", "2024-01-01")}}.rows())
	})
}
