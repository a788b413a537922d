package clock

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/acv-registry/acv/eventstore"
)

// migrationLock is the PostgreSQL advisory lock key held while creating the
// table ("acv-clk"), so that nodes starting together do not collide.
const migrationLock int64 = 0x6163762d636c6b

// schema creates the schedule: one row per asset with a clock pending, the
// first day (YYYY-MM-DD, England) on which a clock event falls due. TEXT
// dates compare in calendar order on both dialects.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS clock_schedule (
	asset_id TEXT PRIMARY KEY,
	due_on   TEXT NOT NULL
)`,
	`CREATE INDEX IF NOT EXISTS clock_schedule_due_on ON clock_schedule (due_on)`,
}

// Migrate creates the clock_schedule table and its index on due_on if they
// do not exist, in one transaction. On PostgreSQL the transaction holds an
// advisory lock, so nodes starting together create them once. It is
// idempotent and safe to call on every start.
func Migrate(ctx context.Context, db *sql.DB, d eventstore.Dialect) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("clock: migrate: %w", err)
	}
	defer tx.Rollback()
	if d == eventstore.Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
			return fmt.Errorf("clock: migrate: lock: %w", err)
		}
	}
	for _, q := range schema {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("clock: migrate: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("clock: migrate: commit: %w", err)
	}
	return nil
}
