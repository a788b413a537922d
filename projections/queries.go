package projections

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	fastjson "github.com/segmentio/encoding/json"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/messaging"
)

// Queries reads the live read-model tables (see [CreateTables]) of either
// backend, and derives an asset's page and timeline from the log
// (pages.go). It implements [Reader]. It holds no state of its own, so it
// is safe for concurrent use; the zero value is unusable, DB must be set,
// and Log and Regimes for [Queries.Asset] and [Queries.Timeline].
//
// A council is known to the read models once it has an asset: [Queries.Council]
// reports any other as not found, while the listings of a council
// (Register, Deadlines) simply come back empty for it.
type Queries struct {
	DB DB
	// Log is the log an asset's page and timeline are derived from, under
	// Regimes, the regimes the projector derives the tables' rows under.
	Log     StreamReader
	Regimes domain.Regimes

	// boxCap, when above 0, replaces [spatialCap]: tests lower it to take
	// both paths of a bounding box on a small register.
	boxCap int
}

var _ Reader = (*Queries)(nil)

// Cursor kinds: a cursor from one listing is refused by another.
const (
	cursorRegister  = "register"
	cursorDeadlines = "deadlines"
	cursorMoratoria = "moratoria"
)

// validOn is the condition that a register version stands on a day: one
// argument, the day, twice.
const validOn = `valid_from <= ? AND (valid_to IS NULL OR valid_to > ?)`

// SeenVersion returns the stream version of the asset's last event that
// the read models have derived its rows from. An asset they do not know
// is an error wrapping domain.ErrNotFound.
func (q *Queries) SeenVersion(ctx context.Context, id string) (int64, error) {
	var v int64
	err := q.DB.SQL.QueryRowContext(ctx, q.DB.Dialect.Rebind(`SELECT version FROM `+tableAssets+` WHERE asset_id = ?`), id).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("asset %s: %w", id, domain.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("asset %s: version seen: %w", id, err)
	}
	return v, nil
}

// Register returns one council's list as it stood on q.AsOf (q.Today when
// zero): the versions valid from on or before that day and not ended by
// it, ordered by entry date, reference and asset id. An empty List is the
// list of assets of community value. A council with no entries gives an
// empty page. A missing council, an unknown list or a bad cursor is a
// *domain.ValidationError.
func (q *Queries) Register(ctx context.Context, rq RegisterQuery) (Page[RegisterEntry], error) {
	if rq.Council == "" {
		return Page[RegisterEntry]{}, fmt.Errorf("register: %w", &domain.ValidationError{Field: "council", Message: "a council is required"})
	}
	list := rq.List
	if list == "" {
		list = ListACV
	}
	asOf := rq.AsOf
	if asOf.IsZero() {
		asOf = rq.Today
	}
	page, err := q.register(ctx, registerFilter{
		list: list, council: rq.Council, asOf: asOf, page: rq.Page,
	})
	if err != nil {
		return Page[RegisterEntry]{}, fmt.Errorf("register %s of %s as of %s: %w", list, rq.Council, asOf, err)
	}
	return page, nil
}

// National returns the entries of every council's list of assets of
// community value that match s, as they stood on s.AsOf (s.Today when
// zero), in the order of [Queries.Register]. Text matches a substring of
// the name or the address, ignoring case; Postcode is a full postcode,
// matched exactly, or an outward code (SW1A), matching its postcodes, in
// any case and spacing; BBox keeps entries whose point lies within it.
// Invalid filters and a bad cursor are a *domain.ValidationError.
//
// What a page costs, n being the register's versions:
//   - with no filter, or Council, O(log n + limit) like
//     [Queries.Register]'s;
//   - Postcode (full or outward) and Status are read from their own index
//     in list order ((postcode | outward | status, entry_date, reference,
//     asset_id, seq, list, ...)): O(log n + the filter's entries in the
//     entry-date window), no sort;
//   - Text is looked up in a trigram index (pg_trgm on PostgreSQL, FTS5
//     on SQLite): the page then costs in proportion to the entries the
//     text matches, which are sorted. Text of one or two characters, which
//     no trigram can look up, is matched while the register is read in
//     order (on SQLite; PostgreSQL's planner chooses);
//   - BBox, without Text or Postcode, first counts the register rows the
//     box holds in a spatial index (on SQLite the index on bands of
//     latitude and longitude, see [cellCond]; a GiST index on point(lon,
//     lat) on PostgreSQL), up to [spatialCap]: O(log n +
//     min(matches, cap)). Under the cap the page is read from the spatial
//     index, filtered by the day and sorted: it costs what the box holds,
//     at most the cap. From the cap on (a county, England) it is read in
//     list order with the box tested on each row, which costs about
//     limit x n / matches rows: a few rows a match when the box holds a
//     large share of the register, and at worst, for a box just over the
//     cap, limit x n / cap (some 10^4 rows for a page of 100 at 10^6
//     events, where the cap is about sqrt(limit x n) and the two paths
//     cost the same; a larger register would want a cap growing with
//     sqrt(n)). The two paths give the same pages, so a cursor from one
//     serves the other.
func (q *Queries) National(ctx context.Context, s SearchQuery) (Page[RegisterEntry], error) {
	asOf := s.AsOf
	if asOf.IsZero() {
		asOf = s.Today
	}
	f := registerFilter{list: ListACV, council: s.Council, status: s.Status, asOf: asOf, page: s.Page, bbox: s.BBox}
	f.text = strings.ToLower(strings.Join(strings.Fields(s.Text), " "))
	if s.Postcode != "" {
		code, full, err := normalisePostcode(s.Postcode)
		if err != nil {
			return Page[RegisterEntry]{}, fmt.Errorf("national register: %w", err)
		}
		if full {
			f.postcode = code
		} else {
			f.outward = code
		}
	}
	if b := s.BBox; b != nil && (b.MinLat > b.MaxLat || b.MinLon > b.MaxLon) {
		return Page[RegisterEntry]{}, fmt.Errorf("national register: %w",
			&domain.ValidationError{Field: "bbox", Message: "want min_lon,min_lat,max_lon,max_lat with each minimum at most its maximum"})
	}
	page, err := q.register(ctx, f)
	if err != nil {
		return Page[RegisterEntry]{}, fmt.Errorf("national register as of %s: %w", asOf, err)
	}
	return page, nil
}

// registerFilter selects register entries; empty fields do not filter.
type registerFilter struct {
	list     List
	council  string
	status   string
	text     string // lower-cased search text, single-spaced
	postcode string // a full postcode
	outward  string // an outward code (SW1A)
	bbox     *BoundingBox
	spatial  bool // bbox is read from its spatial index (see [Queries.National])
	asOf     domain.Date
	page     PageRequest
}

// reachBounds are the largest reach_back and reach_ahead of a list's
// versions (see [reach]): a version standing on day D has an entry date in
// (D - back, D + ahead].
type reachBounds struct{ back, ahead int64 }

// register runs a register listing.
//
// A page costs O(log n + limit), whatever the size of the list or of the
// register, and whatever the day: it is read from an index in list order
// ((council,) list, entry_date, reference, asset_id, seq), starting after
// the cursor, within the entry dates a version standing on the day can
// have, skipping versions that do not stand on it from the index's own
// valid_from and valid_to. Nothing is sorted, counted or skipped by
// OFFSET. Only the text search and a small bounding box differ: their
// index (trigram, spatial) yields the matching entries, which are then
// sorted, so they cost what they match (see [Queries.National]).
func (q *Queries) register(ctx context.Context, f registerFilter) (Page[RegisterEntry], error) {
	if f.list != ListACV && f.list != ListUnsuccessful {
		return Page[RegisterEntry]{}, &domain.ValidationError{Field: "list", Message: "want acv or unsuccessful"}
	}
	if f.asOf.IsZero() {
		return Page[RegisterEntry]{}, &domain.ValidationError{Field: "as_of", Message: "a date is required"}
	}
	after, more, err := parseCursor(f.page.Cursor, cursorRegister, 3, 1)
	if err != nil {
		return Page[RegisterEntry]{}, err
	}
	limit := pageLimit(f.page)
	// Read apart from the page: a version written in between with a reach
	// beyond every other's could be missed by this one read, as any read
	// may miss a write that commits while it runs.
	b, found, err := q.reach(ctx, f.list)
	if err != nil {
		return Page[RegisterEntry]{}, err
	}
	if !found {
		return pageOf[RegisterEntry](nil, nil, limit), nil
	}
	if f.bbox != nil && f.text == "" && f.postcode == "" && f.outward == "" {
		boxCap := spatialCap
		if q.boxCap > 0 {
			boxCap = q.boxCap
		}
		n, err := q.boxMatches(ctx, *f.bbox, boxCap)
		if err != nil {
			return Page[RegisterEntry]{}, err
		}
		f.spatial = n < boxCap
	}
	query, args := registerSQL(q.DB.Dialect, f, b, after, more, limit)
	rows, err := q.DB.SQL.QueryContext(ctx, q.DB.Dialect.Rebind(query), args...)
	if err != nil {
		return Page[RegisterEntry]{}, err
	}
	defer rows.Close()
	var (
		items []RegisterEntry
		keys  []cursor
		raw   []byte
	)
	for rows.Next() {
		k := cursor{Kind: cursorRegister, Text: make([]string, 3), Nums: make([]int64, 1)}
		if err := rows.Scan(&k.Text[0], &k.Text[1], &k.Text[2], &k.Nums[0], &raw); err != nil {
			return Page[RegisterEntry]{}, err
		}
		var e RegisterEntry
		if err := fastjson.Unmarshal(raw, &e); err != nil { // as encoding/json, faster ([Decode])
			return Page[RegisterEntry]{}, fmt.Errorf("decode entry of %s: %w", k.Text[2], err)
		}
		items = append(items, e)
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return Page[RegisterEntry]{}, err
	}
	return pageOf(items, keys, limit), nil
}

// reach returns the list's reach bounds, each read from the end of its
// index, and false when the list has no version at all.
func (q *Queries) reach(ctx context.Context, list List) (reachBounds, bool, error) {
	var back, ahead sql.NullInt64
	err := q.DB.SQL.QueryRowContext(ctx, q.DB.Dialect.Rebind(`SELECT
		(SELECT reach_back FROM rm_register WHERE list = ? ORDER BY reach_back DESC LIMIT 1),
		(SELECT reach_ahead FROM rm_register WHERE list = ? ORDER BY reach_ahead DESC LIMIT 1)`),
		string(list), string(list)).Scan(&back, &ahead)
	if err != nil {
		return reachBounds{}, false, fmt.Errorf("reach of the %s list: %w", list, err)
	}
	if !back.Valid || !ahead.Valid {
		return reachBounds{}, false, nil
	}
	return reachBounds{back: back.Int64, ahead: ahead.Int64}, true, nil
}

// spatialCap is the most rows of the register a bounding box may hold for
// its page to be read from the spatial index and sorted (see
// [Queries.National]); from it on the page is read in list order. About
// sqrt(limit x n) at 10^6 events (n = 3 x 10^5 versions), where the two
// paths cost about the same.
const spatialCap = 3000

// boxMatches counts the register rows (every list, every version) whose
// point the spatial index finds in b, up to limit: O(log n + min(matches,
// limit)). PostgreSQL's index may find a few rows just outside b (its box
// test has a tolerance of 1e-6), which the page's own test of lat and lon
// leaves out.
func (q *Queries) boxMatches(ctx context.Context, b BoundingBox, limit int) (int, error) {
	cond, args := cellCond(b)
	query := `SELECT COUNT(*) FROM (SELECT 1 FROM ` + tableRegister + ` WHERE ` + cond + ` LIMIT ?) n`
	args = append(args, limit)
	if q.DB.Dialect == Postgres {
		query = `SELECT COUNT(*) FROM (SELECT 1 FROM ` + tableRegister + ` WHERE ` + placeCond + ` LIMIT ?) n`
		args = []any{b.MinLon, b.MinLat, b.MaxLon, b.MaxLat, limit}
	}
	var n int
	if err := q.DB.SQL.QueryRowContext(ctx, q.DB.Dialect.Rebind(query), args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count the bounding box's entries: %w", err)
	}
	return n, nil
}

// cellCond finds SQLite's rm_register rows whose point is within b, from
// the index on (band of latitude, lon, lat) (see [cellSQL]): a range of
// longitudes in each band the box crosses, the latitude tested on the
// index's entries, so O(bands x log n + matches) and no row read. A box
// more than maxBands bands high (ten degrees; England is six) is one
// range of bands instead, each band read across. A box reaching past a
// pole (the API refuses one) is tested on every entry. It returns the
// condition, on the table's own columns, and its arguments.
func cellCond(b BoundingBox) (string, []any) {
	const maxBands = 1000
	lo, hi := cell(b.MinLat), cell(b.MaxLat)
	var sb strings.Builder
	var args []any
	sb.WriteString(cellSQL)
	switch {
	case b.MinLat < -90 || b.MaxLat > 90:
		sb.WriteString(` IS NOT NULL`)
	case hi-lo < maxBands:
		sb.WriteString(` IN (`)
		for c := lo; c <= hi; c++ {
			if c > lo {
				sb.WriteString(", ")
			}
			sb.WriteString("?")
			args = append(args, c)
		}
		sb.WriteString(")")
	default:
		sb.WriteString(` BETWEEN ? AND ?`)
		args = append(args, lo, hi)
	}
	sb.WriteString(` AND lon BETWEEN ? AND ? AND lat BETWEEN ? AND ?`)
	return sb.String(), append(args, b.MinLon, b.MaxLon, b.MinLat, b.MaxLat)
}

// placeCond finds PostgreSQL's rm_register rows whose point is within a
// box, from the GiST index on point(lon, lat); its arguments are min_lon,
// min_lat, max_lon, max_lat.
const placeCond = `point(lon, lat) <@ box(point(?, ?), point(?, ?))`

// minSearchRunes is the shortest text a trigram index can look up; a
// shorter one is matched while the list is read in order.
const minSearchRunes = 3

// registerSQL returns the query of a register page and its arguments
// (? placeholders): the entries of f standing on f.asOf, in list order,
// after the cursor when more, at most limit+1 of them. Its plans are
// tested (TestRegisterQueryPlans): a change that makes it scan or sort the
// list fails there.
func registerSQL(d Dialect, f registerFilter, b reachBounds, after cursor, more bool, limit int) (string, []any) {
	day := dateText(f.asOf)
	from := `rm_register r`
	var w where
	if f.text != "" {
		like := "%" + escapeLike(f.text) + "%"
		switch {
		case utf8.RuneCountInString(f.text) < minSearchRunes:
			// No trigram to look up: matched as the list is read, by a
			// function no index serves (PostgreSQL would otherwise read
			// its whole trigram index for LIKE '%ro%').
			fn := `instr(r.search, ?) > 0`
			if d == Postgres {
				fn = `strpos(r.search, ?) > 0`
			}
			w.add(fn, f.text)
		case d == SQLite:
			// The trigram table drives the join (CROSS JOIN keeps SQLite
			// from reading the register in order and probing it): a phrase
			// of trigrams matches where its text appears as a substring.
			// LIKE checks the match itself, the one rule both backends
			// follow.
			from = `rm_search(?) s CROSS JOIN rm_register r ON r.rowid = s.rowid`
			w.args = append(w.args, `"`+strings.ReplaceAll(f.text, `"`, `""`)+`"`)
			w.add(`r.search LIKE ? ESCAPE '\'`, like)
		default:
			// The matches first, from the trigram index, then the rest
			// (OFFSET 0 keeps the subquery a subquery). Left to itself,
			// the generic plan of a prepared statement (pgx prepares each
			// query text once) ANDs the trigram bitmap with the index
			// range of the entry dates, whose size it cannot know and
			// guesses small: 50 ms at 10^6 events where the matches alone
			// take 3.
			from = `(SELECT * FROM rm_register WHERE search LIKE ? ESCAPE '\' OFFSET 0) r`
			w.args = append(w.args, like)
		}
	}
	if bb := f.bbox; bb != nil && f.spatial && f.text == "" {
		// The box's points from the spatial index, then the rest, as for
		// the text: the exact test of lat and lon follows below.
		if d == SQLite {
			cond, args := cellCond(*bb)
			from = `(SELECT rowid AS id FROM rm_register WHERE ` + cond + `) g CROSS JOIN rm_register r ON r.rowid = g.id`
			w.args = append(w.args, args...)
		} else {
			from = `(SELECT * FROM rm_register WHERE ` + placeCond + ` OFFSET 0) r`
			w.args = append(w.args, bb.MinLon, bb.MinLat, bb.MaxLon, bb.MaxLat)
		}
	}
	if f.council != "" {
		w.add(`r.council = ?`, f.council)
	}
	// SQLite plans without statistics, so list = ? (half the register)
	// looks as selective as postcode = ? (a handful of rows) and it may
	// read the list's index instead of the postcode's; +list keeps the
	// list from every index, which leaves the filter's own index the only
	// one with a range. A council's index stays the one for a council.
	if d == SQLite && (f.postcode != "" || f.outward != "" || f.status != "" && f.council == "") {
		w.add(`+r.list = ?`, string(f.list))
	} else {
		w.add(`r.list = ?`, string(f.list))
	}
	// The entry dates a version standing on the day can have (see reach):
	// the index range that is read.
	if hi, ok := addDays(f.asOf, b.ahead); ok {
		w.add(`r.entry_date <= ?`, dateText(hi))
	}
	lo, bounded := addDays(f.asOf, -b.back)
	switch {
	case more && (!bounded || after.Text[0] > dateText(lo)):
		w.add(`(r.entry_date, r.reference, r.asset_id, r.seq) > (?, ?, ?, ?)`, after.Text[0], after.Text[1], after.Text[2], after.Nums[0])
	case bounded:
		// Also past the cursor: every entry date above lo sorts after it.
		w.add(`r.entry_date > ?`, dateText(lo))
	}
	w.add(`r.valid_from <= ? AND (r.valid_to IS NULL OR r.valid_to > ?)`, day, day)
	if f.status != "" {
		w.add(`r.status = ?`, f.status)
	}
	if f.postcode != "" {
		w.add(`r.postcode = ?`, f.postcode)
	}
	if f.outward != "" {
		w.add(`r.outward = ?`, f.outward)
	}
	if b := f.bbox; b != nil {
		w.add(`r.lat BETWEEN ? AND ? AND r.lon BETWEEN ? AND ?`, b.MinLat, b.MaxLat, b.MinLon, b.MaxLon)
	}
	query := `SELECT r.entry_date, r.reference, r.asset_id, r.seq, r.entry FROM ` + from + ` WHERE ` + w.sql() +
		` ORDER BY r.entry_date, r.reference, r.asset_id, r.seq LIMIT ?`
	return query, append(w.args, limit+1)
}

// Deadlines returns the council's work queue on today: every clock still
// open (not stopped or fulfilled) that is running, ends today ("due") or,
// for a clock the council owes a decision on (a nomination's or a review's),
// has passed its end ("overdue"), soonest end first. Other clocks past
// their end have simply ended - a moratorium ran its course - and are left
// out. A missing council or a bad cursor is a *domain.ValidationError.
func (q *Queries) Deadlines(ctx context.Context, council string, today domain.Date, pr PageRequest) (Page[DeadlineView], error) {
	page, err := q.deadlines(ctx, council, today, pr)
	if err != nil {
		return Page[DeadlineView]{}, fmt.Errorf("deadlines of %s on %s: %w", council, today, err)
	}
	return page, nil
}

func (q *Queries) deadlines(ctx context.Context, council string, today domain.Date, pr PageRequest) (Page[DeadlineView], error) {
	if council == "" {
		return Page[DeadlineView]{}, &domain.ValidationError{Field: "council", Message: "a council is required"}
	}
	if today.IsZero() {
		return Page[DeadlineView]{}, &domain.ValidationError{Field: "today", Message: "a date is required"}
	}
	after, more, err := parseCursor(pr.Cursor, cursorDeadlines, 2, 1)
	if err != nil {
		return Page[DeadlineView]{}, err
	}
	limit := pageLimit(pr)
	day := dateText(today)

	var w where
	w.add(`d.council = ?`, council)
	w.add(`d.closed = 0`)
	w.add(`(d.end_date >= ? OR d.name IN (?, ?))`, day, string(domain.ClockDecision), string(domain.ClockReviewDecision))
	if more {
		w.add(`(d.end_date, d.asset_id, d.seq) > (?, ?, ?)`, after.Text[0], after.Text[1], after.Nums[0])
	}
	query := `SELECT d.asset_id, d.seq, d.council, d.name, d.subject, d.start_date, d.end_date, d.rule,
		COALESCE(a.name, '') FROM rm_deadlines d LEFT JOIN rm_assets a ON a.asset_id = d.asset_id
		WHERE ` + w.sql() + ` ORDER BY d.end_date, d.asset_id, d.seq LIMIT ?`
	rows, err := q.DB.SQL.QueryContext(ctx, q.DB.Dialect.Rebind(query), append(w.args, limit+1)...)
	if err != nil {
		return Page[DeadlineView]{}, err
	}
	defer rows.Close()
	var (
		items      []DeadlineView
		keys       []cursor
		start, end string
	)
	for rows.Next() {
		var (
			v   DeadlineView
			seq int64
		)
		if err := rows.Scan(&v.AssetID, &seq, &v.Council, &v.Name, &v.Subject, &start, &end, &v.Rule, &v.AssetName); err != nil {
			return Page[DeadlineView]{}, err
		}
		if v.Start, err = parseStoredDate(start); err != nil {
			return Page[DeadlineView]{}, fmt.Errorf("deadline of %s: %w", v.AssetID, err)
		}
		if v.End, err = parseStoredDate(end); err != nil {
			return Page[DeadlineView]{}, fmt.Errorf("deadline of %s: %w", v.AssetID, err)
		}
		v.DaysLeft = today.DaysUntil(v.End)
		switch {
		case v.DaysLeft < 0:
			v.Status = "overdue"
		case v.DaysLeft == 0:
			v.Status = "due"
		default:
			v.Status = "running"
		}
		items = append(items, v)
		keys = append(keys, cursor{Kind: cursorDeadlines, Text: []string{end, v.AssetID}, Nums: []int64{seq}})
	}
	if err := rows.Err(); err != nil {
		return Page[DeadlineView]{}, err
	}
	return pageOf(items, keys, limit), nil
}

// The phases of a moratorium on a day, as [Queries.Moratoria] takes them.
const (
	PhaseInterim   = "interim"   // within the interim moratorium, up to and including its last day
	PhaseFull      = "full"      // after the interim moratorium, within a full moratorium a group triggered
	PhaseProtected = "protected" // after the moratoria, within the protected period
	PhaseEnded     = "ended"     // after the protected period
)

// phaseCondition returns the SQL condition for a phase on a day, with
// the number of times it takes the day as an argument.
func phaseCondition(phase string) (string, int, bool) {
	const full = `(full_moratorium = 1 AND interim_end < ? AND ? <= full_end)`
	switch phase {
	case "":
		return ``, 0, true
	case PhaseInterim:
		return `notice_received <= ? AND ? <= interim_end`, 2, true
	case PhaseFull:
		return full, 2, true
	case PhaseProtected:
		return `interim_end < ? AND ? <= protected_end AND NOT ` + full, 4, true
	case PhaseEnded:
		return `protected_end < ?`, 1, true
	}
	return ``, 0, false
}

// Moratoria returns the moratoria in phase on today (every one for ""),
// the latest notice first. An unknown phase or a bad cursor is a
// *domain.ValidationError.
func (q *Queries) Moratoria(ctx context.Context, phase string, today domain.Date, pr PageRequest) (Page[Moratorium], error) {
	page, err := q.moratoria(ctx, phase, today, pr)
	if err != nil {
		return Page[Moratorium]{}, fmt.Errorf("moratoria %q on %s: %w", phase, today, err)
	}
	return page, nil
}

func (q *Queries) moratoria(ctx context.Context, phase string, today domain.Date, pr PageRequest) (Page[Moratorium], error) {
	cond, days, ok := phaseCondition(phase)
	if !ok {
		return Page[Moratorium]{}, &domain.ValidationError{Field: "status", Message: "want interim, full, protected or ended"}
	}
	if today.IsZero() && phase != "" {
		return Page[Moratorium]{}, &domain.ValidationError{Field: "today", Message: "a date is required"}
	}
	after, more, err := parseCursor(pr.Cursor, cursorMoratoria, 2, 1)
	if err != nil {
		return Page[Moratorium]{}, err
	}
	limit := pageLimit(pr)
	day := dateText(today)

	var w where
	if cond != "" {
		args := make([]any, days)
		for i := range args {
			args[i] = day
		}
		w.add(cond, args...)
	}
	if more {
		w.add(`(notice_received, asset_id, seq) < (?, ?, ?)`, after.Text[0], after.Text[1], after.Nums[0])
	}
	query := `SELECT asset_id, seq, council, notice_id, notice_received, interim_end, full_end, protected_end,
		full_moratorium, interested_group, outcome FROM rm_moratoria`
	if len(w.conds) > 0 {
		query += ` WHERE ` + w.sql()
	}
	query += ` ORDER BY notice_received DESC, asset_id DESC, seq DESC LIMIT ?`
	rows, err := q.DB.SQL.QueryContext(ctx, q.DB.Dialect.Rebind(query), append(w.args, limit+1)...)
	if err != nil {
		return Page[Moratorium]{}, err
	}
	defer rows.Close()
	var (
		items []Moratorium
		keys  []cursor
	)
	for rows.Next() {
		var (
			m                                   Moratorium
			seq, fullFlag                       int64
			received, interim, fullEnd, protEnd string
		)
		if err := rows.Scan(&m.AssetID, &seq, &m.Council, &m.NoticeID, &received, &interim, &fullEnd, &protEnd,
			&fullFlag, &m.InterestedGroup, &m.Outcome); err != nil {
			return Page[Moratorium]{}, err
		}
		for _, d := range []struct {
			to  *domain.Date
			src string
		}{{&m.NoticeReceived, received}, {&m.InterimEnd, interim}, {&m.FullEnd, fullEnd}, {&m.ProtectedEnd, protEnd}} {
			if *d.to, err = parseStoredDate(d.src); err != nil {
				return Page[Moratorium]{}, fmt.Errorf("moratorium of %s: %w", m.AssetID, err)
			}
		}
		m.FullMoratorium = fullFlag != 0
		items = append(items, m)
		keys = append(keys, cursor{Kind: cursorMoratoria, Text: []string{received, m.AssetID}, Nums: []int64{seq}})
	}
	if err := rows.Err(); err != nil {
		return Page[Moratorium]{}, err
	}
	return pageOf(items, keys, limit), nil
}

// Checkpoint returns the log position the read models have caught up to:
// 0 before the first batch.
func (q *Queries) Checkpoint(ctx context.Context) (int64, error) {
	return messaging.Offset(ctx, q.DB.SQL, q.DB.Dialect, ConsumerName)
}

// where gathers the conditions of a WHERE clause and their arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) sql() string { return strings.Join(w.conds, " AND ") }

// escapeLike escapes LIKE's wildcards (and the escape character, a
// backslash) in s.
func escapeLike(s string) string {
	if !strings.ContainsAny(s, `\%_`) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r == '\\' || r == '%' || r == '_' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// normalisePostcode returns a postcode as stored (upper case, one space
// before the inward code: SW1A 1AA) with full true, or an outward code
// (SW1A) with full false. Case and spaces in s do not matter. Anything else
// is a *domain.ValidationError.
func normalisePostcode(s string) (code string, full bool, err error) {
	c := strings.ToUpper(strings.Join(strings.Fields(s), ""))
	bad := &domain.ValidationError{Field: "postcode", Message: "want a full postcode (SW1A 1AA) or an outward code (SW1A)"}
	if c == "" || !isLetter(c[0]) {
		return "", false, bad
	}
	for i := 0; i < len(c); i++ {
		if !isLetter(c[i]) && !isDigit(c[i]) {
			return "", false, bad
		}
	}
	n := len(c)
	switch {
	case n >= 5 && n <= 7 && isDigit(c[n-3]) && isLetter(c[n-2]) && isLetter(c[n-1]):
		return c[:n-3] + " " + c[n-3:], true, nil
	case n >= 2 && n <= 4 && slices.ContainsFunc([]byte(c), isDigit):
		return c, false, nil
	}
	return "", false, bad
}

func isLetter(b byte) bool { return b >= 'A' && b <= 'Z' }
func isDigit(b byte) bool  { return b >= '0' && b <= '9' }

// parseStoredDate reads a date column: YYYY-MM-DD, or "" for the zero date.
func parseStoredDate(s string) (domain.Date, error) {
	if s == "" {
		return domain.Date{}, nil
	}
	return domain.ParseDate(s)
}

// Councils returns the figures of every council that has an asset in the
// read models (every asset starts with a nomination), ordered by council.
func (q *Queries) Councils(ctx context.Context, today domain.Date) ([]CouncilStats, error) {
	all, err := q.stats(ctx, today, "")
	if err != nil {
		return nil, fmt.Errorf("councils on %s: %w", today, err)
	}
	return all, nil
}

// Council returns one council's figures. A council with no asset in the
// read models is an error wrapping domain.ErrNotFound.
func (q *Queries) Council(ctx context.Context, council string, today domain.Date) (CouncilStats, error) {
	one, err := q.stats(ctx, today, council)
	if err != nil {
		return CouncilStats{}, fmt.Errorf("council %s on %s: %w", council, today, err)
	}
	if len(one) == 0 {
		return CouncilStats{}, fmt.Errorf("council %s: %w", council, domain.ErrNotFound)
	}
	return one[0], nil
}

// Stats returns the national figures, the sums of every council's, with
// each council's figures.
func (q *Queries) Stats(ctx context.Context, today domain.Date) (Stats, error) {
	all, err := q.stats(ctx, today, "")
	if err != nil {
		return Stats{}, fmt.Errorf("stats on %s: %w", today, err)
	}
	n := newCouncilStats("")
	for _, c := range all {
		n.Listed += c.Listed
		n.Unsuccessful += c.Unsuccessful
		n.Nominations += c.Nominations
		n.Pending += c.Pending
		n.Overdue += c.Overdue
		n.MoratoriaInterim += c.MoratoriaInterim
		n.MoratoriaFull += c.MoratoriaFull
		n.MoratoriaTotal += c.MoratoriaTotal
		n.FullMoratoriaTotal += c.FullMoratoriaTotal
		for k, v := range c.Outcomes {
			n.Outcomes[k] += v
		}
		for k, v := range c.Categories {
			n.Categories[k] += v
		}
	}
	return Stats{National: *n, Councils: all}, nil
}

// uncategorised is the category under which listed assets with none are
// counted.
const uncategorised = "uncategorised"

// newCouncilStats returns a council's figures with every count zero, each
// outcome present and no category.
func newCouncilStats(council string) *CouncilStats {
	return &CouncilStats{
		Council: council,
		Outcomes: map[string]int{
			string(domain.Listed): 0, string(domain.PartlyListed): 0, string(domain.NotListed): 0,
		},
		Categories: map[string]int{},
	}
}

// stats computes the figures of one council, or of every council when
// council is "", ordered by council, from the running sums of rm_counts
// (see counts.go): one query reading three ranges of its key (or of its
// council index), about 15 + 11 + 31 rows per council and metric, however
// long the log. A council is known while any of its figures is not zero:
// it has an asset at least.
func (q *Queries) stats(ctx context.Context, today domain.Date, council string) ([]CouncilStats, error) {
	if today.IsZero() {
		return nil, &domain.ValidationError{Field: "today", Message: "a date is required"}
	}
	query, args := statsSQL(today, council)
	byCouncil := map[string]*CouncilStats{}
	err := q.each(ctx, query, args, func(scan func(...any) error) error {
		var (
			c, metric string
			n         int
		)
		if err := scan(&c, &metric, &n); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		s, ok := byCouncil[c]
		if !ok {
			s = newCouncilStats(c)
			byCouncil[c] = s
		}
		switch {
		case metric == metricNominations:
			s.Nominations = n
		case metric == metricList+string(ListACV):
			s.Listed = n
		case metric == metricList+string(ListUnsuccessful):
			s.Unsuccessful = n
		case metric == metricPending:
			s.Pending = n
		case metric == metricOverdue:
			s.Overdue = n
		case metric == metricMoratoria:
			s.MoratoriaTotal = n
		case metric == metricFullMoratoria:
			s.FullMoratoriaTotal = n
		case metric == metricInterim:
			s.MoratoriaInterim = n
		case metric == metricFull:
			s.MoratoriaFull = n
		case strings.HasPrefix(metric, metricDecided):
			s.Outcomes[strings.TrimPrefix(metric, metricDecided)] = n
		case strings.HasPrefix(metric, metricCategory):
			s.Categories[strings.TrimPrefix(metric, metricCategory)] = n
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read counts: %w", err)
	}
	out := make([]CouncilStats, 0, len(byCouncil))
	for _, s := range byCouncil {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b CouncilStats) int { return strings.Compare(a.Council, b.Council) })
	return out, nil
}

// statsSQL returns the query of every council's figures on day, or one
// council's when council is not "", with its arguments: the sums, by
// council and metric, of the year buckets before day's year, the month
// buckets of its year before its month, and the day buckets of its month
// up to it. For every council each is one range of rm_counts' key (bucket
// first). For one council the years and the months are ranges of its
// council index (which holds no days: [coarseBuckets]) and the days are
// sought in the key, one each.
func statsSQL(day domain.Date, council string) (string, []any) {
	b := buckets(dateText(day))
	y, m, d := b[0], b[1], b[2]
	ranges := [3][2]string{
		{"Y", y},               // every year before day's: Y0000 ... Y2018
		{m[:len("M2019-")], m}, // its months before day's: M2019-01 ... M2019-05
		{d[:len("D2019-06-")], d},
	}
	const sel = `SELECT council, metric, n FROM ` + tableCounts + ` WHERE `
	var parts []string
	var args []any
	for i, r := range ranges {
		switch {
		case council == "":
			upper := "bucket < ?"
			if i == 2 {
				upper = "bucket <= ?" // the day itself counts
			}
			parts = append(parts, sel+`bucket >= ? AND `+upper)
			args = append(args, r[0], r[1])
		case i < 2:
			parts = append(parts, sel+`council = ? AND `+coarseBuckets+` AND bucket >= ? AND bucket < ?`)
			args = append(args, council, r[0], r[1])
		default: // the days of the month up to day's, the day itself counting
			last, err := strconv.Atoi(d[len("D2019-06-"):])
			if err != nil || last < 1 {
				continue // no day of a month: the earliest day's buckets, whose year counts
			}
			days := make([]string, 0, last)
			for n := 1; n <= last; n++ {
				days = append(days, "?")
				args = append(args, fmt.Sprintf("%s%02d", r[0], n))
			}
			parts = append(parts, sel+`bucket IN (`+strings.Join(days, ", ")+`) AND council = ?`)
			args = append(args, council)
		}
	}
	return `SELECT council, metric, CAST(SUM(n) AS BIGINT) FROM (` + strings.Join(parts, ` UNION ALL `) +
		`) c GROUP BY council, metric`, args
}

// each runs query (with ? placeholders) and calls row for every row, with
// a function that scans it.
func (q *Queries) each(ctx context.Context, query string, args []any, row func(scan func(...any) error) error) error {
	rows, err := q.DB.SQL.QueryContext(ctx, q.DB.Dialect.Rebind(query), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}
