package messaging

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/acv-registry/acv/eventstore"
)

// Progress follows one consumer group's offset for readers: a request that
// waits until the read models show its write (read-your-writes), and a
// cache keyed on the read models' checkpoint. The offset is read from the
// database, so it is right whichever node's consumer advanced it.
type Progress struct {
	db     *sql.DB
	d      eventstore.Dialect
	store  eventstore.Store
	name   string
	router *Router
	// fresh is how long a read offset is served before it is read again.
	fresh time.Duration

	mu     sync.Mutex
	pos    int64
	readAt time.Time
}

// NewProgress follows consumer name's offset. router (optional) tells it
// when this process's consumer commits, so waits end at once.
func NewProgress(db *sql.DB, d eventstore.Dialect, store eventstore.Store, name string, router *Router) *Progress {
	return &Progress{db: db, d: d, store: store, name: name, router: router, fresh: 20 * time.Millisecond}
}

// Position returns the consumer's offset, read from the database at most
// once every 20ms. A public response cached under it is at most that much
// older than what another node's consumer has committed.
func (p *Progress) Position() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.readAt) < p.fresh {
		return p.pos
	}
	pos, err := Offset(context.Background(), p.db, p.d, p.name)
	if err != nil {
		return p.pos // keep serving the last known checkpoint; the next call reads again
	}
	p.pos, p.readAt = pos, time.Now()
	return pos
}

// WaitFor blocks until the consumer has handled the event at position, or
// ctx ends.
func (p *Progress) WaitFor(ctx context.Context, position int64) error {
	for {
		var advanced <-chan struct{}
		if p.router != nil {
			advanced = p.router.Advanced(p.name)
		}
		off, err := Offset(ctx, p.db, p.d, p.name)
		if err != nil {
			return err
		}
		ok, err := p.store.Covers(ctx, off, position)
		if err != nil {
			return fmt.Errorf("wait for position %d: %w", position, err)
		}
		if ok {
			return nil
		}
		// Another node's consumer may be the one advancing: look again soon.
		timer := time.NewTimer(10 * time.Millisecond)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-advanced:
		case <-timer.C:
		}
		timer.Stop()
	}
}
