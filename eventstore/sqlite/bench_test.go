package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/acv-registry/acv/eventstore/eventstorebench"
	"github.com/acv-registry/acv/eventstore/eventstoretest"
	"github.com/acv-registry/acv/eventstore/sqlite"
)

// The raw baseline writes through its own single connection to a file of
// its own beside the store's, with the same pragmas as the store's writer,
// as a plain application would; see [eventstorebench.SQLite].
func bench(b *testing.B) (*sqlite.Store, eventstoretest.Baseline) {
	b.Helper()
	path := filepath.Join(b.TempDir(), "acv.db")
	s, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	raw, err := eventstorebench.SQLite(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { raw.Close(context.Background()) })
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
