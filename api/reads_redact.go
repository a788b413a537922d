package api

import (
	"encoding/json"

	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/projections"
)

// Redaction of personal data in raw events for the public. The rules live
// in projections (see [projections.Redactor]) because the live stream and
// webhooks show events in the same public form; here they serve
// GET /v1/assets/{id}/events, which redacts for everyone but an
// administrator. The access-control issue decides who else may see events
// unredacted.

// redactor removes personal data from the events of one stream.
type redactor struct{ rd *projections.Redactor }

// newRedactor returns a redactor for the events of one stream, all of
// which it reads first to learn which ids are organisations'.
func newRedactor(events []eventstore.Event) *redactor {
	return &redactor{rd: projections.NewRedactor(events)}
}

// redact returns event data with personal data removed and the JSON
// pointers of what it removed (see [projections.Redactor.Redact]).
func (r *redactor) redact(data json.RawMessage) (json.RawMessage, []string, error) {
	return r.rd.Redact(data)
}
