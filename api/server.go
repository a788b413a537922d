package api

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"net/http"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/projections"
	"github.com/google/uuid"
	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Waiter waits until the read models have caught up with a log position;
// *projections.Projector implements it.
type Waiter interface {
	WaitFor(ctx context.Context, position int64) error
}

// Deps are what the server needs. Store, Assets, Reader and Waiter are
// required by the routes that use them (writes use Store and Assets only).
// Now defaults to time.Now, NewID to uuid.New and Log to a logger that
// discards.
type Deps struct {
	Store  eventstore.Store   // the log: raw events, verify, the change feed
	Assets *eventstore.Assets // commands load and save assets through it
	Reader projections.Reader // every other read
	Waiter Waiter             // read-your-writes (?min_position=)
	Now    func() time.Time   // the clock; civil dates are England's
	NewID  func() uuid.UUID   // ids of new assets, nominations, requests, and request ids
	Log    *slog.Logger
	// AdminToken, if set, is a bearer token with the administrator role
	// (ACV_ADMIN_TOKEN), beside those of Tokens.
	AdminToken string
	// Tokens, if set, keeps the API tokens of organisations and serves
	// /v1/tokens; without it only AdminToken authenticates and those
	// routes answer 404.
	Tokens *Tokens
	// Organisations, if set, keeps the organisation records; nil makes
	// one over Store with NewID.
	Organisations *eventstore.Organisations
	// Checkpoints, if set, lets public reads be answered from a cache of
	// rendered responses that holds while the read models' checkpoint
	// stands (see responseCache). Nil disables the cache.
	Checkpoints Checkpointer
	// Idempotency, if set, keeps the Idempotency-Keys of writes; nil keeps
	// them in this server's memory ([MemoryIdempotency]). Nodes of one
	// deployment share a [SQLIdempotency].
	Idempotency IdempotencyStore
	// Webhooks, if set, serves /v1/webhooks (*webhooks.Registry); without
	// it those routes answer 404.
	Webhooks WebhookAdmin
	// Limits are the rate limits on writes, per token and per client
	// address (limits.go); the zero value limits nothing.
	Limits WriteLimits
}

// Server serves the HTTP API. Create it with [New]; it is safe for
// concurrent use.
type Server struct {
	Deps
	router      *mux.Router
	handler     http.Handler // the router inside the middleware chain
	metrics     *metrics
	idem        IdempotencyStore
	adminDigest []byte // SHA-256 of AdminToken; nil when there is none
	cache       *responseCache
	streams     streamHub // the live streams (stream.go)
	tokenLimit  *limiter  // writes per token (limits.go)
	addrLimit   *limiter  // writes per client address
}

// New returns a server over d. Each server has its own metrics registry, and
// its own idempotency store in memory unless d.Idempotency names one.
func New(d Deps) *Server {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.NewID == nil {
		d.NewID = uuid.New
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Organisations == nil && d.Store != nil {
		d.Organisations = eventstore.NewOrganisations(d.Store, d.NewID)
	}
	s := &Server{
		Deps:    d,
		router:  mux.NewRouter(),
		cache:   newResponseCache(),
		metrics: newMetrics(),
		idem:    d.Idempotency,
	}
	if s.idem == nil {
		s.idem = NewMemoryIdempotency(d.Now, idempotencyTTL, idempotencyMaxKeys)
	}
	s.tokenLimit = newLimiter(d.Limits.PerToken, d.Now)
	s.addrLimit = newLimiter(d.Limits.PerAddress, d.Now)
	if d.AdminToken != "" {
		sum := sha256.Sum256([]byte(d.AdminToken))
		s.adminDigest = sum[:]
	}
	s.routes()
	s.handler = s.chain(s.router)
	return s
}

// ServeHTTP implements [http.Handler].
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// chain wraps h in the middleware every request goes through, outermost
// first: request id and correlation, security headers, access log, metrics
// and panic recovery, cross-origin policy, body size limit, authentication,
// write rate limits.
func (s *Server) chain(h http.Handler) http.Handler {
	h = s.limitWrites(h)
	h = s.authenticate(h)
	h = s.limitBody(h)
	h = s.corsReadOnly(h)
	h = s.observe(h)
	h = securityHeaders(h)
	return s.requestID(h)
}

// routes registers every route. Reads are registered by readRoutes
// (reads.go), writes by writeRoutes (writes.go).
func (s *Server) routes() {
	s.router.Use(routeTemplate)
	s.router.HandleFunc("/healthz", s.handle(s.healthz)).Methods(http.MethodGet, http.MethodHead)
	s.router.HandleFunc("/readyz", s.handle(s.readyz)).Methods(http.MethodGet, http.MethodHead)
	s.router.Handle("/metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{})).Methods(http.MethodGet, http.MethodHead)
	s.writeRoutes(s.router)
	s.readRoutes(s.router)
	s.integrationRoutes(s.router) // webhooks.go
	s.accessRoutes(s.router)      // organisations.go, tokens_api.go
	s.router.NotFoundHandler = s.handle(func(http.ResponseWriter, *http.Request) error { return errNoRoute })
	s.router.MethodNotAllowedHandler = s.handle(func(http.ResponseWriter, *http.Request) error { return errMethod })
}

// today returns today's date in England by the server's clock.
func (s *Server) today() domain.Date { return domain.DateOf(s.Now()) }

// healthz answers while the process is alive; it touches nothing else.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 when the log can be read, 503 otherwise.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if _, err := s.Store.ReadAll(ctx, 0, 1); err != nil {
		s.Log.Warn("not ready: the event log cannot be read", "err", err)
		return errNotReady
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
