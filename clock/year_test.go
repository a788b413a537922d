package clock_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/acv-registry/acv/clock"
	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

var yearEnd = time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)

// Midnight in England is 00:00 UTC in winter and 23:00 UTC the evening
// before in summer; a clock event is due at the first of those instants
// after its period's last day, and one second before it is still the last
// day ("Counting days": periods of civil days in England).
func TestDueInstantsAcrossSummerTime(t *testing.T) {
	for _, tt := range []struct {
		lastDay string
		due     time.Time
	}{
		{"2027-03-27", time.Date(2027, 3, 28, 0, 0, 0, 0, time.UTC)},  // the eve of BST: still GMT at midnight
		{"2027-03-28", time.Date(2027, 3, 28, 23, 0, 0, 0, time.UTC)}, // BST began at 01:00 UTC
		{"2027-10-30", time.Date(2027, 10, 30, 23, 0, 0, 0, time.UTC)},
		{"2027-10-31", time.Date(2027, 11, 1, 0, 0, 0, 0, time.UTC)}, // GMT again since 01:00 UTC
	} {
		got := story{writes: []write{{at: yearStart}}}.appendAt(want{lastDay: tt.lastDay})
		if !got.Equal(tt.due) {
			t.Errorf("last day %s: due at %s, want %s", tt.lastDay, got.UTC(), tt.due)
		}
		if d := domain.DateOf(tt.due.Add(-time.Second)); d != day(tt.lastDay) {
			t.Errorf("one second before %s is %s in England, want the last day %s", tt.due, d, tt.lastDay)
		}
	}
}

// The statutory clock over 2027, ticking every hour and at 23:59:59 in
// England every day, on two nodes, with the first node restarted every
// month: each clock event of the seven kinds (Regs reg 7, Regs Sch 2,
// s.95(6) three times, s.87(3), s.93) is appended once, at the first tick
// at or after 00:00 Europe/London on the day after its period's last day,
// across both changes of British Summer Time; a restart appends nothing
// more, and replaying the log through the schedule changes nothing.
func TestSimulatedYear(t *testing.T) {
	forEachBackend(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		ss := stories()
		writes := writesByInstant(ss)
		nodes := []*clock.Ticker{h.ticker(), h.ticker()}
		month := yearStart.Month()
		saved := 0
		for _, at := range yearInstants(ss) {
			h.clock.Set(at)
			for _, w := range writes[at.UnixNano()] {
				h.run(t, w.asset, w.write)
			}
			h.consume(t)
			if at.Month() != month { // a restart of the first node
				nodes[0], month = h.ticker(), at.Month()
			}
			if domain.DateOf(at).Day()%2 == 0 { // on even days the second node ticks first
				nodes[0], nodes[1] = nodes[1], nodes[0]
			}
			for _, n := range nodes {
				saved += mustTick(t, n, at)
			}
		}
		h.consume(t)
		checkAppendedOnce(t, h, ss)
		if total := countWants(ss); saved != total {
			t.Errorf("the nodes saved %d clock events between them, want %d: each once", saved, total)
		}

		// A node started after the year, ticking at every due instant again,
		// appends nothing.
		before := len(h.clockEvents(t))
		restarted := h.ticker()
		for _, s := range ss {
			for _, w := range s.wants {
				mustTick(t, restarted, s.appendAt(w))
			}
		}
		mustTick(t, restarted, yearEnd)
		if after := len(h.clockEvents(t)); after != before {
			t.Errorf("a restarted node appended %d clock events", after-before)
		}
		for id, due := range h.rows(t) {
			if !day(due).After(domain.DateOf(yearEnd)) {
				t.Errorf("asset %s is still scheduled on %s after the year", id, due)
			}
		}

		// Replaying every event through the schedule, over its rows or into
		// empty tables, gives the same rows.
		rows := h.rows(t)
		h.offset = 0
		h.consume(t)
		if diff := cmp.Diff(rows, h.rows(t)); diff != "" {
			t.Errorf("a replay over the rows changed them (-before +after):\n%s", diff)
		}
		// A reset empties both of the schedule's tables: with the versions
		// it derived from left behind, every event would pass as derived.
		for _, table := range []string{"clock_schedule", "clock_versions"} {
			if _, err := h.db.ExecContext(ctx, `DELETE FROM `+table); err != nil {
				t.Fatal(err)
			}
		}
		h.offset = 0
		h.consume(t)
		if diff := cmp.Diff(rows, h.rows(t)); diff != "" {
			t.Errorf("a replay into an empty table gave other rows (-followed +replayed):\n%s", diff)
		}
	})
}

// checkAppendedOnce checks the log's clock events against the stories.
func checkAppendedOnce(t *testing.T, h *harness, ss []story) {
	t.Helper()
	type key struct{ asset, typ, subject, lastDay string }
	got := map[key]eventstore.Event{}
	for _, e := range h.clockEvents(t) {
		de, err := domain.UnmarshalEvent(e.Type, e.Data)
		if err != nil {
			t.Fatalf("decode %s: %v", e.Type, err)
		}
		asset := e.Stream[len(domain.AssetStream("")):]
		subject, lastDay := periodOf(de)
		k := key{asset, e.Type, subject, lastDay.String()}
		if _, dup := got[k]; dup {
			t.Errorf("%s of %s (last day %s) appended twice", e.Type, asset, lastDay)
		}
		got[k] = e
		checkClockMetadata(t, asset, de, e)
	}
	for _, s := range ss {
		for _, w := range s.wants {
			k := key{s.asset, w.typ, w.subject, w.lastDay}
			e, ok := got[k]
			if !ok {
				t.Errorf("%s: %s of %s (last day %s) never appended", w.rule, w.typ, s.asset, w.lastDay)
				continue
			}
			delete(got, k)
			if at := s.appendAt(w); !e.RecordedAt.Equal(at) {
				t.Errorf("%s: %s of %s (last day %s) appended at %s (%s in England), want %s (%s in England)",
					w.rule, w.typ, s.asset, w.lastDay, e.RecordedAt.UTC(), e.RecordedAt.In(domain.England()),
					at.UTC(), at.In(domain.England()))
			}
		}
	}
	for k, e := range got {
		t.Errorf("unexpected clock event %s of %s (last day %s) at %s", k.typ, k.asset, k.lastDay, e.RecordedAt.UTC())
	}
}

// checkClockMetadata checks that a clock event's id and metadata are the
// deterministic ones.
func checkClockMetadata(t *testing.T, asset string, de domain.Event, e eventstore.Event) {
	t.Helper()
	if want := clock.EventID(asset, de); e.ID != want {
		t.Errorf("%s of %s has id %s, want %s", e.Type, asset, e.ID, want)
	}
	m := e.Metadata
	if m.Actor != clock.Actor || m.CausationID != uuid.Nil || m.CorrelationID == uuid.Nil || m.EffectiveDate != de.EffectiveOn() {
		t.Errorf("%s of %s has metadata %+v", e.Type, asset, m)
	}
}

// periodOf returns the subject and last day of a clock event's period.
func periodOf(e domain.Event) (string, domain.Date) {
	switch e := e.(type) {
	case domain.NominationDecisionOverdue:
		return e.NominationID, e.DueOn
	case domain.ReviewDecisionOverdue:
		return e.ReviewID, e.DueOn
	case domain.InterimMoratoriumEnded:
		return e.NoticeID, e.LastDay
	case domain.FullMoratoriumEnded:
		return e.NoticeID, e.LastDay
	case domain.ProtectedPeriodEnded:
		return e.NoticeID, e.LastDay
	case domain.ListingExpired:
		return e.NominationID, e.LastDay
	case domain.UnsuccessfulEntryExpired:
		return e.NominationID, e.LastDay
	}
	panic("not a clock event: " + e.EventType())
}

// assetWrite is a story's write with its asset.
type assetWrite struct {
	asset string
	write write
}

// writesByInstant indexes the stories' writes by instant, in story order.
func writesByInstant(ss []story) map[int64][]assetWrite {
	m := map[int64][]assetWrite{}
	for _, s := range ss {
		for _, w := range s.writes {
			m[w.at.UnixNano()] = append(m[w.at.UnixNano()], assetWrite{s.asset, w})
		}
	}
	return m
}

// yearInstants returns the instants the year ticks at, in order: every hour
// on the hour (UTC), 23:59:59 in England every day, and every write.
func yearInstants(ss []story) []time.Time {
	var ts []time.Time
	for at := yearStart; !at.After(yearEnd); at = at.Add(time.Hour) {
		ts = append(ts, at)
	}
	for d := domain.DateOf(yearStart); d.Before(domain.DateOf(yearEnd)); d = d.AddDays(1) {
		ts = append(ts, d.AddDays(1).StartIn().Add(-time.Second))
	}
	for _, s := range ss {
		for _, w := range s.writes {
			ts = append(ts, w.at)
		}
	}
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	return slices.CompactFunc(ts, func(a, b time.Time) bool { return a.Equal(b) })
}

func countWants(ss []story) int {
	n := 0
	for _, s := range ss {
		n += len(s.wants)
	}
	return n
}

// mustTick ticks at at and returns how many events the tick saved.
func mustTick(t testing.TB, tk *clock.Ticker, at time.Time) int {
	t.Helper()
	n, err := tk.Tick(context.Background(), at)
	if err != nil {
		t.Fatalf("Tick at %s: %v", at.UTC(), err)
	}
	return n
}
