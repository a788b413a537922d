package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/acv-registry/acv/eventstore"
	"github.com/google/uuid"
	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Options configure a [Store]. The zero value uses the system clock.
type Options struct {
	// Now returns the current time; it stamps recorded_at.
	Now func() time.Time
	// Random is the source of the keys, key ids and nonces that seal
	// personal data; it must be safe for concurrent use. Default
	// crypto/rand; tests make it deterministic.
	Random io.Reader
}

// PageSize is the page size of a file this package creates, in bytes. It
// takes effect only when the file is new: an existing file keeps its own
// (docs/operations.md says how to convert one). SQLite's default, 4 KiB,
// holds one of the read models' typical 2-3 KiB rows a page and leaves the
// rest empty; at 16 KiB the read models of 10^6 events took 1.45 GB
// instead of 1.7, and their rebuild 35-38 s instead of 46, writing the WAL
// and checkpointing it in a quarter as many calls (docs/performance.md).
const PageSize = 16384

// Pragmas are the connection settings, in modernc's DSN form, of every
// connection to the store's file, for other packages' pools on it (the
// read models'): WAL, a long busy timeout, and NORMAL synchronous, safe in
// WAL mode. The page size is not among them: modernc runs a DSN's pragmas
// in alphabetical order, journal_mode before page_size, and the journal
// mode writes a new file's first page, which fixes its page size; so
// [Open] makes a new file with [CreateFile] first.
const Pragmas = "_pragma=journal_mode(WAL)&_pragma=busy_timeout(60000)&_pragma=synchronous(NORMAL)"

// CreateFile makes an empty SQLite file at path, in WAL mode with pages of
// pageSize bytes, unless a file is there already (which keeps its own).
func CreateFile(ctx context.Context, path string, pageSize int) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?_pragma=busy_timeout(60000)")
	if err != nil {
		return fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	defer conn.Close()
	for _, q := range []string{fmt.Sprintf(`PRAGMA page_size = %d`, pageSize), `PRAGMA journal_mode = WAL`} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("sqlite: create %s: %s: %w", path, q, err)
		}
	}
	return nil
}

// Store is the SQLite event log. It is safe for concurrent use.
type Store struct {
	path   string
	write  *sql.DB // one connection: SQLite's single writer
	read   *sql.DB
	turns  *turns // the file's writers' queue (turn.go)
	now    func() time.Time
	mu     sync.Mutex
	states map[string]*turns // by path: the queues of the state files' writers (state.go)
	random io.Reader         // nil: crypto/rand
	signal eventstore.Signal
}

var _ eventstore.Store = (*Store)(nil)

// poolConns is how many connections a pool of the store's opens at most,
// or keeps idle: the log's read pool, and the read models' and the state's
// ([Store.OpenReadModels], [Store.OpenState]). Two a core, and at least
// eight: SQLite reads on the caller's CPU, so more connections than that
// serve no more requests, and each keeps its page cache.
func poolConns() int { return max(8, 2*runtime.GOMAXPROCS(0)) }

// Open opens (creating if needed) the SQLite log at path, applies any
// pending migrations, and returns the store.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("sqlite: create directory for %s: %w", path, err)
		}
	}
	if err := CreateFile(ctx, path, PageSize); err != nil {
		return nil, err
	}
	pragmas := Pragmas + "&_pragma=foreign_keys(1)"
	u := "file:" + (&url.URL{Path: path}).EscapedPath()
	turns := newTurns()
	write, err := openDB(path, pragmas, turns, "")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	read, err := sql.Open("sqlite", u+"?"+pragmas+"&_pragma=query_only(1)&_pragma=mmap_size(2147418112)&_pragma=cache_size(-32768)")
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	read.SetMaxOpenConns(poolConns())
	read.SetMaxIdleConns(poolConns()) // kept, not opened again for each read (readmodels.go)
	s := &Store{path: path, write: write, read: read, turns: turns, now: opts.Now, random: opts.Random}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes both connection pools.
func (s *Store) Close() error {
	return errors.Join(s.read.Close(), s.write.Close())
}

// Changed returns a channel closed by the next append in this process.
// Appends by other processes on the same file are seen by polling.
func (s *Store) Changed() <-chan struct{} { return s.signal.Wait() }

// Migrate applies any pending migrations. [Open] calls it; it is exported
// for `acv migrate`. It is idempotent and runs under SQLite's write lock.
func (s *Store) Migrate(ctx context.Context) error { return s.migrate(ctx) }

func (s *Store) migrate(ctx context.Context) error { return migrate(ctx, s.write, s.now, 0) }

// migrate applies the pending migrations up to version upTo (0: all of
// them) through write, the write pool; tests stop early to build a store
// at an earlier layout.
func migrate(ctx context.Context, write *sql.DB, now func() time.Time, upTo int) error {
	ms, err := eventstore.LoadMigrations(migrationFiles, "migrations")
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	if upTo > 0 {
		ms = ms[:min(upTo, len(ms))]
	}
	tx, err := write.BeginTx(ctx, nil) // BEGIN IMMEDIATE: holds the write lock
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	for _, m := range ms[min(current, len(ms)):] {
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("sqlite: migration %s: %w", m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			m.Version, m.Name, now().UTC().Format(time.RFC3339)); err != nil {
			return fmt.Errorf("sqlite: record migration %s: %w", m.Name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	return nil
}

// Append implements [eventstore.Store.Append]. Like the PostgreSQL
// backend it writes with one INSERT statement (SQLite runs each statement
// as its own transaction), and lets the unique (stream_id, version)
// constraint turn a lost race into a conflict; with an expected version of
// [eventstore.Any] it retries a few times.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedVersion, events []eventstore.NewEvent) ([]int64, error) {
	positions, err := eventstore.AppendProtocol(stream, expected, events,
		func() ([]int64, error) { return s.append(ctx, s.write, stream, expected, events) },
		func() ([]eventstore.Event, error) { return s.eventsByID(ctx, events) })
	if err == nil && len(positions) > 0 {
		s.signal.Notify()
	}
	return positions, err
}

// AppendHook appends like [Store.Append] but inside an explicit transaction
// that calls beforeCommit after the rows are written; if it returns an error
// the transaction rolls back. Tests use it to hold a transaction open or roll
// it back; it does not resolve idempotent repeats.
func (s *Store) AppendHook(ctx context.Context, stream string, expected eventstore.ExpectedVersion, events []eventstore.NewEvent, beforeCommit func() error) ([]int64, error) {
	tx, err := s.write.BeginTx(ctx, nil) // BEGIN IMMEDIATE
	if err != nil {
		return nil, fmt.Errorf("append to %s: begin: %w", stream, err)
	}
	defer tx.Rollback()
	positions, err := s.append(ctx, tx, stream, expected, events)
	if err != nil {
		return nil, err
	}
	if beforeCommit != nil {
		if err := beforeCommit(); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("append to %s: commit: %w", stream, err)
	}
	s.signal.Notify()
	return positions, nil
}

// querier is what appends need of the write pool or a transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// maxRowsPerInsert keeps one INSERT under SQLite's limit of 32,766 bound
// parameters (16 a row).
const maxRowsPerInsert = 1000

func (s *Store) append(ctx context.Context, q querier, stream string, expected eventstore.ExpectedVersion, events []eventstore.NewEvent) ([]int64, error) {
	if len(events) > maxRowsPerInsert {
		if db, ok := q.(*sql.DB); ok { // several statements must share one transaction
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return nil, fmt.Errorf("append to %s: begin: %w", stream, err)
			}
			defer tx.Rollback()
			positions, err := s.append(ctx, tx, stream, expected, events)
			if err != nil {
				return nil, err
			}
			if err := tx.Commit(); err != nil {
				return nil, fmt.Errorf("append to %s: commit: %w", stream, err)
			}
			return positions, nil
		}
	}
	version, prevHash, err := head(ctx, q, stream, expected)
	if err != nil {
		return nil, err
	}
	prepared, err := eventstore.PrepareWithRandom(s.random, stream, version, prevHash, s.now(), events)
	if err != nil {
		return nil, err
	}
	if hasKeys(prepared) {
		if db, ok := q.(*sql.DB); ok { // the keys commit with the events, or neither does
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return nil, fmt.Errorf("append to %s: begin: %w", stream, err)
			}
			defer tx.Rollback()
			positions, err := s.insertAll(ctx, tx, stream, expected, prepared)
			if err != nil {
				return nil, err
			}
			if err := tx.Commit(); err != nil {
				return nil, fmt.Errorf("append to %s: commit: %w", stream, err)
			}
			return positions, nil
		}
	}
	return s.insertAll(ctx, q, stream, expected, prepared)
}

// insertKeys writes the data keys of ps, whose events are stored at
// positions (in the same order), with multi-row INSERTs (8 parameters a
// row, so 1000 rows stay under SQLite's limit).
func insertKeys(ctx context.Context, q querier, ps []eventstore.Prepared, positions []int64) error {
	var args []any
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		rows := strings.Repeat(",(?,?,?,?,?,?,?,?)", len(args)/8)[1:]
		_, err := q.ExecContext(ctx, `INSERT INTO personal_keys (key_id, subject, stream_id, event_id, position, fields, key, created_at) VALUES `+rows, args...)
		args = args[:0]
		return err
	}
	for i, p := range ps {
		for _, k := range p.Keys {
			args = append(args, k.ID.String(), k.Subject, p.Stream, k.EventID.String(), positions[i], k.FieldsJSON(), k.Key, p.RecordedAt.UnixMicro())
			if len(args) == 8*maxRowsPerInsert {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

// hasKeys reports whether any of ps holds personal data.
func hasKeys(ps []eventstore.Prepared) bool {
	for _, p := range ps {
		if len(p.Keys) > 0 {
			return true
		}
	}
	return false
}

// insertAll writes the rows of prepared and then their data keys, which
// take the rows' positions, through q (a transaction when there are keys).
func (s *Store) insertAll(ctx context.Context, q querier, stream string, expected eventstore.ExpectedVersion, prepared []eventstore.Prepared) ([]int64, error) {
	positions := make([]int64, 0, len(prepared))
	for chunk := range slices.Chunk(prepared, maxRowsPerInsert) {
		got, err := insert(ctx, q, chunk)
		if err != nil {
			switch {
			case isUnique(err, "events.event_id"):
				return nil, fmt.Errorf("append to %s: %w", stream, eventstore.ErrDuplicateID)
			case isUnique(err, "events.stream_id"):
				return nil, fmt.Errorf("append to %s at %s: %w", stream, expected, eventstore.ErrConflict)
			}
			return nil, fmt.Errorf("append to %s: insert: %w", stream, err)
		}
		positions = append(positions, got...)
	}
	if err := insertKeys(ctx, q, prepared, positions); err != nil {
		return nil, fmt.Errorf("append to %s: insert data keys: %w", stream, err)
	}
	return positions, nil
}

// head returns the version and hash the new events chain onto.
func head(ctx context.Context, q querier, stream string, expected eventstore.ExpectedVersion) (int64, []byte, error) {
	if expected == eventstore.NoStream {
		return 0, eventstore.ZeroHash(), nil // the unique constraint catches a stream that exists
	}
	var (
		version int64
		hash    []byte
		err     error
	)
	if expected == eventstore.Any {
		err = q.QueryRowContext(ctx, `SELECT version, hash FROM events WHERE stream_id = ? ORDER BY version DESC LIMIT 1`, stream).Scan(&version, &hash)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, eventstore.ZeroHash(), nil
		}
	} else {
		version = int64(expected)
		err = q.QueryRowContext(ctx, `SELECT hash FROM events WHERE stream_id = ? AND version = ?`, stream, version).Scan(&hash)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil, fmt.Errorf("append to %s: expected %s, stream has fewer events: %w", stream, expected, eventstore.ErrConflict)
		}
	}
	if err != nil {
		return 0, nil, fmt.Errorf("append to %s: read head: %w", stream, err)
	}
	return version, hash, nil
}

// insert writes rows with one multi-row INSERT and returns their positions.
// The rows take consecutive positions in VALUES order, ending at the last
// inserted rowid: the statement holds SQLite's one write lock, and
// AUTOINCREMENT gives each row the next position. Reading that rowid back
// costs nothing, where RETURNING cost a cursor over the returned rows:
// about a fifth of a single-event append's CPU time (docs/performance.md).
func insert(ctx context.Context, q querier, ps []eventstore.Prepared) ([]int64, error) {
	var b strings.Builder
	b.WriteString(`INSERT INTO events (` + columns + `) VALUES `)
	args := make([]any, 0, 16*len(ps))
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`)
		m := p.Metadata
		args = append(args, p.ID.String(), p.Stream, p.Version, p.Type, string(p.Data), p.RecordedAt.UnixMicro(),
			m.EffectiveDate.String(), m.Actor.Org, m.Actor.Role, m.Actor.TokenID, m.CorrelationID.String(), m.CausationID.String(),
			m.Regime, m.SchemaVersion, p.PrevHash, p.Hash)
	}
	res, err := q.ExecContext(ctx, b.String(), args...)
	if err != nil {
		return nil, err
	}
	last, err := res.LastInsertId()
	if err != nil {
		return nil, err
	}
	if n, err := res.RowsAffected(); err != nil || n != int64(len(ps)) {
		return nil, fmt.Errorf("inserted %d rows of %d (%v)", n, len(ps), err)
	}
	positions := make([]int64, len(ps))
	for i := range positions {
		positions[i] = last - int64(len(ps)-1-i)
	}
	return positions, nil
}

func isUnique(err error, column string) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE && strings.Contains(e.Error(), column)
}

// columns are the stored fields of an event, in the order inserts take them.
const columns = `event_id, stream_id, version, type, data, recorded_at, effective_date, actor_org, actor_role, actor_token, correlation_id, causation_id, regime, schema_version, prev_hash, hash`

func (s *Store) eventsByID(ctx context.Context, events []eventstore.NewEvent) ([]eventstore.Event, error) {
	var out []eventstore.Event
	for _, e := range events {
		got, err := s.query(ctx, eventstore.Opened, selectEvent+` WHERE event_id = ?`, e.ID.String())
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

// ReadStream implements [eventstore.Store.ReadStream].
func (s *Store) ReadStream(ctx context.Context, stream string, fromVersion int64, pd eventstore.PersonalData) ([]eventstore.Event, error) {
	events, err := s.query(ctx, pd, selectEvent+` WHERE stream_id = ? AND version >= ? ORDER BY version`, stream, fromVersion)
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, err)
	}
	return events, nil
}

// Horizon implements [eventstore.Store.Horizon]. SQLite has one writer at
// a time, and positions are given out in commit order, so the horizon is
// the last position stored.
func (s *Store) Horizon(ctx context.Context) (int64, error) {
	h, err := s.LastPosition(ctx)
	if err != nil {
		return 0, fmt.Errorf("horizon: %w", err)
	}
	return h, nil
}

// ReadStreams implements [eventstore.Store.ReadStreams], from the
// (stream_id, version) index: the global order is the positions' order.
func (s *Store) ReadStreams(ctx context.Context, upTo int64, after eventstore.StreamCursor, limit int, pd eventstore.PersonalData) ([]eventstore.Event, error) {
	if limit <= 0 {
		limit = 1000
	}
	if upTo <= 0 {
		return nil, nil
	}
	events, err := s.scanN(ctx, limit, selectEvent+` WHERE position <= ? AND (stream_id, version) > (?, ?)
		ORDER BY stream_id, version LIMIT ?`, upTo, after.Stream, after.Version, limit)
	if err == nil {
		err = eventstore.OpenEvents(ctx, events, pd.Lookup(s.streamKeys(events)))
	}
	if err != nil {
		return nil, fmt.Errorf("read streams up to %d after %s/%d: %w", upTo, after.Stream, after.Version, err)
	}
	// position <= upTo bounds nothing when upTo is past the end: check it
	// on the first page (and on an empty one).
	if after.Stream == "" || len(events) == 0 {
		if err := s.known(ctx, upTo); err != nil {
			return nil, fmt.Errorf("read streams up to %d: %w", upTo, err)
		}
	}
	return events, nil
}

// known returns an error matching [eventstore.ErrUnknownPosition] when no
// event is stored at position.
func (s *Store) known(ctx context.Context, position int64) error {
	var exists bool
	if err := s.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM events WHERE position = ?)`, position).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return fmt.Errorf("no event at position %d: %w", position, eventstore.ErrUnknownPosition)
	}
	return nil
}

// query runs q, which selects events, and gives their sealed personal
// data as pd says.
func (s *Store) query(ctx context.Context, pd eventstore.PersonalData, q string, args ...any) ([]eventstore.Event, error) {
	out, err := s.scanN(ctx, 0, q, args...)
	if err != nil {
		return nil, err
	}
	if err := eventstore.OpenEvents(ctx, out, pd.Lookup(s.keys)); err != nil {
		return nil, err
	}
	return out, nil
}

// scanN is query without opening sealed values, with room for n events
// made up front (n is the LIMIT).
func (s *Store) scanN(ctx context.Context, n int, q string, args ...any) ([]eventstore.Event, error) {
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]eventstore.Event, 0, min(n, 100_000))
	dec := newPageDecoder()
	for rows.Next() {
		var e eventstore.Event
		if err := dec.scan(rows, &e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// streamKeys is the [eventstore.KeyLookup] of a ReadStreams page, whose
// events are ordered by stream: every key of the page's streams, read as
// one range of personal_keys_stream (never cached, like [Store.keys]).
func (s *Store) streamKeys(page []eventstore.Event) eventstore.KeyLookup {
	return func(ctx context.Context, _ []uuid.UUID) (map[uuid.UUID][]byte, error) {
		out := map[uuid.UUID][]byte{}
		err := s.readKeys(ctx, `SELECT key_id, key FROM personal_keys WHERE stream_id BETWEEN ? AND ?`,
			[]any{page[0].Stream, page[len(page)-1].Stream}, out)
		return out, err
	}
}

// keys is the [eventstore.KeyLookup] of the store's readers: one query per
// page or stream read, never cached, so an erased key stops opening its
// values at once.
func (s *Store) keys(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]byte, error) {
	out := make(map[uuid.UUID][]byte, len(ids))
	for chunk := range slices.Chunk(ids, 500) { // under SQLite's limit of bound parameters
		var b strings.Builder
		args := make([]any, len(chunk))
		b.WriteString(`SELECT key_id, key FROM personal_keys WHERE key_id IN (`)
		for i, id := range chunk {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('?')
			args[i] = id.String()
		}
		b.WriteByte(')')
		if err := s.readKeys(ctx, b.String(), args, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) readKeys(ctx context.Context, q string, args []any, out map[uuid.UUID][]byte) error {
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id  string
			key []byte
		)
		if err := rows.Scan(&id, &key); err != nil {
			return err
		}
		kid, err := uuid.Parse(id)
		if err != nil {
			return fmt.Errorf("data key id %q: %w", id, err)
		}
		out[kid] = key
	}
	return rows.Err()
}

// Covers implements [eventstore.Store.Covers]: on SQLite the global order
// is position order.
func (s *Store) Covers(ctx context.Context, checkpoint, position int64) (bool, error) {
	if position <= 0 {
		return true, nil
	}
	var exists bool
	if err := s.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM events WHERE position = ?)`, position).Scan(&exists); err != nil {
		return false, fmt.Errorf("covers %d: %w", position, err)
	}
	if !exists {
		return false, fmt.Errorf("covers %d: %w", position, eventstore.ErrUnknownPosition)
	}
	return position <= checkpoint, nil
}

// LastPosition implements [eventstore.Store.LastPosition].
func (s *Store) LastPosition(ctx context.Context) (int64, error) {
	var last int64
	if err := s.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(position), 0) FROM events`).Scan(&last); err != nil {
		return 0, fmt.Errorf("last position: %w", err)
	}
	return last, nil
}

// Verify implements [eventstore.Store.Verify].
func (s *Store) Verify(ctx context.Context, stream string) (eventstore.VerifyReport, error) {
	return s.verify(ctx, `WHERE stream_id = ? ORDER BY version`, stream)
}

// VerifyAll implements [eventstore.Store.VerifyAll].
func (s *Store) VerifyAll(ctx context.Context) (eventstore.VerifyReport, error) {
	return s.verify(ctx, `ORDER BY stream_id, version`)
}

func (s *Store) verify(ctx context.Context, where string, args ...any) (eventstore.VerifyReport, error) {
	rows, err := s.read.QueryContext(ctx, selectEvent+` `+where, args...)
	if err != nil {
		return eventstore.VerifyReport{}, fmt.Errorf("verify: %w", err)
	}
	defer rows.Close()
	var v eventstore.ChainVerifier
	dec := newPageDecoder()
	for rows.Next() {
		var e eventstore.Event
		if err := dec.scan(rows, &e); err != nil {
			return eventstore.VerifyReport{}, fmt.Errorf("verify: %w", err)
		}
		v.Add(e.Stream, eventstore.StoredRow{ID: e.ID, Version: e.Version, Type: e.Type, RecordedAt: e.RecordedAt,
			Data: e.Data, Metadata: e.Metadata, PrevHash: e.PrevHash, Hash: e.Hash})
	}
	if err := rows.Err(); err != nil {
		return eventstore.VerifyReport{}, fmt.Errorf("verify: %w", err)
	}
	return v.Report, nil
}
