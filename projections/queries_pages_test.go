package projections_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/internal/generate"
	"github.com/acv-registry/acv/projections"
)

// TestRegisterPagesOfANationalLog: on a generated national history, every
// register read page by page from its index (each list of the busiest
// councils, the national register, the text search, the filters by
// postcode, outward code, status and bounding box, each box both from the
// spatial index and in list order) gives exactly what the plain definition
// gives - every version standing on the day, in list order,
// found by scanning the whole table - on many days, with the read models
// built by following the log (the text index kept up row by row) and then
// by a rebuild (the text index filled at once), on both backends.
func TestRegisterPagesOfANationalLog(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st stack) {
		ctx := context.Background()
		p := projections.NewProjector(st.store, st.db, domain.DefaultRegimes(), slog.New(slog.DiscardHandler))
		if err := p.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := generate.Run(ctx, st.store, generate.Options{Seed: 5, Scale: 0.06}); err != nil {
			t.Fatal(err)
		}
		drain(t, st, p, 500)
		checkRegisterPages(t, st.db, "following")
		if _, err := projections.Rebuild(ctx, st.store, st.db, domain.DefaultRegimes(), nil); err != nil {
			t.Fatal(err)
		}
		checkRegisterPages(t, st.db, "rebuilt")
	})
}

// checkRegisterPages compares the paged queries with full scans.
func checkRegisterPages(t *testing.T, db projections.DB, built string) {
	t.Helper()
	ctx := context.Background()
	q := &projections.Queries{DB: db}
	today := domain.NewDate(2026, 12, 1)
	days := []domain.Date{
		domain.NewDate(2012, 9, 20), // before the regime
		domain.NewDate(2013, 6, 30), domain.NewDate(2016, 1, 1), domain.NewDate(2019, 6, 30),
		domain.NewDate(2022, 3, 31), domain.NewDate(2026, 9, 30), today,
	}
	contains := `instr(search, ?) > 0`
	if db.Dialect == projections.Postgres {
		contains = `strpos(search, ?) > 0`
	}
	// scan is the definition: a full scan and a sort.
	scan := func(cond string, args ...any) []string {
		t.Helper()
		rows, err := db.SQL.QueryContext(ctx, db.Dialect.Rebind(`SELECT asset_id FROM rm_register WHERE `+cond+
			` ORDER BY entry_date, reference, asset_id, seq`), args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := []string{}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			out = append(out, id)
		}
		return out
	}
	standing := `valid_from <= ? AND (valid_to IS NULL OR valid_to > ?)`
	// pages reads every page of a listing.
	pages := func(what string, read func(projections.PageRequest) (projections.Page[projections.RegisterEntry], error)) []string {
		t.Helper()
		out := []string{}
		cursor := ""
		for n := 0; ; n++ {
			page, err := read(projections.PageRequest{Limit: 7, Cursor: cursor})
			if err != nil {
				t.Fatalf("%s page %d: %v", what, n, err)
			}
			for _, e := range page.Items {
				out = append(out, e.AssetID)
			}
			if cursor = page.NextCursor; cursor == "" {
				return out
			}
		}
	}
	var councils []string
	rows, err := db.SQL.QueryContext(ctx, `SELECT council FROM rm_register GROUP BY council ORDER BY COUNT(*) DESC, council LIMIT 3`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		councils = append(councils, c)
	}
	rows.Close()
	var nonEmpty int
	for _, d := range days {
		ds := d.String()
		for _, c := range councils {
			for _, list := range []projections.List{projections.ListACV, projections.ListUnsuccessful} {
				what := fmt.Sprintf("%s: %s's %s list on %s", built, c, list, ds)
				want := scan(`council = ? AND list = ? AND `+standing, c, string(list), ds, ds)
				got := pages(what, func(pr projections.PageRequest) (projections.Page[projections.RegisterEntry], error) {
					return q.Register(ctx, projections.RegisterQuery{Council: c, List: list, AsOf: d, Today: today, Page: pr})
				})
				if !slices.Equal(got, want) {
					t.Errorf("%s: pages gave %d entries %v, a scan %d %v", what, len(got), got, len(want), want)
				}
				nonEmpty += min(1, len(want))
			}
		}
		what := fmt.Sprintf("%s: national register on %s", built, ds)
		want := scan(`list = 'acv' AND `+standing, ds, ds)
		got := pages(what, func(pr projections.PageRequest) (projections.Page[projections.RegisterEntry], error) {
			return q.National(ctx, projections.SearchQuery{AsOf: d, Today: today, Page: pr})
		})
		if !slices.Equal(got, want) {
			t.Errorf("%s: pages gave %d entries, a scan %d", what, len(got), len(want))
		}
	}
	if nonEmpty < 10 {
		t.Fatalf("%s: only %d of the council lists checked hold entries; the test checks little", built, nonEmpty)
	}

	// The text search: substrings of real names and addresses, of every
	// length, and text that matches nothing.
	var texts []string
	rows, err = db.SQL.QueryContext(ctx, `SELECT name, address FROM rm_register WHERE list = 'acv' ORDER BY asset_id, seq LIMIT 4`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name, address string
		if err := rows.Scan(&name, &address); err != nil {
			t.Fatal(err)
		}
		texts = append(texts, name, name[:min(3, len(name))], address[:min(6, len(address))])
	}
	rows.Close()
	texts = append(texts, "th", "e", "red lion", "the ", "road", "zzqx", `"`, "'s")
	for _, text := range texts {
		for _, d := range []domain.Date{today, domain.NewDate(2019, 6, 30)} {
			what := fmt.Sprintf("%s: search %q on %s", built, text, d)
			want := scan(`list = 'acv' AND `+standing+` AND `+contains, d.String(), d.String(), normalise(text))
			got := pages(what, func(pr projections.PageRequest) (projections.Page[projections.RegisterEntry], error) {
				return q.National(ctx, projections.SearchQuery{Text: text, AsOf: d, Today: today, Page: pr})
			})
			if !slices.Equal(got, want) {
				t.Errorf("%s: pages gave %d entries %v, a scan %d %v", what, len(got), got, len(want), want)
			}
		}
	}
	checkFilterPages(t, db, built, scan, pages)
}

// checkFilterPages compares every page of the national register filtered
// by postcode, outward code, status and bounding box with a full scan
// (scan, the definition: the conditions as they were before the filters
// had indexes) on two days.
func checkFilterPages(t *testing.T, db projections.DB, built string, scan func(string, ...any) []string,
	pages func(string, func(projections.PageRequest) (projections.Page[projections.RegisterEntry], error)) []string) {
	t.Helper()
	ctx := context.Background()
	q := &projections.Queries{DB: db}
	today := domain.NewDate(2026, 12, 1)
	standing := `list = 'acv' AND valid_from <= ? AND (valid_to IS NULL OR valid_to > ?)`
	type filter struct {
		name string
		s    projections.SearchQuery
		cond string // beside standing
		args []any
	}
	var filters []filter
	// Real postcodes and points, of entries standing today and not.
	rows, err := db.SQL.QueryContext(ctx, `SELECT postcode, lat, lon FROM rm_register
		WHERE list = 'acv' AND postcode <> '' AND lat IS NOT NULL ORDER BY asset_id, seq LIMIT 3`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var (
			pc       string
			lat, lon float64
		)
		if err := rows.Scan(&pc, &lat, &lon); err != nil {
			t.Fatal(err)
		}
		out, _, _ := strings.Cut(pc, " ")
		filters = append(filters,
			filter{"postcode " + pc, projections.SearchQuery{Postcode: strings.ToLower(strings.ReplaceAll(pc, " ", ""))}, `postcode = ?`, []any{pc}},
			filter{"outward code " + out, projections.SearchQuery{Postcode: out}, `postcode LIKE ?`, []any{out + " %"}})
		for _, r := range []float64{0, 0.02, 0.3, 2} { // a point, a town, a county, a region
			b := projections.BoundingBox{MinLon: lon - r, MinLat: lat - r, MaxLon: lon + r, MaxLat: lat + r}
			filters = append(filters, filter{fmt.Sprintf("box of %g around %g,%g", r, lat, lon), projections.SearchQuery{BBox: &b},
				`lat BETWEEN ? AND ? AND lon BETWEEN ? AND ?`, []any{b.MinLat, b.MaxLat, b.MinLon, b.MaxLon}})
		}
	}
	rows.Close()
	if len(filters) == 0 {
		t.Fatalf("%s: no entry with a postcode and a point", built)
	}
	england := projections.BoundingBox{MinLon: -6.5, MinLat: 49.8, MaxLon: 2, MaxLat: 55.9}
	filters = append(filters,
		filter{"postcode of no entry", projections.SearchQuery{Postcode: "ZZ9 9ZZ"}, `postcode = ?`, []any{"ZZ9 9ZZ"}},
		filter{"England", projections.SearchQuery{BBox: &england}, `lat BETWEEN ? AND ? AND lon BETWEEN ? AND ?`,
			[]any{england.MinLat, england.MaxLat, england.MinLon, england.MaxLon}},
		filter{"a box at sea", projections.SearchQuery{BBox: &projections.BoundingBox{MinLon: -20, MinLat: 40, MaxLon: -19, MaxLat: 41}},
			`lat BETWEEN 40 AND 41 AND lon BETWEEN -20 AND -19`, nil},
		// too many of SQLite's bands of latitude to seek one by one
		filter{"the globe", projections.SearchQuery{BBox: &projections.BoundingBox{MinLon: -180, MinLat: -90, MaxLon: 180, MaxLat: 90}},
			`lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180`, nil},
		// past the poles: no band bounds it (the API refuses it; Go may ask)
		filter{"past the poles", projections.SearchQuery{BBox: &projections.BoundingBox{MinLon: -2, MinLat: -1e300, MaxLon: 0, MaxLat: 1e300}},
			`lon BETWEEN -2 AND 0`, nil})
	for _, st := range []string{"listed", "removed", "expired", "unsuccessful"} {
		filters = append(filters, filter{"status " + st, projections.SearchQuery{Status: st}, `status = ?`, []any{st}})
	}
	var boxes int
	for _, f := range filters {
		// Each box is read both ways: from the spatial index (the
		// default cap is above the rows of this register) and in list
		// order (a cap of 1).
		qs := []*projections.Queries{q}
		if f.s.BBox != nil {
			qs = append(qs, projections.WithBoxCap(q, 1))
		}
		for _, d := range []domain.Date{today, domain.NewDate(2019, 6, 30)} {
			want := scan(standing+` AND `+f.cond, append([]any{d.String(), d.String()}, f.args...)...)
			for i, q := range qs {
				what := fmt.Sprintf("%s: %s on %s (way %d)", built, f.name, d, i)
				got := pages(what, func(pr projections.PageRequest) (projections.Page[projections.RegisterEntry], error) {
					s := f.s
					s.AsOf, s.Today, s.Page = d, today, pr
					return q.National(ctx, s)
				})
				if !slices.Equal(got, want) {
					t.Errorf("%s: pages gave %d entries %v, a scan %d %v", what, len(got), got, len(want), want)
				}
			}
			if f.s.BBox != nil && len(want) > 0 {
				boxes++
			}
		}
	}
	if boxes < 10 {
		t.Errorf("%s: only %d of the boxes hold entries; the test checks little", built, boxes)
	}
}

// normalise is the text as the search takes it: lower case, one space
// between words.
func normalise(text string) string { return strings.ToLower(strings.Join(strings.Fields(text), " ")) }
