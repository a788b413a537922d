package domain_test

import (
	"testing"

	"github.com/acv-registry/acv/domain"
)

func TestRecordDisposal(t *testing.T) {
	cig := society
	relevant := func(on domain.Date) domain.Disposal {
		return domain.Disposal{ID: "d1", Kind: domain.RelevantDisposal, Buyer: newOwner, DisposedOn: on}
	}
	toCIG := func(on domain.Date) domain.Disposal {
		return domain.Disposal{ID: "d1", Kind: domain.RelevantDisposal, Buyer: domain.Party{ID: cig.ID, Name: cig.Name}, BuyerGroup: &cig, DisposedOn: on}
	}
	exempt := func(code domain.ExemptionCode, on domain.Date) domain.Disposal {
		return domain.Disposal{ID: "d1", Kind: domain.ExemptDisposal, Exemption: code, Buyer: newOwner, DisposedOn: on}
	}
	notice := func(t *testing.T) *domain.Asset { return withDisposalNotice(t, noticeOn) }
	for _, tt := range []struct {
		name       string
		given      func(t *testing.T) *domain.Asset
		d          domain.Disposal
		wantBreach string // the rule flagged, "" for a lawful disposal
	}{
		{"s.95(2) condition A: no notice at all", func(t *testing.T) *domain.Asset { return listed(t, day("2026-05-01")) }, relevant(day("2027-01-10")), "s.95(2)"},
		{"s.95(2) condition A: a new owner must notify afresh", func(t *testing.T) *domain.Asset {
			a := withDisposalNotice(t, noticeOn)
			must(t, a.ChangeOwner(newOwner, day("2027-03-01"), far))
			return a
		}, domain.Disposal{ID: "d1", Kind: domain.RelevantDisposal, Buyer: stranger, DisposedOn: day("2027-04-01")}, "s.95(2)"},
		{"s.95(3) condition B: inside the interim moratorium, on its last day", notice, relevant(interimLast), "s.95(3)"},
		{"s.95(3) condition B: the day after a lapsed interim moratorium", notice, relevant(interimLast.AddDays(1)), ""},
		{"s.95(3) condition B: on the last day of the full moratorium", inFull, relevant(fullLast), "s.95(3)"},
		{"s.95(3) condition B: the day after the full moratorium", inFull, relevant(fullLast.AddDays(1)), ""},
		{"s.95(4) condition C: on the last day of the protected period", notice, relevant(protectedLast), ""},
		{"s.95(4) condition C: the day after the protected period", notice, relevant(protectedLast.AddDays(1)), "s.95(4)"},
		{"s.95(1): to a CIG during the interim moratorium", notice, toCIG(noticeOn.AddDays(1)), ""},
		{"s.95(1): to a CIG during the full moratorium", inFull, toCIG(fullLast), ""},
		{"s.95(1): to a body that is not a CIG during the moratorium", inFull, func() domain.Disposal {
			d := toCIG(fullLast)
			d.BuyerGroup = &forum
			return d
		}(), "s.95(3)"},
		{"s.95(5): exempt to a CIG during the moratorium", inFull, func() domain.Disposal {
			d := exempt(domain.ExemptToCIGInMoratorium, fullLast)
			d.BuyerGroup = &cig
			return d
		}(), ""},
		{"s.95(5): exempt to a CIG claimed after the moratorium", inFull, func() domain.Disposal {
			d := exempt(domain.ExemptToCIGInMoratorium, fullLast.AddDays(1))
			d.BuyerGroup = &cig
			return d
		}(), "s.95(5)"},
		{"Regs Sch 3: exempt gift with no notice", func(t *testing.T) *domain.Asset { return listed(t, day("2026-05-01")) }, exempt(domain.ExemptGift, day("2027-01-10")), ""},
		{"Regs Sch 3: exempt insolvency sale inside the interim moratorium", notice, exempt(domain.ExemptInsolvency, interimLast), ""},
		{"Regs Sch 3: an option made before listing", func(t *testing.T) *domain.Asset { return listed(t, day("2026-05-01")) }, func() domain.Disposal {
			d := exempt(domain.ExemptPriorObligation, day("2027-01-10"))
			d.ObligationMadeOn = day("2026-04-30")
			return d
		}(), ""},
		{"Regs Sch 3: an option made on the day of listing is not prior", func(t *testing.T) *domain.Asset { return listed(t, day("2026-05-01")) }, func() domain.Disposal {
			d := exempt(domain.ExemptPriorObligation, day("2027-01-10"))
			d.ObligationMadeOn = day("2026-05-01")
			return d
		}(), "Regs Sch 3"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := rebuilt(t, tt.given(t))
			must(t, a.RecordDisposal(tt.d, far))
			got, ok := last(a).(domain.DisposalRecorded)
			if !ok {
				t.Fatalf("raised %#v", last(a))
			}
			if got.InBreach != (tt.wantBreach != "") || got.Rule != tt.wantBreach {
				t.Errorf("in breach %v with rule %q (%s), want rule %q", got.InBreach, got.Rule, got.Reason, tt.wantBreach)
			}
			if got.InBreach && got.Reason == "" {
				t.Error("a breach gives no reason")
			}
			if a.Status() != domain.StatusListed {
				t.Error("recording a disposal must not remove the listing")
			}
		})
	}
	for _, tt := range []struct {
		name  string
		given func(t *testing.T) *domain.Asset
		d     domain.Disposal
		want  string
	}{
		{"s.95(1): bad fact: disposal of land not listed", func(t *testing.T) *domain.Asset { return nominated(t, day("2026-05-01")) }, relevant(day("2027-01-10")), "s.95(1)"},
		{"bad fact: disposal after today", notice, relevant(far.AddDays(1)), "invalid:disposed_on"},
		{"unknown exemption code", notice, exempt("favour", day("2027-03-01")), "invalid:exemption"},
		{"a relevant disposal has no exemption", notice, func() domain.Disposal { d := relevant(day("2027-03-01")); d.Exemption = domain.ExemptGift; return d }(), "invalid:exemption"},
		{"a prior obligation needs its date", notice, exempt(domain.ExemptPriorObligation, day("2027-03-01")), "invalid:obligation_made_on"},
		{"a CIG exemption needs the group", notice, exempt(domain.ExemptToCIGInMoratorium, day("2027-03-01")), "invalid:buyer_group"},
		{"unknown kind", notice, domain.Disposal{ID: "d1", Kind: "swap", Buyer: newOwner, DisposedOn: day("2027-03-01")}, "invalid:kind"},
		{"buyer required", notice, domain.Disposal{ID: "d1", Kind: domain.RelevantDisposal, DisposedOn: day("2027-03-01")}, "invalid:buyer.name"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			check(t, rebuilt(t, tt.given(t)).RecordDisposal(tt.d, far), tt.want)
		})
	}
}

// Every exemption ground of domain-rules.md is recordable under
// localism-2012.
func TestEveryExemptionCode(t *testing.T) {
	for _, code := range domain.ExemptionCodes() {
		t.Run(string(code), func(t *testing.T) {
			a := rebuilt(t, withDisposalNotice(t, noticeOn))
			d := domain.Disposal{ID: "d1", Kind: domain.ExemptDisposal, Exemption: code, Buyer: newOwner, DisposedOn: noticeOn.AddDays(1),
				ObligationMadeOn: day("2020-01-01"), BuyerGroup: &society}
			must(t, a.RecordDisposal(d, far))
			if got := last(a).(domain.DisposalRecorded); got.InBreach || got.Exemption != code {
				t.Errorf("recorded %+v", got)
			}
		})
	}
	if n := len(domain.ExemptionCodes()); n != 18 {
		t.Errorf("%d exemption codes, want the 18 grounds of domain-rules.md", n)
	}
}

func TestChangeOwner(t *testing.T) {
	a := listed(t, day("2026-05-01"))
	wantRule(t, domain.NewAsset("a2", domain.DefaultRegimes()).ChangeOwner(newOwner, day("2026-05-01"), far), "Regs reg 19")
	check(t, a.ChangeOwner(domain.Party{Name: "no id"}, day("2026-06-01"), far), "invalid:owner.id")
	check(t, a.ChangeOwner(newOwner, far.AddDays(1), far), "invalid:changed_on")
	n := len(a.Pending())
	must(t, a.ChangeOwner(owner, day("2026-06-01"), far))
	if len(a.Pending()) != n {
		t.Error("naming the present owner raised an event")
	}
	must(t, a.ChangeOwner(newOwner, day("2026-06-01"), far))
	if got := last(a).(domain.OwnerChanged); got.Previous != owner || got.Owner != newOwner {
		t.Errorf("raised %+v", got)
	}
	if o, _ := a.Owner(); o != newOwner || len(a.Owners()) != 2 {
		t.Errorf("owner %v, owners %v", o, a.Owners())
	}
}
