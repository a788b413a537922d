package messaging

import (
	"context"
	"database/sql"
	"sync"

	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
)

// The subscriber's transaction is used by two goroutines: the subscriber's,
// which reads a batch, sends each event to the router and then commits; and
// the router's handler, which writes the consumer's rows through it. They
// take turns while the subscriber waits for each event's ack - but when the
// router closes, watermill-sql's subscriber stops waiting and commits (or
// rolls back) at once, while the handler may still be running on the same
// connection: a data race inside the driver (pgx connections are not safe
// for concurrent use), found by the race detector in the API's scenario
// test; and, when earlier events of the batch were handled, the subscriber
// goes on to update the group's offset on the same connection (found in
// the restore test). The guard makes the end of the transaction wait for the handler in
// hand. Handlers stop soon after a close, because the context they run
// under is cancelled; the transaction then rolls back whole, and the event
// is handled again by whichever node runs the group next.

// guardedBeginner begins transactions whose end waits for the handler in
// hand (see [guardedTx]).
type guardedBeginner struct{ wsql.Beginner }

// BeginTx implements [wsql.Beginner].
func (b guardedBeginner) BeginTx(ctx context.Context, opts *sql.TxOptions) (wsql.Tx, error) {
	tx, err := b.Beginner.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &guardedTx{Tx: tx}, nil
}

// guardedTx is a subscriber's transaction: every use the subscriber makes
// of it (a query, the offset's update, Commit, Rollback) waits until no
// handler holds it. Handlers use the transaction inside ([fromWatermill]
// unwraps it) while [holdTx] holds the guard for them.
type guardedTx struct {
	wsql.Tx
	inUse sync.Mutex // held by a handler for the whole of one event
}

// ExecContext implements [wsql.Tx]: the subscriber's statements (the
// offset's update after a batch) wait for the handler in hand.
func (t *guardedTx) ExecContext(ctx context.Context, query string, args ...any) (wsql.Result, error) {
	t.inUse.Lock()
	defer t.inUse.Unlock()
	return t.Tx.ExecContext(ctx, query, args...)
}

// QueryContext implements [wsql.Tx]. The subscriber reads a batch's rows
// whole before it hands out the first event, so no handler runs while
// they are read.
func (t *guardedTx) QueryContext(ctx context.Context, query string, args ...any) (wsql.Rows, error) {
	t.inUse.Lock()
	defer t.inUse.Unlock()
	return t.Tx.QueryContext(ctx, query, args...)
}

// Commit implements [wsql.Tx].
func (t *guardedTx) Commit() error {
	t.inUse.Lock()
	defer t.inUse.Unlock()
	return t.Tx.Commit()
}

// Rollback implements [wsql.Tx].
func (t *guardedTx) Rollback() error {
	t.inUse.Lock()
	defer t.inUse.Unlock()
	return t.Tx.Rollback()
}

// holdTx is the outermost router middleware: the message's transaction
// cannot end while the handler chain (retries, poison queue included) runs
// on it.
func holdTx(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		if wtx, ok := wsql.TxFromContext(msg.Context()); ok {
			if g, ok := wtx.(*guardedTx); ok {
				g.inUse.Lock()
				defer g.inUse.Unlock()
			}
		}
		return h(msg)
	}
}
