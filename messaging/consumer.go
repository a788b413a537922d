package messaging

import (
	"context"
	"database/sql"

	"github.com/acv-registry/acv/eventstore"
)

// Consumer is one consumer of the log, with its own consumer group.
type Consumer interface {
	// Name is the consumer group: the key of its offset and of its entries
	// in the poison queue. It never changes once deployed.
	Name() string
	// Handle handles one event. Everything it writes goes through tx, which
	// commits with the consumer's offset; it may read anything else (the
	// log, other tables) outside tx. An error rolls back what Handle wrote
	// through tx and the event is retried, then poisoned.
	Handle(ctx context.Context, tx Tx, e eventstore.Event) error
}

// Tx is the transaction a handler writes through. Queries use the
// placeholders of the database's dialect ($1 on PostgreSQL, ? on SQLite;
// see [eventstore.Dialect.Rebind]).
type Tx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (Rows, error)
}

// Rows is the result of [Tx.QueryContext].
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close() error
}
