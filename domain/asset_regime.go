package domain

// RegimeOf returns the id of the regime that governs event e of this asset's
// history or pending events: for a nomination and everything that follows
// from it (its decision, notices, reviews, appeals, removal, expiry,
// compensation), the regime of the nomination; for a disposal notice and what
// follows from it (bidder requests, bids, moratorium clocks, disposals under
// it), the regime of the notice. NominationReceived and
// DisposalNoticeReceived also carry it in their Regime field. An event tied to
// no process (a change of owner) takes the regime of the latest nomination.
func (a *Asset) RegimeOf(e Event) string {
	switch e := e.(type) {
	case NominationReceived:
		return e.Regime
	case DisposalNoticeReceived:
		return e.Regime
	case NominationDecided:
		return a.regimeOfNomination(e.NominationID).ID
	case NominationDecisionOverdue:
		return a.regimeOfNomination(e.NominationID).ID
	case UnsuccessfulEntryExpired:
		return a.regimeOfNomination(e.NominationID).ID
	case ReviewRequestWindowExtended:
		return a.regimeOfNomination(e.NominationID).ID
	case RemovedFromList:
		return a.regimeOfNomination(e.NominationID).ID
	case ListingExpired:
		return a.regimeOfNomination(e.NominationID).ID
	case ReviewRequested:
		return a.regimeOfNomination(e.NominationID).ID
	case CompensationClaimed:
		return a.regimeOfNomination(e.NominationID).ID
	case NoticeGiven:
		if n := a.notice(e.Subject); n != nil {
			return n.regime.ID
		}
		if r := a.request(e.Subject); r != nil {
			return a.regimeOfNotice(r.NoticeID)
		}
		return a.regimeOfNomination(e.Subject).ID
	case BidderRequestReceived:
		return a.regimeOfNotice(e.NoticeID)
	case InterimMoratoriumEnded:
		return a.regimeOfNotice(e.NoticeID)
	case FullMoratoriumEnded:
		return a.regimeOfNotice(e.NoticeID)
	case ProtectedPeriodEnded:
		return a.regimeOfNotice(e.NoticeID)
	case BidSubmitted:
		return a.regimeOfNotice(e.NoticeID)
	case MoratoriumOutcomeRecorded:
		return a.regimeOfNotice(e.NoticeID)
	case DisposalRecorded:
		if e.NoticeID != "" {
			return a.regimeOfNotice(e.NoticeID)
		}
	}
	if id := a.processOf(e); id != "" {
		return a.regimeOfNomination(id).ID
	}
	if b, ok := e.(BidStatusChanged); ok {
		if bs := a.bid(b.BidID); bs != nil {
			return a.regimeOfNotice(bs.NoticeID)
		}
	}
	return a.regimeOfNomination("").ID
}

// processOf returns the nomination behind a review, appeal or compensation
// event, or "".
func (a *Asset) processOf(e Event) string {
	claim := func(id string) string {
		if c := a.claim(id); c != nil {
			return c.NominationID
		}
		return ""
	}
	review := func(id string) string {
		if r := a.review(id); r != nil {
			return r.NominationID
		}
		return ""
	}
	switch e := e.(type) {
	case ReviewDecisionPeriodAgreed:
		return review(e.ReviewID)
	case ReviewDecided:
		return review(e.ReviewID)
	case ReviewDecisionOverdue:
		return review(e.ReviewID)
	case AppealLodged:
		return review(e.ReviewID)
	case AppealDecided:
		if ap := a.appeal(e.AppealID); ap != nil {
			return review(ap.ReviewID)
		}
	case CompensationDecided:
		return claim(e.ClaimID)
	case CompensationReviewRequested:
		return claim(e.ClaimID)
	case CompensationReviewWindowExtended:
		return claim(e.ClaimID)
	case CompensationReviewDecided:
		return claim(e.ClaimID)
	case CompensationAppealLodged:
		return claim(e.ClaimID)
	case CompensationAppealDecided:
		return claim(e.ClaimID)
	}
	return ""
}

func (a *Asset) regimeOfNotice(id string) string {
	if n := a.notice(id); n != nil {
		return n.regime.ID
	}
	return a.regimeOfNomination("").ID
}

// regimeOfNomination returns the regime of nomination id, or of the latest
// nomination when id is unknown, or the regime in force today's way when the
// asset has no nomination.
func (a *Asset) regimeOfNomination(id string) Regime {
	if n := a.nomination(id); n != nil {
		return n.regime
	}
	if len(a.nominations) > 0 {
		return a.nominations[len(a.nominations)-1].regime
	}
	return a.regimes.resolve("", Date{})
}
