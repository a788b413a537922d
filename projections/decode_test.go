package projections

import (
	"reflect"
	"testing"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
)

// TestDecodeAgreesWithEncodingJSON: Decode's faster JSON decoder turns
// every event of a generated national history, and every event type's
// edge cases, into exactly the values encoding/json gives
// (domain.UnmarshalEvent), and refuses what encoding/json refuses.
func TestDecodeAgreesWithEncodingJSON(t *testing.T) {
	types := map[string]int{}
	eachEvent(t, generatedStore(t, 3, 0.02), func(e eventstore.Event) {
		if _, ok := AssetID(e.Stream); ok {
			types[e.Type]++
			agree(t, e.Type, e.Data)
		}
	})
	if len(types) < 15 {
		t.Fatalf("the generated history has %d event types: too few to test (%v)", len(types), types)
	}

	// Shapes a generator does not write: case-insensitive keys, unknown
	// fields, nulls, escapes, duplicate keys, and input both must refuse.
	for _, c := range []struct{ typ, data string }{
		{domain.TypeNominationDecided, `{"Asset_ID": "a1", "NOMINATION_ID": "n1", "outcome": "listed", "decided_on": "2024-02-29", "unknown": [1, {"x": null}]}`},
		{domain.TypeNominationDecided, `{"asset_id": "a\u00e9\"1", "asset_id": "a2", "outcome": null, "decided_on": ""}`},
		{domain.TypeBidSubmitted, `{"asset_id": "a1", "amount_pence": 1e3}`},
		{domain.TypeBidSubmitted, `{"asset_id": "a1", "amount_pence": "12"}`},
		{domain.TypeBidSubmitted, `{"asset_id": "a1", "amount_pence": 1.5}`},
		{domain.TypeNominationDecided, `{"asset_id": "a1", "decided_on": "2024-02-30"}`},
		{domain.TypeNominationDecided, `{"asset_id": "a1"`},
		{domain.TypeNominationDecided, `{"asset_id": "a1"} trailing`},
		{domain.TypeNominationDecided, `[]`},
		{domain.TypeNominationDecided, `null`},
		{domain.TypeNoticeGiven, `{"asset_id": "a1", "recipients": [{"role": "owner", "party": {"id": "p", "name": "[erased]"}}, null]}`},
		{domain.TypeNoticeGiven, `{"asset_id": "a1", "recipients": {"role": "owner"}}`},
	} {
		agree(t, c.typ, []byte(c.data))
	}
}

// agree fails t unless Decode and domain.UnmarshalEvent agree on data.
func agree(t *testing.T, typ string, data []byte) {
	t.Helper()
	want, wantErr := domain.UnmarshalEvent(typ, data)
	got, gotErr := Decode([]eventstore.Event{{Type: typ, Data: data}})
	switch {
	case (wantErr == nil) != (gotErr == nil):
		t.Errorf("%s %s: encoding/json's error %v, Decode's %v", typ, data, wantErr, gotErr)
	case wantErr == nil && !reflect.DeepEqual(got[0].Event, want):
		t.Errorf("%s %s:\nencoding/json %#v\nDecode        %#v", typ, data, want, got[0].Event)
	}
}
