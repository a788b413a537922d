package projections

import (
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"testing"

	"github.com/acv-registry/acv/domain"
)

// fieldsOf lists T's fields with their json tags.
func fieldsOf[T any]() []string {
	var fields []string
	for f := range reflect.TypeFor[T]().Fields() {
		fields = append(fields, f.Name+" "+f.Tag.Get("json"))
	}
	return fields
}

// appendEntryJSON must write what json.Marshal writes, for every field of
// RegisterEntry: a new field fails here until the encoder knows it.
func TestEntryJSON(t *testing.T) {
	fields := fieldsOf[RegisterEntry]()
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

// appendViewJSON must write what json.Marshal writes, for every field of
// AssetView and of the types it holds: a new field fails here until the
// encoder knows it.
func TestViewJSON(t *testing.T) {
	for _, tt := range []struct {
		got, want []string
	}{
		{fieldsOf[AssetView](), []string{"ID id", "Reference reference", "Council council", "Name name",
			"AddressText address_text,omitempty", "Postcode postcode,omitempty", "UPRN uprn,omitempty",
			"Description description,omitempty", "Point point,omitempty", "Category category,omitempty", "Status status",
			"Version version", "NominatingGroup nominating_group,omitempty", "Owner owner,omitempty",
			"Nominations nominations", "Entry entry,omitempty", "Clocks clocks", "Moratoria moratoria,omitempty",
			"InterestedGroup interested_group,omitempty", "Bids bids,omitempty", "Disposals disposals,omitempty"}},
		{fieldsOf[NominationView](), []string{"ID id", "NominationDate nomination_date",
			"NominatingGroup nominating_group", "NominatorKind nominator_kind", "DecisionDue decision_due",
			"Decision decision,omitempty", "DecisionDate decision_date,omitzero", "DecidedLate decided_late,omitempty",
			"Reasons reasons,omitempty"}},
		{fieldsOf[ClockView](), []string{"Name name", "Subject subject,omitempty", "Start start", "End end",
			"Status status", "Rule rule", "Regime regime"}},
		{fieldsOf[Moratorium](), []string{"AssetID asset_id", "Council council", "NoticeID notice_id",
			"NoticeReceived notice_received", "InterimEnd interim_end", "FullEnd full_end", "ProtectedEnd protected_end",
			"FullMoratorium full_moratorium", "InterestedGroup interested_group,omitempty", "Outcome outcome,omitempty"}},
		{fieldsOf[BidView](), []string{"ID id", "Bidder bidder", "AmountPence amount_pence",
			"SubmittedOn submitted_on", "Status status"}},
		{fieldsOf[DisposalView](), []string{"ID id", "Kind kind", "ExemptionCode exemption_code,omitempty",
			"Buyer buyer,omitempty", "On on", "InBreach in_breach,omitempty", "BreachRule breach_rule,omitempty"}},
	} {
		if !slices.Equal(tt.got, tt.want) {
			t.Fatalf("fields are now %q: update appendViewJSON and this list", tt.got)
		}
	}

	var views []AssetView
	for i, text := range []string{"", "The Red Lion", `quote " and <b>&amp;</b> \ \x00\n`, "café \xff\u2028"} {
		d := func(k int) domain.Date {
			return []domain.Date{{}, day("2024-02-29"), domain.NewDate(12345, 6, 7)}[(i+k)%3]
		}
		v := AssetView{ID: text, Reference: text, Council: text, Name: text, AddressText: text, Postcode: text,
			UPRN: text, Description: text, Category: text, Status: text, Version: int64(i) * -7, NominatingGroup: text,
			Owner: text, InterestedGroup: text}
		if i%2 == 1 {
			v.Point = &domain.Point{Lat: 51.5 * float64(i), Lon: -1e-7}
			v.Entry = &RegisterEntry{Reference: text, Point: v.Point, EntryDate: d(0), EndDate: d(1)}
			v.Nominations, v.Clocks, v.Moratoria, v.Bids, v.Disposals = []NominationView{}, []ClockView{}, []Moratorium{}, []BidView{}, []DisposalView{}
		}
		if i >= 2 {
			for k := range 2 {
				v.Nominations = append(v.Nominations, NominationView{ID: text, NominationDate: d(k), NominatingGroup: text,
					NominatorKind: text, DecisionDue: d(k + 1), Decision: text, DecisionDate: d(k + 2), DecidedLate: k == 1, Reasons: text})
				v.Clocks = append(v.Clocks, ClockView{Name: text, Subject: text, Start: d(k), End: d(k + 1), Status: text, Rule: text, Regime: text})
				v.Moratoria = append(v.Moratoria, Moratorium{AssetID: text, Council: text, NoticeID: text, NoticeReceived: d(k),
					InterimEnd: d(k + 1), FullEnd: d(k + 2), ProtectedEnd: d(k), FullMoratorium: k == 0, InterestedGroup: text, Outcome: text})
				v.Bids = append(v.Bids, BidView{ID: text, Bidder: text, AmountPence: int64(k) * 123456789, SubmittedOn: d(k), Status: text})
				v.Disposals = append(v.Disposals, DisposalView{ID: text, Kind: text, ExemptionCode: text, Buyer: text, On: d(k),
					InBreach: k == 1, BreachRule: text})
			}
		}
		views = append(views, v)
	}
	for _, s := range []*dvStory{dvPub(t), dvLibrary(t, true), dvLeapDay(t, false)} {
		var v AssetView
		if err := json.Unmarshal(s.derive().Asset.View, &v); err != nil {
			t.Fatal(err)
		}
		views = append(views, v)
	}
	for _, v := range views {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendViewJSON(nil, &v)
		if err != nil || string(got) != string(want) {
			t.Errorf("appendViewJSON =\n%s (%v), want\n%s", got, err, want)
		}
	}
	if _, err := appendViewJSON(nil, &AssetView{Point: &domain.Point{Lat: math.NaN()}}); err == nil {
		t.Error("appendViewJSON of a point at NaN = nil error, want one (as json.Marshal)")
	}
}
