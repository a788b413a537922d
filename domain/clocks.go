package domain

import "sort"

// The statutory clock. Each Mark command is called by the clock process with
// today's date; it raises its event only when a period has really ended (today
// is after the period's last day) and only once per period. End dates are
// always derived from events and the regime, never typed in.

// MarkDecisionOverdue raises [NominationDecisionOverdue] for each nomination
// still undecided after its decision period (Regs reg 7).
func (a *Asset) MarkDecisionOverdue(today Date) error { return a.mark(today, a.pendingDecisionOverdue) }

// MarkReviewOverdue raises [ReviewDecisionOverdue] for each review still
// undecided after its decision period (Regs Sch 2).
func (a *Asset) MarkReviewOverdue(today Date) error { return a.mark(today, a.pendingReviewOverdue) }

// MarkInterimMoratoriumEnded raises [InterimMoratoriumEnded] for each disposal
// notice whose interim moratorium has ended.
func (a *Asset) MarkInterimMoratoriumEnded(today Date) error {
	return a.mark(today, a.pendingInterimEnded)
}

// MarkFullMoratoriumEnded raises [FullMoratoriumEnded] for each full
// moratorium, started by a valid bidder request, that has ended.
func (a *Asset) MarkFullMoratoriumEnded(today Date) error { return a.mark(today, a.pendingFullEnded) }

// MarkProtectedPeriodEnded raises [ProtectedPeriodEnded] for each protected
// period that has ended.
func (a *Asset) MarkProtectedPeriodEnded(today Date) error {
	return a.mark(today, a.pendingProtectedEnded)
}

// MarkListingExpired raises [ListingExpired] for each entry still on the list
// whose 5 years have ended (s.87(3)); the entry leaves the list.
func (a *Asset) MarkListingExpired(today Date) error { return a.mark(today, a.pendingListingExpired) }

// MarkUnsuccessfulEntryExpired raises [UnsuccessfulEntryExpired] for each
// entry on the list of unsuccessful nominations whose 5 years have ended.
func (a *Asset) MarkUnsuccessfulEntryExpired(today Date) error {
	return a.mark(today, a.pendingUnsuccessfulExpired)
}

// AdvanceClocks runs every Mark command for today, raising the events in
// order of the day they took effect.
func (a *Asset) AdvanceClocks(today Date) error {
	if err := checkToday(today); err != nil {
		return err
	}
	var due []Event
	for _, pending := range a.pendingClocks() {
		due = append(due, dueOn(today, pending())...)
	}
	sort.SliceStable(due, func(i, j int) bool { return due[i].EffectiveOn().Before(due[j].EffectiveOn()) })
	for _, e := range due {
		a.raise(e)
	}
	return nil
}

// NextClockDue returns the first day on which [Asset.AdvanceClocks] would
// raise an event: the day after the last day of the earliest period still
// waiting for its clock event. It reports false when no period is waiting
// (every clock has raised its event or was stopped by what it waited for).
// A due day in the past means a clock event is owed now.
func (a *Asset) NextClockDue() (Date, bool) {
	var next Date
	for _, pending := range a.pendingClocks() {
		for _, c := range pending() {
			if due := c.lastDay.AddDays(1); next.IsZero() || due.Before(next) {
				next = due
			}
		}
	}
	return next, !next.IsZero()
}

// pendingClock is a clock event waiting for its period to end: it is raised
// on any day after lastDay.
type pendingClock struct {
	lastDay Date
	event   Event
}

// pendingClocks lists the functions that find the clock events still
// waiting, one per kind of clock event, in the order AdvanceClocks runs them.
func (a *Asset) pendingClocks() []func() []pendingClock {
	return []func() []pendingClock{a.pendingDecisionOverdue, a.pendingReviewOverdue, a.pendingInterimEnded,
		a.pendingFullEnded, a.pendingProtectedEnded, a.pendingListingExpired, a.pendingUnsuccessfulExpired}
}

func (a *Asset) mark(today Date, pending func() []pendingClock) error {
	if err := checkToday(today); err != nil {
		return err
	}
	for _, e := range dueOn(today, pending()) {
		a.raise(e)
	}
	return nil
}

// dueOn returns the events of the clocks whose periods ended before today.
func dueOn(today Date, pending []pendingClock) []Event {
	var es []Event
	for _, c := range pending {
		if today.After(c.lastDay) {
			es = append(es, c.event)
		}
	}
	return es
}

func (a *Asset) pendingDecisionOverdue() []pendingClock {
	var cs []pendingClock
	for _, n := range a.nominations {
		if n.decided == nil && !n.overdue {
			cs = append(cs, pendingClock{n.due(), NominationDecisionOverdue{AssetID: a.id, NominationID: n.NominationID, DueOn: n.due()}})
		}
	}
	return cs
}

func (a *Asset) pendingReviewOverdue() []pendingClock {
	var cs []pendingClock
	for _, r := range a.reviews {
		if r.decided == nil && !r.overdue {
			cs = append(cs, pendingClock{r.due(), ReviewDecisionOverdue{AssetID: a.id, ReviewID: r.ReviewID, DueOn: r.due()}})
		}
	}
	return cs
}

func (a *Asset) pendingInterimEnded() []pendingClock {
	var cs []pendingClock
	for _, n := range a.notices {
		if !n.interimEnded {
			cs = append(cs, pendingClock{n.interimEnd(), InterimMoratoriumEnded{AssetID: a.id, NoticeID: n.NoticeID, LastDay: n.interimEnd()}})
		}
	}
	return cs
}

func (a *Asset) pendingFullEnded() []pendingClock {
	var cs []pendingClock
	for _, n := range a.notices {
		if n.fullTriggered() && !n.fullEnded {
			cs = append(cs, pendingClock{n.fullEnd(), FullMoratoriumEnded{AssetID: a.id, NoticeID: n.NoticeID, LastDay: n.fullEnd()}})
		}
	}
	return cs
}

func (a *Asset) pendingProtectedEnded() []pendingClock {
	var cs []pendingClock
	for _, n := range a.notices {
		if !n.protectedEnded {
			cs = append(cs, pendingClock{n.protectedEnd(), ProtectedPeriodEnded{AssetID: a.id, NoticeID: n.NoticeID, LastDay: n.protectedEnd()}})
		}
	}
	return cs
}

func (a *Asset) pendingListingExpired() []pendingClock {
	var cs []pendingClock
	for _, e := range a.entries {
		if !e.ended() {
			cs = append(cs, pendingClock{e.lastDay(), ListingExpired{AssetID: a.id, NominationID: e.nominationID, LastDay: e.lastDay()}})
		}
	}
	return cs
}

func (a *Asset) pendingUnsuccessfulExpired() []pendingClock {
	var cs []pendingClock
	for _, n := range a.nominations {
		if n.decided == nil || n.decided.Outcome != NotListed || n.unsuccessfulExpired {
			continue
		}
		end := n.regime.UnsuccessfulEntry.End(n.decided.EnteredOn)
		cs = append(cs, pendingClock{end, UnsuccessfulEntryExpired{AssetID: a.id, NominationID: n.NominationID, LastDay: end}})
	}
	return cs
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
