package eventstorebench

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/postgres"
	"github.com/acv-registry/acv/internal/pgtest"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// The warm-up before the appends reads the log whole: first its heap, by
// one sequential scan, then each index, by one index-only scan of every
// index, each a different one.
func TestWarmStatementsReadHeapAndEveryIndex(t *testing.T) {
	ctx := context.Background()
	s, err := postgres.Open(ctx, pgtest.DSN(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for range 20 {
		if _, err := s.Append(ctx, "asset-"+uuid.NewString(), eventstore.NoStream, Events(50)); err != nil {
			t.Fatal(err)
		}
	}
	pool := s.Pool()
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE events`); err != nil {
		t.Fatal(err)
	}
	stmts, err := warmStatements(ctx, pool, "events")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := pool.Query(ctx, `SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 'events'::regclass ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	want, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(want) < 4 {
		t.Fatalf("indexes of events = %v, %v", want, err)
	}
	var heap, scanned []string
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		for _, q := range stmts {
			if strings.HasPrefix(q, "SET ") {
				if _, err := tx.Exec(ctx, q); err != nil {
					return err
				}
				continue
			}
			rows, err := tx.Query(ctx, `EXPLAIN `+q)
			if err != nil {
				return err
			}
			lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return err
			}
			plan := strings.Join(lines, "\n")
			if _, rest, ok := strings.Cut(plan, "Seq Scan on "); ok && !strings.Contains(plan, "Index") {
				heap = append(heap, strings.Fields(rest)[0])
				continue
			}
			_, rest, ok := strings.Cut(plan, "Index Only Scan using ")
			if !ok {
				t.Errorf("%s: neither a sequential scan of the heap nor an index-only scan:\n%s", q, plan)
				continue
			}
			if len(heap) == 0 {
				t.Errorf("%s: an index is read before the heap; the heap's pages would push it out of the cache", q)
			}
			scanned = append(scanned, strings.Fields(rest)[0])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(heap, []string{"events"}) {
		t.Errorf("the warm-up scans the heaps %v, want events' once", heap)
	}
	slices.Sort(scanned)
	if !slices.Equal(scanned, want) {
		t.Errorf("the warm-up scans %v, want every index of events once: %v", scanned, want)
	}
}
