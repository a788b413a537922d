package api

import (
	"net/http"

	"github.com/acv-registry/acv/domain"
	"github.com/gorilla/mux"
)

// disposalNoticeRequest is the owner's written notice of its wish to dispose
// of the land (s.95(2), condition A).
type disposalNoticeRequest struct {
	// Owner is the owner giving notice, by the registry's id; a name may be
	// left out when the id is the recorded owner's.
	Owner *domain.Party `json:"owner"`
	received
}

// disposalNoticeResponse answers a disposal notice with the three end dates,
// all counted from the day the council received the notice.
type disposalNoticeResponse struct {
	written
	NoticeID    string      `json:"notice_id"`
	Regime      string      `json:"regime"`
	ReceivedOn  domain.Date `json:"received_on"`
	InterimEnds domain.Date `json:"interim_moratorium_ends"` // 6 weeks; also the window for bidder requests
	// FullEnds is the end of the full moratorium (6 months), which runs only
	// if a community interest group asks to be treated as a bidder in time.
	FullEnds      domain.Date `json:"full_moratorium_ends"`
	ProtectedEnds domain.Date `json:"protected_period_ends"` // 18 months
}

func moratoriumOf(a *domain.Asset, noticeID string) (domain.MoratoriumRecord, bool) {
	for _, m := range a.Moratoria() {
		if m.Notice.NoticeID == noticeID {
			return m, true
		}
	}
	return domain.MoratoriumRecord{}, false
}

// receiveDisposalNotice records the owner's notice of a wish to dispose.
func (s *Server) receiveDisposalNotice(w http.ResponseWriter, r *http.Request, caller Caller) error {
	var req disposalNoticeRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	today := s.today()
	var f fields
	owner := f.party("owner", selfParty(caller, req.Owner))
	dn := domain.DisposalNotice{ID: s.NewID().String(), ReceivedOn: f.received(req.received, today)}
	if err := f.err(); err != nil {
		return err
	}
	a, saved, err := s.updateFor(r, caller, actGiveDisposalNotice, partyID(owner), func(a *domain.Asset) error {
		dn.Owner = fillParty(a, owner)
		return a.ReceiveDisposalNotice(dn, today)
	})
	if err != nil {
		return err
	}
	resp := disposalNoticeResponse{written: writtenOf(a.ID(), saved), NoticeID: dn.ID, ReceivedOn: dn.ReceivedOn}
	if m, ok := moratoriumOf(a, dn.ID); ok {
		resp.Regime, resp.InterimEnds, resp.FullEnds, resp.ProtectedEnds = m.Notice.Regime, m.InterimEnds, m.FullEnds, m.ProtectedEnds
	}
	return respond(w, saved, resp)
}

// moratoriumOutcomeRequest is how a disposal notice's story ended.
type moratoriumOutcomeRequest struct {
	Outcome   domain.MoratoriumOutcome `json:"outcome"`
	OutcomeOn string                   `json:"outcome_on,omitempty"` // default today
}

// moratoriumOutcomeResponse answers a moratorium outcome.
type moratoriumOutcomeResponse struct {
	written
	NoticeID  string                   `json:"notice_id"`
	Outcome   domain.MoratoriumOutcome `json:"outcome"`
	OutcomeOn domain.Date              `json:"outcome_on"`
}

// recordMoratoriumOutcome records the outcome of the moratorium started by
// disposal notice {nid}.
func (s *Server) recordMoratoriumOutcome(w http.ResponseWriter, r *http.Request, caller Caller) error {
	nid := mux.Vars(r)["nid"]
	var req moratoriumOutcomeRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	today := s.today()
	var f fields
	on := f.dateOr("outcome_on", req.OutcomeOn, today)
	if err := f.err(); err != nil {
		return err
	}
	a, saved, err := s.update(r, caller, actRecordMoratoriumOutcome, func(a *domain.Asset) error {
		return a.RecordMoratoriumOutcome(nid, req.Outcome, on, today)
	})
	if err != nil {
		return err
	}
	return respond(w, saved, moratoriumOutcomeResponse{written: writtenOf(a.ID(), saved), NoticeID: nid, Outcome: req.Outcome, OutcomeOn: on})
}

// bidderRequestRequest is a community group's written request to be treated
// as a potential bidder.
type bidderRequestRequest struct {
	Group *domain.Body `json:"group"`
	received
}

// bidderRequestResponse answers a bidder request. A late or ineligible
// request is recorded too, with status "rejected" and the rule; it starts
// nothing.
type bidderRequestResponse struct {
	written
	RequestID  string               `json:"request_id"`
	NoticeID   string               `json:"notice_id"`
	ReceivedOn domain.Date          `json:"received_on"`
	Status     domain.RequestStatus `json:"status"`
	Rule       string               `json:"rule,omitempty"`
	Reason     string               `json:"reason,omitempty"`
	// MoratoriumEnds is the last day of the moratorium now: the full
	// moratorium's once a valid request started it.
	MoratoriumEnds domain.Date `json:"moratorium_ends"`
	FullTriggered  bool        `json:"full_moratorium_triggered"`
}

// receiveBidderRequest records a request to be treated as a potential
// bidder.
func (s *Server) receiveBidderRequest(w http.ResponseWriter, r *http.Request, caller Caller) error {
	var req bidderRequestRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	today := s.today()
	if caller.Role == RoleCommunityGroup {
		council := "" // the asset's, for the local connection of a group filled in from its record
		if req.Group == nil {
			if a, err := s.Assets.Load(r.Context(), mux.Vars(r)["id"]); err == nil {
				council = a.Council()
			}
		}
		group, err := s.selfBody(r.Context(), caller, req.Group, council)
		if err != nil {
			return err
		}
		req.Group = group
	}
	var f fields
	if req.Group == nil {
		f.add("group", "is required")
	}
	br := domain.BidderRequest{ID: s.NewID().String(), ReceivedOn: f.received(req.received, today)}
	if err := f.err(); err != nil {
		return err
	}
	br.Group = *req.Group
	a, saved, err := s.updateFor(r, caller, actRequestToBid, func(*domain.Asset) string { return br.Group.ID }, func(a *domain.Asset) error {
		return a.ReceiveBidderRequest(br, today)
	})
	if err != nil {
		return err
	}
	resp := bidderRequestResponse{written: writtenOf(a.ID(), saved), RequestID: br.ID, ReceivedOn: br.ReceivedOn}
	for _, m := range a.Moratoria() {
		for _, rq := range m.Requests {
			if rq.RequestID != br.ID {
				continue
			}
			resp.NoticeID, resp.Status, resp.Rule, resp.Reason = rq.NoticeID, rq.Status, rq.Rule, rq.Reason
			resp.FullTriggered, resp.MoratoriumEnds = m.FullTriggered, m.InterimEnds
			if m.FullTriggered {
				resp.MoratoriumEnds = m.FullEnds
			}
		}
	}
	return respond(w, saved, resp)
}

// bidRequest is a community bid made during a moratorium.
type bidRequest struct {
	Bidder      *domain.Party `json:"bidder"`
	RequestID   string        `json:"request_id,omitempty"` // the bidding group's bidder request
	AmountPence *int64        `json:"amount_pence"`
	Terms       string        `json:"terms,omitempty"`
	SubmittedOn string        `json:"submitted_on,omitempty"` // default today
}

// bidResponse answers a bid.
type bidResponse struct {
	written
	BidID       string           `json:"bid_id"`
	NoticeID    string           `json:"notice_id"`
	Status      domain.BidStatus `json:"status"`
	SubmittedOn domain.Date      `json:"submitted_on"`
}

// submitBid records a bid.
func (s *Server) submitBid(w http.ResponseWriter, r *http.Request, caller Caller) error {
	var req bidRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	today := s.today()
	if caller.Role == RoleCommunityGroup {
		bidder, err := s.selfBidder(r.Context(), caller, req.Bidder)
		if err != nil {
			return err
		}
		req.Bidder = bidder
	}
	var f fields
	if req.Bidder == nil {
		f.add("bidder", "is required")
	}
	b := domain.Bid{ID: s.NewID().String(), RequestID: req.RequestID, AmountPence: f.requiredInt("amount_pence", req.AmountPence),
		Terms: req.Terms, SubmittedOn: f.dateOr("submitted_on", req.SubmittedOn, today)}
	if err := f.err(); err != nil {
		return err
	}
	b.Bidder = *req.Bidder
	a, saved, err := s.updateFor(r, caller, actSubmitBid, partyID(b.Bidder), func(a *domain.Asset) error {
		return a.SubmitBid(b, today)
	})
	if err != nil {
		return err
	}
	resp := bidResponse{written: writtenOf(a.ID(), saved), BidID: b.ID, Status: domain.BidSubmittedStatus, SubmittedOn: b.SubmittedOn}
	for _, m := range a.Moratoria() {
		for _, bid := range m.Bids {
			if bid.Bid.BidID == b.ID {
				resp.NoticeID, resp.Status = bid.Bid.NoticeID, bid.Status
			}
		}
	}
	return respond(w, saved, resp)
}

// bidStatusRequest is a bid's withdrawal, acceptance or rejection.
type bidStatusRequest struct {
	Status    domain.BidStatus `json:"status"`
	ChangedOn string           `json:"changed_on,omitempty"` // default today
}

// bidStatusResponse answers a bid status.
type bidStatusResponse struct {
	written
	BidID     string           `json:"bid_id"`
	Status    domain.BidStatus `json:"status"`
	ChangedOn domain.Date      `json:"changed_on"`
}

// changeBidStatus records that bid {bid} was withdrawn, accepted or
// rejected.
func (s *Server) changeBidStatus(w http.ResponseWriter, r *http.Request, caller Caller) error {
	bid := mux.Vars(r)["bid"]
	var req bidStatusRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	today := s.today()
	var f fields
	on := f.dateOr("changed_on", req.ChangedOn, today)
	if err := f.err(); err != nil {
		return err
	}
	a, saved, err := s.update(r, caller, actChangeBidStatus, func(a *domain.Asset) error {
		return a.ChangeBidStatus(bid, req.Status, on, today)
	})
	if err != nil {
		return err
	}
	return respond(w, saved, bidStatusResponse{written: writtenOf(a.ID(), saved), BidID: bid, Status: req.Status, ChangedOn: on})
}

// disposalRequest is a disposal of listed land: relevant, or exempt with
// its ground.
type disposalRequest struct {
	Kind             domain.DisposalKind  `json:"kind"`
	Exemption        domain.ExemptionCode `json:"exemption,omitempty"`
	Buyer            *domain.Party        `json:"buyer"`
	BuyerGroup       *domain.Body         `json:"buyer_group,omitempty"`
	ObligationMadeOn string               `json:"obligation_made_on,omitempty"`
	DisposedOn       string               `json:"disposed_on,omitempty"` // default today
}

// disposalResponse answers a disposal. A disposal in breach of s.95 is
// recorded, never refused: in_breach says so, with the rule and why.
type disposalResponse struct {
	written
	DisposalID string               `json:"disposal_id"`
	NoticeID   string               `json:"notice_id,omitempty"`
	Kind       domain.DisposalKind  `json:"kind"`
	Exemption  domain.ExemptionCode `json:"exemption,omitempty"`
	DisposedOn domain.Date          `json:"disposed_on"`
	InBreach   bool                 `json:"in_breach"`
	Rule       string               `json:"rule,omitempty"`
	Reason     string               `json:"reason,omitempty"`
}

// recordDisposal records a disposal of listed land.
func (s *Server) recordDisposal(w http.ResponseWriter, r *http.Request, caller Caller) error {
	var req disposalRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	today := s.today()
	var f fields
	if req.Buyer == nil {
		f.add("buyer", "is required")
	}
	d := domain.Disposal{ID: s.NewID().String(), Kind: req.Kind, Exemption: req.Exemption, BuyerGroup: req.BuyerGroup,
		ObligationMadeOn: f.date("obligation_made_on", req.ObligationMadeOn), DisposedOn: f.dateOr("disposed_on", req.DisposedOn, today)}
	if err := f.err(); err != nil {
		return err
	}
	d.Buyer = *req.Buyer
	a, saved, err := s.update(r, caller, actRecordDisposal, func(a *domain.Asset) error {
		return a.RecordDisposal(d, today)
	})
	if err != nil {
		return err
	}
	resp := disposalResponse{written: writtenOf(a.ID(), saved), DisposalID: d.ID, Kind: d.Kind, DisposedOn: d.DisposedOn}
	for _, rec := range a.Disposals() {
		if rec.DisposalID == d.ID {
			resp.NoticeID, resp.Exemption, resp.InBreach, resp.Rule, resp.Reason = rec.NoticeID, rec.Exemption, rec.InBreach, rec.Rule, rec.Reason
		}
	}
	return respond(w, saved, resp)
}

// ownerRequest is a change of owner (s.107), as the new owner tells the
// council (Regs reg 19).
type ownerRequest struct {
	Owner     *domain.Party `json:"owner"`
	ChangedOn string        `json:"changed_on,omitempty"` // default today
}

// ownerResponse answers a change of owner. Changed is false when the owner
// named was already the owner: nothing is recorded, and the answer is 200.
type ownerResponse struct {
	written
	OwnerID   string      `json:"owner_id"`
	ChangedOn domain.Date `json:"changed_on"`
	Changed   bool        `json:"changed"`
}

// changeOwner records a new owner.
func (s *Server) changeOwner(w http.ResponseWriter, r *http.Request, caller Caller) error {
	var req ownerRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	today := s.today()
	var f fields
	owner := f.party("owner", req.Owner)
	on := f.dateOr("changed_on", req.ChangedOn, today)
	if err := f.err(); err != nil {
		return err
	}
	a, saved, err := s.update(r, caller, actChangeOwner, func(a *domain.Asset) error {
		return a.ChangeOwner(owner, on, today)
	})
	if err != nil {
		return err
	}
	return respond(w, saved, ownerResponse{written: writtenOf(a.ID(), saved), OwnerID: owner.ID, ChangedOn: on, Changed: len(saved.Events) > 0})
}
