package sqlite_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/eventstoretest"
	"github.com/acv-registry/acv/eventstore/sqlite"
)

// The raw baseline writes through its own single connection to the same
// file, with the same pragmas as the store's writer, as a plain application
// would; see [eventstoretest.Baseline].

const rawColumns = `event_id, stream_id, version, type, data, recorded_at, effective_date, actor_org, actor_role, actor_token, correlation_id, causation_id, regime, schema_version, prev_hash, hash`

const rawDDL = `CREATE TABLE raw_events (
    position INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE, stream_id TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version > 0), type TEXT NOT NULL, data TEXT NOT NULL, recorded_at INTEGER NOT NULL,
    effective_date TEXT NOT NULL, actor_org TEXT NOT NULL, actor_role TEXT NOT NULL, actor_token TEXT NOT NULL,
    correlation_id TEXT NOT NULL, causation_id TEXT NOT NULL, regime TEXT NOT NULL, schema_version INTEGER NOT NULL,
    prev_hash BLOB NOT NULL, hash BLOB NOT NULL, UNIQUE (stream_id, version))`

var rawRow = "(" + strings.TrimSuffix(strings.Repeat("?,", 16), ",") + ")"

func bench(b *testing.B) (*sqlite.Store, eventstoretest.Baseline) {
	b.Helper()
	path := filepath.Join(b.TempDir(), "acv.db")
	s, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(60000)&_pragma=synchronous(NORMAL)")
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	b.Cleanup(func() { db.Close() })
	if _, err := db.Exec(rawDDL); err != nil {
		b.Fatal(err)
	}
	insert := func(ctx context.Context, stream string, es []eventstore.NewEvent) error {
		q := `INSERT INTO raw_events (` + rawColumns + `) VALUES ` + strings.TrimSuffix(strings.Repeat(rawRow+",", len(es)), ",")
		args := make([]any, 0, 16*len(es))
		for i, e := range es {
			args = append(args, rawArgs(e, stream, int64(i+1))...)
		}
		_, err := db.ExecContext(ctx, q, args...)
		return err
	}
	return s, eventstoretest.Baseline{
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
	}
}

// rawArgs are the values of rawColumns for event e at version v.
func rawArgs(e eventstore.NewEvent, stream string, v int64) []any {
	prev, h := make([]byte, 32), make([]byte, 32)
	rand.Read(h)
	m := e.Metadata
	return []any{e.ID.String(), stream, v, e.Type, string(e.Data), time.Now().UnixMicro(), m.EffectiveDate.String(),
		m.Actor.Org, m.Actor.Role, m.Actor.TokenID, m.CorrelationID.String(), m.CausationID.String(), m.Regime, m.SchemaVersion, prev, h}
}

func BenchmarkAppendSingle(b *testing.B) {
	s, raw := bench(b)
	eventstoretest.BenchAppendSingle(b, s, raw)
}

func BenchmarkAppendBatch(b *testing.B) {
	s, raw := bench(b)
	eventstoretest.BenchAppendBatch(b, s, raw, 100)
}

func BenchmarkReadAll(b *testing.B) {
	s, raw := bench(b)
	eventstoretest.BenchReadAll(b, s, raw)
}
