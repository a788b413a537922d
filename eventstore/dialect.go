package eventstore

import (
	"strconv"
	"strings"
)

// Dialect names the SQL dialect of the database the log lives in. The read
// models, the consumers' offsets and their state live in the same database,
// so whatever writes them next to the log speaks this dialect.
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
