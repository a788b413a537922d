package projections

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/acv-registry/acv/domain"
)

// explain returns the plan of query (? placeholders) with args, one line
// per plan row. On PostgreSQL it runs in a transaction with the given
// planner settings (enable_seqscan = off ...), which are local to it: a
// handful of rows would otherwise make any plan look good.
func explain(t *testing.T, db DB, settings []string, query string, args ...any) string {
	t.Helper()
	ctx := context.Background()
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	prefix := "EXPLAIN QUERY PLAN "
	if db.Dialect == Postgres {
		prefix = "EXPLAIN "
		for _, s := range settings {
			if _, err := tx.ExecContext(ctx, "SET LOCAL "+s); err != nil {
				t.Fatalf("SET LOCAL %s: %v", s, err)
			}
		}
	}
	rows, err := tx.QueryContext(ctx, prefix+db.Dialect.Rebind(query), args...)
	if err != nil {
		t.Fatalf("explain %s: %v", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, vals[len(vals)-1].String) // SQLite's detail, PostgreSQL's only column
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

// TestRegisterQueryPlans: every register page is read from an index in the
// list's order, from the cursor (or the first entry date that can stand on
// the day) on, with no scan of the table and no sort, on both backends;
// the text search is looked up in its trigram index; a postcode, an outward
// code and a status are read from their own index in list order; a small
// bounding box is looked up in its spatial index (and counted there first);
// the reach bounds come off the end of their indexes. A change to the queries or the indexes
// that makes a page cost in proportion to the list fails here.
func TestRegisterQueryPlans(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db DB) {
		seed(t, db)
		// Enough rows, and statistics, for PostgreSQL's planner to tell a
		// council from the whole list.
		var rows []AssetRows
		for i := range 12_000 {
			entered := fmt.Sprintf("%d-%02d-01", 2013+i%12, 1+i%12)
			ended := fmt.Sprintf("%d-%02d-01", 2018+i%12, 1+i%12)
			// 300 outward codes of 10 postcodes each; a grid of points 0.01
			// degrees apart; one entry in 50 removed.
			status := "listed"
			if i%50 == 0 {
				status = "removed"
			}
			rows = append(rows, fixture{id: fmt.Sprintf("m%05d", i), council: fmt.Sprintf("E060000%02d", i%40),
				name: fmt.Sprintf("Asset %d", i), address: fmt.Sprintf("%d Mill Lane", i), status: "listed",
				postcode: fmt.Sprintf("M%d %dAB", i%300, i/300%10),
				point:    &domain.Point{Lat: 51 + float64(i%100)/100, Lon: -2 + float64(i/100)/100},
				register: []RegisterVersion{version(ListACV, entered, ended, status, entered)}}.rows())
		}
		mustReplace(t, db, rows...)
		// PostgreSQL's statistics, as a rebuild gathers them (analyze);
		// SQLite's read models have none, so its plans are checked
		// without: with them, SQLite read a postcode's page from its index
		// even when, without them, it took the list's.
		if db.Dialect == Postgres {
			if _, err := db.SQL.Exec(`ANALYZE`); err != nil {
				t.Fatal(err)
			}
		}
		// A 5-year listing's reach: what the bounds are on a real register.
		b := reachBounds{back: 5*366 + 1, ahead: 0}
		after := cursor{Kind: cursorRegister, Text: []string{"2024-01-10", "R1", "a1"}, Nums: []int64{1}}
		ordered := []string{"enable_seqscan = off", "enable_sort = off", "enable_bitmapscan = off"}
		small := &BoundingBox{MinLon: -1.905, MinLat: 51.2, MaxLon: -1.895, MaxLat: 51.3}
		large := &BoundingBox{MinLon: -6, MinLat: 49, MaxLon: 2, MaxLat: 56}
		for _, tt := range []struct {
			name     string
			f        registerFilter
			more     bool
			index    string // the index the page is read from; rm_register_ for either
			settings []string
			sorts    bool // the matches are sorted (the text search, a small box)
		}{
			{"council's list today", registerFilter{list: ListACV, council: councilA, asOf: today}, false, "rm_register_council", ordered, false},
			{"council's list after a cursor", registerFilter{list: ListACV, council: councilA, asOf: today}, true, "rm_register_council", ordered, false},
			{"council's list as of a past day", registerFilter{list: ListACV, council: councilB, asOf: day("2019-06-30")}, false, "rm_register_council", ordered, false},
			// a list of one entry: either index will do
			{"unsuccessful list", registerFilter{list: ListUnsuccessful, council: councilA, asOf: today}, true, "rm_register_", ordered, false},
			{"national register", registerFilter{list: ListACV, asOf: today}, false, "rm_register_entries", ordered, false},
			{"national register after a cursor", registerFilter{list: ListACV, asOf: day("2019-06-30")}, true, "rm_register_entries", ordered, false},
			{"national by status", registerFilter{list: ListACV, status: "listed", asOf: today}, true, "rm_register_", ordered, false},
			{"national by a rare status", registerFilter{list: ListACV, status: "removed", asOf: today}, true, "rm_register_status", ordered, false},
			{"national by a status no entry has", registerFilter{list: ListACV, status: "unsuccessful", asOf: today}, false, "rm_register_status", ordered, false},
			{"national by postcode", registerFilter{list: ListACV, postcode: "M7 3AB", asOf: today}, false, "rm_register_postcode", ordered, false},
			{"national by postcode after a cursor", registerFilter{list: ListACV, postcode: "M7 3AB", asOf: today}, true, "rm_register_postcode", ordered, false},
			{"national by outward code", registerFilter{list: ListACV, outward: "M7", asOf: today}, false, "rm_register_outward", ordered, false},
			{"national by outward code after a cursor", registerFilter{list: ListACV, outward: "M7", asOf: day("2019-06-30")}, true, "rm_register_outward", ordered, false},
			{"national in a small box", registerFilter{list: ListACV, bbox: small, spatial: true, asOf: today}, false, "", []string{"enable_seqscan = off", "enable_indexscan = off"}, true},
			{"national in a small box after a cursor", registerFilter{list: ListACV, bbox: small, spatial: true, asOf: today}, true, "", []string{"enable_seqscan = off", "enable_indexscan = off"}, true},
			// over the cap: read in order, the box tested on each row
			{"national in a large box", registerFilter{list: ListACV, bbox: large, asOf: today}, true, "rm_register_entries", ordered, false},
			{"national text search", registerFilter{list: ListACV, text: "red lion", asOf: today}, false, "", []string{"enable_seqscan = off", "enable_indexscan = off"}, true},
			// too short for a trigram: read in order, as the others
			{"national search for two letters", registerFilter{list: ListACV, text: "ro", asOf: today}, true, "rm_register_entries", ordered, false},
		} {
			query, args := registerSQL(db.Dialect, tt.f, b, after, tt.more, 100)
			plans := []string{explain(t, db, tt.settings, query, args...)}
			if db.Dialect == Postgres {
				// pgx prepares every query text once: after five runs
				// PostgreSQL may keep one plan for every value, made
				// without knowing them. It must be as good.
				settings := append(slices.Clone(tt.settings), "plan_cache_mode = force_generic_plan")
				if tt.sorts {
					settings = []string{"plan_cache_mode = force_generic_plan"}
				}
				plans = append(plans, explainGeneric(t, db, settings, query, args...))
			}
			for _, plan := range plans {
				checkPlan(t, db, tt.name, tt.index, tt.more, tt.sorts, tt.f.spatial, plan, query)
			}
		}
		// A box's matches are counted in the spatial index, up to the cap.
		cond, args := cellCond(*small)
		count := `SELECT COUNT(*) FROM (SELECT 1 FROM rm_register WHERE ` + cond + ` LIMIT ?) n`
		args = append(args, spatialCap)
		if db.Dialect == Postgres {
			count = `SELECT COUNT(*) FROM (SELECT 1 FROM rm_register WHERE ` + placeCond + ` LIMIT ?) n`
			args = []any{small.MinLon, small.MinLat, small.MaxLon, small.MaxLat, spatialCap}
		}
		plans := []string{explain(t, db, nil, count, args...)}
		if db.Dialect == Postgres {
			plans = append(plans, explainGeneric(t, db, []string{"plan_cache_mode = force_generic_plan"}, count, args...))
		}
		for _, plan := range plans {
			if strings.Contains(plan, "Seq Scan") || !strings.Contains(plan, map[Dialect]string{SQLite: sqliteBandsPlan, Postgres: "rm_register_place"}[db.Dialect]) {
				t.Errorf("a box's matches are not counted in the spatial index; plan:\n%s", plan)
			}
		}
		// The bounds come off the end of an index.
		for _, col := range []string{"reach_back", "reach_ahead"} {
			plan := explain(t, db, ordered, `SELECT `+col+` FROM rm_register WHERE list = ? ORDER BY `+col+` DESC LIMIT 1`, string(ListACV))
			if !strings.Contains(plan, "rm_register_"+col) || strings.Contains(plan, "Sort") || strings.Contains(plan, "TEMP B-TREE") {
				t.Errorf("the largest %s is not read off its index; plan:\n%s", col, plan)
			}
		}
	})
}

// checkPlan checks one plan of a register query (see TestRegisterQueryPlans):
// the register is not scanned; a page is read from index in order (sorts
// false) from the cursor or from the first entry date that can stand on
// the day, or the text is looked up in its trigram index alone (sorts), or
// the box in its spatial index alone (sorts and spatial).
func checkPlan(t *testing.T, db DB, name, index string, more, sorts, spatial bool, plan, query string) {
	t.Helper()
	bad := func(why string) { t.Errorf("%s: %s; plan:\n%s\nquery: %s", name, why, plan, query) }
	if strings.Contains(plan, "Seq Scan") || sqliteScans(plan, "r") {
		bad("the register is scanned")
	}
	if !sorts && (strings.Contains(plan, "TEMP B-TREE") || strings.Contains(plan, "Sort")) {
		bad("the page is sorted, not read in order")
	}
	if index != "" {
		if !strings.Contains(plan, index) {
			bad("not read from " + index)
		}
		// SQLite shows the bounds of the index range in the SEARCH line,
		// PostgreSQL in Index Cond.
		bounds := []string{"entry_date>?", "(entry_date > "}
		if more {
			bounds = []string{"(entry_date,reference,asset_id,seq)>(?,?,?,?)", "ROW(entry_date, reference, asset_id, seq) > ROW("}
		}
		if !strings.Contains(plan, bounds[0]) && !indexCondHas(plan, bounds[1]) {
			bad("the index range does not start at " + map[bool]string{true: "the cursor", false: "the first entry date"}[more])
		}
	}
	switch {
	case sorts && spatial:
		want := map[Dialect]string{SQLite: sqliteBandsPlan, Postgres: "rm_register_place"}[db.Dialect]
		if !strings.Contains(plan, want) {
			bad("the box is not looked up in its spatial index")
		}
	case sorts:
		want := map[Dialect]string{SQLite: "SCAN s VIRTUAL TABLE", Postgres: "rm_register_search"}[db.Dialect]
		if !strings.Contains(plan, want) {
			bad("the text is not looked up in its trigram index")
		}
	}
	if sorts {
		if strings.Contains(plan, "BitmapAnd") || strings.Contains(plan, "rm_register_entries") {
			bad("the matches are combined with a range of the whole register")
		}
	}
}

// sqliteBandsPlan is how SQLite's plan shows a box read from the index on
// bands of latitude: each band (the IN list) sought, then a range of
// longitudes in it, the latitude tested on the index's entries.
const sqliteBandsPlan = "USING COVERING INDEX rm_register_place (<expr>=? AND lon>? AND lon<?)"

// sqliteScans says whether a SQLite plan reads the table with the alias
// whole (SCAN r, not SEARCH r USING INDEX).
func sqliteScans(plan, alias string) bool {
	for _, line := range strings.Split(plan, "\n") {
		if line == "SCAN "+alias || strings.HasPrefix(line, "SCAN "+alias+" ") && !strings.Contains(line, "INDEX") {
			return true
		}
	}
	return false
}

// indexCondHas says whether a PostgreSQL plan's Index Cond holds s.
func indexCondHas(plan, s string) bool {
	for _, line := range strings.Split(plan, "\n") {
		if strings.Contains(line, "Index Cond:") && strings.Contains(line, s) {
			return true
		}
	}
	return false
}

// explainGeneric returns PostgreSQL's generic plan of query (? placeholders),
// the plan it may keep for a prepared statement whatever the values: the
// statement is prepared and explained with args as literals under
// plan_cache_mode = force_generic_plan (among settings).
func explainGeneric(t *testing.T, db DB, settings []string, query string, args ...any) string {
	t.Helper()
	ctx := context.Background()
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, s := range settings {
		if _, err := tx.ExecContext(ctx, "SET LOCAL "+s); err != nil {
			t.Fatalf("SET LOCAL %s: %v", s, err)
		}
	}
	if _, err := tx.ExecContext(ctx, "PREPARE register_page AS "+db.Dialect.Rebind(query)); err != nil {
		t.Fatalf("prepare %s: %v", query, err)
	}
	defer tx.ExecContext(ctx, "DEALLOCATE register_page")
	literals := make([]string, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case string:
			literals[i] = "'" + strings.ReplaceAll(v, "'", "''") + "'"
		default:
			literals[i] = fmt.Sprint(v)
		}
	}
	rows, err := tx.QueryContext(ctx, "EXPLAIN EXECUTE register_page("+strings.Join(literals, ", ")+")")
	if err != nil {
		t.Fatalf("explain the generic plan of %s: %v", query, err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}
