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
// twice, out of a replay or after a later event, writes the same row; and
// it records in clock_versions the version of the stream it derived from,
// so that an event that version already holds is not derived again (a
// consumer catching up on a long log loads each asset once, not once an
// event). It is safe for concurrent use.
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
// through tx; events of other streams are ignored. When the row was last
// derived, through a transaction that committed, from a stream already
// holding e (clock_versions), it is left as it is: the asset's stream only
// grows, so deriving it again would write the same row, and a later event
// of the stream comes to this consumer after e. It returns an error if the
// asset cannot be loaded or the row cannot be read or written.
func (s *Schedule) Handle(ctx context.Context, tx messaging.Tx, e eventstore.Event) error {
	id, ok := strings.CutPrefix(e.Stream, domain.AssetStream(""))
	if !ok || id == "" {
		return nil
	}
	derived, err := s.derived(ctx, tx, id)
	if err != nil {
		return err
	}
	if derived >= e.Version {
		return nil
	}
	// A due date depends on no personal data: the asset is loaded with its
	// sealed values as erased, and no key is read or used.
	a, err := s.assets.LoadAs(ctx, id, eventstore.AsErased)
	if errors.Is(err, domain.ErrNotFound) {
		return s.clear(ctx, tx, id)
	}
	if err != nil {
		return fmt.Errorf("clock: schedule asset %s: %w", id, err)
	}
	if due, pending := a.NextClockDue(); pending {
		err = s.set(ctx, tx, id, due)
	} else {
		err = s.clear(ctx, tx, id)
	}
	if err != nil {
		return err
	}
	return s.setDerived(ctx, tx, id, a.Version())
}

// derived returns the stream version the asset's row was last derived
// from, 0 if none is recorded.
func (s *Schedule) derived(ctx context.Context, tx messaging.Tx, id string) (int64, error) {
	v, err := messaging.QueryInt64(ctx, tx, s.dialect.Rebind(`SELECT version FROM clock_versions WHERE asset_id = ?`), id)
	if err != nil {
		return 0, fmt.Errorf("clock: read the derived version of asset %s: %w", id, err)
	}
	return v, nil
}

func (s *Schedule) setDerived(ctx context.Context, tx messaging.Tx, id string, version int64) error {
	_, err := tx.ExecContext(ctx, s.dialect.Rebind(`INSERT INTO clock_versions (asset_id, version) VALUES (?, ?)
ON CONFLICT (asset_id) DO UPDATE SET version = excluded.version`), id, version)
	if err != nil {
		return fmt.Errorf("clock: record asset %s derived at version %d: %w", id, version, err)
	}
	return nil
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
