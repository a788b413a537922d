package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/acv-registry/acv/clock"
	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/eventstorebench"
	"github.com/acv-registry/acv/eventstore/postgres"
	"github.com/acv-registry/acv/internal/generate"
	"github.com/acv-registry/acv/internal/loadtest"
	"github.com/acv-registry/acv/messaging"
	"github.com/acv-registry/acv/projections"
	"github.com/acv-registry/acv/webhooks"
	"github.com/google/uuid"
)

// Figure is one line of `acv bench`: a measurement beside its raw baseline
// from the same run. Ratio is always "higher is better": the store's
// throughput ÷ the baseline's, or the baseline's time ÷ the store's.
type Figure struct {
	Name      string  `json:"name"`
	Value     float64 `json:"value"`
	Unit      string  `json:"unit"`
	Baseline  string  `json:"baseline,omitempty"`
	BaseValue float64 `json:"baseline_value,omitempty"`
	Ratio     float64 `json:"ratio,omitempty"`
	P50ms     float64 `json:"p50_ms,omitempty"`
	P99ms     float64 `json:"p99_ms,omitempty"`
	PeakMiB   float64 `json:"peak_mib"`
}

// BenchReport is what `acv bench --json` writes.
type BenchReport struct {
	Backend    string   `json:"backend"`
	Events     int64    `json:"events"` // in the log when measuring started
	Generated  bool     `json:"generated"`
	Started    string   `json:"started"`
	Seconds    float64  `json:"seconds"`
	CPUs       int      `json:"cpus"`
	LoadBefore string   `json:"load_before"` // /proc/loadavg: other work on the machine
	LoadAfter  string   `json:"load_after"`
	DiskBytes  int64    `json:"disk_bytes"`
	Figures    []Figure `json:"figures"`
}

const benchAdminToken = "acv-bench-admin-token"

// benchCmd is `acv bench`.
func benchCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs, c := newFlagSet("bench", "Measure the configured store beside raw baselines taken in the same run: appends (single and batch, "+
		"concurrent), a full read, a rebuild, register, timeline, as-of and national-search queries under concurrency through the "+
		"real `acv serve`, and the lag from a write to its projection row. An empty store is first filled by `acv generate` with about "+
		"--events events. Bench writes to the store (appends into bench-* streams, nominations through the API, a raw_events table it "+
		"drops afterwards): run it on a scratch database, never on a live registry; it refuses a store that generate did not fill. "+
		"The raw appends insert into a copy of the log (see --raw-copy), which needs as much free disk again as the log.", getenv, stderr)
	events := fs.Int("events", 100_000, "size of the generated history when the store is empty")
	seed := fs.Uint64("seed", 1, "seed of the generated history")
	seconds := fs.Duration("duration", 5*time.Second, "how long each concurrent load runs")
	conns := fs.Int("conns", 64, "concurrent HTTP connections for the query loads")
	jsonOut := fs.String("json", "", "also write the figures as JSON to this file")
	rawCopy := fs.String("raw-copy", rawCopyAuto, "whether the raw appends insert into a copy of the log, as large as the store's: "+
		"auto (when the disk is known to hold it), always, or never (into an empty table, named in the figures)")
	if err := parse(fs, args); err != nil {
		return helpOK(err)
	}
	if *events <= 0 || *seconds <= 0 || *conns <= 0 {
		fmt.Fprintln(stderr, "acv bench: --events, --duration and --conns must be positive")
		return errUsage
	}
	if !slices.Contains([]string{rawCopyAuto, rawCopyAlways, rawCopyNever}, *rawCopy) {
		fmt.Fprintln(stderr, "acv bench: --raw-copy must be auto, always or never")
		return errUsage
	}
	store, log, err := openLogged(ctx, *c, stderr)
	if err != nil {
		return err
	}
	defer store.Close()
	b := &bench{ctx: ctx, c: *c, store: store, log: log, getenv: getenv, d: *seconds, conns: *conns, rawCopy: *rawCopy, started: time.Now()}
	b.report = BenchReport{Backend: "sqlite", Started: b.started.UTC().Format(time.RFC3339), CPUs: runtime.GOMAXPROCS(0), LoadBefore: loadAvg()}
	if c.usesPostgres() {
		b.report.Backend = "postgres"
	}
	runErr := b.run(*events, *seed)
	b.report.LoadAfter = loadAvg()
	b.report.Seconds = time.Since(b.started).Seconds()
	b.print(stdout) // what was measured, even when a later step failed
	if runErr != nil {
		return runErr
	}
	if *jsonOut != "" {
		data, _ := json.MarshalIndent(b.report, "", "  ")
		if err := os.WriteFile(*jsonOut, append(data, '\n'), 0o644); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	return nil
}

// bench is one run of `acv bench`.
type bench struct {
	ctx     context.Context
	c       Config
	store   eventstore.Store
	log     *slog.Logger
	getenv  func(string) string
	d       time.Duration
	conns   int
	rawCopy string // rawCopyAuto, rawCopyAlways or rawCopyNever
	started time.Time
	report  BenchReport
}

// The values of `acv bench --raw-copy`.
const (
	rawCopyAuto   = "auto"
	rawCopyAlways = "always"
	rawCopyNever  = "never"
)

func (b *bench) add(f Figure) {
	b.report.Figures = append(b.report.Figures, f)
	b.log.Info("bench", "figure", f.Name, "value", f.Value, "unit", f.Unit, "ratio", f.Ratio)
}

func (b *bench) run(events int, seed uint64) error {
	ctx := b.ctx
	if err := b.fill(events, seed); err != nil {
		return err
	}
	raw, err := b.baseline()
	if err != nil {
		return err
	}
	defer raw.Close(context.Background())
	// Appends first, bounded in count, so that the whole-log figures below
	// read the generated history and the few bench-* streams they add.
	// The raw inserts go into a copy of the log, so that both insert into
	// a table of the same size with the same indexes; both tables are
	// vacuumed and analysed before, as each would be in a long-running
	// database.
	if raw.AfterSeed != nil {
		if err := raw.AfterSeed(ctx); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	into, err := b.copyLog(raw)
	if err != nil {
		return err
	}
	if err := b.appends(raw, into); err != nil {
		return err
	}
	// The copy is not needed again: give its disk back, and keep it out of
	// the disk figure.
	if err := raw.Reset(ctx); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if raw.AfterSeed != nil {
		if err := raw.AfterSeed(ctx); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	rawRead, err := b.reads(raw)
	if err != nil {
		return err
	}
	if err := b.rebuild(rawRead); err != nil {
		return err
	}
	if err := b.serve(); err != nil {
		return err
	}
	b.report.DiskBytes = b.disk()
	return nil
}

// fill generates the history into an empty store, or checks that a
// non-empty one was generated.
func (b *bench) fill(events int, seed uint64) error {
	ctx := b.ctx
	first, err := b.store.ReadAll(ctx, 0, 1)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if len(first) > 0 {
		if first[0].Metadata.Actor.TokenID != generate.ActorToken {
			return errors.New("bench: the store holds events that `acv generate` did not write; bench writes to the store, so run it on a scratch database")
		}
		n, err := eventstorebench.DrainAll(ctx, b.store, 10_000)
		b.report.Events = int64(n)
		return err
	}
	opts := generate.Options{Seed: seed, Scale: float64(events) / generate.EventsAtScale1, Regimes: regimes(),
		Progress: func(s generate.Stats) {
			b.log.Info("bench: generating", "through", s.Through.String(), "events", s.Events)
		}}
	var stats generate.Stats
	f, err := b.measure(func() error {
		var err error
		stats, err = generate.Run(ctx, b.store, opts)
		return err
	})
	if err != nil {
		return err
	}
	secs := f.Value
	f.Name, f.Unit, f.Value = fmt.Sprintf("generate: domain commands + batch append (%.1f events/call)", float64(stats.Events)/float64(stats.Appends)),
		"events/s", float64(stats.Events)/secs
	b.add(f)
	b.report.Events, b.report.Generated = stats.Events, true
	return nil
}

// baseline creates the backend's raw baseline on the same database.
func (b *bench) baseline() (eventstorebench.Baseline, error) {
	if pg, ok := b.store.(*postgres.Store); ok {
		return eventstorebench.Postgres(b.ctx, pg)
	}
	return eventstorebench.SQLite(b.ctx, b.c.SQLitePath())
}

// copyLog fills raw_events with a copy of the log, unless --raw-copy or
// the free disk forbids it, and returns what the raw appends insert into,
// for the baselines' names: "" for the copy, ", empty table" without it.
// The copy's time goes to the log only: it is preparation, not a figure.
func (b *bench) copyLog(raw eventstorebench.Baseline) (string, error) {
	const empty = ", empty table"
	switch {
	case raw.CopyLog == nil:
		return empty, nil
	case b.rawCopy == rawCopyNever:
		b.log.Info("bench: the raw appends insert into an empty table (--raw-copy=never)")
		return empty, nil
	case b.rawCopy == rawCopyAuto:
		need, free, err := raw.Room(b.ctx)
		if err != nil {
			return "", fmt.Errorf("bench: %w", err)
		}
		// Room to spare for other work on the disk: a tenth more, and 1 GiB.
		if want := need + need/10 + 1<<30; free < want {
			reason := "the free disk space of the database cannot be known from here"
			if free != eventstorebench.FreeUnknown {
				reason = fmt.Sprintf("the disk has %.1f GiB free, and the copy wants %.1f GiB", float64(free)/(1<<30), float64(want)/(1<<30))
			}
			b.log.Warn("bench: the raw appends insert into an empty table, not a copy of the log: "+reason+
				"; --raw-copy=always copies anyway", "need_bytes", need, "free_bytes", free)
			return empty, nil
		}
	}
	start := time.Now()
	n, err := raw.CopyLog(b.ctx)
	if err != nil {
		return "", fmt.Errorf("bench: %w", err)
	}
	b.log.Info("bench: copied the log into raw_events for the raw appends", "rows", n, "seconds", time.Since(start).Seconds())
	return "", nil
}

// appends: one event a call and 100 events a call, each by
// [eventstorebench]-style concurrent writers into new streams, beside the
// raw INSERT (and COPY on PostgreSQL) into raw_events; into names what
// raw_events holds (see copyLog). The loads of each figure alternate (see
// [bench.alternate]), so that neither side is always the one measured
// first after the copy of the log, and each load first warms its own
// table, its heap and its indexes, where the baseline can ([eventstorebench.Baseline.Warm]).
func (b *bench) appends(raw eventstorebench.Baseline, into string) error {
	ctx := b.ctx
	// At most 10,000 single and 20,000 batched events go into the log.
	const writers, batch, singles, batches = 8, 100, 10_000, 200
	stream := func() string { return "bench-" + uuid.NewString() }
	warm := func(table string) func() error {
		if raw.Warm == nil {
			return nil
		}
		return func() error { return raw.Warm(ctx, table) }
	}
	store := func(n int) appendLoad {
		return appendLoad{warm: warm(eventstorebench.LogTable), call: func() error {
			_, err := b.store.Append(ctx, stream(), eventstore.NoStream, eventstorebench.Events(n))
			return err
		}}
	}
	rs, err := b.alternate(writers, singles, []appendLoad{
		store(1),
		{warm: warm(eventstorebench.RawTable), call: func() error { return raw.InsertOne(ctx, stream(), eventstorebench.Events(1)[0]) }},
	})
	if err != nil {
		return fmt.Errorf("bench: append: %w", err)
	}
	b.add(pair("append 1 event/call, 8 writers", "events/s", rs[0], "raw INSERT"+into, rs[1], 1))

	names := make([]string, 0, len(raw.InsertBatch))
	for name := range raw.InsertBatch {
		names = append(names, name)
	}
	slices.Sort(names)
	loads := []appendLoad{store(batch)}
	for _, name := range names {
		insert := raw.InsertBatch[name]
		loads = append(loads, appendLoad{warm: warm(eventstorebench.RawTable),
			call: func() error { return insert(ctx, stream(), eventstorebench.Events(batch)) }})
	}
	rs, err = b.alternate(writers, batches, loads)
	if err != nil {
		return fmt.Errorf("bench: append batch: %w", err)
	}
	for i, name := range names {
		b.add(pair("append 100 events/call, 8 writers", "events/s", rs[0], map[string]string{"raw-insert": "raw multi-row INSERT", "raw-copy": "raw COPY"}[name]+into, rs[i+1], batch))
	}
	return nil
}

// appendLoad is one side of an append figure: the call its writers make,
// and what runs, unmeasured, before each of its loads (nil: nothing).
type appendLoad struct {
	call func() error
	warm func() error
}

// alternate measures loads, the store's first and its baselines after it,
// each by n concurrent writers making at most maxOps calls in all. Each
// first runs unmeasured for a tenth of the calls, then the rest in two
// rounds of half each, in the given order and then in reverse: the first
// load after the copy of the log, and the second after the warm-up, ran
// slower than the same load later, whichever side it was, and in one
// fixed order that cost fell on the store every time. Every load, the
// unmeasured included, starts with its warm. Each result sums its two
// rounds.
func (b *bench) alternate(n, maxOps int, loads []appendLoad) ([]loadResult, error) {
	unmeasured, half := max(maxOps/10, 1), max((maxOps-maxOps/10)/2, 1)
	run := func(l appendLoad, calls int, d time.Duration) (loadResult, error) {
		if l.warm != nil {
			if err := l.warm(); err != nil {
				return loadResult{}, err
			}
		}
		return b.load(n, calls, d, l.call)
	}
	for _, l := range loads {
		if _, err := run(l, unmeasured, b.d/10); err != nil {
			return nil, err
		}
	}
	out := make([]loadResult, len(loads))
	for round := range 2 {
		for j := range loads {
			i := j
			if round == 1 {
				i = len(loads) - 1 - j
			}
			r, err := run(loads[i], half, b.d/2)
			if err != nil {
				return nil, err
			}
			out[i] = out[i].merge(r)
		}
	}
	return out, nil
}

// reads: the whole log through ReadAll in pages of 10,000, beside one
// sequential SELECT. It returns the raw read's time, the rebuild's baseline.
// The first read after the appends ran slower than those after it,
// whichever side it was (the store's at 10^6: 6.2 s, then 5.2 and 4.7 s),
// and bench used to take it for the store's figure: so one read runs
// unmeasured first, then each side twice, store, raw, raw, store, and each
// figure is the mean of its two.
func (b *bench) reads(raw eventstorebench.Baseline) (float64, error) {
	var n int
	read := func() error {
		var err error
		n, err = eventstorebench.DrainAll(b.ctx, b.store, 10_000)
		return err
	}
	rawRead := func() error {
		_, err := raw.ReadAll(b.ctx)
		return err
	}
	if err := read(); err != nil {
		return 0, fmt.Errorf("bench: read: %w", err)
	}
	var store, base Figure
	for _, side := range []struct {
		name string
		op   func() error
		sum  *Figure
	}{{"read", read, &store}, {"raw read", rawRead, &base}, {"raw read", rawRead, &base}, {"read", read, &store}} {
		f, err := b.measure(side.op)
		if err != nil {
			return 0, fmt.Errorf("bench: %s: %w", side.name, err)
		}
		side.sum.Value += f.Value / 2
		side.sum.PeakMiB = max(side.sum.PeakMiB, f.PeakMiB)
	}
	f := Figure{Name: fmt.Sprintf("read the whole log (%d events)", n), Unit: "s", Value: store.Value, Baseline: "raw sequential SELECT",
		BaseValue: base.Value, Ratio: base.Value / store.Value, PeakMiB: store.PeakMiB}
	b.add(f)
	return base.Value, nil
}

// rebuild rebuilds every read model, beside the raw read of the log.
func (b *bench) rebuild(rawRead float64) error {
	dbs, err := openReadModels(b.ctx, b.c, b.store)
	if err != nil {
		return err
	}
	defer dbs.Close()
	db, state := dbs.read, dbs.state
	if err := projections.NewProjector(b.store, db, regimes(), b.log).Migrate(b.ctx); err != nil {
		return err
	}
	var (
		end    int64
		phases projections.Phases
	)
	f, err := b.measure(func() error {
		var err error
		end, phases, err = rebuildReadModels(b.ctx, b.store, db, nil)
		return err
	})
	if err != nil {
		return fmt.Errorf("bench: rebuild: %w", err)
	}
	b.log.Info("bench: rebuild phases", "phases", phases.String())
	// The generator raised every clock event due by its last day, so the
	// statutory clock's first pass over the history would only schedule
	// what is still running, and a scratch store has no webhook
	// subscriptions for the outbox to match: on it both start where the
	// rebuilt read models do, and the server below starts at rest. (Their
	// first pass over a large log is a cost of its own: see
	// docs/performance.md.)
	if err := messaging.Migrate(b.ctx, state.SQL, state.Dialect); err != nil {
		return err
	}
	if err := messaging.InTx(b.ctx, state.SQL, state.Dialect, "acv-bench", func(tx *sql.Tx) error {
		for _, name := range skippedConsumers {
			if _, err := messaging.LockOffset(b.ctx, tx, state.Dialect, name); err != nil {
				return err
			}
			if err := messaging.SetOffset(b.ctx, tx, state.Dialect, name, end); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return fmt.Errorf("bench: clock offset: %w", err)
	}
	f.Name, f.Unit, f.Baseline, f.BaseValue, f.Ratio = "rebuild every read model", "s", "raw sequential SELECT", rawRead, rawRead/f.Value
	b.add(f)
	return nil
}

// skippedConsumers are the consumer groups bench starts at the end of the
// log; the read models' is set there by the rebuild.
var skippedConsumers = []string{clock.ConsumerName, webhooks.ConsumerName}

// measure runs op once and returns its time in seconds as Value, with the
// peak of the process's memory while it ran.
func (b *bench) measure(op func() error) (Figure, error) {
	stop := peakMemory()
	start := time.Now()
	err := op()
	elapsed := time.Since(start)
	return Figure{Value: elapsed.Seconds(), PeakMiB: stop()}, err
}

// loadResult is what a concurrent load measured.
type loadResult struct {
	ops      float64 // successful calls a second
	p50, p99 time.Duration
	peak     float64
	lats     []time.Duration // of the successful calls, sorted
	secs     float64         // the load's wall time
}

// merge is r and s as one load: their calls over their summed time.
func (r loadResult) merge(s loadResult) loadResult {
	m := loadResult{lats: slices.Concat(r.lats, s.lats), secs: r.secs + s.secs, peak: max(r.peak, s.peak)}
	slices.Sort(m.lats)
	if m.secs > 0 {
		m.ops = float64(len(m.lats)) / m.secs
	}
	if len(m.lats) > 0 {
		m.p50, m.p99 = m.lats[len(m.lats)/2], m.lats[len(m.lats)*99/100]
	}
	return m
}

// load calls op from n goroutines for at most d, at most maxOps times in
// all.
func (b *bench) load(n, maxOps int, d time.Duration, op func() error) (loadResult, error) {
	stop := peakMemory()
	ctx, cancel := context.WithTimeout(b.ctx, d)
	defer cancel()
	var (
		mu    sync.Mutex
		lats  []time.Duration
		count atomic.Int64 // calls started
		done  atomic.Int64 // calls that succeeded
		first error
		wg    sync.WaitGroup
	)
	start := time.Now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for ctx.Err() == nil && count.Add(1) <= int64(maxOps) {
				t := time.Now()
				if err := op(); err != nil {
					if ctx.Err() == nil {
						mu.Lock()
						first = cmpOr(first, err)
						mu.Unlock()
					}
					break
				}
				mine = append(mine, time.Since(t))
				done.Add(1)
			}
			mu.Lock()
			lats = append(lats, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if first != nil {
		return loadResult{}, first
	}
	return loadResult{peak: stop()}.merge(loadResult{lats: lats, secs: elapsed.Seconds()}), nil
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// pair makes a throughput figure: calls a second times per events a call.
func pair(name, unit string, store loadResult, baseName string, base loadResult, per float64) Figure {
	f := Figure{Name: name, Unit: unit, Value: store.ops * per, Baseline: baseName, BaseValue: base.ops * per,
		P50ms: ms(store.p50), P99ms: ms(store.p99), PeakMiB: max(store.peak, base.peak)}
	if f.BaseValue > 0 {
		f.Ratio = f.Value / f.BaseValue
	}
	return f
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// peakMemory samples the Go heap (the bytes of allocated objects, live or
// not yet collected) after a collection, until the returned func is
// called, which reports the peak in MiB. It is the whole process's: the
// bench, and the server when one runs in it. The database server's own
// memory is not in it.
func peakMemory() func() float64 {
	runtime.GC()
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak atomic.Uint64
	read := func() {
		metrics.Read(samples)
		if v := samples[0].Value.Uint64(); v > peak.Load() {
			peak.Store(v)
		}
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			read()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() float64 {
		close(done)
		<-stopped
		read()
		return float64(peak.Load()) / (1 << 20)
	}
}

// loadAvg returns the first three fields of /proc/loadavg, or "" where
// there is none.
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	return strings.Join(strings.Fields(string(data))[:3], " ")
}

// disk returns the bytes the store takes: the SQLite files (the log and the
// state) with their WALs, or the PostgreSQL database.
func (b *bench) disk() int64 {
	if pg, ok := b.store.(*postgres.Store); ok {
		var n int64
		if err := pg.Pool().QueryRow(b.ctx, `SELECT pg_database_size(current_database())`).Scan(&n); err != nil {
			return 0
		}
		return n
	}
	var n int64
	paths := []string{b.c.SQLitePath(), b.c.StatePath()}
	if rm, err := filepath.EvalSymlinks(b.c.ReadModelsPath()); err == nil {
		paths = append(paths, rm) // the read models' current file
	}
	for _, path := range paths {
		for _, suffix := range []string{"", "-wal"} {
			if st, err := os.Stat(path + suffix); err == nil {
				n += st.Size()
			}
		}
	}
	return n
}

// print writes the table.
func (b *bench) print(w io.Writer) {
	r := b.report
	fmt.Fprintf(w, "acv bench: %s, %d events in the log (generated: %v), %d CPUs, load average %s before and %s after, %s in all, disk %.1f MiB\n\n",
		r.Backend, r.Events, r.Generated, r.CPUs, r.LoadBefore, r.LoadAfter, time.Duration(r.Seconds*float64(time.Second)).Round(time.Second), float64(r.DiskBytes)/(1<<20))
	fmt.Fprintf(w, "%-66s %16s  %-33s %16s %7s %9s %9s %9s\n", "figure", "value", "baseline", "baseline value", "ratio", "p50 ms", "p99 ms", "peak MiB")
	num := func(v float64, unit string) string {
		if unit == "s" {
			return fmt.Sprintf("%.3f s", v)
		}
		if unit == "ms" {
			return fmt.Sprintf("%.2f ms", v)
		}
		return fmt.Sprintf("%.0f %s", v, unit)
	}
	opt := func(v float64, format string) string {
		if v == 0 {
			return ""
		}
		return fmt.Sprintf(format, v)
	}
	for _, f := range r.Figures {
		base := ""
		if f.Baseline != "" {
			base = num(f.BaseValue, f.Unit)
			if strings.HasPrefix(f.Baseline, "/healthz") {
				base = num(f.BaseValue, "req/s")
			}
		}
		fmt.Fprintf(w, "%-66s %16s  %-33s %16s %7s %9s %9s %9.0f\n", f.Name, num(f.Value, f.Unit), f.Baseline, base,
			opt(f.Ratio, "%.2f"), opt(f.P50ms, "%.2f"), opt(f.P99ms, "%.2f"), f.PeakMiB)
	}
}

// serveArgs are the flags that point `acv serve` at the bench's store.
func (b *bench) serveArgs() []string {
	args := []string{"serve", "--addr", "127.0.0.1:0", "--admin-token", benchAdminToken, "--write-rate-token", "off", "--write-rate-address", "off", "--log-level", "error", "--data-dir", b.c.DataDir}
	if b.c.DatabaseURL != "" {
		args = append(args, "--database-url", b.c.DatabaseURL)
	}
	return args
}

// startServe runs the real `acv serve` through run and returns its base
// URL and a func that stops it.
func (b *bench) startServe() (string, func() error, error) {
	ctx, cancel := context.WithCancel(b.ctx)
	out, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, b.serveArgs(), b.getenv, w, io.Discard)
		w.Close()
	}()
	stop := sync.OnceValue(func() error { cancel(); return <-done })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cancel()
		return "", nil, fmt.Errorf("bench: serve printed no address: %v (%v)", err, <-done)
	}
	go io.Copy(io.Discard, out)
	return strings.TrimSpace(strings.TrimPrefix(line, "acv: serving on ")), stop, nil
}

// caughtUp waits until every consumer of the log (the read models, the
// clock's schedule, the webhooks' outbox) has handled everything appended, and nothing new has
// been appended for a second: the server is then at rest.
func (b *bench) caughtUp(dbs databases) error {
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Minute)
	defer cancel()
	quiet := 0
	for prev := int64(-1); ; {
		last, err := b.store.LastPosition(ctx)
		if err != nil {
			return err
		}
		covered := true
		for _, name := range append([]string{projections.ConsumerName}, skippedConsumers...) {
			db := dbs.state
			if name == projections.ConsumerName {
				db = dbs.read
			}
			off, err := messaging.Offset(ctx, db.SQL, db.Dialect, name)
			if err != nil {
				return err
			}
			ok, err := b.store.Covers(ctx, off, last)
			if err != nil && !errors.Is(err, eventstore.ErrUnknownPosition) {
				return err
			}
			covered = covered && ok
		}
		if covered && last == prev {
			quiet++
		} else {
			quiet = 0
		}
		if quiet >= 2 {
			return nil
		}
		prev = last
		select {
		case <-ctx.Done():
			return fmt.Errorf("bench: the consumers did not catch up: %w", ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// today is the day the queries ask about.
func today() domain.Date { return domain.DateOf(time.Now()) }

// serve measures the queries and the lag through the real `acv serve`.
func (b *bench) serve() error {
	ctx := b.ctx
	dbs, err := openReadModels(b.ctx, b.c, b.store)
	if err != nil {
		return err
	}
	defer dbs.Close()
	started := time.Now()
	stopMem := peakMemory()
	base, stop, err := b.startServe()
	if err != nil {
		return err
	}
	defer stop()
	if err := b.caughtUp(dbs); err != nil {
		return err
	}
	b.add(Figure{Name: "serve: start until every consumer has caught up", Unit: "s", Value: time.Since(started).Seconds(), PeakMiB: stopMem()})

	// The lag first, on a server at rest.
	if err := b.lag(base); err != nil {
		return err
	}

	// The busiest council's register and the oldest asset's timeline.
	q := &projections.Queries{DB: dbs.read, Log: b.store, Regimes: regimes()}
	councils, err := q.Councils(ctx, today())
	if err != nil {
		return fmt.Errorf("bench: councils: %w", err)
	}
	if len(councils) == 0 {
		return errors.New("bench: no council has a register")
	}
	busiest := slices.MaxFunc(councils, func(a, b projections.CouncilStats) int { return a.Listed - b.Listed })
	first, err := b.store.ReadAll(ctx, 0, 1)
	if err != nil || len(first) == 0 {
		return fmt.Errorf("bench: first event: %v", err)
	}
	asset, _ := projections.AssetID(first[0].Stream)
	// That asset's postcode, its outward code and a box of about 1 km
	// around its point: filters that match a handful of entries.
	row, err := q.Asset(ctx, asset)
	if err != nil {
		return fmt.Errorf("bench: asset %s: %w", asset, err)
	}
	postcode, outward := url.QueryEscape(row.Postcode), url.QueryEscape(strings.Fields(row.Postcode + " ")[0])
	bbox := "-2.0,53.0,-1.99,53.01"
	if p := row.Point; p != nil {
		bbox = fmt.Sprintf("%.5f,%.5f,%.5f,%.5f", p.Lon-0.007, p.Lat-0.0045, p.Lon+0.007, p.Lat+0.0045)
	}

	stopMem = peakMemory()
	floor, err := loadtest.Run(ctx, base+"/healthz", b.conns, b.d)
	if err != nil {
		return fmt.Errorf("bench: /healthz: %w", err)
	}
	floorMem := stopMem()
	reg := "/v1/councils/" + busiest.Council + "/register"
	for _, route := range []struct {
		name, path string
		conns      int
	}{
		{"GET /healthz (the HTTP floor)", "/healthz", b.conns},
		{fmt.Sprintf("GET a council register (%d listed), cached", busiest.Listed), reg, b.conns},
		{"GET a council register, uncached", reg + "?min_position=1", b.conns},
		{"GET an asset timeline, uncached", "/v1/assets/" + asset + "/timeline?min_position=1", b.conns},
		{"GET a council register as of 2019-06-30, uncached", reg + "?as_of=2019-06-30&min_position=1", b.conns},
		// The national text search, on few connections: when it scanned
		// the register (before its trigram index, see
		// docs/performance.md) more would not finish inside the server's
		// write timeout, and the figures stay comparable with those.
		{"GET the national search q=red lion, uncached", "/v1/register?q=red+lion&min_position=1", min(4, b.conns)},
		// One connection: the latency of one request alone, without the
		// queue 64 connections make on 2 cores.
		{"GET a council register, uncached", reg + "?min_position=1", 1},
		{"GET a council register as of 2019-06-30, uncached", reg + "?as_of=2019-06-30&min_position=1", 1},
		{"GET the national search q=red lion, uncached", "/v1/register?q=red+lion&min_position=1", 1},
		{"GET the national search q=ro (too short for a trigram), uncached", "/v1/register?q=ro&min_position=1", 1},
		{"GET the national register by postcode, uncached", "/v1/register?postcode=" + postcode + "&min_position=1", 1},
		{"GET the national register by outward code, uncached", "/v1/register?postcode=" + outward + "&min_position=1", 1},
		{"GET the national register in a 1 km box, uncached", "/v1/register?bbox=" + bbox + "&min_position=1", 1},
		{"GET the national statistics, uncached", "/v1/stats?min_position=1", 1},
	} {
		r, peak := floor, floorMem
		if route.path != "/healthz" {
			stopMem := peakMemory()
			if r, err = loadtest.Run(ctx, base+route.path, route.conns, b.d); err != nil {
				return fmt.Errorf("bench: %s: %w", route.path, err)
			}
			peak = stopMem()
			if r.Errors > 0 {
				b.log.Warn("bench: requests failed", "path", route.path, "errors", r.Errors, "requests", r.Requests)
			}
		}
		name := route.name + fmt.Sprintf(", %d conns", route.conns)
		if r.Errors > 0 {
			name += fmt.Sprintf(" (%d of %d failed)", r.Errors, r.Requests)
		}
		b.add(Figure{Name: name, Value: r.Throughput, Unit: "req/s", Baseline: "/healthz",
			BaseValue: floor.Throughput, Ratio: r.Throughput / floor.Throughput, P50ms: ms(r.P50), P99ms: ms(r.P99), PeakMiB: peak})
	}
	if err := stop(); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("bench: serve: %w", err)
	}
	return nil
}

// lag writes nominations over HTTP one at a time and reads each back with
// ?min_position=, which answers once the read models hold the row: the
// time from the write's 201 to that answer is what a client waits.
func (b *bench) lag(base string) error {
	const writes = 200
	stopMem := peakMemory()
	client := &http.Client{Timeout: 30 * time.Second}
	var lags []time.Duration
	for i := 0; i < writes; i++ {
		body, _ := json.Marshal(map[string]any{
			"nominator": map[string]any{"id": "org-bench", "name": "Bench Testers", "kind": "charity", "local_connection": true},
			"land":      map[string]any{"name": fmt.Sprintf("Bench Hall %d", i), "description": "a hall", "boundaries": "the hall", "use": "non_residential"},
			"reasons":   "used weekly", "evidence": "charity number",
		})
		req, _ := http.NewRequestWithContext(b.ctx, http.MethodPost, base+"/v1/councils/E07000228/nominations", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+benchAdminToken)
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("bench: lag: %w", err)
		}
		var ans struct {
			AssetID  string `json:"asset_id"`
			Position int64  `json:"position"`
		}
		json.NewDecoder(resp.Body).Decode(&ans)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("bench: lag: POST a nomination: %s", resp.Status)
		}
		acked := time.Now()
		resp, err = client.Get(fmt.Sprintf("%s/v1/assets/%s?min_position=%d", base, ans.AssetID, ans.Position))
		if err != nil {
			return fmt.Errorf("bench: lag: %w", err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("bench: lag: GET after the write: %s", resp.Status)
		}
		lags = append(lags, time.Since(acked))
	}
	slices.Sort(lags)
	b.add(Figure{Name: fmt.Sprintf("acknowledged write -> its projection row (%d writes)", writes), Unit: "ms",
		Value: ms(lags[len(lags)*99/100]), Baseline: "target p99", BaseValue: 100, Ratio: 100 / max(ms(lags[len(lags)*99/100]), 0.001),
		P50ms: ms(lags[len(lags)/2]), P99ms: ms(lags[len(lags)*99/100]), PeakMiB: stopMem()})
	return nil
}
