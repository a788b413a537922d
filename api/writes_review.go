package api

import (
	"net/http"

	"github.com/acv-registry/acv/domain"
	"github.com/gorilla/mux"
)

// reviewRequest is the owner's written request for a review of the listing
// (s.92).
type reviewRequest struct {
	// Requester is the owner, by the registry's id; a name may be left out
	// when the id is the recorded owner's.
	Requester *domain.Party `json:"requester"`
	received
	OralHearing bool `json:"oral_hearing,omitempty"`
}

// reviewResponse answers a review request.
type reviewResponse struct {
	written
	ReviewID     string      `json:"review_id"`
	NominationID string      `json:"nomination_id"`
	ReceivedOn   domain.Date `json:"received_on"`
	// DecisionDue is the last day for the review decision: 8 weeks, or the
	// longer period agreed with the owner (Regs Sch 2).
	DecisionDue domain.Date `json:"decision_due"`
}

func reviewOf(a *domain.Asset, id string) (domain.ReviewRecord, bool) {
	for _, rv := range a.Reviews() {
		if rv.Request.ReviewID == id {
			return rv, true
		}
	}
	return domain.ReviewRecord{}, false
}

// requestReview records the owner's request for a review of the listing.
func (s *Server) requestReview(w http.ResponseWriter, r *http.Request, caller Caller) error {
	var req reviewRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	today := s.today()
	var f fields
	requester := f.party("requester", selfParty(caller, req.Requester))
	rr := domain.ReviewRequest{ID: s.NewID().String(), ReceivedOn: f.received(req.received, today), OralHearing: req.OralHearing}
	if err := f.err(); err != nil {
		return err
	}
	a, saved, err := s.updateFor(r, caller, actRequestReview, partyID(requester), func(a *domain.Asset) error {
		rr.Requester = fillParty(a, requester)
		return a.RequestReview(rr, today)
	})
	if err != nil {
		return err
	}
	resp := reviewResponse{written: writtenOf(a.ID(), saved), ReviewID: rr.ID, ReceivedOn: rr.ReceivedOn}
	if rv, ok := reviewOf(a, rr.ID); ok {
		resp.NominationID, resp.DecisionDue = rv.Request.NominationID, rv.DueOn
	}
	return respond(w, saved, resp)
}

// agreedPeriodRequest is a longer period for a review decision, agreed in
// writing with the owner.
type agreedPeriodRequest struct {
	Until    string `json:"until"`
	AgreedOn string `json:"agreed_on,omitempty"` // default today
}

// agreedPeriodResponse answers an agreed period.
type agreedPeriodResponse struct {
	written
	ReviewID    string      `json:"review_id"`
	DecisionDue domain.Date `json:"decision_due"`
}

// agreeReviewPeriod records a longer period for deciding review {rid}
// (Regs Sch 2).
func (s *Server) agreeReviewPeriod(w http.ResponseWriter, r *http.Request, caller Caller) error {
	rid := mux.Vars(r)["rid"]
	var req agreedPeriodRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	today := s.today()
	var f fields
	until := f.requiredDate("until", req.Until)
	on := f.dateOr("agreed_on", req.AgreedOn, today)
	if err := f.err(); err != nil {
		return err
	}
	a, saved, err := s.update(r, caller, actAgreeReviewPeriod, func(a *domain.Asset) error {
		return a.AgreeReviewDecisionPeriod(rid, until, on, today)
	})
	if err != nil {
		return err
	}
	resp := agreedPeriodResponse{written: writtenOf(a.ID(), saved), ReviewID: rid, DecisionDue: until}
	if rv, ok := reviewOf(a, rid); ok {
		resp.DecisionDue = rv.DueOn
	}
	return respond(w, saved, resp)
}

// reviewDecisionRequest is the senior officer's decision on a review.
type reviewDecisionRequest struct {
	Outcome   domain.ReviewOutcome `json:"outcome"`
	Reasons   string               `json:"reasons"`
	DecidedOn string               `json:"decided_on,omitempty"` // default today
	SentOn    string               `json:"sent_on,omitempty"`    // default decided_on
}

// reviewDecisionResponse answers a review decision.
type reviewDecisionResponse struct {
	written
	ReviewID    string               `json:"review_id"`
	Outcome     domain.ReviewOutcome `json:"outcome"`
	DecidedOn   domain.Date          `json:"decided_on"`
	SentOn      domain.Date          `json:"sent_on"`
	DecidedLate bool                 `json:"decided_late"`
	// AppealEnds is, for an upheld listing, the last day to appeal to the
	// tribunal (28 days after the decision was sent, Regs reg 11).
	AppealEnds domain.Date `json:"appeal_ends,omitzero"`
}

// decideReview records the decision on review {rid}.
func (s *Server) decideReview(w http.ResponseWriter, r *http.Request, caller Caller) error {
	rid := mux.Vars(r)["rid"]
	var req reviewDecisionRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	today := s.today()
	var f fields
	d := domain.ReviewDecision{Outcome: req.Outcome, Reasons: req.Reasons,
		DecidedOn: f.dateOr("decided_on", req.DecidedOn, today), SentOn: f.date("sent_on", req.SentOn)}
	if err := f.err(); err != nil {
		return err
	}
	a, saved, err := s.update(r, caller, actDecideReview, func(a *domain.Asset) error {
		return a.DecideReview(rid, d, today)
	})
	if err != nil {
		return err
	}
	resp := reviewDecisionResponse{written: writtenOf(a.ID(), saved), ReviewID: rid, Outcome: d.Outcome}
	if rv, ok := reviewOf(a, rid); ok && rv.Decision != nil {
		resp.DecidedOn, resp.SentOn, resp.DecidedLate, resp.AppealEnds = rv.Decision.DecidedOn, rv.Decision.SentOn, rv.DecidedLate, rv.AppealEnds
	}
	return respond(w, saved, resp)
}

// appealRequest is the owner's appeal to the First-tier Tribunal against a
// review decision.
type appealRequest struct {
	ReviewID     string        `json:"review_id"`
	CaseNumber   string        `json:"case_number"` // CR/yyyy/nnnn
	Appellant    *domain.Party `json:"appellant"`
	LodgedOn     string        `json:"lodged_on,omitempty"` // default today
	TimeExtended bool          `json:"time_extended,omitempty"`
}

// appealResponse answers an appeal.
type appealResponse struct {
	written
	AppealID   string      `json:"appeal_id"`
	ReviewID   string      `json:"review_id"`
	CaseNumber string      `json:"case_number"`
	LodgedOn   domain.Date `json:"lodged_on"`
}

// lodgeAppeal records the owner's appeal (Regs reg 11).
func (s *Server) lodgeAppeal(w http.ResponseWriter, r *http.Request, caller Caller) error {
	var req appealRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	today := s.today()
	var f fields
	f.required("review_id", req.ReviewID)
	appellant := f.party("appellant", selfParty(caller, req.Appellant))
	ap := domain.Appeal{ID: s.NewID().String(), ReviewID: req.ReviewID, CaseNumber: req.CaseNumber,
		LodgedOn: f.dateOr("lodged_on", req.LodgedOn, today), TimeExtended: req.TimeExtended}
	if err := f.err(); err != nil {
		return err
	}
	a, saved, err := s.updateFor(r, caller, actLodgeAppeal, partyID(appellant), func(a *domain.Asset) error {
		ap.Appellant = fillParty(a, appellant)
		return a.LodgeAppeal(ap, today)
	})
	if err != nil {
		return err
	}
	return respond(w, saved, appealResponse{written: writtenOf(a.ID(), saved), AppealID: ap.ID, ReviewID: ap.ReviewID,
		CaseNumber: ap.CaseNumber, LodgedOn: ap.LodgedOn})
}

// appealDecisionRequest is the tribunal's outcome.
type appealDecisionRequest struct {
	Outcome   domain.AppealOutcome `json:"outcome"`
	DecidedOn string               `json:"decided_on,omitempty"` // default today
}

// appealDecisionResponse answers an appeal decision.
type appealDecisionResponse struct {
	written
	AppealID  string               `json:"appeal_id"`
	Outcome   domain.AppealOutcome `json:"outcome"`
	DecidedOn domain.Date          `json:"decided_on"`
}

// decideAppeal records the tribunal's outcome of appeal {aid}.
func (s *Server) decideAppeal(w http.ResponseWriter, r *http.Request, caller Caller) error {
	aid := mux.Vars(r)["aid"]
	var req appealDecisionRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	today := s.today()
	var f fields
	on := f.dateOr("decided_on", req.DecidedOn, today)
	if err := f.err(); err != nil {
		return err
	}
	a, saved, err := s.update(r, caller, actDecideAppeal, func(a *domain.Asset) error {
		return a.DecideAppeal(aid, req.Outcome, on, today)
	})
	if err != nil {
		return err
	}
	return respond(w, saved, appealDecisionResponse{written: writtenOf(a.ID(), saved), AppealID: aid, Outcome: req.Outcome, DecidedOn: on})
}

// removalRequest is the removal of the current entry from the list
// (Regs reg 2).
type removalRequest struct {
	Reason    domain.RemovalReason `json:"reason"`
	Ref       string               `json:"ref,omitempty"`     // the review, appeal or disposal behind it
	Reasons   string               `json:"reasons,omitempty"` // required for no_community_value
	RemovedOn string               `json:"removed_on,omitempty"`
}

// removalResponse answers a removal.
type removalResponse struct {
	written
	NominationID string               `json:"nomination_id"`
	Reason       domain.RemovalReason `json:"reason"`
	RemovedOn    domain.Date          `json:"removed_on"`
	Status       domain.Status        `json:"status"`
}

// removeFromList records that the current entry left the list.
func (s *Server) removeFromList(w http.ResponseWriter, r *http.Request, caller Caller) error {
	var req removalRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	today := s.today()
	var f fields
	rm := domain.Removal{Reason: req.Reason, Ref: req.Ref, Reasons: req.Reasons, RemovedOn: f.dateOr("removed_on", req.RemovedOn, today)}
	if err := f.err(); err != nil {
		return err
	}
	var nominationID string
	a, saved, err := s.update(r, caller, actRemoveFromList, func(a *domain.Asset) error {
		if e, ok := a.Entry(); ok {
			nominationID = e.NominationID
		}
		return a.RemoveFromList(rm, today)
	})
	if err != nil {
		return err
	}
	return respond(w, saved, removalResponse{written: writtenOf(a.ID(), saved), NominationID: nominationID,
		Reason: rm.Reason, RemovedOn: rm.RemovedOn, Status: a.Status()})
}
