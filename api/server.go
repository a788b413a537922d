package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/acv-registry/acv/eventstore"
	"github.com/gorilla/mux"
)

// Server serves the HTTP API. Create it with [New]; it is safe for
// concurrent use.
type Server struct {
	store  eventstore.Store
	log    *slog.Logger
	router *mux.Router
}

// New returns a server reading and writing through store and logging to log.
func New(store eventstore.Store, log *slog.Logger) *Server {
	s := &Server{store: store, log: log, router: mux.NewRouter()}
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
