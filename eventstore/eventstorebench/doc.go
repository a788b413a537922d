// Package eventstorebench holds what the event store's benchmarks share
// with `acv bench`: the raw baseline of each backend (plain SQL into
// raw_events, a table with the same columns and indexes as events, with no
// hashing, no checks and no notifications), the copy of the log that makes
// raw_events as large as events, and the events they append.
// It imports the backends and no testing code, so the acv binary can
// measure a store beside its baseline in one run. eventstoretest's
// benchmark bodies take a [Baseline] from here.
package eventstorebench
