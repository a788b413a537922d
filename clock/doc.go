// Package clock is the statutory clock: the process manager that appends
// each clock event of domain-rules.md's clocks table (decision overdue,
// review overdue, interim moratorium ended, full moratorium ended,
// protected period ended, listing expired, unsuccessful entry expired) once,
// at the start of the first day after its period ends in England.
//
// It has two halves, which share one table, clock_schedule (asset_id,
// due_on), in the log's database:
//
//   - [Schedule] is a consumer of the log (a [messaging.Consumer] named
//     "clock"). On every event of an asset it rebuilds the asset and writes
//     the first day on which a clock event falls due
//     ([domain.Asset.NextClockDue]), through the consumer's transaction, or
//     deletes the asset's row when nothing is pending; unless the asset was
//     last rebuilt from a stream that already held the event (the version
//     it records in clock_versions), when there is nothing new to derive.
//   - [Ticker] reads the rows due on or before today in England and runs
//     [domain.Asset.AdvanceClocks] on those assets. [Ticker.Run] ticks at
//     every midnight in Europe/London and, to pick up rows written after a
//     backdated event, at least once a poll interval.
//
// Invariants. The domain decides what is due; this package only decides
// when to ask. A clock event is never appended before 00:00 Europe/London on
// the day after its period's last day, since the domain raises it only for a
// later "today". Every clock event is named by [EventID], a function of the
// asset, the event type, the event's subject and the period's last day, and
// its metadata is a function of the events too ([Actor], no causation, the
// first event's id as correlation id). Two nodes, a restart or a replay that
// compute the same event therefore store it once: the log's append is
// idempotent for events stored with the same content. The schedule is a
// cache that may lag or run early, never a source of truth: a row due too
// early costs one load that raises nothing; rows are only ever derived from
// an asset's whole stream, so replaying the log rewrites them unchanged.
//
// The package imports domain, eventstore and messaging, and the standard
// library; it holds no package state besides constants. Time is injected
// ([Options.Now], [Options.Wait]).
package clock
