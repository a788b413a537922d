package domain_test

import (
	"testing"

	"github.com/acv-registry/acv/domain"
)

// story replays an asset's life the way the API lives it: every command
// runs on an asset rebuilt from the stored history, and its events are
// appended to that history.
type story struct {
	t       *testing.T
	id      string
	history []domain.Event
	a       *domain.Asset // the asset of the last step; its Pending holds that step's events
}

func newStory(t *testing.T, id string) *story { return &story{t: t, id: id} }

func (s *story) do(what string, cmd func(a *domain.Asset) error) {
	s.t.Helper()
	s.a = domain.Rebuild(s.id, domain.DefaultRegimes(), s.history)
	if err := cmd(s.a); err != nil {
		s.t.Fatalf("%s: %v", what, err)
	}
	s.history = append(s.history, s.a.Pending()...)
}

// A pub: nomination, listing, review upheld, the owner's notice, a CIG
// request on the last day of the interim moratorium, a bid, and a sale to the
// CIG inside the full moratorium.
func TestScenarioPubSoldToCommunity(t *testing.T) {
	s := newStory(t, "red-lion")
	n := nomination("n1", day("2026-01-05"))
	s.do("nomination (s.89)", func(a *domain.Asset) error { return a.ReceiveNomination(n, day("2026-01-05")) })
	if r, _ := s.a.PendingNomination(); r.DecisionDue != day("2026-03-01") {
		t.Fatalf("Regs reg 7: decision due %s, want 2026-03-01", r.DecisionDue)
	}
	s.do("consultation (Regs reg 8)", func(a *domain.Asset) error {
		return a.Consult("n1", domain.Notice{ID: "consult", Recipients: anyRecipient, Method: domain.ByPost, GivenOn: day("2026-01-08")}, day("2026-01-08"))
	})
	s.do("listing (s.90)", func(a *domain.Asset) error {
		return a.DecideNomination("n1", domain.Decision{Outcome: domain.Listed, Reasons: "furthers social wellbeing", DecidedOn: day("2026-02-20")}, day("2026-02-20"))
	})
	s.do("notice of listing (s.91)", func(a *domain.Asset) error {
		return a.GiveNotice(domain.Notice{ID: "listing-notice", Kind: domain.ListingNotice, Subject: "n1",
			Recipients: []domain.Recipient{{Role: domain.ToOwner, Party: owner}, {Role: domain.ToNominator, Party: domain.Party{Name: friends.Name}}},
			Method:     domain.ByPost, GivenOn: day("2026-02-23")}, day("2026-02-23"))
	})
	if e, _ := s.a.Entry(); e.ExpiresOn != day("2031-02-19") || e.ReviewWindowEnds != day("2026-04-19") {
		t.Fatalf("entry %+v", e)
	}
	s.do("review requested (s.92)", func(a *domain.Asset) error {
		return a.RequestReview(domain.ReviewRequest{ID: "rv1", Requester: owner, ReceivedOn: day("2026-03-10"), OralHearing: true}, day("2026-03-10"))
	})
	s.do("review upheld", func(a *domain.Asset) error {
		return a.DecideReview("rv1", domain.ReviewDecision{Outcome: domain.ReviewUpheld, Reasons: "still the village's social hub", DecidedOn: day("2026-04-20")}, day("2026-04-20"))
	})
	if r := s.a.Reviews()[0]; r.DecidedLate || r.AppealEnds != day("2026-05-18") {
		t.Fatalf("review %+v", r)
	}
	s.do("notice of wish to dispose (s.95(2))", func(a *domain.Asset) error {
		return a.ReceiveDisposalNotice(domain.DisposalNotice{ID: "dn1", Owner: owner, ReceivedOn: day("2026-09-01")}, day("2026-09-01"))
	})
	m, _ := s.a.Moratorium(day("2026-09-01"))
	if m.InterimEnds != day("2026-10-12") || m.FullEnds != day("2027-02-28") || m.ProtectedEnds != day("2028-02-29") {
		t.Fatalf("periods %s %s %s", m.InterimEnds, m.FullEnds, m.ProtectedEnds)
	}
	s.do("publicity (s.97)", func(a *domain.Asset) error {
		return a.GiveNotice(domain.Notice{ID: "publicity", Kind: domain.MoratoriumPublicity, Subject: "dn1",
			Recipients: []domain.Recipient{{Role: domain.ToPublic, Party: domain.Party{Name: "parish noticeboard"}}}, Method: domain.BySiteNotice, GivenOn: day("2026-09-03")}, day("2026-09-03"))
	})
	s.do("clock on the last day of the interim moratorium", func(a *domain.Asset) error { return a.AdvanceClocks(day("2026-10-12")) })
	s.do("CIG request on the last day (Regs reg 12)", func(a *domain.Asset) error {
		return a.ReceiveBidderRequest(domain.BidderRequest{ID: "r1", Group: society, ReceivedOn: day("2026-10-12")}, day("2026-10-12"))
	})
	if r := last(s.a).(domain.BidderRequestReceived); r.Status != domain.RequestAccepted {
		t.Fatalf("request on the last day: %+v", r)
	}
	s.do("request passed to the owner (s.98)", func(a *domain.Asset) error {
		return a.GiveNotice(domain.Notice{ID: "passed", Kind: domain.BidderRequestPassing, Subject: "r1", Recipients: anyRecipient, Method: domain.ByEmail, GivenOn: day("2026-10-13")}, day("2026-10-13"))
	})
	s.do("clock the next day", func(a *domain.Asset) error { return a.AdvanceClocks(day("2026-10-13")) })
	if got := s.a.MoratoriumPhase(day("2026-10-13")); got != domain.PhaseFull {
		t.Fatalf("phase after a valid request: %s", got)
	}
	s.do("bid", func(a *domain.Asset) error {
		return a.SubmitBid(domain.Bid{ID: "b1", Bidder: domain.Party{ID: society.ID, Name: society.Name}, RequestID: "r1", AmountPence: 42_500_000, Terms: "community share offer", SubmittedOn: day("2026-11-15")}, day("2026-11-15"))
	})
	s.do("bid accepted", func(a *domain.Asset) error {
		return a.ChangeBidStatus("b1", domain.BidAccepted, day("2026-12-01"), day("2026-12-01"))
	})
	s.do("sale to the CIG inside the full moratorium (s.95(1))", func(a *domain.Asset) error {
		grp := society
		return a.RecordDisposal(domain.Disposal{ID: "d1", Kind: domain.RelevantDisposal, Buyer: domain.Party{ID: society.ID, Name: society.Name}, BuyerGroup: &grp, DisposedOn: day("2027-01-10")}, day("2027-01-12"))
	})
	if d := last(s.a).(domain.DisposalRecorded); d.InBreach || d.NoticeID != "dn1" {
		t.Fatalf("sale to the CIG flagged: %+v", d)
	}
	s.do("outcome", func(a *domain.Asset) error {
		return a.RecordMoratoriumOutcome("dn1", domain.SoldToCIG, day("2027-01-10"), day("2027-01-12"))
	})
	s.do("new owner (Regs reg 19)", func(a *domain.Asset) error {
		return a.ChangeOwner(domain.Party{ID: society.ID, Name: society.Name}, day("2027-02-01"), day("2027-02-01"))
	})
	s.do("clocks to 2028", func(a *domain.Asset) error { return a.AdvanceClocks(day("2028-03-01")) })

	// The same story replayed from storage gives the same state.
	b := domain.Rebuild("red-lion", domain.DefaultRegimes(), s.history)
	if b.Status() != domain.StatusListed {
		t.Errorf("status %s: a sale to the CIG leaves the land listed", b.Status())
	}
	if o, _ := b.Owner(); o.ID != society.ID {
		t.Errorf("owner %v", o)
	}
	if m, _ := b.Moratorium(day("2026-09-01")); !m.FullTriggered || m.Outcome == nil || m.Outcome.Outcome != domain.SoldToCIG || len(m.Bids) != 1 {
		t.Errorf("moratorium %+v", m)
	}
	var types []string
	for _, e := range b.Clocks(day("2028-03-01")) {
		types = append(types, string(e.Name)+":"+string(e.Status))
	}
	want := "decision:stopped listing:running review_request:stopped review_decision:stopped appeal:ended interim_moratorium:ended full_moratorium:ended protected_period:ended"
	if got := join(types); got != want {
		t.Errorf("clocks\n got %s\nwant %s", got, want)
	}
}

// A library: an interim moratorium that lapses with no CIG request, a sale
// after it, and removal from the list.
func TestScenarioLibraryInterimLapses(t *testing.T) {
	s := newStory(t, "library")
	council := domain.Party{ID: "owner-council", Name: "Anytown District Council", PublicBody: true}
	n := nomination("n1", day("2026-02-02"))
	n.Nominator = domain.Body{Name: "Anytown Parish Council", Kind: domain.ParishCouncil, LocalConnection: true}
	n.Land = domain.Land{Name: "Anytown Library", Description: "Branch library", Boundaries: "title ABC123", Use: domain.NonResidential}
	n.Owner = council
	s.do("nomination", func(a *domain.Asset) error { return a.ReceiveNomination(n, day("2026-02-02")) })
	s.do("listing", func(a *domain.Asset) error {
		return a.DecideNomination("n1", domain.Decision{Outcome: domain.Listed, DecidedOn: day("2026-03-16")}, day("2026-03-16"))
	})
	s.do("notice of listing", func(a *domain.Asset) error {
		return a.GiveNotice(domain.Notice{ID: "ln", Kind: domain.ListingNotice, Subject: "n1", Recipients: []domain.Recipient{{Role: domain.ToOwner, Party: council}}, Method: domain.ByEmail, GivenOn: day("2026-03-17")}, day("2026-03-17"))
	})
	s.do("notice of wish to dispose", func(a *domain.Asset) error {
		return a.ReceiveDisposalNotice(domain.DisposalNotice{ID: "dn1", Owner: council, ReceivedOn: day("2026-06-01")}, day("2026-06-01"))
	})
	if got := s.a.MoratoriumPhase(day("2026-07-12")); got != domain.PhaseInterim {
		t.Fatalf("phase on the last interim day: %s", got)
	}
	s.do("clock on the last interim day", func(a *domain.Asset) error { return a.MarkInterimMoratoriumEnded(day("2026-07-12")) })
	s.do("clock the day after", func(a *domain.Asset) error { return a.MarkInterimMoratoriumEnded(day("2026-07-13")) })
	if e, ok := last(s.a).(domain.InterimMoratoriumEnded); !ok || e.LastDay != day("2026-07-12") {
		t.Fatalf("last = %#v", last(s.a))
	}
	s.do("a late request is recorded as rejected", func(a *domain.Asset) error {
		return a.ReceiveBidderRequest(domain.BidderRequest{ID: "r1", Group: domain.Body{Name: "Friends of the Library", Kind: domain.Charity, LocalConnection: true}, ReceivedOn: day("2026-07-14")}, day("2026-07-14"))
	})
	if r := last(s.a).(domain.BidderRequestReceived); r.Status != domain.RequestRejected || r.Rule != "s.95(3)" {
		t.Fatalf("late request %+v", r)
	}
	if got := s.a.MoratoriumPhase(day("2026-07-14")); got != domain.PhaseProtected {
		t.Fatalf("a rejected request started something: phase %s", got)
	}
	developer := domain.Party{ID: "dev", Name: "Developer Ltd"}
	s.do("sale after the moratorium", func(a *domain.Asset) error {
		return a.RecordDisposal(domain.Disposal{ID: "d1", Kind: domain.RelevantDisposal, Buyer: developer, DisposedOn: day("2026-08-01")}, day("2026-08-03"))
	})
	if d := last(s.a).(domain.DisposalRecorded); d.InBreach {
		t.Fatalf("lawful sale flagged: %+v", d)
	}
	s.do("outcome", func(a *domain.Asset) error {
		return a.RecordMoratoriumOutcome("dn1", domain.SoldAfterMoratorium, day("2026-08-01"), day("2026-08-03"))
	})
	s.do("removal after the relevant disposal (Regs reg 2(b))", func(a *domain.Asset) error {
		return a.RemoveFromList(domain.Removal{Reason: domain.RemovedOnRelevantDisposal, Ref: "d1", Reasons: "sold for redevelopment", RemovedOn: day("2026-08-15")}, day("2026-08-15"))
	})
	s.do("removal notice", func(a *domain.Asset) error {
		return a.GiveNotice(domain.Notice{ID: "rn", Kind: domain.RemovalNotice, Subject: "n1", Recipients: []domain.Recipient{{Role: domain.ToOwner, Party: council}}, Method: domain.ByPost, GivenOn: day("2026-08-15")}, day("2026-08-15"))
	})
	s.do("new owner", func(a *domain.Asset) error { return a.ChangeOwner(developer, day("2026-09-01"), day("2026-09-01")) })

	b := domain.Rebuild("library", domain.DefaultRegimes(), s.history)
	if b.Status() != domain.StatusRemoved || b.ListedOn(day("2026-08-15")) || !b.ListedOn(day("2026-08-14")) {
		t.Errorf("status %s", b.Status())
	}
	if e := b.Entries()[0]; e.RemovalReason != domain.RemovedOnRelevantDisposal {
		t.Errorf("entry %+v", e)
	}
	// The council as owner cannot claim compensation (Regs reg 15).
	wantRule(t, b.ClaimCompensation(domain.Claim{ID: "c1", Claimant: council, LossIncurredOn: day("2026-07-01"), ReceivedOn: day("2026-08-01"),
		Parts: []domain.ClaimPart{{Description: "delay", AmountPence: 1}}, Evidence: "e"}, day("2026-09-01")), "Regs reg 15")
	// Nothing more to expire: the entry was removed early.
	must(t, b.AdvanceClocks(day("2032-01-01")))
	for _, e := range b.Pending() {
		if _, ok := e.(domain.ListingExpired); ok {
			t.Error("a removed entry expired")
		}
	}
	// And the land can be nominated afresh.
	n2 := nomination("n2", day("2032-02-01"))
	n2.Land, n2.Nominator = n.Land, n.Nominator
	must(t, b.ReceiveNomination(n2, day("2032-02-01")))
	if b.Status() != domain.StatusNominated {
		t.Errorf("status after a fresh nomination: %s", b.Status())
	}
}

func join(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += " "
		}
		out += s
	}
	return out
}
