package eventstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/sqlite"
	"github.com/google/uuid"
)

var today = domain.NewDate(2026, 6, 1)

func newAssets(t *testing.T) (*eventstore.Assets, eventstore.Store) {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "acv.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return eventstore.NewAssets(s, domain.DefaultRegimes(), uuid.New), s
}

func nominate(id string) func(*domain.Asset) error {
	return func(a *domain.Asset) error {
		return a.ReceiveNomination(domain.Nomination{
			ID: id, Council: "E07000228", ReceivedOn: domain.NewDate(2026, 4, 1),
			Nominator: domain.Body{ID: "org-1", Name: "Friends of the Red Lion", Kind: domain.CommunityInterestCompany, LocalConnection: true},
			Land:      domain.Land{Name: "The Red Lion", Description: "A pub", Boundaries: "the pub and its garden", Use: domain.PartlyResidential},
			Owner:     domain.Party{ID: "owner-1", Name: "Red Lion Estates Ltd"},
			Reasons:   "the village's only pub", Evidence: "articles of association",
		}, today)
	}
}

func TestAssetsCreateLoadUpdate(t *testing.T) {
	r, store := newAssets(t)
	ctx := eventstore.WithActor(context.Background(), eventstore.Actor{Org: "E07000228", Role: "council_officer", TokenID: "tok-9"})
	corr := uuid.New()
	ctx = eventstore.WithCorrelation(ctx, corr, uuid.Nil)

	saved, err := r.Create(ctx, "a1", nominate("n1"))
	if err != nil {
		t.Fatal(err)
	}
	if saved.Version != 1 || saved.Position <= 0 || len(saved.Events) != 1 {
		t.Fatalf("Create = %+v, want version 1 at a position with one event", saved)
	}
	if _, err := r.Create(ctx, "a1", nominate("n2")); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("Create of an existing asset: %v, want ErrConflict", err)
	}
	a, err := r.Load(ctx, "a1")
	if err != nil || a.Version() != 1 || a.Status() != domain.StatusNominated {
		t.Fatalf("Load = %v (version %d, status %q), want the nominated asset at version 1", err, a.Version(), a.Status())
	}
	if _, err := r.Load(ctx, "nope"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Load of an unknown asset: %v, want ErrNotFound", err)
	}
	if _, err := r.Update(ctx, "nope", -1, func(*domain.Asset) error { return nil }); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Update of an unknown asset: %v, want ErrNotFound", err)
	}

	decide := func(a *domain.Asset) error {
		return a.DecideNomination("n1", domain.Decision{Outcome: domain.Listed, DecidedOn: domain.NewDate(2026, 5, 1), Reasons: "meets s.88"}, today)
	}
	if _, err := r.Update(ctx, "a1", 0, decide); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("Update at a stale version: %v, want ErrConflict", err)
	}
	saved, err = r.Update(ctx, "a1", 1, decide)
	if err != nil || saved.Version != 2 {
		t.Fatalf("Update at version 1 = %+v, %v", saved, err)
	}

	stored, err := store.ReadStream(ctx, domain.AssetStream("a1"), 1, eventstore.Opened)
	if err != nil || len(stored) != 2 {
		t.Fatalf("stream has %d events, %v", len(stored), err)
	}
	m := stored[1].Metadata
	if m.Actor.Role != "council_officer" || m.Actor.TokenID != "tok-9" || m.CorrelationID != corr {
		t.Errorf("metadata %+v does not carry the actor and correlation id", m)
	}
	if m.EffectiveDate != domain.NewDate(2026, 5, 1) || m.Regime != "localism-2012" || m.SchemaVersion != 1 {
		t.Errorf("metadata %+v: want effective date 2026-05-01 (the decision), regime localism-2012", m)
	}
	if stored[1].Position != saved.Position {
		t.Errorf("Saved.Position %d, stored at %d", saved.Position, stored[1].Position)
	}

	// A refused command appends nothing.
	_, err = r.Update(ctx, "a1", -1, decide)
	var rule *domain.RuleError
	var verr *domain.ValidationError
	if !errors.As(err, &rule) && !errors.As(err, &verr) {
		t.Errorf("deciding twice: %v, want a rule or validation error", err)
	}
	if got, _ := store.ReadStream(ctx, domain.AssetStream("a1"), 1, eventstore.Opened); len(got) != 2 {
		t.Errorf("a refused command appended: stream has %d events", len(got))
	}
}

func TestAssetsUpdateRetriesOnConflict(t *testing.T) {
	r, store := newAssets(t)
	ctx := context.Background()
	if _, err := r.Create(ctx, "a1", nominate("n1")); err != nil {
		t.Fatal(err)
	}
	// Many concurrent consultations without If-Match: every one lands,
	// because Update re-runs the command on the new state.
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := r.Update(ctx, "a1", -1, func(a *domain.Asset) error {
				return a.Consult("n1", domain.Notice{ID: uuid.NewString(), Kind: domain.ConsultationNotice, Subject: "n1",
					Recipients: []domain.Recipient{{Role: domain.ToOwner, Party: domain.Party{ID: "owner-1", Name: "Red Lion Estates Ltd"}}},
					Method:     domain.ByPost, GivenOn: domain.NewDate(2026, 4, 2)}, today)
			})
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if err != nil {
			failed++
			if !errors.Is(err, domain.ErrConflict) {
				t.Errorf("concurrent update: %v", err)
			}
		}
	}
	got, _ := store.ReadStream(ctx, domain.AssetStream("a1"), 1, eventstore.Opened)
	if len(got) != 1+n-failed {
		t.Errorf("stream has %d events; %d updates succeeded", len(got), n-failed)
	}
	if failed > n/2 {
		t.Errorf("%d of %d concurrent updates gave up; retries should land most", failed, n)
	}
}

// Two nodes that save the same clock event through repositories naming
// events by their content store it once, with the same metadata; the
// repository the copies were made from still makes fresh ids.
func TestAssetsWithEventIDs(t *testing.T) {
	r, store := newAssets(t)
	ctx := eventstore.WithActor(context.Background(), eventstore.Actor{Org: "statutory-clock", Role: "clock"})
	if _, err := r.Create(ctx, "a1", nominate("n1")); err != nil {
		t.Fatal(err)
	}
	ns := uuid.MustParse("6ba7b811-9dad-11d1-80b4-00c04fd430c8")
	idOf := func(assetID string, e domain.Event) uuid.UUID {
		return uuid.NewSHA1(ns, []byte(assetID+" "+e.EventType()+" "+e.EffectiveOn().String()))
	}
	// Both nodes load version 1 before either saves: one append wins, the
	// other is an idempotent repeat (Regs reg 7: overdue after 8 weeks).
	var loaded sync.WaitGroup
	loaded.Add(2)
	overdue := func() func(*domain.Asset) error {
		var once sync.Once
		return func(a *domain.Asset) error {
			once.Do(func() { loaded.Done(); loaded.Wait() })
			return a.AdvanceClocks(domain.NewDate(2026, 6, 1))
		}
	}
	errs := make(chan error, 2)
	for range 2 {
		node := r.WithEventIDs(idOf)
		go func() {
			_, err := node.Update(ctx, "a1", -1, overdue())
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("node's Update: %v", err)
		}
	}
	stored, err := store.ReadStream(ctx, domain.AssetStream("a1"), 1, eventstore.Opened)
	if err != nil || len(stored) != 2 {
		t.Fatalf("stream has %d events (%v), want the nomination and one overdue event", len(stored), err)
	}
	want := idOf("a1", domain.NominationDecisionOverdue{AssetID: "a1", NominationID: "n1", DueOn: domain.NewDate(2026, 5, 26)})
	got := stored[1]
	if got.ID != want || got.Type != domain.TypeNominationDecisionOverdue {
		t.Errorf("stored %s %s, want %s %s", got.Type, got.ID, domain.TypeNominationDecisionOverdue, want)
	}
	if m := got.Metadata; m.CorrelationID != want || m.CausationID != uuid.Nil || m.Actor.Org != "statutory-clock" {
		t.Errorf("metadata %+v: want the actor of the context, correlated by the event's own id", m)
	}

	// A correlation id in the context wins; the original repository is
	// untouched by the copies and still makes fresh ids.
	corr := uuid.New()
	saved, err := r.WithEventIDs(idOf).Create(eventstore.WithCorrelation(ctx, corr, uuid.Nil), "a2", nominate("n1"))
	if err != nil {
		t.Fatal(err)
	}
	a2, _ := store.ReadStream(ctx, domain.AssetStream("a2"), 1, eventstore.Opened)
	if len(a2) != 1 || a2[0].ID != idOf("a2", saved.Events[0]) || a2[0].Metadata.CorrelationID != corr {
		t.Errorf("a2 stored %+v, want the deterministic id and the context's correlation id %s", a2, corr)
	}
	saved, err = r.Create(ctx, "a3", nominate("n1"))
	if err != nil {
		t.Fatal(err)
	}
	a3, _ := store.ReadStream(ctx, domain.AssetStream("a3"), 1, eventstore.Opened)
	if len(a3) != 1 || a3[0].ID == idOf("a3", saved.Events[0]) || a3[0].Metadata.CorrelationID != uuid.Nil {
		t.Errorf("the original repository stored %+v, want a fresh id and no correlation id", a3)
	}
}
