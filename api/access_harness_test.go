package api_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acv-registry/acv/api"
	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/postgres"
	"github.com/acv-registry/acv/eventstore/sqlite"
	"github.com/acv-registry/acv/internal/pgtest"
	"github.com/acv-registry/acv/messaging"
	"github.com/acv-registry/acv/projections"
	"github.com/acv-registry/acv/webhooks"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/stdlib"
)

// The access tests run the real server, as `acv serve` wires it, with real
// tokens of real organisations, on SQLite and on PostgreSQL.

// The organisations of the access tests: two councils, two community
// groups, two owners. The assets are council A's, nominated by group G,
// owned by owner O.
const (
	councilA = "E07000239" // Wyre Forest District Council
	councilB = "E07000234" // Bromsgrove District Council, its neighbour
	groupG   = "org-friends-of-the-swan"
	groupH   = "org-another-group"
	ownerO   = "org-swan-pub-co"
	ownerP   = "org-another-owner"
)

// accessNow is the server's fixed clock: 10:00 on 15 June 2026 in England.
var accessNow = time.Date(2026, 6, 15, 9, 0, 0, 0, time.UTC)

// The callers of the matrix, in the order of its columns.
var callerNames = []string{"public", "admin", "officer", "other-officer", "group", "other-group", "owner", "other-owner", "expired", "revoked"}

// accessStack is a server with its log, database and a bearer token for
// each caller.
type accessStack struct {
	t      *testing.T
	srv    *httptest.Server
	server *api.Server
	store  eventstore.Store
	db     projections.DB
	router *messaging.Router
	tokens *api.Tokens
	hooks  *webhooks.Registry
	bearer map[string]string           // caller name -> bearer token ("" for the public)
	actor  map[string]eventstore.Actor // caller name -> the actor its events record
}

func forBothBackends(t *testing.T, f func(t *testing.T, backend string)) {
	for _, b := range []string{"sqlite", "postgres"} {
		t.Run(b, func(t *testing.T) { f(t, b) })
	}
}

func newAccessStack(t *testing.T, backend string) *accessStack {
	t.Helper()
	ctx := context.Background()
	now := func() time.Time { return accessNow }
	log := slog.New(slog.DiscardHandler)
	var (
		store eventstore.Store
		db    projections.DB
	)
	switch backend {
	case "sqlite":
		path := filepath.Join(t.TempDir(), "acv.db")
		s, err := sqlite.Open(ctx, path, sqlite.Options{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		sdb, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_txlock=immediate")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sdb.Close() })
		store, db = s, projections.DB{SQL: sdb, Dialect: projections.SQLite}
	case "postgres":
		s, err := postgres.Open(ctx, pgtest.DSN(t), postgres.Options{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		pdb := stdlib.OpenDBFromPool(s.Pool())
		t.Cleanup(func() { pdb.Close() })
		store, db = s, projections.DB{SQL: pdb, Dialect: projections.Postgres}
	}
	proj := projections.NewProjector(store, db, domain.DefaultRegimes(), log)
	if err := proj.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	router, err := messaging.NewRouterFor(store, db.SQL, db.Dialect, log, proj)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []func(context.Context, *sql.DB, eventstore.Dialect) error{api.MigrateTokens, webhooks.Migrate} {
		if err := m(ctx, db.SQL, db.Dialect); err != nil {
			t.Fatal(err)
		}
	}
	orgs := eventstore.NewOrganisations(store, uuid.New)
	tokens := api.NewTokens(db.SQL, db.Dialect, orgs, api.TokenOptions{Now: now})
	hooks := webhooks.NewRegistry(db.SQL, db.Dialect, store, webhooks.RegistryOptions{Now: now, AllowHTTP: true})
	server := api.New(api.Deps{
		Store: store, Assets: eventstore.NewAssets(store, domain.DefaultRegimes(), uuid.New),
		Reader: &projections.Queries{DB: db, Log: store, Regimes: domain.DefaultRegimes()}, Waiter: messaging.NewProgress(db.SQL, db.Dialect, store, projections.ConsumerName, router),
		Now: now, NewID: uuid.New, Log: log, Organisations: orgs, Tokens: tokens, Webhooks: hooks,
	})
	srv := httptest.NewServer(server)
	t.Cleanup(srv.Close)
	st := &accessStack{t: t, srv: srv, server: server, store: store, db: db, router: router, tokens: tokens, hooks: hooks,
		bearer: map[string]string{"public": ""}, actor: map[string]eventstore.Actor{}}

	registrar := eventstore.WithActor(ctx, eventstore.Actor{Org: api.RegistryOrg, Role: api.RoleAdministrator, TokenID: "setup"})
	for _, o := range []struct {
		id   string
		kind domain.OrganisationKind
		d    domain.OrganisationDetails
	}{
		{councilA, domain.KindCouncil, domain.OrganisationDetails{Name: "Wyre Forest District Council", Neighbours: []string{councilB}}},
		{councilB, domain.KindCouncil, domain.OrganisationDetails{Name: "Bromsgrove District Council", Neighbours: []string{councilA}}},
		{groupG, domain.KindCommunityGroup, domain.OrganisationDetails{Name: "Friends of the Swan", LegalForm: domain.Charity,
			RegisteredNumbers: []domain.RegisteredNumber{{Register: "charity", Number: "1190001"}}, Serves: []string{councilB}}},
		{groupH, domain.KindCommunityGroup, domain.OrganisationDetails{Name: "Another Group", LegalForm: domain.CooperativeSociety, Serves: []string{councilA}}},
		{ownerO, domain.KindOwner, domain.OrganisationDetails{Name: "Swan Pub Co Ltd"}},
		{ownerP, domain.KindOwner, domain.OrganisationDetails{Name: "Another Owner Ltd"}},
	} {
		if _, err := orgs.Create(registrar, o.id, func(x *domain.Organisation) error { return x.Register(o.kind, o.d, accessNow) }); err != nil {
			t.Fatalf("register %s: %v", o.id, err)
		}
	}
	by := eventstore.Actor{Org: api.RegistryOrg, Role: api.RoleAdministrator, TokenID: "setup"}
	mint := func(name, org, role string) api.Token {
		tok, bearer, err := tokens.Create(ctx, api.NewToken{Org: org, Role: role, Name: name}, by)
		if err != nil {
			t.Fatalf("token for %s: %v", name, err)
		}
		st.bearer[name] = bearer
		st.actor[name] = eventstore.Actor{Org: org, Role: role, TokenID: tok.ID}
		if role == api.RoleAdministrator {
			st.actor[name] = eventstore.Actor{Org: api.RegistryOrg, Role: role, TokenID: tok.ID}
		}
		return tok
	}
	mint("admin", "", api.RoleAdministrator)
	mint("officer", councilA, api.RoleCouncilOfficer)
	mint("other-officer", councilB, api.RoleCouncilOfficer)
	mint("group", groupG, api.RoleCommunityGroup)
	mint("other-group", groupH, api.RoleCommunityGroup)
	mint("owner", ownerO, api.RoleOwner)
	mint("other-owner", ownerP, api.RoleOwner)
	revoked := mint("revoked", councilA, api.RoleCouncilOfficer)
	if _, err := tokens.Revoke(ctx, revoked.ID, by); err != nil {
		t.Fatal(err)
	}
	// A token that expired yesterday, made by a clock two days back.
	past := api.NewTokens(db.SQL, db.Dialect, orgs, api.TokenOptions{Now: func() time.Time { return accessNow.Add(-48 * time.Hour) }})
	_, bearer, err := past.Create(ctx, api.NewToken{Org: councilA, Role: api.RoleCouncilOfficer, Life: 24 * time.Hour}, by)
	if err != nil {
		t.Fatal(err)
	}
	st.bearer["expired"] = bearer
	return st
}

// rawBody is a request body sent as it is, as application/json.
type rawBody string

// send sends method path with body (JSON unless nil; a rawBody as it is)
// as caller.
func (st *accessStack) send(caller, method, path string, body any) reply {
	st.t.Helper()
	var rd io.Reader
	if raw, ok := body.(rawBody); ok {
		rd = strings.NewReader(string(raw))
	} else if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			st.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, st.srv.URL+path, rd)
	if err != nil {
		st.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if b := st.bearer[caller]; b != "" {
		req.Header.Set("Authorization", "Bearer "+b)
	}
	return sendReq(st.t, st.srv.Client(), req)
}

// last returns the log's last position.
func (st *accessStack) last() int64 {
	st.t.Helper()
	p, err := st.store.LastPosition(context.Background())
	if err != nil {
		st.t.Fatal(err)
	}
	return p
}

// eventsAfter returns the events after position p.
func (st *accessStack) eventsAfter(p int64) []eventstore.Event {
	st.t.Helper()
	es, err := st.store.ReadAll(context.Background(), p, 10000)
	if err != nil {
		st.t.Fatal(err)
	}
	return es
}

// tokenCount counts the stored tokens.
func (st *accessStack) tokenCount() int {
	st.t.Helper()
	ts, err := st.tokens.List(context.Background(), "")
	if err != nil {
		st.t.Fatal(err)
	}
	return len(ts)
}

// catchUp brings the read models up to the end of the log.
func (st *accessStack) catchUp() {
	st.t.Helper()
	if err := st.router.Drain(context.Background()); err != nil {
		st.t.Fatal(err)
	}
}
