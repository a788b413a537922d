package api_test

import (
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
	"github.com/acv-registry/acv/eventstore/sqlite"
	"github.com/acv-registry/acv/internal/demo"
	"github.com/acv-registry/acv/messaging"
	"github.com/acv-registry/acv/projections"
	"github.com/google/uuid"
	_ "modernc.org/sqlite" // the read models share the log's SQLite file
)

// The read tests run the whole stack on real components - the SQLite log in
// a temporary directory, the asset repository, the read models in the same
// file kept by the projections package's projector, the server - seeded with the demo
// registry (three councils, a dozen assets across the lifecycle) on a fixed
// day. Nothing is mocked.

// readNow is the fixed clock of the read tests: 10:00 on 1 June 2026 in
// England (BST).
var readNow = time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)

// readToday is readNow's civil date in England.
var readToday = domain.DateOf(readNow)

// readAdmin is the administrator token of the read tests.
const readAdmin = "read-side-admin-token"

// readStack is one server over one registry.
type readStack struct {
	t      *testing.T
	srv    *httptest.Server
	server *api.Server
	store  *sqlite.Store
	assets *eventstore.Assets
	db     projections.DB
	proj   *projections.Projector
	router *messaging.Router
	path   string // the SQLite file
	// byName maps each demo asset's name to its id.
	byName map[string]string
}

// newReadStack builds the stack and, when seed is true, seeds it with the
// demo and brings the read models up to date.
func newReadStack(t *testing.T, seed bool) *readStack {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "acv.db")
	store, err := sqlite.Open(ctx, path, sqlite.Options{Now: func() time.Time { return readNow }})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	sdb, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_txlock=immediate")
	if err != nil {
		t.Fatalf("open read models: %v", err)
	}
	t.Cleanup(func() { sdb.Close() })
	db := projections.DB{SQL: sdb, Dialect: projections.SQLite}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rs := &readStack{t: t, store: store, db: db, path: path, byName: map[string]string{},
		assets: eventstore.NewAssets(store, domain.DefaultRegimes(), uuid.New),
		proj:   projections.NewProjector(store, db, domain.DefaultRegimes(), log)}
	if err := rs.proj.Migrate(ctx); err != nil {
		t.Fatalf("create read-model tables: %v", err)
	}
	if rs.router, err = messaging.NewRouterFor(store, db.SQL, db.Dialect, log, rs.proj); err != nil {
		t.Fatal(err)
	}
	if err := api.MigrateTokens(ctx, db.SQL, db.Dialect); err != nil {
		t.Fatalf("create the token table: %v", err)
	}
	orgs := eventstore.NewOrganisations(store, uuid.New)
	server := api.New(api.Deps{
		Store:         store,
		Assets:        rs.assets,
		Reader:        &projections.Queries{DB: db, Log: store, Regimes: domain.DefaultRegimes()},
		Waiter:        messaging.NewProgress(db.SQL, db.Dialect, store, projections.ConsumerName, rs.router),
		Now:           func() time.Time { return readNow },
		NewID:         uuid.New,
		Log:           log,
		AdminToken:    readAdmin,
		Organisations: orgs,
		Tokens:        api.NewTokens(db.SQL, db.Dialect, orgs, api.TokenOptions{Now: func() time.Time { return readNow }}),
	})
	rs.server = server
	rs.srv = httptest.NewServer(server)
	t.Cleanup(rs.srv.Close)
	if seed {
		if err := demo.Seed(ctx, rs.assets, readToday, uuid.NewString); err != nil {
			t.Fatalf("seed the demo: %v", err)
		}
		rs.catchUp()
		rs.learnNames()
	}
	return rs
}

// catchUp brings the read models up to the end of the log with the
// projector, as a running server's projector does.
func (rs *readStack) catchUp() {
	rs.t.Helper()
	if err := rs.router.Drain(context.Background()); err != nil {
		rs.t.Fatalf("catch up: %v", err)
	}
}

// follow runs the projector in the background until the test ends, as
// `acv serve` does.
func (rs *readStack) follow() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := rs.router.Run(ctx); err != nil {
			rs.t.Errorf("consumers: %v", err)
		}
	}()
	rs.t.Cleanup(func() { cancel(); <-done })
}

// learnNames maps the demo's asset names to their ids, from the log.
func (rs *readStack) learnNames() {
	rs.t.Helper()
	events, err := rs.store.ReadAll(context.Background(), 0, 100_000)
	if err != nil {
		rs.t.Fatalf("read the log: %v", err)
	}
	for _, e := range events {
		if e.Type != domain.TypeNominationReceived {
			continue
		}
		var n domain.NominationReceived
		if err := json.Unmarshal(e.Data, &n); err != nil {
			rs.t.Fatalf("decode nomination: %v", err)
		}
		rs.byName[n.Land.Name] = n.AssetID
	}
}

// id returns the id of the demo asset called name.
func (rs *readStack) id(name string) string {
	rs.t.Helper()
	id, ok := rs.byName[name]
	if !ok {
		rs.t.Fatalf("no demo asset %q (have %v)", name, rs.byName)
	}
	return id
}

// got is a response with its body read.
type got struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into v, failing the test if it is not JSON.
func (g got) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(g.body, v); err != nil {
		t.Fatalf("body is not JSON (%v): %s", err, g.body)
	}
}

// object decodes the body as a JSON object.
func (g got) object(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	g.json(t, &m)
	return m
}

// get sends GET path (with its query) with the given headers, as "k: v"
// strings; "Authorization: admin" sends the administrator's token.
func (rs *readStack) get(path string, headers ...string) got {
	rs.t.Helper()
	req, err := http.NewRequest(http.MethodGet, rs.srv.URL+path, nil)
	if err != nil {
		rs.t.Fatal(err)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		if k == "Authorization" && v == "admin" {
			v = "Bearer " + readAdmin
		}
		req.Header.Set(k, v)
	}
	resp, err := rs.srv.Client().Do(req)
	if err != nil {
		rs.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		rs.t.Fatalf("GET %s: read body: %v", path, err)
	}
	return got{status: resp.StatusCode, header: resp.Header, body: body}
}

// mustGet is get that fails the test unless the status is want.
func (rs *readStack) mustGet(want int, path string, headers ...string) got {
	rs.t.Helper()
	g := rs.get(path, headers...)
	if g.status != want {
		rs.t.Fatalf("GET %s = %d, want %d: %s", path, g.status, want, g.body)
	}
	return g
}
