package projections

import (
	"context"
	"database/sql"

	"github.com/acv-registry/acv/eventstore"
)

// Dialect is the SQL dialect of the database the read models live in: the
// same database as the log.
type Dialect = eventstore.Dialect

// The two dialects.
const (
	Postgres = eventstore.Postgres
	SQLite   = eventstore.SQLite
)

// Execer is what writing read-model rows needs: *sql.DB, *sql.Tx and a
// consumer's [messaging.Tx] all satisfy it.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// DB is the read-model database.
type DB struct {
	SQL     *sql.DB
	Dialect Dialect
	// Files, when set, is how a rebuild replaces the whole database: it
	// writes a fresh one and publishes it (SQLite's file per generation).
	// Unset, a rebuild writes fresh tables beside the live ones and swaps
	// them in (PostgreSQL).
	Files Files
}

// Files makes fresh read-model databases for rebuilds.
type Files interface {
	// Fresh starts an empty database, one at a time.
	Fresh(ctx context.Context) (FreshFile, error)
}

// FilesFunc is a function that is [Files].
type FilesFunc func(ctx context.Context) (FreshFile, error)

// Fresh calls f.
func (f FilesFunc) Fresh(ctx context.Context) (FreshFile, error) { return f(ctx) }

// FreshFile is a database a rebuild fills and then publishes.
type FreshFile interface {
	// DB is the handle to write through.
	DB() *sql.DB
	// SyncAhead starts syncing what has been written so far to disk in
	// the background, for Publish's own sync to have less to do.
	SyncAhead()
	// Publish makes it the read models' database, for every process on
	// it.
	Publish(ctx context.Context) error
	// Discard deletes it, unless it was published.
	Discard() error
}
