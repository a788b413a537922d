package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/gorilla/mux"
)

// The write side: every command of api.md, and the few the domain offers
// beyond it (extensions of review windows, agreed review periods, the
// moratorium outcome, compensation reviews and appeals). WRITES.md lists
// each route with its request and response.
//
// A write handler decodes and checks its body (400 for every bad field at
// once) before it touches the log, then runs one domain command through
// Assets.Create or Assets.Update. Refused commands append nothing. Every
// write answers with the asset's id, its new stream version (also as ETag)
// and the log position of its last event, for read-your-writes
// (?min_position= on any read).

// writeRoutes registers the write routes on r.
func (s *Server) writeRoutes(r *mux.Router) {
	post := func(path string, h func(http.ResponseWriter, *http.Request, Caller) error) {
		r.HandleFunc(path, s.write(h)).Methods(http.MethodPost)
	}
	post("/v1/councils/{council}/nominations", s.nominate)
	post("/v1/assets/{id}/nominations/{nid}/decision", s.decideNomination)
	post("/v1/assets/{id}/nominations/{nid}/review-window", s.extendReviewWindow)
	post("/v1/assets/{id}/notices", s.giveNotice)

	post("/v1/assets/{id}/reviews", s.requestReview)
	post("/v1/assets/{id}/reviews/{rid}/extension", s.agreeReviewPeriod)
	post("/v1/assets/{id}/reviews/{rid}/decision", s.decideReview)
	post("/v1/assets/{id}/appeals", s.lodgeAppeal)
	post("/v1/assets/{id}/appeals/{aid}/decision", s.decideAppeal)
	post("/v1/assets/{id}/removal", s.removeFromList)

	post("/v1/assets/{id}/disposal-notices", s.receiveDisposalNotice)
	post("/v1/assets/{id}/disposal-notices/{nid}/outcome", s.recordMoratoriumOutcome)
	post("/v1/assets/{id}/bidder-requests", s.receiveBidderRequest)
	post("/v1/assets/{id}/bids", s.submitBid)
	post("/v1/assets/{id}/bids/{bid}/status", s.changeBidStatus)
	post("/v1/assets/{id}/disposals", s.recordDisposal)
	post("/v1/assets/{id}/owners", s.changeOwner)

	post("/v1/assets/{id}/compensation-claims", s.claimCompensation)
	post("/v1/assets/{id}/compensation-claims/{cid}/decision", s.decideCompensation)
	post("/v1/assets/{id}/compensation-claims/{cid}/review", s.requestCompensationReview)
	post("/v1/assets/{id}/compensation-claims/{cid}/review-window", s.extendCompensationReviewWindow)
	post("/v1/assets/{id}/compensation-claims/{cid}/review/decision", s.decideCompensationReview)
	post("/v1/assets/{id}/compensation-claims/{cid}/appeal", s.lodgeCompensationAppeal)
	post("/v1/assets/{id}/compensation-claims/{cid}/appeal/decision", s.decideCompensationAppeal)
}

// write adapts a write handler: the request needs a caller (401 without
// one), a repeated Idempotency-Key replays the first response, and an error
// is answered as a problem.
func (s *Server) write(h func(http.ResponseWriter, *http.Request, Caller) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		caller, err := requireCaller(r)
		if err == nil {
			err = s.idempotent(caller, w, r, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if err := h(w, r, caller); err != nil {
					s.writeProblem(w, r, err)
				}
			}))
		}
		if err != nil {
			s.writeProblem(w, r, err)
		}
	}
}

// written is what every write answers with.
type written struct {
	// AssetID is the asset the command changed.
	AssetID string `json:"asset_id"`
	// Version is the asset's stream version after the command: its new ETag.
	Version int64 `json:"version"`
	// Position is the log position of the command's last event; a read with
	// ?min_position= of it sees the command. 0 when nothing was recorded.
	Position int64 `json:"position"`
}

func writtenOf(id string, saved eventstore.Saved) written {
	return written{AssetID: id, Version: saved.Version, Position: saved.Position}
}

// respond answers a write: 201 when it recorded something, 200 when it
// recorded nothing (the command was a no-op, such as naming the present
// owner), with the asset's new version as ETag.
func respond(w http.ResponseWriter, saved eventstore.Saved, body any) error {
	status := http.StatusCreated
	if len(saved.Events) == 0 {
		status = http.StatusOK
	}
	w.Header().Set("ETag", etag(saved.Version))
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, status, body)
}

// update runs fn on the asset named by the path's {id} for caller, who must
// be authorized for act on the asset's council. With an If-Match header the
// asset must be at that version (412 otherwise); without one a concurrent
// change re-runs fn on the new state, so fn only calls the asset's methods.
// It returns the asset as fn left it, for the derived values of the answer.
func (s *Server) update(r *http.Request, caller Caller, act action, fn func(*domain.Asset) error) (*domain.Asset, eventstore.Saved, error) {
	return s.updateFor(r, caller, act, nil, fn)
}

// updateFor is [Server.update] for a command that acts for a party: party
// returns, from the asset as it stands, the id of the organisation the
// request acts for (see target.party).
func (s *Server) updateFor(r *http.Request, caller Caller, act action, party func(*domain.Asset) string, fn func(*domain.Asset) error) (*domain.Asset, eventstore.Saved, error) {
	id := mux.Vars(r)["id"]
	expected, err := ifMatch(r)
	if err != nil {
		return nil, eventstore.Saved{}, err
	}
	return s.updateAsset(r, id, expected, caller, act, party, fn)
}

// partyID returns a party function naming p's id.
func partyID(p domain.Party) func(*domain.Asset) string {
	return func(*domain.Asset) string { return p.ID }
}

func (s *Server) updateAsset(r *http.Request, id string, expected int64, caller Caller, act action, party func(*domain.Asset) string, fn func(*domain.Asset) error) (*domain.Asset, eventstore.Saved, error) {
	var last *domain.Asset
	saved, err := s.Assets.Update(r.Context(), id, expected, func(a *domain.Asset) error {
		t := target{council: a.Council(), asset: a}
		if party != nil {
			t.party = party(a)
		}
		if err := authorize(caller, act, t); err != nil {
			return err
		}
		last = a
		return fn(a)
	})
	switch {
	case err == nil:
		return last, saved, nil
	case expected >= 0 && errors.Is(err, domain.ErrConflict):
		return nil, saved, errStale
	}
	return nil, saved, fmt.Errorf("%s on asset %s: %w", act, id, err)
}

// fillParty completes a party the request names only by id from the
// asset's records of owners (present and former), so that events carry the
// recorded name. A party the records do not know is returned as given.
func fillParty(a *domain.Asset, p domain.Party) domain.Party {
	if p.Name != "" || p.ID == "" {
		return p
	}
	for _, o := range a.Owners() {
		if o.ID == p.ID {
			return o
		}
	}
	return p
}

// ruleJSON is a rule that applies to a record, with why.
type ruleJSON struct {
	Rule    string `json:"rule"`
	Message string `json:"message"`
}

func ruleOf(e *domain.RuleError) *ruleJSON {
	if e == nil {
		return nil
	}
	return &ruleJSON{Rule: e.Rule, Message: e.Message}
}
