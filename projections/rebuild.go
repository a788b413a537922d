package projections

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/messaging"
	"golang.org/x/sync/errgroup"
)

// Progress is told how far a rebuild has gone: done of total events read
// (total is the log's size when the rebuild started, an estimate). The
// streams a rebuild does not need are not read: done reaches total when
// the reading ends.
type Progress func(done, total int64)

// rebuildBatch is how many events a rebuild reads at a time, and
// rebuildAssets how many assets it derives and writes in one transaction.
const (
	rebuildBatch  = 10_000
	rebuildAssets = 2_000
)

// Rebuild rebuilds every read model from position 0 into fresh tables and
// puts them in place of the live ones with their checkpoint: until then
// the API keeps serving the old tables, and a projector that runs
// alongside carries on from the rebuild's checkpoint afterwards. It
// returns the position the rebuilt read models stand at: the log's
// horizon when it started.
//
// Where db.Files is set (SQLite), the fresh tables are a database of their
// own, published whole with the checkpoint in it ([publish]), and the one
// they replace is retired without being read. Otherwise (PostgreSQL) they
// are made under a new suffix beside the live ones, swapped in with the
// checkpoint in one transaction, and the tables they replaced are dropped
// ([swap]).
//
// It streams, in three stages that overlap: the log is read up to the
// horizon stream by stream ([eventstore.Store.ReadStreams]), so each
// asset's whole history comes in one piece, in asset id order, with no
// sort, by a few readers at once, each over a range of stream ids (one
// reader was the stage the others waited for); chunks of assets are
// decoded and derived on every core; and each chunk is written while the
// next is derived. Memory stays bounded (a few chunks of events and rows)
// whatever the log's size.
func Rebuild(ctx context.Context, store eventstore.Store, db DB, regimes domain.Regimes, progress Progress) (int64, error) {
	end, _, err := RebuildTimed(ctx, store, db, regimes, progress)
	return end, err
}

// Phases is how long each phase of a rebuild took, in the order they run.
type Phases struct {
	// Stream is reading the log and deriving and writing every row.
	Stream time.Duration
	// Search is filling SQLite's trigram table (none on PostgreSQL,
	// whose trigram index is one of the indexes).
	Search time.Duration
	// Finish is the statistics' rows and the secondary indexes.
	Finish time.Duration
	// Swap is the organisations, the swap and the drop of the replaced
	// tables; or, with [DB.Files], the organisations, the checkpoint and
	// the publication of the fresh database.
	Swap time.Duration
}

// String gives the phases as `acv rebuild` prints them.
func (p Phases) String() string {
	r := func(d time.Duration) time.Duration { return d.Round(10 * time.Millisecond) }
	return fmt.Sprintf("reading, deriving and writing %s, trigram table %s, statistics and indexes %s, swap %s",
		r(p.Stream), r(p.Search), r(p.Finish), r(p.Swap))
}

// RebuildTimed is [Rebuild], which also says how long each of its phases
// took.
func RebuildTimed(ctx context.Context, store eventstore.Store, db DB, regimes domain.Regimes, progress Progress) (int64, Phases, error) {
	var phases Phases
	end, err := rebuild(ctx, store, db, regimes, progress, &phases)
	return end, phases, err
}

// rebuild is [Rebuild], timing each phase into phases as it ends.
func rebuild(ctx context.Context, store eventstore.Store, db DB, regimes domain.Regimes, progress Progress, phases *Phases) (int64, error) {
	lap := time.Now()
	took := func(d *time.Duration) {
		now := time.Now()
		*d, lap = now.Sub(lap), now
	}
	if progress == nil {
		progress = func(int64, int64) {}
	}
	// The fresh set goes into a database of its own (db.Files), or into
	// tables under a new suffix beside the live ones.
	target, suffix := db, "_r"+strconv.FormatInt(time.Now().UnixNano(), 36)
	var fresh FreshFile
	if db.Files != nil {
		f, err := db.Files.Fresh(ctx)
		if err != nil {
			return 0, fmt.Errorf("rebuild: %w", err)
		}
		defer f.Discard() // a no-op once published
		fresh, suffix = f, ""
		target = DB{SQL: f.DB(), Dialect: db.Dialect}
	} else if err := dropLeftovers(ctx, db); err != nil {
		return 0, err
	}
	// Secondary indexes are built once the rows are in (CreateIndexes below).
	if err := CreateTablesWithoutIndexes(ctx, target.SQL, db.Dialect, suffix); err != nil {
		return 0, fmt.Errorf("rebuild: %w", err)
	}
	if err := pauseAutovacuum(ctx, target, suffix); err != nil {
		return 0, fmt.Errorf("rebuild: %w", err)
	}
	end, err := store.Horizon(ctx)
	if err != nil {
		return 0, fmt.Errorf("rebuild: %w", err)
	}

	// Each reader writes in asset id order within its range: every table
	// is keyed by asset id first, so the B-trees grow at a right edge
	// (one a reader) instead of at random pages.
	readers := rangeReaders(store, end, rebuildReaders(), progress)
	w := Writer{Dialect: db.Dialect, Suffix: suffix}
	sums := newCountSums()
	dctx, stop := context.WithCancel(ctx) // stops the reading, deriving and laying out if a write fails
	defer stop()
	for chunk := range layOut(dctx, deriveChunks(dctx, pullChunks(dctx, readers), regimes), sums) {
		if chunk.err != nil {
			return 0, fmt.Errorf("rebuild: %w", chunk.err)
		}
		if err := writeFresh(ctx, target, w, chunk.batches); err != nil {
			return 0, fmt.Errorf("rebuild: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	progress(end, end)
	if fresh != nil {
		fresh.SyncAhead() // the rows are in: to disk beside what follows
	}
	took(&phases.Stream)
	// sums is whole: layOut's channel closed after its last add. Its rows
	// are sorted on one core while the trigram table is filled on the
	// other.
	counts := sortingCounts(sums)
	if err := fillSearch(ctx, target.SQL, db.Dialect, suffix); err != nil {
		return 0, fmt.Errorf("rebuild: %w", err)
	}
	if db.Dialect == SQLite {
		took(&phases.Search)
	}
	if err := finishFresh(ctx, target, suffix, counts); err != nil {
		return 0, fmt.Errorf("rebuild: %w", err)
	}
	took(&phases.Finish)
	// The readers are done: the chunks' channel closed after their last read.
	orgs := map[string]bool{}
	for _, r := range readers {
		maps.Copy(orgs, r.orgs)
	}
	if fresh != nil {
		err = publish(ctx, store, target, fresh, orgs, end)
	} else if err = refreshOrganisations(ctx, store, db, orgs); err == nil {
		err = swap(ctx, db, suffix, end)
	}
	if err != nil {
		return 0, err
	}
	took(&phases.Swap)
	return end, nil
}

// publish completes a fresh database - the organisations' directory, and
// the consumers' tables with the read models' offset at end - and
// publishes it. Nothing needs dropping: the database it replaces is
// retired whole.
func publish(ctx context.Context, store eventstore.Store, fresh DB, f FreshFile, orgs map[string]bool, end int64) error {
	if err := messaging.Migrate(ctx, fresh.SQL, fresh.Dialect); err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	if err := messaging.InTx(ctx, fresh.SQL, fresh.Dialect, "read-models", func(tx *sql.Tx) error {
		if err := migrateOrganisations(ctx, tx); err != nil {
			return err
		}
		if _, err := messaging.LockOffset(ctx, tx, fresh.Dialect, ConsumerName); err != nil {
			return err
		}
		return messaging.SetOffset(ctx, tx, fresh.Dialect, ConsumerName, end)
	}); err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	if err := refreshOrganisations(ctx, store, fresh, orgs); err != nil {
		return err
	}
	if err := f.Publish(ctx); err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	return nil
}

// finishFresh writes the statistics' rows into the fresh set and builds
// its secondary indexes. SQLite has one writer, so one after the other,
// each index sorted on every core ([withSorterThreads]).
// On PostgreSQL each index is built on a connection of its own, two at a
// time (an index build is mostly the server's CPU, and the statement that
// builds one index does not wait for another on the same table), each
// with more memory for its sort than a session's default; the sums are
// sorted and copied in from the start, beside those two (sorting them is
// Go's CPU; queued behind the other tables' twelve indexes they were the
// phase's long pole), then get their index. Each table's statistics are
// gathered as soon as its last index is built (ANALYZE needs the index on
// point(lon, lat) for its expression's statistics), on the connection
// that built it, by VACUUM (ANALYZE): the vacuum marks the fresh pages
// all-visible, which autovacuum would otherwise do just after the swap,
// beside the traffic and holding locks the next swap waits on (see
// [pauseAutovacuum]).
//
// The statistics matter: without them, until autovacuum comes round,
// PostgreSQL's planner guesses, and at 10^5 events it read a council's
// register page in 5 ms instead of 1.7. SQLite's plans need none
// (TestRegisterQueryPlans runs without).
func finishFresh(ctx context.Context, db DB, suffix string, counts func() (sortedCountRows, error)) error {
	if db.Dialect != Postgres {
		if err := fillCounts(ctx, db, suffix, counts); err != nil {
			return err
		}
		return withSorterThreads(ctx, db.SQL, func(x Execer) error {
			return CreateIndexes(ctx, x, db.Dialect, suffix)
		})
	}
	if err := checkSuffix(suffix); err != nil {
		return err
	}
	build := func(ctx context.Context, stmt string) error {
		tx, err := db.SQL.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, `SET LOCAL maintenance_work_mem = '256MB'`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("create read-model index (%s): %w", stmt, err)
		}
		return tx.Commit()
	}
	analyze := func(ctx context.Context, table string) error {
		if _, err := db.SQL.ExecContext(ctx, `VACUUM (ANALYZE) `+table+suffix); err != nil {
			return fmt.Errorf("analyze %s%s: %w", table, suffix, err)
		}
		return nil
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(3) // the sums, and two index builds
	ct := countsTable()
	g.Go(func() error { // its indexes once it is filled
		if err := fillCounts(gctx, db, suffix, counts); err != nil {
			return err
		}
		for _, stmt := range ct.createSQL(db.Dialect, suffix)[1:] {
			if err := build(gctx, stmt); err != nil {
				return err
			}
		}
		return analyze(gctx, ct.name)
	})
	for _, t := range schema() {
		indexes := t.createSQL(db.Dialect, suffix)[1:]
		if t.name == ct.name {
			continue
		}
		if len(indexes) == 0 {
			g.Go(func() error { return analyze(gctx, t.name) })
			continue
		}
		left := new(atomic.Int32)
		left.Store(int32(len(indexes)))
		for _, stmt := range indexes {
			g.Go(func() error {
				if err := build(gctx, stmt); err != nil {
					return err
				}
				if left.Add(-1) > 0 {
					return nil
				}
				return analyze(gctx, t.name) // its last index is built
			})
		}
	}
	return g.Wait()
}

// sorterRun is the size of the sorted runs SQLite's CREATE INDEX makes
// in a rebuild ([withSorterThreads]): the connection's page cache, in
// KiB, by which SQLite sizes them.
const sorterRun = 4096

// withSorterThreads runs build, SQLite's index builds, on a connection of
// its own on which CREATE INDEX sorts with helper threads (PRAGMA
// threads, one a core): the statement's thread reads the table while the
// helpers sort the runs it hands them, then they merge. Runs are small,
// sorterRun KiB, so that there are runs to hand over (with the pool's
// 64 MiB cache an index at 10^6 events was one run, sorted on one core,
// and the other core was idle: nothing else writes in this phase). The
// twelve index builds at 10^6 events took 2.75 s instead of 3.5 to 3.9.
// The connection's settings are put back before it returns to the pool,
// or it is closed.
func withSorterThreads(ctx context.Context, db *sql.DB, build func(Execer) error) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("index builds: %w", err)
	}
	defer conn.Close()
	var threads, cache int64
	if err := conn.QueryRowContext(ctx, `PRAGMA threads`).Scan(&threads); err != nil {
		return fmt.Errorf("index builds: read PRAGMA threads: %w", err)
	}
	if err := conn.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&cache); err != nil {
		return fmt.Errorf("index builds: read PRAGMA cache_size: %w", err)
	}
	set := func(ctx context.Context, threads, cache int64) error {
		for _, q := range []string{fmt.Sprintf(`PRAGMA threads = %d`, threads), fmt.Sprintf(`PRAGMA cache_size = %d`, cache)} {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("index builds: %s: %w", q, err)
			}
		}
		return nil
	}
	err = set(ctx, int64(runtime.GOMAXPROCS(0)), -sorterRun)
	if err == nil {
		err = build(conn)
	}
	if rerr := set(context.WithoutCancel(ctx), threads, cache); rerr != nil {
		// Not back in the pool with another cache: closed instead.
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		return errors.Join(err, rerr)
	}
	return err
}

// writeFresh writes one chunk's batches into the fresh tables, in one
// transaction: by COPY on PostgreSQL, by multi-row INSERTs on SQLite. The
// fresh tables hold none of the chunk's assets, so nothing is deleted; the
// statistics and SQLite's trigram table are filled once every
// chunk is in (finishFresh, fillSearch).
func writeFresh(ctx context.Context, db DB, w Writer, batches []*batch) error {
	if db.Dialect == Postgres {
		return copyFresh(ctx, db, w.Suffix, batches)
	}
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	for _, b := range batches {
		if err := w.insert(ctx, tx, b); err != nil {
			tx.Rollback()
			return fmt.Errorf("write: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// swap replaces the live tables by the rebuilt ones and sets the checkpoint,
// in one transaction, then drops the tables it replaced.
//
// The transaction only renames: each live table to a retired set's name
// (a suffix like a rebuild's, so that [dropLeftovers] finds the set if
// the process dies before it is dropped) and each fresh one to the live
// name. Dropping a table is not free on SQLite: it walks every page to
// free it, 0.8 s for the set at 10^6 events, 8.3 s when its pages were
// out of the cache, and inside the swap that was as long as the one
// writer, and so every append, waited. The retired tables are dropped
// afterwards one statement each, so that appends and the projector get
// their turns in between.
func swap(ctx context.Context, db DB, suffix string, end int64) error {
	retired := retiredSuffix(suffix)
	if err := renameIn(ctx, db, suffix, retired, end); err != nil {
		return err
	}
	if err := DropTables(ctx, db.SQL, db.Dialect, retired); err != nil {
		return fmt.Errorf("rebuild: swapped in, but the replaced tables (suffix %s) are left: %w", retired, err)
	}
	return nil
}

// autovacuumOptions are the storage parameters that keep autovacuum off
// a PostgreSQL table and its TOAST table.
const autovacuumOptions = `autovacuum_enabled, toast.autovacuum_enabled`

// pauseAutovacuum keeps autovacuum off the fresh set's tables (suffix) on
// PostgreSQL until the swap turns it back on with the rename, in the same
// transaction, so that no live table is ever left without it. A fresh
// table fills with up to millions of rows in minutes, passing autovacuum's
// thresholds as it goes, and a worker's VACUUM or ANALYZE of it then
// would be of a table half written, on the cores the rebuild uses, with
// [finishFresh] doing both anyway once the rows and indexes are in.
//
// With that, and the fresh set vacuumed before the swap, no worker has
// the live set in hand when the next rebuild swaps it out. Before, two
// rebuilds at 10^6 events a minute apart found workers vacuuming the
// first one's tables: the swap's renames waited a second each
// (deadlock_timeout, after which PostgreSQL cancels the worker), three of
// them, while the swap held the tables it had renamed already and the
// API's reads of those waited too.
func pauseAutovacuum(ctx context.Context, db DB, suffix string) error {
	if db.Dialect != Postgres {
		return nil
	}
	for _, t := range tableNames(db.Dialect) {
		if _, err := db.SQL.ExecContext(ctx, `ALTER TABLE `+t+suffix+` SET (autovacuum_enabled = false, toast.autovacuum_enabled = false)`); err != nil {
			return fmt.Errorf("autovacuum off %s%s: %w", t, suffix, err)
		}
	}
	return nil
}

// retiredSuffix names the set a swap retires: the rebuild's suffix with
// its first digit changed, so a rebuild suffix still ("_r" and base 36
// digits) and never the rebuild's own.
func retiredSuffix(suffix string) string {
	first := suffix[len("_r")]
	next := byte('0')
	if first == '0' {
		next = '1'
	}
	return "_r" + string(next) + suffix[len("_r")+1:]
}

// renameIn is the swap's transaction: the live set renamed to retired, the
// fresh one (suffix) to the live names, and the checkpoint set to end.
func renameIn(ctx context.Context, db DB, suffix, retired string, end int64) error {
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("rebuild: swap: %w", err)
	}
	defer tx.Rollback()
	// Locking the read models' offset waits for their consumer's batch in
	// hand, on any node, and holds the next one until the swap commits.
	if _, err := messaging.LockOffset(ctx, tx, db.Dialect, ConsumerName); err != nil {
		return fmt.Errorf("rebuild: swap: %w", err)
	}
	names, err := readModelTables(ctx, tx, db.Dialect)
	if err != nil {
		return fmt.Errorf("rebuild: swap: %w", err)
	}
	for _, t := range knownTables(db.Dialect) { // an earlier layout's tables retire too
		if slices.Contains(names, t) {
			if _, err := tx.ExecContext(ctx, `ALTER TABLE `+t+` RENAME TO `+t+retired); err != nil {
				return fmt.Errorf("rebuild: swap %s: %w", t, err)
			}
		}
	}
	for _, t := range tableNames(db.Dialect) {
		if _, err := tx.ExecContext(ctx, `ALTER TABLE `+t+suffix+` RENAME TO `+t); err != nil {
			return fmt.Errorf("rebuild: swap %s: %w", t, err)
		}
		if db.Dialect == Postgres {
			if _, err := tx.ExecContext(ctx, `ALTER TABLE `+t+` RESET (`+autovacuumOptions+`)`); err != nil {
				return fmt.Errorf("rebuild: swap %s: autovacuum: %w", t, err)
			}
		}
	}
	if err := messaging.SetOffset(ctx, tx, db.Dialect, ConsumerName, end); err != nil {
		return fmt.Errorf("rebuild: swap: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("rebuild: swap: %w", err)
	}
	return nil
}

// readModelTables returns the names of the read models' tables (every
// set's) in the database, read through q.
func readModelTables(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, d Dialect) ([]string, error) {
	query := `SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'rm\_%' ESCAPE '\'`
	if d == Postgres {
		query = `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'rm\_%' ESCAPE '\'`
	}
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("list the read models' tables: %w", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("list the read models' tables: %w", err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list the read models' tables: %w", err)
	}
	return names, nil
}

// dropLeftovers drops the tables of a rebuild that died before its swap:
// every set whose suffix starts with _r. On SQLite the FTS5 table's own
// tables (rm_search_rX_data ...) go with it.
func dropLeftovers(ctx context.Context, db DB) error {
	names, err := readModelTables(ctx, db.SQL, db.Dialect)
	if err != nil {
		return fmt.Errorf("rebuild: find leftovers: %w", err)
	}
	for _, suffix := range leftoverSuffixes(names, knownTables(db.Dialect)) {
		if err := DropTables(ctx, db.SQL, db.Dialect, suffix); err != nil {
			return fmt.Errorf("rebuild: drop leftovers: %w", err)
		}
	}
	return nil
}

// DropAll drops every read-model table from db, with the read models'
// offset and poison queue: for a database that no longer holds them
// (SQLite's state file, since the read models have a file of their own).
// It does nothing where there are none, and says whether it dropped any.
func DropAll(ctx context.Context, db *sql.DB, d Dialect) (dropped bool, err error) {
	names, err := readModelTables(ctx, db, d)
	if err != nil || len(names) == 0 {
		return false, err
	}
	// Whole sets first, so that a text search table goes with its own
	// tables; then whatever is left.
	for _, suffix := range append([]string{""}, leftoverSuffixes(names, knownTables(d))...) {
		if err := DropTables(ctx, db, d, suffix); err != nil {
			return true, fmt.Errorf("drop the read models: %w", err)
		}
	}
	if names, err = readModelTables(ctx, db, d); err != nil {
		return true, err
	}
	for _, n := range names {
		if _, err := db.ExecContext(ctx, `DROP TABLE IF EXISTS `+n); err != nil {
			return true, fmt.Errorf("drop the read models: %s: %w", n, err)
		}
	}
	for table, column := range map[string]string{messaging.OffsetsTable: "name", messaging.PoisonTable: "consumer"} {
		exists, err := tableExists(ctx, db, d, table)
		if err != nil {
			return true, err
		}
		if exists {
			if _, err := db.ExecContext(ctx, d.Rebind(`DELETE FROM `+table+` WHERE `+column+` = ?`), ConsumerName); err != nil {
				return true, fmt.Errorf("drop the read models' %s: %w", table, err)
			}
		}
	}
	return true, nil
}

// leftoverSuffixes returns the rebuild suffixes (_r and base 36 digits)
// of the given table names that are a read-model table's name and a
// suffix, perhaps followed by _ and more (an FTS5 table's own tables), in
// the order first seen.
func leftoverSuffixes(names, bases []string) []string {
	var out []string
	for _, n := range names {
		if n == "rm_geo_rowid" {
			continue // an earlier layout's live R*Tree's own table, not a set "_rowid"
		}
		for _, b := range bases {
			rest, ok := strings.CutPrefix(n, b+"_r")
			if !ok || rest == "" {
				continue
			}
			id, _, _ := strings.Cut(rest, "_")
			if s := "_r" + id; id != "" && checkSuffix(s) == nil && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// derived is one chunk of derived rows, or the error that stopped it.
// Once laid out (layOut) it holds the rows as batches for their tables
// instead.
type derived struct {
	rows    []AssetRows
	batches []*batch
	err     error
}

// layOut lays out each derived chunk's rows for their tables (newBatches)
// as the chunks come: in a stage of its own, beside the deriving of the
// next chunk and the writing of the one before, rather than on the
// writer's goroutine, the rebuild's one stage that cannot spread over the
// cores (on SQLite, where one connection writes, laying out took 3.5 s of
// its 29 s at 10^6). An asset given twice is written once, from its last
// AssetRows, as by [Writer.Replace]. Each asset's contributions to the
// statistics are added to sums, which the caller may read once the channel
// is closed. The channel closes when in does, after a chunk with an error,
// or when ctx ends.
func layOut(ctx context.Context, in <-chan derived, sums *countSums) <-chan derived {
	out := make(chan derived, 1)
	go func() {
		defer close(out)
		for d := range in {
			if d.err == nil {
				var contribs [][]contribution
				d.batches, contribs, d.err = newBatches(lastOfEach(d.rows))
				sums.add(contribs)
				d.rows = nil
			}
			if !forward(ctx, out, d) {
				return
			}
		}
	}()
	return out
}

// forward sends d on out, unless ctx ends first, and reports whether the
// stage that sent it goes on: not once ctx has ended, nor after a chunk
// with an error.
func forward(ctx context.Context, out chan<- derived, d derived) bool {
	select {
	case out <- d:
		return d.err == nil
	case <-ctx.Done():
		return false
	}
}

// deriveChunks takes the assets' histories, rebuildAssets at a time, as
// chunks come, and decodes and derives each chunk on every CPU while the
// caller writes the previous one: deriving is Go work and writing is
// mostly the database's, so the two overlap. The channel closes when every chunk is
// sent, after a chunk with an error, or when ctx ends.
func deriveChunks(ctx context.Context, chunks <-chan chunk, regimes domain.Regimes) <-chan derived {
	out := make(chan derived, 1)
	workers := max(1, runtime.GOMAXPROCS(0))
	go func() {
		defer close(out)
		for c := range chunks {
			if c.err != nil {
				forward(ctx, out, derived{err: c.err})
				return
			}
			rows := make([]AssetRows, len(c.ids))
			errs := make([]error, workers)
			var wg sync.WaitGroup
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for i := w; i < len(c.ids); i += workers {
						history, err := Decode(c.histories[i])
						if err != nil {
							errs[w] = fmt.Errorf("asset %s: %w", c.ids[i], err)
							return
						}
						rows[i] = derive(c.ids[i], regimes, history, withTables)
					}
				}(w)
			}
			wg.Wait()
			if !forward(ctx, out, derived{rows: rows, err: errors.Join(errs...)}) {
				return
			}
		}
	}()
	return out
}

// chunk is rebuildAssets assets' histories, or the error that stopped
// reading them.
type chunk struct {
	ids       []string
	histories [][]eventstore.Event
	err       error
}

// pullChunks reads the histories of every reader, rebuildAssets at a
// time, each reader in a goroutine of its own, while the chunks before
// are derived. A reader's chunks come in its order; the readers' are
// interleaved. The channel closes when every reader is at its end, or
// after a chunk with an error; the readers stop when ctx ends.
func pullChunks(ctx context.Context, readers []*historyReader) <-chan chunk {
	out := make(chan chunk, len(readers))
	var wg sync.WaitGroup
	for _, histories := range readers {
		wg.Go(func() {
			for {
				var c chunk
				for len(c.ids) < rebuildAssets {
					id, h, ok := histories.next(ctx)
					if !ok {
						break
					}
					c.ids, c.histories = append(c.ids, id), append(c.histories, h)
				}
				c.err = histories.err
				if c.err == nil && len(c.ids) == 0 {
					return
				}
				select {
				case out <- c:
				case <-ctx.Done():
					return
				}
				if c.err != nil {
					return
				}
			}
		})
	}
	go func() {
		wg.Wait()
		close(out)
	}()
	return out
}

// rebuildReaders is how many readers read the log at once: one a core,
// at least two (a reader waits on the database for much of its time),
// at most eight.
func rebuildReaders() int { return min(max(2, runtime.GOMAXPROCS(0)), 8) }

// rangeReaders returns the readers of the log up to upTo that between
// them read every stream a rebuild needs once: n readers of the assets'
// streams, split at the hexadecimal digits that follow "asset-" (asset
// ids are UUIDs) into ranges of about as many assets each, and one of the
// organisations' streams. Streams of any other kind are not read: the
// last asset reader stops where "asset-" ids end instead of reading on
// through them to the organisations. (The bench's own appends, in
// streams of their own, were a third of its store's log after sixteen
// runs, and all of them fell to the last reader, which then read alone
// for the rebuild's last tenth.) They report their progress together.
func rangeReaders(store eventstore.Store, upTo int64, n int, progress Progress) []*historyReader {
	var (
		mu   sync.Mutex
		read int64
	)
	report := func(more int64) {
		mu.Lock()
		defer mu.Unlock()
		read += more
		progress(read, max(upTo, read)) // positions can skip: upTo bounds the count
	}
	reader := func(from, until string) *historyReader {
		return &historyReader{store: store, upTo: upTo, batch: rebuildBatch, progress: report, orgs: map[string]bool{},
			after: eventstore.StreamCursor{Stream: from}, until: until}
	}
	readers := make([]*historyReader, 0, n+1)
	for i := range n {
		readers = append(readers, reader(streamSplit(i, n), streamSplit(i+1, n)))
	}
	orgs := domain.OrganisationStream("")
	return append(readers, reader(orgs, pastPrefix(orgs)))
}

// streamSplit is where the i-th of n ranges of asset stream ids starts
// and the one before it ends: "asset-" and the i/n-th of the hexadecimal
// digits; for i = 0 "asset-" itself, and for i = n past every asset
// stream id.
func streamSplit(i, n int) string {
	assets := domain.AssetStream("")
	switch i {
	case 0:
		return assets
	case n:
		return pastPrefix(assets)
	}
	return assets + strconv.FormatInt(int64(i*16/n), 16)
}

// pastPrefix is the first string after every one with prefix, which ends
// in "-": prefix with its "-" made ".", the next byte.
func pastPrefix(prefix string) string {
	return strings.TrimSuffix(prefix, "-") + "."
}

// historyReader yields one asset's events at a time, in asset id order,
// read from the log up to upTo in pages of batch events, from the streams
// after the cursor after and before the stream id until ("" for no end).
// A history that runs on into the next page is joined up. Streams that
// are not assets' are skipped; the organisations among them are noted in
// orgs. It is used by one goroutine; err holds what stopped it early.
// progress is given the number of events of each page read.
type historyReader struct {
	store    eventstore.Store
	upTo     int64
	batch    int
	progress func(read int64)
	orgs     map[string]bool
	until    string

	after eventstore.StreamCursor
	page  []eventstore.Event // read and not yet yielded
	ended bool               // an empty page was read, or one that ran past until
	err   error
}

// next returns the next asset's id and its events, oldest first, and false
// at the end or on an error (then in err).
func (r *historyReader) next(ctx context.Context) (string, []eventstore.Event, bool) {
	for {
		if len(r.page) == 0 && !r.fill(ctx) {
			return "", nil, false
		}
		stream := r.page[0].Stream
		h := r.take(stream)
		for len(r.page) == 0 && r.fill(ctx) { // the stream may go on in the next page
			h = append(h, r.take(stream)...) // h's capacity is its length: a copy
		}
		if r.err != nil {
			return "", nil, false
		}
		if id, ok := AssetID(stream); ok {
			return id, h, true
		}
		if org, ok := OrganisationStreamID(stream); ok {
			r.orgs[org] = true
		}
	}
}

// take removes the leading events of stream from the page and returns them.
func (r *historyReader) take(stream string) []eventstore.Event {
	n := 0
	for n < len(r.page) && r.page[n].Stream == stream {
		n++
	}
	h := r.page[:n:n]
	r.page = r.page[n:]
	return h
}

// fill reads the next page; false at the end of the log or on an error.
func (r *historyReader) fill(ctx context.Context) bool {
	if r.ended || r.err != nil {
		return false
	}
	// Personal data never enters the rows (rows.go), and they are the same
	// whether it is read or erased (TestRebuildOfANationalLogEqualsFollowing,
	// whose projector reads it opened; cmd/acv's TestEraseSubjects): so the
	// rebuild reads it as erased, and reads and opens no key.
	page, err := r.store.ReadStreams(ctx, r.upTo, r.after, r.batch, eventstore.AsErased)
	if err != nil {
		r.err = fmt.Errorf("read the log up to %d: %w", r.upTo, err)
		return false
	}
	if len(page) == 0 {
		r.ended = true
		return false
	}
	r.after = eventstore.CursorAfter(r.after, page)
	if r.until != "" && page[len(page)-1].Stream >= r.until {
		// The page runs past the range: the rest is another reader's, or
		// streams the rebuild does not read.
		end, _ := slices.BinarySearchFunc(page, r.until, func(e eventstore.Event, until string) int { return strings.Compare(e.Stream, until) })
		page = page[:end]
		r.ended = true
	}
	r.page = page
	r.progress(int64(len(page)))
	return len(page) > 0
}
