package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/projections"
	"github.com/gorilla/mux"
)

// Organisations and tokens over HTTP. Administrators register and update
// organisations (councils, community groups, owners), each an event-sourced
// record (eventstore.Organisations); everyone may read them, since
// organisations' names are public. Administrators make, list and revoke
// API tokens (tokens_api.go).

// OrganisationDirectory lists organisations from a read model;
// *projections.Queries implements it. The server uses Deps.Reader when it
// implements it.
type OrganisationDirectory interface {
	Organisations(ctx context.Context, kind domain.OrganisationKind, page projections.PageRequest) (projections.Page[projections.OrganisationView], error)
	OrganisationNames(ctx context.Context, ids []string) (map[string]string, error)
}

// accessRoutes registers the organisation and token routes.
func (s *Server) accessRoutes(r *mux.Router) {
	r.HandleFunc("/v1/organisations", s.write(s.registerOrganisation)).Methods(http.MethodPost)
	r.HandleFunc("/v1/organisations/{org}", s.write(s.updateOrganisation)).Methods(http.MethodPatch)
	r.HandleFunc("/v1/organisations", s.handle(s.read(s.listOrganisations))).Methods(http.MethodGet)
	r.HandleFunc("/v1/organisations/{org}", s.handle(s.read(s.getOrganisation))).Methods(http.MethodGet)
	r.HandleFunc("/v1/tokens", s.handle(s.createToken)).Methods(http.MethodPost)
	r.HandleFunc("/v1/tokens", s.handle(s.listTokens)).Methods(http.MethodGet)
	r.HandleFunc("/v1/tokens/{token}", s.handle(s.revokeToken)).Methods(http.MethodDelete)
}

// directory returns the organisation read model, if the server has one.
func (s *Server) directory() (OrganisationDirectory, bool) {
	d, ok := s.Reader.(OrganisationDirectory)
	return d, ok && d != nil
}

// organisationRequest registers an organisation. ID is the council's code
// for a council; for a group or owner it may be left out, and the registry
// makes one ("org-<uuid>").
type organisationRequest struct {
	ID   string                  `json:"id,omitempty"`
	Kind domain.OrganisationKind `json:"kind"`
	domain.OrganisationDetails
}

// organisationPatch changes some of an organisation's details; fields left
// out keep their value.
type organisationPatch struct {
	Name                *string                    `json:"name"`
	Neighbours          *[]string                  `json:"neighbours"`
	LegalForm           *domain.BodyKind           `json:"legal_form"`
	RegisteredNumbers   *[]domain.RegisteredNumber `json:"registered_numbers"`
	Serves              *[]string                  `json:"serves"`
	LocalElectorMembers *int                       `json:"local_elector_members"`
	DistributesSurplus  *bool                      `json:"distributes_surplus"`
	PublicBody          *bool                      `json:"public_body"`
}

func (p organisationPatch) apply(d domain.OrganisationDetails) domain.OrganisationDetails {
	set := func(dst *[]string, src *[]string) {
		if src != nil {
			*dst = *src
		}
	}
	if p.Name != nil {
		d.Name = *p.Name
	}
	set(&d.Neighbours, p.Neighbours)
	set(&d.Serves, p.Serves)
	if p.LegalForm != nil {
		d.LegalForm = *p.LegalForm
	}
	if p.RegisteredNumbers != nil {
		d.RegisteredNumbers = *p.RegisteredNumbers
	}
	if p.LocalElectorMembers != nil {
		d.LocalElectorMembers = *p.LocalElectorMembers
	}
	if p.DistributesSurplus != nil {
		d.DistributesSurplus = *p.DistributesSurplus
	}
	if p.PublicBody != nil {
		d.PublicBody = *p.PublicBody
	}
	return d
}

// organisationResponse answers a write to an organisation.
type organisationResponse struct {
	projections.OrganisationView
	// Position is the log position of the write's event; 0 when nothing
	// was recorded.
	Position int64 `json:"position"`
}

// registerOrganisation records a new organisation (administrators only).
func (s *Server) registerOrganisation(w http.ResponseWriter, r *http.Request, caller Caller) error {
	if err := authorize(caller, actManageOrganisations, target{}); err != nil {
		return err
	}
	var req organisationRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	switch req.Kind {
	case domain.KindCouncil, domain.KindCommunityGroup, domain.KindOwner:
	default:
		return invalidInput(FieldError{Field: "kind", Message: fmt.Sprintf("unknown kind %q: council, community_group or owner", req.Kind)})
	}
	if req.ID == "" && req.Kind != domain.KindCouncil {
		req.ID = "org-" + s.NewID().String()
	}
	if req.ID == "" {
		return invalidInput(FieldError{Field: "id", Message: "is required: a council's ONS/GSS code such as E07000228"})
	}
	var o *domain.Organisation
	saved, err := s.Organisations.Create(r.Context(), req.ID, func(x *domain.Organisation) error {
		o = x
		return x.Register(req.Kind, req.OrganisationDetails, s.Now())
	})
	if errors.Is(err, domain.ErrConflict) {
		return &Problem{Status: http.StatusConflict, Title: "Conflict", Detail: fmt.Sprintf("organisation %s is registered already", req.ID)}
	}
	if err != nil {
		return fmt.Errorf("register organisation %s: %w", req.ID, err)
	}
	w.Header().Set("Location", "/v1/organisations/"+req.ID)
	w.Header().Set("ETag", etag(saved.Version))
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusCreated, organisationResponse{OrganisationView: projections.ViewOfOrganisation(o), Position: saved.Position})
}

// updateOrganisation changes an organisation's details (administrators
// only). If-Match guards against lost updates as on assets.
func (s *Server) updateOrganisation(w http.ResponseWriter, r *http.Request, caller Caller) error {
	id := mux.Vars(r)["org"]
	if err := authorize(caller, actManageOrganisations, target{}); err != nil {
		return err
	}
	var req organisationPatch
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	expected, err := ifMatch(r)
	if err != nil {
		return err
	}
	var o *domain.Organisation
	saved, err := s.Organisations.Update(r.Context(), id, expected, func(x *domain.Organisation) error {
		o = x
		return x.Update(req.apply(x.Details()), s.Now())
	})
	switch {
	case expected >= 0 && errors.Is(err, domain.ErrConflict):
		return errStale
	case err != nil:
		return fmt.Errorf("update organisation %s: %w", id, err)
	}
	w.Header().Set("ETag", etag(saved.Version))
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, organisationResponse{OrganisationView: projections.ViewOfOrganisation(o), Position: saved.Position})
}

// organisationPage is the body of GET /v1/organisations.
type organisationPage struct {
	Items      []projections.OrganisationView `json:"items"`
	NextCursor string                         `json:"next_cursor,omitempty"`
}

// listOrganisations serves the directory, ?kind= to filter.
func (s *Server) listOrganisations(w http.ResponseWriter, r *http.Request) error {
	dir, ok := s.directory()
	if !ok {
		return errNoRoute
	}
	q := newQuery(r)
	kinds := make([]string, 0, 3)
	for _, k := range domain.OrganisationKinds() {
		kinds = append(kinds, string(k))
	}
	kind := q.oneOf("kind", kinds...)
	page := q.page()
	if err := q.err(); err != nil {
		return err
	}
	pg, err := dir.Organisations(r.Context(), domain.OrganisationKind(kind), page)
	if err != nil {
		return fmt.Errorf("list organisations: %w", err)
	}
	return writeJSON(w, http.StatusOK, organisationPage{Items: nonNil(pg.Items), NextCursor: pg.NextCursor})
}

// getOrganisation serves one organisation, read from its stream.
func (s *Server) getOrganisation(w http.ResponseWriter, r *http.Request) error {
	id := mux.Vars(r)["org"]
	o, err := s.Organisations.Load(r.Context(), id)
	if err != nil {
		return notFoundOr(err, "organisation", id)
	}
	w.Header().Set("ETag", etag(o.Version()))
	return writeJSON(w, http.StatusOK, projections.ViewOfOrganisation(o))
}

// callerOrganisation loads the record of the caller's organisation. A
// token whose organisation is not registered acts for nobody: 403.
func (s *Server) callerOrganisation(ctx context.Context, caller Caller) (*domain.Organisation, error) {
	o, err := s.Organisations.Load(ctx, caller.Org)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, &Problem{Status: http.StatusForbidden, Title: "Forbidden", Detail: fmt.Sprintf("organisation %s is not registered", caller.Org)}
	}
	return o, err
}

// selfBody returns the community body a community group's request names
// (a nominator, a group asking to bid): as given when it has an id; given
// with the caller's id when it has none; and, when the request leaves it
// out, the caller's organisation record, whose local connection to council
// is "serves council or one of its neighbours" by the records (see
// domain.Organisation.Serves).
func (s *Server) selfBody(ctx context.Context, caller Caller, given *domain.Body, council string) (*domain.Body, error) {
	if given != nil && given.ID != "" {
		return given, nil
	}
	if given != nil {
		b := *given
		b.ID = caller.Org
		return &b, nil
	}
	o, err := s.callerOrganisation(ctx, caller)
	if err != nil {
		return nil, err
	}
	var neighbours []string
	if council != "" {
		c, err := s.Organisations.Load(ctx, council)
		switch {
		case err == nil && c.Kind() == domain.KindCouncil:
			neighbours = c.Details().Neighbours
		case err != nil && !errors.Is(err, domain.ErrNotFound):
			return nil, err
		}
	}
	b := o.Body(council, neighbours)
	return &b, nil
}

// selfBidder returns the bidder a community group's bid names, filled in
// from the caller's record when the request leaves it (or its id) out.
func (s *Server) selfBidder(ctx context.Context, caller Caller, given *domain.Party) (*domain.Party, error) {
	if given != nil && given.ID != "" {
		return given, nil
	}
	p := domain.Party{ID: caller.Org}
	if given != nil {
		p = *given
		p.ID = caller.Org
	}
	if p.Name == "" {
		o, err := s.callerOrganisation(ctx, caller)
		if err != nil {
			return nil, err
		}
		p.Name = o.Name()
	}
	return &p, nil
}

var _ OrganisationDirectory = (*projections.Queries)(nil)
