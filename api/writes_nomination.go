package api

import (
	"fmt"
	"net/http"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/gorilla/mux"
)

// nominationRequest is the body of POST /v1/councils/{council}/nominations:
// the statutory content of a nomination (s.89, Regs reg 6) and what the
// council asks for beyond it (local_extras).
type nominationRequest struct {
	// AssetID adds the nomination to a known asset; without it a new asset
	// is made.
	AssetID string `json:"asset_id,omitempty"`
	received
	Nominator   *domain.Body      `json:"nominator"`
	Land        *domain.Land      `json:"land"`
	Occupants   []domain.Party    `json:"occupants,omitempty"`
	Interests   []domain.Interest `json:"interests,omitempty"`
	Owner       *domain.Party     `json:"owner,omitempty"`
	Reasons     string            `json:"reasons"`
	Evidence    string            `json:"evidence"`
	LocalExtras map[string]string `json:"local_extras,omitempty"`
}

// nominationResponse answers a nomination.
type nominationResponse struct {
	written
	NominationID string        `json:"nomination_id"`
	Council      string        `json:"council"`
	Regime       string        `json:"regime"`
	ReceivedOn   domain.Date   `json:"received_on"`
	DecisionDue  domain.Date   `json:"decision_due"`
	Status       domain.Status `json:"status"`
	// ListingBarred lists the rules that stop this nomination from being
	// listed (an ineligible nominator, excluded land): the council must
	// decide it not listed.
	ListingBarred []ruleJSON `json:"listing_barred,omitempty"`
}

// validCouncil accepts an ONS/GSS code (E07000228) or a planning data
// organisation code (local-authority:MDS): letters, digits, ':', '-', '_'.
func validCouncil(c string) bool {
	if len(c) == 0 || len(c) > 64 {
		return false
	}
	for _, r := range c {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == ':' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// nominate records a community nomination received by the council, on a new
// asset or on asset_id.
func (s *Server) nominate(w http.ResponseWriter, r *http.Request, caller Caller) error {
	council := mux.Vars(r)["council"]
	var req nominationRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	today := s.today()
	if caller.Role == RoleCommunityGroup {
		nominator, err := s.selfBody(r.Context(), caller, req.Nominator, council)
		if err != nil {
			return err
		}
		req.Nominator = nominator
	}
	var f fields
	if !validCouncil(council) {
		f.add("council", fmt.Sprintf("%q is not a council code such as E07000228 or local-authority:MDS", council))
	}
	assetID := f.uuid("asset_id", req.AssetID)
	receivedOn := f.received(req.received, today)
	if req.Nominator == nil {
		f.add("nominator", "is required")
	}
	if req.Land == nil {
		f.add("land", "is required")
	}
	if err := f.err(); err != nil {
		return err
	}
	n := domain.Nomination{
		ID:          s.NewID().String(),
		Council:     council,
		ReceivedOn:  receivedOn,
		Nominator:   *req.Nominator,
		Land:        *req.Land,
		Occupants:   req.Occupants,
		Interests:   req.Interests,
		Reasons:     req.Reasons,
		Evidence:    req.Evidence,
		LocalExtras: req.LocalExtras,
	}
	if req.Owner != nil {
		n.Owner = *req.Owner
	}
	var (
		a     *domain.Asset
		saved eventstore.Saved
		err   error
	)
	if assetID == "" {
		if err := authorize(caller, actNominate, target{council: council, party: n.Nominator.ID}); err != nil {
			return err
		}
		assetID = s.NewID().String()
		saved, err = s.Assets.Create(r.Context(), assetID, func(x *domain.Asset) error {
			a = x
			return x.ReceiveNomination(n, today)
		})
		if err != nil {
			err = fmt.Errorf("nominate new asset %s: %w", assetID, err)
		}
	} else {
		expected, ierr := ifMatch(r)
		if ierr != nil {
			return ierr
		}
		a, saved, err = s.updateAsset(r, assetID, expected, caller, actNominate, func(*domain.Asset) string { return n.Nominator.ID }, func(x *domain.Asset) error {
			return x.ReceiveNomination(n, today)
		})
	}
	if err != nil {
		return err
	}
	resp := nominationResponse{written: writtenOf(assetID, saved), NominationID: n.ID, Council: council,
		ReceivedOn: receivedOn, Status: a.Status()}
	for _, rec := range a.Nominations() {
		if rec.Received.NominationID == n.ID {
			resp.Regime, resp.DecisionDue = rec.Received.Regime, rec.DecisionDue
			for _, barred := range []*domain.RuleError{rec.NominatorIneligible, rec.LandExcluded} {
				if barred != nil {
					resp.ListingBarred = append(resp.ListingBarred, *ruleOf(barred))
				}
			}
		}
	}
	w.Header().Set("Location", "/v1/assets/"+assetID)
	return respond(w, saved, resp)
}

// decisionRequest is the council's decision on a nomination (s.90).
type decisionRequest struct {
	Outcome    domain.Outcome `json:"outcome"`
	Reasons    string         `json:"reasons,omitempty"`
	ListedPart string         `json:"listed_part,omitempty"`
	DecidedOn  string         `json:"decided_on,omitempty"` // default today
	EnteredOn  string         `json:"entered_on,omitempty"` // default decided_on
}

// decisionResponse answers a decision.
type decisionResponse struct {
	written
	NominationID string         `json:"nomination_id"`
	Outcome      domain.Outcome `json:"outcome"`
	DecidedOn    domain.Date    `json:"decided_on"`
	EnteredOn    domain.Date    `json:"entered_on"`
	DecidedLate  bool           `json:"decided_late"`
	Status       domain.Status  `json:"status"`
	// ExpiryDate is the last day of the list entry (5 years, s.87(3)), or of
	// the entry on the list of unsuccessful nominations.
	ExpiryDate domain.Date `json:"expiry_date"`
}

// decideNomination records the decision on nomination {nid}.
func (s *Server) decideNomination(w http.ResponseWriter, r *http.Request, caller Caller) error {
	nid := mux.Vars(r)["nid"]
	var req decisionRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	today := s.today()
	var f fields
	d := domain.Decision{Outcome: req.Outcome, Reasons: req.Reasons, ListedPart: req.ListedPart,
		DecidedOn: f.dateOr("decided_on", req.DecidedOn, today), EnteredOn: f.date("entered_on", req.EnteredOn)}
	if err := f.err(); err != nil {
		return err
	}
	a, saved, err := s.update(r, caller, actDecideNomination, func(a *domain.Asset) error {
		return a.DecideNomination(nid, d, today)
	})
	if err != nil {
		return err
	}
	resp := decisionResponse{written: writtenOf(a.ID(), saved), NominationID: nid, Outcome: d.Outcome, Status: a.Status()}
	for _, rec := range a.Nominations() {
		if rec.Received.NominationID == nid && rec.Decision != nil {
			resp.DecidedOn, resp.EnteredOn, resp.DecidedLate = rec.Decision.DecidedOn, rec.Decision.EnteredOn, rec.DecidedLate
			resp.ExpiryDate = rec.UnsuccessfulEntryEnds
		}
	}
	for _, e := range a.Entries() {
		if e.NominationID == nid {
			resp.ExpiryDate = e.ExpiresOn
		}
	}
	return respond(w, saved, resp)
}

// windowRequest moves the end of a window to the end of until.
type windowRequest struct {
	Until      string `json:"until"`
	ExtendedOn string `json:"extended_on,omitempty"` // default today
}

// reviewWindowResponse answers an extension of the review window.
type reviewWindowResponse struct {
	written
	NominationID     string      `json:"nomination_id"`
	ReviewWindowEnds domain.Date `json:"review_window_ends"`
}

// extendReviewWindow records that the council allowed the owner longer to
// ask for a review of the listing made by nomination {nid} (s.92).
func (s *Server) extendReviewWindow(w http.ResponseWriter, r *http.Request, caller Caller) error {
	nid := mux.Vars(r)["nid"]
	a, saved, until, err := s.extendWindow(r, caller, actExtendReviewWindow, func(a *domain.Asset, until, on, today domain.Date) error {
		return a.ExtendReviewWindow(nid, until, on, today)
	})
	if err != nil {
		return err
	}
	resp := reviewWindowResponse{written: writtenOf(a.ID(), saved), NominationID: nid, ReviewWindowEnds: until}
	for _, e := range a.Entries() {
		if e.NominationID == nid && !e.ReviewWindowEnds.IsZero() {
			resp.ReviewWindowEnds = e.ReviewWindowEnds
		}
	}
	return respond(w, saved, resp)
}

// extendWindow decodes a windowRequest and runs extend with its dates:
// the body of every "the council allowed longer" route.
func (s *Server) extendWindow(r *http.Request, caller Caller, act action,
	extend func(a *domain.Asset, until, on, today domain.Date) error) (*domain.Asset, eventstore.Saved, domain.Date, error) {
	var req windowRequest
	if err := decodeJSON(r, &req); err != nil {
		return nil, eventstore.Saved{}, domain.Date{}, err
	}
	today := s.today()
	var f fields
	until := f.requiredDate("until", req.Until)
	on := f.dateOr("extended_on", req.ExtendedOn, today)
	if err := f.err(); err != nil {
		return nil, eventstore.Saved{}, domain.Date{}, err
	}
	a, saved, err := s.update(r, caller, act, func(a *domain.Asset) error { return extend(a, until, on, today) })
	return a, saved, until, err
}

// noticeRequest is a notice the council gave (consultation, listing,
// unsuccessful nomination, removal, moratorium publicity, bidder request
// passed on).
type noticeRequest struct {
	Kind       domain.NoticeKind  `json:"kind"`
	Subject    string             `json:"subject"`
	Recipients []domain.Recipient `json:"recipients"`
	Method     domain.Method      `json:"method"`
	GivenOn    string             `json:"given_on,omitempty"` // default today
}

// noticeResponse answers a notice.
type noticeResponse struct {
	written
	NoticeID string            `json:"notice_id"`
	Kind     domain.NoticeKind `json:"kind"`
	Subject  string            `json:"subject"`
	GivenOn  domain.Date       `json:"given_on"`
	// ReviewWindowEnds is, after a listing notice, the last day on which the
	// owner may ask for a review (s.92).
	ReviewWindowEnds domain.Date `json:"review_window_ends,omitzero"`
}

// giveNotice records a notice given by the council.
func (s *Server) giveNotice(w http.ResponseWriter, r *http.Request, caller Caller) error {
	var req noticeRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	today := s.today()
	var f fields
	f.required("subject", req.Subject)
	n := domain.Notice{ID: s.NewID().String(), Kind: req.Kind, Subject: req.Subject, Recipients: req.Recipients,
		Method: req.Method, GivenOn: f.dateOr("given_on", req.GivenOn, today)}
	if err := f.err(); err != nil {
		return err
	}
	a, saved, err := s.update(r, caller, actGiveNotice, func(a *domain.Asset) error {
		return a.GiveNotice(n, today)
	})
	if err != nil {
		return err
	}
	resp := noticeResponse{written: writtenOf(a.ID(), saved), NoticeID: n.ID, Kind: n.Kind, Subject: n.Subject, GivenOn: n.GivenOn}
	if n.Kind == domain.ListingNotice {
		for _, e := range a.Entries() {
			if e.NominationID == n.Subject {
				resp.ReviewWindowEnds = e.ReviewWindowEnds
			}
		}
	}
	return respond(w, saved, resp)
}
