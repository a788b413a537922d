package eventstorebench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/acv-registry/acv/eventstore"
	_ "modernc.org/sqlite" // the baseline's own connection to the store's file
)

const sqliteRawDDL = `CREATE TABLE raw_events (
    position INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE, stream_id TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version > 0), type TEXT NOT NULL, data TEXT NOT NULL, recorded_at INTEGER NOT NULL,
    effective_date TEXT NOT NULL, actor_org TEXT NOT NULL, actor_role TEXT NOT NULL, actor_token TEXT NOT NULL,
    correlation_id TEXT NOT NULL, causation_id TEXT NOT NULL, regime TEXT NOT NULL, schema_version INTEGER NOT NULL,
    prev_hash BLOB NOT NULL, hash BLOB NOT NULL, UNIQUE (stream_id, version))`

var sqliteRawRow = "(" + strings.TrimSuffix(strings.Repeat("?,", 16), ",") + ")"

// SQLite returns the raw baseline of the SQLite store whose file is path:
// it writes through its own single connection to the same file, with the
// same pragmas as the store's writer, as a plain application would. A
// raw_events left by an earlier run is dropped first.
func SQLite(ctx context.Context, path string) (Baseline, error) {
	u := "file:" + (&url.URL{Path: path}).EscapedPath() + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(60000)&_pragma=synchronous(NORMAL)"
	db, err := sql.Open("sqlite", u)
	if err != nil {
		return Baseline{}, fmt.Errorf("baseline: %w", err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `DROP TABLE IF EXISTS raw_events`); err != nil {
		db.Close()
		return Baseline{}, fmt.Errorf("baseline: %w", err)
	}
	if _, err := db.ExecContext(ctx, sqliteRawDDL); err != nil {
		db.Close()
		return Baseline{}, fmt.Errorf("baseline: create raw_events: %w", err)
	}
	insert := func(ctx context.Context, stream string, es []eventstore.NewEvent) error {
		q := `INSERT INTO raw_events (` + rawColumns + `) VALUES ` + strings.TrimSuffix(strings.Repeat(sqliteRawRow+",", len(es)), ",")
		args := make([]any, 0, 16*len(es))
		for i, e := range es {
			args = append(args, sqliteArgs(e, stream, int64(i+1))...)
		}
		_, err := db.ExecContext(ctx, q, args...)
		return err
	}
	return Baseline{
		InsertOne: func(ctx context.Context, stream string, e eventstore.NewEvent) error {
			return insert(ctx, stream, []eventstore.NewEvent{e})
		},
		InsertBatch: map[string]func(context.Context, string, []eventstore.NewEvent) error{"raw-insert": insert},
		ReadAll: func(ctx context.Context) (int, error) {
			rows, err := db.QueryContext(ctx, `SELECT position, `+rawColumns+` FROM events ORDER BY position`)
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
		Close: func(ctx context.Context) error {
			_, err := db.ExecContext(ctx, `DROP TABLE IF EXISTS raw_events`)
			return errors.Join(err, db.Close())
		},
	}, nil
}

// sqliteArgs are the values of rawColumns for event e at version v.
func sqliteArgs(e eventstore.NewEvent, stream string, v int64) []any {
	prev, h := make([]byte, 32), make([]byte, 32)
	rand.Read(h)
	m := e.Metadata
	return []any{e.ID.String(), stream, v, e.Type, string(e.Data), time.Now().UnixMicro(), m.EffectiveDate.String(),
		m.Actor.Org, m.Actor.Role, m.Actor.TokenID, m.CorrelationID.String(), m.CausationID.String(), m.Regime, m.SchemaVersion, prev, h}
}
