package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
)

// The service's state lives in a file of its own.
//
// The log's file holds the log: the events and what seals their personal
// data. What the service keeps beside it - the consumers' offsets and
// poison queue, API tokens, idempotency records, webhook subscriptions -
// lives in a second file, the state file, opened with [Store.OpenState];
// the read models, with their own consumer's offset, in a third, replaced
// whole by each rebuild ([Store.OpenReadModels], readmodels.go). SQLite has one writer a file, so the two files'
// writers no longer queue for one lock: appends do not wait for the
// projector's batches, nor the projector for appends. And a rebuild, which
// reads the whole log while it writes a fresh set of read models, no
// longer invalidates its own readers' caches and memory maps with every
// commit; at 10^6 events it took 8-14% less time (docs/performance.md).
//
// A state file's connections see the log's file read-only, attached as
// the schema "log": the embedded consumers select the events after their
// offset and write their rows and their new offset in one transaction of
// the state file. A table name that is not the state file's own resolves
// to the log's, so the queries need no schema.

// logTables are the tables of the log's file: those its migrations make
// (TestLogTablesAreTheMigrations). Any other table in the log's file was
// put there by an earlier version, which kept the state in the log's file.
var logTables = []string{"erasures", "events", "personal_keys", "schema_migrations"}

// OpenState opens (creating if needed) the state file at path: a handle
// whose connections have [Pragmas] and then pragmas (modernc's DSN form,
// "" for none), whose transactions begin IMMEDIATE, whose writers take
// their turns at the file's write lock with those of every other handle
// the store opened on path (turn.go), and which see the log read-only as
// the schema "log". The caller closes it.
//
// Tables an earlier version kept in the log's file are moved into the
// state file first ([Store.moveState]); those derived reports as derived
// from the log (the read models) are dropped instead, for the caller to
// rebuild.
func (s *Store) OpenState(ctx context.Context, path, pragmas string, derived func(table string) bool) (*sql.DB, error) {
	if path == s.path {
		return nil, fmt.Errorf("sqlite: the state file cannot be the log's file %s", path)
	}
	if err := CreateFile(ctx, path, PageSize); err != nil {
		return nil, err
	}
	if pragmas != "" {
		pragmas = "&" + pragmas
	}
	db, err := openDB(path, Pragmas+pragmas, s.stateTurns(path), "file:"+(&url.URL{Path: s.path}).EscapedPath()+"?mode=ro")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// Connections kept rather than opened again for each statement past
	// database/sql's two (see [poolConns]); not bounded, as the state's
	// consumers each hold one through their batch.
	db.SetMaxIdleConns(poolConns())
	if err := s.moveState(ctx, db, derived); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// stateTurns returns the queue for the write lock of the file at path,
// one for every handle the store opens on it.
func (s *Store) stateTurns(path string) *turns {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.states == nil {
		s.states = map[string]*turns{}
	}
	t, ok := s.states[path]
	if !ok {
		t = newTurns()
		s.states[path] = t
	}
	return t
}

// moveState moves the tables an earlier version kept in the log's file
// into the state file behind state, with their indexes and rows, and
// drops those derived from the log. Each table is copied in a
// transaction of the state file, then dropped from the log's in one of
// the log's: a copy interrupted leaves the table whole in the log's file,
// and a drop interrupted leaves it in both, which the next open finishes
// by dropping it from the log's (the state file's copy is never
// replaced). It does nothing when the log's file holds only the log.
func (s *Store) moveState(ctx context.Context, state *sql.DB, derived func(string) bool) error {
	left, err := s.stateInLog(ctx)
	if err != nil || len(left) == 0 {
		return err
	}
	conn, err := state.Conn(ctx) // ATTACH is the connection's
	if err != nil {
		return fmt.Errorf("sqlite: move the state out of the log's file: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `ATTACH DATABASE ? AS earlier`, "file:"+(&url.URL{Path: s.path}).EscapedPath()); err != nil {
		return fmt.Errorf("sqlite: move the state out of the log's file: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `DETACH DATABASE earlier`)
	for _, t := range left {
		if derived == nil || !derived(t.name) {
			if err := copyTable(ctx, conn, t); err != nil {
				return fmt.Errorf("sqlite: move table %s out of the log's file: %w", t.name, err)
			}
		}
	}
	// Through the log's own writer, which holds the log's turn; the
	// latest made first.
	for _, t := range slices.Backward(left) {
		if _, err := s.write.ExecContext(ctx, `DROP TABLE IF EXISTS "`+t.name+`"`); err != nil {
			return fmt.Errorf("sqlite: drop table %s from the log's file: %w", t.name, err)
		}
	}
	return nil
}

// stateTable is a table in the log's file that is not the log's, with
// the statements that made it and its indexes.
type stateTable struct {
	name    string
	create  string
	indexes []string
}

// stateInLog lists the tables in the log's file that are not the log's.
// The shadow tables of a virtual table are left to it: dropping it drops
// them.
func (s *Store) stateInLog(ctx context.Context) ([]stateTable, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT type, name, tbl_name, sql FROM sqlite_schema
		WHERE type IN ('table', 'index') AND sql IS NOT NULL AND name NOT LIKE 'sqlite\_%' ESCAPE '\'
		AND tbl_name NOT IN (SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'shadow')
		ORDER BY rowid`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list the log file's tables: %w", err)
	}
	defer rows.Close()
	var tables []stateTable
	for rows.Next() {
		var kind, name, table, stmt string
		if err := rows.Scan(&kind, &name, &table, &stmt); err != nil {
			return nil, fmt.Errorf("sqlite: list the log file's tables: %w", err)
		}
		if slices.Contains(logTables, table) {
			continue
		}
		switch {
		case kind == "index":
			if i := slices.IndexFunc(tables, func(t stateTable) bool { return t.name == table }); i >= 0 {
				tables[i].indexes = append(tables[i].indexes, stmt)
			}
		default:
			tables = append(tables, stateTable{name: name, create: stmt})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list the log file's tables: %w", err)
	}
	return tables, nil
}

// copyTable copies t from the schema earlier into the state file, unless
// the state file has it already, in one transaction.
func copyTable(ctx context.Context, conn *sql.Conn, t stateTable) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var there bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM main.sqlite_schema WHERE name = ?)`, t.name).Scan(&there); err != nil {
		return err
	}
	if there {
		return nil
	}
	// CREATE without a schema creates in main, the state file.
	for _, stmt := range append([]string{t.create}, t.indexes...) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", stmt, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO main."`+t.name+`" SELECT * FROM earlier."`+t.name+`"`); err != nil {
		return err
	}
	// An AUTOINCREMENT key's sequence: ids of rows deleted are not given
	// again.
	var seq int64
	switch err := tx.QueryRowContext(ctx, `SELECT seq FROM earlier.sqlite_sequence WHERE name = ?`, t.name).Scan(&seq); {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return err
	default:
		if _, err := tx.ExecContext(ctx, `DELETE FROM main.sqlite_sequence WHERE name = ?`, t.name); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO main.sqlite_sequence (name, seq) VALUES (?, ?)`, t.name, seq); err != nil {
			return err
		}
	}
	return tx.Commit()
}
