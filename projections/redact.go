package projections

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/personal"
)

// Redaction of personal data in raw events for the public: the raw events
// of the API, the live stream and webhooks all show events through a
// [Redactor].
//
// api.md: the public never sees the names and addresses of individual
// owners and occupiers, nominators' contact details or the list of 21
// electors; organisations' names are public. The rules are package
// personal's ([personal.Walk]), the same rules by which the event store
// seals personal data so that it can be erased; the redactor removes what
// they find, knowing what the sealer cannot: a party whose id is a
// community body's elsewhere in the stream is an organisation and may be
// named. Keys of parties stay, so an event still says that there was an
// owner; the JSON pointers of what was removed are listed with the event.

// Redactor removes personal data from the events of one stream. What it may
// show depends on what it has learnt of the stream: a party whose id is a
// community body's elsewhere in the stream is an organisation. It is not
// safe for concurrent use.
type Redactor struct {
	// bodies are the ids of community bodies, other than individuals,
	// that the stream names: a party with one of these ids is an
	// organisation.
	bodies map[string]bool
}

// NewRedactor returns a redactor for the events of one stream, which it
// learns from first (see [Redactor.Learn]).
func NewRedactor(events []eventstore.Event) *Redactor {
	rd := &Redactor{bodies: map[string]bool{}}
	for _, e := range events {
		rd.Learn(e.Data)
	}
	return rd
}

// Learn records which parties the event data names as community bodies.
// Data that is not JSON teaches nothing.
func (rd *Redactor) Learn(data json.RawMessage) {
	var v any
	if json.Unmarshal(data, &v) == nil {
		rd.learn(v)
	}
}

// learn records the ids of the community bodies in v: objects with a kind
// and local_connection, as domain.Body encodes.
func (rd *Redactor) learn(v any) {
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			rd.learn(e)
		}
	case map[string]any:
		id, _ := v["id"].(string)
		kind, isBody := v["kind"].(string)
		if _, ok := v["local_connection"]; isBody && ok && id != "" && kind != "individual" {
			rd.bodies[id] = true
		}
		for _, e := range v {
			rd.learn(e)
		}
	}
}

// Redact returns event data with personal data removed and the JSON
// pointers (from the event, so "/data/owner/name") of what it removed. Data
// with nothing to remove comes back unchanged, byte for byte, so that its
// hash can still be checked. It fails only for data that is not JSON.
func (rd *Redactor) Redact(data json.RawMessage) (json.RawMessage, []string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // keep numbers exactly as stored
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, nil, fmt.Errorf("redact: decode event data: %w", err)
	}
	var removed []string
	personal.Walk(v, func(id string) bool { return rd.bodies[id] }, func(f personal.Field) {
		delete(f.Parent, f.Key)
		removed = append(removed, "/data"+f.Pointer)
	})
	if len(removed) == 0 {
		return data, nil, nil
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, nil, fmt.Errorf("redact: encode event data: %w", err)
	}
	return out, removed, nil
}
