package domain

import (
	"errors"
	"maps"
)

// Read accessors. Each returns copies: changing a returned value never
// changes the asset. Both lists are public (s.94, check): free inspection and
// a free copy on request are the API's concern; the domain holds no access
// rule, and personal data is redacted by the API, not here. Dates that depend on the regime (due dates, end dates)
// are derived here from events, never stored.

// NominationRecord is a nomination with what follows from it.
type NominationRecord struct {
	Received    NominationReceived
	DecisionDue Date               // last day of the decision period (Regs reg 7)
	Decision    *NominationDecided // nil while undecided
	DecidedLate bool               // decided after DecisionDue: valid, shown as late
	// NominatorIneligible and LandExcluded give the rule that stops this
	// nomination from being listed, if any; such a nomination must be decided
	// not listed.
	NominatorIneligible *RuleError
	LandExcluded        *RuleError
	// UnsuccessfulEntryEnds is the last day on the list of unsuccessful
	// nominations, for a nomination decided not listed.
	UnsuccessfulEntryEnds Date
}

// Overdue reports whether the nomination is undecided after its due date on
// today.
func (r NominationRecord) Overdue(today Date) bool {
	return r.Decision == nil && today.After(r.DecisionDue)
}

// Nominations returns every nomination, oldest first.
func (a *Asset) Nominations() []NominationRecord {
	var rs []NominationRecord
	for _, n := range a.nominations {
		rs = append(rs, n.record())
	}
	return rs
}

// Nomination returns the nomination with id, as [Asset.Nominations] has
// it, and whether there is one: without copying the others.
func (a *Asset) Nomination(id string) (NominationRecord, bool) {
	for _, n := range a.nominations {
		if n.NominationID == id {
			return n.record(), true
		}
	}
	return NominationRecord{}, false
}

// LastDecided returns the latest nomination decided with outcome, as
// [Asset.Nominations] has it, and whether there is one.
func (a *Asset) LastDecided(outcome Outcome) (NominationRecord, bool) {
	for i := len(a.nominations) - 1; i >= 0; i-- {
		if n := a.nominations[i]; n.decided != nil && n.decided.Outcome == outcome {
			return n.record(), true
		}
	}
	return NominationRecord{}, false
}

// record is n with what follows from it, its slices and map copied.
func (n *nominationState) record() NominationRecord {
	r := NominationRecord{Received: n.NominationReceived, DecisionDue: n.due()}
	r.Received.Occupants = append([]Party(nil), n.Occupants...)
	r.Received.Interests = append([]Interest(nil), n.Interests...)
	r.Received.LocalExtras = maps.Clone(n.LocalExtras) // nil stays nil
	if n.decided != nil {
		d := *n.decided
		r.Decision = &d
		r.DecidedLate = d.DecidedOn.After(r.DecisionDue)
		if d.Outcome == NotListed {
			r.UnsuccessfulEntryEnds = n.regime.UnsuccessfulEntry.End(d.EnteredOn)
		}
	}
	r.NominatorIneligible = asRule(n.regime.NominatorEligible(n.Nominator))
	r.LandExcluded = asRule(n.regime.LandExcluded(n.Land.Use))
	return r
}

// PendingNomination returns the nomination awaiting a decision, if any.
func (a *Asset) PendingNomination() (NominationRecord, bool) {
	for _, r := range a.Nominations() {
		if r.Decision == nil {
			return r, true
		}
	}
	return NominationRecord{}, false
}

func asRule(err error) *RuleError {
	if err == nil {
		return nil
	}
	var r *RuleError
	if errors.As(err, &r) {
		return r
	}
	return &RuleError{Rule: "regime", Message: err.Error()}
}

// ListEntry is an entry on the list of assets of community value.
type ListEntry struct {
	NominationID     string
	Regime           string
	Outcome          Outcome // Listed or PartlyListed
	ListedPart       string
	EnteredOn        Date
	ExpiresOn        Date // the last day of the 5 years (s.87(3))
	ListingNoticeOn  Date // the first notice of listing, zero if none given
	ReviewWindowEnds Date // last day to ask for a review; zero until a listing notice is given
	RemovedOn        Date // the first day off the list; zero while listed
	RemovalReason    RemovalReason
}

func (e *entryState) record() ListEntry {
	le := ListEntry{
		NominationID:    e.nominationID,
		Regime:          e.regime.ID,
		Outcome:         e.outcome,
		ListedPart:      e.listedPart,
		EnteredOn:       e.enteredOn,
		ExpiresOn:       e.lastDay(),
		ListingNoticeOn: e.noticeOn,
	}
	if end, ok := e.reviewWindowEnd(); ok {
		le.ReviewWindowEnds = end
	}
	switch {
	case e.removed != nil:
		le.RemovedOn, le.RemovalReason = e.removed.RemovedOn, e.removed.Reason
	case e.expired != nil:
		le.RemovedOn, le.RemovalReason = e.expired.EffectiveOn(), RemovedOnExpiry
	}
	return le
}

// Entry returns the entry on the list, if the land is listed by the events
// applied so far.
func (a *Asset) Entry() (ListEntry, bool) {
	if e := a.currentEntry(); e != nil {
		return e.record(), true
	}
	return ListEntry{}, false
}

// Entries returns every entry the land has had on the list, oldest first.
func (a *Asset) Entries() []ListEntry {
	var es []ListEntry
	for _, e := range a.entries {
		es = append(es, e.record())
	}
	return es
}

// ListedOn reports whether the land was on the list on day d, as far as the
// events applied so far and the entries' expiry dates show.
func (a *Asset) ListedOn(d Date) bool { return a.entryOn(d) != nil }

// ReviewRecord is an owner's review of a listing.
type ReviewRecord struct {
	Request     ReviewRequested
	DueOn       Date           // last day for the decision: 8 weeks or the agreed longer period
	Decision    *ReviewDecided // nil while undecided
	DecidedLate bool
	AppealEnds  Date // last day to appeal an upheld listing; zero otherwise
}

// Overdue reports whether the review is undecided after its due date.
func (r ReviewRecord) Overdue(today Date) bool { return r.Decision == nil && today.After(r.DueOn) }

// Reviews returns every review, oldest first.
func (a *Asset) Reviews() []ReviewRecord {
	var rs []ReviewRecord
	for _, rv := range a.reviews {
		r := ReviewRecord{Request: rv.ReviewRequested, DueOn: rv.due()}
		if rv.decided != nil {
			d := *rv.decided
			r.Decision = &d
			r.DecidedLate = d.DecidedOn.After(r.DueOn)
			if d.Outcome == ReviewUpheld {
				r.AppealEnds = rv.regime.Appeal.End(d.SentOn)
			}
		}
		rs = append(rs, r)
	}
	return rs
}

// AppealRecord is a tribunal appeal against a review decision.
type AppealRecord struct {
	Lodged   AppealLodged
	Decision *AppealDecided // nil while undecided
}

// Appeals returns every appeal, oldest first.
func (a *Asset) Appeals() []AppealRecord {
	var rs []AppealRecord
	for _, ap := range a.appeals {
		r := AppealRecord{Lodged: ap.AppealLodged}
		if ap.decided != nil {
			d := *ap.decided
			r.Decision = &d
		}
		rs = append(rs, r)
	}
	return rs
}

// BidRecord is a bid and where it stands.
type BidRecord struct {
	Bid       BidSubmitted
	Status    BidStatus
	ChangedOn Date // zero while submitted
}

// MoratoriumRecord is an owner's notice of a wish to dispose and the periods
// it started, all beginning with the day the council received it.
type MoratoriumRecord struct {
	Notice        DisposalNoticeReceived
	InterimEnds   Date // last day of the interim moratorium and of the window for bidder requests
	FullTriggered bool // a valid bidder request started the full moratorium
	FullEnds      Date // last day of the full moratorium; it runs only if FullTriggered
	ProtectedEnds Date // last day of the protected period
	Requests      []BidderRequestReceived
	Bids          []BidRecord
	Outcome       *MoratoriumOutcomeRecorded
}

// Phase returns the phase of this notice's moratorium on day d.
func (m MoratoriumRecord) Phase(d Date) Phase {
	switch {
	case d.Before(m.Notice.ReceivedOn):
		return PhaseNone
	case !d.After(m.InterimEnds):
		return PhaseInterim
	case m.FullTriggered && !d.After(m.FullEnds):
		return PhaseFull
	case !d.After(m.ProtectedEnds):
		return PhaseProtected
	}
	return PhaseEnded
}

// Moratoria returns every disposal notice and its moratorium, oldest first.
func (a *Asset) Moratoria() []MoratoriumRecord {
	var rs []MoratoriumRecord
	for _, n := range a.notices {
		r := MoratoriumRecord{
			Notice:        n.DisposalNoticeReceived,
			InterimEnds:   n.interimEnd(),
			FullTriggered: n.fullTriggered(),
			FullEnds:      n.fullEnd(),
			ProtectedEnds: n.protectedEnd(),
			Requests:      append([]BidderRequestReceived(nil), n.requests...),
		}
		for _, b := range n.bids {
			r.Bids = append(r.Bids, BidRecord{Bid: b.BidSubmitted, Status: b.status, ChangedOn: b.changedOn})
		}
		if n.outcome != nil {
			o := *n.outcome
			r.Outcome = &o
		}
		rs = append(rs, r)
	}
	return rs
}

// Moratorium returns the latest disposal notice received on or before day d
// and its moratorium, if any.
func (a *Asset) Moratorium(d Date) (MoratoriumRecord, bool) {
	n := a.noticeOn(d)
	if n == nil {
		return MoratoriumRecord{}, false
	}
	for _, r := range a.Moratoria() {
		if r.Notice.NoticeID == n.NoticeID {
			return r, true
		}
	}
	return MoratoriumRecord{}, false
}

// BidderRequests returns every request to be treated as a potential bidder,
// accepted or rejected, oldest first.
func (a *Asset) BidderRequests() []BidderRequestReceived {
	var rs []BidderRequestReceived
	for _, n := range a.notices {
		rs = append(rs, n.requests...)
	}
	return rs
}

// Disposals returns every recorded disposal, oldest first, with its breach
// flag.
func (a *Asset) Disposals() []DisposalRecorded {
	return append([]DisposalRecorded(nil), a.disposals...)
}

// NoticesGiven returns every notice the council gave, oldest first.
func (a *Asset) NoticesGiven() []NoticeGiven { return append([]NoticeGiven(nil), a.given...) }

// ClaimRecord is a compensation claim with its decision, review and appeal.
type ClaimRecord struct {
	Claim            CompensationClaimed
	ClaimedPence     int64
	Decision         *CompensationDecided
	ReviewWindowEnds Date // last day to ask for a review; zero while undecided
	ReviewRequest    *CompensationReviewRequested
	ReviewDecision   *CompensationReviewDecided
	AppealEnds       Date // last day to appeal; zero until the review is decided
	Appeal           *CompensationAppealLodged
	AppealDecision   *CompensationAppealDecided
}

// Claims returns every compensation claim, oldest first.
func (a *Asset) Claims() []ClaimRecord {
	var rs []ClaimRecord
	for _, c := range a.claims {
		r := ClaimRecord{Claim: c.CompensationClaimed, ClaimedPence: c.total()}
		r.Claim.Parts = append([]ClaimPart(nil), c.Parts...)
		if c.decided != nil {
			r.Decision = ptr(*c.decided)
			r.ReviewWindowEnds = c.reviewWindowEnd()
		}
		if c.reviewReq != nil {
			r.ReviewRequest = ptr(*c.reviewReq)
		}
		if c.reviewDecided != nil {
			r.ReviewDecision = ptr(*c.reviewDecided)
			r.AppealEnds = c.regime.CompensationAppeal.End(c.reviewDecided.DecidedOn)
		}
		if c.appeal != nil {
			r.Appeal = ptr(*c.appeal)
		}
		if c.appealDecided != nil {
			r.AppealDecision = ptr(*c.appealDecided)
		}
		rs = append(rs, r)
	}
	return rs
}

func ptr[T any](v T) *T { return &v }
