package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// writeRoutes are every write route, on a listed asset whose nomination is
// nid; ids named in a path that do not exist are part of what is tested.
func writeRoutes(asset, nid string) []string {
	a := "/v1/assets/" + asset
	return []string{
		"/v1/councils/E07000228/nominations",
		a + "/nominations/" + nid + "/decision",
		a + "/nominations/" + nid + "/review-window",
		a + "/notices",
		a + "/reviews",
		a + "/reviews/r1/decision",
		a + "/reviews/r1/extension",
		a + "/appeals",
		a + "/appeals/a1/decision",
		a + "/disposal-notices",
		a + "/disposal-notices/n1/outcome",
		a + "/bidder-requests",
		a + "/bids",
		a + "/bids/b1/status",
		a + "/disposals",
		a + "/removal",
		a + "/owners",
		a + "/compensation-claims",
		a + "/compensation-claims/c1/decision",
		a + "/compensation-claims/c1/review",
		a + "/compensation-claims/c1/review-window",
		a + "/compensation-claims/c1/review/decision",
		a + "/compensation-claims/c1/appeal",
		a + "/compensation-claims/c1/appeal/decision",
	}
}

// malformedBodies are bodies no write may accept, each of a different kind
// of wrongness: not JSON, not an object, wrong types, impossible dates,
// numbers out of range, nesting and sizes meant to hurt, invalid UTF-8.
var malformedBodies = []string{
	``,
	`null`,
	`[]`,
	`"a string"`,
	`42`,
	`{`,
	`{"received_on": 5}`,
	`{"received_on": "2026-13-45"}`,
	`{"received_on": "2026-02-30"}`,
	`{"received_at": "yesterday"}`,
	`{"received_on": "2999-01-01"}`,
	`{"outcome": null, "decided_on": []}`,
	`{"land": "a field", "nominator": 7}`,
	`{"nominator": {"kind": {"nested": true}}}`,
	`{"amount_pence": 1e400}`,
	`{"amount_pence": -5, "parts": [{"amount_pence": "lots"}]}`,
	`{"colour": "red"}`,
	`{"reasons": "` + "\xff\xfe" + `"}`,
	strings.Repeat(`[`, 10000) + strings.Repeat(`]`, 10000),
	`{"reasons": "` + strings.Repeat("x", 2<<20) + `"}`,
	`{} {}`,
}

// TestWritesRefuseMalformedBodies: every write route answers every
// malformed body with a 4xx problem - never a 5xx - and the log is
// untouched.
func TestWritesRefuseMalformedBodies(t *testing.T) {
	h := newHarness(t)
	asset, nid := h.listedAsset()
	before := len(h.events())
	for _, path := range writeRoutes(asset, nid) {
		for i, body := range malformedBodies {
			r := h.post(path, body)
			if r.status < 400 || r.status > 499 {
				t.Errorf("POST %s with malformed body %d (%.40q) = %d, want a 4xx: %.200s", path, i, body, r.status, r.raw)
				continue
			}
			if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("POST %s with malformed body %d: content type %q, want application/problem+json", path, i, ct)
			}
		}
	}
	if after := len(h.events()); after != before {
		t.Errorf("malformed writes changed the log: %d events before, %d after", before, after)
	}
}

// FuzzNomination: no body, however odd, makes the nomination route answer
// with a server fault. `go test -fuzz FuzzNomination ./api/` explores; the
// seeds run with every test run.
func FuzzNomination(f *testing.F) {
	for _, b := range malformedBodies[:len(malformedBodies)-2] {
		f.Add(b)
	}
	f.Add(`{"nominator": {"name": "x", "kind": "charity", "local_connection": true}, "land": {"name": "x", "description": "x", "boundaries": "x", "use": "residence"}, "reasons": "x", "evidence": "x"}`)
	f.Add(`{"nominator": {"name": "x", "kind": "individual"}, "land": {"name": "x", "description": "x", "boundaries": "x", "use": "non_residential", "point": {"lat": 95, "lon": 200}}, "reasons": "x", "evidence": "x"}`)
	f.Fuzz(func(t *testing.T, body string) {
		h := newHarness(t)
		r := h.post("/v1/councils/E07000228/nominations", body)
		if r.status >= 500 {
			t.Fatalf("POST nomination %q = %d: %s", body, r.status, r.raw)
		}
		if r.status != http.StatusCreated && len(h.events()) != 0 {
			t.Fatalf("a refused nomination (%d) wrote to the log", r.status)
		}
		if r.status == http.StatusCreated && len(h.events()) != 1 {
			t.Fatalf("an accepted nomination wrote %d events", len(h.events()))
		}
	})
}
