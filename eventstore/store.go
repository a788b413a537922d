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
	// Sealed personal data comes as pd says.
	ReadStream(ctx context.Context, stream string, fromVersion int64, pd PersonalData) ([]Event, error)

	// ReadAll returns at most limit events that follow position after in the
	// store's global order; after 0 reads from the start. Every event read
	// is committed, and no event that commits later can come before it.
	ReadAll(ctx context.Context, after int64, limit int) ([]Event, error)

	// Horizon returns the position of the last event ReadAll can reach now
	// in the store's global order: every event at or before it is
	// committed, and no event that commits later can come before it. It
	// is 0 for an empty log (or one whose every event is still behind an
	// open transaction).
	Horizon(ctx context.Context) (int64, error)

	// ReadStreams returns at most limit of the events that come at or
	// before the event at position upTo in the global order (a position
	// from Horizon or ReadAll), ordered by stream, then version, starting
	// after after (the zero StreamCursor reads from the first stream).
	// Read page by page to the end, it yields the same events as ReadAll
	// up to upTo, but each stream's history in one piece: what a rebuild
	// of read models keyed by stream needs, without sorting the log. An
	// unknown upTo is an error matching [ErrUnknownPosition]; upTo 0 reads
	// nothing. Sealed personal data comes as pd says.
	ReadStreams(ctx context.Context, upTo int64, after StreamCursor, limit int, pd PersonalData) ([]Event, error)

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

// PersonalData says how a read gives back the personal data sealed in
// events' data.
type PersonalData int

const (
	// Opened: each sealed value opened with its data subject's key, or as
	// its placeholder once the subject is erased ([ErasedString], null).
	Opened PersonalData = iota
	// AsErased: every sealed value as its placeholder, as if every data
	// subject were erased, and no key is read or used. For readers whose
	// output holds no personal data: the read models' rebuild, whose rows
	// are the same either way (projections), reads the log this way and
	// spends nothing on keys and decryption, and so do the consumers that
	// derive rows from an asset's history (its projector, its clock's
	// schedule).
	AsErased
)

// StreamCursor is where a [Store.ReadStreams] page ends: the stream and
// version of its last event. The next page starts after it.
type StreamCursor struct {
	Stream  string
	Version int64
}

// CursorAfter returns the cursor following the last of events, or after
// itself when events is empty.
func CursorAfter(after StreamCursor, events []Event) StreamCursor {
	if len(events) == 0 {
		return after
	}
	last := events[len(events)-1]
	return StreamCursor{Stream: last.Stream, Version: last.Version}
}
