package domain_test

import (
	"errors"
	"testing"

	"github.com/acv-registry/acv/domain"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestReceiveNomination(t *testing.T) {
	received := day("2026-03-02")
	for _, tt := range []struct {
		name  string
		given func(t *testing.T) *domain.Asset
		edit  func(n *domain.Nomination)
		today domain.Date
		want  string
	}{
		{"s.89: a charity with a local connection nominates", nil, func(n *domain.Nomination) {
			n.Nominator = domain.Body{Name: "Anytown Trust", Kind: domain.Charity, LocalConnection: true}
		}, received, ""},
		{"s.89(2): an individual cannot nominate", nil, func(n *domain.Nomination) {
			n.Nominator = domain.Body{Name: "Jo Bloggs", Kind: domain.Individual, LocalConnection: true}
		}, received, "s.89(2)"},
		{"s.89(2): a public body other than a parish council cannot nominate", nil, func(n *domain.Nomination) {
			n.Nominator = domain.Body{Name: "County Council", Kind: domain.PublicBody, LocalConnection: true}
		}, received, "s.89(2)"},
		{"Regs reg 5: an unincorporated body with 20 electors is recorded, to be decided not listed", nil, func(n *domain.Nomination) {
			n.Nominator.LocalElectorMembers = 20
		}, received, ""},
		{"Regs reg 6: description required", nil, func(n *domain.Nomination) { n.Land.Description = "" }, received, "invalid:land.description"},
		{"Regs reg 6: boundaries required", nil, func(n *domain.Nomination) { n.Land.Boundaries = "" }, received, "invalid:land.boundaries"},
		{"Regs reg 6: reasons required", nil, func(n *domain.Nomination) { n.Reasons = "" }, received, "invalid:reasons"},
		{"Regs reg 6: eligibility evidence required", nil, func(n *domain.Nomination) { n.Evidence = "" }, received, "invalid:evidence"},
		{"unknown body kind", nil, func(n *domain.Nomination) { n.Nominator.Kind = "club" }, received, "invalid:nominator.kind"},
		{"unknown land use", nil, func(n *domain.Nomination) { n.Land.Use = "" }, received, "invalid:land.use"},
		{"council required", nil, func(n *domain.Nomination) { n.Council = "" }, received, "invalid:council"},
		{"owner needs an id", nil, func(n *domain.Nomination) { n.Owner.ID = "" }, received, "invalid:owner.id"},
		{"bad fact: received after today", nil, nil, received.AddDays(-1), "invalid:received_on"},
		{"Regs reg 1: before 21 September 2012", nil, func(n *domain.Nomination) { n.ReceivedOn = day("2012-09-20") }, received, "Regs reg 1"},
		{"Regs reg 3: a residence may be nominated (it must be decided not listed)", nil, func(n *domain.Nomination) { n.Land.Use = domain.Residence }, received, ""},
		{"s.90: a second nomination while one awaits decision", func(t *testing.T) *domain.Asset {
			return nominated(t, received.AddDays(-10))
		}, func(n *domain.Nomination) { n.ID = "n2" }, received, "s.90"},
		{"s.87: listed land cannot be nominated again while listed", func(t *testing.T) *domain.Asset {
			return listed(t, received.AddDays(-100))
		}, func(n *domain.Nomination) { n.ID = "n2" }, received, "s.87"},
		{"s.87: land whose entry ended may be nominated again", func(t *testing.T) *domain.Asset {
			a := listed(t, day("2020-03-01"))
			must(t, a.MarkListingExpired(day("2025-03-01")))
			return a
		}, func(n *domain.Nomination) { n.ID = "n2" }, received, ""},
		{"the same id twice", func(t *testing.T) *domain.Asset {
			a := listed(t, day("2020-03-01"))
			must(t, a.MarkListingExpired(day("2025-03-01")))
			return a
		}, nil, received, "invalid:nomination_id"},
		{"a nomination for another council's asset", func(t *testing.T) *domain.Asset {
			a := listed(t, day("2020-03-01"))
			must(t, a.MarkListingExpired(day("2025-03-01")))
			return a
		}, func(n *domain.Nomination) { n.ID = "n2"; n.Council = "E09000001" }, received, "invalid:council"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := domain.NewAsset("a1", domain.DefaultRegimes())
			if tt.given != nil {
				a = rebuilt(t, tt.given(t))
			}
			n := nomination("n1", received)
			if tt.edit != nil {
				tt.edit(&n)
			}
			err := a.ReceiveNomination(n, tt.today)
			check(t, err, tt.want)
			if tt.want != "" && len(a.Pending()) != 0 {
				t.Errorf("a refused command raised %v", a.Pending())
			}
		})
	}
}

func TestReceiveNominationEvent(t *testing.T) {
	a := nominated(t, day("2026-03-02"))
	want := []domain.Event{domain.NominationReceived{
		AssetID: "a1", NominationID: "n1", Regime: "localism-2012", Council: "E07000228",
		ReceivedOn: day("2026-03-02"), Nominator: friends, Land: nomination("n1", day("2026-03-02")).Land,
		Occupants: []domain.Party{{Name: "The Landlord"}}, Interests: []domain.Interest{{Holder: owner, Estate: domain.Freehold}},
		Owner: owner, Reasons: nomination("", domain.Date{}).Reasons, Evidence: nomination("", domain.Date{}).Evidence,
		LocalExtras: map[string]string{"constitution_ref": "DOC-1"},
	}}
	if diff := cmp.Diff(want, a.Pending()); diff != "" {
		t.Errorf("raised (-want +got):\n%s", diff)
	}
	if a.Status() != domain.StatusNominated {
		t.Errorf("status = %q", a.Status())
	}
	r, ok := a.PendingNomination()
	if !ok || r.DecisionDue != day("2026-04-26") {
		t.Errorf("decision due %s, want 2026-04-26 (8 weeks beginning with 2 March)", r.DecisionDue)
	}
	if o, _ := a.Owner(); o != owner {
		t.Errorf("owner = %v", o)
	}
}

func TestDecideNomination(t *testing.T) {
	received := day("2026-03-02")
	due := day("2026-04-26") // Regs reg 7: 8 weeks beginning with 2 March
	for _, tt := range []struct {
		name  string
		edit  func(n *domain.Nomination)
		d     domain.Decision
		today domain.Date
		want  string
	}{
		{"s.90: listed", nil, domain.Decision{Outcome: domain.Listed, DecidedOn: due}, due, ""},
		{"Regs reg 7: decided on day 56, the last day, is on time", nil, domain.Decision{Outcome: domain.Listed, DecidedOn: due}, due, ""},
		{"Regs reg 7: decided on day 57 is late but valid", nil, domain.Decision{Outcome: domain.Listed, DecidedOn: due.AddDays(1)}, far, ""},
		{"s.90: not listed needs reasons", nil, domain.Decision{Outcome: domain.NotListed, DecidedOn: due}, far, "invalid:reasons"},
		{"s.90: not listed with reasons", nil, domain.Decision{Outcome: domain.NotListed, Reasons: "no current community use", DecidedOn: due}, far, ""},
		{"s.90: partly listed names the part", nil, domain.Decision{Outcome: domain.PartlyListed, Reasons: "car park excluded", DecidedOn: due}, far, "invalid:listed_part"},
		{"unknown outcome", nil, domain.Decision{Outcome: "maybe", DecidedOn: due}, far, "invalid:outcome"},
		{"bad fact: decided before the nomination", nil, domain.Decision{Outcome: domain.Listed, DecidedOn: received.AddDays(-1)}, far, "invalid:decided_on"},
		{"bad fact: decided after today", nil, domain.Decision{Outcome: domain.Listed, DecidedOn: due}, due.AddDays(-1), "invalid:decided_on"},
		{"bad fact: entered before the decision", nil, domain.Decision{Outcome: domain.Listed, DecidedOn: due, EnteredOn: due.AddDays(-1)}, far, "invalid:entered_on"},
		{"Regs Sch 1: a residence cannot be listed", func(n *domain.Nomination) { n.Land.Use = domain.Residence },
			domain.Decision{Outcome: domain.Listed, DecidedOn: due}, far, "Regs reg 3, Sch 1"},
		{"Regs Sch 1: a residence cannot be partly listed", func(n *domain.Nomination) { n.Land.Use = domain.Residence },
			domain.Decision{Outcome: domain.PartlyListed, ListedPart: "garden", Reasons: "r", DecidedOn: due}, far, "Regs reg 3, Sch 1"},
		{"Regs Sch 1: a residence is decided not listed", func(n *domain.Nomination) { n.Land.Use = domain.Residence },
			domain.Decision{Outcome: domain.NotListed, Reasons: "a residence", DecidedOn: due}, far, ""},
		{"Regs Sch 1: a pub with a flat above can be listed", func(n *domain.Nomination) { n.Land.Use = domain.PartlyResidential },
			domain.Decision{Outcome: domain.Listed, DecidedOn: due}, far, ""},
		{"Regs Sch 1: a licensed caravan site cannot be listed", func(n *domain.Nomination) { n.Land.Use = domain.CaravanSite },
			domain.Decision{Outcome: domain.Listed, DecidedOn: due}, far, "Regs reg 3, Sch 1"},
		{"Regs Sch 1: a statutory undertaker's operational land cannot be listed", func(n *domain.Nomination) { n.Land.Use = domain.OperationalLand },
			domain.Decision{Outcome: domain.Listed, DecidedOn: due}, far, "Regs reg 3, Sch 1"},
		{"Regs reg 5: 20 local electors are too few to list", func(n *domain.Nomination) { n.Nominator.LocalElectorMembers = 20 },
			domain.Decision{Outcome: domain.Listed, DecidedOn: due}, far, "Regs reg 5"},
		{"Regs reg 5: 21 local electors suffice", func(n *domain.Nomination) { n.Nominator.LocalElectorMembers = 21 },
			domain.Decision{Outcome: domain.Listed, DecidedOn: due}, far, ""},
		{"Regs reg 5: an unincorporated body distributing surplus", func(n *domain.Nomination) { n.Nominator.DistributesSurplus = true },
			domain.Decision{Outcome: domain.Listed, DecidedOn: due}, far, "Regs reg 5"},
		{"Regs reg 5: a company limited by guarantee distributing surplus", func(n *domain.Nomination) {
			n.Nominator = domain.Body{Name: "Pub Co Ltd", Kind: domain.CompanyLimitedByGuarantee, LocalConnection: true, DistributesSurplus: true}
		}, domain.Decision{Outcome: domain.Listed, DecidedOn: due}, far, "Regs reg 5"},
		{"Regs reg 4: a charity without a local connection", func(n *domain.Nomination) {
			n.Nominator = domain.Body{Name: "National Trust", Kind: domain.Charity}
		}, domain.Decision{Outcome: domain.Listed, DecidedOn: due}, far, "Regs reg 4"},
		{"s.89(2): a parish council for land outside its parish or neighbours", func(n *domain.Nomination) {
			n.Nominator = domain.Body{Name: "Far Parish Council", Kind: domain.ParishCouncil}
		}, domain.Decision{Outcome: domain.Listed, DecidedOn: due}, far, "s.89(2)"},
		{"s.89: a neighbourhood forum may nominate and have land listed", func(n *domain.Nomination) { n.Nominator = forum },
			domain.Decision{Outcome: domain.Listed, DecidedOn: due}, far, ""},
		{"s.89: a community interest company", func(n *domain.Nomination) {
			n.Nominator = domain.Body{Name: "Pub CIC", Kind: domain.CommunityInterestCompany, LocalConnection: true}
		}, domain.Decision{Outcome: domain.Listed, DecidedOn: due}, far, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n := nomination("n1", received)
			if tt.edit != nil {
				tt.edit(&n)
			}
			a := domain.NewAsset("a1", domain.DefaultRegimes())
			must(t, a.ReceiveNomination(n, far))
			a = rebuilt(t, a)
			err := a.DecideNomination("n1", tt.d, tt.today)
			check(t, err, tt.want)
			if tt.want != "" && len(a.Pending()) != 0 {
				t.Errorf("a refused command raised %v", a.Pending())
			}
		})
	}
}

func TestDecisionOutcomes(t *testing.T) {
	received, due := day("2026-03-02"), day("2026-04-26")
	t.Run("s.87(3): listing enters the land for 5 years", func(t *testing.T) {
		a := nominated(t, received)
		must(t, a.DecideNomination("n1", domain.Decision{Outcome: domain.Listed, DecidedOn: due}, far))
		e, ok := a.Entry()
		if !ok || e.EnteredOn != due || e.ExpiresOn != day("2031-04-25") {
			t.Errorf("entry = %+v, want entered 2026-04-26 expiring 2031-04-25", e)
		}
		if a.Status() != domain.StatusListed || !a.ListedOn(due) || a.ListedOn(due.AddDays(-1)) {
			t.Errorf("status %s", a.Status())
		}
		if r := a.Nominations()[0]; r.DecidedLate {
			t.Error("decision on day 56 shown late")
		}
	})
	t.Run("Regs reg 7: a decision on day 57 shows as late", func(t *testing.T) {
		a := nominated(t, received)
		must(t, a.DecideNomination("n1", domain.Decision{Outcome: domain.Listed, DecidedOn: due.AddDays(1)}, far))
		if r := a.Nominations()[0]; !r.DecidedLate {
			t.Error("decision on day 57 not shown late")
		}
	})
	t.Run("s.93: not listed goes on the unsuccessful list for 5 years", func(t *testing.T) {
		a := nominated(t, received)
		must(t, a.DecideNomination("n1", domain.Decision{Outcome: domain.NotListed, Reasons: "ancillary use", DecidedOn: due}, far))
		r := a.Nominations()[0]
		if a.Status() != domain.StatusNotListed || r.UnsuccessfulEntryEnds != day("2031-04-25") {
			t.Errorf("status %s, unsuccessful entry ends %s", a.Status(), r.UnsuccessfulEntryEnds)
		}
		if _, ok := a.Entry(); ok {
			t.Error("an unsuccessful nomination made a list entry")
		}
	})
	t.Run("s.90: a nomination is decided once", func(t *testing.T) {
		a := nominated(t, received)
		must(t, a.DecideNomination("n1", domain.Decision{Outcome: domain.Listed, DecidedOn: due}, far))
		wantRule(t, a.DecideNomination("n1", domain.Decision{Outcome: domain.Listed, DecidedOn: due}, far), "s.90")
	})
	t.Run("s.90: the council cannot list on its own initiative, only on a nomination", func(t *testing.T) {
		a := domain.NewAsset("a1", domain.DefaultRegimes())
		check(t, a.DecideNomination("n1", domain.Decision{Outcome: domain.Listed, DecidedOn: due}, far), "notfound")
	})
	t.Run("unknown nomination", func(t *testing.T) {
		a := nominated(t, received)
		check(t, a.DecideNomination("nx", domain.Decision{Outcome: domain.Listed, DecidedOn: due}, far), "notfound")
	})
	t.Run("eligibility is visible before the decision", func(t *testing.T) {
		n := nomination("n1", received)
		n.Nominator.LocalElectorMembers = 3
		n.Land.Use = domain.Residence
		a := domain.NewAsset("a1", domain.DefaultRegimes())
		must(t, a.ReceiveNomination(n, far))
		r := a.Nominations()[0]
		if r.NominatorIneligible == nil || r.NominatorIneligible.Rule != "Regs reg 5" || r.LandExcluded == nil {
			t.Errorf("record = %+v", r)
		}
	})
}

func TestPendingIsOrderedAndVersionCountsHistory(t *testing.T) {
	a := listed(t, day("2026-05-01"))
	types := []string{}
	for _, e := range a.Pending() {
		types = append(types, e.EventType())
	}
	want := []string{domain.TypeNominationReceived, domain.TypeNominationDecided, domain.TypeNoticeGiven}
	if diff := cmp.Diff(want, types); diff != "" {
		t.Errorf("pending (-want +got):\n%s", diff)
	}
	if a.Version() != 0 {
		t.Errorf("version of a new asset = %d", a.Version())
	}
	b := rebuilt(t, a)
	if b.Version() != 3 || len(b.Pending()) != 0 {
		t.Errorf("rebuilt version %d, pending %d", b.Version(), len(b.Pending()))
	}
	if diff := cmp.Diff(a.Entries(), b.Entries(), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("rebuild differs (-live +rebuilt):\n%s", diff)
	}
	if domain.AssetStream("a1") != "asset-a1" {
		t.Error("AssetStream")
	}
}

// TestDecideNominationValidatesInputBeforeState: an unknown outcome is a
// validation error even on a nomination already decided (s.90 refuses only
// a well-formed second decision).
func TestDecideNominationValidatesInputBeforeState(t *testing.T) {
	a := listed(t, day("2026-03-01"))
	err := a.DecideNomination("n1", domain.Decision{Outcome: "maybe", DecidedOn: day("2026-03-02")}, far)
	var verr *domain.ValidationError
	if !errors.As(err, &verr) || verr.Field != "outcome" {
		t.Fatalf("unknown outcome on a decided nomination: %v, want a ValidationError on outcome", err)
	}
	err = a.DecideNomination("n1", domain.Decision{Outcome: domain.NotListed, Reasons: "r", DecidedOn: day("2026-03-02")}, far)
	var rerr *domain.RuleError
	if !errors.As(err, &rerr) || rerr.Rule != domain.RuleDecision {
		t.Fatalf("second decision: %v, want a RuleError citing %s", err, domain.RuleDecision)
	}
}
