package postgres_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/eventstoretest"
	"github.com/acv-registry/acv/eventstore/postgres"
	"github.com/acv-registry/acv/internal/pgtest"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The benchmarks measure the store beside a raw baseline on the same
// database in the same run: the same rows written into raw_events, a table
// created LIKE events INCLUDING ALL (same columns, defaults and indexes), by
// plain INSERT statements with no hashing, no checks and no notifications;
// and the same rows read by one sequential SELECT. Compare each /store line
// with its /raw line: ratio = raw ns/op ÷ store ns/op.

func benchStore(b *testing.B) (*postgres.Store, *pgxpool.Pool) {
	b.Helper()
	s := open(b, pgtest.DSN(b), time.Now)
	if _, err := s.Pool().Exec(context.Background(), `CREATE TABLE raw_events (LIKE events INCLUDING ALL)`); err != nil {
		b.Fatal(err)
	}
	return s, s.Pool()
}

const rawColumns = `event_id, stream_id, version, type, data, recorded_at, effective_date, actor_org, actor_role, actor_token, correlation_id, causation_id, regime, schema_version, prev_hash, hash`

const rawInsert = `INSERT INTO raw_events (` + rawColumns + `)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`

// rawRow is a row as the store would write it, made without the store.
type rawRow struct {
	id       uuid.UUID
	stream   string
	version  int64
	typ      string
	data     string
	at       time.Time
	meta     eventstore.Metadata
	prev, hs []byte
}

// args are the row's values in rawColumns order.
func (r rawRow) args() []any {
	m := r.meta
	return []any{[16]byte(r.id), r.stream, r.version, r.typ, r.data, r.at, time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
		m.Actor.Org, m.Actor.Role, m.Actor.TokenID, [16]byte(m.CorrelationID), [16]byte(m.CausationID), m.Regime, m.SchemaVersion, r.prev, r.hs}
}

func rawRows(stream string, n int) []rawRow {
	rows := make([]rawRow, n)
	for i, e := range eventsN(n) {
		prev, h := make([]byte, 32), make([]byte, 32)
		rand.Read(h)
		rows[i] = rawRow{e.ID, stream, int64(i + 1), e.Type, string(e.Data), time.Now(), e.Metadata, prev, h}
	}
	return rows
}

func eventsN(n int) []eventstore.NewEvent {
	out := make([]eventstore.NewEvent, n)
	for i := range out {
		out[i] = eventstoretest.Event("acv.nomination-received.v1")
	}
	return out
}

// BenchmarkAppendSingle: one event per call, 8 concurrent writers, each
// call a new stream.
func BenchmarkAppendSingle(b *testing.B) {
	s, pool := benchStore(b)
	ctx := context.Background()
	b.Run("store", func(b *testing.B) {
		b.SetParallelism(8 / min(8, max(1, runtimeProcs())))
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
		b.SetParallelism(8 / min(8, max(1, runtimeProcs())))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				r := rawRows("asset-"+uuid.NewString(), 1)[0]
				if _, err := pool.Exec(ctx, rawInsert, r.args()...); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
}

// BenchmarkAppendBatch: 100 events per call into a new stream.
func BenchmarkAppendBatch(b *testing.B) {
	s, pool := benchStore(b)
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
		for i := 0; i < b.N; i++ {
			rows := rawRows("asset-"+uuid.NewString(), n)
			var sql strings.Builder
			sql.WriteString(`INSERT INTO raw_events (` + rawColumns + `) VALUES `)
			args := make([]any, 0, 16*n)
			for j, r := range rows {
				if j > 0 {
					sql.WriteString(",")
				}
				sql.WriteString("(")
				for c := 1; c <= 16; c++ {
					if c > 1 {
						sql.WriteString(",")
					}
					fmt.Fprintf(&sql, "$%d", 16*j+c)
				}
				sql.WriteString(")")
				args = append(args, r.args()...)
			}
			if _, err := pool.Exec(ctx, sql.String(), args...); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("raw-copy", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			rows := rawRows("asset-"+uuid.NewString(), n)
			src := make([][]any, n)
			for j, r := range rows {
				src[j] = r.args()
			}
			if _, err := pool.CopyFrom(ctx, pgx.Identifier{"raw_events"},
				strings.Split(strings.ReplaceAll(rawColumns, " ", ""), ","),
				pgx.CopyFromRows(src)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "events/s")
	})
}

// BenchmarkReadAll reads the whole log (ACV_BENCH_EVENTS events, default
// 1,000,000) through ReadAll in pages, and the same rows by one raw SELECT.
func BenchmarkReadAll(b *testing.B) {
	total := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("ACV_BENCH_EVENTS")); err == nil && v > 0 {
		total = v
	}
	s, pool := benchStore(b)
	ctx := context.Background()
	for done := 0; done < total; {
		n := min(1000, total-done)
		if _, err := s.Append(ctx, "asset-"+uuid.NewString(), eventstore.NoStream, eventsN(n)); err != nil {
			b.Fatal(err)
		}
		done += n
	}
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE events`); err != nil {
		b.Fatal(err)
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
			rows, err := pool.Query(ctx, `SELECT position, `+rawColumns+` FROM events ORDER BY position`)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for rows.Next() {
				var (
					e eventstore.Event
					d pgtype.Date
					m = &e.Metadata
				)
				if err := rows.Scan(&e.Position, (*[16]byte)(&e.ID), &e.Stream, &e.Version, &e.Type, &e.Data, &e.RecordedAt, &d,
					&m.Actor.Org, &m.Actor.Role, &m.Actor.TokenID, (*[16]byte)(&m.CorrelationID), (*[16]byte)(&m.CausationID), &m.Regime, &m.SchemaVersion,
					&e.PrevHash, &e.Hash); err != nil {
					b.Fatal(err)
				}
				n++
			}
			if rows.Err() != nil || n != total {
				b.Fatalf("read %d events (%v), want %d", n, rows.Err(), total)
			}
		}
		b.ReportMetric(float64(b.N*total)/b.Elapsed().Seconds(), "events/s")
	})
}
