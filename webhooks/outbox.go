package webhooks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/messaging"
	"github.com/acv-registry/acv/projections"
	"github.com/google/uuid"
)

// ConsumerName is the Outbox's consumer group. It never changes.
const ConsumerName = "webhooks"

// Outbox is the consumer of the log that turns events into pending
// deliveries. It is safe for concurrent use.
type Outbox struct {
	d   eventstore.Dialect
	pub *projections.Publisher
	now func() time.Time
}

var _ messaging.Consumer = (*Outbox)(nil)

// NewOutbox returns the outbox over store, whose database speaks d. now
// stamps the deliveries it adds (nil: time.Now).
func NewOutbox(store eventstore.Store, d eventstore.Dialect, now func() time.Time) *Outbox {
	if now == nil {
		now = time.Now
	}
	return &Outbox{d: d, pub: projections.NewPublisher(store), now: now}
}

// Name implements [messaging.Consumer].
func (o *Outbox) Name() string { return ConsumerName }

// Handle adds, through tx, a pending delivery of e to every active
// subscription made before e to e's asset or to its council. A delivery
// that exists already is left as it is, so handling an event again adds
// nothing. Events of streams other than assets' match nothing.
func (o *Outbox) Handle(ctx context.Context, tx messaging.Tx, e eventstore.Event) error {
	assetID := projections.AssetIDOf(e.Stream)
	if assetID == "" {
		return nil
	}
	// The event's council takes its public form, which may read its
	// stream: ask for it only when a subscription to a council could
	// match. Without one, "" matches no council below.
	byCouncil, byAsset, err := o.candidates(ctx, tx, e.Position, assetID)
	if err != nil {
		return fmt.Errorf("webhooks: outbox: match %s: %w", e.ID, err)
	}
	if !byCouncil && !byAsset {
		return nil
	}
	council := ""
	if byCouncil {
		if council, err = o.pub.Council(ctx, e); err != nil {
			return fmt.Errorf("webhooks: outbox: %w", err)
		}
	}
	rows, err := tx.QueryContext(ctx, o.d.Rebind(`SELECT id FROM webhook_subscriptions
		WHERE active = 1 AND after_position < ? AND (asset_id = ? OR (council <> '' AND council = ?))`),
		e.Position, assetID, council)
	if err != nil {
		return fmt.Errorf("webhooks: outbox: match %s: %w", e.ID, err)
	}
	var subs []uuid.UUID
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return fmt.Errorf("webhooks: outbox: match %s: %w", e.ID, err)
		}
		id, err := uuid.Parse(s)
		if err != nil {
			rows.Close()
			return fmt.Errorf("webhooks: outbox: subscription id %q: %w", s, err)
		}
		subs = append(subs, id)
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return fmt.Errorf("webhooks: outbox: match %s: %w", e.ID, err)
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("webhooks: outbox: match %s: %w", e.ID, err)
	}
	now := stamp(o.now())
	for _, sub := range subs {
		if _, err := tx.ExecContext(ctx, o.d.Rebind(`INSERT INTO webhook_deliveries
			(id, subscription_id, event_id, event_type, stream, version, position, status, attempts, next_attempt_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT DO NOTHING`),
			DeliveryID(sub, e.ID).String(), sub.String(), e.ID.String(), e.Type, e.Stream, e.Version, e.Position, now, now); err != nil {
			return fmt.Errorf("webhooks: outbox: add delivery of %s to %s: %w", e.ID, sub, err)
		}
	}
	return nil
}

// candidates reports whether an active subscription made before position
// follows some council, and whether one follows the asset.
func (o *Outbox) candidates(ctx context.Context, tx messaging.Tx, position int64, assetID string) (byCouncil, byAsset bool, err error) {
	rows, err := tx.QueryContext(ctx, o.d.Rebind(`SELECT
		EXISTS (SELECT 1 FROM webhook_subscriptions WHERE active = 1 AND after_position < ? AND council <> ''),
		EXISTS (SELECT 1 FROM webhook_subscriptions WHERE active = 1 AND after_position < ? AND asset_id = ?)`),
		position, position, assetID)
	if err != nil {
		return false, false, err
	}
	defer rows.Close()
	if !rows.Next() {
		return false, false, errors.Join(rows.Err(), errors.New("no row"))
	}
	if err := rows.Scan(&byCouncil, &byAsset); err != nil {
		return false, false, err
	}
	return byCouncil, byAsset, rows.Close()
}
