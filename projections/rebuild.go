package projections

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/messaging"
)

// Progress is told how far a rebuild has gone: done of total events read
// (total is the log's size when the rebuild started, an estimate).
type Progress func(done, total int64)

// rebuildBatch is how many events a rebuild reads at a time, and how many
// assets it writes in one transaction.
const (
	rebuildBatch  = 10_000
	rebuildAssets = 2_000
)

// Rebuild rebuilds every read model from position 0 into fresh tables, then
// swaps them in, with the checkpoint, in one transaction: until the swap the
// API keeps serving the old tables, and a projector that runs alongside
// carries on from the rebuild's checkpoint afterwards. It returns the
// position the rebuilt read models stand at.
func Rebuild(ctx context.Context, store eventstore.Store, db DB, regimes domain.Regimes, progress Progress) (int64, error) {
	if progress == nil {
		progress = func(int64, int64) {}
	}
	suffix := "_r" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if err := dropLeftovers(ctx, db); err != nil {
		return 0, err
	}
	// Secondary indexes are built once the rows are in (CreateIndexes below).
	if err := CreateTablesWithoutIndexes(ctx, db.SQL, db.Dialect, suffix); err != nil {
		return 0, fmt.Errorf("rebuild: %w", err)
	}
	total := estimateEvents(ctx, store)

	// Read the whole log once, keeping each asset's events; events of an
	// asset are scattered across the log, and Derive needs them together.
	// They are kept as stored (payloads as bytes, hashes dropped) and
	// decoded by the deriving workers: far fewer pointers for the garbage
	// collector to walk while the whole log is in memory, and the decoding
	// runs on every core.
	histories := map[string][]eventstore.Event{}
	var order []string
	var end, done int64
	for {
		events, err := store.ReadAll(ctx, end, rebuildBatch)
		if err != nil {
			return 0, fmt.Errorf("rebuild: read log after %d: %w", end, err)
		}
		if len(events) == 0 {
			break
		}
		for _, e := range events {
			id, ok := AssetID(e.Stream)
			if !ok {
				continue
			}
			if _, ok := histories[id]; !ok {
				order = append(order, id)
			}
			e.PrevHash, e.Hash = nil, nil
			histories[id] = append(histories[id], e)
		}
		end = events[len(events)-1].Position
		done += int64(len(events))
		progress(done, max(total, done))
	}

	// Write in asset id order: every table is keyed by asset id first, so
	// the B-trees grow at their right edge instead of at random pages.
	slices.Sort(order)
	w := Writer{Dialect: db.Dialect, Suffix: suffix, Fresh: true}
	dctx, stop := context.WithCancel(ctx) // stops the deriving goroutine if a write fails
	defer stop()
	for chunk := range deriveChunks(dctx, order, histories, regimes) {
		if chunk.err != nil {
			return 0, fmt.Errorf("rebuild: %w", chunk.err)
		}
		rows := chunk.rows
		tx, err := db.SQL.BeginTx(ctx, nil)
		if err != nil {
			return 0, fmt.Errorf("rebuild: begin: %w", err)
		}
		if err := w.Replace(ctx, tx, rows); err != nil {
			tx.Rollback()
			return 0, fmt.Errorf("rebuild: write: %w", err)
		}
		if err := tx.Commit(); err != nil {
			return 0, fmt.Errorf("rebuild: commit: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := CreateIndexes(ctx, db.SQL, db.Dialect, suffix); err != nil {
		return 0, fmt.Errorf("rebuild: %w", err)
	}
	if err := swap(ctx, db, suffix, end); err != nil {
		return 0, err
	}
	return end, nil
}

// swap replaces the live tables by the rebuilt ones and sets the checkpoint,
// in one transaction.
func swap(ctx context.Context, db DB, suffix string, end int64) error {
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("rebuild: swap: %w", err)
	}
	defer tx.Rollback()
	// Locking the read models' offset waits for their consumer's batch in
	// hand, on any node, and holds the next one until the swap commits.
	if _, err := messaging.LockOffset(ctx, tx, db.Dialect, ConsumerName); err != nil {
		return fmt.Errorf("rebuild: swap: %w", err)
	}
	for _, t := range TableNames() {
		if _, err := tx.ExecContext(ctx, `DROP TABLE IF EXISTS `+t); err != nil {
			return fmt.Errorf("rebuild: swap %s: %w", t, err)
		}
		if _, err := tx.ExecContext(ctx, `ALTER TABLE `+t+suffix+` RENAME TO `+t); err != nil {
			return fmt.Errorf("rebuild: swap %s: %w", t, err)
		}
	}
	if err := messaging.SetOffset(ctx, tx, db.Dialect, ConsumerName, end); err != nil {
		return fmt.Errorf("rebuild: swap: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("rebuild: swap: %w", err)
	}
	return nil
}

// dropLeftovers drops the tables of a rebuild that died before its swap.
func dropLeftovers(ctx context.Context, db DB) error {
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'rm\_%\_r%' ESCAPE '\'`
	if db.Dialect == Postgres {
		q = `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'rm\_%\_r%' ESCAPE '\'`
	}
	rows, err := db.SQL.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("rebuild: find leftovers: %w", err)
	}
	var names []string
	live := map[string]bool{}
	for _, t := range TableNames() {
		live[t] = true
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return fmt.Errorf("rebuild: find leftovers: %w", err)
		}
		if !live[n] {
			names = append(names, n)
		}
	}
	rows.Close()
	for _, n := range names {
		if _, err := db.SQL.ExecContext(ctx, `DROP TABLE IF EXISTS `+n); err != nil {
			return fmt.Errorf("rebuild: drop leftover %s: %w", n, err)
		}
	}
	return nil
}

// estimateEvents guesses the log's size for progress reports: the last
// position (positions can skip, so it is an upper bound).
func estimateEvents(ctx context.Context, store eventstore.Store) int64 {
	last, err := store.LastPosition(ctx)
	if err != nil {
		return 0
	}
	return last
}

// derived is one chunk of derived rows, or the error that stopped it.
type derived struct {
	rows []AssetRows
	err  error
}

// deriveChunks decodes and derives the rows of the assets in order,
// rebuildAssets at a time, on every CPU, while the caller writes the
// previous chunk: deriving is Go work and writing is mostly the database's,
// so the two overlap. The channel closes when every chunk is sent, after a
// chunk with an error, or when ctx ends.
func deriveChunks(ctx context.Context, order []string, histories map[string][]eventstore.Event, regimes domain.Regimes) <-chan derived {
	out := make(chan derived, 1)
	workers := max(1, runtime.GOMAXPROCS(0))
	go func() {
		defer close(out)
		for start := 0; start < len(order); start += rebuildAssets {
			chunk := order[start:min(start+rebuildAssets, len(order))]
			rows := make([]AssetRows, len(chunk))
			errs := make([]error, workers)
			var wg sync.WaitGroup
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for i := w; i < len(chunk); i += workers {
						history, err := Decode(histories[chunk[i]])
						if err != nil {
							errs[w] = fmt.Errorf("asset %s: %w", chunk[i], err)
							return
						}
						rows[i] = Derive(chunk[i], regimes, history)
					}
				}(w)
			}
			wg.Wait()
			d := derived{rows: rows, err: errors.Join(errs...)}
			select {
			case out <- d:
			case <-ctx.Done():
				return
			}
			if d.err != nil {
				return
			}
		}
	}()
	return out
}
