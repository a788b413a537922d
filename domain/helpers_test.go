package domain_test

import (
	"errors"
	"testing"

	"github.com/acv-registry/acv/domain"
)

// far is a "today" far enough ahead that no setup date is in the future.
var far = day("2045-01-01")

func day(s string) domain.Date {
	d, err := domain.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

var (
	owner        = domain.Party{ID: "owner-1", Name: "Red Lion Estates Ltd", Address: "1 High Street, Anytown"}
	newOwner     = domain.Party{ID: "owner-2", Name: "New Owner Ltd"}
	stranger     = domain.Party{ID: "someone-else", Name: "A Neighbour"}
	friends      = domain.Body{ID: "org-friends", Name: "Friends of the Red Lion", Kind: domain.UnincorporatedBody, LocalConnection: true, LocalElectorMembers: 25}
	society      = domain.Body{ID: "org-society", Name: "Red Lion Community Benefit Society", Kind: domain.CooperativeSociety, LocalConnection: true}
	forum        = domain.Body{ID: "org-forum", Name: "Anytown Neighbourhood Forum", Kind: domain.NeighbourhoodForum, LocalConnection: true}
	anyRecipient = []domain.Recipient{{Role: domain.ToOwner, Party: owner}}
)

func nomination(id string, received domain.Date) domain.Nomination {
	return domain.Nomination{
		ID:         id,
		Council:    "E07000228",
		ReceivedOn: received,
		Nominator:  friends,
		Land: domain.Land{
			Name:        "The Red Lion",
			Description: "Public house with car park and beer garden",
			Boundaries:  "POLYGON((0 0, 1 0, 1 1, 0 1, 0 0))",
			Address:     "1 High Street, Anytown",
			UPRN:        "100012345678",
			Use:         domain.PartlyResidential,
		},
		Occupants:   []domain.Party{{Name: "The Landlord"}},
		Interests:   []domain.Interest{{Holder: owner, Estate: domain.Freehold}},
		Owner:       owner,
		Reasons:     "The only pub in the village; hosts the darts league and the parish meetings",
		Evidence:    "Constitution and list of 25 members on the electoral roll",
		LocalExtras: map[string]string{"constitution_ref": "DOC-1"},
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// nominated returns an asset with one nomination received on received.
func nominated(t *testing.T, received domain.Date) *domain.Asset {
	t.Helper()
	a := domain.NewAsset("a1", domain.DefaultRegimes())
	must(t, a.ReceiveNomination(nomination("n1", received), far))
	return a
}

// listed returns an asset listed on entered by nomination n1, with notice of
// listing given on the same day.
func listed(t *testing.T, entered domain.Date) *domain.Asset {
	t.Helper()
	a := nominated(t, entered.AddDays(-30))
	must(t, a.DecideNomination("n1", domain.Decision{Outcome: domain.Listed, DecidedOn: entered}, far))
	must(t, a.GiveNotice(domain.Notice{ID: "notice-listing", Kind: domain.ListingNotice, Subject: "n1", Recipients: anyRecipient, Method: domain.ByPost, GivenOn: entered}, far))
	return a
}

// withDisposalNotice returns an asset listed a year before received, with the
// owner's notice received on received.
func withDisposalNotice(t *testing.T, received domain.Date) *domain.Asset {
	t.Helper()
	a := listed(t, received.AddDays(-365))
	must(t, a.ReceiveDisposalNotice(domain.DisposalNotice{ID: "dn1", Owner: owner, ReceivedOn: received}, far))
	return a
}

// rebuilt replays the asset's pending events into a fresh asset, so a test
// sees only what its command raises.
func rebuilt(t *testing.T, a *domain.Asset) *domain.Asset {
	t.Helper()
	return domain.Rebuild(a.ID(), domain.DefaultRegimes(), a.Pending())
}

// wantRule fails unless err is a *RuleError citing rule (when rule is not "").
func wantRule(t *testing.T, err error, rule string) {
	t.Helper()
	var rerr *domain.RuleError
	if !errors.As(err, &rerr) {
		t.Fatalf("error = %v, want a *RuleError citing %q", err, rule)
	}
	if rule != "" && rerr.Rule != rule {
		t.Fatalf("rule = %q, want %q (%v)", rerr.Rule, rule, err)
	}
}

// wantInvalid fails unless err is a *ValidationError for field.
func wantInvalid(t *testing.T, err error, field string) {
	t.Helper()
	var verr *domain.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("error = %v, want a *ValidationError for %q", err, field)
	}
	if field != "" && verr.Field != field {
		t.Fatalf("field = %q, want %q (%v)", verr.Field, field, err)
	}
}

// check runs want against err: nil wants success, "invalid:field" a
// validation error, "notfound" ErrNotFound, anything else a rule citation
// ("rule:" prefix or the bare citation).
func check(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "":
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
	case want == "notfound":
		if !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("error = %v, want ErrNotFound", err)
		}
	case len(want) > 8 && want[:8] == "invalid:":
		wantInvalid(t, err, want[8:])
	case want == "rule":
		wantRule(t, err, "")
	default:
		wantRule(t, err, want)
	}
}

// last returns the last pending event.
func last(a *domain.Asset) domain.Event {
	p := a.Pending()
	if len(p) == 0 {
		return nil
	}
	return p[len(p)-1]
}
