package eventstoretest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/acv-registry/acv/eventstore"
	"github.com/google/uuid"
)

// testPersonalData: personal data is sealed in the log and opened by every
// read; a re-append of the same events is still an idempotent repeat;
// Subjects lists who has data where; Erase turns the data into
// placeholders while every chain still verifies.
func testPersonalData(t *testing.T, b Backend) {
	s := b.Open(t, clock())
	eraser, ok := s.(eventstore.Eraser)
	if !ok {
		t.Fatalf("%T does not implement eventstore.Eraser", s)
	}
	ctx := context.Background()
	st := stream()
	batch := []eventstore.NewEvent{
		newEvent("test.owner-recorded.v1", map[string]any{"owner": map[string]any{"id": "p-ada", "name": "Ada Quorn", "address": "4 Mill Lane"}}),
		newEvent("test.plain.v1", map[string]any{"owner": map[string]any{"id": "org:brewery", "name": "Brewery Ltd"}}),
		newEvent("test.requested.v1", map[string]any{"requester": map[string]any{"id": "p-ada", "name": "Ada Quorn"},
			"contact": "ada@example.org", "occupants": []any{map[string]any{"name": "Ben Quorn"}}}),
	}
	positions := mustAppend(t, s, st, eventstore.NoStream, batch)
	// A failed append stores no keys: they commit with the events or not at all.
	lost := newEvent("test.owner-recorded.v1", map[string]any{"owner": map[string]any{"id": "p-lost", "name": "Lost Person"}})
	if _, err := s.Append(ctx, st, eventstore.NoStream, []eventstore.NewEvent{lost}); !errors.Is(err, eventstore.ErrConflict) {
		t.Fatalf("append at a stale version = %v, want a conflict", err)
	}
	if er, err := eraser.Erase(ctx, []string{"party:p-lost"}); err != nil || er.Keys != 0 {
		t.Errorf("keys of a failed append: Erase = %+v, %v; want none", er, err)
	}
	if again, err := s.Append(ctx, st, eventstore.NoStream, batch); err != nil || !slices.Equal(again, positions) {
		t.Errorf("re-append of sealed events = %v, %v; want the same positions %v", again, err, positions)
	}
	secrets := []string{"p-ada", "Ada Quorn", "4 Mill Lane", "ada@example.org", "Ben Quorn"}
	read := func() string {
		t.Helper()
		events, err := s.ReadStream(ctx, st, 1, eventstore.Opened)
		if err != nil || len(events) != 3 {
			t.Fatalf("ReadStream = %d events, %v", len(events), err)
		}
		all, err := s.ReadAll(ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		// ReadStreams opens a page with the keys of its range of streams.
		h, err := s.Horizon(ctx)
		if err != nil {
			t.Fatal(err)
		}
		byStream, err := s.ReadStreams(ctx, h, eventstore.StreamCursor{}, 100, eventstore.Opened)
		if err != nil || len(byStream) != len(all) {
			t.Fatalf("ReadStreams = %d events, %v; want %d", len(byStream), err, len(all))
		}
		var b bytes.Buffer
		for i, e := range events {
			if string(e.Data) != string(all[i].Data) {
				t.Errorf("version %d: ReadStream and ReadAll differ: %s and %s", e.Version, e.Data, all[i].Data)
			}
			if string(e.Data) != string(byStream[i].Data) {
				t.Errorf("version %d: ReadStream and ReadStreams differ: %s and %s", e.Version, e.Data, byStream[i].Data)
			}
			if err := json.Compact(&b, e.Data); err != nil { // jsonb prints with spaces
				t.Fatalf("version %d is not JSON: %v", e.Version, err)
			}
		}
		return b.String()
	}
	got := read()
	for _, secret := range secrets {
		if !strings.Contains(got, secret) {
			t.Errorf("read events lack %q: %s", secret, got)
		}
	}
	if strings.Contains(got, eventstore.SealedKey) || !strings.Contains(got, "Brewery Ltd") {
		t.Errorf("read events: %s", got)
	}
	// ReadStreams and ReadStream AsErased give every sealed value its
	// placeholder, whatever keys exist, and the rest as stored.
	asErased := func() string {
		t.Helper()
		h, err := s.Horizon(ctx)
		if err != nil {
			t.Fatal(err)
		}
		events, err := s.ReadStreams(ctx, h, eventstore.StreamCursor{}, 100, eventstore.AsErased)
		if err != nil || len(events) != 3 {
			t.Fatalf("ReadStreams AsErased = %d events, %v", len(events), err)
		}
		one, err := s.ReadStream(ctx, st, 1, eventstore.AsErased)
		if err != nil || len(one) != 3 {
			t.Fatalf("ReadStream AsErased = %d events, %v", len(one), err)
		}
		var b bytes.Buffer
		for i, e := range events {
			if !bytes.Equal(e.Data, one[i].Data) {
				t.Errorf("version %d AsErased: ReadStreams gives %s, ReadStream %s", e.Version, e.Data, one[i].Data)
			}
			if err := json.Compact(&b, e.Data); err != nil {
				t.Fatalf("version %d is not JSON: %v", e.Version, err)
			}
		}
		return b.String()
	}
	erasedBefore := asErased()
	for _, secret := range secrets {
		if strings.Contains(erasedBefore, secret) {
			t.Errorf("ReadStreams AsErased shows %q: %s", secret, erasedBefore)
		}
	}
	if strings.Contains(erasedBefore, eventstore.SealedKey) || !strings.Contains(erasedBefore, "Brewery Ltd") ||
		!strings.Contains(erasedBefore, `"name":"[erased]"`) || !strings.Contains(erasedBefore, `"occupants":[null]`) {
		t.Errorf("ReadStreams AsErased: %s", erasedBefore)
	}

	subjects, err := eraser.Subjects(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range subjects {
		names = append(names, d.Subject)
	}
	if len(subjects) != 4 || names[0] != "event:"+batch[2].ID.String()+"/contact" || names[1] != "event:"+batch[2].ID.String()+"/occupants/0" ||
		names[2] != "party:p-ada" || names[3] != "party:p-ada" || subjects[2].Version != 1 || subjects[3].Version != 3 ||
		strings.Join(subjects[2].Fields, " ") != "/owner/id /owner/name /owner/address" {
		t.Errorf("subjects = %+v", subjects)
	}

	er, err := eraser.Erase(ctx, []string{"party:p-ada", "event:" + batch[2].ID.String() + "/occupants/0", "party:nobody"})
	if err != nil {
		t.Fatalf("Erase: %v", err)
	}
	if er.Keys != 3 || !slices.Equal(er.Streams, []string{st}) {
		t.Errorf("Erase = %+v, want 3 keys in %s", er, st)
	}
	got = read()
	for _, secret := range []string{"p-ada", "Ada Quorn", "4 Mill Lane", "Ben Quorn"} {
		if strings.Contains(got, secret) {
			t.Errorf("after erasure, read events show %q: %s", secret, got)
		}
	}
	if !strings.Contains(got, "ada@example.org") || !strings.Contains(got, `"[erased]"`) || !strings.Contains(got, `"occupants":[null]`) {
		t.Errorf("after erasure: %s", got)
	}
	if after := asErased(); after != erasedBefore {
		t.Errorf("ReadStreams AsErased changed with an erasure:\n%s\nwas\n%s", after, erasedBefore)
	}
	if r, err := s.Verify(ctx, st); err != nil || !r.OK() {
		t.Errorf("Verify after erasure = %+v, %v", r, err)
	}
	if left, _ := eraser.Subjects(ctx, st); len(left) != 1 {
		t.Errorf("subjects after erasure = %+v, want the contact's only", left)
	}
}

// testPersonalDataPages: ReadAll opens sealed values in pages of any size,
// whose ends cut between events, between a stream's events and between
// events with and without personal data, with an erased subject among
// them, and in pages of many chunks: every event reads as ReadStream reads
// it (which finds its keys by id), an erased subject's values are
// placeholders, and no one else's are.
func testPersonalDataPages(t *testing.T, b Backend) {
	s := b.Open(t, clock())
	eraser := s.(eventstore.Eraser)
	ctx := context.Background()
	person := func(k int) map[string]any {
		return map[string]any{"id": fmt.Sprintf("p-%d", k), "name": fmt.Sprintf("Person %d", k), "address": fmt.Sprintf("%d Mill Lane", k)}
	}
	var streams []string
	// About 480 events: a page of all of them is several of a backend's
	// chunks (256 on SQLite), so that openers begin mid-page, past
	// erased keys, as a reader's helper does.
	for i := range 240 {
		st := stream()
		streams = append(streams, st)
		var batch []eventstore.NewEvent
		for j := range i%3 + 1 {
			if (i+j)%4 == 3 {
				batch = append(batch, events(1)...) // no personal data
				continue
			}
			// Two subjects with three values each, and two occupants.
			batch = append(batch, newEvent("test.owner-recorded.v1", map[string]any{
				"owner": person((i + j) % 5), "requester": person((i + j + 1) % 5),
				"occupants": []any{map[string]any{"name": fmt.Sprintf("Occupant %d-%d", i, j)}, map[string]any{"name": "Lodger"}},
			}))
		}
		mustAppend(t, s, st, eventstore.NoStream, batch)
	}
	if _, err := eraser.Erase(ctx, []string{"party:p-1", "party:p-3"}); err != nil {
		t.Fatalf("Erase: %v", err)
	}
	want := map[string]string{} // event id: data as ReadStream reads it
	for _, st := range streams {
		es, err := s.ReadStream(ctx, st, 1, eventstore.Opened)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			want[e.ID.String()] = string(e.Data)
		}
	}
	var all strings.Builder
	for _, v := range want {
		all.WriteString(v)
	}
	for _, gone := range []string{"p-1", "Person 1", "1 Mill Lane", "p-3", "Person 3"} {
		if strings.Contains(all.String(), `"`+gone) {
			t.Errorf("ReadStream shows %q after its erasure", gone)
		}
	}
	for _, kept := range []string{"Person 0", "2 Mill Lane", "Person 4", "Occupant 0-0", "Lodger", eventstore.ErasedString} {
		if !strings.Contains(all.String(), kept) {
			t.Errorf("ReadStream lacks %q", kept)
		}
	}
	for _, size := range []int{1, 2, 3, 7, 1000} {
		n, after := 0, int64(0)
		for {
			page, err := s.ReadAll(ctx, after, size)
			if err != nil {
				t.Fatalf("pages of %d: ReadAll(%d): %v", size, after, err)
			}
			if len(page) == 0 {
				break
			}
			for _, e := range page {
				if got := string(e.Data); got != want[e.ID.String()] {
					t.Errorf("pages of %d: event at %d reads\n%s\nReadStream reads it\n%s", size, e.Position, got, want[e.ID.String()])
				}
			}
			n += len(page)
			after = page[len(page)-1].Position
		}
		if n != len(want) {
			t.Errorf("pages of %d: ReadAll read %d events, want %d", size, n, len(want))
		}
	}
}

// testConcurrentReadAll: many readers at once, more than a backend has
// connections, each reading the log with sealed data in pages of many
// chunks (opened by the page's opener and by its reader's helpers), all
// finish (a page that held one connection while it waited for another
// would wait for ever once every connection is so held), and read, event
// for event, what one reader alone reads.
func testConcurrentReadAll(t *testing.T, b Backend) {
	s := b.Open(t, clock())
	const total, readers, page = 8000, 32, 8000
	for range total / 500 {
		batch := make([]eventstore.NewEvent, 500)
		for i := range batch {
			batch[i] = newEvent("test.owner-recorded.v1", map[string]any{"owner": map[string]any{"id": "p-" + uuid.NewString(), "name": "Ada Quorn"}})
		}
		mustAppend(t, s, stream(), eventstore.NoStream, batch)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	want, err := s.ReadAll(ctx, 0, page)
	if err != nil || len(want) != total {
		t.Fatalf("ReadAll = %d events, %v; want %d", len(want), err, total)
	}
	errs := make(chan error, readers)
	for range readers {
		go func() {
			got, err := s.ReadAll(ctx, 0, page)
			if err == nil && len(got) != total {
				err = fmt.Errorf("read %d events; want %d", len(got), total)
			}
			for i := 0; err == nil && i < total; i++ { // each opened, whichever opener had it
				if !bytes.Equal(got[i].Data, want[i].Data) {
					err = fmt.Errorf("event %d reads %s; want %s", i, got[i].Data, want[i].Data)
				}
			}
			errs <- err
		}()
	}
	for range readers {
		if err := <-errs; err != nil {
			t.Errorf("a reader of %d at once: %v", readers, err)
		}
	}
}
