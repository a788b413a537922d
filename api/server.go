package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/projections"
	"github.com/google/uuid"
	"github.com/gorilla/mux"
)

// Waiter waits until the read models have caught up with a log position;
// *projections.Projector implements it.
type Waiter interface {
	WaitFor(ctx context.Context, position int64) error
}

// Deps are what the server needs. Store, Assets, Reader, Waiter, Now, NewID
// and Log are required.
type Deps struct {
	Store  eventstore.Store   // the log: raw events, verify, the change feed
	Assets *eventstore.Assets // commands load and save assets through it
	Reader projections.Reader // every other read
	Waiter Waiter             // read-your-writes (?min_position=)
	Now    func() time.Time   // the clock; civil dates are England's
	NewID  func() uuid.UUID   // ids of new assets, nominations, requests...
	Log    *slog.Logger
	// AdminToken, if set, is a bearer token with the administrator role.
	AdminToken string
}

// Server serves the HTTP API. Create it with [New]; it is safe for
// concurrent use.
type Server struct {
	Deps
	store  eventstore.Store
	log    *slog.Logger
	router *mux.Router
}

// New returns a server over d.
func New(d Deps) *Server {
	s := &Server{Deps: d, store: d.Store, log: d.Log, router: mux.NewRouter()}
	s.routes()
	return s
}

// ServeHTTP implements [http.Handler].
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

func (s *Server) routes() {
	s.router.HandleFunc("/healthz", s.handle(s.healthz)).Methods(http.MethodGet, http.MethodHead)
	s.router.HandleFunc("/readyz", s.handle(s.readyz)).Methods(http.MethodGet, http.MethodHead)
	s.router.NotFoundHandler = s.handle(func(http.ResponseWriter, *http.Request) error { return errNoRoute })
	s.router.MethodNotAllowedHandler = s.handle(func(http.ResponseWriter, *http.Request) error { return errMethod })
}

// healthz answers while the process is alive; it touches nothing else.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 when the log can be read, 503 otherwise.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if _, err := s.store.ReadAll(ctx, 0, 1); err != nil {
		s.log.Warn("not ready: the event log cannot be read", "err", err)
		return errNotReady
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
