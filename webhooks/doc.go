// Package webhooks tells other systems about changes to the registry: a
// subscription names a council or an asset and an https URL, and every
// event of the log about that council's assets, or that asset, is POSTed
// to the URL as a CloudEvents 1.0 JSON body, signed, and retried until the
// receiver answers 2xx or the attempts run out. Every attempt is kept in a
// delivery log that operators read through the API.
//
// Three parts, all over the log's own database (PostgreSQL or the SQLite
// file; see [Migrate]):
//
//   - [Registry] manages subscriptions (the API's /v1/webhooks routes).
//   - [Outbox] is the consumer of the log named "webhooks": for each event
//     it adds one pending delivery per matching subscription, through the
//     consumer's transaction, so deliveries and the consumer's offset commit
//     together. A delivery's id is derived from the subscription's and the
//     event's, and an insert of one that exists does nothing, so replaying
//     events adds nothing.
//   - [Deliverer] sends due deliveries. A node claims a few at a time in a
//     short transaction (FOR UPDATE SKIP LOCKED on PostgreSQL) that moves
//     their next attempt a lease ahead, so two nodes never send one delivery
//     at once, and a node killed while sending leaves the delivery to be sent
//     again by any node once the lease runs out. A result is recorded only by
//     the claim that made it (the attempt number fences it).
//
// Delivery is at least once. The CloudEvents id is the event's id, the same
// on every attempt, from every node and to every subscription: receivers
// de-duplicate on it (with the source). Deliveries are not ordered; data
// carries the event's stream version and log position.
//
// # What a receiver gets
//
//	POST <url>
//	Content-Type: application/cloudevents+json; charset=utf-8
//	X-ACV-Delivery: <delivery id: stable for this subscription and event>
//	X-ACV-Attempt: <1, 2, ...>
//	X-ACV-Timestamp: <Unix seconds when this attempt was signed>
//	X-ACV-Signature: sha256=<hex HMAC-SHA256 over "<timestamp>.<body>">
//
//	{"specversion":"1.0","id":"<event id>","source":"urn:acv:registry",
//	 "type":"acv.nomination-received.v1","subject":"<asset id>",
//	 "time":"<recorded at>","datacontenttype":"application/json",
//	 "data":{<projections.PublicEvent: id, type, stream, asset_id, council,
//	         position, version, effective_date, recorded_at, regime, data,
//	         redacted>}}
//
// The signature is the HMAC-SHA256, keyed with the subscription's secret
// (the string [Registry.Subscribe] returned, as bytes), of the timestamp
// header, a full stop and the exact body bytes. A receiver recomputes it,
// compares in constant time, and refuses a timestamp more than a few
// minutes from its own clock, so a captured request cannot be replayed
// later; [Verify] does all three. Redirects are not followed, and a
// receiver's answer other than 2xx, or none within the timeout, is a failed
// attempt: retried with exponential backoff and jitter (by default 10
// attempts over about 21 hours), then marked failed.
//
// Personal data never leaves: data is the public form of the event
// ([projections.Publisher]), with the names and addresses of individual
// owners and occupiers, nominators' contact details and the electors
// removed.
//
// Imports: domain, eventstore, messaging (the consumer contract) and
// projections (the public form of events), with database/sql. No package
// state: clocks, HTTP clients and loggers are injected.
package webhooks
