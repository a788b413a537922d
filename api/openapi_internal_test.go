package api

import "github.com/gorilla/mux"

// RouterOf exposes a server's router to the external tests, which walk it
// to compare the routes with the OpenAPI document (the export_test.go
// idiom: it exists only in test builds).
func RouterOf(s *Server) *mux.Router { return s.router }
