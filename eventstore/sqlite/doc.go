// Package sqlite is the embedded backend of the event log: one SQLite file
// through modernc.org/sqlite (pure Go, no cgo), the default when no
// PostgreSQL is configured.
//
// SQLite has one writer at a time, so every append runs in a BEGIN
// IMMEDIATE transaction on a single write connection and the global order is
// simply position order. Reads use a separate pool of read-only connections
// over WAL, so they never wait for the writer.
//
// It imports eventstore, domain, uuid and the driver. The schema is in
// migrations/, embedded in the binary and applied by [Open].
package sqlite
