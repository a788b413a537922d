package domain_test

import (
	"testing"

	"github.com/acv-registry/acv/domain"
)

func TestGiveNotice(t *testing.T) {
	entered := day("2026-05-01")
	notice := func(kind domain.NoticeKind, subject string, on domain.Date) domain.Notice {
		return domain.Notice{ID: "x1", Kind: kind, Subject: subject, Recipients: anyRecipient, Method: domain.ByPost, GivenOn: on}
	}
	for _, tt := range []struct {
		name  string
		given func(t *testing.T) *domain.Asset
		n     domain.Notice
		want  string
	}{
		{"Regs reg 8: consultation while the nomination is considered", func(t *testing.T) *domain.Asset { return nominated(t, entered) },
			notice(domain.ConsultationNotice, "n1", entered.AddDays(3)), ""},
		{"Regs reg 8: no consultation after the decision", func(t *testing.T) *domain.Asset { return listed(t, entered) },
			notice(domain.ConsultationNotice, "n1", entered.AddDays(1)), "Regs reg 8"},
		{"bad fact: consultation before the nomination", func(t *testing.T) *domain.Asset { return nominated(t, entered) },
			notice(domain.ConsultationNotice, "n1", entered.AddDays(-1)), "invalid:given_on"},
		{"s.91: listing notice for listed land", func(t *testing.T) *domain.Asset { return listed(t, entered) },
			notice(domain.ListingNotice, "n1", entered.AddDays(2)), ""},
		{"s.91: no listing notice for land not listed", func(t *testing.T) *domain.Asset { return nominated(t, entered) },
			notice(domain.ListingNotice, "n1", entered), "s.91, Regs reg 9"},
		{"s.92: no removal notice for an entry still listed", func(t *testing.T) *domain.Asset { return listed(t, entered) },
			notice(domain.RemovalNotice, "n1", entered.AddDays(2)), "s.92, Regs reg 9"},
		{"s.97: publicity for a notice never received", func(t *testing.T) *domain.Asset { return listed(t, entered) },
			notice(domain.MoratoriumPublicity, "dn1", entered.AddDays(2)), "notfound"},
		{"s.97: publicity of the owner's notice", func(t *testing.T) *domain.Asset { return withDisposalNotice(t, entered) },
			notice(domain.MoratoriumPublicity, "dn1", entered.AddDays(2)), ""},
		{"no recipients", func(t *testing.T) *domain.Asset { return listed(t, entered) },
			domain.Notice{ID: "x1", Kind: domain.ListingNotice, Subject: "n1", Method: domain.ByPost, GivenOn: entered}, "invalid:recipients"},
		{"unknown method", func(t *testing.T) *domain.Asset { return listed(t, entered) },
			domain.Notice{ID: "x1", Kind: domain.ListingNotice, Subject: "n1", Recipients: anyRecipient, Method: "pigeon", GivenOn: entered}, "invalid:method"},
		{"unknown kind", func(t *testing.T) *domain.Asset { return listed(t, entered) },
			notice("gossip", "n1", entered), "invalid:kind"},
		{"bad fact: given after today", func(t *testing.T) *domain.Asset { return listed(t, entered) },
			notice(domain.ListingNotice, "n1", far.AddDays(1)), "invalid:given_on"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := rebuilt(t, tt.given(t))
			check(t, a.GiveNotice(tt.n, far), tt.want)
		})
	}
}

func TestRequestReview(t *testing.T) {
	entered := day("2026-05-01") // notice of listing given the same day
	lastDay := day("2026-06-25") // s.92: 8 weeks beginning with 1 May
	req := func(on domain.Date) domain.ReviewRequest {
		return domain.ReviewRequest{ID: "rv1", Requester: owner, ReceivedOn: on}
	}
	for _, tt := range []struct {
		name  string
		given func(t *testing.T) *domain.Asset
		r     domain.ReviewRequest
		want  string
	}{
		{"s.92: received on the last day of 8 weeks after notice of listing", func(t *testing.T) *domain.Asset { return listed(t, entered) }, req(lastDay), ""},
		{"s.92: received the day after is out of time", func(t *testing.T) *domain.Asset { return listed(t, entered) }, req(lastDay.AddDays(1)), "s.92, Regs Sch 2"},
		{"s.92: the council allowed longer", func(t *testing.T) *domain.Asset {
			a := listed(t, entered)
			must(t, a.ExtendReviewWindow("n1", lastDay.AddDays(14), lastDay, far))
			return a
		}, req(lastDay.AddDays(14)), ""},
		{"s.92: the extension's last day is in, the next out", func(t *testing.T) *domain.Asset {
			a := listed(t, entered)
			must(t, a.ExtendReviewWindow("n1", lastDay.AddDays(14), lastDay, far))
			return a
		}, req(lastDay.AddDays(15)), "s.92, Regs Sch 2"},
		{"s.92: the window counts from the notice of listing, not the entry", func(t *testing.T) *domain.Asset {
			a := nominated(t, entered.AddDays(-30))
			must(t, a.DecideNomination("n1", domain.Decision{Outcome: domain.Listed, DecidedOn: entered}, far))
			must(t, a.GiveNotice(domain.Notice{ID: "ln", Kind: domain.ListingNotice, Subject: "n1", Recipients: anyRecipient, Method: domain.ByPost, GivenOn: entered.AddDays(10)}, far))
			return a
		}, req(lastDay.AddDays(10)), ""},
		{"s.92: before any notice of listing the window has not started", func(t *testing.T) *domain.Asset {
			a := nominated(t, entered.AddDays(-30))
			must(t, a.DecideNomination("n1", domain.Decision{Outcome: domain.Listed, DecidedOn: entered}, far))
			return a
		}, req(entered.AddDays(100)), ""},
		{"s.92: only the owner may ask", func(t *testing.T) *domain.Asset { return listed(t, entered) },
			domain.ReviewRequest{ID: "rv1", Requester: stranger, ReceivedOn: entered.AddDays(3)}, "s.92"},
		{"s.92: the nominator may not ask", func(t *testing.T) *domain.Asset { return listed(t, entered) },
			domain.ReviewRequest{ID: "rv1", Requester: domain.Party{ID: friends.ID, Name: friends.Name}, ReceivedOn: entered.AddDays(3)}, "s.92"},
		{"s.107: a new owner recorded under reg 19 may ask", func(t *testing.T) *domain.Asset {
			a := listed(t, entered)
			must(t, a.ChangeOwner(newOwner, entered.AddDays(2), far))
			return a
		}, domain.ReviewRequest{ID: "rv1", Requester: newOwner, ReceivedOn: entered.AddDays(3)}, ""},
		{"bad fact: a review for an asset never listed", func(t *testing.T) *domain.Asset { return nominated(t, entered) }, req(entered), "s.92"},
		{"s.92: no review of an unsuccessful nomination", func(t *testing.T) *domain.Asset {
			a := nominated(t, entered.AddDays(-30))
			must(t, a.DecideNomination("n1", domain.Decision{Outcome: domain.NotListed, Reasons: "r", DecidedOn: entered}, far))
			return a
		}, req(entered.AddDays(3)), "s.92"},
		{"s.92: one review per listing", func(t *testing.T) *domain.Asset {
			a := listed(t, entered)
			must(t, a.RequestReview(domain.ReviewRequest{ID: "rv0", Requester: owner, ReceivedOn: entered.AddDays(1)}, far))
			return a
		}, req(entered.AddDays(3)), "s.92"},
		{"bad fact: received after today", func(t *testing.T) *domain.Asset { return listed(t, entered) }, req(far.AddDays(1)), "invalid:received_on"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := rebuilt(t, tt.given(t))
			check(t, a.RequestReview(tt.r, far), tt.want)
		})
	}
}

// reviewed returns an asset listed on 1 May 2026 with a review requested on
// 1 June 2026 (decision due 26 July 2026).
func reviewed(t *testing.T) *domain.Asset {
	t.Helper()
	a := listed(t, day("2026-05-01"))
	must(t, a.RequestReview(domain.ReviewRequest{ID: "rv1", Requester: owner, ReceivedOn: day("2026-06-01")}, far))
	return a
}

func TestReviewDecision(t *testing.T) {
	due := day("2026-07-26") // Regs Sch 2: 8 weeks beginning with 1 June
	t.Run("Regs Sch 2: the review is due on day 56", func(t *testing.T) {
		a := reviewed(t)
		if r := a.Reviews()[0]; r.DueOn != due || r.Overdue(due) || !r.Overdue(due.AddDays(1)) {
			t.Errorf("due %s", r.DueOn)
		}
		must(t, a.MarkReviewOverdue(due))
		if n := len(rebuilt(t, a).Pending()); n != 0 {
			t.Fatal("rebuilt has pending")
		}
		before := len(a.Pending())
		must(t, a.MarkReviewOverdue(due))
		if len(a.Pending()) != before {
			t.Error("review overdue raised on day 56")
		}
		must(t, a.MarkReviewOverdue(due.AddDays(1)))
		if got, ok := last(a).(domain.ReviewDecisionOverdue); !ok || got.DueOn != due {
			t.Errorf("last = %#v", last(a))
		}
		n := len(a.Pending())
		must(t, a.MarkReviewOverdue(due.AddDays(2)))
		if len(a.Pending()) != n {
			t.Error("review overdue raised twice")
		}
	})
	t.Run("Regs Sch 2: a late review decision is valid and shown late", func(t *testing.T) {
		a := reviewed(t)
		must(t, a.DecideReview("rv1", domain.ReviewDecision{Outcome: domain.ReviewUpheld, Reasons: "community use continues", DecidedOn: due.AddDays(5)}, far))
		if r := a.Reviews()[0]; !r.DecidedLate || r.AppealEnds != due.AddDays(5+28) {
			t.Errorf("review = %+v", r)
		}
		if a.Status() != domain.StatusListed {
			t.Error("the land must stay listed during review")
		}
	})
	t.Run("Regs Sch 2: an agreed longer period moves the due date", func(t *testing.T) {
		a := reviewed(t)
		must(t, a.AgreeReviewDecisionPeriod("rv1", due.AddDays(21), day("2026-07-01"), far))
		if r := a.Reviews()[0]; r.DueOn != due.AddDays(21) {
			t.Errorf("due %s", r.DueOn)
		}
		before := len(a.Pending())
		must(t, a.MarkReviewOverdue(due.AddDays(21)))
		if len(a.Pending()) != before {
			t.Error("overdue inside the agreed period")
		}
		wantRule(t, a.AgreeReviewDecisionPeriod("rv1", due, day("2026-07-02"), far), "Regs Sch 2")
	})
	for _, tt := range []struct {
		name string
		d    domain.ReviewDecision
		want string
	}{
		{"bad fact: decided before the request", domain.ReviewDecision{Outcome: domain.ReviewUpheld, Reasons: "r", DecidedOn: day("2026-05-31")}, "invalid:decided_on"},
		{"bad fact: sent before decided", domain.ReviewDecision{Outcome: domain.ReviewUpheld, Reasons: "r", DecidedOn: day("2026-06-10"), SentOn: day("2026-06-09")}, "invalid:sent_on"},
		{"reasons required", domain.ReviewDecision{Outcome: domain.ReviewUpheld, DecidedOn: day("2026-06-10")}, "invalid:reasons"},
		{"unknown outcome", domain.ReviewDecision{Outcome: "meh", Reasons: "r", DecidedOn: day("2026-06-10")}, "invalid:outcome"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			check(t, rebuilt(t, reviewed(t)).DecideReview("rv1", tt.d, far), tt.want)
		})
	}
	t.Run("Regs Sch 2: a review is decided once", func(t *testing.T) {
		a := reviewed(t)
		must(t, a.DecideReview("rv1", domain.ReviewDecision{Outcome: domain.ReviewUpheld, Reasons: "r", DecidedOn: day("2026-06-10")}, far))
		wantRule(t, a.DecideReview("rv1", domain.ReviewDecision{Outcome: domain.ReviewUpheld, Reasons: "r", DecidedOn: day("2026-06-10")}, far), "Regs reg 10, Sch 2")
	})
}

// upheld returns a reviewed asset whose review upheld the listing, decided on
// 10 June and sent on 12 June 2026.
func upheld(t *testing.T) *domain.Asset {
	t.Helper()
	a := reviewed(t)
	must(t, a.DecideReview("rv1", domain.ReviewDecision{Outcome: domain.ReviewUpheld, Reasons: "r", DecidedOn: day("2026-06-10"), SentOn: day("2026-06-12")}, far))
	return a
}

func TestLodgeAppeal(t *testing.T) {
	lastDay := day("2026-07-10") // Regs reg 11: 28 days of 12 June
	appeal := func(on domain.Date) domain.Appeal {
		return domain.Appeal{ID: "ap1", ReviewID: "rv1", CaseNumber: "CR/2026/0042", Appellant: owner, LodgedOn: on}
	}
	for _, tt := range []struct {
		name  string
		given func(t *testing.T) *domain.Asset
		edit  func(*domain.Appeal)
		on    domain.Date
		want  string
	}{
		{"Regs reg 11: lodged on day 28 after the decision was sent", upheld, nil, lastDay, ""},
		{"Regs reg 11: lodged on day 29 is out of time", upheld, nil, lastDay.AddDays(1), "Regs reg 11"},
		{"Regs reg 11: the tribunal extended time", upheld, func(a *domain.Appeal) { a.TimeExtended = true }, lastDay.AddDays(30), ""},
		{"Regs reg 11: only the owner appeals", upheld, func(a *domain.Appeal) { a.Appellant = stranger }, lastDay, "Regs reg 11"},
		{"Regs reg 11: no appeal before the review is decided", reviewed, nil, lastDay, "Regs reg 11"},
		{"Regs reg 11: nothing to appeal when the review overturned the listing", func(t *testing.T) *domain.Asset {
			a := reviewed(t)
			must(t, a.DecideReview("rv1", domain.ReviewDecision{Outcome: domain.ReviewOverturned, Reasons: "r", DecidedOn: day("2026-06-10")}, far))
			return a
		}, nil, lastDay, "Regs reg 11"},
		{"case number CR/yyyy/nnnn", upheld, func(a *domain.Appeal) { a.CaseNumber = "CR/2018/0003" }, lastDay, ""},
		{"malformed case number", upheld, func(a *domain.Appeal) { a.CaseNumber = "EA/2018/0003" }, lastDay, "invalid:case_number"},
		{"malformed case number digits", upheld, func(a *domain.Appeal) { a.CaseNumber = "CR/18/3" }, lastDay, "invalid:case_number"},
		{"bad fact: lodged before the decision was sent", upheld, nil, day("2026-06-11"), "invalid:lodged_on"},
		{"unknown review", upheld, func(a *domain.Appeal) { a.ReviewID = "rvx" }, lastDay, "notfound"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := rebuilt(t, tt.given(t))
			ap := appeal(tt.on)
			if tt.edit != nil {
				tt.edit(&ap)
			}
			check(t, a.LodgeAppeal(ap, far), tt.want)
		})
	}
	t.Run("one appeal per review, decided once", func(t *testing.T) {
		a := upheld(t)
		must(t, a.LodgeAppeal(appeal(lastDay), far))
		ap2 := appeal(lastDay)
		ap2.ID = "ap2"
		wantRule(t, a.LodgeAppeal(ap2, far), "Regs reg 11")
		check(t, a.DecideAppeal("ap1", domain.AppealDismissed, lastDay.AddDays(-1), far), "invalid:decided_on")
		must(t, a.DecideAppeal("ap1", domain.AppealDismissed, day("2026-10-01"), far))
		wantRule(t, a.DecideAppeal("ap1", domain.AppealAllowed, day("2026-10-01"), far), "Regs reg 11")
	})
}

func TestRemoveFromList(t *testing.T) {
	entered := day("2026-05-01")
	for _, tt := range []struct {
		name  string
		given func(t *testing.T) *domain.Asset
		r     domain.Removal
		want  string
	}{
		{"s.92: removal after a review that overturned the listing", func(t *testing.T) *domain.Asset {
			a := reviewed(t)
			must(t, a.DecideReview("rv1", domain.ReviewDecision{Outcome: domain.ReviewOverturned, Reasons: "r", DecidedOn: day("2026-06-10")}, far))
			return a
		}, domain.Removal{Reason: domain.RemovedOnReview, Ref: "rv1", RemovedOn: day("2026-06-10")}, ""},
		{"s.92: no removal on a review that upheld the listing", upheld,
			domain.Removal{Reason: domain.RemovedOnReview, Ref: "rv1", RemovedOn: day("2026-06-15")}, "s.92"},
		{"Regs reg 2(c)(i): removal after an allowed appeal", func(t *testing.T) *domain.Asset {
			a := upheld(t)
			must(t, a.LodgeAppeal(domain.Appeal{ID: "ap1", ReviewID: "rv1", CaseNumber: "CR/2026/0042", Appellant: owner, LodgedOn: day("2026-07-01")}, far))
			must(t, a.DecideAppeal("ap1", domain.AppealAllowed, day("2026-11-01"), far))
			return a
		}, domain.Removal{Reason: domain.RemovedOnAppeal, Ref: "ap1", RemovedOn: day("2026-11-02")}, ""},
		{"Regs reg 2(c)(i): no removal on a dismissed appeal", func(t *testing.T) *domain.Asset {
			a := upheld(t)
			must(t, a.LodgeAppeal(domain.Appeal{ID: "ap1", ReviewID: "rv1", CaseNumber: "CR/2026/0042", Appellant: owner, LodgedOn: day("2026-07-01")}, far))
			must(t, a.DecideAppeal("ap1", domain.AppealDismissed, day("2026-11-01"), far))
			return a
		}, domain.Removal{Reason: domain.RemovedOnAppeal, Ref: "ap1", RemovedOn: day("2026-11-02")}, "Regs reg 2(c)(i)"},
		{"Regs reg 2(c)(ii): no longer of community value, with reasons", func(t *testing.T) *domain.Asset { return listed(t, entered) },
			domain.Removal{Reason: domain.RemovedNoCommunityValue, Reasons: "the pub closed for good", RemovedOn: day("2027-01-01")}, ""},
		{"Regs reg 2(c)(ii): reasons required", func(t *testing.T) *domain.Asset { return listed(t, entered) },
			domain.Removal{Reason: domain.RemovedNoCommunityValue, RemovedOn: day("2027-01-01")}, "invalid:reasons"},
		{"Regs reg 2(b): removal after a relevant disposal", func(t *testing.T) *domain.Asset {
			a := withDisposalNotice(t, day("2027-01-04"))
			must(t, a.RecordDisposal(domain.Disposal{ID: "d1", Kind: domain.RelevantDisposal, Buyer: newOwner, DisposedOn: day("2027-03-01")}, far))
			return a
		}, domain.Removal{Reason: domain.RemovedOnRelevantDisposal, Ref: "d1", RemovedOn: day("2027-03-02")}, ""},
		{"Regs reg 2(b): an exempt disposal does not remove the listing", func(t *testing.T) *domain.Asset {
			a := listed(t, entered)
			must(t, a.RecordDisposal(domain.Disposal{ID: "d1", Kind: domain.ExemptDisposal, Exemption: domain.ExemptGift, Buyer: newOwner, DisposedOn: day("2027-03-01")}, far))
			return a
		}, domain.Removal{Reason: domain.RemovedOnRelevantDisposal, Ref: "d1", RemovedOn: day("2027-03-02")}, "Regs reg 2(b)"},
		{"s.87(3): expiry on the day after the 5 years", func(t *testing.T) *domain.Asset { return listed(t, entered) },
			domain.Removal{Reason: domain.RemovedOnExpiry, RemovedOn: day("2031-05-01")}, ""},
		{"s.87(3): no expiry on the last day of the 5 years", func(t *testing.T) *domain.Asset { return listed(t, entered) },
			domain.Removal{Reason: domain.RemovedOnExpiry, RemovedOn: day("2031-04-30")}, "s.87(3)"},
		{"Regs reg 2: land not listed", func(t *testing.T) *domain.Asset { return nominated(t, entered) },
			domain.Removal{Reason: domain.RemovedNoCommunityValue, Reasons: "r", RemovedOn: day("2027-01-01")}, "Regs reg 2"},
		{"unknown reason", func(t *testing.T) *domain.Asset { return listed(t, entered) },
			domain.Removal{Reason: "boredom", RemovedOn: day("2027-01-01")}, "invalid:reason"},
		{"bad fact: removed before entry", func(t *testing.T) *domain.Asset { return listed(t, entered) },
			domain.Removal{Reason: domain.RemovedNoCommunityValue, Reasons: "r", RemovedOn: entered.AddDays(-1)}, "invalid:removed_on"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := rebuilt(t, tt.given(t))
			err := a.RemoveFromList(tt.r, far)
			check(t, err, tt.want)
			if tt.want == "" {
				e := a.Entries()[0]
				if a.Status() != domain.StatusRemoved || e.RemovedOn != tt.r.RemovedOn || e.RemovalReason != tt.r.Reason {
					t.Errorf("status %s, entry %+v", a.Status(), e)
				}
				if a.ListedOn(tt.r.RemovedOn) || !a.ListedOn(tt.r.RemovedOn.AddDays(-1)) {
					t.Error("listed on the day of removal, or not the day before")
				}
				must(t, a.GiveNotice(domain.Notice{ID: "rn", Kind: domain.RemovalNotice, Subject: "n1", Recipients: anyRecipient, Method: domain.ByPost, GivenOn: tt.r.RemovedOn}, far))
			}
		})
	}
}
