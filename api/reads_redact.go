package api

import (
	"encoding/json"
	"fmt"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/projections"
)

// Redaction of personal data in raw events for the public. The rules live
// in projections (see [projections.Redactor]) because the live stream and
// webhooks show events in the same public form; here they serve
// GET /v1/assets/{id}/events, which redacts for everyone but the officers
// of the asset's council and administrators ([seesPersonalData]).
//
// What an officer sees is the events as the store opens them: personal
// data is sealed in the log (see eventstore's DataKey) and reads as
// "[erased]" (or null) once its subject has been erased, for officers too.

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

// seesPersonalData reports whether caller may see the personal data in the
// raw events of an asset of council (api.md): an officer of the
// responsible council, or an administrator. The public, community groups,
// owners and other councils' officers see events redacted.
func seesPersonalData(c Caller, council string) bool {
	switch c.Role {
	case RoleAdministrator:
		return true
	case RoleCouncilOfficer:
		return council != "" && c.Org == council
	}
	return false
}

// councilOf returns the council responsible for the asset whose stream is
// events: the council its nomination was made to, "" if none names one.
func councilOf(events []eventstore.Event) (string, error) {
	for _, e := range events {
		var v struct {
			Council string `json:"council"`
		}
		if err := json.Unmarshal(e.Data, &v); err != nil {
			return "", fmt.Errorf("council of %s: version %d: %w", e.Stream, e.Version, err)
		}
		if v.Council != "" {
			return v.Council, nil
		}
	}
	return "", nil
}

// ownNomination reports whether e is a nomination that the community group
// calling made: api.md lets a group see its own nominations in full, as it
// wrote them (the owners and occupiers it named, its contact details, its
// electors). Its other events, and other groups' nominations, stay
// redacted for it.
func ownNomination(c Caller, e eventstore.Event) bool {
	if c.Role != RoleCommunityGroup || c.Org == "" || e.Type != domain.TypeNominationReceived {
		return false
	}
	var v struct {
		Nominator struct {
			ID string `json:"id"`
		} `json:"nominator"`
	}
	return json.Unmarshal(e.Data, &v) == nil && v.Nominator.ID == c.Org
}
