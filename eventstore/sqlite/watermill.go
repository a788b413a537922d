package sqlite

import (
	"database/sql"
	"errors"
	"fmt"

	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/acv-registry/acv/eventstore"
)

// ConsumerSchema is a watermill-sql SchemaAdapter that reads the events
// table itself, so consumers catch up from the log without a copy of each
// event. SQLite has one writer at a time, so position order is commit
// order. Each message is [eventstore.ToMessage] of the event; its offset
// is the position. Use it with [ConsumerOffsets], over a database/sql
// handle on the store's file whose transactions take the write lock at
// once (_txlock=immediate), so one consumer's batch and its offset are one
// serialised unit.
type ConsumerSchema struct {
	// Batch is how many events one subscriber transaction reads (default 500).
	Batch int
}

var _ wsql.SchemaAdapter = ConsumerSchema{}

// SchemaInitializingQueries implements wsql.SchemaAdapter: the store's
// migrations make the events table.
func (ConsumerSchema) SchemaInitializingQueries(wsql.SchemaInitializingQueriesParams) ([]wsql.Query, error) {
	return nil, nil
}

// InsertQuery implements wsql.SchemaAdapter by refusing: events are
// appended by the store, with their hash chain.
func (ConsumerSchema) InsertQuery(wsql.InsertQueryParams) (wsql.Query, error) {
	return wsql.Query{}, errors.New("sqlite: the log is appended through the event store, not published to")
}

// SelectQuery implements wsql.SchemaAdapter.
func (s ConsumerSchema) SelectQuery(p wsql.SelectQueryParams) (wsql.Query, error) {
	next, err := p.OffsetsAdapter.NextOffsetQuery(wsql.NextOffsetQueryParams{Topic: p.Topic, ConsumerGroup: p.ConsumerGroup})
	if err != nil {
		return wsql.Query{}, err
	}
	batch := s.Batch
	if batch <= 0 {
		batch = 500
	}
	// Each event's data keys (see [keyList]) come with the batch, after the
	// LIMIT, in the same query.
	q := `SELECT page.*, ` + keyList + ` AS data_keys FROM (` + selectEvent + ` WHERE position > COALESCE((` + next.Query + `), 0)
		ORDER BY position LIMIT ` + fmt.Sprint(batch) + `) AS page ORDER BY position`
	return wsql.Query{Query: q, Args: next.Args}, nil
}

// UnmarshalMessage implements wsql.SchemaAdapter.
func (ConsumerSchema) UnmarshalMessage(p wsql.UnmarshalMessageParams) (wsql.Row, error) {
	rows, ok := p.Row.(*sql.Rows)
	if !ok {
		return wsql.Row{}, fmt.Errorf("sqlite: consumer rows are %T, not database/sql rows", p.Row)
	}
	var (
		e    eventstore.Event
		keys string
	)
	if err := newPageDecoder().scan(rows, &e, &keys); err != nil {
		return wsql.Row{}, fmt.Errorf("sqlite: scan event for a consumer: %w", err)
	}
	if eventstore.Sealed(e.Data) {
		parsed, err := eventstore.ParseKeyList(keys)
		if err == nil {
			err = eventstore.OpenEvent(&e, parsed)
		}
		if err != nil {
			return wsql.Row{}, fmt.Errorf("sqlite: event %d for a consumer: %w", e.Position, err)
		}
	}
	msg := eventstore.ToMessage(e)
	return wsql.Row{Offset: e.Position, UUID: []byte(msg.UUID), Payload: msg.Payload, Msg: msg}, nil
}

// keyList is the SQL of the data keys of the event in the row "page", as
// [eventstore.ParseKeyList] reads them: the empty string when it has none.
const keyList = `COALESCE((SELECT group_concat(k.key_id || ':' || hex(k.key), ',')
	FROM personal_keys k WHERE k.position = page.position), '')`

// SubscribeIsolationLevel implements wsql.SchemaAdapter: SQLite's
// transactions are serialisable already.
func (ConsumerSchema) SubscribeIsolationLevel() sql.IsolationLevel { return sql.LevelDefault }

// ConsumerOffsets is the watermill-sql OffsetsAdapter for [ConsumerSchema]:
// each consumer group's offset is a row (name, position) of Table.
type ConsumerOffsets struct {
	// Table holds the offsets: (name text primary key, position integer).
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
	return wsql.Query{Query: `SELECT position FROM ` + o.Table + ` WHERE name = ?`, Args: []any{p.ConsumerGroup}}, nil
}

// AckMessageQuery implements wsql.OffsetsAdapter.
func (o ConsumerOffsets) AckMessageQuery(p wsql.AckMessageQueryParams) (wsql.Query, error) {
	return wsql.Query{Query: `UPDATE ` + o.Table + ` SET position = ? WHERE name = ?`,
		Args: []any{p.LastRow.Offset, p.ConsumerGroup}}, nil
}

// ConsumedMessageQuery implements wsql.OffsetsAdapter: nothing to record.
func (ConsumerOffsets) ConsumedMessageQuery(wsql.ConsumedMessageQueryParams) (wsql.Query, error) {
	return wsql.Query{}, nil
}

// BeforeSubscribingQueries implements wsql.OffsetsAdapter.
func (o ConsumerOffsets) BeforeSubscribingQueries(p wsql.BeforeSubscribingQueriesParams) ([]wsql.Query, error) {
	return []wsql.Query{{Query: `INSERT INTO ` + o.Table + ` (name, position) VALUES (?, 0) ON CONFLICT (name) DO NOTHING`,
		Args: []any{p.ConsumerGroup}}}, nil
}
