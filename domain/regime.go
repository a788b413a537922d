package domain

import (
	"fmt"
	"sort"
)

// Regime is one set of rules in force: its periods as data and its
// eligibility rules as functions. A process (a nomination, a disposal notice)
// keeps the regime in force on the day it started for its whole life, so a
// new regime changes nothing that began before its commencement.
//
// A Regime is a value; [Localism2012] builds a fresh one on every call and no
// regime is held in package state. Regime functions must be pure.
type Regime struct {
	ID          string // stored in events, never reused: "localism-2012"
	InForceFrom Date   // processes starting on or after this day use the regime

	Decision          TimeLimit // deciding a nomination, from its receipt
	Listing           TimeLimit // a list entry, from the date of entry
	UnsuccessfulEntry TimeLimit // an entry on the unsuccessful list
	ReviewRequest     TimeLimit // owner's review request, from notice of listing
	ReviewDecision    TimeLimit // review decision, from receipt of the request
	Appeal            TimeLimit // tribunal appeal, from the review decision being sent
	InterimMoratorium TimeLimit // and the window for a CIG request, from the owner's notice
	FullMoratorium    TimeLimit // from the owner's notice
	ProtectedPeriod   TimeLimit // from the owner's notice

	CompensationClaim  TimeLimit // from the loss or expense being incurred
	CompensationReview TimeLimit // from the written compensation decision
	CompensationAppeal TimeLimit // from the compensation review decision

	// NominatorEligible returns a *RuleError if the body may not make a
	// community nomination, nil otherwise.
	NominatorEligible func(Body) error
	// BidderEligible returns a *RuleError if the body is not a community
	// interest group that may ask to be treated as a potential bidder.
	BidderEligible func(Body) error
	// LandExcluded returns a *RuleError if land of this use can never be
	// listed.
	LandExcluded func(LandUse) error
	// Exemptions maps every exempt-disposal ground of the regime to its
	// citation. A code not in the map is not an exemption under the regime.
	Exemptions map[ExemptionCode]string
}

// Localism2012ID is the id of the regime of the Localism Act 2011 and the
// Assets of Community Value (England) Regulations 2012.
const Localism2012ID = "localism-2012"

// Localism2012 returns the regime of the Localism Act 2011, Part 5 Chapter 3,
// and SI 2012/2421, in force from 21 September 2012.
func Localism2012() Regime {
	return Regime{
		ID:                 Localism2012ID,
		InForceFrom:        NewDate(2012, 9, 21),
		Decision:           TimeLimit{Weeks(8), "Regs reg 7"},
		Listing:            TimeLimit{Years(5), "s.87(3)"},
		UnsuccessfulEntry:  TimeLimit{Years(5), "s.93"}, // (check) domain-rules.md
		ReviewRequest:      TimeLimit{Weeks(8), "s.92, Regs Sch 2"},
		ReviewDecision:     TimeLimit{Weeks(8), "Regs Sch 2"},
		Appeal:             TimeLimit{DaysAfter(28), "Regs reg 11"},
		InterimMoratorium:  TimeLimit{Weeks(6), "s.95(6)"},
		FullMoratorium:     TimeLimit{Months(6), "s.95(6)"},
		ProtectedPeriod:    TimeLimit{Months(18), "s.95(6)"},
		CompensationClaim:  TimeLimit{WeeksAfter(13), RuleCompClaimTime},
		CompensationReview: TimeLimit{Weeks(8), RuleCompReview},
		CompensationAppeal: TimeLimit{DaysAfter(28), RuleCompAppeal},
		NominatorEligible:  localismNominatorEligible,
		BidderEligible:     localismBidderEligible,
		LandExcluded:       localismLandExcluded,
		Exemptions:         localismExemptions(),
	}
}

// localismNominatorEligible applies s.89(2) and Regs regs 4-5.
func localismNominatorEligible(b Body) error {
	switch b.Kind {
	case Individual, PublicBody, OtherCompany:
		return ruleErr(RuleWhoMayNominate, fmt.Sprintf("a body of kind %s cannot make a community nomination", b.Kind))
	case ParishCouncil:
		if !b.LocalConnection {
			return ruleErr(RuleWhoMayNominate, "a parish council may nominate only land in its parish or an adjoining parish or unparished area")
		}
		return nil
	case UnincorporatedBody:
		if b.LocalElectorMembers < 21 {
			return ruleErr(RuleEligibleBody, fmt.Sprintf("an unincorporated body needs at least 21 members who are local electors, has %d", b.LocalElectorMembers))
		}
	}
	if nonDistributing(b.Kind) && b.DistributesSurplus {
		return ruleErr(RuleEligibleBody, fmt.Sprintf("a body of kind %s must not distribute any surplus to its members", b.Kind))
	}
	if !b.LocalConnection {
		return ruleErr(RuleLocalConnection, "the body has no local connection with the council's area or a neighbouring area")
	}
	return nil
}

// localismBidderEligible applies Regs reg 12 (check): community interest
// groups are narrower than nominators; neither unincorporated bodies nor
// neighbourhood forums may trigger the full moratorium.
func localismBidderEligible(b Body) error {
	switch b.Kind {
	case ParishCouncil, Charity, CommunityInterestCompany, CompanyLimitedByGuarantee, CooperativeSociety:
	default:
		return ruleErr(RuleCIG, fmt.Sprintf("a body of kind %s is not a community interest group", b.Kind))
	}
	if nonDistributing(b.Kind) && b.DistributesSurplus {
		return ruleErr(RuleCIG, fmt.Sprintf("a body of kind %s must not distribute any surplus to its members", b.Kind))
	}
	if !b.LocalConnection {
		return ruleErr(RuleCIG, "the group has no local connection with the council's area or a neighbouring area")
	}
	return nil
}

func nonDistributing(k BodyKind) bool {
	return k == UnincorporatedBody || k == CompanyLimitedByGuarantee || k == CooperativeSociety
}

// localismLandExcluded applies Regs reg 3 and Sch 1.
func localismLandExcluded(u LandUse) error {
	switch u {
	case Residence:
		return ruleErr(RuleExcludedLand, "a residence and land connected with it cannot be listed")
	case CaravanSite:
		return ruleErr(RuleExcludedLand, "a caravan site needing a site licence cannot be listed")
	case OperationalLand:
		return ruleErr(RuleExcludedLand, "operational land of a statutory undertaker cannot be listed")
	}
	return nil // partly residential land, such as a pub with a flat above, may be listed
}

// validate reports a regime that cannot be used.
func (r Regime) validate() error {
	if r.ID == "" {
		return fmt.Errorf("regime: missing id")
	}
	if r.InForceFrom.IsZero() {
		return fmt.Errorf("regime %s: missing commencement date", r.ID)
	}
	for name, tl := range map[string]TimeLimit{
		"decision": r.Decision, "listing": r.Listing, "unsuccessful entry": r.UnsuccessfulEntry,
		"review request": r.ReviewRequest, "review decision": r.ReviewDecision, "appeal": r.Appeal,
		"interim moratorium": r.InterimMoratorium, "full moratorium": r.FullMoratorium,
		"protected period": r.ProtectedPeriod, "compensation claim": r.CompensationClaim,
		"compensation review": r.CompensationReview, "compensation appeal": r.CompensationAppeal,
	} {
		if !tl.Period.Valid() {
			return fmt.Errorf("regime %s: invalid %s period %+v", r.ID, name, tl.Period)
		}
	}
	if r.NominatorEligible == nil || r.BidderEligible == nil || r.LandExcluded == nil {
		return fmt.Errorf("regime %s: missing rule function", r.ID)
	}
	return nil
}

// Regimes is the set of regimes a registry knows, each in force from its
// commencement until the next one's. It is an immutable value passed to
// [NewAsset] and [Rebuild]; the zero Regimes knows no regime and refuses every
// process. Safe for concurrent use.
type Regimes struct {
	list []Regime // sorted by InForceFrom
}

// NewRegimes returns the set of the given regimes. It returns an error for an
// invalid regime, a repeated id or two regimes commencing on the same day.
func NewRegimes(rs ...Regime) (Regimes, error) {
	list := append([]Regime(nil), rs...)
	sort.Slice(list, func(i, j int) bool { return list[i].InForceFrom.Before(list[j].InForceFrom) })
	seen := map[string]bool{}
	for i, r := range list {
		if err := r.validate(); err != nil {
			return Regimes{}, err
		}
		if seen[r.ID] {
			return Regimes{}, fmt.Errorf("regime %s: repeated id", r.ID)
		}
		seen[r.ID] = true
		if i > 0 && list[i-1].InForceFrom == r.InForceFrom {
			return Regimes{}, fmt.Errorf("regimes %s and %s commence on the same day", list[i-1].ID, r.ID)
		}
	}
	return Regimes{list: list}, nil
}

// DefaultRegimes returns the regimes in force in England today: localism-2012
// alone.
func DefaultRegimes() Regimes {
	rs, err := NewRegimes(Localism2012())
	if err != nil {
		panic(err) // a broken built-in regime is a programming mistake
	}
	return rs
}

// RegimeFor returns the regime in force on day d, the day a process started.
// A day before the first regime's commencement returns a *RuleError.
func (rs Regimes) RegimeFor(d Date) (Regime, error) {
	for i := len(rs.list) - 1; i >= 0; i-- {
		if !d.Before(rs.list[i].InForceFrom) {
			return rs.list[i], nil
		}
	}
	return Regime{}, ruleErr(RuleCommencement, fmt.Sprintf("no regime was in force on %s: the regime began on 21 September 2012", d))
}

// ByID returns the regime with the given id, and whether it is known.
func (rs Regimes) ByID(id string) (Regime, bool) {
	for _, r := range rs.list {
		if r.ID == id {
			return r, true
		}
	}
	return Regime{}, false
}

// All returns the regimes in order of commencement.
func (rs Regimes) All() []Regime { return append([]Regime(nil), rs.list...) }

// resolve returns the regime a stored event names. History is never refused:
// an id this build does not know falls back to the regime in force on the
// start day, then to the earliest regime, so Rebuild never fails.
func (rs Regimes) resolve(id string, start Date) Regime {
	if r, ok := rs.ByID(id); ok {
		return r
	}
	if r, err := rs.RegimeFor(start); err == nil {
		return r
	}
	if len(rs.list) > 0 {
		return rs.list[0]
	}
	return Localism2012()
}
