package domain

import (
	"fmt"
	"regexp"
	"slices"
	"time"
)

// Organisations: the councils, community groups and owners that act in the
// registry. People act for organisations; the registry records no person as
// an actor. Each organisation is one stream (OrganisationStream), its facts
// [OrganisationRegistered] then any [OrganisationUpdated].
//
// Rules:
//   - A council is identified by its ONS/GSS code (E07000228) and records its
//     neighbouring councils, for the local-connection test of community
//     nominators and interest groups (Regs regs 4 and 12: activities concerned
//     with the council's area or a neighbouring authority's area).
//   - A community group records its legal form under Regs reg 5 (a
//     [BodyKind] that may nominate: not an individual, a public body other
//     than a parish council, or a distributing company), its registered
//     numbers (charity, company, society) and the council areas it serves.
//   - An owner is an organisation that owns land (s.107); its id is the party
//     id an asset's records name as owner. A public body cannot claim
//     compensation (Regs reg 15).
//   - An organisation's kind never changes; its name and details may.
//   - Organisations' names are public.

// OrganisationKind is what an organisation is to the registry.
type OrganisationKind string

// The kinds of organisation.
const (
	KindCouncil        OrganisationKind = "council"
	KindCommunityGroup OrganisationKind = "community_group"
	KindOwner          OrganisationKind = "owner"
)

// OrganisationKinds returns every kind, in a stable order.
func OrganisationKinds() []OrganisationKind {
	return []OrganisationKind{KindCouncil, KindCommunityGroup, KindOwner}
}

// OrganisationStream names the stream of the organisation with id.
func OrganisationStream(id string) string { return "organisation-" + id }

// councilCode matches an ONS/GSS code of an English local authority or a
// planning data local-authority code.
var councilCode = regexp.MustCompile(`^(?:E[0-9]{8}|local-authority:[A-Z0-9]{2,8})$`)

// orgID matches the registry's ids of community groups and owners.
var orgID = regexp.MustCompile(`^org-[A-Za-z0-9][A-Za-z0-9._-]{0,79}$`)

// IsCouncilCode reports whether s has the form of a council's code:
// an ONS/GSS code (E07000228) or a planning data code (local-authority:MDS).
func IsCouncilCode(s string) bool { return councilCode.MatchString(s) }

// RegisteredNumber is an organisation's number in a public register.
type RegisteredNumber struct {
	// Register is "charity" (Charity Commission), "company" (Companies
	// House), "society" (FCA mutuals register) or "other".
	Register string `json:"register"`
	Number   string `json:"number"`
}

func validRegister(r string) bool {
	switch r {
	case "charity", "company", "society", "other":
		return true
	}
	return false
}

// OrganisationDetails is what the registry records of an organisation
// besides its id and kind. Fields that do not apply to the kind are empty.
type OrganisationDetails struct {
	Name string `json:"name"`
	// Neighbours are the codes of a council's neighbouring councils.
	Neighbours []string `json:"neighbours,omitempty"`
	// LegalForm is a community group's legal form (Regs reg 5).
	LegalForm BodyKind `json:"legal_form,omitempty"`
	// RegisteredNumbers are a group's or owner's numbers in public registers.
	RegisteredNumbers []RegisteredNumber `json:"registered_numbers,omitempty"`
	// Serves are the codes of the councils whose areas a community group's
	// activities are concerned with.
	Serves []string `json:"serves,omitempty"`
	// LocalElectorMembers and DistributesSurplus describe a group as
	// [Body] does (Regs reg 5).
	LocalElectorMembers int  `json:"local_elector_members,omitempty"`
	DistributesSurplus  bool `json:"distributes_surplus,omitempty"`
	// PublicBody marks an owner that is a public body (Regs reg 15).
	PublicBody bool `json:"public_body,omitempty"`
}

func (d OrganisationDetails) equal(o OrganisationDetails) bool {
	return d.Name == o.Name && slices.Equal(d.Neighbours, o.Neighbours) && d.LegalForm == o.LegalForm &&
		slices.Equal(d.RegisteredNumbers, o.RegisteredNumbers) && slices.Equal(d.Serves, o.Serves) &&
		d.LocalElectorMembers == o.LocalElectorMembers && d.DistributesSurplus == o.DistributesSurplus &&
		d.PublicBody == o.PublicBody
}

func (d OrganisationDetails) clone() OrganisationDetails {
	d.Neighbours = slices.Clone(d.Neighbours)
	d.RegisteredNumbers = slices.Clone(d.RegisteredNumbers)
	d.Serves = slices.Clone(d.Serves)
	return d
}

// validate checks d for an organisation of kind with id.
func (d OrganisationDetails) validate(id string, kind OrganisationKind) error {
	if d.Name == "" {
		return invalid("name", "is required")
	}
	if len(d.Name) > 200 {
		return invalid("name", "is longer than 200 characters")
	}
	codes := func(field string, cs []string) error {
		seen := map[string]bool{}
		for i, c := range cs {
			f := fmt.Sprintf("%s[%d]", field, i)
			if !IsCouncilCode(c) {
				return invalid(f, fmt.Sprintf("%q is not a council code like E07000228", c))
			}
			if seen[c] {
				return invalid(f, fmt.Sprintf("%q is named twice", c))
			}
			seen[c] = true
		}
		return nil
	}
	for i, n := range d.RegisteredNumbers {
		if !validRegister(n.Register) {
			return invalid(fmt.Sprintf("registered_numbers[%d].register", i), fmt.Sprintf("unknown register %q: charity, company, society or other", n.Register))
		}
		if n.Number == "" {
			return invalid(fmt.Sprintf("registered_numbers[%d].number", i), "is required")
		}
	}
	notFor := func(field string, set bool) error {
		if set {
			return invalid(field, fmt.Sprintf("does not apply to a %s", kind))
		}
		return nil
	}
	switch kind {
	case KindCouncil:
		if err := codes("neighbours", d.Neighbours); err != nil {
			return err
		}
		if slices.Contains(d.Neighbours, id) {
			return invalid("neighbours", "a council is not its own neighbour")
		}
		for _, e := range []error{notFor("legal_form", d.LegalForm != ""), notFor("serves", len(d.Serves) > 0),
			notFor("registered_numbers", len(d.RegisteredNumbers) > 0), notFor("local_elector_members", d.LocalElectorMembers != 0),
			notFor("distributes_surplus", d.DistributesSurplus), notFor("public_body", d.PublicBody)} {
			if e != nil {
				return e
			}
		}
	case KindCommunityGroup:
		switch d.LegalForm {
		case ParishCouncil, NeighbourhoodForum, UnincorporatedBody, Charity, CompanyLimitedByGuarantee,
			CooperativeSociety, CommunityInterestCompany:
		case "":
			return invalid("legal_form", "is required")
		default:
			return invalid("legal_form", fmt.Sprintf("%q is not a community body (s.89, Regs reg 5)", d.LegalForm))
		}
		if d.LocalElectorMembers < 0 {
			return invalid("local_elector_members", "must not be negative")
		}
		if err := codes("serves", d.Serves); err != nil {
			return err
		}
		for _, e := range []error{notFor("neighbours", len(d.Neighbours) > 0), notFor("public_body", d.PublicBody)} {
			if e != nil {
				return e
			}
		}
	case KindOwner:
		for _, e := range []error{notFor("neighbours", len(d.Neighbours) > 0), notFor("legal_form", d.LegalForm != ""),
			notFor("serves", len(d.Serves) > 0), notFor("local_elector_members", d.LocalElectorMembers != 0),
			notFor("distributes_surplus", d.DistributesSurplus)} {
			if e != nil {
				return e
			}
		}
	}
	return nil
}

// Organisation is one organisation's record, rebuilt from its stream. Its
// zero value is not usable; see [NewOrganisation] and [RebuildOrganisation].
type Organisation struct {
	id      string
	kind    OrganisationKind
	details OrganisationDetails
	version int64
	pending []OrganisationEvent
}

// NewOrganisation returns the record of an organisation with id that has
// no history yet.
func NewOrganisation(id string) *Organisation { return &Organisation{id: id} }

// RebuildOrganisation returns the organisation whose stream is history,
// oldest first. It never fails or validates: stored events are facts.
func RebuildOrganisation(id string, history []OrganisationEvent) *Organisation {
	o := NewOrganisation(id)
	for _, e := range history {
		o.apply(e)
		o.version++
	}
	return o
}

// ID returns the organisation's id.
func (o *Organisation) ID() string { return o.id }

// Kind returns the organisation's kind; "" before it is registered.
func (o *Organisation) Kind() OrganisationKind { return o.kind }

// Name returns the organisation's public name.
func (o *Organisation) Name() string { return o.details.Name }

// Details returns a copy of what is recorded of the organisation.
func (o *Organisation) Details() OrganisationDetails { return o.details.clone() }

// Version returns the number of stored events the record was rebuilt from.
func (o *Organisation) Version() int64 { return o.version }

// Pending returns the events raised since the record was loaded.
func (o *Organisation) Pending() []OrganisationEvent { return slices.Clone(o.pending) }

// Registered reports whether the organisation has been registered.
func (o *Organisation) Registered() bool { return o.kind != "" }

// Serves reports whether a community group's activities are concerned with
// council's area or, by the neighbours of council (its record's
// Neighbours), a neighbouring authority's area: the local connection of
// Regs regs 4 and 12, as far as the registry's records show it.
func (o *Organisation) Serves(council string, neighbours []string) bool {
	for _, s := range o.details.Serves {
		if s == council || slices.Contains(neighbours, s) {
			return true
		}
	}
	return false
}

// Body returns a community group as a nominator or bidder names it, with
// its local connection to council as [Organisation.Serves] decides it.
func (o *Organisation) Body(council string, neighbours []string) Body {
	return Body{ID: o.id, Name: o.details.Name, Kind: o.details.LegalForm, LocalConnection: o.Serves(council, neighbours),
		LocalElectorMembers: o.details.LocalElectorMembers, DistributesSurplus: o.details.DistributesSurplus}
}

// Register records a new organisation of kind with details at time at. It
// returns a *ValidationError for a bad id, kind or detail, and an error
// matching [ErrConflict] if the organisation is registered already.
func (o *Organisation) Register(kind OrganisationKind, d OrganisationDetails, at time.Time) error {
	if o.Registered() {
		return fmt.Errorf("organisation %s is registered already: %w", o.id, ErrConflict)
	}
	switch kind {
	case KindCouncil:
		if !IsCouncilCode(o.id) {
			return invalid("id", fmt.Sprintf("%q is not a council code like E07000228", o.id))
		}
	case KindCommunityGroup, KindOwner:
		if !orgID.MatchString(o.id) {
			return invalid("id", fmt.Sprintf("%q is not an organisation id like org-friends-of-the-red-lion", o.id))
		}
	default:
		return invalid("kind", fmt.Sprintf("unknown kind %q: council, community_group or owner", kind))
	}
	if err := d.validate(o.id, kind); err != nil {
		return err
	}
	o.raise(OrganisationRegistered{OrganisationID: o.id, Kind: kind, OrganisationDetails: d.clone(), At: at.UTC()})
	return nil
}

// Update replaces the organisation's details. It returns an error matching
// [ErrNotFound] for an organisation not registered and a *ValidationError
// for a bad detail. Details equal to the present ones raise no event.
func (o *Organisation) Update(d OrganisationDetails, at time.Time) error {
	if !o.Registered() {
		return fmt.Errorf("organisation %s: %w", o.id, ErrNotFound)
	}
	if err := d.validate(o.id, o.kind); err != nil {
		return err
	}
	if d.equal(o.details) {
		return nil
	}
	o.raise(OrganisationUpdated{OrganisationID: o.id, OrganisationDetails: d.clone(), At: at.UTC()})
	return nil
}

func (o *Organisation) raise(e OrganisationEvent) {
	o.apply(e)
	o.pending = append(o.pending, e)
}

// apply folds one stored fact into the record. It never fails.
func (o *Organisation) apply(e OrganisationEvent) {
	switch e := e.(type) {
	case OrganisationRegistered:
		o.kind = e.Kind
		o.details = e.OrganisationDetails.clone()
	case OrganisationUpdated:
		o.details = e.OrganisationDetails.clone()
	}
}
