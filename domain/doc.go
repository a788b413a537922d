// Package domain is the law as code: the English Assets of Community Value
// regime (Localism Act 2011, Part 5 Chapter 3, and the Assets of Community
// Value (England) Regulations 2012) as an event-sourced aggregate.
//
// An [Asset] is a piece of land and everything that happens to it:
// nominations, decisions, notices, reviews, appeals, removal, disposal
// notices, moratoria, bidder requests, bids, disposals, owners and
// compensation. Commands (ReceiveNomination, DecideNomination, ...) validate
// their input against the rules and the asset's history and raise events;
// events fold into state through [Rebuild]. The business rules are summarised
// at the top of asset.go and cited in every refusal.
//
// An [Organisation] (organisation.go) is a council, community group or owner:
// the parties that act in the registry. People act for organisations. Its
// events have their own codec (organisation_events.go).
//
// The statutory calendar (calendar.go) counts every period in civil days in
// England, and the rules in force come from a [Regime] chosen by the date a
// process started ([Regimes.RegimeFor]). The codec (codec.go) is the stored
// contract with the event store: stable, versioned type names and JSON
// payloads.
//
// Imports: the standard library only (deps_test.go enforces it). The package
// does no I/O, never reads the clock (commands take today), makes no random
// ids (callers pass them in), never logs and holds no mutable package state.
//
// Invariants:
//   - Bad facts never become events: no date after today, no answer dated
//     before its question, no command the asset's history makes impossible.
//     Refusals are a *[ValidationError] (bad input), a *[RuleError] naming the
//     provision (the law or the lifecycle forbids it), or an error wrapping
//     [ErrNotFound] (an unknown nomination, review, bid ...).
//   - What the law makes merely late is recorded, not refused: a late decision
//     shows as late; a late or ineligible bidder request is recorded as
//     rejected; a disposal in breach of s.95 is recorded and flagged.
//   - Applying events never fails: stored history is always foldable, and end
//     dates are derived from events and regimes, never stored as input.
//   - An Asset is not safe for concurrent use; dates, periods, regimes and
//     events are values, safe to share.
package domain
