package projections

import (
	"bufio"
	"container/heap"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/messaging"
)

// Progress is told how far a rebuild has gone: done of total events read
// (total is the log's size when the rebuild started, an estimate).
type Progress func(done, total int64)

// rebuildBatch is how many events a rebuild reads at a time, and how many
// assets it writes in one transaction.
const (
	rebuildBatch  = 10_000
	rebuildAssets = 2_000
)

// RebuildMemory bounds the bytes of events a rebuild holds before it sorts
// them and spills them to a temporary file (see [Rebuild]); tests lower it
// to exercise the merge.
var RebuildMemory = 256 << 20

// Rebuild rebuilds every read model from position 0 into fresh tables, then
// swaps them in, with the checkpoint, in one transaction: until the swap the
// API keeps serving the old tables, and a projector that runs alongside
// carries on from the rebuild's checkpoint afterwards. It returns the
// position the rebuilt read models stand at.
//
// It streams: the log is read once in its global order and sorted by asset
// in runs of bounded size (an external merge sort, spilling to temporary
// files once the log outgrows [RebuildMemory]); the merged runs yield one
// asset's whole history at a time, which is derived on every core and
// written in asset id order while the next chunk is derived. Memory stays
// bounded whatever the log's size, and the cost per event stays flat.
func Rebuild(ctx context.Context, store eventstore.Store, db DB, regimes domain.Regimes, progress Progress) (int64, error) {
	if progress == nil {
		progress = func(int64, int64) {}
	}
	suffix := "_r" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if err := dropLeftovers(ctx, db); err != nil {
		return 0, err
	}
	// Secondary indexes are built once the rows are in (CreateIndexes below).
	if err := CreateTablesWithoutIndexes(ctx, db.SQL, db.Dialect, suffix); err != nil {
		return 0, fmt.Errorf("rebuild: %w", err)
	}
	total := estimateEvents(ctx, store)

	// Read the whole log once. Events of an asset are scattered across the
	// log and Derive needs them together, so they go through a sorter. They
	// are kept as stored (payloads as bytes, hashes dropped) and decoded by
	// the deriving workers, on every core.
	sorter := &logSorter{budget: RebuildMemory}
	defer sorter.close()
	var end, done int64
	orgs := map[string]bool{} // the organisations in the log (organisations.go)
	for {
		events, err := store.ReadAll(ctx, end, rebuildBatch)
		if err != nil {
			return 0, fmt.Errorf("rebuild: read log after %d: %w", end, err)
		}
		if len(events) == 0 {
			break
		}
		for _, e := range events {
			if _, ok := AssetID(e.Stream); !ok {
				if org, ok := OrganisationStreamID(e.Stream); ok {
					orgs[org] = true
				}
				continue
			}
			e.PrevHash, e.Hash = nil, nil
			if err := sorter.add(e); err != nil {
				return 0, fmt.Errorf("rebuild: %w", err)
			}
		}
		end = events[len(events)-1].Position
		done += int64(len(events))
		progress(done, max(total, done))
	}
	histories, err := sorter.histories()
	if err != nil {
		return 0, fmt.Errorf("rebuild: %w", err)
	}

	// Write in asset id order: every table is keyed by asset id first, so
	// the B-trees grow at their right edge instead of at random pages.
	w := Writer{Dialect: db.Dialect, Suffix: suffix, Fresh: true, sums: countSums{}}
	dctx, stop := context.WithCancel(ctx) // stops the deriving goroutine if a write fails
	defer stop()
	for chunk := range deriveChunks(dctx, histories, regimes) {
		if chunk.err != nil {
			return 0, fmt.Errorf("rebuild: %w", chunk.err)
		}
		if err := writeFresh(ctx, db, w, chunk); err != nil {
			return 0, fmt.Errorf("rebuild: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := fillSearch(ctx, db.SQL, db.Dialect, suffix); err != nil {
		return 0, fmt.Errorf("rebuild: %w", err)
	}
	if err := fillCounts(ctx, db, suffix, w.sums); err != nil {
		return 0, fmt.Errorf("rebuild: %w", err)
	}
	if err := CreateIndexes(ctx, db.SQL, db.Dialect, suffix); err != nil {
		return 0, fmt.Errorf("rebuild: %w", err)
	}
	if err := analyze(ctx, db, suffix); err != nil {
		return 0, fmt.Errorf("rebuild: %w", err)
	}
	if err := refreshOrganisations(ctx, store, db, orgs); err != nil {
		return 0, err
	}
	if err := swap(ctx, db, suffix, end); err != nil {
		return 0, err
	}
	return end, nil
}

// analyze gathers PostgreSQL's statistics of the fresh tables before they
// are swapped in: without them, until autovacuum comes round, the planner
// guesses, and at 10^5 events it read a council's register page in 5 ms
// instead of 1.7. SQLite's plans need none (TestRegisterQueryPlans runs
// without).
func analyze(ctx context.Context, db DB, suffix string) error {
	if db.Dialect != Postgres {
		return nil
	}
	for _, t := range TableNames() {
		if _, err := db.SQL.ExecContext(ctx, `ANALYZE `+t+suffix); err != nil {
			return fmt.Errorf("analyze %s%s: %w", t, suffix, err)
		}
	}
	return nil
}

// writeFresh writes one chunk of rows into the fresh tables, in one
// transaction: by COPY on PostgreSQL, by multi-row INSERTs on SQLite. An
// asset given twice is written once, from its last AssetRows, as by
// [Writer.Replace].
func writeFresh(ctx context.Context, db DB, w Writer, c derived) error {
	rows, counts := c.rows, c.counts
	if last := lastOfEach(rows); len(last) != len(rows) {
		rows, counts = last, nil // counts[i] no longer go with rows[i]
	}
	if db.Dialect == Postgres {
		return copyFresh(ctx, db, w.Suffix, rows, counts, w.sums)
	}
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := w.replace(ctx, tx, rows, counts); err != nil {
		tx.Rollback()
		return fmt.Errorf("write: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// swap replaces the live tables by the rebuilt ones and sets the checkpoint,
// in one transaction.
func swap(ctx context.Context, db DB, suffix string, end int64) error {
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
	for _, t := range tableNames(db.Dialect) {
		if _, err := tx.ExecContext(ctx, `DROP TABLE IF EXISTS `+t); err != nil {
			return fmt.Errorf("rebuild: swap %s: %w", t, err)
		}
		if _, err := tx.ExecContext(ctx, `ALTER TABLE `+t+suffix+` RENAME TO `+t); err != nil {
			return fmt.Errorf("rebuild: swap %s: %w", t, err)
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

// dropLeftovers drops the tables of a rebuild that died before its swap:
// every set whose suffix starts with _r. On SQLite the FTS5 table's own
// tables (rm_search_rX_data ...) go with it.
func dropLeftovers(ctx context.Context, db DB) error {
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'rm\_%\_r%' ESCAPE '\'`
	if db.Dialect == Postgres {
		q = `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'rm\_%\_r%' ESCAPE '\'`
	}
	rows, err := db.SQL.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("rebuild: find leftovers: %w", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return fmt.Errorf("rebuild: find leftovers: %w", err)
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("rebuild: find leftovers: %w", err)
	}
	for _, suffix := range leftoverSuffixes(names, tableNames(db.Dialect)) {
		if err := DropTables(ctx, db.SQL, db.Dialect, suffix); err != nil {
			return fmt.Errorf("rebuild: drop leftovers: %w", err)
		}
	}
	return nil
}

// leftoverSuffixes returns the rebuild suffixes (_r and base 36 digits)
// of the given table names that are a read-model table's name and a
// suffix, perhaps followed by _ and more (an FTS5 table's own tables), in
// the order first seen.
func leftoverSuffixes(names, bases []string) []string {
	var out []string
	for _, n := range names {
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

// estimateEvents guesses the log's size for progress reports: the last
// position (positions can skip, so it is an upper bound).
func estimateEvents(ctx context.Context, store eventstore.Store) int64 {
	last, err := store.LastPosition(ctx)
	if err != nil {
		return 0
	}
	return last
}

// derived is one chunk of derived rows, with counts[i] the nomination
// counts of rows[i], or the error that stopped it.
type derived struct {
	rows   []AssetRows
	counts []nominationCounts
	err    error
}

// deriveChunks pulls the assets' histories in order, rebuildAssets at a
// time, and decodes and derives each chunk on every CPU while the caller
// writes the previous one: deriving is Go work and writing is mostly the
// database's, so the two overlap. The channel closes when every chunk is
// sent, after a chunk with an error, or when ctx ends.
func deriveChunks(ctx context.Context, histories *historyIter, regimes domain.Regimes) <-chan derived {
	out := make(chan derived, 1)
	workers := max(1, runtime.GOMAXPROCS(0))
	chunks := pullChunks(ctx, histories)
	go func() {
		defer close(out)
		for c := range chunks {
			if c.err != nil {
				select {
				case out <- derived{err: c.err}:
				case <-ctx.Done():
				}
				return
			}
			rows, counts := make([]AssetRows, len(c.ids)), make([]nominationCounts, len(c.ids))
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
						rows[i], counts[i] = derive(c.ids[i], regimes, history)
					}
				}(w)
			}
			wg.Wait()
			d := derived{rows: rows, counts: counts, err: errors.Join(errs...)}
			select {
			case out <- d:
			case <-ctx.Done():
				return
			}
			if d.err != nil {
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

// pullChunks reads the histories, rebuildAssets at a time, in a goroutine
// of its own: merging the sorted runs overlaps with deriving the chunk
// before. The channel closes at the end, after an error, or when ctx ends.
func pullChunks(ctx context.Context, histories *historyIter) <-chan chunk {
	out := make(chan chunk, 1)
	go func() {
		defer close(out)
		for {
			var c chunk
			for len(c.ids) < rebuildAssets {
				id, h, ok := histories.next()
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
	}()
	return out
}

// logSorter sorts a log's events by stream, keeping each stream's events
// in log order (which is version order): an external merge sort. Events
// are held until they take budget bytes, then sorted and written to an
// unlinked temporary file as one run; [logSorter.histories] merges the
// runs. A log that fits in the budget is never written out.
type logSorter struct {
	budget int
	held   int
	buf    []eventstore.Event
	runs   []*os.File
}

// eventOverhead is about what a held event costs besides its payload and
// stream name.
const eventOverhead = 200

func (s *logSorter) add(e eventstore.Event) error {
	s.buf = append(s.buf, e)
	s.held += len(e.Data) + len(e.Stream) + eventOverhead
	if s.held >= s.budget {
		return s.spill()
	}
	return nil
}

func (s *logSorter) sortHeld() {
	slices.SortStableFunc(s.buf, func(a, b eventstore.Event) int { return strings.Compare(a.Stream, b.Stream) })
}

// spill sorts the held events and writes them out as a run.
func (s *logSorter) spill() error {
	s.sortHeld()
	f, err := os.CreateTemp("", "acv-rebuild-*")
	if err != nil {
		return fmt.Errorf("spill sorted events: %w", err)
	}
	os.Remove(f.Name()) // the open file lives until it is closed
	s.runs = append(s.runs, f)
	w := bufio.NewWriterSize(f, 1<<20)
	var rec []byte
	for _, e := range s.buf {
		if rec, err = appendRecord(rec[:0], e); err != nil {
			return err
		}
		if _, err := w.Write(rec); err != nil {
			return fmt.Errorf("spill sorted events: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("spill sorted events: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("spill sorted events: %w", err)
	}
	clear(s.buf)
	s.buf, s.held = s.buf[:0], 0
	return nil
}

// histories returns the iterator over every stream's events, in stream
// order. Nothing may be added after it.
func (s *logSorter) histories() (*historyIter, error) {
	if len(s.runs) == 0 {
		s.sortHeld()
		return &historyIter{mem: s.buf}, nil
	}
	if len(s.buf) > 0 {
		if err := s.spill(); err != nil {
			return nil, err
		}
	}
	s.buf = nil
	it := &historyIter{merging: true}
	for i, f := range s.runs {
		r := &runReader{r: bufio.NewReaderSize(f, 1<<20), run: i, strs: map[string]string{}}
		if err := r.advance(); err != nil {
			return nil, err
		}
		if r.ok {
			it.heads = append(it.heads, r)
		}
	}
	heap.Init(&it.heads)
	return it, nil
}

// close removes the runs.
func (s *logSorter) close() {
	for _, f := range s.runs {
		f.Close()
	}
	s.runs = nil
}

// historyIter yields one asset's events at a time, in asset id order. It
// is used by one goroutine; err holds what stopped it early.
type historyIter struct {
	mem     []eventstore.Event // the one sorted run, when nothing was spilled
	merging bool
	heads   runHeap
	err     error
}

// next returns the next asset's id and its events, oldest first, and false
// at the end or on an error (then in err).
func (it *historyIter) next() (string, []eventstore.Event, bool) {
	if it.err != nil {
		return "", nil, false
	}
	var h []eventstore.Event
	if !it.merging {
		if len(it.mem) == 0 {
			return "", nil, false
		}
		n := 1
		for n < len(it.mem) && it.mem[n].Stream == it.mem[0].Stream {
			n++
		}
		h, it.mem = it.mem[:n:n], it.mem[n:]
	} else {
		if len(it.heads) == 0 {
			return "", nil, false
		}
		stream := it.heads[0].cur.Stream
		for len(it.heads) > 0 && it.heads[0].cur.Stream == stream {
			r := it.heads[0]
			h = append(h, r.cur)
			if err := r.advance(); err != nil {
				it.err = err
				return "", nil, false
			}
			if r.ok {
				heap.Fix(&it.heads, 0)
			} else {
				heap.Pop(&it.heads)
			}
		}
	}
	id, _ := AssetID(h[0].Stream)
	return id, h, true
}

// runReader reads one spilled run; cur is its next event while ok.
type runReader struct {
	r    *bufio.Reader
	run  int
	cur  eventstore.Event
	ok   bool
	strs map[string]string // interned types, roles, organisations, regimes
}

// runHeap orders the runs' next events by stream, then by run: runs hold
// the log in order, so one stream's events come out in version order.
type runHeap []*runReader

func (h runHeap) Len() int { return len(h) }
func (h runHeap) Less(i, j int) bool {
	if c := strings.Compare(h[i].cur.Stream, h[j].cur.Stream); c != 0 {
		return c < 0
	}
	return h[i].run < h[j].run
}
func (h runHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)   { *h = append(*h, x.(*runReader)) }
func (h *runHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	*h = old[:len(old)-1]
	return r
}

// appendRecord appends what Decode needs of e: stream, version, position,
// type, recorded-at, effective date, actor, regime and payload.
func appendRecord(b []byte, e eventstore.Event) ([]byte, error) {
	str := func(s string) { b = binary.AppendUvarint(b, uint64(len(s))); b = append(b, s...) }
	str(e.Stream)
	b = binary.AppendUvarint(b, uint64(e.Version))
	b = binary.AppendUvarint(b, uint64(e.Position))
	str(e.Type)
	at, err := e.RecordedAt.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("spill event %d: %w", e.Position, err)
	}
	str(string(at))
	d := e.Metadata.EffectiveDate
	b = binary.AppendUvarint(b, uint64(d.Year()))
	b = binary.AppendUvarint(b, uint64(d.Month()))
	b = binary.AppendUvarint(b, uint64(d.Day()))
	str(e.Metadata.Actor.Role)
	str(e.Metadata.Actor.Org)
	str(e.Metadata.Regime)
	b = binary.AppendUvarint(b, uint64(len(e.Data)))
	return append(b, e.Data...), nil
}

// advance reads the run's next event into cur; ok is false at its end.
func (r *runReader) advance() error {
	bad := func(err error) error { return fmt.Errorf("read sorted events: %w", err) }
	n, err := binary.ReadUvarint(r.r)
	if err == io.EOF {
		r.ok, r.cur = false, eventstore.Event{}
		return nil
	}
	if err != nil {
		return bad(err)
	}
	bytesOf := func(n uint64) ([]byte, error) {
		p := make([]byte, n)
		_, err := io.ReadFull(r.r, p)
		return p, err
	}
	stream, err := bytesOf(n)
	if err != nil {
		return bad(err)
	}
	var e eventstore.Event
	e.Stream = string(stream)
	uv := func() uint64 {
		v, verr := binary.ReadUvarint(r.r)
		if verr != nil && err == nil {
			err = verr
		}
		return v
	}
	str := func() string {
		p, serr := bytesOf(uv())
		if serr != nil && err == nil {
			err = serr
		}
		s, ok := r.strs[string(p)]
		if !ok {
			s = string(p)
			r.strs[s] = s
		}
		return s
	}
	e.Version, e.Position = int64(uv()), int64(uv())
	e.Type = str()
	at, aerr := bytesOf(uv())
	if aerr == nil {
		aerr = e.RecordedAt.UnmarshalBinary(at)
	}
	if y, m, d := uv(), uv(), uv(); y != 0 {
		e.Metadata.EffectiveDate = domain.NewDate(int(y), time.Month(m), int(d))
	}
	e.Metadata.Actor.Role, e.Metadata.Actor.Org, e.Metadata.Regime = str(), str(), str()
	data, derr := bytesOf(uv())
	e.Data = data
	if err = errors.Join(err, aerr, derr); err != nil {
		return bad(err)
	}
	r.cur, r.ok = e, true
	return nil
}
