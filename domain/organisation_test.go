package domain_test

import (
	"errors"
	"testing"
	"time"

	"github.com/acv-registry/acv/domain"
)

var orgAt = time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)

func TestOrganisationRegister(t *testing.T) {
	group := domain.OrganisationDetails{Name: "Friends of the Red Lion", LegalForm: domain.Charity,
		RegisteredNumbers: []domain.RegisteredNumber{{Register: "charity", Number: "1234567"}}, Serves: []string{"E07000228"}}
	for _, tt := range []struct {
		name      string
		id        string
		kind      domain.OrganisationKind
		details   domain.OrganisationDetails
		wantField string
	}{
		{"council", "E07000239", domain.KindCouncil, domain.OrganisationDetails{Name: "Wyre Forest District Council", Neighbours: []string{"E07000234"}}, ""},
		{"group", "org-friends", domain.KindCommunityGroup, group, ""},
		{"owner", "org-brewery", domain.KindOwner, domain.OrganisationDetails{Name: "Brewery Ltd"}, ""},
		{"council with an org id", "org-x", domain.KindCouncil, domain.OrganisationDetails{Name: "X"}, "id"},
		{"group with a council code", "E07000228", domain.KindCommunityGroup, group, "id"},
		{"unknown kind", "org-x", "person", domain.OrganisationDetails{Name: "X"}, "kind"},
		{"no name", "org-x", domain.KindOwner, domain.OrganisationDetails{}, "name"},
		{"own neighbour", "E07000239", domain.KindCouncil, domain.OrganisationDetails{Name: "W", Neighbours: []string{"E07000239"}}, "neighbours"},
		{"bad neighbour", "E07000239", domain.KindCouncil, domain.OrganisationDetails{Name: "W", Neighbours: []string{"Kent"}}, "neighbours[0]"},
		{"group without legal form", "org-x", domain.KindCommunityGroup, domain.OrganisationDetails{Name: "X"}, "legal_form"},
		{"individual is no group", "org-x", domain.KindCommunityGroup, domain.OrganisationDetails{Name: "X", LegalForm: domain.Individual}, "legal_form"},
		{"owner serving areas", "org-x", domain.KindOwner, domain.OrganisationDetails{Name: "X", Serves: []string{"E07000228"}}, "serves"},
		{"bad register", "org-x", domain.KindOwner, domain.OrganisationDetails{Name: "X", RegisteredNumbers: []domain.RegisteredNumber{{Register: "vat", Number: "1"}}}, "registered_numbers[0].register"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := domain.NewOrganisation(tt.id)
			err := o.Register(tt.kind, tt.details, orgAt)
			var verr *domain.ValidationError
			switch {
			case tt.wantField == "" && err != nil:
				t.Fatalf("Register: %v", err)
			case tt.wantField != "" && (!errors.As(err, &verr) || verr.Field != tt.wantField):
				t.Fatalf("Register error = %v, want a validation error of %s", err, tt.wantField)
			case tt.wantField == "" && len(o.Pending()) != 1:
				t.Fatalf("raised %d events, want 1", len(o.Pending()))
			case tt.wantField != "" && len(o.Pending()) != 0:
				t.Fatalf("a refused registration raised %v", o.Pending())
			}
		})
	}
}

func TestOrganisationUpdateAndRebuild(t *testing.T) {
	o := domain.NewOrganisation("org-friends")
	must(t, o.Register(domain.KindCommunityGroup, domain.OrganisationDetails{Name: "Friends", LegalForm: domain.Charity, Serves: []string{"E07000228"}}, orgAt))
	if err := o.Register(domain.KindOwner, domain.OrganisationDetails{Name: "Again"}, orgAt); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("second Register = %v, want ErrConflict", err)
	}
	must(t, o.Update(domain.OrganisationDetails{Name: "Friends of the Red Lion", LegalForm: domain.Charity, Serves: []string{"E07000228"}}, orgAt))
	must(t, o.Update(domain.OrganisationDetails{Name: "Friends of the Red Lion", LegalForm: domain.Charity, Serves: []string{"E07000228"}}, orgAt))
	if n := len(o.Pending()); n != 2 {
		t.Fatalf("raised %d events, want 2 (an unchanged update raises none)", n)
	}
	var history []domain.OrganisationEvent
	for _, e := range o.Pending() {
		typ, data, err := domain.MarshalOrganisationEvent(e)
		must(t, err)
		back, err := domain.UnmarshalOrganisationEvent(typ, data)
		must(t, err)
		history = append(history, back)
	}
	r := domain.RebuildOrganisation("org-friends", history)
	if r.Name() != "Friends of the Red Lion" || r.Kind() != domain.KindCommunityGroup || r.Version() != 2 {
		t.Fatalf("rebuilt %q %q v%d", r.Name(), r.Kind(), r.Version())
	}
	if !r.Serves("E07000234", []string{"E07000228"}) || r.Serves("E09000033", nil) {
		t.Error("Serves does not follow the areas served and the council's neighbours")
	}
	b := r.Body("E07000228", nil)
	if b.ID != "org-friends" || b.Kind != domain.Charity || !b.LocalConnection {
		t.Errorf("Body = %+v", b)
	}
	if err := domain.NewOrganisation("org-none").Update(domain.OrganisationDetails{Name: "X"}, orgAt); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Update of an unregistered organisation = %v, want ErrNotFound", err)
	}
	if _, err := domain.UnmarshalOrganisationEvent("acv.nope.v1", []byte(`{}`)); !errors.Is(err, domain.ErrUnknownEventType) {
		t.Errorf("unknown type = %v", err)
	}
}
