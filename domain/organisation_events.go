package domain

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// The stored names of organisation events; never renamed or reused.
const (
	TypeOrganisationRegistered = "acv.organisation-registered.v1"
	TypeOrganisationUpdated    = "acv.organisation-updated.v1"
)

// OrganisationEvent is a fact of an organisation's stream.
type OrganisationEvent interface {
	EventType() string
	// EffectiveOn is the civil date in England the fact took effect.
	EffectiveOn() Date
}

// OrganisationRegistered records that an administrator registered an
// organisation.
type OrganisationRegistered struct {
	OrganisationID string           `json:"organisation_id"`
	Kind           OrganisationKind `json:"kind"`
	OrganisationDetails
	At time.Time `json:"at"`
}

// OrganisationUpdated records that an organisation's details changed; it
// holds the whole new details.
type OrganisationUpdated struct {
	OrganisationID string `json:"organisation_id"`
	OrganisationDetails
	At time.Time `json:"at"`
}

// EventType implements [OrganisationEvent].
func (OrganisationRegistered) EventType() string { return TypeOrganisationRegistered }

// EventType implements [OrganisationEvent].
func (OrganisationUpdated) EventType() string { return TypeOrganisationUpdated }

// EffectiveOn implements [OrganisationEvent].
func (e OrganisationRegistered) EffectiveOn() Date { return DateOf(e.At) }

// EffectiveOn implements [OrganisationEvent].
func (e OrganisationUpdated) EffectiveOn() Date { return DateOf(e.At) }

// organisationDecoders maps each stored organisation event type to its
// decoder. It is never modified.
var organisationDecoders = map[string]func([]byte) (OrganisationEvent, error){
	TypeOrganisationRegistered: decodeOrganisation[OrganisationRegistered],
	TypeOrganisationUpdated:    decodeOrganisation[OrganisationUpdated],
}

func decodeOrganisation[T OrganisationEvent](data []byte) (OrganisationEvent, error) {
	var e T
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, err
	}
	return e, nil
}

// OrganisationEventTypes returns the stored name of every organisation
// event type, sorted.
func OrganisationEventTypes() []string {
	ts := make([]string, 0, len(organisationDecoders))
	for t := range organisationDecoders {
		ts = append(ts, t)
	}
	sort.Strings(ts)
	return ts
}

// MarshalOrganisationEvent encodes e for storage: its stored type name and
// its JSON payload.
func MarshalOrganisationEvent(e OrganisationEvent) (typ string, data []byte, err error) {
	if e == nil {
		return "", nil, fmt.Errorf("marshal organisation event: nil event")
	}
	typ = e.EventType()
	if _, ok := organisationDecoders[typ]; !ok {
		return "", nil, fmt.Errorf("marshal organisation event %T: %w: %q", e, ErrUnknownEventType, typ)
	}
	data, err = json.Marshal(e)
	if err != nil {
		return "", nil, fmt.Errorf("marshal organisation event %s: %w", typ, err)
	}
	return typ, data, nil
}

// UnmarshalOrganisationEvent decodes a stored organisation event. An
// unknown type returns an error wrapping [ErrUnknownEventType].
func UnmarshalOrganisationEvent(typ string, data []byte) (OrganisationEvent, error) {
	dec, ok := organisationDecoders[typ]
	if !ok {
		return nil, fmt.Errorf("unmarshal organisation event: %w: %q", ErrUnknownEventType, typ)
	}
	e, err := dec(data)
	if err != nil {
		return nil, fmt.Errorf("unmarshal organisation event %s: %w", typ, err)
	}
	return e, nil
}
