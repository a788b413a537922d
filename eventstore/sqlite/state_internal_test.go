package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// tablesOf lists the tables of the SQLite file behind db, without
// SQLite's own.
func tablesOf(t *testing.T, db interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, schema string) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), `SELECT name FROM `+schema+`.sqlite_schema
		WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

// TestLogTablesAreTheMigrations: logTables, which OpenState leaves in the
// log's file, are exactly the tables the migrations make. A migration
// that adds a table without naming it there would have the table moved
// out of the log on the next open.
func TestLogTablesAreTheMigrations(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "acv.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := tablesOf(t, s.read, "main"); !slices.Equal(got, logTables) {
		t.Fatalf("tables of a new log = %v; logTables = %v", got, logTables)
	}
}

// TestOpenStateMovesTheStateOutOfTheLog: tables an earlier version kept in
// the log's file - an API token, a consumer's offset, a read model - move
// on the first open of a state file: the service's own with their rows,
// indexes and AUTOINCREMENT sequence, the derived ones dropped (with a
// virtual table's shadow tables, and a table named like one), and none
// stays in the log's file. A
// move interrupted after the copy (the table in both files) finishes by
// dropping the log's copy, keeping the state file's rows.
func TestOpenStateMovesTheStateOutOfTheLog(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	logPath, statePath := filepath.Join(dir, "acv.db"), filepath.Join(dir, "state.db")
	s, err := Open(ctx, logPath, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	earlier := []string{
		`CREATE TABLE api_tokens (id INTEGER PRIMARY KEY AUTOINCREMENT, token TEXT NOT NULL, org TEXT NOT NULL)`,
		`CREATE INDEX api_tokens_org ON api_tokens (org)`,
		`INSERT INTO api_tokens (token, org) VALUES ('t1', 'council-a'), ('t2', 'council-b'), ('t3', 'council-b')`,
		`DELETE FROM api_tokens WHERE token = 't3'`, // its id is not to be given again
		`CREATE TABLE consumer_offsets (name TEXT PRIMARY KEY, position BIGINT NOT NULL)`,
		`INSERT INTO consumer_offsets VALUES ('clock', 42), ('read_models', 42)`,
		`CREATE TABLE rm_assets (asset_id TEXT PRIMARY KEY, doc TEXT)`,
		`INSERT INTO rm_assets VALUES ('a', '{}')`,
		`CREATE VIRTUAL TABLE rm_search USING fts5(name, tokenize = 'trigram')`,
		`INSERT INTO rm_search VALUES ('The Red Lion')`,
		// a rebuild's fresh search table, left by a rebuild that died: a
		// virtual table whose name begins with another's
		`CREATE VIRTUAL TABLE rm_search_r1 USING fts5(name, tokenize = 'trigram')`,
		// the service's own table, named like a shadow table of rm_search
		`CREATE TABLE rm_search_notes (note TEXT)`,
		`CREATE TABLE api_tokens_data (n INTEGER)`,
		`INSERT INTO api_tokens_data VALUES (1)`,
	}
	for _, q := range earlier {
		if _, err := s.write.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	derived := func(table string) bool { return strings.HasPrefix(table, "rm_") }
	state, err := s.OpenState(ctx, statePath, "", derived)
	if err != nil {
		t.Fatal(err)
	}
	defer state.Close()

	if got := tablesOf(t, s.read, "main"); !slices.Equal(got, logTables) {
		t.Errorf("log's file after the move holds %v; want only %v", got, logTables)
	}
	if got, want := tablesOf(t, state, "main"), []string{"api_tokens", "api_tokens_data", "consumer_offsets"}; !slices.Equal(got, want) {
		t.Errorf("state file holds %v; want %v", got, want)
	}
	var tokens string
	if err := state.QueryRow(`SELECT group_concat(id || ':' || token || ':' || org, ',') FROM (SELECT * FROM main.api_tokens ORDER BY id)`).Scan(&tokens); err != nil {
		t.Fatal(err)
	}
	if tokens != "1:t1:council-a,2:t2:council-b" {
		t.Errorf("tokens moved = %q", tokens)
	}
	var index string
	if err := state.QueryRow(`SELECT sql FROM main.sqlite_schema WHERE name = 'api_tokens_org'`).Scan(&index); err != nil {
		t.Errorf("the index did not move: %v", err)
	}
	if _, err := state.Exec(`INSERT INTO api_tokens (token, org) VALUES ('t4', 'council-c')`); err != nil {
		t.Fatal(err)
	}
	var id int
	if err := state.QueryRow(`SELECT id FROM api_tokens WHERE token = 't4'`).Scan(&id); err != nil || id != 4 {
		t.Errorf("next token id = %d, %v; want 4 (AUTOINCREMENT's sequence moved)", id, err)
	}

	// An interrupted move: the offsets copied, the log's copy not dropped.
	if _, err := s.write.ExecContext(ctx, `CREATE TABLE consumer_offsets (name TEXT PRIMARY KEY, position BIGINT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.write.ExecContext(ctx, `INSERT INTO consumer_offsets VALUES ('clock', 7)`); err != nil {
		t.Fatal(err)
	}
	again, err := s.OpenState(ctx, statePath, "", derived)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if got := tablesOf(t, s.read, "main"); !slices.Equal(got, logTables) {
		t.Errorf("log's file after the second open holds %v; want only %v", got, logTables)
	}
	var clock int
	if err := again.QueryRow(`SELECT position FROM main.consumer_offsets WHERE name = 'clock'`).Scan(&clock); err != nil || clock != 42 {
		t.Errorf("clock's offset after finishing the move = %d, %v; want the state file's 42", clock, err)
	}
}
