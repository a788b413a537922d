package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/google/uuid"
)

// maxBodyBytes is the largest request body the API reads (413 beyond it).
const maxBodyBytes = 1 << 20

// decodeJSON reads the request body, which must be one JSON object of
// Content-Type application/json, into v. Unknown fields are refused. It
// returns a *Problem: 415 for another content type, 413 for a body over
// [maxBodyBytes], 400 for malformed JSON, a value of the wrong JSON type or an
// unknown field.
func decodeJSON(r *http.Request, v any) error {
	if err := requireJSON(r); err != nil {
		return err
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeProblem(err)
	}
	var extra json.RawMessage
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
		return nil
	case err == nil:
		return malformed("the body holds more than one JSON value; send one object")
	default:
		return decodeProblem(err)
	}
}

// requireJSON refuses a request whose Content-Type is not application/json
// (with no charset or utf-8).
func requireJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err == nil && mt == "application/json" {
		if cs, ok := params["charset"]; !ok || strings.EqualFold(cs, "utf-8") {
			return nil
		}
	}
	detail := "send the request body as application/json"
	if ct == "" {
		detail = "the request has no Content-Type; " + detail
	}
	return &Problem{Status: http.StatusUnsupportedMediaType, Title: "Unsupported media type", Detail: detail,
		header: http.Header{"Accept-Post": {"application/json"}}}
}

// decodeProblem turns a decoding error into a client problem.
func decodeProblem(err error) error {
	var (
		maxed  *http.MaxBytesError
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &maxed):
		return errTooLarge
	case errors.Is(err, io.EOF):
		return malformed("the request body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return malformed("the JSON body ends too early")
	case errors.As(err, &syntax):
		return malformed(fmt.Sprintf("malformed JSON at byte %d", syntax.Offset))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return malformed("the body must be a JSON object")
		}
		return invalidInput(FieldError{Field: field, Message: fmt.Sprintf("must be %s, not a JSON %s", jsonKind(typ.Type.Kind().String()), typ.Value)})
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return invalidInput(FieldError{Field: strings.Trim(name, `"`), Message: "is not a field of this request"})
	}
	return malformed("the body is not the JSON object this request takes")
}

// jsonKind names a Go kind as the JSON a client should send.
func jsonKind(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "struct", "map":
		return "an object"
	case "slice", "array":
		return "an array"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	}
	return "another type"
}

// received is the part of a request that says when the council received a
// letter, notice or request: received_on (a civil date, YYYY-MM-DD) or
// received_at (an RFC 3339 instant, turned into England's civil date). With
// neither, it is today in England.
type received struct {
	ReceivedOn string `json:"received_on,omitempty"`
	ReceivedAt string `json:"received_at,omitempty"`
}

// fields collects the invalid fields of one request, so that a client
// learns of every bad field at once.
type fields struct{ errs []FieldError }

func (f *fields) add(field, msg string) {
	f.errs = append(f.errs, FieldError{Field: field, Message: msg})
}

// err returns a 400 problem naming every invalid field, or nil.
func (f *fields) err() error {
	if len(f.errs) == 0 {
		return nil
	}
	return invalidInput(f.errs...)
}

// date parses an optional civil date; "" is the zero date.
func (f *fields) date(field, s string) domain.Date {
	if s == "" {
		return domain.Date{}
	}
	d, err := domain.ParseDate(s)
	if err != nil {
		f.add(field, fmt.Sprintf("%q is not a date: want YYYY-MM-DD", s))
	}
	return d
}

// dateOr parses a civil date that defaults to def when absent.
func (f *fields) dateOr(field, s string, def domain.Date) domain.Date {
	if s == "" {
		return def
	}
	return f.date(field, s)
}

// requiredDate parses a civil date that must be given.
func (f *fields) requiredDate(field, s string) domain.Date {
	if s == "" {
		f.add(field, "is required")
		return domain.Date{}
	}
	return f.date(field, s)
}

// received returns the civil date in England on which the council received
// what the request records; today when the request says neither.
func (f *fields) received(r received, today domain.Date) domain.Date {
	switch {
	case r.ReceivedOn != "" && r.ReceivedAt != "":
		f.add("received_at", "give received_on or received_at, not both")
		return domain.Date{}
	case r.ReceivedAt != "":
		t, err := time.Parse(time.RFC3339, r.ReceivedAt)
		if err != nil {
			f.add("received_at", fmt.Sprintf("%q is not an RFC 3339 timestamp with an offset, such as 2026-03-31T23:30:00Z", r.ReceivedAt))
			return domain.Date{}
		}
		return domain.DateOf(t)
	}
	return f.dateOr("received_on", r.ReceivedOn, today)
}

// uuid parses an optional id that must be a UUID.
func (f *fields) uuid(field, s string) string {
	if s == "" {
		return ""
	}
	id, err := uuid.Parse(s)
	if err != nil {
		f.add(field, fmt.Sprintf("%q is not a UUID", s))
		return ""
	}
	return id.String()
}

// required refuses an empty string field.
func (f *fields) required(field, s string) {
	if strings.TrimSpace(s) == "" {
		f.add(field, "is required")
	}
}

// requiredInt returns *n, refusing a missing number.
func (f *fields) requiredInt(field string, n *int64) int64 {
	if n == nil {
		f.add(field, "is required")
		return 0
	}
	return *n
}

// party checks that a party who must be identified has an id.
func (f *fields) party(field string, p *domain.Party) domain.Party {
	if p == nil {
		f.add(field, "is required")
		return domain.Party{}
	}
	if p.ID == "" {
		f.add(field+".id", "is required: the registry's id of this party")
	}
	return *p
}

// ifMatch returns the stream version named by the If-Match header: `"N"` or
// a bare N. It returns -1 when there is none (or "*"), and a 400 problem for
// a value that is not one version.
func ifMatch(r *http.Request) (int64, error) {
	vs := r.Header.Values("If-Match")
	if len(vs) == 0 {
		return -1, nil
	}
	v := strings.TrimSpace(vs[0])
	if len(vs) > 1 || strings.Contains(v, ",") {
		return 0, invalidInput(FieldError{Field: "If-Match", Message: `give one version, such as "3"`})
	}
	if v == "*" || v == "" {
		return -1, nil
	}
	n, err := strconv.ParseInt(strings.Trim(v, `"`), 10, 64)
	if err != nil || n < 0 || strings.HasPrefix(v, "W/") {
		return 0, invalidInput(FieldError{Field: "If-Match", Message: fmt.Sprintf(`%q is not a version: send the asset's ETag, such as "3"`, v)})
	}
	return n, nil
}

// etag formats a stream version as the ETag the reads return and writes
// accept in If-Match.
func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }
