package clock

import (
	"context"
	"database/sql"

	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/messaging"
)

// schema creates the schedule: one row per asset with a clock pending, the
// first day (YYYY-MM-DD, England) on which a clock event falls due. TEXT
// dates compare in calendar order on both dialects. Beside it,
// clock_versions holds, for every asset the schedule has derived, the
// version of the stream it derived the asset's row (or its absence) from
// (see [Schedule.Handle]); a table of its own, so that a store made before
// it gains it by CREATE ... IF NOT EXISTS, and an asset without a row
// keeps its version.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS clock_schedule (
	asset_id TEXT PRIMARY KEY,
	due_on   TEXT NOT NULL
)`,
	`CREATE INDEX IF NOT EXISTS clock_schedule_due_on ON clock_schedule (due_on)`,
	`CREATE TABLE IF NOT EXISTS clock_versions (
	asset_id TEXT PRIMARY KEY,
	version  BIGINT NOT NULL
)`,
}

// Migrate creates the clock_schedule and clock_versions tables and the
// index on due_on if they do not exist, in one transaction. On PostgreSQL
// the transaction holds an advisory lock, so nodes starting together
// create them once. It is idempotent and safe to call on every start.
func Migrate(ctx context.Context, db *sql.DB, d eventstore.Dialect) error {
	return messaging.CreateSchema(ctx, db, d, "clock", schema...)
}
