package domain_test

import (
	"testing"

	"github.com/acv-registry/acv/domain"
	"github.com/google/go-cmp/cmp"
)

// The owner's notice of 15 January 2027 and its periods.
var (
	noticeOn      = day("2027-01-15")
	interimLast   = day("2027-02-25") // s.95: 6 weeks beginning with 15 January
	fullLast      = day("2027-07-14") // s.95: 6 months beginning with 15 January
	protectedLast = day("2028-07-14") // s.95: 18 months beginning with 15 January
)

func TestReceiveDisposalNotice(t *testing.T) {
	for _, tt := range []struct {
		name  string
		given func(t *testing.T) *domain.Asset
		dn    domain.DisposalNotice
		today domain.Date
		want  string
	}{
		{"s.95(2): the owner notifies the council of listed land", func(t *testing.T) *domain.Asset { return listed(t, day("2026-05-01")) },
			domain.DisposalNotice{ID: "dn1", Owner: owner, ReceivedOn: noticeOn}, far, ""},
		{"s.95(2): bad fact: a notice on land that is not listed", func(t *testing.T) *domain.Asset { return nominated(t, day("2026-05-01")) },
			domain.DisposalNotice{ID: "dn1", Owner: owner, ReceivedOn: noticeOn}, far, "s.95(2)"},
		{"s.95(2): a notice before the land was listed", func(t *testing.T) *domain.Asset { return listed(t, day("2027-02-01")) },
			domain.DisposalNotice{ID: "dn1", Owner: owner, ReceivedOn: noticeOn}, far, "s.95(2)"},
		{"s.95(2): a notice after the listing expired", func(t *testing.T) *domain.Asset { return listed(t, day("2021-01-01")) },
			domain.DisposalNotice{ID: "dn1", Owner: owner, ReceivedOn: day("2026-01-01")}, far, "s.95(2)"},
		{"s.95(2): only the owner gives notice", func(t *testing.T) *domain.Asset { return listed(t, day("2026-05-01")) },
			domain.DisposalNotice{ID: "dn1", Owner: stranger, ReceivedOn: noticeOn}, far, "s.95(2)"},
		{"s.95(4): no new moratorium on the last day of the protected period", func(t *testing.T) *domain.Asset { return withDisposalNotice(t, noticeOn) },
			domain.DisposalNotice{ID: "dn2", Owner: owner, ReceivedOn: protectedLast}, far, "s.95(4)"},
		{"s.95(4): a fresh notice the day after the protected period", func(t *testing.T) *domain.Asset { return withDisposalNotice(t, noticeOn) },
			domain.DisposalNotice{ID: "dn2", Owner: owner, ReceivedOn: protectedLast.AddDays(1)}, far, ""},
		{"bad fact: received after today", func(t *testing.T) *domain.Asset { return listed(t, day("2026-05-01")) },
			domain.DisposalNotice{ID: "dn1", Owner: owner, ReceivedOn: noticeOn}, noticeOn.AddDays(-1), "invalid:received_on"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := rebuilt(t, tt.given(t))
			check(t, a.ReceiveDisposalNotice(tt.dn, tt.today), tt.want)
		})
	}
	t.Run("s.95: the three periods begin with the day of receipt", func(t *testing.T) {
		a := withDisposalNotice(t, noticeOn)
		m, ok := a.Moratorium(noticeOn)
		if !ok || m.InterimEnds != interimLast || m.FullEnds != fullLast || m.ProtectedEnds != protectedLast || m.FullTriggered {
			t.Errorf("moratorium = %+v", m)
		}
		for d, want := range map[domain.Date]domain.Phase{
			noticeOn.AddDays(-1):     domain.PhaseNone,
			noticeOn:                 domain.PhaseInterim,
			interimLast:              domain.PhaseInterim,
			interimLast.AddDays(1):   domain.PhaseProtected, // no CIG request: the owner may dispose
			protectedLast:            domain.PhaseProtected,
			protectedLast.AddDays(1): domain.PhaseEnded,
		} {
			if got := a.MoratoriumPhase(d); got != want {
				t.Errorf("phase on %s = %s, want %s", d, got, want)
			}
		}
	})
}

func TestReceiveBidderRequest(t *testing.T) {
	for _, tt := range []struct {
		name       string
		group      domain.Body
		on         domain.Date
		wantStatus domain.RequestStatus
		wantRule   string
	}{
		{"Regs reg 12: a co-operative society on the first day", society, noticeOn, domain.RequestAccepted, ""},
		{"s.95(3): on the last day of the interim moratorium", society, interimLast, domain.RequestAccepted, ""},
		{"s.95(3): the day after the interim moratorium is late", society, interimLast.AddDays(1), domain.RequestRejected, "s.95(3)"},
		{"Regs reg 12: a neighbourhood forum may nominate but not bid", forum, noticeOn, domain.RequestRejected, "Regs reg 12"},
		{"Regs reg 12: an unincorporated body may nominate but not bid", friends, noticeOn, domain.RequestRejected, "Regs reg 12"},
		{"Regs reg 12: a parish council", domain.Body{Name: "Anytown PC", Kind: domain.ParishCouncil, LocalConnection: true}, noticeOn, domain.RequestAccepted, ""},
		{"Regs reg 12: a charity", domain.Body{Name: "Trust", Kind: domain.Charity, LocalConnection: true}, noticeOn, domain.RequestAccepted, ""},
		{"Regs reg 12: a community interest company", domain.Body{Name: "CIC", Kind: domain.CommunityInterestCompany, LocalConnection: true}, noticeOn, domain.RequestAccepted, ""},
		{"Regs reg 12: a company limited by guarantee not distributing surplus", domain.Body{Name: "CLG", Kind: domain.CompanyLimitedByGuarantee, LocalConnection: true}, noticeOn, domain.RequestAccepted, ""},
		{"Regs reg 12: a company limited by guarantee distributing surplus", domain.Body{Name: "CLG", Kind: domain.CompanyLimitedByGuarantee, LocalConnection: true, DistributesSurplus: true}, noticeOn, domain.RequestRejected, "Regs reg 12"},
		{"Regs reg 12: a charity without a local connection", domain.Body{Name: "Trust", Kind: domain.Charity}, noticeOn, domain.RequestRejected, "Regs reg 12"},
		{"Regs reg 12: an individual", domain.Body{Name: "Jo", Kind: domain.Individual, LocalConnection: true}, noticeOn, domain.RequestRejected, "Regs reg 12"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := rebuilt(t, withDisposalNotice(t, noticeOn))
			must(t, a.ReceiveBidderRequest(domain.BidderRequest{ID: "r1", Group: tt.group, ReceivedOn: tt.on}, far))
			got, ok := last(a).(domain.BidderRequestReceived)
			if !ok || got.Status != tt.wantStatus || got.Rule != tt.wantRule || got.NoticeID != "dn1" {
				t.Fatalf("raised %#v, want status %s rule %q", last(a), tt.wantStatus, tt.wantRule)
			}
			if tt.wantStatus == domain.RequestRejected && got.Reason == "" {
				t.Error("a rejected request gives no reason")
			}
			m, _ := a.Moratorium(noticeOn)
			if m.FullTriggered != (tt.wantStatus == domain.RequestAccepted) {
				t.Errorf("full moratorium triggered = %v; a rejected request must start nothing", m.FullTriggered)
			}
		})
	}
	t.Run("s.95(3): no notice, no moratorium to join", func(t *testing.T) {
		a := rebuilt(t, listed(t, day("2026-05-01")))
		wantRule(t, a.ReceiveBidderRequest(domain.BidderRequest{ID: "r1", Group: society, ReceivedOn: noticeOn}, far), "s.95(3), Regs reg 12")
	})
	t.Run("bad fact: received after today", func(t *testing.T) {
		a := rebuilt(t, withDisposalNotice(t, noticeOn))
		check(t, a.ReceiveBidderRequest(domain.BidderRequest{ID: "r1", Group: society, ReceivedOn: noticeOn.AddDays(2)}, noticeOn.AddDays(1)), "invalid:received_on")
	})
	t.Run("s.95: a valid request starts the full moratorium", func(t *testing.T) {
		a := withDisposalNotice(t, noticeOn)
		must(t, a.ReceiveBidderRequest(domain.BidderRequest{ID: "r1", Group: society, ReceivedOn: noticeOn.AddDays(3)}, far))
		for d, want := range map[domain.Date]domain.Phase{
			interimLast:              domain.PhaseInterim,
			interimLast.AddDays(1):   domain.PhaseFull,
			fullLast:                 domain.PhaseFull,
			fullLast.AddDays(1):      domain.PhaseProtected,
			protectedLast.AddDays(1): domain.PhaseEnded,
		} {
			if got := a.MoratoriumPhase(d); got != want {
				t.Errorf("phase on %s = %s, want %s", d, got, want)
			}
		}
		if got := a.BidderRequests(); len(got) != 1 || got[0].Group.Name != society.Name {
			t.Errorf("requests = %v", got)
		}
	})
}

// inFull returns an asset in a full moratorium started by request r1 of the
// society on 18 January 2027.
func inFull(t *testing.T) *domain.Asset {
	t.Helper()
	a := withDisposalNotice(t, noticeOn)
	must(t, a.ReceiveBidderRequest(domain.BidderRequest{ID: "r1", Group: society, ReceivedOn: noticeOn.AddDays(3)}, far))
	return a
}

func TestBids(t *testing.T) {
	bid := func(on domain.Date) domain.Bid {
		return domain.Bid{ID: "b1", Bidder: domain.Party{ID: society.ID, Name: society.Name}, RequestID: "r1", AmountPence: 45_000_000, Terms: "subject to survey", SubmittedOn: on}
	}
	for _, tt := range []struct {
		name  string
		given func(t *testing.T) *domain.Asset
		b     domain.Bid
		want  string
	}{
		{"a bid during the full moratorium", inFull, bid(fullLast), ""},
		{"bad fact: a bid after the full moratorium", inFull, bid(fullLast.AddDays(1)), "registry practice"},
		{"bad fact: a bid before any notice", inFull, bid(noticeOn.AddDays(-1)), "registry practice"},
		{"bad fact: a bid after a lapsed interim moratorium", func(t *testing.T) *domain.Asset { return withDisposalNotice(t, noticeOn) },
			func() domain.Bid { b := bid(interimLast.AddDays(1)); b.RequestID = ""; return b }(), "registry practice"},
		{"a bid naming a rejected request", func(t *testing.T) *domain.Asset {
			a := inFull(t)
			must(t, a.ReceiveBidderRequest(domain.BidderRequest{ID: "r2", Group: forum, ReceivedOn: noticeOn.AddDays(4)}, far))
			return a
		}, func() domain.Bid { b := bid(noticeOn.AddDays(10)); b.RequestID = "r2"; return b }(), "Regs reg 12"},
		{"amount must be positive", inFull, func() domain.Bid { b := bid(fullLast); b.AmountPence = 0; return b }(), "invalid:amount_pence"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := rebuilt(t, tt.given(t))
			check(t, a.SubmitBid(tt.b, far), tt.want)
		})
	}
	t.Run("status: submitted, then accepted once", func(t *testing.T) {
		a := inFull(t)
		must(t, a.SubmitBid(bid(day("2027-03-01")), far))
		check(t, a.ChangeBidStatus("b1", domain.BidAccepted, day("2027-02-28"), far), "invalid:changed_on")
		must(t, a.ChangeBidStatus("b1", domain.BidAccepted, day("2027-03-10"), far))
		wantRule(t, a.ChangeBidStatus("b1", domain.BidWithdrawn, day("2027-03-11"), far), "registry practice")
		check(t, a.ChangeBidStatus("bx", domain.BidWithdrawn, day("2027-03-11"), far), "notfound")
		m, _ := a.Moratorium(noticeOn)
		want := []domain.BidRecord{{Bid: domain.BidSubmitted{AssetID: "a1", BidID: "b1", NoticeID: "dn1", RequestID: "r1",
			Bidder: bid(domain.Date{}).Bidder, AmountPence: 45_000_000, Terms: "subject to survey", SubmittedOn: day("2027-03-01")},
			Status: domain.BidAccepted, ChangedOn: day("2027-03-10")}}
		if diff := cmp.Diff(want, m.Bids); diff != "" {
			t.Errorf("bids (-want +got):\n%s", diff)
		}
	})
}

func TestMoratoriumOutcome(t *testing.T) {
	t.Run("no disposal within the protected period, only after it ends", func(t *testing.T) {
		a := withDisposalNotice(t, noticeOn)
		wantRule(t, a.RecordMoratoriumOutcome("dn1", domain.NoDisposalInPeriod, protectedLast, far), "registry practice")
		must(t, a.RecordMoratoriumOutcome("dn1", domain.NoDisposalInPeriod, protectedLast.AddDays(1), far))
		wantRule(t, a.RecordMoratoriumOutcome("dn1", domain.WithdrawnFromSale, protectedLast.AddDays(1), far), "registry practice")
	})
	t.Run("sold to a CIG needs a disposal to a CIG", func(t *testing.T) {
		a := inFull(t)
		wantRule(t, a.RecordMoratoriumOutcome("dn1", domain.SoldToCIG, day("2027-03-01"), far), "registry practice")
	})
	t.Run("sold after the moratorium needs a relevant disposal", func(t *testing.T) {
		a := withDisposalNotice(t, noticeOn)
		wantRule(t, a.RecordMoratoriumOutcome("dn1", domain.SoldAfterMoratorium, day("2027-03-01"), far), "registry practice")
		must(t, a.RecordDisposal(domain.Disposal{ID: "d1", Kind: domain.RelevantDisposal, Buyer: newOwner, DisposedOn: day("2027-03-01")}, far))
		must(t, a.RecordMoratoriumOutcome("dn1", domain.SoldAfterMoratorium, day("2027-03-01"), far))
	})
	t.Run("withdrawn from sale", func(t *testing.T) {
		a := withDisposalNotice(t, noticeOn)
		must(t, a.RecordMoratoriumOutcome("dn1", domain.WithdrawnFromSale, day("2027-03-01"), far))
		check(t, a.RecordMoratoriumOutcome("dnx", domain.WithdrawnFromSale, day("2027-03-01"), far), "notfound")
	})
}
