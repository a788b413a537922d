package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/acv-registry/acv/eventstore"
	"github.com/google/uuid"
)

// TestUnpackReadsWhatSQLitePacked: the text columns come back byte for byte
// from SQLite's json_array, whatever they hold: quotes, backslashes,
// control characters and NUL (which it escapes), other characters and
// invalid UTF-8 (which it does not).
func TestUnpackReadsWhatSQLitePacked(t *testing.T) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE t (a, b, c, d, e, f, g, h, i, j)`); err != nil {
		t.Fatal(err)
	}
	values := []string{"", `"`, `\`, "a\"b\\c/d", "\x00\x01\x1f\b\f\n\r\t", "é ü 😀 \u2028", "\xff\xfe\xc3", "asset-3f1c", `\u0041`, "}],[{"}
	rows := [][]string{values, {values[9], values[8], values[7], values[6], values[5], values[4], values[3], values[2], values[1], values[0]}}
	for _, row := range rows {
		args := make([]any, len(row))
		for i, v := range row {
			args[i] = v
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.QueryContext(ctx, `SELECT json_array(a, b, c, d, e, f, g, h, i, j) FROM t ORDER BY rowid`)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	d := newPageDecoder()
	for n := 0; got.Next(); n++ {
		var packed sql.RawBytes
		if err := got.Scan(&packed); err != nil {
			t.Fatal(err)
		}
		if err := d.unpack(packed); err != nil {
			t.Fatalf("unpack(%q): %v", packed, err)
		}
		for i, want := range rows[n] {
			if !bytes.Equal(d.packed[i], []byte(want)) {
				t.Errorf("row %d, column %d: %q from %q, want %q", n, i, d.packed[i], packed, want)
			}
		}
	}
	if err := got.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestUnescape(t *testing.T) {
	for _, tt := range []struct{ in, want, rest string }{
		{`abc"`, "abc", ""},
		{`\ud83d\ude00x","y"`, "😀x", `,"y"`},
		{`\ud83dx"`, "\ufffdx", ""}, // a lone surrogate
		{`\/\u00e9"`, "/é", ""},
	} {
		got, rest, err := unescape(nil, []byte(tt.in))
		if err != nil || string(got) != tt.want || string(rest) != tt.rest {
			t.Errorf("unescape(%q) = %q, %q, %v; want %q, %q", tt.in, got, rest, err, tt.want, tt.rest)
		}
	}
	for _, bad := range []string{`abc`, `\`, `\x"`, `\u12"`} {
		if _, _, err := unescape(nil, []byte(bad)); err == nil {
			t.Errorf("unescape(%q) succeeded", bad)
		}
	}
}

// TestVerifyReportsAColumnOfAnotherType: a column changed behind the
// store's back to another type (a text column to a BLOB, which JSON cannot
// hold; a number to text or a BLOB; a hash to text that is not one) is
// read, and reported by Verify through the row's hash, not as a failed
// query.
func TestVerifyReportsAColumnOfAnotherType(t *testing.T) {
	for _, set := range []string{`actor_org = x'00ff'`, `version = 'one'`, `recorded_at = x'01'`,
		`schema_version = 'two'`, `hash = 'not a hash'`, `prev_hash = x''`} {
		t.Run(set, func(t *testing.T) {
			ctx := context.Background()
			s, err := Open(ctx, filepath.Join(t.TempDir(), "acv.db"), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			e := eventstore.NewEvent{ID: uuid.New(), Type: "test.thing-happened.v1", Data: []byte(`{"n":1}`),
				Metadata: eventstore.Metadata{Actor: eventstore.Actor{Org: "local-authority:MDS", Role: "council_officer"}, SchemaVersion: 1}}
			if _, err := s.Append(ctx, "asset-x", eventstore.NoStream, []eventstore.NewEvent{e}); err != nil {
				t.Fatal(err)
			}
			if r, err := s.VerifyAll(ctx); err != nil || !r.OK() {
				t.Fatalf("VerifyAll before = %+v, %v", r, err)
			}
			for _, q := range []string{`DROP TRIGGER events_no_update`, `UPDATE events SET ` + set} {
				if _, err := s.write.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			r, err := s.VerifyAll(ctx)
			if err != nil || r.OK() {
				t.Errorf("VerifyAll = %+v, %v; want the row reported", r, err)
			}
			if _, err := s.ReadAll(ctx, 0, 10); err != nil {
				t.Errorf("ReadAll: %v", err)
			}
		})
	}
}
