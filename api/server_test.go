package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/acv-registry/acv/api"
	"github.com/acv-registry/acv/eventstore/sqlite"
)

func newServer(t *testing.T) (*httptest.Server, *sqlite.Store) {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "acv.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	srv := httptest.NewServer(api.New(api.Deps{Store: s, Log: slog.New(slog.DiscardHandler)}))
	t.Cleanup(srv.Close)
	return srv, s
}

func get(t *testing.T, method, url string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var body map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &body); err != nil {
			t.Fatalf("%s %s: body is not JSON: %s", method, url, b)
		}
	}
	return resp, body
}

func TestHealthAndReadiness(t *testing.T) {
	srv, store := newServer(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		if resp, _ := get(t, http.MethodGet, srv.URL+path); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", path, resp.StatusCode)
		}
	}
	store.Close() // the log can no longer be read
	resp, body := get(t, http.MethodGet, srv.URL+"/readyz")
	if resp.StatusCode != http.StatusServiceUnavailable || body["status"] != float64(503) {
		t.Errorf("GET /readyz with a closed store = %d %v, want a 503 problem", resp.StatusCode, body)
	}
	if resp, _ := get(t, http.MethodGet, srv.URL+"/healthz"); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz with a closed store = %d; liveness must not depend on the store", resp.StatusCode)
	}
}

func TestErrorsAreProblemDetails(t *testing.T) {
	srv, _ := newServer(t)
	for _, tt := range []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/no/such/thing", http.StatusNotFound},
		{http.MethodPost, "/healthz", http.StatusMethodNotAllowed},
	} {
		resp, body := get(t, tt.method, srv.URL+tt.path)
		if resp.StatusCode != tt.status {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.path, resp.StatusCode, tt.status)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("%s %s content type %q, want application/problem+json", tt.method, tt.path, ct)
		}
		for _, field := range []string{"type", "title", "status", "detail"} {
			if _, ok := body[field]; !ok {
				t.Errorf("%s %s problem lacks %q: %v", tt.method, tt.path, field, body)
			}
		}
		if body["status"] != float64(tt.status) {
			t.Errorf("%s %s problem status %v, want %d", tt.method, tt.path, body["status"], tt.status)
		}
	}
}
