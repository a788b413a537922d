package eventstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// positions is a read of n events at positions 1 to n that fails with
// "row error" at the failAt'th (none if failAt < 0).
func positions(n int, failAt int) func(context.Context, func() *Event) error {
	return func(ctx context.Context, next func() *Event) error {
		for i := range n {
			if i == failAt {
				return errors.New("row error")
			}
			e := next()
			if e == nil {
				return nil
			}
			e.Position = int64(i + 1)
		}
		return nil
	}
}

// openLog records what the openers of one page did, for
// [openLog.opener]'s openers: each checks that its chunks are consecutive
// and that each chunk's first index is its first event's.
type openLog struct {
	mu      sync.Mutex
	openers int
	chunks  []int // the chunks' lengths, in the order they were opened
	closed  int
	gate    *helperGate // if set, each Open passes it first
}

func (l *openLog) opener() ChunkOpener {
	l.mu.Lock()
	l.openers++
	l.mu.Unlock()
	return &checkingOpener{log: l}
}

type checkingOpener struct {
	log  *openLog
	last int64 // the position of the last event this opener opened
}

func (o *checkingOpener) Open(_ context.Context, first int, chunk []Event) error {
	if o.log.gate != nil {
		o.log.gate.pass(first)
	}
	if len(chunk) == 0 || chunk[0].Position != int64(first+1) {
		return fmt.Errorf("a chunk at %d of %d events", first, len(chunk))
	}
	for i := range chunk {
		if o.last != 0 && chunk[i].Position != o.last+1 || chunk[i].Data != nil {
			return fmt.Errorf("event at %d after %d, opened %q", chunk[i].Position, o.last, chunk[i].Data)
		}
		o.last = chunk[i].Position
		chunk[i].Data = []byte("opened")
	}
	o.log.mu.Lock()
	o.log.chunks = append(o.log.chunks, len(chunk))
	o.log.mu.Unlock()
	return nil
}

func (o *checkingOpener) Close() {
	o.log.mu.Lock()
	o.log.closed++
	o.log.mu.Unlock()
}

// TestReadOpening: every event read is opened once, in chunks of at most
// the chunk size, each opener's consecutive and in order, across the
// page's segments, and every opener is closed; an error of open stops the
// read and is returned before read's; read's error and a cancelled
// context fail the page.
func TestReadOpening(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{0, 1, 99, 100, 101, 100_000 + 250} {
		var log openLog
		page, err := ReadOpening(ctx, n, 100, positions(n, -1), log.opener)
		if err != nil || len(page) != n {
			t.Fatalf("%d events: ReadOpening = %d events, %v", n, len(page), err)
		}
		for i, e := range page {
			if e.Position != int64(i+1) || string(e.Data) != "opened" {
				t.Fatalf("%d events: event %d is %+v", n, i, e)
			}
		}
		short := 0
		for _, c := range log.chunks {
			if c == 0 || c > 100 {
				t.Errorf("%d events: chunks of %v", n, log.chunks)
			}
			if c < 100 {
				short++
			}
		}
		if short > 1 || log.closed != log.openers {
			t.Errorf("%d events: chunks of %v; %d openers made, %d closed", n, log.chunks, log.openers, log.closed)
		}
	}

	read := 0
	_, err := ReadOpening(ctx, 100_000, 100, func(ctx context.Context, next func() *Event) error {
		for ; read < 100_000; read++ {
			if next() == nil {
				return errors.New("read on after the page was given up")
			}
			if read%100 == 0 {
				time.Sleep(time.Millisecond) // a slow read: the opener fails first
			}
		}
		return nil
	}, func() ChunkOpener {
		return ChunkOpenerFunc(func(context.Context, int, []Event) error { return ErrUnsealable })
	})
	if !errors.Is(err, ErrUnsealable) || read >= 100_000 {
		t.Errorf("a failing open: ReadOpening = %v after %d events read, want ErrUnsealable, and the read stopped", err, read)
	}
	noop := func() ChunkOpener {
		return ChunkOpenerFunc(func(context.Context, int, []Event) error { return nil })
	}
	if _, err := ReadOpening(ctx, 1000, 100, positions(1000, 500), noop); err == nil || err.Error() != "row error" {
		t.Errorf("a failing read: ReadOpening = %v, want its error", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := ReadOpening(cancelled, 1000, 100, positions(1000, -1), noop); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled context: ReadOpening = %v, want context.Canceled", err)
	}
}

// TestReadOpeningHelpsTheOpener: once the rows are read, the reader's
// goroutine opens the back half of the chunks the opener has not reached,
// with openers of its own, so a slow opener's backlog is shared out; a
// failure there fails the page.
func TestReadOpeningHelpsTheOpener(t *testing.T) {
	ctx := context.Background()
	log := openLog{gate: newHelperGate()}
	page, err := ReadOpening(ctx, 5000, 100, positions(5000, -1), log.opener)
	if err != nil || len(page) != 5000 {
		t.Fatalf("ReadOpening = %d events, %v", len(page), err)
	}
	for i, e := range page {
		if e.Position != int64(i+1) || string(e.Data) != "opened" {
			t.Fatalf("event %d is %+v", i, e)
		}
	}
	// 50 chunks: the opener holds the first, the reader's goroutine takes
	// the back half of the other 49, and so on.
	if log.openers < 2 || len(log.chunks) != 50 || log.closed != log.openers {
		t.Errorf("%d openers (%d closed) opened %d chunks, want at least 2 openers for the 50", log.openers, log.closed, len(log.chunks))
	}

	// The helper fails: its error is the page's.
	gate := newHelperGate()
	_, err = ReadOpening(ctx, 5000, 100, positions(5000, -1), func() ChunkOpener {
		var helper, begun bool
		return ChunkOpenerFunc(func(_ context.Context, first int, _ []Event) error {
			gate.pass(first)
			if !begun { // the opener begins at the front, a helper further on
				helper, begun = first > 0, true
			}
			if helper {
				return ErrUnsealable
			}
			return nil
		})
	})
	if !errors.Is(err, ErrUnsealable) {
		t.Errorf("a failing helper: ReadOpening = %v, want ErrUnsealable", err)
	}

	// The caller gives up while the helper opens: the chunks it leaves are
	// not opened, so there is no page, only the context's error.
	given, giveUp := context.WithCancel(ctx)
	defer giveUp()
	gate = newHelperGate()
	page, err = ReadOpening(given, 5000, 100, positions(5000, -1), func() ChunkOpener {
		var begun bool
		return ChunkOpenerFunc(func(_ context.Context, first int, chunk []Event) error {
			gate.pass(first)
			if !begun && first > 0 { // the helper's first chunk
				giveUp()
			}
			begun = true
			for i := range chunk {
				chunk[i].Data = []byte("opened")
			}
			return nil
		})
	})
	if !errors.Is(err, context.Canceled) || page != nil {
		t.Errorf("given up while the helper opens: ReadOpening = %d events, %v; want none, context.Canceled", len(page), err)
	}
}

// helperGate holds a page's opener at its first chunk until a helper has
// begun, so that the reader's goroutine always finds chunks to take back
// however the goroutines are scheduled (without a helper, the opener goes
// on after a while and the test fails on what it finds).
type helperGate struct {
	once  sync.Once
	begun chan struct{}
}

func newHelperGate() *helperGate { return &helperGate{begun: make(chan struct{})} }

// pass is called by an opener with the index of the chunk it opens: the
// page's first chunk waits; any other lets it go.
func (g *helperGate) pass(first int) {
	if first > 0 {
		g.once.Do(func() { close(g.begun) })
		return
	}
	select {
	case <-g.begun:
	case <-time.After(10 * time.Second):
	}
}
