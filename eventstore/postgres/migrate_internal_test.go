package postgres

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/internal/generate"
	"github.com/acv-registry/acv/internal/pgtest"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestMigrationGivesKeysTheirPositions: a log written before migration
// 0004 (personal_keys without position) migrates: each key takes its
// event's position, ReadAll opens the sealed values exactly as it does for
// the same log written at the current layout (a key left without its
// position would read as erased), an erasure before the migration stays,
// a key without a position (a node of the version before wrote it) still
// opens, and appends after it work.
func TestMigrationGivesKeysTheirPositions(t *testing.T) {
	ctx := context.Background()
	cur, err := Open(ctx, pgtest.DSN(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cur.Close()
	if _, err := generate.Run(ctx, cur, generate.Options{Seed: 4, Scale: 0.02}); err != nil {
		t.Fatal(err)
	}
	var subject string
	if err := cur.pool.QueryRow(ctx, `SELECT subject FROM personal_keys WHERE subject LIKE 'party:%' ORDER BY key_id LIMIT 1`).Scan(&subject); err != nil {
		t.Fatal(err)
	}
	if _, err := cur.Erase(ctx, []string{subject}); err != nil {
		t.Fatal(err)
	}

	// The same rows at the layout of migration 0003.
	oldDSN := pgtest.DSN(t)
	old, err := pgxpool.New(ctx, oldDSN)
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(ctx, old, 3); err != nil {
		t.Fatal(err)
	}
	copyRows(t, cur.pool, old, `SELECT position, `+columns+` FROM events`, `events (position, `+columns+`)`)
	copyRows(t, cur.pool, old, `SELECT key_id, subject, stream_id, event_id, fields, key, created_at FROM personal_keys`,
		`personal_keys (key_id, subject, stream_id, event_id, fields, key, created_at)`)
	if _, err := old.Exec(ctx, `SELECT setval(pg_get_serial_sequence('events', 'position'), (SELECT max(position) FROM events))`); err != nil {
		t.Fatal(err)
	}
	old.Close()

	s, err := Open(ctx, oldDSN, Options{}) // migrates
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want, got := keyPositions(t, cur.pool), keyPositions(t, s.pool)
	if len(got) != len(want) || len(want) == 0 {
		t.Errorf("%d keys after the migration, want %d", len(got), len(want))
	}
	for id, p := range want {
		if got[id] != p {
			t.Errorf("key %s at position %d after the migration, want %d", id, got[id], p)
		}
	}
	stored, err := scanN(ctx, s.pool, 0, selectEvent+` ORDER BY position`)
	if err != nil {
		t.Fatal(err)
	}
	sealed := 0
	for _, e := range stored {
		if eventstore.Sealed(e.Data) {
			sealed++
		}
	}
	wantAll, gotAll := readAll(t, cur, 97), readAll(t, s, 97)
	if len(gotAll) != len(wantAll) || sealed == 0 {
		t.Fatalf("read %d events after the migration, want %d; %d with sealed values", len(gotAll), len(wantAll), sealed)
	}
	// Both are in position order but where the generator's transactions
	// overlapped: compare by id.
	byID := make(map[uuid.UUID][]byte, len(gotAll))
	for _, e := range gotAll {
		byID[e.ID] = e.Data
	}
	for _, e := range wantAll {
		if !bytes.Equal(byID[e.ID], e.Data) {
			t.Errorf("event %s reads\n%s\nafter the migration; want\n%s", e.ID, byID[e.ID], e.Data)
		}
	}

	// A key written by a node of the version before, during a rolling
	// deploy, has no position: it still opens its values.
	tag, err := s.pool.Exec(ctx, `UPDATE personal_keys SET position = NULL WHERE position IN (SELECT position FROM personal_keys ORDER BY position LIMIT 200)`)
	if err != nil || tag.RowsAffected() == 0 {
		t.Fatalf("keys without a position: %v, %d rows", err, tag.RowsAffected())
	}
	for _, e := range readAll(t, s, 97) {
		if !bytes.Equal(byID[e.ID], e.Data) {
			t.Errorf("with keys without a position, event %s reads\n%s\nwant\n%s", e.ID, e.Data, byID[e.ID])
		}
	}

	e := eventstore.NewEvent{ID: uuid.New(), Type: "test.owner-recorded.v1",
		Data: []byte(`{"owner":{"id":"p-after","name":"Ada After"}}`), Metadata: wantAll[0].Metadata}
	if _, err := s.Append(ctx, "asset-"+uuid.NewString(), eventstore.NoStream, []eventstore.NewEvent{e}); err != nil {
		t.Fatalf("append after the migration: %v", err)
	}
	if last := readAll(t, s, 97); !bytes.Contains(last[len(last)-1].Data, []byte("Ada After")) {
		t.Errorf("an event appended after the migration reads %s", last[len(last)-1].Data)
	}
}

// copyRows copies the rows of query in from into table in to, as text.
func copyRows(t *testing.T, from, to *pgxpool.Pool, query, table string) {
	t.Helper()
	ctx := context.Background()
	src, err := from.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Release()
	dst, err := to.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Release()
	r, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := src.Conn().PgConn().CopyTo(ctx, w, `COPY (`+query+`) TO STDOUT`)
		w.CloseWithError(err)
		done <- err
	}()
	_, err = dst.Conn().PgConn().CopyFrom(ctx, r, `COPY `+table+` FROM STDIN`)
	r.Close()
	if cerr := <-done; err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("copy %s: %v", table, err)
	}
}

func keyPositions(t *testing.T, pool *pgxpool.Pool) map[uuid.UUID]int64 {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT key_id, position FROM personal_keys`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[uuid.UUID]int64{}
	var (
		id [16]byte
		p  int64
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &p}, func() error {
		out[id] = p
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func readAll(t *testing.T, s *Store, page int) []eventstore.Event {
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
