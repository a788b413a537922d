package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/acv-registry/acv/clock"
	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/internal/demo"
	"github.com/acv-registry/acv/messaging"
	"github.com/acv-registry/acv/projections"
	"github.com/google/uuid"
)

// TestPoisonListAndReplay: an event the read models cannot handle (a type
// written by a newer build during a rolling upgrade) is retried, then put
// in the poison queue while the events after it are projected; `acv poison
// list` shows it and `acv poison replay` reports that it still fails; an
// entry whose cause has gone replays and leaves the queue.
func TestPoisonListAndReplay(t *testing.T) {
	dir := t.TempDir()
	getenv := env("ACV_DATA_DIR", dir)
	ctx := context.Background()
	c := Config{DataDir: dir}
	store, err := openStore(ctx, c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	dbs, err := openReadModels(ctx, c, store)
	if err != nil {
		t.Fatal(err)
	}
	defer dbs.Close()
	assets := eventstore.NewAssets(store, regimes(), uuid.New)
	if err := demo.Seed(ctx, assets, domain.DateOf(time.Now()), uuid.NewString); err != nil {
		t.Fatal(err)
	}
	stream := domain.AssetStream(uuid.NewString())
	if _, err := store.Append(ctx, stream, eventstore.NoStream, []eventstore.NewEvent{{ID: uuid.New(),
		Type: "acv.from-a-newer-build.v1", Data: json.RawMessage(`{}`), Metadata: eventstore.Metadata{SchemaVersion: 1}}}); err != nil {
		t.Fatal(err)
	}
	if err := demo.Seed(ctx, assets, domain.DateOf(time.Now()), uuid.NewString); err != nil { // events after it
		t.Fatal(err)
	}
	n, err := newNode(ctx, store, dbs, slog.New(slog.DiscardHandler), nodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range n.routers {
		if err := r.Drain(ctx); err != nil {
			t.Fatalf("the consumers stopped at the poisoned event: %v", err)
		}
	}

	var out bytes.Buffer
	if err := run(ctx, []string{"poison", "list"}, getenv, &out, io.Discard); err != nil {
		t.Fatalf("poison list: %v", err)
	}
	if s := out.String(); !strings.Contains(s, "acv.from-a-newer-build.v1") || !strings.Contains(s, "read_models") || !strings.Contains(s, stream) {
		t.Fatalf("poison list does not show the poisoned event:\n%s", s)
	}
	// The read models and the clock decode the event; the webhook outbox
	// needs to only when a subscription could match. On SQLite each has
	// its queue in its own file.
	var queue []messaging.Poisoned
	for _, q := range n.queues() {
		entries, lerr := messaging.ListPoisoned(ctx, q.db.SQL, q.db.Dialect, false)
		if lerr != nil {
			t.Fatal(lerr)
		}
		queue = append(queue, entries...)
	}
	poisoned := map[string]bool{}
	for _, p := range queue {
		poisoned[p.Consumer] = true
	}
	if err != nil || len(queue) != 2 || !poisoned[projections.ConsumerName] || !poisoned[clock.ConsumerName] {
		t.Fatalf("queue = %+v, %v; want one entry each for the read models and the clock", queue, err)
	}
	out.Reset()
	err = run(ctx, []string{"poison", "replay", "--all"}, getenv, &out, io.Discard)
	if err == nil || !strings.Contains(out.String(), "FAILED") {
		t.Errorf("replay of an event that still fails = %v, output %q; want an error and FAILED", err, out.String())
	}

	// An entry whose cause has gone: a valid event recorded as poisoned
	// (as a database outage longer than the retries would leave it).
	valid, err := store.ReadAll(ctx, 0, 1)
	if err != nil || len(valid) != 1 {
		t.Fatal(err)
	}
	e := valid[0]
	db := dbs.read // the read models' queue
	if _, err := db.SQL.Exec(`INSERT INTO `+messaging.PoisonTable+` (consumer, position, event_id, event_type, stream_id, version,
		correlation_id, reason, poisoned_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'database unavailable', '2027-01-01T00:00:00Z')`,
		n.projector.Name(), e.Position, e.ID.String(), e.Type, e.Stream, e.Version, e.Metadata.CorrelationID.String()); err != nil {
		t.Fatal(err)
	}
	queue, _ = messaging.ListPoisoned(ctx, db.SQL, db.Dialect, false)
	id := queue[len(queue)-1].ID
	out.Reset()
	if err := run(ctx, []string{"poison", "replay", itoa(id)}, getenv, &out, io.Discard); err != nil {
		t.Fatalf("poison replay %d: %v (%s)", id, err, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"poison", "list", "--json"}, getenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var open []messaging.Poisoned
	if err := json.Unmarshal(out.Bytes(), &open); err != nil || len(open) != 2 {
		t.Fatalf("after replaying the valid entry, the open queue is %s (%v); want only the unknown type's entries", out.String(), err)
	}
	for _, p := range open {
		if p.EventType != "acv.from-a-newer-build.v1" {
			t.Errorf("open entry %+v; want only the unknown type's", p)
		}
	}
	// Each queue numbers its own entries: the read models' (in their file)
	// and the clock's (in the state file) both hold an entry 1.
	if err := run(ctx, []string{"poison", "replay", "1"}, getenv, io.Discard, io.Discard); !errors.Is(err, errUsage) {
		t.Errorf("poison replay of an id two queues hold = %v, want a usage error", err)
	}
	out.Reset()
	err = run(ctx, []string{"poison", "replay", "clock:1"}, getenv, &out, io.Discard)
	if err == nil || !strings.Contains(out.String(), "FAILED 1 (clock)") {
		t.Errorf("poison replay clock:1 = %v, output %q; want the clock's entry replayed, and failing again", err, out.String())
	}
	if err := run(ctx, []string{"poison", "replay"}, getenv, io.Discard, io.Discard); !errors.Is(err, errUsage) {
		t.Errorf("poison replay with no ids = %v, want a usage error", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
