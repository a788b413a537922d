package domain_test

import (
	"testing"

	"github.com/acv-registry/acv/domain"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// NextClockDue names the first day on which AdvanceClocks raises something:
// the day after the earliest pending period's last day ("Counting days":
// a period ends at the end of its last day). Walking an asset from one due
// day to the next raises, one day at a time, exactly what a single
// AdvanceClocks far in the future raises.
func TestNextClockDue(t *testing.T) {
	for _, tt := range []struct {
		name  string
		given func(t *testing.T) []domain.Event
		want  string // the first due day; "" for none
	}{
		{"nothing started: no clock", func(*testing.T) []domain.Event { return nil }, ""},
		{"Regs reg 7: undecided nomination received 2 March is overdue on 27 April",
			func(t *testing.T) []domain.Event { return events(nominated(t, day("2026-03-02"))) }, "2026-04-27"},
		{"Regs reg 7: an overdue nomination waits for nothing more",
			func(t *testing.T) []domain.Event {
				return advanced(t, nominated(t, day("2026-03-02")), day("2026-05-01"))
			}, ""},
		{"s.87(3): a listing entered 1 May 2026 expires on 1 May 2031",
			func(t *testing.T) []domain.Event { return events(listed(t, day("2026-05-01"))) }, "2031-05-01"},
		{"s.87(3): an entry entered 29 February 2024 expires on 1 March 2029",
			func(t *testing.T) []domain.Event { return events(listed(t, day("2024-02-29"))) }, "2029-03-01"},
		{"Regs reg 2(c)(ii): an entry removed early has no expiry", func(t *testing.T) []domain.Event {
			a := listed(t, day("2026-05-01"))
			must(t, a.RemoveFromList(domain.Removal{Reason: domain.RemovedNoCommunityValue, Reasons: "closed", RemovedOn: day("2027-01-01")}, far))
			return a.Pending()
		}, ""},
		{"s.93: an unsuccessful entry made 1 April 2026 expires on 1 April 2031", func(t *testing.T) []domain.Event {
			a := nominated(t, day("2026-03-02"))
			must(t, a.DecideNomination("n1", domain.Decision{Outcome: domain.NotListed, Reasons: "r", DecidedOn: day("2026-04-01")}, far))
			return a.Pending()
		}, "2031-04-01"},
		{"s.93 and Regs reg 7: a new nomination's decision falls due before the unsuccessful entry expires", func(t *testing.T) []domain.Event {
			a := nominated(t, day("2026-03-02"))
			must(t, a.DecideNomination("n1", domain.Decision{Outcome: domain.NotListed, Reasons: "r", DecidedOn: day("2026-04-01")}, far))
			must(t, a.ReceiveNomination(nomination("n2", day("2026-05-01")), far))
			return a.Pending()
		}, "2026-06-26"},
		{"Regs Sch 2: a review requested 1 June is overdue on 27 July", func(t *testing.T) []domain.Event { return events(reviewed(t)) }, "2026-07-27"},
		{"Regs Sch 2: a longer period agreed with the owner moves the due day", func(t *testing.T) []domain.Event {
			a := reviewed(t)
			must(t, a.AgreeReviewDecisionPeriod("rv1", day("2026-08-31"), day("2026-07-01"), far))
			return a.Pending()
		}, "2026-09-01"},
		{"Regs Sch 2: a decided review leaves the listing's expiry", func(t *testing.T) []domain.Event { return events(upheld(t)) }, "2031-05-01"},
		{"s.95(6): the interim moratorium ends first", func(t *testing.T) []domain.Event { return events(withDisposalNotice(t, noticeOn)) },
			interimLast.AddDays(1).String()},
		{"s.95(6): without a bidder request the protected period comes next",
			func(t *testing.T) []domain.Event {
				return advanced(t, withDisposalNotice(t, noticeOn), interimLast.AddDays(1))
			},
			protectedLast.AddDays(1).String()},
		{domain.RuleBidderRequest + ": a valid request makes the full moratorium come next",
			func(t *testing.T) []domain.Event { return advanced(t, inFull(t), interimLast.AddDays(1)) },
			fullLast.AddDays(1).String()},
		{"s.95(6): after the protected period only the listing's expiry is left",
			func(t *testing.T) []domain.Event { return advanced(t, inFull(t), protectedLast.AddDays(1)) }, "2031-01-15"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			history := tt.given(t)
			due, ok := domain.Rebuild("a1", domain.DefaultRegimes(), history).NextClockDue()
			if got := dayOrNone(due, ok); got != tt.want {
				t.Fatalf("NextClockDue = %s, want %s", got, or(tt.want, "none"))
			}
			walkClocks(t, history)
		})
	}
}

// walkClocks advances a rebuilt asset from one due day to the next and
// checks each step: nothing the day before, only that day's events on it.
// Together the steps must raise what one AdvanceClocks far ahead raises.
func walkClocks(t *testing.T, history []domain.Event) {
	t.Helper()
	start := len(history)
	for step := 0; ; step++ {
		if step > 20 {
			t.Fatal("clocks keep falling due")
		}
		a := domain.Rebuild("a1", domain.DefaultRegimes(), history)
		due, ok := a.NextClockDue()
		if !ok {
			break
		}
		before := domain.Rebuild("a1", domain.DefaultRegimes(), history)
		must(t, before.AdvanceClocks(due.AddDays(-1)))
		if p := before.Pending(); len(p) != 0 {
			t.Fatalf("AdvanceClocks(%s), the day before the due day, raised %v", due.AddDays(-1), p)
		}
		must(t, a.AdvanceClocks(due))
		if len(a.Pending()) == 0 {
			t.Fatalf("AdvanceClocks(%s), the due day, raised nothing", due)
		}
		for _, e := range a.Pending() {
			if e.EffectiveOn() != due {
				t.Errorf("on %s raised %s effective %s", due, e.EventType(), e.EffectiveOn())
			}
		}
		history = append(history, a.Pending()...)
	}
	once := domain.Rebuild("a1", domain.DefaultRegimes(), history[:start])
	must(t, once.AdvanceClocks(far))
	if diff := cmp.Diff(once.Pending(), history[start:], cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("walking the due days raised other events than AdvanceClocks(%s) (-once +walked):\n%s", far, diff)
	}
}

// advanced returns the asset's events followed by what AdvanceClocks(today)
// raises on the stored asset.
func advanced(t *testing.T, a *domain.Asset, today domain.Date) []domain.Event {
	t.Helper()
	b := rebuilt(t, a)
	must(t, b.AdvanceClocks(today))
	return append(a.Pending(), b.Pending()...)
}

// events returns the events a test's commands raised on a.
func events(a *domain.Asset) []domain.Event { return a.Pending() }

func dayOrNone(d domain.Date, ok bool) string {
	if !ok {
		return ""
	}
	return d.String()
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
