package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/internal/generate"
	"github.com/google/uuid"
)

// TestMigrationGivesKeysTheirPositions: a log written before migration
// 0004 (personal_keys without position) migrates: each key takes its
// event's position, ReadAll opens the sealed values exactly as it does for
// the same log written at the current layout (a key left without its
// position would read as erased), an erasure before the migration stays,
// appends after it work, and keys erased after it survive nowhere in the
// files (the old table's pages hold every key: they are freed with
// secure_delete).
func TestMigrationGivesKeysTheirPositions(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	curPath, oldPath := filepath.Join(dir, "current.db"), filepath.Join(dir, "old.db")
	cur, err := Open(ctx, curPath, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cur.Close()
	if _, err := generate.Run(ctx, cur, generate.Options{Seed: 4, Scale: 0.02}); err != nil {
		t.Fatal(err)
	}
	if _, err := cur.Erase(ctx, []string{firstSubject(t, cur.read)}); err != nil {
		t.Fatal(err)
	}

	// The same rows at the layout of migration 0003.
	old, err := sql.Open("sqlite", "file:"+oldPath+"?_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	old.SetMaxOpenConns(1) // ATTACH is per connection
	if err := migrate(ctx, old, time.Now, 3); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`ATTACH DATABASE '` + curPath + `' AS cur`,
		`INSERT INTO events SELECT * FROM cur.events`,
		`INSERT INTO personal_keys (key_id, subject, stream_id, event_id, fields, key, created_at)
			SELECT key_id, subject, stream_id, event_id, fields, key, created_at FROM cur.personal_keys`,
		`DETACH DATABASE cur`,
	} {
		if _, err := old.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(ctx, oldPath, Options{}) // migrates
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want, got := keyPositions(t, cur.read), keyPositions(t, s.read)
	if len(got) != len(want) || len(want) == 0 {
		t.Errorf("%d keys after the migration, want %d", len(got), len(want))
	}
	for id, p := range want {
		if got[id] != p {
			t.Errorf("key %s at position %d after the migration, want %d", id, got[id], p)
		}
	}
	stored, err := s.scanN(ctx, 0, selectEvent+` ORDER BY position`)
	if err != nil {
		t.Fatal(err)
	}
	wantAll, gotAll := readAll(t, cur, 97), readAll(t, s, 97)
	sealed := 0
	for i := range wantAll {
		if eventstore.Sealed(stored[i].Data) {
			sealed++
		}
		if !bytes.Equal(gotAll[i].Data, wantAll[i].Data) {
			t.Errorf("event at %d reads\n%s\nafter the migration; want\n%s", wantAll[i].Position, gotAll[i].Data, wantAll[i].Data)
		}
	}
	if len(gotAll) != len(wantAll) || sealed == 0 {
		t.Fatalf("read %d events after the migration, want %d; %d with sealed values", len(gotAll), len(wantAll), sealed)
	}

	e := eventstore.NewEvent{ID: uuid.New(), Type: "test.owner-recorded.v1",
		Data: []byte(`{"owner":{"id":"p-after","name":"Ada After"}}`), Metadata: wantAll[0].Metadata}
	if _, err := s.Append(ctx, "asset-"+uuid.NewString(), eventstore.NoStream, []eventstore.NewEvent{e}); err != nil {
		t.Fatalf("append after the migration: %v", err)
	}
	if last := readAll(t, s, 97); !bytes.Contains(last[len(last)-1].Data, []byte("Ada After")) {
		t.Errorf("an event appended after the migration reads %s", last[len(last)-1].Data)
	}

	// Erase everyone: any key's bytes left in the files come from pages
	// the migration freed without overwriting them.
	var (
		subjects []string
		erased   [][]byte
	)
	rows, err := s.read.QueryContext(ctx, `SELECT subject, key FROM personal_keys`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var (
			subject string
			k       []byte
		)
		if err := rows.Scan(&subject, &k); err != nil {
			t.Fatal(err)
		}
		subjects, erased = append(subjects, subject), append(erased, k)
	}
	if err := rows.Err(); err != nil || len(erased) == 0 {
		t.Fatalf("keys: %d, %v", len(erased), err)
	}
	if _, err := s.Erase(ctx, subjects); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{oldPath, oldPath + "-wal"} {
		b, err := os.ReadFile(name)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, k := range erased {
			if bytes.Contains(b, k) {
				t.Fatalf("%s still holds the bytes of a key erased after the migration", filepath.Base(name))
			}
		}
	}
}

func firstSubject(t *testing.T, db *sql.DB) string {
	t.Helper()
	var subject string
	if err := db.QueryRow(`SELECT subject FROM personal_keys WHERE subject LIKE 'party:%' ORDER BY key_id LIMIT 1`).Scan(&subject); err != nil {
		t.Fatal(err)
	}
	return subject
}

func keyPositions(t *testing.T, db *sql.DB) map[string]int64 {
	t.Helper()
	rows, err := db.Query(`SELECT key_id, position FROM personal_keys`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var (
			id string
			p  int64
		)
		if err := rows.Scan(&id, &p); err != nil {
			t.Fatal(err)
		}
		out[id] = p
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func readAll(t *testing.T, s eventstore.Store, page int) []eventstore.Event {
	t.Helper()
	var out []eventstore.Event
	for after := int64(0); ; {
		events, err := s.ReadAll(context.Background(), after, page)
		if err != nil {
			t.Fatalf("ReadAll(%d, %d): %v", after, page, err)
		}
		if len(events) == 0 {
			return out
		}
		out = append(out, events...)
		after = events[len(events)-1].Position
	}
}
