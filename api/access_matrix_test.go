package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/acv-registry/acv/api"
	"github.com/acv-registry/acv/webhooks"
	"github.com/gorilla/mux"
)

// The authorisation matrix: every write route (the lifecycle's, the
// organisation and token routes, the webhooks) and the officers' deadline
// queue, against every caller: the public, an administrator, an officer of
// the asset's council and of another council, the nominating group and
// another group, the owner and another owner, an expired and a revoked
// token. Each row says the status each caller gets, in callerNames' order;
// each request names the asset's own parties (group G, owner O), so "the
// other group" and "the other owner" ask to act for someone else. A row's
// fixture is the asset after the earlier lifecycle steps, keyed in by the
// administrator. Every refusal must be a problem and leave the log (and the
// tokens) as they were; every success must record its caller as the actor
// of every event it appends.

// lifecycle is the asset's history, one write route a lifeStep. Placeholders
// (ASSET, NOM, REV ...) stand for ids earlier steps answered with.
type lifeStep struct {
	path   string
	body   map[string]any
	status int    // the status of a success
	keep   string // the answer's field to remember ...
	as     string // ... under this placeholder
	want   string // the matrix row; "" for a setup lifeStep that is not a row
}

func lifecycle() []lifeStep {
	a := "/v1/assets/ASSET"
	g := map[string]any{"id": groupG, "name": "Friends of the Swan", "kind": "charity", "local_connection": true}
	o := map[string]any{"id": ownerO}
	toOwner := []any{map[string]any{"role": "owner", "party": map[string]any{"id": ownerO, "name": "Swan Pub Co Ltd"}}}
	nomination := map[string]any{
		"received_on": "2025-01-06", "nominator": g,
		"land":      map[string]any{"name": "The Swan", "description": "A village pub", "boundaries": "Title WR1", "use": "partly_residential", "category": "pub"},
		"owner":     map[string]any{"id": ownerO, "name": "Swan Pub Co Ltd"},
		"interests": []any{map[string]any{"holder": map[string]any{"id": ownerO, "name": "Swan Pub Co Ltd"}, "estate": "freehold"}},
		"reasons":   "The only pub in the village.", "evidence": "Charity number 1190001.",
	}
	//                   public admin officer other-officer group other-group owner other-owner expired revoked
	const (
		officers  = "401 %d %d 403 403 403 403 403 401 401"
		withGroup = "401 %d %d 403 %d 403 403 403 401 401"
		withOwner = "401 %d %d 403 403 403 %d 403 401 401"
	)
	row := func(format string, status int) string {
		n := strings.Count(format, "%d")
		args := make([]any, n)
		for i := range args {
			args[i] = status
		}
		return fmt.Sprintf(format, args...)
	}
	return []lifeStep{
		{"/v1/councils/" + councilA + "/nominations", nomination, 201, "nomination_id", "NOM", row(withGroup, 201)},
		{a + "/notices", map[string]any{"kind": "consultation", "subject": "NOM", "method": "post", "given_on": "2025-01-10", "recipients": toOwner}, 201, "", "", row(officers, 201)},
		{a + "/nominations/NOM/decision", map[string]any{"outcome": "listed", "decided_on": "2025-02-20"}, 201, "", "", row(officers, 201)},
		{a + "/notices", map[string]any{"kind": "listing", "subject": "NOM", "method": "post", "given_on": "2025-02-21", "recipients": toOwner}, 201, "", "", ""},
		{a + "/nominations/NOM/review-window", map[string]any{"until": "2025-05-30", "extended_on": "2025-03-01"}, 201, "", "", row(officers, 201)},
		{a + "/reviews", map[string]any{"requester": o, "received_on": "2025-03-10"}, 201, "review_id", "REV", row(withOwner, 201)},
		{a + "/reviews/REV/extension", map[string]any{"until": "2025-06-30", "agreed_on": "2025-04-01"}, 201, "", "", row(officers, 201)},
		{a + "/reviews/REV/decision", map[string]any{"outcome": "upheld", "reasons": "It furthers social wellbeing.", "decided_on": "2025-06-01"}, 201, "", "", row(officers, 201)},
		{a + "/appeals", map[string]any{"review_id": "REV", "case_number": "CR/2025/0001", "appellant": o, "lodged_on": "2025-06-10"}, 201, "appeal_id", "APP", row(withOwner, 201)},
		{a + "/appeals/APP/decision", map[string]any{"outcome": "dismissed", "decided_on": "2025-09-01"}, 201, "", "", row(officers, 201)},
		{a + "/disposal-notices", map[string]any{"owner": o, "received_on": "2026-01-05"}, 201, "notice_id", "NOT", row(withOwner, 201)},
		{a + "/bidder-requests", map[string]any{"group": g, "received_on": "2026-01-20"}, 201, "request_id", "REQ", row(withGroup, 201)},
		{a + "/bids", map[string]any{"bidder": map[string]any{"id": groupG, "name": "Friends of the Swan"}, "request_id": "REQ", "amount_pence": 45000000, "submitted_on": "2026-02-01"}, 201, "bid_id", "BID", row(withGroup, 201)},
		{a + "/bids/BID/status", map[string]any{"status": "accepted", "changed_on": "2026-03-01"}, 201, "", "", row(withOwner, 201)},
		{a + "/disposals", map[string]any{"kind": "relevant", "buyer": map[string]any{"id": groupG, "name": "Friends of the Swan"}, "buyer_group": g, "disposed_on": "2026-04-01"}, 201, "disposal_id", "DSP", row(withOwner, 201)},
		{a + "/disposal-notices/NOT/outcome", map[string]any{"outcome": "sold_to_cig", "outcome_on": "2026-04-02"}, 201, "", "", row(officers, 201)},
		{a + "/owners", map[string]any{"owner": map[string]any{"id": ownerP, "name": "Another Owner Ltd"}, "changed_on": "2026-04-05"}, 201, "", "", row(officers, 201)},
		// From here O is a former owner: it may still claim (s.99); P, the
		// present owner, may not claim as O.
		{a + "/compensation-claims", map[string]any{"claimant": o, "loss_incurred_on": "2026-04-01", "received_on": "2026-04-15",
			"parts": []any{map[string]any{"description": "Delay to the sale", "amount_pence": 500000}}, "evidence": "Invoices"}, 201, "claim_id", "CLM", row(withOwner, 201)},
		{a + "/compensation-claims/CLM/decision", map[string]any{"award_pence": 100000, "reasons": "Part of the delay is shown.", "decided_on": "2026-04-20"}, 201, "", "", row(officers, 201)},
		{a + "/compensation-claims/CLM/review-window", map[string]any{"until": "2026-07-31", "extended_on": "2026-04-25"}, 201, "", "", row(officers, 201)},
		{a + "/compensation-claims/CLM/review", map[string]any{"requester": o, "received_on": "2026-05-01"}, 201, "", "", row(withOwner, 201)},
		{a + "/compensation-claims/CLM/review/decision", map[string]any{"award_pence": 200000, "reasons": "More of the delay is shown.", "decided_on": "2026-05-10"}, 201, "", "", row(officers, 201)},
		{a + "/compensation-claims/CLM/appeal", map[string]any{"case_number": "CR/2026/0002", "lodged_on": "2026-05-20"}, 201, "", "", row(withOwner, 201)},
		{a + "/compensation-claims/CLM/appeal/decision", map[string]any{"outcome": "allowed", "award_pence": 300000, "decided_on": "2026-05-30"}, 201, "", "", row(officers, 201)},
		{a + "/removal", map[string]any{"reason": "relevant_disposal", "ref": "DSP", "removed_on": "2026-06-02"}, 201, "", "", row(officers, 201)},
	}
}

// fill replaces the placeholders of v by ids.
func fill(v any, ids map[string]string) any {
	switch v := v.(type) {
	case string:
		for k, id := range ids {
			v = strings.ReplaceAll(v, k, id)
		}
		return v
	case map[string]any:
		out := map[string]any{}
		for k, e := range v {
			out[k] = fill(e, ids)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = fill(e, ids)
		}
		return out
	}
	return v
}

// fixture keys in steps as the administrator and returns the ids they
// answered with.
func (st *accessStack) fixture(steps []lifeStep) map[string]string {
	st.t.Helper()
	ids := map[string]string{}
	for _, s := range steps {
		r := st.send("admin", http.MethodPost, fill(s.path, ids).(string), fill(s.body, ids))
		if r.status != s.status {
			st.t.Fatalf("fixture: POST %s = %d, want %d: %s", s.path, r.status, s.status, r.raw)
		}
		if ids["ASSET"] == "" {
			ids["ASSET"] = r.str("asset_id")
		}
		if s.keep != "" {
			ids[s.as] = r.str(s.keep)
		}
	}
	return ids
}

// cell checks one caller's answer: want is its status. A refusal is a
// problem and changes nothing; a success records the caller as the actor
// of everything it appended.
func (st *accessStack) cell(caller, what string, want int, before int64, r reply) {
	st.t.Helper()
	if r.status != want {
		st.t.Errorf("%s as %s = %d, want %d: %s", what, caller, r.status, want, r.raw)
		return
	}
	if want >= 400 {
		wantProblem(st.t, what+" as "+caller, r, want)
		if after := st.last(); after != before {
			st.t.Errorf("%s as %s was refused but the log moved from %d to %d", what, caller, before, after)
		}
		return
	}
	for _, e := range st.eventsAfter(before) {
		if e.Metadata.Actor != st.actor[caller] {
			st.t.Errorf("%s as %s: event %s records actor %+v, want %+v", what, caller, e.Type, e.Metadata.Actor, st.actor[caller])
		}
	}
}

// parseRow reads a matrix row: one status per caller.
func parseRow(t *testing.T, row string) []int {
	t.Helper()
	fs := strings.Fields(row)
	if len(fs) != len(callerNames) {
		t.Fatalf("row %q has %d cells, want %d", row, len(fs), len(callerNames))
	}
	out := make([]int, len(fs))
	for i, f := range fs {
		n, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("row %q: %v", row, err)
		}
		out[i] = n
	}
	return out
}

func TestAuthorisationMatrix(t *testing.T) {
	forBothBackends(t, func(t *testing.T, backend string) {
		st := newAccessStack(t, backend)
		steps := lifecycle()
		covered := map[string]bool{}
		for i, s := range steps {
			if s.want == "" {
				continue
			}
			covered[template(s.path)] = true
			want := parseRow(t, s.want)
			shared := st.fixture(steps[:i]) // for the refusals, which change nothing
			for c, caller := range callerNames {
				ids := shared
				if want[c] < 400 {
					ids = st.fixture(steps[:i])
				}
				before := st.last()
				r := st.send(caller, http.MethodPost, fill(s.path, ids).(string), fill(s.body, ids))
				st.cell(caller, "POST "+s.path, want[c], before, r)
				if want[c] < 400 && st.last() == before {
					t.Errorf("POST %s as %s succeeded but appended nothing", s.path, caller)
				}
			}
		}
		for _, route := range lifecycleRoutes(t, st) {
			if !covered[route] {
				t.Errorf("write route POST %s has no row in the matrix", route)
			}
		}

		// The routes beyond the asset lifecycle: organisations, tokens,
		// webhooks and the officers' deadline queue.
		ctx := context.Background()
		st.catchUp() // the deadline queue reads the read models
		adminOnly := "401 %d 403 403 403 403 403 403 401 401"
		for _, x := range []struct {
			method, path string
			body         func(n int) any
			setup        func() string // makes what the path's ID names
			want         string
			events       bool // a success appends to the log
		}{
			{method: "POST", path: "/v1/organisations", body: func(n int) any {
				return map[string]any{"kind": "owner", "name": fmt.Sprintf("Owner %d Ltd", n)}
			}, want: fmt.Sprintf(adminOnly, 201), events: true},
			{method: "PATCH", path: "/v1/organisations/" + groupG, body: func(n int) any {
				return map[string]any{"name": fmt.Sprintf("Friends of the Swan (%d)", n)}
			}, want: fmt.Sprintf(adminOnly, 200), events: true},
			{method: "POST", path: "/v1/tokens", body: func(int) any {
				return map[string]any{"org": councilA, "role": "council_officer"}
			}, want: fmt.Sprintf(adminOnly, 201)},
			{method: "DELETE", path: "/v1/tokens/ID", setup: func() string {
				tok, _, err := st.tokens.Create(ctx, api.NewToken{Org: councilA, Role: api.RoleCouncilOfficer}, st.actor["admin"])
				if err != nil {
					t.Fatal(err)
				}
				return tok.ID
			}, want: fmt.Sprintf(adminOnly, 200)},
			{method: "POST", path: "/v1/webhooks", body: func(int) any {
				return map[string]any{"council": councilA, "url": "http://hooks.example/acv"}
			}, want: fmt.Sprintf(adminOnly, 201)},
			{method: "DELETE", path: "/v1/webhooks/ID", setup: func() string {
				sub, _, err := st.hooks.Subscribe(ctx, webhooks.NewSubscription{Council: councilA, URL: "http://hooks.example/acv"})
				if err != nil {
					t.Fatal(err)
				}
				return sub.ID.String()
			}, want: fmt.Sprintf(adminOnly, 204)},
			{method: "GET", path: "/v1/councils/" + councilA + "/deadlines", want: "401 200 200 403 403 403 403 403 401 401"},
		} {
			want := parseRow(t, x.want)
			for c, caller := range callerNames {
				path := x.path
				if x.setup != nil {
					path = strings.Replace(path, "ID", x.setup(), 1)
				}
				var body any
				if x.body != nil {
					body = x.body(c)
				}
				before, tokens := st.last(), st.tokenCount()
				r := st.send(caller, x.method, path, body)
				st.cell(caller, x.method+" "+x.path, want[c], before, r)
				if want[c] >= 400 && st.tokenCount() != tokens {
					t.Errorf("%s %s as %s was refused but the tokens changed", x.method, x.path, caller)
				}
				if moved := st.last() != before; want[c] < 400 && moved != x.events {
					t.Errorf("%s %s as %s: the log moved %v, want %v", x.method, x.path, caller, moved, x.events)
				}
			}
		}
	})
}

// template turns a lifecycle lifeStep's path into its route template.
func template(path string) string {
	return strings.NewReplacer("/v1/councils/"+councilA, "/v1/councils/{council}", "/v1/assets/ASSET", "/v1/assets/{id}",
		"nominations/NOM", "nominations/{nid}", "disposal-notices/NOT", "disposal-notices/{nid}", "reviews/REV", "reviews/{rid}",
		"appeals/APP", "appeals/{aid}", "bids/BID", "bids/{bid}", "compensation-claims/CLM", "compensation-claims/{cid}").Replace(path)
}

// lifecycleRoutes returns the template of every POST route of the
// lifecycle the server serves: those of assets and of councils.
func lifecycleRoutes(t *testing.T, st *accessStack) []string {
	t.Helper()
	var out []string
	err := api.RouterOf(st.server).Walk(func(r *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		path, err := r.GetPathTemplate()
		if err != nil {
			return err
		}
		methods, _ := r.GetMethods()
		for _, m := range methods {
			if m == http.MethodPost && (strings.HasPrefix(path, "/v1/assets/") || strings.HasPrefix(path, "/v1/councils/")) {
				out = append(out, path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 24 {
		t.Fatalf("only %d lifecycle write routes: %v", len(out), out)
	}
	return out
}
