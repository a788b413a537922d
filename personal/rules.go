package personal

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The rules, conservative because an event records parties (domain.Party:
// id, name, address, public_body) without saying whether a party is a
// person or a company - they may treat a company as a person, never a
// person as a company:
//
//  1. Keys that hold personal data wherever they appear are personal with
//     their whole value: evidence and local_extras (a nomination's
//     supporting material: constitutions, minutes, the 21 electors),
//     occupants and interests (who lives on or holds the land), and any
//     contact details (contact, email, phone, telephone, electors).
//  2. Review requesters, appellants, claimants, sellers and the recipients
//     of notices (the parties under requester, appellant, claimant, seller
//     and party) are never named: their id, name and address are personal.
//  3. Any other party - under owner, previous, buyer, bidder or holder, or
//     any object shaped like domain.Party (a name and nothing but id,
//     address and public_body besides) - has a personal id, name and
//     address unless it is known to be an organisation: a public body, an
//     id in the form of an organisation identifier ([IsOrganisationID]),
//     or an id the caller knows to be an organisation's (the redactor
//     knows the community bodies of the stream; the sealer knows none).
//  4. A community body (domain.Body) whose kind is "individual" has a
//     personal id and name; other bodies are organisations.

// Whole reports whether the value of key is personal, whole, wherever it
// appears (rule 1).
func Whole(key string) bool {
	switch key {
	case "evidence", "local_extras", "occupants", "interests", "contact", "email", "phone", "telephone", "electors":
		return true
	}
	return false
}

// nominationKey reports whether key is a rule-1 key that holds a
// nominator's material: in a nomination (an event with a nominator and a
// nomination_id) it belongs to the nomination's
// subject, so one erasure removes the nominator's contact details and the
// list of electors together.
func nominationKey(key string) bool {
	switch key {
	case "evidence", "local_extras", "contact", "email", "phone", "telephone", "electors":
		return true
	}
	return false
}

// partyRule says how the value of a key is treated as a party (rules 2
// and 3).
type partyRule int

const (
	partyNone    partyRule = iota // not under a party key
	partyNamed                    // named when known to be an organisation
	partyUnnamed                  // never named
)

func partyRuleOf(key string) partyRule {
	switch key {
	case "requester", "appellant", "claimant", "seller", "party":
		return partyUnnamed
	case "owner", "previous", "buyer", "bidder", "holder":
		return partyNamed
	}
	return partyNone
}

// partyFields are what a party loses when it may not be named.
var partyFields = []string{"id", "name", "address"}

// bodyFields are what an individual community body loses.
var bodyFields = []string{"id", "name"}

// IsOrganisationID reports whether id has the form of an organisation
// identifier: the registry's "org-" ids, org-id.guide codes, planning data
// organisation codes. It is the one rule by which public rows, redacted
// events and sealing decide from an id alone that a party is not a person.
func IsOrganisationID(id string) bool { return orgIDPattern.MatchString(id) }

// orgIDPattern matches organisation identifiers (see [IsOrganisationID]).
var orgIDPattern = regexp.MustCompile(`^(?:org[-:]\S+|[A-Z]{2}-[A-Z]{2,5}-\S+|(?:local-authority|government-organisation|public-authority|national-park-authority|development-corporation|regional-park-authority|parish-council):\S+)$`)

// PartySubject is the data subject of a party or community body with id:
// "party:<id>". Parties and bodies share one namespace because the
// registry does (a party whose id is a body's is that body).
func PartySubject(id string) string { return "party:" + id }

// NominationSubject is the data subject of a nomination's supporting
// material (evidence, local extras, the electors, contact details):
// "nomination:<id>".
func NominationSubject(id string) string { return "nomination:" + id }

// EventSubject is the data subject of personal data that names no
// subject of its own (a party without an id, occupants, interests): one
// per event and JSON pointer, "event:<event id><pointer>".
func EventSubject(eventID, pointer string) string { return "event:" + eventID + pointer }

// ElementSubject is the data subject of one element of a list that is
// personal whole (rule 1) when the element names its person: an occupant
// (a party) or an interest (whose holder is a party) with an id is
// [PartySubject] of that id, so that erasing a party reaches it in lists
// too. It returns "" for anything else; a caller seals such an element
// under [EventSubject] of its own pointer.
func ElementSubject(key string, elem any) string {
	m, ok := elem.(map[string]any)
	if !ok {
		return ""
	}
	switch key {
	case "occupants":
	case "interests":
		m, _ = m["holder"].(map[string]any)
	default:
		return ""
	}
	if id, _ := m["id"].(string); id != "" {
		return PartySubject(id)
	}
	return ""
}

// Field is one personal field that [Walk] found.
type Field struct {
	// Parent is the object that holds the field and Key its key: a visitor
	// may delete Parent[Key] or replace it.
	Parent map[string]any
	Key    string
	// Pointer is the field's JSON pointer (RFC 6901) from the root of the
	// walked value, "/owner/name".
	Pointer string
	// Subject is whose data the field is, when the data says so:
	// [PartySubject] for a party or body with an id, [NominationSubject]
	// for a nominator's material in an event that names its nomination.
	// It is empty otherwise, and Scope is the pointer of the smallest
	// value the field belongs to (the party, or the field itself), which a
	// caller turns into [EventSubject].
	Subject string
	Scope   string
}

// Walk calls visit for every personal field of v, a decoded JSON value,
// in a stable order (object keys sorted, a party's id before its name and
// address). known reports whether a party id is known to be an
// organisation's beyond what [IsOrganisationID] shows; nil knows none.
// Walk does not descend into a visited field, so visit may delete or
// replace it.
func Walk(v any, known func(id string) bool, visit func(Field)) {
	w := walker{known: known, visit: visit}
	if root, ok := v.(map[string]any); ok && hasKey(root, "nominator") {
		w.nomination, _ = root["nomination_id"].(string)
	}
	w.value(v, "", partyNone)
}

type walker struct {
	known      func(string) bool
	visit      func(Field)
	nomination string // the nomination the event names, if any
}

// organisation reports whether party p may be named (rule 3).
func (w *walker) organisation(p map[string]any) bool {
	if pb, _ := p["public_body"].(bool); pb {
		return true
	}
	id, _ := p["id"].(string)
	return id != "" && (IsOrganisationID(id) || (w.known != nil && w.known(id)))
}

func (w *walker) value(v any, path string, rule partyRule) {
	switch v := v.(type) {
	case []any:
		for i, e := range v {
			if container(e) {
				w.value(e, path+"/"+strconv.Itoa(i), rule)
			}
		}
	case map[string]any:
		switch {
		case rule == partyUnnamed:
			w.fields(v, path, partyFields)
			return
		case rule == partyNamed || PartyShaped(v):
			if !w.organisation(v) {
				w.fields(v, path, partyFields)
			}
			return
		}
		var visited []string
		if v["kind"] == "individual" && hasKey(v, "name") {
			w.fields(v, path, bodyFields)
			visited = bodyFields
		}
		var held [16]string // most objects have fewer keys: no allocation
		keys := held[:0]
		for k := range v {
			if !slices.Contains(visited, k) {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			if Whole(k) {
				p := path + "/" + PointerEscape(k)
				f := Field{Parent: v, Key: k, Pointer: p, Scope: p}
				if w.nomination != "" && nominationKey(k) {
					f.Subject = NominationSubject(w.nomination)
				}
				w.visit(f)
				continue
			}
			if container(v[k]) { // a scalar holds nothing to find
				w.value(v[k], path+"/"+PointerEscape(k), partyRuleOf(k))
			}
		}
	}
}

// container reports whether v is a JSON object or array.
func container(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return true
	}
	return false
}

// fields visits the named fields of party or body m found at path, all
// under the subject of m's id.
func (w *walker) fields(m map[string]any, path string, names []string) {
	subject := ""
	if id, _ := m["id"].(string); id != "" {
		subject = PartySubject(id)
	}
	for _, f := range names {
		if _, ok := m[f]; ok {
			w.visit(Field{Parent: m, Key: f, Pointer: path + "/" + PointerEscape(f), Subject: subject, Scope: path})
		}
	}
}

// PartyShaped reports whether m looks like a domain.Party: it has a name
// and nothing that a party does not have.
func PartyShaped(m map[string]any) bool {
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

// PointerEscape escapes a key for a JSON pointer (RFC 6901).
func PointerEscape(k string) string {
	if !strings.ContainsAny(k, "~/") {
		return k
	}
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(k)
}
