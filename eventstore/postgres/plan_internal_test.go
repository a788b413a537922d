package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/acv-registry/acv/internal/generate"
	"github.com/acv-registry/acv/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

// TestReadStreamsPlan: a page of ReadStreams walks the (stream_id,
// version) index from its cursor, in custom and generic plans. Left to
// itself, on a national log the planner reads everything up to upTo by
// events_tx_position and sorts it, for every page: a rebuild would grow
// with the square of the log.
func TestReadStreamsPlan(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, pgtest.DSN(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := generate.Run(ctx, s, generate.Options{Seed: 2, Scale: 0.3}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `ANALYZE events`); err != nil {
		t.Fatal(err)
	}
	upTo, err := s.Horizon(ctx)
	if err != nil {
		t.Fatal(err)
	}
	explain := func(tx pgx.Tx, generic bool) string {
		t.Helper()
		mode := "force_custom_plan"
		if generic {
			mode = "force_generic_plan"
		}
		if _, err := tx.Exec(ctx, `SET LOCAL plan_cache_mode = `+mode); err != nil {
			t.Fatal(err)
		}
		rows, err := tx.Query(ctx, `EXPLAIN `+readStreamsSQL, upTo, "asset-4", int64(1), 10_000)
		if err != nil {
			t.Fatal(err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(lines, "\n")
	}
	var plain string
	if err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		plain = explain(tx, false)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	t.Logf("left to the planner:\n%s", plain)
	for _, generic := range []bool{false, true} {
		var plan string
		if err := s.unsorted(ctx, func(tx pgx.Tx) error {
			plan = explain(tx, generic)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(plan, "Sort") || !strings.Contains(plan, "Index Scan using events_stream_id_version_key") {
			t.Errorf("generic %v: ReadStreams' page is not read in index order:\n%s", generic, plan)
		}
	}
}
