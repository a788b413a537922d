package eventstore

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestReadOpening: every event read is opened once, in chunks of at most
// the chunk size that come in order, across the page's segments; an error
// of open stops the read and is returned before read's; read's error and a
// cancelled context fail the page.
func TestReadOpening(t *testing.T) {
	ctx := context.Background()
	reader := func(n int, failAt int) func(context.Context, func() *Event) error {
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
	for _, n := range []int{0, 1, 99, 100, 101, 100_000 + 250} {
		var chunks []int
		var last int64
		page, err := ReadOpening(ctx, n, 100, reader(n, -1), func(_ context.Context, chunk []Event) error {
			chunks = append(chunks, len(chunk))
			for i := range chunk {
				if chunk[i].Position != last+1 || chunk[i].Data != nil {
					return fmt.Errorf("event at %d after %d, opened %q", chunk[i].Position, last, chunk[i].Data)
				}
				last = chunk[i].Position
				chunk[i].Data = []byte("opened")
			}
			return nil
		})
		if err != nil || len(page) != n {
			t.Fatalf("%d events: ReadOpening = %d events, %v", n, len(page), err)
		}
		for i, e := range page {
			if e.Position != int64(i+1) || string(e.Data) != "opened" {
				t.Fatalf("%d events: event %d is %+v", n, i, e)
			}
		}
		for i, c := range chunks {
			if c == 0 || c > 100 || (c < 100 && i < len(chunks)-1) {
				t.Errorf("%d events: chunks of %v", n, chunks)
				break
			}
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
	}, func(context.Context, []Event) error { return ErrUnsealable })
	if !errors.Is(err, ErrUnsealable) || read >= 100_000 {
		t.Errorf("a failing open: ReadOpening = %v after %d events read, want ErrUnsealable, and the read stopped", err, read)
	}
	noop := func(context.Context, []Event) error { return nil }
	if _, err := ReadOpening(ctx, 1000, 100, reader(1000, 500), noop); err == nil || err.Error() != "row error" {
		t.Errorf("a failing read: ReadOpening = %v, want its error", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := ReadOpening(cancelled, 1000, 100, reader(1000, -1), noop); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled context: ReadOpening = %v, want context.Canceled", err)
	}
}
