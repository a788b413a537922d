// Package postgres is the production backend of the event log: PostgreSQL
// through pgx/v5 and pgxpool.
//
// # Global order without gaps
//
// An identity position alone is not safe to follow: transactions commit in
// another order than they draw positions, so a reader that remembers "the
// last position I saw" can skip a row whose transaction commits after a
// later one. Every row is therefore stamped with pg_current_xact_id() (xid8),
// and [Store.ReadAll] returns only rows whose transaction id is below
// pg_snapshot_xmin(pg_current_snapshot()) - the oldest transaction still
// running - ordered by (tx_id, position). Everything below that horizon has
// finished, so no row can later appear before what a reader has seen. There
// is no timeout that skips a gap. A transaction left open holds every reader
// back, so the store sets idle_in_transaction_session_timeout on its sessions.
//
// # Appends
//
// An append is one INSERT statement (its own transaction) for an expected
// version of "no stream" or an exact version whose head hash is known, so it
// costs one round trip like a raw insert: the unique (stream_id, version)
// constraint turns a lost race into [eventstore.ErrConflict]. The hash of a
// stream's head is cached per process; it can never go stale, because the
// hash of version v never changes. After a commit the store wakes this
// process's subscribers at once and, coalesced, sends NOTIFY acv_events so
// other nodes' subscribers wake too.
//
// # After a logical dump and restore
//
// Transaction ids restart in a new cluster, so rows written after a
// pg_dump/pg_restore could sort before the restored ones. Before serving
// writes on a restored database, stamp the restored rows below every new
// transaction: UPDATE events SET tx_id = '1' (with the append-only trigger
// disabled), which keeps their relative order by position; do the same to
// every consumer offset (consumer_offsets.tx_id holds old ids too, and a
// consumer would otherwise skip every new event); then rebuild the
// projections. docs/operations.md has the procedure as SQL, and a test in
// cmd/acv runs it.
//
// It imports eventstore, domain, uuid and pgx; nothing else imports pgx.
package postgres
