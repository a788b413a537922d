package projections_test

import (
	"context"
	"database/sql"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/internal/demo"
	"github.com/acv-registry/acv/projections"
	"github.com/google/uuid"
)

// benchEvents is the log size of BenchmarkRebuild: ACV_BENCH_EVENTS,
// default 1,000,000.
func benchEvents() int64 {
	if v, err := strconv.ParseInt(os.Getenv("ACV_BENCH_EVENTS"), 10, 64); err == nil && v > 0 {
		return v
	}
	return 1_000_000
}

// seed fills the log with copies of the demo registry (a dozen assets
// across the lifecycle, each written in one append) until it holds n events.
func seed(b *testing.B, st stack, n int64) {
	b.Helper()
	ctx := context.Background()
	assets := eventstore.NewAssets(st.store, domain.DefaultRegimes(), uuid.New)
	today := domain.DateOf(time.Now())
	for {
		last, err := st.store.LastPosition(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if last >= n {
			return
		}
		if err := demo.Seed(ctx, assets, today, uuid.NewString); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRebuild rebuilds every read model from a log of benchEvents
// events, beside a raw sequential read of the same log (one SELECT of
// every column of every event, in position order): ratio = raw ÷ rebuild.
func BenchmarkRebuild(b *testing.B) {
	for _, backend := range []struct {
		name string
		open func(testing.TB) stack
	}{{"sqlite", sqliteStack}, {"postgres", postgresStack}} {
		b.Run(backend.name, func(b *testing.B) {
			st := backend.open(b)
			seed(b, st, benchEvents())
			ctx := context.Background()
			if err := projections.NewProjector(st.store, st.db, domain.DefaultRegimes(), nil).Migrate(ctx); err != nil {
				b.Fatal(err)
			}
			b.Run("rebuild", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if _, err := projections.Rebuild(ctx, st.store, st.db, domain.DefaultRegimes(), nil); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("raw-read", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					rows, err := st.db.SQL.QueryContext(ctx, `SELECT * FROM events ORDER BY position`)
					if err != nil {
						b.Fatal(err)
					}
					cols, _ := rows.Columns()
					vals := make([]sql.RawBytes, len(cols))
					ptrs := make([]any, len(cols))
					for i := range vals {
						ptrs[i] = &vals[i]
					}
					n := 0
					for rows.Next() {
						if err := rows.Scan(ptrs...); err != nil {
							b.Fatal(err)
						}
						n++
					}
					rows.Close()
					if n == 0 {
						b.Fatal("empty log")
					}
				}
			})
		})
	}
}

// BenchmarkStatsOfDataDir times Queries.Stats on the SQLite store of
// ACV_BENCH_DATA_DIR (an `acv generate` data directory whose read models
// are built, e.g. by `acv rebuild`), on a day in 2026. It skips without.
func BenchmarkStatsOfDataDir(b *testing.B) {
	dir := os.Getenv("ACV_BENCH_DATA_DIR")
	if dir == "" {
		b.Skip("ACV_BENCH_DATA_DIR is not set")
	}
	db, err := sql.Open("sqlite", "file:"+dir+"/acv.db?_pragma=journal_mode(WAL)&_pragma=busy_timeout(60000)&mode=ro")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	q := &projections.Queries{DB: projections.DB{SQL: db, Dialect: projections.SQLite}}
	ctx := context.Background()
	for b.Loop() {
		if _, err := q.Stats(ctx, domain.NewDate(2026, 6, 30)); err != nil {
			b.Fatal(err)
		}
	}
}
