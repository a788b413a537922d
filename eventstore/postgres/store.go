package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// notifyChannel is the LISTEN/NOTIFY channel that tells other nodes the log grew.
const notifyChannel = "acv_events"

// migrationLock is the advisory lock key held while migrating ("acv-mig").
const migrationLock int64 = 0x6163762d6d6967

// Options configure a [Store]. The zero value is usable.
type Options struct {
	// Now returns the current time; it stamps recorded_at. Default time.Now.
	Now func() time.Time
	// Random is the source of the keys, key ids and nonces that seal
	// personal data; it must be safe for concurrent use. Default
	// crypto/rand; tests make it deterministic.
	Random io.Reader
	// Logger receives background errors (the listener reconnecting). Default: discard.
	Logger *slog.Logger
	// MaxConns caps the pool; default pgxpool's (the number of CPUs, at least 4).
	MaxConns int32
	// IdleInTransactionTimeout ends sessions left idle inside a transaction,
	// which would otherwise hold every reader's horizon back. Default 60s.
	IdleInTransactionTimeout time.Duration
	// Listen starts a LISTEN connection so appends on other nodes wake this
	// node's subscribers at once. Without it they are seen by polling.
	Listen bool
}

// Store is the PostgreSQL event log. It is safe for concurrent use, and many
// processes may share one database.
type Store struct {
	pool   *pgxpool.Pool
	now    func() time.Time
	random io.Reader // nil: crypto/rand
	log    *slog.Logger
	signal eventstore.Signal
	heads  headCache

	poke   chan struct{} // asks the notifier to send one NOTIFY
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

var _ eventstore.Store = (*Store)(nil)

// Open connects to the database at databaseURL, applies pending migrations
// and returns the store. Errors never contain the URL.
func Open(ctx context.Context, databaseURL string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, errors.New("postgres: the database URL cannot be parsed")
	}
	timeout := opts.IdleInTransactionTimeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	cfg.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"] = fmt.Sprint(timeout.Milliseconds())
	if cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = "acv"
	}
	// The registry's statements read a few rows by index, and none gained
	// from JIT compilation; but a prepared statement's generic plan can
	// estimate millions of rows (a consumer's page, "every event after the
	// offset", at 10^7 events), and then each execution compiled for
	// 20-70 ms to read nothing (docs/performance.md). A URL that sets jit
	// keeps its own.
	if cfg.ConnConfig.RuntimeParams["jit"] == "" {
		cfg.ConnConfig.RuntimeParams["jit"] = "off"
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", safe(err))
	}
	bg, cancel := context.WithCancel(context.Background())
	s := &Store{pool: pool, now: opts.Now, random: opts.Random, log: opts.Logger, poke: make(chan struct{}, 1), cancel: cancel}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.heads.init(100_000)
	if err := s.Migrate(ctx); err != nil {
		cancel()
		pool.Close()
		return nil, err
	}
	s.wg.Add(1)
	go s.notifier(bg)
	if opts.Listen {
		s.wg.Add(1)
		go s.listener(bg)
	}
	return s, nil
}

// Pool returns the store's connection pool, for components in the same
// process (projections, the bench baseline) that share the database.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Close stops the background goroutines and closes the pool.
func (s *Store) Close() error {
	s.cancel()
	s.wg.Wait()
	s.pool.Close()
	return nil
}

// Changed returns a channel closed by the next append in this process or,
// with [Options.Listen], the next NOTIFY from another node.
func (s *Store) Changed() <-chan struct{} { return s.signal.Wait() }

// Migrate applies any pending migrations in one transaction under an
// advisory lock, so nodes starting together migrate once. It is idempotent.
func (s *Store) Migrate(ctx context.Context) error { return migrate(ctx, s.pool, 0) }

// migrate applies the pending migrations up to version upTo (0: all of
// them); tests stop early to build a store at an earlier layout.
func migrate(ctx context.Context, pool *pgxpool.Pool, upTo int) error {
	ms, err := eventstore.LoadMigrations(migrationFiles, "migrations")
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	if upTo > 0 {
		ms = ms[:min(upTo, len(ms))]
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		var current int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
			return err
		}
		for _, m := range ms[min(current, len(ms)):] {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
				return fmt.Errorf("record migration %s: %w", m.Name, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", safe(err))
	}
	return nil
}

// querier is what appends need of a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Append implements [eventstore.Store.Append]. With an expected version of
// [eventstore.Any] it reads the head and retries a few times if another
// writer gets there first.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedVersion, events []eventstore.NewEvent) ([]int64, error) {
	positions, err := eventstore.AppendProtocol(stream, expected, events,
		func() ([]int64, error) {
			positions, head, err := s.append(ctx, s.pool, stream, expected, events)
			if err == nil {
				s.heads.put(stream, head.Version, head.Hash)
			}
			return positions, err
		},
		func() ([]eventstore.Event, error) { return s.eventsByID(ctx, events) })
	if err == nil && len(positions) > 0 {
		s.committed()
	}
	return positions, err
}

// AppendHook appends like [Store.Append] but inside an explicit transaction
// that calls beforeCommit after the rows are written; if it returns an error
// the transaction rolls back. Tests use it to hold a transaction open or roll
// it back; it does not resolve idempotent repeats.
func (s *Store) AppendHook(ctx context.Context, stream string, expected eventstore.ExpectedVersion, events []eventstore.NewEvent, beforeCommit func() error) ([]int64, error) {
	var (
		positions []int64
		head      eventstore.Prepared
	)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if positions, head, err = s.append(ctx, tx, stream, expected, events); err != nil {
			return err
		}
		if beforeCommit != nil {
			return beforeCommit()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.heads.put(stream, head.Version, head.Hash) // only once committed: a rolled-back head must never be chained onto
	s.committed()
	return positions, nil
}

func (s *Store) committed() {
	s.signal.Notify()
	select {
	case s.poke <- struct{}{}:
	default: // a NOTIFY is pending already
	}
}

// append writes events through q and returns their positions and the new
// head of the stream. The caller caches the head once the rows are committed.
func (s *Store) append(ctx context.Context, q querier, stream string, expected eventstore.ExpectedVersion, events []eventstore.NewEvent) ([]int64, eventstore.Prepared, error) {
	var none eventstore.Prepared
	prevVersion, prevHash, err := s.head(ctx, q, stream, expected)
	if err != nil {
		return nil, none, err
	}
	prepared, err := eventstore.PrepareWithRandom(s.random, stream, prevVersion, prevHash, s.now(), events)
	if err != nil {
		return nil, none, err
	}
	positions, err := insert(ctx, q, prepared)
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			if pgErr.ConstraintName == "events_event_id_key" {
				return nil, none, fmt.Errorf("append to %s: %w", stream, eventstore.ErrDuplicateID)
			}
			return nil, none, fmt.Errorf("append to %s at %s: %w", stream, expected, eventstore.ErrConflict)
		}
		return nil, none, fmt.Errorf("append to %s: %w", stream, safe(err))
	}
	return positions, prepared[len(prepared)-1], nil
}

// head returns the version and hash the new events chain onto.
func (s *Store) head(ctx context.Context, q querier, stream string, expected eventstore.ExpectedVersion) (int64, []byte, error) {
	switch {
	case expected == eventstore.NoStream:
		return 0, eventstore.ZeroHash(), nil
	case expected == eventstore.Any:
		var (
			v int64
			h []byte
		)
		err := q.QueryRow(ctx, `SELECT version, hash FROM events WHERE stream_id = $1 ORDER BY version DESC LIMIT 1`, stream).Scan(&v, &h)
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, eventstore.ZeroHash(), nil
		}
		if err != nil {
			return 0, nil, fmt.Errorf("append to %s: read head: %w", stream, safe(err))
		}
		return v, h, nil
	}
	v := int64(expected)
	if h, ok := s.heads.get(stream, v); ok {
		return v, h, nil
	}
	var h []byte
	err := q.QueryRow(ctx, `SELECT hash FROM events WHERE stream_id = $1 AND version = $2`, stream, v).Scan(&h)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil, fmt.Errorf("append to %s: expected %s, stream has fewer events: %w", stream, expected, eventstore.ErrConflict)
	}
	if err != nil {
		return 0, nil, fmt.Errorf("append to %s: read head: %w", stream, safe(err))
	}
	s.heads.put(stream, v, h)
	return v, h, nil
}

// columns are the stored fields of an event, in the order inserts take them.
const columns = `event_id, stream_id, version, type, data, recorded_at, effective_date, actor_org, actor_role, actor_token, correlation_id, causation_id, regime, schema_version, prev_hash, hash`

const insertOne = `INSERT INTO events (` + columns + `)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`

const insertMany = `INSERT INTO events (` + columns + `)
SELECT e.id, $1, e.version, e.type, e.data, $2, e.effective_date, e.actor_org, e.actor_role, e.actor_token,
    e.correlation_id, e.causation_id, e.regime, e.schema_version, e.prev_hash, e.hash
FROM unnest($3::uuid[], $4::bigint[], $5::text[], $6::jsonb[], $7::date[], $8::text[], $9::text[], $10::text[],
    $11::uuid[], $12::uuid[], $13::text[], $14::integer[], $15::bytea[], $16::bytea[])
    WITH ORDINALITY AS e(id, version, type, data, effective_date, actor_org, actor_role, actor_token,
        correlation_id, causation_id, regime, schema_version, prev_hash, hash, n)
ORDER BY e.n`

// withKeys makes an insert of events (without its RETURNING) also insert
// the data keys that seal their personal data, each with the position of
// its event as the insert returns it, so that keys and events commit in
// one statement. Its parameters follow the insert's sixteen; created_at is
// the recording time, parameter recordedAt.
func withKeys(insert string, recordedAt int) string {
	return `WITH ev AS (` + insert + ` RETURNING position, event_id),
keys AS (INSERT INTO personal_keys (key_id, subject, stream_id, event_id, position, fields, key, created_at)
	SELECT k.key_id, k.subject, k.stream_id, k.event_id, ev.position, k.fields, k.key, $` + fmt.Sprint(recordedAt) + `
	FROM unnest($17::uuid[], $18::text[], $19::text[], $20::uuid[], $21::text[], $22::bytea[])
	    AS k(key_id, subject, stream_id, event_id, fields, key)
	JOIN ev ON ev.event_id = k.event_id)
SELECT position FROM ev`
}

var (
	insertOneReturning  = insertOne + ` RETURNING position`
	insertManyReturning = insertMany + `
RETURNING position`
	insertOneWithKeys  = withKeys(insertOne, 6)
	insertManyWithKeys = withKeys(insertMany, 2)
)

// keyArgs are the parameters of [withKeys] for the keys of ps; nil when
// no event holds personal data, which keeps the plain insert.
func keyArgs(ps []eventstore.Prepared) []any {
	var (
		ids, events      [][16]byte // pgx's binary path, as in insert
		subjects, fields []string
		streams          []string
		keys             [][]byte
	)
	for _, p := range ps {
		for _, k := range p.Keys {
			ids, events = append(ids, k.ID), append(events, k.EventID)
			subjects, streams, fields = append(subjects, k.Subject), append(streams, p.Stream), append(fields, k.FieldsJSON())
			keys = append(keys, k.Key)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return []any{ids, subjects, streams, events, fields, keys}
}

func insert(ctx context.Context, q querier, ps []eventstore.Prepared) ([]int64, error) {
	keys := keyArgs(ps)
	if len(ps) == 1 {
		p, m := ps[0], ps[0].Metadata
		if pool, ok := q.(*pgxpool.Pool); ok && keys == nil {
			pos, err := insertOneBinary(ctx, pool, p)
			if !errors.Is(err, errNotDescribed) {
				return []int64{pos}, err
			}
		}
		var pos int64
		// UUIDs go as [16]byte: pgx's binary path, not uuid.UUID's text Valuer.
		args := []any{[16]byte(p.ID), p.Stream, p.Version, p.Type, string(p.Data), p.RecordedAt,
			date(m.EffectiveDate), m.Actor.Org, m.Actor.Role, m.Actor.TokenID, [16]byte(m.CorrelationID), [16]byte(m.CausationID),
			m.Regime, m.SchemaVersion, p.PrevHash, p.Hash}
		sql := insertOneReturning
		if keys != nil {
			sql, args = insertOneWithKeys, append(args, keys...)
		}
		err := q.QueryRow(ctx, sql, args...).Scan(&pos)
		return []int64{pos}, err
	}
	n := len(ps)
	// UUIDs go as [16]byte here too: as uuid.UUID, pgx encoded each
	// element through its text Valuer and parsed it back, which took half
	// the Go time of a 100-event append (docs/performance.md).
	var (
		ids, corr, caus       = make([][16]byte, n), make([][16]byte, n), make([][16]byte, n)
		versions              = make([]int64, n)
		types, datas, regimes = make([]string, n), make([]string, n), make([]string, n)
		orgs, roles, tokens   = make([]string, n), make([]string, n), make([]string, n)
		dates                 = make([]pgtype.Date, n)
		schemas               = make([]int32, n)
		prevs, hashes         = make([][]byte, n), make([][]byte, n)
	)
	for i, p := range ps {
		m := p.Metadata
		ids[i], versions[i], types[i], datas[i] = p.ID, p.Version, p.Type, string(p.Data)
		dates[i], orgs[i], roles[i], tokens[i] = date(m.EffectiveDate), m.Actor.Org, m.Actor.Role, m.Actor.TokenID
		corr[i], caus[i], regimes[i], schemas[i] = m.CorrelationID, m.CausationID, m.Regime, int32(m.SchemaVersion)
		prevs[i], hashes[i] = p.PrevHash, p.Hash
	}
	args := []any{ps[0].Stream, ps[0].RecordedAt, ids, versions, types, datas,
		dates, orgs, roles, tokens, corr, caus, regimes, schemas, prevs, hashes}
	sql := insertManyReturning
	if keys != nil {
		sql, args = insertManyWithKeys, append(args, keys...)
	}
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	positions, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, err
	}
	// Identity values are drawn in the ORDER BY order; sort defensively in
	// case RETURNING ever reports rows in another order.
	slices.Sort(positions)
	return positions, nil
}

// date converts a civil date to PostgreSQL's; the zero date is NULL.
func date(d domain.Date) pgtype.Date {
	if d.IsZero() {
		return pgtype.Date{}
	}
	return pgtype.Date{Time: time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC), Valid: true}
}

func civil(d pgtype.Date) domain.Date {
	if !d.Valid {
		return domain.Date{}
	}
	return domain.NewDate(d.Time.Year(), d.Time.Month(), d.Time.Day())
}

const selectEvent = `SELECT position, ` + columns + ` FROM events`

func (s *Store) eventsByID(ctx context.Context, events []eventstore.NewEvent) ([]eventstore.Event, error) {
	ids := make([]uuid.UUID, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	out, err := s.query(ctx, eventstore.Opened, selectEvent+` WHERE event_id = ANY($1) ORDER BY position`, ids)
	if err != nil {
		return nil, fmt.Errorf("look up event ids: %w", err)
	}
	return out, nil
}

// ReadStream implements [eventstore.Store.ReadStream].
func (s *Store) ReadStream(ctx context.Context, stream string, fromVersion int64, pd eventstore.PersonalData) ([]eventstore.Event, error) {
	events, err := s.query(ctx, pd, selectEvent+` WHERE stream_id = $1 AND version >= $2 ORDER BY version`, stream, fromVersion)
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, err)
	}
	if n := len(events); n > 0 {
		s.heads.put(stream, events[n-1].Version, events[n-1].Hash)
	}
	return events, nil
}

// readAllChunk is how many events of a ReadAll page are opened at a time,
// each chunk with one query for its keys.
const readAllChunk = 1000

// ReadAll implements [eventstore.Store.ReadAll]: rows below the horizon of
// the oldest running transaction, in (tx_id, position) order, after the row
// at position after.
//
// The page's sealed values are opened while its rows are read
// ([eventstore.ReadOpening]): each chunk of the page as it comes, with its
// keys read on another connection (so the database serves the keys while
// it still sends rows), never cached, so an erased key stops opening its
// values at once.
func (s *Store) ReadAll(ctx context.Context, after int64, limit int) ([]eventstore.Event, error) {
	if limit <= 0 {
		limit = 1000
	}
	// An uncorrelated subquery: computed once per statement (an InitPlan)
	// and usable as an index bound, not re-evaluated on every row.
	const horizon = `tx_id < (SELECT pg_snapshot_xmin(pg_current_snapshot()))`
	q, args := selectEvent+` WHERE `+horizon+` ORDER BY tx_id, position LIMIT $1`, []any{limit}
	if after > 0 {
		q, args = selectEvent+` WHERE (tx_id, position) > (SELECT tx_id, position FROM events WHERE position = $1)
			AND `+horizon+` ORDER BY tx_id, position LIMIT $2`, []any{after, limit}
	}
	events, err := eventstore.ReadOpening(ctx, limit, readAllChunk,
		func(ctx context.Context, next func() *eventstore.Event) error {
			return scanInto(ctx, s.pool, next, q, args...)
		},
		func() eventstore.ChunkOpener {
			return eventstore.ChunkOpenerFunc(func(ctx context.Context, _ int, chunk []eventstore.Event) error {
				return safe(eventstore.OpenEvents(ctx, chunk, s.positionKeys(chunk)))
			})
		})
	if err != nil {
		return nil, fmt.Errorf("read all after %d: %w", after, err)
	}
	if len(events) == 0 && after > 0 {
		var exists bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM events WHERE position = $1)`, after).Scan(&exists); err != nil {
			return nil, fmt.Errorf("read all after %d: %w", after, safe(err))
		}
		if !exists {
			return nil, fmt.Errorf("read all after %d: no event at that position: %w", after, eventstore.ErrUnknownPosition)
		}
	}
	return events, nil
}

// Horizon implements [eventstore.Store.Horizon]: the last event in (tx_id,
// position) order below the horizon of the oldest running transaction,
// read backwards off events_tx_position.
func (s *Store) Horizon(ctx context.Context) (int64, error) {
	var h int64
	err := s.pool.QueryRow(ctx, `SELECT COALESCE((SELECT position FROM events
		WHERE tx_id < (SELECT pg_snapshot_xmin(pg_current_snapshot()))
		ORDER BY tx_id DESC, position DESC LIMIT 1), 0)`).Scan(&h)
	if err != nil {
		return 0, fmt.Errorf("horizon: %w", safe(err))
	}
	return h, nil
}

// readStreamsSQL is a page of ReadStreams: $1 upTo, $2 and $3 the cursor,
// $4 the limit. It runs in [Store.unsorted] (TestReadStreamsPlan).
const readStreamsSQL = selectEvent + ` WHERE (tx_id, position) <= (SELECT tx_id, position FROM events WHERE position = $1)
	AND (stream_id, version) > ($2, $3) ORDER BY stream_id, version LIMIT $4`

// unsorted runs f in a read-only transaction whose planner does not sort
// unless it must.
func (s *Store) unsorted(ctx context.Context, f func(tx pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL enable_sort = off`); err != nil {
			return err
		}
		return f(tx)
	})
}

// ReadStreams implements [eventstore.Store.ReadStreams], from the
// (stream_id, version) index. The events at or before upTo in the global
// order are those whose (tx_id, position) is at most upTo's: every
// transaction with a tx_id at most upTo's had ended when upTo was below
// the horizon, so the set no longer changes.
func (s *Store) ReadStreams(ctx context.Context, upTo int64, after eventstore.StreamCursor, limit int, pd eventstore.PersonalData) ([]eventstore.Event, error) {
	if limit <= 0 {
		limit = 1000
	}
	if upTo <= 0 {
		return nil, nil
	}
	// The planner, counting on a third of the log to be at or before
	// upTo, would read all of it by events_tx_position and sort it by
	// stream for every page: with sorting off it walks the (stream_id,
	// version) index from the cursor and stops at the page's end.
	var events []eventstore.Event
	err := s.unsorted(ctx, func(tx pgx.Tx) error {
		var err error
		events, err = scanN(ctx, tx, limit, readStreamsSQL, upTo, after.Stream, after.Version, limit)
		return err
	})
	if err == nil {
		err = eventstore.OpenEvents(ctx, events, pd.Lookup(s.streamKeys(events)))
	}
	if err != nil {
		return nil, fmt.Errorf("read streams up to %d after %s/%d: %w", upTo, after.Stream, after.Version, safe(err))
	}
	if len(events) == 0 {
		var exists bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM events WHERE position = $1)`, upTo).Scan(&exists); err != nil {
			return nil, fmt.Errorf("read streams up to %d: %w", upTo, safe(err))
		}
		if !exists {
			return nil, fmt.Errorf("read streams up to %d: no event at that position: %w", upTo, eventstore.ErrUnknownPosition)
		}
	}
	return events, nil
}

// query runs q, which selects events, and gives their sealed personal
// data as pd says.
func (s *Store) query(ctx context.Context, pd eventstore.PersonalData, q string, args ...any) ([]eventstore.Event, error) {
	out, err := scanN(ctx, s.pool, 0, q, args...)
	if err != nil {
		return nil, err
	}
	if err := eventstore.OpenEvents(ctx, out, pd.Lookup(s.keys)); err != nil {
		return nil, safe(err)
	}
	return out, nil
}

// scanN is query on x (the pool or a transaction) without opening
// sealed values.
func scanN(ctx context.Context, x queryer, n int, q string, args ...any) ([]eventstore.Event, error) {
	out := make([]eventstore.Event, 0, min(n, 100_000))
	err := scanInto(ctx, x, func() *eventstore.Event {
		out = append(out, eventstore.Event{})
		return &out[len(out)-1]
	}, q, args...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// queryer is the pool or a transaction.
type queryer interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}

// scanInto runs q on x and decodes each event it selects into the slot
// next returns, until next returns nil.
func scanInto(ctx context.Context, x queryer, next func() *eventstore.Event, q string, args ...any) error {
	rows, err := x.Query(ctx, q, args...)
	if err != nil {
		return safe(err)
	}
	defer rows.Close()
	var dec pageDecoder
	for rows.Next() {
		e := next()
		if e == nil {
			return nil
		}
		err := dec.decode(rows, e)
		if errors.Is(err, errBinaryOnly) {
			err = scanEvent(rows, e)
		}
		if err != nil {
			return safe(err)
		}
	}
	return safe(rows.Err())
}

// streamKeys is the [eventstore.KeyLookup] of a ReadStreams page, whose
// events are ordered by stream: every key of the page's streams, read as
// one range of personal_keys_stream (never cached, like [Store.keys]).
func (s *Store) streamKeys(page []eventstore.Event) eventstore.KeyLookup {
	return func(ctx context.Context, _ []uuid.UUID) (map[uuid.UUID][]byte, error) {
		return s.readKeys(ctx, `SELECT key_id, key FROM personal_keys WHERE stream_id BETWEEN $1 AND $2`,
			page[0].Stream, page[len(page)-1].Stream)
	}
}

// readAllKeysSQL selects the keys of the events at positions $1 to $2:
// one range of personal_keys_position, which holds the keys
// (TestReadAllKeysPlan).
const readAllKeysSQL = `SELECT key_id, key FROM personal_keys WHERE position BETWEEN $1 AND $2`

// readAllKeysAtSQL selects the keys of the events at the positions $1.
const readAllKeysAtSQL = `SELECT key_id, key FROM personal_keys WHERE position = ANY($1)`

// positionKeys is the [eventstore.KeyLookup] of a chunk of a ReadAll page:
// every key of the chunk's events, never cached (like [Store.keys]). The
// page is in (tx_id, position) order, which is position order but where
// transactions overlapped, so the chunk's keys are read as one range of
// personal_keys_position from its least position to its greatest, unless
// the range is much wider than the chunk (a transaction that wrote long
// after it began), when its positions are looked up one by one. The ids
// still missing then are looked up by id: keys erased since, or written
// without a position by a node of the version before migration 0004.
func (s *Store) positionKeys(chunk []eventstore.Event) eventstore.KeyLookup {
	return func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]byte, error) {
		lo, hi := chunk[0].Position, chunk[0].Position
		for _, e := range chunk[1:] {
			lo, hi = min(lo, e.Position), max(hi, e.Position)
		}
		var (
			keys map[uuid.UUID][]byte
			err  error
		)
		if hi-lo < 2*int64(len(chunk))+1000 {
			keys, err = s.readKeys(ctx, readAllKeysSQL, lo, hi)
		} else {
			positions := make([]int64, len(chunk))
			for i, e := range chunk {
				positions[i] = e.Position
			}
			keys, err = s.readKeys(ctx, readAllKeysAtSQL, positions)
		}
		if err != nil {
			return nil, err
		}
		var missing []uuid.UUID
		for _, id := range ids {
			if _, ok := keys[id]; !ok {
				missing = append(missing, id)
			}
		}
		if len(missing) == 0 {
			return keys, nil
		}
		more, err := s.keys(ctx, missing)
		if err != nil {
			return nil, err
		}
		maps.Copy(keys, more)
		return keys, nil
	}
}

// keys is the [eventstore.KeyLookup] of the store's readers: one query per
// page or stream read, never cached, so a key erased by any node stops
// opening its values at once.
func (s *Store) keys(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]byte, error) {
	return s.readKeys(ctx, `SELECT key_id, key FROM personal_keys WHERE key_id = ANY($1)`, ids)
}

// readKeys runs q, which selects key ids and keys, into a map.
func (s *Store) readKeys(ctx context.Context, q string, args ...any) (map[uuid.UUID][]byte, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, safe(err)
	}
	defer rows.Close()
	out := map[uuid.UUID][]byte{}
	for rows.Next() {
		var (
			id  [16]byte
			key []byte
		)
		if err := rows.Scan(&id, &key); err != nil {
			return nil, safe(err)
		}
		out[uuid.UUID(id)] = key
	}
	return out, safe(rows.Err())
}

// scanEvent scans a row of selectEvent.
func scanEvent(rows interface{ Scan(dest ...any) error }, e *eventstore.Event) error {
	var (
		d pgtype.Date
		m = &e.Metadata
	)
	// UUIDs scan as [16]byte: pgx's binary path, not uuid.UUID's text Scanner.
	err := rows.Scan(&e.Position, (*[16]byte)(&e.ID), &e.Stream, &e.Version, &e.Type, &e.Data, &e.RecordedAt,
		&d, &m.Actor.Org, &m.Actor.Role, &m.Actor.TokenID, (*[16]byte)(&m.CorrelationID), (*[16]byte)(&m.CausationID),
		&m.Regime, &m.SchemaVersion, &e.PrevHash, &e.Hash)
	m.EffectiveDate = civil(d)
	e.RecordedAt = e.RecordedAt.UTC()
	return err
}

// Covers implements [eventstore.Store.Covers] in (tx_id, position) order.
func (s *Store) Covers(ctx context.Context, checkpoint, position int64) (bool, error) {
	if position <= 0 {
		return true, nil
	}
	var covered *bool
	err := s.pool.QueryRow(ctx, `SELECT (e.tx_id, e.position) <= (c.tx_id, c.position)
		FROM events e LEFT JOIN events c ON c.position = $2 WHERE e.position = $1`, position, checkpoint).Scan(&covered)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, fmt.Errorf("covers %d: %w", position, eventstore.ErrUnknownPosition)
	}
	if err != nil {
		return false, fmt.Errorf("covers %d: %w", position, safe(err))
	}
	return covered != nil && *covered, nil // no event at checkpoint (0): nothing is covered
}

// LastPosition implements [eventstore.Store.LastPosition].
func (s *Store) LastPosition(ctx context.Context) (int64, error) {
	var last int64
	if err := s.pool.QueryRow(ctx, `SELECT COALESCE(max(position), 0) FROM events`).Scan(&last); err != nil {
		return 0, fmt.Errorf("last position: %w", safe(err))
	}
	return last, nil
}

// Verify implements [eventstore.Store.Verify].
func (s *Store) Verify(ctx context.Context, stream string) (eventstore.VerifyReport, error) {
	return s.verify(ctx, `WHERE stream_id = $1 ORDER BY version`, stream)
}

// VerifyAll implements [eventstore.Store.VerifyAll]. It streams the log in
// (stream, version) order, holding one row at a time.
func (s *Store) VerifyAll(ctx context.Context) (eventstore.VerifyReport, error) {
	return s.verify(ctx, `ORDER BY stream_id, version`)
}

func (s *Store) verify(ctx context.Context, where string, args ...any) (eventstore.VerifyReport, error) {
	rows, err := s.pool.Query(ctx, `SELECT position, `+columns+` FROM events `+where, args...)
	if err != nil {
		return eventstore.VerifyReport{}, fmt.Errorf("verify: %w", safe(err))
	}
	defer rows.Close()
	var v eventstore.ChainVerifier
	for rows.Next() {
		var e eventstore.Event
		if err := scanEvent(rows, &e); err != nil {
			return eventstore.VerifyReport{}, fmt.Errorf("verify: %w", safe(err))
		}
		v.Add(e.Stream, eventstore.StoredRow{ID: e.ID, Version: e.Version, Type: e.Type, RecordedAt: e.RecordedAt,
			Data: e.Data, Metadata: e.Metadata, PrevHash: e.PrevHash, Hash: e.Hash})
	}
	if err := rows.Err(); err != nil {
		return eventstore.VerifyReport{}, fmt.Errorf("verify: %w", safe(err))
	}
	return v.Report, nil
}

// notifyEvery is the least time between two NOTIFYs: under load one
// NOTIFY covers every commit in the interval, so waking other nodes costs
// the database at most 200 small transactions a second, and a node hears
// of another's append within notifyEvery plus a round trip.
const notifyEvery = 5 * time.Millisecond

// notifier sends one NOTIFY per burst of local commits, off the append path.
func (s *Store) notifier(ctx context.Context) {
	defer s.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.poke:
		}
		if _, err := s.pool.Exec(ctx, `SELECT pg_notify($1, '')`, notifyChannel); err != nil && ctx.Err() == nil {
			s.log.Warn("notify other nodes", "err", safe(err))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(notifyEvery):
		}
	}
}

// listener wakes local subscribers when another node appends.
func (s *Store) listener(ctx context.Context) {
	defer s.wg.Done()
	for ctx.Err() == nil {
		err := s.listen(ctx)
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("listen for other nodes' appends; reconnecting", "err", safe(err))
		s.signal.Notify() // we may have missed notifications: let subscribers look
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (s *Store) listen(ctx context.Context) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return err
	}
	for {
		if _, err := conn.Conn().WaitForNotification(ctx); err != nil {
			conn.Conn().Close(context.Background()) // don't hand a half-read connection back to the pool
			return err
		}
		s.signal.Notify()
	}
}

// safe strips anything from a driver error that could reveal the connection
// string: pgx connect errors name the host, user and database.
func safe(err error) error {
	if err == nil {
		return nil
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return errors.New("cannot connect to the database")
	}
	if strings.Contains(err.Error(), "postgres://") || strings.Contains(err.Error(), "password") {
		return errors.New("database error (details withheld: they name the connection)")
	}
	return err
}

// headCache remembers the hash of a stream's latest known version. Entries
// never go stale: the hash of version v of a stream never changes; a newer
// version elsewhere shows up as a unique violation on insert.
type headCache struct {
	mu    sync.Mutex
	max   int
	heads map[string]cachedHead
}

type cachedHead struct {
	version int64
	hash    []byte
}

func (c *headCache) init(max int) { c.max, c.heads = max, make(map[string]cachedHead) }

func (c *headCache) get(stream string, version int64) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.heads[stream]
	if !ok || h.version != version {
		return nil, false
	}
	return h.hash, true
}

func (c *headCache) put(stream string, version int64, hash []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if h, ok := c.heads[stream]; ok && h.version > version {
		return
	}
	if len(c.heads) >= c.max {
		clear(c.heads) // crude but bounded; a miss costs one indexed read
	}
	c.heads[stream] = cachedHead{version, hash}
}
