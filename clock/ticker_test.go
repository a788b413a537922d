package clock_test

import (
	"bytes"
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acv-registry/acv/clock"
	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

// A clock event's id depends on the asset, the type, the subject and the
// period's last day, and on nothing else.
func TestEventID(t *testing.T) {
	base := domain.ListingExpired{AssetID: "a1", NominationID: "n1", LastDay: day("2027-03-27")}
	id := clock.EventID("a1", base)
	if again := clock.EventID("a1", base); again != id {
		t.Fatalf("EventID is not a function of its arguments: %s then %s", id, again)
	}
	if id.Version() != 5 {
		t.Errorf("EventID version %d, want 5 (name-based, SHA-1)", id.Version())
	}
	seen := map[uuid.UUID]string{id: "base"}
	for name, got := range map[string]uuid.UUID{
		"another asset":     clock.EventID("a2", domain.ListingExpired{AssetID: "a2", NominationID: "n1", LastDay: day("2027-03-27")}),
		"another subject":   clock.EventID("a1", domain.ListingExpired{AssetID: "a1", NominationID: "n2", LastDay: day("2027-03-27")}),
		"another last day":  clock.EventID("a1", domain.ListingExpired{AssetID: "a1", NominationID: "n1", LastDay: day("2027-03-28")}),
		"another type":      clock.EventID("a1", domain.UnsuccessfulEntryExpired{AssetID: "a1", NominationID: "n1", LastDay: day("2027-03-27")}),
		"review overdue":    clock.EventID("a1", domain.ReviewDecisionOverdue{AssetID: "a1", ReviewID: "n1", DueOn: day("2027-03-27")}),
		"interim ended":     clock.EventID("a1", domain.InterimMoratoriumEnded{AssetID: "a1", NoticeID: "n1", LastDay: day("2027-03-27")}),
		"full ended":        clock.EventID("a1", domain.FullMoratoriumEnded{AssetID: "a1", NoticeID: "n1", LastDay: day("2027-03-27")}),
		"protected ended":   clock.EventID("a1", domain.ProtectedPeriodEnded{AssetID: "a1", NoticeID: "n1", LastDay: day("2027-03-27")}),
		"decision overdue":  clock.EventID("a1", domain.NominationDecisionOverdue{AssetID: "a1", NominationID: "n1", DueOn: day("2027-03-27")}),
		"not a clock event": clock.EventID("a1", domain.NominationDecided{AssetID: "a1", NominationID: "n1", DecidedOn: day("2027-03-27")}),
	} {
		if prev, dup := seen[got]; dup {
			t.Errorf("%s has the id of %s", name, prev)
		}
		seen[got] = name
	}
}

// Run wakes at every midnight in England (00:00 UTC in winter, 23:00 UTC in
// summer, a 23-hour and a 25-hour day at the changes) unless the poll
// interval comes first.
func TestNextWake(t *testing.T) {
	tk := clock.NewTicker(nil, eventstore.SQLite, eventstore.NewAssets(nil, domain.DefaultRegimes(), uuid.New), clock.Options{})
	for _, tt := range []struct {
		now, want time.Time
	}{
		{london(2027, 1, 15, 12, 0, 0), london(2027, 1, 15, 12, 1, 0)}, // the default poll, a minute
		{london(2027, 1, 15, 23, 59, 30), time.Date(2027, 1, 16, 0, 0, 0, 0, time.UTC)},
		{london(2027, 7, 15, 23, 59, 30), time.Date(2027, 7, 15, 23, 0, 0, 0, time.UTC)},
		{time.Date(2027, 3, 28, 22, 59, 30, 0, time.UTC), time.Date(2027, 3, 28, 23, 0, 0, 0, time.UTC)},
		{time.Date(2027, 10, 31, 23, 59, 30, 0, time.UTC), time.Date(2027, 11, 1, 0, 0, 0, 0, time.UTC)},
	} {
		if got := tk.NextWake(tt.now); !got.Equal(tt.want) {
			t.Errorf("NextWake(%s) = %s, want %s", tt.now.UTC(), got.UTC(), tt.want)
		}
	}
}

// Run, driven by an injected clock and wait, ticks at the start, at each
// midnight in England across the change to British Summer Time, and
// appends a listing's expiry (s.87(3)) at the first of them; it returns nil
// when its context ends.
func TestRunTicksAtEveryMidnightInEngland(t *testing.T) {
	h := openSQLite(t)
	for _, w := range backdated(nominate("n1", "2022-02-01"), list("n1", "2022-03-29")) { // last day 28 March 2027
		h.run(t, "a1", w)
	}
	h.consume(t)
	start := time.Date(2027, 3, 27, 12, 0, 0, 0, time.UTC)
	h.clock.Set(start)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wakes []time.Time
	wait := func(ctx context.Context, until time.Time) error {
		wakes = append(wakes, until)
		if len(wakes) == 4 {
			cancel()
			return ctx.Err()
		}
		h.clock.Set(until)
		return nil
	}
	tk := clock.NewTicker(h.db, h.dialect, h.assets, clock.Options{Now: h.clock.Now, Wait: wait, Poll: 48 * time.Hour})
	if err := tk.Run(ctx); err != nil {
		t.Fatalf("Run = %v, want nil after its context ended", err)
	}
	want := []time.Time{
		time.Date(2027, 3, 28, 0, 0, 0, 0, time.UTC),  // midnight GMT
		time.Date(2027, 3, 28, 23, 0, 0, 0, time.UTC), // midnight BST, 23 hours later
		time.Date(2027, 3, 29, 23, 0, 0, 0, time.UTC),
		time.Date(2027, 3, 30, 23, 0, 0, 0, time.UTC),
	}
	if diff := cmp.Diff(want, wakes); diff != "" {
		t.Errorf("wake-ups (-want +got):\n%s", diff)
	}
	events := h.clockEvents(t)
	if len(events) != 1 || events[0].Type != domain.TypeListingExpired || !events[0].RecordedAt.Equal(want[1]) {
		t.Errorf("clock events %+v, want the listing's expiry at %s", events, want[1])
	}
}

// A failing tick is logged, and Run keeps ticking.
func TestRunLogsAFailedTickAndGoesOn(t *testing.T) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "empty.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var logs bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	now := yearStart
	waits := 0
	wait := func(ctx context.Context, until time.Time) error {
		if waits++; waits == 3 {
			cancel()
			return ctx.Err()
		}
		now = until
		return nil
	}
	tk := clock.NewTicker(db, eventstore.SQLite, eventstore.NewAssets(nil, domain.DefaultRegimes(), uuid.New), clock.Options{
		Now: func() time.Time { return now }, Wait: wait, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err := tk.Run(ctx); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	if got := strings.Count(logs.String(), "clock tick failed"); got != 3 || !strings.Contains(logs.String(), "clock_schedule") {
		t.Errorf("logged %d failed ticks, want 3 naming the missing table:\n%s", got, logs.String())
	}
}
