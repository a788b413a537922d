package sqlite_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/eventstoretest"
	"github.com/acv-registry/acv/eventstore/sqlite"
	"github.com/google/uuid"
)

// The benchmarks measure the store beside a raw baseline on the same file
// in the same run: the same rows written into raw_events (same columns and
// indexes as events) by plain INSERTs through one write connection, with no
// hashing, no checks and no explicit transaction for single rows; and the
// same rows read by one sequential SELECT. ratio = raw ns/op ÷ store ns/op.

const rawColumns = `event_id, stream_id, version, type, data, recorded_at, effective_date, actor_org, actor_role, actor_token, correlation_id, causation_id, regime, schema_version, prev_hash, hash`

const rawDDL = `CREATE TABLE raw_events (
    position INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE, stream_id TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version > 0), type TEXT NOT NULL, data TEXT NOT NULL, recorded_at INTEGER NOT NULL,
    effective_date TEXT NOT NULL, actor_org TEXT NOT NULL, actor_role TEXT NOT NULL, actor_token TEXT NOT NULL,
    correlation_id TEXT NOT NULL, causation_id TEXT NOT NULL, regime TEXT NOT NULL, schema_version INTEGER NOT NULL,
    prev_hash BLOB NOT NULL, hash BLOB NOT NULL, UNIQUE (stream_id, version))`

func benchStore(b *testing.B) (*sqlite.Store, *sql.DB) {
	b.Helper()
	path := filepath.Join(b.TempDir(), "acv.db")
	s, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(60000)&_pragma=synchronous(NORMAL)&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	raw.SetMaxOpenConns(1)
	b.Cleanup(func() { raw.Close() })
	if _, err := raw.Exec(rawDDL); err != nil {
		b.Fatal(err)
	}
	return s, raw
}

func eventsN(n int) []eventstore.NewEvent {
	out := make([]eventstore.NewEvent, n)
	for i := range out {
		out[i] = eventstoretest.Event("acv.nomination-received.v1")
	}
	return out
}

// rawArgs are the values of rawColumns for event e at version v.
func rawArgs(e eventstore.NewEvent, stream string, v int64) []any {
	prev, h := make([]byte, 32), make([]byte, 32)
	rand.Read(h)
	m := e.Metadata
	return []any{e.ID.String(), stream, v, e.Type, string(e.Data), time.Now().UnixMicro(), m.EffectiveDate.String(),
		m.Actor.Org, m.Actor.Role, m.Actor.TokenID, m.CorrelationID.String(), m.CausationID.String(), m.Regime, m.SchemaVersion, prev, h}
}

var rawInsert = `INSERT INTO raw_events (` + rawColumns + `) VALUES (` + strings.TrimSuffix(strings.Repeat("?,", 16), ",") + `)`

func BenchmarkAppendSingle(b *testing.B) {
	s, raw := benchStore(b)
	ctx := context.Background()
	b.Run("store", func(b *testing.B) {
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.Append(ctx, "asset-"+uuid.NewString(), eventstore.NoStream, eventsN(1)); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("raw", func(b *testing.B) {
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := raw.ExecContext(ctx, rawInsert, rawArgs(eventsN(1)[0], "asset-"+uuid.NewString(), 1)...); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
}

func BenchmarkAppendBatch(b *testing.B) {
	s, raw := benchStore(b)
	ctx := context.Background()
	const n = 100
	b.Run("store", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := s.Append(ctx, "asset-"+uuid.NewString(), eventstore.NoStream, eventsN(n)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("raw-insert", func(b *testing.B) {
		row := "(" + strings.TrimSuffix(strings.Repeat("?,", 16), ",") + ")"
		q := `INSERT INTO raw_events (` + rawColumns + `) VALUES ` + strings.TrimSuffix(strings.Repeat(row+",", n), ",")
		for i := 0; i < b.N; i++ {
			stream := "asset-" + uuid.NewString()
			args := make([]any, 0, 16*n)
			for j, e := range eventsN(n) {
				args = append(args, rawArgs(e, stream, int64(j+1))...)
			}
			if _, err := raw.ExecContext(ctx, q, args...); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "events/s")
	})
}

func BenchmarkReadAll(b *testing.B) {
	total := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("ACV_BENCH_EVENTS")); err == nil && v > 0 {
		total = v
	}
	s, raw := benchStore(b)
	ctx := context.Background()
	for done := 0; done < total; {
		n := min(1000, total-done)
		if _, err := s.Append(ctx, "asset-"+uuid.NewString(), eventstore.NoStream, eventsN(n)); err != nil {
			b.Fatal(err)
		}
		done += n
	}
	b.Run("store", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			n, after := 0, int64(0)
			for {
				page, err := s.ReadAll(ctx, after, 10_000)
				if err != nil {
					b.Fatal(err)
				}
				if len(page) == 0 {
					break
				}
				n += len(page)
				after = page[len(page)-1].Position
			}
			if n != total {
				b.Fatalf("read %d events, want %d", n, total)
			}
		}
		b.ReportMetric(float64(b.N*total)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("raw", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			rows, err := raw.QueryContext(ctx, `SELECT position, `+rawColumns+` FROM events ORDER BY position`)
			if err != nil {
				b.Fatal(err)
			}
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
					b.Fatal(err)
				}
				n++
			}
			if rows.Err() != nil || n != total {
				b.Fatalf("read %d events (%v), want %d", n, rows.Err(), total)
			}
			rows.Close()
		}
		b.ReportMetric(float64(b.N*total)/b.Elapsed().Seconds(), "events/s")
	})
}
