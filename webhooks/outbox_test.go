package webhooks

import (
	"context"
	"testing"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/google/uuid"
)

func TestMigrateIsIdempotent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		for range 2 {
			if err := Migrate(context.Background(), e.db, e.d); err != nil {
				t.Fatalf("Migrate again: %v", err)
			}
		}
	})
}

// TestOutboxMatchesAndReplaysAddNothing: the outbox adds one delivery per
// event to every active subscription of its asset or council made before
// the event, and handling the events again adds nothing.
func TestOutboxMatchesAndReplaysAddNothing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.record("a1", nomination("a1", councilA))
		e.record("b1", nomination("b1", councilB))

		toA, _ := e.subscribe(NewSubscription{Council: councilA, URL: "https://a.example/hook"})
		toB, _ := e.subscribe(NewSubscription{Council: councilB, URL: "https://b.example/hook"})
		toA1, _ := e.subscribe(NewSubscription{AssetID: "a1", URL: "https://a1.example/hook"})
		gone, _ := e.subscribe(NewSubscription{Council: councilA, URL: "https://gone.example/hook"})
		if err := e.registry().Unsubscribe(ctx, gone); err != nil {
			t.Fatal(err)
		}

		e.record("a1", decision("a1"), ownerChange("a1")) // 2 events of a1
		e.record("a2", nomination("a2", councilA))        // 1 event of another asset of A
		e.record("b1", decision("b1"))                    // 1 event of B
		if _, err := e.store.Append(ctx, "organisation-1", eventstore.NoStream, []eventstore.NewEvent{{ID: uuid.New(),
			Type: "acv.organisation-registered.v1", Data: []byte(`{"id":"org-1"}`)}}); err != nil {
			t.Fatal(err) // not an asset's: no subscription matches
		}

		last := e.outbox(0)
		want := map[string]int{toA.String(): 3, toB.String(): 1, toA1.String(): 2, gone.String(): 0}
		for sub, n := range want {
			if got := e.count(`SELECT COUNT(*) FROM webhook_deliveries WHERE subscription_id = ?`, sub); got != n {
				t.Errorf("subscription %s has %d deliveries, want %d", sub, got, n)
			}
		}
		if got := e.count(`SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending' AND attempts = 0`); got != 6 {
			t.Errorf("%d fresh pending deliveries, want 6", got)
		}

		// A replay from the start, twice, and the last event once more.
		e.outbox(0)
		e.outbox(0)
		e.outbox(last - 1)
		if got := e.count(`SELECT COUNT(*) FROM webhook_deliveries`); got != 6 {
			t.Errorf("after replays: %d deliveries, want 6", got)
		}
		for _, d := range e.deliveries(toA1) {
			if d.ID != DeliveryID(toA1, d.EventID) {
				t.Errorf("delivery %s is not DeliveryID(subscription, event)", d.ID)
			}
			if d.Stream != domain.AssetStream("a1") || d.Status != Pending {
				t.Errorf("delivery %+v", d)
			}
		}
	})
}

// TestOutboxWithoutCouncilSubscriptions: with no active subscription to
// a council (the outbox then never takes an event's council), a
// subscription to an asset still gets that asset's events made after it,
// and events of other assets go nowhere.
func TestOutboxWithoutCouncilSubscriptions(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.record("a1", nomination("a1", councilA))
		toA1, _ := e.subscribe(NewSubscription{AssetID: "a1", URL: "https://a1.example/hook"})
		gone, _ := e.subscribe(NewSubscription{Council: councilA, URL: "https://gone.example/hook"})
		if err := e.registry().Unsubscribe(ctx, gone); err != nil {
			t.Fatal(err)
		}
		e.record("a1", decision("a1"), ownerChange("a1"))
		e.record("a2", nomination("a2", councilA))
		e.outbox(0)
		if got := e.count(`SELECT COUNT(*) FROM webhook_deliveries WHERE subscription_id = ?`, toA1.String()); got != 2 {
			t.Errorf("the asset's subscription has %d deliveries, want 2", got)
		}
		if got := e.count(`SELECT COUNT(*) FROM webhook_deliveries`); got != 2 {
			t.Errorf("%d deliveries in all, want 2", got)
		}
	})
}

// TestOutboxCouncilOfLaterEvents: a council subscription gets an asset's
// later events, whose payloads do not name the council, when the outbox
// meets them with a cold cache.
func TestOutboxCouncilOfLaterEvents(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		e.record("a1", nomination("a1", councilA))
		sub, _ := e.subscribe(NewSubscription{Council: councilA, URL: "https://a.example/hook"})
		after, err := e.store.LastPosition(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		e.record("a1", decision("a1"))
		e.outbox(after) // a new outbox: it reads a1's stream to learn its council
		if got := e.count(`SELECT COUNT(*) FROM webhook_deliveries WHERE subscription_id = ?`, sub.String()); got != 1 {
			t.Errorf("%d deliveries, want 1", got)
		}
	})
}
