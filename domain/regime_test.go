package domain_test

import (
	"testing"

	"github.com/acv-registry/acv/domain"
	"github.com/google/go-cmp/cmp"
)

// test2027 is a made-up second regime, standing in for the 2026 Act's
// Community Right to Buy: a 12-month full moratorium from 1 January 2027.
func test2027() domain.Regime {
	r := domain.Localism2012()
	r.ID = "test-2027"
	r.InForceFrom = day("2027-01-01")
	r.FullMoratorium = domain.TimeLimit{Period: domain.Months(12), Rule: "2026 Act (test)"}
	return r
}

// periods returns the data of a regime that can be compared.
func periods(r domain.Regime) []domain.TimeLimit {
	return []domain.TimeLimit{r.Decision, r.Listing, r.UnsuccessfulEntry, r.ReviewRequest, r.ReviewDecision,
		r.Appeal, r.InterimMoratorium, r.FullMoratorium, r.ProtectedPeriod, r.CompensationClaim,
		r.CompensationReview, r.CompensationAppeal}
}

// The localism-2012 regime's periods, row by row of the time-limit table.
func TestLocalism2012Periods(t *testing.T) {
	r := domain.Localism2012()
	want := []domain.Period{domain.Weeks(8), domain.Years(5), domain.Years(5), domain.Weeks(8), domain.Weeks(8),
		domain.DaysAfter(28), domain.Weeks(6), domain.Months(6), domain.Months(18), domain.WeeksAfter(13),
		domain.Weeks(8), domain.DaysAfter(28)}
	var got []domain.Period
	for _, tl := range periods(r) {
		got = append(got, tl.Period)
		if tl.Rule == "" {
			t.Errorf("period %v cites no rule", tl.Period)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("periods (-want +got):\n%s", diff)
	}
	if r.ID != "localism-2012" || r.InForceFrom != day("2012-09-21") {
		t.Errorf("regime = %s from %s", r.ID, r.InForceFrom)
	}
	if len(r.Exemptions) != len(domain.ExemptionCodes()) {
		t.Errorf("%d exemptions, want every code (%d)", len(r.Exemptions), len(domain.ExemptionCodes()))
	}
}

// Regs reg 1: a process that began before 21 September 2012 has no regime.
func TestRegimeForCommencement(t *testing.T) {
	rs := domain.DefaultRegimes()
	if _, err := rs.RegimeFor(day("2012-09-20")); err == nil {
		t.Error("20 September 2012 found a regime")
	} else {
		wantRule(t, err, "Regs reg 1")
	}
	if r, err := rs.RegimeFor(day("2012-09-21")); err != nil || r.ID != domain.Localism2012ID {
		t.Errorf("21 September 2012 = %v, %v", r.ID, err)
	}
	a := domain.NewAsset("a1", rs)
	wantRule(t, a.ReceiveNomination(nomination("n1", day("2012-09-20")), far), "Regs reg 1")
}

func TestNewRegimesRejectsBadSets(t *testing.T) {
	dup := domain.Localism2012()
	dup.InForceFrom = day("2030-01-01")
	sameDay := test2027()
	sameDay.InForceFrom = domain.Localism2012().InForceFrom
	broken := test2027()
	broken.Decision = domain.TimeLimit{}
	for name, rs := range map[string][]domain.Regime{
		"repeated id":       {domain.Localism2012(), dup},
		"same commencement": {domain.Localism2012(), sameDay},
		"invalid period":    {domain.Localism2012(), broken},
	} {
		if _, err := domain.NewRegimes(rs...); err == nil {
			t.Errorf("%s: NewRegimes accepted it", name)
		}
	}
}

// Adding a regime is additive: processes started before its commencement keep
// the localism-2012 periods and every existing rule is unchanged; processes
// started on or after it get the new periods.
func TestSecondRegimeIsAdditive(t *testing.T) {
	two, err := domain.NewRegimes(domain.Localism2012(), test2027())
	if err != nil {
		t.Fatal(err)
	}
	one := domain.DefaultRegimes()

	// The regime data of localism-2012 is the same in both sets.
	l1, _ := one.ByID(domain.Localism2012ID)
	l2, _ := two.ByID(domain.Localism2012ID)
	if diff := cmp.Diff(periods(l1), periods(l2)); diff != "" {
		t.Errorf("localism-2012 changed when a regime was added (-before +after):\n%s", diff)
	}

	// run builds the same history under a set of regimes and returns the
	// moratorium record and clocks of a notice received on noticeOn.
	run := func(rs domain.Regimes, noticeOn domain.Date) (domain.MoratoriumRecord, []domain.Clock, domain.Event) {
		a := domain.NewAsset("a1", rs)
		must(t, a.ReceiveNomination(nomination("n1", day("2026-06-01")), far))
		must(t, a.DecideNomination("n1", domain.Decision{Outcome: domain.Listed, DecidedOn: day("2026-07-01")}, far))
		must(t, a.ReceiveDisposalNotice(domain.DisposalNotice{ID: "dn1", Owner: owner, ReceivedOn: noticeOn}, far))
		must(t, a.ReceiveBidderRequest(domain.BidderRequest{ID: "r1", Group: society, ReceivedOn: noticeOn.AddDays(1)}, far))
		m, _ := a.Moratorium(noticeOn)
		return m, a.Clocks(far), a.Pending()[2]
	}

	// Before commencement: identical results with or without test-2027.
	before := day("2026-12-31")
	m1, c1, _ := run(one, before)
	m2, c2, e2 := run(two, before)
	if diff := cmp.Diff(c1, c2); diff != "" {
		t.Errorf("clocks of a notice before commencement changed (-one regime +two):\n%s", diff)
	}
	if m2.FullEnds != day("2027-06-30") || e2.(domain.DisposalNoticeReceived).Regime != domain.Localism2012ID {
		t.Errorf("notice of 31 Dec 2026: full moratorium ends %s under %s, want 2027-06-30 under localism-2012", m2.FullEnds, e2.(domain.DisposalNoticeReceived).Regime)
	}
	if m1.FullEnds != m2.FullEnds {
		t.Errorf("full moratorium end changed: %s vs %s", m1.FullEnds, m2.FullEnds)
	}

	// On commencement: the new periods, and the new regime id on the event.
	on := day("2027-01-01")
	m3, _, e3 := run(two, on)
	if m3.FullEnds != day("2027-12-31") {
		t.Errorf("notice of 1 Jan 2027 under test-2027: full moratorium ends %s, want 2027-12-31", m3.FullEnds)
	}
	if m3.InterimEnds != day("2027-02-11") || m3.ProtectedEnds != day("2028-06-30") {
		t.Errorf("unchanged periods changed: interim %s, protected %s", m3.InterimEnds, m3.ProtectedEnds)
	}
	if got := e3.(domain.DisposalNoticeReceived).Regime; got != "test-2027" {
		t.Errorf("notice regime = %s, want test-2027", got)
	}
	// The nomination of June 2026 stays under localism-2012 even in a set
	// that knows test-2027.
	m4, _, _ := run(one, on)
	if m4.FullEnds != day("2027-06-30") {
		t.Errorf("without test-2027 the notice of 1 Jan 2027 ends %s, want 2027-06-30", m4.FullEnds)
	}
}

// RegimeOf: the regime of every event is the regime of the process it
// belongs to.
func TestRegimeOf(t *testing.T) {
	two, _ := domain.NewRegimes(domain.Localism2012(), test2027())
	a := domain.NewAsset("a1", two)
	must(t, a.ReceiveNomination(nomination("n1", day("2026-06-01")), far))
	must(t, a.DecideNomination("n1", domain.Decision{Outcome: domain.Listed, DecidedOn: day("2026-07-01")}, far))
	must(t, a.ReceiveDisposalNotice(domain.DisposalNotice{ID: "dn1", Owner: owner, ReceivedOn: day("2027-03-01")}, far))
	must(t, a.ReceiveBidderRequest(domain.BidderRequest{ID: "r1", Group: society, ReceivedOn: day("2027-03-02")}, far))
	must(t, a.ChangeOwner(newOwner, day("2027-04-01"), far))
	want := []string{"localism-2012", "localism-2012", "test-2027", "test-2027", "localism-2012"}
	var got []string
	for _, e := range a.Pending() {
		got = append(got, a.RegimeOf(e))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RegimeOf (-want +got):\n%s", diff)
	}
}

// Rebuild never fails: history naming a regime this build does not know
// folds under the regime in force on the process's start day.
func TestRebuildWithUnknownRegime(t *testing.T) {
	two, _ := domain.NewRegimes(domain.Localism2012(), test2027())
	a := domain.NewAsset("a1", two)
	must(t, a.ReceiveNomination(nomination("n1", day("2027-02-01")), far))
	must(t, a.DecideNomination("n1", domain.Decision{Outcome: domain.Listed, DecidedOn: day("2027-03-01")}, far))
	b := domain.Rebuild("a1", domain.DefaultRegimes(), a.Pending())
	if e, ok := b.Entry(); !ok || e.Regime != domain.Localism2012ID || e.ExpiresOn != day("2032-02-29") {
		t.Errorf("entry = %+v", e)
	}
	if got := b.RegimeOf(a.Pending()[0]); got != "test-2027" {
		t.Errorf("RegimeOf the stored event = %s, want the stored id test-2027", got)
	}
}
