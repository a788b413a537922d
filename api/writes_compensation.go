package api

import (
	"net/http"

	"github.com/acv-registry/acv/domain"
	"github.com/gorilla/mux"
)

// claimRequest is a written claim for compensation (s.99, Regs reg 14).
type claimRequest struct {
	// Claimant is the owner or a former owner, by the registry's id; a name
	// may be left out when the id is a recorded owner's.
	Claimant       *domain.Party      `json:"claimant"`
	LossIncurredOn string             `json:"loss_incurred_on"`
	Parts          []domain.ClaimPart `json:"parts"`
	Evidence       string             `json:"evidence"`
	received
}

// claimResponse answers a claim.
type claimResponse struct {
	written
	ClaimID      string      `json:"claim_id"`
	NominationID string      `json:"nomination_id"`
	ReceivedOn   domain.Date `json:"received_on"`
	ClaimedPence int64       `json:"claimed_pence"`
}

func claimOf(a *domain.Asset, id string) (domain.ClaimRecord, bool) {
	for _, c := range a.Claims() {
		if c.Claim.ClaimID == id {
			return c, true
		}
	}
	return domain.ClaimRecord{}, false
}

// claimCompensation records a compensation claim.
func (s *Server) claimCompensation(w http.ResponseWriter, r *http.Request, caller Caller) error {
	var req claimRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	today := s.today()
	var f fields
	claimant := f.party("claimant", selfParty(caller, req.Claimant))
	c := domain.Claim{ID: s.NewID().String(), LossIncurredOn: f.requiredDate("loss_incurred_on", req.LossIncurredOn),
		ReceivedOn: f.received(req.received, today), Parts: req.Parts, Evidence: req.Evidence}
	if err := f.err(); err != nil {
		return err
	}
	a, saved, err := s.updateFor(r, caller, actClaimCompensation, partyID(claimant), func(a *domain.Asset) error {
		c.Claimant = fillParty(a, claimant)
		return a.ClaimCompensation(c, today)
	})
	if err != nil {
		return err
	}
	resp := claimResponse{written: writtenOf(a.ID(), saved), ClaimID: c.ID, ReceivedOn: c.ReceivedOn}
	if rec, ok := claimOf(a, c.ID); ok {
		resp.NominationID, resp.ClaimedPence = rec.Claim.NominationID, rec.ClaimedPence
	}
	return respond(w, saved, resp)
}

// compensationDecisionRequest is the council's written decision on a claim,
// or on its review.
type compensationDecisionRequest struct {
	AwardPence *int64 `json:"award_pence"`
	Reasons    string `json:"reasons"`
	DecidedOn  string `json:"decided_on,omitempty"` // default today
}

// compensationDecisionResponse answers a decision on a claim or its review.
type compensationDecisionResponse struct {
	written
	ClaimID    string      `json:"claim_id"`
	AwardPence int64       `json:"award_pence"`
	DecidedOn  domain.Date `json:"decided_on"`
	// ReviewWindowEnds (after a decision) is the last day to ask for a
	// review; AppealEnds (after a review decision) the last day to appeal.
	ReviewWindowEnds domain.Date `json:"review_window_ends,omitzero"`
	AppealEnds       domain.Date `json:"appeal_ends,omitzero"`
}

func (req compensationDecisionRequest) parse(today domain.Date) (domain.CompensationDecision, error) {
	var f fields
	d := domain.CompensationDecision{AwardPence: f.requiredInt("award_pence", req.AwardPence), Reasons: req.Reasons,
		DecidedOn: f.dateOr("decided_on", req.DecidedOn, today)}
	return d, f.err()
}

// decideCompensation records the council's decision on claim {cid}.
func (s *Server) decideCompensation(w http.ResponseWriter, r *http.Request, caller Caller) error {
	return s.compensationDecision(w, r, caller, actDecideCompensation, (*domain.Asset).DecideCompensation)
}

// decideCompensationReview records the review decision on claim {cid}
// (Regs reg 16).
func (s *Server) decideCompensationReview(w http.ResponseWriter, r *http.Request, caller Caller) error {
	return s.compensationDecision(w, r, caller, actDecideCompensationReview, (*domain.Asset).DecideCompensationReview)
}

func (s *Server) compensationDecision(w http.ResponseWriter, r *http.Request, caller Caller, act action,
	decide func(*domain.Asset, string, domain.CompensationDecision, domain.Date) error) error {
	cid := mux.Vars(r)["cid"]
	var req compensationDecisionRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	today := s.today()
	d, err := req.parse(today)
	if err != nil {
		return err
	}
	a, saved, err := s.update(r, caller, act, func(a *domain.Asset) error { return decide(a, cid, d, today) })
	if err != nil {
		return err
	}
	resp := compensationDecisionResponse{written: writtenOf(a.ID(), saved), ClaimID: cid, AwardPence: d.AwardPence, DecidedOn: d.DecidedOn}
	if rec, ok := claimOf(a, cid); ok {
		if act == actDecideCompensation {
			resp.ReviewWindowEnds = rec.ReviewWindowEnds
		} else {
			resp.AppealEnds = rec.AppealEnds
		}
	}
	return respond(w, saved, resp)
}

// compensationReviewRequest is the claimant's request for a review of the
// decision on a claim.
type compensationReviewRequest struct {
	Requester *domain.Party `json:"requester"`
	received
}

// compensationReviewResponse answers a review request.
type compensationReviewResponse struct {
	written
	ClaimID    string      `json:"claim_id"`
	ReceivedOn domain.Date `json:"received_on"`
}

// requestCompensationReview records the claimant's request for a review of
// the decision on claim {cid} (Regs reg 16).
func (s *Server) requestCompensationReview(w http.ResponseWriter, r *http.Request, caller Caller) error {
	cid := mux.Vars(r)["cid"]
	var req compensationReviewRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	today := s.today()
	var f fields
	requester := f.party("requester", selfParty(caller, req.Requester))
	on := f.received(req.received, today)
	if err := f.err(); err != nil {
		return err
	}
	a, saved, err := s.updateFor(r, caller, actRequestCompensationReview, partyID(requester), func(a *domain.Asset) error {
		return a.RequestCompensationReview(cid, requester, on, today)
	})
	if err != nil {
		return err
	}
	return respond(w, saved, compensationReviewResponse{written: writtenOf(a.ID(), saved), ClaimID: cid, ReceivedOn: on})
}

// compensationWindowResponse answers an extension of the review window.
type compensationWindowResponse struct {
	written
	ClaimID          string      `json:"claim_id"`
	ReviewWindowEnds domain.Date `json:"review_window_ends"`
}

// extendCompensationReviewWindow records that the council allowed the
// claimant longer to ask for a review of the decision on claim {cid}.
func (s *Server) extendCompensationReviewWindow(w http.ResponseWriter, r *http.Request, caller Caller) error {
	cid := mux.Vars(r)["cid"]
	a, saved, until, err := s.extendWindow(r, caller, actExtendCompensationWindow, func(a *domain.Asset, until, on, today domain.Date) error {
		return a.ExtendCompensationReviewWindow(cid, until, on, today)
	})
	if err != nil {
		return err
	}
	resp := compensationWindowResponse{written: writtenOf(a.ID(), saved), ClaimID: cid, ReviewWindowEnds: until}
	if rec, ok := claimOf(a, cid); ok {
		resp.ReviewWindowEnds = rec.ReviewWindowEnds
	}
	return respond(w, saved, resp)
}

// compensationAppealRequest is the claimant's appeal to the First-tier
// Tribunal against the review decision.
type compensationAppealRequest struct {
	CaseNumber   string `json:"case_number"`
	LodgedOn     string `json:"lodged_on,omitempty"` // default today
	TimeExtended bool   `json:"time_extended,omitempty"`
}

// compensationAppealResponse answers a compensation appeal.
type compensationAppealResponse struct {
	written
	ClaimID    string      `json:"claim_id"`
	CaseNumber string      `json:"case_number"`
	LodgedOn   domain.Date `json:"lodged_on"`
}

// lodgeCompensationAppeal records the claimant's appeal on claim {cid}.
func (s *Server) lodgeCompensationAppeal(w http.ResponseWriter, r *http.Request, caller Caller) error {
	cid := mux.Vars(r)["cid"]
	var req compensationAppealRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	today := s.today()
	var f fields
	on := f.dateOr("lodged_on", req.LodgedOn, today)
	if err := f.err(); err != nil {
		return err
	}
	claimantOf := func(a *domain.Asset) string {
		c, _ := claimOf(a, cid)
		return c.Claim.Claimant.ID
	}
	a, saved, err := s.updateFor(r, caller, actLodgeCompensationAppeal, claimantOf, func(a *domain.Asset) error {
		return a.LodgeCompensationAppeal(cid, req.CaseNumber, on, req.TimeExtended, today)
	})
	if err != nil {
		return err
	}
	return respond(w, saved, compensationAppealResponse{written: writtenOf(a.ID(), saved), ClaimID: cid, CaseNumber: req.CaseNumber, LodgedOn: on})
}

// compensationAppealDecisionRequest is the tribunal's outcome on a
// compensation appeal and the award it leaves.
type compensationAppealDecisionRequest struct {
	Outcome    domain.AppealOutcome `json:"outcome"`
	AwardPence *int64               `json:"award_pence"`
	DecidedOn  string               `json:"decided_on,omitempty"` // default today
}

// compensationAppealDecisionResponse answers a compensation appeal decision.
type compensationAppealDecisionResponse struct {
	written
	ClaimID    string               `json:"claim_id"`
	Outcome    domain.AppealOutcome `json:"outcome"`
	AwardPence int64                `json:"award_pence"`
	DecidedOn  domain.Date          `json:"decided_on"`
}

// decideCompensationAppeal records the tribunal's outcome on the appeal of
// claim {cid}.
func (s *Server) decideCompensationAppeal(w http.ResponseWriter, r *http.Request, caller Caller) error {
	cid := mux.Vars(r)["cid"]
	var req compensationAppealDecisionRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	today := s.today()
	var f fields
	award := f.requiredInt("award_pence", req.AwardPence)
	on := f.dateOr("decided_on", req.DecidedOn, today)
	if err := f.err(); err != nil {
		return err
	}
	a, saved, err := s.update(r, caller, actDecideCompensationAppeal, func(a *domain.Asset) error {
		return a.DecideCompensationAppeal(cid, req.Outcome, award, on, today)
	})
	if err != nil {
		return err
	}
	return respond(w, saved, compensationAppealDecisionResponse{written: writtenOf(a.ID(), saved), ClaimID: cid,
		Outcome: req.Outcome, AwardPence: award, DecidedOn: on})
}
