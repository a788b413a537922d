package domain

import "fmt"

// Party is a person or organisation named in an event: an owner, occupier,
// buyer, claimant or recipient of a notice. ID is the registry's stable id for
// the party when it has one; owner-only rules (a review, a compensation claim)
// compare IDs, never names. Names and addresses of individuals are personal
// data: the API redacts them for the public.
type Party struct {
	ID         string `json:"id,omitempty"`
	Name       string `json:"name"`
	Address    string `json:"address,omitempty"`
	PublicBody bool   `json:"public_body,omitempty"` // a public body cannot claim compensation (Regs reg 15)
}

// IsZero reports whether p names nobody.
func (p Party) IsZero() bool { return p == Party{} }

// Estate is the kind of interest a party holds in the land.
type Estate string

// The estates a nomination reports (Regs reg 6).
const (
	Freehold  Estate = "freehold"
	Leasehold Estate = "leasehold"
)

// Interest is a freehold or leasehold estate in the land as the nominator knows
// it (Regs reg 6): who holds it, and for a lease the term it was originally
// granted for, which decides who the owner is (s.107: a lease of 25 years or
// more).
type Interest struct {
	Holder         Party  `json:"holder"`
	Estate         Estate `json:"estate"`
	LeaseTermYears int    `json:"lease_term_years,omitempty"`
}

// BodyKind is the legal form of a community body that nominates land or asks
// to be treated as a potential bidder.
type BodyKind string

// The legal forms of community bodies (s.89, Regs regs 4-5 and 12). The last
// three cannot nominate or bid; they exist so that a refusal can name them.
const (
	ParishCouncil             BodyKind = "parish_council"
	NeighbourhoodForum        BodyKind = "neighbourhood_forum"
	UnincorporatedBody        BodyKind = "unincorporated_body"
	Charity                   BodyKind = "charity"
	CompanyLimitedByGuarantee BodyKind = "company_limited_by_guarantee"
	CooperativeSociety        BodyKind = "cooperative_society" // co-operative or community benefit society
	CommunityInterestCompany  BodyKind = "community_interest_company"
	Individual                BodyKind = "individual"
	PublicBody                BodyKind = "public_body" // other than a parish council
	OtherCompany              BodyKind = "other_company"
)

// BodyKinds returns every known kind, in a stable order.
func BodyKinds() []BodyKind {
	return []BodyKind{ParishCouncil, NeighbourhoodForum, UnincorporatedBody, Charity,
		CompanyLimitedByGuarantee, CooperativeSociety, CommunityInterestCompany,
		Individual, PublicBody, OtherCompany}
}

func (k BodyKind) valid() bool {
	for _, v := range BodyKinds() {
		if k == v {
			return true
		}
	}
	return false
}

// Body is a community body as it describes itself: a nominator (s.89) or a
// group asking to be treated as a potential bidder (Regs reg 12). Eligibility
// is decided by the regime from these facts; see [Regime.NominatorEligible]
// and [Regime.BidderEligible].
type Body struct {
	ID   string   `json:"id,omitempty"`
	Name string   `json:"name"`
	Kind BodyKind `json:"kind"`
	// LocalConnection: the body's activities are wholly or partly concerned
	// with the council's area or a neighbouring authority's area (Regs reg 4);
	// for a parish council, the land is in its parish or in an adjoining
	// parish or unparished area (s.89(2)(a)).
	LocalConnection bool `json:"local_connection"`
	// LocalElectorMembers is the number of members who are registered local
	// electors; an unincorporated body needs at least 21 (Regs reg 5).
	LocalElectorMembers int `json:"local_elector_members,omitempty"`
	// DistributesSurplus: the body distributes any surplus to its members;
	// unincorporated bodies, companies limited by guarantee and co-operatives
	// must not (Regs reg 5).
	DistributesSurplus bool `json:"distributes_surplus,omitempty"`
}

func (b Body) validate(field string) error {
	if b.Name == "" {
		return invalid(field+".name", "is required")
	}
	if !b.Kind.valid() {
		return invalid(field+".kind", fmt.Sprintf("unknown kind %q", b.Kind))
	}
	if b.LocalElectorMembers < 0 {
		return invalid(field+".local_elector_members", "must not be negative")
	}
	return nil
}

// LandUse says whether the land falls in a class that can never be listed
// (Regs reg 3, Sch 1).
type LandUse string

// The land uses a nomination declares.
const (
	NonResidential    LandUse = "non_residential"
	PartlyResidential LandUse = "partly_residential" // e.g. a pub with a flat above: may be listed
	Residence         LandUse = "residence"          // a residence and land connected with it
	CaravanSite       LandUse = "caravan_site"       // needing a site licence
	OperationalLand   LandUse = "operational_land"   // of a statutory undertaker
)

func (u LandUse) valid() bool {
	switch u {
	case NonResidential, PartlyResidential, Residence, CaravanSite, OperationalLand:
		return true
	}
	return false
}

// Land is the statutory description of nominated land (Regs reg 6(a)).
type Land struct {
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Boundaries  string  `json:"boundaries"` // proposed boundaries: WKT, a plan reference or words
	Address     string  `json:"address,omitempty"`
	Postcode    string  `json:"postcode,omitempty"`
	UPRN        string  `json:"uprn,omitempty"`
	Use         LandUse `json:"use"`
	// Point is a representative point of the land (WGS84), for maps and the
	// data standard's point field; nil when not known.
	Point *Point `json:"point,omitempty"`
	// Category is what the land is (pub, green_space, library, ...), for
	// statistics; free text, not a statutory field.
	Category string `json:"category,omitempty"`
}

// Point is a WGS84 position.
type Point struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}
