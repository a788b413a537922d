package api_test

import (
	"bytes"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// TestRefusedWrites checks every class of refused write: its status, its
// problem body, and that the log is untouched afterwards.
func TestRefusedWrites(t *testing.T) {
	h := newHarness(t)
	asset, nom := h.listedAsset()
	// A second asset with an undecided nomination: nothing to bid on.
	unlisted := h.mustPost("/v1/councils/E07000228/nominations", nominationBody(), http.StatusCreated).str("asset_id")
	// A disposal notice on the listed asset, so that a second one falls in
	// its protected period.
	h.mustPost("/v1/assets/"+asset+"/disposal-notices",
		map[string]any{"owner": map[string]any{"id": "owner-1"}, "received_on": "2026-01-05"}, http.StatusCreated)

	big := `{"reasons": "` + strings.Repeat("x", 1<<20) + `"}`
	for _, tt := range []struct {
		name    string
		path    string
		body    any
		headers []header
		status  int
		fields  []string // for 400: the fields named in errors
		rule    string   // for 422
		check   func(t *testing.T, r reply)
	}{
		{name: "wrong content type", path: "/v1/councils/E07000228/nominations", body: `{}`,
			headers: []header{{"Content-Type", "text/plain"}}, status: 415,
			check: func(t *testing.T, r reply) {
				if r.header.Get("Accept-Post") != "application/json" {
					t.Errorf("415 without Accept-Post: %v", r.header)
				}
			}},
		{name: "no content type", path: "/v1/assets/" + asset + "/owners", body: `{}`,
			headers: []header{{"Content-Type", ""}}, status: 415},
		{name: "body too large, declared", path: "/v1/councils/E07000228/nominations", body: big, status: 413},
		{name: "body too large, streamed", path: "/v1/councils/E07000228/nominations",
			body: io.MultiReader(strings.NewReader(big)), status: 413},
		{name: "malformed JSON", path: "/v1/councils/E07000228/nominations", body: `{"reasons": `, status: 400},
		{name: "not an object", path: "/v1/councils/E07000228/nominations", body: `[1, 2]`, status: 400},
		{name: "two values", path: "/v1/assets/" + asset + "/owners", body: `{} {}`, status: 400},
		{name: "empty body", path: "/v1/assets/" + asset + "/owners", body: ``, status: 400},
		{name: "unknown field", path: "/v1/assets/" + asset + "/owners",
			body: map[string]any{"owner": map[string]any{"id": "o2", "name": "x"}, "colour": "red"}, status: 400, fields: []string{"colour"}},
		{name: "wrong JSON type", path: "/v1/assets/" + asset + "/bids",
			body: map[string]any{"bidder": map[string]any{"name": "x"}, "amount_pence": "lots"}, status: 400, fields: []string{"amount_pence"}},
		{name: "impossible date", path: "/v1/assets/" + asset + "/nominations/" + nom + "/decision",
			body: map[string]any{"outcome": "not_listed", "reasons": "r", "decided_on": "2026-02-30"}, status: 400, fields: []string{"decided_on"}},
		{name: "bad received_at", path: "/v1/assets/" + asset + "/disposal-notices",
			body: map[string]any{"owner": map[string]any{"id": "owner-1"}, "received_at": "31/03/2026 23:30"}, status: 400, fields: []string{"received_at"}},
		{name: "both received_on and received_at", path: "/v1/assets/" + asset + "/disposal-notices",
			body:   map[string]any{"owner": map[string]any{"id": "owner-1"}, "received_on": "2026-03-01", "received_at": "2026-03-01T10:00:00Z"},
			status: 400, fields: []string{"received_at"}},
		{name: "every bad field at once", path: "/v1/assets/" + asset + "/compensation-claims",
			body: map[string]any{"loss_incurred_on": "yesterday", "received_on": "2026-13-01"}, status: 400,
			fields: []string{"claimant", "loss_incurred_on", "received_on"}},
		{name: "date after today", path: "/v1/assets/" + asset + "/owners",
			body: map[string]any{"owner": map[string]any{"id": "o2", "name": "x"}, "changed_on": "2026-06-02"}, status: 400, fields: []string{"changed_on"}},
		{name: "statutory content missing", path: "/v1/councils/E07000228/nominations",
			body: func() map[string]any { b := nominationBody(); b["land"].(map[string]any)["name"] = ""; return b }(), status: 400, fields: []string{"land.name"}},
		{name: "bad council code", path: "/v1/councils/E07%20000228/nominations", body: nominationBody(), status: 400, fields: []string{"council"}},
		{name: "asset_id not a UUID", path: "/v1/councils/E07000228/nominations",
			body: func() map[string]any { b := nominationBody(); b["asset_id"] = "red-lion"; return b }(), status: 400, fields: []string{"asset_id"}},
		{name: "malformed If-Match", path: "/v1/assets/" + asset + "/owners",
			body: map[string]any{"owner": map[string]any{"id": "o2", "name": "x"}}, headers: []header{{"If-Match", "version 3"}}, status: 400, fields: []string{"If-Match"}},
		{name: "bad Idempotency-Key", path: "/v1/assets/" + asset + "/owners",
			body: map[string]any{"owner": map[string]any{"id": "o2", "name": "x"}}, headers: []header{{"Idempotency-Key", strings.Repeat("k", 300)}}, status: 400, fields: []string{"Idempotency-Key"}},
		{name: "no token", path: "/v1/assets/" + asset + "/owners", body: map[string]any{"owner": map[string]any{"id": "o2", "name": "x"}},
			headers: []header{{"Authorization", ""}}, status: 401,
			check: func(t *testing.T, r reply) {
				if got := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
					t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", got)
				}
			}},
		{name: "bad token", path: "/v1/assets/" + asset + "/owners", body: map[string]any{"owner": map[string]any{"id": "o2", "name": "x"}},
			headers: []header{{"Authorization", "Bearer " + adminToken + "x"}}, status: 401,
			check: func(t *testing.T, r reply) {
				if got := r.header.Get("WWW-Authenticate"); !strings.Contains(got, `error="invalid_token"`) {
					t.Errorf("WWW-Authenticate = %q, want invalid_token", got)
				}
			}},
		{name: "not a bearer token", path: "/v1/assets/" + asset + "/owners", body: map[string]any{"owner": map[string]any{"id": "o2", "name": "x"}},
			headers: []header{{"Authorization", "Basic " + adminToken}}, status: 401},
		{name: "unknown asset", path: "/v1/assets/" + uuid.NewString() + "/owners",
			body: map[string]any{"owner": map[string]any{"id": "o2", "name": "x"}}, status: 404},
		{name: "unknown asset for a nomination", path: "/v1/councils/E07000228/nominations",
			body: func() map[string]any { b := nominationBody(); b["asset_id"] = uuid.NewString(); return b }(), status: 404},
		{name: "unknown nomination", path: "/v1/assets/" + asset + "/nominations/nope/decision",
			body: map[string]any{"outcome": "listed"}, status: 404},
		{name: "stale If-Match", path: "/v1/assets/" + asset + "/owners",
			body: map[string]any{"owner": map[string]any{"id": "o2", "name": "x"}}, headers: []header{{"If-Match", `"1"`}}, status: 412},
		{name: "bidder request with no disposal notice", path: "/v1/assets/" + unlisted + "/bidder-requests",
			body: map[string]any{"group": map[string]any{"name": "Friends", "kind": "charity", "local_connection": true}}, status: 422,
			rule: "s.95(3), Regs reg 12"},
		{name: "disposal notice inside a protected period", path: "/v1/assets/" + asset + "/disposal-notices",
			body: map[string]any{"owner": map[string]any{"id": "owner-1"}, "received_on": "2026-05-01"}, status: 422, rule: "s.95(4)"},
		{name: "second decision", path: "/v1/assets/" + asset + "/nominations/" + nom + "/decision",
			body: map[string]any{"outcome": "listed"}, status: 422, rule: "s.90"},
		{name: "review by someone not the owner", path: "/v1/assets/" + asset + "/reviews",
			body: map[string]any{"requester": map[string]any{"id": "someone", "name": "Someone"}}, status: 422, rule: "s.92"},
		{name: "Idempotency-Key reused for another request", path: "/v1/assets/" + asset + "/owners",
			body: map[string]any{"owner": map[string]any{"id": "o9", "name": "other"}}, headers: []header{{"Idempotency-Key", "used-once"}}, status: 422},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "Idempotency-Key reused for another request" {
				h.mustPost("/v1/assets/"+unlisted+"/owners", map[string]any{"owner": map[string]any{"id": "o8", "name": "first"}, "changed_on": "2025-02-01"},
					http.StatusCreated, header{"Idempotency-Key", "used-once"})
			}
			before := h.events()
			r := h.post(tt.path, tt.body, tt.headers...)
			wantProblem(t, tt.name, r, tt.status)
			if tt.fields != nil {
				if got := problemFields(r); !slices.Equal(got, tt.fields) {
					t.Errorf("errors name %v, want %v: %s", got, tt.fields, r.raw)
				}
			}
			if tt.rule != "" && r.body["rule"] != tt.rule {
				t.Errorf("rule = %v, want %q: %s", r.body["rule"], tt.rule, r.raw)
			}
			if r.header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("a problem lacks the security headers: %v", r.header)
			}
			if tt.check != nil {
				tt.check(t, r)
			}
			if after := h.events(); len(after) != len(before) {
				t.Errorf("a refused request appended %d events", len(after)-len(before))
			}
		})
	}
}

// TestServerFaultHidesDetail: a 5xx answer never carries internal detail;
// the detail goes to the log.
func TestServerFaultHidesDetail(t *testing.T) {
	h := newHarness(t)
	asset, _ := h.listedAsset()
	h.store.Close() // every read and append now fails inside the store
	r := h.post("/v1/assets/"+asset+"/owners", map[string]any{"owner": map[string]any{"id": "o2", "name": "x"}})
	wantProblem(t, "write with a closed store", r, http.StatusInternalServerError)
	if bytes.Contains(r.raw, []byte("sql")) || bytes.Contains(r.raw, []byte("closed")) {
		t.Errorf("the 500 problem leaks detail: %s", r.raw)
	}
	if !strings.Contains(h.logs.String(), `"level":"ERROR"`) {
		t.Errorf("the fault was not logged: %s", h.logs.String())
	}
}
