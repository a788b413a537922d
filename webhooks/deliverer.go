package webhooks

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/projections"
	"github.com/google/uuid"
)

// DelivererOptions configure a [Deliverer]. The zero value is usable.
type DelivererOptions struct {
	// Client sends the requests; default one with no other settings. The
	// deliverer never follows redirects, whatever the client says: a
	// signed body goes only to the URL subscribed.
	Client *http.Client
	// Now is the clock of leases, backoff and timestamps; default time.Now.
	Now func() time.Time
	Log *slog.Logger // default: discard
	// Source is the CloudEvents source; default [DefaultSource].
	Source string
	// Poll is the longest wait between looks for due deliveries (default
	// 500ms); Wake, if set, returns a channel closed when deliveries may
	// have been added (the messaging router's Advanced(ConsumerName)), so
	// new ones go at once.
	Poll time.Duration
	Wake func() <-chan struct{}
	// Timeout bounds one attempt (default 10s); Lease is how long a claim
	// keeps other nodes off a delivery (default 1 min): longer than
	// Timeout, so a lease runs out only when its node has stopped.
	Timeout time.Duration
	Lease   time.Duration
	// MaxAttempts is how many attempts a delivery gets before it is marked
	// failed (default 10). Backoff is the wait after failed attempt n
	// (1, 2, ...); default [Backoff].
	MaxAttempts int
	Backoff     func(n int) time.Duration
	// Concurrency is how many deliveries a node sends at once (default 4).
	Concurrency int
}

// Backoff is the default wait after failed attempt n: 3 minutes doubling
// each time, at most 8 hours, give or take 20% so that receivers coming
// back are not hit by every sender at once. Ten attempts span about 21
// hours.
func Backoff(n int) time.Duration {
	d := 3 * time.Minute
	for i := 1; i < n && d < 8*time.Hour; i++ {
		d *= 2
	}
	d = min(d, 8*time.Hour)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// Deliverer sends due deliveries. Any number of nodes may run one over the
// same database. It is safe for concurrent use.
type Deliverer struct {
	db   *sql.DB
	d    eventstore.Dialect
	pub  *projections.Publisher
	opts DelivererOptions
}

// NewDeliverer returns a deliverer of the deliveries in db, whose log is
// store. Call [Migrate] first.
func NewDeliverer(db *sql.DB, d eventstore.Dialect, store eventstore.Store, opts DelivererOptions) *Deliverer {
	client := &http.Client{}
	if opts.Client != nil {
		c := *opts.Client
		client = &c
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	opts.Client = client
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Source == "" {
		opts.Source = DefaultSource
	}
	if opts.Poll <= 0 {
		opts.Poll = 500 * time.Millisecond
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.Lease <= 0 {
		opts.Lease = time.Minute
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 10
	}
	if opts.Backoff == nil {
		opts.Backoff = Backoff
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	return &Deliverer{db: db, d: d, pub: projections.NewPublisher(store), opts: opts}
}

// Run sends due deliveries until ctx ends, then returns nil. A failure to
// reach the database is logged and tried again after the poll interval.
// Attempts in flight when ctx ends are cut short and due again at once, on
// any node.
func (dl *Deliverer) Run(ctx context.Context) error {
	for {
		var wake <-chan struct{}
		if dl.opts.Wake != nil {
			wake = dl.opts.Wake() // before looking, so no wake-up is missed
		}
		n, err := dl.DeliverDue(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			dl.opts.Log.Error("webhooks: delivering failed; retrying", "err", err)
		}
		if n > 0 && err == nil {
			continue // there may be more due
		}
		timer := time.NewTimer(dl.opts.Poll)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// claim is a delivery a node has claimed for one attempt.
type claim struct {
	id, subscription, event uuid.UUID
	stream                  string
	version                 int64
	attempt                 int // its attempt number: the fence of its result
}

// DeliverDue claims up to Concurrency due deliveries, makes one attempt at
// each at once, records the results and returns how many it claimed.
func (dl *Deliverer) DeliverDue(ctx context.Context) (int, error) {
	claims, err := dl.claim(ctx)
	if err != nil || len(claims) == 0 {
		return 0, err
	}
	subs := map[uuid.UUID]target{}
	var wg sync.WaitGroup
	errs := make([]error, len(claims))
	for i, c := range claims {
		t, ok := subs[c.subscription]
		if !ok {
			if t, err = dl.target(ctx, c.subscription); err != nil {
				return len(claims), err // the leases run out and the claims are tried again
			}
			subs[c.subscription] = t
		}
		switch {
		case !t.active:
			errs[i] = dl.finish(ctx, c, result{status: Cancelled, err: "the subscription was deleted"})
			continue
		case c.attempt > dl.opts.MaxAttempts: // its last attempt's node stopped before recording
			errs[i] = dl.finish(ctx, c, result{status: Failed, err: fmt.Sprintf("gave up after %d attempts", dl.opts.MaxAttempts)})
			continue
		}
		body, err := dl.body(ctx, c)
		if err != nil { // not sent: counted as an attempt, and retried like one
			dl.opts.Log.Error("webhooks: delivery cannot be made", "delivery", c.id, "err", err)
			errs[i] = dl.finish(ctx, c, dl.retry(c, result{err: "the event could not be read from the log"}))
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = dl.finish(ctx, c, dl.send(ctx, c, t, body))
		}()
	}
	wg.Wait()
	return len(claims), errors.Join(errs...)
}

// claim takes due deliveries for one attempt each: it counts the attempt
// and moves next_attempt_at a lease ahead, in one statement. On PostgreSQL
// rows another node is claiming are skipped, not waited for. The statement
// runs in a transaction of its own: on SQLite a write that returns rows
// takes its turn at the write lock only there (sqlite.Store.OpenDB).
func (dl *Deliverer) claim(ctx context.Context) ([]claim, error) {
	tx, err := dl.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("webhooks: claim deliveries: %w", err)
	}
	defer tx.Rollback()
	claims, err := dl.claimIn(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("webhooks: claim deliveries: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("webhooks: claim deliveries: %w", err)
	}
	return claims, nil
}

// claimIn is claim's statement, run in tx.
func (dl *Deliverer) claimIn(ctx context.Context, tx *sql.Tx) ([]claim, error) {
	now := dl.opts.Now()
	var q string
	if dl.d == eventstore.Postgres {
		q = `WITH due AS (
			SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $1
			ORDER BY next_attempt_at, position LIMIT $2 FOR UPDATE SKIP LOCKED)
		UPDATE webhook_deliveries d SET attempts = d.attempts + 1, next_attempt_at = $3
		FROM due WHERE d.id = due.id
		RETURNING d.id, d.subscription_id, d.event_id, d.stream, d.version, d.attempts`
	} else {
		q = `UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = ?3
		WHERE id IN (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ?1
			ORDER BY next_attempt_at, position LIMIT ?2)
		RETURNING id, subscription_id, event_id, stream, version, attempts`
	}
	rows, err := tx.QueryContext(ctx, q, stamp(now), dl.opts.Concurrency, stamp(now.Add(dl.opts.Lease)))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var claims []claim
	for rows.Next() {
		var (
			c              claim
			id, sub, event string
		)
		if err := rows.Scan(&id, &sub, &event, &c.stream, &c.version, &c.attempt); err != nil {
			return nil, err
		}
		if err := parseIDs([]*uuid.UUID{&c.id, &c.subscription, &c.event}, id, sub, event); err != nil {
			return nil, err
		}
		claims = append(claims, c)
	}
	return claims, rows.Err()
}

// target is where and how a subscription's deliveries go.
type target struct {
	url, secret string
	active      bool
}

func (dl *Deliverer) target(ctx context.Context, sub uuid.UUID) (target, error) {
	var (
		t      target
		active int
	)
	err := dl.db.QueryRowContext(ctx, dl.d.Rebind(`SELECT url, secret, active FROM webhook_subscriptions WHERE id = ?`),
		sub.String()).Scan(&t.url, &t.secret, &active)
	if errors.Is(err, sql.ErrNoRows) {
		return target{}, nil // inactive: its deliveries are cancelled
	}
	if err != nil {
		return target{}, fmt.Errorf("webhooks: read subscription %s: %w", sub, err)
	}
	t.active = active == 1
	return t, nil
}

// body is the CloudEvent of c's event: the same bytes on every attempt.
func (dl *Deliverer) body(ctx context.Context, c claim) ([]byte, error) {
	pe, err := dl.pub.At(ctx, c.stream, c.version)
	if err != nil {
		return nil, fmt.Errorf("webhooks: delivery %s: %w", c.id, err)
	}
	if pe.ID != c.event {
		return nil, fmt.Errorf("webhooks: delivery %s: event %s@%d is %s, not %s", c.id, c.stream, c.version, pe.ID, c.event)
	}
	b, err := json.Marshal(cloudEventOf(dl.opts.Source, pe))
	if err != nil {
		return nil, fmt.Errorf("webhooks: delivery %s: encode: %w", c.id, err)
	}
	return b, nil
}

// result is the outcome of one attempt.
type result struct {
	status     Status // what the delivery becomes: pending (again), delivered, failed, cancelled
	started    time.Time
	took       time.Duration
	httpStatus int
	err        string
	retryAt    time.Time // for pending
	attempted  bool      // a request was made: the attempt goes in the log
}

// send makes one attempt at c.
func (dl *Deliverer) send(ctx context.Context, c claim, t target, body []byte) result {
	started := dl.opts.Now()
	r := result{started: started, attempted: true}
	ts := strconv.FormatInt(started.Unix(), 10)
	actx, cancel := context.WithTimeout(ctx, dl.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		r.err = "the URL cannot be requested"
	} else {
		h := req.Header
		h.Set("Content-Type", ContentType)
		h.Set("User-Agent", "acv-webhooks/1")
		h.Set(HeaderDelivery, c.id.String())
		h.Set(HeaderAttempt, strconv.Itoa(c.attempt))
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderSignature, Sign(t.secret, ts, body))
		mono := time.Now() // durations on the monotonic clock
		resp, err := dl.opts.Client.Do(req)
		r.took = time.Since(mono)
		if err != nil {
			r.err = describe(err)
		} else {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			r.httpStatus = resp.StatusCode
			if resp.StatusCode < 200 || resp.StatusCode > 299 {
				r.err = "the receiver answered " + strconv.Itoa(resp.StatusCode) + " " + http.StatusText(resp.StatusCode)
			}
		}
	}
	switch {
	case r.err == "":
		r.status = Delivered
	case ctx.Err() != nil: // this node is stopping: any node may try again at once
		r.status, r.retryAt = Pending, dl.opts.Now()
		r.err = "interrupted: the sending node stopped"
	default:
		r = dl.retry(c, r)
	}
	if r.status == Delivered {
		dl.opts.Log.Debug("webhooks: delivered", "delivery", c.id, "event", c.event, "attempt", c.attempt)
	} else {
		dl.opts.Log.Info("webhooks: attempt failed", "delivery", c.id, "event", c.event, "attempt", c.attempt,
			"status", r.httpStatus, "err", r.err, "next", r.status)
	}
	return r
}

// retry makes r, a failed attempt at c, pending again after the backoff,
// or failed when it was the last attempt.
func (dl *Deliverer) retry(c claim, r result) result {
	if c.attempt >= dl.opts.MaxAttempts {
		r.status = Failed
		return r
	}
	r.status, r.retryAt = Pending, dl.opts.Now().Add(dl.opts.Backoff(c.attempt))
	return r
}

// describe turns a client error into words for the delivery log, without
// the URL (whose query may hold the receiver's own token).
func describe(err error) string {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer within the timeout"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	s := err.Error()
	if len(s) > 500 {
		s = s[:500]
	}
	return strings.ToValidUTF8(s, "?")
}

// finish records the result of c's attempt, if c's claim is still the
// delivery's latest: a node whose lease ran out cannot overwrite the result
// of the node that claimed the delivery after it. It writes even when ctx
// has ended, so an interrupted attempt is released.
func (dl *Deliverer) finish(ctx context.Context, c claim, r result) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	tx, err := dl.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("webhooks: record delivery %s: %w", c.id, err)
	}
	defer tx.Rollback()
	if r.attempted {
		if _, err := tx.ExecContext(ctx, dl.d.Rebind(`INSERT INTO webhook_attempts
			(delivery_id, attempt, started_at, duration_ms, status, error) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING`),
			c.id.String(), c.attempt, stamp(r.started), r.took.Milliseconds(), r.httpStatus, r.err); err != nil {
			return fmt.Errorf("webhooks: record attempt %d of %s: %w", c.attempt, c.id, err)
		}
	}
	next, delivered := "", ""
	switch r.status {
	case Pending:
		next = stamp(r.retryAt)
	case Delivered:
		delivered = stamp(r.started.Add(r.took))
	}
	q := `UPDATE webhook_deliveries SET status = ?, next_attempt_at = CASE WHEN ? = '' THEN next_attempt_at ELSE ? END,
		last_error = ?, delivered_at = ?`
	args := []any{string(r.status), next, next, r.err, delivered}
	if r.attempted {
		q += `, last_status = ?`
		args = append(args, r.httpStatus)
	}
	q += ` WHERE id = ? AND attempts = ? AND status = 'pending'`
	args = append(args, c.id.String(), c.attempt)
	if _, err := tx.ExecContext(ctx, dl.d.Rebind(q), args...); err != nil {
		return fmt.Errorf("webhooks: record delivery %s: %w", c.id, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("webhooks: record delivery %s: %w", c.id, err)
	}
	return nil
}
