package domain_test

import (
	"testing"

	"github.com/acv-registry/acv/domain"
	"github.com/google/go-cmp/cmp"
)

// Each clock event fires on the first day after its period's last day, not
// on the last day, and only once.
func TestClockEvents(t *testing.T) {
	received := day("2026-03-02")
	for _, tt := range []struct {
		name    string
		given   func(t *testing.T) *domain.Asset
		mark    func(a *domain.Asset, today domain.Date) error
		lastDay domain.Date
		want    domain.Event
	}{
		{"Regs reg 7: decision overdue after 8 weeks", func(t *testing.T) *domain.Asset { return nominated(t, received) },
			(*domain.Asset).MarkDecisionOverdue, day("2026-04-26"),
			domain.NominationDecisionOverdue{AssetID: "a1", NominationID: "n1", DueOn: day("2026-04-26")}},
		{"Regs Sch 2: review overdue after 8 weeks", reviewed,
			(*domain.Asset).MarkReviewOverdue, day("2026-07-26"),
			domain.ReviewDecisionOverdue{AssetID: "a1", ReviewID: "rv1", DueOn: day("2026-07-26")}},
		{"s.95: interim moratorium ends after 6 weeks", func(t *testing.T) *domain.Asset { return withDisposalNotice(t, noticeOn) },
			(*domain.Asset).MarkInterimMoratoriumEnded, interimLast,
			domain.InterimMoratoriumEnded{AssetID: "a1", NoticeID: "dn1", LastDay: interimLast}},
		{"s.95: full moratorium ends after 6 months", inFull,
			(*domain.Asset).MarkFullMoratoriumEnded, fullLast,
			domain.FullMoratoriumEnded{AssetID: "a1", NoticeID: "dn1", LastDay: fullLast}},
		{"s.95: protected period ends after 18 months", func(t *testing.T) *domain.Asset { return withDisposalNotice(t, noticeOn) },
			(*domain.Asset).MarkProtectedPeriodEnded, protectedLast,
			domain.ProtectedPeriodEnded{AssetID: "a1", NoticeID: "dn1", LastDay: protectedLast}},
		{"s.87(3): listing expires after 5 years (29 February start)", func(t *testing.T) *domain.Asset { return listed(t, day("2024-02-29")) },
			(*domain.Asset).MarkListingExpired, day("2029-02-28"),
			domain.ListingExpired{AssetID: "a1", NominationID: "n1", LastDay: day("2029-02-28")}},
		{"s.93: unsuccessful entry expires after 5 years", func(t *testing.T) *domain.Asset {
			a := nominated(t, received)
			must(t, a.DecideNomination("n1", domain.Decision{Outcome: domain.NotListed, Reasons: "r", DecidedOn: day("2026-04-01")}, far))
			return a
		}, (*domain.Asset).MarkUnsuccessfulEntryExpired, day("2031-03-31"),
			domain.UnsuccessfulEntryExpired{AssetID: "a1", NominationID: "n1", LastDay: day("2031-03-31")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := rebuilt(t, tt.given(t))
			must(t, tt.mark(a, tt.lastDay))
			if len(a.Pending()) != 0 {
				t.Fatalf("raised on the last day of the period: %v", a.Pending())
			}
			must(t, tt.mark(a, tt.lastDay.AddDays(1)))
			if diff := cmp.Diff([]domain.Event{tt.want}, a.Pending()); diff != "" {
				t.Fatalf("raised (-want +got):\n%s", diff)
			}
			if got := tt.want.EffectiveOn(); got != tt.lastDay.AddDays(1) {
				t.Errorf("effective on %s, want the day after the last day", got)
			}
			must(t, tt.mark(a, tt.lastDay.AddDays(30)))
			if len(a.Pending()) != 1 {
				t.Errorf("raised again: %v", a.Pending())
			}
			// Once stored, a rebuilt asset does not raise it again either.
			b := domain.Rebuild("a1", domain.DefaultRegimes(), append(tt.given(t).Pending(), a.Pending()...))
			must(t, tt.mark(b, tt.lastDay.AddDays(30)))
			if len(b.Pending()) != 0 {
				t.Errorf("raised again after rebuild: %v", b.Pending())
			}
			wantInvalid(t, tt.mark(a, domain.Date{}), "today")
		})
	}
}

func TestClockEventsStopWhenTheirSubjectDid(t *testing.T) {
	t.Run("no decision overdue once decided, even late", func(t *testing.T) {
		a := nominated(t, day("2026-03-02"))
		must(t, a.DecideNomination("n1", domain.Decision{Outcome: domain.Listed, DecidedOn: day("2026-05-01")}, far))
		n := len(a.Pending())
		must(t, a.MarkDecisionOverdue(day("2026-06-01")))
		if len(a.Pending()) != n {
			t.Error("overdue raised for a decided nomination")
		}
	})
	t.Run("no expiry for an entry removed early", func(t *testing.T) {
		a := listed(t, day("2026-05-01"))
		must(t, a.RemoveFromList(domain.Removal{Reason: domain.RemovedNoCommunityValue, Reasons: "closed", RemovedOn: day("2027-01-01")}, far))
		n := len(a.Pending())
		must(t, a.MarkListingExpired(day("2032-01-01")))
		if len(a.Pending()) != n {
			t.Error("expiry raised for a removed entry")
		}
	})
	t.Run("no full moratorium end without a valid request", func(t *testing.T) {
		a := withDisposalNotice(t, noticeOn)
		n := len(a.Pending())
		must(t, a.MarkFullMoratoriumEnded(far))
		if len(a.Pending()) != n {
			t.Error("full moratorium end raised though none started")
		}
	})
}

func TestAdvanceClocksOrdersByEffectiveDate(t *testing.T) {
	a := rebuilt(t, inFull(t))
	must(t, a.AdvanceClocks(day("2031-12-31")))
	var got []string
	for _, e := range a.Pending() {
		got = append(got, e.EventType()+" "+e.EffectiveOn().String())
	}
	want := []string{
		"acv.interim-moratorium-ended.v1 2027-02-26",
		"acv.full-moratorium-ended.v1 2027-07-15",
		"acv.protected-period-ended.v1 2028-07-15",
		"acv.listing-expired.v1 2031-01-15",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("raised (-want +got):\n%s", diff)
	}
	if a.Status() != domain.StatusRemoved {
		t.Errorf("status after expiry = %s", a.Status())
	}
}

func TestClocks(t *testing.T) {
	a := upheld(t) // listed 1 May 2026, notice the same day, review 1 June, decided 10 June, sent 12 June
	must(t, a.ReceiveDisposalNotice(domain.DisposalNotice{ID: "dn1", Owner: owner, ReceivedOn: noticeOn}, far))
	today := day("2027-03-01")
	got := a.Clocks(today)
	want := []domain.Clock{
		{Name: domain.ClockDecision, Subject: "n1", Start: day("2026-04-01"), End: day("2026-05-26"), Period: domain.Weeks(8), Status: domain.ClockStopped, Rule: "Regs reg 7", Regime: "localism-2012"},
		{Name: domain.ClockListing, Subject: "n1", Start: day("2026-05-01"), End: day("2031-04-30"), Period: domain.Years(5), Status: domain.ClockRunning, Rule: "s.87(3)", Regime: "localism-2012"},
		{Name: domain.ClockReviewRequest, Subject: "n1", Start: day("2026-05-01"), End: day("2026-06-25"), Period: domain.Weeks(8), Status: domain.ClockStopped, Rule: "s.92, Regs Sch 2", Regime: "localism-2012"},
		{Name: domain.ClockReviewDecision, Subject: "rv1", Start: day("2026-06-01"), End: day("2026-07-26"), Period: domain.Weeks(8), Status: domain.ClockStopped, Rule: "Regs Sch 2", Regime: "localism-2012"},
		{Name: domain.ClockAppeal, Subject: "rv1", Start: day("2026-06-12"), End: day("2026-07-10"), Period: domain.DaysAfter(28), Status: domain.ClockEnded, Rule: "Regs reg 11", Regime: "localism-2012"},
		{Name: domain.ClockInterimMoratorium, Subject: "dn1", Start: noticeOn, End: interimLast, Period: domain.Weeks(6), Status: domain.ClockEnded, Rule: "s.95(6)", Regime: "localism-2012"},
		{Name: domain.ClockProtectedPeriod, Subject: "dn1", Start: noticeOn, End: protectedLast, Period: domain.Months(18), Status: domain.ClockRunning, Rule: "s.95(6)", Regime: "localism-2012"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("clocks (-want +got):\n%s", diff)
	}
	b := nominated(t, day("2026-03-02"))
	if c := b.Clocks(day("2026-04-27"))[0]; c.Status != domain.ClockOverdue {
		t.Errorf("undecided after 8 weeks: %s, want overdue", c.Status)
	}
	if c := b.Clocks(day("2026-04-26"))[0]; c.Status != domain.ClockRunning {
		t.Errorf("undecided on day 56: %s, want running", c.Status)
	}
}
