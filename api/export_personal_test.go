package api

import (
	"context"
	"net/http"
	"net/http/httptest"

	"github.com/gorilla/mux"
)

// EventsAs answers GET /v1/assets/{id}/events as caller c, for tests:
// until per-organisation tokens exist, no bearer token stands for a
// council officer, so the tests of who sees personal data put the caller
// into the request's context themselves, as the authenticate middleware
// does.
func EventsAs(s *Server, c Caller, id string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, "/v1/assets/"+id+"/events?limit=1000", nil)
	r = r.WithContext(context.WithValue(r.Context(), callerKey{}, authState{caller: c}))
	r = mux.SetURLVars(r, map[string]string{"id": id})
	w := httptest.NewRecorder()
	s.handle(s.events)(w, r)
	return w
}
