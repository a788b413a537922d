package generate

import (
	"fmt"

	"github.com/acv-registry/acv/domain"
)

// disposalNotice receives the owner's notice of a wish to dispose and plans
// what follows: publicity, a community group's request (three quarters of
// notices reach the full moratorium), bids, and one outcome.
func (g *generator) disposalNotice(s *site, day domain.Date) error {
	a := s.agg
	owner, hasOwner := a.Owner()
	e, listed := a.Entry()
	if !hasOwner || !listed || !a.ListedOn(day) || e.ExpiresOn.Before(day.AddDays(90)) {
		return nil
	}
	if p := a.MoratoriumPhase(day); p != domain.PhaseNone && p != domain.PhaseEnded {
		return nil // inside a protected period no new moratorium starts
	}
	s.notice, s.request, s.bids = g.newIDString(), "", nil
	if err := a.ReceiveDisposalNotice(domain.DisposalNotice{ID: s.notice, Owner: owner, ReceivedOn: day}, day); err != nil {
		return err
	}
	m, _ := a.Moratorium(day)
	g.schedule(s, day.AddDays(g.days(1, 10)), publicity)
	full := g.chance(pFull)
	if full {
		g.schedule(s, day.AddDays(g.days(3, day.DaysUntil(m.InterimEnds)-2)), bidderRequest)
		for n := []int{0, 1, 1, 2, 2}[g.rng.IntN(5)]; n > 0; n-- {
			g.schedule(s, day.AddDays(g.days(50, day.DaysUntil(m.FullEnds)-15)), bid)
		}
	}
	if g.chance(0.08) {
		g.schedule(s, day.AddDays(g.days(10, 80)), rejectedRequest)
	}
	after := func(end domain.Date) domain.Date {
		return end.AddDays(g.days(1, max(1, end.DaysUntil(m.ProtectedEnds)-10)))
	}
	x := g.rng.Float64()
	switch {
	case full && x < 0.35:
		g.schedule(s, m.FullEnds.AddDays(-g.days(2, 10)), sellToCIG)
	case full && x < 0.65, !full && x < 0.45:
		end := m.InterimEnds
		if full {
			end = m.FullEnds
		}
		g.schedule(s, after(end), sellAfter)
	case x < 0.80:
		g.schedule(s, day.AddDays(g.days(60, 400)), withdraw)
	default:
		g.schedule(s, m.ProtectedEnds.AddDays(g.days(1, 40)), noDisposal)
	}
	return nil
}

// cig returns the community interest group that asks to bid: the
// nominator when it is of a kind that may, or another local group.
func (g *generator) cig(s *site) domain.Body {
	switch s.group.Kind {
	case domain.UnincorporatedBody, domain.NeighbourhoodForum:
		kind := []domain.BodyKind{domain.CommunityInterestCompany, domain.Charity, domain.CooperativeSociety}[g.rng.IntN(3)]
		return g.newBody(town(s.land), kind)
	}
	return s.group
}

func (g *generator) bidding(s *site, day domain.Date, k kind) error {
	a := s.agg
	m, ok := a.Moratorium(day)
	if !ok || m.Notice.NoticeID != s.notice || m.Outcome != nil {
		return nil
	}
	switch k {
	case bidderRequest:
		group := g.cig(s)
		id := g.newIDString()
		if err := a.ReceiveBidderRequest(domain.BidderRequest{ID: id, Group: group, ReceivedOn: day}, day); err != nil {
			return err
		}
		if rs := a.BidderRequests(); rs[len(rs)-1].Status != domain.RequestAccepted {
			return nil // the group may not trigger the full moratorium (no local connection)
		}
		s.request, s.cig = id, group
		g.schedule(s, day.AddDays(g.days(1, 7)), passRequest)
	case rejectedRequest: // a group that may not trigger the moratorium, or one too late
		group := g.newBody(town(s.land), []domain.BodyKind{domain.UnincorporatedBody, domain.NeighbourhoodForum, domain.Charity}[g.rng.IntN(3)])
		return a.ReceiveBidderRequest(domain.BidderRequest{ID: g.newIDString(), Group: group, ReceivedOn: day}, day)
	case passRequest:
		owner, _ := a.Owner()
		return a.GiveNotice(domain.Notice{ID: g.newIDString(), Kind: domain.BidderRequestPassing, Subject: s.request,
			Recipients: []domain.Recipient{{Role: domain.ToOwner, Party: owner}}, Method: domain.ByEmail, GivenOn: day}, day)
	case bid:
		if s.request == "" || (m.Phase(day) != domain.PhaseInterim && m.Phase(day) != domain.PhaseFull) {
			return nil
		}
		amount := int64(20_000+g.rng.IntN(780_000)) * 100
		if s.land.Category == "pub" {
			amount = int64(250_000+g.rng.IntN(1_250_000)) * 100
		}
		id := g.newIDString()
		if err := a.SubmitBid(domain.Bid{ID: id, Bidder: domain.Party{ID: s.cig.ID, Name: s.cig.Name}, RequestID: s.request,
			AmountPence: amount, Terms: "freehold with vacant possession, subject to funding", SubmittedOn: day}, day); err != nil {
			return err
		}
		s.bids = append(s.bids, id)
	}
	return nil
}

// outcome ends a moratorium's story: a sale to the group, a sale to anyone
// after the moratorium (which removes the entry), withdrawal from sale, or
// no disposal within the protected period.
func (g *generator) outcome(s *site, day domain.Date, k kind) error {
	a := s.agg
	m, ok := a.Moratorium(day)
	if !ok || m.Notice.NoticeID != s.notice || m.Outcome != nil {
		return nil
	}
	phase := m.Phase(day)
	switch {
	case k == sellToCIG && (len(s.bids) == 0 || !a.ListedOn(day) || (phase != domain.PhaseInterim && phase != domain.PhaseFull)),
		k == sellAfter && (!a.ListedOn(day) || phase != domain.PhaseProtected):
		k = withdraw // the sale fell through
	}
	settle := func(accepted string) error {
		for _, b := range m.Bids {
			if b.Status != domain.BidSubmittedStatus {
				continue
			}
			status := domain.BidRejected
			switch {
			case b.Bid.BidID == accepted:
				status = domain.BidAccepted
			case k == withdraw:
				status = domain.BidWithdrawn
			}
			if err := a.ChangeBidStatus(b.Bid.BidID, status, day, day); err != nil {
				return err
			}
		}
		return nil
	}
	switch k {
	case sellToCIG:
		if err := settle(s.bids[len(s.bids)-1]); err != nil {
			return err
		}
		buyer := domain.Party{ID: s.cig.ID, Name: s.cig.Name}
		group := s.cig
		if err := a.RecordDisposal(domain.Disposal{ID: g.newIDString(), Kind: domain.RelevantDisposal, Buyer: buyer, BuyerGroup: &group, DisposedOn: day}, day); err != nil {
			return err
		}
		if err := a.RecordMoratoriumOutcome(s.notice, domain.SoldToCIG, day, day); err != nil {
			return err
		}
		return a.ChangeOwner(buyer, day, day)
	case sellAfter:
		if err := settle(""); err != nil {
			return err
		}
		buyer := g.newOwner(s.council)
		id := g.newIDString()
		if err := a.RecordDisposal(domain.Disposal{ID: id, Kind: domain.RelevantDisposal, Buyer: buyer, DisposedOn: day}, day); err != nil {
			return err
		}
		if err := a.RemoveFromList(domain.Removal{Reason: domain.RemovedOnRelevantDisposal, Ref: id, RemovedOn: day}, day); err != nil {
			return err
		}
		if err := g.removalNotice(s, day); err != nil {
			return err
		}
		if err := a.RecordMoratoriumOutcome(s.notice, domain.SoldAfterMoratorium, day, day); err != nil {
			return err
		}
		return a.ChangeOwner(buyer, day, day)
	case withdraw:
		if err := settle(""); err != nil {
			return err
		}
		return a.RecordMoratoriumOutcome(s.notice, domain.WithdrawnFromSale, day, day)
	case noDisposal:
		if !day.After(m.ProtectedEnds) {
			return fmt.Errorf("no disposal on %s inside the protected period to %s", day, m.ProtectedEnds)
		}
		if err := settle(""); err != nil {
			return err
		}
		return a.RecordMoratoriumOutcome(s.notice, domain.NoDisposalInPeriod, day, day)
	}
	return nil
}

// exemptions are the grounds of the exempt disposals generated (the ones
// needing no moratorium or part listing).
var exemptions = []domain.ExemptionCode{
	domain.ExemptGift, domain.ExemptPersonalRepresentatives, domain.ExemptFamily, domain.ExemptGoingConcern,
	domain.ExemptTrustees, domain.ExemptPartners, domain.ExemptCourtOrder, domain.ExemptSeparationAgreement,
	domain.ExemptInsolvency, domain.ExemptGroupCompanies, domain.ExemptPriorObligation, domain.ExemptCompulsoryPurchase,
}

// exempt records an exempt disposal and the new owner (Regs reg 19); the
// land stays listed.
func (g *generator) exempt(s *site, day domain.Date) error {
	a := s.agg
	e, ok := a.Entry()
	if !ok || !a.ListedOn(day) {
		return nil
	}
	if p := a.MoratoriumPhase(day); p == domain.PhaseInterim || p == domain.PhaseFull {
		return nil
	}
	d := domain.Disposal{ID: g.newIDString(), Kind: domain.ExemptDisposal, Exemption: exemptions[g.rng.IntN(len(exemptions))],
		Buyer: g.newOwner(s.council), DisposedOn: day}
	if d.Exemption == domain.ExemptPriorObligation {
		d.ObligationMadeOn = e.EnteredOn.AddDays(-g.days(100, 2000))
	}
	if err := a.RecordDisposal(d, day); err != nil {
		return err
	}
	return a.ChangeOwner(d.Buyer, day, day)
}
