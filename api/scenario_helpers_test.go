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
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/acv-registry/acv/api"
	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/postgres"
	"github.com/acv-registry/acv/eventstore/sqlite"
	"github.com/acv-registry/acv/internal/pgtest"
	"github.com/acv-registry/acv/internal/testclock"
	"github.com/acv-registry/acv/messaging"
	"github.com/acv-registry/acv/projections"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/stdlib"
)

// The scenario tests run the whole service as `acv serve` wires it - the
// log, the asset repository, the read models in the log's database kept by
// a projector running in the background, the HTTP server - on SQLite and on
// PostgreSQL, with a clock the test moves forward day by day. Every read
// after a write passes the write's position as ?min_position=, so the test
// never sleeps. Every exchange is also validated against the server's own
// OpenAPI document.

// TestMain stops the throwaway PostgreSQL cluster that pgtest.DSN may start.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// scenarioAdmin is the administrator token of the scenario tests.
const scenarioAdmin = "scenario-admin-token"

// scenarioClock is the clock the test sets; the server, the log's
// recorded_at and the test all read it.
type scenarioClock struct{ *testclock.Clock }

// setDay moves the clock to 10:00 on d in England.
func (c scenarioClock) setDay(d domain.Date) { c.Set(d.StartIn().Add(10 * time.Hour)) }

// today is the clock's date in England.
func (c scenarioClock) today() domain.Date { return domain.DateOf(c.Now()) }

// scenarioStack is one running service over one backend.
type scenarioStack struct {
	t      *testing.T
	srv    *httptest.Server
	store  eventstore.Store
	clock  scenarioClock
	router routers.Router // the server's OpenAPI document, routed
}

// newScenarioStack builds the service on backend ("sqlite" or "postgres")
// with the clock at 10:00 on day start, and starts its projector.
func newScenarioStack(t *testing.T, backend string, start domain.Date) *scenarioStack {
	t.Helper()
	ctx := context.Background()
	clock := scenarioClock{testclock.New(time.Time{})}
	clock.setDay(start)
	log := slog.New(slog.DiscardHandler)

	var (
		store eventstore.Store
		db    projections.DB
	)
	switch backend {
	case "sqlite":
		path := filepath.Join(t.TempDir(), "acv.db")
		s, err := sqlite.Open(ctx, path, sqlite.Options{Now: clock.Now})
		if err != nil {
			t.Fatalf("open the SQLite log: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		sdb, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_txlock=immediate")
		if err != nil {
			t.Fatalf("open the SQLite read models: %v", err)
		}
		t.Cleanup(func() { sdb.Close() })
		store, db = s, projections.DB{SQL: sdb, Dialect: projections.SQLite}
	case "postgres":
		s, err := postgres.Open(ctx, pgtest.DSN(t), postgres.Options{Now: clock.Now})
		if err != nil {
			t.Fatalf("open the PostgreSQL log: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		pdb := stdlib.OpenDBFromPool(s.Pool()) // as cmd/acv's openReadModels
		t.Cleanup(func() { pdb.Close() })
		store, db = s, projections.DB{SQL: pdb, Dialect: projections.Postgres}
	default:
		t.Fatalf("unknown backend %q", backend)
	}

	regimes := domain.DefaultRegimes()
	proj := projections.NewProjector(store, db, regimes, log)
	if err := proj.Migrate(ctx); err != nil {
		t.Fatalf("create the read-model tables: %v", err)
	}
	router, err := messaging.NewRouterFor(store, db.SQL, db.Dialect, log, proj)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := router.Run(runCtx); err != nil && runCtx.Err() == nil {
			t.Errorf("consumers: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	progress := messaging.NewProgress(db.SQL, db.Dialect, store, projections.ConsumerName, router)

	server := api.New(api.Deps{
		Store:  store,
		Assets: eventstore.NewAssets(store, regimes, uuid.New),
		Reader: &projections.Queries{DB: db, Log: store, Regimes: regimes},
		Waiter: progress,
		// As `acv serve` wires it: public reads without ?min_position= are
		// answered from a cache kept per read-model checkpoint.
		Checkpoints: progress,
		Now:         clock.Now,
		NewID:       uuid.New,
		Log:         log,
		AdminToken:  scenarioAdmin,
	})
	srv := httptest.NewServer(server)
	t.Cleanup(srv.Close)

	s := &scenarioStack{t: t, srv: srv, store: store, clock: clock}
	s.router = s.loadOpenAPI()
	return s
}

// loadOpenAPI fetches the server's OpenAPI document and routes it, so that
// every exchange of the scenario can be checked against it.
func (s *scenarioStack) loadOpenAPI() routers.Router {
	s.t.Helper()
	resp, err := s.srv.Client().Get(s.srv.URL + "/openapi.json")
	if err != nil {
		s.t.Fatalf("GET /openapi.json: %v", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		s.t.Fatalf("GET /openapi.json = %d (%v)", resp.StatusCode, err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		s.t.Fatalf("load the OpenAPI document: %v", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		s.t.Fatalf("route the OpenAPI document: %v", err)
	}
	return router
}

// answer is a response with its body read.
type answer struct {
	method, path string
	status       int
	header       http.Header
	raw          []byte
}

// decode decodes the JSON body into v, failing the test if it does not fit.
func (a answer) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(a.raw, v); err != nil {
		t.Fatalf("%s %s: body does not decode into %T (%v): %s", a.method, a.path, v, err, clip(a.raw))
	}
}

// fields decodes the JSON body as an object.
func (a answer) fields(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	a.decode(t, &m)
	return m
}

// send sends method path with body (a string is sent as is, anything else
// as JSON, nil as none) and headers ("Key: value"; "Authorization: admin"
// is the administrator's token; "Authorization: " sends none). Writes go as
// the administrator with Content-Type application/json unless the headers
// say otherwise. The request and the response are validated against the
// OpenAPI document; unless valid is false, a request the document refuses
// fails the test.
func (s *scenarioStack) send(method, path string, body any, valid bool, headers ...string) answer {
	s.t.Helper()
	var payload []byte
	switch b := body.(type) {
	case nil:
	case string:
		payload = []byte(b)
	default:
		var err error
		if payload, err = json.Marshal(b); err != nil {
			s.t.Fatal(err)
		}
	}
	newRequest := func() *http.Request {
		req, err := http.NewRequest(method, s.srv.URL+path, bytes.NewReader(payload))
		if err != nil {
			s.t.Fatal(err)
		}
		if method != http.MethodGet {
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+scenarioAdmin)
		}
		for _, h := range headers {
			k, v, _ := strings.Cut(h, ": ")
			switch {
			case k == "Authorization" && v == "admin":
				v = "Bearer " + scenarioAdmin
			case v == "":
				req.Header.Del(k)
				continue
			}
			req.Header.Set(k, v)
		}
		return req
	}

	req := newRequest()
	route, params, err := s.router.FindRoute(req)
	if err != nil {
		s.t.Fatalf("%s %s: not in the OpenAPI document: %v", method, path, err)
	}
	input := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: bearerOnly}}
	if err := openapi3filter.ValidateRequest(context.Background(), input); err != nil && valid {
		s.t.Errorf("%s %s: the request does not match the OpenAPI document: %v", method, path, err)
	}

	resp, err := s.srv.Client().Do(newRequest())
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatalf("%s %s: read the body: %v", method, path, err)
	}
	rin := &openapi3filter.ResponseValidationInput{RequestValidationInput: input, Status: resp.StatusCode,
		Header: resp.Header, Body: io.NopCloser(bytes.NewReader(raw)),
		Options: &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true}}
	if err := openapi3filter.ValidateResponse(context.Background(), rin); err != nil {
		s.t.Errorf("%s %s: the %d response does not match the OpenAPI document: %v\n%s", method, path, resp.StatusCode, err, clip(raw))
	}
	return answer{method: method, path: path, status: resp.StatusCode, header: resp.Header, raw: raw}
}

// written is the answer to a write: the fields every write answers with
// (see api/WRITES.md), and the rest of the body.
type written struct {
	AssetID  string `json:"asset_id"`
	Version  int64  `json:"version"`
	Position int64  `json:"position"`
	body     map[string]any
	answer   answer
}

// str returns the body's string field f ("" when absent).
func (w written) str(f string) string {
	v, _ := w.body[f].(string)
	return v
}

// post sends a write and fails the test unless it answers want with a
// position in the log (for 201) and an ETag naming the new version.
func (s *scenarioStack) post(path string, body any, want int, headers ...string) written {
	s.t.Helper()
	a := s.send(http.MethodPost, path, body, true, headers...)
	if a.status != want {
		s.t.Fatalf("POST %s on %s = %d, want %d: %s", path, s.clock.today(), a.status, want, a.raw)
	}
	w := written{answer: a, body: a.fields(s.t)}
	a.decode(s.t, &w)
	if want == http.StatusCreated {
		if w.Position <= 0 {
			s.t.Errorf("POST %s: position %d, want > 0", path, w.Position)
		}
		if etag := a.header.Get("ETag"); etag != strconv.Quote(strconv.FormatInt(w.Version, 10)) {
			s.t.Errorf("POST %s: ETag %q, version %d", path, etag, w.Version)
		}
	}
	return w
}

// refused sends a write the server must refuse with status want, as an RFC
// 9457 problem; it returns the problem's members.
func (s *scenarioStack) refused(path string, body any, want int, headers ...string) map[string]any {
	s.t.Helper()
	a := s.send(http.MethodPost, path, body, want != http.StatusBadRequest, headers...)
	if a.status != want {
		s.t.Fatalf("POST %s = %d, want %d: %s", path, a.status, want, a.raw)
	}
	if ct := a.header.Get("Content-Type"); ct != "application/problem+json" {
		s.t.Errorf("POST %s: Content-Type %q, want application/problem+json", path, ct)
	}
	p := a.fields(s.t)
	for _, f := range []string{"type", "title", "status", "detail"} {
		if _, ok := p[f]; !ok {
			s.t.Errorf("POST %s: the problem lacks %q: %s", path, f, a.raw)
		}
	}
	return p
}

// read GETs path after the read models have caught up with log position
// minPos (read-your-writes) and fails the test unless it answers 200. It
// decodes a JSON body into v unless v is nil.
func (s *scenarioStack) read(path string, minPos int64, v any, headers ...string) answer {
	s.t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	a := s.send(http.MethodGet, path+sep+"min_position="+strconv.FormatInt(minPos, 10), nil, true, headers...)
	if a.status != http.StatusOK {
		s.t.Fatalf("GET %s (min_position %d) = %d: %s", path, minPos, a.status, a.raw)
	}
	if v != nil {
		a.decode(s.t, v)
	}
	return a
}

// readCached GETs path anonymously without ?min_position= twice, after the
// read models have caught up with everything the test wrote (read already
// waited): both answers must be want's body, the second from the cache.
func (s *scenarioStack) readCached(path string, want answer) {
	s.t.Helper()
	for i := range 2 {
		a := s.send(http.MethodGet, path, nil, true)
		if a.status != http.StatusOK || !bytes.Equal(a.raw, want.raw) {
			s.t.Errorf("GET %s (read %d) = %d %s; want the answer read with ?min_position=: %s", path, i+1, a.status, clip(a.raw), clip(want.raw))
		}
		if hit := a.header.Get("X-Cache") == "hit"; hit != (i == 1) {
			s.t.Errorf("GET %s (read %d): X-Cache %q", path, i+1, a.header.Get("X-Cache"))
		}
	}
}

// lastPosition returns the log's last position, read from the store.
func (s *scenarioStack) lastPosition() int64 {
	s.t.Helper()
	p, err := s.store.LastPosition(context.Background())
	if err != nil {
		s.t.Fatalf("last position: %v", err)
	}
	return p
}

// logUnchanged checks that nothing was appended after position last: the
// store's last position and the change feed both end there.
func (s *scenarioStack) logUnchanged(what string, last int64) {
	s.t.Helper()
	if got := s.lastPosition(); got != last {
		s.t.Errorf("%s: the log grew from position %d to %d", what, last, got)
	}
	var feed changeFeed
	s.read("/v1/changes?after="+strconv.FormatInt(last, 10), 0, &feed)
	if len(feed.Items) != 0 || feed.Next != last {
		s.t.Errorf("%s: GET /v1/changes?after=%d = %d items, next %d; want none, next %d", what, last, len(feed.Items), feed.Next, last)
	}
}

// The bodies of the reads the scenarios decode.
type (
	registerList struct {
		AsOf  domain.Date                 `json:"as_of"`
		Items []projections.RegisterEntry `json:"items"`
	}
	deadlineList struct {
		Today domain.Date                `json:"today"`
		Items []projections.DeadlineView `json:"items"`
	}
	moratoriumItem struct {
		projections.Moratorium
		Phase string `json:"phase"`
	}
	moratoriumList struct {
		Items []moratoriumItem `json:"items"`
	}
	timelineList struct {
		AssetID string                      `json:"asset_id"`
		Items   []projections.TimelineEntry `json:"items"`
	}
	rawEvent struct {
		ID       string          `json:"id"`
		Stream   string          `json:"stream"`
		Position int64           `json:"position"`
		Version  int64           `json:"version"`
		Type     string          `json:"type"`
		Data     json.RawMessage `json:"data"`
		PrevHash string          `json:"prev_hash"`
		Hash     string          `json:"hash"`
		Metadata struct {
			EffectiveDate domain.Date `json:"effective_date"`
		} `json:"metadata"`
	}
	rawEventList struct {
		Items      []rawEvent `json:"items"`
		NextCursor string     `json:"next_cursor"`
	}
	verifyAnswer struct {
		AssetID string `json:"asset_id"`
		OK      bool   `json:"ok"`
		Events  int64  `json:"events"`
		Breaks  []any  `json:"breaks"`
	}
	changeFeed struct {
		Items []struct {
			ID            string      `json:"id"`
			Position      int64       `json:"position"`
			Type          string      `json:"type"`
			Version       int64       `json:"version"`
			EffectiveDate domain.Date `json:"effective_date"`
			AssetID       string      `json:"asset_id"`
			Summary       string      `json:"summary"`
		} `json:"items"`
		Next int64 `json:"next"`
	}
)

// entryOf returns the register entry of asset id, and whether there is one.
func entryOf(l registerList, id string) (projections.RegisterEntry, bool) {
	for _, e := range l.Items {
		if e.AssetID == id {
			return e, true
		}
	}
	return projections.RegisterEntry{}, false
}

// day parses a civil date, for the scenarios' fixed dates.
func day(t *testing.T, s string) domain.Date {
	t.Helper()
	d, err := domain.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
