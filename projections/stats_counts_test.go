package projections_test

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/internal/generate"
	"github.com/acv-registry/acv/projections"
	"github.com/google/go-cmp/cmp"
)

// TestStatsOfANationalLog: on a generated national history, the figures
// read from the running sums of rm_counts are exactly those of the plain
// definition - aggregates over the whole of rm_assets, rm_register,
// rm_deadlines and rm_moratoria, the queries the statistics ran before
// (scanStats) - for every council and nationally, on a day of every half
// year from 2012 to 2026 and on the days either side of entries' ends,
// interim and full moratoria's ends, notices and decision dates; with the
// read models built by following the log (the sums kept up asset by asset)
// and then by a rebuild (the sums added up at once), on both backends.
func TestStatsOfANationalLog(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st stack) {
		ctx := context.Background()
		p := projections.NewProjector(st.store, st.db, domain.DefaultRegimes(), slog.New(slog.DiscardHandler))
		if err := p.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := generate.Run(ctx, st.store, generate.Options{Seed: 11, Scale: 0.06}); err != nil {
			t.Fatal(err)
		}
		drain(t, st, p, 500)
		checkStats(t, st.db, "following")
		if _, err := projections.Rebuild(ctx, st.store, st.db, domain.DefaultRegimes(), nil); err != nil {
			t.Fatal(err)
		}
		checkStats(t, st.db, "rebuilt")
	})
}

// checkStats compares the statistics with scanStats on many days.
func checkStats(t *testing.T, db projections.DB, built string) {
	t.Helper()
	ctx := context.Background()
	q := &projections.Queries{DB: db}
	days := statsDays(t, db)
	if len(days) < 60 {
		t.Fatalf("only %d days to compare on", len(days))
	}
	busy := 0 // days with a moratorium running somewhere: the test must reach them
	for _, d := range days {
		want := scanStats(t, db, d)
		got, err := q.Councils(ctx, d)
		if err != nil {
			t.Fatalf("%s: Councils(%s): %v", built, d, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("%s: Councils(%s) (-scan +counts):\n%s", built, d, diff)
		}
		stats, err := q.Stats(ctx, d)
		if err != nil {
			t.Fatalf("%s: Stats(%s): %v", built, d, err)
		}
		national := sumStats(want)
		if diff := cmp.Diff(national, stats.National); diff != "" {
			t.Errorf("%s: Stats(%s).National (-scan +counts):\n%s", built, d, diff)
		}
		if national.MoratoriaInterim+national.MoratoriaFull > 0 {
			busy++
		}
		// One council at a time: the council index's ranges.
		for i := 0; i < len(want); i += max(1, len(want)/3) {
			one, err := q.Council(ctx, want[i].Council, d)
			if err != nil {
				t.Fatalf("%s: Council(%s, %s): %v", built, want[i].Council, d, err)
			}
			if diff := cmp.Diff(want[i], one); diff != "" {
				t.Errorf("%s: Council(%s, %s) (-scan +counts):\n%s", built, want[i].Council, d, diff)
			}
		}
	}
	if busy < 5 {
		t.Errorf("%s: a moratorium runs on only %d of the %d days: the days miss the moratoria", built, busy, len(days))
	}
}

// statsDays returns the days to compare on: 1 January and 30 June of
// every year from 2012 to 2026, and a sample of the days on and either
// side of the dates where figures change.
func statsDays(t *testing.T, db projections.DB) []domain.Date {
	t.Helper()
	var days []domain.Date
	for y := 2012; y <= 2026; y++ {
		days = append(days, domain.NewDate(y, 1, 1), domain.NewDate(y, 6, 30))
	}
	for _, col := range []string{
		`SELECT DISTINCT end_date FROM rm_register WHERE end_date <> ''`,
		`SELECT DISTINCT valid_from FROM rm_register`,
		`SELECT DISTINCT interim_end FROM rm_moratoria WHERE interim_end <> ''`,
		`SELECT DISTINCT full_end FROM rm_moratoria WHERE full_moratorium = 1 AND full_end <> ''`,
		`SELECT DISTINCT notice_received FROM rm_moratoria WHERE notice_received <> ''`,
		`SELECT DISTINCT end_date FROM rm_deadlines WHERE name = 'decision' AND closed = 0`,
	} {
		rows, err := db.SQL.Query(col + ` ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		var found []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			found = append(found, s)
		}
		rows.Close()
		if len(found) == 0 {
			t.Fatalf("no dates from %s", col)
		}
		for i := 0; i < len(found); i += max(1, len(found)/6) {
			d, err := domain.ParseDate(found[i])
			if err != nil {
				continue
			}
			days = append(days, d.AddDays(-1), d, d.AddDays(1))
		}
	}
	slices.SortFunc(days, func(a, b domain.Date) int { return a.Compare(b) })
	return slices.Compact(days)
}

// sumStats adds councils' figures up, as Stats does.
func sumStats(all []projections.CouncilStats) projections.CouncilStats {
	n := newStats("")
	for _, c := range all {
		n.Listed += c.Listed
		n.Unsuccessful += c.Unsuccessful
		n.Nominations += c.Nominations
		n.Pending += c.Pending
		n.Overdue += c.Overdue
		n.MoratoriaInterim += c.MoratoriaInterim
		n.MoratoriaFull += c.MoratoriaFull
		n.MoratoriaTotal += c.MoratoriaTotal
		n.FullMoratoriaTotal += c.FullMoratoriaTotal
		for k, v := range c.Outcomes {
			n.Outcomes[k] += v
		}
		for k, v := range c.Categories {
			n.Categories[k] += v
		}
	}
	return *n
}

func newStats(council string) *projections.CouncilStats {
	return &projections.CouncilStats{
		Council: council,
		Outcomes: map[string]int{
			string(domain.Listed): 0, string(domain.PartlyListed): 0, string(domain.NotListed): 0,
		},
		Categories: map[string]int{},
	}
}

// scanStats is the definition of every council's figures on day d: the
// statistics' queries before rm_counts, one aggregate over each whole
// table.
func scanStats(t *testing.T, db projections.DB, d domain.Date) []projections.CouncilStats {
	t.Helper()
	day := d.String()
	by := map[string]*projections.CouncilStats{}
	get := func(c string) *projections.CouncilStats {
		if by[c] == nil {
			by[c] = newStats(c)
		}
		return by[c]
	}
	each := func(query string, args []any, row func(scan func(...any) error)) {
		t.Helper()
		rows, err := db.SQL.Query(db.Dialect.Rebind(query), args...)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		defer rows.Close()
		for rows.Next() {
			row(rows.Scan)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		if err != nil {
			t.Helper()
			t.Fatal(err)
		}
	}
	each(`SELECT council, CAST(SUM(nominations) AS BIGINT), CAST(SUM(decided_listed) AS BIGINT),
		CAST(SUM(decided_partly_listed) AS BIGINT), CAST(SUM(decided_not_listed) AS BIGINT)
		FROM rm_assets GROUP BY council`, nil, func(scan func(...any) error) {
		var c string
		var n, listed, part, not int
		must(scan(&c, &n, &listed, &part, &not))
		s := get(c)
		s.Nominations = n
		s.Outcomes[string(domain.Listed)] = listed
		s.Outcomes[string(domain.PartlyListed)] = part
		s.Outcomes[string(domain.NotListed)] = not
	})
	each(`SELECT council, list, COUNT(*) FROM rm_register WHERE valid_from <= ? AND (valid_to IS NULL OR valid_to > ?)
		AND (end_date = '' OR end_date > ?) GROUP BY council, list`, []any{day, day, day}, func(scan func(...any) error) {
		var c, list string
		var n int
		must(scan(&c, &list, &n))
		switch projections.List(list) {
		case projections.ListACV:
			get(c).Listed = n
		case projections.ListUnsuccessful:
			get(c).Unsuccessful = n
		}
	})
	each(`SELECT r.council, a.category, COUNT(DISTINCT r.asset_id)
		FROM rm_register r JOIN rm_assets a ON a.asset_id = r.asset_id
		WHERE r.list = ? AND r.valid_from <= ? AND (r.valid_to IS NULL OR r.valid_to > ?)
		AND (r.end_date = '' OR r.end_date > ?) GROUP BY r.council, a.category`,
		[]any{string(projections.ListACV), day, day, day}, func(scan func(...any) error) {
			var c, category string
			var n int
			must(scan(&c, &category, &n))
			if category == "" {
				category = "uncategorised"
			}
			get(c).Categories[category] += n
		})
	each(`SELECT council, COUNT(*), CAST(SUM(CASE WHEN end_date < ? THEN 1 ELSE 0 END) AS BIGINT)
		FROM rm_deadlines WHERE name = ? AND closed = 0 GROUP BY council`,
		[]any{day, string(domain.ClockDecision)}, func(scan func(...any) error) {
			var c string
			var pending, overdue int
			must(scan(&c, &pending, &overdue))
			s := get(c)
			s.Pending, s.Overdue = pending, overdue
		})
	each(`SELECT council, COUNT(*), CAST(SUM(full_moratorium) AS BIGINT),
		CAST(SUM(CASE WHEN notice_received <= ? AND ? <= interim_end THEN 1 ELSE 0 END) AS BIGINT),
		CAST(SUM(CASE WHEN full_moratorium = 1 AND interim_end < ? AND ? <= full_end THEN 1 ELSE 0 END) AS BIGINT)
		FROM rm_moratoria GROUP BY council`, []any{day, day, day, day}, func(scan func(...any) error) {
		var c string
		var total, fullTotal, interim, full int
		must(scan(&c, &total, &fullTotal, &interim, &full))
		s := get(c)
		s.MoratoriaTotal, s.FullMoratoriaTotal, s.MoratoriaInterim, s.MoratoriaFull = total, fullTotal, interim, full
	})
	out := make([]projections.CouncilStats, 0, len(by))
	for _, s := range by {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b projections.CouncilStats) int { return strings.Compare(a.Council, b.Council) })
	if len(out) == 0 {
		t.Fatalf("no council on %s", day)
	}
	return out
}
