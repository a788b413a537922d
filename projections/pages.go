package projections

import (
	"context"
	"errors"
	"fmt"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
)

// An asset's page (GET /v1/assets/{id}) and its timeline are derived from
// its stream when they are asked for, not stored: they are read one asset
// at a time, always whole, and an asset's history is one ordered read of
// the log. Stored, they were 830 MB of a 10^6-event log's 1,330 MB of
// read models, and making and writing them about 30% of a rebuild's time
// (docs/performance.md, "Asset pages and timelines derived when asked").
// Derived when asked they are never behind the log, and they cost what
// the projector already spends on every event: one stream read, [Decode]
// and a derivation.

// StreamReader reads one stream of the log: what the asset's page and
// timeline are derived from. An [eventstore.Store] is one.
type StreamReader interface {
	ReadStream(ctx context.Context, stream string, fromVersion int64, pd eventstore.PersonalData) ([]eventstore.Event, error)
}

// Asset returns the asset's row and its public view, derived from its
// stream in the log. An unknown asset is an error wrapping
// domain.ErrNotFound.
func (q *Queries) Asset(ctx context.Context, id string) (AssetRow, error) {
	history, err := q.history(ctx, id)
	if err != nil {
		return AssetRow{}, fmt.Errorf("asset %s: %w", id, err)
	}
	return derive(id, q.Regimes, history, withView).Asset, nil
}

// Timeline returns the asset's history in plain English, oldest first,
// derived from its stream in the log. An unknown asset is an error
// wrapping domain.ErrNotFound.
func (q *Queries) Timeline(ctx context.Context, id string) ([]TimelineEntry, error) {
	history, err := q.history(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("timeline of %s: %w", id, err)
	}
	return timeline(id, q.Regimes, history), nil
}

// history reads the asset's stream and decodes it. A stream with no
// events is an unknown asset.
func (q *Queries) history(ctx context.Context, id string) ([]Recorded, error) {
	if q.Log == nil {
		return nil, errors.New("no log to derive it from (Queries.Log is nil)")
	}
	if len(q.Regimes.All()) == 0 {
		return nil, errors.New("no regime to derive it under (Queries.Regimes is empty)")
	}
	// The rows hold no personal data, so they are the same whether its
	// sealed values are opened or not (TestRowsHoldNoPersonalData): the
	// history is read as erased, with no key read or used, as the
	// projector reads it.
	stored, err := q.Log.ReadStream(ctx, domain.AssetStream(id), 1, eventstore.AsErased)
	if err != nil {
		return nil, err
	}
	if len(stored) == 0 {
		return nil, domain.ErrNotFound
	}
	return Decode(stored)
}
