package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/acv-registry/acv/domain"
)

// step is one write of a lifecycle and what its answer must say.
type step struct {
	name   string
	path   func() string
	body   map[string]any
	status int
	want   map[string]any // fields of the answer
	keep   func(reply)    // remembers ids for later steps
}

// TestWriteLifecycle drives every write route through the life of one
// asset: nomination, listing, notices, review and appeal, a change of owner,
// a disposal notice with its moratorium, bidder requests, a bid, a sale to
// the community group, compensation with review and appeal, removal, and a
// new nomination of the same land.
func TestWriteLifecycle(t *testing.T) {
	h := newHarness(t)
	var asset, nom, review, appeal, notice, request, bid, disposal, claim string
	a := func(suffix string) func() string { return func() string { return "/v1/assets/" + asset + suffix } }
	lastPosition := int64(0)

	steps := []step{
		{name: "nominate", path: func() string { return "/v1/councils/E07000228/nominations" }, body: nominationBody(), status: 201,
			want: map[string]any{"council": "E07000228", "received_on": "2025-01-06", "decision_due": "2025-03-02",
				"status": "nominated", "regime": "localism-2012", "version": 1.0},
			keep: func(r reply) { asset, nom = r.str("asset_id"), r.str("nomination_id") }},
		{name: "consultation notice", path: a("/notices"), status: 201,
			body: map[string]any{"kind": "consultation", "subject": "NOM", "method": "post", "given_on": "2025-01-10",
				"recipients": []any{map[string]any{"role": "owner", "party": map[string]any{"name": "Brewery Ltd"}}}},
			want: map[string]any{"kind": "consultation", "given_on": "2025-01-10"}},
		{name: "decide listed", path: a("/nominations/NOM/decision"), status: 201,
			body: map[string]any{"outcome": "listed", "decided_on": "2025-02-20"},
			want: map[string]any{"outcome": "listed", "decided_on": "2025-02-20", "entered_on": "2025-02-20",
				"expiry_date": "2030-02-19", "decided_late": false, "status": "listed"}},
		{name: "listing notice", path: a("/notices"), status: 201,
			body: map[string]any{"kind": "listing", "subject": "NOM", "method": "post", "given_on": "2025-02-21",
				"recipients": []any{map[string]any{"role": "owner", "party": map[string]any{"name": "Brewery Ltd"}}}},
			want: map[string]any{"kind": "listing", "review_window_ends": "2025-04-17"}},
		{name: "extend review window", path: a("/nominations/NOM/review-window"), status: 201,
			body: map[string]any{"until": "2025-05-30", "extended_on": "2025-03-01"},
			want: map[string]any{"review_window_ends": "2025-05-30"}},
		{name: "request review", path: a("/reviews"), status: 201,
			body: map[string]any{"requester": map[string]any{"id": "owner-1"}, "received_on": "2025-03-10", "oral_hearing": true},
			want: map[string]any{"received_on": "2025-03-10", "decision_due": "2025-05-04"},
			keep: func(r reply) { review = r.str("review_id") }},
		{name: "agree review period", path: a("/reviews/REV/extension"), status: 201,
			body: map[string]any{"until": "2025-06-30", "agreed_on": "2025-04-01"},
			want: map[string]any{"decision_due": "2025-06-30"}},
		{name: "decide review", path: a("/reviews/REV/decision"), status: 201,
			body: map[string]any{"outcome": "upheld", "reasons": "The pub furthers the community's social interests.", "decided_on": "2025-06-01"},
			want: map[string]any{"outcome": "upheld", "sent_on": "2025-06-01", "appeal_ends": "2025-06-29", "decided_late": false}},
		{name: "lodge appeal", path: a("/appeals"), status: 201,
			body: map[string]any{"review_id": "REV", "case_number": "CR/2025/0001", "appellant": map[string]any{"id": "owner-1"}, "lodged_on": "2025-06-10"},
			want: map[string]any{"case_number": "CR/2025/0001", "lodged_on": "2025-06-10"},
			keep: func(r reply) { appeal = r.str("appeal_id") }},
		{name: "decide appeal", path: a("/appeals/APP/decision"), status: 201,
			body: map[string]any{"outcome": "dismissed", "decided_on": "2025-09-01"},
			want: map[string]any{"outcome": "dismissed", "decided_on": "2025-09-01"}},
		{name: "change owner", path: a("/owners"), status: 201,
			body: map[string]any{"owner": map[string]any{"id": "owner-2", "name": "Pub Co"}, "changed_on": "2025-10-01"},
			want: map[string]any{"owner_id": "owner-2", "changed": true}},
		{name: "same owner records nothing", path: a("/owners"), status: 200,
			body: map[string]any{"owner": map[string]any{"id": "owner-2", "name": "Pub Co"}, "changed_on": "2025-10-01"},
			want: map[string]any{"changed": false, "position": 0.0}},
		{name: "disposal notice", path: a("/disposal-notices"), status: 201,
			body: map[string]any{"owner": map[string]any{"id": "owner-2"}, "received_on": "2026-01-05"},
			want: map[string]any{"received_on": "2026-01-05", "interim_moratorium_ends": "2026-02-15",
				"full_moratorium_ends": "2026-07-04", "protected_period_ends": "2027-07-04", "regime": "localism-2012"},
			keep: func(r reply) { notice = r.str("notice_id") }},
		{name: "bidder request", path: a("/bidder-requests"), status: 201,
			body: map[string]any{"group": map[string]any{"name": "Red Lion Community Pub Ltd", "kind": "cooperative_society", "local_connection": true},
				"received_on": "2026-01-20"},
			want: map[string]any{"status": "accepted", "full_moratorium_triggered": true, "moratorium_ends": "2026-07-04"},
			keep: func(r reply) { request = r.str("request_id") }},
		{name: "late bidder request is recorded, rejected", path: a("/bidder-requests"), status: 201,
			body: map[string]any{"group": map[string]any{"name": "Ashby Parish Council", "kind": "parish_council", "local_connection": true},
				"received_on": "2026-03-01"},
			want: map[string]any{"status": "rejected", "rule": "s.95(3)"}},
		{name: "bid", path: a("/bids"), status: 201,
			body: map[string]any{"bidder": map[string]any{"name": "Red Lion Community Pub Ltd"}, "request_id": "REQ",
				"amount_pence": 45000000, "terms": "subject to survey", "submitted_on": "2026-02-01"},
			want: map[string]any{"status": "submitted", "submitted_on": "2026-02-01"},
			keep: func(r reply) { bid = r.str("bid_id") }},
		{name: "bid status", path: a("/bids/BID/status"), status: 201,
			body: map[string]any{"status": "accepted", "changed_on": "2026-03-01"},
			want: map[string]any{"status": "accepted", "changed_on": "2026-03-01"}},
		{name: "disposal to the group", path: a("/disposals"), status: 201,
			body: map[string]any{"kind": "relevant", "buyer": map[string]any{"name": "Red Lion Community Pub Ltd"},
				"buyer_group": map[string]any{"name": "Red Lion Community Pub Ltd", "kind": "cooperative_society", "local_connection": true},
				"disposed_on": "2026-04-01"},
			want: map[string]any{"kind": "relevant", "in_breach": false, "disposed_on": "2026-04-01"},
			keep: func(r reply) { disposal = r.str("disposal_id") }},
		{name: "moratorium outcome", path: a("/disposal-notices/NOT/outcome"), status: 201,
			body: map[string]any{"outcome": "sold_to_cig", "outcome_on": "2026-04-02"},
			want: map[string]any{"outcome": "sold_to_cig"}},
		{name: "compensation claim", path: a("/compensation-claims"), status: 201,
			body: map[string]any{"claimant": map[string]any{"id": "owner-2"}, "loss_incurred_on": "2026-04-01", "received_on": "2026-04-15",
				"parts": []any{map[string]any{"description": "Delay to the sale", "amount_pence": 500000}}, "evidence": "Invoices"},
			want: map[string]any{"claimed_pence": 500000.0, "received_on": "2026-04-15"},
			keep: func(r reply) { claim = r.str("claim_id") }},
		{name: "compensation decision", path: a("/compensation-claims/CLM/decision"), status: 201,
			body: map[string]any{"award_pence": 100000, "reasons": "Part of the delay is shown.", "decided_on": "2026-04-20"},
			want: map[string]any{"award_pence": 100000.0, "review_window_ends": "2026-06-14"}},
		{name: "compensation review window", path: a("/compensation-claims/CLM/review-window"), status: 201,
			body: map[string]any{"until": "2026-07-31", "extended_on": "2026-04-25"},
			want: map[string]any{"review_window_ends": "2026-07-31"}},
		{name: "compensation review", path: a("/compensation-claims/CLM/review"), status: 201,
			body: map[string]any{"requester": map[string]any{"id": "owner-2"}, "received_on": "2026-05-01"},
			want: map[string]any{"received_on": "2026-05-01"}},
		{name: "compensation review decision", path: a("/compensation-claims/CLM/review/decision"), status: 201,
			body: map[string]any{"award_pence": 200000, "reasons": "More of the delay is shown.", "decided_on": "2026-05-10"},
			want: map[string]any{"award_pence": 200000.0, "appeal_ends": "2026-06-07"}},
		{name: "compensation appeal", path: a("/compensation-claims/CLM/appeal"), status: 201,
			body: map[string]any{"case_number": "CR/2026/0002", "lodged_on": "2026-05-20"},
			want: map[string]any{"case_number": "CR/2026/0002"}},
		{name: "compensation appeal decision", path: a("/compensation-claims/CLM/appeal/decision"), status: 201,
			body: map[string]any{"outcome": "allowed", "award_pence": 300000, "decided_on": "2026-05-30"},
			want: map[string]any{"outcome": "allowed", "award_pence": 300000.0}},
		{name: "removal after the disposal", path: a("/removal"), status: 201,
			body: map[string]any{"reason": "relevant_disposal", "ref": "DSP", "removed_on": "2026-05-31"},
			want: map[string]any{"reason": "relevant_disposal", "removed_on": "2026-05-31", "status": "removed"}},
		{name: "nominate the same land again", path: func() string { return "/v1/councils/E07000228/nominations" }, status: 201,
			body: func() map[string]any {
				b := nominationBody()
				b["asset_id"] = "ASSET"
				b["received_on"] = "2026-05-31"
				return b
			}(),
			want: map[string]any{"status": "nominated", "decision_due": "2026-07-25"}},
	}
	for _, st := range steps {
		// Ids made by earlier steps are filled in at the last moment.
		body := replaceIDs(st.body, map[string]*string{"NOM": &nom, "REV": &review, "APP": &appeal, "NOT": &notice,
			"REQ": &request, "BID": &bid, "DSP": &disposal, "CLM": &claim, "ASSET": &asset})
		path := replaceString(st.path(), map[string]*string{"NOM": &nom, "REV": &review, "APP": &appeal, "NOT": &notice,
			"BID": &bid, "CLM": &claim})
		r := h.mustPost(path, body, st.status)
		for k, v := range st.want {
			if got := r.body[k]; got != v {
				t.Errorf("%s: %s = %v, want %v\n%s", st.name, k, got, v, r.raw)
			}
		}
		if asset != "" && r.str("asset_id") != asset {
			t.Errorf("%s: asset_id = %q, want %q", st.name, r.str("asset_id"), asset)
		}
		version, _ := r.body["version"].(float64)
		if etag := r.header.Get("ETag"); etag != `"`+jsonNumber(version)+`"` {
			t.Errorf("%s: ETag %q does not match version %v", st.name, etag, version)
		}
		pos, _ := r.body["position"].(float64)
		if st.status == http.StatusCreated {
			if int64(pos) <= lastPosition {
				t.Errorf("%s: position %v does not follow %d", st.name, pos, lastPosition)
			}
			lastPosition = int64(pos)
		}
		if st.keep != nil {
			st.keep(r)
		}
	}
	if t.Failed() {
		return
	}
	// The log holds one stream with every fact, each with the actor.
	es := h.events()
	if len(es) != len(steps)-1 { // the second change of owner recorded nothing
		t.Errorf("the log holds %d events, want %d", len(es), len(steps)-1)
	}
	for _, e := range es {
		if e.Stream != domain.AssetStream(asset) {
			t.Errorf("event %s is in stream %s, want %s", e.Type, e.Stream, domain.AssetStream(asset))
		}
		if e.Metadata.Actor.Role != "administrator" || e.Metadata.Actor.TokenID == "" {
			t.Errorf("event %s has actor %+v, want the administrator", e.Type, e.Metadata.Actor)
		}
	}
}

func replaceIDs(body map[string]any, ids map[string]*string) map[string]any {
	out := make(map[string]any, len(body))
	for k, v := range body {
		if s, ok := v.(string); ok {
			if id, ok := ids[s]; ok {
				v = *id
			}
		}
		out[k] = v
	}
	return out
}

func replaceString(path string, ids map[string]*string) string {
	for k, v := range ids {
		path = strings.ReplaceAll(path, "/"+k+"/", "/"+*v+"/")
	}
	return path
}

func jsonNumber(f float64) string {
	b, _ := json.Marshal(int64(f))
	return string(b)
}

// TestNominationReceivedAtIsEnglandsDate: an email at 23:30 UTC on 31 March
// during British Summer Time was received on 1 April.
func TestNominationReceivedAtIsEnglandsDate(t *testing.T) {
	h := newHarness(t)
	b := nominationBody()
	delete(b, "received_on")
	b["received_at"] = "2026-03-31T23:30:00Z"
	r := h.mustPost("/v1/councils/E07000228/nominations", b, http.StatusCreated)
	if got := r.str("received_on"); got != "2026-04-01" {
		t.Errorf("received_on = %q, want 2026-04-01", got)
	}
	es := h.events()
	if len(es) != 1 {
		t.Fatalf("the log holds %d events, want 1", len(es))
	}
	var data struct {
		ReceivedOn string `json:"received_on"`
	}
	if err := json.Unmarshal(es[0].Data, &data); err != nil {
		t.Fatal(err)
	}
	if data.ReceivedOn != "2026-04-01" || es[0].Metadata.EffectiveDate != domain.NewDate(2026, 4, 1) {
		t.Errorf("stored received_on %q, effective date %s; want 2026-04-01", data.ReceivedOn, es[0].Metadata.EffectiveDate)
	}
}

// TestDefaultsToTodayInEngland: without received_on or received_at the
// council received the nomination today, in England.
func TestDefaultsToTodayInEngland(t *testing.T) {
	h := newHarness(t)
	b := nominationBody()
	delete(b, "received_on")
	r := h.mustPost("/v1/councils/E07000228/nominations", b, http.StatusCreated)
	if got := r.str("received_on"); got != "2026-06-01" {
		t.Errorf("received_on = %q, want today, 2026-06-01", got)
	}
	if loc := r.header.Get("Location"); loc != "/v1/assets/"+r.str("asset_id") {
		t.Errorf("Location = %q, want the asset", loc)
	}
}

// TestNominationListingBarred: a nomination by an ineligible body of land
// that can never be listed is recorded, and the answer names both rules.
func TestNominationListingBarred(t *testing.T) {
	h := newHarness(t)
	b := nominationBody()
	b["nominator"] = map[string]any{"name": "Ashby Residents", "kind": "unincorporated_body", "local_connection": true, "local_elector_members": 5}
	b["land"].(map[string]any)["use"] = "residence"
	r := h.mustPost("/v1/councils/E07000228/nominations", b, http.StatusCreated)
	barred, _ := r.body["listing_barred"].([]any)
	if len(barred) != 2 {
		t.Errorf("listing_barred = %v, want two rules", r.body["listing_barred"])
	}
}

// TestIfMatch: a write with the current version succeeds; with an old one it
// is refused with 412 and records nothing.
func TestIfMatch(t *testing.T) {
	h := newHarness(t)
	asset, nom := h.listedAsset()
	notice := map[string]any{"kind": "listing", "subject": nom, "method": "post", "given_on": "2025-02-21",
		"recipients": []any{map[string]any{"role": "owner", "party": map[string]any{"name": "Brewery Ltd"}}}}
	r := h.mustPost("/v1/assets/"+asset+"/notices", notice, http.StatusCreated, header{"If-Match", `"2"`})
	if r.header.Get("ETag") != `"3"` {
		t.Errorf("ETag = %q, want \"3\"", r.header.Get("ETag"))
	}
	h.mustPost("/v1/assets/"+asset+"/owners", map[string]any{"owner": map[string]any{"id": "o2", "name": "New"}, "changed_on": "2025-03-01"},
		http.StatusCreated, header{"If-Match", "3"}) // a bare version is accepted too
	before := h.events()
	r = h.post("/v1/assets/"+asset+"/owners", map[string]any{"owner": map[string]any{"id": "o3", "name": "Newer"}, "changed_on": "2025-03-02"},
		header{"If-Match", `"3"`})
	wantProblem(t, "stale If-Match", r, http.StatusPreconditionFailed)
	if after := h.events(); len(after) != len(before) {
		t.Errorf("a refused write appended %d events", len(after)-len(before))
	}
	r = h.post("/v1/assets/"+asset+"/owners", map[string]any{"owner": map[string]any{"id": "o3", "name": "Newer"}}, header{"If-Match", `W/"4"`})
	wantProblem(t, "weak If-Match", r, http.StatusBadRequest)
}
