package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acv-registry/acv/api"
	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/sqlite"
	"github.com/google/uuid"
)

// The write tests run the real server over a real SQLite log in a temporary
// directory, with a fixed clock: nothing is mocked.

const adminToken = "s3cret-admin-token"

// testNow is the fixed clock: 10:00 on 1 June 2026 in England (BST).
var testNow = time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)

// harness is one server and its log.
type harness struct {
	t     *testing.T
	srv   *httptest.Server
	store *sqlite.Store
	logs  *syncBuffer
}

// syncBuffer is a bytes.Buffer safe for the server's concurrent logging.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newHarness starts a server over a fresh log; opts may change its Deps
// before it starts.
func newHarness(t *testing.T, opts ...func(*api.Deps)) *harness {
	t.Helper()
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "acv.db"), sqlite.Options{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	logs := &syncBuffer{}
	d := api.Deps{
		Store:      store,
		Assets:     eventstore.NewAssets(store, domain.DefaultRegimes(), uuid.New),
		Now:        func() time.Time { return testNow },
		NewID:      uuid.New,
		Log:        slog.New(slog.NewJSONHandler(logs, nil)),
		AdminToken: adminToken,
	}
	for _, o := range opts {
		o(&d)
	}
	s := api.New(d)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &harness{t: t, srv: srv, store: store, logs: logs}
}

// reply is a response with its body read.
type reply struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (r reply) str(field string) string {
	s, _ := r.body[field].(string)
	return s
}

// header sets one request header; an empty value deletes it.
type header struct{ k, v string }

// do sends method path with body (a string is sent as is, anything else as
// JSON) as the administrator, with Content-Type application/json, unless
// headers say otherwise.
func (h *harness) do(method, path string, body any, headers ...header) reply {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case io.Reader:
		rd = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+adminToken)
	for _, hd := range headers {
		if hd.v == "" {
			req.Header.Del(hd.k)
		} else {
			req.Header.Set(hd.k, hd.v)
		}
	}
	return sendReq(h.t, http.DefaultClient, req)
}

// sendReq sends req with client and reads the answer, decoding a JSON
// object body; it fails the test if the request cannot be made or a JSON
// answer is not an object.
func sendReq(t *testing.T, client *http.Client, req *http.Request) reply {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := reply{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 && strings.Contains(resp.Header.Get("Content-Type"), "json") {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			t.Fatalf("%s %s: body is not a JSON object: %s", req.Method, req.URL.Path, raw)
		}
	}
	return r
}

func (h *harness) post(path string, body any, headers ...header) reply {
	h.t.Helper()
	return h.do(http.MethodPost, path, body, headers...)
}

// mustPost posts and fails the test unless the answer has status want.
func (h *harness) mustPost(path string, body any, want int, headers ...header) reply {
	h.t.Helper()
	r := h.post(path, body, headers...)
	if r.status != want {
		h.t.Fatalf("POST %s = %d, want %d: %s", path, r.status, want, r.raw)
	}
	return r
}

// events returns the whole log.
func (h *harness) events() []eventstore.Event {
	h.t.Helper()
	es, err := h.store.ReadAll(context.Background(), 0, 100000)
	if err != nil {
		h.t.Fatal(err)
	}
	return es
}

// fields of a valid nomination, to be changed per test.
func nominationBody() map[string]any {
	return map[string]any{
		"received_on": "2025-01-06",
		"nominator": map[string]any{
			"name": "Friends of the Red Lion", "kind": "charity", "local_connection": true,
		},
		"land": map[string]any{
			"name": "The Red Lion", "description": "A village pub with a garden", "boundaries": "Title SK123456",
			"address": "1 High Street, Ashby", "postcode": "LE65 1AA", "use": "partly_residential",
			"point": map[string]any{"lat": 52.746, "lon": -1.476}, "category": "pub",
		},
		"owner":    map[string]any{"id": "owner-1", "name": "Brewery Ltd"},
		"reasons":  "The only pub in the village; it hosts the darts league and the parish meetings.",
		"evidence": "Charity number 1234567; constitution attached.",
	}
}

// listedAsset nominates and lists an asset; it returns its id and the
// nomination's.
func (h *harness) listedAsset() (assetID, nominationID string) {
	h.t.Helper()
	r := h.mustPost("/v1/councils/E07000228/nominations", nominationBody(), http.StatusCreated)
	assetID, nominationID = r.str("asset_id"), r.str("nomination_id")
	h.mustPost("/v1/assets/"+assetID+"/nominations/"+nominationID+"/decision",
		map[string]any{"outcome": "listed", "decided_on": "2025-02-20"}, http.StatusCreated)
	return assetID, nominationID
}

// wantProblem checks that r is a problem of status with the given fields.
func wantProblem(t *testing.T, what string, r reply, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s = %d, want %d: %s", what, r.status, status, r.raw)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s content type %q, want application/problem+json", what, ct)
	}
	for _, f := range []string{"type", "title", "status", "detail"} {
		if _, ok := r.body[f]; !ok {
			t.Errorf("%s problem lacks %q: %s", what, f, r.raw)
		}
	}
	if r.body["status"] != float64(status) {
		t.Errorf("%s problem status %v, want %d", what, r.body["status"], status)
	}
}

// problemFields returns the fields named by a 400 problem's errors.
func problemFields(r reply) []string {
	var out []string
	errs, _ := r.body["errors"].([]any)
	for _, e := range errs {
		if m, ok := e.(map[string]any); ok {
			f, _ := m["field"].(string)
			out = append(out, f)
		}
	}
	return out
}
