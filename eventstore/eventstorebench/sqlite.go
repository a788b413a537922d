package eventstorebench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/sqlite"
	_ "modernc.org/sqlite" // the baseline's own connections
)

// sqliteRawTable is events' table without its unique constraints, which
// sqliteRawIndexes add as the unique indexes SQLite makes of them: the same
// B-trees and checks, but built after a copy rather than grown row by row.
const sqliteRawTable = `CREATE TABLE raw_events (
    position INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, stream_id TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version > 0), type TEXT NOT NULL, data TEXT NOT NULL, recorded_at INTEGER NOT NULL,
    effective_date TEXT NOT NULL, actor_org TEXT NOT NULL, actor_role TEXT NOT NULL, actor_token TEXT NOT NULL,
    correlation_id TEXT NOT NULL, causation_id TEXT NOT NULL, regime TEXT NOT NULL, schema_version INTEGER NOT NULL,
    prev_hash BLOB NOT NULL, hash BLOB NOT NULL)`

const sqliteRawIndexes = `CREATE UNIQUE INDEX raw_events_event_id ON raw_events (event_id);
CREATE UNIQUE INDEX raw_events_stream_version ON raw_events (stream_id, version)`

// sqlitePragmas are the store's writer's: the baseline inserts as it does.
// A raw file is made first with the page size of the store's file
// (sqlite.CreateFile): a store made before 16 KiB pages keeps 4 KiB ones,
// and its baseline should too.
const sqlitePragmas = sqlite.Pragmas

var sqliteRawRow = "(" + strings.TrimSuffix(strings.Repeat("?,", 16), ",") + ")"

// SQLiteRawPath is the file of the SQLite baseline's raw_events, beside
// the store's file at path.
func SQLiteRawPath(path string) string { return path + ".raw_events" }

// SQLite returns the raw baseline of the SQLite store whose file is path.
// raw_events is the one table of its own file, [SQLiteRawPath], written
// through one connection with the same pragmas as the store's writer, as a
// plain application would; its reads are of events, through another
// connection to the store's file. The raw file is removed by Close, and
// one left by an earlier run (or a raw_events table inside the store's
// file, where earlier versions kept it) is removed first. Its own file
// keeps the copy of a large log out of the store's file, which would keep
// the freed pages, and lets the copy skip the journal.
func SQLite(ctx context.Context, path string) (Baseline, error) {
	rawPath := SQLiteRawPath(path)
	logDB, err := sql.Open("sqlite", sqliteURL(path, sqlitePragmas))
	if err != nil {
		return Baseline{}, fmt.Errorf("baseline: %w", err)
	}
	logDB.SetMaxOpenConns(1)
	if _, err := logDB.ExecContext(ctx, `DROP TABLE IF EXISTS raw_events`); err != nil {
		logDB.Close()
		return Baseline{}, fmt.Errorf("baseline: %w", err)
	}
	var pageSize int64
	if err := logDB.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&pageSize); err != nil {
		logDB.Close()
		return Baseline{}, fmt.Errorf("baseline: page size of the store: %w", err)
	}
	if err := removeSQLite(rawPath); err != nil {
		logDB.Close()
		return Baseline{}, fmt.Errorf("baseline: %w", err)
	}
	raw, err := openSQLiteRaw(ctx, rawPath, pageSize, true)
	if err != nil {
		logDB.Close()
		return Baseline{}, err
	}
	insert := func(ctx context.Context, stream string, es []eventstore.NewEvent) error {
		q := `INSERT INTO raw_events (` + rawColumns + `) VALUES ` + strings.TrimSuffix(strings.Repeat(sqliteRawRow+",", len(es)), ",")
		args := make([]any, 0, 16*len(es))
		for i, e := range es {
			args = append(args, sqliteArgs(e, stream, int64(i+1))...)
		}
		_, err := raw.ExecContext(ctx, q, args...)
		return err
	}
	return Baseline{
		InsertOne: func(ctx context.Context, stream string, e eventstore.NewEvent) error {
			return insert(ctx, stream, []eventstore.NewEvent{e})
		},
		InsertBatch: map[string]func(context.Context, string, []eventstore.NewEvent) error{"raw-insert": insert},
		ReadAll: func(ctx context.Context) (int, error) {
			rows, err := logDB.QueryContext(ctx, `SELECT position, `+rawColumns+` FROM events ORDER BY position`)
			if err != nil {
				return 0, err
			}
			defer rows.Close()
			n := 0
			for rows.Next() {
				var (
					pos, version, micros        int64
					schema                      int
					id, stream, typ, data, date string
					org, role, tok, corr, caus  string
					regime                      string
					prev, hash                  []byte
				)
				if err := rows.Scan(&pos, &id, &stream, &version, &typ, &data, &micros, &date, &org, &role, &tok,
					&corr, &caus, &regime, &schema, &prev, &hash); err != nil {
					return n, err
				}
				n++
			}
			return n, rows.Err()
		},
		Room: func(ctx context.Context) (int64, int64, error) {
			// At most what the store's file holds in use: the copy is events
			// and its indexes, a part of it, written without a journal.
			var used int64
			if err := logDB.QueryRowContext(ctx, `SELECT (SELECT page_count FROM pragma_page_count) - (SELECT freelist_count FROM pragma_freelist_count)`).Scan(&used); err != nil {
				return 0, 0, fmt.Errorf("baseline: size of the store: %w", err)
			}
			free, err := freeBytes(filepath.Dir(rawPath))
			if err != nil {
				return used * pageSize, FreeUnknown, nil
			}
			return used * pageSize, free, nil
		},
		CopyLog: func(ctx context.Context) (int64, error) {
			if err := raw.Close(); err != nil {
				return 0, fmt.Errorf("baseline: %w", err)
			}
			n, err := sqliteCopyLog(ctx, rawPath, path, pageSize)
			if err != nil {
				removeSQLite(rawPath)
			}
			// Reopened empty after a failure, so the baseline stays usable.
			db, rerr := openSQLiteRaw(ctx, rawPath, pageSize, err != nil)
			if rerr == nil {
				raw = db
			}
			return n, errors.Join(err, rerr)
		},
		Reset: func(ctx context.Context) error {
			if err := errors.Join(raw.Close(), removeSQLite(rawPath)); err != nil {
				return fmt.Errorf("baseline: %w", err)
			}
			db, err := openSQLiteRaw(ctx, rawPath, pageSize, true)
			if err == nil {
				raw = db
			}
			return err
		},
		Close: func(ctx context.Context) error {
			return errors.Join(raw.Close(), logDB.Close(), removeSQLite(rawPath))
		},
	}, nil
}

// sqliteURL is the modernc DSN of the file at path with the query q.
func sqliteURL(path, q string) string {
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q
}

// openSQLiteRaw opens the raw file with the store's writer's pragmas (made
// first, when there is none, with pages of pageSize bytes), and creates an
// empty raw_events in it if create is set.
func openSQLiteRaw(ctx context.Context, rawPath string, pageSize int64, create bool) (*sql.DB, error) {
	if err := sqlite.CreateFile(ctx, rawPath, int(pageSize)); err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	db, err := sql.Open("sqlite", sqliteURL(rawPath, sqlitePragmas))
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	db.SetMaxOpenConns(1)
	if create {
		if _, err := db.ExecContext(ctx, sqliteRawTable+`; `+sqliteRawIndexes); err != nil {
			db.Close()
			return nil, fmt.Errorf("baseline: create raw_events: %w", err)
		}
	}
	return db, nil
}

// sqliteCopyLog writes a new raw file, with pages of pageSize bytes,
// holding every row of the store's events: the rows first, in position
// order, then the indexes. Nothing reads the file before the copy ends, so
// it is written without a journal or syncs, and synced once at the end:
// none of it is left for the kernel to write back during the measurements
// that follow.
func sqliteCopyLog(ctx context.Context, rawPath, path string, pageSize int64) (int64, error) {
	if err := removeSQLite(rawPath); err != nil {
		return 0, fmt.Errorf("baseline: %w", err)
	}
	if err := sqlite.CreateFile(ctx, rawPath, int(pageSize)); err != nil {
		return 0, fmt.Errorf("baseline: %w", err)
	}
	db, err := sql.Open("sqlite", sqliteURL(rawPath, "_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)&_pragma=cache_size(-131072)"))
	if err != nil {
		return 0, fmt.Errorf("baseline: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var n int64
	err = func() error {
		if _, err := db.ExecContext(ctx, `ATTACH DATABASE ? AS log`, sqliteURL(path, "mode=ro")); err != nil {
			return err
		}
		if _, err := db.ExecContext(ctx, sqliteRawTable); err != nil {
			return err
		}
		res, err := db.ExecContext(ctx, `INSERT INTO raw_events (position, `+rawColumns+`) SELECT position, `+rawColumns+` FROM log.events ORDER BY position`)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		if _, err := db.ExecContext(ctx, `DETACH DATABASE log`); err != nil {
			return err
		}
		_, err = db.ExecContext(ctx, sqliteRawIndexes)
		return err
	}()
	if err == nil {
		err = db.Close()
	}
	if err == nil {
		err = syncFile(rawPath)
	}
	if err != nil {
		return 0, fmt.Errorf("baseline: copy the log into raw_events: %w", err)
	}
	return n, nil
}

// syncFile flushes the file at path to the disk.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}

// removeSQLite removes the SQLite file at path with its companions.
func removeSQLite(path string) error {
	var errs []error
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// sqliteArgs are the values of rawColumns for event e at version v.
func sqliteArgs(e eventstore.NewEvent, stream string, v int64) []any {
	prev, h := make([]byte, 32), make([]byte, 32)
	rand.Read(h)
	m := e.Metadata
	return []any{e.ID.String(), stream, v, e.Type, string(e.Data), time.Now().UnixMicro(), m.EffectiveDate.String(),
		m.Actor.Org, m.Actor.Role, m.Actor.TokenID, m.CorrelationID.String(), m.CausationID.String(), m.Regime, m.SchemaVersion, prev, h}
}
