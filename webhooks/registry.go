package webhooks

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/google/uuid"
)

// ErrNotFound is returned, wrapped, for an unknown subscription.
var ErrNotFound = errors.New("webhook subscription not found")

// ErrBadCursor is returned, wrapped, for a cursor that no listing made.
var ErrBadCursor = errors.New("not a cursor of this listing")

// NewSubscription is what a subscription is made from: exactly one of
// Council and AssetID, and the URL to POST to.
type NewSubscription struct {
	Council string
	AssetID string
	URL     string
}

// Subscription is a subscription as stored. Its secret is never read back.
type Subscription struct {
	ID      uuid.UUID
	Council string // "" for a subscription to one asset
	AssetID string // "" for a subscription to a council
	URL     string
	// AfterPosition is the log's last position when it was made: it is
	// sent only the events after it.
	AfterPosition int64
	CreatedAt     time.Time
	Active        bool
	DeactivatedAt time.Time // zero while active
}

// RegistryOptions configure a [Registry]. The zero value is usable.
type RegistryOptions struct {
	Now   func() time.Time // default time.Now
	NewID func() uuid.UUID // default uuid.New
	// Rand is where secrets come from; default crypto/rand.
	Rand io.Reader
	// AllowHTTP accepts http:// URLs besides https:// (tests, local
	// development). Never in production: the body and its signature would
	// cross the network in clear.
	AllowHTTP bool
}

// Registry manages subscriptions and reads the delivery log. It is safe for
// concurrent use.
type Registry struct {
	db    *sql.DB
	d     eventstore.Dialect
	store eventstore.Store
	opts  RegistryOptions
}

// NewRegistry returns the registry of subscriptions in db, whose log is
// store. Call [Migrate] first.
func NewRegistry(db *sql.DB, d eventstore.Dialect, store eventstore.Store, opts RegistryOptions) *Registry {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.NewID == nil {
		opts.NewID = uuid.New
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	return &Registry{db: db, d: d, store: store, opts: opts}
}

// Subscribe makes a subscription and returns it with its secret, which is
// the key of the deliveries' signatures and is never shown again. It
// returns a *[domain.ValidationError] naming the field for a bad filter (none
// or both of council and asset, an unknown asset) or URL (see [CheckURL]).
func (r *Registry) Subscribe(ctx context.Context, n NewSubscription) (Subscription, string, error) {
	n.Council, n.AssetID, n.URL = strings.TrimSpace(n.Council), strings.TrimSpace(n.AssetID), strings.TrimSpace(n.URL)
	switch {
	case n.Council == "" && n.AssetID == "":
		return Subscription{}, "", &domain.ValidationError{Field: "council", Message: "give a council or an asset_id"}
	case n.Council != "" && n.AssetID != "":
		return Subscription{}, "", &domain.ValidationError{Field: "asset_id", Message: "give a council or an asset_id, not both"}
	case len(n.Council) > 64:
		return Subscription{}, "", &domain.ValidationError{Field: "council", Message: "must be at most 64 characters"}
	case len(n.AssetID) > 64:
		return Subscription{}, "", &domain.ValidationError{Field: "asset_id", Message: "must be at most 64 characters"}
	}
	if err := CheckURL(n.URL, r.opts.AllowHTTP); err != nil {
		return Subscription{}, "", err
	}
	if n.AssetID != "" {
		events, err := r.store.ReadStream(ctx, domain.AssetStream(n.AssetID), 1, eventstore.Opened)
		if err != nil {
			return Subscription{}, "", fmt.Errorf("webhooks: subscribe: read asset %s: %w", n.AssetID, err)
		}
		if len(events) == 0 {
			return Subscription{}, "", &domain.ValidationError{Field: "asset_id", Message: fmt.Sprintf("no asset has id %q", n.AssetID)}
		}
	}
	secret, err := r.newSecret()
	if err != nil {
		return Subscription{}, "", err
	}
	after, err := r.store.LastPosition(ctx)
	if err != nil {
		return Subscription{}, "", fmt.Errorf("webhooks: subscribe: %w", err)
	}
	s := Subscription{ID: r.opts.NewID(), Council: n.Council, AssetID: n.AssetID, URL: n.URL,
		AfterPosition: after, CreatedAt: r.opts.Now().UTC().Truncate(time.Microsecond), Active: true}
	_, err = r.db.ExecContext(ctx, r.d.Rebind(`INSERT INTO webhook_subscriptions
		(id, council, asset_id, url, secret, after_position, created_at, active) VALUES (?, ?, ?, ?, ?, ?, ?, 1)`),
		s.ID.String(), s.Council, s.AssetID, s.URL, secret, s.AfterPosition, stamp(s.CreatedAt))
	if err != nil {
		return Subscription{}, "", fmt.Errorf("webhooks: subscribe: %w", err)
	}
	return s, secret, nil
}

// secretPrefix starts every secret, so one found in a log or a repository
// is recognisable.
const secretPrefix = "whsec_"

// newSecret returns 32 random bytes, base64url-encoded, after secretPrefix.
func (r *Registry) newSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(r.opts.Rand, b); err != nil {
		return "", fmt.Errorf("webhooks: make a secret: %w", err)
	}
	return secretPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// CheckURL returns a *[domain.ValidationError] on field "url" unless raw is
// an absolute https URL (or http when allowHTTP) with a host, no user name
// or password and no fragment, of at most 2048 bytes.
func CheckURL(raw string, allowHTTP bool) error {
	bad := func(msg string) error { return &domain.ValidationError{Field: "url", Message: msg} }
	if raw == "" {
		return bad("is required")
	}
	if len(raw) > 2048 {
		return bad("must be at most 2048 characters")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return bad("is not a URL")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && allowHTTP:
	default:
		return bad("must be an https:// URL")
	}
	switch {
	case u.Host == "" || u.Hostname() == "":
		return bad("must name a host")
	case u.User != nil:
		return bad("must not carry a user name or password; deliveries are signed instead")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return bad("must not have a fragment")
	}
	return nil
}

// Subscription returns the subscription with id, active or not. It fails
// with an error wrapping [ErrNotFound] for an unknown id.
func (r *Registry) Subscription(ctx context.Context, id uuid.UUID) (Subscription, error) {
	rows, err := r.db.QueryContext(ctx, r.d.Rebind(`SELECT `+subscriptionColumns+` FROM webhook_subscriptions WHERE id = ?`), id.String())
	if err != nil {
		return Subscription{}, fmt.Errorf("webhooks: read subscription %s: %w", id, err)
	}
	subs, err := scanSubscriptions(rows)
	if err != nil {
		return Subscription{}, fmt.Errorf("webhooks: read subscription %s: %w", id, err)
	}
	if len(subs) == 0 {
		return Subscription{}, fmt.Errorf("webhook subscription %s: %w", id, ErrNotFound)
	}
	return subs[0], nil
}

// Subscriptions returns at most limit subscriptions, active or not, oldest
// first, after cursor ("" from the start), and the cursor of the next page
// ("" when there is none). A cursor it did not make fails with an error
// wrapping [ErrBadCursor].
func (r *Registry) Subscriptions(ctx context.Context, cursor string, limit int) ([]Subscription, string, error) {
	if limit < 1 {
		limit = 1
	}
	created, id := "", ""
	if cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(cursor)
		var ok bool
		if created, id, ok = strings.Cut(string(b), "|"); err != nil || !ok || unstamp(created).IsZero() {
			return nil, "", fmt.Errorf("webhooks: list subscriptions: %w", ErrBadCursor)
		}
	}
	rows, err := r.db.QueryContext(ctx, r.d.Rebind(`SELECT `+subscriptionColumns+` FROM webhook_subscriptions
		WHERE created_at > ? OR (created_at = ? AND id > ?) ORDER BY created_at, id LIMIT ?`), created, created, id, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("webhooks: list subscriptions: %w", err)
	}
	subs, err := scanSubscriptions(rows)
	if err != nil {
		return nil, "", fmt.Errorf("webhooks: list subscriptions: %w", err)
	}
	next := ""
	if len(subs) > limit {
		subs = subs[:limit]
		last := subs[limit-1]
		next = base64.RawURLEncoding.EncodeToString([]byte(stamp(last.CreatedAt) + "|" + last.ID.String()))
	}
	return subs, next, nil
}

const subscriptionColumns = `id, council, asset_id, url, after_position, created_at, active, deactivated_at`

func scanSubscriptions(rows *sql.Rows) ([]Subscription, error) {
	defer rows.Close()
	var subs []Subscription
	for rows.Next() {
		var (
			s                    Subscription
			id, created, stopped string
			active               int
		)
		if err := rows.Scan(&id, &s.Council, &s.AssetID, &s.URL, &s.AfterPosition, &created, &active, &stopped); err != nil {
			return nil, err
		}
		var err error
		if s.ID, err = uuid.Parse(id); err != nil {
			return nil, fmt.Errorf("subscription id %q: %w", id, err)
		}
		s.CreatedAt, s.Active, s.DeactivatedAt = unstamp(created), active == 1, unstamp(stopped)
		subs = append(subs, s)
	}
	return subs, rows.Err()
}

// Unsubscribe deactivates a subscription: nothing more is sent to it, its
// pending deliveries are cancelled, and its delivery log stays readable.
// Unsubscribing an inactive subscription does nothing; an unknown id fails
// with an error wrapping [ErrNotFound].
func (r *Registry) Unsubscribe(ctx context.Context, id uuid.UUID) error {
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("webhooks: unsubscribe %s: %w", id, err)
	}
	defer tx.Rollback()
	now := stamp(r.opts.Now())
	res, err := tx.ExecContext(ctx, r.d.Rebind(`UPDATE webhook_subscriptions SET active = 0, deactivated_at = ?
		WHERE id = ? AND active = 1`), now, id.String())
	if err != nil {
		return fmt.Errorf("webhooks: unsubscribe %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("webhooks: unsubscribe %s: %w", id, err)
	} else if n == 0 {
		var one int
		err := tx.QueryRowContext(ctx, r.d.Rebind(`SELECT 1 FROM webhook_subscriptions WHERE id = ?`), id.String()).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("webhook subscription %s: %w", id, ErrNotFound)
		}
		return err // nil: already inactive
	}
	if _, err := tx.ExecContext(ctx, r.d.Rebind(`UPDATE webhook_deliveries SET status = 'cancelled', last_error = ?
		WHERE subscription_id = ? AND status = 'pending'`), "the subscription was deleted", id.String()); err != nil {
		return fmt.Errorf("webhooks: unsubscribe %s: cancel its deliveries: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("webhooks: unsubscribe %s: %w", id, err)
	}
	return nil
}
