package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Rate
		ok   bool
	}{
		{"10/s:20", Rate{PerSecond: 10, Burst: 20}, true},
		{"120/m:30", Rate{PerSecond: 2, Burst: 30}, true},
		{"off", Rate{}, true},
		{"0", Rate{}, true},
		{"10/s", Rate{}, false},
		{"10/h:5", Rate{}, false},
		{"-1/s:5", Rate{}, false},
		{"1/s:0", Rate{}, false},
		{"x/s:1", Rate{}, false},
	} {
		got, err := ParseRate(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseRate(%q) = %+v, %v; want %+v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestClientAddr(t *testing.T) {
	trusted, err := ParsePrefixes("10.0.0.0/8, 192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		remote, xff, want string
	}{
		{"203.0.113.5:4000", "", "203.0.113.5"},
		{"203.0.113.5:4000", "198.51.100.1", "203.0.113.5"}, // untrusted peer: header ignored
		{"10.1.2.3:4000", "198.51.100.1", "198.51.100.1"},
		{"10.1.2.3:4000", "6.6.6.6, 198.51.100.1, 192.0.2.1", "198.51.100.1"}, // rightmost untrusted
		{"10.1.2.3:4000", "10.9.9.9", "10.9.9.9"},                             // all trusted: the last hop
		{"10.1.2.3:4000", "garbage, 198.51.100.1", "198.51.100.1"},
		{"[::ffff:203.0.113.5]:1", "", "203.0.113.5"},
	} {
		r := httptest.NewRequest("POST", "/", nil)
		r.RemoteAddr = tt.remote
		if tt.xff != "" {
			r.Header.Set("X-Forwarded-For", tt.xff)
		}
		if got := clientAddr(r, trusted); got != tt.want {
			t.Errorf("clientAddr(%s, XFF %q) = %s, want %s", tt.remote, tt.xff, got, tt.want)
		}
	}
	if _, err := ParsePrefixes("10.0.0.0/33"); err == nil {
		t.Errorf("a bad prefix parsed")
	}
}

// TestLimiterForgetsFullBuckets: the buckets stay bounded under a flood of
// keys, and forgetting a full bucket changes nothing.
func TestLimiterForgetsFullBuckets(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newLimiter(Rate{PerSecond: 1, Burst: 1}, func() time.Time { return now })
	for i := range maxBuckets + 10 {
		l.allow(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}).String())
	}
	if n := len(l.buckets); n > maxBuckets {
		t.Errorf("%d buckets kept, want at most %d", n, maxBuckets)
	}
	if ok, _ := l.allow("k"); !ok {
		t.Fatal("first write refused")
	}
	if ok, wait := l.allow("k"); ok || wait != time.Second {
		t.Errorf("second write at once = %v, wait %v; want refused, 1s", ok, wait)
	}
}

// TestLimitWritesKeysByTokenAndAddress: each token has its own bucket, and
// reads spend nothing.
func TestLimitWritesKeysByTokenAndAddress(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := New(Deps{Now: func() time.Time { return now }, Limits: WriteLimits{PerToken: Rate{PerSecond: 1, Burst: 1}}})
	h := s.limitWrites(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	send := func(method, token string) int {
		r := httptest.NewRequest(method, "/v1/assets/x/bids", nil)
		if token != "" {
			r = r.WithContext(context.WithValue(r.Context(), callerKey{}, authState{caller: Caller{Role: RoleCommunityGroup, Org: "org-" + token, TokenID: token}}))
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	for _, tt := range []struct {
		method, token string
		want          int
	}{
		{http.MethodPost, "a", http.StatusNoContent},
		{http.MethodPost, "a", http.StatusTooManyRequests},
		{http.MethodPatch, "a", http.StatusTooManyRequests},
		{http.MethodPost, "b", http.StatusNoContent},
		{http.MethodGet, "a", http.StatusNoContent},
		{http.MethodPost, "", http.StatusNoContent}, // the public has no token bucket (its address limit is off here)
	} {
		if got := send(tt.method, tt.token); got != tt.want {
			t.Errorf("%s as token %q = %d, want %d", tt.method, tt.token, got, tt.want)
		}
	}
}
