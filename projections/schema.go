package projections

import (
	"context"
	"fmt"
	"strings"
)

// The read-model tables. One SQL text serves both dialects: every type used
// (TEXT, BIGINT, INTEGER, DOUBLE PRECISION) means the same in PostgreSQL and
// SQLite. Civil dates are TEXT 'YYYY-MM-DD', which compares correctly as
// text in both; a zero date is stored as '' (so it sorts first), except
// rm_register.valid_to, which is NULL while a version still stands. Booleans
// are INTEGER 0 or 1.
//
// Every table exists in sets told apart by a suffix
// appended to each table name ("" is the live set); a rebuild fills a fresh
// set and swaps it in by renaming. Index names carry the suffix too, since
// SQLite index names (and PostgreSQL relation names) are schema-global. A
// renamed table keeps its index names, so a set is only ever created under
// a suffix no index uses yet.
//
// Columns beyond those of [AssetRows]:
//   - seq numbers the rows of one asset in the order of the AssetRows slice
//     they came from, so (asset_id, seq) is a key and the last term of every
//     pagination key;
//   - rm_register.end_date is the entry's end date, so an entry that still
//     shows on a list after its removal or expiry is not counted as on it;
//   - rm_register.search is the lower-cased name and address the national
//     register's text search matches, folded in Go so that both dialects
//     agree on non-ASCII letters. Its trigram index makes the search cost
//     what it matches, not what the register holds: on PostgreSQL a GIN
//     index (pg_trgm's gin_trgm_ops, which serves LIKE '%term%'), on SQLite
//     the FTS5 table rm_search (the trigram tokenizer; its rowid is the
//     register row's rowid, and it holds no copy of the text);
//   - rm_register.reach_back and reach_ahead bound how far an entry date
//     can lie from the days its version stands: reach_back is the days from
//     entry_date to valid_to, reach_ahead those from valid_from to
//     entry_date (0 when the version starts on or after it), each
//     noReach when it cannot be told (no entry date, no end). Their
//     maxima, read off their indexes, turn "stands on day D" into a range
//     of entry dates, so a register on any day is read from the index in
//     list order (see [Queries.Register]);
//   - rm_register.outward is the outward code of the postcode (SW1A of
//     "SW1A 1AA"): the text before its space, "" when it has none, so that
//     the national register's outward-code filter is an equality its index
//     serves. The postcode, the outward code and the status each have an
//     index in list order, so a page filtered by one reads only its
//     matches (see [Queries.National]);
//   - the point (lat, lon) has a spatial index for the national register's
//     bounding box: on PostgreSQL a GiST index on point(lon, lat), on
//     SQLite a B-tree index on (cell, lon, lat), where the cell is the
//     band of latitude a hundredth of a degree high (about 1.1 km) that
//     the point lies in ([cellSQL]): a box is then one index range of
//     longitudes in each band it crosses. SQLite's R*Tree did the same
//     work in a table of its own, whose filling was 7% of a rebuild.
//   - rm_assets.counts is the asset's contributions to rm_counts, the
//     statistics' running sums (see counts.go).
//   - rm_deadlines holds an asset's open clocks only, the councils' work
//     queue ([Queries.Deadlines]); a stopped or fulfilled clock is in the
//     asset's view and timeline. Its seq is the clock's place among all
//     the asset's clocks, so an open clock keeps its key. Four clocks in
//     five are closed at 10^6 events; writing them cost a rebuild 0.4
//     million rows and an index build of a second. closed is 0 on every
//     row written since, and the queue still asks for closed = 0, so that
//     tables written before, which hold closed clocks too, answer the
//     same until they are rebuilt.

// table describes one read-model table: its base name, column definitions,
// primary key and secondary indexes.
type table struct {
	name    string
	columns []column
	key     []string
	indexes []index
	// clustered makes the SQLite table WITHOUT ROWID: stored in primary
	// key order, one b-tree instead of a table and its key's index.
	clustered bool
}

// column is one column: its name, its SQL type and, for writing to
// PostgreSQL through unnest, the array type its values travel in.
type column struct {
	name    string
	sqlType string // with NOT NULL where it applies
	array   string // text[], int8[] or float8[]
}

// index is a secondary index; its full name is table+suffix+"_"+name.
// An index with only set exists in that dialect alone; using names its
// access method (gin) and columns may then carry an operator class. An
// index with where holds the rows that meet it.
type index struct {
	name    string
	columns []string
	only    Dialect
	using   string
	where   string // a partial index's condition, the same SQL in both dialects
}

func text(name string) column     { return column{name, "TEXT NOT NULL", "text[]"} }
func nullText(name string) column { return column{name, "TEXT", "text[]"} }
func bigint(name string) column   { return column{name, "BIGINT NOT NULL", "int8[]"} }
func boolean(name string) column  { return column{name, "INTEGER NOT NULL", "int8[]"} }
func double(name string) column   { return column{name, "DOUBLE PRECISION", "float8[]"} }

// The table names (without suffix), in the order [Writer] fills them.
const (
	tableAssets    = "rm_assets"
	tableRegister  = "rm_register"
	tableDeadlines = "rm_deadlines"
	tableMoratoria = "rm_moratoria"
	// tableSearch is SQLite's trigram index of rm_register.search, an FTS5
	// table: not a table of rows, so not in [TableNames], but created,
	// filled, swapped and dropped with the others.
	tableSearch = "rm_search"
)

// earlierTables are tables of earlier layouts of a set, by dialect: a
// swap retires them with the live set they belonged to, and dropping a
// set drops them. rm_timeline held each asset's timeline, and rm_assets a
// view column, before both were derived when asked (see [Queries.Asset]);
// SQLite's R*Tree rm_geo was the register's spatial index before the
// index on cells ([cellSQL]).
var earlierTables = map[Dialect][]string{SQLite: {"rm_timeline", "rm_geo"}, Postgres: {"rm_timeline"}}

// noReach is the reach of a register version whose entry date or end is
// unknown: large enough that any query bound by it is not bound at all.
const noReach = 1 << 40

// schema returns the description of every table of a set. The column order
// is the order [Writer] inserts values in.
func schema() []table {
	return []table{
		{
			name: tableAssets,
			columns: []column{
				text("asset_id"), text("council"), text("reference"), text("name"), text("address"),
				text("postcode"), text("uprn"), double("lat"), double("lon"), text("category"), text("status"),
				bigint("version"), bigint("position"), bigint("nominations"), bigint("decided_listed"),
				bigint("decided_partly_listed"), bigint("decided_not_listed"),
				// the asset's contributions to rm_counts (counts.go)
				text(countsColumn),
			},
			key:     []string{"asset_id"},
			indexes: []index{{name: "council", columns: []string{"council"}}},
		},
		{
			name: tableRegister,
			columns: []column{
				text("asset_id"), bigint("seq"), text("council"), text("list"), text("valid_from"),
				nullText("valid_to"), text("reference"), text("name"), text("address"), text("postcode"),
				double("lat"), double("lon"), text("status"), text("entry_date"), text("end_date"),
				text("search"), text("entry"), bigint("reach_back"), bigint("reach_ahead"), text("outward"),
			},
			key: []string{"asset_id", "seq"},
			indexes: []index{
				// A council's list in its order, and its keyset pagination;
				// valid_from and valid_to are in the index so that versions
				// not standing on the day are skipped without reading rows.
				{name: "council", columns: []string{"council", "list", "entry_date", "reference", "asset_id", "seq", "valid_from", "valid_to"}},
				// the national register's order, and its keyset pagination
				{name: "entries", columns: []string{"list", "entry_date", "reference", "asset_id", "seq", "valid_from", "valid_to"}},
				{name: "reach_back", columns: []string{"list", "reach_back"}},
				{name: "reach_ahead", columns: []string{"list", "reach_ahead"}},
				// the national text search (SQLite's is the table rm_search)
				{name: "search", columns: []string{"search gin_trgm_ops"}, only: Postgres, using: "gin"},
				// The national register filtered by postcode, outward code
				// or status, each in list order. The list is not a leading
				// column: SQLite, which plans without statistics, takes
				// list = ? for as selective as postcode = ?, so the query
				// keeps it from every index (+list, see registerSQL) and
				// these skip the other list's entries in the index.
				{name: "postcode", columns: []string{"postcode", "entry_date", "reference", "asset_id", "seq", "list", "valid_from", "valid_to"}},
				{name: "outward", columns: []string{"outward", "entry_date", "reference", "asset_id", "seq", "list", "valid_from", "valid_to"}},
				{name: "status", columns: []string{"status", "entry_date", "reference", "asset_id", "seq", "list", "valid_from", "valid_to"}},
				// the national register's bounding box; point() of a NULL
				// is NULL, so a row without a point is not in it. On
				// SQLite the band of latitude, then the point: a box is
				// a range of longitudes in each band (see cellSQL).
				{name: "place", columns: []string{"point(lon, lat)"}, only: Postgres, using: "gist"},
				{name: "place", columns: []string{cellSQL, "lon", "lat"}, only: SQLite},
			},
		},
		{
			name: tableDeadlines,
			columns: []column{
				text("asset_id"), bigint("seq"), text("council"), text("name"), text("subject"),
				text("start_date"), text("end_date"), boolean("closed"), text("rule"),
			},
			key:     []string{"asset_id", "seq"},
			indexes: []index{{name: "council", columns: []string{"council", "end_date"}}},
		},
		{
			name: tableMoratoria,
			columns: []column{
				text("asset_id"), bigint("seq"), text("council"), text("notice_id"), text("notice_received"),
				text("interim_end"), text("full_end"), text("protected_end"), boolean("full_moratorium"),
				text("interested_group"), text("outcome"),
			},
			key:     []string{"asset_id", "seq"},
			indexes: []index{{name: "protected", columns: []string{"protected_end"}}},
		},
		countsTable(), // the statistics' running sums (counts.go)
	}
}

// Derived reports whether table is a read model's table (or a rebuild's,
// or one of an earlier layout's): a table made from the log alone, which
// a rebuild makes again. Their names begin "rm_".
func Derived(table string) bool { return strings.HasPrefix(table, "rm_") }

// TableNames returns the base names of the read-model tables a rebuild
// creates under a suffix and swaps in: every table [CreateTables] makes.
// The read models' checkpoint is their consumer's offset (see
// [messaging.OffsetsTable]), which a swap sets.
func TableNames() []string {
	ts := schema()
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.name
	}
	return names
}

// CreateTables creates the read-model tables and their indexes, with suffix
// appended to every table and index name, unless they exist. The empty
// suffix is the live set. A suffix may hold only lower-case ASCII letters, digits and underscores.
// It runs one statement at a time on x; run it in a transaction to make it
// all or nothing.
func CreateTables(ctx context.Context, x Execer, d Dialect, suffix string) error {
	return createTables(ctx, x, d, suffix, true)
}

// CreateIndexes creates the secondary indexes of the tables with suffix,
// unless they exist. A rebuild creates its tables with
// [CreateTablesWithoutIndexes], fills them, then calls it: building an
// index over rows already written is much cheaper than keeping it up to
// date row by row.
func CreateIndexes(ctx context.Context, x Execer, d Dialect, suffix string) error {
	if err := checkSuffix(suffix); err != nil {
		return err
	}
	for _, t := range schema() {
		for _, stmt := range t.createSQL(d, suffix)[1:] {
			if _, err := x.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("create read-model indexes %q (%s): %w", suffix, d, err)
			}
		}
	}
	return nil
}

// CreateTablesWithoutIndexes is [CreateTables] without the secondary
// indexes (primary keys are kept); see [CreateIndexes].
func CreateTablesWithoutIndexes(ctx context.Context, x Execer, d Dialect, suffix string) error {
	return createTables(ctx, x, d, suffix, false)
}

func createTables(ctx context.Context, x Execer, d Dialect, suffix string, indexes bool) error {
	if err := checkSuffix(suffix); err != nil {
		return err
	}
	stmts := prelude(d, suffix)
	for _, t := range schema() {
		sql := t.createSQL(d, suffix)
		if !indexes {
			sql = sql[:1]
		}
		stmts = append(stmts, sql...)
		if d == Postgres {
			stmts = append(stmts, t.lz4SQL(suffix))
		}
	}
	for _, s := range stmts {
		if _, err := x.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("create read-model tables %q (%s): %w", suffix, d, err)
		}
	}
	return nil
}

// prelude returns what a set needs besides its tables of rows: on
// PostgreSQL the pg_trgm extension (trusted since PostgreSQL 13: a
// database owner may create it), on SQLite the FTS5 trigram table that
// indexes rm_register.search. The FTS5 table is contentless (the text
// stays in rm_register only), its rowid is the register row's, and it
// takes deletes by rowid; case_sensitive 1, because the text is
// lower-cased in Go already and must match exactly as LIKE does.
func prelude(d Dialect, suffix string) []string {
	if d == Postgres {
		return []string{`CREATE EXTENSION IF NOT EXISTS pg_trgm`}
	}
	return []string{
		`CREATE VIRTUAL TABLE IF NOT EXISTS ` + tableSearch + suffix +
			` USING fts5(search, content='', contentless_delete=1, tokenize='trigram case_sensitive 1')`,
	}
}

// searchFill returns the statement filling SQLite's trigram table of the
// set suffix from its register rows, those that also meet and if it is not
// "".
func searchFill(suffix, and string) string {
	stmt := `INSERT INTO ` + tableSearch + suffix + ` (rowid, search) SELECT rowid, search FROM ` + tableRegister + suffix
	if and != "" {
		stmt += ` WHERE ` + and
	}
	return stmt
}

// cellSQL is the band of latitude a hundredth of a degree high that a
// point lies in, as SQLite's index on the register's points has it (see
// [cell]). The offset keeps it positive, so that CAST's truncation is a
// floor. A query names it in exactly these words for SQLite to use the
// index.
const cellSQL = `CAST(lat * 100 + 10000 AS INTEGER)`

// cell is [cellSQL] in Go: the same two operations on the same doubles,
// rounded as SQLite rounds them (the conversion keeps the compiler from
// fusing them into one). Both only grow with lat, so every point of a box
// lies in a band from cell(min lat) to cell(max lat).
func cell(lat float64) int64 {
	return int64(float64(lat*100) + 10000)
}

// FTS5's hashsize: how many bytes of new index entries it gathers in
// memory before writing them as a segment of the table. Filling the
// trigram table at once, a rebuild gathers searchFillHash: with the
// default it wrote hundreds of small segments and merged them as it went
// (2.9 s for the register at 10^6 events, against 1.5 s). The default is
// set back afterwards, which bounds what the projector's transactions
// gather as before.
const (
	searchFillHash    = 64 << 20
	searchDefaultHash = 1 << 20
)

// fillSearch fills SQLite's trigram table of a set from its register: a
// rebuild's fresh set, once its rows are in. On PostgreSQL the index is an
// ordinary one, built by [CreateIndexes].
func fillSearch(ctx context.Context, x Execer, d Dialect, suffix string) error {
	if d != SQLite {
		return nil
	}
	name := tableSearch + suffix
	hash := `INSERT INTO ` + name + `(` + name + `, rank) VALUES ('hashsize', ?)`
	_, err := x.ExecContext(ctx, hash, searchFillHash)
	if err == nil {
		_, err = x.ExecContext(ctx, searchFill(suffix, ""))
	}
	if err == nil {
		_, err = x.ExecContext(ctx, hash, searchDefaultHash)
	}
	if err != nil {
		return fmt.Errorf("fill the index %s: %w", name, err)
	}
	return nil
}

// DropTables drops the read-model tables with the given suffix, and their
// indexes, if they exist: those of the current layout and of earlier ones.
func DropTables(ctx context.Context, x Execer, d Dialect, suffix string) error {
	if err := checkSuffix(suffix); err != nil {
		return err
	}
	for _, t := range knownTables(d) {
		if _, err := x.ExecContext(ctx, `DROP TABLE IF EXISTS `+t+suffix); err != nil {
			return fmt.Errorf("drop read-model table %s%s (%s): %w", t, suffix, d, err)
		}
	}
	return nil
}

// tableNames returns the tables of a set in the dialect: [TableNames], and
// on SQLite the text search table.
func tableNames(d Dialect) []string {
	names := TableNames()
	if d == SQLite {
		names = append(names, tableSearch)
	}
	return names
}

// knownTables returns [tableNames] and the tables of earlier layouts
// ([earlierTables]): every table a set may hold.
func knownTables(d Dialect) []string {
	return append(tableNames(d), earlierTables[d]...)
}

// checkSuffix refuses a suffix that could not be pasted into SQL as part
// of an identifier.
func checkSuffix(suffix string) error {
	for _, r := range suffix {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
			return fmt.Errorf("read-model table suffix %q: want lower-case letters, digits and underscores", suffix)
		}
	}
	return nil
}

// createSQL returns the statements creating the table and its indexes
// under suffix. The primary key constraint is named, so that PostgreSQL's
// implicit index is suffixed like the others.
func (t table) createSQL(d Dialect, suffix string) []string {
	name := t.name + suffix
	var b strings.Builder
	b.WriteString("CREATE TABLE IF NOT EXISTS " + name + " (")
	for _, c := range t.columns {
		b.WriteString(c.name + " " + c.sqlType + ", ")
	}
	b.WriteString("CONSTRAINT " + name + "_pkey PRIMARY KEY (" + strings.Join(t.key, ", ") + "))")
	if t.clustered && d == SQLite {
		b.WriteString(" WITHOUT ROWID")
	}
	stmts := []string{b.String()}
	for _, ix := range t.indexes {
		if ix.only != "" && ix.only != d {
			continue
		}
		using := ""
		if ix.using != "" {
			using = " USING " + ix.using
		}
		stmt := "CREATE INDEX IF NOT EXISTS " + name + "_" + ix.name + " ON " + name + using +
			" (" + strings.Join(ix.columns, ", ") + ")"
		if ix.where != "" {
			stmt += " WHERE " + ix.where
		}
		stmts = append(stmts, stmt)
	}
	return stmts
}

// lz4SQL returns a PostgreSQL statement that has the table's text columns
// compressed with lz4 where the server supports it (built --with-lz4, as
// Debian's and the official images are), and does nothing where it does
// not. The rows' JSON (a register entry, and the asset's view and
// timeline when the tables held them) is long enough to be compressed:
// pglz took 2.7-4.1 s of the server's CPU to write a 10^6-event log's
// timelines, lz4 0.9-1.0 s (docs/performance.md). Values written before keep their method; both
// read alike.
//
// The ALTER TABLE runs only on a table that has no rows and a column not
// lz4 yet - one just made, by a new registry or a rebuild: CreateTables
// runs at every start, and SET COMPRESSION's lock (ACCESS EXCLUSIVE)
// would queue every reader of a live table behind the longest query
// running on it. Tables made before keep pglz until a rebuild.
func (t table) lz4SQL(suffix string) string {
	var alter, names []string
	for _, c := range t.columns {
		if strings.HasPrefix(c.sqlType, "TEXT") {
			alter = append(alter, "ALTER COLUMN "+c.name+" SET COMPRESSION lz4")
			names = append(names, "'"+c.name+"'")
		}
	}
	name := t.name + suffix
	return `DO $$ BEGIN
	IF 'lz4' = ANY ((SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression')::text[])
		AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = '` + name + `'::regclass
			AND attname IN (` + strings.Join(names, ", ") + `) AND attcompression IS DISTINCT FROM 'l')
		AND NOT EXISTS (SELECT 1 FROM ` + name + `) THEN
		ALTER TABLE ` + name + " " + strings.Join(alter, ", ") + `;
	END IF;
END $$`
}

// columnNames returns the table's column names, comma-separated.
func (t table) columnNames() string {
	names := make([]string, len(t.columns))
	for i, c := range t.columns {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}
