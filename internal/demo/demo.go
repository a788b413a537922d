// Package demo seeds a small, realistic registry - three councils and a
// dozen assets spread across the lifecycle - so that a newcomer running
// `acv serve --demo` sees a living registry at once. Every fact goes
// through the domain's commands, so the demo obeys the law like real data;
// dates are relative to today, so its clocks are live.
package demo

import (
	"context"
	"fmt"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
)

// The demo's councils.
const (
	MidSussex   = "E07000228"
	Westminster = "E09000033"
	Stockport   = "E08000007"
)

// asset is one demo asset: its land, its nominator, and what happened to it.
type asset struct {
	council string
	land    domain.Land
	group   domain.Body
	owner   domain.Party
	story   func(s *step) error
}

// step runs one asset's story on the aggregate, one command per call; the
// whole story is then saved in one append.
type step struct {
	asset *domain.Asset
	today domain.Date
	newID func() string
	a     asset
}

func (s *step) do(fn func(a *domain.Asset) error) error { return fn(s.asset) }

func (s *step) ago(days int) domain.Date { return s.today.AddDays(-days) }

// nominate records a nomination received days ago and returns its id.
func (s *step) nominate(days int) (string, error) {
	nid := s.newID()
	return nid, s.asset.ReceiveNomination(domain.Nomination{
		ID: nid, Council: s.a.council, ReceivedOn: s.ago(days), Nominator: s.a.group, Land: s.a.land,
		Owner: s.a.owner, Interests: []domain.Interest{{Holder: s.a.owner, Estate: domain.Freehold}},
		Reasons:  "Used every week by local clubs and societies; the community wants it to continue.",
		Evidence: "Articles of association and a statement of local activities.",
	}, s.today)
}

// list decides the nomination listed days ago and gives notice of listing.
func (s *step) list(nid string, days int) error {
	return s.do(func(a *domain.Asset) error {
		if err := a.DecideNomination(nid, domain.Decision{Outcome: domain.Listed, DecidedOn: s.ago(days)}, s.today); err != nil {
			return err
		}
		return a.GiveNotice(domain.Notice{ID: s.newID(), Kind: domain.ListingNotice, Subject: nid,
			Recipients: []domain.Recipient{{Role: domain.ToOwner, Party: s.a.owner}, {Role: domain.ToNominator, Party: domain.Party{ID: s.a.group.ID, Name: s.a.group.Name}}},
			Method:     domain.ByPost, GivenOn: s.ago(days)}, s.today)
	})
}

// notice records the owner's notice of a wish to dispose, days ago.
func (s *step) notice(days int) (string, error) {
	id := s.newID()
	return id, s.do(func(a *domain.Asset) error {
		return a.ReceiveDisposalNotice(domain.DisposalNotice{ID: id, Owner: s.a.owner, ReceivedOn: s.ago(days)}, s.today)
	})
}

// bidderRequest records a request from the asset's group, days ago.
func (s *step) bidderRequest(days int) (string, error) {
	id := s.newID()
	return id, s.do(func(a *domain.Asset) error {
		return a.ReceiveBidderRequest(domain.BidderRequest{ID: id, Group: s.a.group, ReceivedOn: s.ago(days)}, s.today)
	})
}

// Seed writes the demo through assets, with today as the current date and
// newID making every id. It is meant for an empty store; it fails on the
// first command the law refuses, naming the asset.
func Seed(ctx context.Context, assets *eventstore.Assets, today domain.Date, newID func() string) error {
	ctx = eventstore.WithActor(ctx, eventstore.Actor{Org: "demo", Role: "council_officer"})
	for _, a := range demoAssets() {
		s := &step{today: today, newID: newID, a: a}
		_, err := assets.Create(ctx, newID(), func(asset *domain.Asset) error {
			s.asset = asset
			return a.story(s)
		})
		if err != nil {
			return fmt.Errorf("demo asset %q: %w", a.land.Name, err)
		}
	}
	return nil
}

func pub(name, address, postcode string, lat, lon float64) domain.Land {
	return domain.Land{Name: name, Description: "Public house with a function room and garden", Boundaries: "the building, car park and garden",
		Address: address, Postcode: postcode, Use: domain.PartlyResidential, Category: "pub", Point: &domain.Point{Lat: lat, Lon: lon}}
}

func place(name, category, address, postcode string, lat, lon float64) domain.Land {
	return domain.Land{Name: name, Description: "A " + category + " used by the local community", Boundaries: "as shown on the nomination plan",
		Address: address, Postcode: postcode, Use: domain.NonResidential, Category: category, Point: &domain.Point{Lat: lat, Lon: lon}}
}

func group(id, name string, kind domain.BodyKind) domain.Body {
	b := domain.Body{ID: id, Name: name, Kind: kind, LocalConnection: true}
	if kind == domain.UnincorporatedBody {
		b.LocalElectorMembers = 34
	}
	return b
}

func company(id, name string) domain.Party { return domain.Party{ID: id, Name: name} }
