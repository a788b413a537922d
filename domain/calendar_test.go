package domain_test

import (
	"testing"
	"time"

	"github.com/acv-registry/acv/domain"
)

// Counting days: the worked examples of domain-rules.md.
func TestPeriodEndExamples(t *testing.T) {
	for _, tt := range []struct {
		name   string
		period domain.Period
		start  string
		want   string
	}{
		{"6 weeks beginning with 1 March 2026 ends 11 April", domain.Weeks(6), "2026-03-01", "2026-04-11"},
		{"8 weeks beginning with D ends D+55 (Regs reg 7)", domain.Weeks(8), "2026-01-05", "2026-03-01"},
		{"6 months beginning with 15 January ends 14 July", domain.Months(6), "2026-01-15", "2026-07-14"},
		{"6 months beginning with 31 August ends last day of February", domain.Months(6), "2026-08-31", "2027-02-28"},
		{"6 months beginning with 31 August ends 29 Feb in a leap year", domain.Months(6), "2027-08-31", "2028-02-29"},
		{"6 months beginning with 1 March ends 31 August", domain.Months(6), "2026-03-01", "2026-08-31"},
		{"18 months beginning with 1 March 2026 ends 31 August 2027", domain.Months(18), "2026-03-01", "2027-08-31"},
		{"5 years beginning with 29 February 2024 ends 28 February 2029", domain.Years(5), "2024-02-29", "2029-02-28"},
		{"5 years beginning with 1 March 2020 ends 28 February 2025 (s.87(3))", domain.Years(5), "2020-03-01", "2025-02-28"},
		{"28 days of 3 March 2026 ends 31 March (Regs reg 11)", domain.DaysAfter(28), "2026-03-03", "2026-03-31"},
		{"13 weeks after 1 January 2026 ends 2 April (Regs reg 14(5))", domain.WeeksAfter(13), "2026-01-01", "2026-04-02"},
		{"6 weeks across the spring clock change", domain.Weeks(6), "2026-03-20", "2026-04-30"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.period.End(day(tt.start)); got != day(tt.want) {
				t.Errorf("%v from %s ends %s, want %s", tt.period, tt.start, got, tt.want)
			}
		})
	}
}

// everyDay calls f for every day from 2012-01-01 to 2040-12-31.
func everyDay(f func(d domain.Date)) {
	for d, end := day("2012-01-01"), day("2040-12-31"); !d.After(end); d = d.AddDays(1) {
		f(d)
	}
}

// Counting days, weeks: N weeks beginning with D end on D+7N-1 and hold
// exactly 7N days; N weeks (or days) after D end on D+7N (D+N).
func TestWeeksEveryDay(t *testing.T) {
	everyDay(func(d domain.Date) {
		for _, n := range []int{6, 8, 13} {
			end := domain.Weeks(n).End(d)
			if got := d.DaysUntil(end) + 1; got != 7*n {
				t.Fatalf("%d weeks beginning with %s hold %d days, want %d", n, d, got, 7*n)
			}
			if !domain.Weeks(n).Contains(d, end) || domain.Weeks(n).Contains(d, end.AddDays(1)) {
				t.Fatalf("%d weeks beginning with %s: last day %s must be in, the next day out", n, d, end)
			}
		}
		if got := d.DaysUntil(domain.WeeksAfter(13).End(d)); got != 91 {
			t.Fatalf("13 weeks after %s end %d days later, want 91", d, got)
		}
		if got := d.DaysUntil(domain.DaysAfter(28).End(d)); got != 28 {
			t.Fatalf("28 days of %s end %d days later, want 28", d, got)
		}
	})
}

// Counting days, months and years: the day after the end is the day numbered
// D in the month N months later, or, when that month has no such day, the 1st
// of the month after it; the length matches time.AddDate where no clamping
// happens; the end never moves backwards as D moves forwards.
func TestMonthsEveryDay(t *testing.T) {
	periods := []struct {
		p      domain.Period
		months int
	}{{domain.Months(1), 1}, {domain.Months(6), 6}, {domain.Months(12), 12}, {domain.Months(18), 18}, {domain.Years(1), 12}, {domain.Years(5), 60}}
	for _, pp := range periods {
		var prev domain.Date
		everyDay(func(d domain.Date) {
			end := pp.p.End(d)
			next := end.AddDays(1)
			target := domain.NewDate(d.Year(), d.Month()+time.Month(pp.months), 1)
			daysInTarget := domain.NewDate(target.Year(), target.Month()+1, 1).AddDays(-1).Day()
			if d.Day() <= daysInTarget {
				if want := domain.NewDate(target.Year(), target.Month(), d.Day()); next != want {
					t.Fatalf("%v from %s: day after end is %s, want %s", pp.p, d, next, want)
				}
				// An independent oracle: time.AddDate is exact when the day exists.
				oracle := time.Date(d.Year(), d.Month(), d.Day(), 12, 0, 0, 0, time.UTC).AddDate(0, pp.months, -1)
				if end != domain.NewDate(oracle.Year(), oracle.Month(), oracle.Day()) {
					t.Fatalf("%v from %s ends %s, oracle %s", pp.p, d, end, oracle.Format(time.DateOnly))
				}
			} else if want := domain.NewDate(target.Year(), target.Month()+1, 1); next != want {
				t.Fatalf("%v from %s (clamped): day after end is %s, want %s", pp.p, d, next, want)
			}
			if !prev.IsZero() {
				// Within a month the end moves by 0 or 1 day; when D moves
				// from the end of a short month to the 1st it may jump
				// forwards by up to 4 days (28 Feb 2013 -> 1 Mar 2013), never
				// backwards.
				step := prev.DaysUntil(end)
				if step < 0 || step > 4 || (d.Day() > 1 && step > 1) {
					t.Fatalf("%v: end moved by %d days between %s and %s", pp.p, step, prev, end)
				}
			}
			prev = end
		})
	}
}

// Counting days: a notice received at 23:30 UTC on 31 March during British
// Summer Time was received on 1 April; every day starts at local midnight.
func TestDateOfEngland(t *testing.T) {
	if got := domain.DateOf(time.Date(2026, 3, 31, 23, 30, 0, 0, time.UTC)); got != day("2026-04-01") {
		t.Errorf("23:30 UTC on 31 March 2026 = %s, want 2026-04-01", got)
	}
	if got := domain.DateOf(time.Date(2026, 12, 31, 23, 30, 0, 0, time.UTC)); got != day("2026-12-31") {
		t.Errorf("23:30 UTC on 31 December 2026 = %s, want 2026-12-31 (GMT)", got)
	}
	everyDay(func(d domain.Date) {
		start := d.StartIn()
		if domain.DateOf(start) != d || domain.DateOf(start.Add(-time.Nanosecond)) != d.AddDays(-1) {
			t.Fatalf("day %s does not start at local midnight %v", d, start)
		}
	})
}

func TestPeriodString(t *testing.T) {
	for p, want := range map[domain.Period]string{
		domain.Weeks(8):       "8 weeks beginning with",
		domain.DaysAfter(28):  "28 days after",
		domain.Years(1):       "1 year beginning with",
		domain.WeeksAfter(13): "13 weeks after",
	} {
		if got := p.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}

func TestDateJSONAndCompare(t *testing.T) {
	d := day("2026-02-28")
	b, _ := d.MarshalText()
	if string(b) != "2026-02-28" {
		t.Errorf("MarshalText = %s", b)
	}
	if _, err := domain.ParseDate("2026-02-30"); err == nil {
		t.Error("ParseDate accepted 30 February")
	}
	if !d.Before(d.AddDays(1)) || !d.AddDays(1).After(d) || d.Compare(d) != 0 {
		t.Error("Compare is inconsistent")
	}
	if d.AddDays(1) != day("2026-03-01") {
		t.Error("AddDays across month end")
	}
}
