package api

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/projections"
)

// Page sizes: ?limit= defaults to defaultLimit and may not exceed maxLimit.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

// query reads a request's query parameters, collecting every invalid one so
// that a client learns all its mistakes from one 400 problem.
type query struct {
	v    url.Values
	errs []FieldError
}

func newQuery(r *http.Request) *query { return &query{v: r.URL.Query()} }

func (q *query) fail(field, format string, args ...any) {
	q.errs = append(q.errs, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// err returns a 400 problem naming every invalid parameter, or nil.
func (q *query) err() error {
	if len(q.errs) == 0 {
		return nil
	}
	return invalidParams(q.errs...)
}

// invalidParams is the 400 problem for invalid query parameters.
func invalidParams(errs ...FieldError) *Problem {
	names := make([]string, len(errs))
	for i, e := range errs {
		names[i] = e.Field
	}
	return &Problem{Type: TypeInvalidInput, Status: http.StatusBadRequest, Title: "Invalid query parameter",
		Detail: "invalid " + strings.Join(names, ", "), Errors: errs}
}

// single returns the parameter's value; a parameter given twice is an error.
func (q *query) single(name string) (string, bool) {
	vs, ok := q.v[name]
	if !ok {
		return "", false
	}
	if len(vs) > 1 {
		q.fail(name, "is given %d times; give it once", len(vs))
		return "", false
	}
	return vs[0], true
}

// int64 parses a whole number no smaller than least; def if absent.
func (q *query) int64(name string, def, least int64) int64 {
	s, ok := q.single(name)
	if !ok {
		return def
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		q.fail(name, "must be a whole number, not %q", s)
		return def
	}
	if n < least {
		q.fail(name, "must be at least %d", least)
		return def
	}
	return n
}

// page reads ?limit= (1 to maxLimit, default defaultLimit) and ?cursor=.
func (q *query) page() projections.PageRequest {
	p := projections.PageRequest{Limit: defaultLimit}
	if s, ok := q.single("limit"); ok {
		n, err := strconv.Atoi(s)
		switch {
		case err != nil:
			q.fail("limit", "must be a whole number from 1 to %d, not %q", maxLimit, s)
		case n < 1 || n > maxLimit:
			q.fail("limit", "must be from 1 to %d, not %d", maxLimit, n)
		default:
			p.Limit = n
		}
	}
	if s, ok := q.single("cursor"); ok {
		if s == "" || len(s) > 1000 {
			q.fail("cursor", "must be the next_cursor of a previous page")
		}
		p.Cursor = s
	}
	return p
}

// date parses a civil date YYYY-MM-DD no later than today; today if absent.
func (q *query) date(name string, today domain.Date) domain.Date {
	s, ok := q.single(name)
	if !ok {
		return today
	}
	d, err := domain.ParseDate(s)
	if err != nil {
		q.fail(name, "must be a date YYYY-MM-DD, not %q", s)
		return today
	}
	if d.After(today) {
		q.fail(name, "must not be after today (%s): the registry does not know the future", today)
		return today
	}
	return d
}

// text returns a free-text parameter of at most limit bytes.
func (q *query) text(name string, limit int) string {
	s, _ := q.single(name)
	s = strings.TrimSpace(s)
	if len(s) > limit {
		q.fail(name, "must be at most %d characters", limit)
		return ""
	}
	return s
}

// oneOf returns the parameter if it is one of allowed ("" when absent).
func (q *query) oneOf(name string, allowed ...string) string {
	s, ok := q.single(name)
	if !ok || s == "" {
		return ""
	}
	if !slices.Contains(allowed, s) {
		q.fail(name, "must be one of %s, not %q", strings.Join(allowed, ", "), s)
		return ""
	}
	return s
}

// postcodeRE matches a UK postcode or its outward code alone, after
// normalisation to upper case with one space.
var postcodeRE = regexp.MustCompile(`^[A-Z]{1,2}[0-9][A-Z0-9]?( [0-9][A-Z]{2})?$`)

// postcode returns a full postcode (SW1A 1AA) or an outward code (SW1A),
// normalised to upper case with one space before the inward code.
func (q *query) postcode(name string) string {
	s, ok := q.single(name)
	if !ok || strings.TrimSpace(s) == "" {
		return ""
	}
	p := normalisePostcode(s)
	if !postcodeRE.MatchString(p) {
		q.fail(name, "must be a postcode (SW1A 1AA) or an outward code (SW1A), not %q", s)
		return ""
	}
	return p
}

// normalisePostcode upper-cases p and puts one space before the inward code
// (the last three characters) of a full postcode.
func normalisePostcode(p string) string {
	p = strings.ToUpper(strings.Join(strings.Fields(p), ""))
	if len(p) >= 5 && p[len(p)-3] >= '0' && p[len(p)-3] <= '9' {
		return p[:len(p)-3] + " " + p[len(p)-3:]
	}
	return p
}

// bbox parses minLon,minLat,maxLon,maxLat in WGS84 degrees.
func (q *query) bbox(name string) *projections.BoundingBox {
	s, ok := q.single(name)
	if !ok {
		return nil
	}
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		q.fail(name, "must be minLon,minLat,maxLon,maxLat (four numbers), not %q", s)
		return nil
	}
	var f [4]float64
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || v != v { // v != v: NaN
			q.fail(name, "must be minLon,minLat,maxLon,maxLat (four numbers), not %q", s)
			return nil
		}
		f[i] = v
	}
	b := projections.BoundingBox{MinLon: f[0], MinLat: f[1], MaxLon: f[2], MaxLat: f[3]}
	switch {
	case b.MinLon < -180 || b.MaxLon > 180 || b.MinLat < -90 || b.MaxLat > 90:
		q.fail(name, "must lie within longitude -180 to 180 and latitude -90 to 90")
	case b.MinLon > b.MaxLon || b.MinLat > b.MaxLat:
		q.fail(name, "minimums must not exceed maximums: minLon,minLat,maxLon,maxLat")
	default:
		return &b
	}
	return nil
}

// preferredWait is the wait the client asked for with "Prefer: wait=N"
// (RFC 7240), capped at max; max when it asked for none. wait=0 still
// allows minWait, long enough to look once.
func preferredWait(h http.Header, limit time.Duration) time.Duration {
	for _, v := range h.Values("Prefer") {
		for _, pref := range strings.Split(v, ",") {
			k, val, ok := strings.Cut(strings.TrimSpace(pref), "=")
			if !ok || !strings.EqualFold(strings.TrimSpace(k), "wait") {
				continue
			}
			if n, err := strconv.Atoi(strings.Trim(strings.TrimSpace(val), `"`)); err == nil && n >= 0 {
				return min(max(time.Duration(n)*time.Second, minWait), limit)
			}
		}
	}
	return limit
}

// minWait is the shortest wait for ?min_position=.
const minWait = 100 * time.Millisecond
