package eventstore

import (
	"context"
)

// Store is the append-only log. Implementations are safe for concurrent use
// by many goroutines, and by many processes sharing one database.
type Store interface {
	// Append writes events to the end of stream in one transaction and
	// returns their global positions, in order. It fails with an error
	// matching [ErrConflict] when expected does not match the stream's
	// version, [ErrEventIDReused] when an id is stored with other content, and
	// [ErrInvalidEvent] for a malformed event. Re-appending events that are
	// all stored already, with the same content, returns their positions and
	// writes nothing.
	Append(ctx context.Context, stream string, expected ExpectedVersion, events []NewEvent) ([]int64, error)

	// ReadStream returns the events of stream with version >= fromVersion, in
	// version order. A stream with no events reads as empty, not an error.
	ReadStream(ctx context.Context, stream string, fromVersion int64) ([]Event, error)

	// ReadAll returns at most limit events that follow position after in the
	// store's global order; after 0 reads from the start. Every event read
	// is committed, and no event that commits later can come before it.
	ReadAll(ctx context.Context, after int64, limit int) ([]Event, error)

	// Covers reports whether the event at position comes at or before the
	// event at checkpoint in the store's global order: whether a reader that
	// has processed everything up to checkpoint has seen it. Position 0 is
	// covered by every checkpoint. An unknown position is an error matching
	// [ErrUnknownPosition].
	Covers(ctx context.Context, checkpoint, position int64) (bool, error)

	// LastPosition returns the highest position stored, 0 for an empty log.
	// Positions can skip, so it is not a count of events.
	LastPosition(ctx context.Context) (int64, error)

	// Verify recomputes the hash chain of one stream.
	Verify(ctx context.Context, stream string) (VerifyReport, error)

	// VerifyAll recomputes the hash chain of every stream.
	VerifyAll(ctx context.Context) (VerifyReport, error)

	// Changed returns a channel that is closed the next time this process
	// appends, or when the backend learns that another process did. Waiters
	// call it again after each wake-up.
	Changed() <-chan struct{}

	// Close releases the store's connections.
	Close() error
}
