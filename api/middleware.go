package api

import (
	"context"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/acv-registry/acv/eventstore"
	"github.com/google/uuid"
	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// The middleware chain, outermost first (see [Server.chain]): request id and
// correlation, security headers, observation (access log, metrics, panic
// recovery), cross-origin policy (cors.go), body size limit,
// authentication, write rate limits (limits.go), then the router.

// requestInfo is what the middleware learns of one request as it goes: its
// id, and the route template the router matched.
type requestInfo struct {
	id    string
	route string
}

type requestInfoKey struct{}

// RequestIDFrom returns the id of the request whose context is ctx (the
// X-Request-ID it was answered with), or "".
func RequestIDFrom(ctx context.Context) string {
	if info, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		return info.id
	}
	return ""
}

// requestIDSpace is the UUID namespace in which a request id that is not a
// UUID is turned into a correlation id.
const requestIDSpace = "5c0d7f2e-8a35-4b0e-9d6c-2f1e6a9b3c47"

// requestID gives every request an id: a sane incoming X-Request-ID (1 to
// 128 characters of letters, digits and ._:+/=-), or a new one from
// Deps.NewID. The response echoes it. The id is also the correlation id of
// every event the request appends: itself when it is a UUID, otherwise a
// name-based UUID (SHA-1) of it in [requestIDSpace].
func (s *Server) requestID(next http.Handler) http.Handler {
	space := uuid.MustParse(requestIDSpace)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !saneRequestID(id) {
			id = s.NewID().String()
		}
		correlation, err := uuid.Parse(id)
		if err != nil {
			correlation = uuid.NewSHA1(space, []byte(id))
		}
		w.Header().Set("X-Request-ID", id)
		ctx := context.WithValue(r.Context(), requestInfoKey{}, &requestInfo{id: id})
		ctx = eventstore.WithCorrelation(ctx, correlation, uuid.Nil)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func saneRequestID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for _, c := range id {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.', c == '_', c == ':', c == '+', c == '/', c == '=', c == '-':
		default:
			return false
		}
	}
	return true
}

// securityHeaders sets headers that suit a JSON API: no MIME sniffing, no
// referrer, a content security policy that lets a response load nothing
// and be framed by nobody, and HSTS (browsers heed it only over HTTPS, where
// the registry is served in production; it tells them never to fall back to
// plain HTTP). A handler that serves something else (an HTML page) may
// replace them.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// metrics are the server's Prometheus instruments, on a registry of its own.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "acv_http_requests_total",
			Help: "HTTP requests answered, by method, route template and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "acv_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by method, route template and status.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route", "status"}),
	}
	m.registry.MustRegister(m.requests, m.duration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// routeTemplate records the matched route's template for the access log and
// the metrics. The router runs it for matched routes only; the others are
// labelled "unmatched", so a scan of random paths cannot grow the metrics.
func routeTemplate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if info, ok := r.Context().Value(requestInfoKey{}).(*requestInfo); ok {
			if rt := mux.CurrentRoute(r); rt != nil {
				if tpl, err := rt.GetPathTemplate(); err == nil {
					info.route = tpl
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// observe logs every request (method, path, route, status, duration,
// request id), counts and times it, and turns a panic into a 500 problem.
// The panic's value and stack go to the log: the one place a stack trace is
// worth having.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now() // durations use the monotonic clock, not Deps.Now
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			v := recover()
			if v != nil {
				if v == http.ErrAbortHandler {
					sw.status = 499 // the handler gave up on a gone client; the server aborts the response
				} else {
					s.Log.Error("panic", "method", r.Method, "path", r.URL.Path, "request_id", RequestIDFrom(r.Context()),
						"panic", v, "stack", string(debug.Stack()))
					if sw.status == 0 {
						s.writeProblem(sw, r, errInternal)
					} else {
						sw.status = http.StatusInternalServerError
					}
				}
			}
			s.record(r, sw, time.Since(start))
			if v == http.ErrAbortHandler {
				panic(v)
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

func (s *Server) record(r *http.Request, sw *statusWriter, took time.Duration) {
	status := sw.status
	if status == 0 {
		status = http.StatusOK
	}
	route := "unmatched"
	id := ""
	if info, ok := r.Context().Value(requestInfoKey{}).(*requestInfo); ok {
		id = info.id
		if info.route != "" {
			route = info.route
		}
	}
	code := strconv.Itoa(status)
	s.metrics.requests.WithLabelValues(r.Method, route, code).Inc()
	s.metrics.duration.WithLabelValues(r.Method, route, code).Observe(took.Seconds())
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelWarn // the fault itself is logged at error level where it happened
	}
	s.Log.LogAttrs(r.Context(), level, "request",
		slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("route", route),
		slog.Int("status", status), slog.Duration("duration", took), slog.Int("bytes", sw.bytes),
		slog.String("request_id", id))
}

// limitBody refuses a body declared larger than [maxBodyBytes] at once, and
// cuts off one that turns out larger while it is read (413 either way).
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxBodyBytes {
			s.writeProblem(w, r, errTooLarge)
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		}
		next.ServeHTTP(w, r)
	})
}

// statusWriter remembers the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Flush sends buffered data to the client, for streamed responses (feeds,
// exports). Like [http.Flusher], it drops the error of a writer that cannot
// flush.
func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets [http.ResponseController] reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
