package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
)

// The roles of api.md. A token (see [Tokens]) has one; Deps.AdminToken is
// an administrator's.
const (
	RoleAdministrator  = "administrator"
	RoleCouncilOfficer = "council_officer"
	RoleCommunityGroup = "community_group"
	RoleOwner          = "owner"
)

// Caller is who sent a request, as its bearer token says: the role it acts
// in, its organisation (a council code for a council officer, the registry's
// id of a community group or owner) and the id of the token (never the token
// itself). The zero Caller is the public.
type Caller struct {
	Role    string
	Org     string
	TokenID string
}

// IsPublic reports whether c is the public: no valid token.
func (c Caller) IsPublic() bool { return c == Caller{} }

// actor is the caller as event metadata records it.
func (c Caller) actor() eventstore.Actor {
	return eventstore.Actor{Org: c.Org, Role: c.Role, TokenID: c.TokenID}
}

type callerKey struct{}

// authState is what the authenticate middleware learned of a request's
// credentials.
type authState struct {
	caller Caller
	bad    error // why an Authorization header that was sent is not accepted
}

// CallerFrom returns the caller the server authenticated for the request
// whose context is ctx; the zero Caller (the public) when the request had no
// valid token. Public reads need no caller; a handler that needs one returns
// the problem of [Server.requireCaller].
func CallerFrom(ctx context.Context) Caller {
	st, _ := ctx.Value(callerKey{}).(authState)
	return st.caller
}

// authenticate reads the bearer token of every request and puts the caller
// into the context (see [CallerFrom]), with its actor for the event
// metadata of writes. A missing or unknown token makes the request public;
// it is refused only where a caller is required.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var st authState
		if h := r.Header.Get("Authorization"); h != "" {
			st.caller, st.bad = s.callerOf(r.Context(), h)
		}
		ctx := context.WithValue(r.Context(), callerKey{}, st)
		if !st.caller.IsPublic() {
			ctx = eventstore.WithActor(ctx, st.caller.actor())
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// errBadScheme reports an Authorization header that is not a bearer token.
var errBadScheme = errors.New("not a bearer token")

// callerOf returns the caller of an Authorization header value: the
// configured administrator token (Deps.AdminToken), compared in constant
// time over SHA-256 digests so that neither its content nor its length
// leaks through timing, or a token of Deps.Tokens (see
// [Tokens.Authenticate]). The error says why the header is not accepted.
func (s *Server) callerOf(ctx context.Context, header string) (Caller, error) {
	scheme, token, ok := strings.Cut(header, " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return Caller{}, errBadScheme
	}
	if s.adminDigest != nil {
		got := sha256.Sum256([]byte(token))
		if subtle.ConstantTimeCompare(got[:], s.adminDigest) == 1 {
			return Caller{Role: RoleAdministrator, Org: RegistryOrg, TokenID: "admin"}, nil
		}
	}
	if s.Tokens == nil {
		return Caller{}, ErrTokenUnknown
	}
	t, err := s.Tokens.Authenticate(ctx, token)
	if err != nil {
		return Caller{}, err
	}
	return Caller{Role: t.Role, Org: t.Org, TokenID: t.ID}, nil
}

// requireCaller returns the request's caller, or a 401 problem with a
// WWW-Authenticate challenge when it has no valid token (a 500 when the
// tokens could not be read).
func requireCaller(r *http.Request) (Caller, error) {
	st, _ := r.Context().Value(callerKey{}).(authState)
	switch {
	case st.bad != nil && !errors.Is(st.bad, errBadScheme) && !errors.Is(st.bad, ErrTokenUnknown) &&
		!errors.Is(st.bad, ErrTokenExpired) && !errors.Is(st.bad, ErrTokenRevoked):
		return Caller{}, st.bad
	case st.bad != nil:
		detail := "the bearer token is not valid"
		switch {
		case errors.Is(st.bad, ErrTokenExpired):
			detail = "the bearer token has expired"
		case errors.Is(st.bad, ErrTokenRevoked):
			detail = "the bearer token has been revoked"
		}
		return Caller{}, &Problem{Status: http.StatusUnauthorized, Title: "Unauthorized", Detail: detail,
			header: http.Header{"Www-Authenticate": {`Bearer realm="acv", error="invalid_token"`}}}
	case st.caller.IsPublic():
		return Caller{}, &Problem{Status: http.StatusUnauthorized, Title: "Unauthorized", Detail: "this request needs a bearer token (Authorization: Bearer <token>)",
			header: http.Header{"Www-Authenticate": {`Bearer realm="acv"`}}}
	}
	return st.caller, nil
}

// action names what a caller asks to do, for [authorize].
type action string

// The actions of the write routes.
const (
	actNominate                  action = "nominate"
	actDecideNomination          action = "decide_nomination"
	actGiveNotice                action = "give_notice"
	actExtendReviewWindow        action = "extend_review_window"
	actRequestReview             action = "request_review"
	actAgreeReviewPeriod         action = "agree_review_period"
	actDecideReview              action = "decide_review"
	actLodgeAppeal               action = "lodge_appeal"
	actDecideAppeal              action = "decide_appeal"
	actGiveDisposalNotice        action = "give_disposal_notice"
	actRecordMoratoriumOutcome   action = "record_moratorium_outcome"
	actRequestToBid              action = "request_to_bid"
	actSubmitBid                 action = "submit_bid"
	actChangeBidStatus           action = "change_bid_status"
	actRecordDisposal            action = "record_disposal"
	actRemoveFromList            action = "remove_from_list"
	actChangeOwner               action = "change_owner"
	actClaimCompensation         action = "claim_compensation"
	actDecideCompensation        action = "decide_compensation"
	actRequestCompensationReview action = "request_compensation_review"
	actExtendCompensationWindow  action = "extend_compensation_review_window"
	actDecideCompensationReview  action = "decide_compensation_review"
	actLodgeCompensationAppeal   action = "lodge_compensation_appeal"
	actDecideCompensationAppeal  action = "decide_compensation_appeal"
)

// The actions beyond the lifecycle's writes.
const (
	actReadDeadlines       action = "read_deadlines"
	actManageOrganisations action = "manage_organisations"
	actManageTokens        action = "manage_tokens"
)

// target is what a command acts on, as far as the policy needs to know.
type target struct {
	// council is the council whose asset or list it is.
	council string
	// asset is the asset as it stands before the command; nil for a new
	// asset or a council's list.
	asset *domain.Asset
	// party is the organisation the request says it acts for: the
	// nominator, bidder, requester, appellant, claimant or owner it names
	// ("" when it names none). Handlers fill it with the caller's own
	// organisation when a community group or owner leaves it out.
	party string
}

// Who may do what (api.md, "Roles"). A council officer may do everything
// for its own council's assets and lists; a community group only lodges
// nominations, requests to bid and bids, for itself; an owner acts only on
// land it owns (or, for compensation, has owned); an administrator manages
// organisations and tokens, and may key in any write (recorded with role
// administrator), which is how the registry's operators correct and
// back-fill records.
var (
	// officerActions are the actions of a council officer, for its council.
	officerActions = map[action]bool{
		actNominate: true, actDecideNomination: true, actGiveNotice: true, actExtendReviewWindow: true,
		actRequestReview: true, actAgreeReviewPeriod: true, actDecideReview: true, actLodgeAppeal: true, actDecideAppeal: true,
		actGiveDisposalNotice: true, actRecordMoratoriumOutcome: true, actRequestToBid: true, actSubmitBid: true,
		actChangeBidStatus: true, actRecordDisposal: true, actRemoveFromList: true, actChangeOwner: true,
		actClaimCompensation: true, actDecideCompensation: true, actRequestCompensationReview: true,
		actExtendCompensationWindow: true, actDecideCompensationReview: true, actLodgeCompensationAppeal: true,
		actDecideCompensationAppeal: true, actReadDeadlines: true,
	}
	// groupActions are a community group's, for itself.
	groupActions = map[action]bool{actNominate: true, actRequestToBid: true, actSubmitBid: true}
	// ownerActions are an owner's, for land it owns now.
	ownerActions = map[action]bool{actRequestReview: true, actLodgeAppeal: true, actGiveDisposalNotice: true,
		actChangeBidStatus: true, actRecordDisposal: true}
	// formerOwnerActions are an owner's for land it owns or has owned
	// (s.99: a former owner may claim), as the party it names.
	formerOwnerActions = map[action]bool{actClaimCompensation: true, actRequestCompensationReview: true, actLodgeCompensationAppeal: true}
	// adminActions are an administrator's alone.
	adminActions = map[action]bool{actManageOrganisations: true, actManageTokens: true}
)

// authorize is the access policy: the one place that says whether caller may
// do act on t. It returns nil, a 401 problem for the public, or a 403
// problem naming what was refused. The domain's own rules (only the owner
// may ask for a review ...) still apply after it.
func authorize(caller Caller, act action, t target) error {
	if caller.IsPublic() {
		return &Problem{Status: http.StatusUnauthorized, Title: "Unauthorized", Detail: "this request needs a bearer token",
			header: http.Header{"Www-Authenticate": {`Bearer realm="acv"`}}}
	}
	what := strings.ReplaceAll(string(act), "_", " ")
	forbid := func(format string, args ...any) error {
		return &Problem{Status: http.StatusForbidden, Title: "Forbidden", Detail: fmt.Sprintf(format, args...)}
	}
	switch caller.Role {
	case RoleAdministrator:
		return nil
	case RoleCouncilOfficer:
		if !officerActions[act] {
			return forbid("a council officer may not %s", what)
		}
		if t.council == "" || t.council != caller.Org {
			return forbid("an officer of council %s may not %s for council %s", caller.Org, what, t.council)
		}
		return nil
	case RoleCommunityGroup:
		if !groupActions[act] {
			return forbid("a community group may not %s", what)
		}
		if t.party != caller.Org {
			return forbid("a community group acts only for itself: the request names %q, not %s", t.party, caller.Org)
		}
		return nil
	case RoleOwner:
		switch {
		case ownerActions[act]:
			if t.party != "" && t.party != caller.Org {
				return forbid("an owner acts only for itself: the request names %q, not %s", t.party, caller.Org)
			}
			if o, ok := ownerOf(t.asset); !ok || o != caller.Org {
				return forbid("%s may %s only for land it owns", caller.Org, what)
			}
			return nil
		case formerOwnerActions[act]:
			if t.party != caller.Org {
				return forbid("an owner acts only for itself: the request names %q, not %s", t.party, caller.Org)
			}
			if !hasOwned(t.asset, caller.Org) {
				return forbid("%s may %s only for land it owns or has owned", caller.Org, what)
			}
			return nil
		}
		return forbid("an owner may not %s", what)
	}
	return forbid("a %s token may not %s", caller.Role, what)
}

// ownerOf returns the id of a's present owner.
func ownerOf(a *domain.Asset) (string, bool) {
	if a == nil {
		return "", false
	}
	o, ok := a.Owner()
	return o.ID, ok && o.ID != ""
}

// hasOwned reports whether the organisation org is or was a's owner.
func hasOwned(a *domain.Asset, org string) bool {
	if a == nil || org == "" {
		return false
	}
	for _, o := range a.Owners() {
		if o.ID == org {
			return true
		}
	}
	return false
}

// actsForItself reports whether caller's role acts only for its own
// organisation, so that a party the request leaves out is the caller's.
func actsForItself(c Caller) bool { return c.Role == RoleCommunityGroup || c.Role == RoleOwner }

// selfParty returns the party a request names, filled in with the caller's
// organisation when a community group or owner leaves it (or its id) out.
func selfParty(c Caller, p *domain.Party) *domain.Party {
	if !actsForItself(c) {
		return p
	}
	if p == nil {
		return &domain.Party{ID: c.Org}
	}
	if p.ID == "" {
		q := *p
		q.ID = c.Org
		return &q
	}
	return p
}
