package postgres

import (
	"context"
	"fmt"
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

// TestReadAllKeysPlan: the keys of a ReadAll page are one range of the
// covering index personal_keys_position, in custom and generic plans,
// never a scan of personal_keys or a lookup per key.
func TestReadAllKeysPlan(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, pgtest.DSN(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := generate.Run(ctx, s, generate.Options{Seed: 2, Scale: 0.1}); err != nil {
		t.Fatal(err)
	}
	// As autovacuum leaves a table that has been written to.
	if _, err := s.pool.Exec(ctx, `VACUUM ANALYZE personal_keys`); err != nil {
		t.Fatal(err)
	}
	var last int64
	if err := s.pool.QueryRow(ctx, `SELECT max(position) FROM events`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	for _, generic := range []bool{false, true} {
		mode := "force_custom_plan"
		if generic {
			mode = "force_generic_plan"
		}
		var plan string
		err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SET LOCAL plan_cache_mode = `+mode); err != nil {
				return err
			}
			// EXPLAIN EXECUTE shows the plan the mode chooses (EXPLAIN of a
			// query with parameters would plan it with their values), for a
			// page of a hundredth of the log, as 10,000 events are of 10^6.
			if _, err := tx.Exec(ctx, `PREPARE keys_page (bigint, bigint) AS `+readAllKeysSQL); err != nil {
				return err
			}
			rows, err := tx.Query(ctx, fmt.Sprintf(`EXPLAIN EXECUTE keys_page (%d, %d)`, last/2, last/2+last/100))
			if err != nil {
				return err
			}
			lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return err
			}
			plan = strings.Join(lines, "\n")
			_, err = tx.Exec(ctx, `DEALLOCATE keys_page`) // prepared statements outlive transactions
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("generic %v:\n%s", generic, plan)
		if !strings.Contains(plan, "Index Only Scan using personal_keys_position") || strings.Count(plan, "\n") > 1 {
			t.Errorf("generic %v: ReadAll's keys are not one range of personal_keys_position:\n%s", generic, plan)
		}
	}
}
