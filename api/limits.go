package api

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Rate limits on writes. Every request that may change something (any
// method but GET, HEAD and OPTIONS) spends one unit from the bucket of the
// client's address and, when it carries a valid token, one from the bucket
// of that token. An empty bucket answers 429 with Retry-After and the
// request goes no further, so the log is untouched. Requests with a bad token
// spend from their address's bucket too, which slows down guessing.
//
// The buckets live in each node's memory: behind a load balancer that
// spreads one client over N nodes, the limit it meets is up to N times the
// configured one. That is the usual trade for a limit that costs no database
// round trip; the limits are a guard against floods and runaway scripts, not
// a quota.

// Rate is a token bucket: Burst requests at once, refilled at PerSecond. A
// Rate with PerSecond <= 0 or Burst <= 0 is no limit (the zero Rate).
type Rate struct {
	PerSecond float64
	Burst     int
}

// unlimited reports whether r limits nothing.
func (r Rate) unlimited() bool { return r.PerSecond <= 0 || r.Burst <= 0 }

// String formats r as "N/s burst B", or "off".
func (r Rate) String() string {
	if r.unlimited() {
		return "off"
	}
	return strconv.FormatFloat(r.PerSecond, 'g', -1, 64) + "/s burst " + strconv.Itoa(r.Burst)
}

// ParseRate reads a rate written "N/s:B", "N/m:B" (per second or per minute,
// burst B) or "off" (no limit).
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	if s == "off" || s == "0" {
		return Rate{}, nil
	}
	per, burst, ok := strings.Cut(s, ":")
	if !ok {
		return Rate{}, fmt.Errorf("rate %q: want N/s:BURST, N/m:BURST or off", s)
	}
	n, unit, ok := strings.Cut(per, "/")
	if !ok || (unit != "s" && unit != "m") {
		return Rate{}, fmt.Errorf("rate %q: the unit must be /s or /m", s)
	}
	v, err := strconv.ParseFloat(n, 64)
	if err != nil || v <= 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return Rate{}, fmt.Errorf("rate %q: %q is not a positive number", s, n)
	}
	b, err := strconv.Atoi(burst)
	if err != nil || b < 1 {
		return Rate{}, fmt.Errorf("rate %q: the burst must be a whole number of at least 1", s)
	}
	if unit == "m" {
		v /= 60
	}
	return Rate{PerSecond: v, Burst: b}, nil
}

// WriteLimits are the limits on writes (see [Rate]). The zero WriteLimits
// limits nothing.
type WriteLimits struct {
	// PerToken limits the writes of one bearer token.
	PerToken Rate
	// PerAddress limits the writes of one client address.
	PerAddress Rate
	// TrustedProxies are the load balancers whose X-Forwarded-For header is
	// believed: a request from one of them is counted against the address
	// it forwarded for (the rightmost untrusted one in the header). A
	// request from anywhere else is counted against its own address, so a
	// client cannot pick its bucket by sending the header.
	TrustedProxies []netip.Prefix
}

// maxBuckets bounds the buckets one limiter keeps, so a flood from many
// addresses cannot grow memory without end.
const maxBuckets = 100_000

// limiter is a set of token buckets, one per key, all at one rate. It is
// safe for concurrent use.
type limiter struct {
	rate Rate
	now  func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

// bucket is what is left of one key's allowance, as of at.
type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(rate Rate, now func() time.Time) *limiter {
	return &limiter{rate: rate, now: now, buckets: make(map[string]*bucket)}
}

// allow spends one unit from key's bucket. When it is empty it spends
// nothing and says how long until a unit is back.
func (l *limiter) allow(key string) (bool, time.Duration) {
	if l == nil || l.rate.unlimited() {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			l.sweep(now)
		}
		b = &bucket{tokens: float64(l.rate.Burst), at: now}
		l.buckets[key] = b
	}
	l.refill(b, now)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.rate.PerSecond * float64(time.Second))
	return false, wait
}

// refill adds what has accrued to b since it was last seen, up to the burst.
func (l *limiter) refill(b *bucket, now time.Time) {
	if elapsed := now.Sub(b.at); elapsed > 0 {
		b.tokens = math.Min(float64(l.rate.Burst), b.tokens+elapsed.Seconds()*l.rate.PerSecond)
		b.at = now
	}
}

// sweep forgets the buckets that have refilled: a full bucket is the same as
// none. If that frees too little, it forgets them all - the limit fails
// open for a moment rather than let memory grow.
func (l *limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		l.refill(b, now)
		if b.tokens >= float64(l.rate.Burst) {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= maxBuckets*9/10 {
		clear(l.buckets)
	}
}

// errRateLimited returns the 429 problem for a client that must wait.
func errRateLimited(what string, wait time.Duration) *Problem {
	secs := int(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	return &Problem{Status: http.StatusTooManyRequests, Title: "Too many requests",
		Detail: fmt.Sprintf("too many writes from this %s; retry after %d s", what, secs),
		header: http.Header{"Retry-After": {strconv.Itoa(secs)}}}
}

// limitWrites applies the write limits (see [WriteLimits]). It runs after
// authentication, which tells it the token.
func (s *Server) limitWrites(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		if ok, wait := s.addrLimit.allow(clientAddr(r, s.Limits.TrustedProxies)); !ok {
			s.writeProblem(w, r, errRateLimited("address", wait))
			return
		}
		if c := CallerFrom(r.Context()); !c.IsPublic() {
			if ok, wait := s.tokenLimit.allow(c.TokenID); !ok {
				s.writeProblem(w, r, errRateLimited("token", wait))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// clientAddr returns the address a request is counted against: its peer's,
// or when the peer is a trusted proxy, the rightmost address in
// X-Forwarded-For that is not a trusted proxy.
func clientAddr(r *http.Request, trusted []netip.Prefix) string {
	peer := r.RemoteAddr
	if host, _, err := net.SplitHostPort(peer); err == nil {
		peer = host
	}
	addr, err := netip.ParseAddr(peer)
	if err != nil {
		return peer
	}
	addr = addr.Unmap()
	if !trustedAddr(addr, trusted) {
		return addr.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a forged or garbled hop: stop at the last one believed
		}
		hop = hop.Unmap()
		addr = hop
		if !trustedAddr(hop, trusted) {
			break
		}
	}
	return addr.String()
}

func trustedAddr(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ParsePrefixes reads a comma-separated list of CIDR prefixes or single
// addresses, for [WriteLimits.TrustedProxies].
func ParsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: %w", f, err)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: %w", f, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
