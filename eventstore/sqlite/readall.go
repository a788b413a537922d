package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

	"github.com/acv-registry/acv/eventstore"
	"github.com/google/uuid"
)

// readAllSQL is a page of ReadAll: the events after position ?, at most ?.
const readAllSQL = selectEvent + ` WHERE position > ? ORDER BY position LIMIT ?`

// readAllKeysSQL selects the data keys of the events from position ? on,
// in position order: one range of personal_keys_position, which holds the
// keys and is in that order (TestReadAllKeysPlan).
const readAllKeysSQL = `SELECT position, key_id, key FROM personal_keys WHERE position >= ? ORDER BY position`

// chunkSize is how many events the reader of a ReadAll page hands the
// opener at a time.
const chunkSize = 256

// ReadAll implements [eventstore.Store.ReadAll]. On SQLite the global order
// is position order, because there is one writer at a time.
//
// A page is read on two connections and two goroutines at once
// ([eventstore.ReadOpening]): this one decodes the rows and hands them
// over in chunks; the other reads the data keys of the same positions, in
// position order, from a second connection, and opens each event's sealed
// values with the keys at its position as the chunks come. The two halves
// cost about the same (the rows' decoding; the keys and the decryption),
// so on two processors a page takes little more than reading its rows;
// once the rows are read, this goroutine opens the back of what the other
// has not reached, with keys read on a connection of its own.
// The keys are read anew for every page, never cached, so an erased key
// stops opening its values at once.
func (s *Store) ReadAll(ctx context.Context, after int64, limit int) ([]eventstore.Event, error) {
	if limit <= 0 {
		limit = 1000
	}
	events, err := s.readAll(ctx, after, limit)
	if err != nil {
		return nil, fmt.Errorf("read all after %d: %w", after, err)
	}
	return events, nil
}

func (s *Store) readAll(ctx context.Context, after int64, limit int) ([]eventstore.Event, error) {
	page := &texts{}
	return eventstore.ReadOpening(ctx, limit, chunkSize,
		func(ctx context.Context, next func() *eventstore.Event) error {
			rows, err := s.read.QueryContext(ctx, readAllSQL, after, limit)
			if err != nil {
				return err
			}
			defer rows.Close()
			dec := newPageDecoder()
			for rows.Next() {
				e := next()
				if e == nil {
					return nil
				}
				if err := dec.scanRow(rows); err != nil {
					return err
				}
				dec.numbers(e)
				page.push(dec.StringBytes(dec.packedText))
			}
			return rows.Err()
		},
		func() eventstore.ChunkOpener { return &keyMerger{read: s.read, texts: page, dec: newPageDecoder()} })
}

// texts hands the packed text columns of a page's rows from its reader,
// which only copies them, to its openers, which decode them: the
// goroutines' shares of the page's work are then about even.
type texts struct {
	mu     sync.Mutex
	packed [][]byte
}

func (t *texts) push(b []byte) {
	t.mu.Lock()
	t.packed = append(t.packed, b)
	t.mu.Unlock()
}

// from returns the n packed rows from the ith on, which were pushed.
func (t *texts) from(i, n int) [][]byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.packed[i : i+n]
}

// keyMerger is an [eventstore.ChunkOpener] of a ReadAll page: it opens
// the sealed values of the chunks it is given, which come in position
// order, with keys read alongside in position order, from its first
// sealed event's position on: each event's keys are the next ones. Its
// query starts once the chunk's rows have come, so its snapshot is no
// older than theirs and holds the key of every event they hold (keys and
// events commit together).
type keyMerger struct {
	texts  *texts       // the page's text columns, still packed
	dec    *pageDecoder // decodes the text columns
	read   *sql.DB
	keys   *sql.Rows // nil until the first sealed event
	next   positionKey
	ahead  bool // whether next holds a key read and not yet used
	mine   map[uuid.UUID][]byte
	opener eventstore.Opener
}

// Open opens the events of chunk, the first'th of the page on.
func (m *keyMerger) Open(ctx context.Context, first int, chunk []eventstore.Event) error {
	packed := m.texts.from(first, len(chunk))
	for i := range chunk {
		e := &chunk[i]
		if err := m.dec.text(e, packed[i]); err != nil {
			return err
		}
		if !eventstore.Sealed(e.Data) {
			continue
		}
		if m.keys == nil {
			keys, err := m.read.QueryContext(ctx, readAllKeysSQL, e.Position)
			if err != nil {
				return fmt.Errorf("look up data keys: %w", err)
			}
			m.keys, m.mine = keys, map[uuid.UUID][]byte{}
		}
		clear(m.mine)
		for {
			if !m.ahead {
				if !m.keys.Next() {
					if err := m.keys.Err(); err != nil {
						return fmt.Errorf("look up data keys: %w", err)
					}
					break
				}
				if err := m.next.scan(m.keys); err != nil {
					return fmt.Errorf("look up data keys: %w", err)
				}
				m.ahead = true
			}
			if m.next.position > e.Position {
				break
			}
			if m.next.position == e.Position {
				m.mine[m.next.id] = m.next.key
			}
			m.ahead = false
		}
		if err := m.opener.Open(e, m.mine); err != nil {
			return err
		}
	}
	return nil
}

// Close closes the keys' query.
func (m *keyMerger) Close() {
	if m.keys != nil {
		m.keys.Close()
	}
}

// positionKey is a row of readAllKeysSQL.
type positionKey struct {
	position int64
	id       uuid.UUID
	key      []byte
	rawID    sql.RawBytes
	rawKey   sql.RawBytes
	buf      eventstore.PageBuffer // holds the keys
}

func (k *positionKey) scan(rows *sql.Rows) error {
	if err := rows.Scan(&k.position, &k.rawID, &k.rawKey); err != nil {
		return err
	}
	id, err := uuid.ParseBytes(k.rawID)
	if err != nil {
		return fmt.Errorf("data key id %q: %w", k.rawID, err)
	}
	k.id, k.key = id, k.buf.Bytes(k.rawKey)
	return nil
}
