package clock_test

import (
	"context"
	"testing"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
)

// The council's side of the simulated year: assets whose histories start
// their statutory clocks, some backdated, some written during the year.

var (
	council  = eventstore.Actor{Org: "E07000228", Role: "council_officer"}
	owner    = domain.Party{ID: "owner-1", Name: "Red Lion Estates Ltd", Address: "1 High Street, Anytown"}
	friends  = domain.Body{ID: "org-friends", Name: "Friends of the Red Lion", Kind: domain.CommunityInterestCompany, LocalConnection: true}
	society  = domain.Body{ID: "org-society", Name: "Red Lion Community Benefit Society", Kind: domain.CooperativeSociety, LocalConnection: true}
	toOwner  = []domain.Recipient{{Role: domain.ToOwner, Party: owner}}
	localism = domain.Localism2012()
)

// command is one council command on an asset, run with today.
type command func(a *domain.Asset, today domain.Date) error

// write is a council write at an instant.
type write struct {
	at  time.Time
	cmd command
}

// want is a clock event a story expects, with the rule that makes it due.
type want struct {
	typ     string
	subject string
	lastDay string
	rule    string
}

// story is one asset: the writes the council makes and the clock events the
// year must append for it.
type story struct {
	asset  string
	writes []write
	wants  []want
}

// firstWrite returns when the story's asset was first written.
func (s story) firstWrite() time.Time { return s.writes[0].at }

// appendAt returns when the clock event w must be appended: at 00:00 in
// England on the day after the last day of its period, or at once if the
// council recorded the asset only later (a backdated history).
func (s story) appendAt(w want) time.Time {
	due := day(w.lastDay).AddDays(1).StartIn()
	if first := s.firstWrite(); first.After(due) {
		return first
	}
	return due
}

// run makes the write on asset id with the store's clock at w.at.
func (h *harness) run(t testing.TB, id string, w write) {
	t.Helper()
	ctx := eventstore.WithActor(context.Background(), council)
	today := domain.DateOf(w.at)
	fn := func(a *domain.Asset) error { return w.cmd(a, today) }
	var err error
	if _, lerr := h.assets.Load(ctx, id); lerr != nil {
		_, err = h.assets.Create(ctx, id, fn)
	} else {
		_, err = h.assets.Update(ctx, id, -1, fn)
	}
	if err != nil {
		t.Fatalf("write to %s at %s: %v", id, w.at, err)
	}
}

func nominate(id string, received string) command {
	return func(a *domain.Asset, today domain.Date) error {
		return a.ReceiveNomination(domain.Nomination{
			ID: id, Council: "E07000228", ReceivedOn: day(received), Nominator: friends,
			Land: domain.Land{Name: "The Red Lion", Description: "Public house with garden",
				Boundaries: "the pub and its garden", Address: "1 High Street, Anytown", Use: domain.PartlyResidential},
			Interests: []domain.Interest{{Holder: owner, Estate: domain.Freehold}},
			Owner:     owner, Reasons: "the village's only pub", Evidence: "articles of association",
		}, today)
	}
}

// list decides nomination id listed on entered and gives notice of listing
// the same day.
func list(id, entered string) command {
	return func(a *domain.Asset, today domain.Date) error {
		err := a.DecideNomination(id, domain.Decision{Outcome: domain.Listed, DecidedOn: day(entered)}, today)
		if err != nil {
			return err
		}
		return a.GiveNotice(domain.Notice{ID: "listing-" + id, Kind: domain.ListingNotice, Subject: id,
			Recipients: toOwner, Method: domain.ByPost, GivenOn: day(entered)}, today)
	}
}

func refuse(id, decided string) command {
	return func(a *domain.Asset, today domain.Date) error {
		return a.DecideNomination(id, domain.Decision{Outcome: domain.NotListed, Reasons: "no community use", DecidedOn: day(decided)}, today)
	}
}

func requestReview(id, received string) command {
	return func(a *domain.Asset, today domain.Date) error {
		return a.RequestReview(domain.ReviewRequest{ID: id, Requester: owner, ReceivedOn: day(received)}, today)
	}
}

func disposalNotice(id, received string) command {
	return func(a *domain.Asset, today domain.Date) error {
		return a.ReceiveDisposalNotice(domain.DisposalNotice{ID: id, Owner: owner, ReceivedOn: day(received)}, today)
	}
}

func bidderRequest(id, received string) command {
	return func(a *domain.Asset, today domain.Date) error {
		return a.ReceiveBidderRequest(domain.BidderRequest{ID: id, Group: society, ReceivedOn: day(received)}, today)
	}
}

func removeEarly(on string) command {
	return func(a *domain.Asset, today domain.Date) error {
		return a.RemoveFromList(domain.Removal{Reason: domain.RemovedNoCommunityValue, Reasons: "the pub closed for good", RemovedOn: day(on)}, today)
	}
}

// backdated runs commands at the start of the year, as if the council had
// just migrated its register into the registry.
func backdated(cmds ...command) []write {
	ws := make([]write, len(cmds))
	for i, c := range cmds {
		ws[i] = write{at: yearStart, cmd: c}
	}
	return ws
}

// on runs a command at 10:00 London time on day d.
func on(d string, c command) write {
	x := day(d)
	return write{at: london(x.Year(), x.Month(), x.Day(), 10, 0, 0), cmd: c}
}

var yearStart = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)

// In 2027 the clocks go forward at 01:00 UTC on Sunday 28 March and back at
// 01:00 UTC on Sunday 31 October. Periods ending on the Saturday before are
// due at 00:00 on the Sunday: 00:00 UTC in March (still GMT) and 23:00 UTC
// on Saturday in October (still BST). Periods ending on the Sunday itself
// are due at 23:00 UTC on 28 March (BST has begun) and 00:00 UTC on
// 1 November (GMT again).
func stories() []story {
	return []story{
		{"decided-in-time", []write{on("2027-02-01", nominate("n1", "2027-02-01")), on("2027-03-01", list("n1", "2027-03-01"))}, nil},
		{"overdue-spring-eve", []write{on("2027-01-31", nominate("n1", "2027-01-31"))},
			[]want{{domain.TypeNominationDecisionOverdue, "n1", "2027-03-27", localism.Decision.Rule}}},
		{"overdue-autumn-eve", []write{on("2027-09-05", nominate("n1", "2027-09-05"))},
			[]want{{domain.TypeNominationDecisionOverdue, "n1", "2027-10-30", localism.Decision.Rule}}},
		{"overdue-backdated", []write{{london(2027, 6, 10, 12, 0, 0), nominate("n1", "2027-04-01")}},
			[]want{{domain.TypeNominationDecisionOverdue, "n1", "2027-05-26", localism.Decision.Rule}}},
		{"expiry-spring-eve", backdated(nominate("n1", "2022-02-01"), list("n1", "2022-03-28")),
			[]want{{domain.TypeListingExpired, "n1", "2027-03-27", localism.Listing.Rule}}},
		{"expiry-spring-day", backdated(nominate("n1", "2022-02-10"), list("n1", "2022-03-29")),
			[]want{{domain.TypeListingExpired, "n1", "2027-03-28", localism.Listing.Rule}}},
		{"expiry-autumn-eve", backdated(nominate("n1", "2022-09-15"), list("n1", "2022-10-31")),
			[]want{{domain.TypeListingExpired, "n1", "2027-10-30", localism.Listing.Rule}}},
		{"expiry-autumn-day", backdated(nominate("n1", "2022-09-15"), list("n1", "2022-11-01")),
			[]want{{domain.TypeListingExpired, "n1", "2027-10-31", localism.Listing.Rule}}},
		{"removed-early", append(backdated(nominate("n1", "2022-05-01"), list("n1", "2022-06-01")),
			on("2027-02-01", removeEarly("2027-02-01"))), nil},
		{"unsuccessful-spring-eve", backdated(nominate("n1", "2022-02-01"), refuse("n1", "2022-03-28")),
			[]want{{domain.TypeUnsuccessfulEntryExpired, "n1", "2027-03-27", localism.UnsuccessfulEntry.Rule}}},
		{"unsuccessful-autumn-eve", backdated(nominate("n1", "2022-09-15"), refuse("n1", "2022-10-31")),
			[]want{{domain.TypeUnsuccessfulEntryExpired, "n1", "2027-10-30", localism.UnsuccessfulEntry.Rule}}},
		{"review-autumn-day", []write{on("2027-06-15", nominate("n1", "2027-06-15")), on("2027-08-01", list("n1", "2027-08-01")),
			on("2027-09-06", requestReview("rv1", "2027-09-06"))},
			[]want{{domain.TypeReviewDecisionOverdue, "rv1", "2027-10-31", localism.ReviewDecision.Rule}}},
		{"interim-spring-day", append(backdated(nominate("n1", "2025-05-01"), list("n1", "2025-06-01")),
			on("2027-02-15", disposalNotice("dn1", "2027-02-15"))),
			[]want{{domain.TypeInterimMoratoriumEnded, "dn1", "2027-03-28", localism.InterimMoratorium.Rule}}},
		{"full-spring-eve", backdated(nominate("n1", "2025-05-01"), list("n1", "2025-06-01"),
			disposalNotice("dn1", "2026-09-28"), bidderRequest("r1", "2026-10-01")),
			[]want{
				{domain.TypeInterimMoratoriumEnded, "dn1", "2026-11-08", localism.InterimMoratorium.Rule},
				{domain.TypeFullMoratoriumEnded, "dn1", "2027-03-27", localism.FullMoratorium.Rule},
			}},
		{"full-autumn-day", append(backdated(nominate("n1", "2025-05-01"), list("n1", "2025-06-01")),
			on("2027-05-01", disposalNotice("dn1", "2027-05-01")), on("2027-05-10", bidderRequest("r1", "2027-05-10"))),
			[]want{
				{domain.TypeInterimMoratoriumEnded, "dn1", "2027-06-11", localism.InterimMoratorium.Rule},
				{domain.TypeFullMoratoriumEnded, "dn1", "2027-10-31", localism.FullMoratorium.Rule},
			}},
		{"protected-spring-eve", backdated(nominate("n1", "2025-05-01"), list("n1", "2025-06-01"), disposalNotice("dn1", "2025-09-28")),
			[]want{
				{domain.TypeInterimMoratoriumEnded, "dn1", "2025-11-08", localism.InterimMoratorium.Rule},
				{domain.TypeProtectedPeriodEnded, "dn1", "2027-03-27", localism.ProtectedPeriod.Rule},
			}},
		{"protected-autumn-day", backdated(nominate("n1", "2025-05-01"), list("n1", "2025-06-01"),
			disposalNotice("dn1", "2026-05-01"), bidderRequest("r1", "2026-05-05")),
			[]want{
				{domain.TypeInterimMoratoriumEnded, "dn1", "2026-06-11", localism.InterimMoratorium.Rule},
				{domain.TypeFullMoratoriumEnded, "dn1", "2026-10-31", localism.FullMoratorium.Rule},
				{domain.TypeProtectedPeriodEnded, "dn1", "2027-10-31", localism.ProtectedPeriod.Rule},
			}},
	}
}
