package api

import (
	_ "embed" // the OpenAPI document
	"net/http"
)

// openAPIDocument is the OpenAPI 3.1 description of every route, the
// detailed contract of api.md. openapi_test.go keeps it true: every route
// of the router is in it and every response of the tests validates against
// it.
//
//go:embed openapi.json
var openAPIDocument string

// openAPI serves the OpenAPI document.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(openAPIDocument)) // the client has gone if this fails
	return nil
}
