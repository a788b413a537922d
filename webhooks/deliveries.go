package webhooks

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Status is where a delivery stands.
type Status string

// The statuses of a delivery.
const (
	Pending   Status = "pending"   // to be sent, or being sent
	Delivered Status = "delivered" // the receiver answered 2xx
	Failed    Status = "failed"    // the attempts ran out
	Cancelled Status = "cancelled" // the subscription was deleted first
)

// deliverySpace is the UUID namespace of delivery ids.
var deliverySpace = uuid.MustParse("0b6f3c7e-5a4d-4c1e-9f2a-7d8e6b5a4c3d")

// DeliveryID is the id of the delivery of event to subscription: the same
// on every node and every replay, which is what makes adding deliveries
// idempotent. Receivers see it as the X-ACV-Delivery header.
func DeliveryID(subscription, event uuid.UUID) uuid.UUID {
	return uuid.NewSHA1(deliverySpace, append(subscription[:], event[:]...))
}

// Delivery is one event to send to one subscription, with its attempts.
type Delivery struct {
	ID             uuid.UUID
	SubscriptionID uuid.UUID
	EventID        uuid.UUID
	EventType      string
	Stream         string
	Version        int64 // the event's version in its stream
	Position       int64 // the event's log position
	Status         Status
	// Attempts counts the attempts begun; one whose node stopped before it
	// recorded a result has no entry in Log.
	Attempts      int
	NextAttemptAt time.Time // for a pending delivery
	LastStatus    int       // the HTTP status of the last attempt, 0 for none
	LastError     string
	CreatedAt     time.Time
	DeliveredAt   time.Time // zero until delivered
	Log           []Attempt // oldest first
}

// Attempt is one recorded attempt of a delivery.
type Attempt struct {
	N         int
	StartedAt time.Time
	Duration  time.Duration
	Status    int    // the HTTP status, 0 when there was no answer
	Error     string // "" for a 2xx answer
}

// Deliveries returns the delivery log of a subscription: at most limit
// deliveries, latest event first, of events before position before (0: from
// the latest), each with its attempts. It fails with an error wrapping
// [ErrNotFound] for an unknown subscription.
func (r *Registry) Deliveries(ctx context.Context, subscription uuid.UUID, before int64, limit int) ([]Delivery, error) {
	if _, err := r.Subscription(ctx, subscription); err != nil {
		return nil, err
	}
	if before <= 0 {
		before = math.MaxInt64
	}
	if limit < 1 {
		limit = 1
	}
	rows, err := r.db.QueryContext(ctx, r.d.Rebind(`SELECT id, subscription_id, event_id, event_type, stream, version, position,
		status, attempts, next_attempt_at, last_status, last_error, created_at, delivered_at
		FROM webhook_deliveries WHERE subscription_id = ? AND position < ? ORDER BY position DESC LIMIT ?`),
		subscription.String(), before, limit)
	if err != nil {
		return nil, fmt.Errorf("webhooks: read deliveries of %s: %w", subscription, err)
	}
	defer rows.Close()
	var out []Delivery
	index := map[string]int{}
	for rows.Next() {
		var (
			d                          Delivery
			id, sub, event, status     string
			next, created, deliveredAt string
		)
		if err := rows.Scan(&id, &sub, &event, &d.EventType, &d.Stream, &d.Version, &d.Position,
			&status, &d.Attempts, &next, &d.LastStatus, &d.LastError, &created, &deliveredAt); err != nil {
			return nil, fmt.Errorf("webhooks: read deliveries of %s: %w", subscription, err)
		}
		if err := parseIDs([]*uuid.UUID{&d.ID, &d.SubscriptionID, &d.EventID}, id, sub, event); err != nil {
			return nil, fmt.Errorf("webhooks: read deliveries of %s: %w", subscription, err)
		}
		d.Status, d.CreatedAt, d.DeliveredAt = Status(status), unstamp(created), unstamp(deliveredAt)
		if d.Status == Pending {
			d.NextAttemptAt = unstamp(next)
		}
		index[id] = len(out)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("webhooks: read deliveries of %s: %w", subscription, err)
	}
	rows.Close()
	if len(out) == 0 {
		return out, nil
	}
	args := make([]any, 0, len(out))
	for _, d := range out {
		args = append(args, d.ID.String())
	}
	q := `SELECT delivery_id, attempt, started_at, duration_ms, status, error FROM webhook_attempts
		WHERE delivery_id IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ") + `) ORDER BY delivery_id, attempt`
	arows, err := r.db.QueryContext(ctx, r.d.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("webhooks: read attempts of %s: %w", subscription, err)
	}
	defer arows.Close()
	for arows.Next() {
		var (
			a           Attempt
			id, started string
			ms          int64
		)
		if err := arows.Scan(&id, &a.N, &started, &ms, &a.Status, &a.Error); err != nil {
			return nil, fmt.Errorf("webhooks: read attempts of %s: %w", subscription, err)
		}
		a.StartedAt, a.Duration = unstamp(started), time.Duration(ms)*time.Millisecond
		i := index[id]
		out[i].Log = append(out[i].Log, a)
	}
	if err := arows.Err(); err != nil {
		return nil, fmt.Errorf("webhooks: read attempts of %s: %w", subscription, err)
	}
	return out, nil
}

// parseIDs parses each stored id of src into the matching dst.
func parseIDs(dst []*uuid.UUID, src ...string) error {
	for i, s := range src {
		id, err := uuid.Parse(s)
		if err != nil {
			return fmt.Errorf("stored id %q: %w", s, err)
		}
		*dst[i] = id
	}
	return nil
}
