package messaging

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/acv-registry/acv/eventstore"
)

// poisonPublisher is the poison queue's Watermill publisher: it records the
// event in consumer_poison through the subscriber's transaction, so the
// record commits with the offset that moves past the event.
type poisonPublisher struct {
	dialect eventstore.Dialect
	now     func() time.Time
}

// Publish implements message.Publisher.
func (p poisonPublisher) Publish(_ string, msgs ...*message.Message) error {
	for _, msg := range msgs {
		ctx := msg.Context()
		wtx, ok := wsql.TxFromContext(ctx)
		if !ok {
			return errors.New("messaging: a poisoned message carries no transaction")
		}
		e, err := eventstore.FromMessage(msg)
		if err != nil {
			return err
		}
		_, err = fromWatermill(wtx).ExecContext(ctx, p.dialect.Rebind(`INSERT INTO `+PoisonTable+`
			(consumer, position, event_id, event_type, stream_id, version, correlation_id, reason, poisoned_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			msg.Metadata.Get(middleware.PoisonedHandlerKey), e.Position, e.ID.String(), e.Type, e.Stream, e.Version,
			e.Metadata.CorrelationID.String(), msg.Metadata.Get(middleware.ReasonForPoisonedKey),
			p.now().UTC().Format(time.RFC3339Nano))
		if err != nil {
			return fmt.Errorf("messaging: record poisoned event %d: %w", e.Position, err)
		}
	}
	return nil
}

// Close implements message.Publisher.
func (poisonPublisher) Close() error { return nil }

// Poisoned is an event a consumer gave up on.
type Poisoned struct {
	ID            int64
	Consumer      string
	Position      int64
	EventID       string
	EventType     string
	Stream        string
	Version       int64
	CorrelationID string
	Reason        string
	PoisonedAt    time.Time
	// ReplayedAt is when a replay succeeded (zero while it waits);
	// ReplayError is why the last replay failed.
	ReplayedAt  time.Time
	ReplayError string
}

// ListPoisoned returns the poison queue, oldest first: only the entries
// still waiting for a replay unless all.
func ListPoisoned(ctx context.Context, db *sql.DB, d eventstore.Dialect, all bool) ([]Poisoned, error) {
	q := `SELECT id, consumer, position, event_id, event_type, stream_id, version, correlation_id, reason,
		poisoned_at, replayed_at, replay_error FROM ` + PoisonTable
	if !all {
		q += ` WHERE replayed_at = ''`
	}
	rows, err := db.QueryContext(ctx, q+` ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list poisoned events: %w", err)
	}
	defer rows.Close()
	var out []Poisoned
	for rows.Next() {
		var (
			p                    Poisoned
			poisoned, replayedAt string
		)
		if err := rows.Scan(&p.ID, &p.Consumer, &p.Position, &p.EventID, &p.EventType, &p.Stream, &p.Version,
			&p.CorrelationID, &p.Reason, &poisoned, &replayedAt, &p.ReplayError); err != nil {
			return nil, fmt.Errorf("list poisoned events: %w", err)
		}
		p.PoisonedAt, _ = time.Parse(time.RFC3339Nano, poisoned)
		if replayedAt != "" {
			p.ReplayedAt, _ = time.Parse(time.RFC3339Nano, replayedAt)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// ErrUnknownPoisoned is returned, wrapped, for a poison-queue id that is
// not there or names a consumer this build does not run.
var ErrUnknownPoisoned = errors.New("no such poisoned event")

// Replay runs the poisoned event with id through its consumer again, in a
// transaction that holds the consumer's offset row (so it does not
// interleave with the consumer's batches on any node), and marks it
// replayed when the consumer succeeds. A failure is recorded on the entry
// and returned; the entry stays in the queue.
func Replay(ctx context.Context, db *sql.DB, d eventstore.Dialect, store eventstore.Store, now func() time.Time, id int64, consumers ...Consumer) error {
	p, err := poisoned(ctx, db, d, id)
	if err != nil {
		return err
	}
	var c Consumer
	for _, cc := range consumers {
		if cc.Name() == p.Consumer {
			c = cc
		}
	}
	if c == nil {
		return fmt.Errorf("poisoned event %d belongs to consumer %q: %w", id, p.Consumer, ErrUnknownPoisoned)
	}
	events, err := store.ReadStream(ctx, p.Stream, p.Version, eventstore.Opened)
	if err != nil {
		return fmt.Errorf("replay %d: %w", id, err)
	}
	if len(events) == 0 || events[0].Version != p.Version {
		return fmt.Errorf("replay %d: %s version %d is not in the log", id, p.Stream, p.Version)
	}
	herr := replayIn(ctx, db, d, c, events[0], id, now)
	if herr == nil {
		return nil
	}
	_, err = db.ExecContext(ctx, d.Rebind(`UPDATE `+PoisonTable+` SET replay_error = ? WHERE id = ?`), herr.Error(), id)
	return errors.Join(fmt.Errorf("replay %d: %w", id, herr), err)
}

func replayIn(ctx context.Context, db *sql.DB, d eventstore.Dialect, c Consumer, e eventstore.Event, id int64, now func() time.Time) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := LockOffset(ctx, tx, d, c.Name()); err != nil {
		return err
	}
	if err := handleOnce(ctx, c, StdTx(tx), e); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, d.Rebind(`UPDATE `+PoisonTable+` SET replayed_at = ?, replay_error = '' WHERE id = ?`),
		now().UTC().Format(time.RFC3339Nano), id)
	if err != nil {
		return err
	}
	return tx.Commit()
}

func poisoned(ctx context.Context, db *sql.DB, d eventstore.Dialect, id int64) (Poisoned, error) {
	var p Poisoned
	err := db.QueryRowContext(ctx, d.Rebind(`SELECT id, consumer, stream_id, version FROM `+PoisonTable+` WHERE id = ?`), id).
		Scan(&p.ID, &p.Consumer, &p.Stream, &p.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return Poisoned{}, fmt.Errorf("poisoned event %d: %w", id, ErrUnknownPoisoned)
	}
	if err != nil {
		return Poisoned{}, fmt.Errorf("read poisoned event %d: %w", id, err)
	}
	return p, nil
}
