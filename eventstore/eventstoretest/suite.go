package eventstoretest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/eventstorebench"
	"github.com/google/uuid"
)

// Backend is what the suite needs of a backend.
type Backend struct {
	// Open returns a fresh, empty, migrated store whose clock is now. The
	// backend closes it in t.Cleanup.
	Open func(t testing.TB, now func() time.Time) eventstore.Store
	// AppendHook appends in an explicit transaction and calls beforeCommit
	// after writing; an error from it rolls the transaction back.
	AppendHook func(ctx context.Context, s eventstore.Store, stream string, expected eventstore.ExpectedVersion, events []eventstore.NewEvent, beforeCommit func() error) ([]int64, error)
	// Tamper changes the stored row of stream at version behind the
	// store's back: how is "data" (edit its payload), "hash" (overwrite its
	// hash), "delete" (remove the row), "recorded_at" (move its recording
	// time a second on) or "schema_version" (add one to it).
	Tamper func(t testing.TB, s eventstore.Store, stream string, version int64, how string)
	// GapEvents is how many events the gap test commits (at least 20,000
	// when testing.Short() is false).
	GapEvents int
}

// Run runs the whole suite against b.
func Run(t *testing.T, b Backend) {
	t.Run("AppendAndReadStream", func(t *testing.T) { testAppendAndRead(t, b) })
	t.Run("ExpectedVersion", func(t *testing.T) { testExpectedVersion(t, b) })
	t.Run("Idempotency", func(t *testing.T) { testIdempotency(t, b) })
	t.Run("InvalidEvents", func(t *testing.T) { testInvalid(t, b) })
	t.Run("ReadAllPaging", func(t *testing.T) { testReadAll(t, b) })
	t.Run("ReadStreams", func(t *testing.T) { testReadStreams(t, b) })
	t.Run("ConcurrentAppendOneWinner", func(t *testing.T) { testRace(t, b) })
	t.Run("HashChain", func(t *testing.T) { testHashChain(t, b) })
	t.Run("Subscription", func(t *testing.T) { testSubscription(t, b) })
	t.Run("HeldTransactionHidesLaterCommits", func(t *testing.T) { testHeldTransaction(t, b) })
	t.Run("Covers", func(t *testing.T) { testCovers(t, b) })
	t.Run("PersonalData", func(t *testing.T) { testPersonalData(t, b) })
	t.Run("PersonalDataPages", func(t *testing.T) { testPersonalDataPages(t, b) })
	t.Run("ConcurrentReadAll", func(t *testing.T) { testConcurrentReadAll(t, b) })
	t.Run("Gap", func(t *testing.T) { testGap(t, b) })
}

var fixedNow = time.Date(2026, 3, 31, 23, 30, 0, 123456789, time.UTC)

func clock() func() time.Time { return func() time.Time { return fixedNow } }

// newEvent returns a valid event with a fresh id.
func newEvent(typ string, payload map[string]any) eventstore.NewEvent {
	data, err := json.Marshal(payload)
	if err != nil {
		panic(err)
	}
	return eventstore.NewEvent{
		ID:   uuid.New(),
		Type: typ,
		Data: data,
		Metadata: eventstore.Metadata{
			EffectiveDate: domain.DateOf(fixedNow),
			Actor:         eventstore.Actor{Org: "local-authority:MDS", Role: "council_officer", TokenID: "tok-1"},
			CorrelationID: uuid.New(),
			Regime:        "localism-2012",
			SchemaVersion: 1,
		},
	}
}

func events(n int) []eventstore.NewEvent {
	out := make([]eventstore.NewEvent, n)
	for i := range out {
		out[i] = newEvent("test.thing-happened.v1", map[string]any{"n": i, "name": "The Red Lion <pub> & garden", "z": []any{1, "é"}})
	}
	return out
}

func stream() string { return "asset-" + uuid.NewString() }

func mustAppend(t testing.TB, s eventstore.Store, stream string, expected eventstore.ExpectedVersion, es []eventstore.NewEvent) []int64 {
	t.Helper()
	pos, err := s.Append(context.Background(), stream, expected, es)
	if err != nil {
		t.Fatalf("Append(%s, %s): %v", stream, expected, err)
	}
	return pos
}

func mustReadAll(t testing.TB, s eventstore.Store) []eventstore.Event {
	t.Helper()
	var out []eventstore.Event
	after := int64(0)
	for {
		page, err := s.ReadAll(context.Background(), after, 5000)
		if err != nil {
			t.Fatalf("ReadAll(%d): %v", after, err)
		}
		if len(page) == 0 {
			return out
		}
		out = append(out, page...)
		after = page[len(page)-1].Position
	}
}

func testAppendAndRead(t *testing.T, b Backend) {
	s := b.Open(t, clock())
	ctx := context.Background()
	st := stream()
	in := events(3)
	pos := mustAppend(t, s, st, eventstore.NoStream, in)
	if len(pos) != 3 || !(pos[0] < pos[1] && pos[1] < pos[2]) || pos[0] <= 0 {
		t.Fatalf("positions = %v, want three increasing positive positions", pos)
	}
	more := events(2)
	pos2 := mustAppend(t, s, st, eventstore.Exact(3), more)
	if pos2[0] <= pos[2] {
		t.Errorf("second append positions %v not after %v", pos2, pos)
	}
	got, err := s.ReadStream(ctx, st, 1, eventstore.Opened)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 {
		t.Fatalf("ReadStream returned %d events, want 5", len(got))
	}
	all := append(in, more...)
	for i, e := range got {
		want := all[i]
		if e.ID != want.ID || e.Type != want.Type || e.Stream != st || e.Version != int64(i+1) {
			t.Errorf("event %d = %s %s %s v%d, want %s %s %s v%d", i, e.ID, e.Type, e.Stream, e.Version, want.ID, want.Type, st, i+1)
		}
		if e.Metadata != want.Metadata {
			t.Errorf("event %d metadata = %+v, want %+v", i, e.Metadata, want.Metadata)
		}
		var a, b map[string]any
		if err := json.Unmarshal(e.Data, &a); err != nil {
			t.Fatalf("stored data is not JSON: %v", err)
		}
		_ = json.Unmarshal(want.Data, &b)
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("event %d data = %s, want %s", i, e.Data, want.Data)
		}
		if !e.RecordedAt.Equal(fixedNow.Truncate(time.Microsecond)) {
			t.Errorf("recorded_at = %v, want the injected clock %v", e.RecordedAt, fixedNow)
		}
		if len(e.Hash) != eventstore.HashSize {
			t.Errorf("event %d hash has %d bytes", i, len(e.Hash))
		}
		if i > 0 && string(e.PrevHash) != string(got[i-1].Hash) {
			t.Errorf("event %d prev_hash does not chain to event %d", i, i-1)
		}
	}
	// The metadata's effective date is England's civil date: 23:30 UTC on
	// 31 March 2026 is 1 April in British Summer Time.
	if d := got[0].Metadata.EffectiveDate.String(); d != "2026-04-01" {
		t.Errorf("effective date = %s, want 2026-04-01", d)
	}
	tail, err := s.ReadStream(ctx, st, 4, eventstore.Opened)
	if err != nil || len(tail) != 2 || tail[0].Version != 4 {
		t.Errorf("ReadStream from 4 = %d events (%v), want versions 4 and 5", len(tail), err)
	}
	empty, err := s.ReadStream(ctx, stream(), 1, eventstore.Opened)
	if err != nil || len(empty) != 0 {
		t.Errorf("ReadStream of an unknown stream = %d events, %v; want none, no error", len(empty), err)
	}
}

func testExpectedVersion(t *testing.T, b Backend) {
	s := b.Open(t, clock())
	ctx := context.Background()
	st := stream()
	mustAppend(t, s, st, eventstore.NoStream, events(2))
	for _, tt := range []struct {
		name     string
		expected eventstore.ExpectedVersion
		wantErr  error
	}{
		{"no stream on an existing stream", eventstore.NoStream, eventstore.ErrConflict},
		{"stale version", eventstore.Exact(1), eventstore.ErrConflict},
		{"version from the future", eventstore.Exact(7), eventstore.ErrConflict},
		{"nonsense expected version", eventstore.ExpectedVersion(-5), eventstore.ErrInvalidEvent},
		{"exact current version", eventstore.Exact(2), nil},
		{"any version", eventstore.Any, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := len(mustReadAll(t, s))
			_, err := s.Append(ctx, st, tt.expected, events(1))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Append at %s: error %v, want %v", tt.expected, err, tt.wantErr)
			}
			if tt.wantErr == eventstore.ErrConflict && !errors.Is(err, domain.ErrConflict) {
				t.Errorf("conflict %v does not match domain.ErrConflict", err)
			}
			after := len(mustReadAll(t, s))
			if tt.wantErr != nil && after != before {
				t.Errorf("a refused append stored %d events", after-before)
			}
		})
	}
	got, _ := s.ReadStream(ctx, st, 1, eventstore.Opened)
	if len(got) != 4 {
		t.Errorf("stream has %d events, want 4", len(got))
	}
}

func testIdempotency(t *testing.T, b Backend) {
	s := b.Open(t, clock())
	ctx := context.Background()
	st := stream()
	in := events(3)
	first := mustAppend(t, s, st, eventstore.NoStream, in)
	for _, expected := range []eventstore.ExpectedVersion{eventstore.NoStream, eventstore.Exact(0), eventstore.Any} {
		again, err := s.Append(ctx, st, expected, in)
		if err != nil {
			t.Fatalf("re-append at %s: %v, want success", expected, err)
		}
		if fmt.Sprint(again) != fmt.Sprint(first) {
			t.Errorf("re-append at %s returned positions %v, want the first %v", expected, again, first)
		}
	}
	if n := len(mustReadAll(t, s)); n != 3 {
		t.Errorf("log holds %d events after re-appends, want 3", n)
	}
	changed := in[1]
	changed.Data = json.RawMessage(`{"n": 99}`)
	if _, err := s.Append(ctx, st, eventstore.Any, []eventstore.NewEvent{changed}); !errors.Is(err, eventstore.ErrEventIDReused) {
		t.Errorf("same id, other content: error %v, want ErrEventIDReused", err)
	}
	if _, err := s.Append(ctx, stream(), eventstore.NoStream, []eventstore.NewEvent{in[0]}); !errors.Is(err, eventstore.ErrEventIDReused) {
		t.Errorf("same id in another stream: error %v, want ErrEventIDReused", err)
	}
	if n := len(mustReadAll(t, s)); n != 3 {
		t.Errorf("log holds %d events, want 3", n)
	}
}

func testInvalid(t *testing.T, b Backend) {
	s := b.Open(t, clock())
	ctx := context.Background()
	noID := newEvent("x.v1", map[string]any{})
	noID.ID = uuid.Nil
	noType := newEvent("", map[string]any{})
	array := newEvent("x.v1", nil)
	array.Data = json.RawMessage(`[1,2]`)
	broken := newEvent("x.v1", nil)
	broken.Data = json.RawMessage(`{"a":`)
	twice := newEvent("x.v1", map[string]any{})
	for name, es := range map[string][]eventstore.NewEvent{
		"no id": {noID}, "no type": {noType}, "array data": {array}, "broken json": {broken},
		"one id twice": {twice, twice}, "good then bad": {newEvent("x.v1", map[string]any{}), noType},
	} {
		if _, err := s.Append(ctx, stream(), eventstore.Any, es); !errors.Is(err, eventstore.ErrInvalidEvent) {
			t.Errorf("%s: error %v, want ErrInvalidEvent", name, err)
		}
	}
	if _, err := s.Append(ctx, "", eventstore.Any, events(1)); !errors.Is(err, eventstore.ErrInvalidEvent) {
		t.Errorf("empty stream name: error %v, want ErrInvalidEvent", err)
	}
	if n := len(mustReadAll(t, s)); n != 0 {
		t.Errorf("invalid appends stored %d events", n)
	}
}

func testReadAll(t *testing.T, b Backend) {
	s := b.Open(t, clock())
	ctx := context.Background()
	var want []int64
	for i := 0; i < 10; i++ {
		want = append(want, mustAppend(t, s, stream(), eventstore.NoStream, events(i%3+1))...)
	}
	page, err := s.ReadAll(ctx, 0, 4)
	if err != nil || len(page) != 4 {
		t.Fatalf("ReadAll(0, 4) = %d events, %v", len(page), err)
	}
	all := mustReadAll(t, s)
	if len(all) != len(want) {
		t.Fatalf("ReadAll read %d events, want %d", len(all), len(want))
	}
	for i, e := range all {
		if e.Position != want[i] {
			t.Fatalf("event %d at position %d, want %d (sequential appends read in append order)", i, e.Position, want[i])
		}
	}
	rest, err := s.ReadAll(ctx, all[5].Position, 1000)
	if err != nil || len(rest) != len(all)-6 || rest[0].ID != all[6].ID {
		t.Errorf("ReadAll after the 6th event: %d events (%v), want %d starting with the 7th", len(rest), err, len(all)-6)
	}
	end, err := s.ReadAll(ctx, all[len(all)-1].Position, 10)
	if err != nil || len(end) != 0 {
		t.Errorf("ReadAll after the last event = %d events, %v; want none", len(end), err)
	}
}

func testRace(t *testing.T, b Backend) {
	s := b.Open(t, clock())
	ctx := context.Background()
	st := stream()
	mustAppend(t, s, st, eventstore.NoStream, events(1))
	const n = 16
	var (
		wg        sync.WaitGroup
		wins      atomic.Int32
		conflicts atomic.Int32
		start     = make(chan struct{})
	)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := s.Append(ctx, st, eventstore.Exact(1), events(2))
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, eventstore.ErrConflict):
				conflicts.Add(1)
			default:
				t.Errorf("append: %v", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if wins.Load() != 1 || conflicts.Load() != n-1 {
		t.Errorf("%d appends at version 1: %d won, %d conflicted; want exactly one winner", n, wins.Load(), conflicts.Load())
	}
	got, _ := s.ReadStream(ctx, st, 1, eventstore.Opened)
	if len(got) != 3 {
		t.Errorf("stream has %d events, want 3", len(got))
	}
	if r, err := s.Verify(ctx, st); err != nil || !r.OK() {
		t.Errorf("Verify after the race: %+v, %v", r, err)
	}
}

func testHashChain(t *testing.T, b Backend) {
	ctx := context.Background()
	for _, how := range []string{"data", "hash", "delete", "recorded_at", "schema_version"} {
		t.Run(how, func(t *testing.T) {
			s := b.Open(t, clock())
			st, other := stream(), stream()
			mustAppend(t, s, st, eventstore.NoStream, events(4))
			mustAppend(t, s, other, eventstore.NoStream, events(2))
			if r, err := s.VerifyAll(ctx); err != nil || !r.OK() || r.Events != 6 || r.Streams != 2 {
				t.Fatalf("VerifyAll before tampering = %+v, %v; want 2 intact streams, 6 events", r, err)
			}
			b.Tamper(t, s, st, 2, how)
			r, err := s.Verify(ctx, st)
			if err != nil {
				t.Fatal(err)
			}
			if r.OK() || r.Breaks[0].Stream != st || r.Breaks[0].Version != 2 {
				t.Fatalf("Verify after %s of version 2 = %+v; want the break at %s version 2", how, r, st)
			}
			all, err := s.VerifyAll(ctx)
			if err != nil || len(all.Breaks) != 1 || all.Breaks[0] != r.Breaks[0] {
				t.Errorf("VerifyAll = %+v, %v; want exactly the break %v", all, err, r.Breaks[0])
			}
			if r, err := s.Verify(ctx, other); err != nil || !r.OK() {
				t.Errorf("the untouched stream does not verify: %+v, %v", r, err)
			}
		})
	}
}

func testSubscription(t *testing.T, b Backend) {
	s := b.Open(t, clock())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	before := mustAppend(t, s, stream(), eventstore.NoStream, events(3))
	sub := eventstore.Subscribe(s, 0).WithBatch(2)
	for i := 0; i < 3; i++ {
		e, err := sub.Next(ctx)
		if err != nil || e.Position != before[i] {
			t.Fatalf("catch-up event %d: position %d, %v; want %d", i, e.Position, err, before[i])
		}
	}
	got := make(chan eventstore.Event, 3)
	go func() {
		for i := 0; i < 2; i++ {
			e, err := sub.Next(ctx)
			if err != nil {
				return
			}
			got <- e
		}
	}()
	time.Sleep(50 * time.Millisecond) // let the subscriber wait
	later := mustAppend(t, s, stream(), eventstore.NoStream, events(2))
	for i := 0; i < 2; i++ {
		select {
		case e := <-got:
			if e.Position != later[i] {
				t.Errorf("followed event %d at position %d, want %d", i, e.Position, later[i])
			}
		case <-ctx.Done():
			t.Fatal("subscription did not deliver a new event")
		}
	}
	short, cancelShort := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancelShort()
	if _, err := eventstore.Subscribe(s, later[1]).Next(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Next at the end of the log returned %v, want the context's deadline", err)
	}
}

// testHeldTransaction: while one append's transaction is open, an append
// that starts later and commits first must not be readable before it.
func testHeldTransaction(t *testing.T, b Backend) {
	s := b.Open(t, clock())
	ctx := context.Background()
	held, release := make(chan struct{}), make(chan struct{})
	first, second := events(1), events(1)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		_, err := b.AppendHook(ctx, s, stream(), eventstore.NoStream, first, func() error {
			close(held)
			<-release
			return nil
		})
		if err != nil {
			t.Errorf("held append: %v", err)
		}
	}()
	<-held
	go func() {
		defer wg.Done()
		if _, err := s.Append(ctx, stream(), eventstore.NoStream, second); err != nil {
			t.Errorf("later append: %v", err)
		}
	}()
	time.Sleep(300 * time.Millisecond) // the later append commits (PostgreSQL) or waits for the writer lock (SQLite)
	if got := mustReadAll(t, s); len(got) != 0 {
		t.Fatalf("while the first transaction is open ReadAll returned %d events; a reader that saw them would skip the first", len(got))
	}
	if h, err := s.Horizon(ctx); err != nil || h != 0 {
		t.Fatalf("while the first transaction is open Horizon = %d, %v; want 0: nothing is readable yet", h, err)
	}
	close(release)
	wg.Wait()
	got := mustReadAll(t, s)
	if len(got) != 2 || got[0].ID != first[0].ID || got[1].ID != second[0].ID {
		t.Fatalf("after commit ReadAll = %d events; want the held event first, then the later one", len(got))
	}
	if h, err := s.Horizon(ctx); err != nil || h != got[1].Position {
		t.Fatalf("after commit Horizon = %d, %v; want %d, the last event ReadAll reads", h, err, got[1].Position)
	}
	// Up to the held event (first in the global order, though its position
	// may be the later one), ReadStreams reads it alone.
	if up, err := s.ReadStreams(ctx, got[0].Position, eventstore.StreamCursor{}, 10, eventstore.Opened); err != nil || len(up) != 1 || up[0].ID != first[0].ID {
		t.Fatalf("ReadStreams up to the held event = %d events, %v; want the held event alone", len(up), err)
	}
}

// testReadStreams: ReadStreams reads what ReadAll reads up to a position,
// each stream's events together in version order, page by page.
func testReadStreams(t *testing.T, b Backend) {
	s := b.Open(t, clock())
	ctx := context.Background()
	if h, err := s.Horizon(ctx); err != nil || h != 0 {
		t.Fatalf("Horizon of an empty log = %d, %v; want 0", h, err)
	}
	if got, err := s.ReadStreams(ctx, 0, eventstore.StreamCursor{}, 10, eventstore.Opened); err != nil || len(got) != 0 {
		t.Fatalf("ReadStreams up to 0 = %d events, %v; want none", len(got), err)
	}
	streams := []string{stream(), stream(), stream(), stream()}
	versions := make([]int64, len(streams))
	for i := 0; i < 10; i++ { // interleaved, so no stream's events are adjacent in the log
		k := i % len(streams)
		n := i%3 + 1
		expected := eventstore.NoStream
		if versions[k] > 0 {
			expected = eventstore.Exact(versions[k])
		}
		mustAppend(t, s, streams[k], expected, events(n))
		versions[k] += int64(n)
	}
	all := mustReadAll(t, s)
	h, err := s.Horizon(ctx)
	if err != nil || h != all[len(all)-1].Position {
		t.Fatalf("Horizon = %d, %v; want %d, the last event ReadAll reads", h, err, all[len(all)-1].Position)
	}
	byStream := func(events []eventstore.Event) []eventstore.Event {
		out := slices.Clone(events)
		slices.SortStableFunc(out, func(a, b eventstore.Event) int { return strings.Compare(a.Stream, b.Stream) })
		return out
	}
	readPages := func(upTo int64, page int) []eventstore.Event {
		var out []eventstore.Event
		var after eventstore.StreamCursor
		for {
			got, err := s.ReadStreams(ctx, upTo, after, page, eventstore.Opened)
			if err != nil {
				t.Fatalf("ReadStreams(%d, %v, %d): %v", upTo, after, page, err)
			}
			if len(got) > page {
				t.Fatalf("ReadStreams returned %d events, more than its limit %d", len(got), page)
			}
			if len(got) == 0 {
				return out
			}
			out = append(out, got...)
			after = eventstore.CursorAfter(after, got)
		}
	}
	for _, tc := range []struct {
		name string
		upTo int64
		want []eventstore.Event
	}{
		{"the whole log", h, byStream(all)},
		{"up to the sixth event", all[5].Position, byStream(all[:6])},
	} {
		for _, page := range []int{1, 3, 1000} {
			got := readPages(tc.upTo, page)
			if len(got) != len(tc.want) {
				t.Fatalf("%s in pages of %d: %d events, want %d", tc.name, page, len(got), len(tc.want))
			}
			for i := range got {
				if got[i].ID != tc.want[i].ID || got[i].Version != tc.want[i].Version || !bytes.Equal(got[i].Data, tc.want[i].Data) {
					t.Fatalf("%s in pages of %d: event %d is %s/%d, want %s/%d", tc.name, page, i,
						got[i].Stream, got[i].Version, tc.want[i].Stream, tc.want[i].Version)
				}
			}
		}
	}
	if _, err := s.ReadStreams(ctx, h+1000, eventstore.StreamCursor{}, 10, eventstore.Opened); !errors.Is(err, eventstore.ErrUnknownPosition) {
		t.Errorf("ReadStreams up to an unknown position: %v, want ErrUnknownPosition", err)
	}
}

// Event returns a valid event of type typ with a fresh id, for backends'
// own tests.
func Event(typ string) eventstore.NewEvent {
	return newEvent(typ, map[string]any{"at": "test"})
}

// Events returns n valid events with fresh ids, for benchmarks.
func Events(n int) []eventstore.NewEvent { return eventstorebench.Events(n) }

// DrainAll reads the whole log through ReadAll in pages of page events and
// returns how many it read.
func DrainAll(ctx context.Context, s eventstore.Store, page int) (int, error) {
	return eventstorebench.DrainAll(ctx, s, page)
}

// Seed appends total events in batches of 1000, each batch a new stream.
func Seed(ctx context.Context, s eventstore.Store, total int) error {
	for done := 0; done < total; {
		n := min(1000, total-done)
		if _, err := s.Append(ctx, "asset-"+uuid.NewString(), eventstore.NoStream, Events(n)); err != nil {
			return err
		}
		done += n
	}
	return nil
}

// testCovers: a checkpoint covers exactly the events at or before it in the
// store's order, which is the order ReadAll returns.
func testCovers(t *testing.T, b Backend) {
	s := b.Open(t, clock())
	ctx := context.Background()
	for i := 0; i < 4; i++ {
		mustAppend(t, s, stream(), eventstore.NoStream, events(2))
	}
	all := mustReadAll(t, s)
	for i, cp := range all {
		for j, e := range all {
			got, err := s.Covers(ctx, cp.Position, e.Position)
			if err != nil || got != (j <= i) {
				t.Fatalf("Covers(checkpoint %d, position %d) = %v, %v; want %v", cp.Position, e.Position, got, err, j <= i)
			}
		}
	}
	if got, err := s.Covers(ctx, 0, all[0].Position); err != nil || got {
		t.Errorf("checkpoint 0 covers the first event: %v, %v", got, err)
	}
	if got, err := s.Covers(ctx, 0, 0); err != nil || !got {
		t.Errorf("position 0 is not covered: %v, %v", got, err)
	}
	if last, err := s.LastPosition(ctx); err != nil || last != all[len(all)-1].Position {
		t.Errorf("LastPosition = %d, %v; want %d", last, err, all[len(all)-1].Position)
	}
	if _, err := s.Covers(ctx, all[0].Position, 1<<40); !errors.Is(err, eventstore.ErrUnknownPosition) {
		t.Errorf("Covers of an unknown position: %v, want ErrUnknownPosition", err)
	}
}
