package api

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/messaging"
)

// IdempotencyTable holds the idempotency keys of every node of a
// deployment (see [SQLIdempotency]).
const IdempotencyTable = "api_idempotency"

// SQLIdempotency is an [IdempotencyStore] in a table of the log's database,
// shared by every node, so that a client retrying a write against another
// node with the same Idempotency-Key is answered as it would be by the
// first.
//
// A key's row is either pending, claimed by one request (named by a random
// claim token) until a lease runs out, or done, holding the response for
// the TTL. Claiming is one INSERT ... ON CONFLICT DO NOTHING, so exactly one
// request wins a new key; the others poll the row with short sleeps until
// it is done or gone. While a request holds a key its node renews the lease
// every quarter lease; a node that dies stops renewing, and once the lease
// has run out the next request with the key takes the claim over (a
// compare-and-swap on the claim token), so a killed node never blocks a key
// for longer than one lease. Releasing is fenced by the token: a request
// whose claim was taken over stores nothing.
//
// Times are the nodes' clocks (Options.Now) in Unix milliseconds: nodes
// whose clocks disagree by a fraction of the lease behave as one. It is
// safe for concurrent use, by any number of stores on one database.
type SQLIdempotency struct {
	db   *sql.DB
	d    eventstore.Dialect
	opts SQLIdempotencyOptions

	mu        sync.Mutex
	lastSweep time.Time
}

// SQLIdempotencyOptions tune a [SQLIdempotency]. Zero fields take the
// defaults given.
type SQLIdempotencyOptions struct {
	Now   func() time.Time // the clock; time.Now
	TTL   time.Duration    // how long a response is kept; 24 hours
	Lease time.Duration    // how long a claim outlives a silent node; 10 seconds
	Poll  time.Duration    // the longest sleep between looks at a held key; 100ms
	Log   *slog.Logger     // where failures to release a key are logged; discarded
}

// MigrateIdempotency creates the table of [SQLIdempotency] if it does not
// exist. On PostgreSQL nodes starting together take turns (an advisory
// lock, see [messaging.InTx]).
func MigrateIdempotency(ctx context.Context, db *sql.DB, d eventstore.Dialect) error {
	body := "BLOB"
	if d == eventstore.Postgres {
		body = "BYTEA"
	}
	ddl := []string{
		`CREATE TABLE IF NOT EXISTS ` + IdempotencyTable + ` (
			key         TEXT PRIMARY KEY,
			state       TEXT NOT NULL,
			claim       TEXT NOT NULL,
			lease_until BIGINT NOT NULL,
			created_at  BIGINT NOT NULL,
			fingerprint TEXT NOT NULL DEFAULT '',
			status      INTEGER NOT NULL DEFAULT 0,
			header      TEXT NOT NULL DEFAULT '{}',
			body        ` + body + `)`,
		`CREATE INDEX IF NOT EXISTS ` + IdempotencyTable + `_created ON ` + IdempotencyTable + ` (created_at)`,
	}
	return messaging.InTx(ctx, db, d, "api-idempotency", func(tx *sql.Tx) error {
		for _, q := range ddl {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("migrate %s: %w", IdempotencyTable, err)
			}
		}
		return nil
	})
}

// NewSQLIdempotency returns a store over db's table, which
// [MigrateIdempotency] has created.
func NewSQLIdempotency(db *sql.DB, d eventstore.Dialect, opts SQLIdempotencyOptions) *SQLIdempotency {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.TTL <= 0 {
		opts.TTL = idempotencyTTL
	}
	if opts.Lease <= 0 {
		opts.Lease = 10 * time.Second
	}
	if opts.Poll <= 0 {
		opts.Poll = 100 * time.Millisecond
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &SQLIdempotency{db: db, d: d, opts: opts}
}

// Key states.
const (
	statePending = "pending"
	stateDone    = "done"
)

// sweepEvery is how often a store deletes expired rows.
const sweepEvery = time.Minute

// Acquire implements [IdempotencyStore]. It returns an error when the
// database fails or ctx ends while another request holds key.
func (s *SQLIdempotency) Acquire(ctx context.Context, key string) (*StoredResponse, func(*StoredResponse), error) {
	if err := s.sweep(ctx); err != nil {
		return nil, nil, err
	}
	claim := newClaim()
	wait := 5 * time.Millisecond
	for {
		now := s.opts.Now()
		res, err := s.db.ExecContext(ctx, s.d.Rebind(`INSERT INTO `+IdempotencyTable+
			` (key, state, claim, lease_until, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`),
			key, statePending, claim, now.Add(s.opts.Lease).UnixMilli(), now.UnixMilli())
		if err != nil {
			return nil, nil, fmt.Errorf("claim idempotency key: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil, s.holder(ctx, key, claim), nil
		}

		row, err := s.load(ctx, key)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			continue // released (forgotten) since the insert: claim it
		case err != nil:
			return nil, nil, err
		case row.state == stateDone && now.Sub(time.UnixMilli(row.createdAt)) < s.opts.TTL:
			return row.resp, nil, nil
		case row.state == stateDone:
			// Expired: forget it (unless another request just did) and claim.
			if _, err := s.db.ExecContext(ctx, s.d.Rebind(`DELETE FROM `+IdempotencyTable+
				` WHERE key = ? AND state = ? AND created_at = ?`), key, stateDone, row.createdAt); err != nil {
				return nil, nil, fmt.Errorf("expire idempotency key: %w", err)
			}
			continue
		case now.UnixMilli() >= row.leaseUntil:
			// The holder stopped renewing its lease (its node died): take
			// the claim over, unless another request does first.
			res, err := s.db.ExecContext(ctx, s.d.Rebind(`UPDATE `+IdempotencyTable+
				` SET claim = ?, lease_until = ?, created_at = ? WHERE key = ? AND state = ? AND claim = ?`),
				claim, now.Add(s.opts.Lease).UnixMilli(), now.UnixMilli(), key, statePending, row.claim)
			if err != nil {
				return nil, nil, fmt.Errorf("take over idempotency key: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				s.opts.Log.Warn("idempotency key taken over from a claim whose lease ran out")
				return nil, s.holder(ctx, key, claim), nil
			}
			continue
		}
		// Held by a live request: look again shortly.
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, nil, fmt.Errorf("wait for idempotency key: %w", ctx.Err())
		case <-timer.C:
		}
		wait = min(2*wait, s.opts.Poll)
	}
}

// idemRow is a key's row.
type idemRow struct {
	state      string
	claim      string
	leaseUntil int64
	createdAt  int64
	resp       *StoredResponse
}

func (s *SQLIdempotency) load(ctx context.Context, key string) (idemRow, error) {
	var (
		r      idemRow
		fp     string
		status int
		header string
		body   []byte
	)
	err := s.db.QueryRowContext(ctx, s.d.Rebind(`SELECT state, claim, lease_until, created_at, fingerprint, status, header, body FROM `+
		IdempotencyTable+` WHERE key = ?`), key).Scan(&r.state, &r.claim, &r.leaseUntil, &r.createdAt, &fp, &status, &header, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return r, err
	}
	if err != nil {
		return r, fmt.Errorf("read idempotency key: %w", err)
	}
	if r.state == stateDone {
		h := http.Header{}
		if err := json.Unmarshal([]byte(header), &h); err != nil {
			return r, fmt.Errorf("read idempotency key: stored header: %w", err)
		}
		if body == nil {
			body = []byte{}
		}
		r.resp = &StoredResponse{Fingerprint: fp, Status: status, Header: h, Body: body}
	}
	return r, nil
}

// holder returns the release function of a claim, and renews the claim's
// lease until it is called.
func (s *SQLIdempotency) holder(ctx context.Context, key, claim string) func(*StoredResponse) {
	// The release outlives the request: a client that went away after its
	// write succeeded must still find the response when it retries.
	bg := context.WithoutCancel(ctx)
	stop := make(chan struct{})
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		tick := time.NewTicker(s.opts.Lease / 4)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				rctx, cancel := context.WithTimeout(bg, s.opts.Lease/4)
				_, err := s.db.ExecContext(rctx, s.d.Rebind(`UPDATE `+IdempotencyTable+
					` SET lease_until = ? WHERE key = ? AND state = ? AND claim = ?`),
					s.opts.Now().Add(s.opts.Lease).UnixMilli(), key, statePending, claim)
				cancel()
				if err != nil {
					s.opts.Log.Warn("renew an idempotency key's lease", "err", err)
				}
			}
		}
	}()
	var once sync.Once
	return func(resp *StoredResponse) {
		once.Do(func() {
			close(stop)
			<-renewed
			s.release(bg, key, claim, resp)
		})
	}
}

// release stores resp under the claim, or forgets the key when resp is nil.
// A failure is retried a few times, then logged: the key stays pending
// until its lease runs out, and the next request with it runs again.
func (s *SQLIdempotency) release(ctx context.Context, key, claim string, resp *StoredResponse) {
	q, args := s.d.Rebind(`DELETE FROM `+IdempotencyTable+` WHERE key = ? AND claim = ?`), []any{key, claim}
	if resp != nil {
		header, err := json.Marshal(resp.Header)
		if err != nil {
			header = []byte("{}") // an http.Header always marshals
		}
		body := resp.Body
		if body == nil {
			body = []byte{}
		}
		q = s.d.Rebind(`UPDATE ` + IdempotencyTable + ` SET state = ?, created_at = ?, lease_until = 0,
			fingerprint = ?, status = ?, header = ?, body = ? WHERE key = ? AND state = ? AND claim = ?`)
		args = []any{stateDone, s.opts.Now().UnixMilli(), resp.Fingerprint, resp.Status, string(header), body, key, statePending, claim}
	}
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * 100 * time.Millisecond)
		}
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		var res sql.Result
		res, err = s.db.ExecContext(rctx, q, args...)
		cancel()
		if err == nil {
			if n, _ := res.RowsAffected(); n == 0 && resp != nil {
				s.opts.Log.Warn("idempotency key released after its claim was taken over; the response is not kept")
			}
			return
		}
	}
	s.opts.Log.Error("release an idempotency key", "err", err)
}

// sweep deletes expired responses and abandoned claims, at most once a
// minute per store.
func (s *SQLIdempotency) sweep(ctx context.Context) error {
	now := s.opts.Now()
	s.mu.Lock()
	due := now.Sub(s.lastSweep) >= sweepEvery
	if due {
		s.lastSweep = now
	}
	s.mu.Unlock()
	if !due {
		return nil
	}
	cutoff := now.Add(-s.opts.TTL).UnixMilli()
	_, err := s.db.ExecContext(ctx, s.d.Rebind(`DELETE FROM `+IdempotencyTable+
		` WHERE created_at < ? AND (state = ? OR lease_until < ?)`), cutoff, stateDone, now.UnixMilli())
	if err != nil {
		return fmt.Errorf("expire idempotency keys: %w", err)
	}
	return nil
}

// newClaim returns a random claim token.
func newClaim() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}
