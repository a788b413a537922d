package domain

import "fmt"

// Removal is the council's removal of the current entry from the list
// (Regs reg 2). Ref names what lies behind it: the review (RemovedOnReview),
// appeal (RemovedOnAppeal) or disposal (RemovedOnRelevantDisposal).
type Removal struct {
	Reason    RemovalReason
	Ref       string
	Reasons   string // written reasons, given in the removal notice; required for no_community_value
	RemovedOn Date   // the first day the land is off the list
}

// RemoveFromList records that the current entry left the list. Each reason
// needs its ground: an overturned review (s.92), an allowed appeal
// (Regs reg 2(c)(i)), the council's view that the land is no longer of
// community value (Regs reg 2(c)(ii), with reasons), a relevant disposal that
// was not exempt (Regs reg 2(b)), or the end of the entry's 5 years (s.87(3)).
// It returns a *RuleError when the land is not listed or the ground is
// missing, an error wrapping [ErrNotFound] for an unknown Ref, and a
// *ValidationError for bad input or dates.
func (a *Asset) RemoveFromList(r Removal, today Date) error {
	if err := checkDay("removed_on", r.RemovedOn, today); err != nil {
		return err
	}
	e := a.currentEntry()
	if e == nil {
		return ruleErr(RuleRemoval, "the land is not on the list")
	}
	if err := checkNotBefore("removed_on", r.RemovedOn, e.enteredOn.AddDays(1), "the day after the date of entry"); err != nil {
		return err
	}
	if r.Reason != RemovedOnExpiry && r.RemovedOn.After(e.lastDay().AddDays(1)) {
		return ruleErr(e.regime.Listing.Rule, fmt.Sprintf("the entry's 5 years ended at the end of %s; record its expiry", e.lastDay()))
	}
	if err := a.checkRemovalGround(e, r); err != nil {
		return err
	}
	a.raise(RemovedFromList{
		AssetID:      a.id,
		NominationID: e.nominationID,
		Reason:       r.Reason,
		Ref:          r.Ref,
		Reasons:      r.Reasons,
		RemovedOn:    r.RemovedOn,
	})
	return nil
}

func (a *Asset) checkRemovalGround(e *entryState, r Removal) error {
	switch r.Reason {
	case RemovedOnReview:
		rv := a.review(r.Ref)
		if rv == nil {
			return fmt.Errorf("review %q: %w", r.Ref, ErrNotFound)
		}
		if rv.NominationID != e.nominationID || rv.decided == nil || rv.decided.Outcome != ReviewOverturned {
			return ruleErr(RuleReview, fmt.Sprintf("review %s did not decide that this listing should be removed", r.Ref))
		}
		return checkNotBefore("removed_on", r.RemovedOn, rv.decided.DecidedOn, "the review decision")
	case RemovedOnAppeal:
		ap := a.appeal(r.Ref)
		if ap == nil {
			return fmt.Errorf("appeal %q: %w", r.Ref, ErrNotFound)
		}
		rv := a.review(ap.ReviewID)
		if rv == nil || rv.NominationID != e.nominationID || ap.decided == nil || ap.decided.Outcome != AppealAllowed {
			return ruleErr(RuleRemoval+"(c)(i)", fmt.Sprintf("appeal %s was not allowed against this listing", ap.CaseNumber))
		}
		return checkNotBefore("removed_on", r.RemovedOn, ap.decided.DecidedOn, "the tribunal's decision")
	case RemovedNoCommunityValue:
		if r.Reasons == "" {
			return invalid("reasons", "written reasons are required ("+RuleRemovalNotice+")")
		}
		return nil
	case RemovedOnRelevantDisposal:
		d := a.disposal(r.Ref)
		if d == nil {
			return fmt.Errorf("disposal %q: %w", r.Ref, ErrNotFound)
		}
		if d.Kind != RelevantDisposal || d.DisposedOn.Before(e.enteredOn) {
			return ruleErr(RuleRemoval+"(b)", fmt.Sprintf("disposal %s is not a relevant disposal of the listed land; exempt disposals do not remove a listing", r.Ref))
		}
		return checkNotBefore("removed_on", r.RemovedOn, d.DisposedOn, "the disposal")
	case RemovedOnExpiry:
		if !r.RemovedOn.After(e.lastDay()) {
			return ruleErr(e.regime.Listing.Rule, fmt.Sprintf("the entry lasts until the end of %s", e.lastDay()))
		}
		return nil
	}
	return invalid("reason", fmt.Sprintf("unknown removal reason %q", r.Reason))
}
