package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"

	"github.com/acv-registry/acv/eventstore"
)

// The roles of api.md. Only [RoleAdministrator] is granted by a token today
// (Deps.AdminToken); the access-control issue adds tokens for the others.
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
	bad    bool // an Authorization header was sent but not accepted
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
			if c, ok := s.callerOf(h); ok {
				st.caller = c
			} else {
				st.bad = true
			}
		}
		ctx := context.WithValue(r.Context(), callerKey{}, st)
		if !st.caller.IsPublic() {
			ctx = eventstore.WithActor(ctx, st.caller.actor())
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// callerOf returns the caller of an Authorization header value. Tokens are
// compared in constant time over their SHA-256 digests, so neither their
// content nor their length leaks through timing.
func (s *Server) callerOf(header string) (Caller, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return Caller{}, false
	}
	if s.adminDigest != nil {
		got := sha256.Sum256([]byte(token))
		if subtle.ConstantTimeCompare(got[:], s.adminDigest) == 1 {
			return Caller{Role: RoleAdministrator, Org: "registry", TokenID: "admin"}, true
		}
	}
	return Caller{}, false
}

// requireCaller returns the request's caller, or a 401 problem with a
// WWW-Authenticate challenge when it has no valid token.
func requireCaller(r *http.Request) (Caller, error) {
	st, _ := r.Context().Value(callerKey{}).(authState)
	switch {
	case st.bad:
		return Caller{}, &Problem{Status: http.StatusUnauthorized, Title: "Unauthorized", Detail: "the bearer token is not valid",
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

// authorize is the access policy: the one place that says whether caller may
// do act for an asset or list of council (an ONS/GSS or planning data code).
// It returns nil or a 403 problem (a 401 problem for the public).
//
// Today only the administrator role exists, and it may do everything. The
// access-control issue fills in api.md's table here: council officers for
// their own council only; community groups nominate, ask to bid and bid for
// themselves; owners ask for reviews, give disposal notices and claim
// compensation for land they own.
func authorize(caller Caller, act action, council string) error {
	if caller.IsPublic() {
		return &Problem{Status: http.StatusUnauthorized, Title: "Unauthorized", Detail: "this request needs a bearer token",
			header: http.Header{"Www-Authenticate": {`Bearer realm="acv"`}}}
	}
	if caller.Role == RoleAdministrator {
		return nil
	}
	return &Problem{Status: http.StatusForbidden, Title: "Forbidden",
		Detail: fmt.Sprintf("a %s token may not %s for council %s", caller.Role, strings.ReplaceAll(string(act), "_", " "), council)}
}
