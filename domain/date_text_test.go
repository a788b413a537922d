package domain_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/acv-registry/acv/domain"
)

// TestParseDateAgreesWithTimeParse: ParseDate reads YYYY-MM-DD digit by
// digit, and must accept exactly what time.Parse(time.DateOnly) accepts,
// as the same day: every day of years across the range, the days just
// past each month's end (29 February in and out of leap years), day and
// month zero, and malformed text.
func TestParseDateAgreesWithTimeParse(t *testing.T) {
	var inputs []string
	for _, y := range []int{0, 1, 999, 1900, 1999, 2000, 2011, 2023, 2024, 2100, 9999} {
		for m := 0; m <= 13; m++ {
			for d := 0; d <= 32; d++ {
				inputs = append(inputs, fmt.Sprintf("%04d-%02d-%02d", y, m, d))
			}
		}
	}
	inputs = append(inputs, "", "2024-1-01", "2024-01-1", "24-01-01", "2024/01/01", "2024-01-01 ", " 2024-01-01",
		"2024-0a-01", "+024-01-01", "-024-01-01", "2024-01-0x", "20240-1-01", "2024--1-01", "２０２４-01-01")
	for _, s := range inputs {
		want, werr := time.Parse(time.DateOnly, s)
		got, err := domain.ParseDate(s)
		switch {
		case (err == nil) != (werr == nil):
			t.Errorf("ParseDate(%q) error %v; time.Parse's %v", s, err, werr)
		case err == nil && (got.Year() != want.Year() || got.Month() != want.Month() || got.Day() != want.Day()):
			t.Errorf("ParseDate(%q) = %v; time.Parse gives %v", s, got, want.Format(time.DateOnly))
		}
	}
}

// TestDateTextIsFmts: String, MarshalText and AppendText write a date as
// fmt's %04d-%02d-%02d did, digit by digit for four-digit years; the zero
// date marshals as "" and String gives 0000-00-00.
func TestDateTextIsFmts(t *testing.T) {
	for _, d := range []domain.Date{
		domain.NewDate(2024, time.February, 29), domain.NewDate(1, time.January, 1), domain.NewDate(9999, time.December, 31),
		domain.NewDate(10000, time.January, 1), domain.NewDate(-1, time.March, 5), domain.NewDate(2011, time.November, 15),
	} {
		want := fmt.Sprintf("%04d-%02d-%02d", d.Year(), int(d.Month()), d.Day())
		if got := d.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
		if b, err := d.MarshalText(); err != nil || string(b) != want {
			t.Errorf("MarshalText() = %q, %v; want %q", b, err, want)
		}
		if b, err := d.AppendText([]byte("x")); err != nil || string(b) != "x"+want {
			t.Errorf("AppendText(x) = %q, %v; want %q", b, err, "x"+want)
		}
	}
	var zero domain.Date
	if b, err := zero.MarshalText(); err != nil || b == nil || len(b) != 0 {
		t.Errorf("zero MarshalText() = %#v, %v; want an empty slice", b, err)
	}
	if s := zero.String(); s != "0000-00-00" {
		t.Errorf("zero String() = %q", s)
	}
}
