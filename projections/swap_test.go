package projections

import (
	"context"
	"slices"
	"testing"
)

// The swap's transaction only renames; the set it replaces is dropped
// after it commits. A process that dies in between leaves that set under a
// rebuild's suffix, which the next rebuild's dropLeftovers clears, and the
// live set is the fresh one all along.
func TestSwapRetiresTheLiveSetThenDropsIt(t *testing.T) {
	forEachDialect(t, func(t *testing.T, db DB) {
		ctx := context.Background()
		mustReplace(t, db, fixture{id: "old", council: "E1", name: "Old", status: "listed"}.rows())
		fresh := func(suffix, id string) {
			t.Helper()
			if err := CreateTables(ctx, db.SQL, db.Dialect, suffix); err != nil {
				t.Fatal(err)
			}
			mustReplaceIn(t, db, Writer{Dialect: db.Dialect, Suffix: suffix}, fixture{id: id, council: "E1", name: id, status: "listed"}.rows())
		}
		live := func() []string {
			t.Helper()
			var ids []string
			rows, err := db.SQL.QueryContext(ctx, `SELECT asset_id FROM `+tableAssets+` ORDER BY asset_id`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, id)
			}
			return ids
		}

		// Died after the swap's commit, before the drop.
		fresh("_rnew1", "new1")
		retired := retiredSuffix("_rnew1")
		if err := renameIn(ctx, db, "_rnew1", retired, 7); err != nil {
			t.Fatalf("renameIn: %v", err)
		}
		if got := live(); !slices.Equal(got, []string{"new1"}) {
			t.Errorf("live assets after the swap = %v, want [new1]", got)
		}
		if got := rebuildSets(t, db); !slices.Equal(got, []string{retired}) {
			t.Errorf("sets left after the swap's transaction = %v, want the retired %s", got, retired)
		}
		if err := dropLeftovers(ctx, db); err != nil {
			t.Fatalf("dropLeftovers: %v", err)
		}
		if got := rebuildSets(t, db); len(got) != 0 {
			t.Errorf("sets left after dropLeftovers = %v, want none", got)
		}

		// The whole swap leaves only the live set, the fresh one.
		fresh("_rnew2", "new2")
		if err := swap(ctx, db, "_rnew2", 8); err != nil {
			t.Fatalf("swap: %v", err)
		}
		if got := rebuildSets(t, db); len(got) != 0 {
			t.Errorf("sets left after swap = %v, want none", got)
		}
		if got := live(); !slices.Equal(got, []string{"new2"}) {
			t.Errorf("live assets after the second swap = %v, want [new2]", got)
		}
		if cp, err := (&Queries{DB: db}).Checkpoint(ctx); err != nil || cp != 8 {
			t.Errorf("checkpoint = %d, %v; want 8", cp, err)
		}
	})
}

func TestRetiredSuffixIsARebuildsOwn(t *testing.T) {
	for _, s := range []string{"_r0", "_r1", "_rdnb2yiou50g5", "_r0abc"} {
		r := retiredSuffix(s)
		if r == s || checkSuffix(r) != nil || len(r) != len(s) || r[:2] != "_r" {
			t.Errorf("retiredSuffix(%q) = %q: want another rebuild suffix of its length", s, r)
		}
		if got := leftoverSuffixes([]string{tableAssets + r, tableSearch + r + "_data"}, tableNames(SQLite)); !slices.Equal(got, []string{r}) {
			t.Errorf("leftoverSuffixes of the retired set %q = %v", r, got)
		}
	}
}

// rebuildSets returns the suffixes of the rebuild sets (fresh or retired)
// in the database.
func rebuildSets(t *testing.T, db DB) []string {
	t.Helper()
	names, err := readModelTables(context.Background(), db.SQL, db.Dialect)
	if err != nil {
		t.Fatal(err)
	}
	return leftoverSuffixes(names, knownTables(db.Dialect))
}
