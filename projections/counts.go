package projections

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/messaging"
)

// Statistics from counts. The figures of [Queries.Stats] on a day are
// counts of rows standing on that day (entries on a list, moratoria
// running, nominations overdue) and totals. Counting the rows at read time
// costs what the register holds; instead every asset's rows contribute
// deltas, (council, metric, day, ±n), and the table rm_counts keeps their
// running sums in three granularities, so the figure on day D is
//
//	the year buckets before D's year
//	+ the month buckets of D's year before D's month
//	+ the day buckets of D's month up to D
//
// at most about 15 + 11 + 31 rows per council and metric, read off the
// table's key by three index ranges, whatever the size of the log.
//
// Design choices:
//   - A figure counted on the days [from, to) is +1 on from and -1 on to;
//     a figure that does not depend on the day (nominations, outcomes,
//     pending decisions, moratoria ever) is +1 on the earliest day, stored
//     as the bucket of year 0000, before every day.
//   - Each asset's contributions are stored with it, in rm_assets.counts
//     (see [encodeContributions]): [Writer.Replace] reads them back before
//     it deletes the asset's rows, subtracts them and adds the new ones,
//     as net upserts in the same transaction as the rows. Buckets whose
//     sum reaches zero are deleted, so that a table kept by following the
//     log holds exactly the rows a rebuild writes.
//   - A rebuild writes rm_assets.counts with the rows and adds every
//     contribution up in memory as it writes them (countSums: councils ×
//     metrics × days on which anything changed), then writes the sums
//     once (fillCounts), before the indexes are built. Reading the column
//     back instead cost a third of a rebuild on SQLite: it lies in rows
//     whose view spills to overflow pages.
//   - The deltas are computed in Go from [AssetRows] by one pure function,
//     [contributions], which encodes exactly the conditions the queries
//     used to evaluate in SQL, on the dates as stored (text, '' for none),
//     compared as text.

// The metrics of rm_counts.metric. The outcome and category metrics are
// prefixes: decided:listed, category:pub.
const (
	metricAssets        = "assets"                     // the asset exists: a council with one is known
	metricNominations   = "nominations"                // nominations ever received
	metricDecided       = "decided:"                   // + outcome: nominations decided so
	metricList          = "list:"                      // + list: entries on the list on the day
	metricCategory      = "category:"                  // + category: listed assets of the category on the day
	metricPending       = "pending"                    // nominations awaiting a decision
	metricOverdue       = "overdue"                    // of which past their decision date on the day
	metricMoratoria     = "moratoria"                  // disposal notices ever
	metricFullMoratoria = "full_moratoria"             // of which with a full moratorium
	metricInterim       = "interim_running"            // interim moratoria running on the day
	metricFull          = "full_running"               // full moratoria running on the day (after the interim)
	earliestBucketDay   = "0000-00-00"                 // the buckets' day of earliestDay, before every day
	earliestDay         = ""                           // the earliest day: before every day
	tableCounts         = "rm_counts"                  // see countsTable
	countsColumn        = "counts"                     // rm_assets' column of its contributions
	countsColumns       = "bucket, council, metric, n" // rm_counts' columns
)

// countsTable is rm_counts: the running sums of every asset's
// contributions, by bucket (Y2019, M2019-06, D2019-06-30), council and
// metric. Its key leads with the bucket, so that the figures of every
// council on a day are three ranges of it. One council's day buckets,
// at most 31, are sought in the key one by one; its years and months
// are two ranges of the council index, which holds those buckets alone
// (coarseBuckets): two rows in three are days, which it need not copy
// and a rebuild need not sort. SQLite stores the table in key order
// (WITHOUT ROWID).
func countsTable() table {
	return table{
		name:    tableCounts,
		columns: []column{text("bucket"), text("council"), text("metric"), bigint("n")},
		key:     []string{"bucket", "council", "metric"},
		indexes: []index{{name: "council", columns: []string{"council", "bucket", "metric", "n"}, where: coarseBuckets}},
		// SQLite uses a partial index where the query has its condition
		// word for word: statsSQL writes coarseBuckets into its ranges.
		clustered: true,
	}
}

// coarseBuckets holds the year and month buckets (Y..., M...), not the
// days (D...).
const coarseBuckets = `bucket >= 'M'`

// contribution is one delta of one asset's figures: n added to metric of
// council from day on (YYYY-MM-DD, or earliestDay).
type contribution struct {
	council, metric, day string
	n                    int64
}

// contributions returns the deltas an asset's rows add to the statistics,
// with c the counts of its nominations, merged by (council, metric, day)
// and sorted. Each row counts for the council it names, or the asset's.
// A day D counts a row when, on the dates as stored (text, ” for none):
//
//   - list entries (both lists): valid_from <= D < valid_to (none: still
//     standing) and D < end_date (none: no end). An entry lasts five years
//     from its entry date (s.87(3)) and goes early on removal (s.92, reg
//     2); both are its end date, after which it may still show on the list
//     (expired or removed) but is not on it.
//   - listed assets by category: the union of the asset's days on the list
//     of assets of community value, under its current category ("" counts
//     as uncategorised), so an asset counts once a day however many
//     versions of its entry stand.
//   - pending: an open decision clock (8 weeks, reg 7); overdue from the
//     day after its end: missing the deadline makes no outcome, the
//     nomination is shown overdue.
//   - interim moratorium running: notice_received <= D <= interim_end,
//     the 6 weeks beginning with the day the owner's notice is received
//     (s.95(6)(a) as the domain rules tell it).
//   - full moratorium running: a full moratorium (a CIG asked to bid in
//     time) and interim_end < D <= full_end: the 6 months beginning with
//     the notice's receipt, after the interim part.
//   - moratoria and full moratoria ever, nominations and their outcomes,
//     and the asset itself, on every day.
func contributions(r *AssetRows) []contribution {
	a := &r.Asset
	c := a.Counts
	var out []contribution
	add := func(council, metric, day string, n int64) {
		if n != 0 {
			out = append(out, contribution{council: council, metric: metric, day: day, n: n})
		}
	}
	// over adds 1 on the days [from, to): from earliestDay is from the
	// start, to "" is for ever.
	over := func(council, metric, from, to string) {
		if to != "" && from >= to {
			return
		}
		add(council, metric, from, 1)
		if to != "" {
			add(council, metric, to, -1)
		}
	}
	add(a.Council, metricAssets, earliestDay, 1)
	add(a.Council, metricNominations, earliestDay, c.Nominations)
	add(a.Council, metricDecided+string(domain.Listed), earliestDay, c.Listed)
	add(a.Council, metricDecided+string(domain.PartlyListed), earliestDay, c.PartlyListed)
	add(a.Council, metricDecided+string(domain.NotListed), earliestDay, c.NotListed)

	listed := map[string][]span{} // by council: the days on the list of assets of community value
	for _, v := range r.Register {
		if v.List != ListACV && v.List != ListUnsuccessful {
			continue
		}
		council := or(v.Council, a.Council)
		s := span{from: dateText(v.ValidFrom), to: dateText(v.ValidTo)}
		if end := dateText(v.Entry.EndDate); end != "" && (s.to == "" || end < s.to) {
			s.to = end
		}
		over(council, metricList+string(v.List), s.from, s.to)
		if v.List == ListACV && (s.to == "" || s.from < s.to) {
			listed[council] = append(listed[council], s)
		}
	}
	category := metricCategory + or(a.Category, uncategorised)
	for council, spans := range listed {
		for _, s := range union(spans) {
			over(council, category, s.from, s.to)
		}
	}

	for _, d := range r.Deadlines {
		if d.Name != string(domain.ClockDecision) || d.Closed {
			continue
		}
		council := or(d.Council, a.Council)
		add(council, metricPending, earliestDay, 1)
		// end_date < D: from the day after the end; a clock with no end
		// ('' sorts first) is overdue on every day.
		if from, ok := dayAfter(dateText(d.End)); ok {
			over(council, metricOverdue, from, "")
		}
	}

	for _, m := range r.Moratoria {
		council := or(m.Council, a.Council)
		add(council, metricMoratoria, earliestDay, 1)
		interimEnd, fullEnd := dateText(m.InterimEnd), dateText(m.FullEnd)
		// D <= interim_end: up to the day after it (no end: no day).
		if interimEnd != "" {
			to, _ := dayAfter(interimEnd)
			over(council, metricInterim, dateText(m.NoticeReceived), to)
		}
		if !m.FullMoratorium {
			continue
		}
		add(council, metricFullMoratoria, earliestDay, 1)
		// interim_end < D <= full_end.
		if from, ok := dayAfter(interimEnd); ok && fullEnd != "" {
			to, _ := dayAfter(fullEnd)
			over(council, metricFull, from, to)
		}
	}
	return mergeContributions(out)
}

// span is the days [from, to): from earliestDay is from the start, to ""
// is for ever.
type span struct{ from, to string }

// union returns the days of spans as disjoint spans, in order.
func union(spans []span) []span {
	slices.SortFunc(spans, func(a, b span) int { return strings.Compare(a.from, b.from) })
	var out []span
	for _, s := range spans {
		if n := len(out); n > 0 && (out[n-1].to == "" || s.from <= out[n-1].to) {
			if out[n-1].to != "" && (s.to == "" || s.to > out[n-1].to) {
				out[n-1].to = s.to
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

// dayAfter returns the day after day (stored text). After earliestDay
// (” sorts before every day) comes earliestDay: "D > ”" holds on every
// day. It returns "" and false for a day it cannot read or the last day
// text holds (9999-12-31); as the end of a span, "" is for ever.
func dayAfter(day string) (string, bool) {
	if day == earliestDay {
		return earliestDay, true
	}
	d, err := domain.ParseDate(day)
	if err != nil {
		return "", false
	}
	next, ok := addDays(d, 1)
	if s := dateText(next); ok && len(s) == len("2006-01-02") {
		return s, true
	}
	return "", false
}

// mergeContributions sorts cs by (council, metric, day) and adds up those
// with the same key, dropping the zeros.
func mergeContributions(cs []contribution) []contribution {
	slices.SortFunc(cs, compareContributions)
	out := cs[:0]
	for _, c := range cs {
		if n := len(out); n > 0 && compareContributions(out[n-1], c) == 0 {
			out[n-1].n += c.n
			continue
		}
		out = append(out, c)
	}
	return slices.DeleteFunc(out, func(c contribution) bool { return c.n == 0 })
}

func compareContributions(a, b contribution) int {
	return cmp.Or(strings.Compare(a.council, b.council), strings.Compare(a.metric, b.metric), strings.Compare(a.day, b.day))
}

// encodeContributions writes cs as rm_assets.counts: one line each,
// council, metric, day and n separated by tabs; a council or metric
// holding a tab, a line break or starting with a quote is Go-quoted.
func encodeContributions(cs []contribution) string {
	var b strings.Builder
	for _, c := range cs {
		b.WriteString(quoteField(c.council))
		b.WriteByte('\t')
		b.WriteString(quoteField(c.metric))
		b.WriteByte('\t')
		b.WriteString(c.day)
		b.WriteByte('\t')
		b.WriteString(strconv.FormatInt(c.n, 10))
		b.WriteByte('\n')
	}
	return b.String()
}

func quoteField(s string) string {
	if strings.ContainsAny(s, "\t\n\r") || strings.HasPrefix(s, `"`) {
		return strconv.Quote(s)
	}
	return s
}

func unquoteField(s string) (string, error) {
	if strings.HasPrefix(s, `"`) {
		return strconv.Unquote(s)
	}
	return s, nil
}

// decodeContributions reads what encodeContributions wrote, adding each
// contribution times sign to d.
func decodeContributions(s string, sign int64, d countDeltas) error {
	for line := range strings.Lines(s) {
		f := strings.Split(strings.TrimSuffix(line, "\n"), "\t")
		if len(f) != 4 {
			return fmt.Errorf("read counts: bad line %q", line)
		}
		council, err := unquoteField(f[0])
		if err != nil {
			return fmt.Errorf("read counts: council %q: %w", f[0], err)
		}
		metric, err := unquoteField(f[1])
		if err != nil {
			return fmt.Errorf("read counts: metric %q: %w", f[1], err)
		}
		n, err := strconv.ParseInt(f[3], 10, 64)
		if err != nil {
			return fmt.Errorf("read counts: %w", err)
		}
		d.add(contribution{council: council, metric: metric, day: f[2], n: n}, sign)
	}
	return nil
}

// countKey is one row of rm_counts.
type countKey struct{ bucket, council, metric string }

// countDeltas are changes to rm_counts, by row.
type countDeltas map[countKey]int64

// add adds c, times sign, to its three buckets.
func (d countDeltas) add(c contribution, sign int64) {
	for _, b := range buckets(c.day) {
		d[countKey{b, c.council, c.metric}] += sign * c.n
	}
}

// buckets returns the year, month and day buckets of day (YYYY-MM-DD):
// Y2019, M2019-06, D2019-06-30; earliestDay's are those of 0000-00-00.
func buckets(day string) [3]string {
	if len(day) != len("2006-01-02") {
		day = earliestBucketDay
	}
	return [3]string{"Y" + day[:4], "M" + day[:7], "D" + day}
}

// sorted returns the changed rows in key order, without those that add
// nothing.
func (d countDeltas) sorted() []countKey {
	keys := make([]countKey, 0, len(d))
	for k, n := range d {
		if n != 0 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b countKey) int {
		return cmp.Or(strings.Compare(a.bucket, b.bucket), strings.Compare(a.council, b.council), strings.Compare(a.metric, b.metric))
	})
	return keys
}

// query runs a query on x, which writing rows takes as an [Execer]: a
// *sql.DB or *sql.Tx, or a consumer's [messaging.Tx], each of which can
// also query.
func query(ctx context.Context, x Execer, q string, args ...any) (messaging.Rows, error) {
	switch x := x.(type) {
	case interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	}:
		return x.QueryContext(ctx, q, args...)
	case messaging.Tx:
		return x.QueryContext(ctx, q, args...)
	}
	return nil, fmt.Errorf("a %T cannot query", x)
}

// storedContributions adds the contributions stored with the assets ids
// in the tables w writes, negated, to d: what replacing their rows takes
// away.
func (w Writer) storedContributions(ctx context.Context, x Execer, ids []string, d countDeltas) error {
	name := tableAssets + w.Suffix
	read := func(q string, args ...any) error {
		rows, err := query(ctx, x, q, args...)
		if err != nil {
			return fmt.Errorf("read the counts of %d assets from %s: %w", len(ids), name, err)
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				return fmt.Errorf("read the counts of assets from %s: %w", name, err)
			}
			if err := decodeContributions(s, -1, d); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	if w.Dialect == Postgres {
		return read(`SELECT `+countsColumn+` FROM `+name+` WHERE asset_id = ANY($1::text[])`, ids)
	}
	for start := 0; start < len(ids); start += deleteChunk {
		chunk := ids[start:min(start+deleteChunk, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		if err := read(`SELECT `+countsColumn+` FROM `+name+` WHERE asset_id IN (`+placeholders(len(chunk))+`)`, args...); err != nil {
			return err
		}
	}
	return nil
}

// applyCounts adds d to rm_counts: one upsert per chunk of rows, then the
// rows it brought to zero are deleted, so the table holds what a rebuild
// would write.
func (w Writer) applyCounts(ctx context.Context, x Execer, d countDeltas) error {
	keys := d.sorted()
	if len(keys) == 0 {
		return nil
	}
	name := tableCounts + w.Suffix
	upsert := ` ON CONFLICT (bucket, council, metric) DO UPDATE SET n = ` + name + `.n + excluded.n`
	if w.Dialect == Postgres {
		for start := 0; start < len(keys); start += postgresMaxRows {
			chunk := keys[start:min(start+postgresMaxRows, len(keys))]
			bs, cs, ms, ns := make([]string, len(chunk)), make([]string, len(chunk)), make([]string, len(chunk)), make([]int64, len(chunk))
			for i, k := range chunk {
				bs[i], cs[i], ms[i], ns[i] = k.bucket, k.council, k.metric, d[k]
			}
			if _, err := x.ExecContext(ctx, `INSERT INTO `+name+` (`+countsColumns+`) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[])`+upsert,
				bs, cs, ms, ns); err != nil {
				return fmt.Errorf("add %d counts to %s: %w", len(chunk), name, err)
			}
			if _, err := x.ExecContext(ctx, `DELETE FROM `+name+` WHERE n = 0 AND (bucket, council, metric) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))`,
				bs, cs, ms); err != nil {
				return fmt.Errorf("delete zero counts from %s: %w", name, err)
			}
		}
		return nil
	}
	for start := 0; start < len(keys); start += sqliteMaxRows {
		chunk := keys[start:min(start+sqliteMaxRows, len(keys))]
		args, keyArgs := make([]any, 0, 4*len(chunk)), make([]any, 0, 3*len(chunk))
		for _, k := range chunk {
			args = append(args, k.bucket, k.council, k.metric, d[k])
			keyArgs = append(keyArgs, k.bucket, k.council, k.metric)
		}
		if _, err := x.ExecContext(ctx, `INSERT INTO `+name+` (`+countsColumns+`) VALUES `+valueRows(len(chunk), 4)+upsert, args...); err != nil {
			return fmt.Errorf("add %d counts to %s: %w", len(chunk), name, err)
		}
		if _, err := x.ExecContext(ctx, `DELETE FROM `+name+` WHERE n = 0 AND (bucket, council, metric) IN (VALUES `+valueRows(len(chunk), 3)+`)`,
			keyArgs...); err != nil {
			return fmt.Errorf("delete zero counts from %s: %w", name, err)
		}
	}
	return nil
}

// countSums adds contributions up by (council, metric, day): a rebuild's
// totals, written once by fillCounts. Its size is bounded by the councils,
// metrics and days on which anything changed, not by the assets. Each sum
// is kept under one number, its row's key (see [countRow]) with the
// council and the metric numbered as they are first met (sortedCounts
// renumbers them in byte order): a map of numbers, which the garbage
// collector does not scan and which hashes faster than the three strings
// it was keyed by (907,000 sums at 10^6 events). The nil *countSums adds
// nothing. Not safe for concurrent use.
type countSums struct {
	councils, metrics numbering
	days              map[uint64]int64
	err               error // the first contribution that could not be counted
}

// newCountSums returns empty sums.
func newCountSums() *countSums {
	return &countSums{councils: newNumbering(), metrics: newNumbering(), days: map[uint64]int64{}}
}

// add adds every asset's contributions.
func (s *countSums) add(contribs [][]contribution) {
	if s == nil {
		return
	}
	for _, cs := range contribs {
		for _, c := range cs {
			period, err := bucketDay(c.day)
			if err != nil {
				s.err = cmp.Or(s.err, err)
				continue
			}
			s.days[period<<periodShift|s.councils.number(c.council)<<metricBits|s.metrics.number(c.metric)] += c.n
		}
	}
}

// numbering numbers strings in the order they are first met.
type numbering struct {
	of    map[string]uint64
	names []string // by number
	last  string   // the last string numbered, and its number: an asset's
	lastN uint64   // contributions are mostly its own council's
}

func newNumbering() numbering { return numbering{of: map[string]uint64{}} }

// number returns name's number, giving it the next if it has none.
func (n *numbering) number(name string) uint64 {
	if name == n.last && n.names != nil {
		return n.lastN
	}
	i, ok := n.of[name]
	if !ok {
		i = uint64(len(n.names))
		n.of[name] = i
		n.names = append(n.names, name)
	}
	n.last, n.lastN = name, i
	return i
}

// ranks returns the names in byte order, and for each number its name's
// place in that order.
func (n *numbering) ranks() ([]string, []uint64) {
	sorted := slices.Sorted(slices.Values(n.names))
	rank := make([]uint64, len(n.names))
	for i, name := range sorted {
		rank[n.of[name]] = uint64(i)
	}
	return sorted, rank
}

// sortedCountRows are the rows of rm_counts in key order, numbered, with the
// names their numbers stand for (see [sortedCounts]).
type sortedCountRows struct {
	rows  []countRow
	names countNames
}

// sortingCounts starts sorting the rows sums make on a goroutine of its
// own, and returns a function that waits for them; sums is emptied once
// they are. A rebuild sorts them on one core while SQLite's writer fills
// the trigram table on the other (0.2 s of CPU at 10^6 events).
func sortingCounts(sums *countSums) func() (sortedCountRows, error) {
	type sorted struct {
		sortedCountRows
		err error
	}
	done := make(chan sorted, 1) // never blocks: a rebuild that stops early does not wait
	go func() {
		var s sorted
		s.rows, s.names, s.err = sortedCounts(sums)
		clear(sums.days)
		done <- s
	}()
	return sync.OnceValues(func() (sortedCountRows, error) {
		s := <-done
		return s.sortedCountRows, s.err
	})
}

// fillCounts fills a rebuild's fresh rm_counts with the rows of the
// statistics' sums, sorted (see [sortingCounts]), in one transaction. The
// day buckets are the sums themselves, one row each; the month and year
// buckets, far fewer, are added up from the days. Rows go in key order, a
// batch at a time (by COPY on PostgreSQL), so that what it holds beside
// the sums is one sorted slice of numbers (see [sortedCounts]), not every
// row's column values at once (at 10^7 events the sums hold millions of
// entries). A goroutine lays out the next batch while one is written.
func fillCounts(ctx context.Context, db DB, suffix string, sorted func() (sortedCountRows, error)) error {
	c, err := sorted()
	if err != nil {
		return fmt.Errorf("fill counts: %w", err)
	}
	load := func(write func(*batch) error) error {
		ctx, stop := context.WithCancel(ctx)
		defer stop() // the layout stops if a write fails
		batches := make(chan *batch, 1)
		go func() {
			defer close(batches)
			for chunk := range slices.Chunk(c.rows, countsBatch) {
				b := newBatch(countsTable(), len(chunk))
				for _, r := range chunk {
					bucket, council, metric := c.names.row(r.key)
					b.str(bucket)
					b.str(council)
					b.str(metric)
					b.num(r.n)
					b.end()
				}
				select {
				case batches <- b:
				case <-ctx.Done():
					return
				}
			}
		}()
		for b := range batches {
			if err := write(b); err != nil {
				return fmt.Errorf("fill counts: %w", err)
			}
		}
		return ctx.Err()
	}
	if db.Dialect == Postgres { // COPY, as copyFresh
		return inCopyTx(ctx, db, suffix, load)
	}
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("fill counts: %w", err)
	}
	defer tx.Rollback()
	w := Writer{Dialect: db.Dialect, Suffix: suffix}
	if err := load(func(b *batch) error { return w.insert(ctx, tx, b) }); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("fill counts: %w", err)
	}
	return nil
}

// countsBatch is how many rows of rm_counts fillCounts gathers at a time.
const countsBatch = 50_000

// A row of rm_counts as one number, whose order is the table's key order
// (bucket, council, metric): from the top, the bucket's kind (D, M, Y in
// that order, as the letters sort), its period as the decimal number
// YYYYMMDD, YYYYMM or YYYY (0 for the earliest day, which sorts first as
// "0000-00-00" does), then the council's and the metric's rank among the
// sums' names in byte order.
const (
	metricBits  = 12
	councilBits = 20
	periodShift = metricBits + councilBits
	periodBits  = 27 // 99991231 < 1<<27
	kindShift   = periodShift + periodBits
)

// countRow is one row of rm_counts: its key as above, and its n.
type countRow struct {
	key uint64
	n   int64
}

// countNames turns countRow keys back into the rows' strings.
type countNames struct {
	councils, metrics []string
	buckets           map[uint64]string // by kind and period: one string for all their rows
}

// sortedCounts returns the rows of rm_counts that sums make, in key order:
// the days with a non-zero sum, then the months and years they add up
// to, where not zero. Sorting numbers instead of the rows' strings made
// this a few times faster (docs/performance.md).
func sortedCounts(sums *countSums) ([]countRow, countNames, error) {
	names := countNames{buckets: map[uint64]string{}}
	if sums.err != nil {
		return nil, names, sums.err
	}
	if len(sums.councils.names) > 1<<councilBits || len(sums.metrics.names) > 1<<metricBits {
		return nil, names, fmt.Errorf("%d councils and %d metrics: too many to number", len(sums.councils.names), len(sums.metrics.names))
	}
	var councilRank, metricRank []uint64
	names.councils, councilRank = sums.councils.ranks()
	names.metrics, metricRank = sums.metrics.ranks()
	rows := make([]countRow, 0, len(sums.days))
	for key, n := range sums.days {
		if n == 0 {
			continue
		}
		council, metric := key>>metricBits&(1<<councilBits-1), key&(1<<metricBits-1)
		rows = append(rows, countRow{key>>periodShift<<periodShift | councilRank[council]<<metricBits | metricRank[metric], n})
	}
	byKey := func(a, b countRow) int { return cmp.Compare(a.key, b.key) }
	slices.SortFunc(rows, byKey)
	days := len(rows)
	coarse := map[uint64]int64{}
	for _, r := range rows {
		period, rest := r.key>>periodShift, r.key&(1<<periodShift-1)
		coarse[1<<kindShift|period/100<<periodShift|rest] += r.n   // the month
		coarse[2<<kindShift|period/10000<<periodShift|rest] += r.n // the year
	}
	for key, n := range coarse {
		if n != 0 {
			rows = append(rows, countRow{key, n})
		}
	}
	slices.SortFunc(rows[days:], byKey) // M... and Y... sort after every D...
	return rows, names, nil
}

// bucketDay is day (YYYY-MM-DD) as the number YYYYMMDD; anything else of
// another length is the earliest day, 0.
func bucketDay(day string) (uint64, error) {
	if len(day) != len("2006-01-02") {
		return 0, nil
	}
	n := uint64(0)
	for i := 0; i < len(day); i++ {
		if i == 4 || i == 7 {
			if day[i] != '-' {
				return 0, fmt.Errorf("count on %q: not a day", day)
			}
			continue
		}
		if day[i] < '0' || day[i] > '9' {
			return 0, fmt.Errorf("count on %q: not a day", day)
		}
		n = n*10 + uint64(day[i]-'0')
	}
	return n, nil
}

// row returns the bucket, council and metric of the row with key.
func (n countNames) row(key uint64) (bucket, council, metric string) {
	return n.bucket(key), n.councils[key>>metricBits&(1<<councilBits-1)], n.metrics[key&(1<<metricBits-1)]
}

// bucket returns the bucket of the row with key: D2019-06-30, M2019-06
// or Y2019.
func (n countNames) bucket(key uint64) string {
	kp := key >> periodShift
	if b, ok := n.buckets[kp]; ok {
		return b
	}
	period := kp & (1<<periodBits - 1)
	var b []byte
	switch kp >> periodBits {
	case 0:
		b = fmt.Appendf(nil, "D%04d-%02d-%02d", period/10000, period/100%100, period%100)
	case 1:
		b = fmt.Appendf(nil, "M%04d-%02d", period/100, period%100)
	default:
		b = fmt.Appendf(nil, "Y%04d", period)
	}
	n.buckets[kp] = string(b)
	return string(b)
}
