package eventstorebench

import (
	"context"
	"encoding/json"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/google/uuid"
)

// Baseline is a backend's raw counterpart of each benchmarked operation,
// run on the same database in the same run: plain SQL into raw_events, a
// table with the same columns and indexes as events, with no hashing, no
// checks and no notifications. Compare each store figure with its raw one:
// ratio = raw time ÷ store time. raw_events starts empty; [Baseline.CopyLog]
// fills it with the log's rows, so that appends into a large log are
// compared with inserts into a table as large. A Baseline's funcs may be
// called concurrently, except CopyLog, Reset and Close.
type Baseline struct {
	// InsertOne inserts the event as one new row, in its own transaction.
	InsertOne func(ctx context.Context, stream string, e eventstore.NewEvent) error
	// InsertBatch holds ways to insert events as one stream's rows in one
	// statement, by name ("raw-insert", "raw-copy").
	InsertBatch map[string]func(ctx context.Context, stream string, events []eventstore.NewEvent) error
	// ReadAll reads every row of events with one sequential SELECT into Go
	// values and returns how many it read.
	ReadAll func(ctx context.Context) (int, error)
	// AfterSeed, if set, runs once a benchmark has seeded the log.
	AfterSeed func(ctx context.Context) error
	// Room returns the bytes a copy of the log by CopyLog needs at most
	// (events with its indexes, and room for the database's own logging of
	// the writes) and the bytes free on the disk it would go to; free is
	// [FreeUnknown] when that cannot be known, as for a database server on
	// another host.
	Room func(ctx context.Context) (need, free int64, err error)
	// CopyLog replaces raw_events with a copy of every row of events, its
	// indexes built once the rows are in (far cheaper than growing them row
	// by row), and returns the rows copied. The copy is written out before
	// it returns (a checkpoint, or a sync), so that none of it is flushed
	// during the measurements that follow; on PostgreSQL it is vacuumed
	// and analysed, as AfterSeed does to events. Whatever a failed copy
	// leaves, Close drops.
	CopyLog func(ctx context.Context) (int64, error)
	// Reset empties raw_events again, giving back the disk a copy took.
	// Like CopyLog, it must not run beside the other funcs.
	Reset func(ctx context.Context) error
	// Warm, if set, reads table ([LogTable] or [RawTable]) whole, its
	// heap and every index, so that the appends that follow find it in
	// memory. A load
	// of appends calls it for its own table just before it runs, unmeasured
	// (see [Postgres]).
	Warm func(ctx context.Context, table string) error
	// Close drops raw_events and releases what the baseline opened.
	Close func(ctx context.Context) error
}

// The tables a [Baseline.Warm] reads: the store's log and its raw copy.
const (
	LogTable = "events"
	RawTable = "raw_events"
)

// FreeUnknown is the free space [Baseline.Room] reports when it cannot
// tell.
const FreeUnknown = -1

// rawColumns are the columns the baselines write, in the order of their
// arguments.
const rawColumns = `event_id, stream_id, version, type, data, recorded_at, effective_date, actor_org, actor_role, actor_token, correlation_id, causation_id, regime, schema_version, prev_hash, hash`

var benchDay = time.Date(2026, 3, 31, 23, 30, 0, 0, time.UTC)

// Event returns a valid event of type typ with a fresh id.
func Event(typ string) eventstore.NewEvent {
	data, _ := json.Marshal(map[string]any{"at": "test"})
	return eventstore.NewEvent{
		ID:   uuid.New(),
		Type: typ,
		Data: data,
		Metadata: eventstore.Metadata{
			EffectiveDate: domain.DateOf(benchDay),
			Actor:         eventstore.Actor{Org: "local-authority:MDS", Role: "council_officer", TokenID: "tok-1"},
			CorrelationID: uuid.New(),
			Regime:        "localism-2012",
			SchemaVersion: 1,
		},
	}
}

// Events returns n valid events with fresh ids, for benchmarks.
func Events(n int) []eventstore.NewEvent {
	out := make([]eventstore.NewEvent, n)
	for i := range out {
		out[i] = Event("acv.nomination-received.v1")
	}
	return out
}

// DrainAll reads the whole log through ReadAll in pages of page events and
// returns how many it read.
func DrainAll(ctx context.Context, s eventstore.Store, page int) (int, error) {
	n, after := 0, int64(0)
	for {
		events, err := s.ReadAll(ctx, after, page)
		if err != nil {
			return n, err
		}
		if len(events) == 0 {
			return n, nil
		}
		n += len(events)
		after = events[len(events)-1].Position
	}
}
