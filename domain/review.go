package domain

import "fmt"

// reviewState is an owner's review of a listing (s.92, Regs Sch 2).
type reviewState struct {
	ReviewRequested
	regime      Regime
	agreedUntil Date // a longer decision period agreed with the owner
	decided     *ReviewDecided
	overdue     bool // ReviewDecisionOverdue applied
}

// due returns the last day for the review decision: 8 weeks beginning with
// receipt of the request, or the longer period agreed with the owner.
func (r *reviewState) due() Date {
	end := r.regime.ReviewDecision.End(r.ReceivedOn)
	return maxDate(end, r.agreedUntil)
}

// appealState is a tribunal appeal against a review decision.
type appealState struct {
	AppealLodged
	decided *AppealDecided
}

func (a *Asset) review(id string) *reviewState {
	for _, r := range a.reviews {
		if r.ReviewID == id {
			return r
		}
	}
	return nil
}

func (a *Asset) appeal(id string) *appealState {
	for _, ap := range a.appeals {
		if ap.AppealID == id {
			return ap
		}
	}
	return nil
}

// reviewWindowEnd returns the last day on which the owner may ask for a review
// of entry e, and false while the window has not started (no notice of
// listing has been given and the council has set no date).
func (e *entryState) reviewWindowEnd() (Date, bool) {
	if e.noticeOn.IsZero() {
		return e.reviewUntil, !e.reviewUntil.IsZero()
	}
	return maxDate(e.regime.ReviewRequest.End(e.noticeOn), e.reviewUntil), true
}

// ReviewRequest is the owner's written request for a review of the listing.
type ReviewRequest struct {
	ID          string
	Requester   Party
	ReceivedOn  Date
	OralHearing bool
}

// RequestReview records the owner's request for a review of the listing in
// force on the day it was received. It returns a *ValidationError for a bad
// date, and a *RuleError when the land was not listed that day (or never was),
// when the requester is not the recorded owner (s.92, s.107), when the listing
// was already reviewed, or when the request came after the review window: 8
// weeks beginning with the day notice of listing was given, or the longer
// period the council allowed.
func (a *Asset) RequestReview(r ReviewRequest, today Date) error {
	if err := a.checkNewID("review_id", r.ID); err != nil {
		return err
	}
	if err := checkDay("received_on", r.ReceivedOn, today); err != nil {
		return err
	}
	e := a.entryOn(r.ReceivedOn)
	if e == nil {
		if len(a.entries) == 0 {
			return ruleErr(RuleReview, "the land has never been listed; only a listing can be reviewed")
		}
		return ruleErr(RuleReview, fmt.Sprintf("the land was not listed on %s", r.ReceivedOn))
	}
	if err := a.checkOwner(r.Requester, RuleReview, "ask for a review"); err != nil {
		return err
	}
	for _, rv := range a.reviews {
		if rv.NominationID == e.nominationID {
			return ruleErr(RuleReview, fmt.Sprintf("review %s of this listing was already requested", rv.ReviewID))
		}
	}
	if end, started := e.reviewWindowEnd(); started && r.ReceivedOn.After(end) {
		return ruleErr(e.regime.ReviewRequest.Rule, fmt.Sprintf("the request was received on %s; the time to ask for a review ended at the end of %s", r.ReceivedOn, end))
	}
	a.raise(ReviewRequested{
		AssetID:      a.id,
		ReviewID:     r.ID,
		NominationID: e.nominationID,
		Requester:    r.Requester,
		ReceivedOn:   r.ReceivedOn,
		OralHearing:  r.OralHearing,
	})
	return nil
}

// checkOwner refuses a party that is not the recorded owner.
func (a *Asset) checkOwner(p Party, rule, what string) error {
	if a.owner.IsZero() {
		return ruleErr(RuleOwner, "no owner is recorded for the land; record the owner first (Regs reg 19)")
	}
	if p.ID == "" || p.ID != a.owner.ID {
		return ruleErr(rule, fmt.Sprintf("only the owner (%s) may %s", a.owner.Name, what))
	}
	return nil
}

// ExtendReviewWindow records that the council allowed the owner to ask for a
// review of the listing made by nominationID up to the end of until (s.92:
// "the council may allow longer"). It returns an error wrapping [ErrNotFound]
// for an unknown listing, a *ValidationError for a bad date, and a *RuleError
// when until does not extend the window or the listing was already reviewed.
func (a *Asset) ExtendReviewWindow(nominationID string, until, extendedOn, today Date) error {
	e := a.entry(nominationID)
	if e == nil {
		return fmt.Errorf("listing by nomination %s: %w", nominationID, ErrNotFound)
	}
	if err := checkDay("extended_on", extendedOn, today); err != nil {
		return err
	}
	if err := checkNotBefore("extended_on", extendedOn, e.enteredOn, "the date of entry"); err != nil {
		return err
	}
	if until.IsZero() {
		return invalid("until", "is required")
	}
	if end, started := e.reviewWindowEnd(); started && !until.After(end) {
		return ruleErr(e.regime.ReviewRequest.Rule, fmt.Sprintf("the window already runs to the end of %s", end))
	}
	if until.Before(extendedOn) {
		return invalid("until", "is before the day of the extension")
	}
	for _, rv := range a.reviews {
		if rv.NominationID == nominationID {
			return ruleErr(RuleReview, fmt.Sprintf("review %s of this listing was already requested", rv.ReviewID))
		}
	}
	a.raise(ReviewRequestWindowExtended{AssetID: a.id, NominationID: nominationID, Until: until, ExtendedOn: extendedOn})
	return nil
}

// AgreeReviewDecisionPeriod records a longer period for deciding review id,
// agreed in writing with the owner, ending at the end of until (Regs Sch 2).
// It returns a *RuleError for a decided review or a period that is not longer.
func (a *Asset) AgreeReviewDecisionPeriod(id string, until, agreedOn, today Date) error {
	r := a.review(id)
	if r == nil {
		return fmt.Errorf("review %s: %w", id, ErrNotFound)
	}
	if r.decided != nil {
		return ruleErr(RuleReviewProcedure, fmt.Sprintf("review %s was already decided", id))
	}
	if err := checkDay("agreed_on", agreedOn, today); err != nil {
		return err
	}
	if err := checkNotBefore("agreed_on", agreedOn, r.ReceivedOn, "the request was received"); err != nil {
		return err
	}
	if until.IsZero() || !until.After(r.due()) {
		return ruleErr(r.regime.ReviewDecision.Rule, fmt.Sprintf("an agreed period must end after %s", r.due()))
	}
	a.raise(ReviewDecisionPeriodAgreed{AssetID: a.id, ReviewID: id, Until: until, AgreedOn: agreedOn})
	return nil
}

// ReviewDecision is the senior officer's decision on a review.
type ReviewDecision struct {
	Outcome   ReviewOutcome
	Reasons   string
	DecidedOn Date
	SentOn    Date // the day the decision was sent to the owner; zero means DecidedOn
}

// DecideReview records the decision on review id. A decision after the due
// date is valid; the review shows as decided late. An overturned listing stays
// on the list until [Asset.RemoveFromList] records its removal. It returns a
// *RuleError for a review already decided and a *ValidationError for bad
// input or dates.
func (a *Asset) DecideReview(id string, d ReviewDecision, today Date) error {
	r := a.review(id)
	if r == nil {
		return fmt.Errorf("review %s: %w", id, ErrNotFound)
	}
	if r.decided != nil {
		return ruleErr(RuleReviewProcedure, fmt.Sprintf("review %s was already decided on %s", id, r.decided.DecidedOn))
	}
	if d.Outcome != ReviewUpheld && d.Outcome != ReviewOverturned {
		return invalid("outcome", fmt.Sprintf("unknown outcome %q", d.Outcome))
	}
	if d.Reasons == "" {
		return invalid("reasons", "is required")
	}
	if err := checkDay("decided_on", d.DecidedOn, today); err != nil {
		return err
	}
	if err := checkNotBefore("decided_on", d.DecidedOn, r.ReceivedOn, "the request was received"); err != nil {
		return err
	}
	if d.SentOn.IsZero() {
		d.SentOn = d.DecidedOn
	}
	if err := checkDay("sent_on", d.SentOn, today); err != nil {
		return err
	}
	if err := checkNotBefore("sent_on", d.SentOn, d.DecidedOn, "the decision"); err != nil {
		return err
	}
	a.raise(ReviewDecided{AssetID: a.id, ReviewID: id, Outcome: d.Outcome, Reasons: d.Reasons, DecidedOn: d.DecidedOn, SentOn: d.SentOn})
	return nil
}

// Appeal is the owner's appeal to the First-tier Tribunal against a review
// decision.
type Appeal struct {
	ID           string
	ReviewID     string
	CaseNumber   string // CR/yyyy/nnnn
	Appellant    Party
	LodgedOn     Date
	TimeExtended bool // the tribunal extended the time for a late appeal
}

// LodgeAppeal records the owner's appeal (Regs reg 11). It returns a
// *ValidationError for a malformed case number or bad date, and a *RuleError
// when the review is undecided or removed the listing, when the appellant is
// not the owner, when the review was already appealed, or when the appeal is
// lodged more than 28 days after the review decision was sent without the
// tribunal extending time.
func (a *Asset) LodgeAppeal(ap Appeal, today Date) error {
	if err := a.checkNewID("appeal_id", ap.ID); err != nil {
		return err
	}
	if err := checkCaseNumber("case_number", ap.CaseNumber); err != nil {
		return err
	}
	if err := checkDay("lodged_on", ap.LodgedOn, today); err != nil {
		return err
	}
	r := a.review(ap.ReviewID)
	if r == nil {
		return fmt.Errorf("review %s: %w", ap.ReviewID, ErrNotFound)
	}
	if r.decided == nil {
		return ruleErr(RuleAppeal, fmt.Sprintf("review %s has not been decided", r.ReviewID))
	}
	if r.decided.Outcome != ReviewUpheld {
		return ruleErr(RuleAppeal, fmt.Sprintf("review %s decided the land should not be listed; there is no listing to appeal", r.ReviewID))
	}
	if err := checkNotBefore("lodged_on", ap.LodgedOn, r.decided.SentOn, "the review decision was sent"); err != nil {
		return err
	}
	if err := a.checkOwner(ap.Appellant, RuleAppeal, "appeal"); err != nil {
		return err
	}
	for _, other := range a.appeals {
		if other.ReviewID == ap.ReviewID {
			return ruleErr(RuleAppeal, fmt.Sprintf("review %s was already appealed (%s)", ap.ReviewID, other.CaseNumber))
		}
	}
	if end := r.regime.Appeal.End(r.decided.SentOn); ap.LodgedOn.After(end) && !ap.TimeExtended {
		return ruleErr(r.regime.Appeal.Rule, fmt.Sprintf("the appeal is out of time: it had to be lodged by the end of %s unless the tribunal extends time", end))
	}
	a.raise(AppealLodged{
		AssetID:      a.id,
		AppealID:     ap.ID,
		ReviewID:     ap.ReviewID,
		CaseNumber:   ap.CaseNumber,
		Appellant:    ap.Appellant,
		LodgedOn:     ap.LodgedOn,
		TimeExtended: ap.TimeExtended,
	})
	return nil
}

// DecideAppeal records the tribunal's outcome of appeal id. An allowed appeal
// leaves the entry on the list until [Asset.RemoveFromList] records its
// removal. It returns a *RuleError for an appeal already decided.
func (a *Asset) DecideAppeal(id string, outcome AppealOutcome, decidedOn, today Date) error {
	ap := a.appeal(id)
	if ap == nil {
		return fmt.Errorf("appeal %s: %w", id, ErrNotFound)
	}
	if ap.decided != nil {
		return ruleErr(RuleAppeal, fmt.Sprintf("appeal %s was already decided on %s", ap.CaseNumber, ap.decided.DecidedOn))
	}
	switch outcome {
	case AppealAllowed, AppealDismissed, AppealWithdrawn:
	default:
		return invalid("outcome", fmt.Sprintf("unknown outcome %q", outcome))
	}
	if err := checkDay("decided_on", decidedOn, today); err != nil {
		return err
	}
	if err := checkNotBefore("decided_on", decidedOn, ap.LodgedOn, "the appeal was lodged"); err != nil {
		return err
	}
	a.raise(AppealDecided{AssetID: a.id, AppealID: id, Outcome: outcome, DecidedOn: decidedOn})
	return nil
}
