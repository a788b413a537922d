package domain

import (
	"errors"
	"fmt"
)

// Phase is where a disposal notice's periods stand on a given day.
type Phase string

// The phases of a moratorium (s.95). All periods begin with the day the
// council received the owner's notice.
const (
	PhaseNone      Phase = "none"      // no notice received on or before the day
	PhaseInterim   Phase = "interim"   // interim moratorium: only a disposal to a CIG
	PhaseFull      Phase = "full"      // full moratorium after a valid bidder request
	PhaseProtected Phase = "protected" // moratorium over, protected period running: the owner may dispose
	PhaseEnded     Phase = "ended"     // protected period over: a fresh notice is needed
)

// noticeState is an owner's notice of a wish to dispose and the moratorium it
// started.
type noticeState struct {
	DisposalNoticeReceived
	regime         Regime
	requests       []BidderRequestReceived
	bids           []*bidState
	outcome        *MoratoriumOutcomeRecorded
	interimEnded   bool
	fullEnded      bool
	protectedEnded bool
}

func (n *noticeState) interimEnd() Date   { return n.regime.InterimMoratorium.End(n.ReceivedOn) }
func (n *noticeState) fullEnd() Date      { return n.regime.FullMoratorium.End(n.ReceivedOn) }
func (n *noticeState) protectedEnd() Date { return n.regime.ProtectedPeriod.End(n.ReceivedOn) }

// fullTriggered reports whether a valid bidder request started the full
// moratorium.
func (n *noticeState) fullTriggered() bool {
	for _, r := range n.requests {
		if r.Status == RequestAccepted {
			return true
		}
	}
	return false
}

// moratoriumEnd returns the last day of the moratorium: the full moratorium's
// if a valid request started it, otherwise the interim moratorium's.
func (n *noticeState) moratoriumEnd() Date {
	if n.fullTriggered() {
		return n.fullEnd()
	}
	return n.interimEnd()
}

// phaseOn returns the phase on day d.
func (n *noticeState) phaseOn(d Date) Phase {
	switch {
	case d.Before(n.ReceivedOn):
		return PhaseNone
	case !d.After(n.interimEnd()):
		return PhaseInterim
	case n.fullTriggered() && !d.After(n.fullEnd()):
		return PhaseFull
	case !d.After(n.protectedEnd()):
		return PhaseProtected
	}
	return PhaseEnded
}

type bidState struct {
	BidSubmitted
	status    BidStatus
	changedOn Date
}

func (a *Asset) notice(id string) *noticeState {
	for _, n := range a.notices {
		if n.NoticeID == id {
			return n
		}
	}
	return nil
}

// noticeOn returns the latest disposal notice received on or before d, or nil.
func (a *Asset) noticeOn(d Date) *noticeState {
	var found *noticeState
	for _, n := range a.notices {
		if !n.ReceivedOn.After(d) && (found == nil || !n.ReceivedOn.Before(found.ReceivedOn)) {
			found = n
		}
	}
	return found
}

func (a *Asset) request(id string) *BidderRequestReceived {
	for _, n := range a.notices {
		for i := range n.requests {
			if n.requests[i].RequestID == id {
				return &n.requests[i]
			}
		}
	}
	return nil
}

func (a *Asset) bid(id string) *bidState {
	for _, n := range a.notices {
		for _, b := range n.bids {
			if b.BidID == id {
				return b
			}
		}
	}
	return nil
}

// MoratoriumPhase returns the phase of the moratorium on day d, under the
// latest disposal notice received on or before d.
func (a *Asset) MoratoriumPhase(d Date) Phase {
	n := a.noticeOn(d)
	if n == nil {
		return PhaseNone
	}
	return n.phaseOn(d)
}

// DisposalNotice is the owner's written notice of its wish to dispose of the
// land (s.95(2), condition A).
type DisposalNotice struct {
	ID         string
	Owner      Party
	ReceivedOn Date
}

// ReceiveDisposalNotice records the owner's notice. The interim moratorium,
// the full moratorium and the protected period all begin with ReceivedOn and
// are counted under the regime in force that day. It returns a
// *ValidationError for a bad date, and a *RuleError when no regime was in
// force, when the land was not listed on that day, when the notice is not
// from the recorded owner, or when it arrives inside the protected period of
// an earlier notice: no new moratorium can start there (s.95(4), check), so
// the council records nothing and the earlier periods stand.
func (a *Asset) ReceiveDisposalNotice(dn DisposalNotice, today Date) error {
	if err := a.checkNewID("notice_id", dn.ID); err != nil {
		return err
	}
	if err := checkDay("received_on", dn.ReceivedOn, today); err != nil {
		return err
	}
	regime, err := a.regimes.RegimeFor(dn.ReceivedOn)
	if err != nil {
		return err
	}
	if a.entryOn(dn.ReceivedOn) == nil {
		return ruleErr(RuleConditionA, fmt.Sprintf("the land was not listed on %s; a notice of a wish to dispose concerns listed land only", dn.ReceivedOn))
	}
	if err := a.checkOwner(dn.Owner, RuleConditionA, "give notice of a wish to dispose"); err != nil {
		return err
	}
	if p := a.noticeOn(dn.ReceivedOn); p != nil && !dn.ReceivedOn.After(p.protectedEnd()) {
		return ruleErr(RuleConditionC, fmt.Sprintf("the notice arrived inside the protected period of notice %s, which runs to the end of %s; no new moratorium can start in it", p.NoticeID, p.protectedEnd()))
	}
	a.raise(DisposalNoticeReceived{AssetID: a.id, NoticeID: dn.ID, Regime: regime.ID, Owner: dn.Owner, ReceivedOn: dn.ReceivedOn})
	return nil
}

// BidderRequest is a community group's written request to be treated as a
// potential bidder. It needs no evidence of funds and need not come from the
// nominator.
type BidderRequest struct {
	ID         string
	Group      Body
	ReceivedOn Date
}

// ReceiveBidderRequest records a request to be treated as a potential bidder,
// under the latest disposal notice received on or before it. A request from a
// body that is not a community interest group (Regs reg 12, check), or
// received after the interim moratorium (s.95(3)), is recorded with status
// rejected and the rule, and starts nothing. A valid request starts the full
// moratorium. It returns a *ValidationError for bad input or dates and a
// *RuleError when no notice had been received at all.
func (a *Asset) ReceiveBidderRequest(r BidderRequest, today Date) error {
	if err := a.checkNewID("request_id", r.ID); err != nil {
		return err
	}
	if err := checkDay("received_on", r.ReceivedOn, today); err != nil {
		return err
	}
	if err := r.Group.validate("group"); err != nil {
		return err
	}
	n := a.noticeOn(r.ReceivedOn)
	if n == nil {
		return ruleErr(RuleBidderRequest, fmt.Sprintf("no notice of a wish to dispose had been received by %s; there is no moratorium to join", r.ReceivedOn))
	}
	e := BidderRequestReceived{
		AssetID:    a.id,
		RequestID:  r.ID,
		NoticeID:   n.NoticeID,
		Group:      r.Group,
		ReceivedOn: r.ReceivedOn,
		Status:     RequestAccepted,
	}
	if err := n.regime.BidderEligible(r.Group); err != nil {
		e.Status, e.Rule, e.Reason = RequestRejected, RuleCIG, err.Error()
		var rerr *RuleError
		if errors.As(err, &rerr) {
			e.Rule, e.Reason = rerr.Rule, rerr.Message
		}
	} else if r.ReceivedOn.After(n.interimEnd()) {
		e.Status, e.Rule = RequestRejected, RuleConditionB
		e.Reason = fmt.Sprintf("received on %s, after the interim moratorium ended at the end of %s", r.ReceivedOn, n.interimEnd())
	}
	a.raise(e)
	return nil
}

// Bid is a community bid made during a moratorium. AmountPence is in pence.
type Bid struct {
	ID          string
	Bidder      Party
	RequestID   string // the bidding group's bidder request, if any
	AmountPence int64
	Terms       string
	SubmittedOn Date
}

// SubmitBid records a bid. It returns a *ValidationError for bad input or
// dates, and a *RuleError for a bid outside a moratorium (the interim or full
// moratorium of the notice in force) or one naming a rejected bidder request.
func (a *Asset) SubmitBid(b Bid, today Date) error {
	if err := a.checkNewID("bid_id", b.ID); err != nil {
		return err
	}
	if err := checkDay("submitted_on", b.SubmittedOn, today); err != nil {
		return err
	}
	if b.Bidder.Name == "" {
		return invalid("bidder.name", "is required")
	}
	if b.AmountPence <= 0 {
		return invalid("amount_pence", "must be positive")
	}
	n := a.noticeOn(b.SubmittedOn)
	if n == nil {
		return ruleErr(RuleBids, fmt.Sprintf("no moratorium was running on %s", b.SubmittedOn))
	}
	if p := n.phaseOn(b.SubmittedOn); p != PhaseInterim && p != PhaseFull {
		return ruleErr(RuleBids, fmt.Sprintf("no moratorium was running on %s: the moratorium of notice %s ended at the end of %s", b.SubmittedOn, n.NoticeID, n.moratoriumEnd()))
	}
	if b.RequestID != "" {
		r := a.request(b.RequestID)
		if r == nil || r.NoticeID != n.NoticeID {
			return fmt.Errorf("bidder request %s: %w", b.RequestID, ErrNotFound)
		}
		if r.Status != RequestAccepted {
			return ruleErr(RuleCIG, fmt.Sprintf("bidder request %s was rejected", b.RequestID))
		}
	}
	a.raise(BidSubmitted{
		AssetID:     a.id,
		BidID:       b.ID,
		NoticeID:    n.NoticeID,
		RequestID:   b.RequestID,
		Bidder:      b.Bidder,
		AmountPence: b.AmountPence,
		Terms:       b.Terms,
		SubmittedOn: b.SubmittedOn,
	})
	return nil
}

// ChangeBidStatus records that bid id was withdrawn, accepted or rejected. A
// bid changes status once; it returns a *RuleError for a second change.
func (a *Asset) ChangeBidStatus(id string, status BidStatus, on, today Date) error {
	b := a.bid(id)
	if b == nil {
		return fmt.Errorf("bid %s: %w", id, ErrNotFound)
	}
	switch status {
	case BidWithdrawn, BidAccepted, BidRejected:
	default:
		return invalid("status", fmt.Sprintf("status %q cannot be set", status))
	}
	if b.status != BidSubmittedStatus {
		return ruleErr(RuleBids, fmt.Sprintf("bid %s is already %s", id, b.status))
	}
	if err := checkDay("changed_on", on, today); err != nil {
		return err
	}
	if err := checkNotBefore("changed_on", on, b.SubmittedOn, "the bid"); err != nil {
		return err
	}
	a.raise(BidStatusChanged{AssetID: a.id, BidID: id, Status: status, ChangedOn: on})
	return nil
}

// RecordMoratoriumOutcome records how the story of disposal notice noticeID
// ended. It returns a *RuleError for a second outcome or one the history does
// not support: a sale to a CIG needs a disposal to a CIG under the notice, a
// sale after the moratorium a relevant disposal under it, an exempt disposal
// an exempt one, and "no disposal" the end of the protected period.
func (a *Asset) RecordMoratoriumOutcome(noticeID string, outcome MoratoriumOutcome, on, today Date) error {
	n := a.notice(noticeID)
	if n == nil {
		return fmt.Errorf("disposal notice %s: %w", noticeID, ErrNotFound)
	}
	if n.outcome != nil {
		return ruleErr(RuleBids, fmt.Sprintf("the outcome of notice %s is already recorded: %s", noticeID, n.outcome.Outcome))
	}
	if err := checkDay("outcome_on", on, today); err != nil {
		return err
	}
	if err := checkNotBefore("outcome_on", on, n.ReceivedOn, "the owner's notice"); err != nil {
		return err
	}
	has := func(ok func(DisposalRecorded) bool) bool {
		for _, d := range a.disposals {
			if d.NoticeID == noticeID && ok(d) {
				return true
			}
		}
		return false
	}
	var missing string
	switch outcome {
	case SoldToCIG:
		if !has(func(d DisposalRecorded) bool {
			return !d.InBreach && (d.Exemption == ExemptToCIGInMoratorium || d.BuyerGroup != nil)
		}) {
			missing = "no disposal to a community interest group is recorded under the notice"
		}
	case SoldAfterMoratorium:
		if !has(func(d DisposalRecorded) bool { return d.Kind == RelevantDisposal }) {
			missing = "no relevant disposal is recorded under the notice"
		}
	case ExemptDisposalMade:
		if !has(func(d DisposalRecorded) bool { return d.Kind == ExemptDisposal }) {
			missing = "no exempt disposal is recorded under the notice"
		}
	case WithdrawnFromSale:
	case NoDisposalInPeriod:
		if !on.After(n.protectedEnd()) {
			missing = fmt.Sprintf("the protected period runs to the end of %s", n.protectedEnd())
		}
	default:
		return invalid("outcome", fmt.Sprintf("unknown outcome %q", outcome))
	}
	if missing != "" {
		return ruleErr(RuleBids, missing)
	}
	a.raise(MoratoriumOutcomeRecorded{AssetID: a.id, NoticeID: noticeID, Outcome: outcome, OutcomeOn: on})
	return nil
}
