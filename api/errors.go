package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/acv-registry/acv/domain"
)

// Problem types of this API. Problems without one of these are plain HTTP
// status problems and carry "about:blank" (RFC 9457 section 4.2.1).
const (
	TypeInvalidInput   = "urn:acv:problem:invalid-input"   // 400 with errors[{field, message}]
	TypeRuleRefused    = "urn:acv:problem:rule-refused"    // 422 with rule
	TypeStaleVersion   = "urn:acv:problem:stale-version"   // 412: If-Match no longer matches
	TypeIdempotencyKey = "urn:acv:problem:idempotency-key" // 422: a key reused for another request
)

var (
	errNoRoute  = &Problem{Status: http.StatusNotFound, Title: "Not found", Detail: "no such resource"}
	errMethod   = &Problem{Status: http.StatusMethodNotAllowed, Title: "Method not allowed", Detail: "this resource does not accept that method"}
	errNotReady = &Problem{Status: http.StatusServiceUnavailable, Title: "Not ready", Detail: "the event log cannot be read yet"}
	errInternal = &Problem{Status: http.StatusInternalServerError, Title: "Internal error", Detail: "the registry could not complete the request; it has been logged"}
	errTooLarge = &Problem{Status: http.StatusRequestEntityTooLarge, Title: "Request body too large", Detail: "the request body is larger than 1 MiB"}
	errStale    = &Problem{Type: TypeStaleVersion, Status: http.StatusPreconditionFailed, Title: "Precondition failed",
		Detail: "If-Match names a version of the asset that is no longer current; read it again (its ETag) and retry"}
	errConflict = &Problem{Status: http.StatusConflict, Title: "Conflict",
		Detail: "the record kept changing while this request was handled; read it again and retry"}
)

// Problem is an RFC 9457 problem details body. It is also an error, so a
// handler can return one to answer with exactly that status and text. The
// package's own problems are shared: never change one in place.
type Problem struct {
	Type   string       `json:"type"`
	Title  string       `json:"title"`
	Status int          `json:"status"`
	Detail string       `json:"detail,omitempty"`
	Rule   string       `json:"rule,omitempty"`
	Errors []FieldError `json:"errors,omitempty"`
	// header holds response headers the problem needs (WWW-Authenticate on
	// a 401); it is not part of the body.
	header http.Header
}

// FieldError names one invalid input field. Field is a JSON path into the
// request body ("land.name", "parts[0].amount_pence") or a header name
// ("If-Match", "Idempotency-Key").
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (p *Problem) Error() string { return p.Title + ": " + p.Detail }

// invalidInput returns a 400 problem listing the invalid fields.
func invalidInput(errs ...FieldError) *Problem {
	detail := "the request has an invalid field"
	if len(errs) == 1 {
		detail = errs[0].Field + ": " + errs[0].Message
	} else if len(errs) > 1 {
		detail = "the request has invalid fields"
	}
	return &Problem{Type: TypeInvalidInput, Status: http.StatusBadRequest, Title: "Invalid input", Detail: detail, Errors: errs}
}

// malformed returns a 400 problem for a body that is not the JSON expected.
func malformed(detail string) *Problem {
	return &Problem{Type: TypeInvalidInput, Status: http.StatusBadRequest, Title: "Malformed request", Detail: detail}
}

// problemOf classifies err for the client: a *Problem as it is; a
// *domain.RuleError as 422 with its rule; a *domain.ValidationError as 400
// naming its field; domain.ErrNotFound as 404; domain.ErrConflict as 409 (a
// stale If-Match is turned into a 412 by the write path before it gets
// here); a body over the limit as 413. Anything else is a 500 whose detail
// stays in the log.
func problemOf(err error) *Problem {
	var (
		p     *Problem
		rerr  *domain.RuleError
		verr  *domain.ValidationError
		maxed *http.MaxBytesError
	)
	switch {
	case errors.As(err, &p):
		return p
	case errors.As(err, &rerr):
		return &Problem{Type: TypeRuleRefused, Status: http.StatusUnprocessableEntity, Title: "Refused by a rule",
			Detail: rerr.Message, Rule: rerr.Rule}
	case errors.As(err, &verr):
		return invalidInput(FieldError{Field: verr.Field, Message: verr.Message})
	case errors.Is(err, domain.ErrNotFound):
		// Domain errors name only ids the client sent ("review r1: not found").
		return &Problem{Status: http.StatusNotFound, Title: "Not found", Detail: err.Error()}
	case errors.Is(err, domain.ErrConflict):
		return errConflict
	case errors.As(err, &maxed):
		return errTooLarge
	}
	return errInternal
}

// handle adapts a handler that returns an error to [http.HandlerFunc]. It
// answers the error as a problem and logs it when it is a server fault.
func (s *Server) handle(h func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeProblem(w, r, err)
		}
	}
}

// writeProblem answers err as application/problem+json. Server faults are
// logged with the request id; their detail never reaches the client.
func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	p := *problemOf(err) // a copy: the package's problems are shared by every request
	if p.Status >= 500 {
		s.Log.Error("request failed", "method", r.Method, "path", r.URL.Path, "status", p.Status,
			"request_id", RequestIDFrom(r.Context()), "err", err)
	}
	if p.Type == "" {
		p.Type = "about:blank"
	}
	h := w.Header()
	for k, vs := range p.header {
		h[k] = vs
	}
	h.Del("ETag")
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p) // the client has gone if this fails
}

// writeJSON answers v as JSON with status. It encodes before writing, so an
// encoding fault is still answered as a 500 problem.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	b = append(b, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	// The length, known before the first byte: a body past net/http's
	// buffer goes out whole, not in chunks.
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b) // the client has gone if this fails
	return nil
}
