package domain

import "sort"

// The statutory clock. Each Mark command is called by the clock process with
// today's date; it raises its event only when a period has really ended (today
// is after the period's last day) and only once per period. End dates are
// always derived from events and the regime, never typed in.

// MarkDecisionOverdue raises [NominationDecisionOverdue] for each nomination
// still undecided after its decision period (Regs reg 7).
func (a *Asset) MarkDecisionOverdue(today Date) error { return a.mark(today, a.dueDecisionOverdue) }

// MarkReviewOverdue raises [ReviewDecisionOverdue] for each review still
// undecided after its decision period (Regs Sch 2).
func (a *Asset) MarkReviewOverdue(today Date) error { return a.mark(today, a.dueReviewOverdue) }

// MarkInterimMoratoriumEnded raises [InterimMoratoriumEnded] for each disposal
// notice whose interim moratorium has ended.
func (a *Asset) MarkInterimMoratoriumEnded(today Date) error { return a.mark(today, a.dueInterimEnded) }

// MarkFullMoratoriumEnded raises [FullMoratoriumEnded] for each full
// moratorium, started by a valid bidder request, that has ended.
func (a *Asset) MarkFullMoratoriumEnded(today Date) error { return a.mark(today, a.dueFullEnded) }

// MarkProtectedPeriodEnded raises [ProtectedPeriodEnded] for each protected
// period that has ended.
func (a *Asset) MarkProtectedPeriodEnded(today Date) error {
	return a.mark(today, a.dueProtectedEnded)
}

// MarkListingExpired raises [ListingExpired] for each entry still on the list
// whose 5 years have ended (s.87(3)); the entry leaves the list.
func (a *Asset) MarkListingExpired(today Date) error { return a.mark(today, a.dueListingExpired) }

// MarkUnsuccessfulEntryExpired raises [UnsuccessfulEntryExpired] for each
// entry on the list of unsuccessful nominations whose 5 years have ended.
func (a *Asset) MarkUnsuccessfulEntryExpired(today Date) error {
	return a.mark(today, a.dueUnsuccessfulExpired)
}

// AdvanceClocks runs every Mark command for today, raising the events in
// order of the day they took effect.
func (a *Asset) AdvanceClocks(today Date) error {
	if err := checkToday(today); err != nil {
		return err
	}
	var due []Event
	for _, f := range []func(Date) []Event{a.dueDecisionOverdue, a.dueReviewOverdue, a.dueInterimEnded,
		a.dueFullEnded, a.dueProtectedEnded, a.dueListingExpired, a.dueUnsuccessfulExpired} {
		due = append(due, f(today)...)
	}
	sort.SliceStable(due, func(i, j int) bool { return due[i].EffectiveOn().Before(due[j].EffectiveOn()) })
	for _, e := range due {
		a.raise(e)
	}
	return nil
}

func (a *Asset) mark(today Date, due func(Date) []Event) error {
	if err := checkToday(today); err != nil {
		return err
	}
	for _, e := range due(today) {
		a.raise(e)
	}
	return nil
}

func (a *Asset) dueDecisionOverdue(today Date) []Event {
	var es []Event
	for _, n := range a.nominations {
		if n.decided == nil && !n.overdue && today.After(n.due()) {
			es = append(es, NominationDecisionOverdue{AssetID: a.id, NominationID: n.NominationID, DueOn: n.due()})
		}
	}
	return es
}

func (a *Asset) dueReviewOverdue(today Date) []Event {
	var es []Event
	for _, r := range a.reviews {
		if r.decided == nil && !r.overdue && today.After(r.due()) {
			es = append(es, ReviewDecisionOverdue{AssetID: a.id, ReviewID: r.ReviewID, DueOn: r.due()})
		}
	}
	return es
}

func (a *Asset) dueInterimEnded(today Date) []Event {
	var es []Event
	for _, n := range a.notices {
		if !n.interimEnded && today.After(n.interimEnd()) {
			es = append(es, InterimMoratoriumEnded{AssetID: a.id, NoticeID: n.NoticeID, LastDay: n.interimEnd()})
		}
	}
	return es
}

func (a *Asset) dueFullEnded(today Date) []Event {
	var es []Event
	for _, n := range a.notices {
		if n.fullTriggered() && !n.fullEnded && today.After(n.fullEnd()) {
			es = append(es, FullMoratoriumEnded{AssetID: a.id, NoticeID: n.NoticeID, LastDay: n.fullEnd()})
		}
	}
	return es
}

func (a *Asset) dueProtectedEnded(today Date) []Event {
	var es []Event
	for _, n := range a.notices {
		if !n.protectedEnded && today.After(n.protectedEnd()) {
			es = append(es, ProtectedPeriodEnded{AssetID: a.id, NoticeID: n.NoticeID, LastDay: n.protectedEnd()})
		}
	}
	return es
}

func (a *Asset) dueListingExpired(today Date) []Event {
	var es []Event
	for _, e := range a.entries {
		if !e.ended() && today.After(e.lastDay()) {
			es = append(es, ListingExpired{AssetID: a.id, NominationID: e.nominationID, LastDay: e.lastDay()})
		}
	}
	return es
}

func (a *Asset) dueUnsuccessfulExpired(today Date) []Event {
	var es []Event
	for _, n := range a.nominations {
		if n.decided == nil || n.decided.Outcome != NotListed || n.unsuccessfulExpired {
			continue
		}
		if end := n.regime.UnsuccessfulEntry.End(n.decided.EnteredOn); today.After(end) {
			es = append(es, UnsuccessfulEntryExpired{AssetID: a.id, NominationID: n.NominationID, LastDay: end})
		}
	}
	return es
}

// ClockName names a statutory clock.
type ClockName string

// The statutory clocks of domain-rules.md's time-limit table.
const (
	ClockDecision           ClockName = "decision"
	ClockListing            ClockName = "listing"
	ClockUnsuccessfulEntry  ClockName = "unsuccessful_entry"
	ClockReviewRequest      ClockName = "review_request"
	ClockReviewDecision     ClockName = "review_decision"
	ClockAppeal             ClockName = "appeal"
	ClockInterimMoratorium  ClockName = "interim_moratorium"
	ClockFullMoratorium     ClockName = "full_moratorium"
	ClockProtectedPeriod    ClockName = "protected_period"
	ClockCompensationReview ClockName = "compensation_review_request"
	ClockCompensationAppeal ClockName = "compensation_appeal"
)

// ClockStatus says where a clock stands on a day.
type ClockStatus string

// The statuses of a clock.
const (
	ClockRunning ClockStatus = "running" // the day is within the period
	ClockEnded   ClockStatus = "ended"   // the period is over
	ClockOverdue ClockStatus = "overdue" // a decision was due and is not made
	ClockStopped ClockStatus = "stopped" // what the clock waited for happened, or its subject ended early
)

// Clock is one statutory period of the asset: what it times (Subject is the
// id of the nomination, review, disposal notice or claim), when it started
// and the last day within it, where it stands, and the rule and regime that
// set it.
type Clock struct {
	Name    ClockName
	Subject string
	Start   Date
	End     Date // the period ends at the end of this day
	Period  Period
	Status  ClockStatus
	Rule    string
	Regime  string
}

// Clocks returns every clock the asset has started, in the order their
// processes began, with its status on today.
func (a *Asset) Clocks(today Date) []Clock {
	var cs []Clock
	// add appends a clock ending at end: the period's own end, or a later day
	// the council allowed or agreed.
	add := func(name ClockName, subject string, start, end Date, tl TimeLimit, r Regime, stopped, overdueIfLate bool) {
		c := Clock{Name: name, Subject: subject, Start: start, End: end, Period: tl.Period, Rule: tl.Rule, Regime: r.ID}
		switch {
		case stopped:
			c.Status = ClockStopped
		case !today.After(end):
			c.Status = ClockRunning
		case overdueIfLate:
			c.Status = ClockOverdue
		default:
			c.Status = ClockEnded
		}
		cs = append(cs, c)
	}
	for _, n := range a.nominations {
		r := n.regime
		add(ClockDecision, n.NominationID, n.ReceivedOn, n.due(), r.Decision, r, n.decided != nil, true)
		if n.decided == nil {
			continue
		}
		if n.decided.Outcome == NotListed {
			start := n.decided.EnteredOn
			add(ClockUnsuccessfulEntry, n.NominationID, start, r.UnsuccessfulEntry.End(start), r.UnsuccessfulEntry, r, false, false)
			continue
		}
		e := a.entry(n.NominationID)
		removedEarly := e.removed != nil && !e.removed.RemovedOn.After(e.lastDay())
		add(ClockListing, n.NominationID, e.enteredOn, e.lastDay(), r.Listing, r, removedEarly, false)
		if end, started := e.reviewWindowEnd(); started {
			requested := false
			for _, rv := range a.reviews {
				requested = requested || rv.NominationID == e.nominationID
			}
			start := e.noticeOn
			if start.IsZero() {
				start = e.enteredOn
			}
			add(ClockReviewRequest, n.NominationID, start, end, r.ReviewRequest, r, requested || removedEarly, false)
		}
	}
	for _, rv := range a.reviews {
		r := rv.regime
		add(ClockReviewDecision, rv.ReviewID, rv.ReceivedOn, rv.due(), r.ReviewDecision, r, rv.decided != nil, true)
		if rv.decided != nil && rv.decided.Outcome == ReviewUpheld {
			lodged := false
			for _, ap := range a.appeals {
				lodged = lodged || ap.ReviewID == rv.ReviewID
			}
			sent := rv.decided.SentOn
			add(ClockAppeal, rv.ReviewID, sent, r.Appeal.End(sent), r.Appeal, r, lodged, false)
		}
	}
	for _, n := range a.notices {
		r := n.regime
		add(ClockInterimMoratorium, n.NoticeID, n.ReceivedOn, n.interimEnd(), r.InterimMoratorium, r, false, false)
		if n.fullTriggered() {
			add(ClockFullMoratorium, n.NoticeID, n.ReceivedOn, n.fullEnd(), r.FullMoratorium, r, false, false)
		}
		add(ClockProtectedPeriod, n.NoticeID, n.ReceivedOn, n.protectedEnd(), r.ProtectedPeriod, r, false, false)
	}
	for _, c := range a.claims {
		r := c.regime
		if c.decided != nil {
			add(ClockCompensationReview, c.ClaimID, c.decided.DecidedOn, c.reviewWindowEnd(), r.CompensationReview, r, c.reviewReq != nil, false)
		}
		if rd := c.reviewDecided; rd != nil {
			add(ClockCompensationAppeal, c.ClaimID, rd.DecidedOn, r.CompensationAppeal.End(rd.DecidedOn), r.CompensationAppeal, r, c.appeal != nil, false)
		}
	}
	return cs
}
