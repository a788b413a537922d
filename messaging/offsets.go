package messaging

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/acv-registry/acv/eventstore"
)

// OffsetsTable holds every consumer group's offset: the position of the
// last event it handled, in the log's order. The read models' row is also
// their checkpoint, which a rebuild sets when it swaps fresh tables in.
const OffsetsTable = "consumer_offsets"

// PoisonTable holds the events a consumer gave up on.
const PoisonTable = "consumer_poison"

// schema returns the DDL of the messaging tables, idempotent.
func schema(d eventstore.Dialect) []string {
	id, txID := "INTEGER PRIMARY KEY AUTOINCREMENT", ""
	if d == eventstore.Postgres {
		// On PostgreSQL the log's order is (tx_id, position): an offset
		// keeps both (see postgres.ConsumerOffsets).
		id, txID = "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", `,
			tx_id    xid8 NOT NULL DEFAULT '0'`
	}
	return []string{
		`CREATE TABLE IF NOT EXISTS ` + OffsetsTable + ` (
			name     TEXT PRIMARY KEY,
			position BIGINT NOT NULL` + txID + `)`,
		`CREATE TABLE IF NOT EXISTS ` + PoisonTable + ` (
			id             ` + id + `,
			consumer       TEXT NOT NULL,
			position       BIGINT NOT NULL,
			event_id       TEXT NOT NULL,
			event_type     TEXT NOT NULL,
			stream_id      TEXT NOT NULL,
			version        BIGINT NOT NULL,
			correlation_id TEXT NOT NULL,
			reason         TEXT NOT NULL,
			poisoned_at    TEXT NOT NULL,
			replayed_at    TEXT NOT NULL DEFAULT '',
			replay_error   TEXT NOT NULL DEFAULT '')`,
		`CREATE INDEX IF NOT EXISTS ` + PoisonTable + `_open ON ` + PoisonTable + ` (consumer, replayed_at)`,
	}
}

// Migrate creates the offsets and poison tables if they do not exist. On
// PostgreSQL it holds an advisory lock, so nodes starting together do not
// collide on the catalogue.
func Migrate(ctx context.Context, db *sql.DB, d eventstore.Dialect) error {
	return CreateSchema(ctx, db, d, "messaging", schema(d)...)
}

// CreateSchema runs idempotent DDL statements in one transaction under
// [InTx]'s lock named key: how each consumer makes its tables on start.
func CreateSchema(ctx context.Context, db *sql.DB, d eventstore.Dialect, key string, stmts ...string) error {
	return InTx(ctx, db, d, key, func(tx *sql.Tx) error {
		for _, q := range stmts {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("%s: migrate: %w", key, err)
			}
		}
		return nil
	})
}

// InTx runs DDL (or any setup) in a transaction; on PostgreSQL it first
// takes a transaction-scoped advisory lock named by key, so that several
// nodes starting at once run it one after another.
func InTx(ctx context.Context, db *sql.DB, d eventstore.Dialect, key string, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin %s setup: %w", key, err)
	}
	defer tx.Rollback()
	if d == eventstore.Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, "acv-setup:"+key); err != nil {
			return fmt.Errorf("lock %s setup: %w", key, err)
		}
	}
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit %s setup: %w", key, err)
	}
	return nil
}

// Querier is what reading an offset needs: *sql.DB and *sql.Tx both have it.
type Querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Offset returns the consumer group's offset, 0 if it has none yet.
func Offset(ctx context.Context, q Querier, d eventstore.Dialect, name string) (int64, error) {
	var pos int64
	err := q.QueryRowContext(ctx, d.Rebind(`SELECT position FROM `+OffsetsTable+` WHERE name = ?`), name).Scan(&pos)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("read offset of %s: %w", name, err)
	}
	return pos, nil
}

// LockOffset returns the consumer group's offset inside tx, creating its
// row at 0 if needed, and on PostgreSQL locks the row until tx ends: the
// group's subscriber (which locks it for each batch) waits meanwhile. On
// SQLite the insert takes the database's write lock, which does the same.
func LockOffset(ctx context.Context, tx *sql.Tx, d eventstore.Dialect, name string) (int64, error) {
	_, err := tx.ExecContext(ctx, d.Rebind(`INSERT INTO `+OffsetsTable+` (name, position) VALUES (?, 0) ON CONFLICT (name) DO NOTHING`), name)
	if err != nil {
		return 0, fmt.Errorf("create offset of %s: %w", name, err)
	}
	q := `SELECT position FROM ` + OffsetsTable + ` WHERE name = ?`
	if d == eventstore.Postgres {
		q += ` FOR UPDATE`
	}
	var pos int64
	if err := tx.QueryRowContext(ctx, d.Rebind(q), name).Scan(&pos); err != nil {
		return 0, fmt.Errorf("lock offset of %s: %w", name, err)
	}
	return pos, nil
}

// SetOffset sets the consumer group's offset inside tx (after
// [LockOffset]): the group carries on after the event at position. On
// PostgreSQL the event's transaction id is looked up in the log.
func SetOffset(ctx context.Context, tx *sql.Tx, d eventstore.Dialect, name string, position int64) error {
	q := `UPDATE ` + OffsetsTable + ` SET position = ? WHERE name = ?`
	if d == eventstore.Postgres {
		q = `UPDATE ` + OffsetsTable + ` SET position = $1,
			tx_id = COALESCE((SELECT tx_id FROM events WHERE position = $1), '0') WHERE name = $2`
	}
	_, err := tx.ExecContext(ctx, d.Rebind(q), position, name)
	if err != nil {
		return fmt.Errorf("set offset of %s to %d: %w", name, position, err)
	}
	return nil
}
