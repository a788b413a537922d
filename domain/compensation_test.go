package domain_test

import (
	"testing"

	"github.com/acv-registry/acv/domain"
)

func TestClaimCompensation(t *testing.T) {
	loss := day("2027-03-01")
	lastDay := day("2027-05-31") // Regs reg 14(5): 13 weeks after 1 March
	claim := func(by domain.Party, received domain.Date) domain.Claim {
		return domain.Claim{ID: "c1", Claimant: by, LossIncurredOn: loss, ReceivedOn: received,
			Parts:    []domain.ClaimPart{{Description: "lost sale during the moratorium", AmountPence: 1_000_000}},
			Evidence: "valuer's letter"}
	}
	listedAsset := func(t *testing.T) *domain.Asset { return listed(t, day("2026-05-01")) }
	for _, tt := range []struct {
		name  string
		given func(t *testing.T) *domain.Asset
		c     domain.Claim
		want  string
	}{
		{"Regs reg 14(5): received on the last day, 13 weeks after the loss", listedAsset, claim(owner, lastDay), ""},
		{"Regs reg 14(5): received the next day is out of time", listedAsset, claim(owner, lastDay.AddDays(1)), "Regs reg 14(5)"},
		{"s.99: only the owner or a former owner may claim", listedAsset, claim(stranger, lastDay), "s.99, Regs reg 14"},
		{"s.99: a former owner may claim", func(t *testing.T) *domain.Asset {
			a := listed(t, day("2026-05-01"))
			must(t, a.ChangeOwner(newOwner, day("2027-04-01"), far))
			return a
		}, claim(owner, lastDay), ""},
		{"Regs reg 15: a public body cannot claim", func(t *testing.T) *domain.Asset {
			a := listed(t, day("2026-05-01"))
			must(t, a.ChangeOwner(domain.Party{ID: "county", Name: "County Council", PublicBody: true}, day("2026-06-01"), far))
			return a
		}, claim(domain.Party{ID: "county", Name: "County Council", PublicBody: true}, lastDay), "Regs reg 15"},
		{"s.99: no claim for land never listed", func(t *testing.T) *domain.Asset { return nominated(t, day("2026-05-01")) }, claim(owner, lastDay), "s.99, Regs reg 14"},
		{"bad fact: received before the loss", listedAsset, claim(owner, loss.AddDays(-1)), "invalid:received_on"},
		{"bad fact: received after today", listedAsset, claim(owner, far.AddDays(1)), "invalid:received_on"},
		{"Regs reg 14: each part states its amount", listedAsset, func() domain.Claim { c := claim(owner, lastDay); c.Parts[0].AmountPence = 0; return c }(), "invalid:parts[0].amount_pence"},
		{"Regs reg 14: parts required", listedAsset, func() domain.Claim { c := claim(owner, lastDay); c.Parts = nil; return c }(), "invalid:parts"},
		{"Regs reg 14: evidence required", listedAsset, func() domain.Claim { c := claim(owner, lastDay); c.Evidence = ""; return c }(), "invalid:evidence"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			check(t, rebuilt(t, tt.given(t)).ClaimCompensation(tt.c, far), tt.want)
		})
	}
}

// claimed returns a listed asset with claim c1 of £10,000, decided on
// 1 June 2027 with an award of £4,000.
func claimed(t *testing.T) *domain.Asset {
	t.Helper()
	a := listed(t, day("2026-05-01"))
	must(t, a.ClaimCompensation(domain.Claim{ID: "c1", Claimant: owner, LossIncurredOn: day("2027-03-01"), ReceivedOn: day("2027-04-01"),
		Parts: []domain.ClaimPart{{Description: "delay", AmountPence: 1_000_000}}, Evidence: "letters"}, far))
	must(t, a.DecideCompensation("c1", domain.CompensationDecision{AwardPence: 400_000, Reasons: "part of the delay", DecidedOn: day("2027-06-01")}, far))
	return a
}

func TestCompensationReviewAndAppeal(t *testing.T) {
	reviewLast := day("2027-07-26") // Regs reg 16: 8 weeks beginning with 1 June
	for _, tt := range []struct {
		name  string
		given func(t *testing.T) *domain.Asset
		by    domain.Party
		on    domain.Date
		want  string
	}{
		{"Regs reg 16: review asked on the last day of 8 weeks", claimed, owner, reviewLast, ""},
		{"Regs reg 16: review asked the next day is out of time", claimed, owner, reviewLast.AddDays(1), "Regs reg 16"},
		{"Regs reg 16: the council allowed longer", func(t *testing.T) *domain.Asset {
			a := claimed(t)
			must(t, a.ExtendCompensationReviewWindow("c1", reviewLast.AddDays(7), reviewLast, far))
			return a
		}, owner, reviewLast.AddDays(7), ""},
		{"Regs reg 16: only the claimant asks", claimed, stranger, reviewLast, "Regs reg 16"},
		{"Regs reg 16: no review of an undecided claim", func(t *testing.T) *domain.Asset {
			a := listed(t, day("2026-05-01"))
			must(t, a.ClaimCompensation(domain.Claim{ID: "c1", Claimant: owner, LossIncurredOn: day("2027-03-01"), ReceivedOn: day("2027-04-01"),
				Parts: []domain.ClaimPart{{Description: "delay", AmountPence: 1}}, Evidence: "e"}, far))
			return a
		}, owner, reviewLast, "Regs reg 16"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			check(t, rebuilt(t, tt.given(t)).RequestCompensationReview("c1", tt.by, tt.on, far), tt.want)
		})
	}
	t.Run("decision and review awards are within the claim", func(t *testing.T) {
		a := claimed(t)
		must(t, a.RequestCompensationReview("c1", owner, day("2027-06-10"), far))
		check(t, a.DecideCompensationReview("c1", domain.CompensationDecision{AwardPence: 2_000_000, Reasons: "r", DecidedOn: day("2027-07-01")}, far), "invalid:award_pence")
		check(t, a.DecideCompensationReview("c1", domain.CompensationDecision{AwardPence: 600_000, Reasons: "r", DecidedOn: day("2027-06-09")}, far), "invalid:decided_on")
		must(t, a.DecideCompensationReview("c1", domain.CompensationDecision{AwardPence: 600_000, Reasons: "r", DecidedOn: day("2027-07-01")}, far))
		wantRule(t, a.DecideCompensation("c1", domain.CompensationDecision{AwardPence: 1, Reasons: "r", DecidedOn: day("2027-07-01")}, far), "s.99, Regs reg 14")
	})
	appealLast := day("2027-07-29") // Regs reg 17: 28 days of 1 July
	reviewDecided := func(t *testing.T) *domain.Asset {
		a := claimed(t)
		must(t, a.RequestCompensationReview("c1", owner, day("2027-06-10"), far))
		must(t, a.DecideCompensationReview("c1", domain.CompensationDecision{AwardPence: 600_000, Reasons: "r", DecidedOn: day("2027-07-01")}, far))
		return a
	}
	for _, tt := range []struct {
		name     string
		on       domain.Date
		extended bool
		cn       string
		want     string
	}{
		{"Regs reg 17: appeal on day 28", appealLast, false, "CR/2027/0101", ""},
		{"Regs reg 17: appeal on day 29 is out of time", appealLast.AddDays(1), false, "CR/2027/0101", "Regs reg 17"},
		{"Regs reg 17: the tribunal extended time", appealLast.AddDays(10), true, "CR/2027/0101", ""},
		{"malformed case number", appealLast, false, "2027/101", "invalid:case_number"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			check(t, rebuilt(t, reviewDecided(t)).LodgeCompensationAppeal("c1", tt.cn, tt.on, tt.extended, far), tt.want)
		})
	}
	t.Run("the whole claim", func(t *testing.T) {
		a := reviewDecided(t)
		must(t, a.LodgeCompensationAppeal("c1", "CR/2027/0101", appealLast, false, far))
		wantRule(t, a.LodgeCompensationAppeal("c1", "CR/2027/0102", appealLast, false, far), "Regs reg 17")
		must(t, a.DecideCompensationAppeal("c1", domain.AppealAllowed, 900_000, day("2027-12-01"), far))
		wantRule(t, a.DecideCompensationAppeal("c1", domain.AppealAllowed, 900_000, day("2027-12-01"), far), "Regs reg 17")
		c := a.Claims()[0]
		if c.ClaimedPence != 1_000_000 || c.ReviewWindowEnds != reviewLast || c.AppealEnds != appealLast || c.AppealDecision.AwardPence != 900_000 {
			t.Errorf("claim record = %+v", c)
		}
	})
	t.Run("wrong state", func(t *testing.T) {
		a := claimed(t)
		wantRule(t, a.DecideCompensationReview("c1", domain.CompensationDecision{Reasons: "r", DecidedOn: day("2027-07-01")}, far), "Regs reg 16")
		wantRule(t, a.LodgeCompensationAppeal("c1", "CR/2027/0101", appealLast, false, far), "Regs reg 17")
		wantRule(t, a.DecideCompensationAppeal("c1", domain.AppealAllowed, 1, appealLast, far), "Regs reg 17")
		check(t, a.DecideCompensation("cx", domain.CompensationDecision{}, far), "notfound")
	})
}
