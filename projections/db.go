package projections

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
)

// Dialect names the SQL dialect of the database the read models live in:
// the same database as the log.
type Dialect string

// The two dialects.
const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// Rebind rewrites a query written with ? placeholders for the dialect:
// PostgreSQL numbers them ($1, $2, ...). Queries must not contain a literal
// question mark.
func (d Dialect) Rebind(q string) string {
	if d != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Execer is what writing read-model rows needs: *sql.DB and *sql.Tx both
// satisfy it.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// DB is the read-model database.
type DB struct {
	SQL     *sql.DB
	Dialect Dialect
}
