package api_test

import (
	"net/url"
	"strings"
	"testing"
)

// TestReadsRefuseMalformedQueries: every read route answers odd paths and
// malformed query parameters with a 4xx problem, never a 5xx.
func TestReadsRefuseMalformedQueries(t *testing.T) {
	rs := newReadStack(t, true)
	asset := rs.id("The Red Lion")
	paths := []string{
		"/v1/councils/E07000228", "/v1/councils/E07000228/register", "/v1/councils/E07000228/unsuccessful-nominations",
		"/v1/councils/E07000228/deadlines", "/v1/register", "/v1/assets/" + asset, "/v1/assets/" + asset + "/timeline",
		"/v1/assets/" + asset + "/events", "/v1/assets/" + asset + "/verify", "/v1/moratoria", "/v1/stats", "/v1/changes",
	}
	queries := []string{
		"as_of=2026-02-30", "as_of=yesterday", "as_of=" + strings.Repeat("9", 40), "limit=-1", "limit=1001",
		"limit=abc", "cursor=%%%", "cursor=" + url.QueryEscape("not-a-cursor"), "min_position=-5", "min_position=x",
		"min_position=99999999999", "bbox=1,2,3", "bbox=a,b,c,d", "bbox=10,10,0,0", "status=sideways", "after=-1",
		"after=zzz", "format=pdf", "q=" + url.QueryEscape(strings.Repeat("%_\\", 200)), "postcode=" + url.QueryEscape("'; DROP TABLE rm_assets; --"),
	}
	for _, p := range paths {
		for _, q := range queries {
			g := rs.get(p+"?"+q, "Authorization: admin")
			if g.status >= 500 {
				t.Errorf("GET %s?%s = %d, want no server fault: %.200s", p, q, g.status, g.body)
			}
			if g.status >= 400 && g.header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("GET %s?%s = %d with content type %q, want a problem", p, q, g.status, g.header.Get("Content-Type"))
			}
		}
	}
	for _, p := range []string{"/v1/assets/not-a-uuid", "/v1/assets/" + strings.Repeat("a", 5000) + "/timeline",
		"/v1/councils/" + url.PathEscape("E07000228'--") + "/register", "/v1/assets/%00/events"} {
		if g := rs.get(p); g.status < 400 || g.status >= 500 {
			t.Errorf("GET %.80s = %d, want a 4xx", p, g.status)
		}
	}
	// The register is still there: nothing above did any harm.
	rs.mustGet(200, "/v1/register")
}
