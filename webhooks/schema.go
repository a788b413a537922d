package webhooks

import (
	"context"
	"database/sql"
	"time"

	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/messaging"
)

// The tables, in the log's database. One SQL text serves both dialects:
// ids and times are TEXT (times as fixed-width UTC, so they sort and compare
// as text), flags are INTEGER, positions BIGINT.
//
// webhook_subscriptions: one row per subscription, never deleted (a deleted
// subscription is inactive, so its delivery log stays readable). Exactly one
// of council and asset_id is set. after_position is the log's last position
// when it was made: it is sent only events after it.
//
// webhook_deliveries: one row per (subscription, event), its id derived from
// both (see [DeliveryID]). status is pending, delivered, failed (attempts
// ran out) or cancelled (the subscription was deleted). attempts counts
// claims; next_attempt_at is when a pending delivery is next due, and while
// a node sends it, the end of that node's lease.
//
// webhook_attempts: one row per attempt whose result was recorded: when it
// started, how long it took, the HTTP status (0 for none) and the error.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS webhook_subscriptions (
		id             TEXT PRIMARY KEY,
		council        TEXT NOT NULL DEFAULT '',
		asset_id       TEXT NOT NULL DEFAULT '',
		url            TEXT NOT NULL,
		secret         TEXT NOT NULL,
		after_position BIGINT NOT NULL,
		created_at     TEXT NOT NULL,
		active         INTEGER NOT NULL DEFAULT 1,
		deactivated_at TEXT NOT NULL DEFAULT '',
		CHECK ((council = '') <> (asset_id = ''))
	)`,
	`CREATE TABLE IF NOT EXISTS webhook_deliveries (
		id              TEXT PRIMARY KEY,
		subscription_id TEXT NOT NULL,
		event_id        TEXT NOT NULL,
		event_type      TEXT NOT NULL,
		stream          TEXT NOT NULL,
		version         BIGINT NOT NULL,
		position        BIGINT NOT NULL,
		status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
		attempts        INTEGER NOT NULL DEFAULT 0,
		next_attempt_at TEXT NOT NULL,
		last_status     INTEGER NOT NULL DEFAULT 0,
		last_error      TEXT NOT NULL DEFAULT '',
		created_at      TEXT NOT NULL,
		delivered_at    TEXT NOT NULL DEFAULT '',
		UNIQUE (subscription_id, event_id)
	)`,
	`CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at)`,
	`CREATE INDEX IF NOT EXISTS webhook_deliveries_log ON webhook_deliveries (subscription_id, position)`,
	`CREATE TABLE IF NOT EXISTS webhook_attempts (
		delivery_id TEXT NOT NULL,
		attempt     INTEGER NOT NULL,
		started_at  TEXT NOT NULL,
		duration_ms BIGINT NOT NULL,
		status      INTEGER NOT NULL,
		error       TEXT NOT NULL,
		PRIMARY KEY (delivery_id, attempt)
	)`,
}

// Migrate creates the tables unless they exist. It is idempotent and safe
// to run from several nodes at once: on PostgreSQL it runs in one
// transaction holding an advisory lock.
func Migrate(ctx context.Context, db *sql.DB, d eventstore.Dialect) error {
	return messaging.CreateSchema(ctx, db, d, "webhooks", schema...)
}

// stampLayout is how times are stored: fixed width, UTC, microseconds.
const stampLayout = "2006-01-02T15:04:05.000000Z"

// stamp formats t for a time column.
func stamp(t time.Time) string { return t.UTC().Format(stampLayout) }

// unstamp parses a time column; "" is the zero time.
func unstamp(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(stampLayout, s)
	if err != nil {
		return time.Time{}
	}
	return t
}
