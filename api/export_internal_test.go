package api

import (
	"encoding/csv"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/projections"
)

// TestExportColumns: every column has its field, and the free-text cells
// a spreadsheet would run as formulas are defused.
func TestExportColumns(t *testing.T) {
	e := projections.RegisterEntry{Reference: "R1", Name: "=HYPERLINK(\"x\")", Description: "-1", Organisation: "E07000228",
		Point: &domain.Point{Lat: 51, Lon: -1}, NotificationToSellDate: domain.NewDate(2026, 1, 5)}
	fields := standardFields(e)
	if len(fields) != len(csvColumns()) {
		t.Fatalf("%d fields for %d columns", len(fields), len(csvColumns()))
	}
	col := map[string]string{}
	for i, c := range csvColumns() {
		col[c] = fields[i]
	}
	if col["point"] != "POINT(-1 51)" || col["protected-period-start-date"] != "2026-01-05" || col["notification-to-sell-date"] != "2026-01-05" {
		t.Errorf("fields %v", col)
	}
	rec := httptest.NewRecorder()
	w := newCSVWriter(rec)
	if err := w.entry(e); err != nil {
		t.Fatal(err)
	}
	if err := w.close(); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(rec.Body.String())).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("CSV %q: %v", rec.Body.String(), err)
	}
	if rows[1][1] != `'=HYPERLINK("x")` || rows[1][3] != "'-1" || rows[1][0] != "R1" {
		t.Errorf("row %q: formulas not defused, or codes changed", rows[1])
	}
	f := featureOf(e, csvColumns())
	if f.Properties["name"] != e.Name || f.Geometry.Coordinates != [2]float64{-1, 51} {
		t.Errorf("feature %+v", f)
	}
}
