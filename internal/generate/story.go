package generate

import (
	"errors"
	"fmt"
	"strings"

	"github.com/acv-registry/acv/domain"
)

// kind is what an action does.
type kind int

const (
	tick kind = iota // only the clocks advance
	nominate
	consult
	decide
	requestReview
	agreeReview
	decideReview
	lodgeAppeal
	decideAppeal
	disposalNotice
	publicity
	bidderRequest
	rejectedRequest
	passRequest
	bid
	sellToCIG
	sellAfter
	withdraw
	noDisposal
	exemptDisposal
	removeNoValue
)

func (k kind) String() string {
	return [...]string{"tick", "nominate", "consult", "decide", "request review", "agree review period", "decide review",
		"lodge appeal", "decide appeal", "disposal notice", "publicity", "bidder request", "rejected request",
		"pass request", "bid", "sell to CIG", "sell after moratorium", "withdraw", "no disposal", "exempt disposal",
		"remove"}[k]
}

// The shares that shape the history, from domain-rules.md where it gives
// them (listed share, disposal notices a year, full moratoria) and
// plausible guesses elsewhere.
const (
	pListed         = 0.72 // of eligible nominations; with the ineligible ones about 69% are listed
	pPartly         = 0.05 // of listings
	pLate           = 0.15 // decisions after the 8 weeks
	pReview         = 0.12 // of listings
	pReviewUpheld   = 0.75 // of reviews
	pAppeal         = 0.30 // of upheld reviews
	pNotice         = 0.13 // of listings: about 50 disposal notices a year at scale 1
	pFull           = 0.75 // of disposal notices
	pExempt         = 0.04 // of listings
	pNoValue        = 0.02 // of listings
	pRenomExpired   = 0.35 // of expired listings
	pRenomNotListed = 0.12 // of unsuccessful nominations
)

// handle runs one action on s on day. Actions check what the aggregate
// says before running: an action planned years ahead may no longer apply
// (the land was removed, sold, or is in a moratorium), and is then
// dropped or replaced, as a council's would be.
func (g *generator) handle(s *site, day domain.Date, k kind) error {
	a := s.agg
	switch k {
	case tick:
		return nil
	case nominate:
		return g.nominate(s, day)
	case consult:
		owner, _ := a.Owner()
		return a.Consult(s.nom, domain.Notice{ID: g.newIDString(), Recipients: g.recipients(s, owner, false), Method: domain.ByPost, GivenOn: day}, day)
	case decide:
		return g.decide(s, day)
	case requestReview, agreeReview, decideReview, lodgeAppeal, decideAppeal:
		return g.review(s, day, k)
	case disposalNotice:
		return g.disposalNotice(s, day)
	case publicity:
		return a.GiveNotice(domain.Notice{ID: g.newIDString(), Kind: domain.MoratoriumPublicity, Subject: s.notice,
			Recipients: []domain.Recipient{{Role: domain.ToPublic, Party: domain.Party{Name: "the public"}}},
			Method:     []domain.Method{domain.BySiteNotice, domain.ByWebsite, domain.ByNewspaper}[g.rng.IntN(3)], GivenOn: day}, day)
	case bidderRequest, rejectedRequest, passRequest, bid:
		return g.bidding(s, day, k)
	case sellToCIG, sellAfter, withdraw, noDisposal:
		return g.outcome(s, day, k)
	case exemptDisposal:
		return g.exempt(s, day)
	case removeNoValue:
		if e, ok := a.Entry(); !ok || day.After(e.ExpiresOn) {
			return nil
		}
		if err := a.RemoveFromList(domain.Removal{Reason: domain.RemovedNoCommunityValue,
			Reasons: "the use that furthered the community's wellbeing has ended and will not return within five years", RemovedOn: day}, day); err != nil {
			return err
		}
		return g.removalNotice(s, day)
	}
	return fmt.Errorf("unknown action %d", k)
}

// recipients are the parties told about a nomination: the owner and
// occupier, and the nominator when withNominator.
func (g *generator) recipients(s *site, owner domain.Party, withNominator bool) []domain.Recipient {
	var rs []domain.Recipient
	if !owner.IsZero() {
		rs = append(rs, domain.Recipient{Role: domain.ToOwner, Party: owner})
	}
	if s.land.Category == "pub" {
		rs = append(rs, domain.Recipient{Role: domain.ToOccupier, Party: domain.Party{Name: "The licensee"}})
	}
	if withNominator || len(rs) == 0 {
		rs = append(rs, domain.Recipient{Role: domain.ToNominator, Party: domain.Party{ID: s.group.ID, Name: s.group.Name}})
	}
	return rs
}

func (g *generator) nominate(s *site, day domain.Date) error {
	a := s.agg
	if _, pending := a.PendingNomination(); pending {
		return nil
	}
	if e, ok := a.Entry(); ok && !day.After(e.ExpiresOn) {
		return nil // still listed: nothing to nominate
	}
	if s.group.Name == "" || g.chance(0.4) {
		s.group = g.newBody(town(s.land), "")
	}
	owner, ok := a.Owner()
	if !ok {
		owner = s.owner
	}
	n := domain.Nomination{
		ID: g.newIDString(), Council: s.council.code, ReceivedOn: day, Nominator: s.group, Land: s.land, Owner: owner,
		Interests: []domain.Interest{{Holder: owner, Estate: domain.Freehold}},
		Reasons:   reasons[g.rng.IntN(len(reasons))],
		Evidence:  "Constitution, list of members on the electoral register, and minutes of the meeting that agreed to nominate.",
	}
	if s.land.Category == "pub" {
		n.Occupants = []domain.Party{{Name: "The licensee"}}
		if g.chance(0.3) {
			n.Interests = append(n.Interests, domain.Interest{Holder: domain.Party{ID: "org-tenancy-" + s.id[:8], Name: "Tenancy holder"}, Estate: domain.Leasehold, LeaseTermYears: 10 + g.rng.IntN(20)})
		}
	}
	if err := a.ReceiveNomination(n, day); err != nil {
		return err
	}
	s.nom = n.ID
	wait := g.days(20, 55)
	if g.chance(pLate) {
		wait = g.days(57, 130)
	}
	g.schedule(s, day.AddDays(g.days(1, min(14, wait-1))), consult)
	g.schedule(s, day.AddDays(wait), decide)
	return nil
}

func town(l domain.Land) string { return l.Address[strings.LastIndex(l.Address, ", ")+2:] }

func (g *generator) decide(s *site, day domain.Date) error {
	a := s.agg
	if g.chance(pListed) {
		d := domain.Decision{Outcome: domain.Listed, DecidedOn: day}
		if g.chance(pPartly) {
			d = domain.Decision{Outcome: domain.PartlyListed, DecidedOn: day, ListedPart: "the building and its garden, not the car park",
				Reasons: "the car park is ancillary to the community use"}
		}
		err := a.DecideNomination(s.nom, d, day)
		var rule *domain.RuleError
		switch {
		case err == nil:
			return g.listed(s, day)
		case !errors.As(err, &rule):
			return err
		}
		// The law forbids the listing (excluded land, an ineligible
		// nominator): the council must decide "not listed".
		return g.notListed(s, day, rule.Message)
	}
	return g.notListed(s, day, "the land's use does not further the social wellbeing or interests of the local community (s.88)")
}

func (g *generator) listed(s *site, day domain.Date) error {
	a := s.agg
	owner, _ := a.Owner()
	if err := a.GiveNotice(domain.Notice{ID: g.newIDString(), Kind: domain.ListingNotice, Subject: s.nom,
		Recipients: g.recipients(s, owner, true), Method: domain.ByPost, GivenOn: day}, day); err != nil {
		return err
	}
	e, _ := a.Entry()
	span := e.EnteredOn.DaysUntil(e.ExpiresOn)
	if g.chance(pReview) {
		g.schedule(s, day.AddDays(g.days(7, 50)), requestReview)
	}
	if g.chance(pNotice) {
		g.schedule(s, day.AddDays(g.days(60, span-90)), disposalNotice)
	}
	if g.chance(pExempt) {
		g.schedule(s, day.AddDays(g.days(30, span-1)), exemptDisposal)
	}
	if g.chance(pNoValue) {
		g.schedule(s, day.AddDays(g.days(200, span-1)), removeNoValue)
	}
	if g.chance(pRenomExpired) {
		g.schedule(s, e.ExpiresOn.AddDays(g.days(30, 700)), nominate)
	}
	return nil
}

func (g *generator) notListed(s *site, day domain.Date, reasons string) error {
	a := s.agg
	if err := a.DecideNomination(s.nom, domain.Decision{Outcome: domain.NotListed, Reasons: reasons, DecidedOn: day}, day); err != nil {
		return err
	}
	if err := a.GiveNotice(domain.Notice{ID: g.newIDString(), Kind: domain.UnsuccessfulNotice, Subject: s.nom,
		Recipients: []domain.Recipient{{Role: domain.ToNominator, Party: domain.Party{ID: s.group.ID, Name: s.group.Name}}},
		Method:     domain.ByEmail, GivenOn: day}, day); err != nil {
		return err
	}
	if g.chance(pRenomNotListed) {
		g.schedule(s, day.AddDays(g.days(200, 1600)), nominate)
	}
	return nil
}

// removalNotice tells the owner and nominator that the latest entry ended.
func (g *generator) removalNotice(s *site, day domain.Date) error {
	es := s.agg.Entries()
	owner, _ := s.agg.Owner()
	return s.agg.GiveNotice(domain.Notice{ID: g.newIDString(), Kind: domain.RemovalNotice, Subject: es[len(es)-1].NominationID,
		Recipients: g.recipients(s, owner, true), Method: domain.ByPost, GivenOn: day}, day)
}

// review runs the owner's review and appeal.
func (g *generator) review(s *site, day domain.Date, k kind) error {
	a := s.agg
	owner, _ := a.Owner()
	reviews := a.Reviews()
	var last domain.ReviewRecord
	if len(reviews) > 0 {
		last = reviews[len(reviews)-1]
	}
	switch k {
	case requestReview:
		e, ok := a.Entry()
		if !ok || owner.IsZero() || (!e.ReviewWindowEnds.IsZero() && day.After(e.ReviewWindowEnds)) || (len(reviews) > 0 && last.Request.NominationID == e.NominationID) {
			return nil
		}
		id := g.newIDString()
		if err := a.RequestReview(domain.ReviewRequest{ID: id, Requester: owner, ReceivedOn: day, OralHearing: g.chance(0.3)}, day); err != nil {
			return err
		}
		due := day.AddDays(55) // 8 weeks beginning with receipt
		switch {
		case g.chance(0.05): // a longer period agreed with the owner
			g.schedule(s, day.AddDays(g.days(10, 40)), agreeReview)
			g.schedule(s, due.AddDays(g.days(5, 30)), decideReview)
		case g.chance(pLate):
			g.schedule(s, day.AddDays(g.days(57, 110)), decideReview)
		default:
			g.schedule(s, day.AddDays(g.days(20, 55)), decideReview)
		}
	case agreeReview:
		if last.Decision != nil {
			return nil
		}
		return a.AgreeReviewDecisionPeriod(last.Request.ReviewID, last.DueOn.AddDays(35), day, day)
	case decideReview:
		if len(reviews) == 0 || last.Decision != nil {
			return nil
		}
		if g.chance(pReviewUpheld) {
			if err := a.DecideReview(last.Request.ReviewID, domain.ReviewDecision{Outcome: domain.ReviewUpheld,
				Reasons: "the land furthers the social wellbeing of the local community", DecidedOn: day}, day); err != nil {
				return err
			}
			if g.chance(pAppeal) {
				g.schedule(s, day.AddDays(g.days(3, 28)), lodgeAppeal)
			}
			return nil
		}
		if err := a.DecideReview(last.Request.ReviewID, domain.ReviewDecision{Outcome: domain.ReviewOverturned,
			Reasons: "the community use is ancillary to the land's main use", DecidedOn: day}, day); err != nil {
			return err
		}
		if e, ok := a.Entry(); !ok || e.NominationID != last.Request.NominationID {
			return nil
		}
		if err := a.RemoveFromList(domain.Removal{Reason: domain.RemovedOnReview, Ref: last.Request.ReviewID, RemovedOn: day}, day); err != nil {
			return err
		}
		return g.removalNotice(s, day)
	case lodgeAppeal:
		if len(reviews) == 0 || owner.IsZero() || last.Decision == nil || last.Decision.Outcome != domain.ReviewUpheld {
			return nil
		}
		g.cases[day.Year()]++
		if err := a.LodgeAppeal(domain.Appeal{ID: g.newIDString(), ReviewID: last.Request.ReviewID,
			CaseNumber: fmt.Sprintf("CR/%04d/%04d", day.Year(), g.cases[day.Year()]), Appellant: owner, LodgedOn: day}, day); err != nil {
			return err
		}
		g.schedule(s, day.AddDays(g.days(60, 270)), decideAppeal)
	case decideAppeal:
		appeals := a.Appeals()
		if len(appeals) == 0 || appeals[len(appeals)-1].Decision != nil {
			return nil
		}
		ap := appeals[len(appeals)-1].Lodged
		outcome := domain.AppealDismissed
		switch x := g.rng.Float64(); {
		case x < 0.3:
			outcome = domain.AppealAllowed
		case x < 0.4:
			outcome = domain.AppealWithdrawn
		}
		if err := a.DecideAppeal(ap.AppealID, outcome, day, day); err != nil {
			return err
		}
		if e, ok := a.Entry(); outcome != domain.AppealAllowed || !ok || e.NominationID != last.Request.NominationID || day.After(e.ExpiresOn) {
			return nil
		}
		if err := a.RemoveFromList(domain.Removal{Reason: domain.RemovedOnAppeal, Ref: ap.AppealID, RemovedOn: day}, day); err != nil {
			return err
		}
		return g.removalNotice(s, day)
	}
	return nil
}
