package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/messaging"
)

// API tokens: each belongs to an organisation and a role and names no
// person. A token is shown once, when it is made: "acv_<id>_<secret>",
// where the secret is 256 random bits. The table keeps only the SHA-256 of
// the secret (a fast hash is right for a secret with that much entropy:
// there is nothing to guess), with the organisation, role, a label, when it
// was made and by whom, when it expires, whether and by whom it was
// revoked, and when it was last used (written at most once a
// [tokenTouchEvery], so authentication does not write on every request).
// Authentication looks the row up by the token's id, which is not secret,
// and compares the digests in constant time.

// TokenTable holds the API tokens of a deployment (see [Tokens]).
const TokenTable = "api_tokens"

// RegistryOrg is the organisation of administrator tokens: the registry
// itself, which is not a registered organisation.
const RegistryOrg = "registry"

// tokenTouchEvery is how stale a token's recorded last use may get.
const tokenTouchEvery = time.Minute

// DefaultTokenLifetime is how long a token lasts unless its maker says
// otherwise; MaxTokenLifetime is the longest it may last.
const (
	DefaultTokenLifetime = 90 * 24 * time.Hour
	MaxTokenLifetime     = 2 * 366 * 24 * time.Hour
)

// Errors of token authentication; the API answers each with 401.
var (
	ErrTokenUnknown = errors.New("unknown token")
	ErrTokenExpired = errors.New("token has expired")
	ErrTokenRevoked = errors.New("token has been revoked")
)

// Token is what the registry keeps of an API token: never the secret.
type Token struct {
	ID         string            `json:"id"`
	Org        string            `json:"org"`
	Role       string            `json:"role"`
	Name       string            `json:"name,omitempty"`
	CreatedAt  time.Time         `json:"created_at"`
	CreatedBy  eventstore.Actor  `json:"created_by"`
	ExpiresAt  time.Time         `json:"expires_at"`
	RevokedAt  *time.Time        `json:"revoked_at,omitempty"`
	RevokedBy  *eventstore.Actor `json:"revoked_by,omitempty"`
	LastUsedAt *time.Time        `json:"last_used_at,omitempty"`
}

// Active reports whether t authenticates at now.
func (t Token) Active(now time.Time) bool { return t.RevokedAt == nil && now.Before(t.ExpiresAt) }

// NewToken is a token to make.
type NewToken struct {
	Org  string // a registered organisation's id, or RegistryOrg for an administrator
	Role string
	Name string        // a label, such as what the token is for
	Life time.Duration // 0: DefaultTokenLifetime
}

// TokenOptions tune [Tokens]. Zero fields take the defaults given.
type TokenOptions struct {
	Now    func() time.Time // time.Now
	Random io.Reader        // crypto/rand.Reader: token ids and secrets
}

// Tokens keeps API tokens in [TokenTable], in the log's database, shared by
// every node. It checks a new token's organisation and role against the
// organisation records. It is safe for concurrent use.
type Tokens struct {
	db   *sql.DB
	d    eventstore.Dialect
	orgs *eventstore.Organisations
	opts TokenOptions
}

// MigrateTokens creates [TokenTable] if it does not exist.
func MigrateTokens(ctx context.Context, db *sql.DB, d eventstore.Dialect) error {
	ddl := []string{
		`CREATE TABLE IF NOT EXISTS ` + TokenTable + ` (
			id           TEXT PRIMARY KEY,
			hash         TEXT NOT NULL,
			org          TEXT NOT NULL,
			role         TEXT NOT NULL,
			name         TEXT NOT NULL DEFAULT '',
			created_at   BIGINT NOT NULL,
			created_by   TEXT NOT NULL,
			expires_at   BIGINT NOT NULL,
			revoked_at   BIGINT NOT NULL DEFAULT 0,
			revoked_by   TEXT NOT NULL DEFAULT '',
			last_used_at BIGINT NOT NULL DEFAULT 0)`,
		`CREATE INDEX IF NOT EXISTS ` + TokenTable + `_role ON ` + TokenTable + ` (role, revoked_at, expires_at)`,
	}
	return messaging.InTx(ctx, db, d, "api-tokens", func(tx *sql.Tx) error {
		for _, q := range ddl {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("migrate %s: %w", TokenTable, err)
			}
		}
		return nil
	})
}

// NewTokens returns the tokens of db's table, which [MigrateTokens] has
// created; orgs are the organisation records new tokens are checked
// against.
func NewTokens(db *sql.DB, d eventstore.Dialect, orgs *eventstore.Organisations, opts TokenOptions) *Tokens {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Random == nil {
		opts.Random = rand.Reader
	}
	return &Tokens{db: db, d: d, orgs: orgs, opts: opts}
}

// Roles returns every role a token may have.
func Roles() []string {
	return []string{RoleAdministrator, RoleCouncilOfficer, RoleCommunityGroup, RoleOwner}
}

// kindOfRole is the kind of organisation a role acts for.
func kindOfRole(role string) (domain.OrganisationKind, bool) {
	switch role {
	case RoleCouncilOfficer:
		return domain.KindCouncil, true
	case RoleCommunityGroup:
		return domain.KindCommunityGroup, true
	case RoleOwner:
		return domain.KindOwner, true
	}
	return "", false
}

// check validates n: a known role, an organisation of the kind the role
// acts for (RegistryOrg for an administrator), a lifetime within bounds.
// It returns a *domain.ValidationError for bad input.
func (ts *Tokens) check(ctx context.Context, n *NewToken) error {
	if n.Life == 0 {
		n.Life = DefaultTokenLifetime
	}
	switch {
	case n.Life < 0:
		return &domain.ValidationError{Field: "expires", Message: "must be in the future"}
	case n.Life > MaxTokenLifetime:
		return &domain.ValidationError{Field: "expires", Message: fmt.Sprintf("must be at most %d days", MaxTokenLifetime/(24*time.Hour))}
	case len(n.Name) > 200:
		return &domain.ValidationError{Field: "name", Message: "is longer than 200 characters"}
	}
	if n.Role == RoleAdministrator {
		if n.Org == "" {
			n.Org = RegistryOrg
		}
		if n.Org != RegistryOrg {
			return &domain.ValidationError{Field: "org", Message: fmt.Sprintf("an administrator acts for %q, the registry itself", RegistryOrg)}
		}
		return nil
	}
	kind, ok := kindOfRole(n.Role)
	if !ok {
		return &domain.ValidationError{Field: "role", Message: fmt.Sprintf("unknown role %q: one of %s", n.Role, strings.Join(Roles(), ", "))}
	}
	if n.Org == "" {
		return &domain.ValidationError{Field: "org", Message: "is required"}
	}
	o, err := ts.orgs.Load(ctx, n.Org)
	if errors.Is(err, domain.ErrNotFound) {
		return &domain.ValidationError{Field: "org", Message: fmt.Sprintf("no organisation %q is registered", n.Org)}
	}
	if err != nil {
		return fmt.Errorf("check token organisation: %w", err)
	}
	if o.Kind() != kind {
		return &domain.ValidationError{Field: "role", Message: fmt.Sprintf("%s is a %s; a %s token needs a %s", n.Org, o.Kind(), n.Role, kind)}
	}
	return nil
}

// Create makes a token as n says, recording by as its maker, and returns it
// with the full bearer token, which is shown this once and never stored. It
// returns a *domain.ValidationError for bad input.
func (ts *Tokens) Create(ctx context.Context, n NewToken, by eventstore.Actor) (Token, string, error) {
	if err := ts.check(ctx, &n); err != nil {
		return Token{}, "", err
	}
	return ts.insert(ctx, ts.db, n, by)
}

func (ts *Tokens) insert(ctx context.Context, ex interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, n NewToken, by eventstore.Actor) (Token, string, error) {
	idb, secret := make([]byte, 8), make([]byte, 32)
	if _, err := io.ReadFull(ts.opts.Random, idb); err != nil {
		return Token{}, "", fmt.Errorf("make token id: %w", err)
	}
	if _, err := io.ReadFull(ts.opts.Random, secret); err != nil {
		return Token{}, "", fmt.Errorf("make token secret: %w", err)
	}
	now := ts.opts.Now().UTC().Truncate(time.Millisecond)
	t := Token{ID: "tok-" + hex.EncodeToString(idb), Org: n.Org, Role: n.Role, Name: n.Name, CreatedAt: now, CreatedBy: by,
		ExpiresAt: now.Add(n.Life).Truncate(time.Millisecond)}
	sec := base64.RawURLEncoding.EncodeToString(secret)
	digest := sha256.Sum256([]byte(sec))
	byJSON, _ := json.Marshal(by) // strings only
	_, err := ex.ExecContext(ctx, ts.d.Rebind(`INSERT INTO `+TokenTable+`
		(id, hash, org, role, name, created_at, created_by, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		t.ID, hex.EncodeToString(digest[:]), t.Org, t.Role, t.Name, t.CreatedAt.UnixMilli(), string(byJSON), t.ExpiresAt.UnixMilli())
	if err != nil {
		return Token{}, "", fmt.Errorf("store token %s: %w", t.ID, err)
	}
	return t, "acv_" + t.ID + "_" + sec, nil
}

// EnsureAdministrator makes an administrator token, recorded as made by
// by, if no active one exists; it returns the bearer token, or "" when one
// exists already. Nodes starting together take turns (an advisory lock on
// PostgreSQL, the write lock on SQLite), so only one makes it.
func (ts *Tokens) EnsureAdministrator(ctx context.Context, name string, by eventstore.Actor) (Token, string, error) {
	var (
		made   Token
		bearer string
	)
	err := messaging.InTx(ctx, ts.db, ts.d, "api-tokens-bootstrap", func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, ts.d.Rebind(`SELECT COUNT(*) FROM `+TokenTable+` WHERE role = ? AND revoked_at = 0 AND expires_at > ?`),
			RoleAdministrator, ts.opts.Now().UnixMilli()).Scan(&n); err != nil {
			return fmt.Errorf("count administrator tokens: %w", err)
		}
		if n > 0 {
			return nil
		}
		var err error
		made, bearer, err = ts.insert(ctx, tx, NewToken{Org: RegistryOrg, Role: RoleAdministrator, Name: name, Life: DefaultTokenLifetime}, by)
		return err
	})
	return made, bearer, err
}

const tokenColumns = `id, hash, org, role, name, created_at, created_by, expires_at, revoked_at, revoked_by, last_used_at`

// scanToken reads one row of tokenColumns.
func scanToken(sc interface{ Scan(...any) error }) (Token, string, error) {
	var (
		t                                  Token
		hash, createdBy, revokedBy         string
		created, expires, revoked, lastUse int64
	)
	if err := sc.Scan(&t.ID, &hash, &t.Org, &t.Role, &t.Name, &created, &createdBy, &expires, &revoked, &revokedBy, &lastUse); err != nil {
		return Token{}, "", err
	}
	t.CreatedAt, t.ExpiresAt = time.UnixMilli(created).UTC(), time.UnixMilli(expires).UTC()
	_ = json.Unmarshal([]byte(createdBy), &t.CreatedBy)
	if revoked != 0 {
		at := time.UnixMilli(revoked).UTC()
		t.RevokedAt = &at
		var by eventstore.Actor
		_ = json.Unmarshal([]byte(revokedBy), &by)
		t.RevokedBy = &by
	}
	if lastUse != 0 {
		at := time.UnixMilli(lastUse).UTC()
		t.LastUsedAt = &at
	}
	return t, hash, nil
}

// Get returns the token with id; an unknown id is an error matching
// [domain.ErrNotFound].
func (ts *Tokens) Get(ctx context.Context, id string) (Token, error) {
	t, _, err := scanToken(ts.db.QueryRowContext(ctx, ts.d.Rebind(`SELECT `+tokenColumns+` FROM `+TokenTable+` WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, fmt.Errorf("token %s: %w", id, domain.ErrNotFound)
	}
	if err != nil {
		return Token{}, fmt.Errorf("read token %s: %w", id, err)
	}
	return t, nil
}

// List returns every token, revoked and expired ones too, newest first;
// only those of org unless it is empty.
func (ts *Tokens) List(ctx context.Context, org string) ([]Token, error) {
	q, args := `SELECT `+tokenColumns+` FROM `+TokenTable, []any{}
	if org != "" {
		q += ` WHERE org = ?`
		args = append(args, org)
	}
	rows, err := ts.db.QueryContext(ctx, ts.d.Rebind(q+` ORDER BY created_at DESC, id`), args...)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	out := []Token{}
	for rows.Next() {
		t, _, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// Revoke revokes the token with id, recording by; revoking a revoked token
// changes nothing. An unknown id is an error matching [domain.ErrNotFound].
func (ts *Tokens) Revoke(ctx context.Context, id string, by eventstore.Actor) (Token, error) {
	byJSON, _ := json.Marshal(by)
	if _, err := ts.db.ExecContext(ctx, ts.d.Rebind(`UPDATE `+TokenTable+` SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at = 0`),
		ts.opts.Now().UnixMilli(), string(byJSON), id); err != nil {
		return Token{}, fmt.Errorf("revoke token %s: %w", id, err)
	}
	return ts.Get(ctx, id)
}

// Authenticate returns the token whose bearer form is bearer. It fails with
// [ErrTokenUnknown] for anything that is not a stored token (the digests
// are compared in constant time), [ErrTokenRevoked] or [ErrTokenExpired]
// for one that no longer authenticates, and another error when the table
// cannot be read. It records the use, at most once a minute per token.
func (ts *Tokens) Authenticate(ctx context.Context, bearer string) (Token, error) {
	rest, ok := strings.CutPrefix(bearer, "acv_")
	if !ok {
		return Token{}, ErrTokenUnknown
	}
	id, secret, ok := strings.Cut(rest, "_")
	if !ok || len(id) > 40 || secret == "" {
		return Token{}, ErrTokenUnknown
	}
	t, hash, err := scanToken(ts.db.QueryRowContext(ctx, ts.d.Rebind(`SELECT `+tokenColumns+` FROM `+TokenTable+` WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, ErrTokenUnknown
	}
	if err != nil {
		return Token{}, fmt.Errorf("authenticate: %w", err)
	}
	want, err := hex.DecodeString(hash)
	got := sha256.Sum256([]byte(secret))
	if err != nil || subtle.ConstantTimeCompare(got[:], want) != 1 {
		return Token{}, ErrTokenUnknown
	}
	now := ts.opts.Now()
	switch {
	case t.RevokedAt != nil:
		return Token{}, ErrTokenRevoked
	case !now.Before(t.ExpiresAt):
		return Token{}, ErrTokenExpired
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= tokenTouchEvery {
		// Conditional, so that nodes racing to record a use write once.
		if _, err := ts.db.ExecContext(ctx, ts.d.Rebind(`UPDATE `+TokenTable+` SET last_used_at = ? WHERE id = ? AND last_used_at < ?`),
			now.UnixMilli(), id, now.Add(-tokenTouchEvery).UnixMilli()); err != nil {
			return Token{}, fmt.Errorf("record use of token %s: %w", id, err)
		}
	}
	return t, nil
}
