package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/projections"
	"github.com/gorilla/mux"
)

// This file holds the read side's routes and the registers, councils,
// deadlines, moratoria and statistics. Reads use the read models
// (projections.Reader) only, except the raw events, their verification and
// the change feed, which read the log itself. Every read is public but the
// deadline queue, and every read accepts ?min_position= (see awaitPosition).

// readRoutes registers every read route of api.md on r. The write side's
// routes() calls it.
func (s *Server) readRoutes(r *mux.Router) {
	get := func(path string, h func(http.ResponseWriter, *http.Request) error) {
		r.HandleFunc(path, s.handle(s.read(h))).Methods(http.MethodGet)
	}
	// Public reads of the read models alone are cached per checkpoint;
	// the deadline queue (callers differ), the raw events (redaction
	// depends on the caller), verify and the change feed (they read the
	// log) are not.
	cached := func(path string, h func(http.ResponseWriter, *http.Request) error) { get(path, s.cached(h)) }
	get("/openapi.json", s.openAPI)
	cached("/v1/councils", s.councils)
	cached("/v1/councils/{council}", s.council)
	cached("/v1/councils/{council}/register", s.councilList(projections.ListACV))
	cached("/v1/councils/{council}/unsuccessful-nominations", s.councilList(projections.ListUnsuccessful))
	get("/v1/councils/{council}/deadlines", s.deadlines)
	cached("/v1/register", s.nationalRegister)
	cached("/v1/assets/{id}", s.asset)
	cached("/v1/assets/{id}/timeline", s.timeline)
	get("/v1/assets/{id}/events", s.events)
	get("/v1/assets/{id}/verify", s.verify)
	cached("/v1/moratoria", s.moratoria)
	cached("/v1/stats", s.stats)
	get("/v1/changes", s.changes)
}

// maxReadWait bounds how long a read waits for ?min_position=; a client
// may ask for less with "Prefer: wait=N" (RFC 7240).
const maxReadWait = 5 * time.Second

// read wraps a read handler: it first waits, bounded, until the read models
// have caught up with ?min_position=, so that a client sees its own writes.
func (s *Server) read(h func(http.ResponseWriter, *http.Request) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := s.awaitPosition(r); err != nil {
			return err
		}
		return h(w, r)
	}
}

// awaitPosition waits until the read models have processed the log
// position ?min_position= names. It answers 400 for a malformed or unknown
// position, and 503 with Retry-After when the wait runs out.
func (s *Server) awaitPosition(r *http.Request) error {
	q := newQuery(r)
	if _, ok := q.v["min_position"]; !ok {
		return nil
	}
	pos := q.int64("min_position", 0, 0)
	if err := q.err(); err != nil {
		return err
	}
	if pos == 0 {
		return nil
	}
	wait := preferredWait(r.Header, maxReadWait)
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	defer cancel()
	err := s.waitFor(ctx, pos)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, eventstore.ErrUnknownPosition):
		return invalidParams(FieldError{Field: "min_position", Message: fmt.Sprintf("no event is stored at position %d", pos)})
	case errors.Is(err, context.DeadlineExceeded) && r.Context().Err() == nil:
		return &Problem{Status: http.StatusServiceUnavailable, Title: "Not caught up",
			Detail: fmt.Sprintf("the read models have not reached position %d yet; retry shortly", pos),
			header: http.Header{"Retry-After": {"1"}}}
	}
	return fmt.Errorf("wait for position %d: %w", pos, err)
}

// waitFor waits with the Waiter. A server wired without one (its
// projector runs in another process) polls the read models' checkpoint.
func (s *Server) waitFor(ctx context.Context, pos int64) error {
	if s.Waiter != nil {
		return s.Waiter.WaitFor(ctx, pos)
	}
	for {
		cp, err := s.Reader.Checkpoint(ctx)
		if err != nil {
			return err
		}
		ok, err := s.Store.Covers(ctx, cp, pos)
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// councilStatsList is the body of GET /v1/councils.
type councilStatsList struct {
	Items []projections.CouncilStats `json:"items"`
}

func (s *Server) councils(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.Reader.Councils(r.Context(), s.today())
	if err != nil {
		return fmt.Errorf("list councils: %w", err)
	}
	for i := range cs {
		cs[i] = withMaps(cs[i])
	}
	return writeJSON(w, http.StatusOK, councilStatsList{Items: nonNil(cs)})
}

func (s *Server) council(w http.ResponseWriter, r *http.Request) error {
	council := mux.Vars(r)["council"]
	c, err := s.Reader.Council(r.Context(), council, s.today())
	if err != nil {
		return notFoundOr(err, "council", council)
	}
	return writeJSON(w, http.StatusOK, withMaps(c))
}

// registerPage is the JSON body of a register: one council's list or the
// national register, as it stood on AsOf.
type registerPage struct {
	Council    string                      `json:"council,omitempty"`
	List       projections.List            `json:"list,omitempty"`
	AsOf       domain.Date                 `json:"as_of"`
	Items      []projections.RegisterEntry `json:"items"`
	NextCursor string                      `json:"next_cursor,omitempty"`
}

// councilList serves one of a council's two lists, as JSON, CSV or GeoJSON.
func (s *Server) councilList(list projections.List) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		council := mux.Vars(r)["council"]
		today := s.today()
		q := newQuery(r)
		asOf := q.date("as_of", today)
		page := q.page()
		format := exportFormat(r, q)
		if err := q.err(); err != nil {
			return err
		}
		rq := projections.RegisterQuery{Council: council, List: list, AsOf: asOf, Today: today, Page: page}
		fetch := func(ctx context.Context, p projections.PageRequest) (projections.Page[projections.RegisterEntry], error) {
			rq.Page = p
			pg, err := s.Reader.Register(ctx, rq)
			if err != nil {
				return pg, notFoundOr(err, "council", council)
			}
			if len(pg.Items) == 0 && p.Cursor == "" {
				return pg, s.councilExists(ctx, council)
			}
			return pg, nil
		}
		name := fmt.Sprintf("%s-%s-%s", council, listFileName(list), asOf)
		if format != formatJSON {
			return s.export(w, r, format, name, fetch)
		}
		pg, err := fetch(r.Context(), page)
		if err != nil {
			return err
		}
		w.Header().Set("Vary", "Accept")
		return writeJSON(w, http.StatusOK, registerPage{Council: council, List: list, AsOf: asOf,
			Items: nonNil(pg.Items), NextCursor: pg.NextCursor})
	}
}

func listFileName(l projections.List) string {
	if l == projections.ListUnsuccessful {
		return "unsuccessful-nominations"
	}
	return "assets-of-community-value"
}

// nationalRegister serves GET /v1/register: every council's list of assets
// of community value, searched and filtered, as JSON, CSV or GeoJSON.
func (s *Server) nationalRegister(w http.ResponseWriter, r *http.Request) error {
	today := s.today()
	q := newQuery(r)
	sq := projections.SearchQuery{
		Council:  q.text("council", 100),
		Status:   q.oneOf("status", registerStatuses()...),
		Text:     q.text("q", 200),
		Postcode: q.postcode("postcode"),
		BBox:     q.bbox("bbox"),
		AsOf:     q.date("as_of", today),
		Today:    today,
		Page:     q.page(),
	}
	format := exportFormat(r, q)
	if err := q.err(); err != nil {
		return err
	}
	fetch := func(ctx context.Context, p projections.PageRequest) (projections.Page[projections.RegisterEntry], error) {
		sq.Page = p
		pg, err := s.Reader.National(ctx, sq)
		if err != nil {
			return pg, fmt.Errorf("search the national register: %w", err)
		}
		return pg, nil
	}
	if format != formatJSON {
		return s.export(w, r, format, "england-assets-of-community-value-"+sq.AsOf.String(), fetch)
	}
	pg, err := fetch(r.Context(), sq.Page)
	if err != nil {
		return err
	}
	w.Header().Set("Vary", "Accept")
	return writeJSON(w, http.StatusOK, registerPage{AsOf: sq.AsOf, Items: nonNil(pg.Items), NextCursor: pg.NextCursor})
}

// registerStatuses are the statuses ?status= may filter the national
// register by. The register holds what was on the lists on the day asked
// for, and an entry on the list of assets of community value is listed:
// an entry removed early or expired has left the list that day, and is
// found through its asset (GET /v1/assets/{id} shows its removal date and
// reason, the timeline why). Statuses for the moratorium phases are a
// candidate for a later version of the contract.
func registerStatuses() []string { return []string{"listed"} }

// deadlinePage is the body of GET /v1/councils/{council}/deadlines.
type deadlinePage struct {
	Council    string                     `json:"council"`
	Today      domain.Date                `json:"today"`
	Items      []projections.DeadlineView `json:"items"`
	NextCursor string                     `json:"next_cursor,omitempty"`
}

// deadlines serves a council's work queue to its officers.
func (s *Server) deadlines(w http.ResponseWriter, r *http.Request) error {
	council := mux.Vars(r)["council"]
	if err := mayReadDeadlines(r, council); err != nil {
		return err
	}
	q := newQuery(r)
	page := q.page()
	if err := q.err(); err != nil {
		return err
	}
	today := s.today()
	pg, err := s.Reader.Deadlines(r.Context(), council, today, page)
	if err != nil {
		return notFoundOr(err, "council", council)
	}
	if len(pg.Items) == 0 && page.Cursor == "" {
		if err := s.councilExists(r.Context(), council); err != nil {
			return err
		}
	}
	return writeJSON(w, http.StatusOK, deadlinePage{Council: council, Today: today, Items: nonNil(pg.Items), NextCursor: pg.NextCursor})
}

// moratoriumView is a moratorium with its phase on the day it was read.
type moratoriumView struct {
	projections.Moratorium
	Phase string `json:"phase"` // interim, full, protected or ended
}

// moratoriumPage is the body of GET /v1/moratoria.
type moratoriumPage struct {
	Today      domain.Date      `json:"today"`
	Items      []moratoriumView `json:"items"`
	NextCursor string           `json:"next_cursor,omitempty"`
}

// moratoriumPhases are the values of GET /v1/moratoria?status=.
func moratoriumPhases() []string {
	return []string{projections.PhaseInterim, projections.PhaseFull, projections.PhaseProtected, projections.PhaseEnded}
}

func (s *Server) moratoria(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	phase := q.oneOf("status", moratoriumPhases()...)
	page := q.page()
	if err := q.err(); err != nil {
		return err
	}
	today := s.today()
	pg, err := s.Reader.Moratoria(r.Context(), phase, today, page)
	if err != nil {
		return fmt.Errorf("list moratoria: %w", err)
	}
	items := make([]moratoriumView, len(pg.Items))
	for i, m := range pg.Items {
		items[i] = moratoriumView{Moratorium: m, Phase: phaseOn(m, today)}
	}
	return writeJSON(w, http.StatusOK, moratoriumPage{Today: today, Items: items, NextCursor: pg.NextCursor})
}

// phaseOn is the phase of moratorium m on today, as the read models
// filter by it (projections.PhaseInterim ...): within the interim
// moratorium up to its last day; then within a full moratorium if a
// community interest group asked in time; then within the protected
// period; then ended.
func phaseOn(m projections.Moratorium, today domain.Date) string {
	switch {
	case !today.After(m.InterimEnd):
		return projections.PhaseInterim
	case m.FullMoratorium && !today.After(m.FullEnd):
		return projections.PhaseFull
	case !today.After(m.ProtectedEnd):
		return projections.PhaseProtected
	}
	return projections.PhaseEnded
}

func (s *Server) stats(w http.ResponseWriter, r *http.Request) error {
	st, err := s.Reader.Stats(r.Context(), s.today())
	if err != nil {
		return fmt.Errorf("statistics: %w", err)
	}
	st.National = withMaps(st.National)
	st.Councils = nonNil(st.Councils)
	for i := range st.Councils {
		st.Councils[i] = withMaps(st.Councils[i])
	}
	return writeJSON(w, http.StatusOK, st)
}

// withMaps makes a council's empty tallies encode as {} rather than null.
func withMaps(c projections.CouncilStats) projections.CouncilStats {
	if c.Outcomes == nil {
		c.Outcomes = map[string]int{}
	}
	if c.Categories == nil {
		c.Categories = map[string]int{}
	}
	return c
}

// councilExists returns nil for a council the registry knows (one with an
// asset) and a 404 problem otherwise. The read models answer an unknown
// council's listings with an empty page, so a listing that comes back empty
// asks.
func (s *Server) councilExists(ctx context.Context, council string) error {
	if _, err := s.Reader.Council(ctx, council, s.today()); err != nil {
		return notFoundOr(err, "council", council)
	}
	return nil
}

// notFoundOr turns the read models' "not found" into a 404 problem naming
// what was asked for, and wraps any other error.
func notFoundOr(err error, what, id string) error {
	if errors.Is(err, domain.ErrNotFound) {
		return &Problem{Status: http.StatusNotFound, Title: "Not found", Detail: fmt.Sprintf("no %s %q", what, id)}
	}
	return fmt.Errorf("read %s %s: %w", what, id, err)
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}
