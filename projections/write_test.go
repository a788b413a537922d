package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/acv-registry/acv/domain"
)

// richAsset returns an asset with rows in every table, its last event's
// version n: two register versions, three clocks and a moratorium.
func richAsset(id, council string, n int) AssetRows {
	f := fixture{id: id, council: council, name: "The Red Lion " + id, address: "1 High Street, Anytown",
		postcode: "SW1A 1AA", category: "pub", status: "listed", point: &domain.Point{Lat: 51.5, Lon: -0.14},
		version: int64(n), decisions: []string{"listed"},
		register: []RegisterVersion{
			version(ListACV, "2024-01-10", "2024-03-01", "listed", "2024-01-10"),
			version(ListACV, "2024-03-01", "", "listed", "2024-01-10"),
		},
		deadlines: []Deadline{
			{Name: "decision", Subject: id + "-n1", Start: day("2023-11-01"), End: day("2023-12-27"), Closed: true, Rule: "s.90(6)"},
			{Name: "listing", Subject: id + "-n1", Start: day("2024-01-10"), End: day("2029-01-09"), Rule: "s.87(3)"},
			{Name: "interim_moratorium", Subject: id + "-d1", Start: day("2024-03-01"), End: day("2024-04-11"), Rule: "s.95(6)"},
		},
		moratoria: []Moratorium{{NoticeID: id + "-d1", NoticeReceived: day("2024-03-01"), InterimEnd: day("2024-04-11"),
			FullEnd: day("2024-08-31"), ProtectedEnd: day("2025-08-31")}},
	}
	return f.rows()
}

// rowsPerTable returns the number of rows of each live table of asset
// rows (rm_counts, which holds sums, is tested in counts_test.go).
func rowsPerTable(t *testing.T, db DB) map[string]int {
	t.Helper()
	m := map[string]int{}
	for _, name := range TableNames() {
		if name != tableCounts {
			m[name] = countRows(t, db, name)
		}
	}
	return m
}

func TestWriteReplaceIsIdempotent(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db DB) {
		rows := []AssetRows{richAsset("a1", "E1", 4), richAsset("a2", "E1", 2)}
		// two open clocks an asset: the closed one is no row
		want := map[string]int{"rm_assets": 2, "rm_register": 4, "rm_deadlines": 4, "rm_moratoria": 2}
		for i := range 2 {
			mustReplace(t, db, rows...)
			if got := rowsPerTable(t, db); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("after Replace #%d: rows = %v, want %v", i+1, got, want)
			}
		}
		// A new derivation with fewer rows leaves nothing of the old one.
		short := richAsset("a1", "E1", 1)
		short.Register, short.Deadlines, short.Moratoria = short.Register[:1], nil, nil
		mustReplace(t, db, short)
		want = map[string]int{"rm_assets": 2, "rm_register": 3, "rm_deadlines": 2, "rm_moratoria": 1}
		if got := rowsPerTable(t, db); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("after shorter Replace: rows = %v, want %v", got, want)
		}
	})
}

// rm_deadlines holds the open clocks, each under its place among all the
// asset's clocks; a closed clock's row, as tables written before hold
// them, stays out of the council's queue.
func TestDeadlinesHoldOpenClocks(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db DB) {
		ctx := context.Background()
		mustReplace(t, db, richAsset("a1", "E1", 1))
		rows, err := db.SQL.QueryContext(ctx, `SELECT seq, name FROM rm_deadlines WHERE asset_id = 'a1' ORDER BY seq`)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var (
				seq  int
				name string
			)
			if err := rows.Scan(&seq, &name); err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprint(seq, " ", name))
		}
		rows.Close()
		if want := []string{"1 listing", "2 interim_moratorium"}; !slices.Equal(got, want) {
			t.Errorf("rm_deadlines of a1 = %q, want %q", got, want)
		}
		// A closed decision clock, as an earlier binary wrote it: overdue if it were open.
		if _, err := db.SQL.ExecContext(ctx, db.Dialect.Rebind(`INSERT INTO rm_deadlines
			(asset_id, seq, council, name, subject, start_date, end_date, closed, rule) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)`),
			"a1", 0, "E1", "decision", "a1-n1", "2023-11-01", "2023-12-27", "s.90(6)"); err != nil {
			t.Fatal(err)
		}
		page, err := (&Queries{DB: db}).Deadlines(ctx, "E1", day("2024-03-05"), PageRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, d := range page.Items {
			names = append(names, d.Name)
		}
		if want := []string{"interim_moratorium", "listing"}; !slices.Equal(names, want) {
			t.Errorf("E1's queue = %q, want %q", names, want)
		}
	})
}

func TestWriteReplaceSameAssetTwiceInOneCall(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db DB) {
		first, last := richAsset("a1", "E1", 3), richAsset("a1", "E1", 5)
		last.Asset.Name = "Last"
		mustReplace(t, db, first, richAsset("a2", "E1", 1), last)
		if n := countRows(t, db, "rm_assets"); n != 2 {
			t.Errorf("asset rows = %d, want 2", n)
		}
		a, err := storedAsset(t, db, "a1")
		if err != nil || a.Name != "Last" || a.Version != 5 {
			t.Errorf("a1 = %q version %d, %v; want the last rows given", a.Name, a.Version, err)
		}
	})
}

// Enough rows to cross the statement chunks of both dialects, and an
// asset with no point (NULL coordinates) among them.
func TestWriteReplaceManyRows(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db DB) {
		var rows []AssetRows
		for i := range 700 {
			r := richAsset(fmt.Sprintf("a%04d", i), "E1", 10)
			if i == 350 {
				r.Asset.Point = nil
			}
			rows = append(rows, r)
		}
		mustReplace(t, db, rows...)
		mustReplace(t, db, rows...)
		want := map[string]int{"rm_assets": 700, "rm_register": 1400, "rm_deadlines": 1400, "rm_moratoria": 700}
		if got := rowsPerTable(t, db); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("rows = %v, want %v", got, want)
		}
		a, err := storedAsset(t, db, "a0350")
		if err != nil || a.Point != nil {
			t.Errorf("Asset(a0350) point = %v, %v; want nil", a.Point, err)
		}
		a, err = storedAsset(t, db, "a0699")
		if err != nil || a.Point == nil || *a.Point != (domain.Point{Lat: 51.5, Lon: -0.14}) {
			t.Errorf("Asset(a0699) point = %v, %v; want 51.5,-0.14", a.Point, err)
		}
	})
}

func TestWriteReplaceNothing(t *testing.T) {
	if err := (Writer{Dialect: SQLite}).Replace(context.Background(), nil, nil); err != nil {
		t.Errorf("Replace(nil) = %v", err)
	}
}

// BenchmarkWriterReplace writes 10,000 assets (each with 2 register
// versions, 2 open clocks and a moratorium: 60,000 rows) in
// one transaction into a fresh set of tables, as a rebuild does.
func BenchmarkWriterReplace(b *testing.B) {
	const assets = 10_000
	rows := make([]AssetRows, assets)
	for i := range rows {
		rows[i] = richAsset(fmt.Sprintf("asset-%08d", i), fmt.Sprintf("E0700%04d", i%300), 10)
	}
	for _, d := range []Dialect{SQLite, Postgres} {
		b.Run(string(d), func(b *testing.B) {
			ctx := context.Background()
			db := openEmpty(b, d)
			if d == SQLite {
				// As the SQLite event store opens its database; one
				// connection, so the pragma holds for every iteration.
				db.SQL.SetMaxOpenConns(1)
				if _, err := db.SQL.Exec(`PRAGMA synchronous = NORMAL`); err != nil {
					b.Fatal(err)
				}
			}
			n := 0
			for b.Loop() {
				b.StopTimer()
				suffix := fmt.Sprintf("_b%d", n)
				n++
				if err := CreateTables(ctx, db.SQL, d, suffix); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				tx, err := db.SQL.BeginTx(ctx, nil)
				if err != nil {
					b.Fatal(err)
				}
				if err := (Writer{Dialect: d, Suffix: suffix}).Replace(ctx, tx, rows); err != nil {
					b.Fatal(err)
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := DropTables(ctx, db.SQL, d, suffix); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(assets)*float64(b.N)/b.Elapsed().Seconds(), "assets/s")
		})
	}
}

// BenchmarkWriterLayout measures the CPU side of Replace alone: laying out
// 10,000 assets' rows for the statements.
func BenchmarkWriterLayout(b *testing.B) {
	rows := make([]AssetRows, 10_000)
	for i := range rows {
		rows[i] = richAsset(fmt.Sprintf("asset-%08d", i), "E07000001", 10)
	}
	for b.Loop() {
		if _, _, err := newBatches(rows); err != nil {
			b.Fatal(err)
		}
	}
}

// appendJSONString must write a string as json.Marshal does: escapes,
// HTML characters, U+2028 and U+2029, and invalid UTF-8 replaced.
func TestAppendJSONString(t *testing.T) {
	texts := []string{"", "The council listed the land (s.90).", `quote " and back \ slash`, "<b>&amp;</b>",
		"\x00\x01\b\f\n\r\t\x1f\x7f", "café, Ŵ", "line\u2028para\u2029", "bad \xff\xfe utf-8", "emoji 😀", "\xe2\x80"}
	for _, text := range texts {
		want, err := json.Marshal(text)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJSONString([]byte("x"), text); string(got) != "x"+string(want) {
			t.Errorf("appendJSONString(%q) = %s, want x%s", text, got, want)
		}
	}
}
