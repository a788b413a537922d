package messaging_test

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/messaging"
)

// lingerer is a consumer that, on its first event, waits for release
// before it writes its row, and reports the write's error.
type lingerer struct {
	dialect eventstore.Dialect
	started chan struct{}
	release chan struct{}
	once    sync.Once
	wrote   chan error
}

func (l *lingerer) Name() string { return "lingerer" }

func (l *lingerer) Handle(ctx context.Context, tx messaging.Tx, e eventstore.Event) error {
	first := false
	l.once.Do(func() { first = true; close(l.started) })
	if !first {
		return nil
	}
	<-l.release
	_, err := tx.ExecContext(context.WithoutCancel(ctx), l.dialect.Rebind(`INSERT INTO messaging_test_seen (consumer, position, event_id) VALUES (?, ?, ?)`),
		l.Name(), e.Position, e.ID.String())
	l.wrote <- err
	return err
}

// TestCloseWaitsForTheHandlerInHand: when the router closes while a
// handler is still running, the subscriber's transaction ends only after
// the handler has finished with it - it never commits under a running
// handler (a data race in the driver, and half an event's writes).
func TestCloseWaitsForTheHandlerInHand(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		setup(t, b)
		l := &lingerer{dialect: b.dialect, started: make(chan struct{}), release: make(chan struct{}), wrote: make(chan error, 1)}
		r, err := messaging.NewRouterFor(b.store, b.db, b.dialect, nil, l)
		if err != nil {
			t.Fatal(err)
		}
		pos := appendEvents(t, b.store, 1, `{}`)[0]
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- r.Run(ctx) }()
		select {
		case <-l.started:
		case <-time.After(30 * time.Second):
			t.Fatal("the consumer never got the event")
		}
		cancel()
		time.Sleep(300 * time.Millisecond) // time for an unguarded subscriber to end its transaction
		close(l.release)
		werr := <-l.wrote
		if err := <-done; err != nil {
			t.Fatalf("router: %v", err)
		}
		// On PostgreSQL the guard keeps the transaction open until the
		// handler is done, so its write succeeds (and then rolls back with
		// the transaction, whose context the close cancelled). database/sql
		// (SQLite) ends a transaction itself when its context is cancelled,
		// safely: there the write may fail cleanly with sql.ErrTxDone.
		if werr != nil && (b.dialect == eventstore.Postgres || !errors.Is(werr, sql.ErrTxDone)) {
			t.Fatalf("the handler's write after the close: %v (its transaction ended under it)", werr)
		}
		// Either way the rows and the offset commit together, or neither.
		off, err := messaging.Offset(context.Background(), b.db, b.dialect, l.Name())
		if err != nil {
			t.Fatal(err)
		}
		if rows := seen(t, b, l.Name())[pos]; (rows == 1) != (off >= pos) {
			t.Errorf("after the close: %d rows for position %d, offset %d: the rows and the offset did not commit together", rows, pos, off)
		}
	})
}
