package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/gorilla/mux"
)

// The token routes, for administrators. POST /v1/tokens does not honour
// Idempotency-Key: the stored first answer would keep the secret in a
// second place. A retried POST makes a second token, which an
// administrator can revoke.

// errNoTokens answers the token routes of a server built without [Tokens].
var errNoTokens = &Problem{Status: http.StatusNotFound, Title: "Not found", Detail: "API tokens are not enabled on this server"}

// tokenRequest asks for a new token.
type tokenRequest struct {
	Org  string `json:"org"`
	Role string `json:"role"`
	Name string `json:"name,omitempty"`
	// Expires is how long the token lasts: "90d" (days) or a Go duration
	// such as "12h"; 90 days when left out.
	Expires string `json:"expires,omitempty"`
}

// tokenCreated answers a new token: its metadata and, this once, the
// bearer token itself.
type tokenCreated struct {
	Token
	Secret string `json:"token"`
}

// ParseLifetime parses a token lifetime: "90d" (whole days) or a Go
// duration ("12h"); "" is 0, the default.
func ParseLifetime(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 {
			return 0, &domain.ValidationError{Field: "expires", Message: fmt.Sprintf("%q is not a number of days such as 90d", s)}
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, &domain.ValidationError{Field: "expires", Message: fmt.Sprintf("%q is not a lifetime such as 90d or 12h", s)}
	}
	return d, nil
}

// createToken makes a token (administrators only).
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	caller, err := s.tokenAdmin(r)
	if err != nil {
		return err
	}
	var req tokenRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	life, err := ParseLifetime(req.Expires)
	if err != nil {
		return err
	}
	t, secret, err := s.Tokens.Create(r.Context(), NewToken{Org: req.Org, Role: req.Role, Name: req.Name, Life: life}, caller.actor())
	if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	w.Header().Set("Location", "/v1/tokens/"+t.ID)
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusCreated, tokenCreated{Token: t, Secret: secret})
}

// tokenList is the body of GET /v1/tokens.
type tokenList struct {
	Items []Token `json:"items"`
}

// listTokens lists every token's metadata, ?org= to filter; never a secret
// or a hash (administrators only).
func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.tokenAdmin(r); err != nil {
		return err
	}
	q := newQuery(r)
	org, _ := q.single("org")
	if err := q.err(); err != nil {
		return err
	}
	ts, err := s.Tokens.List(r.Context(), org)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, tokenList{Items: ts})
}

// revokeToken revokes a token (administrators only) and answers with its
// metadata; revoking it again changes nothing.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	caller, err := s.tokenAdmin(r)
	if err != nil {
		return err
	}
	id := mux.Vars(r)["token"]
	t, err := s.Tokens.Revoke(r.Context(), id, caller.actor())
	if err != nil {
		return notFoundOr(err, "token", id)
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, t)
}

// tokenAdmin checks that the request's caller may manage tokens.
func (s *Server) tokenAdmin(r *http.Request) (Caller, error) {
	caller, err := requireCaller(r)
	if err != nil {
		return Caller{}, err
	}
	if err := authorize(caller, actManageTokens, target{}); err != nil {
		return Caller{}, err
	}
	if s.Tokens == nil {
		return Caller{}, errNoTokens
	}
	return caller, nil
}
