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
// read models, and making and writing them the largest part of a
// rebuild's work (docs/performance.md). Derived when asked they are never
// behind the log, and they cost what the projector already spends on
// every event: one stream read, [Decode] and [Derive].

// StreamReader reads one stream of the log: what the asset's page and
// timeline are derived from. An [eventstore.Store] is one.
type StreamReader interface {
	ReadStream(ctx context.Context, stream string, fromVersion int64, pd eventstore.PersonalData) ([]eventstore.Event, error)
}

// Asset returns the asset's row and its public view, derived from its
// stream in the log. An unknown asset is an error wrapping
// domain.ErrNotFound.
func (q *Queries) Asset(ctx context.Context, id string) (AssetRow, error) {
	rows, err := q.derive(ctx, id, withView)
	if err != nil {
		return AssetRow{}, fmt.Errorf("asset %s: %w", id, err)
	}
	return rows.Asset, nil
}

// Timeline returns the asset's history in plain English, oldest first,
// derived from its stream in the log. An unknown asset is an error
// wrapping domain.ErrNotFound.
func (q *Queries) Timeline(ctx context.Context, id string) ([]TimelineEntry, error) {
	rows, err := q.derive(ctx, id, withTimeline)
	if err != nil {
		return nil, fmt.Errorf("timeline of %s: %w", id, err)
	}
	return rows.Timeline, nil
}

// derive reads the asset's stream and derives its rows, with the pages
// want asks for. A stream with no events is an unknown asset.
func (q *Queries) derive(ctx context.Context, id string, want pages) (AssetRows, error) {
	if q.Log == nil {
		return AssetRows{}, errors.New("no log to derive it from (Queries.Log is nil)")
	}
	// The rows hold no personal data, so they are the same whether its
	// sealed values are opened or not (TestRowsHoldNoPersonalData): the
	// history is read as erased, with no key read or used, as the
	// projector reads it.
	stored, err := q.Log.ReadStream(ctx, domain.AssetStream(id), 1, eventstore.AsErased)
	if err != nil {
		return AssetRows{}, err
	}
	if len(stored) == 0 {
		return AssetRows{}, domain.ErrNotFound
	}
	history, err := Decode(stored)
	if err != nil {
		return AssetRows{}, err
	}
	return derive(id, q.Regimes, history, want), nil
}
