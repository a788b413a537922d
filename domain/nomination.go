package domain

import (
	"fmt"
	"maps"
)

// nominationState is a nomination as the aggregate knows it.
type nominationState struct {
	NominationReceived
	regime              Regime
	decided             *NominationDecided
	overdue             bool // NominationDecisionOverdue applied
	unsuccessfulExpired bool // UnsuccessfulEntryExpired applied
}

// due returns the last day of the decision period (Regs reg 7).
func (n *nominationState) due() Date { return n.regime.Decision.End(n.ReceivedOn) }

// entryState is one entry on the list of assets of community value.
type entryState struct {
	nominationID string
	regime       Regime
	outcome      Outcome
	listedPart   string
	enteredOn    Date
	noticeOn     Date // the first notice of listing, which starts the review window
	reviewUntil  Date // the council's extension of the review window
	removed      *RemovedFromList
	expired      *ListingExpired
}

// lastDay returns the last day of the entry's 5 years (s.87(3)).
func (e *entryState) lastDay() Date { return e.regime.Listing.End(e.enteredOn) }

// ended reports whether the entry has left the list by an applied event.
func (e *entryState) ended() bool { return e.removed != nil || e.expired != nil }

// listedOn reports whether the entry was on the list on day d.
func (e *entryState) listedOn(d Date) bool {
	if d.Before(e.enteredOn) || d.After(e.lastDay()) {
		return false
	}
	return e.removed == nil || d.Before(e.removed.RemovedOn)
}

func (a *Asset) nomination(id string) *nominationState {
	for _, n := range a.nominations {
		if n.NominationID == id {
			return n
		}
	}
	return nil
}

func (a *Asset) entry(nominationID string) *entryState {
	for _, e := range a.entries {
		if e.nominationID == nominationID {
			return e
		}
	}
	return nil
}

// currentEntry returns the entry still on the list by the events applied, or
// nil.
func (a *Asset) currentEntry() *entryState {
	if len(a.entries) == 0 {
		return nil
	}
	if e := a.entries[len(a.entries)-1]; !e.ended() {
		return e
	}
	return nil
}

// entryOn returns the entry listed on day d, or nil.
func (a *Asset) entryOn(d Date) *entryState {
	for _, e := range a.entries {
		if e.listedOn(d) {
			return e
		}
	}
	return nil
}

// pendingNomination returns the nomination awaiting a decision, or nil.
func (a *Asset) pendingNomination() *nominationState {
	for _, n := range a.nominations {
		if n.decided == nil {
			return n
		}
	}
	return nil
}

func (a *Asset) applyNominationReceived(e NominationReceived) {
	a.ids[e.NominationID] = true
	if a.council == "" {
		a.council = e.Council
	}
	a.nominations = append(a.nominations, &nominationState{
		NominationReceived: e,
		regime:             a.regimes.resolve(e.Regime, e.ReceivedOn),
	})
	if a.owner.IsZero() && !e.Owner.IsZero() {
		a.setOwner(e.Owner)
	}
}

func (a *Asset) applyNominationDecided(e NominationDecided) {
	n := a.nomination(e.NominationID)
	if n == nil {
		return
	}
	n.decided = &e
	if e.Outcome == Listed || e.Outcome == PartlyListed {
		a.entries = append(a.entries, &entryState{
			nominationID: e.NominationID,
			regime:       n.regime,
			outcome:      e.Outcome,
			listedPart:   e.ListedPart,
			enteredOn:    e.EnteredOn,
		})
	}
}

// Nomination is a community nomination as the council received it (s.89,
// Regs reg 6). Land, Occupants, Interests, Reasons and Evidence are the
// statutory content; LocalExtras holds what a council asks for beyond it and
// is never read by the rules. Owner is the owner within s.107 as far as it is
// known; owner-only rules compare its ID.
type Nomination struct {
	ID          string
	Council     string // ONS/GSS code (E07000228) or planning data code (local-authority:MDS)
	ReceivedOn  Date
	Nominator   Body
	Land        Land
	Occupants   []Party    // current occupants, as far as the nominator knows them
	Interests   []Interest // freehold and leasehold holders, as far as known
	Owner       Party
	Reasons     string // why the land is of community value (s.88)
	Evidence    string // evidence that the nominator is eligible
	LocalExtras map[string]string
}

// ReceiveNomination records a community nomination received by the council.
// It returns a *ValidationError for missing statutory content or a bad date,
// and a *RuleError when no regime was in force on the day of receipt, when the
// nominator cannot nominate at all (an individual, a public body, an ordinary
// company: s.89(2)), when another nomination awaits decision, or when the land
// is already listed. A nominator that is ineligible for other reasons is
// recorded; the land must then be decided not listed.
func (a *Asset) ReceiveNomination(n Nomination, today Date) error {
	if err := a.checkNewID("nomination_id", n.ID); err != nil {
		return err
	}
	if err := checkDay("received_on", n.ReceivedOn, today); err != nil {
		return err
	}
	if err := validateNomination(n); err != nil {
		return err
	}
	if a.council != "" && n.Council != a.council {
		return invalid("council", fmt.Sprintf("the asset is on the lists of %s, not %s", a.council, n.Council))
	}
	regime, err := a.regimes.RegimeFor(n.ReceivedOn)
	if err != nil {
		return err
	}
	switch n.Nominator.Kind {
	case Individual, PublicBody, OtherCompany:
		return ruleErr(RuleWhoMayNominate, fmt.Sprintf("a body of kind %s cannot make a community nomination", n.Nominator.Kind))
	}
	if p := a.pendingNomination(); p != nil {
		return ruleErr(RuleDecision, fmt.Sprintf("nomination %s received on %s still awaits a decision", p.NominationID, p.ReceivedOn))
	}
	if e := a.currentEntry(); e != nil && !n.ReceivedOn.After(e.lastDay()) {
		return ruleErr(RuleListed, fmt.Sprintf("the land is already listed, until the end of %s", e.lastDay()))
	}
	a.raise(NominationReceived{
		AssetID:      a.id,
		NominationID: n.ID,
		Regime:       regime.ID,
		Council:      n.Council,
		ReceivedOn:   n.ReceivedOn,
		Nominator:    n.Nominator,
		Land:         n.Land,
		Occupants:    append([]Party(nil), n.Occupants...),
		Interests:    append([]Interest(nil), n.Interests...),
		Owner:        n.Owner,
		Reasons:      n.Reasons,
		Evidence:     n.Evidence,
		LocalExtras:  maps.Clone(n.LocalExtras),
	})
	return nil
}

func validateNomination(n Nomination) error {
	if n.Council == "" {
		return invalid("council", "is required")
	}
	if err := n.Nominator.validate("nominator"); err != nil {
		return err
	}
	required := []struct{ field, value string }{
		{"land.name", n.Land.Name},
		{"land.description", n.Land.Description}, // Regs reg 6(a)
		{"land.boundaries", n.Land.Boundaries},   // Regs reg 6(a)
		{"reasons", n.Reasons},                   // Regs reg 6(c)
		{"evidence", n.Evidence},                 // Regs reg 6(d)
	}
	for _, r := range required {
		if r.value == "" {
			return invalid(r.field, "is required ("+RuleNominationForm+")")
		}
	}
	if !n.Land.Use.valid() {
		return invalid("land.use", fmt.Sprintf("unknown land use %q", n.Land.Use))
	}
	for i, p := range n.Occupants {
		if p.Name == "" {
			return invalid(fmt.Sprintf("occupants[%d].name", i), "is required")
		}
	}
	for i, in := range n.Interests {
		if in.Holder.Name == "" {
			return invalid(fmt.Sprintf("interests[%d].holder.name", i), "is required")
		}
		if in.Estate != Freehold && in.Estate != Leasehold {
			return invalid(fmt.Sprintf("interests[%d].estate", i), fmt.Sprintf("unknown estate %q", in.Estate))
		}
	}
	if !n.Owner.IsZero() && n.Owner.ID == "" {
		return invalid("owner.id", "is required when an owner is named")
	}
	return nil
}

// Decision is the council's decision on a nomination (s.90).
type Decision struct {
	Outcome    Outcome
	Reasons    string // written reasons; required unless the whole land is listed
	ListedPart string // for PartlyListed: the part listed
	DecidedOn  Date
	EnteredOn  Date // date of entry on the list (or the unsuccessful list); zero means DecidedOn
}

// DecideNomination records the decision on nomination id. It returns an error
// wrapping [ErrNotFound] for an unknown nomination; a *ValidationError for a
// bad outcome, missing reasons, or a date after today or before the
// nomination; and a *RuleError for a second decision, or for a listing that
// the law forbids: excluded land (Regs reg 3, Sch 1) or an ineligible
// nominator (s.89(2), Regs regs 4-5). A decision after the 8 weeks is valid:
// the nomination shows as decided late.
func (a *Asset) DecideNomination(id string, d Decision, today Date) error {
	n := a.nomination(id)
	if n == nil {
		return fmt.Errorf("nomination %s: %w", id, ErrNotFound)
	}
	// Input first, state second: a malformed decision is a bad request
	// whatever the nomination's state.
	switch d.Outcome {
	case Listed, PartlyListed, NotListed:
	default:
		return invalid("outcome", fmt.Sprintf("unknown outcome %q", d.Outcome))
	}
	if n.decided != nil {
		return ruleErr(RuleDecision, fmt.Sprintf("nomination %s was already decided on %s", id, n.decided.DecidedOn))
	}
	if d.Outcome != Listed && d.Reasons == "" {
		return invalid("reasons", "written reasons are required ("+RuleDecision+")")
	}
	if d.Outcome == PartlyListed && d.ListedPart == "" {
		return invalid("listed_part", "is required for a partial listing")
	}
	if err := checkDay("decided_on", d.DecidedOn, today); err != nil {
		return err
	}
	if err := checkNotBefore("decided_on", d.DecidedOn, n.ReceivedOn, "the nomination was received"); err != nil {
		return err
	}
	if d.EnteredOn.IsZero() {
		d.EnteredOn = d.DecidedOn
	}
	if err := checkDay("entered_on", d.EnteredOn, today); err != nil {
		return err
	}
	if err := checkNotBefore("entered_on", d.EnteredOn, d.DecidedOn, "the decision"); err != nil {
		return err
	}
	if d.Outcome != NotListed {
		if err := n.regime.LandExcluded(n.Land.Use); err != nil {
			return err
		}
		if err := n.regime.NominatorEligible(n.Nominator); err != nil {
			return err
		}
	}
	listedPart := d.ListedPart
	if d.Outcome != PartlyListed {
		listedPart = ""
	}
	a.raise(NominationDecided{
		AssetID:      a.id,
		NominationID: id,
		Outcome:      d.Outcome,
		Reasons:      d.Reasons,
		ListedPart:   listedPart,
		DecidedOn:    d.DecidedOn,
		EnteredOn:    d.EnteredOn,
	})
	return nil
}
