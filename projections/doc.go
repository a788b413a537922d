// Package projections builds the registry's read models - registers with
// their history, deadlines, search and statistics - only from events in
// the log, and can rebuild every one of them from position 0. An asset's
// page and timeline are derived from its stream when they are asked for.
//
// It imports domain, eventstore, messaging and personal (the rules of
// what is personal data, which the Redactor removes from public events).
package projections
