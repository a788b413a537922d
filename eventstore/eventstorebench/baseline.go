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
// ratio = raw time ÷ store time.
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
	// Close drops raw_events and releases what the baseline opened.
	Close func(ctx context.Context) error
}

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
