package clock_test

import (
	"context"
	"sync"
	"testing"

	"github.com/acv-registry/acv/clock"
	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/messaging"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

func TestMigrateIsIdempotent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, h *harness) {
		// The harness migrated once already; nodes starting together
		// migrate again, at the same time on PostgreSQL.
		n := 1
		if h.dialect == eventstore.Postgres {
			n = 4
		}
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- clock.Migrate(context.Background(), h.db, h.dialect)
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("Migrate again: %v", err)
			}
		}
		if got := h.rows(t); len(got) != 0 {
			t.Errorf("a new schedule has rows: %v", got)
		}
	})
}

// The schedule follows an asset's next due day as its history grows, drops
// the asset when nothing is pending, ignores other streams, and writes the
// same row when an event is handled again.
func TestScheduleFollowsTheNextDueDay(t *testing.T) {
	forEachBackend(t, func(t *testing.T, h *harness) {
		steps := []struct {
			name string
			w    write
			want map[string]string
		}{
			{"Regs reg 7: a nomination received 10 January is overdue from 7 March",
				on("2027-01-10", nominate("n1", "2027-01-10")), map[string]string{"a1": "2027-03-07"}},
			{"s.87(3): listed 1 February 2027, the entry expires on 1 February 2032",
				on("2027-02-01", list("n1", "2027-02-01")), map[string]string{"a1": "2032-02-01"}},
			{"s.95(6): an owner's notice received 1 March ends its interim moratorium on 12 April",
				on("2027-03-01", disposalNotice("dn1", "2027-03-01")), map[string]string{"a1": "2027-04-12"}},
			{"Regs reg 2(c)(ii): removed from the list, the protected period is still pending",
				on("2027-03-02", removeEarly("2027-03-02")), map[string]string{"a1": "2027-04-12"}},
		}
		for _, st := range steps {
			h.clock.Set(st.w.at)
			h.run(t, "a1", st.w)
			h.consume(t)
			if diff := cmp.Diff(st.want, h.rows(t)); diff != "" {
				t.Fatalf("%s: rows (-want +got):\n%s", st.name, diff)
			}
		}
		// Handling the whole stream again, and an event of another stream,
		// changes nothing.
		events, err := h.store.ReadAll(context.Background(), 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		h.handle(t, append(events, eventstore.Event{Stream: "webhook-7", Type: "webhook.delivered.v1"}))
		if diff := cmp.Diff(map[string]string{"a1": "2027-04-12"}, h.rows(t)); diff != "" {
			t.Errorf("handled again: rows (-want +got):\n%s", diff)
		}
	})
}

// An asset with nothing pending has no row: a nomination decided "not
// listed" whose unsuccessful entry has expired (s.93).
func TestScheduleDropsAnAssetWithNothingPending(t *testing.T) {
	forEachBackend(t, func(t *testing.T, h *harness) {
		for _, w := range backdated(nominate("n1", "2021-11-01"), refuse("n1", "2021-12-01")) {
			h.run(t, "a1", w)
		}
		h.consume(t)
		if diff := cmp.Diff(map[string]string{"a1": "2026-12-01"}, h.rows(t)); diff != "" {
			t.Fatalf("rows (-want +got):\n%s", diff)
		}
		if n := mustTick(t, h.ticker(), yearStart); n != 1 {
			t.Fatalf("Tick saved %d events, want the unsuccessful entry's expiry", n)
		}
		h.consume(t)
		if got := h.rows(t); len(got) != 0 {
			t.Errorf("rows after the last clock event: %v, want none", got)
		}
	})
}

// runAt runs w on asset id with the store's clock at w's time.
func (h *harness) runAt(t testing.TB, id string, w write) {
	t.Helper()
	h.clock.Set(w.at)
	h.run(t, id, w)
}

// readCounter is a store that counts the stream reads of each stream: how
// often the schedule loads an asset.
type readCounter struct {
	eventstore.Store
	mu    sync.Mutex
	reads map[string]int
}

func (c *readCounter) ReadStream(ctx context.Context, stream string, fromVersion int64, pd eventstore.PersonalData) ([]eventstore.Event, error) {
	c.mu.Lock()
	c.reads[stream]++
	c.mu.Unlock()
	return c.Store.ReadStream(ctx, stream, fromVersion, pd)
}

// A schedule catching up on a log derives each asset once, from its whole
// stream, and passes over the events that stream already held; the row is
// the one an event-by-event schedule writes. Regs reg 7: the nomination of
// 10 January is overdue from 7 March; s.87(3): listed on 1 February 2027,
// the entry expires on 1 February 2032.
func TestScheduleCatchingUpLoadsEachAssetOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, h *harness) {
		h.runAt(t, "a1", on("2027-01-10", nominate("n1", "2027-01-10")))
		h.runAt(t, "a2", on("2027-01-12", nominate("n2", "2027-01-12")))
		h.runAt(t, "a1", on("2027-02-01", list("n1", "2027-02-01")))
		events, err := h.store.ReadAll(context.Background(), 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) < 3 {
			t.Fatalf("the log holds %d events, want a1's several and a2's", len(events))
		}
		counter := &readCounter{Store: h.store, reads: map[string]int{}}
		h.schedule = clock.NewSchedule(eventstore.NewAssets(counter, domain.DefaultRegimes(), uuid.New), h.dialect)
		h.consume(t)
		want := map[string]string{"a1": "2032-02-01", "a2": "2027-03-09"}
		if diff := cmp.Diff(want, h.rows(t)); diff != "" {
			t.Errorf("rows (-want +got):\n%s", diff)
		}
		wantReads := map[string]int{domain.AssetStream("a1"): 1, domain.AssetStream("a2"): 1}
		if diff := cmp.Diff(wantReads, counter.reads); diff != "" {
			t.Errorf("stream reads (-want +got):\n%s", diff)
		}

		// A new event of a1 is derived again: the entry is removed early
		// (Regs reg 2), and nothing else is pending.
		h.runAt(t, "a1", on("2027-03-02", removeEarly("2027-03-02")))
		h.consume(t)
		if got := counter.reads[domain.AssetStream("a1")]; got != 2 {
			t.Errorf("a1 read %d times after its new event, want 2", got)
		}
		if diff := cmp.Diff(map[string]string{"a2": "2027-03-09"}, h.rows(t)); diff != "" {
			t.Errorf("after a1's removal: rows (-want +got):\n%s", diff)
		}
	})
}

// What the schedule derived in a transaction that rolled back is not
// taken for derived: the events are handled again and the row is written.
func TestScheduleDerivesAgainAfterARollback(t *testing.T) {
	forEachBackend(t, func(t *testing.T, h *harness) {
		h.runAt(t, "a1", on("2027-01-10", nominate("n1", "2027-01-10")))
		events, err := h.store.ReadAll(context.Background(), 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		tx, err := h.db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			if err := h.schedule.Handle(ctx, messaging.StdTx(tx), e); err != nil {
				t.Fatalf("Handle: %v", err)
			}
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		if got := h.rows(t); len(got) != 0 {
			t.Fatalf("rows after a rollback: %v", got)
		}
		h.consume(t)
		if diff := cmp.Diff(map[string]string{"a1": "2027-03-07"}, h.rows(t)); diff != "" {
			t.Errorf("rows (-want +got):\n%s", diff)
		}
	})
}
