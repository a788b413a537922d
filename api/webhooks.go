package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/acv-registry/acv/webhooks"
	"github.com/google/uuid"
	"github.com/gorilla/mux"
)

// Integrations: webhook subscriptions and their delivery log
// (/v1/webhooks), and the live stream of changes (/v1/stream, stream.go).
//
// Managing webhooks is for administrators only, for now: the access-control
// issue brings organisations and roles, and may then let a council officer
// subscribe to the council's own assets. The check is [requireAdministrator],
// deliberately not [authorize], so that filling in authorize's table for
// the lifecycle's writes cannot open these routes by accident.
//
// POST /v1/webhooks does not honour Idempotency-Key: the stored first answer
// would keep the subscription's secret in a second place. A retried POST
// makes a second subscription, which an administrator can delete.

// WebhookAdmin manages webhook subscriptions and reads their delivery log;
// *webhooks.Registry implements it.
type WebhookAdmin interface {
	Subscribe(ctx context.Context, n webhooks.NewSubscription) (webhooks.Subscription, string, error)
	Subscription(ctx context.Context, id uuid.UUID) (webhooks.Subscription, error)
	Subscriptions(ctx context.Context, cursor string, limit int) ([]webhooks.Subscription, string, error)
	Unsubscribe(ctx context.Context, id uuid.UUID) error
	Deliveries(ctx context.Context, id uuid.UUID, before int64, limit int) ([]webhooks.Delivery, error)
}

// integrationRoutes registers the webhook and stream routes.
func (s *Server) integrationRoutes(r *mux.Router) {
	r.HandleFunc("/v1/webhooks", s.handle(s.createWebhook)).Methods(http.MethodPost)
	r.HandleFunc("/v1/webhooks", s.handle(s.listWebhooks)).Methods(http.MethodGet)
	r.HandleFunc("/v1/webhooks/{id}", s.handle(s.getWebhook)).Methods(http.MethodGet)
	r.HandleFunc("/v1/webhooks/{id}", s.handle(s.deleteWebhook)).Methods(http.MethodDelete)
	r.HandleFunc("/v1/webhooks/{id}/deliveries", s.handle(s.webhookDeliveries)).Methods(http.MethodGet)
	r.HandleFunc("/v1/stream", s.handle(s.stream)).Methods(http.MethodGet)
}

// requireAdministrator returns the caller if it is an administrator: 401
// without a valid token, 403 for any other role.
func requireAdministrator(r *http.Request) (Caller, error) {
	caller, err := requireCaller(r)
	if err != nil {
		return Caller{}, err
	}
	if caller.Role != RoleAdministrator {
		return Caller{}, &Problem{Status: http.StatusForbidden, Title: "Forbidden",
			Detail: "webhook subscriptions are managed by an administrator"}
	}
	return caller, nil
}

// errNoWebhooks answers the webhook routes of a server built without them.
var errNoWebhooks = &Problem{Status: http.StatusNotFound, Title: "Not found", Detail: "webhooks are not enabled on this server"}

// webhookAdmin checks the caller and returns the webhook registry.
func (s *Server) webhookAdmin(r *http.Request) (WebhookAdmin, error) {
	if _, err := requireAdministrator(r); err != nil {
		return nil, err
	}
	if s.Webhooks == nil {
		return nil, errNoWebhooks
	}
	return s.Webhooks, nil
}

// webhookRequest is the body of POST /v1/webhooks: a council or an asset,
// and an https URL.
type webhookRequest struct {
	Council string `json:"council"`
	AssetID string `json:"asset_id"`
	URL     string `json:"url"`
}

// webhookView is a subscription as the API shows it. Its secret is shown
// only once, when it is made (webhookCreated).
type webhookView struct {
	ID            uuid.UUID  `json:"id"`
	Council       string     `json:"council,omitempty"`
	AssetID       string     `json:"asset_id,omitempty"`
	URL           string     `json:"url"`
	Active        bool       `json:"active"`
	CreatedAt     time.Time  `json:"created_at"`
	DeactivatedAt *time.Time `json:"deactivated_at,omitempty"`
	// AfterPosition is the log's last position when the subscription was
	// made: it is sent only the events after it.
	AfterPosition int64 `json:"after_position"`
}

// webhookCreated is the answer to POST /v1/webhooks.
type webhookCreated struct {
	webhookView
	// Secret keys the HMAC-SHA256 signatures of deliveries. It is never
	// shown again.
	Secret string `json:"secret"`
}

// webhookPage is the body of GET /v1/webhooks.
type webhookPage struct {
	Items      []webhookView `json:"items"`
	NextCursor string        `json:"next_cursor,omitempty"`
}

func webhookViewOf(sub webhooks.Subscription) webhookView {
	v := webhookView{ID: sub.ID, Council: sub.Council, AssetID: sub.AssetID, URL: sub.URL, Active: sub.Active,
		CreatedAt: sub.CreatedAt, AfterPosition: sub.AfterPosition}
	if !sub.DeactivatedAt.IsZero() {
		t := sub.DeactivatedAt
		v.DeactivatedAt = &t
	}
	return v
}

// createWebhook makes a subscription and answers with its secret.
func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) error {
	admin, err := s.webhookAdmin(r)
	if err != nil {
		return err
	}
	var req webhookRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	var errs []FieldError
	if req.Council != "" && !validCouncil(req.Council) {
		errs = append(errs, FieldError{Field: "council", Message: fmt.Sprintf("%q is not a council code such as E07000228 or local-authority:MDS", req.Council)})
	}
	if len(errs) > 0 {
		return invalidInput(errs...)
	}
	sub, secret, err := admin.Subscribe(r.Context(), webhooks.NewSubscription{Council: req.Council, AssetID: req.AssetID, URL: req.URL})
	if err != nil {
		return fmt.Errorf("create a webhook subscription: %w", err) // a *domain.ValidationError is a 400
	}
	w.Header().Set("Location", "/v1/webhooks/"+sub.ID.String())
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusCreated, webhookCreated{webhookView: webhookViewOf(sub), Secret: secret})
}

// listWebhooks lists subscriptions, active or not, oldest first.
func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	admin, err := s.webhookAdmin(r)
	if err != nil {
		return err
	}
	q := newQuery(r)
	page := q.page()
	if err := q.err(); err != nil {
		return err
	}
	subs, next, err := admin.Subscriptions(r.Context(), page.Cursor, page.Limit)
	if errors.Is(err, webhooks.ErrBadCursor) {
		return invalidParams(FieldError{Field: "cursor", Message: "must be the next_cursor of a previous page"})
	}
	if err != nil {
		return fmt.Errorf("list webhook subscriptions: %w", err)
	}
	out := webhookPage{Items: make([]webhookView, len(subs)), NextCursor: next}
	for i, sub := range subs {
		out.Items[i] = webhookViewOf(sub)
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, out)
}

// webhookID returns the subscription id of the path; one that is not a
// UUID names no subscription.
func webhookID(r *http.Request) (uuid.UUID, error) {
	raw := mux.Vars(r)["id"]
	id, err := uuid.Parse(raw)
	if err != nil || len(raw) != 36 {
		return uuid.Nil, webhookNotFound(raw)
	}
	return id, nil
}

func webhookNotFound(id string) *Problem {
	return &Problem{Status: http.StatusNotFound, Title: "Not found", Detail: fmt.Sprintf("webhook subscription %q: not found", id)}
}

// notFoundWebhook turns the registry's not-found error into a 404 problem.
func notFoundWebhook(err error, id uuid.UUID) error {
	if errors.Is(err, webhooks.ErrNotFound) {
		return webhookNotFound(id.String())
	}
	return err
}

// getWebhook shows one subscription.
func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) error {
	admin, err := s.webhookAdmin(r)
	if err != nil {
		return err
	}
	id, err := webhookID(r)
	if err != nil {
		return err
	}
	sub, err := admin.Subscription(r.Context(), id)
	if err != nil {
		return notFoundWebhook(err, id)
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, webhookViewOf(sub))
}

// deleteWebhook deactivates a subscription: nothing more is sent, pending
// deliveries are cancelled, and its delivery log stays readable. Deleting
// it again answers 204 too.
func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	admin, err := s.webhookAdmin(r)
	if err != nil {
		return err
	}
	id, err := webhookID(r)
	if err != nil {
		return err
	}
	if err := admin.Unsubscribe(r.Context(), id); err != nil {
		return notFoundWebhook(err, id)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deliveryView is one delivery of the log: an event sent, or to be sent,
// to a subscription, with every recorded attempt.
type deliveryView struct {
	ID            uuid.UUID     `json:"id"`
	EventID       uuid.UUID     `json:"event_id"`
	EventType     string        `json:"event_type"`
	Stream        string        `json:"stream"`
	Position      int64         `json:"position"`
	Version       int64         `json:"version"`
	Status        string        `json:"status"`
	Attempts      int           `json:"attempts"`
	LastStatus    int           `json:"last_status,omitempty"`
	LastError     string        `json:"last_error,omitempty"`
	CreatedAt     time.Time     `json:"created_at"`
	NextAttemptAt *time.Time    `json:"next_attempt_at,omitempty"`
	DeliveredAt   *time.Time    `json:"delivered_at,omitempty"`
	Log           []attemptView `json:"log"`
}

// attemptView is one attempt at a delivery.
type attemptView struct {
	Attempt    int       `json:"attempt"`
	StartedAt  time.Time `json:"started_at"`
	DurationMS int64     `json:"duration_ms"`
	Status     int       `json:"status,omitempty"` // absent when the receiver did not answer
	Error      string    `json:"error,omitempty"`
}

// deliveryPage is the body of GET /v1/webhooks/{id}/deliveries.
type deliveryPage struct {
	SubscriptionID uuid.UUID      `json:"subscription_id"`
	Items          []deliveryView `json:"items"`
	NextCursor     string         `json:"next_cursor,omitempty"`
}

// webhookDeliveries serves a subscription's delivery log, latest event
// first.
func (s *Server) webhookDeliveries(w http.ResponseWriter, r *http.Request) error {
	admin, err := s.webhookAdmin(r)
	if err != nil {
		return err
	}
	id, err := webhookID(r)
	if err != nil {
		return err
	}
	q := newQuery(r)
	page := q.page()
	before := int64(0)
	if page.Cursor != "" {
		p, ok := decodePositionCursor(page.Cursor)
		if !ok {
			q.fail("cursor", "must be the next_cursor of a previous page")
		}
		before = p
	}
	if err := q.err(); err != nil {
		return err
	}
	ds, err := admin.Deliveries(r.Context(), id, before, page.Limit+1)
	if err != nil {
		return notFoundWebhook(err, id)
	}
	out := deliveryPage{SubscriptionID: id, Items: []deliveryView{}}
	if len(ds) > page.Limit {
		ds = ds[:page.Limit]
		out.NextCursor = encodePositionCursor(ds[len(ds)-1].Position)
	}
	for _, d := range ds {
		out.Items = append(out.Items, deliveryViewOf(d))
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, out)
}

func deliveryViewOf(d webhooks.Delivery) deliveryView {
	at := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		return &t
	}
	v := deliveryView{ID: d.ID, EventID: d.EventID, EventType: d.EventType, Stream: d.Stream, Position: d.Position,
		Version: d.Version, Status: string(d.Status), Attempts: d.Attempts, LastStatus: d.LastStatus, LastError: d.LastError,
		CreatedAt: d.CreatedAt, NextAttemptAt: at(d.NextAttemptAt), DeliveredAt: at(d.DeliveredAt), Log: []attemptView{}}
	for _, a := range d.Log {
		v.Log = append(v.Log, attemptView{Attempt: a.N, StartedAt: a.StartedAt, DurationMS: a.Duration.Milliseconds(),
			Status: a.Status, Error: a.Error})
	}
	return v
}

// encodePositionCursor makes the opaque cursor of a page of deliveries
// that continues before log position p.
func encodePositionCursor(p int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("p" + strconv.FormatInt(p, 10)))
}

func decodePositionCursor(c string) (int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !bytes.HasPrefix(b, []byte("p")) {
		return 0, false
	}
	p, err := strconv.ParseInt(string(b[1:]), 10, 64)
	return p, err == nil && p >= 1
}
