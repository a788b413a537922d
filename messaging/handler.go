package messaging

import (
	"context"
	"errors"
	"fmt"
	"time"

	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/acv-registry/acv/eventstore"
)

// savepoint scopes one attempt at one event inside the subscriber's
// transaction: a failed attempt rolls back to it, so what the handler wrote
// is undone and the transaction stays usable for the retry, the poison
// record and the offset.
const savepoint = "consumer_event"

// handler adapts a consumer to the router: it decodes the event, runs the
// consumer inside a savepoint of the subscriber's transaction and logs
// what happened with the event's correlation id.
func (r *Router) handler(c Consumer) message.NoPublishHandlerFunc {
	name := c.Name()
	return func(msg *message.Message) error {
		ctx := msg.Context()
		wtx, ok := wsql.TxFromContext(ctx)
		if !ok {
			return errors.New("messaging: the message carries no transaction")
		}
		e, err := eventstore.FromMessage(msg)
		if err != nil {
			return err
		}
		log := r.log.With("consumer", name, "position", e.Position, "event_type", e.Type,
			"stream", e.Stream, "correlation_id", e.Metadata.CorrelationID.String())
		started := time.Now()
		if err := handleOnce(ctx, c, fromWatermill(wtx), e); err != nil {
			log.Warn("consumer: event failed", "err", err)
			return err
		}
		log.Debug("consumer: event handled", "took", time.Since(started))
		return nil
	}
}

// handleOnce runs one attempt of c on e inside a savepoint of tx, turning
// a panic into an error after rolling the attempt back.
func handleOnce(ctx context.Context, c Consumer, tx Tx, e eventstore.Event) (err error) {
	if _, err := tx.ExecContext(ctx, "SAVEPOINT "+savepoint); err != nil {
		return fmt.Errorf("messaging: savepoint: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("messaging: %s panicked on event %d: %v", c.Name(), e.Position, p)
		}
		if err != nil {
			bg := context.WithoutCancel(ctx)
			_, rerr := tx.ExecContext(bg, "ROLLBACK TO SAVEPOINT "+savepoint)
			if rerr == nil {
				_, rerr = tx.ExecContext(bg, "RELEASE SAVEPOINT "+savepoint)
			}
			if rerr != nil {
				err = errors.Join(err, fmt.Errorf("messaging: roll back to savepoint: %w", rerr))
			}
			return
		}
		if _, rerr := tx.ExecContext(ctx, "RELEASE SAVEPOINT "+savepoint); rerr != nil {
			err = fmt.Errorf("messaging: release savepoint: %w", rerr)
		}
	}()
	return c.Handle(ctx, tx, e)
}
