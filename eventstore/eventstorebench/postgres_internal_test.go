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

// The warm-up before the appends reads each index of the log whole: one
// index-only scan of every index, each a different one.
func TestWarmStatementsScanEveryIndex(t *testing.T) {
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
	var scanned []string
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, warmSettings); err != nil {
			return err
		}
		for _, q := range stmts {
			var plan strings.Builder
			rows, err := tx.Query(ctx, `EXPLAIN `+q)
			if err != nil {
				return err
			}
			lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return err
			}
			for _, l := range lines {
				plan.WriteString(l + "\n")
			}
			_, rest, ok := strings.Cut(plan.String(), "Index Only Scan using ")
			if !ok {
				t.Errorf("%s: not an index-only scan:\n%s", q, plan.String())
				continue
			}
			scanned = append(scanned, strings.Fields(rest)[0])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(scanned)
	if !slices.Equal(scanned, want) {
		t.Errorf("the warm-up scans %v, want every index of events once: %v", scanned, want)
	}
}
