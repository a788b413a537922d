package clock

import (
	"strings"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/google/uuid"
)

// Namespace is the UUID namespace of clock event ids. It never changes:
// ids already stored depend on it.
var Namespace = uuid.MustParse("5f1d6c1e-8a0b-5b0e-9c43-2d6a3c1f0a77")

// Actor is the actor recorded on every clock event.
var Actor = eventstore.Actor{Org: "statutory-clock", Role: "clock"}

// EventID returns the id of a clock event of asset assetID: a name-based
// (SHA-1) UUID in [Namespace] over the asset, the event type, the event's
// subject (the nomination, review or disposal notice) and the last day of
// its period. The same period's event gets the same id on every node, after
// every restart and in every replay; two periods never share one. An event
// that is not a clock event is named by its type and payload instead, which
// is as deterministic.
func EventID(assetID string, e domain.Event) uuid.UUID {
	subject, lastDay, ok := periodOf(e)
	if !ok {
		_, data, _ := domain.MarshalEvent(e) // a domain event always marshals
		return uuid.NewSHA1(Namespace, []byte(strings.Join([]string{assetID, e.EventType(), string(data)}, "\x00")))
	}
	return uuid.NewSHA1(Namespace, []byte(strings.Join([]string{assetID, e.EventType(), subject, lastDay.String()}, "\x00")))
}

// periodOf returns the subject and last day of a clock event's period.
func periodOf(e domain.Event) (subject string, lastDay domain.Date, ok bool) {
	switch e := e.(type) {
	case domain.NominationDecisionOverdue:
		return e.NominationID, e.DueOn, true
	case domain.ReviewDecisionOverdue:
		return e.ReviewID, e.DueOn, true
	case domain.InterimMoratoriumEnded:
		return e.NoticeID, e.LastDay, true
	case domain.FullMoratoriumEnded:
		return e.NoticeID, e.LastDay, true
	case domain.ProtectedPeriodEnded:
		return e.NoticeID, e.LastDay, true
	case domain.ListingExpired:
		return e.NominationID, e.LastDay, true
	case domain.UnsuccessfulEntryExpired:
		return e.NominationID, e.LastDay, true
	}
	return "", domain.Date{}, false
}
