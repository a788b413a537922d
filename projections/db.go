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
}
