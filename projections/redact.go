package projections

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/acv-registry/acv/eventstore"
)

// Redaction of personal data in raw events for the public: the raw events
// of the API, the live stream and webhooks all show events through a
// [Redactor].
//
// api.md: the public never sees the names and addresses of individual
// owners and occupiers, nominators' contact details or the list of 21
// electors; organisations' names are public. An event records parties
// (domain.Party: id, name, address, public_body) without saying whether a
// party is a person or a company, so the rules are conservative - they may
// hide a company's name, never show a person's - and follow the read
// models' rule ([PrivateOwner]). They work on the JSON, not on Go types, so
// that an event type added later is redacted too:
//
//  1. Keys that hold personal data wherever they appear are removed with
//     their values: evidence and local_extras (a nomination's supporting
//     material: constitutions, minutes, the 21 electors), occupants and
//     interests (who lives on or holds the land), and any contact details
//     (contact, email, phone, telephone, electors).
//  2. Review requesters, appellants, claimants, sellers and the recipients
//     of notices (the parties under requester, appellant, claimant, seller
//     and party) are never named: they lose id, name and address.
//  3. Any other party - under owner, previous, buyer, bidder or holder, or
//     any object shaped like domain.Party (a name and nothing but id,
//     address and public_body besides) - loses its id, name and address
//     unless it is known to be an organisation: a public body, an id that is
//     a community body's in the same stream, or an id in the form of an
//     organisation identifier (see [IsOrganisationID]).
//  4. A community body (domain.Body) whose kind is "individual" loses its id
//     and name; other bodies are organisations and stay.
//
// Keys stay, so an event still says that there was an owner; the JSON
// pointers of what was removed are listed with the event.

// dropped reports whether key is removed, with its value, wherever it
// appears (rule 1).
func dropped(key string) bool {
	switch key {
	case "evidence", "local_extras", "occupants", "interests", "contact", "email", "phone", "telephone", "electors":
		return true
	}
	return false
}

// partyRuleOf says how the value of key is treated as a party (rules 2
// and 3).
func partyRuleOf(key string) partyRule {
	switch key {
	case "requester", "appellant", "claimant", "seller", "party":
		return partyUnnamed
	case "owner", "previous", "buyer", "bidder", "holder":
		return partyNamed
	}
	return partyNone
}

// personalFields are what a party loses when it may not be named.
func personalFields() []string { return []string{"id", "name", "address"} }

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

// organisation reports whether party p may be named.
func (rd *Redactor) organisation(p map[string]any) bool {
	if pb, _ := p["public_body"].(bool); pb {
		return true
	}
	id, _ := p["id"].(string)
	return id != "" && (rd.bodies[id] || IsOrganisationID(id))
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
	v = rd.value(v, "/data", partyNone, &removed)
	if len(removed) == 0 {
		return data, nil, nil
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, nil, fmt.Errorf("redact: encode event data: %w", err)
	}
	return out, removed, nil
}

// partyRule says how the value of a key is treated as a party.
type partyRule int

const (
	partyNone    partyRule = iota // not under a party key
	partyNamed                    // named when known to be an organisation
	partyUnnamed                  // never named
)

// value redacts v found at path; rule says whether its key holds a party.
func (rd *Redactor) value(v any, path string, rule partyRule, removed *[]string) any {
	switch v := v.(type) {
	case []any:
		for i, e := range v {
			v[i] = rd.value(e, fmt.Sprintf("%s/%d", path, i), rule, removed)
		}
	case map[string]any:
		switch {
		case rule == partyUnnamed:
			removeFields(v, path, personalFields(), removed)
			return v
		case rule == partyNamed || partyShaped(v):
			if !rd.organisation(v) {
				removeFields(v, path, personalFields(), removed)
			}
			return v
		case v["kind"] == "individual" && hasKey(v, "name"):
			removeFields(v, path, []string{"id", "name"}, removed)
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			p := path + "/" + pointerEscape(k)
			if dropped(k) {
				delete(v, k)
				*removed = append(*removed, p)
				continue
			}
			v[k] = rd.value(v[k], p, partyRuleOf(k), removed)
		}
	}
	return v
}

// partyShaped reports whether m looks like a domain.Party: it has a name
// and nothing that a party does not have.
func partyShaped(m map[string]any) bool {
	if !hasKey(m, "name") {
		return false
	}
	for k := range m {
		switch k {
		case "id", "name", "address", "public_body":
		default:
			return false
		}
	}
	return true
}

func hasKey(m map[string]any, k string) bool {
	_, ok := m[k]
	return ok
}

// removeFields deletes fields of m, recording the ones that were there.
func removeFields(m map[string]any, path string, fields []string, removed *[]string) {
	for _, f := range fields {
		if _, ok := m[f]; ok {
			delete(m, f)
			*removed = append(*removed, path+"/"+pointerEscape(f))
		}
	}
}

// pointerEscape escapes a key for a JSON pointer (RFC 6901).
func pointerEscape(k string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(k)
}
