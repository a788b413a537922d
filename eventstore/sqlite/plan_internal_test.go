package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acv-registry/acv/internal/generate"
)

// TestReadAllKeysPlan: ReadAll reads the keys of a page as one range of the
// covering index personal_keys_position in the index's order, never a scan
// of personal_keys, a lookup per key or a sort, on a generated log with its
// statistics.
func TestReadAllKeysPlan(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "acv.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := generate.Run(ctx, s, generate.Options{Seed: 2, Scale: 0.02}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.write.ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	rows, err := s.read.QueryContext(ctx, `EXPLAIN QUERY PLAN `+readAllKeysSQL, 100)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var (
			id, parent, unused int
			detail             string
		)
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := "SEARCH personal_keys USING COVERING INDEX personal_keys_position (position>?)" // and no TEMP B-TREE FOR ORDER BY
	if len(plan) != 1 || plan[0] != want {
		t.Errorf("ReadAll's keys are read by\n%s\nwant %s", strings.Join(plan, "\n"), want)
	}
}
