package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"time"

	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/postgres"
	"github.com/acv-registry/acv/eventstore/sqlite"
	"github.com/acv-registry/acv/projections"
	"github.com/jackc/pgx/v5/stdlib"
)

// databases are what the service keeps beside the log: its state (API
// tokens, idempotency records, webhook subscriptions and deliveries, the
// statutory clock's schedule, and those consumers' offsets and poison
// queue) and its read models (with their own consumer's offset and poison
// queue). On PostgreSQL both are the log's database, on the store's
// connection pool. On SQLite the state is the state file beside the log's
// (sqlite.Store.OpenState), into which the tables an earlier version kept
// in the log's file are moved on first open, and the read models are a
// file of their own that each rebuild replaces whole (sqlite.ReadModels);
// read models an earlier version kept in the state file are dropped from
// it, and Projector.Migrate rebuilds them.
type databases struct {
	state projections.DB
	read  projections.DB
	close func() error
}

// Close closes both handles.
func (d databases) Close() error { return d.close() }

// openReadModels opens the databases of the service's state and of its
// read models.
func openReadModels(ctx context.Context, c Config, store eventstore.Store) (databases, error) {
	if pg, ok := store.(*postgres.Store); ok {
		db := projections.DB{SQL: stdlib.OpenDBFromPool(pg.Pool()), Dialect: projections.Postgres}
		return databases{state: db, read: db, close: db.SQL.Close}, nil
	}
	lite, ok := store.(*sqlite.Store)
	if !ok {
		return databases{}, fmt.Errorf("open read models: no read models for a %T store", store)
	}
	const cache = "_pragma=cache_size(-65536)"
	state, err := lite.OpenState(ctx, c.StatePath(), cache, projections.Derived)
	if err != nil {
		return databases{}, fmt.Errorf("open state: %w", err)
	}
	// Read models an earlier release kept in the state file: dropped, and
	// the file compacted (what is left is small), once.
	if dropped, err := projections.DropAll(ctx, state, projections.SQLite); err != nil || dropped {
		if err == nil {
			_, err = state.ExecContext(ctx, `VACUUM`)
		}
		if err != nil {
			state.Close()
			return databases{}, fmt.Errorf("open state: move the read models out: %w", err)
		}
	}
	rm, err := lite.OpenReadModels(ctx, c.ReadModelsPath(), cache)
	if err != nil {
		state.Close()
		return databases{}, fmt.Errorf("open read models: %w", err)
	}
	return databases{
		state: projections.DB{SQL: state, Dialect: projections.SQLite},
		read: projections.DB{SQL: rm.DB(), Dialect: projections.SQLite,
			Files: projections.FilesFunc(func(ctx context.Context) (projections.FreshFile, error) { return rm.Fresh(ctx) })},
		close: func() error { return errors.Join(rm.Close(), state.Close()) },
	}, nil
}

// progressBar draws a rebuild's progress on w when w is a terminal, and
// prints a line every 10% otherwise.
func progressBar(w io.Writer) projections.Progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	start, lastTenth := time.Now(), int64(-1)
	return func(done, total int64) {
		pct := int64(100)
		if total > 0 {
			pct = min(100, done*100/total)
		}
		if tty {
			const width = 30
			bar := make([]byte, width)
			for i := range bar {
				bar[i] = ' '
				if int64(i) < pct*width/100 {
					bar[i] = '#'
				}
			}
			fmt.Fprintf(w, "\rrebuild [%s] %3d%% %d/%d events %s", bar, pct, done, total, time.Since(start).Round(time.Second))
			return
		}
		if pct/10 != lastTenth {
			lastTenth = pct / 10
			fmt.Fprintf(w, "rebuild: %d%% (%d of about %d events)\n", pct, done, total)
		}
	}
}

// rebuild is `acv rebuild`.
func rebuild(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs, c := newFlagSet("rebuild", "Rebuild every read model from position 0 into fresh tables and swap them in. A running `acv serve` keeps serving the old tables until the swap and carries on from there.", getenv, stderr)
	cpuProfile := fs.String("cpu-profile", "", "write a CPU profile of the rebuild to this file, for go tool pprof")
	if err := parse(fs, args); err != nil {
		return helpOK(err)
	}
	o, err := openAll(ctx, *c, stderr)
	if err != nil {
		return err
	}
	defer o.Close()
	store, db, log := o.store, o.dbs.read, o.log
	// The tables if there are none; read models of an earlier layout are
	// left to the rebuild below, which replaces them anyway.
	if _, err := projections.NewProjector(store, db, regimes(), log).Prepare(ctx); err != nil {
		return err
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	started := time.Now()
	end, phases, err := rebuildReadModels(ctx, store, db, progressBar(stderr))
	fmt.Fprintln(stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "acv: read models rebuilt to position %d in %s (%s)\n", end, time.Since(started).Round(time.Millisecond), phases)
	return nil
}

// gcPercent is the garbage collector's target in every acv process
// ([gcDefaults]), and while a rebuild runs whatever GOGC says, unless it
// asks for less collection still; memoryLimit caps what that may cost:
// nearer the limit the collector runs as often as it must. A rebuild
// turns over a few chunks of events and rows fast, and collecting a
// quarter as often saved about a sixth of its CPU for about 200 MiB more
// memory at 10^5 events; a read of the whole log, as a consumer catching
// up makes, spent a sixth of its CPU collecting the pages it had handed
// on, and took 3.17-3.42 s instead of 3.85-4.09 at 1.16 x 10^6 events
// (docs/performance.md). What a rebuild keeps live is a few chunks and
// the statistics' sums, which the calendar bounds; a server's heap is
// far smaller.
const (
	gcPercent   = 400
	memoryLimit = 3 << 30
)

// gcDefaults sets the garbage collector to gcPercent and memoryLimit,
// unless GOGC or GOMEMLIMIT (which Go reads itself) say otherwise. main
// calls it, not run: the tests' process keeps Go's defaults.
func gcDefaults(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}

// rebuildReadModels runs [projections.RebuildTimed] with the garbage collector
// at gcPercent, unless GOGC asks for less collection still, and a soft
// memory limit of memoryLimit, unless GOMEMLIMIT sets a lower.
func rebuildReadModels(ctx context.Context, store eventstore.Store, db projections.DB, progress projections.Progress) (int64, projections.Phases, error) {
	if prev := debug.SetGCPercent(gcPercent); prev < 0 || prev > gcPercent {
		debug.SetGCPercent(prev)
	} else {
		defer debug.SetGCPercent(prev)
	}
	if prev := debug.SetMemoryLimit(memoryLimit); prev < memoryLimit {
		debug.SetMemoryLimit(prev)
	} else {
		defer debug.SetMemoryLimit(prev)
	}
	return projections.RebuildTimed(ctx, store, db, regimes(), progress)
}

// opened is the log and the databases beside it, opened together by the
// commands that need them.
type opened struct {
	store eventstore.Store
	dbs   databases
	log   *slog.Logger
}

// openAll opens (and migrates) the configured store and handles on its
// state and read models; Close closes them all.
func openAll(ctx context.Context, c Config, stderr io.Writer) (*opened, error) {
	store, log, err := openLogged(ctx, c, stderr)
	if err != nil {
		return nil, err
	}
	dbs, err := openReadModels(ctx, c, store)
	if err != nil {
		store.Close()
		return nil, err
	}
	return &opened{store: store, dbs: dbs, log: log}, nil
}

// Close closes the databases, then the store.
func (o *opened) Close() {
	o.dbs.Close()
	o.store.Close()
}

// startCPUProfile writes a CPU profile to path until the returned function
// is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
