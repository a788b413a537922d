package postgres

import (
	"database/sql"
	"errors"
	"fmt"

	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/acv-registry/acv/eventstore"
)

// ConsumerSchema is a watermill-sql SchemaAdapter that reads the events
// table itself, so consumers follow the log without a copy of each event
// in a messages table. It reads in the store's own order, (tx_id,
// position), only below the horizon of the oldest running transaction —
// the technique of watermill-sql's PostgreSQL schema, which this adapter
// shares — so no consumer skips an event that commits late. Each message
// is [eventstore.ToMessage] of the event; its offset is the position.
//
// Use it with [ConsumerOffsets], whose next-offset query this adapter
// builds on.
type ConsumerSchema struct {
	// Batch is how many events one subscriber transaction reads (default 500).
	Batch int
}

var _ wsql.SchemaAdapter = ConsumerSchema{}

// errAppendThroughStore refuses Watermill publishing into the log: events
// are appended by the store, with their hash chain.
var errAppendThroughStore = errors.New("postgres: the log is appended through the event store, not published to")

// SchemaInitializingQueries implements wsql.SchemaAdapter: the store's
// migrations make the events table, so there is nothing to do.
func (ConsumerSchema) SchemaInitializingQueries(wsql.SchemaInitializingQueriesParams) ([]wsql.Query, error) {
	return nil, nil
}

// InsertQuery implements wsql.SchemaAdapter by refusing.
func (ConsumerSchema) InsertQuery(wsql.InsertQueryParams) (wsql.Query, error) {
	return wsql.Query{}, errAppendThroughStore
}

// SelectQuery implements wsql.SchemaAdapter: the next batch after the
// consumer group's offset, whose row the offsets query locks.
func (s ConsumerSchema) SelectQuery(p wsql.SelectQueryParams) (wsql.Query, error) {
	next, err := p.OffsetsAdapter.NextOffsetQuery(wsql.NextOffsetQueryParams{Topic: p.Topic, ConsumerGroup: p.ConsumerGroup})
	if err != nil {
		return wsql.Query{}, err
	}
	batch := s.Batch
	if batch <= 0 {
		batch = 500
	}
	// The middle SELECT keeps the planner from walking the (tx_id,
	// position) index under a LIMIT; see watermill-sql's PostgreSQL schema.
	// The outer one adds each event's data keys (see [keyList]) after the
	// LIMIT, so they are looked up for the batch only, in the same query.
	q := `SELECT page.*, ` + keyList("page") + ` AS data_keys FROM (SELECT * FROM (
		WITH last_processed AS (` + next.Query + `)
		SELECT tx_id AS sort_tx_id, position, ` + columns + ` FROM events
		WHERE ((tx_id = (SELECT last_tx_id FROM last_processed) AND position > (SELECT last_position FROM last_processed))
			OR tx_id > (SELECT last_tx_id FROM last_processed))
		AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
	) AS batch ORDER BY sort_tx_id, position LIMIT ` + fmt.Sprint(batch) + `) AS page ORDER BY sort_tx_id, position`
	return wsql.Query{Query: q, Args: next.Args}, nil
}

// UnmarshalMessage implements wsql.SchemaAdapter.
func (ConsumerSchema) UnmarshalMessage(p wsql.UnmarshalMessageParams) (wsql.Row, error) {
	var (
		txID uint64
		e    eventstore.Event
		keys string
	)
	row := scanFunc(func(dest ...any) error { return p.Row.Scan(append(append([]any{&txID}, dest...), &keys)...) })
	if err := scanEvent(row, &e); err != nil {
		return wsql.Row{}, fmt.Errorf("postgres: scan event for a consumer: %w", safe(err))
	}
	if err := openWith(&e, keys); err != nil {
		return wsql.Row{}, fmt.Errorf("postgres: event %d for a consumer: %w", e.Position, err)
	}
	msg := eventstore.ToMessage(e)
	return wsql.Row{Offset: e.Position, UUID: []byte(msg.UUID), Payload: msg.Payload, Msg: msg,
		ExtraData: map[string]any{extraTxID: int64(txID)}}, nil
}

// keyList is the SQL of the data keys of the event in the row alias names,
// as [eventstore.ParseKeyList] reads them: the empty string when it has none.
func keyList(alias string) string {
	return `COALESCE((SELECT string_agg(k.key_id::text || ':' || encode(k.key, 'hex'), ',')
		FROM personal_keys k WHERE k.event_id = ` + alias + `.event_id), '')`
}

// openWith opens the sealed values of e with the keys of its row.
func openWith(e *eventstore.Event, keyList string) error {
	if !eventstore.Sealed(e.Data) {
		return nil
	}
	keys, err := eventstore.ParseKeyList(keyList)
	if err != nil {
		return err
	}
	return eventstore.OpenEvent(e, keys)
}

// SubscribeIsolationLevel implements wsql.SchemaAdapter. Read committed:
// a second node's subscriber waits on the offset row's lock and then reads
// the offset the first one committed, where repeatable read would fail it
// with a serialisation error on every handover.
func (ConsumerSchema) SubscribeIsolationLevel() sql.IsolationLevel { return sql.LevelReadCommitted }

// extraTxID is the key of a row's transaction id in wsql.Row.ExtraData,
// which the ack stores beside the position.
const extraTxID = "tx_id"

type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// ConsumerOffsets is the watermill-sql OffsetsAdapter for [ConsumerSchema]:
// each consumer group's offset is a row (name, position, tx_id) of Table:
// the last event handled and its transaction id, the two keys of the log's
// order. The row is locked FOR UPDATE for the length of a batch: one node
// at a time handles a group's events. Both values live in the locked row
// (not looked up by a join) because a subscriber that waited for the lock
// sees the row's new version but the rest of its statement's snapshot as
// it was when the statement began.
type ConsumerOffsets struct {
	// Table holds the offsets: (name text primary key, position bigint,
	// tx_id xid8).
	Table string
}

var _ wsql.OffsetsAdapter = ConsumerOffsets{}

// SchemaInitializingQueries implements wsql.OffsetsAdapter: the table's
// owner makes it.
func (ConsumerOffsets) SchemaInitializingQueries(wsql.OffsetsSchemaInitializingQueriesParams) ([]wsql.Query, error) {
	return nil, nil
}

// NextOffsetQuery implements wsql.OffsetsAdapter.
func (o ConsumerOffsets) NextOffsetQuery(p wsql.NextOffsetQueryParams) (wsql.Query, error) {
	return wsql.Query{Query: `SELECT position AS last_position, tx_id AS last_tx_id FROM ` + o.Table + `
		WHERE name = $1 FOR UPDATE`, Args: []any{p.ConsumerGroup}}, nil
}

// AckMessageQuery implements wsql.OffsetsAdapter.
func (o ConsumerOffsets) AckMessageQuery(p wsql.AckMessageQueryParams) (wsql.Query, error) {
	txID, ok := p.LastRow.ExtraData[extraTxID].(int64)
	if !ok {
		return wsql.Query{}, fmt.Errorf("postgres: the row at %d carries no transaction id", p.LastRow.Offset)
	}
	return wsql.Query{Query: `UPDATE ` + o.Table + ` SET position = $1, tx_id = ($2::bigint)::text::xid8 WHERE name = $3`,
		Args: []any{p.LastRow.Offset, txID, p.ConsumerGroup}}, nil
}

// ConsumedMessageQuery implements wsql.OffsetsAdapter: nothing to record.
func (ConsumerOffsets) ConsumedMessageQuery(wsql.ConsumedMessageQueryParams) (wsql.Query, error) {
	return wsql.Query{}, nil
}

// BeforeSubscribingQueries implements wsql.OffsetsAdapter: the group's row
// must exist for FOR UPDATE to have something to lock.
func (o ConsumerOffsets) BeforeSubscribingQueries(p wsql.BeforeSubscribingQueriesParams) ([]wsql.Query, error) {
	return []wsql.Query{{Query: `INSERT INTO ` + o.Table + ` (name, position) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING`,
		Args: []any{p.ConsumerGroup}}}, nil
}
