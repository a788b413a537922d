package eventstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/acv-registry/acv/domain"
	"github.com/google/uuid"
)

// Organisations loads and saves [domain.Organisation] records in a [Store],
// one stream per organisation (domain.OrganisationStream). Like [Assets], it
// records with each event the actor and correlation of the context. It is
// safe for concurrent use.
type Organisations struct {
	store Store
	newID func() uuid.UUID
}

// NewOrganisations returns the organisation repository over store. newID
// makes event ids.
func NewOrganisations(store Store, newID func() uuid.UUID) *Organisations {
	return &Organisations{store: store, newID: newID}
}

// Load returns the organisation with id rebuilt from its stream. It returns
// an error matching [domain.ErrNotFound] for an organisation with no events.
func (r *Organisations) Load(ctx context.Context, id string) (*domain.Organisation, error) {
	stored, err := r.store.ReadStream(ctx, domain.OrganisationStream(id), 1, Opened)
	if err != nil {
		return nil, fmt.Errorf("load organisation %s: %w", id, err)
	}
	if len(stored) == 0 {
		return nil, fmt.Errorf("organisation %s: %w", id, domain.ErrNotFound)
	}
	history, err := DecodeOrganisation(stored)
	if err != nil {
		return nil, fmt.Errorf("load organisation %s: %w", id, err)
	}
	return domain.RebuildOrganisation(id, history), nil
}

// DecodeOrganisation decodes the stored events of an organisation's stream.
func DecodeOrganisation(stored []Event) ([]domain.OrganisationEvent, error) {
	history := make([]domain.OrganisationEvent, len(stored))
	for i, e := range stored {
		var err error
		if history[i], err = domain.UnmarshalOrganisationEvent(e.Type, e.Data); err != nil {
			return nil, fmt.Errorf("version %d: %w", e.Version, err)
		}
	}
	return history, nil
}

// Create runs fn on a new organisation with id and saves what it raised. It
// fails with an error matching [domain.ErrConflict] if the organisation
// exists already.
func (r *Organisations) Create(ctx context.Context, id string, fn func(*domain.Organisation) error) (Saved, error) {
	o := domain.NewOrganisation(id)
	if err := fn(o); err != nil {
		return Saved{}, err
	}
	return r.save(ctx, o, NoStream)
}

// Update loads the organisation with id, runs fn on it and appends what fn
// raised. With expected >= 0 the record must be at that version, or Update
// fails with an error matching [domain.ErrConflict]; with expected < 0 a
// concurrent change re-runs fn on the new state, a few times.
func (r *Organisations) Update(ctx context.Context, id string, expected int64, fn func(*domain.Organisation) error) (Saved, error) {
	for attempt := 1; ; attempt++ {
		o, err := r.Load(ctx, id)
		if err != nil {
			return Saved{}, err
		}
		if expected >= 0 && o.Version() != expected {
			return Saved{}, fmt.Errorf("organisation %s is at version %d, not %d: %w", id, o.Version(), expected, domain.ErrConflict)
		}
		if err := fn(o); err != nil {
			return Saved{}, err
		}
		saved, err := r.save(ctx, o, Exact(o.Version()))
		if errors.Is(err, domain.ErrConflict) && expected < 0 && attempt < maxUpdateAttempts {
			continue
		}
		return saved, err
	}
}

func (r *Organisations) save(ctx context.Context, o *domain.Organisation, expected ExpectedVersion) (Saved, error) {
	pending := o.Pending()
	saved := Saved{Version: o.Version()}
	if len(pending) == 0 {
		return saved, nil
	}
	events := make([]NewEvent, len(pending))
	for i, e := range pending {
		typ, data, err := domain.MarshalOrganisationEvent(e)
		if err != nil {
			return Saved{}, fmt.Errorf("save organisation %s: %w", o.ID(), err)
		}
		events[i] = NewEvent{ID: r.newID(), Type: typ, Data: data, Metadata: metadataFrom(ctx, e.EffectiveOn(), "")}
	}
	positions, err := r.store.Append(ctx, domain.OrganisationStream(o.ID()), expected, events)
	if err != nil {
		return Saved{}, fmt.Errorf("save organisation %s: %w", o.ID(), err)
	}
	saved.Version += int64(len(pending))
	saved.Position = positions[len(positions)-1]
	return saved, nil
}
