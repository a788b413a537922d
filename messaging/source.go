package messaging

import (
	"database/sql"
	"fmt"
	"log/slog"

	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/postgres"
	"github.com/acv-registry/acv/eventstore/sqlite"
)

// SourceFor returns the backend's pieces for the subscribers, reading
// batch events per transaction: on PostgreSQL the store's pgx pool
// (watermill-sql's pgx adapter); on SQLite db, a handle on the store's file
// whose transactions take the write lock at once (_txlock=immediate).
func SourceFor(store eventstore.Store, db *sql.DB, batch int) (Source, error) {
	switch s := store.(type) {
	case *postgres.Store:
		return Source{Beginner: wsql.BeginnerFromPgx(s.Pool()),
			Schema: postgres.ConsumerSchema{Batch: batch}, Offsets: postgres.ConsumerOffsets{Table: OffsetsTable}}, nil
	case *sqlite.Store:
		return Source{Beginner: wsql.BeginnerFromStdSQL(db),
			Schema: sqlite.ConsumerSchema{Batch: batch}, Offsets: sqlite.ConsumerOffsets{Table: OffsetsTable}}, nil
	}
	return Source{}, fmt.Errorf("messaging: no subscriber for a %T store", store)
}

// NewRouterFor is [NewRouter] with the defaults `acv serve` uses: the
// store's own source ([SourceFor]) reading 500 events per transaction.
func NewRouterFor(store eventstore.Store, db *sql.DB, d eventstore.Dialect, log *slog.Logger, consumers ...Consumer) (*Router, error) {
	src, err := SourceFor(store, db, 500)
	if err != nil {
		return nil, err
	}
	return NewRouter(Config{Source: src, Store: store, DB: db, Dialect: d, Log: log}, consumers...)
}
