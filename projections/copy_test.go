package projections

import (
	"context"
	"math"
	"strings"
	"testing"
)

// TestCopyBinaryRoundTrips: rows copied into PostgreSQL in the binary
// format appendCopy writes read back as they were: text with tabs,
// newlines, backslashes, quotes and non-ASCII letters, empty text and
// NULL apart, BIGINT and INTEGER at their limits, doubles exactly, NULL
// coordinates.
func TestCopyBinaryRoundTrips(t *testing.T) {
	db := openDB(t, Postgres)
	ctx := context.Background()
	const suffix = "_copy"
	if err := CreateTablesWithoutIndexes(ctx, db.SQL, db.Dialect, suffix); err != nil {
		t.Fatal(err)
	}
	texts := []string{"plain", "", "tab\there", "line\nbreak\r\n", `back\slash \N`, `"quoted" 'too'`, "Café – Ŵ 🍺", strings.Repeat("long ", 5000)}
	ints := []int64{0, 1, -1, math.MaxInt64, math.MinInt64, 1 << 40}
	floats := []float64{0, -0.5, 51.975369, 0.903832, math.MaxFloat64, math.SmallestNonzeroFloat64, -179.999999999}
	for _, tb := range schema() {
		const rows = 23
		b := newBatch(tb, rows)
		want := make([][]any, rows)
		for r := range rows {
			for i, c := range tb.columns {
				v := &b.cols[i]
				null := v.null != nil && r%5 == 4
				if v.null != nil {
					v.null = append(v.null, null)
				}
				var w any
				switch {
				case v.i != nil && strings.HasPrefix(c.sqlType, "INTEGER"):
					n := int64(r%2) - int64(r%3) // -1, 0, 1
					v.i, w = append(v.i, n), n
				case v.i != nil:
					n := ints[(r+i)%len(ints)]
					v.i, w = append(v.i, n), n
				case v.f != nil:
					f := floats[(r+i)%len(floats)]
					v.f, w = append(v.f, f), f
				default:
					s := texts[(r+i)%len(texts)]
					if i == 0 {
						s = string(rune('a'+r)) + s // the key's first column: unique rows
					}
					v.s, w = append(v.s, s), s
				}
				if null {
					w = nil
				}
				want[r] = append(want[r], w)
			}
			b.end()
		}
		if err := inCopyTx(ctx, db, suffix, func(copy func(*batch) error) error { return copy(b) }); err != nil {
			t.Fatalf("%s: %v", tb.name, err)
		}
		got, err := db.SQL.QueryContext(ctx, `SELECT `+tb.columnNames()+` FROM `+tb.name+suffix+` ORDER BY `+strings.Join(tb.key, ", "))
		if err != nil {
			t.Fatal(err)
		}
		r := 0
		for got.Next() {
			vals := make([]any, len(tb.columns))
			ptrs := make([]any, len(vals))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := got.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				if n, ok := v.(int32); ok {
					v = int64(n)
				}
				if v != want[r][i] {
					t.Errorf("%s row %d column %s: read back %#v, copied %#v", tb.name, r, tb.columns[i].name, v, want[r][i])
				}
			}
			r++
		}
		if err := got.Err(); err != nil {
			t.Fatal(err)
		}
		got.Close()
		if r != rows {
			t.Errorf("%s: %d rows read back, %d copied", tb.name, r, rows)
		}
	}
}
