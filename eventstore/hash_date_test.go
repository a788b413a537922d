package eventstore

import (
	"testing"
	"time"

	"github.com/acv-registry/acv/domain"
)

// TestAppendDate: the chain hash covers the effective date as
// domain.Date.String writes it; appendDate must write the same bytes, or
// stored events would stop verifying.
func TestAppendDate(t *testing.T) {
	dates := []domain.Date{{}, domain.NewDate(1, time.January, 1), domain.NewDate(2026, time.April, 1),
		domain.NewDate(1999, time.December, 31), domain.NewDate(9999, time.December, 31), domain.NewDate(10000, time.January, 1),
		domain.NewDate(-1, time.March, 5), domain.NewDate(987, time.October, 9)}
	for d := domain.NewDate(2019, time.January, 1); d.Year() < 2021; d = d.AddDays(1) {
		dates = append(dates, d)
	}
	for _, d := range dates {
		if got, want := string(appendDate([]byte("x"), d)), "x"+d.String(); got != want {
			t.Errorf("appendDate(%s) = %q, want %q", d, got, want)
		}
	}
}

// TestPrepareSingleEventAllocs: preparing one small event, as every
// single append does, makes no map to find repeated ids and formats the
// date without fmt (each was a tenth of its time).
func TestPrepareSingleEventAllocs(t *testing.T) {
	events := []NewEvent{{ID: [16]byte{1}, Type: "t", Data: []byte(`{"at":"test"}`),
		Metadata: Metadata{EffectiveDate: domain.NewDate(2026, time.April, 1)}}}
	at := time.Date(2026, 4, 1, 2, 3, 4, 0, time.UTC)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := Prepare("s", 0, ZeroHash(), at, events); err != nil {
			t.Fatal(err)
		}
	})
	if limit := float64(17 + raceAllocs); allocs > limit {
		t.Errorf("Prepare of one event: %v allocations, want at most %v (2 more with the map and fmt)", allocs, limit)
	}
}
