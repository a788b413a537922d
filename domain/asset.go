package domain

// The business rules of the Asset aggregate, from domain-rules.md (the Act is
// the Localism Act 2011; the Regs are SI 2012/2421). Every period is counted
// by calendar.go and comes from the regime in force on the day the process
// began (regime.go).
//
// Nomination and listing
//   - Only a community nomination starts anything: the council cannot list on
//     its own initiative. Individuals, public bodies other than parish councils
//     and ordinary companies cannot nominate (s.89(2)): ReceiveNomination
//     refuses them. Other bodies are recorded as they describe themselves; if
//     they are ineligible (no local connection, fewer than 21 local electors,
//     distributing surplus: Regs regs 4-5) the council must decide "not
//     listed", and DecideNomination refuses a listing.
//   - Land that can never be listed (a residence, a caravan site needing a
//     licence, a statutory undertaker's operational land: Regs reg 3, Sch 1)
//     may be nominated but not listed. Partly residential land, such as a pub
//     with a flat above, may be listed.
//   - One nomination is considered at a time, and land already listed cannot
//     be nominated again until its entry ends (s.87; a registry decision).
//   - The decision is due within 8 weeks beginning with receipt (Regs reg 7).
//     A late decision is valid; the nomination shows as decided late, and the
//     clock raises NominationDecisionOverdue while it is undecided.
//   - Listed (or partly listed) land is entered on the list for 5 years
//     beginning with the date of entry (s.87(3)); not-listed land on the list of
//     unsuccessful nominations for 5 years (s.93, check).
//
// Review and appeal
//   - Only the owner (s.107) may ask for a review of a listing, within 8 weeks
//     beginning with the day notice of listing was given, or longer if the
//     council allows (s.92, Regs Sch 2). Before any listing notice the window
//     has not started and a request is in time. One review per listing.
//   - The review is decided within 8 weeks beginning with receipt of the
//     request, or a longer period agreed with the owner; a late decision is
//     valid and shows overdue. The land stays listed during review and appeal.
//   - The owner may appeal an upheld listing within 28 days after the review
//     decision was sent, or later if the tribunal extends time (Regs reg 11).
//     Case numbers look like CR/2018/0003.
//   - An entry is removed (Regs reg 2) after a review that overturned it, a
//     successful appeal, when the land is no longer of community value, after a
//     relevant (non-exempt) disposal, or when its 5 years end.
//
// Disposal and moratorium (ss.95-98, Regs regs 12-13, Sch 3)
//   - The owner's notice of a wish to dispose (condition A) is accepted only for
//     land listed on the day it is received and only from the recorded owner.
//     It starts the interim moratorium (6 weeks), the full moratorium (6 months)
//     and the protected period (18 months), all beginning with its receipt.
//   - No new moratorium starts inside a protected period: a second notice
//     received inside one is refused with a *RuleError citing s.95(4) (check).
//   - A request to be treated as a potential bidder counts only if it comes from
//     a community interest group (Regs reg 12, check: narrower than nominators,
//     no unincorporated bodies or neighbourhood forums) and is received within
//     the interim moratorium. A late or ineligible request is recorded as
//     rejected with its rule and starts nothing; a valid one starts the full
//     moratorium.
//   - A relevant disposal is lawful only when A, B and C hold (s.95(1)), when it
//     is to a community interest group during a moratorium, or when it is
//     exempt (s.95(5), Sch 3). A disposal in breach is recorded and flagged
//     (InBreach with the rule), never refused: the council records what
//     happened. Exempt disposals do not remove the listing.
//   - Bids are recorded by practice: only during a moratorium.
//
// Owners and compensation (s.99, Regs regs 14-17)
//   - A private owner or former owner may claim within 13 weeks after the loss;
//     public bodies cannot claim (Regs reg 15). The claimant may ask for a
//     review within 8 weeks beginning with the written decision, then appeal
//     within 28 days after the review decision.
//
// Bad facts never become events: every date a command receives must be on or
// before today (commands take today; the domain never reads the clock), and
// never before the fact it answers. Nothing is refused merely for being late
// where the law only makes it overdue.

// AssetStream returns the name of the event stream of asset id.
func AssetStream(id string) string { return "asset-" + id }

// Status is where an asset stands on the lists.
type Status string

// The statuses of an asset.
const (
	StatusNew       Status = ""           // no nomination yet
	StatusNominated Status = "nominated"  // a nomination awaits decision
	StatusListed    Status = "listed"     // on the list of assets of community value
	StatusNotListed Status = "not_listed" // last nomination unsuccessful
	StatusRemoved   Status = "removed"    // was listed; the entry has ended
)

// Asset is a piece of land and everything that happens to it under the
// regime. Its state is private and is rebuilt only from events by [Rebuild];
// commands validate, then raise events that are applied at once and kept in
// [Asset.Pending] for the caller to append. An Asset is not safe for
// concurrent use.
type Asset struct {
	id      string
	regimes Regimes
	version int64
	pending []Event

	council     string
	nominations []*nominationState
	entries     []*entryState // list entries, oldest first
	owner       Party
	owners      []Party // every owner ever recorded, oldest first
	notices     []*noticeState
	disposals   []DisposalRecorded
	reviews     []*reviewState
	appeals     []*appealState
	claims      []*claimState
	given       []NoticeGiven
	ids         map[string]bool // every id used in the stream
}

// NewAsset returns an asset with no history, whose commands will use the
// regimes rs.
func NewAsset(id string, rs Regimes) *Asset {
	return &Asset{id: id, regimes: rs, ids: map[string]bool{}}
}

// Rebuild returns the asset whose stream is history, oldest first. It never
// fails or validates: stored events are facts. [Asset.Version] is
// len(history).
func Rebuild(id string, rs Regimes, history []Event) *Asset {
	a := NewAsset(id, rs)
	for _, e := range history {
		a.apply(e)
		a.version++
	}
	return a
}

// Fold applies the next stored event of the asset's history, as [Rebuild]
// does: Rebuild(id, rs, h[:n]) then Fold(h[n]) is Rebuild(id, rs, h[:n+1]).
// It lets a reader that needs the state after every event (the read
// models' register history) walk the history once. Like Rebuild it never
// fails or validates. Fold on an asset with pending events is a misuse: it
// panics, since stored history cannot follow unsaved commands.
func (a *Asset) Fold(e Event) {
	if len(a.pending) > 0 {
		panic("domain: Fold on an asset with unsaved events")
	}
	a.apply(e)
	a.version++
}

// ID returns the asset's id.
func (a *Asset) ID() string { return a.id }

// Version returns the number of events applied from history: the stream
// version a caller appends at.
func (a *Asset) Version() int64 { return a.version }

// Pending returns the events raised by commands since the asset was built, in
// order.
func (a *Asset) Pending() []Event { return append([]Event(nil), a.pending...) }

// Council returns the code of the responsible council named by the first
// nomination (an ONS/GSS code such as E07000228).
func (a *Asset) Council() string { return a.council }

// raise records a new fact: it applies it and keeps it for Pending.
func (a *Asset) raise(e Event) {
	a.apply(e)
	a.pending = append(a.pending, e)
}

// apply folds one stored fact into the state. It never fails, validates, reads
// the clock or makes ids, so replaying history is deterministic.
func (a *Asset) apply(e Event) {
	switch e := e.(type) {
	case NominationReceived:
		a.applyNominationReceived(e)
	case NominationDecided:
		a.applyNominationDecided(e)
	case NominationDecisionOverdue:
		if n := a.nomination(e.NominationID); n != nil {
			n.overdue = true
		}
	case UnsuccessfulEntryExpired:
		if n := a.nomination(e.NominationID); n != nil {
			n.unsuccessfulExpired = true
		}
	case NoticeGiven:
		a.applyNoticeGiven(e)
	case ReviewRequested:
		a.ids[e.ReviewID] = true
		a.reviews = append(a.reviews, &reviewState{ReviewRequested: e, regime: a.regimeOfNomination(e.NominationID)})
	case ReviewRequestWindowExtended:
		if en := a.entry(e.NominationID); en != nil {
			en.reviewUntil = e.Until
		}
	case ReviewDecisionPeriodAgreed:
		if r := a.review(e.ReviewID); r != nil {
			r.agreedUntil = e.Until
		}
	case ReviewDecided:
		if r := a.review(e.ReviewID); r != nil {
			r.decided = &e
		}
	case ReviewDecisionOverdue:
		if r := a.review(e.ReviewID); r != nil {
			r.overdue = true
		}
	case AppealLodged:
		a.ids[e.AppealID] = true
		a.appeals = append(a.appeals, &appealState{AppealLodged: e})
	case AppealDecided:
		if ap := a.appeal(e.AppealID); ap != nil {
			ap.decided = &e
		}
	case RemovedFromList:
		if en := a.entry(e.NominationID); en != nil {
			en.removed = &e
		}
	case ListingExpired:
		if en := a.entry(e.NominationID); en != nil {
			en.expired = &e
		}
	default:
		a.applyDisposalSide(e)
	}
}

// applyDisposalSide applies the events of disposals, moratoria, owners and
// compensation.
func (a *Asset) applyDisposalSide(e Event) {
	switch e := e.(type) {
	case DisposalNoticeReceived:
		a.ids[e.NoticeID] = true
		a.notices = append(a.notices, &noticeState{DisposalNoticeReceived: e, regime: a.regimes.resolve(e.Regime, e.ReceivedOn)})
	case BidderRequestReceived:
		a.ids[e.RequestID] = true
		if n := a.notice(e.NoticeID); n != nil {
			n.requests = append(n.requests, e)
		}
	case InterimMoratoriumEnded:
		if n := a.notice(e.NoticeID); n != nil {
			n.interimEnded = true
		}
	case FullMoratoriumEnded:
		if n := a.notice(e.NoticeID); n != nil {
			n.fullEnded = true
		}
	case ProtectedPeriodEnded:
		if n := a.notice(e.NoticeID); n != nil {
			n.protectedEnded = true
		}
	case BidSubmitted:
		a.ids[e.BidID] = true
		if n := a.notice(e.NoticeID); n != nil {
			n.bids = append(n.bids, &bidState{BidSubmitted: e, status: BidSubmittedStatus})
		}
	case BidStatusChanged:
		if b := a.bid(e.BidID); b != nil {
			b.status, b.changedOn = e.Status, e.ChangedOn
		}
	case MoratoriumOutcomeRecorded:
		if n := a.notice(e.NoticeID); n != nil {
			n.outcome = &e
		}
	case DisposalRecorded:
		a.ids[e.DisposalID] = true
		a.disposals = append(a.disposals, e)
	case OwnerChanged:
		a.setOwner(e.Owner)
	default:
		a.applyCompensation(e)
	}
}

func (a *Asset) setOwner(p Party) {
	a.owner = p
	for _, o := range a.owners {
		if o.ID != "" && o.ID == p.ID {
			return
		}
	}
	a.owners = append(a.owners, p)
}

// Status returns where the asset stands on the lists after the events applied
// so far. The statutory clock keeps it current by raising ListingExpired; use
// [Asset.Clocks] for what a date alone implies.
func (a *Asset) Status() Status {
	if len(a.nominations) == 0 {
		return StatusNew
	}
	n := a.nominations[len(a.nominations)-1]
	switch {
	case n.decided == nil:
		if a.currentEntry() != nil {
			return StatusListed
		}
		return StatusNominated
	case n.decided.Outcome == NotListed:
		if a.currentEntry() != nil {
			return StatusListed
		}
		if len(a.entries) > 0 {
			return StatusRemoved
		}
		return StatusNotListed
	case a.currentEntry() != nil:
		return StatusListed
	}
	return StatusRemoved
}

// Owner returns the current owner (s.107) and whether one is recorded.
func (a *Asset) Owner() (Party, bool) { return a.owner, !a.owner.IsZero() }

// Owners returns every owner ever recorded, oldest first.
func (a *Asset) Owners() []Party { return append([]Party(nil), a.owners...) }

// wasOwner reports whether the party with id has ever been the owner.
func (a *Asset) wasOwner(id string) bool {
	for _, o := range a.owners {
		if id != "" && o.ID == id {
			return true
		}
	}
	return false
}
