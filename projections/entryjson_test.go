package projections

import (
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"testing"

	"github.com/acv-registry/acv/domain"
)

// appendEntryJSON must write what json.Marshal writes, for every field of
// RegisterEntry: a new field fails here until the encoder knows it.
func TestEntryJSON(t *testing.T) {
	var fields []string
	for f := range reflect.TypeFor[RegisterEntry]().Fields() {
		fields = append(fields, f.Name+" "+f.Tag.Get("json"))
	}
	wantFields := []string{"Reference reference", "AssetID asset_id", "Name name", "AddressText address_text,omitempty",
		"Postcode postcode,omitempty", "UPRN uprn,omitempty", "Description description,omitempty",
		"Point point,omitempty", "Organisation organisation", "NominatingGroup nominating_group,omitempty",
		"NominationDate nomination_date,omitzero", "Decision decision,omitempty", "DecisionDate decision_date,omitzero",
		"EntryDate entry_date,omitzero", "ExpiryDate expiry_date,omitzero", "Status status",
		"NotificationToSellDate notification_to_sell_date,omitzero",
		"InterimMoratoriumEndDate interim_moratorium_end_date,omitzero",
		"FullMoratoriumEndDate full_moratorium_end_date,omitzero",
		"ProtectedPeriodEndDate protected_period_end_date,omitzero", "InterestedGroup interested_group,omitempty",
		"RemovalDate removal_date,omitzero", "RemovalReason removal_reason,omitempty", "StartDate start_date,omitzero",
		"EndDate end_date,omitzero"}
	if !slices.Equal(fields, wantFields) {
		t.Fatalf("RegisterEntry's fields are now %q: update appendEntryJSON and this list", fields)
	}

	texts := []string{"", "The Red Lion", `quote " and back \ slash`, "<b>&amp;</b>", "\x00\n\t\x7f", "café, Ŵ",
		"line\u2028para\u2029", "bad \xff\xfe utf-8"}
	points := []*domain.Point{nil, {}, {Lat: 51.5014, Lon: -0.1419}, {Lat: 1e-7, Lon: -2.5e-9}, {Lat: 1e21, Lon: 123456789.125},
		{Lat: -90, Lon: 180}, {Lat: 0.000001, Lon: 1e20}}
	days := []domain.Date{{}, day("2024-02-29"), domain.NewDate(1, 1, 1), domain.NewDate(12345, 6, 7)}
	var buf []byte
	for i, text := range texts {
		for j, p := range points {
			d := func(k int) domain.Date { return days[(i+j+k)%len(days)] }
			e := RegisterEntry{Reference: text, AssetID: text + "a", Name: text, AddressText: text, Postcode: text,
				UPRN: text, Description: text, Point: p, Organisation: text, NominatingGroup: text,
				NominationDate: d(0), Decision: text, DecisionDate: d(1), EntryDate: d(2), ExpiryDate: d(3),
				Status: text, NotificationToSellDate: d(0), InterimMoratoriumEndDate: d(1), FullMoratoriumEndDate: d(2),
				ProtectedPeriodEndDate: d(3), InterestedGroup: text, RemovalDate: d(0), RemovalReason: text,
				StartDate: d(1), EndDate: d(2)}
			want, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			buf, err = appendEntryJSON(buf[:0], &e)
			if err != nil || string(buf) != string(want) {
				t.Errorf("appendEntryJSON(%q, %v) =\n%s (%v), want\n%s", text, p, buf, err, want)
			}
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := appendEntryJSON(nil, &RegisterEntry{Point: &domain.Point{Lat: f}}); err == nil {
			t.Errorf("appendEntryJSON of a point at %v = nil error, want one (as json.Marshal)", f)
		}
	}
}
