package domain

import "fmt"

// ExemptionCode is the ground on which a disposal is exempt from s.95 (the
// Act's s.95(5) and Regs Sch 3). Codes are stored in events: never rename or
// reuse one.
type ExemptionCode string

// The exempt-disposal grounds of domain-rules.md. (check) Where each ground
// sits, in s.95(5) or in Regs Sch 3, was not confirmed against the statute;
// the citations in [Localism2012]'s Exemptions say which is assumed.
const (
	ExemptGift                      ExemptionCode = "gift"                         // including to trustees
	ExemptPersonalRepresentatives   ExemptionCode = "personal_representatives"     // under a will or intestacy, or to pay debts and costs
	ExemptFamily                    ExemptionCode = "family"                       // between members of a family
	ExemptPartListedSingleOwnership ExemptionCode = "part_listed_single_ownership" // part-listed land in single ownership
	ExemptGoingConcern              ExemptionCode = "going_concern"                // a business sold as a going concern with its land
	ExemptTrustees                  ExemptionCode = "trustees"                     // trustees joining or leaving, disposals by trustees
	ExemptPartners                  ExemptionCode = "partners"                     // partners joining or leaving
	ExemptCourtOrder                ExemptionCode = "court_order"
	ExemptSeparationAgreement       ExemptionCode = "separation_agreement"
	ExemptIncapacity                ExemptionCode = "incapacity"
	ExemptPriorObligation           ExemptionCode = "prior_obligation" // planning obligation, option, pre-emption or first refusal made before listing
	ExemptCompulsoryPurchase        ExemptionCode = "compulsory_purchase"
	ExemptInsolvency                ExemptionCode = "insolvency"
	ExemptGroupCompanies            ExemptionCode = "group_companies" // within a group of companies
	ExemptClosedChurch              ExemptionCode = "closed_church"   // a closed Church of England church
	ExemptHealthService             ExemptionCode = "health_service"  // to continue health-service use
	ExemptEducation                 ExemptionCode = "education"       // a state-funded school, FE institution or 16-19 academy
	ExemptToCIGInMoratorium         ExemptionCode = "cig_in_moratorium"
)

// ExemptionCodes returns every exemption code of domain-rules.md, in the
// order it lists them.
func ExemptionCodes() []ExemptionCode {
	return []ExemptionCode{ExemptGift, ExemptPersonalRepresentatives, ExemptFamily,
		ExemptPartListedSingleOwnership, ExemptGoingConcern, ExemptTrustees, ExemptPartners,
		ExemptCourtOrder, ExemptSeparationAgreement, ExemptIncapacity, ExemptPriorObligation,
		ExemptCompulsoryPurchase, ExemptInsolvency, ExemptGroupCompanies, ExemptClosedChurch,
		ExemptHealthService, ExemptEducation, ExemptToCIGInMoratorium}
}

// localismExemptions returns the grounds of localism-2012 with their
// citations (check: see ExemptionCode).
func localismExemptions() map[ExemptionCode]string {
	m := map[ExemptionCode]string{}
	for _, c := range ExemptionCodes() {
		m[c] = "Regs Sch 3"
	}
	for _, c := range []ExemptionCode{ExemptGift, ExemptPersonalRepresentatives, ExemptFamily,
		ExemptPartListedSingleOwnership, ExemptGoingConcern, ExemptToCIGInMoratorium} {
		m[c] = "s.95(5)"
	}
	return m
}

func (a *Asset) disposal(id string) *DisposalRecorded {
	for i := range a.disposals {
		if a.disposals[i].DisposalID == id {
			return &a.disposals[i]
		}
	}
	return nil
}

// Disposal is a disposal of listed land by its owner, on DisposedOn: the day
// of the binding agreement (exchange of contracts), or of the disposal itself
// when there was no earlier binding agreement (s.96).
type Disposal struct {
	ID               string
	Kind             DisposalKind
	Exemption        ExemptionCode // for an exempt disposal
	Buyer            Party
	BuyerGroup       *Body // the buyer as a community group, for a sale to a CIG during a moratorium
	ObligationMadeOn Date  // for ExemptPriorObligation: when the obligation or option was made
	DisposedOn       Date
}

// RecordDisposal records a disposal of land that was listed on DisposedOn, by
// the recorded owner. A disposal in breach of s.95 is recorded, never
// refused, with InBreach, the rule it breaks and why: a relevant disposal is
// lawful only when conditions A, B and C hold (s.95(1)), or when it is to a
// community interest group during a moratorium; an exempt disposal only when
// its ground holds (a prior obligation made before listing, a CIG buyer during
// a moratorium). Whether a disposal in breach is ineffective (Regs reg 21,
// check) is for the courts: the registry flags, it does not decide title.
//
// It returns a *ValidationError for bad input or dates, or an exemption code
// the regime does not know, and a *RuleError when the land was not listed on
// DisposedOn (s.95 does not apply).
func (a *Asset) RecordDisposal(d Disposal, today Date) error {
	if err := a.checkNewID("disposal_id", d.ID); err != nil {
		return err
	}
	if err := checkDay("disposed_on", d.DisposedOn, today); err != nil {
		return err
	}
	if d.Buyer.Name == "" {
		return invalid("buyer.name", "is required")
	}
	if d.BuyerGroup != nil {
		if err := d.BuyerGroup.validate("buyer_group"); err != nil {
			return err
		}
	}
	e := a.entryOn(d.DisposedOn)
	if e == nil {
		return ruleErr(RuleDisposal, fmt.Sprintf("the land was not listed on %s; s.95 does not apply", d.DisposedOn))
	}
	n := a.noticeOn(d.DisposedOn)
	regime := e.regime
	if n != nil {
		regime = n.regime
	}
	ev := DisposalRecorded{
		AssetID:    a.id,
		DisposalID: d.ID,
		Kind:       d.Kind,
		Seller:     a.owner,
		Buyer:      d.Buyer,
		BuyerGroup: d.BuyerGroup,
		DisposedOn: d.DisposedOn,
	}
	if n != nil {
		ev.NoticeID = n.NoticeID
	}
	var breach *RuleError
	switch d.Kind {
	case RelevantDisposal:
		if d.Exemption != "" {
			return invalid("exemption", "a relevant disposal has no exemption ground")
		}
		breach = a.relevantDisposalBreach(d, n, regime)
	case ExemptDisposal:
		if _, ok := regime.Exemptions[d.Exemption]; !ok {
			return invalid("exemption", fmt.Sprintf("unknown exemption ground %q under regime %s", d.Exemption, regime.ID))
		}
		if d.Exemption == ExemptPriorObligation && d.ObligationMadeOn.IsZero() {
			return invalid("obligation_made_on", "is required for a prior obligation")
		}
		if d.Exemption == ExemptToCIGInMoratorium && d.BuyerGroup == nil {
			return invalid("buyer_group", "is required for a disposal to a community interest group")
		}
		ev.Exemption, ev.ObligationMadeOn = d.Exemption, d.ObligationMadeOn
		breach = exemptDisposalBreach(d, e, n, regime)
	default:
		return invalid("kind", fmt.Sprintf("unknown disposal kind %q", d.Kind))
	}
	if breach != nil {
		ev.InBreach, ev.Rule, ev.Reason = true, breach.Rule, breach.Message
	}
	a.raise(ev)
	return nil
}

// relevantDisposalBreach returns the rule a relevant disposal breaks, or nil
// when it is lawful: A, B and C hold, or the buyer is a community interest
// group and a moratorium is running.
func (a *Asset) relevantDisposalBreach(d Disposal, n *noticeState, regime Regime) *RuleError {
	if n == nil {
		return &RuleError{RuleConditionA, "the owner had not notified the council of its wish to dispose"}
	}
	if n.Owner.ID != a.owner.ID {
		return &RuleError{RuleConditionA, fmt.Sprintf("notice %s came from %s; the present owner must notify the council afresh", n.NoticeID, n.Owner.Name)}
	}
	switch n.phaseOn(d.DisposedOn) {
	case PhaseInterim, PhaseFull:
		if d.BuyerGroup != nil && regime.BidderEligible(*d.BuyerGroup) == nil {
			return nil // to a community interest group during a moratorium
		}
		return &RuleError{RuleConditionB, fmt.Sprintf("the moratorium of notice %s runs to the end of %s; until then only a community interest group may buy", n.NoticeID, n.moratoriumEnd())}
	case PhaseEnded:
		return &RuleError{RuleConditionC, fmt.Sprintf("the protected period of notice %s ended at the end of %s; a fresh notice is needed", n.NoticeID, n.protectedEnd())}
	}
	return nil // PhaseProtected: A, B and C hold
}

// exemptDisposalBreach returns the rule an exempt disposal breaks when its
// ground does not hold, or nil.
func exemptDisposalBreach(d Disposal, e *entryState, n *noticeState, regime Regime) *RuleError {
	cite := regime.Exemptions[d.Exemption]
	switch d.Exemption {
	case ExemptPriorObligation:
		if !d.ObligationMadeOn.Before(e.enteredOn) {
			return &RuleError{cite, fmt.Sprintf("the obligation was made on %s, not before the land was listed on %s", d.ObligationMadeOn, e.enteredOn)}
		}
	case ExemptToCIGInMoratorium:
		if n == nil || (n.phaseOn(d.DisposedOn) != PhaseInterim && n.phaseOn(d.DisposedOn) != PhaseFull) {
			return &RuleError{cite, fmt.Sprintf("no moratorium was running on %s", d.DisposedOn)}
		}
		if r := asRule(regime.BidderEligible(*d.BuyerGroup)); r != nil {
			return r
		}
	}
	return nil
}

// ChangeOwner records that the land has a new owner (s.107), as a new owner
// must tell the council (Regs reg 19). Naming the present owner raises no
// event. It returns a *ValidationError for a missing id or name or a bad date
// and a *RuleError for an asset with no nomination.
func (a *Asset) ChangeOwner(owner Party, changedOn, today Date) error {
	if len(a.nominations) == 0 {
		return ruleErr(RuleOwnerChange, "the asset has no nomination")
	}
	if owner.ID == "" {
		return invalid("owner.id", "is required")
	}
	if owner.Name == "" {
		return invalid("owner.name", "is required")
	}
	if err := checkDay("changed_on", changedOn, today); err != nil {
		return err
	}
	if owner == a.owner {
		return nil
	}
	a.raise(OwnerChanged{AssetID: a.id, Owner: owner, Previous: a.owner, ChangedOn: changedOn})
	return nil
}
