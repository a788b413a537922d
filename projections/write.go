package projections

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/acv-registry/acv/domain"
)

// Writer stores [AssetRows] in one set of read-model tables: the live set
// when Suffix is "", or the fresh set a rebuild fills. The zero Suffix is
// the live set; Dialect must be set. A Writer holds no state, so it is
// safe for concurrent use (on different transactions). A rebuild's fresh
// set is written otherwise: see writeFresh.
type Writer struct {
	Dialect Dialect
	Suffix  string
}

// Limits on one statement. SQLite allows at most 32766 bound parameters,
// PostgreSQL 65535; PostgreSQL receives a chunk's values as one array per
// column instead, so its limit is only on memory per statement.
const (
	sqliteMaxParams = 32766
	// sqliteMaxRows caps the rows of one SQLite INSERT: beyond a few hundred
	// rows a longer statement saves nothing.
	sqliteMaxRows = 500
	// postgresMaxRows caps the rows of one PostgreSQL INSERT ... unnest.
	postgresMaxRows = 5000
	// deleteChunk is how many asset ids one SQLite DELETE names.
	deleteChunk = 500
)

// Replace replaces every read-model row of the given assets with rows: it
// deletes the assets' rows from the four tables of rows and inserts the new ones,
// and moves the statistics' running sums (rm_counts) from the assets' old
// contributions to their new ones.
// An asset given twice is written once, from its last AssetRows. Replacing
// with the same rows again changes nothing. The caller owns the
// transaction: x is usually a *sql.Tx, and Replace must run in one for its
// readers never to see an asset half-written.
//
// Rows go in as multi-row statements: on SQLite INSERT ... VALUES with up
// to a few hundred rows, on PostgreSQL INSERT ... SELECT FROM unnest with
// one array parameter per column, whose text stays the same whatever the
// number of rows, so the driver's statement cache prepares it once.
func (w Writer) Replace(ctx context.Context, x Execer, rows []AssetRows) error {
	if len(rows) == 0 {
		return nil
	}
	if err := checkSuffix(w.Suffix); err != nil {
		return err
	}
	if w.Dialect != Postgres && w.Dialect != SQLite {
		return fmt.Errorf("replace read-model rows: unknown dialect %q", w.Dialect)
	}
	rows = lastOfEach(rows)
	ids := make([]string, len(rows))
	for i := range rows {
		ids[i] = rows[i].Asset.ID
	}
	batches, contribs, err := newBatches(rows)
	if err != nil {
		return err
	}
	// The statistics' running sums lose the assets' stored contributions
	// and gain the new ones.
	added := countDeltas{}
	for _, cs := range contribs {
		for _, c := range cs {
			added.add(c, 1)
		}
	}
	if err := w.storedContributions(ctx, x, ids, added); err != nil {
		return err
	}
	if err := w.applyCounts(ctx, x, added); err != nil {
		return err
	}
	// SQLite's text search index follows the register by rowid: its
	// entries go before the register's rows do and come after they are in.
	search := w.Dialect == SQLite
	if search {
		if err := w.searchIndex(ctx, x, `DELETE FROM `+tableSearch+w.Suffix+` WHERE rowid IN (SELECT rowid FROM `+
			tableRegister+w.Suffix+` WHERE asset_id IN (`, "))", ids); err != nil {
			return err
		}
	}
	for _, b := range batches {
		if err := w.delete(ctx, x, b.table.name, ids); err != nil {
			return err
		}
	}
	for _, b := range batches {
		if err := w.insert(ctx, x, b); err != nil {
			return err
		}
	}
	if search {
		if err := w.searchIndex(ctx, x, searchFill(w.Suffix, "asset_id IN ("), ")", ids); err != nil {
			return err
		}
	}
	return nil
}

// searchIndex runs stmt, which ends in "asset_id IN (", then closing, for
// the assets ids, a chunk at a time: SQLite's trigram table is kept in
// step with the register's rows.
func (w Writer) searchIndex(ctx context.Context, x Execer, stmt, closing string, ids []string) error {
	for start := 0; start < len(ids); start += deleteChunk {
		chunk := ids[start:min(start+deleteChunk, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		if _, err := x.ExecContext(ctx, stmt+placeholders(len(chunk))+closing, args...); err != nil {
			return fmt.Errorf("index %d assets in %s%s: %w", len(chunk), tableSearch, w.Suffix, err)
		}
	}
	return nil
}

// lastOfEach drops all but the last AssetRows of each asset.
func lastOfEach(rows []AssetRows) []AssetRows {
	last := make(map[string]int, len(rows))
	for i := range rows {
		last[rows[i].Asset.ID] = i
	}
	if len(last) == len(rows) {
		return rows
	}
	out := make([]AssetRows, 0, len(last))
	for i := range rows {
		if last[rows[i].Asset.ID] == i {
			out = append(out, rows[i])
		}
	}
	return out
}

// delete deletes the rows of the assets ids from one table.
func (w Writer) delete(ctx context.Context, x Execer, table string, ids []string) error {
	name := table + w.Suffix
	if w.Dialect == Postgres {
		if _, err := x.ExecContext(ctx, `DELETE FROM `+name+` WHERE asset_id = ANY($1::text[])`, ids); err != nil {
			return fmt.Errorf("delete %d assets from %s: %w", len(ids), name, err)
		}
		return nil
	}
	for start := 0; start < len(ids); start += deleteChunk {
		chunk := ids[start:min(start+deleteChunk, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		q := `DELETE FROM ` + name + ` WHERE asset_id IN (` + placeholders(len(chunk)) + `)`
		if _, err := x.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("delete %d assets from %s: %w", len(chunk), name, err)
		}
	}
	return nil
}

// insert inserts a batch's rows into its table.
func (w Writer) insert(ctx context.Context, x Execer, b *batch) error {
	if b.n == 0 {
		return nil
	}
	name := b.table.name + w.Suffix
	if w.Dialect == Postgres {
		var q strings.Builder
		q.WriteString("INSERT INTO " + name + " (" + b.table.columnNames() + ") SELECT * FROM unnest(")
		for i, c := range b.table.columns {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("$" + strconv.Itoa(i+1) + "::" + c.array)
		}
		q.WriteString(")")
		for start := 0; start < b.n; start += postgresMaxRows {
			end := min(start+postgresMaxRows, b.n)
			if _, err := x.ExecContext(ctx, q.String(), b.arrays(start, end)...); err != nil {
				return fmt.Errorf("insert %d rows into %s: %w", end-start, name, err)
			}
		}
		return nil
	}
	ncol := len(b.table.columns)
	per := min(sqliteMaxRows, sqliteMaxParams/ncol)
	insert := "INSERT INTO " + name + " (" + b.table.columnNames() + ") VALUES "
	// SQLite compiles a statement on every ExecContext, which for a long
	// INSERT costs as much as running it: prepare the full chunk's
	// statement once when it runs more than once.
	var full *sql.Stmt
	if p, ok := x.(preparer); ok && b.n >= 2*per {
		stmt, err := p.PrepareContext(ctx, insert+valueRows(per, ncol))
		if err != nil {
			return fmt.Errorf("prepare insert into %s: %w", name, err)
		}
		defer stmt.Close()
		full = stmt
	}
	for start := 0; start < b.n; start += per {
		end := min(start+per, b.n)
		var err error
		if full != nil && end-start == per {
			_, err = full.ExecContext(ctx, b.values(start, end)...)
		} else {
			_, err = x.ExecContext(ctx, insert+valueRows(end-start, ncol), b.values(start, end)...)
		}
		if err != nil {
			return fmt.Errorf("insert %d rows into %s: %w", end-start, name, err)
		}
	}
	return nil
}

// preparer is implemented by *sql.Tx and *sql.DB.
type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// placeholders returns n comma-separated question marks.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// valueRows returns rows parenthesised groups of ncol placeholders.
func valueRows(rows, ncol int) string {
	row := "(" + placeholders(ncol) + ")"
	var b strings.Builder
	b.Grow(rows * (len(row) + 1))
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(row)
	}
	return b.String()
}

// batch holds the rows bound for one table, column by column: the layout
// PostgreSQL's unnest takes, from which SQLite's row-by-row arguments are
// read off.
type batch struct {
	table table
	n     int
	cols  []values
	next  int // the column the next value goes to
}

// values is one column's values. One of s, i and f is in use, by the
// column's type; null marks the rows whose value is NULL (nullable text
// and the coordinates only).
type values struct {
	s    []string
	i    []int64
	f    []float64
	null []bool
}

func newBatch(t table, rows int) *batch {
	b := &batch{table: t, cols: make([]values, len(t.columns))}
	for i, c := range t.columns {
		switch {
		case c.array == "int8[]":
			b.cols[i].i = make([]int64, 0, rows)
		case c.array == "float8[]":
			b.cols[i].f = make([]float64, 0, rows)
		default:
			b.cols[i].s = make([]string, 0, rows)
		}
		if !strings.Contains(c.sqlType, "NOT NULL") {
			b.cols[i].null = make([]bool, 0, rows)
		}
	}
	return b
}

// str, null, num, flag and point append the next column's value of the
// current row; end closes the row.
func (b *batch) str(v string) {
	c := &b.cols[b.next]
	c.s = append(c.s, v)
	if c.null != nil {
		c.null = append(c.null, false)
	}
	b.next++
}

// null appends v, or NULL when v is "".
func (b *batch) null(v string) {
	c := &b.cols[b.next]
	c.s = append(c.s, v)
	c.null = append(c.null, v == "")
	b.next++
}

func (b *batch) num(v int64) { b.cols[b.next].i = append(b.cols[b.next].i, v); b.next++ }

func (b *batch) flag(v bool) {
	var n int64
	if v {
		n = 1
	}
	b.num(n)
}

// point appends the latitude and longitude columns, NULL when p is nil.
func (b *batch) point(p *domain.Point) {
	lat, lon := &b.cols[b.next], &b.cols[b.next+1]
	var y, x float64
	if p != nil {
		y, x = p.Lat, p.Lon
	}
	lat.f, lat.null = append(lat.f, y), append(lat.null, p == nil)
	lon.f, lon.null = append(lon.f, x), append(lon.null, p == nil)
	b.next += 2
}

func (b *batch) end() { b.n++; b.next = 0 }

// arrays returns rows [start, end) as one slice per column, the arguments
// of PostgreSQL's INSERT ... unnest. A nullable column travels as a slice
// of pointers into the batch, nil for NULL.
func (b *batch) arrays(start, end int) []any {
	args := make([]any, len(b.cols))
	for i, c := range b.cols {
		switch {
		case c.i != nil:
			args[i] = c.i[start:end]
		case c.f != nil:
			ps := make([]*float64, end-start)
			for r := start; r < end; r++ {
				if !c.null[r] {
					ps[r-start] = &c.f[r]
				}
			}
			args[i] = ps
		case c.null != nil:
			ps := make([]*string, end-start)
			for r := start; r < end; r++ {
				if !c.null[r] {
					ps[r-start] = &c.s[r]
				}
			}
			args[i] = ps
		default:
			args[i] = c.s[start:end]
		}
	}
	return args
}

// values returns rows [start, end) row by row, the arguments of SQLite's
// INSERT ... VALUES.
func (b *batch) values(start, end int) []any {
	args := make([]any, 0, (end-start)*len(b.cols))
	for r := start; r < end; r++ {
		for _, c := range b.cols {
			switch {
			case c.null != nil && c.null[r]:
				args = append(args, nil)
			case c.i != nil:
				args = append(args, c.i[r])
			case c.f != nil:
				args = append(args, c.f[r])
			default:
				args = append(args, c.s[r])
			}
		}
	}
	return args
}

// openClocks returns how many of ds are open: the rows rm_deadlines holds.
func openClocks(ds []Deadline) int {
	n := 0
	for _, d := range ds {
		if !d.Closed {
			n++
		}
	}
	return n
}

// newBatches lays out rows for the four tables of rows, in [schema] order,
// and returns each asset's contributions to the statistics' running sums
// (also written to rm_assets.counts).
func newBatches(rows []AssetRows) ([]*batch, [][]contribution, error) {
	contribs := make([][]contribution, len(rows))
	ts := schema()
	var nreg, ndl, nmor int
	for i := range rows {
		nreg += len(rows[i].Register)
		ndl += openClocks(rows[i].Deadlines)
		nmor += len(rows[i].Moratoria)
	}
	assets, register := newBatch(ts[0], len(rows)), newBatch(ts[1], nreg)
	deadlines, moratoria := newBatch(ts[2], ndl), newBatch(ts[3], nmor)
	var buf []byte // a register entry's JSON

	for i := range rows {
		r := &rows[i]
		a := &r.Asset
		id, c := a.ID, a.Counts
		contribs[i] = contributions(r)
		assets.str(id)
		assets.str(a.Council)
		assets.str(a.Reference)
		assets.str(a.Name)
		assets.str(a.Address)
		assets.str(a.Postcode)
		assets.str(a.UPRN)
		assets.point(a.Point)
		assets.str(a.Category)
		assets.str(a.Status)
		assets.num(a.Version)
		assets.num(a.Position)
		assets.num(c.Nominations)
		assets.num(c.Listed)
		assets.num(c.PartlyListed)
		assets.num(c.NotListed)
		assets.str(encodeContributions(contribs[i]))
		assets.end()

		for seq, v := range r.Register {
			var err error
			if buf, err = appendEntryJSON(buf[:0], &v.Entry); err != nil {
				return nil, nil, fmt.Errorf("asset %s: register entry %d: %w", id, seq, err)
			}
			e := &v.Entry
			register.str(id)
			register.num(int64(seq))
			register.str(or(v.Council, a.Council))
			register.str(string(v.List))
			register.str(dateText(v.ValidFrom))
			register.null(dateText(v.ValidTo))
			register.str(e.Reference)
			register.str(e.Name)
			register.str(e.AddressText)
			register.str(e.Postcode)
			register.point(e.Point)
			register.str(e.Status)
			register.str(dateText(e.EntryDate))
			register.str(dateText(e.EndDate))
			register.str(searchText(e.Name, e.AddressText))
			register.str(string(buf))
			back, ahead := reach(v)
			register.num(back)
			register.num(ahead)
			register.str(outward(e.Postcode))
			register.end()
		}

		for seq, d := range r.Deadlines {
			if d.Closed {
				continue // see rm_deadlines in schema.go
			}
			deadlines.str(id)
			deadlines.num(int64(seq))
			deadlines.str(or(d.Council, a.Council))
			deadlines.str(d.Name)
			deadlines.str(d.Subject)
			deadlines.str(dateText(d.Start))
			deadlines.str(dateText(d.End))
			deadlines.flag(d.Closed)
			deadlines.str(d.Rule)
			deadlines.end()
		}

		for seq, m := range r.Moratoria {
			moratoria.str(id)
			moratoria.num(int64(seq))
			moratoria.str(or(m.Council, a.Council))
			moratoria.str(m.NoticeID)
			moratoria.str(dateText(m.NoticeReceived))
			moratoria.str(dateText(m.InterimEnd))
			moratoria.str(dateText(m.FullEnd))
			moratoria.str(dateText(m.ProtectedEnd))
			moratoria.flag(m.FullMoratorium)
			moratoria.str(m.InterestedGroup)
			moratoria.str(m.Outcome)
			moratoria.end()
		}
	}
	return []*batch{assets, register, deadlines, moratoria}, contribs, nil
}

// outward returns the outward code of a stored postcode (upper case, single
// spaced, see [postcode]): the text before its space, "" when it has none.
// rm_register.outward = 'SW1A' is then exactly postcode LIKE 'SW1A %'.
func outward(postcode string) string {
	code, _, found := strings.Cut(postcode, " ")
	if !found {
		return ""
	}
	return code
}

// dateText returns d as stored: YYYY-MM-DD, or "" for the zero date.
func dateText(d domain.Date) string {
	var b [10]byte
	return string(appendDate(b[:0], d))
}

// appendDate appends d as dateText returns it: "" for the zero date.
func appendDate(b []byte, d domain.Date) []byte {
	b, _ = d.AppendText(b) // never fails
	return b
}

// searchText is what the national register's text search matches: name and
// address, lower-cased, one per line. A search term never holds a line
// break, so it cannot match across the two.
func searchText(name, address string) string {
	return strings.ToLower(name) + "\n" + strings.ToLower(address)
}

// reach returns a register version's reach_back, the days from its entry
// date to its end (valid_to), and reach_ahead, the days from its start
// (valid_from) to its entry date, 0 when it starts on or after it: a
// version standing on day D has an entry date after D - reach_back and on
// or before D + reach_ahead. Either is noReach when it cannot be told.
func reach(v RegisterVersion) (back, ahead int64) {
	entered := v.Entry.EntryDate
	if entered.IsZero() {
		// Stored as '', which sorts before every day: no lower bound
		// holds, and no upper bound excludes it.
		return noReach, 0
	}
	back, ahead = noReach, noReach
	if !v.ValidTo.IsZero() {
		back = max(0, dayNumber(v.ValidTo)-dayNumber(entered))
	}
	if !v.ValidFrom.IsZero() {
		ahead = max(0, dayNumber(entered)-dayNumber(v.ValidFrom))
	}
	return back, ahead
}

// dayNumber numbers the days: consecutive days have consecutive numbers,
// for any year (Date.DaysUntil goes through a time.Duration, which spans
// only 292 years).
func dayNumber(d domain.Date) int64 {
	// Midnight UTC is a whole number of days from the epoch, before it too.
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// addDays returns the day n days after d (before it for negative n), and
// false when that falls outside the years 1 to 9999, which dates stored
// as text can hold.
func addDays(d domain.Date, n int64) (domain.Date, bool) {
	const maxDays = 10_000 * 366
	if n > maxDays || n < -maxDays {
		return domain.Date{}, false
	}
	t := time.Date(d.Year(), d.Month(), d.Day()+int(n), 12, 0, 0, 0, time.UTC)
	if t.Year() < 1 || t.Year() > 9999 {
		return domain.Date{}, false
	}
	return domain.NewDate(t.Year(), t.Month(), t.Day()), true
}

// or returns s, or def when s is empty.
func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// appendJSONString appends s as a JSON string the way encoding/json writes
// one: HTML characters, U+2028 and U+2029 escaped, invalid UTF-8 replaced.
// Bytes that go as they are are told by one look-up (jsonPlain); the six
// comparisons a byte it replaced were a rebuild's most expensive line.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if jsonPlain[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// jsonPlain tells, for each ASCII byte, whether a JSON string holds it as
// it is: not a control character, a quote, a backslash or an HTML
// character. A table of constants, as encoding/json's: nothing writes to
// it.
var jsonPlain = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = !strings.ContainsRune(`"\<>&`, rune(c))
	}
	return t
}()
