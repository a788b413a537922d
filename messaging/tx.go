package messaging

import (
	"context"
	"database/sql"
	"fmt"

	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
)

// StdTx adapts a database/sql transaction to [Tx]: for a handler run
// outside the router (a replay from the poison queue, a test).
func StdTx(tx *sql.Tx) Tx { return stdTx{tx} }

type stdTx struct{ tx *sql.Tx }

func (t stdTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, q, args...)
}

func (t stdTx) QueryContext(ctx context.Context, q string, args ...any) (Rows, error) {
	return t.tx.QueryContext(ctx, q, args...)
}

// fromWatermill adapts the subscriber's transaction to [Tx] for a
// handler: inside the guard, which [holdTx] holds for it (guard.go).
func fromWatermill(tx wsql.Tx) Tx {
	if g, ok := tx.(*guardedTx); ok {
		tx = g.Tx
	}
	return watermillTx{tx}
}

type watermillTx struct{ tx wsql.Tx }

func (t watermillTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	res, err := t.tx.ExecContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return result{res}, nil
}

func (t watermillTx) QueryContext(ctx context.Context, q string, args ...any) (Rows, error) {
	rows, err := t.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return watermillRows{rows}, nil
}

// result is a [wsql.Result] as a [sql.Result].
type result struct{ wsql.Result }

func (result) LastInsertId() (int64, error) {
	return 0, fmt.Errorf("messaging: LastInsertId is not supported")
}

// watermillRows adds Err to the rows of either adapter (pgx rows and
// database/sql rows both have it).
type watermillRows struct{ wsql.Rows }

func (r watermillRows) Err() error {
	if e, ok := r.Rows.(interface{ Err() error }); ok {
		return e.Err()
	}
	return nil
}

// QueryInt64 runs a query for at most one integer inside tx and returns
// it, or 0 when the query returns no row: a consumer's "version already
// derived" lookup.
func QueryInt64(ctx context.Context, tx Tx, query string, args ...any) (int64, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var v int64
	if rows.Next() {
		if err := rows.Scan(&v); err != nil {
			return 0, err
		}
	}
	return v, rows.Err()
}
