package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// TestRequestIDAndCorrelation: a sane incoming X-Request-ID is kept and
// echoed, and a UUID one becomes the correlation id of the events the
// request appends; an insane one is replaced.
func TestRequestIDAndCorrelation(t *testing.T) {
	h := newHarness(t)
	id := uuid.NewString()
	r := h.mustPost("/v1/councils/E07000228/nominations", nominationBody(), http.StatusCreated, header{"X-Request-ID", id})
	if got := r.header.Get("X-Request-ID"); got != id {
		t.Errorf("X-Request-ID = %q, want the incoming %q", got, id)
	}
	es := h.events()
	if got := es[len(es)-1].Metadata.CorrelationID.String(); got != id {
		t.Errorf("correlation id = %s, want the request id %s", got, id)
	}
	actor := es[len(es)-1].Metadata.Actor
	if actor.Role != "administrator" || actor.Org != "registry" || actor.TokenID != "admin" {
		t.Errorf("actor = %+v, want the administrator's", actor)
	}
	if strings.Contains(string(es[len(es)-1].Data), adminToken) || strings.Contains(actor.TokenID, adminToken) {
		t.Errorf("the token itself reached the log")
	}

	r = h.mustPost("/v1/councils/E07000228/nominations", nominationBody(), http.StatusCreated, header{"X-Request-ID", "trace-abc.123"})
	if got := r.header.Get("X-Request-ID"); got != "trace-abc.123" {
		t.Errorf("X-Request-ID = %q, want the incoming one", got)
	}
	es = h.events()
	if es[len(es)-1].Metadata.CorrelationID == uuid.Nil {
		t.Errorf("a request id that is not a UUID gave no correlation id")
	}

	for _, bad := range []string{"has spaces", strings.Repeat("x", 200), "<script>"} {
		r = h.do(http.MethodGet, "/healthz", nil, header{"X-Request-ID", bad})
		got := r.header.Get("X-Request-ID")
		if got == bad || got == "" {
			t.Errorf("incoming X-Request-ID %q answered with %q, want a new one", bad, got)
		}
	}
	if r := h.do(http.MethodGet, "/healthz", nil); r.header.Get("X-Request-ID") == "" {
		t.Errorf("a request without an id got none")
	}
}

// TestSecurityHeaders: every answer, good or bad, carries them.
func TestSecurityHeaders(t *testing.T) {
	h := newHarness(t)
	for _, req := range []struct{ method, path string }{
		{http.MethodGet, "/healthz"}, {http.MethodGet, "/no/such/path"}, {http.MethodGet, "/v1/changes"},
		{http.MethodPost, "/v1/councils/E07000228/nominations"}, // 400: no body
		{http.MethodDelete, "/v1/changes"},                      // 405
	} {
		method, path := req.method, req.path
		r := h.do(method, path, nil)
		for k, want := range map[string]string{
			"X-Content-Type-Options":    "nosniff",
			"Referrer-Policy":           "no-referrer",
			"X-Frame-Options":           "DENY",
			"Strict-Transport-Security": "max-age=63072000; includeSubDomains",
		} {
			if got := r.header.Get(k); got != want {
				t.Errorf("%s %s: %s = %q, want %q", method, path, k, got, want)
			}
		}
		if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("%s %s: Content-Security-Policy = %q", method, path, csp)
		}
	}
}

// TestAccessLog: one structured line per request with method, path, status,
// duration and request id.
func TestAccessLog(t *testing.T) {
	h := newHarness(t)
	h.do(http.MethodGet, "/healthz", nil, header{"X-Request-ID", "log-me-1"})
	var found bool
	for _, line := range strings.Split(strings.TrimSpace(h.logs.String()), "\n") {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("a log line is not JSON: %s", line)
		}
		if e["msg"] != "request" || e["request_id"] != "log-me-1" {
			continue
		}
		found = true
		if e["method"] != "GET" || e["path"] != "/healthz" || e["route"] != "/healthz" || e["status"] != float64(200) {
			t.Errorf("access log entry %v", e)
		}
		if _, ok := e["duration"]; !ok {
			t.Errorf("access log entry has no duration: %v", e)
		}
	}
	if !found {
		t.Errorf("no access log entry for the request:\n%s", h.logs.String())
	}
}

// TestMetrics: /metrics counts requests by route template and status, on
// the server's own registry.
func TestMetrics(t *testing.T) {
	h := newHarness(t)
	h.mustPost("/v1/councils/E07000228/nominations", nominationBody(), http.StatusCreated)
	h.post("/v1/councils/E07000228/nominations", `{`)
	h.do(http.MethodGet, "/random/"+uuid.NewString(), nil)
	req, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	text := string(b)
	for _, want := range []string{
		`acv_http_requests_total{method="POST",route="/v1/councils/{council}/nominations",status="201"} 1`,
		`acv_http_requests_total{method="POST",route="/v1/councils/{council}/nominations",status="400"} 1`,
		`acv_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`acv_http_request_duration_seconds_bucket{method="POST",route="/v1/councils/{council}/nominations",status="201",le="+Inf"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// Two servers in one process do not share a registry.
	other := newHarness(t)
	req, _ = http.NewRequest(http.MethodGet, other.srv.URL+"/metrics", nil)
	resp2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp2.Body.Close()
	b, _ = io.ReadAll(resp2.Body)
	if strings.Contains(string(b), `route="/v1/councils/{council}/nominations"`) {
		t.Errorf("a second server's metrics show the first server's requests")
	}
}
