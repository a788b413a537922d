package projections

import (
	"encoding/json"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/google/go-cmp/cmp"
)

// Helpers here carry a dv prefix: other files of the package have tests of
// their own, and names must not collide.

var dvUpdate = flag.Bool("update-derive", false, "rewrite the golden files in testdata/derive")

// dvFar is a "today" late enough for every command of the stories below.
var dvFar = dvDay("2045-01-01")

func dvDay(s string) domain.Date {
	d, err := domain.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// dvStory builds an asset's history with real domain commands, each run on
// the asset rebuilt from the history so far, as the API does.
type dvStory struct {
	t      testing.TB
	id     string
	events []domain.Event
}

func (s *dvStory) do(what string, cmd func(a *domain.Asset) error) {
	s.t.Helper()
	a := domain.Rebuild(s.id, domain.DefaultRegimes(), s.events)
	if err := cmd(a); err != nil {
		s.t.Fatalf("%s: %v", what, err)
	}
	s.events = append(s.events, a.Pending()...)
}

// clock runs the statutory clock on today.
func (s *dvStory) clock(today string) {
	s.t.Helper()
	s.do("clock on "+today, func(a *domain.Asset) error { return a.AdvanceClocks(dvDay(today)) })
}

// recorded wraps the history as the log records it: increasing versions and
// positions, the event's own effective date.
func (s *dvStory) recorded() []Recorded {
	a := domain.Rebuild(s.id, domain.DefaultRegimes(), s.events)
	rs := make([]Recorded, len(s.events))
	for i, e := range s.events {
		rs[i] = Recorded{Event: e, Type: e.EventType(), Version: int64(i + 1), Position: int64(1000 + 7*i),
			RecordedAt: time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour),
			Effective:  e.EffectiveOn(), ActorRole: "council_officer", ActorOrg: "local-authority:ANY", Regime: a.RegimeOf(e)}
	}
	return rs
}

func (s *dvStory) derive() AssetRows {
	return Derive(s.id, domain.DefaultRegimes(), s.recorded())
}

// Personal data seeded into the pub's story; none of it may reach a row.
var dvPersonal = []string{
	"Jane Smith", "Acacia", // the individual owner and her address
	"John Doe", "Flat 1", // an occupant
	"Lenny",                                         // a leaseholder
	"07700", "sarah@example.org", "Sarah Secretary", // the nominator's contact details (evidence, local extras)
	"Alice Elector", "Bob Elector", // the 21 electors
	"Nosy Neighbour",             // an individual asking to bid
	"Private Bidder",             // an individual bidding
	"Buyer Person", "Buyer Road", // an individual buyer and new owner
	"pension", "bank statements", "£12,345.67", "£5,000", "£6,000", "£7,000", // a private owner's compensation
}

var (
	dvOwner   = domain.Party{ID: "person-17", Name: "Mrs Jane Smith", Address: "1 Acacia Avenue, Anytown AN1 9ZZ"}
	dvFriends = domain.Body{ID: "org-friends", Name: "Friends of the Red Lion", Kind: domain.UnincorporatedBody, LocalConnection: true, LocalElectorMembers: 25}
	dvSociety = domain.Body{ID: "org-society", Name: "Red Lion Community Benefit Society", Kind: domain.CooperativeSociety, LocalConnection: true}
	dvTrust   = domain.Body{Name: "Anytown Community Trust", Kind: domain.Charity, LocalConnection: true}
	dvBuyer   = domain.Party{ID: "person-55", Name: "Mr Buyer Person", Address: "2 Buyer Road, Anytown"}
)

// dvPub is a pub with an individual owner: a late listing, a review and an
// appeal, a moratorium with a valid and two rejected bidder requests, bids, a
// sale after the moratorium to an individual, removal, and a compensation
// claim through to the tribunal.
func dvPub(t testing.TB) *dvStory {
	s := &dvStory{t: t, id: "red-lion"}
	s.do("nomination (s.89)", func(a *domain.Asset) error {
		return a.ReceiveNomination(domain.Nomination{
			ID: "n1", Council: "E07000228", ReceivedOn: dvDay("2026-01-05"), Nominator: dvFriends,
			Land: domain.Land{Name: "The Red Lion", Description: "Public house with beer garden", Boundaries: "title AB123",
				Address: "The Red Lion, 1 High Street, Anytown an1 2bc", UPRN: "100012345678", Use: domain.PartlyResidential,
				Point: &domain.Point{Lat: 51.5, Lon: -0.1}, Category: "pub"},
			Occupants: []domain.Party{{Name: "Mr John Doe", Address: "Flat 1, The Red Lion"}},
			Interests: []domain.Interest{{Holder: dvOwner, Estate: domain.Freehold}, {Holder: domain.Party{Name: "Lenny Leaseholder"}, Estate: domain.Leasehold, LeaseTermYears: 10}},
			Owner:     dvOwner,
			Reasons:   "The only pub in the village",
			Evidence:  "Constitution; contact Sarah Secretary on 07700 900123",
			LocalExtras: map[string]string{"reference": "ACV/2026/001", "electors": "Alice Elector, Bob Elector",
				"contact_email": "sarah@example.org"},
		}, dvFar)
	})
	s.do("consultation (Regs reg 8)", func(a *domain.Asset) error {
		return a.Consult("n1", domain.Notice{ID: "consult", Method: domain.ByPost, GivenOn: dvDay("2026-01-08"),
			Recipients: []domain.Recipient{{Role: domain.ToOwner, Party: dvOwner}, {Role: domain.ToOccupier, Party: domain.Party{Name: "Mr John Doe"}}}}, dvFar)
	})
	s.clock("2026-03-02") // the decision is overdue (Regs reg 7)
	s.do("late listing (s.90)", func(a *domain.Asset) error {
		return a.DecideNomination("n1", domain.Decision{Outcome: domain.Listed, Reasons: "furthers social wellbeing",
			DecidedOn: dvDay("2026-03-10"), EnteredOn: dvDay("2026-03-12")}, dvFar)
	})
	s.do("notice of listing (s.91)", func(a *domain.Asset) error {
		return a.GiveNotice(domain.Notice{ID: "listing-notice", Kind: domain.ListingNotice, Subject: "n1", Method: domain.ByPost, GivenOn: dvDay("2026-03-13"),
			Recipients: []domain.Recipient{{Role: domain.ToOwner, Party: dvOwner}, {Role: domain.ToOccupier, Party: domain.Party{Name: "Mr John Doe"}},
				{Role: domain.ToNominator, Party: domain.Party{Name: dvFriends.Name}}}}, dvFar)
	})
	s.do("review window extended (s.92)", func(a *domain.Asset) error {
		return a.ExtendReviewWindow("n1", dvDay("2026-06-30"), dvDay("2026-04-01"), dvFar)
	})
	s.do("review requested (s.92)", func(a *domain.Asset) error {
		return a.RequestReview(domain.ReviewRequest{ID: "rv1", Requester: dvOwner, ReceivedOn: dvDay("2026-06-01"), OralHearing: true}, dvFar)
	})
	s.do("longer review period agreed (Regs Sch 2)", func(a *domain.Asset) error {
		return a.AgreeReviewDecisionPeriod("rv1", dvDay("2026-08-31"), dvDay("2026-06-15"), dvFar)
	})
	s.clock("2026-09-01") // the review is overdue
	s.do("review upheld", func(a *domain.Asset) error {
		return a.DecideReview("rv1", domain.ReviewDecision{Outcome: domain.ReviewUpheld, Reasons: "still the hub of the village",
			DecidedOn: dvDay("2026-09-10"), SentOn: dvDay("2026-09-11")}, dvFar)
	})
	s.do("appeal (Regs reg 11)", func(a *domain.Asset) error {
		return a.LodgeAppeal(domain.Appeal{ID: "ap1", ReviewID: "rv1", CaseNumber: "CR/2026/0007", Appellant: dvOwner, LodgedOn: dvDay("2026-09-20")}, dvFar)
	})
	s.do("appeal dismissed", func(a *domain.Asset) error {
		return a.DecideAppeal("ap1", domain.AppealDismissed, dvDay("2026-11-30"), dvFar)
	})
	s.do("notice of a wish to sell (s.95(2))", func(a *domain.Asset) error {
		return a.ReceiveDisposalNotice(domain.DisposalNotice{ID: "dn1", Owner: dvOwner, ReceivedOn: dvDay("2027-01-04")}, dvFar)
	})
	s.do("publicity (s.97)", func(a *domain.Asset) error {
		return a.GiveNotice(domain.Notice{ID: "publicity", Kind: domain.MoratoriumPublicity, Subject: "dn1", Method: domain.BySiteNotice, GivenOn: dvDay("2027-01-06"),
			Recipients: []domain.Recipient{{Role: domain.ToPublic, Party: domain.Party{Name: "site notice"}}}}, dvFar)
	})
	s.do("CIG request (Regs reg 12)", func(a *domain.Asset) error {
		return a.ReceiveBidderRequest(domain.BidderRequest{ID: "r1", Group: dvSociety, ReceivedOn: dvDay("2027-01-20")}, dvFar)
	})
	s.do("request passed on (s.98)", func(a *domain.Asset) error {
		return a.GiveNotice(domain.Notice{ID: "passed", Kind: domain.BidderRequestPassing, Subject: "r1", Method: domain.ByEmail, GivenOn: dvDay("2027-01-21"),
			Recipients: []domain.Recipient{{Role: domain.ToOwner, Party: dvOwner}}}, dvFar)
	})
	s.do("request from an individual (Regs reg 12)", func(a *domain.Asset) error {
		return a.ReceiveBidderRequest(domain.BidderRequest{ID: "r2", Group: domain.Body{Name: "Mr Nosy Neighbour", Kind: domain.Individual}, ReceivedOn: dvDay("2027-01-22")}, dvFar)
	})
	s.do("community bid", func(a *domain.Asset) error {
		return a.SubmitBid(domain.Bid{ID: "b1", Bidder: domain.Party{ID: dvSociety.ID, Name: dvSociety.Name}, RequestID: "r1",
			AmountPence: 42_500_000, Terms: "community share offer", SubmittedOn: dvDay("2027-02-01")}, dvFar)
	})
	s.do("private bid", func(a *domain.Asset) error {
		return a.SubmitBid(domain.Bid{ID: "b2", Bidder: domain.Party{ID: "person-99", Name: "Ms Private Bidder"},
			AmountPence: 30_000_000, SubmittedOn: dvDay("2027-02-02")}, dvFar)
	})
	s.do("private bid withdrawn", func(a *domain.Asset) error {
		return a.ChangeBidStatus("b2", domain.BidWithdrawn, dvDay("2027-02-10"), dvFar)
	})
	s.clock("2027-02-15") // the interim moratorium has ended
	s.do("late request (s.95(3))", func(a *domain.Asset) error {
		return a.ReceiveBidderRequest(domain.BidderRequest{ID: "r3", Group: dvTrust, ReceivedOn: dvDay("2027-02-20")}, dvFar)
	})
	s.do("community bid rejected", func(a *domain.Asset) error {
		return a.ChangeBidStatus("b1", domain.BidRejected, dvDay("2027-03-01"), dvFar)
	})
	s.clock("2027-07-04") // the full moratorium has ended
	s.do("sale to an individual in the protected period (s.95(1))", func(a *domain.Asset) error {
		return a.RecordDisposal(domain.Disposal{ID: "d1", Kind: domain.RelevantDisposal, Buyer: dvBuyer, DisposedOn: dvDay("2027-08-01")}, dvFar)
	})
	s.do("outcome", func(a *domain.Asset) error {
		return a.RecordMoratoriumOutcome("dn1", domain.SoldAfterMoratorium, dvDay("2027-08-01"), dvFar)
	})
	s.do("new owner (Regs reg 19)", func(a *domain.Asset) error { return a.ChangeOwner(dvBuyer, dvDay("2027-08-02"), dvFar) })
	s.do("removal after the relevant disposal (Regs reg 2(b))", func(a *domain.Asset) error {
		return a.RemoveFromList(domain.Removal{Reason: domain.RemovedOnRelevantDisposal, Ref: "d1", RemovedOn: dvDay("2027-08-15")}, dvFar)
	})
	s.do("removal notice", func(a *domain.Asset) error {
		return a.GiveNotice(domain.Notice{ID: "removal-notice", Kind: domain.RemovalNotice, Subject: "n1", Method: domain.ByPost, GivenOn: dvDay("2027-08-16"),
			Recipients: []domain.Recipient{{Role: domain.ToOwner, Party: dvBuyer}}}, dvFar)
	})
	s.do("compensation claim (s.99)", func(a *domain.Asset) error {
		return a.ClaimCompensation(domain.Claim{ID: "c1", Claimant: dvOwner, LossIncurredOn: dvDay("2027-08-01"), ReceivedOn: dvDay("2027-09-01"),
			Parts: []domain.ClaimPart{{Description: "Loss of rent for Mrs Smith's pension", AmountPence: 1234567}}, Evidence: "bank statements of Jane Smith"}, dvFar)
	})
	s.do("compensation decided", func(a *domain.Asset) error {
		return a.DecideCompensation("c1", domain.CompensationDecision{AwardPence: 500000, Reasons: "part of the delay", DecidedOn: dvDay("2027-10-01")}, dvFar)
	})
	s.do("compensation review window extended", func(a *domain.Asset) error {
		return a.ExtendCompensationReviewWindow("c1", dvDay("2027-12-31"), dvDay("2027-10-15"), dvFar)
	})
	s.do("compensation review requested (Regs reg 16)", func(a *domain.Asset) error {
		return a.RequestCompensationReview("c1", dvOwner, dvDay("2027-11-01"), dvFar)
	})
	s.do("compensation review decided", func(a *domain.Asset) error {
		return a.DecideCompensationReview("c1", domain.CompensationDecision{AwardPence: 600000, Reasons: "more of the delay", DecidedOn: dvDay("2027-11-20")}, dvFar)
	})
	s.do("compensation appeal", func(a *domain.Asset) error {
		return a.LodgeCompensationAppeal("c1", "CR/2027/0012", dvDay("2027-12-01"), false, dvFar)
	})
	s.do("compensation appeal decided", func(a *domain.Asset) error {
		return a.DecideCompensationAppeal("c1", domain.AppealAllowed, 700000, dvDay("2028-03-01"), dvFar)
	})
	s.clock("2028-07-04") // the protected period has ended
	return s
}

// dvLibrary is a library owned by the council: an unsuccessful nomination, a
// second nomination that lists it while the first still stands on the
// unsuccessful list, and both entries' 5 years ending. withClock adds the
// clock's expiry events; without them the entries must end all the same.
func dvLibrary(t testing.TB, withClock bool) *dvStory {
	s := &dvStory{t: t, id: "library"}
	council := domain.Party{ID: "local-authority:ANY", Name: "Anytown District Council", PublicBody: true}
	parish := domain.Body{ID: "org-parish", Name: "Anytown Parish Council", Kind: domain.ParishCouncil, LocalConnection: true}
	nom := func(id, received string) domain.Nomination {
		return domain.Nomination{ID: id, Council: "E07000228", ReceivedOn: dvDay(received), Nominator: parish,
			Land: domain.Land{Name: "Anytown Library", Description: "Branch library", Boundaries: "title ABC123", Postcode: "an1 1aa",
				Use: domain.NonResidential, Category: "library"},
			Owner: council, Reasons: "well used", Evidence: "parish minutes"}
	}
	s.do("first nomination", func(a *domain.Asset) error { return a.ReceiveNomination(nom("n1", "2020-01-06"), dvFar) })
	s.do("not listed (s.90)", func(a *domain.Asset) error {
		return a.DecideNomination("n1", domain.Decision{Outcome: domain.NotListed, Reasons: "no current community use", DecidedOn: dvDay("2020-02-10")}, dvFar)
	})
	s.do("reasons to the nominator", func(a *domain.Asset) error {
		return a.GiveNotice(domain.Notice{ID: "reasons", Kind: domain.UnsuccessfulNotice, Subject: "n1", Method: domain.ByEmail, GivenOn: dvDay("2020-02-11"),
			Recipients: []domain.Recipient{{Role: domain.ToNominator, Party: domain.Party{Name: parish.Name}}}}, dvFar)
	})
	s.do("second nomination", func(a *domain.Asset) error { return a.ReceiveNomination(nom("n2", "2021-05-04"), dvFar) })
	s.do("listed (s.90)", func(a *domain.Asset) error {
		return a.DecideNomination("n2", domain.Decision{Outcome: domain.Listed, DecidedOn: dvDay("2021-06-01"), EnteredOn: dvDay("2021-06-07")}, dvFar)
	})
	s.do("notice of listing", func(a *domain.Asset) error {
		return a.GiveNotice(domain.Notice{ID: "listing", Kind: domain.ListingNotice, Subject: "n2", Method: domain.ByEmail, GivenOn: dvDay("2021-06-08"),
			Recipients: []domain.Recipient{{Role: domain.ToOwner, Party: council}}}, dvFar)
	})
	if withClock {
		s.clock("2025-02-10") // the unsuccessful entry's 5 years have ended
		s.clock("2026-06-07") // the listing's 5 years have ended
	}
	return s
}

// dvLeapDay is land listed on 29 February 2024.
func dvLeapDay(t testing.TB, withClock bool) *dvStory {
	s := &dvStory{t: t, id: "green"}
	s.do("nomination", func(a *domain.Asset) error {
		return a.ReceiveNomination(domain.Nomination{ID: "n1", Council: "E07000228", ReceivedOn: dvDay("2024-01-15"), Nominator: dvFriends,
			Land:    domain.Land{Name: "Village Green", Description: "Green", Boundaries: "title GR1", Use: domain.NonResidential},
			Reasons: "recreation", Evidence: "constitution"}, dvFar)
	})
	s.do("listed", func(a *domain.Asset) error {
		return a.DecideNomination("n1", domain.Decision{Outcome: domain.Listed, DecidedOn: dvDay("2024-02-29")}, dvFar)
	})
	if withClock {
		s.clock("2029-03-01")
	}
	return s
}

// dvAsOf returns the entries of list valid on day d: ValidFrom <= d < ValidTo,
// or ValidTo zero. It is the query the register's ?as_of= runs.
func dvAsOf(vs []RegisterVersion, list List, d domain.Date) []RegisterEntry {
	var out []RegisterEntry
	for _, v := range vs {
		if v.List == list && !d.Before(v.ValidFrom) && (v.ValidTo.IsZero() || d.Before(v.ValidTo)) {
			out = append(out, v.Entry)
		}
	}
	return out
}

func dvList(vs []RegisterVersion, list List) []RegisterVersion {
	var out []RegisterVersion
	for _, v := range vs {
		if v.List == list {
			out = append(out, v)
		}
	}
	return out
}

// A listed pub's entry appears on its date of entry, gains the moratorium's
// dates from the day the owner's notice is received (s.97) and the CIG's
// name from its request (Regs reg 2(a)), and leaves the list on the day of
// removal (Regs reg 2(b)). Clocks, bids and notices do not change it.
func TestDeriveListedPubRegister(t *testing.T) {
	rows := dvPub(t).derive()
	got := dvList(rows.Register, ListACV)
	type span struct{ from, to, sell, group string }
	want := []span{
		{"2026-03-12", "2027-01-04", "", ""},
		{"2027-01-04", "2027-01-20", "2027-01-04", ""},
		{"2027-01-20", "2027-08-15", "2027-01-04", dvSociety.Name},
	}
	if len(got) != len(want) {
		t.Fatalf("%d versions on the list, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		v := got[i]
		sell := ""
		if !v.Entry.NotificationToSellDate.IsZero() {
			sell = v.Entry.NotificationToSellDate.String()
		}
		if v.ValidFrom.String() != w.from || v.ValidTo.String() != w.to || sell != w.sell || v.Entry.InterestedGroup != w.group {
			t.Errorf("version %d: [%s, %s) sell %q group %q, want [%s, %s) sell %q group %q",
				i, v.ValidFrom, v.ValidTo, sell, v.Entry.InterestedGroup, w.from, w.to, w.sell, w.group)
		}
		if v.AssetID != "red-lion" || v.Council != "E07000228" || v.Entry.Status != "listed" || v.Entry.Reference != "ACV/2026/001" {
			t.Errorf("version %d: %+v", i, v)
		}
	}
	// s.95(6): the three periods all begin with the day the notice is received.
	e := got[1].Entry
	if e.InterimMoratoriumEndDate != dvDay("2027-02-14") || e.FullMoratoriumEndDate != dvDay("2027-07-03") || e.ProtectedPeriodEndDate != dvDay("2028-07-03") {
		t.Errorf("moratorium dates %s %s %s", e.InterimMoratoriumEndDate, e.FullMoratoriumEndDate, e.ProtectedPeriodEndDate)
	}
	// s.87(3): 5 years beginning with the date of entry.
	if e.EntryDate != dvDay("2026-03-12") || e.StartDate != e.EntryDate || e.ExpiryDate != dvDay("2031-03-11") || e.EndDate != e.ExpiryDate {
		t.Errorf("entry dates: entry %s start %s expiry %s end %s", e.EntryDate, e.StartDate, e.ExpiryDate, e.EndDate)
	}
	if e.Decision != "listed" || e.DecisionDate != dvDay("2026-03-10") || e.NominationDate != dvDay("2026-01-05") ||
		e.NominatingGroup != dvFriends.Name || e.Postcode != "AN1 2BC" || e.Organisation != "E07000228" {
		t.Errorf("entry: %+v", e)
	}
	if len(dvList(rows.Register, ListUnsuccessful)) != 0 {
		t.Error("a listed pub is on the unsuccessful list")
	}
}

// The register as of a day is the version valid that day.
func TestDeriveRegisterAsOf(t *testing.T) {
	rows := dvPub(t).derive()
	for _, tt := range []struct {
		day       string
		listed    bool
		sell      string
		why       string
		unlisted  bool
		interests string
	}{
		{day: "2026-03-11", why: "decided on 10 March but entered on 12 March"},
		{day: "2026-03-12", listed: true, why: "the date of entry (s.87)"},
		{day: "2027-01-03", listed: true, why: "the day before the owner's notice"},
		{day: "2027-01-04", listed: true, sell: "2027-01-04", why: "the notice's receipt (s.97)"},
		{day: "2027-01-20", listed: true, sell: "2027-01-04", interests: dvSociety.Name, why: "the CIG's request (Regs reg 2(a))"},
		{day: "2027-08-14", listed: true, sell: "2027-01-04", interests: dvSociety.Name, why: "the last day before removal"},
		{day: "2027-08-15", why: "the day of removal (Regs reg 2(b))"},
		{day: "2031-03-11", why: "removed entries do not come back at expiry"},
	} {
		t.Run(tt.day, func(t *testing.T) {
			es := dvAsOf(rows.Register, ListACV, dvDay(tt.day))
			if !tt.listed {
				if len(es) != 0 {
					t.Fatalf("%s: listed, want not (%s)", tt.day, tt.why)
				}
				return
			}
			if len(es) != 1 {
				t.Fatalf("%s: %d entries, want 1 (%s)", tt.day, len(es), tt.why)
			}
			sell := ""
			if d := es[0].NotificationToSellDate; !d.IsZero() {
				sell = d.String()
			}
			if sell != tt.sell || es[0].InterestedGroup != tt.interests {
				t.Errorf("%s: sell %q group %q, want %q %q (%s)", tt.day, sell, es[0].InterestedGroup, tt.sell, tt.interests, tt.why)
			}
		})
	}
}

// s.93 (check): land nominated unsuccessfully stands on the list of
// unsuccessful nominations for 5 years beginning with its date of entry,
// whether or not the clock has recorded the end; a listing does not take it
// off that list.
func TestDeriveUnsuccessfulList(t *testing.T) {
	without, with := dvLibrary(t, false).derive(), dvLibrary(t, true).derive()
	for name, rows := range map[string]AssetRows{"without clock": without, "with clock": with} {
		t.Run(name, func(t *testing.T) {
			un := dvList(rows.Register, ListUnsuccessful)
			if len(un) != 1 || un[0].ValidFrom != dvDay("2020-02-10") || un[0].ValidTo != dvDay("2025-02-10") {
				t.Fatalf("unsuccessful versions: %+v", un)
			}
			if e := un[0].Entry; e.Decision != "not_listed" || e.Status != "unsuccessful" || e.ExpiryDate != dvDay("2025-02-09") ||
				e.EndDate != dvDay("2025-02-09") || e.StartDate != dvDay("2020-02-10") || e.Postcode != "AN1 1AA" || e.Reference != "library" {
				t.Errorf("unsuccessful entry: %+v", e)
			}
			for day, want := range map[string]int{"2020-02-09": 0, "2020-02-10": 1, "2025-02-09": 1, "2025-02-10": 0} {
				if got := len(dvAsOf(rows.Register, ListUnsuccessful, dvDay(day))); got != want {
					t.Errorf("unsuccessful list as of %s: %d entries, want %d", day, got, want)
				}
			}
			acv := dvList(rows.Register, ListACV)
			if len(acv) != 1 || acv[0].ValidFrom != dvDay("2021-06-07") || acv[0].ValidTo != dvDay("2026-06-07") {
				t.Fatalf("listing versions: %+v", acv)
			}
		})
	}
	if !reflect.DeepEqual(without.Register, with.Register) {
		t.Errorf("the clock's expiry events changed the register:\nwithout %+v\nwith    %+v", without.Register, with.Register)
	}
	if e := with.Asset; e.Status != "removed" {
		t.Errorf("status after both expiries: %s", e.Status)
	}
}

// s.87(3): an entry lasts 5 years beginning with the date of entry; listed on
// 29 February 2024 it stands to the end of 28 February 2029, and leaves the
// list on 1 March 2029 without waiting for the clock.
func TestDeriveListingExpiresWithoutClock(t *testing.T) {
	without, with := dvLeapDay(t, false).derive(), dvLeapDay(t, true).derive()
	want := []RegisterVersion{{AssetID: "green", Council: "E07000228", List: ListACV, ValidFrom: dvDay("2024-02-29"), ValidTo: dvDay("2029-03-01")}}
	for name, rows := range map[string]AssetRows{"without clock": without, "with clock": with} {
		got := rows.Register
		if len(got) != 1 || got[0].ValidFrom != want[0].ValidFrom || got[0].ValidTo != want[0].ValidTo || got[0].List != ListACV {
			t.Fatalf("%s: versions %+v, want [2024-02-29, 2029-03-01)", name, got)
		}
		if n := len(dvAsOf(got, ListACV, dvDay("2029-02-28"))); n != 1 {
			t.Errorf("%s: not listed on its last day", name)
		}
		if n := len(dvAsOf(got, ListACV, dvDay("2029-03-01"))); n != 0 {
			t.Errorf("%s: still listed the day after its 5 years", name)
		}
	}
	if !reflect.DeepEqual(without.Register, with.Register) {
		t.Errorf("the clock's ListingExpired changed the register")
	}
	// The view's entry says so once the clock has recorded it.
	var view AssetView
	if err := json.Unmarshal(with.Asset.View, &view); err != nil {
		t.Fatal(err)
	}
	if view.Entry == nil || view.Entry.Status != "expired" || view.Entry.RemovalDate != dvDay("2029-03-01") ||
		view.Entry.RemovalReason != "expired" || view.Entry.EndDate != dvDay("2029-02-28") {
		t.Errorf("entry after expiry: %+v", view.Entry)
	}
}

// A removal recorded late, with a day before a version that began after it,
// neither moves a version back nor leaves an empty one: the version is
// clamped and dropped.
func TestDeriveBackdatedRemoval(t *testing.T) {
	s := dvLeapDay(t, false)
	s.do("owner recorded", func(a *domain.Asset) error {
		return a.ChangeOwner(domain.Party{ID: "org-owner", Name: "Green Estates Ltd"}, dvDay("2024-03-01"), dvFar)
	})
	s.do("notice of a wish to sell", func(a *domain.Asset) error {
		return a.ReceiveDisposalNotice(domain.DisposalNotice{ID: "dn1", Owner: domain.Party{ID: "org-owner", Name: "Green Estates Ltd"}, ReceivedOn: dvDay("2025-06-02")}, dvFar)
	})
	s.do("removal backdated before the notice (Regs reg 2(c)(ii))", func(a *domain.Asset) error {
		return a.RemoveFromList(domain.Removal{Reason: domain.RemovedNoCommunityValue, Reasons: "no longer used", RemovedOn: dvDay("2025-05-01")}, dvFar)
	})
	got := s.derive().Register
	if len(got) != 1 || got[0].ValidFrom != dvDay("2024-02-29") || got[0].ValidTo != dvDay("2025-06-02") {
		t.Fatalf("versions %+v, want one [2024-02-29, 2025-06-02)", got)
	}
}

// Every story's register is well formed: no empty versions, no overlaps on a
// list, oldest first.
func TestDeriveRegisterWellFormed(t *testing.T) {
	for name, s := range map[string]*dvStory{"pub": dvPub(t), "library": dvLibrary(t, true), "leap day": dvLeapDay(t, false)} {
		vs := s.derive().Register
		for i, v := range vs {
			if !v.ValidTo.IsZero() && !v.ValidFrom.Before(v.ValidTo) {
				t.Errorf("%s: empty version %+v", name, v)
			}
			if i > 0 && v.ValidFrom.Before(vs[i-1].ValidFrom) {
				t.Errorf("%s: versions out of order at %d", name, i)
			}
			for _, w := range vs[i+1:] {
				if w.List == v.List && (v.ValidTo.IsZero() || w.ValidFrom.Before(v.ValidTo)) {
					t.Errorf("%s: versions overlap: %+v and %+v", name, v, w)
				}
			}
		}
	}
}

// Derive reads no clock: the same history always gives the same rows.
func TestDeriveDeterministic(t *testing.T) {
	s := dvPub(t)
	first := Derive(s.id, domain.DefaultRegimes(), s.recorded())
	second := Derive(s.id, domain.DefaultRegimes(), s.recorded())
	if !reflect.DeepEqual(first, second) {
		t.Fatalf("two derivations differ:\n%s", cmp.Diff(first, second))
	}
}

// What the tables store is what Derive makes, without the asset's view
// and timeline, after every prefix of each story; the timeline made alone
// is Derive's; the nomination counts the tables store are those of the
// asset's view.
func TestDeriveTablesOnly(t *testing.T) {
	for _, s := range []*dvStory{dvPub(t), dvLibrary(t, true), dvLibrary(t, false), dvLeapDay(t, true)} {
		history := s.recorded()
		for k := 0; k <= len(history); k++ {
			full := Derive(s.id, domain.DefaultRegimes(), history[:k])
			got := derive(s.id, domain.DefaultRegimes(), history[:k], withTables)
			if got.Asset.View != nil || got.Timeline != nil {
				t.Errorf("%s, %d events: tables only made a view (%d bytes) or a timeline (%d entries)",
					s.id, k, len(got.Asset.View), len(got.Timeline))
			}
			want := full
			want.Asset.View, want.Timeline = nil, nil
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s, %d events: tables only (-Derive +got):\n%s", s.id, k, diff)
			}
			if tl := timeline(s.id, domain.DefaultRegimes(), history[:k]); !reflect.DeepEqual(tl, full.Timeline) {
				t.Errorf("%s, %d events: the timeline alone differs from Derive's:\n%s", s.id, k, cmp.Diff(full.Timeline, tl))
			}
			var v AssetView
			if err := json.Unmarshal(full.Asset.View, &v); err != nil {
				t.Fatal(err)
			}
			var counts NominationCounts
			for _, n := range v.Nominations {
				counts.add(domain.Outcome(n.Decision))
			}
			if got.Asset.Counts != counts {
				t.Errorf("%s, %d events: counts %+v, the view's %+v", s.id, k, got.Asset.Counts, counts)
			}
		}
	}
}

// Each nomination counts once, and once more under its decision's outcome;
// one undecided counts only as a nomination.
func TestNominationCountsAdd(t *testing.T) {
	var c NominationCounts
	for _, o := range []domain.Outcome{domain.Listed, domain.PartlyListed, domain.NotListed, domain.NotListed, ""} {
		c.add(o)
	}
	if want := (NominationCounts{Nominations: 5, Listed: 1, PartlyListed: 1, NotListed: 2}); c != want {
		t.Errorf("counts = %+v, want %+v", c, want)
	}
}

// Following the log gives what a rebuild gives: every register version that
// ended before event k's day, and every timeline entry up to k, is the same
// in Derive(history[:k]) and Derive(history).
func TestDerivePrefixConsistency(t *testing.T) {
	for name, s := range map[string]*dvStory{"pub": dvPub(t), "library": dvLibrary(t, true)} {
		history := s.recorded()
		full := Derive(s.id, domain.DefaultRegimes(), history)
		for k := 1; k < len(history); k++ {
			part := Derive(s.id, domain.DefaultRegimes(), history[:k])
			next := effective(history[k])
			for _, v := range part.Register {
				if v.ValidTo.IsZero() || !v.ValidTo.Before(next) {
					continue
				}
				found := false
				for _, w := range full.Register {
					found = found || reflect.DeepEqual(v, w)
				}
				if !found {
					t.Errorf("%s: version %+v of the first %d events is not in the full register", name, v, k)
				}
			}
			if !reflect.DeepEqual(part.Timeline, full.Timeline[:k]) {
				t.Errorf("%s: timeline of the first %d events differs:\n%s", name, k, cmp.Diff(part.Timeline, full.Timeline[:k]))
			}
		}
	}
}

// The public never sees personal data: individual owners', occupiers',
// buyers' and bidders' names and addresses, nominators' contact details, the
// 21 electors, a private owner's compensation. Nothing of it is in any row.
func TestDeriveKeepsPersonalDataOut(t *testing.T) {
	rows := dvPub(t).derive()
	b, err := json.Marshal(rows)
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	for _, p := range dvPersonal {
		if strings.Contains(out, p) {
			t.Errorf("personal data %q is in the rows", p)
		}
	}
	// Organisations are public.
	for _, public := range []string{dvFriends.Name, dvSociety.Name, dvTrust.Name, "ACV/2026/001", "£425,000"} {
		if !strings.Contains(out, public) {
			t.Errorf("public %q is missing from the rows", public)
		}
	}
}

// The party rule: a party is named only when it is known to be an
// organisation (see PrivateOwner).
func TestDerivePartyRule(t *testing.T) {
	known := map[string]bool{"org-society": true, "charity-7": true}
	for _, tt := range []struct {
		party domain.Party
		named bool
	}{
		{domain.Party{ID: "person-17", Name: "Mrs Jane Smith"}, false},
		{domain.Party{Name: "Mrs Jane Smith"}, false},
		{domain.Party{ID: "owner-1", Name: "Red Lion Estates Ltd"}, false}, // names are never guessed from
		{domain.Party{ID: "x", Name: "Anytown District Council", PublicBody: true}, true},
		{domain.Party{ID: "org-brewery", Name: "Brewery plc"}, true},
		{domain.Party{ID: "org:42", Name: "Brewery plc"}, true},
		{domain.Party{ID: "GB-COH-01234567", Name: "Pubco Ltd"}, true},
		{domain.Party{ID: "GB-CHC-1098765", Name: "A Charity"}, true},
		{domain.Party{ID: "local-authority:MDS", Name: "Mid Devon"}, true},
		{domain.Party{ID: "charity-7", Name: "Known Charity"}, true}, // a community body of the history
		{domain.Party{ID: "organiser", Name: "Someone"}, false},
	} {
		if got := isOrganisation(tt.party, known); got != tt.named {
			t.Errorf("isOrganisation(%+v) = %v, want %v", tt.party, got, tt.named)
		}
		want := PrivateOwner
		if tt.named {
			want = tt.party.Name
		}
		if got := ownerName(tt.party, known); got != want {
			t.Errorf("ownerName(%+v) = %q, want %q", tt.party, got, want)
		}
	}
	if got := ownerName(domain.Party{}, known); got != "" {
		t.Errorf("no owner shows as %q", got)
	}
}

func TestDerivePostcode(t *testing.T) {
	for _, tt := range []struct {
		land domain.Land
		want string
	}{
		{domain.Land{Postcode: "sw1a1aa"}, "SW1A 1AA"},
		{domain.Land{Postcode: " sw1a   1aa "}, "SW1A 1AA"},
		{domain.Land{Postcode: "M1 1AE", Address: "somewhere else, B33 8TH"}, "M1 1AE"},
		{domain.Land{Address: "1 High Street, Anytown AN1 2BC"}, "AN1 2BC"},
		{domain.Land{Address: "1 High Street, Anytown, cr26xh."}, "CR2 6XH"},
		{domain.Land{Address: "The Green, DN551PT"}, "DN55 1PT"},
		{domain.Land{Address: "1 High Street, Anytown"}, ""},
		{domain.Land{Address: "Unit 12B"}, ""},
		{domain.Land{Postcode: "n/a"}, "N/A"},
		{domain.Land{Postcode: " \t ", Address: "The Green, DN551PT"}, "DN55 1PT"},
	} {
		if got := postcode(tt.land); got != tt.want {
			t.Errorf("postcode(%+v) = %q, want %q", tt.land, got, tt.want)
		}
	}
}

// The asset row and its public view: what GET /v1/assets/{id} serves.
func TestDeriveAssetView(t *testing.T) {
	history := dvPub(t).recorded()
	rows := Derive("red-lion", domain.DefaultRegimes(), history)
	row := rows.Asset
	last := history[len(history)-1]
	if row.ID != "red-lion" || row.Council != "E07000228" || row.Reference != "ACV/2026/001" || row.Name != "The Red Lion" ||
		row.Postcode != "AN1 2BC" || row.UPRN != "100012345678" || row.Category != "pub" || row.Point == nil ||
		row.Status != "removed" || row.Version != last.Version || row.Position != last.Position {
		t.Fatalf("row: %+v", row)
	}
	var v AssetView
	if err := json.Unmarshal(row.View, &v); err != nil {
		t.Fatal(err)
	}
	if v.Owner != PrivateOwner || v.NominatingGroup != dvFriends.Name || v.InterestedGroup != dvSociety.Name || v.Status != "removed" {
		t.Errorf("view: owner %q nominator %q group %q status %q", v.Owner, v.NominatingGroup, v.InterestedGroup, v.Status)
	}
	// Regs reg 7: decided after the 8 weeks, valid but late.
	if len(v.Nominations) != 1 || !v.Nominations[0].DecidedLate || v.Nominations[0].DecisionDue != dvDay("2026-03-01") || v.Nominations[0].NominatorKind != "unincorporated_body" {
		t.Errorf("nominations: %+v", v.Nominations)
	}
	if v.Entry == nil || v.Entry.Status != "removed" || v.Entry.RemovalDate != dvDay("2027-08-15") || v.Entry.RemovalReason != "relevant_disposal" ||
		v.Entry.EndDate != dvDay("2027-08-14") || v.Entry.InterestedGroup != dvSociety.Name {
		t.Errorf("entry: %+v", v.Entry)
	}
	if len(v.Bids) != 2 || v.Bids[0].Bidder != dvSociety.Name || v.Bids[0].AmountPence != 42_500_000 || v.Bids[0].Status != "rejected" ||
		v.Bids[1].Bidder != privateBidder || v.Bids[1].Status != "withdrawn" {
		t.Errorf("bids: %+v", v.Bids)
	}
	if len(v.Disposals) != 1 || v.Disposals[0].Buyer != "" || v.Disposals[0].Kind != "relevant" || v.Disposals[0].InBreach {
		t.Errorf("disposals: %+v", v.Disposals)
	}
	// Clocks carry their status on the day of the last event (4 July 2028).
	status := map[string]string{}
	for _, c := range v.Clocks {
		status[c.Name] = c.Status
		if c.Rule == "" || c.Regime != domain.Localism2012ID {
			t.Errorf("clock without rule or regime: %+v", c)
		}
	}
	for name, want := range map[string]string{"decision": "stopped", "listing": "stopped", "review_request": "stopped",
		"review_decision": "stopped", "appeal": "stopped", "interim_moratorium": "ended", "full_moratorium": "ended",
		"protected_period": "ended", "compensation_review_request": "stopped", "compensation_appeal": "stopped"} {
		if status[name] != want {
			t.Errorf("clock %s: %q, want %q", name, status[name], want)
		}
	}
	if len(rows.Deadlines) != len(v.Clocks) {
		t.Fatalf("%d deadlines for %d clocks", len(rows.Deadlines), len(v.Clocks))
	}
	for _, d := range rows.Deadlines {
		if !d.Closed || d.AssetID != "red-lion" || d.Council != "E07000228" {
			t.Errorf("deadline: %+v", d)
		}
	}
	want := []Moratorium{{AssetID: "red-lion", Council: "E07000228", NoticeID: "dn1", NoticeReceived: dvDay("2027-01-04"),
		InterimEnd: dvDay("2027-02-14"), FullEnd: dvDay("2027-07-03"), ProtectedEnd: dvDay("2028-07-03"), FullMoratorium: true,
		InterestedGroup: dvSociety.Name, Outcome: "sold_after_moratorium"}}
	if diff := cmp.Diff(want, rows.Moratoria); diff != "" {
		t.Errorf("moratoria (-want +got):\n%s", diff)
	}
}

// Open clocks stay open in the rows: whether they are overdue is the
// reader's to work out against today (Regs reg 7).
func TestDeriveOpenDeadline(t *testing.T) {
	s := &dvStory{t: t, id: "hall"}
	s.do("nomination", func(a *domain.Asset) error {
		return a.ReceiveNomination(domain.Nomination{ID: "n1", Council: "E06000001", ReceivedOn: dvDay("2026-01-05"), Nominator: dvFriends,
			Land:    domain.Land{Name: "Village Hall", Description: "Hall", Boundaries: "plan 1", Use: domain.NonResidential},
			Reasons: "meetings", Evidence: "constitution"}, dvFar)
	})
	rows := s.derive()
	if len(rows.Deadlines) != 1 || rows.Deadlines[0].Closed || rows.Deadlines[0].End != dvDay("2026-03-01") || rows.Deadlines[0].Rule != "Regs reg 7" {
		t.Fatalf("deadlines: %+v", rows.Deadlines)
	}
	if rows.Asset.Status != "nominated" || rows.Asset.Reference != "hall" || len(rows.Register) != 0 {
		t.Errorf("row %+v register %+v", rows.Asset, rows.Register)
	}
}

func TestDeriveEmptyHistory(t *testing.T) {
	rows := Derive("nothing", domain.DefaultRegimes(), nil)
	if rows.Asset.ID != "nothing" || rows.Asset.Status != "" || len(rows.Register)+len(rows.Timeline)+len(rows.Deadlines)+len(rows.Moratoria) != 0 {
		t.Fatalf("rows of no history: %+v", rows)
	}
	if !json.Valid(rows.Asset.View) {
		t.Errorf("view: %s", rows.Asset.View)
	}
}

// The pub's rows in full, as a golden file; go test -run Derive -update-derive
// rewrites it.
func TestDeriveGolden(t *testing.T) {
	rows := dvPub(t).derive()
	got, err := json.MarshalIndent(rows, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "derive", "pub.golden.json")
	if *dvUpdate {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update-derive to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("rows changed (-golden +now):\n%s", diff)
	}
}

// BenchmarkDerive derives the pub's 37-event history: the cost of one
// asset's rows on every event it receives, and per asset in a rebuild.
func BenchmarkDerive(b *testing.B) {
	history := dvPub(b).recorded()
	regimes := domain.DefaultRegimes()
	b.ReportAllocs()
	for b.Loop() {
		Derive("red-lion", regimes, history)
	}
}

// TestNormalPostcodeIsThePattern: normalPostcode, which reads ASCII text
// by hand, gives what postcodePattern gives every text: the postcodes of
// every shape, in any case and spacing, and a million random strings of
// their characters, white space and others (Unicode's too), whole or cut.
func TestNormalPostcodeIsThePattern(t *testing.T) {
	check := func(s string) {
		t.Helper()
		got, gotOK := normalPostcode(s)
		want, wantOK := patternPostcode(s)
		if got != want || gotOK != wantOK {
			t.Fatalf("normalPostcode(%q) = %q, %v; the pattern gives %q, %v", s, got, gotOK, want, wantOK)
		}
	}
	matched := 0
	for _, s := range []string{"SW1A 1AA", "sw1a1aa", " M1 1AE ", "B33 8TH", "CR2 6XH", "DN55 1PT", "W1A 0AX", "EC1A 1BB",
		"M1\t1AE", "M1\n\v\f\r1AE", "M1\u00a01AE", "ſw1a 1aa", "Ｍ1 1AE", "", "A", "AA9A9AA", "AA9A9AAA", "A9AA", "9A 9AA", "AAA9 9AA"} {
		check(s)
		if _, ok := normalPostcode(s); ok {
			matched++
		}
	}
	chars := []rune("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 \t\n\v\f\r-.,é\u00a0\u2003ſK")
	r := rand.New(rand.NewPCG(11, 11))
	for range 1_000_000 {
		b := make([]rune, r.IntN(10))
		for i := range b {
			switch r.IntN(3) {
			case 0:
				b[i] = rune('A' + r.IntN(26))
			case 1:
				b[i] = rune('0' + r.IntN(10))
			default:
				b[i] = chars[r.IntN(len(chars))]
			}
		}
		check(string(b))
		if _, ok := normalPostcode(string(b)); ok {
			matched++
		}
	}
	if matched < 1000 {
		t.Fatalf("%d strings were postcodes: too few for the comparison to mean much", matched)
	}
}
