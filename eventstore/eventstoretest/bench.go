package eventstoretest

import (
	"context"
	"os"
	"runtime"
	"sort"
	"strconv"
	"testing"

	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/eventstorebench"
	"github.com/google/uuid"
)

// Baseline is a backend's raw counterpart of each benchmarked operation;
// see [eventstorebench.Baseline], which both backends' benchmarks and
// `acv bench` build.
type Baseline = eventstorebench.Baseline

// Writers is how many goroutines append at once in BenchAppendSingle.
const Writers = 8

func writers(b *testing.B) {
	b.SetParallelism(max(1, Writers/runtime.GOMAXPROCS(0)))
}

func newStream() string { return "asset-" + uuid.NewString() }

// BenchAppendSingle: one event per call into a new stream, by [Writers]
// concurrent writers.
func BenchAppendSingle(b *testing.B, s eventstore.Store, raw Baseline) {
	ctx := context.Background()
	for _, bm := range []struct {
		name string
		op   func() error
	}{
		{"store", func() error { _, err := s.Append(ctx, newStream(), eventstore.NoStream, Events(1)); return err }},
		{"raw", func() error { return raw.InsertOne(ctx, newStream(), Events(1)[0]) }},
	} {
		b.Run(bm.name, func(b *testing.B) {
			writers(b)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := bm.op(); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchAppendBatch: n events per call into a new stream, one writer.
func BenchAppendBatch(b *testing.B, s eventstore.Store, raw Baseline, n int) {
	ctx := context.Background()
	names := make([]string, 0, len(raw.InsertBatch))
	for name := range raw.InsertBatch {
		names = append(names, name)
	}
	sort.Strings(names)
	run := func(name string, op func(stream string, es []eventstore.NewEvent) error) {
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if err := op(newStream(), Events(n)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "events/s")
		})
	}
	run("store", func(stream string, es []eventstore.NewEvent) error {
		_, err := s.Append(ctx, stream, eventstore.NoStream, es)
		return err
	})
	for _, name := range names {
		insert := raw.InsertBatch[name]
		run(name, func(stream string, es []eventstore.NewEvent) error { return insert(ctx, stream, es) })
	}
}

// BenchEvents is the size of the log BenchReadAll reads: ACV_BENCH_EVENTS,
// default 1,000,000.
func BenchEvents() int {
	if v, err := strconv.Atoi(os.Getenv("ACV_BENCH_EVENTS")); err == nil && v > 0 {
		return v
	}
	return 1_000_000
}

// BenchReadAll seeds s with [BenchEvents] events, then reads them all
// through ReadAll in pages of 10,000, and by the raw baseline.
func BenchReadAll(b *testing.B, s eventstore.Store, raw Baseline) {
	ctx := context.Background()
	total := BenchEvents()
	if err := Seed(ctx, s, total); err != nil {
		b.Fatal(err)
	}
	if raw.AfterSeed != nil {
		if err := raw.AfterSeed(ctx); err != nil {
			b.Fatal(err)
		}
	}
	for _, bm := range []struct {
		name string
		read func() (int, error)
	}{
		{"store", func() (int, error) { return DrainAll(ctx, s, 10_000) }},
		{"raw", func() (int, error) { return raw.ReadAll(ctx) }},
	} {
		b.Run(bm.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				n, err := bm.read()
				if err != nil || n != total {
					b.Fatalf("read %d events (%v), want %d", n, err, total)
				}
			}
			b.ReportMetric(float64(b.N*total)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
