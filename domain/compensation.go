package domain

import "fmt"

// claimState is a compensation claim and its review and appeal.
type claimState struct {
	CompensationClaimed
	regime        Regime
	decided       *CompensationDecided
	reviewUntil   Date // the council's extension of the review window
	reviewReq     *CompensationReviewRequested
	reviewDecided *CompensationReviewDecided
	appeal        *CompensationAppealLodged
	appealDecided *CompensationAppealDecided
}

// reviewWindowEnd returns the last day to ask for a review of the decision.
func (c *claimState) reviewWindowEnd() Date {
	return maxDate(c.regime.CompensationReview.End(c.decided.DecidedOn), c.reviewUntil)
}

func (c *claimState) total() int64 {
	var t int64
	for _, p := range c.Parts {
		t += p.AmountPence
	}
	return t
}

func (a *Asset) claim(id string) *claimState {
	for _, c := range a.claims {
		if c.ClaimID == id {
			return c
		}
	}
	return nil
}

func (a *Asset) applyCompensation(e Event) {
	switch e := e.(type) {
	case CompensationClaimed:
		a.ids[e.ClaimID] = true
		a.claims = append(a.claims, &claimState{CompensationClaimed: e, regime: a.regimeOfNomination(e.NominationID)})
		return
	}
	var c *claimState
	switch e := e.(type) {
	case CompensationDecided:
		if c = a.claim(e.ClaimID); c != nil {
			c.decided = &e
		}
	case CompensationReviewRequested:
		if c = a.claim(e.ClaimID); c != nil {
			c.reviewReq = &e
		}
	case CompensationReviewWindowExtended:
		if c = a.claim(e.ClaimID); c != nil {
			c.reviewUntil = e.Until
		}
	case CompensationReviewDecided:
		if c = a.claim(e.ClaimID); c != nil {
			c.reviewDecided = &e
		}
	case CompensationAppealLodged:
		if c = a.claim(e.ClaimID); c != nil {
			c.appeal = &e
		}
	case CompensationAppealDecided:
		if c = a.claim(e.ClaimID); c != nil {
			c.appealDecided = &e
		}
	}
}

// Claim is a written claim for compensation for loss or expense incurred
// because the land was listed (s.99, Regs reg 14).
type Claim struct {
	ID             string
	Claimant       Party
	LossIncurredOn Date // the day the loss or expense was incurred, or finished being incurred
	ReceivedOn     Date
	Parts          []ClaimPart
	Evidence       string
}

// ClaimCompensation records a compensation claim. It returns a
// *ValidationError for missing parts, amounts or evidence, or bad dates; and a
// *RuleError when the land had not been listed by the day of the loss, when
// the claimant is not the owner or a former owner (s.99), when the claimant is
// a public body (Regs reg 15), or when the claim arrives more than 13 weeks
// after the loss (Regs reg 14(5)).
func (a *Asset) ClaimCompensation(c Claim, today Date) error {
	if err := a.checkNewID("claim_id", c.ID); err != nil {
		return err
	}
	if err := checkDay("loss_incurred_on", c.LossIncurredOn, today); err != nil {
		return err
	}
	if err := checkDay("received_on", c.ReceivedOn, today); err != nil {
		return err
	}
	if err := checkNotBefore("received_on", c.ReceivedOn, c.LossIncurredOn, "the loss was incurred"); err != nil {
		return err
	}
	if len(c.Parts) == 0 {
		return invalid("parts", "a claim states the amount of each part ("+RuleCompensation+")")
	}
	for i, p := range c.Parts {
		if p.Description == "" {
			return invalid(fmt.Sprintf("parts[%d].description", i), "is required")
		}
		if p.AmountPence <= 0 {
			return invalid(fmt.Sprintf("parts[%d].amount_pence", i), "must be positive")
		}
	}
	if c.Evidence == "" {
		return invalid("evidence", "is required ("+RuleCompensation+")")
	}
	var listing *entryState
	for _, e := range a.entries {
		if !e.enteredOn.After(c.LossIncurredOn) {
			listing = e
		}
	}
	if listing == nil {
		return ruleErr(RuleCompensation, fmt.Sprintf("the land had not been listed by %s; only loss caused by a listing is compensated", c.LossIncurredOn))
	}
	if c.Claimant.ID == "" || !a.wasOwner(c.Claimant.ID) {
		return ruleErr(RuleCompensation, "only the owner or a former owner of the land may claim")
	}
	if c.Claimant.PublicBody {
		return ruleErr(RuleCompPublic, "a public body cannot claim compensation")
	}
	if end := listing.regime.CompensationClaim.End(c.LossIncurredOn); c.ReceivedOn.After(end) {
		return ruleErr(listing.regime.CompensationClaim.Rule, fmt.Sprintf("the claim is out of time: it had to arrive by the end of %s, 13 weeks after the loss", end))
	}
	a.raise(CompensationClaimed{
		AssetID:        a.id,
		ClaimID:        c.ID,
		NominationID:   listing.nominationID,
		Claimant:       c.Claimant,
		LossIncurredOn: c.LossIncurredOn,
		ReceivedOn:     c.ReceivedOn,
		Parts:          append([]ClaimPart(nil), c.Parts...),
		Evidence:       c.Evidence,
	})
	return nil
}

// CompensationDecision is the council's written decision on a claim, or on its
// review: the amount awarded, in pence, and why.
type CompensationDecision struct {
	AwardPence int64
	Reasons    string
	DecidedOn  Date
}

func (d CompensationDecision) validate(c *claimState, earliest Date, what string, today Date) error {
	if d.AwardPence < 0 || d.AwardPence > c.total() {
		return invalid("award_pence", fmt.Sprintf("must be between 0 and the amount claimed (%d)", c.total()))
	}
	if d.Reasons == "" {
		return invalid("reasons", "is required")
	}
	if err := checkDay("decided_on", d.DecidedOn, today); err != nil {
		return err
	}
	return checkNotBefore("decided_on", d.DecidedOn, earliest, what)
}

// DecideCompensation records the council's decision on claim id. The regime
// sets no deadline for it. It returns a *RuleError for a claim already
// decided.
func (a *Asset) DecideCompensation(id string, d CompensationDecision, today Date) error {
	c := a.claim(id)
	if c == nil {
		return fmt.Errorf("claim %s: %w", id, ErrNotFound)
	}
	if c.decided != nil {
		return ruleErr(RuleCompensation, fmt.Sprintf("claim %s was already decided on %s", id, c.decided.DecidedOn))
	}
	if err := d.validate(c, c.ReceivedOn, "the claim was received", today); err != nil {
		return err
	}
	a.raise(CompensationDecided{AssetID: a.id, ClaimID: id, AwardPence: d.AwardPence, Reasons: d.Reasons, DecidedOn: d.DecidedOn})
	return nil
}

// RequestCompensationReview records the claimant's request for a review of
// the decision on claim id (Regs reg 16). It returns a *RuleError when the
// claim is undecided, the requester is not the claimant, a review was already
// asked for, or the request arrives after 8 weeks beginning with the written
// decision (or the longer time the council allowed).
func (a *Asset) RequestCompensationReview(id string, requester Party, receivedOn, today Date) error {
	c := a.claim(id)
	if c == nil {
		return fmt.Errorf("claim %s: %w", id, ErrNotFound)
	}
	if err := checkDay("received_on", receivedOn, today); err != nil {
		return err
	}
	if c.decided == nil {
		return ruleErr(RuleCompReview, fmt.Sprintf("claim %s has not been decided", id))
	}
	if requester.ID == "" || requester.ID != c.Claimant.ID {
		return ruleErr(RuleCompReview, "only the claimant may ask for a review")
	}
	if c.reviewReq != nil {
		return ruleErr(RuleCompReview, fmt.Sprintf("a review of claim %s was already requested", id))
	}
	if err := checkNotBefore("received_on", receivedOn, c.decided.DecidedOn, "the decision"); err != nil {
		return err
	}
	if end := c.reviewWindowEnd(); receivedOn.After(end) {
		return ruleErr(c.regime.CompensationReview.Rule, fmt.Sprintf("the time to ask for a review ended at the end of %s", end))
	}
	a.raise(CompensationReviewRequested{AssetID: a.id, ClaimID: id, ReceivedOn: receivedOn})
	return nil
}

// ExtendCompensationReviewWindow records that the council allowed the
// claimant to ask for a review of claim id up to the end of until. It returns
// a *RuleError for an undecided claim, a review already asked for, or a date
// that does not extend the window.
func (a *Asset) ExtendCompensationReviewWindow(id string, until, extendedOn, today Date) error {
	c := a.claim(id)
	if c == nil {
		return fmt.Errorf("claim %s: %w", id, ErrNotFound)
	}
	if err := checkDay("extended_on", extendedOn, today); err != nil {
		return err
	}
	if c.decided == nil || c.reviewReq != nil {
		return ruleErr(RuleCompReview, fmt.Sprintf("claim %s has no review window to extend", id))
	}
	if err := checkNotBefore("extended_on", extendedOn, c.decided.DecidedOn, "the decision"); err != nil {
		return err
	}
	if !until.After(c.reviewWindowEnd()) {
		return ruleErr(c.regime.CompensationReview.Rule, fmt.Sprintf("the window already runs to the end of %s", c.reviewWindowEnd()))
	}
	a.raise(CompensationReviewWindowExtended{AssetID: a.id, ClaimID: id, Until: until, ExtendedOn: extendedOn})
	return nil
}

// DecideCompensationReview records the review decision on claim id. It
// returns a *RuleError when no review was requested or it was already
// decided.
func (a *Asset) DecideCompensationReview(id string, d CompensationDecision, today Date) error {
	c := a.claim(id)
	if c == nil {
		return fmt.Errorf("claim %s: %w", id, ErrNotFound)
	}
	if c.reviewReq == nil {
		return ruleErr(RuleCompReview, fmt.Sprintf("no review of claim %s was requested", id))
	}
	if c.reviewDecided != nil {
		return ruleErr(RuleCompReview, fmt.Sprintf("the review of claim %s was already decided", id))
	}
	if err := d.validate(c, c.reviewReq.ReceivedOn, "the review was requested", today); err != nil {
		return err
	}
	a.raise(CompensationReviewDecided{AssetID: a.id, ClaimID: id, AwardPence: d.AwardPence, Reasons: d.Reasons, DecidedOn: d.DecidedOn})
	return nil
}

// LodgeCompensationAppeal records the claimant's appeal to the First-tier
// Tribunal against the review decision on claim id. It returns a
// *ValidationError for a malformed case number, and a *RuleError when the
// review is undecided, the claim was already appealed, or the appeal is more
// than 28 days after the review decision without the tribunal extending time.
func (a *Asset) LodgeCompensationAppeal(id, caseNumber string, lodgedOn Date, timeExtended bool, today Date) error {
	c := a.claim(id)
	if c == nil {
		return fmt.Errorf("claim %s: %w", id, ErrNotFound)
	}
	if err := checkCaseNumber("case_number", caseNumber); err != nil {
		return err
	}
	if err := checkDay("lodged_on", lodgedOn, today); err != nil {
		return err
	}
	if c.reviewDecided == nil {
		return ruleErr(RuleCompAppeal, fmt.Sprintf("the review of claim %s has not been decided", id))
	}
	if c.appeal != nil {
		return ruleErr(RuleCompAppeal, fmt.Sprintf("claim %s was already appealed (%s)", id, c.appeal.CaseNumber))
	}
	if err := checkNotBefore("lodged_on", lodgedOn, c.reviewDecided.DecidedOn, "the review decision"); err != nil {
		return err
	}
	if end := c.regime.CompensationAppeal.End(c.reviewDecided.DecidedOn); lodgedOn.After(end) && !timeExtended {
		return ruleErr(c.regime.CompensationAppeal.Rule, fmt.Sprintf("the appeal is out of time: it had to be lodged by the end of %s unless the tribunal extends time", end))
	}
	a.raise(CompensationAppealLodged{AssetID: a.id, ClaimID: id, CaseNumber: caseNumber, LodgedOn: lodgedOn, TimeExtended: timeExtended})
	return nil
}

// DecideCompensationAppeal records the tribunal's outcome on the appeal of
// claim id and the award it leaves, in pence. It returns a *RuleError when no
// appeal was lodged or it was already decided.
func (a *Asset) DecideCompensationAppeal(id string, outcome AppealOutcome, awardPence int64, decidedOn, today Date) error {
	c := a.claim(id)
	if c == nil {
		return fmt.Errorf("claim %s: %w", id, ErrNotFound)
	}
	if c.appeal == nil {
		return ruleErr(RuleCompAppeal, fmt.Sprintf("claim %s has no appeal", id))
	}
	if c.appealDecided != nil {
		return ruleErr(RuleCompAppeal, fmt.Sprintf("the appeal on claim %s was already decided", id))
	}
	switch outcome {
	case AppealAllowed, AppealDismissed, AppealWithdrawn:
	default:
		return invalid("outcome", fmt.Sprintf("unknown outcome %q", outcome))
	}
	if awardPence < 0 {
		return invalid("award_pence", "must not be negative")
	}
	if err := checkDay("decided_on", decidedOn, today); err != nil {
		return err
	}
	if err := checkNotBefore("decided_on", decidedOn, c.appeal.LodgedOn, "the appeal was lodged"); err != nil {
		return err
	}
	a.raise(CompensationAppealDecided{AssetID: a.id, ClaimID: id, Outcome: outcome, AwardPence: awardPence, DecidedOn: decidedOn})
	return nil
}
