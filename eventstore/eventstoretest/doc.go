// Package eventstoretest is the conformance suite of the event log: one set
// of tests, [Run], that every [eventstore.Store] backend must pass, gap test
// included. Backends call it from their own tests with a [Backend] that
// opens a fresh store and reaches behind it where a test must (to hold a
// transaction open, or to tamper with a row).
package eventstoretest
