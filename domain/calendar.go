package domain

import (
	"fmt"
	"time"
)

// The statutory calendar. Every period in the regime is a run of civil days in
// England (see [DateOf]); this file turns "N weeks beginning with day D" and
// "28 days after day D" into the last day inside the period, exactly as
// domain-rules.md "Counting days" defines:
//
//   - N weeks beginning with D ends at the end of D + 7N - 1;
//   - N months (or years) beginning with D ends at the end of the day before the
//     day numbered D in the month N months later, or at the end of that month's
//     last day if it has no such day;
//   - N days (weeks) after D, or within N days of D, does not count D and ends at
//     the end of D + N (D + 7N);
//   - "within a period" includes its last day.

// Unit is the unit a [Period] is counted in.
type Unit int

// The units of statutory periods.
const (
	UnitDays Unit = iota + 1
	UnitWeeks
	UnitMonths
	UnitYears
)

// Period is a statutory length of time: a count of units, counted either
// beginning with its start day (the start day is day one) or after it (the
// start day is not counted). The zero Period is invalid.
type Period struct {
	N     int
	Unit  Unit
	After bool // counted after the start day ("within 28 days of", "13 weeks after")
}

// Weeks returns a period of n weeks beginning with its start day.
func Weeks(n int) Period { return Period{N: n, Unit: UnitWeeks} }

// Months returns a period of n months beginning with its start day.
func Months(n int) Period { return Period{N: n, Unit: UnitMonths} }

// Years returns a period of n years beginning with its start day.
func Years(n int) Period { return Period{N: n, Unit: UnitYears} }

// DaysAfter returns a period of n days after its start day, the form of
// "within 28 days of the decision being sent".
func DaysAfter(n int) Period { return Period{N: n, Unit: UnitDays, After: true} }

// WeeksAfter returns a period of n weeks after its start day, the form of
// "within 13 weeks after the loss was incurred".
func WeeksAfter(n int) Period { return Period{N: n, Unit: UnitWeeks, After: true} }

// Valid reports whether p is a usable period: a positive count of a known
// unit, and "after" only for days and weeks.
func (p Period) Valid() bool {
	if p.N <= 0 {
		return false
	}
	switch p.Unit {
	case UnitDays, UnitWeeks:
		return true
	case UnitMonths, UnitYears:
		return !p.After
	}
	return false
}

// End returns the last day within the period that starts with (or, for an
// "after" period, follows) start. The period ends at the end of that day. A
// period of days beginning with its start day is counted like weeks: n days
// beginning with D end on D + n - 1.
func (p Period) End(start Date) Date {
	switch p.Unit {
	case UnitDays:
		if p.After {
			return start.AddDays(p.N)
		}
		return start.AddDays(p.N - 1)
	case UnitWeeks:
		if p.After {
			return start.AddDays(7 * p.N)
		}
		return start.AddDays(7*p.N - 1)
	case UnitMonths:
		return monthsBeginningWith(start, p.N)
	case UnitYears:
		return monthsBeginningWith(start, 12*p.N)
	}
	panic(fmt.Sprintf("domain: invalid period %+v", p)) // regimes are validated by NewRegimes
}

// Contains reports whether day d falls within the period that starts with
// start: on or after start and on or before [Period.End]. For an "after"
// period the start day itself is also taken as within, since a decision can
// be answered on the day it is sent.
func (p Period) Contains(start, d Date) bool {
	return !d.Before(start) && !d.After(p.End(start))
}

// String describes the period in the words of the statute, for example
// "8 weeks beginning with" or "28 days after".
func (p Period) String() string {
	unit := map[Unit]string{UnitDays: "day", UnitWeeks: "week", UnitMonths: "month", UnitYears: "year"}[p.Unit]
	if unit == "" {
		return "invalid period"
	}
	if p.N != 1 {
		unit += "s"
	}
	how := "beginning with"
	if p.After {
		how = "after"
	}
	return fmt.Sprintf("%d %s %s", p.N, unit, how)
}

// monthsBeginningWith returns the last day of the n months beginning with d:
// the day before the day numbered d.Day() in the month n months later, or that
// month's last day when it has no such day.
func monthsBeginningWith(d Date, n int) Date {
	first := NewDate(d.y, d.m+time.Month(n), 1) // NewDate normalises the month
	last := daysIn(first.y, first.m)
	if d.d > last {
		return Date{first.y, first.m, last}
	}
	return Date{first.y, first.m, d.d}.AddDays(-1)
}

// daysIn returns the number of days in month m of year y.
func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 12, 0, 0, 0, time.UTC).Day()
}

// TimeLimit is one statutory clock of a regime: its length and the provision
// that sets it.
type TimeLimit struct {
	Period Period
	Rule   string // citation, for example "Regs reg 7"
}

// End returns the last day of the clock started on start.
func (t TimeLimit) End(start Date) Date { return t.Period.End(start) }
