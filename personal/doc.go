// Package personal holds the one definition of personal data in the
// registry's events: which JSON fields name or describe a person (the
// names and addresses of individual owners and occupiers, nominators'
// contact details, the list of 21 electors) and whose data each is (its
// data subject).
//
// Two sides use the same rules: the event store seals what [Walk] finds
// before it writes an event (crypto-shredding: each subject's data is
// encrypted under keys that erasure destroys), and projections'
// Redactor removes it from the events the public sees. Keeping the rules
// here means that a field the public never sees is also a field that can
// be erased.
//
// The rules work on decoded JSON (the map[string]any, []any, string,
// json.Number, bool and nil values encoding/json produces), not on Go
// types, so that an event type added later is covered too. The package
// imports only the standard library and has no state.
package personal
