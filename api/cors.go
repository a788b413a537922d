package api

import (
	"net/http"
	"strings"
)

// Cross-origin requests (CORS) are open for public reads only. Any web page
// may read the registers, asset pages, timelines, feeds and exports of the
// registry, so a journalist's map or a community group's site can show
// them: GET and HEAD answers carry "Access-Control-Allow-Origin: *", and a
// preflight for GET or HEAD is allowed with the harmless request headers.
//
// Nothing else crosses origins: a preflight for any other method, or one
// that asks to send Authorization, is refused (403), so a page on another
// origin can neither write nor use a visitor's token; credentials are never
// allowed (no Access-Control-Allow-Credentials), so a cross-origin read is
// always a public read.

// corsReadHeaders are the request headers a cross-origin read may send.
const corsReadHeaders = "Accept, Accept-Language, Cache-Control, If-None-Match, If-Modified-Since, Last-Event-ID, X-Request-ID"

// corsExposed are the response headers a cross-origin reader may see.
const corsExposed = "ETag, Link, Retry-After, X-Request-ID, Content-Disposition"

// corsReadOnly implements the policy above.
func (s *Server) corsReadOnly(next http.Handler) http.Handler {
	allowed := map[string]bool{}
	for _, h := range strings.Split(corsReadHeaders, ",") {
		allowed[strings.ToLower(strings.TrimSpace(h))] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Add("Vary", "Origin")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			s.preflight(w, r, allowed)
			return
		}
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			h.Set("Access-Control-Allow-Origin", "*")
			h.Set("Access-Control-Expose-Headers", corsExposed)
		}
		next.ServeHTTP(w, r)
	})
}

// preflight answers a CORS preflight: 204 with the read policy for a GET or
// HEAD that sends only allowed headers, 403 otherwise.
func (s *Server) preflight(w http.ResponseWriter, r *http.Request, allowed map[string]bool) {
	method := r.Header.Get("Access-Control-Request-Method")
	if method != http.MethodGet && method != http.MethodHead {
		s.writeProblem(w, r, &Problem{Status: http.StatusForbidden, Title: "Forbidden",
			Detail: "other origins may only read the registry (GET, HEAD); writes must come from the registry's own clients"})
		return
	}
	for _, f := range strings.Split(r.Header.Get("Access-Control-Request-Headers"), ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		if f != "" && !allowed[f] {
			s.writeProblem(w, r, &Problem{Status: http.StatusForbidden, Title: "Forbidden",
				Detail: "a cross-origin read may not send the header " + f + "; cross-origin reads are public and take no credentials"})
			return
		}
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "GET, HEAD")
	h.Set("Access-Control-Allow-Headers", corsReadHeaders)
	h.Set("Access-Control-Max-Age", "86400")
	w.WriteHeader(http.StatusNoContent)
}
