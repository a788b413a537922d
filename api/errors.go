package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/acv-registry/acv/domain"
)

var (
	errNoRoute  = &Problem{Status: http.StatusNotFound, Title: "Not found", Detail: "no such resource"}
	errMethod   = &Problem{Status: http.StatusMethodNotAllowed, Title: "Method not allowed", Detail: "this resource does not accept that method"}
	errNotReady = &Problem{Status: http.StatusServiceUnavailable, Title: "Not ready", Detail: "the event log cannot be read yet"}
)

// Problem is an RFC 9457 problem details body. It is also an error, so a
// handler can return one to answer with exactly that status and text.
type Problem struct {
	Type   string       `json:"type"`
	Title  string       `json:"title"`
	Status int          `json:"status"`
	Detail string       `json:"detail,omitempty"`
	Rule   string       `json:"rule,omitempty"`
	Errors []FieldError `json:"errors,omitempty"`
}

// FieldError names one invalid input field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (p *Problem) Error() string { return p.Title + ": " + p.Detail }

// problemOf classifies err for the client. Anything it does not know is a
// 500 whose detail stays in the log.
func problemOf(err error) *Problem {
	var (
		p    *Problem
		verr *domain.ValidationError
	)
	switch {
	case errors.As(err, &p):
		return p
	case errors.As(err, &verr):
		return &Problem{Status: http.StatusBadRequest, Title: "Invalid input", Detail: verr.Error(),
			Errors: []FieldError{{Field: verr.Field, Message: verr.Message}}}
	case errors.Is(err, domain.ErrNotFound):
		return &Problem{Status: http.StatusNotFound, Title: "Not found", Detail: err.Error()}
	case errors.Is(err, domain.ErrConflict):
		return &Problem{Status: http.StatusConflict, Title: "Conflict", Detail: "the record changed while this request was handled; read it again and retry"}
	}
	return &Problem{Status: http.StatusInternalServerError, Title: "Internal error", Detail: "the registry could not complete the request; it has been logged"}
}

// handle adapts a handler that returns an error to [http.HandlerFunc].
func (s *Server) handle(h func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		p := *problemOf(err) // a copy: the package's problems are shared by every request
		if p.Status >= 500 {
			s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "status", p.Status, "err", err)
		}
		if p.Type == "" {
			p.Type = "about:blank"
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(p.Status)
		_ = json.NewEncoder(w).Encode(p) // the client has gone if this fails
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}
