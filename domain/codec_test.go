package domain_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/acv-registry/acv/domain"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/events")

// samples returns one fully populated event of every type.
func samples() []domain.Event {
	d := day("2026-03-02")
	group := society
	return []domain.Event{
		domain.NominationReceived{AssetID: "a1", NominationID: "n1", Regime: "localism-2012", Council: "E07000228", ReceivedOn: d,
			Nominator: friends, Land: nomination("n1", d).Land, Occupants: []domain.Party{{Name: "The Landlord"}},
			Interests: []domain.Interest{{Holder: owner, Estate: domain.Freehold}, {Holder: newOwner, Estate: domain.Leasehold, LeaseTermYears: 99}},
			Owner:     owner, Reasons: "the only pub in the village", Evidence: "constitution", LocalExtras: map[string]string{"constitution_ref": "DOC-1"}},
		domain.NominationDecided{AssetID: "a1", NominationID: "n1", Outcome: domain.PartlyListed, Reasons: "car park excluded", ListedPart: "the pub and garden", DecidedOn: d, EnteredOn: d.AddDays(1)},
		domain.NominationDecisionOverdue{AssetID: "a1", NominationID: "n1", DueOn: d},
		domain.NoticeGiven{AssetID: "a1", NoticeID: "x1", Kind: domain.ListingNotice, Subject: "n1",
			Recipients: []domain.Recipient{{Role: domain.ToOwner, Party: owner}, {Role: domain.ToPublic, Party: domain.Party{Name: "site notice"}}}, Method: domain.ByPost, GivenOn: d},
		domain.ReviewRequested{AssetID: "a1", ReviewID: "rv1", NominationID: "n1", Requester: owner, ReceivedOn: d, OralHearing: true},
		domain.ReviewRequestWindowExtended{AssetID: "a1", NominationID: "n1", Until: d.AddDays(70), ExtendedOn: d},
		domain.ReviewDecisionPeriodAgreed{AssetID: "a1", ReviewID: "rv1", Until: d.AddDays(80), AgreedOn: d},
		domain.ReviewDecided{AssetID: "a1", ReviewID: "rv1", Outcome: domain.ReviewUpheld, Reasons: "use continues", DecidedOn: d, SentOn: d.AddDays(2)},
		domain.ReviewDecisionOverdue{AssetID: "a1", ReviewID: "rv1", DueOn: d},
		domain.AppealLodged{AssetID: "a1", AppealID: "ap1", ReviewID: "rv1", CaseNumber: "CR/2018/0003", Appellant: owner, LodgedOn: d, TimeExtended: true},
		domain.AppealDecided{AssetID: "a1", AppealID: "ap1", Outcome: domain.AppealAllowed, DecidedOn: d},
		domain.RemovedFromList{AssetID: "a1", NominationID: "n1", Reason: domain.RemovedOnAppeal, Ref: "ap1", Reasons: "tribunal allowed the appeal", RemovedOn: d},
		domain.ListingExpired{AssetID: "a1", NominationID: "n1", LastDay: d},
		domain.UnsuccessfulEntryExpired{AssetID: "a1", NominationID: "n1", LastDay: d},
		domain.DisposalNoticeReceived{AssetID: "a1", NoticeID: "dn1", Regime: "localism-2012", Owner: owner, ReceivedOn: d},
		domain.BidderRequestReceived{AssetID: "a1", RequestID: "r1", NoticeID: "dn1", Group: forum, ReceivedOn: d, Status: domain.RequestRejected, Rule: "Regs reg 12", Reason: "a neighbourhood forum is not a community interest group"},
		domain.InterimMoratoriumEnded{AssetID: "a1", NoticeID: "dn1", LastDay: d},
		domain.FullMoratoriumEnded{AssetID: "a1", NoticeID: "dn1", LastDay: d},
		domain.ProtectedPeriodEnded{AssetID: "a1", NoticeID: "dn1", LastDay: d},
		domain.BidSubmitted{AssetID: "a1", BidID: "b1", NoticeID: "dn1", RequestID: "r1", Bidder: domain.Party{ID: society.ID, Name: society.Name}, AmountPence: 45_000_000, Terms: "subject to survey", SubmittedOn: d},
		domain.BidStatusChanged{AssetID: "a1", BidID: "b1", Status: domain.BidAccepted, ChangedOn: d},
		domain.MoratoriumOutcomeRecorded{AssetID: "a1", NoticeID: "dn1", Outcome: domain.SoldToCIG, OutcomeOn: d},
		domain.DisposalRecorded{AssetID: "a1", DisposalID: "d1", NoticeID: "dn1", Kind: domain.ExemptDisposal, Exemption: domain.ExemptPriorObligation,
			Seller: owner, Buyer: newOwner, BuyerGroup: &group, ObligationMadeOn: d.AddDays(-400), DisposedOn: d, InBreach: true, Rule: "Regs Sch 3", Reason: "the option was made after listing"},
		domain.OwnerChanged{AssetID: "a1", Owner: newOwner, Previous: owner, ChangedOn: d},
		domain.CompensationClaimed{AssetID: "a1", ClaimID: "c1", NominationID: "n1", Claimant: owner, LossIncurredOn: d.AddDays(-10), ReceivedOn: d,
			Parts: []domain.ClaimPart{{Description: "delay", AmountPence: 1_000_000}, {Description: "legal costs", AmountPence: 250_000}}, Evidence: "invoices"},
		domain.CompensationDecided{AssetID: "a1", ClaimID: "c1", AwardPence: 400_000, Reasons: "part of the delay", DecidedOn: d},
		domain.CompensationReviewRequested{AssetID: "a1", ClaimID: "c1", ReceivedOn: d},
		domain.CompensationReviewWindowExtended{AssetID: "a1", ClaimID: "c1", Until: d.AddDays(60), ExtendedOn: d},
		domain.CompensationReviewDecided{AssetID: "a1", ClaimID: "c1", AwardPence: 600_000, Reasons: "more of the delay", DecidedOn: d},
		domain.CompensationAppealLodged{AssetID: "a1", ClaimID: "c1", CaseNumber: "CR/2027/0101", LodgedOn: d, TimeExtended: true},
		domain.CompensationAppealDecided{AssetID: "a1", ClaimID: "c1", Outcome: domain.AppealAllowed, AwardPence: 900_000, DecidedOn: d},
	}
}

// Every stored event type has a golden file, and its payload matches it.
func TestEventGoldenFiles(t *testing.T) {
	var seen []string
	for _, e := range samples() {
		typ, data, err := domain.MarshalEvent(e)
		if err != nil {
			t.Fatalf("marshal %T: %v", e, err)
		}
		seen = append(seen, typ)
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, data, "", "  "); err != nil {
			t.Fatal(err)
		}
		pretty.WriteByte('\n')
		path := filepath.Join("testdata", "events", typ+".golden.json")
		if *update {
			if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v (run go test ./domain -run Golden -update)", typ, err)
		}
		if diff := cmp.Diff(string(want), pretty.String()); diff != "" {
			t.Errorf("%s payload changed; stored events are a contract (-golden +now):\n%s", typ, diff)
		}
	}
	sort.Strings(seen)
	if diff := cmp.Diff(domain.EventTypes(), seen); diff != "" {
		t.Errorf("samples do not cover every event type (-registered +sampled):\n%s", diff)
	}
}

// Every event type round-trips through the codec, and its stored name is a
// constant "acv.<name>.v<N>", never a Go type name.
func TestEventRoundTrip(t *testing.T) {
	for _, e := range samples() {
		typ, data, err := domain.MarshalEvent(e)
		if err != nil {
			t.Fatal(err)
		}
		got, err := domain.UnmarshalEvent(typ, data)
		if err != nil {
			t.Fatalf("unmarshal %s: %v", typ, err)
		}
		if diff := cmp.Diff(e, got); diff != "" {
			t.Errorf("%s round trip (-want +got):\n%s", typ, diff)
		}
		if !bytes.HasPrefix([]byte(typ), []byte("acv.")) || !bytes.Contains([]byte(typ), []byte(".v")) {
			t.Errorf("type name %q is not a versioned acv name", typ)
		}
		if e.EffectiveOn().IsZero() {
			t.Errorf("%s has no effective date", typ)
		}
	}
}

func TestUnknownEventTypesFailLoudly(t *testing.T) {
	if _, err := domain.UnmarshalEvent("acv.asset-teleported.v1", []byte(`{}`)); !errors.Is(err, domain.ErrUnknownEventType) {
		t.Errorf("unknown type: error = %v, want ErrUnknownEventType", err)
	}
	if _, err := domain.UnmarshalEvent(domain.TypeNominationReceived, []byte(`{"received_on":"2026-02-30"}`)); err == nil {
		t.Error("an impossible date decoded")
	}
	if _, _, err := domain.MarshalEvent(nil); err == nil {
		t.Error("nil event marshalled")
	}
	if _, _, err := domain.MarshalEvent(unknownEvent{}); !errors.Is(err, domain.ErrUnknownEventType) {
		t.Errorf("unregistered event: error = %v", err)
	}
}

type unknownEvent struct{}

func (unknownEvent) EventType() string        { return "acv.unknown.v1" }
func (unknownEvent) EffectiveOn() domain.Date { return domain.Date{} }

// A stream read back from storage rebuilds the same asset as the live one.
func TestRebuildFromStoredEvents(t *testing.T) {
	a := inFull(t)
	must(t, a.SubmitBid(domain.Bid{ID: "b1", Bidder: domain.Party{Name: society.Name}, RequestID: "r1", AmountPence: 1, SubmittedOn: day("2027-03-01")}, far))
	var stored []domain.Event
	for _, e := range a.Pending() {
		typ, data, err := domain.MarshalEvent(e)
		must(t, err)
		back, err := domain.UnmarshalEvent(typ, data)
		must(t, err)
		stored = append(stored, back)
	}
	b := domain.Rebuild("a1", domain.DefaultRegimes(), stored)
	if diff := cmp.Diff(a.Clocks(far), b.Clocks(far)); diff != "" {
		t.Errorf("clocks differ after storage (-live +stored):\n%s", diff)
	}
	if diff := cmp.Diff(a.Moratoria(), b.Moratoria()); diff != "" {
		t.Errorf("moratoria differ after storage (-live +stored):\n%s", diff)
	}
	if b.Version() != int64(len(stored)) {
		t.Errorf("version %d", b.Version())
	}
}

// TestFoldEqualsRebuild: folding a history one event at a time gives the
// same asset as rebuilding every prefix.
func TestFoldEqualsRebuild(t *testing.T) {
	a := listed(t, day("2026-01-10"))
	history := a.Pending()
	folded := domain.NewAsset("a1", domain.DefaultRegimes())
	for i, e := range history {
		folded.Fold(e)
		want := domain.Rebuild("a1", domain.DefaultRegimes(), history[:i+1])
		// Compared through what the asset shows: its state holds pointers
		// and a regime's funcs, which no deep comparison finds equal.
		if got, exp := shown(folded), shown(want); got != exp {
			t.Fatalf("after %d events:\nfolded  %s\nrebuilt %s", i+1, got, exp)
		}
	}
}

// shown prints everything an asset's read accessors return.
func shown(a *domain.Asset) string {
	owner, _ := a.Owner()
	b, err := json.Marshal([]any{a.Version(), a.Status(), owner, a.Nominations(), a.Entries(), a.Reviews(),
		a.Appeals(), a.Moratoria(), a.Disposals(), a.Claims(), a.Clocks(far)})
	if err != nil {
		panic(err)
	}
	return string(b)
}
