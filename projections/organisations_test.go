package projections_test

import (
	"context"
	"testing"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/messaging"
	"github.com/acv-registry/acv/projections"
	"github.com/google/uuid"
)

// TestOrganisationDirectory: the projector keeps one row per organisation,
// derived from its whole stream, through the consumer path; a replay of
// the whole log leaves the same rows; the listing pages by id and filters
// by kind.
func TestOrganisationDirectory(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st stack) {
		ctx := context.Background()
		p := projections.NewProjector(st.store, st.db, domain.DefaultRegimes(), nil)
		if err := p.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		orgs := eventstore.NewOrganisations(st.store, uuid.New)
		at := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
		register := func(id string, kind domain.OrganisationKind, d domain.OrganisationDetails) {
			t.Helper()
			if _, err := orgs.Create(ctx, id, func(o *domain.Organisation) error { return o.Register(kind, d, at) }); err != nil {
				t.Fatal(err)
			}
		}
		register("E07000239", domain.KindCouncil, domain.OrganisationDetails{Name: "Wyre Forest District Council"})
		register("org-friends", domain.KindCommunityGroup, domain.OrganisationDetails{Name: "Friends", LegalForm: domain.Charity})
		register("org-brewery", domain.KindOwner, domain.OrganisationDetails{Name: "Brewery Ltd"})
		if _, err := orgs.Update(ctx, "org-friends", -1, func(o *domain.Organisation) error {
			return o.Update(domain.OrganisationDetails{Name: "Friends of the Red Lion", LegalForm: domain.Charity}, at)
		}); err != nil {
			t.Fatal(err)
		}
		drain(t, st, p, 2)
		q := &projections.Queries{DB: st.db}
		names, err := q.OrganisationNames(ctx, []string{"org-friends", "E07000239", "org-unknown"})
		if err != nil {
			t.Fatal(err)
		}
		if len(names) != 2 || names["org-friends"] != "Friends of the Red Lion" || names["E07000239"] != "Wyre Forest District Council" {
			t.Errorf("names = %v", names)
		}
		page, err := q.Organisations(ctx, "", projections.PageRequest{Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 2 || page.Items[0].ID != "E07000239" || page.NextCursor == "" {
			t.Fatalf("first page = %+v", page)
		}
		page, err = q.Organisations(ctx, "", projections.PageRequest{Limit: 2, Cursor: page.NextCursor})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 1 || page.Items[0].ID != "org-friends" || page.Items[0].Version != 2 || page.NextCursor != "" {
			t.Fatalf("second page = %+v", page)
		}
		owners, err := q.Organisations(ctx, domain.KindOwner, projections.PageRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if len(owners.Items) != 1 || owners.Items[0].ID != "org-brewery" {
			t.Fatalf("owners = %+v", owners)
		}
		if _, err := q.Organisations(ctx, "", projections.PageRequest{Cursor: "junk"}); err == nil {
			t.Error("a bad cursor was accepted")
		}
		// A replay from position 0 leaves the same rows.
		tx, err := st.db.SQL.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := messaging.LockOffset(ctx, tx, st.db.Dialect, projections.ConsumerName); err != nil {
			t.Fatal(err)
		}
		if err := messaging.SetOffset(ctx, tx, st.db.Dialect, projections.ConsumerName, 0); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		drain(t, st, p, 500)
		again, err := q.Organisations(ctx, "", projections.PageRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if len(again.Items) != 3 || again.Items[2].Name != "Friends of the Red Lion" || again.Items[2].Version != 2 {
			t.Errorf("after a replay: %+v", again.Items)
		}
	})
}

// TestRebuildWritesOrganisations: a rebuild moves the read models' offset
// past events the projector never handled; the organisations among them
// are in the directory afterwards.
func TestRebuildWritesOrganisations(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st stack) {
		ctx := context.Background()
		p := projections.NewProjector(st.store, st.db, domain.DefaultRegimes(), nil)
		if err := p.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		orgs := eventstore.NewOrganisations(st.store, uuid.New)
		at := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
		if _, err := orgs.Create(ctx, "org-late", func(o *domain.Organisation) error {
			return o.Register(domain.KindOwner, domain.OrganisationDetails{Name: "Late Ltd"}, at)
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := projections.Rebuild(ctx, st.store, st.db, domain.DefaultRegimes(), nil); err != nil {
			t.Fatal(err)
		}
		names, err := (&projections.Queries{DB: st.db}).OrganisationNames(ctx, []string{"org-late"})
		if err != nil {
			t.Fatal(err)
		}
		if names["org-late"] != "Late Ltd" {
			t.Errorf("after a rebuild the directory holds %v", names)
		}
	})
}
