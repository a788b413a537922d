package clock

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
)

// DefaultPoll is how often [Ticker.Run] ticks between midnights by default:
// a backdated event can make a clock event due at once, and the row the
// [Schedule] writes for it is picked up within this interval.
const DefaultPoll = time.Minute

// maxAdvanceAttempts bounds how often one asset is reloaded when its append
// collides with another node's.
const maxAdvanceAttempts = 3

// Options configure a [Ticker]. The zero value uses the system clock, a
// one-minute poll and no logging.
type Options struct {
	// Now returns the current instant. Default time.Now.
	Now func() time.Time
	// Wait blocks until the instant until (by Now) or until ctx ends, and
	// then returns ctx.Err(). Tests drive [Ticker.Run] through it. Default:
	// a timer for until minus Now().
	Wait func(ctx context.Context, until time.Time) error
	// Poll is the longest Run waits between ticks. Default [DefaultPoll].
	Poll time.Duration
	// Logger receives a line per asset whose clocks moved and per failed
	// tick. Default: discard.
	Logger *slog.Logger
}

// Ticker appends the clock events that are due. Any number of tickers, on
// any number of nodes, may tick at once: the events are named by [EventID],
// so each is stored once. It is safe for concurrent use.
type Ticker struct {
	db      *sql.DB
	dialect eventstore.Dialect
	assets  *eventstore.Assets
	now     func() time.Time
	wait    func(ctx context.Context, until time.Time) error
	poll    time.Duration
	log     *slog.Logger
}

// NewTicker returns a ticker reading clock_schedule from db (the log's
// database, in dialect d) and saving through a copy of assets that names
// events with [EventID].
func NewTicker(db *sql.DB, d eventstore.Dialect, assets *eventstore.Assets, opts Options) *Ticker {
	t := &Ticker{db: db, dialect: d, assets: assets.WithEventIDs(EventID),
		now: opts.Now, wait: opts.Wait, poll: opts.Poll, log: opts.Logger}
	if t.now == nil {
		t.now = time.Now
	}
	if t.wait == nil {
		t.wait = t.sleep
	}
	if t.poll <= 0 {
		t.poll = DefaultPoll
	}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	return t
}

// Tick appends the clock events due at instant now: for every asset
// scheduled on or before today in England, it runs
// [domain.Asset.AdvanceClocks] with today. It returns the number of events
// saved (an event another node stored first counts on both) and the errors
// of the assets it could not advance, joined; one failing asset does not
// stop the others.
func (t *Ticker) Tick(ctx context.Context, now time.Time) (int, error) {
	today := domain.DateOf(now)
	ids, err := t.due(ctx, today)
	if err != nil {
		return 0, err
	}
	saved := 0
	var errs []error
	for _, id := range ids {
		n, err := t.advance(ctx, id, today)
		saved += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	return saved, errors.Join(errs...)
}

// due returns the ids of the assets scheduled on or before today.
func (t *Ticker) due(ctx context.Context, today domain.Date) ([]string, error) {
	rows, err := t.db.QueryContext(ctx, t.dialect.Rebind(
		`SELECT asset_id FROM clock_schedule WHERE due_on <= ? ORDER BY due_on, asset_id`), today.String())
	if err != nil {
		return nil, fmt.Errorf("clock: read schedule for %s: %w", today, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("clock: read schedule for %s: %w", today, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clock: read schedule for %s: %w", today, err)
	}
	return ids, nil
}

// advance saves what AdvanceClocks(today) raises on asset id. Another node
// saving the same events at the same time is an idempotent repeat; if its
// save still collides (it saved a different prefix of the due events), the
// asset is reloaded and only what is left is saved.
func (t *Ticker) advance(ctx context.Context, id string, today domain.Date) (int, error) {
	ctx = eventstore.WithActor(ctx, Actor)
	for attempt := 1; ; attempt++ {
		saved, err := t.assets.Update(ctx, id, -1, func(a *domain.Asset) error { return a.AdvanceClocks(today) })
		if err == nil {
			t.logSaved(ctx, id, today, saved)
			return len(saved.Events), nil
		}
		collided := errors.Is(err, eventstore.ErrEventIDReused) || errors.Is(err, domain.ErrConflict)
		if !collided || attempt == maxAdvanceAttempts {
			return 0, fmt.Errorf("clock: advance asset %s to %s: %w", id, today, err)
		}
	}
}

func (t *Ticker) logSaved(ctx context.Context, id string, today domain.Date, saved eventstore.Saved) {
	for _, e := range saved.Events {
		t.log.InfoContext(ctx, "clock event saved", "asset_id", id, "today", today.String(),
			"type", e.EventType(), "effective_on", e.EffectiveOn().String(), "version", saved.Version)
	}
}

// Run ticks until ctx ends, then returns nil. After each tick it waits until
// the earliest of the next midnight in Europe/London and the poll interval.
// A failed tick is logged and retried at the next wake-up; Run returns an
// error only if waiting fails for a reason other than ctx ending.
func (t *Ticker) Run(ctx context.Context) error {
	for {
		now := t.now()
		n, err := t.Tick(ctx, now)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			t.log.ErrorContext(ctx, "clock tick failed", "err", err, "saved", n)
		}
		if err := t.wait(ctx, t.NextWake(now)); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("clock: wait: %w", err)
		}
	}
}

// NextWake returns when Run, having ticked at now, ticks next: the next
// midnight in Europe/London (the first instant of tomorrow in England,
// which is 23:00 UTC during British Summer Time) or now plus the poll
// interval, whichever is earlier.
func (t *Ticker) NextWake(now time.Time) time.Time {
	midnight := domain.DateOf(now).AddDays(1).StartIn()
	if poll := now.Add(t.poll); poll.Before(midnight) {
		return poll
	}
	return midnight
}

// sleep is the default Wait: a timer for the time left by the ticker's clock.
func (t *Ticker) sleep(ctx context.Context, until time.Time) error {
	timer := time.NewTimer(until.Sub(t.now()))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
