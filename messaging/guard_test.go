package messaging_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/messaging"
)

// lingerer is a consumer that handles events at once until the one at
// position at, where it waits for release before it writes its row, and
// reports the write's error.
type lingerer struct {
	name    string
	dialect eventstore.Dialect
	at      int64
	started chan struct{}
	release chan struct{}
	once    sync.Once
	wrote   chan error
}

func (l *lingerer) Name() string { return l.name }

func (l *lingerer) Handle(ctx context.Context, tx messaging.Tx, e eventstore.Event) error {
	if e.Position != l.at {
		return nil
	}
	l.once.Do(func() { close(l.started) })
	<-l.release
	_, err := tx.ExecContext(context.WithoutCancel(ctx), l.dialect.Rebind(`INSERT INTO messaging_test_seen (consumer, position, event_id) VALUES (?, ?, ?)`),
		l.Name(), e.Position, e.ID.String())
	l.wrote <- err
	return err
}

// TestCloseWaitsForTheHandlerInHand: when the router closes while a
// handler is still running, the subscriber uses its transaction again -
// to update the offset past the batch's earlier events, to commit or to
// roll back - only after the handler has finished with it, never under a
// running handler (a data race in the driver). Run under -race.
func TestCloseWaitsForTheHandlerInHand(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		for _, nth := range []int{1, 2} {
			t.Run(fmt.Sprintf("event %d of the batch", nth), func(t *testing.T) { closeDuringHandler(t, b, nth) })
		}
	})
}

func closeDuringHandler(t *testing.T, b backend, nth int) {
	setup(t, b)
	positions := appendEvents(t, b.store, 2, `{}`) // one batch
	pos := positions[nth-1]
	l := &lingerer{name: fmt.Sprintf("lingerer-%d", nth), dialect: b.dialect, at: pos,
		started: make(chan struct{}), release: make(chan struct{}), wrote: make(chan error, 1)}
	r, err := messaging.NewRouterFor(b.store, b.db, b.dialect, nil, l)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	select {
	case <-l.started:
	case <-time.After(30 * time.Second):
		t.Fatal("the consumer never got the event")
	}
	cancel()
	time.Sleep(300 * time.Millisecond) // time for an unguarded subscriber to use the transaction
	close(l.release)
	werr := <-l.wrote
	if err := <-done; err != nil {
		t.Fatalf("router: %v", err)
	}
	// On PostgreSQL the guard keeps the transaction open until the handler
	// is done, so its write succeeds (and then rolls back with the
	// transaction, whose context the close cancelled). database/sql
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
}
