package eventstorebench

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/postgres"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
)

// createRaw makes raw_events empty, with events' columns, defaults,
// identity, checks and indexes.
const createRaw = `DROP TABLE IF EXISTS raw_events; CREATE TABLE raw_events (LIKE events INCLUDING ALL)`

// Postgres returns the raw baseline of s: raw_events is created LIKE
// events INCLUDING ALL (same columns, defaults and indexes) and written
// through the store's own pool. A raw_events left by an earlier run is
// dropped first.
func Postgres(ctx context.Context, s *postgres.Store) (Baseline, error) {
	pool := s.Pool()
	if _, err := pool.Exec(ctx, createRaw); err != nil {
		return Baseline{}, fmt.Errorf("baseline: create raw_events: %w", err)
	}
	insert := func(ctx context.Context, stream string, es []eventstore.NewEvent) error {
		var q strings.Builder
		q.WriteString(`INSERT INTO raw_events (` + rawColumns + `) VALUES `)
		args := make([]any, 0, 16*len(es))
		for i, e := range es {
			if i > 0 {
				q.WriteString(",")
			}
			q.WriteString("(")
			for c := 1; c <= 16; c++ {
				if c > 1 {
					q.WriteString(",")
				}
				fmt.Fprintf(&q, "$%d", 16*i+c)
			}
			q.WriteString(")")
			args = append(args, pgArgs(e, stream, int64(i+1))...)
		}
		_, err := pool.Exec(ctx, q.String(), args...)
		return err
	}
	copyIn := func(ctx context.Context, stream string, es []eventstore.NewEvent) error {
		rows := make([][]any, len(es))
		for i, e := range es {
			rows[i] = pgArgs(e, stream, int64(i+1))
		}
		_, err := pool.CopyFrom(ctx, pgx.Identifier{"raw_events"}, strings.Split(strings.ReplaceAll(rawColumns, " ", ""), ","), pgx.CopyFromRows(rows))
		return err
	}
	return Baseline{
		InsertOne: func(ctx context.Context, stream string, e eventstore.NewEvent) error {
			return insert(ctx, stream, []eventstore.NewEvent{e})
		},
		InsertBatch: map[string]func(context.Context, string, []eventstore.NewEvent) error{"raw-insert": insert, "raw-copy": copyIn},
		// A freshly seeded table is read as a long-running database would hold it.
		AfterSeed: func(ctx context.Context) error { _, err := pool.Exec(ctx, `VACUUM ANALYZE events`); return err },
		Room:      func(ctx context.Context) (int64, int64, error) { return pgRoom(ctx, pool) },
		CopyLog:   func(ctx context.Context) (int64, error) { return pgCopyLog(ctx, pool) },
		Reset: func(ctx context.Context) error {
			if _, err := pool.Exec(ctx, createRaw); err != nil {
				return fmt.Errorf("baseline: empty raw_events: %w", err)
			}
			return nil
		},
		ReadAll: func(ctx context.Context) (int, error) {
			rows, err := pool.Query(ctx, `SELECT position, `+rawColumns+` FROM events ORDER BY position`)
			if err != nil {
				return 0, err
			}
			defer rows.Close()
			n := 0
			for rows.Next() {
				var (
					e eventstore.Event
					d pgtype.Date
					m = &e.Metadata
				)
				if err := rows.Scan(&e.Position, (*[16]byte)(&e.ID), &e.Stream, &e.Version, &e.Type, &e.Data, &e.RecordedAt, &d,
					&m.Actor.Org, &m.Actor.Role, &m.Actor.TokenID, (*[16]byte)(&m.CorrelationID), (*[16]byte)(&m.CausationID),
					&m.Regime, &m.SchemaVersion, &e.PrevHash, &e.Hash); err != nil {
					return n, err
				}
				n++
			}
			return n, rows.Err()
		},
		Warm: func(ctx context.Context, table string) error { return warmTable(ctx, pool, table) },
		Close: func(ctx context.Context) error {
			_, err := pool.Exec(ctx, `DROP TABLE IF EXISTS raw_events`)
			return err
		},
	}, nil
}

// rawIndexes lists how to drop and how to build again each index of
// raw_events, as PostgreSQL itself describes them: the primary key and
// unique constraints, then the plain indexes.
const rawIndexes = `SELECT format('ALTER TABLE raw_events DROP CONSTRAINT %I', conname),
    format('ALTER TABLE raw_events ADD CONSTRAINT %I %s', conname, pg_get_constraintdef(oid))
FROM pg_constraint WHERE conrelid = 'raw_events'::regclass AND contype IN ('p', 'u', 'x')
UNION ALL
SELECT format('DROP INDEX %s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid)
FROM pg_index i WHERE i.indrelid = 'raw_events'::regclass
    AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)`

// pgCopyLog is [Baseline.CopyLog]: in one transaction (so a failure,
// a full disk included, leaves nothing behind) raw_events is created as
// events' twin, its indexes dropped, every row of events copied in and
// the indexes built again; then it is vacuumed and analysed, and a
// checkpoint writes the copy out, so that no flush of it lands inside a
// measurement. The copy keeps each row's tx_id, so the (tx_id, position)
// index has the log's shape; positions are drawn afresh in the same order.
func pgCopyLog(ctx context.Context, pool *pgxpool.Pool) (int64, error) {
	var n int64
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		// Sort more of each index in memory than the default 64 MB.
		if _, err := tx.Exec(ctx, `SET LOCAL maintenance_work_mem = '256MB'; `+createRaw); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, rawIndexes)
		if err != nil {
			return err
		}
		type index struct{ drop, build string }
		indexes, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (index, error) {
			var ix index
			return ix, row.Scan(&ix.drop, &ix.build)
		})
		if err != nil {
			return err
		}
		for _, ix := range indexes {
			if _, err := tx.Exec(ctx, ix.drop); err != nil {
				return err
			}
		}
		tag, err := tx.Exec(ctx, `INSERT INTO raw_events (tx_id, `+rawColumns+`) SELECT tx_id, `+rawColumns+` FROM events`)
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		for _, ix := range indexes {
			if _, err := tx.Exec(ctx, ix.build); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("baseline: copy the log into raw_events: %w", err)
	}
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE raw_events`); err != nil {
		return 0, fmt.Errorf("baseline: vacuum raw_events: %w", err)
	}
	// CHECKPOINT needs a superuser or pg_checkpoint; without it the copy
	// is flushed by the server's own checkpoints.
	var pgErr *pgconn.PgError
	if _, err := pool.Exec(ctx, `CHECKPOINT`); err != nil && !(errors.As(err, &pgErr) && pgErr.Code == "42501") {
		return 0, fmt.Errorf("baseline: checkpoint: %w", err)
	}
	return n, nil
}

// warmTable reads the whole of table, its heap and then every index from
// end to end, so that the appends that follow find it in the operating
// system's page cache ([Baseline.Warm]).
//
// The indexes: writing the copy pushed the log's own pages out of the
// cache and left the copy's in; at 10^7 events the store's batch inserts
// then waited 9.9 s on block reads against the raw inserts' 0.8 s, for the
// same number of blocks read (pg_stat_statements), and the comparison
// measured the cache, not the inserts. Both tables' indexes read once
// after the copy still left the store's waiting 5.0 s against 0.4 (most
// likely the kernel evicting first the log's pages, read once, before the
// copy's, written and then read), so each load warms its own table just
// before it runs.
//
// The heap: a vacuumed table's free space map offers every page with room
// at its end, and an insert of a row small enough goes into one of those
// old pages, not at the end of the heap; the bench's events (330 bytes)
// fit in about one page in five of a generated log. Each insert then reads
// an old page of the heap, which for the copy, written a minute before,
// is in the cache and for the log, at 10^7 events (9 GB of heap beside the
// copy's 9), often is not. Both tables have the same free space, the copy
// being packed row for row like the log, so reading the heap too leaves
// both sides the same cache to insert into.
func warmTable(ctx context.Context, pool *pgxpool.Pool, table string) error {
	stmts, err := warmStatements(ctx, pool, table)
	if err != nil {
		return err
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		for _, q := range stmts {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("baseline: read %s: %w", table, err)
	}
	return nil
}

// warmStatements returns the statements that read table whole, to run in
// order in one transaction: settings that make a count of its rows a
// sequential scan of its heap by one process, that count; then settings
// that make each of the counts after it a scan of one index in the
// index's order (index-only where the pages are all visible), and for
// each index a count of its key columns, sorted as it holds them.
func warmStatements(ctx context.Context, pool *pgxpool.Pool, table string) ([]string, error) {
	rows, err := pool.Query(ctx, `SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.ord)
FROM pg_index i, unnest(i.indkey[0:i.indnkeyatts-1]) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attnum = k.attnum
WHERE i.indrelid = $1::regclass AND a.attrelid = i.indrelid
GROUP BY i.indexrelid ORDER BY i.indexrelid`, table)
	if err != nil {
		return nil, fmt.Errorf("baseline: the indexes of %s: %w", table, err)
	}
	cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("baseline: the indexes of %s: %w", table, err)
	}
	name := pgx.Identifier{table}.Sanitize()
	stmts := []string{
		`SET LOCAL enable_indexscan = off; SET LOCAL enable_indexonlyscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL max_parallel_workers_per_gather = 0`,
		`SELECT count(*) FROM ` + name,
		`SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off; SET LOCAL enable_indexscan = on; SET LOCAL enable_indexonlyscan = on`,
	}
	for _, c := range cols {
		stmts = append(stmts, `SELECT count(*) FROM (SELECT `+c+` FROM `+name+` ORDER BY `+c+`) s`)
	}
	return stmts, nil
}

// pgRoom is [Baseline.Room]. The copy needs what events takes, and as
// much again as max_wal_size for the write-ahead log that records it. The
// free space is known only for a server on this host (a loopback address
// or a Unix socket) whose data directory this process can see and which
// the role may name (superusers and pg_read_all_settings); raw_events goes
// in the default tablespace, which is taken to be the data directory's.
func pgRoom(ctx context.Context, pool *pgxpool.Pool) (need, free int64, err error) {
	if err := pool.QueryRow(ctx, `SELECT pg_total_relation_size('events') + pg_size_bytes(current_setting('max_wal_size'))`).Scan(&need); err != nil {
		return 0, 0, fmt.Errorf("baseline: size of events: %w", err)
	}
	if !localHost(pool.Config().ConnConfig.Host) {
		return need, FreeUnknown, nil
	}
	var dir string
	if err := pool.QueryRow(ctx, `SELECT current_setting('data_directory')`).Scan(&dir); err != nil {
		return need, FreeUnknown, nil // not allowed to see it
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err != nil {
		return need, FreeUnknown, nil // the server's file system is not this one (a container)
	}
	if free, err = freeBytes(dir); err != nil {
		return need, FreeUnknown, nil
	}
	return need, free, nil
}

// localHost reports whether host names this machine: a loopback address
// or a Unix socket's directory.
func localHost(host string) bool {
	if strings.HasPrefix(host, "/") || host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// pgArgs are the values of rawColumns for event e at version v, with a
// random hash and no hashing done.
func pgArgs(e eventstore.NewEvent, stream string, v int64) []any {
	prev, h := make([]byte, 32), make([]byte, 32)
	rand.Read(h)
	m := e.Metadata
	return []any{[16]byte(e.ID), stream, v, e.Type, string(e.Data), time.Now(), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
		m.Actor.Org, m.Actor.Role, m.Actor.TokenID, [16]byte(m.CorrelationID), [16]byte(m.CausationID), m.Regime, m.SchemaVersion, prev, h}
}
