package projections

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/acv-registry/acv/domain"
	"github.com/google/go-cmp/cmp"
)

// The day the fixtures are read on.
var today = day("2024-06-01")

// Councils of the fixtures.
const (
	councilA = "E07000001"
	councilB = "E07000002"
)

// seed writes the fixtures every query test reads:
//
//	a1 A listed: ACV list from 2024-01-10, a new version from 2024-03-01
//	   (notice to sell); full moratorium running; a review decision overdue
//	a2 A nominated: decision due today
//	a3 A not listed: on the unsuccessful list from 2024-02-01
//	a7 A nominated: decision overdue since 2024-05-01
//	a4 B partly listed since 2023-06-01; interim moratorium running
//	a5 B removed: listed 2020-01-01, entry ended 2023-01-01 but still shown
//	a6 B listed since 2024-05-01, no category, no point
func seed(t *testing.T, db DB) {
	t.Helper()
	london := &domain.Point{Lat: 51.501, Lon: -0.142}
	a1v2 := version(ListACV, "2024-03-01", "", "listed", "2024-01-10")
	a1v2.Entry.NotificationToSellDate = day("2024-03-01")
	a5v2 := version(ListACV, "2023-01-01", "", "removed", "2020-01-01")
	a5v2.Entry.EndDate, a5v2.Entry.RemovalDate = day("2023-01-01"), day("2023-01-01")
	fixtures := []fixture{
		{id: "a1", council: councilA, name: "The Red Lion", address: "1 High Street, Anytown", postcode: "SW1A 1AA",
			point: london, category: "pub", status: "listed", decisions: []string{"listed"},
			register: []RegisterVersion{version(ListACV, "2024-01-10", "2024-03-01", "listed", "2024-01-10"), a1v2},
			version:  3,
			deadlines: []Deadline{
				{Name: "decision", Subject: "a1-n1", Start: day("2023-11-15"), End: day("2024-01-10"), Closed: true, Rule: "s.90(6)"},
				{Name: "listing", Subject: "a1-n1", Start: day("2024-01-10"), End: day("2029-01-09"), Rule: "s.87(3)"},
				{Name: "review_decision", Subject: "a1-r1", Start: day("2024-04-01"), End: day("2024-05-27"), Rule: "Regs reg 10"},
				{Name: "interim_moratorium", Subject: "a1-d1", Start: day("2024-03-01"), End: day("2024-04-11"), Rule: "s.95(6)"},
			},
			moratoria: []Moratorium{{NoticeID: "a1-d1", NoticeReceived: day("2024-03-01"), InterimEnd: day("2024-04-11"),
				FullEnd: day("2024-08-31"), ProtectedEnd: day("2025-08-31"), FullMoratorium: true, InterestedGroup: "Friends of the Red Lion"}},
		},
		{id: "a2", council: councilA, name: "Green Fields", address: "Park Road, Anytown", postcode: "SW1 1AB",
			category: "green_space", status: "nominated", decisions: []string{""},
			deadlines: []Deadline{{Name: "decision", Subject: "a2-n1", Start: day("2024-04-06"), End: today, Rule: "s.90(6)"}},
		},
		{id: "a3", council: councilA, name: "Old Library", address: "Library Lane, Anytown", postcode: "B1 1AA",
			point: &domain.Point{Lat: 52.48, Lon: -1.9}, category: "library", status: "not_listed", decisions: []string{"not_listed"},
			register:  []RegisterVersion{version(ListUnsuccessful, "2024-02-01", "", "not_listed", "2024-02-01")},
			deadlines: []Deadline{{Name: "unsuccessful_entry", Subject: "a3-n1", Start: day("2024-02-01"), End: day("2029-01-31"), Rule: "s.93"}},
		},
		{id: "a7", council: councilA, name: "Corner Shop", address: "3 Mill Lane, Anytown", postcode: "SW1A 2BB",
			category: "shop", status: "nominated", decisions: []string{""},
			deadlines: []Deadline{{Name: "decision", Subject: "a7-n1", Start: day("2024-03-06"), End: day("2024-05-01"), Rule: "s.90(6)"}},
		},
		{id: "a4", council: councilB, name: "The Crown", address: "2 Church Street, Othertown", postcode: "M1 2AB",
			point: &domain.Point{Lat: 53.48, Lon: -2.24}, category: "pub", status: "listed", decisions: []string{"partly_listed"},
			register: []RegisterVersion{version(ListACV, "2023-06-01", "", "listed", "2023-06-01")},
			moratoria: []Moratorium{{NoticeID: "a4-d1", NoticeReceived: day("2024-05-20"), InterimEnd: day("2024-07-01"),
				FullEnd: day("2024-11-20"), ProtectedEnd: day("2025-11-20")}},
		},
		{id: "a5", council: councilB, name: "Village Hall", address: "Green Lane, Othertown", postcode: "M2 3CD",
			point: &domain.Point{Lat: 53.47, Lon: -2.25}, category: "community_centre", status: "removed", decisions: []string{"listed"},
			register: []RegisterVersion{version(ListACV, "2020-01-01", "2023-01-01", "listed", "2020-01-01"), a5v2},
		},
		{id: "a6", council: councilB, name: "The 100% Club_House", address: "Back Street, Othertown", postcode: "SW1 1AB",
			status: "listed", decisions: []string{"listed"},
			register: []RegisterVersion{version(ListACV, "2024-05-01", "", "listed", "2024-05-01")},
		},
	}
	rows := make([]AssetRows, len(fixtures))
	for i, f := range fixtures {
		rows[i] = f.rows()
	}
	mustReplace(t, db, rows...)
}

// ids returns the asset ids of register entries.
func ids(entries []RegisterEntry) []string {
	out := []string{}
	for _, e := range entries {
		out = append(out, e.AssetID)
	}
	return out
}

func isValidation(err error, field string) bool {
	var verr *domain.ValidationError
	return errors.As(err, &verr) && verr.Field == field
}

// The writer stores an asset's row, its point NULL when it has none, and
// its nomination counts.
func TestWriteAssetRow(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db DB) {
		seed(t, db)
		a, err := storedAsset(t, db, "a1")
		if err != nil {
			t.Fatalf("a1: %v", err)
		}
		if a.Name != "The Red Lion" || a.Council != councilA || a.Postcode != "SW1A 1AA" || a.Status != "listed" ||
			a.Version != 3 || a.Position != 30 || a.Point == nil || *a.Point != (domain.Point{Lat: 51.501, Lon: -0.142}) ||
			a.Counts != (NominationCounts{Nominations: 1, Listed: 1}) {
			t.Errorf("a1 = %+v", a)
		}
		if a, err := storedAsset(t, db, "a2"); err != nil || a.Point != nil {
			t.Errorf("a2 point = %v, %v; want nil", a.Point, err)
		}
		if _, err := storedAsset(t, db, "nope"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("nope: error = %v, want ErrNotFound", err)
		}
	})
}

func TestQueriesRegisterAsOf(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db DB) {
		seed(t, db)
		q := &Queries{DB: db}
		ctx := context.Background()
		for _, tt := range []struct {
			council string
			list    List
			asOf    string
			want    []string
			notice  bool // a1's entry carries the notice to sell
		}{
			{councilA, ListACV, "2024-01-09", []string{}, false},          // before the first version
			{councilA, ListACV, "2024-01-10", []string{"a1"}, false},      // its first day
			{councilA, ListACV, "2024-02-29", []string{"a1"}, false},      // its last day
			{councilA, ListACV, "2024-03-01", []string{"a1"}, true},       // the next version's first day
			{councilA, ListACV, "", []string{"a1"}, true},                 // today
			{councilA, "", "2030-01-01", []string{"a1"}, true},            // the ACV list by default, still standing
			{councilA, ListUnsuccessful, "", []string{"a3"}, false},       // the other list
			{councilA, ListUnsuccessful, "2024-01-31", []string{}, false}, // before it
			{councilB, ListACV, "", []string{"a5", "a4", "a6"}, false},    // by entry date
			{councilB, ListACV, "2022-12-31", []string{"a5"}, false},      // a5's first version's last day
			{"E09999999", ListACV, "", []string{}, false},                 // a council with nothing
		} {
			rq := RegisterQuery{Council: tt.council, List: tt.list, Today: today}
			if tt.asOf != "" {
				rq.AsOf = day(tt.asOf)
			}
			page, err := q.Register(ctx, rq)
			if err != nil {
				t.Fatalf("Register(%s %s as of %q): %v", tt.council, tt.list, tt.asOf, err)
			}
			if got := ids(page.Items); !slices.Equal(got, tt.want) || page.NextCursor != "" {
				t.Errorf("Register(%s %s as of %q) = %v (next %q), want %v", tt.council, tt.list, tt.asOf, got, page.NextCursor, tt.want)
			}
			for _, e := range page.Items {
				if e.AssetID == "a1" && e.NotificationToSellDate.IsZero() == tt.notice {
					t.Errorf("Register(%s as of %q): a1's notification_to_sell_date = %q, want set %v", tt.council, tt.asOf, e.NotificationToSellDate, tt.notice)
				}
			}
		}
		if _, err := q.Register(ctx, RegisterQuery{Council: councilA, List: "other", Today: today}); !isValidation(err, "list") {
			t.Errorf("Register(list other) error = %v, want a ValidationError on list", err)
		}
	})
}

// pagedEntries writes n assets on one council's list, with ties in entry
// date and reference and an ended version each, and returns their ids in
// list order.
func pagedEntries(t *testing.T, db DB, council string, n int) []string {
	t.Helper()
	var rows []AssetRows
	type key struct{ entered, ref, id string }
	var keys []key
	for i := range n {
		id := fmt.Sprintf("p%03d", (i*37)%n) // ids not in list order
		entered := fmt.Sprintf("2024-01-%02d", 1+i%3)
		ref := fmt.Sprintf("R%d", i%4)
		v1 := version(ListACV, "2023-01-01", entered, "listed", "2023-01-01")
		v2 := version(ListACV, entered, "", "listed", entered)
		v1.Entry.Reference, v2.Entry.Reference = ref, ref
		rows = append(rows, fixture{id: id, council: council, name: "Asset " + id, postcode: "SW1A 1AA",
			status: "listed", register: []RegisterVersion{v1, v2}}.rows())
		keys = append(keys, key{entered, ref, id})
	}
	mustReplace(t, db, rows...)
	slices.SortFunc(keys, func(a, b key) int {
		if c := cmpString(a.entered, b.entered); c != 0 {
			return c
		}
		if c := cmpString(a.ref, b.ref); c != 0 {
			return c
		}
		return cmpString(a.id, b.id)
	})
	var out []string
	for _, k := range keys {
		out = append(out, k.id)
	}
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestQueriesRegisterPagination(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db DB) {
		want := pagedEntries(t, db, "E06000001", 25)
		q := &Queries{DB: db}
		ctx := context.Background()
		for _, limit := range []int{1, 7, 25, 0} {
			var got []string
			cursor, pages := "", 0
			for {
				page, err := q.Register(ctx, RegisterQuery{Council: "E06000001", Today: today, Page: PageRequest{Limit: limit, Cursor: cursor}})
				if err != nil {
					t.Fatalf("limit %d page %d: %v", limit, pages, err)
				}
				pages++
				got = append(got, ids(page.Items)...)
				if page.NextCursor == "" {
					break
				}
				if len(page.Items) != limit {
					t.Errorf("limit %d: a page with a next cursor has %d items", limit, len(page.Items))
				}
				cursor = page.NextCursor
			}
			if !slices.Equal(got, want) {
				t.Errorf("limit %d: pages gave %v, want %v", limit, got, want)
			}
			if wantPages := max(1, (25+limit-1)/max(limit, 1)); limit > 0 && pages != wantPages {
				t.Errorf("limit %d: %d pages, want %d", limit, pages, wantPages)
			}
		}
		// The national register pages the same way.
		var got []string
		cursor := ""
		for {
			page, err := q.National(ctx, SearchQuery{Today: today, Page: PageRequest{Limit: 10, Cursor: cursor}})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ids(page.Items)...)
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("national pages gave %v, want %v", got, want)
		}
	})
}

func TestQueriesBadCursor(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db DB) {
		seed(t, db)
		q := &Queries{DB: db}
		ctx := context.Background()
		deadlines, err := q.Deadlines(ctx, councilA, today, PageRequest{Limit: 1})
		if err != nil || deadlines.NextCursor == "" {
			t.Fatalf("Deadlines: %v, next %q", err, deadlines.NextCursor)
		}
		for _, c := range []string{"garbage!", "bm90IGpzb24", cursor{Kind: cursorRegister}.String(), deadlines.NextCursor} {
			_, err := q.Register(ctx, RegisterQuery{Council: councilA, Today: today, Page: PageRequest{Cursor: c}})
			if !isValidation(err, "cursor") {
				t.Errorf("Register(cursor %q) error = %v, want a ValidationError on cursor", c, err)
			}
			if _, err := q.National(ctx, SearchQuery{Today: today, Page: PageRequest{Cursor: c}}); !isValidation(err, "cursor") {
				t.Errorf("National(cursor %q) error = %v, want a ValidationError on cursor", c, err)
			}
			if _, err := q.Moratoria(ctx, "", today, PageRequest{Cursor: c}); !isValidation(err, "cursor") {
				t.Errorf("Moratoria(cursor %q) error = %v, want a ValidationError on cursor", c, err)
			}
		}
		if _, err := q.Deadlines(ctx, councilA, today, PageRequest{Cursor: "garbage"}); !isValidation(err, "cursor") {
			t.Errorf("Deadlines(bad cursor) error = %v, want a ValidationError on cursor", err)
		}
	})
}

func TestQueriesPageLimit(t *testing.T) {
	for in, want := range map[int]int{-1: 100, 0: 100, 1: 1, 1000: 1000, 1001: 1000} {
		if got := pageLimit(PageRequest{Limit: in}); got != want {
			t.Errorf("pageLimit(%d) = %d, want %d", in, got, want)
		}
	}
}

func TestQueriesNationalSearch(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db DB) {
		seed(t, db)
		q := &Queries{DB: db}
		ctx := context.Background()
		for _, tt := range []struct {
			name string
			q    SearchQuery
			want []string
		}{
			{"everything on the ACV lists", SearchQuery{}, []string{"a5", "a4", "a1", "a6"}},
			{"as of a past day", SearchQuery{AsOf: day("2024-01-09")}, []string{"a5", "a4"}},
			{"as of a version's first day", SearchQuery{AsOf: day("2024-01-10")}, []string{"a5", "a4", "a1"}},
			{"council", SearchQuery{Council: councilB}, []string{"a5", "a4", "a6"}},
			{"status", SearchQuery{Status: "removed"}, []string{"a5"}},
			{"status listed", SearchQuery{Status: "listed"}, []string{"a4", "a1", "a6"}},
			{"text in name, any case", SearchQuery{Text: "  red LION "}, []string{"a1"}},
			{"text in address", SearchQuery{Text: "church street"}, []string{"a4"}},
			{"text spanning name and address", SearchQuery{Text: "lion 1 high"}, []string{}},
			{"percent is literal", SearchQuery{Text: "%"}, []string{"a6"}},
			{"underscore is literal", SearchQuery{Text: "_"}, []string{"a6"}},
			{"backslash is literal", SearchQuery{Text: `\`}, []string{}},
			{"full postcode", SearchQuery{Postcode: "sw1a1aa"}, []string{"a1"}},
			{"full postcode spaced", SearchQuery{Postcode: " SW1A  1AA"}, []string{"a1"}},
			{"outward code", SearchQuery{Postcode: "sw1a"}, []string{"a1"}},
			{"shorter outward code", SearchQuery{Postcode: "SW1"}, []string{"a6"}},
			{"outward code of the unsuccessful list only", SearchQuery{Postcode: "B1"}, []string{}},
			{"bbox", SearchQuery{BBox: &BoundingBox{MinLon: -0.5, MinLat: 51.3, MaxLon: 0.3, MaxLat: 51.7}}, []string{"a1"}},
			{"bbox edge", SearchQuery{BBox: &BoundingBox{MinLon: -2.24, MinLat: 53.48, MaxLon: -2.24, MaxLat: 53.48}}, []string{"a4"}},
			{"bbox north", SearchQuery{BBox: &BoundingBox{MinLon: -3, MinLat: 53, MaxLon: 0, MaxLat: 54}}, []string{"a5", "a4"}},
			{"bbox of the world leaves out entries without a point", SearchQuery{BBox: &BoundingBox{MinLon: -180, MinLat: -90, MaxLon: 180, MaxLat: 90}},
				[]string{"a5", "a4", "a1"}},
			{"bbox and status", SearchQuery{Status: "listed", BBox: &BoundingBox{MinLon: -3, MinLat: 53, MaxLon: 0, MaxLat: 54}}, []string{"a4"}},
			{"all together", SearchQuery{Council: councilB, Status: "listed", Text: "crown", Postcode: "M1",
				BBox: &BoundingBox{MinLon: -3, MinLat: 53, MaxLon: 0, MaxLat: 54}}, []string{"a4"}},
		} {
			tt.q.Today = today
			// A box is read from its spatial index when it holds few
			// entries, in list order otherwise (a cap of 1): the same.
			for _, q := range []*Queries{q, WithBoxCap(q, 1)} {
				page, err := q.National(ctx, tt.q)
				if err != nil {
					t.Errorf("%s: %v", tt.name, err)
					continue
				}
				if got := ids(page.Items); !slices.Equal(got, tt.want) {
					t.Errorf("%s (box cap %d): got %v, want %v", tt.name, q.boxCap, got, tt.want)
				}
			}
		}
		for _, pc := range []string{"!!", "1AA", "SW1A 1", "TOOLONG 1AA"} {
			if _, err := q.National(ctx, SearchQuery{Today: today, Postcode: pc}); !isValidation(err, "postcode") {
				t.Errorf("postcode %q: error %v, want a ValidationError on postcode", pc, err)
			}
		}
		if _, err := q.National(ctx, SearchQuery{Today: today, BBox: &BoundingBox{MinLon: 1, MaxLon: 0}}); !isValidation(err, "bbox") {
			t.Errorf("inverted bbox: error %v, want a ValidationError on bbox", err)
		}
	})
}

func TestQueriesDeadlines(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db DB) {
		seed(t, db)
		q := &Queries{DB: db}
		ctx := context.Background()
		page, err := q.Deadlines(ctx, councilA, today, PageRequest{})
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			Asset, Name, Status string
			Days                int
			AssetName           string
		}
		var got []row
		for _, d := range page.Items {
			got = append(got, row{d.AssetID, d.Name, d.Status, d.DaysLeft, d.AssetName})
		}
		// Closed clocks and a moratorium past its end are left out.
		want := []row{
			{"a7", "decision", "overdue", -31, "Corner Shop"},
			{"a1", "review_decision", "overdue", -5, "The Red Lion"},
			{"a2", "decision", "due", 0, "Green Fields"},
			{"a1", "listing", "running", 1683, "The Red Lion"},
			{"a3", "unsuccessful_entry", "running", 1705, "Old Library"},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Deadlines(A) (-want +got):\n%s", diff)
		}
		if d := page.Items[2]; d.Council != councilA || d.Subject != "a2-n1" || d.Start != day("2024-04-06") ||
			d.End != today || d.Rule != "s.90(6)" || d.Closed {
			t.Errorf("Deadlines(A)[2] = %+v", d)
		}
		// Pages of two.
		var paged []string
		cursor := ""
		for {
			p, err := q.Deadlines(ctx, councilA, today, PageRequest{Limit: 2, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range p.Items {
				paged = append(paged, d.AssetID+"/"+d.Name)
			}
			if cursor = p.NextCursor; cursor == "" {
				break
			}
		}
		if want := []string{"a7/decision", "a1/review_decision", "a2/decision", "a1/listing", "a3/unsuccessful_entry"}; !slices.Equal(paged, want) {
			t.Errorf("Deadlines(A) in pages of 2 = %v, want %v", paged, want)
		}
		if p, err := q.Deadlines(ctx, "E09999999", today, PageRequest{}); err != nil || len(p.Items) != 0 {
			t.Errorf("Deadlines(unknown council) = %v, %v; want empty", p.Items, err)
		}
	})
}

// The status of one clock on the days around its end.
func TestQueriesDeadlineBoundaries(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db DB) {
		end := day("2024-02-29")
		mustReplace(t, db, fixture{id: "b1", council: "E1", name: "B", deadlines: []Deadline{
			{Name: "decision", Subject: "n1", Start: day("2024-01-04"), End: end},
			{Name: "appeal", Subject: "r1", Start: day("2024-01-04"), End: end},
		}}.rows())
		q := &Queries{DB: db}
		for _, tt := range []struct {
			on   domain.Date
			want []string // decision, then appeal when listed
		}{
			{end.AddDays(-1), []string{"decision running 1", "appeal running 1"}},
			{end, []string{"decision due 0", "appeal due 0"}},
			{end.AddDays(1), []string{"decision overdue -1"}}, // the appeal window has ended
			{end.AddDays(400), []string{"decision overdue -400"}},
		} {
			p, err := q.Deadlines(context.Background(), "E1", tt.on, PageRequest{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range p.Items {
				got = append(got, fmt.Sprintf("%s %s %d", d.Name, d.Status, d.DaysLeft))
			}
			slices.Sort(got)
			slices.Sort(tt.want)
			if !slices.Equal(got, tt.want) {
				t.Errorf("on %s: %v, want %v", tt.on, got, tt.want)
			}
		}
	})
}

func TestQueriesMoratoriumPhases(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db DB) {
		interim, full, protected := day("2024-04-11"), day("2024-08-31"), day("2025-08-31")
		m := Moratorium{NoticeID: "d1", NoticeReceived: day("2024-03-01"), InterimEnd: interim, FullEnd: full, ProtectedEnd: protected}
		withFull := m
		withFull.NoticeID, withFull.FullMoratorium, withFull.InterestedGroup = "d2", true, "Friends"
		mustReplace(t, db,
			fixture{id: "m1", council: "E1", name: "No group", moratoria: []Moratorium{m}}.rows(),
			fixture{id: "m2", council: "E1", name: "With group", moratoria: []Moratorium{withFull}}.rows())
		q := &Queries{DB: db}
		for _, tt := range []struct {
			on     domain.Date
			m1, m2 string // the phase of each
		}{
			{day("2024-03-01"), PhaseInterim, PhaseInterim},
			{interim, PhaseInterim, PhaseInterim}, // the interim moratorium's last day
			{interim.AddDays(1), PhaseProtected, PhaseFull},
			{full, PhaseProtected, PhaseFull},
			{full.AddDays(1), PhaseProtected, PhaseProtected},
			{protected, PhaseProtected, PhaseProtected},
			{protected.AddDays(1), PhaseEnded, PhaseEnded},
		} {
			for _, phase := range []string{PhaseInterim, PhaseFull, PhaseProtected, PhaseEnded, ""} {
				p, err := q.Moratoria(context.Background(), phase, tt.on, PageRequest{})
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, m := range p.Items {
					got = append(got, m.AssetID)
				}
				want := []string{}
				for id, ph := range map[string]string{"m1": tt.m1, "m2": tt.m2} {
					if phase == "" || ph == phase {
						want = append(want, id)
					}
				}
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("on %s, phase %q: %v, want %v", tt.on, phase, got, want)
				}
			}
		}
		p, err := q.Moratoria(context.Background(), PhaseFull, full, PageRequest{})
		if err != nil || len(p.Items) != 1 {
			t.Fatalf("Moratoria(full) = %v, %v", p.Items, err)
		}
		want := withFull
		want.AssetID, want.Council = "m2", "E1"
		if diff := cmp.Diff(want, p.Items[0]); diff != "" {
			t.Errorf("Moratoria(full)[0] (-want +got):\n%s", diff)
		}
		if _, err := q.Moratoria(context.Background(), "running", full, PageRequest{}); !isValidation(err, "status") {
			t.Errorf("Moratoria(running) error = %v, want a ValidationError on status", err)
		}
	})
}

func TestQueriesMoratoriaOrderAndPages(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db DB) {
		seed(t, db)
		q := &Queries{DB: db}
		var got []string
		cursor := ""
		for {
			p, err := q.Moratoria(context.Background(), "", today, PageRequest{Limit: 1, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range p.Items {
				got = append(got, m.NoticeID)
			}
			if cursor = p.NextCursor; cursor == "" {
				break
			}
		}
		if want := []string{"a4-d1", "a1-d1"}; !slices.Equal(got, want) {
			t.Errorf("Moratoria pages = %v, want %v (latest notice first)", got, want)
		}
	})
}

func TestQueriesStats(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db DB) {
		seed(t, db)
		q := &Queries{DB: db}
		ctx := context.Background()
		a := CouncilStats{Council: councilA, Listed: 1, Unsuccessful: 1, Nominations: 4, Pending: 2, Overdue: 1,
			Outcomes:         map[string]int{"listed": 1, "partly_listed": 0, "not_listed": 1},
			MoratoriaInterim: 0, MoratoriaFull: 1, MoratoriaTotal: 1, FullMoratoriaTotal: 1,
			Categories: map[string]int{"pub": 1}}
		b := CouncilStats{Council: councilB, Listed: 2, Unsuccessful: 0, Nominations: 3, Pending: 0, Overdue: 0,
			Outcomes:         map[string]int{"listed": 2, "partly_listed": 1, "not_listed": 0},
			MoratoriaInterim: 1, MoratoriaFull: 0, MoratoriaTotal: 1, FullMoratoriaTotal: 0,
			Categories: map[string]int{"pub": 1, "uncategorised": 1}}
		national := CouncilStats{Listed: 3, Unsuccessful: 1, Nominations: 7, Pending: 2, Overdue: 1,
			Outcomes:         map[string]int{"listed": 3, "partly_listed": 1, "not_listed": 1},
			MoratoriaInterim: 1, MoratoriaFull: 1, MoratoriaTotal: 2, FullMoratoriaTotal: 1,
			Categories: map[string]int{"pub": 2, "uncategorised": 1}}

		got, err := q.Council(ctx, councilA, today)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(a, got); diff != "" {
			t.Errorf("Council(A) (-want +got):\n%s", diff)
		}
		all, err := q.Councils(ctx, today)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]CouncilStats{a, b}, all); diff != "" {
			t.Errorf("Councils() (-want +got):\n%s", diff)
		}
		stats, err := q.Stats(ctx, today)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(Stats{National: national, Councils: []CouncilStats{a, b}}, stats); diff != "" {
			t.Errorf("Stats() (-want +got):\n%s", diff)
		}
		// On earlier days: a1 not yet listed, a3 not yet on the other list,
		// no decision overdue yet, a1's notice not yet given; a5 still on
		// the list and a4 not yet.
		got, err = q.Council(ctx, councilA, day("2024-01-09"))
		if err != nil {
			t.Fatal(err)
		}
		a.Listed, a.Unsuccessful, a.Overdue, a.MoratoriaFull, a.Categories = 0, 0, 0, 0, map[string]int{}
		if diff := cmp.Diff(a, got); diff != "" {
			t.Errorf("Council(A) on 2024-01-09 (-want +got):\n%s", diff)
		}
		got, err = q.Council(ctx, councilB, day("2022-12-31"))
		if err != nil || got.Listed != 1 || !maps.Equal(got.Categories, map[string]int{"community_centre": 1}) {
			t.Errorf("Council(B) on 2022-12-31: listed %d, categories %v (%v); want a5 alone", got.Listed, got.Categories, err)
		}

		if _, err := q.Council(ctx, "E09999999", today); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("Council(unknown) error = %v, want ErrNotFound", err)
		}
	})
}

func TestQueriesCheckpoint(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db DB) {
		q := &Queries{DB: db}
		ctx := context.Background()
		if cp, err := q.Checkpoint(ctx); err != nil || cp != 0 {
			t.Errorf("Checkpoint() before any = %d, %v; want 0", cp, err)
		}
		for _, pos := range []int64{42, 7_000_000_000} {
			tx, err := db.SQL.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			setCheckpoint(t, tx, db.Dialect, pos)
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			if cp, err := q.Checkpoint(ctx); err != nil || cp != pos {
				t.Errorf("Checkpoint() = %d, %v; want %d", cp, err, pos)
			}
		}
	})
}
