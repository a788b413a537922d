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
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acv-registry/acv/api"
	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/postgres"
	"github.com/acv-registry/acv/eventstore/sqlite"
	"github.com/acv-registry/acv/internal/demo"
	"github.com/acv-registry/acv/internal/pgtest"
	"github.com/acv-registry/acv/messaging"
	"github.com/acv-registry/acv/webhooks"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/stdlib"
)

func init() {
	// The live stream's body is text; the contract tests validate it as such.
	openapi3filter.RegisterBodyDecoder("text/event-stream", openapi3filter.RegisteredBodyDecoder("text/plain"))
}

// integrationStack is the server with webhooks wired as `acv serve` wires
// them, over a real log on one backend, with the read-side clock. The
// outbox and the deliverer are driven by hand.
type integrationStack struct {
	t        *testing.T
	srv      *httptest.Server
	server   *api.Server
	store    eventstore.Store
	db       *sql.DB
	d        eventstore.Dialect
	registry *webhooks.Registry
	handled  int64 // the outbox's position
}

func newIntegrationStack(t *testing.T, backend string, allowHTTP bool) *integrationStack {
	t.Helper()
	ctx := context.Background()
	now := func() time.Time { return readNow }
	st := &integrationStack{t: t}
	switch backend {
	case "sqlite":
		path := filepath.Join(t.TempDir(), "acv.db")
		s, err := sqlite.Open(ctx, path, sqlite.Options{Now: now})
		if err != nil {
			t.Fatalf("open the SQLite log: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_txlock=immediate")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		st.store, st.db, st.d = s, db, eventstore.SQLite
	case "postgres":
		s, err := postgres.Open(ctx, pgtest.DSN(t), postgres.Options{Now: now})
		if err != nil {
			t.Fatalf("open the PostgreSQL log: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		db := stdlib.OpenDBFromPool(s.Pool())
		t.Cleanup(func() { db.Close() })
		st.store, st.db, st.d = s, db, eventstore.Postgres
	}
	if err := webhooks.Migrate(ctx, st.db, st.d); err != nil {
		t.Fatal(err)
	}
	st.registry = webhooks.NewRegistry(st.db, st.d, st.store, webhooks.RegistryOptions{Now: now, AllowHTTP: allowHTTP})
	st.server = api.New(api.Deps{
		Store:      st.store,
		Assets:     eventstore.NewAssets(st.store, domain.DefaultRegimes(), uuid.New),
		Now:        now,
		NewID:      uuid.New,
		Log:        slog.New(slog.DiscardHandler),
		AdminToken: readAdmin,
		Webhooks:   st.registry,
	})
	st.srv = httptest.NewServer(st.server)
	t.Cleanup(st.srv.Close)
	return st
}

// forEachStack runs fn on a stack of each backend, in parallel.
func forEachStack(t *testing.T, allowHTTP bool, fn func(t *testing.T, st *integrationStack)) {
	for _, b := range []string{"sqlite", "postgres"} {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			fn(t, newIntegrationStack(t, b, allowHTTP))
		})
	}
}

// send sends a request as the administrator (auth "admin"), with no token
// (""), or with the given Authorization value, and returns the answer.
func (st *integrationStack) send(method, path, auth string, body any) got {
	st.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			st.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, st.srv.URL+path, r)
	if err != nil {
		st.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch auth {
	case "":
	case "admin":
		req.Header.Set("Authorization", "Bearer "+readAdmin)
	default:
		req.Header.Set("Authorization", auth)
	}
	resp, err := st.srv.Client().Do(req)
	if err != nil {
		st.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return got{status: resp.StatusCode, header: resp.Header, body: raw}
}

// must is send that fails the test unless the status is want.
func (st *integrationStack) must(want int, method, path string, body any) got {
	st.t.Helper()
	g := st.send(method, path, "admin", body)
	if g.status != want {
		st.t.Fatalf("%s %s = %d, want %d: %s", method, path, g.status, want, g.body)
	}
	return g
}

// nominate records a nomination in council through the API and returns
// the asset and nomination ids.
func (st *integrationStack) nominate(council string, body map[string]any) (asset, nomination string) {
	st.t.Helper()
	var w struct {
		AssetID      string `json:"asset_id"`
		NominationID string `json:"nomination_id"`
	}
	st.must(http.StatusCreated, "POST", "/v1/councils/"+council+"/nominations", body).json(st.t, &w)
	return w.AssetID, w.NominationID
}

// outbox hands the events the outbox has not seen to it, each in its own
// transaction, as the router does.
func (st *integrationStack) outbox() {
	st.t.Helper()
	ctx := context.Background()
	o := webhooks.NewOutbox(st.store, st.d, func() time.Time { return readNow })
	events, err := st.store.ReadAll(ctx, st.handled, 10_000)
	if err != nil {
		st.t.Fatal(err)
	}
	for _, e := range events {
		tx, err := st.db.BeginTx(ctx, nil)
		if err != nil {
			st.t.Fatal(err)
		}
		if err := o.Handle(ctx, messaging.StdTx(tx), e); err != nil {
			tx.Rollback()
			st.t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			st.t.Fatal(err)
		}
		st.handled = e.Position
	}
}

// personalNomination is a nomination carrying personal data in every
// place the law protects.
func personalNomination(name string) map[string]any {
	b := nominationRequestBody(name)
	b["owner"] = map[string]any{"id": "p-1", "name": "Jane Privateowner", "address": "7 Secret Lane"}
	b["occupants"] = []any{map[string]any{"name": "Olive Occupier", "address": "Flat above the pub"}}
	b["interests"] = []any{map[string]any{"holder": map[string]any{"name": "Harold Holder"}, "estate": "freehold"}}
	b["evidence"] = "Members who are local electors: Alice Elector, Bob Elector"
	b["local_extras"] = map[string]any{"contact_email": "nominator@example.org", "contact_phone": "07700 900123"}
	return b
}

// personalData is what personalNomination holds that must never leave.
var personalData = []string{"Jane Privateowner", "Secret Lane", "Olive Occupier", "Flat above", "Harold Holder",
	"Alice Elector", "Bob Elector", "nominator@example.org", "07700 900123"}

// TestWebhooksEndToEnd: a subscription made through the API gets a
// nomination recorded through the API as a signed CloudEvent with no
// personal data in it, and the API's delivery log shows the attempts.
func TestWebhooksEndToEnd(t *testing.T) {
	forEachStack(t, true, func(t *testing.T, st *integrationStack) {
		var (
			mu     sync.Mutex
			bodies [][]byte
		)
		var secret string
		rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			if err := webhooks.Verify(secret, r.Header, body, readNow, time.Minute); err != nil {
				t.Errorf("receiver: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			bodies = append(bodies, body)
			if len(bodies) == 1 {
				w.WriteHeader(http.StatusInternalServerError) // the first attempt fails
			}
		}))
		t.Cleanup(rcv.Close)

		var created map[string]any
		g := st.must(http.StatusCreated, "POST", "/v1/webhooks", map[string]any{"council": demo.MidSussex, "url": rcv.URL + "/in"})
		g.json(t, &created)
		secret, _ = created["secret"].(string)
		id, _ := created["id"].(string)
		if g.header.Get("Location") != "/v1/webhooks/"+id || !strings.HasPrefix(secret, "whsec_") || created["council"] != demo.MidSussex {
			t.Fatalf("created %v, Location %q", created, g.header.Get("Location"))
		}

		asset, _ := st.nominate(demo.MidSussex, personalNomination("The Crown"))
		st.nominate(demo.Westminster, nominationRequestBody("Another Council's Pub")) // not subscribed
		st.outbox()
		dl := webhooks.NewDeliverer(st.db, st.d, st.store, webhooks.DelivererOptions{Now: func() time.Time { return readNow },
			Backoff: func(int) time.Duration { return 0 }})
		for range 2 {
			if _, err := dl.DeliverDue(context.Background()); err != nil {
				t.Fatal(err)
			}
		}

		mu.Lock()
		if len(bodies) != 2 || !bytes.Equal(bodies[0], bodies[1]) {
			t.Fatalf("the receiver got %d bodies: %s", len(bodies), bytes.Join(bodies, []byte("\n")))
		}
		var ce webhooks.CloudEvent
		if err := json.Unmarshal(bodies[0], &ce); err != nil {
			t.Fatal(err)
		}
		for _, p := range personalData {
			if bytes.Contains(bodies[0], []byte(p)) {
				t.Errorf("the webhook body holds personal data %q", p)
			}
		}
		mu.Unlock()
		if ce.Subject != asset || ce.Type != domain.TypeNominationReceived || ce.Data.Council != demo.MidSussex {
			t.Errorf("CloudEvent %+v", ce)
		}

		var page struct {
			Items []struct {
				EventID  string `json:"event_id"`
				Status   string `json:"status"`
				Attempts int    `json:"attempts"`
				Log      []struct {
					Attempt int    `json:"attempt"`
					Status  int    `json:"status"`
					Error   string `json:"error"`
				} `json:"log"`
			} `json:"items"`
		}
		st.must(http.StatusOK, "GET", "/v1/webhooks/"+id+"/deliveries", nil).json(t, &page)
		if len(page.Items) != 1 {
			t.Fatalf("deliveries %+v", page)
		}
		d := page.Items[0]
		if d.EventID != ce.ID || d.Status != "delivered" || d.Attempts != 2 || len(d.Log) != 2 ||
			d.Log[0].Status != 500 || d.Log[0].Error == "" || d.Log[1].Status != 200 || d.Log[1].Error != "" {
			t.Errorf("delivery %+v", d)
		}
	})
}

// TestWebhookRoutesRefuse: validation, authentication and unknown ids.
func TestWebhookRoutesRefuse(t *testing.T) {
	st := newIntegrationStack(t, "sqlite", false)
	asset, _ := st.nominate(demo.MidSussex, nominationRequestBody("The Bell"))
	for _, tt := range []struct {
		name, method, path, auth string
		body                     any
		status                   int
		field                    string // the field errors[] names, for a 400
	}{
		{"no token", "POST", "/v1/webhooks", "", map[string]any{"council": demo.MidSussex, "url": "https://x.example/"}, 401, ""},
		{"a bad token", "POST", "/v1/webhooks", "Bearer wrong", map[string]any{"council": demo.MidSussex, "url": "https://x.example/"}, 401, ""},
		{"listing needs a token", "GET", "/v1/webhooks", "", nil, 401, ""},
		{"deleting needs a token", "DELETE", "/v1/webhooks/" + uuid.NewString(), "", nil, 401, ""},
		{"the log needs a token", "GET", "/v1/webhooks/" + uuid.NewString() + "/deliveries", "", nil, 401, ""},
		{"neither council nor asset", "POST", "/v1/webhooks", "admin", map[string]any{"url": "https://x.example/"}, 400, "council"},
		{"both council and asset", "POST", "/v1/webhooks", "admin", map[string]any{"council": demo.MidSussex, "asset_id": asset, "url": "https://x.example/"}, 400, "asset_id"},
		{"an unknown asset", "POST", "/v1/webhooks", "admin", map[string]any{"asset_id": "nope", "url": "https://x.example/"}, 400, "asset_id"},
		{"a bad council", "POST", "/v1/webhooks", "admin", map[string]any{"council": "not a council!", "url": "https://x.example/"}, 400, "council"},
		{"http", "POST", "/v1/webhooks", "admin", map[string]any{"council": demo.MidSussex, "url": "http://x.example/"}, 400, "url"},
		{"credentials in the URL", "POST", "/v1/webhooks", "admin", map[string]any{"council": demo.MidSussex, "url": "https://u:p@x.example/"}, 400, "url"},
		{"no url", "POST", "/v1/webhooks", "admin", map[string]any{"council": demo.MidSussex}, 400, "url"},
		{"an unknown field", "POST", "/v1/webhooks", "admin", map[string]any{"council": demo.MidSussex, "url": "https://x.example/", "secret": "mine"}, 400, ""},
		{"an unknown subscription", "GET", "/v1/webhooks/" + uuid.NewString(), "admin", nil, 404, ""},
		{"not a subscription id", "GET", "/v1/webhooks/nope", "admin", nil, 404, ""},
		{"deleting an unknown one", "DELETE", "/v1/webhooks/" + uuid.NewString(), "admin", nil, 404, ""},
		{"the log of an unknown one", "GET", "/v1/webhooks/" + uuid.NewString() + "/deliveries", "admin", nil, 404, ""},
		{"a bad cursor", "GET", "/v1/webhooks?cursor=bad", "admin", nil, 400, "cursor"},
		{"a bad limit", "GET", "/v1/webhooks?limit=0", "admin", nil, 400, "limit"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := st.send(tt.method, tt.path, tt.auth, tt.body)
			if g.status != tt.status {
				t.Fatalf("%s %s = %d, want %d: %s", tt.method, tt.path, g.status, tt.status, g.body)
			}
			if ct := g.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q", ct)
			}
			if tt.status == 401 && g.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if tt.field != "" {
				p := g.object(t)
				errs, _ := p["errors"].([]any)
				if !slices.ContainsFunc(errs, func(e any) bool { m, _ := e.(map[string]any); return m["field"] == tt.field }) {
					t.Errorf("errors %v do not name %s", p["errors"], tt.field)
				}
			}
		})
	}
	// A body that is not JSON.
	req, _ := http.NewRequest("POST", st.srv.URL+"/v1/webhooks", strings.NewReader("council=x"))
	req.Header.Set("Authorization", "Bearer "+readAdmin)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := st.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("a form body: %d, want 415", resp.StatusCode)
	}
	// Nothing was made.
	var page struct{ Items []any }
	st.must(http.StatusOK, "GET", "/v1/webhooks", nil).json(t, &page)
	if len(page.Items) != 0 {
		t.Errorf("refused requests made %d subscriptions", len(page.Items))
	}

	// A server without webhooks answers 404.
	bare := httptest.NewServer(api.New(api.Deps{Store: st.store, AdminToken: readAdmin}))
	defer bare.Close()
	req, _ = http.NewRequest("GET", bare.URL+"/v1/webhooks", nil)
	req.Header.Set("Authorization", "Bearer "+readAdmin)
	if resp, err := bare.Client().Do(req); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("webhooks not enabled: %v %v", resp.StatusCode, err)
	} else {
		resp.Body.Close()
	}
}

// TestWebhookLifecycle: list (paged, never showing a secret), show, delete
// twice; the log of a deleted subscription stays readable.
func TestWebhookLifecycle(t *testing.T) {
	st := newIntegrationStack(t, "sqlite", false)
	asset, _ := st.nominate(demo.MidSussex, nominationRequestBody("The Bell"))
	var ids, secrets []string
	for _, body := range []map[string]any{
		{"council": demo.MidSussex, "url": "https://a.example/hook"},
		{"asset_id": asset, "url": "https://b.example/hook?key=1"},
		{"council": demo.Westminster, "url": "https://c.example/"},
	} {
		m := st.must(http.StatusCreated, "POST", "/v1/webhooks", body).object(t)
		ids = append(ids, m["id"].(string))
		secrets = append(secrets, m["secret"].(string))
	}
	var listed []string
	path := "/v1/webhooks?limit=2"
	for path != "" {
		g := st.must(http.StatusOK, "GET", path, nil)
		for _, s := range secrets {
			if bytes.Contains(g.body, []byte(s)) {
				t.Fatal("a listing shows a secret")
			}
		}
		var page struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		g.json(t, &page)
		for _, it := range page.Items {
			listed = append(listed, it.ID)
		}
		path = ""
		if page.NextCursor != "" {
			path = "/v1/webhooks?limit=2&cursor=" + page.NextCursor
		}
	}
	// The server's clock stands still, so the three were made at once:
	// oldest first is then by id.
	if !slices.Equal(listed, slices.Sorted(slices.Values(ids))) {
		t.Errorf("listed %v, want %v", listed, ids)
	}
	one := st.must(http.StatusOK, "GET", "/v1/webhooks/"+ids[1], nil).object(t)
	if one["asset_id"] != asset || one["active"] != true || bytes.Contains(st.must(200, "GET", "/v1/webhooks/"+ids[1], nil).body, []byte(secrets[1])) {
		t.Errorf("GET one: %v", one)
	}
	st.must(http.StatusNoContent, "DELETE", "/v1/webhooks/"+ids[1], nil)
	st.must(http.StatusNoContent, "DELETE", "/v1/webhooks/"+ids[1], nil)
	if one := st.must(http.StatusOK, "GET", "/v1/webhooks/"+ids[1], nil).object(t); one["active"] != false || one["deactivated_at"] == nil {
		t.Errorf("after DELETE: %v", one)
	}
	st.must(http.StatusOK, "GET", "/v1/webhooks/"+ids[1]+"/deliveries", nil)
}

// TestOpenAPIValidatesIntegrations runs every webhook and stream route, and
// their errors, against the OpenAPI document, as the read and write contract
// tests do for theirs.
func TestOpenAPIValidatesIntegrations(t *testing.T) {
	st := newIntegrationStack(t, "sqlite", false)
	c := loadContract(t, &readStack{t: t, srv: st.srv, server: st.server})
	asset, _ := st.nominate(demo.MidSussex, nominationRequestBody("The Bell"))
	admin := []string{"Authorization: admin"}
	var ids []string
	for _, body := range []map[string]any{
		{"council": demo.MidSussex, "url": "https://a.example/hook"},
		{"asset_id": asset, "url": "https://b.example/hook"},
	} {
		g := c.do(exchange{method: "POST", path: "/v1/webhooks", body: body, header: admin, status: 201})
		ids = append(ids, g.object(t)["id"].(string))
	}
	st.nominate(demo.MidSussex, nominationRequestBody("The Swan"))
	st.outbox() // a pending delivery for each subscription
	unknown := "/v1/webhooks/" + uuid.NewString()
	for _, x := range []exchange{
		{method: "POST", path: "/v1/webhooks", body: map[string]any{"council": demo.MidSussex, "url": "http://a.example/"}, header: admin, status: 400},
		{method: "POST", path: "/v1/webhooks", body: map[string]any{"council": demo.MidSussex}, header: admin, status: 400, invalid: true},
		{method: "POST", path: "/v1/webhooks", body: map[string]any{"council": demo.MidSussex, "url": "https://a.example/"}, status: 401, invalid: true},
		{method: "POST", path: "/v1/webhooks", body: map[string]any{"council": demo.MidSussex, "url": "https://a.example/"}, header: []string{"Authorization: Bearer wrong"}, status: 401},
		{method: "GET", path: "/v1/webhooks", header: admin, status: 200},
		{method: "GET", path: "/v1/webhooks?limit=1", header: admin, status: 200},
		{method: "GET", path: "/v1/webhooks?cursor=bad", header: admin, status: 400},
		{method: "GET", path: "/v1/webhooks?limit=0", header: admin, status: 400, invalid: true},
		{method: "GET", path: "/v1/webhooks", status: 401, invalid: true},
		{method: "GET", path: "/v1/webhooks/" + ids[0], header: admin, status: 200},
		{method: "GET", path: unknown, header: admin, status: 404},
		{method: "GET", path: "/v1/webhooks/" + ids[0] + "/deliveries", header: admin, status: 200},
		{method: "GET", path: "/v1/webhooks/" + ids[1] + "/deliveries?limit=1", header: admin, status: 200},
		{method: "GET", path: "/v1/webhooks/" + ids[0] + "/deliveries?cursor=bad", header: admin, status: 400},
		{method: "GET", path: unknown + "/deliveries", header: admin, status: 404},
		{method: "DELETE", path: "/v1/webhooks/" + ids[1], header: admin, status: 204},
		{method: "DELETE", path: "/v1/webhooks/" + ids[1], header: admin, status: 204},
		{method: "DELETE", path: unknown, header: admin, status: 404},
		{method: "DELETE", path: unknown, status: 401, invalid: true},
		{method: "GET", path: "/v1/webhooks/" + ids[1] + "/deliveries", header: admin, status: 200},
		{method: "GET", path: "/v1/stream?after=-1", status: 400, invalid: true},
		{method: "GET", path: "/v1/stream?after=999999", status: 400},
		{method: "GET", path: "/v1/stream", header: []string{"Last-Event-ID: x"}, status: 400, invalid: true},
		{method: "GET", path: "/v1/stream?council=not%20a%20council", status: 400},
	} {
		c.do(x)
	}
	// A stream, ended by the server's shutdown so that its whole body can
	// be checked; after that, streams are refused.
	time.AfterFunc(300*time.Millisecond, st.server.CloseStreams)
	g := c.do(exchange{method: "GET", path: "/v1/stream?after=0&council=" + demo.MidSussex, status: 200})
	if n := bytes.Count(g.body, []byte("\nevent: "+domain.TypeNominationReceived+"\n")); n != 2 {
		t.Errorf("the stream held %d nominations, want 2:\n%s", n, g.body)
	}
	c.do(exchange{method: "GET", path: "/v1/stream", status: 503})

	for path, item := range c.doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Tags[0] != "integrations" {
				continue
			}
			if !slices.ContainsFunc(c.exercised[op.OperationID], func(s int) bool { return s < 300 }) {
				t.Errorf("%s %s (%s) was never answered with success", method, path, op.OperationID)
			}
		}
	}
}
