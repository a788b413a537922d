package projections_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/internal/demo"
	"github.com/acv-registry/acv/projections"
)

// TestProjectorFollowsUnderReadLoad: with 32 readers contending for the
// connections of a bounded pool (SQLite's read models keep a few a core,
// PostgreSQL's pool is bounded too) the projector still gets its turn and
// catches up, and no reader fails. A read path that held one connection
// while it waited for another would stall every reader and the projector
// once all the pool's connections were so held; each reader gives up
// after 30 s, and the test fails.
func TestProjectorFollowsUnderReadLoad(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st stack) {
		ctx := context.Background()
		migrateAndSeed(t, st)
		p := projections.NewProjector(st.store, st.db, domain.DefaultRegimes(), nil)
		drain(t, st, p, 50) // rows for the readers
		q := &projections.Queries{DB: st.db}
		today := domain.DateOf(time.Now())
		cs, err := q.Councils(ctx, today)
		if err != nil || len(cs) == 0 {
			t.Fatalf("councils: %v, %v", cs, err)
		}

		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		stop := make(chan struct{})
		var (
			wg     sync.WaitGroup
			reads  atomic.Int64
			failed atomic.Int64
			mu     sync.Mutex
			errs   []error
		)
		const readers = 32
		for i := range readers {
			wg.Go(func() {
				for n := 0; ; n++ {
					select {
					case <-stop:
						return
					default:
					}
					_, err := q.Register(rctx, projections.RegisterQuery{Council: cs[(i+n)%len(cs)].Council, Today: today})
					if err == nil && n%4 == 0 {
						_, err = q.Stats(rctx, today)
					}
					if err != nil {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
						failed.Add(1)
						return
					}
					reads.Add(1)
				}
			})
		}
		// More of the log while they read, for the projector to follow.
		assets := eventstore.NewAssets(st.store, domain.DefaultRegimes(), uuid.New)
		if err := demo.Seed(ctx, assets, today, uuid.NewString); err != nil {
			t.Fatal(err)
		}
		last, err := st.store.LastPosition(ctx)
		if err != nil {
			t.Fatal(err)
		}
		drain(t, st, p, 3)
		// And some reads after, every reader at least a few on average.
		for after := reads.Load() + 10*readers; reads.Load() < after && rctx.Err() == nil && failed.Load() == 0; {
			time.Sleep(time.Millisecond)
		}
		close(stop)
		wg.Wait()
		if len(errs) > 0 {
			t.Errorf("%d of %d readers failed under load, the first: %v", len(errs), readers, errs[0])
		}
		if cp, err := q.Checkpoint(ctx); err != nil || cp != last {
			t.Errorf("checkpoint after following under read load = %d, %v; want %d", cp, err, last)
		}
	})
}
