package eventstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/acv-registry/acv/domain"
	"github.com/google/uuid"
)

// maxUpdateAttempts bounds how often [Assets.Update] re-runs a command that
// lost a race with another writer.
const maxUpdateAttempts = 5

// Assets loads and saves [domain.Asset] aggregates in a [Store], one stream
// per asset (domain.AssetStream). It is safe for concurrent use.
type Assets struct {
	store   Store
	regimes domain.Regimes
	newID   func() uuid.UUID
	// eventID, when set, names each event from its content instead of newID.
	eventID func(assetID string, e domain.Event) uuid.UUID
}

// NewAssets returns the asset repository over store. newID makes event ids.
func NewAssets(store Store, regimes domain.Regimes, newID func() uuid.UUID) *Assets {
	return &Assets{store: store, regimes: regimes, newID: newID}
}

// WithEventIDs returns a copy of r that names each event it saves
// f(asset id, event) instead of a fresh id from newID: for a writer that
// must be idempotent across nodes, restarts and replays (the statutory
// clock). f must be a pure function of its arguments, so that two saves of
// the same event carry the same id and the log stores it once (see
// [Store.Append]). For the rest of the stored content to match as well, the
// copy gives the events of a save made under a context without a
// correlation id ([WithCorrelation]) the first event's id as their
// correlation id, instead of uuid.Nil; the actor and causation still come
// from the context. r itself is unchanged.
func (r *Assets) WithEventIDs(f func(assetID string, e domain.Event) uuid.UUID) *Assets {
	c := *r
	c.eventID = f
	return &c
}

// Saved says where the events of one command landed.
type Saved struct {
	// Version is the asset's stream version after the command.
	Version int64
	// Position is the global position of the last event written; read
	// models that have caught up to it show the command's effect. It is 0
	// when the command raised nothing.
	Position int64
	// Events are the events the command raised, as stored.
	Events []domain.Event
}

// Load returns the asset with id rebuilt from its stream. It returns an
// error matching [domain.ErrNotFound] for an asset with no events.
func (r *Assets) Load(ctx context.Context, id string) (*domain.Asset, error) {
	return r.LoadAs(ctx, id, Opened)
}

// LoadAs is [Assets.Load] with the sealed personal data in the asset's
// events as pd says: a reader whose output holds none of it (the clock's
// schedule) loads [AsErased] and reads no key.
func (r *Assets) LoadAs(ctx context.Context, id string, pd PersonalData) (*domain.Asset, error) {
	a, err := r.load(ctx, id, pd)
	if err != nil {
		return nil, err
	}
	if a.Version() == 0 {
		return nil, fmt.Errorf("asset %s: %w", id, domain.ErrNotFound)
	}
	return a, nil
}

func (r *Assets) load(ctx context.Context, id string, pd PersonalData) (*domain.Asset, error) {
	stored, err := r.store.ReadStream(ctx, domain.AssetStream(id), 1, pd)
	if err != nil {
		return nil, fmt.Errorf("load asset %s: %w", id, err)
	}
	history := make([]domain.Event, len(stored))
	for i, e := range stored {
		if history[i], err = domain.UnmarshalEvent(e.Type, e.Data); err != nil {
			return nil, fmt.Errorf("load asset %s version %d: %w", id, e.Version, err)
		}
	}
	return domain.Rebuild(id, r.regimes, history), nil
}

// Create runs fn on a new asset with id and saves what it raised. It fails
// with an error matching [domain.ErrConflict] if the asset exists already.
func (r *Assets) Create(ctx context.Context, id string, fn func(*domain.Asset) error) (Saved, error) {
	a := domain.NewAsset(id, r.regimes)
	if err := fn(a); err != nil {
		return Saved{}, err
	}
	return r.save(ctx, a, NoStream)
}

// Update loads the asset with id, runs fn on it and appends what fn raised.
// With expected >= 0 (an HTTP If-Match), the asset must be at that version,
// or Update fails with an error matching [domain.ErrConflict] before running
// fn. With expected < 0 a concurrent change re-runs fn on the new state, a
// few times; fn must therefore only call the asset's methods. An asset with
// no events fails with [domain.ErrNotFound].
func (r *Assets) Update(ctx context.Context, id string, expected int64, fn func(*domain.Asset) error) (Saved, error) {
	for attempt := 1; ; attempt++ {
		a, err := r.Load(ctx, id)
		if err != nil {
			return Saved{}, err
		}
		if expected >= 0 && a.Version() != expected {
			return Saved{}, fmt.Errorf("asset %s is at version %d, not %d: %w", id, a.Version(), expected, domain.ErrConflict)
		}
		if err := fn(a); err != nil {
			return Saved{}, err
		}
		saved, err := r.save(ctx, a, Exact(a.Version()))
		if errors.Is(err, domain.ErrConflict) && expected < 0 && attempt < maxUpdateAttempts {
			continue
		}
		return saved, err
	}
}

func (r *Assets) save(ctx context.Context, a *domain.Asset, expected ExpectedVersion) (Saved, error) {
	pending := a.Pending()
	saved := Saved{Version: a.Version(), Events: pending}
	if len(pending) == 0 {
		return saved, nil
	}
	events := make([]NewEvent, len(pending))
	for i, e := range pending {
		typ, data, err := domain.MarshalEvent(e)
		if err != nil {
			return Saved{}, fmt.Errorf("save asset %s: %w", a.ID(), err)
		}
		id := r.idOf(a.ID(), e)
		if i == 0 {
			ctx = r.correlate(ctx, id)
		}
		events[i] = NewEvent{ID: id, Type: typ, Data: data, Metadata: metadataFrom(ctx, e.EffectiveOn(), a.RegimeOf(e))}
	}
	positions, err := r.store.Append(ctx, domain.AssetStream(a.ID()), expected, events)
	if err != nil {
		return Saved{}, fmt.Errorf("save asset %s: %w", a.ID(), err)
	}
	saved.Version += int64(len(pending))
	saved.Position = positions[len(positions)-1]
	return saved, nil
}

// idOf names a new event of asset assetID.
func (r *Assets) idOf(assetID string, e domain.Event) uuid.UUID {
	if r.eventID != nil {
		return r.eventID(assetID, e)
	}
	return r.newID()
}

// correlate returns the context of a save whose first event is first: for a
// copy made by [Assets.WithEventIDs] with no correlation id in ctx, one
// correlated by first, so the metadata is a function of the events too.
func (r *Assets) correlate(ctx context.Context, first uuid.UUID) context.Context {
	if r.eventID == nil || CorrelationFrom(ctx) != uuid.Nil {
		return ctx
	}
	causation, _ := ctx.Value(causationKey).(uuid.UUID)
	return WithCorrelation(ctx, first, causation)
}

type ctxKey int

const (
	actorKey ctxKey = iota
	correlationKey
	causationKey
)

// WithActor returns a context whose appends through [Assets] record actor.
func WithActor(ctx context.Context, actor Actor) context.Context {
	return context.WithValue(ctx, actorKey, actor)
}

// WithCorrelation returns a context whose appends through [Assets] carry
// the correlation id (the HTTP request's) and the causation id (the command
// or event that caused them; uuid.Nil for none).
func WithCorrelation(ctx context.Context, correlation, causation uuid.UUID) context.Context {
	ctx = context.WithValue(ctx, correlationKey, correlation)
	return context.WithValue(ctx, causationKey, causation)
}

// ActorFrom returns the actor set by [WithActor], if any.
func ActorFrom(ctx context.Context) Actor {
	a, _ := ctx.Value(actorKey).(Actor)
	return a
}

// CorrelationFrom returns the correlation id set by [WithCorrelation], or uuid.Nil.
func CorrelationFrom(ctx context.Context) uuid.UUID {
	id, _ := ctx.Value(correlationKey).(uuid.UUID)
	return id
}

func metadataFrom(ctx context.Context, effective domain.Date, regime string) Metadata {
	causation, _ := ctx.Value(causationKey).(uuid.UUID)
	return Metadata{
		EffectiveDate: effective,
		Actor:         ActorFrom(ctx),
		CorrelationID: CorrelationFrom(ctx),
		CausationID:   causation,
		Regime:        regime,
		SchemaVersion: 1,
	}
}
