package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/google/uuid"
)

// PublicEvent is the public form of an event of the log: what the live
// stream (GET /v1/stream) and webhooks carry. Data is the payload with
// personal data removed by a [Redactor] that has learnt the event's stream
// up to and including the event, never later events, so an event's public
// form never changes once it is recorded: a webhook retried a day later
// sends the same body. Redacted lists the JSON pointers of what was
// removed. The actor is left out: who keyed a fact in is not public.
type PublicEvent struct {
	ID            uuid.UUID       `json:"id"`
	Type          string          `json:"type"`
	Stream        string          `json:"stream"`
	AssetID       string          `json:"asset_id,omitempty"`
	Council       string          `json:"council,omitempty"` // of the asset, from its nominations
	Position      int64           `json:"position"`
	Version       int64           `json:"version"`
	EffectiveDate domain.Date     `json:"effective_date"`
	RecordedAt    time.Time       `json:"recorded_at"`
	Regime        string          `json:"regime,omitempty"`
	Data          json.RawMessage `json:"data"`
	Redacted      []string        `json:"redacted,omitempty"`
}

// AssetIDOf returns the asset id of an asset stream ("asset-<id>"), "" for
// any other stream.
func AssetIDOf(stream string) string {
	id, ok := strings.CutPrefix(stream, domain.AssetStream(""))
	if !ok {
		return ""
	}
	return id
}

// maxPublishedStreams bounds how many streams a [Publisher] follows at
// once; past it, it forgets one and reads it again if it comes back.
const maxPublishedStreams = 4096

// Publisher turns events into their [PublicEvent] form. It follows each
// stream it is shown: an event that comes right after the last one it saw
// of a stream costs nothing more, any other reads the stream's events up to
// it from the store. It is safe for concurrent use.
type Publisher struct {
	store   eventstore.Store
	mu      sync.Mutex
	streams map[string]*published
}

// published is what a Publisher knows of one stream.
type published struct {
	rd      *Redactor
	council string
	last    PublicEvent // the public form of the stream's last event seen
}

// NewPublisher returns a publisher that reads streams from store.
func NewPublisher(store eventstore.Store) *Publisher {
	return &Publisher{store: store, streams: map[string]*published{}}
}

// Public returns the public form of e, a stored event. It fails if its
// stream cannot be read, or does not hold e.
func (p *Publisher) Public(ctx context.Context, e eventstore.Event) (PublicEvent, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if st := p.streams[e.Stream]; st != nil {
		switch {
		case st.last.ID == e.ID:
			return st.last, nil
		case st.last.Version == e.Version-1:
			return p.next(st, e)
		}
	}
	history, err := p.store.ReadStream(ctx, e.Stream, 1, eventstore.Opened)
	if err != nil {
		return PublicEvent{}, fmt.Errorf("publish %s@%d: read stream: %w", e.Stream, e.Version, err)
	}
	return p.replay(e.Stream, history, e.Version, e.ID)
}

// At returns the public form of the event at version of stream. It fails
// with an error wrapping [domain.ErrNotFound] if there is none.
func (p *Publisher) At(ctx context.Context, stream string, version int64) (PublicEvent, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	from, follows := int64(1), false
	st := p.streams[stream]
	if st != nil {
		switch {
		case st.last.Version == version:
			return st.last, nil
		case st.last.Version == version-1:
			from, follows = version, true
		}
	}
	events, err := p.store.ReadStream(ctx, stream, from, eventstore.Opened)
	if err != nil {
		return PublicEvent{}, fmt.Errorf("publish %s@%d: read stream: %w", stream, version, err)
	}
	if follows {
		if len(events) == 0 || events[0].Version != version {
			return PublicEvent{}, fmt.Errorf("publish %s@%d: %w", stream, version, domain.ErrNotFound)
		}
		return p.next(st, events[0])
	}
	return p.replay(stream, events, version, uuid.Nil)
}

// Council returns the council of the asset whose stream holds e, as its
// nominations recorded it by e; "" for an event of no asset.
func (p *Publisher) Council(ctx context.Context, e eventstore.Event) (string, error) {
	if AssetIDOf(e.Stream) == "" {
		return "", nil
	}
	pe, err := p.Public(ctx, e)
	return pe.Council, err
}

// replay learns history up to version (whose event must have id want,
// unless want is uuid.Nil) and returns that event's public form. The
// caller holds p.mu.
func (p *Publisher) replay(stream string, history []eventstore.Event, version int64, want uuid.UUID) (PublicEvent, error) {
	st := &published{rd: NewRedactor(nil)}
	for _, h := range history {
		if h.Version >= version {
			if h.Version != version || (want != uuid.Nil && h.ID != want) {
				break
			}
			if len(p.streams) >= maxPublishedStreams {
				for k := range p.streams {
					delete(p.streams, k) // any one: a forgotten stream is read again
					break
				}
			}
			p.streams[stream] = st
			return p.next(st, h)
		}
		st.learn(h)
	}
	return PublicEvent{}, fmt.Errorf("publish %s@%d: %w", stream, version, domain.ErrNotFound)
}

// next learns e, the event after st's last, and returns its public form.
func (p *Publisher) next(st *published, e eventstore.Event) (PublicEvent, error) {
	st.learn(e)
	data, redacted, err := st.rd.Redact(e.Data)
	if err != nil {
		return PublicEvent{}, fmt.Errorf("publish %s@%d: %w", e.Stream, e.Version, err)
	}
	st.last = PublicEvent{ID: e.ID, Type: e.Type, Stream: e.Stream, AssetID: AssetIDOf(e.Stream), Council: st.council,
		Position: e.Position, Version: e.Version, EffectiveDate: e.Metadata.EffectiveDate, RecordedAt: e.RecordedAt,
		Regime: e.Metadata.Regime, Data: data, Redacted: redacted}
	return st.last, nil
}

// learn folds e into what st knows: the bodies it names, and the council
// of the asset's first nomination (later nominations must name the same
// council; see domain.Asset.ReceiveNomination).
func (st *published) learn(e eventstore.Event) {
	st.rd.Learn(e.Data)
	if st.council == "" && e.Type == domain.TypeNominationReceived {
		var n struct {
			Council string `json:"council"`
		}
		if json.Unmarshal(e.Data, &n) == nil {
			st.council = n.Council
		}
	}
}
