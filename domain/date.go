package domain

import (
	"fmt"
	"time"
	_ "time/tzdata" // England's calendar must not depend on the host's zoneinfo files.
)

// england is the time zone in which every statutory period is counted.
var england = mustLoadLocation("Europe/London")

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(fmt.Sprintf("load %s: %v", name, err)) // embedded tzdata makes this unreachable
	}
	return loc
}

// England returns the Europe/London location used for civil dates.
func England() *time.Location { return england }

// Date is a civil date in England's calendar, with no time of day or zone.
// The zero Date is not a valid date; [Date.IsZero] reports it. Dates are
// comparable with == and safe to copy and share between goroutines.
type Date struct {
	y int
	m time.Month
	d int
}

// NewDate returns the civil date y-m-d, normalising out-of-range values the
// way [time.Date] does (31 April becomes 1 May).
func NewDate(y int, m time.Month, d int) Date {
	t := time.Date(y, m, d, 12, 0, 0, 0, time.UTC)
	return Date{t.Year(), t.Month(), t.Day()}
}

// DateOf returns the civil date in England at instant t: an email at 23:30 UTC
// on 31 March during British Summer Time was received on 1 April.
func DateOf(t time.Time) Date {
	t = t.In(england)
	return Date{t.Year(), t.Month(), t.Day()}
}

// ParseDate parses an ISO 8601 calendar date, YYYY-MM-DD. It rejects
// impossible dates such as 2026-02-30.
func ParseDate(s string) (Date, error) {
	// Four, two and two digits naming a real day, as almost every date
	// read is, without time.Parse (whose cost showed in every register
	// page the API decodes); anything else goes to time.Parse, which
	// decides as before (TestParseDateAgreesWithTimeParse).
	if y, m, d, ok := isoDigits(s); ok && m >= 1 && m <= 12 && d >= 1 && (d <= 28 || NewDate(y, time.Month(m), d).d == d) {
		return Date{y, time.Month(m), d}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("parse date %q: want YYYY-MM-DD", s)
	}
	return Date{t.Year(), t.Month(), t.Day()}, nil
}

// isoDigits reads s as YYYY-MM-DD, digits only, without checking the
// ranges.
func isoDigits(s string) (y, m, d int, ok bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, 0, 0, false
	}
	digits := func(t string) (int, bool) {
		n := 0
		for i := 0; i < len(t); i++ {
			if t[i] < '0' || t[i] > '9' {
				return 0, false
			}
			n = n*10 + int(t[i]-'0')
		}
		return n, true
	}
	y, oky := digits(s[:4])
	m, okm := digits(s[5:7])
	d, okd := digits(s[8:])
	return y, m, d, oky && okm && okd
}

// Year returns the date's year.
func (d Date) Year() int { return d.y }

// Month returns the date's month.
func (d Date) Month() time.Month { return d.m }

// Day returns the date's day of the month, 1 to 31.
func (d Date) Day() int { return d.d }

// IsZero reports whether d is the zero Date, which stands for "no date".
func (d Date) IsZero() bool { return d == Date{} }

// String formats the date as YYYY-MM-DD.
func (d Date) String() string {
	var b [10]byte
	return string(d.appendISO(b[:0]))
}

// appendISO appends d as String gives it. Years of four digits, every
// date a register holds, are written digit by digit: fmt was the largest
// cost of encoding a register page's dates.
func (d Date) appendISO(b []byte) []byte {
	y, m, day := d.y, int(d.m), d.d
	if y < 0 || y > 9999 {
		return fmt.Appendf(b, "%04d-%02d-%02d", y, m, day)
	}
	return append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-', byte('0'+day/10), byte('0'+day%10))
}

func (d Date) utcNoon() time.Time { return time.Date(d.y, d.m, d.d, 12, 0, 0, 0, time.UTC) }

// AddDays returns the date n days later (earlier when n is negative).
func (d Date) AddDays(n int) Date { return NewDate(d.y, d.m, d.d+n) }

// Compare returns -1 if d is before e, 0 if they are the same day and +1 if d
// is after e.
func (d Date) Compare(e Date) int {
	switch {
	case d.y != e.y:
		return cmpInt(d.y, e.y)
	case d.m != e.m:
		return cmpInt(int(d.m), int(e.m))
	default:
		return cmpInt(d.d, e.d)
	}
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Before reports whether d is earlier than e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is later than e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// Equal reports whether d and e are the same day. It lets go-cmp compare
// values holding dates.
func (d Date) Equal(e Date) bool { return d == e }

// DaysUntil returns the number of days from d to e (negative if e is earlier).
func (d Date) DaysUntil(e Date) int {
	return int(e.utcNoon().Sub(d.utcNoon()).Hours() / 24)
}

// StartIn returns the first instant of the day d in England.
func (d Date) StartIn() time.Time { return time.Date(d.y, d.m, d.d, 0, 0, 0, 0, england) }

// MarshalText encodes the date as YYYY-MM-DD; the zero date encodes as "".
func (d Date) MarshalText() ([]byte, error) {
	return d.AppendText(make([]byte, 0, 10))
}

// AppendText appends what MarshalText gives to b ([encoding.TextAppender]).
func (d Date) AppendText(b []byte) ([]byte, error) {
	if d.IsZero() {
		return b, nil
	}
	return d.appendISO(b), nil
}

// UnmarshalText decodes YYYY-MM-DD; "" decodes to the zero date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// maxDate returns the later of two dates.
func maxDate(a, b Date) Date {
	if b.After(a) {
		return b
	}
	return a
}
