package eventstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// TestOpenEventsInParts: a page large enough to be opened in parts opens
// exactly as its events do one by one, with one key lookup, and a value
// that cannot be opened in a later part fails the page with the first
// such event's error.
func TestOpenEventsInParts(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	var (
		ps     []Prepared
		events []Event
	)
	for i := range 6 * minPart { // 4 parts of sealed events
		if i%3 == 0 {
			events = append(events, Event{ID: uuid.New(), Data: []byte(fmt.Sprintf(`{"n":%d}`, i))})
			continue
		}
		p := mustPrepare(t, personalData)
		ps = append(ps, p)
		events = append(events, stored(p)...)
	}
	keys, _ := keysOf(ps...)(context.Background(), nil)
	want := make([]Event, len(events))
	for i, e := range events {
		e.Data = bytes.Clone(e.Data)
		if err := OpenEvent(&e, keys); err != nil {
			t.Fatal(err)
		}
		want[i] = e
	}
	lookup, calls := counted(keysOf(ps...))
	err := OpenEvents(context.Background(), events, lookup)
	if err != nil || *calls != 1 {
		t.Fatalf("OpenEvents = %v with %d lookups, want one", err, *calls)
	}
	for i := range events {
		if !bytes.Equal(events[i].Data, want[i].Data) {
			t.Fatalf("event %d opened in parts to %s, alone to %s", i, events[i].Data, want[i].Data)
		}
	}

	// Two bad values, in the third and fourth parts: the first is reported.
	page := make([]Event, 0, len(ps))
	for _, p := range ps {
		page = append(page, stored(p)...)
	}
	flip := func(e *Event) { e.Data = bytes.Replace(e.Data, []byte(".s."), []byte(".j."), 1) }
	first, second := &page[len(page)*5/8], &page[len(page)*7/8]
	flip(first)
	flip(second)
	err = OpenEvents(context.Background(), page, keysOf(ps...))
	if !errors.Is(err, ErrUnsealable) || !strings.Contains(err.Error(), first.ID.String()) {
		t.Errorf("OpenEvents = %v, want ErrUnsealable naming event %s", err, first.ID)
	}
}
