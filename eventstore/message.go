package eventstore

import (
	"fmt"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/acv-registry/acv/domain"
	"github.com/google/uuid"
)

// The metadata keys of an event carried as a Watermill message. The
// message's UUID is the event id and its payload the event's data.
// "correlation_id" is the key Watermill's own middleware uses.
const (
	MetaPosition      = "position"
	MetaStream        = "stream"
	MetaVersion       = "version"
	MetaType          = "type"
	MetaRecordedAt    = "recorded_at"
	MetaEffectiveDate = "effective_date"
	MetaActorOrg      = "actor_org"
	MetaActorRole     = "actor_role"
	MetaActorToken    = "actor_token"
	MetaCorrelationID = "correlation_id"
	MetaCausationID   = "causation_id"
	MetaRegime        = "regime"
	MetaSchemaVersion = "schema_version"
)

// ToMessage carries a stored event as a Watermill message. The hashes stay
// behind: consumers act on facts, and verify reads the log itself.
func ToMessage(e Event) *message.Message {
	msg := message.NewMessage(e.ID.String(), message.Payload(e.Data))
	m := e.Metadata
	effective := ""
	if !m.EffectiveDate.IsZero() {
		effective = m.EffectiveDate.String()
	}
	msg.Metadata = message.Metadata{
		MetaPosition:      strconv.FormatInt(e.Position, 10),
		MetaStream:        e.Stream,
		MetaVersion:       strconv.FormatInt(e.Version, 10),
		MetaType:          e.Type,
		MetaRecordedAt:    e.RecordedAt.UTC().Format(time.RFC3339Nano),
		MetaEffectiveDate: effective,
		MetaActorOrg:      m.Actor.Org,
		MetaActorRole:     m.Actor.Role,
		MetaActorToken:    m.Actor.TokenID,
		MetaCorrelationID: m.CorrelationID.String(),
		MetaCausationID:   m.CausationID.String(),
		MetaRegime:        m.Regime,
		MetaSchemaVersion: strconv.Itoa(m.SchemaVersion),
	}
	return msg
}

// FromMessage turns a message made by [ToMessage] back into the event.
func FromMessage(msg *message.Message) (Event, error) {
	var (
		e    Event
		errs []error
	)
	parse := func(key string, f func(string) error) {
		if err := f(msg.Metadata.Get(key)); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", key, err))
		}
	}
	parseInt := func(key string, dst *int64) {
		parse(key, func(s string) (err error) { *dst, err = strconv.ParseInt(s, 10, 64); return })
	}
	parseUUID := func(key string, dst *uuid.UUID) {
		parse(key, func(s string) (err error) { *dst, err = uuid.Parse(s); return })
	}
	m := &e.Metadata
	parse("uuid", func(string) (err error) { e.ID, err = uuid.Parse(msg.UUID); return })
	parseInt(MetaPosition, &e.Position)
	parseInt(MetaVersion, &e.Version)
	parse(MetaRecordedAt, func(s string) (err error) { e.RecordedAt, err = time.Parse(time.RFC3339Nano, s); return })
	parse(MetaEffectiveDate, func(s string) (err error) {
		if s == "" {
			return nil
		}
		m.EffectiveDate, err = domain.ParseDate(s)
		return
	})
	parseUUID(MetaCorrelationID, &m.CorrelationID)
	parseUUID(MetaCausationID, &m.CausationID)
	parse(MetaSchemaVersion, func(s string) (err error) { m.SchemaVersion, err = strconv.Atoi(s); return })
	if len(errs) > 0 {
		return Event{}, fmt.Errorf("message %s is not an event: %v", msg.UUID, errs)
	}
	e.Stream, e.Type, e.Data = msg.Metadata.Get(MetaStream), msg.Metadata.Get(MetaType), []byte(msg.Payload)
	m.Actor = Actor{Org: msg.Metadata.Get(MetaActorOrg), Role: msg.Metadata.Get(MetaActorRole), TokenID: msg.Metadata.Get(MetaActorToken)}
	m.Regime = msg.Metadata.Get(MetaRegime)
	return e, nil
}
