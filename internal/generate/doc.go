// Package generate writes a realistic, deterministic national history of
// the registry into an event store: about 310 councils, about 750
// nominations a year from the regime's commencement, 60-80% of them listed,
// 41% pubs and 15% green spaces; consultation, listing and removal notices;
// owners' reviews and tribunal appeals; about 50 disposal notices a year,
// three quarters of them reaching a full moratorium, with bids, sales to
// community groups and to others; exempt disposals and changes of owner;
// expiries and re-nominations. A scale factor multiplies the nominations,
// so that a benchmark can hold 100 or 1,000 times England.
//
// Every fact is produced by running the domain's commands on
// [domain.Asset] aggregates, as the API does, so the history obeys the law;
// the statutory clocks (decision overdue, moratoria ended, listing expired,
// ...) are raised by [domain.Asset.AdvanceClocks] on the day after each
// period ends. Time and ids come from the options' seed, never from the
// machine: the same options write the same log (the store stamps
// recorded_at with its own clock).
//
// Events are written through [eventstore.Store.Append], one call per asset
// per year of history with all of that year's events, so an asset's history
// is spread across the log as it is in a real registry. One goroutine
// simulates while another appends, in order.
//
// It imports domain and eventstore only; it is used by `acv generate` and
// `acv bench` and by tests that need a national-sized log.
package generate
