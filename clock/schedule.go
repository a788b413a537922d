package clock

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/messaging"
)

// ConsumerName is the consumer group of [Schedule]. It never changes once
// deployed: the offset and the poison queue are keyed by it.
const ConsumerName = "clock"

// Schedule is the consumer that keeps clock_schedule up to date: after
// every event of an asset, the asset's row holds the first day on which a
// clock event of the asset falls due, or is gone when none is pending. It
// derives the row from the asset's whole stream, so handling an event
// twice, out of a replay or after a later event, writes the same row. It is
// safe for concurrent use.
type Schedule struct {
	assets  *eventstore.Assets
	dialect eventstore.Dialect
}

var _ messaging.Consumer = (*Schedule)(nil)

// NewSchedule returns the schedule consumer, loading assets with assets and
// writing queries in dialect d (the dialect of the log's database, which
// holds clock_schedule; see [Migrate]).
func NewSchedule(assets *eventstore.Assets, d eventstore.Dialect) *Schedule {
	return &Schedule{assets: assets, dialect: d}
}

// Name returns [ConsumerName].
func (s *Schedule) Name() string { return ConsumerName }

// Handle rewrites the schedule row of the asset whose stream e belongs to,
// through tx; events of other streams are ignored. It returns an error if
// the asset cannot be loaded or the row cannot be written.
func (s *Schedule) Handle(ctx context.Context, tx messaging.Tx, e eventstore.Event) error {
	id, ok := strings.CutPrefix(e.Stream, domain.AssetStream(""))
	if !ok || id == "" {
		return nil
	}
	a, err := s.assets.Load(ctx, id)
	if errors.Is(err, domain.ErrNotFound) {
		return s.clear(ctx, tx, id)
	}
	if err != nil {
		return fmt.Errorf("clock: schedule asset %s: %w", id, err)
	}
	due, pending := a.NextClockDue()
	if !pending {
		return s.clear(ctx, tx, id)
	}
	return s.set(ctx, tx, id, due)
}

func (s *Schedule) set(ctx context.Context, tx messaging.Tx, id string, due domain.Date) error {
	_, err := tx.ExecContext(ctx, s.dialect.Rebind(`INSERT INTO clock_schedule (asset_id, due_on) VALUES (?, ?)
ON CONFLICT (asset_id) DO UPDATE SET due_on = excluded.due_on`), id, due.String())
	if err != nil {
		return fmt.Errorf("clock: schedule asset %s on %s: %w", id, due, err)
	}
	return nil
}

func (s *Schedule) clear(ctx context.Context, tx messaging.Tx, id string) error {
	if _, err := tx.ExecContext(ctx, s.dialect.Rebind(`DELETE FROM clock_schedule WHERE asset_id = ?`), id); err != nil {
		return fmt.Errorf("clock: unschedule asset %s: %w", id, err)
	}
	return nil
}
