package eventstore

import (
	"context"
	"fmt"
	"time"
)

// DefaultPollInterval bounds how long a subscriber waits for a change it was
// not told about: another node's append when no notification arrives, or the
// PostgreSQL horizon moving when a transaction rolls back.
const DefaultPollInterval = 250 * time.Millisecond

// Subscription reads the log from a position and then follows it. It is not
// safe for concurrent use; give each consumer its own.
type Subscription struct {
	store    Store
	after    int64
	batch    int
	poll     time.Duration
	buffered []Event
}

// Subscribe returns a subscription delivering every event after position
// after, in the store's global order, each exactly once.
func Subscribe(store Store, after int64) *Subscription {
	return &Subscription{store: store, after: after, batch: 1000, poll: DefaultPollInterval}
}

// WithBatch sets how many events one read fetches (default 1000).
func (s *Subscription) WithBatch(n int) *Subscription {
	if n > 0 {
		s.batch = n
	}
	return s
}

// WithPollInterval sets the longest wait between reads when nothing wakes
// the subscription (default [DefaultPollInterval]).
func (s *Subscription) WithPollInterval(d time.Duration) *Subscription {
	if d > 0 {
		s.poll = d
	}
	return s
}

// Position is the position of the last event delivered (or the starting
// position if none was).
func (s *Subscription) Position() int64 { return s.after }

// Next blocks until the next event is available and returns it. It returns
// the context's error when ctx ends, and a wrapped store error if a read fails.
func (s *Subscription) Next(ctx context.Context) (Event, error) {
	for len(s.buffered) == 0 {
		changed := s.store.Changed() // take the channel before reading, so no wake-up is missed
		events, err := s.store.ReadAll(ctx, s.after, s.batch)
		if err != nil {
			return Event{}, fmt.Errorf("subscription after %d: %w", s.after, err)
		}
		if len(events) > 0 {
			s.buffered = events
			break
		}
		timer := time.NewTimer(s.poll)
		select {
		case <-ctx.Done():
			timer.Stop()
			return Event{}, ctx.Err()
		case <-changed:
		case <-timer.C:
		}
		timer.Stop()
	}
	e := s.buffered[0]
	s.buffered = s.buffered[1:]
	s.after = e.Position
	return e, nil
}
