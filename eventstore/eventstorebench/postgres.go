package eventstorebench

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/postgres"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// Postgres returns the raw baseline of s: raw_events is created LIKE
// events INCLUDING ALL (same columns, defaults and indexes) and written
// through the store's own pool. A raw_events left by an earlier run is
// dropped first.
func Postgres(ctx context.Context, s *postgres.Store) (Baseline, error) {
	pool := s.Pool()
	if _, err := pool.Exec(ctx, `DROP TABLE IF EXISTS raw_events; CREATE TABLE raw_events (LIKE events INCLUDING ALL)`); err != nil {
		return Baseline{}, fmt.Errorf("baseline: create raw_events: %w", err)
	}
	insert := func(ctx context.Context, stream string, es []eventstore.NewEvent) error {
		var q strings.Builder
		q.WriteString(`INSERT INTO raw_events (` + rawColumns + `) VALUES `)
		args := make([]any, 0, 16*len(es))
		for i, e := range es {
			if i > 0 {
				q.WriteString(",")
			}
			q.WriteString("(")
			for c := 1; c <= 16; c++ {
				if c > 1 {
					q.WriteString(",")
				}
				fmt.Fprintf(&q, "$%d", 16*i+c)
			}
			q.WriteString(")")
			args = append(args, pgArgs(e, stream, int64(i+1))...)
		}
		_, err := pool.Exec(ctx, q.String(), args...)
		return err
	}
	copyIn := func(ctx context.Context, stream string, es []eventstore.NewEvent) error {
		rows := make([][]any, len(es))
		for i, e := range es {
			rows[i] = pgArgs(e, stream, int64(i+1))
		}
		_, err := pool.CopyFrom(ctx, pgx.Identifier{"raw_events"}, strings.Split(strings.ReplaceAll(rawColumns, " ", ""), ","), pgx.CopyFromRows(rows))
		return err
	}
	return Baseline{
		InsertOne: func(ctx context.Context, stream string, e eventstore.NewEvent) error {
			return insert(ctx, stream, []eventstore.NewEvent{e})
		},
		InsertBatch: map[string]func(context.Context, string, []eventstore.NewEvent) error{"raw-insert": insert, "raw-copy": copyIn},
		// A freshly seeded table is read as a long-running database would hold it.
		AfterSeed: func(ctx context.Context) error { _, err := pool.Exec(ctx, `VACUUM ANALYZE events`); return err },
		ReadAll: func(ctx context.Context) (int, error) {
			rows, err := pool.Query(ctx, `SELECT position, `+rawColumns+` FROM events ORDER BY position`)
			if err != nil {
				return 0, err
			}
			defer rows.Close()
			n := 0
			for rows.Next() {
				var (
					e eventstore.Event
					d pgtype.Date
					m = &e.Metadata
				)
				if err := rows.Scan(&e.Position, (*[16]byte)(&e.ID), &e.Stream, &e.Version, &e.Type, &e.Data, &e.RecordedAt, &d,
					&m.Actor.Org, &m.Actor.Role, &m.Actor.TokenID, (*[16]byte)(&m.CorrelationID), (*[16]byte)(&m.CausationID),
					&m.Regime, &m.SchemaVersion, &e.PrevHash, &e.Hash); err != nil {
					return n, err
				}
				n++
			}
			return n, rows.Err()
		},
		Close: func(ctx context.Context) error {
			_, err := pool.Exec(ctx, `DROP TABLE IF EXISTS raw_events`)
			return err
		},
	}, nil
}

// pgArgs are the values of rawColumns for event e at version v, with a
// random hash and no hashing done.
func pgArgs(e eventstore.NewEvent, stream string, v int64) []any {
	prev, h := make([]byte, 32), make([]byte, 32)
	rand.Read(h)
	m := e.Metadata
	return []any{[16]byte(e.ID), stream, v, e.Type, string(e.Data), time.Now(), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
		m.Actor.Org, m.Actor.Role, m.Actor.TokenID, [16]byte(m.CorrelationID), [16]byte(m.CausationID), m.Regime, m.SchemaVersion, prev, h}
}
