package projections

import (
	stdcmp "cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/acv-registry/acv/domain"
	"github.com/google/go-cmp/cmp"
)

// TestContributions: the deltas one asset adds to the statistics, rule by
// rule (docs: /work/shared/domain-rules.md).
func TestContributions(t *testing.T) {
	const council = "E07000228"
	c := func(metric, day string, n int64) contribution {
		return contribution{council: council, metric: metric, day: day, n: n}
	}
	base := func(more ...contribution) []contribution {
		return append([]contribution{c(metricAssets, "", 1)}, more...)
	}
	for _, tt := range []struct {
		name string
		rows AssetRows
		noms NominationCounts
		want []contribution
	}{
		{"an asset counts its council known, its nominations and outcomes on every day",
			AssetRows{}, NominationCounts{Nominations: 2, Listed: 1, NotListed: 1},
			base(c(metricDecided+"listed", "", 1), c(metricDecided+"not_listed", "", 1), c(metricNominations, "", 2))},
		// The list, s.87(3): an entry lasts 5 years beginning with the
		// date of entry, so 1 March 2019's ends with 28 February 2024 and
		// is off the list on its end date, 1 March 2024.
		{"a listing is on the list from its entry to its end date",
			AssetRows{Asset: AssetRow{Category: "pub"}, Register: []RegisterVersion{
				{List: ListACV, ValidFrom: day("2019-03-01"), Entry: RegisterEntry{EntryDate: day("2019-03-01"), EndDate: day("2024-03-01")}},
			}}, NominationCounts{},
			base(c(metricCategory+"pub", "2019-03-01", 1), c(metricCategory+"pub", "2024-03-01", -1),
				c(metricList+"acv", "2019-03-01", 1), c(metricList+"acv", "2024-03-01", -1))},
		// A change to the entry closes one version and opens the next: the
		// entry counts once a day by list, and the asset once a day by
		// category; removal (s.92, reg 2) is the end date.
		{"versions of one entry, removed early; no category",
			AssetRows{Register: []RegisterVersion{
				{List: ListACV, ValidFrom: day("2019-03-01"), ValidTo: day("2020-05-01"), Entry: RegisterEntry{EndDate: day("2024-03-01")}},
				{List: ListACV, ValidFrom: day("2020-05-01"), Entry: RegisterEntry{EndDate: day("2021-01-10")}},
				{List: ListUnsuccessful, ValidFrom: day("2018-01-01"), ValidTo: day("2018-06-01")},
			}}, NominationCounts{},
			base(c(metricCategory+uncategorised, "2019-03-01", 1), c(metricCategory+uncategorised, "2021-01-10", -1),
				c(metricList+"acv", "2019-03-01", 1), c(metricList+"acv", "2021-01-10", -1),
				c(metricList+"unsuccessful", "2018-01-01", 1), c(metricList+"unsuccessful", "2018-06-01", -1))},
		{"a version that ends before it starts counts on no day",
			AssetRows{Register: []RegisterVersion{
				{List: ListACV, ValidFrom: day("2020-05-01"), Entry: RegisterEntry{EndDate: day("2020-05-01")}},
			}}, NominationCounts{}, base()},
		// Decision, reg 7: 8 weeks beginning with receipt; missing it
		// makes the nomination overdue from the day after the last day.
		{"an open decision clock is pending, overdue after its end",
			AssetRows{Deadlines: []Deadline{
				{Name: string(domain.ClockDecision), Start: day("2026-03-01"), End: day("2026-04-25")},
				{Name: string(domain.ClockDecision), Start: day("2025-03-01"), End: day("2025-04-25"), Closed: true},
				{Name: string(domain.ClockReviewDecision), Start: day("2026-03-01"), End: day("2026-04-25")},
			}}, NominationCounts{},
			base(c(metricOverdue, "2026-04-26", 1), c(metricPending, "", 1))},
		// Moratorium, s.95: the interim (6 weeks) and the full (6 months)
		// both begin with the day the notice is received: 1 March 2026's
		// interim ends with 11 April, its full moratorium with 31 August.
		{"an interim moratorium only",
			AssetRows{Moratoria: []Moratorium{{NoticeReceived: day("2026-03-01"), InterimEnd: day("2026-04-11"),
				FullEnd: day("2026-08-31"), ProtectedEnd: day("2027-08-31")}}}, NominationCounts{},
			base(c(metricInterim, "2026-03-01", 1), c(metricInterim, "2026-04-12", -1), c(metricMoratoria, "", 1))},
		{"a full moratorium runs after the interim to its end",
			AssetRows{Moratoria: []Moratorium{{Council: "E06000001", NoticeReceived: day("2026-03-01"), InterimEnd: day("2026-04-11"),
				FullEnd: day("2026-08-31"), FullMoratorium: true}}}, NominationCounts{},
			append(base(), []contribution{
				{"E06000001", metricFull, "2026-04-12", 1}, {"E06000001", metricFull, "2026-09-01", -1},
				{"E06000001", metricFullMoratoria, "", 1},
				{"E06000001", metricInterim, "2026-03-01", 1}, {"E06000001", metricInterim, "2026-04-12", -1},
				{"E06000001", metricMoratoria, "", 1},
			}...)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.rows.Asset.Council, tt.rows.Asset.Counts = council, tt.noms
			got := contributions(&tt.rows)
			if diff := cmp.Diff(mergeContributions(tt.want), got, cmp.AllowUnexported(contribution{})); diff != "" {
				t.Errorf("contributions (-want +got):\n%s", diff)
			}
			// What is stored reads back as it was.
			d, back := countDeltas{}, countDeltas{}
			for _, x := range got {
				d.add(x, 1)
			}
			if err := decodeContributions(encodeContributions(got), 1, back); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(d, back, cmp.AllowUnexported(countKey{})); diff != "" {
				t.Errorf("decoded (-encoded +decoded):\n%s", diff)
			}
		})
	}
}

func TestContributionsEncodeOddNames(t *testing.T) {
	cs := []contribution{{council: "E1", metric: "category:a\tb\n", day: "2020-01-01", n: -3}, {council: `"q`, metric: "m", n: 1}}
	d := countDeltas{}
	if err := decodeContributions(encodeContributions(cs), 1, d); err != nil {
		t.Fatal(err)
	}
	if d[countKey{"D2020-01-01", "E1", "category:a\tb\n"}] != -3 || d[countKey{"Y0000", `"q`, "m"}] != 1 {
		t.Errorf("decoded %v", d)
	}
}

// TestStatsQueryPlans: the statistics read rm_counts by ranges of an
// index (its key for every council; for one, its council index, which
// holds the years and months alone, and the day buckets sought in the
// key), and nothing else: no scan of rm_counts, and no read of the
// register.
func TestStatsQueryPlans(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db DB) {
		var rows []AssetRows
		for i := range 3_000 {
			entered := fmt.Sprintf("%d-%02d-%02d", 2013+i%12, 1+i%12, 1+i%28)
			ended := fmt.Sprintf("%d-%02d-%02d", 2018+i%12, 1+i%12, 1+i%28)
			rows = append(rows, fixture{id: fmt.Sprintf("m%05d", i), council: fmt.Sprintf("E060000%02d", i%40),
				name: fmt.Sprintf("Asset %d", i), status: "listed",
				register: []RegisterVersion{version(ListACV, entered, ended, "listed", entered)}}.rows())
		}
		mustReplace(t, db, rows...)
		if _, err := db.SQL.Exec(`ANALYZE`); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name, council, index string
		}{
			{"every council", "", "rm_counts_pkey"},
			{"one council", "E06000007", "rm_counts_council"},
		} {
			query, args := statsSQL(day("2019-06-30"), tt.council)
			settings := []string{"enable_seqscan = off", "enable_bitmapscan = off"}
			plan := explain(t, db, settings, query, args...)
			if db.Dialect == Postgres {
				plan += "\n" + explainGeneric(t, db, append(settings, "plan_cache_mode = force_generic_plan"), query, args...)
			}
			bad := func(why string) { t.Errorf("%s: %s; plan:\n%s\nquery: %s", tt.name, why, plan, query) }
			if strings.Contains(plan, "rm_register") || strings.Contains(plan, "rm_assets") {
				bad("it reads the asset tables")
			}
			if strings.Contains(plan, "Seq Scan") || sqliteScans(plan, tableCounts) {
				bad("rm_counts is scanned")
			}
			// SQLite: SEARCH rm_counts USING (COVERING) INDEX / PRIMARY KEY
			// (bucket>? AND bucket<?); PostgreSQL: Index Cond on bucket.
			// One council's days: (bucket=? AND council=?), bucket = ANY.
			want := 3
			if tt.council != "" {
				want = 2
				if days := map[Dialect]string{SQLite: "(bucket=? AND council=?)", Postgres: "bucket = ANY"}[db.Dialect]; !strings.Contains(plan, days) {
					bad("the days are not sought in the key")
				}
			}
			if n := strings.Count(plan, "bucket>? AND bucket<?"); db.Dialect == SQLite && n < want {
				bad(fmt.Sprintf("%d of the %d ranges are index ranges", n, want))
			}
			if db.Dialect == Postgres {
				if n := countIndexConds(plan, "bucket >="); n < 2*want {
					bad(fmt.Sprintf("%d of the %d ranges (%d by 2 plans) are index ranges", n, 2*want, want))
				}
				if tt.index == "rm_counts_council" && !strings.Contains(plan, tt.index) {
					bad("one council is not read from " + tt.index)
				}
			}
			if db.Dialect == SQLite && tt.council != "" && !strings.Contains(plan, "rm_counts_council") {
				bad("one council is not read from rm_counts_council")
			}
		}
	})
}

// countIndexConds counts the Index Cond lines of a PostgreSQL plan that
// hold s.
func countIndexConds(plan, s string) int {
	n := 0
	for _, line := range strings.Split(plan, "\n") {
		if strings.Contains(line, "Index Cond:") && strings.Contains(line, s) {
			n++
		}
	}
	return n
}

// TestWriteCountsFollowTheRows: replacing an asset's rows replaces its
// contributions to rm_counts; the table holds exactly the sums of the
// assets' contributions now (no zero rows), as a rebuild writes it.
func TestWriteCountsFollowTheRows(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db DB) {
		ctx := context.Background()
		a1, a2 := richAsset("a1", "E1", 4), richAsset("a2", "E2", 2)
		mustReplace(t, db, a1, a2)
		short := richAsset("a1", "E1", 1)
		short.Register, short.Deadlines, short.Moratoria = short.Register[:1], nil, nil
		mustReplace(t, db, short)
		mustReplace(t, db, short, a2) // again: nothing changes

		want := countDeltas{}
		for _, r := range []AssetRows{short, a2} {
			for _, x := range contributions(&r) {
				want.add(x, 1)
			}
		}
		for k, n := range want {
			if n == 0 {
				delete(want, k)
			}
		}
		got := countDeltas{}
		rows, err := db.SQL.QueryContext(ctx, `SELECT bucket, council, metric, n FROM rm_counts`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var k countKey
			var n int64
			if err := rows.Scan(&k.bucket, &k.council, &k.metric, &n); err != nil {
				t.Fatal(err)
			}
			got[k] = n
		}
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(countKey{})); diff != "" {
			t.Errorf("rm_counts (-sums of contributions +table):\n%s", diff)
		}
		if len(got) == 0 {
			t.Error("rm_counts is empty")
		}
	})
}

// TestSortedCountsAreTheBuckets: the rows a rebuild writes into rm_counts
// are, in the table's key order (bucket, council, metric, as strings
// sort), one day bucket per non-zero sum and the non-zero month and year
// sums of the days; the earliest day's buckets are 0000-00-00, 0000-00
// and 0000, before every other.
func TestSortedCountsAreTheBuckets(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	councils := []string{"E06000034", "E07000001", "E09000033", "W06000001", "a", "Z"}
	metrics := []string{metricAssets, metricNominations, metricList + "full", metricPending, metricOverdue, metricFull, metricInterim}
	days := []string{earliestDay, "2012-09-21", "2012-09-30", "2012-10-01", "2019-06-30", "2019-12-31", "2020-01-01", "2026-02-28"}
	sums := newCountSums()
	added := map[contribution]int64{} // the sums, by the contribution without its n
	for range 2000 {
		c := contribution{council: councils[r.IntN(len(councils))], metric: metrics[r.IntN(len(metrics))], day: days[r.IntN(len(days))],
			n: int64(r.IntN(5) - 2)} // zeros too, and sums that cancel
		sums.add([][]contribution{{c}})
		n := c.n
		c.n = 0
		added[c] += n
	}
	type row struct {
		bucket, council, metric string
		n                       int64
	}
	want := map[[3]string]int64{}
	for c, n := range added {
		day := c.day
		if day == earliestDay {
			day = earliestBucketDay
		}
		if n != 0 {
			want[[3]string{"D" + day, c.council, c.metric}] += n
		}
		want[[3]string{"M" + day[:7], c.council, c.metric}] += n
		want[[3]string{"Y" + day[:4], c.council, c.metric}] += n
	}
	var wantRows []row
	for k, n := range want {
		if n != 0 {
			wantRows = append(wantRows, row{k[0], k[1], k[2], n})
		}
	}
	slices.SortFunc(wantRows, func(a, b row) int {
		return stdcmp.Or(strings.Compare(a.bucket, b.bucket), strings.Compare(a.council, b.council), strings.Compare(a.metric, b.metric))
	})

	rows, names, err := sortedCounts(sums)
	if err != nil {
		t.Fatal(err)
	}
	var got []row
	for _, r := range rows {
		bucket, council, metric := names.row(r.key)
		got = append(got, row{bucket, council, metric, r.n})
	}
	if diff := cmp.Diff(wantRows, got, cmp.AllowUnexported(row{})); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if len(got) < 100 || got[0].bucket != "D0000-00-00" {
		t.Fatalf("%d rows, first %v: the test's sums are not what it means to test", len(got), got[0])
	}

	bad := newCountSums()
	bad.add([][]contribution{{{council: "c", metric: "m", day: "2019-06-01", n: 1}, {council: "c", metric: "m", day: "2019-0x-01", n: 1}}})
	if _, _, err := sortedCounts(bad); err == nil {
		t.Error("a day that is not YYYY-MM-DD was counted")
	}
}
