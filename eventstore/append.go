package eventstore

import (
	"errors"
	"fmt"

	"github.com/google/uuid"
)

// ResolveDuplicate decides what an append that collided with stored rows
// means, given the stored events that share ids with the append (looked up by
// the backend). If every event is stored with the same content, the append
// is an idempotent repeat and ResolveDuplicate returns their positions. If
// one id is stored with other content it returns [ErrEventIDReused]. If none
// of the ids is stored, it returns conflict: the stream moved on.
func ResolveDuplicate(stream string, events []NewEvent, stored []Event, conflict error) ([]int64, error) {
	if len(stored) == 0 {
		return nil, conflict
	}
	byID := make(map[uuid.UUID]Event, len(stored))
	for _, e := range stored {
		byID[e.ID] = e
	}
	positions := make([]int64, len(events))
	for i, e := range events {
		s, ok := byID[e.ID]
		if !ok {
			return nil, fmt.Errorf("append to %s: %d of %d events are stored already: %w", stream, len(stored), len(events), ErrConflict)
		}
		if !SameContent(s, e, stream) {
			return nil, fmt.Errorf("append to %s: event %s: %w", stream, e.ID, ErrEventIDReused)
		}
		positions[i] = s.Position
	}
	return positions, nil
}

// CheckExpected returns a wrapped [ErrConflict] unless a stream at version
// current satisfies expected.
func CheckExpected(stream string, expected ExpectedVersion, current int64) error {
	if expected == Any || int64(expected) == current {
		return nil
	}
	return fmt.Errorf("append to %s: expected %s, stream is at version %d: %w", stream, expected, current, ErrConflict)
}

// ErrDuplicateID is what a backend's write step returns, wrapped, when an
// insert hit a stored event id: an idempotent repeat or a reused id, which
// [AppendProtocol] tells apart.
var ErrDuplicateID = errors.New("event id is stored already")

// AppendProtocol is the part of Append that both backends share. write
// tries the append once (returning a wrapped [ErrConflict] when the stream
// moved, [ErrDuplicateID] when an id is stored); lookup fetches stored
// events by the ids of events. With [Any] a conflict is retried a few
// times; a collision is then resolved by [ResolveDuplicate].
func AppendProtocol(stream string, expected ExpectedVersion, events []NewEvent,
	write func() ([]int64, error), lookup func() ([]Event, error)) ([]int64, error) {
	if expected < Any {
		return nil, fmt.Errorf("append to %s: %w: bad expected version %d", stream, ErrInvalidEvent, expected)
	}
	if len(events) == 0 {
		return nil, nil
	}
	var (
		positions []int64
		err       error
	)
	for attempt := 0; attempt < 5; attempt++ {
		positions, err = write()
		if err == nil || expected != Any || !errors.Is(err, ErrConflict) {
			break
		}
	}
	if errors.Is(err, ErrConflict) || errors.Is(err, ErrDuplicateID) {
		stored, lerr := lookup()
		if lerr != nil {
			return nil, lerr
		}
		return ResolveDuplicate(stream, events, stored, fmt.Errorf("append to %s at %s: %w", stream, expected, ErrConflict))
	}
	return positions, err
}
