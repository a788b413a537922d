package projections

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
)

// Projector keeps the read models up to date with the log: it reads the
// events after its checkpoint, re-derives the rows of every asset they
// touch from the asset's whole stream, and writes those rows and the new
// checkpoint in one transaction. Because an asset's rows are always derived
// from its whole history, processing an event twice, or after a rebuild has
// swapped in fresh tables, gives the same rows.
type Projector struct {
	store   eventstore.Store
	db      DB
	regimes domain.Regimes
	log     *slog.Logger
	batch   int
	poll    time.Duration
	// advanced is signalled after every committed batch, for WaitFor.
	advanced eventstore.Signal
	// position is the checkpoint this projector last committed or read.
	position atomic.Int64
}

// Position returns the read models' checkpoint as this projector last
// committed or read it. It is what response caches key on: a response
// rendered at one checkpoint stays true until the checkpoint moves. When
// another process projects, it lags that process by at most one batch
// read (the projector reads the checkpoint before every batch).
func (p *Projector) Position() int64 { return p.position.Load() }

// NewProjector returns a projector from store into db.
func NewProjector(store eventstore.Store, db DB, regimes domain.Regimes, log *slog.Logger) *Projector {
	return &Projector{store: store, db: db, regimes: regimes, log: log, batch: 500, poll: eventstore.DefaultPollInterval}
}

// WithBatch sets how many events one transaction covers (default 500).
func (p *Projector) WithBatch(n int) *Projector {
	if n > 0 {
		p.batch = n
	}
	return p
}

// Migrate creates the read-model tables if they do not exist. Tables a
// rebuild swapped in keep their own index names, so once rm_assets exists
// nothing more is created.
func (p *Projector) Migrate(ctx context.Context) error {
	exists, err := tableExists(ctx, p.db, "rm_assets")
	if err != nil || exists {
		return err
	}
	return CreateTables(ctx, p.db.SQL, p.db.Dialect, "")
}

// Run catches up and then follows the log until ctx ends. A failing batch
// is logged and retried after a pause; it never skips an event.
func (p *Projector) Run(ctx context.Context) error {
	if err := p.Migrate(ctx); err != nil {
		return err
	}
	backoff := time.Second
	for {
		changed := p.store.Changed()
		n, err := p.step(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			p.log.Error("projector: batch failed; retrying", "err", err, "retry_in", backoff)
			n = 0
			changed = nil
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, time.Minute)
			continue
		}
		backoff = time.Second
		if n > 0 {
			continue
		}
		timer := time.NewTimer(p.poll)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-changed:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// CatchUp processes every event committed so far and returns how many it
// processed.
func (p *Projector) CatchUp(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := p.step(ctx)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// WaitFor blocks until the read models have processed the event at
// position, or ctx ends.
func (p *Projector) WaitFor(ctx context.Context, position int64) error {
	for {
		advanced := p.advanced.Wait()
		cp, err := checkpoint(ctx, p.db.SQL, p.db.Dialect)
		if err != nil {
			return err
		}
		ok, err := p.store.Covers(ctx, cp, position)
		if err != nil {
			return fmt.Errorf("wait for position %d: %w", position, err)
		}
		if ok {
			return nil
		}
		timer := time.NewTimer(50 * time.Millisecond) // another node's projector may be the one advancing
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-advanced:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// step processes one batch and returns how many events it covered.
func (p *Projector) step(ctx context.Context) (int, error) {
	tx, err := p.db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("projector: begin: %w", err)
	}
	defer tx.Rollback()
	after, err := lockCheckpoint(ctx, tx, p.db.Dialect)
	if err != nil {
		return 0, err
	}
	p.position.Store(after)
	events, err := p.store.ReadAll(ctx, after, p.batch)
	if err != nil || len(events) == 0 {
		return 0, err
	}
	var ids []string
	seen := map[string]bool{}
	for _, e := range events {
		if id, ok := AssetID(e.Stream); ok && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	rows := make([]AssetRows, 0, len(ids))
	for _, id := range ids {
		stored, err := p.store.ReadStream(ctx, domain.AssetStream(id), 1)
		if err != nil {
			return 0, fmt.Errorf("projector: %w", err)
		}
		history, err := Decode(stored)
		if err != nil {
			return 0, fmt.Errorf("projector: asset %s: %w", id, err)
		}
		rows = append(rows, Derive(id, p.regimes, history))
	}
	last := events[len(events)-1].Position
	if err := (Writer{Dialect: p.db.Dialect}).Replace(ctx, tx, rows); err != nil {
		return 0, fmt.Errorf("projector: write %d assets: %w", len(rows), err)
	}
	if err := SaveCheckpoint(ctx, tx, p.db.Dialect, last); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("projector: commit: %w", err)
	}
	p.position.Store(last)
	p.advanced.Notify()
	return len(events), nil
}

// AssetID returns the asset id of an asset stream (asset-<id>).
func AssetID(stream string) (string, bool) {
	return strings.CutPrefix(stream, "asset-")
}

// Decode turns stored events into the input of [Derive].
func Decode(stored []eventstore.Event) ([]Recorded, error) {
	out := make([]Recorded, len(stored))
	for i, e := range stored {
		ev, err := domain.UnmarshalEvent(e.Type, e.Data)
		if err != nil {
			return nil, fmt.Errorf("version %d: %w", e.Version, err)
		}
		out[i] = Recorded{Event: ev, Type: e.Type, Version: e.Version, Position: e.Position, RecordedAt: e.RecordedAt,
			Effective: e.Metadata.EffectiveDate, ActorRole: e.Metadata.Actor.Role, ActorOrg: e.Metadata.Actor.Org,
			Regime: e.Metadata.Regime}
	}
	return out, nil
}

func checkpoint(ctx context.Context, x Execer, d Dialect) (int64, error) {
	rows, err := x.QueryContext(ctx, d.Rebind(`SELECT position FROM rm_checkpoint WHERE name = ?`), checkpointName)
	if err != nil {
		return 0, fmt.Errorf("read checkpoint: %w", err)
	}
	defer rows.Close()
	var pos int64
	if rows.Next() {
		if err := rows.Scan(&pos); err != nil {
			return 0, fmt.Errorf("read checkpoint: %w", err)
		}
	}
	return pos, rows.Err()
}

// lockCheckpoint reads the checkpoint inside tx, locking its row on
// PostgreSQL so that two projectors (or a projector and a rebuild's swap)
// never process the same batch at once. SQLite has one writer already.
func lockCheckpoint(ctx context.Context, tx *sql.Tx, d Dialect) (int64, error) {
	// On SQLite the insert takes the write lock at once, so reading the
	// checkpoint and writing the rows are one serialised unit.
	if err := SaveCheckpointIfMissing(ctx, tx, d); err != nil {
		return 0, err
	}
	if d != Postgres {
		return checkpoint(ctx, tx, d)
	}
	var pos int64
	err := tx.QueryRowContext(ctx, `SELECT position FROM rm_checkpoint WHERE name = $1 FOR UPDATE`, checkpointName).Scan(&pos)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("lock checkpoint: %w", err)
	}
	return pos, nil
}

// SaveCheckpointIfMissing inserts the checkpoint row at 0 unless it exists.
func SaveCheckpointIfMissing(ctx context.Context, x Execer, d Dialect) error {
	_, err := x.ExecContext(ctx, d.Rebind(`INSERT INTO rm_checkpoint (name, position) VALUES (?, 0) ON CONFLICT (name) DO NOTHING`), checkpointName)
	if err != nil {
		return fmt.Errorf("create checkpoint: %w", err)
	}
	return nil
}

func tableExists(ctx context.Context, db DB, name string) (bool, error) {
	q := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`
	if db.Dialect == Postgres {
		q = `SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = $1`
	}
	var n int
	if err := db.SQL.QueryRowContext(ctx, q, name).Scan(&n); err != nil {
		return false, fmt.Errorf("look for table %s: %w", name, err)
	}
	return n > 0, nil
}
