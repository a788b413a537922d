package api_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acv-registry/acv/api"
	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/sqlite"
	"github.com/acv-registry/acv/internal/testclock"
	"github.com/google/uuid"
)

// TestAccessRefusals: bad input to the organisation and token routes, and
// bad tokens on a write, get the right status and a problem, and change
// neither the log nor the tokens.
func TestAccessRefusals(t *testing.T) {
	forBothBackends(t, func(t *testing.T, backend string) {
		st := newAccessStack(t, backend)
		group := map[string]any{"kind": "community_group", "name": "X", "legal_form": "charity"}
		for _, x := range []struct {
			caller, method, path string
			body                 any
			status               int
			detail               string // in the problem's detail
		}{
			{"admin", "POST", "/v1/organisations", `{"kind": "owner", "name": `, 400, ""},
			{"admin", "POST", "/v1/organisations", map[string]any{"kind": "person", "name": "X", "id": "org-x"}, 400, "unknown kind"},
			{"admin", "POST", "/v1/organisations", map[string]any{"kind": "owner", "name": "X", "colour": "red"}, 400, ""},
			{"admin", "POST", "/v1/organisations", map[string]any{"kind": "council", "name": "X"}, 400, "id"},
			{"admin", "POST", "/v1/organisations", map[string]any{"id": councilA, "kind": "council", "name": "X"}, 409, "registered already"},
			{"admin", "POST", "/v1/organisations", map[string]any{"kind": "community_group", "name": "X", "legal_form": "individual"}, 400, "not a community body"},
			{"admin", "POST", "/v1/organisations", map[string]any{"kind": "council", "id": "E07000001", "name": "X", "neighbours": []any{"Kent"}}, 400, "council code"},
			{"officer", "POST", "/v1/organisations", group, 403, ""},
			{"group", "POST", "/v1/organisations", group, 403, ""},
			{"public", "POST", "/v1/organisations", group, 401, ""},
			{"admin", "PATCH", "/v1/organisations/org-unknown", map[string]any{"name": "X"}, 404, ""},
			{"admin", "PATCH", "/v1/organisations/" + groupG, map[string]any{"legal_form": "individual"}, 400, ""},
			{"admin", "PATCH", "/v1/organisations/" + groupG, `[]`, 400, ""},
			{"admin", "POST", "/v1/tokens", `{"org":`, 400, ""},
			{"admin", "POST", "/v1/tokens", map[string]any{"org": "org-unknown", "role": "owner"}, 400, "no organisation"},
			{"admin", "POST", "/v1/tokens", map[string]any{"org": councilA, "role": "mayor"}, 400, "unknown role"},
			{"admin", "POST", "/v1/tokens", map[string]any{"org": groupG, "role": "owner"}, 400, "community_group"},
			{"admin", "POST", "/v1/tokens", map[string]any{"org": councilA, "role": "administrator"}, 400, "registry"},
			{"admin", "POST", "/v1/tokens", map[string]any{"org": councilA, "role": "council_officer", "expires": "forever"}, 400, "lifetime"},
			{"admin", "POST", "/v1/tokens", map[string]any{"org": councilA, "role": "council_officer", "expires": "9999d"}, 400, "at most"},
			{"officer", "POST", "/v1/tokens", map[string]any{"org": councilA, "role": "council_officer"}, 403, ""},
			{"owner", "GET", "/v1/tokens", nil, 403, ""},
			{"admin", "DELETE", "/v1/tokens/tok-0000000000000000", nil, 404, ""},
			{"expired", "POST", "/v1/councils/" + councilA + "/nominations", map[string]any{}, 401, "expired"},
			{"revoked", "POST", "/v1/councils/" + councilA + "/nominations", map[string]any{}, 401, "revoked"},
			{"expired", "GET", "/v1/councils/" + councilA + "/deadlines", nil, 401, "expired"},
		} {
			before, tokens := st.last(), st.tokenCount()
			var r reply
			if s, ok := x.body.(string); ok {
				r = st.sendRaw(x.caller, x.method, x.path, s)
			} else {
				r = st.send(x.caller, x.method, x.path, x.body)
			}
			what := x.caller + " " + x.method + " " + x.path
			wantProblem(t, what, r, x.status)
			if !strings.Contains(r.str("detail"), x.detail) {
				t.Errorf("%s: detail %q does not say %q", what, r.str("detail"), x.detail)
			}
			if st.last() != before || st.tokenCount() != tokens {
				t.Errorf("%s was refused but changed the log or the tokens", what)
			}
		}
		// A garbage token is 401 with a challenge, like a missing one.
		st.bearer["garbage"] = "acv_tok-0123456789abcdef_" + strings.Repeat("A", 43)
		r := st.send("garbage", "POST", "/v1/tokens", map[string]any{"role": "administrator"})
		wantProblem(t, "garbage token", r, 401)
		if !strings.Contains(r.header.Get("WWW-Authenticate"), "invalid_token") {
			t.Errorf("401 without an invalid_token challenge: %v", r.header)
		}
	})
}

// TestGroupsAndOwnersActForThemselves: a community group that leaves its
// nominator, request or bidder out is filled in from its organisation
// record, its local connection (Regs reg 4) from "serves this council or a
// neighbouring authority's area"; an owner that leaves itself out is
// filled in too.
func TestGroupsAndOwnersActForThemselves(t *testing.T) {
	forBothBackends(t, func(t *testing.T, backend string) {
		st := newAccessStack(t, backend)
		steps := lifecycle()
		nomination := lifecycle()[0].body
		delete(nomination, "nominator")
		r := st.send("group", "POST", "/v1/councils/"+councilA+"/nominations", nomination)
		if r.status != http.StatusCreated {
			t.Fatalf("a group's nomination without a nominator = %d: %s", r.status, r.raw)
		}
		if barred, _ := r.body["listing_barred"].([]any); len(barred) > 0 {
			t.Errorf("the group's record was not eligible: %s", r.raw)
		}
		var got domain.NominationReceived
		st.lastEventInto(r.str("asset_id"), &got)
		// Friends of the Swan serve Bromsgrove, a neighbour of Wyre Forest.
		want := domain.Body{ID: groupG, Name: "Friends of the Swan", Kind: domain.Charity, LocalConnection: true}
		if got.Nominator != want {
			t.Errorf("nominator = %+v, want %+v", got.Nominator, want)
		}
		// A group that serves neither the council nor one of its
		// neighbours has no local connection (Regs reg 4): its nomination is
		// recorded, with listing barred under that rule.
		org := st.send("admin", "POST", "/v1/organisations", map[string]any{"kind": "community_group",
			"name": "Friends Far Away", "legal_form": "charity", "serves": []string{"E09000033"}})
		if org.status != http.StatusCreated {
			t.Fatalf("register a far group = %d: %s", org.status, org.raw)
		}
		_, bearer, err := st.tokens.Create(context.Background(), api.NewToken{Org: org.str("id"), Role: api.RoleCommunityGroup}, st.actor["admin"])
		if err != nil {
			t.Fatal(err)
		}
		st.bearer["far"] = bearer
		r = st.send("far", "POST", "/v1/councils/"+councilA+"/nominations", nomination)
		if r.status != http.StatusCreated {
			t.Fatalf("the far group's nomination = %d: %s", r.status, r.raw)
		}
		st.lastEventInto(r.str("asset_id"), &got)
		if got.Nominator.LocalConnection {
			t.Errorf("a group serving only E09000033 has a local connection with %s: %+v", councilA, got.Nominator)
		}
		if !strings.Contains(string(r.raw), `"rule":"Regs reg 4"`) {
			t.Errorf("the far group's nomination is not barred under Regs reg 4: %s", r.raw)
		}

		// The owner asks for a review without naming itself.
		ids := st.fixture(steps[:5])
		r = st.send("owner", "POST", fill("/v1/assets/ASSET/reviews", ids).(string), map[string]any{"received_on": "2025-03-10"})
		if r.status != http.StatusCreated {
			t.Fatalf("the owner's review request without a requester = %d: %s", r.status, r.raw)
		}
		var review domain.ReviewRequested
		st.lastEventInto(r.str("asset_id"), &review)
		if review.Requester.ID != ownerO {
			t.Errorf("requester = %+v, want %s", review.Requester, ownerO)
		}
		// The group asks to bid and bids without naming itself.
		ids = st.fixture(steps[:11])
		r = st.send("group", "POST", fill("/v1/assets/ASSET/bidder-requests", ids).(string), map[string]any{"received_on": "2026-01-20"})
		if r.status != http.StatusCreated || r.str("status") != "accepted" {
			t.Fatalf("the group's request to bid = %d: %s", r.status, r.raw)
		}
		r = st.send("group", "POST", fill("/v1/assets/ASSET/bids", ids).(string), map[string]any{"amount_pence": 100, "submitted_on": "2026-02-01"})
		if r.status != http.StatusCreated {
			t.Fatalf("the group's bid = %d: %s", r.status, r.raw)
		}
		var bid domain.BidSubmitted
		st.lastEventInto(r.str("asset_id"), &bid)
		if bid.Bidder.ID != groupG || bid.Bidder.Name != "Friends of the Swan" {
			t.Errorf("bidder = %+v", bid.Bidder)
		}
	})
}

// lastEventInto decodes the last event of asset id's stream into v. It
// reads the stream, not the log's tail: on PostgreSQL a reader of the whole
// log sees only what commits below the oldest running transaction, and the
// consumers keep one open.
func (st *accessStack) lastEventInto(id string, v any) {
	st.t.Helper()
	es, err := st.store.ReadStream(context.Background(), domain.AssetStream(id), 1, eventstore.Opened)
	if err != nil {
		st.t.Fatal(err)
	}
	if len(es) == 0 {
		st.t.Fatalf("asset %s has no events", id)
	}
	if err := json.Unmarshal(es[len(es)-1].Data, v); err != nil {
		st.t.Fatal(err)
	}
}

// sendRaw sends body as it is, as JSON.
func (st *accessStack) sendRaw(caller, method, path, body string) reply {
	st.t.Helper()
	return st.send(caller, method, path, rawBody(body))
}

// TestTimelineNamesRoleAndOrganisation: the public timeline says who acted
// by role and organisation's public name, never a token.
func TestTimelineNamesRoleAndOrganisation(t *testing.T) {
	forBothBackends(t, func(t *testing.T, backend string) {
		st := newAccessStack(t, backend)
		steps := lifecycle()
		r := st.send("group", "POST", "/v1/councils/"+councilA+"/nominations", steps[0].body)
		if r.status != http.StatusCreated {
			t.Fatalf("nominate: %d %s", r.status, r.raw)
		}
		ids := map[string]string{"ASSET": r.str("asset_id"), "NOM": r.str("nomination_id")}
		for _, s := range steps[1:3] {
			if r := st.send("officer", "POST", fill(s.path, ids).(string), fill(s.body, ids)); r.status != http.StatusCreated {
				t.Fatalf("%s: %d %s", s.path, r.status, r.raw)
			}
		}
		st.catchUp()
		tl := st.send("public", "GET", "/v1/assets/"+ids["ASSET"]+"/timeline", nil)
		if tl.status != http.StatusOK {
			t.Fatalf("timeline: %d %s", tl.status, tl.raw)
		}
		var page struct {
			Items []struct {
				Actor     string `json:"actor"`
				ActorRole string `json:"actor_role"`
				ActorOrg  string `json:"actor_org"`
			} `json:"items"`
		}
		if err := json.Unmarshal(tl.raw, &page); err != nil {
			t.Fatal(err)
		}
		want := []string{"Community group, Friends of the Swan", "Council officer, Wyre Forest District Council", "Council officer, Wyre Forest District Council"}
		if len(page.Items) != len(want) {
			t.Fatalf("timeline has %d entries: %s", len(page.Items), tl.raw)
		}
		for i, w := range want {
			if page.Items[i].Actor != w {
				t.Errorf("entry %d actor = %q, want %q", i, page.Items[i].Actor, w)
			}
		}
		for name, a := range st.actor {
			if a.TokenID != "" && strings.Contains(string(tl.raw), a.TokenID) {
				t.Errorf("the timeline shows the token id of %s", name)
			}
		}
	})
}

// TestTokensRecordLastUseSparingly: authentication records a token's last
// use at most once a minute, and refuses it once expired.
func TestTokensRecordLastUseSparingly(t *testing.T) {
	ctx := context.Background()
	clock := testclock.New(time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC))
	path := filepath.Join(t.TempDir(), "acv.db")
	store, err := sqlite.Open(ctx, path, sqlite.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := api.MigrateTokens(ctx, db, eventstore.SQLite); err != nil {
		t.Fatal(err)
	}
	tokens := api.NewTokens(db, eventstore.SQLite, eventstore.NewOrganisations(store, uuid.New), api.TokenOptions{Now: clock.Now})
	tok, bearer, err := tokens.Create(ctx, api.NewToken{Role: api.RoleAdministrator, Life: time.Hour}, eventstore.Actor{Role: "test"})
	if err != nil {
		t.Fatal(err)
	}
	lastUse := func() time.Time {
		t.Helper()
		got, err := tokens.Get(ctx, tok.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.LastUsedAt == nil {
			return time.Time{}
		}
		return *got.LastUsedAt
	}
	if !lastUse().IsZero() {
		t.Fatal("a new token has a last use")
	}
	first := clock.Now()
	if _, err := tokens.Authenticate(ctx, bearer); err != nil {
		t.Fatal(err)
	}
	clock.Advance(30 * time.Second)
	if _, err := tokens.Authenticate(ctx, bearer); err != nil {
		t.Fatal(err)
	}
	if !lastUse().Equal(first.Truncate(time.Millisecond)) {
		t.Errorf("last use %v after two uses 30s apart, want the first, %v", lastUse(), first)
	}
	clock.Advance(31 * time.Second)
	if _, err := tokens.Authenticate(ctx, bearer); err != nil {
		t.Fatal(err)
	}
	if !lastUse().Equal(clock.Now().Truncate(time.Millisecond)) {
		t.Errorf("last use %v, want %v", lastUse(), clock.Now())
	}
	if _, err := tokens.Authenticate(ctx, bearer[:len(bearer)-1]+"x"); !errors.Is(err, api.ErrTokenUnknown) {
		t.Errorf("a wrong secret = %v, want ErrTokenUnknown", err)
	}
	clock.Advance(time.Hour)
	if _, err := tokens.Authenticate(ctx, bearer); !errors.Is(err, api.ErrTokenExpired) {
		t.Errorf("an expired token = %v, want ErrTokenExpired", err)
	}
}

// TestFirstAdministratorIsMadeOnce: nodes starting together with no active
// administrator token make exactly one between them; once one exists,
// none is made.
func TestFirstAdministratorIsMadeOnce(t *testing.T) {
	forBothBackends(t, func(t *testing.T, backend string) {
		st := newAccessStack(t, backend)
		ctx := context.Background()
		// The stack made an administrator token; revoke it, so none is active.
		ts, err := st.tokens.List(ctx, api.RegistryOrg)
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range ts {
			if _, err := st.tokens.Revoke(ctx, tok.ID, eventstore.Actor{Role: "test"}); err != nil {
				t.Fatal(err)
			}
		}
		const nodes = 4
		made := make(chan string, nodes)
		errs := make(chan error, nodes)
		for range nodes {
			go func() {
				_, bearer, err := st.tokens.EnsureAdministrator(ctx, "first start", eventstore.Actor{Role: "system"})
				errs <- err
				made <- bearer
			}()
		}
		var bearers []string
		for range nodes {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
			if b := <-made; b != "" {
				bearers = append(bearers, b)
			}
		}
		if len(bearers) != 1 {
			t.Fatalf("%d nodes made %d administrator tokens, want 1", nodes, len(bearers))
		}
		st.bearer["first"] = bearers[0]
		if r := st.send("first", "GET", "/v1/tokens", nil); r.status != http.StatusOK {
			t.Errorf("the first administrator token: GET /v1/tokens = %d", r.status)
		}
	})
}

// TestTokenWritesRecordTheirActor: a token records who made it and who
// revoked it, as event metadata records an actor.
func TestTokenWritesRecordTheirActor(t *testing.T) {
	forBothBackends(t, func(t *testing.T, backend string) {
		st := newAccessStack(t, backend)
		r := st.send("admin", "POST", "/v1/tokens", map[string]any{"org": ownerO, "role": "owner", "name": "sales"})
		if r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.raw)
		}
		var made api.Token
		if err := json.Unmarshal(r.raw, &made); err != nil {
			t.Fatal(err)
		}
		if made.CreatedBy != st.actor["admin"] {
			t.Errorf("created_by = %+v, want %+v", made.CreatedBy, st.actor["admin"])
		}
		r = st.send("admin", "DELETE", "/v1/tokens/"+made.ID, nil)
		if r.status != http.StatusOK {
			t.Fatalf("revoke: %d %s", r.status, r.raw)
		}
		got, err := st.tokens.Get(context.Background(), made.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.RevokedAt == nil || got.RevokedBy == nil || *got.RevokedBy != st.actor["admin"] {
			t.Errorf("revoked %v by %+v, want by %+v", got.RevokedAt, got.RevokedBy, st.actor["admin"])
		}
	})
}
