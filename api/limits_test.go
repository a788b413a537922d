package api_test

import (
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/acv-registry/acv/api"
	"github.com/acv-registry/acv/internal/testclock"
)

// withLimits sets the server's write limits and a settable clock.
func withLimits(l api.WriteLimits, clock *testclock.Clock) func(*api.Deps) {
	return func(d *api.Deps) {
		d.Limits = l
		d.Now = clock.Now
	}
}

// TestWriteRateLimitPerToken: a token that spends its burst gets 429 with
// Retry-After and a problem body, the refused write leaves the log as it
// was, reads go on, and the bucket refills with time.
func TestWriteRateLimitPerToken(t *testing.T) {
	clock := testclock.New(testNow)
	h := newHarness(t, withLimits(api.WriteLimits{PerToken: api.Rate{PerSecond: 0.5, Burst: 3}}, clock))
	for range 3 {
		h.mustPost("/v1/councils/E07000228/nominations", nominationBody(), http.StatusCreated)
	}
	before := len(h.events())
	r := h.post("/v1/councils/E07000228/nominations", nominationBody())
	wantProblem(t, "the fourth write in a burst of 3", r, http.StatusTooManyRequests)
	if got := r.header.Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After = %q, want 2 (one write back at 0.5/s)", got)
	}
	if after := len(h.events()); after != before {
		t.Errorf("a refused write changed the log: %d events, then %d", before, after)
	}
	if r := h.do(http.MethodGet, "/v1/changes", nil); r.status != http.StatusOK {
		t.Errorf("a read while writes are limited = %d, want 200", r.status)
	}
	clock.Advance(1 * time.Second)
	r = h.post("/v1/councils/E07000228/nominations", nominationBody())
	wantProblem(t, "a write half a unit later", r, http.StatusTooManyRequests)
	if got := r.header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After = %q, want 1", got)
	}
	clock.Advance(1 * time.Second)
	h.mustPost("/v1/councils/E07000228/nominations", nominationBody(), http.StatusCreated)
}

// TestWriteRateLimitPerAddress: writes with a bad token spend the
// address's bucket too, so guessing tokens is slowed; X-Forwarded-For is
// believed only from a trusted proxy.
func TestWriteRateLimitPerAddress(t *testing.T) {
	clock := testclock.New(testNow)
	h := newHarness(t, withLimits(api.WriteLimits{PerAddress: api.Rate{PerSecond: 1, Burst: 2}}, clock))
	bad := header{"Authorization", "Bearer not-a-token"}
	wantProblem(t, "a bad token", h.post("/v1/councils/E07000228/nominations", nominationBody(), bad), http.StatusUnauthorized)
	wantProblem(t, "a bad token", h.post("/v1/councils/E07000228/nominations", nominationBody(), bad, header{"X-Forwarded-For", "203.0.113.9"}), http.StatusUnauthorized)
	r := h.post("/v1/councils/E07000228/nominations", nominationBody(), header{"X-Forwarded-For", "198.51.100.7"})
	wantProblem(t, "a good token from an address that spent its burst (X-Forwarded-For from an untrusted peer is ignored)", r, http.StatusTooManyRequests)
	if r.header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After = %q, want 1", r.header.Get("Retry-After"))
	}

	clock = testclock.New(testNow)
	loopback := netip.MustParsePrefix("127.0.0.0/8")
	h = newHarness(t, withLimits(api.WriteLimits{PerAddress: api.Rate{PerSecond: 1, Burst: 1}, TrustedProxies: []netip.Prefix{loopback}}, clock))
	h.mustPost("/v1/councils/E07000228/nominations", nominationBody(), http.StatusCreated, header{"X-Forwarded-For", "203.0.113.9"})
	wantProblem(t, "the same forwarded client again", h.post("/v1/councils/E07000228/nominations", nominationBody(), header{"X-Forwarded-For", "203.0.113.9"}), http.StatusTooManyRequests)
	h.mustPost("/v1/councils/E07000228/nominations", nominationBody(), http.StatusCreated, header{"X-Forwarded-For", "203.0.113.10"})
	// A client cannot choose its bucket by prepending addresses: the proxy
	// appends the real one, the rightmost untrusted hop.
	wantProblem(t, "a forged first hop", h.post("/v1/councils/E07000228/nominations", nominationBody(), header{"X-Forwarded-For", "192.0.2.1, 203.0.113.9"}), http.StatusTooManyRequests)
}

// TestCORSOpenForPublicReadsOnly: any origin may read; no origin may write
// or send credentials across origins.
func TestCORSOpenForPublicReadsOnly(t *testing.T) {
	h := newHarness(t)
	origin := header{"Origin", "https://news.example"}
	public := header{"Authorization", ""}

	r := h.do(http.MethodGet, "/v1/changes", nil, origin, public)
	if r.status != http.StatusOK || r.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("cross-origin GET = %d with Allow-Origin %q, want 200 and *", r.status, r.header.Get("Access-Control-Allow-Origin"))
	}
	if r.header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("a cross-origin read allows credentials")
	}
	if r := h.do(http.MethodGet, "/v1/changes", nil, public); r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("a same-origin GET carries Allow-Origin %q", r.header.Get("Access-Control-Allow-Origin"))
	}

	pre := h.do(http.MethodOptions, "/v1/changes", nil, origin, public,
		header{"Access-Control-Request-Method", "GET"}, header{"Access-Control-Request-Headers", "accept, if-none-match"})
	if pre.status != http.StatusNoContent || pre.header.Get("Access-Control-Allow-Origin") != "*" || pre.header.Get("Access-Control-Allow-Methods") != "GET, HEAD" {
		t.Errorf("preflight for a GET = %d %v, want 204 allowing GET and HEAD from any origin", pre.status, pre.header)
	}

	before := len(h.events())
	for _, tc := range []struct {
		what    string
		method  string
		headers string
	}{
		{"a POST", http.MethodPost, "content-type"},
		{"a DELETE", http.MethodDelete, ""},
		{"a GET with a token", http.MethodGet, "authorization"},
	} {
		pre := h.do(http.MethodOptions, "/v1/councils/E07000228/nominations", nil, origin, public,
			header{"Access-Control-Request-Method", tc.method}, header{"Access-Control-Request-Headers", tc.headers})
		wantProblem(t, "preflight for "+tc.what, pre, http.StatusForbidden)
		if pre.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight for %s allows origin %q", tc.what, pre.header.Get("Access-Control-Allow-Origin"))
		}
	}
	w := h.post("/v1/councils/E07000228/nominations", nominationBody(), origin)
	if w.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("a cross-origin POST's answer may be read by the page: Allow-Origin %q", w.header.Get("Access-Control-Allow-Origin"))
	}
	if got := len(h.events()); got != before+1 {
		t.Errorf("log has %d events, want %d (the refused preflights append nothing)", got, before+1)
	}
}
