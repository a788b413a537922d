// Package eventstore is the registry's append-only log: the [Store] contract
// that every backend satisfies, the event envelope with its metadata, the
// per-stream hash chain, and subscriptions that catch up from a position and
// then follow new events.
//
// It imports only the standard library, github.com/google/uuid, domain and
// personal (the rules of what is personal data, which it seals).
// The two backends live beside it, in eventstore/postgres (pgx/v5) and
// eventstore/sqlite (modernc.org/sqlite, no cgo); eventstore/eventstoretest
// is the conformance suite both must pass.
//
// # Invariants
//
//   - Events are never updated or deleted. Each stream's versions run 1, 2, 3
//     ... without gaps; a stream's events are one ordered read.
//   - Every event carries a global position, unique across the log. The
//     store's global order is the order [Store.ReadAll] returns. On SQLite it
//     is position order. On PostgreSQL positions are handed out when a row is
//     inserted, but transactions commit in another order, so the global order
//     is (transaction id, position) and readers see only rows of transactions
//     older than every transaction still running (the xid8 horizon): a
//     reader never skips a row that commits late, and never waits on a timer.
//   - Position 0 stands before the first event. "After position p" means
//     after the event at p in the store's order, so a position read from the
//     log is always a valid cursor.
//   - Appends are idempotent by event id: re-appending stored events with the
//     same content succeeds and stores nothing; the same id with other content
//     fails with [ErrEventIDReused].
//   - A stale expected version fails with an error that matches
//     [domain.ErrConflict] (also exported as [ErrConflict]); no driver error and
//     no connection string ever reaches a caller.
//   - Each event stores SHA-256 over its canonical encoding and the previous
//     event's hash in its stream ([ChainHash]); [Store.Verify] reports the
//     first link that does not match.
//
// # Schema
//
// Both backends keep one table, events:
//
//	position    bigint identity, primary key (SQLite: INTEGER PRIMARY KEY)
//	tx_id       xid8, pg_current_xact_id() of the inserting transaction (PostgreSQL only)
//	event_id    uuid, unique
//	stream_id   text, with version unique per stream
//	version     bigint, 1-based
//	type        text, the stored event type name (acv.nomination-received.v1)
//	data        jsonb (SQLite: text), canonical JSON
//	effective_date, actor_org, actor_role, actor_token, correlation_id,
//	causation_id, regime, schema_version: the fields of [Metadata], as columns
//	            (so the log can be queried by them, and read without parsing JSON)
//	recorded_at timestamptz, server time in microseconds
//	prev_hash   bytea, the previous event's hash in the stream (32 zero bytes for version 1)
//	hash        bytea, [ChainHash] of this event
//
// PostgreSQL adds an index on (tx_id, position) for ordered reads.
//
// Two mutable tables sit beside the log (see seal.go and [Eraser]):
//
//	personal_keys  key_id, subject, stream_id, event_id, position (the event's), fields (JSON pointers),
//	               key (32 bytes), created_at: the keys that seal personal data in events, one per
//	               data subject and event; indexed by stream and by position, each index holding
//	               key_id and key, so that a page of ReadStreams or ReadAll reads its keys as one
//	               range (on PostgreSQL position is NULL for a key that a node of the version
//	               before migration 0004 wrote; readers look such keys up by id)
//	erasures       erased_at, subject_kind, subject_sha256, keys_destroyed, streams: the audit of erasures
//
// # Personal data
//
//   - The values package personal's rules find are stored sealed (see
//     [DataKey]); the data column and the hash are over the sealed form.
//   - Every read that hands events to code opens them: [Store.ReadStream],
//     [Store.ReadAll] and the backends' watermill-sql consumer schemas. Only
//     verification reads the stored bytes as they are.
package eventstore
