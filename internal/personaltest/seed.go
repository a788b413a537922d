package personaltest

import (
	"testing"

	"github.com/acv-registry/acv/domain"
)

// Council is the council the seeded asset is nominated to.
const Council = "E07000228"

// OtherCouncil is a council that is not responsible for the asset.
const OtherCouncil = "E09000033"

// NominatorID is the organisation id of the community group that
// nominates the seeded asset: it may see its own nomination in full.
const NominatorID = "org-friends-of-the-quince-arms"

// OwnerID is the seeded owner's party id: "party:" + OwnerID is the
// owner's data subject.
const OwnerID = "owner-qzx-ottoline"

// PartyIDs are the ids of the seeded people: their subjects are
// "party:" + id, which the key table names until they are erased.
var PartyIDs = []string{OwnerID, "occupier-qzx", "holder-qzx"}

// Secrets are the personal data the seed writes: names, addresses, ids of
// people, contact details, electors and evidence. None of them may appear
// in a public answer, and none anywhere once erased.
var Secrets = []string{
	OwnerID, "Ottoline Quarrendon", "7 Larkspur Row",
	"occupier-qzx", "Octavia Fennimore", "Flat 2, 7 Larkspur Row",
	"holder-qzx", "Horatio Pemberton", "3 Juniper Close",
	"Zebedee Quince", "01632 960123", "zebedee.quince@example.org",
	"Elspeth Nightingale", "Ezekiel Thorncastle",
	"Electoral roll extract for Quince",
	"Invoices from Quarrendon",
}

// Post sends body to path as a caller allowed to write (201 expected) and
// returns the decoded answer.
type Post func(path string, body map[string]any) map[string]any

// Seeded is what [Seed] made.
type Seeded struct {
	AssetID, NominationID, ReviewID string
	// Events is how many events the seed appended to the asset's stream.
	Events int
}

type obj = map[string]any

// Seed nominates a pub with an individual owner, an occupier, an interest
// holder, the nominator's contact details and electors; lists it; gives
// the owner notice; records the owner's request for a review and a claim
// for compensation. Dates count back from today, the server's day.
func Seed(t testing.TB, today domain.Date, post Post) Seeded {
	t.Helper()
	received := today.AddDays(-300)
	owner := obj{"id": OwnerID, "name": "Ottoline Quarrendon", "address": "7 Larkspur Row, Ashby"}
	nom := post("/v1/councils/"+Council+"/nominations", obj{
		"received_on": received.String(),
		"nominator":   obj{"id": NominatorID, "name": "Friends of the Quince Arms", "kind": "charity", "local_connection": true},
		"land": obj{
			"name": "The Quince Arms", "description": "A village pub with a garden", "boundaries": "Title SK999999",
			"address": "1 High Street, Ashby", "postcode": "LE65 1AA", "use": "partly_residential",
			"point": obj{"lat": 52.746, "lon": -1.476}, "category": "pub",
		},
		"owner":     owner,
		"occupants": []obj{{"id": "occupier-qzx", "name": "Octavia Fennimore", "address": "Flat 2, 7 Larkspur Row"}},
		"interests": []obj{{"holder": obj{"id": "holder-qzx", "name": "Horatio Pemberton", "address": "3 Juniper Close"},
			"estate": "leasehold", "lease_term_years": 30}},
		"reasons":  "The only pub in the village; it hosts the darts league.",
		"evidence": "Electoral roll extract for Quince",
		"local_extras": map[string]string{
			"contact":  "Zebedee Quince, 01632 960123, zebedee.quince@example.org",
			"electors": "Elspeth Nightingale; Ezekiel Thorncastle",
		},
	})
	s := Seeded{AssetID: str(t, nom, "asset_id"), NominationID: str(t, nom, "nomination_id")}
	decided := received.AddDays(30)
	post("/v1/assets/"+s.AssetID+"/nominations/"+s.NominationID+"/decision", obj{
		"outcome": "listed", "reasons": "It furthers the social interests of Ashby.", "decided_on": decided.String(),
	})
	given := decided.AddDays(1)
	post("/v1/assets/"+s.AssetID+"/notices", obj{
		"kind": "listing", "subject": s.NominationID, "method": "post", "given_on": given.String(),
		"recipients": []obj{{"role": "owner", "party": owner}},
	})
	review := post("/v1/assets/"+s.AssetID+"/reviews", obj{
		"requester": owner, "received_on": given.AddDays(10).String(), "oral_hearing": false,
	})
	s.ReviewID = str(t, review, "review_id")
	post("/v1/assets/"+s.AssetID+"/compensation-claims", obj{
		"claimant": owner, "loss_incurred_on": today.AddDays(-20).String(), "received_on": today.AddDays(-10).String(),
		"parts": []obj{{"description": "Delay to the sale", "amount_pence": 500000}}, "evidence": "Invoices from Quarrendon",
	})
	s.Events = 5
	return s
}

func str(t testing.TB, m map[string]any, k string) string {
	t.Helper()
	s, _ := m[k].(string)
	if s == "" {
		t.Fatalf("answer has no %s: %v", k, m)
	}
	return s
}
