package eventstore

import (
	"context"
	"iter"
	"sync"
	"unsafe"
)

// ReadOpening reads a page of events and opens their sealed values while
// it is read, so that on two processors a page costs about the longer of
// the two instead of their sum.
//
// read decodes the page's rows, in the store's order, each into the slot
// next returns; next returns nil once the page is given up (open failed,
// or ctx is done), and read should then return. open runs on another
// goroutine and opens, in place, consecutive chunks of the page (of
// chunkSize events; the last may be shorter), in order, as they fill. It
// must find the keys of a chunk's events only after the chunk's rows were
// read, so that no event is newer than the keys it is opened with.
//
// ReadOpening returns the page, or the error of open, which comes first,
// or of read, or of ctx. limit bounds the page's length, as read's query
// does; it sizes the page's slice.
//
// read never waits for open: the chunks queue up (they are the page, which
// is held whole anyway). So a page that holds a connection for its rows
// never waits for the connection its keys need, which another page may
// hold: the readers of a pool smaller than their number all finish.
func ReadOpening(ctx context.Context, limit, chunkSize int,
	read func(ctx context.Context, next func() *Event) error,
	open func(ctx context.Context, chunk []Event) error) ([]Event, error) {
	chunkSize = max(1, chunkSize)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The page fills segments, which never grow: the opener holds chunks
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
		var err error
		for chunk := range todo.all() {
			if err == nil {
				if err = open(ctx, chunk); err != nil {
					cancel() // stops read
				}
			}
		}
		opened <- err
	}()
	var (
		segments [][]Event
		seg      []Event
		handed   int // events of seg handed to the opener
	)
	// hand gives the opener the events of seg not yet handed, unless the
	// page was given up.
	hand := func() bool {
		if ctx.Err() != nil {
			return false
		}
		if handed < len(seg) {
			todo.push(seg[handed:len(seg):len(seg)])
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
				segments = append(segments, seg)
				seg = make([]Event, 0, max(1, min(limit-countEvents(segments), segmentSize)))
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
	if oerr := <-opened; oerr != nil {
		return nil, oerr
	}
	if err != nil {
		return nil, err
	}
	if len(segments) == 0 {
		return seg, nil
	}
	out := make([]Event, 0, countEvents(segments)+len(seg))
	for _, s := range append(segments, seg) {
		out = append(out, s...)
	}
	return out, nil
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

func countEvents(segments [][]Event) int {
	n := 0
	for _, s := range segments {
		n += len(s)
	}
	return n
}

// chunkQueue hands chunks of a page from its reader to its opener without
// ever making the reader wait.
type chunkQueue struct {
	mu     sync.Mutex
	chunks [][]Event
	closed bool
	ready  chan struct{} // capacity 1: a chunk came, or the queue closed
}

func (q *chunkQueue) push(chunk []Event) {
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

// all yields the chunks in order until the queue is closed and empty.
func (q *chunkQueue) all() iter.Seq[[]Event] {
	return func(yield func([]Event) bool) {
		for {
			q.mu.Lock()
			if len(q.chunks) > 0 {
				chunk := q.chunks[0]
				q.chunks[0], q.chunks = nil, q.chunks[1:]
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
