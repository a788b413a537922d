package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/acv-registry/acv/eventstore/eventstorebench"
	"github.com/acv-registry/acv/eventstore/eventstoretest"
	"github.com/acv-registry/acv/eventstore/postgres"
	"github.com/acv-registry/acv/internal/pgtest"
)

// The raw baseline writes into raw_events, created LIKE events INCLUDING
// ALL (same columns, defaults and indexes), through the store's own pool;
// see [eventstorebench.Postgres].
func bench(b *testing.B) (*postgres.Store, eventstoretest.Baseline) {
	b.Helper()
	s := open(b, pgtest.DSN(b), time.Now)
	raw, err := eventstorebench.Postgres(context.Background(), s)
	if err != nil {
		b.Fatal(err)
	}
	return s, raw
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
