// Package messaging carries the log's events to its consumers: the read
// models, the statutory clock and the outbound integrations. Every consumer
// is a handler under one Watermill router, reading the events table itself
// through a watermill-sql subscriber (a consumer group per consumer), so an
// event is stored once however many consumers read it.
//
// A consumer handles one event at a time, in the log's order, inside the
// subscriber's transaction: the rows it writes through [Tx] commit together
// with its offset (a row of consumer_offsets), so a crash, a restart or a
// second node never applies an event twice or skips one. Nodes share the
// consumer groups: the offset row is locked for the length of a batch, so
// one node at a time handles a consumer's events.
//
// A handler that fails is retried with backoff; one that still fails puts
// the event in the poison queue (consumer_poison) and the consumer moves on.
// An operator lists and replays the queue with `acv poison`.
package messaging
