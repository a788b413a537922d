package eventstore

import (
	"context"
	"iter"
	"slices"
	"sync"
	"unsafe"
)

// A ChunkOpener opens the sealed values of chunks of one page read by
// [ReadOpening]. It is used by one goroutine, on chunks in the page's
// order; a page may have several, each given a run of the page's chunks.
type ChunkOpener interface {
	// Open opens, in place, chunk, whose first event is the first'th of
	// the page (counting from 0).
	Open(ctx context.Context, first int, chunk []Event) error
	// Close releases what the opener holds; it is called once, after its
	// last Open.
	Close()
}

// ChunkOpenerFunc is a ChunkOpener that holds nothing: a func that opens
// a chunk on its own.
type ChunkOpenerFunc func(ctx context.Context, first int, chunk []Event) error

// Open calls f.
func (f ChunkOpenerFunc) Open(ctx context.Context, first int, chunk []Event) error {
	return f(ctx, first, chunk)
}

// Close does nothing.
func (ChunkOpenerFunc) Close() {}

// ReadOpening reads a page of events and opens their sealed values while
// it is read, so that on two processors a page costs about the longer of
// the two instead of their sum.
//
// read decodes the page's rows, in the store's order, each into the slot
// next returns; next returns nil once the page is given up (an open
// failed, or ctx is done), and read should then return. Meanwhile an
// opener (from newOpener) on another goroutine opens, in place,
// consecutive chunks of the page (of chunkSize events; the last may be
// shorter), in order, as they fill. An opener must find the keys of a
// chunk's events only after the chunk's rows were read, so that no event
// is newer than the keys it is opened with.
//
// Once read has returned, its goroutine does not wait idle for the opener
// to catch up: it takes the back half of the chunks still queued, opens
// them with an opener of its own, and again, until none is left. (The
// opener is usually the slower: on SQLite, before, the reader waited for
// it at the end of each page, 1.1-1.2 s in all of a read of 10^6 events
// taking 4.4-5 s.) The opener keeps the front; each opener's chunks are
// consecutive and in order.
//
// newOpener may be called from the two goroutines at once.
//
// ReadOpening returns the page, or the error of an opener, which comes
// first, or of read, or of ctx. limit bounds the page's length, as read's
// query does; it sizes the page's slice.
//
// read never waits for an opener: the chunks queue up (they are the
// page, which is held whole anyway). So a page that holds a connection for
// its rows never waits for the connection its keys need, which another
// page may hold: the readers of a pool smaller than their number all
// finish. (The reader's goroutine opens chunks only once read has
// returned, and with it the connection of its rows.)
func ReadOpening(ctx context.Context, limit, chunkSize int,
	read func(ctx context.Context, next func() *Event) error,
	newOpener func() ChunkOpener) ([]Event, error) {
	chunkSize = max(1, chunkSize)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The page fills segments, which never grow: the openers hold chunks
	// of them. A page of up to segmentSize events is one segment.
	const segmentSize = 100_000
	todo := chunkQueue{ready: make(chan struct{}, 1)}
	opened, first := make(chan error, 1), make(chan []Event, 1)
	go func() {
		// The first segment is made here while read's query starts: its
		// memory is often fresh from the system (the runtime returns
		// freed memory between pages), and faults on its first write,
		// which costs the reader, on whose time the page waits, more
		// than it costs the opener (ReadAll on SQLite at 10^6: 0.7 s of
		// 5.4).
		first <- touched(make([]Event, 0, max(1, min(limit, segmentSize))))
		o := newOpener()
		var err error
		for chunk := range todo.all() {
			if err == nil {
				if err = o.Open(ctx, chunk.first, chunk.events); err != nil {
					cancel() // stops read
				}
			}
		}
		o.Close()
		opened <- err
	}()
	var (
		segments [][]Event
		seg      []Event
		before   int // events of the page in segments
		handed   int // events of seg handed to the opener
	)
	// hand gives the opener the events of seg not yet handed, unless the
	// page was given up.
	hand := func() bool {
		if ctx.Err() != nil {
			return false
		}
		if handed < len(seg) {
			todo.push(pageChunk{before + handed, seg[handed:len(seg):len(seg)]})
			handed = len(seg)
		}
		return true
	}
	next := func() *Event {
		if len(seg)-handed == chunkSize || len(seg) == cap(seg) { // the last slot given out is filled
			if !hand() {
				return nil
			}
		}
		if len(seg) == cap(seg) {
			if seg == nil {
				seg = <-first
			} else {
				segments, before = append(segments, seg), before+len(seg)
				seg = make([]Event, 0, max(1, min(limit-before, segmentSize)))
			}
			handed = 0
		}
		seg = seg[:len(seg)+1]
		return &seg[len(seg)-1]
	}
	err := read(ctx, next)
	if err == nil {
		hand()
		err = ctx.Err() // given up: a chunk may not have been opened
	}
	todo.close()
	var serr error
	if err == nil {
		if serr = helpOpen(ctx, &todo, newOpener); serr != nil {
			cancel() // stops the opener
		}
	}
	if oerr := <-opened; oerr != nil {
		return nil, oerr
	}
	if serr != nil {
		return nil, serr
	}
	if err != nil {
		return nil, err
	}
	if len(segments) == 0 {
		return seg, nil
	}
	out := make([]Event, 0, before+len(seg))
	for _, s := range append(segments, seg) {
		out = append(out, s...)
	}
	return out, nil
}

// helpOpen opens the back half of the chunks queued in todo with an
// opener of its own, and again, until todo is empty. It stops early, with
// ctx's error, once ctx is done (the opener failed, or the caller gave
// up): the chunks it leaves are not opened, so the page must not be
// returned.
func helpOpen(ctx context.Context, todo *chunkQueue, newOpener func() ChunkOpener) error {
	for {
		chunks := todo.takeBack()
		if len(chunks) == 0 {
			return nil
		}
		o := newOpener()
		for _, c := range chunks {
			err := ctx.Err()
			if err == nil {
				err = o.Open(ctx, c.first, c.events)
			}
			if err != nil {
				o.Close()
				return err
			}
		}
		o.Close()
	}
}

// touched writes to each page of the memory of s's capacity, and returns s.
func touched(s []Event) []Event {
	const pageSize = 4096
	all := s[:cap(s)]
	for i := 0; i < len(all); i += max(1, pageSize/int(unsafe.Sizeof(Event{}))) {
		all[i].Position = 0
	}
	return s
}

// pageChunk is a chunk of a page: its events, the first'th on.
type pageChunk struct {
	first  int
	events []Event
}

// chunkQueue hands chunks of a page from its reader to its openers without
// ever making the reader wait.
type chunkQueue struct {
	mu     sync.Mutex
	chunks []pageChunk
	closed bool
	ready  chan struct{} // capacity 1: a chunk came, or the queue closed
}

func (q *chunkQueue) push(chunk pageChunk) {
	q.mu.Lock()
	q.chunks = append(q.chunks, chunk)
	q.mu.Unlock()
	q.signal()
}

func (q *chunkQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

func (q *chunkQueue) signal() {
	select {
	case q.ready <- struct{}{}:
	default: // a signal is pending already
	}
}

// takeBack removes and returns the back half of the queued chunks (the
// larger half, so the last one too): the front opener is busy with a
// chunk taken already.
func (q *chunkQueue) takeBack() []pageChunk {
	q.mu.Lock()
	defer q.mu.Unlock()
	keep := len(q.chunks) / 2
	back := slices.Clone(q.chunks[keep:])
	clear(q.chunks[keep:])
	q.chunks = q.chunks[:keep]
	return back
}

// all yields the chunks from the front, in order, until the queue is
// closed and empty.
func (q *chunkQueue) all() iter.Seq[pageChunk] {
	return func(yield func(pageChunk) bool) {
		for {
			q.mu.Lock()
			if len(q.chunks) > 0 {
				chunk := q.chunks[0]
				q.chunks[0], q.chunks = pageChunk{}, q.chunks[1:]
				q.mu.Unlock()
				if !yield(chunk) {
					return
				}
				continue
			}
			closed := q.closed
			q.mu.Unlock()
			if closed {
				return
			}
			<-q.ready
		}
	}
}
