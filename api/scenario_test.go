package api_test

import (
	"encoding/csv"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/projections"
)

// obj is a JSON object of a request body.
type obj = map[string]any

// The three councils of the scenario: Mid Sussex (a district), the City of
// Westminster (a London borough) and Adur (a district).
const (
	councilMidSussex   = "E07000228"
	councilWestminster = "E09000033"
	councilAdur        = "E07000223"
)

// scenarioRegime is the only regime in force: the clocks below are its periods.
var scenarioRegime = domain.Localism2012()

// TestScenario drives the HTTP API through whole lifecycles on each
// backend, as a council and a community would: a pub nominated, listed,
// reviewed, offered for sale, bid for and sold to its community; a library
// sold after its interim moratorium and taken off the list; and refused
// commands that must leave the log untouched.
func TestScenario(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			s := newScenarioStack(t, backend, day(t, "2025-01-06"))
			// The parts share one registry and one clock that only moves
			// forward, so they run in order and stop at the first failure.
			if !t.Run("pub sold to its community", func(t *testing.T) { scenarioPub(t, s) }) {
				return
			}
			if !t.Run("library sold after the interim moratorium", func(t *testing.T) { scenarioLibrary(t, s) }) {
				return
			}
			t.Run("refusals leave the log untouched", func(t *testing.T) { scenarioRefusals(t, s) })
		})
	}
}

// scenarioPub is the whole life of a listed pub: nomination, listing,
// listing notice, owner's review, the owner's notice of a wish to sell, a
// community interest company's request to bid on the last day of the
// interim moratorium, a bid, and a sale to that company inside the full
// moratorium.
func scenarioPub(t *testing.T, s *scenarioStack) {
	s.t = t
	received := day(t, "2025-01-06")
	s.clock.setDay(received)

	// Nomination. The council decides within 8 weeks beginning with the day
	// it received the nomination (Regs reg 7): received + 8 weeks - 1 day.
	decisionDue := domain.Weeks(8).End(received)
	if decisionDue != day(t, "2025-03-02") {
		t.Fatalf("8 weeks beginning with %s end on %s", received, decisionDue)
	}
	nom := s.post("/v1/councils/"+councilMidSussex+"/nominations", obj{
		"received_on": received.String(),
		"nominator":   obj{"name": "Friends of the Red Lion", "kind": "charity", "local_connection": true},
		"land": obj{"name": "The Red Lion", "description": "A village pub with a garden and a skittle alley",
			"boundaries": "Title WSX123456", "address": "1 High Street, Cuckfield", "postcode": "RH17 5JX",
			"use": "partly_residential", "point": obj{"lat": 51.0061, "lon": -0.1437}, "category": "pub"},
		"owner":    obj{"id": "owner-1", "name": "Brewery Ltd"},
		"reasons":  "The only pub in the village; it hosts the skittles league and the parish meetings.",
		"evidence": "Charity number 1234567; constitution attached.",
	}, http.StatusCreated)
	pub, nomID := nom.AssetID, nom.str("nomination_id")
	if nom.Version != 1 || nom.str("council") != councilMidSussex || nom.str("regime") != domain.Localism2012ID ||
		nom.str("received_on") != received.String() || nom.str("decision_due") != decisionDue.String() ||
		nom.str("status") != "nominated" || nomID == "" {
		t.Errorf("nomination answer: %s", nom.answer.raw)
	}
	if loc := nom.answer.header.Get("Location"); loc != "/v1/assets/"+pub {
		t.Errorf("nomination Location %q", loc)
	}

	// The asset page shows it nominated, with the decision clock running.
	var view projections.AssetView
	page := s.read("/v1/assets/"+pub, nom.Position, &view)
	if etag := page.header.Get("ETag"); etag != `"1"` {
		t.Errorf("asset ETag %q, want \"1\"", etag)
	}
	if view.Status != "nominated" || view.Council != councilMidSussex || view.Name != "The Red Lion" ||
		len(view.Nominations) != 1 || view.Nominations[0].DecisionDue != decisionDue ||
		view.Nominations[0].NominationDate != received || view.NominatingGroup != "Friends of the Red Lion" {
		t.Errorf("asset after nomination: %s", page.raw)
	}
	wantClock(t, view.Clocks, projections.ClockView{Name: string(domain.ClockDecision), Subject: nomID,
		Start: received, End: decisionDue, Status: "running", Rule: scenarioRegime.Decision.Rule, Regime: domain.Localism2012ID})

	// The council's work queue lists the decision due (officers only).
	var queue deadlineList
	s.read("/v1/councils/"+councilMidSussex+"/deadlines", nom.Position, &queue, "Authorization: admin")
	if !slices.ContainsFunc(queue.Items, func(d projections.DeadlineView) bool {
		return d.AssetID == pub && d.Name == string(domain.ClockDecision) && d.End == decisionDue &&
			d.Status == "running" && d.DaysLeft == received.DaysUntil(decisionDue) && d.AssetName == "The Red Lion"
	}) {
		t.Errorf("deadlines on %s lack the decision due on %s: %+v", queue.Today, decisionDue, queue.Items)
	}

	// Listed on 20 February. An entry lasts 5 years beginning with the date
	// of entry (s.87(3)).
	entered := day(t, "2025-02-20")
	s.clock.setDay(entered)
	expiry := domain.Years(5).End(entered)
	if expiry != day(t, "2030-02-19") {
		t.Fatalf("5 years beginning with %s end on %s", entered, expiry)
	}
	dec := s.post("/v1/assets/"+pub+"/nominations/"+nomID+"/decision", obj{
		"outcome": "listed", "reasons": "The pub furthers the social interests of Cuckfield.", "decided_on": entered.String(),
	}, http.StatusCreated)
	if dec.str("status") != "listed" || dec.str("entered_on") != entered.String() || dec.str("expiry_date") != expiry.String() ||
		dec.body["decided_late"] != false {
		t.Errorf("decision answer: %s", dec.answer.raw)
	}
	var reg registerList
	s.read("/v1/councils/"+councilMidSussex+"/register", dec.Position, &reg)
	e, ok := entryOf(reg, pub)
	if !ok || e.EntryDate != entered || e.ExpiryDate != expiry || e.Status != "listed" || e.Decision != "listed" ||
		e.DecisionDate != entered || e.NominationDate != received || e.Organisation != councilMidSussex || e.Name != "The Red Lion" {
		t.Errorf("register entry after listing: %+v (found %v)", e, ok)
	}
	// The list as it stood the day before entry does not have it.
	s.read("/v1/councils/"+councilMidSussex+"/register?as_of="+entered.AddDays(-1).String(), dec.Position, &reg)
	if _, ok := entryOf(reg, pub); ok || reg.AsOf != entered.AddDays(-1) {
		t.Errorf("register as of %s shows the pub listed on %s", entered.AddDays(-1), entered)
	}

	// Notice of the listing to the owner (s.91, Regs reg 9); the owner may
	// ask for a review within 8 weeks beginning with the day it was given (s.92).
	given := day(t, "2025-02-21")
	s.clock.setDay(given)
	notice := s.post("/v1/assets/"+pub+"/notices", obj{
		"kind": "listing", "subject": nomID, "method": "post", "given_on": given.String(),
		"recipients": []obj{{"role": "owner", "party": obj{"id": "owner-1", "name": "Brewery Ltd"}}},
	}, http.StatusCreated)
	if notice.str("review_window_ends") != domain.Weeks(8).End(given).String() || notice.str("kind") != "listing" {
		t.Errorf("listing notice answer: %s", notice.answer.raw)
	}

	// The owner asks for a review; the council decides within 8 weeks
	// beginning with the request (Regs Sch 2) and upholds the listing. The
	// owner may appeal within 28 days of the decision being sent (Regs reg 11).
	asked := day(t, "2025-03-10")
	s.clock.setDay(asked)
	review := s.post("/v1/assets/"+pub+"/reviews", obj{
		"requester": obj{"id": "owner-1"}, "received_on": asked.String(), "oral_hearing": false,
	}, http.StatusCreated)
	rid := review.str("review_id")
	if review.str("decision_due") != domain.Weeks(8).End(asked).String() || review.str("nomination_id") != nomID {
		t.Errorf("review answer: %s", review.answer.raw)
	}
	decided := day(t, "2025-04-14")
	s.clock.setDay(decided)
	upheld := s.post("/v1/assets/"+pub+"/reviews/"+rid+"/decision", obj{
		"outcome": "upheld", "reasons": "The pub furthers the community's social interests.", "decided_on": decided.String(),
	}, http.StatusCreated)
	if upheld.str("outcome") != "upheld" || upheld.str("sent_on") != decided.String() ||
		upheld.str("appeal_ends") != domain.DaysAfter(28).End(decided).String() || upheld.body["decided_late"] != false {
		t.Errorf("review decision answer: %s", upheld.answer.raw)
	}

	// The owner's notice of a wish to sell (s.95(2)). The interim moratorium
	// (6 weeks), the full moratorium (6 months) and the protected period
	// (18 months) all begin with the day the council receives it (s.95(6)).
	noticed := day(t, "2026-01-05")
	s.clock.setDay(noticed)
	interimEnd, fullEnd, protectedEnd := domain.Weeks(6).End(noticed), domain.Months(6).End(noticed), domain.Months(18).End(noticed)
	if interimEnd != day(t, "2026-02-15") || fullEnd != day(t, "2026-07-04") || protectedEnd != day(t, "2027-07-04") {
		t.Fatalf("periods from %s end on %s, %s, %s", noticed, interimEnd, fullEnd, protectedEnd)
	}
	sale := s.post("/v1/assets/"+pub+"/disposal-notices", obj{"owner": obj{"id": "owner-1"}, "received_on": noticed.String()}, http.StatusCreated)
	saleID := sale.str("notice_id")
	if sale.str("received_on") != noticed.String() || sale.str("interim_moratorium_ends") != interimEnd.String() ||
		sale.str("full_moratorium_ends") != fullEnd.String() || sale.str("protected_period_ends") != protectedEnd.String() ||
		sale.str("regime") != domain.Localism2012ID || saleID == "" {
		t.Errorf("disposal notice answer: %s", sale.answer.raw)
	}
	var interim moratoriumList
	s.read("/v1/moratoria?status=interim", sale.Position, &interim)
	if !slices.ContainsFunc(interim.Items, func(m moratoriumItem) bool {
		return m.AssetID == pub && m.NoticeID == saleID && m.Council == councilMidSussex && m.Phase == "interim" &&
			m.NoticeReceived == noticed && m.InterimEnd == interimEnd && m.FullEnd == fullEnd &&
			m.ProtectedEnd == protectedEnd && !m.FullMoratorium
	}) {
		t.Errorf("interim moratoria lack the pub's: %+v", interim.Items)
	}

	// A community interest company asks to be treated as a potential bidder
	// on the last day of the interim moratorium: in time (s.95(3)), so the
	// full moratorium runs.
	s.clock.setDay(interimEnd)
	const cic = "Red Lion Community Pub CIC"
	req := s.post("/v1/assets/"+pub+"/bidder-requests", obj{
		"group":       obj{"name": cic, "kind": "community_interest_company", "local_connection": true},
		"received_on": interimEnd.String(),
	}, http.StatusCreated)
	reqID := req.str("request_id")
	if req.str("status") != "accepted" || req.str("rule") != "" || req.body["full_moratorium_triggered"] != true ||
		req.str("moratorium_ends") != fullEnd.String() || req.str("notice_id") != saleID {
		t.Errorf("bidder request answer: %s", req.answer.raw)
	}
	s.read("/v1/councils/"+councilMidSussex+"/register", req.Position, &reg)
	e, ok = entryOf(reg, pub)
	if !ok || e.InterestedGroup != cic || e.FullMoratoriumEndDate != fullEnd || e.NotificationToSellDate != noticed ||
		e.InterimMoratoriumEndDate != interimEnd || e.ProtectedPeriodEndDate != protectedEnd || e.Status != "listed" {
		t.Errorf("register entry after the bidder request: %+v (found %v)", e, ok)
	}

	// An unincorporated body may nominate but is not a community interest
	// group (Regs reg 12): its request is recorded, rejected, and starts nothing.
	late := s.post("/v1/assets/"+pub+"/bidder-requests", obj{
		"group": obj{"name": "Cuckfield Drinkers", "kind": "unincorporated_body", "local_connection": true,
			"local_elector_members": 30},
		"received_on": interimEnd.String(),
	}, http.StatusCreated)
	if late.str("status") != "rejected" || late.str("rule") != "Regs reg 12" || late.str("reason") == "" {
		t.Errorf("unincorporated body's request answer: %s", late.answer.raw)
	}

	// The company bids (registry practice); the owner accepts.
	bidOn := day(t, "2026-03-02")
	s.clock.setDay(bidOn)
	bid := s.post("/v1/assets/"+pub+"/bids", obj{
		"bidder": obj{"name": cic}, "request_id": reqID, "amount_pence": 45_000_000,
		"terms": "subject to survey", "submitted_on": bidOn.String(),
	}, http.StatusCreated)
	bidID := bid.str("bid_id")
	if bid.str("status") != "submitted" || bid.str("notice_id") != saleID || bid.str("submitted_on") != bidOn.String() {
		t.Errorf("bid answer: %s", bid.answer.raw)
	}
	// After the interim moratorium the pub is in its full moratorium.
	var full moratoriumList
	s.read("/v1/moratoria?status=full", bid.Position, &full)
	if !slices.ContainsFunc(full.Items, func(m moratoriumItem) bool {
		return m.AssetID == pub && m.NoticeID == saleID && m.Phase == "full" && m.FullMoratorium && m.InterestedGroup == cic
	}) {
		t.Errorf("full moratoria on %s lack the pub's: %+v", bidOn, full.Items)
	}
	acceptedOn := day(t, "2026-03-16")
	s.clock.setDay(acceptedOn)
	accepted := s.post("/v1/assets/"+pub+"/bids/"+bidID+"/status", obj{"status": "accepted", "changed_on": acceptedOn.String()}, http.StatusCreated)
	if accepted.str("status") != "accepted" || accepted.str("changed_on") != acceptedOn.String() {
		t.Errorf("bid status answer: %s", accepted.answer.raw)
	}

	// The sale to the company inside the full moratorium is lawful: a
	// relevant disposal to a community interest group during a moratorium.
	soldOn := day(t, "2026-04-01")
	if !soldOn.After(interimEnd) || soldOn.After(fullEnd) {
		t.Fatalf("%s is not inside the full moratorium", soldOn)
	}
	s.clock.setDay(soldOn)
	sold := s.post("/v1/assets/"+pub+"/disposals", obj{
		"kind": "relevant", "buyer": obj{"name": cic},
		"buyer_group": obj{"name": cic, "kind": "community_interest_company", "local_connection": true},
		"disposed_on": soldOn.String(),
	}, http.StatusCreated)
	if sold.body["in_breach"] != false || sold.str("rule") != "" || sold.str("notice_id") != saleID || sold.str("disposed_on") != soldOn.String() {
		t.Errorf("disposal answer: %s", sold.answer.raw)
	}
	page = s.read("/v1/assets/"+pub, sold.Position, &view)
	if len(view.Disposals) != 1 || view.Disposals[0].InBreach || view.Disposals[0].Kind != "relevant" || view.Disposals[0].On != soldOn ||
		len(view.Bids) != 1 || view.Bids[0].Status != "accepted" || view.InterestedGroup != cic || view.Status != "listed" {
		t.Errorf("asset after the sale: %s", page.raw)
	}
	if etag := page.header.Get("ETag"); etag != strconv.Quote(strconv.FormatInt(sold.Version, 10)) {
		t.Errorf("asset ETag %q, want version %d", etag, sold.Version)
	}
	// Every clock the story started, as it stands on the day of the sale:
	// the decision was made, the entry runs its 5 years, the full moratorium
	// and the protected period run (s.95(6)).
	for _, c := range []projections.ClockView{
		{Name: string(domain.ClockDecision), Subject: nomID, Start: received, End: decisionDue, Status: "stopped", Rule: scenarioRegime.Decision.Rule},
		{Name: string(domain.ClockListing), Subject: nomID, Start: entered, End: expiry, Status: "running", Rule: scenarioRegime.Listing.Rule},
		{Name: string(domain.ClockInterimMoratorium), Subject: saleID, Start: noticed, End: interimEnd, Status: "ended", Rule: scenarioRegime.InterimMoratorium.Rule},
		{Name: string(domain.ClockFullMoratorium), Subject: saleID, Start: noticed, End: fullEnd, Status: "running", Rule: scenarioRegime.FullMoratorium.Rule},
		{Name: string(domain.ClockProtectedPeriod), Subject: saleID, Start: noticed, End: protectedEnd, Status: "running", Rule: scenarioRegime.ProtectedPeriod.Rule},
	} {
		c.Regime = domain.Localism2012ID
		wantClock(t, view.Clocks, c)
	}

	// The same page, read by the public without ?min_position=, is served
	// from the cache and says the same.
	s.readCached("/v1/assets/"+pub, page)

	// The raw events: one per write, in order, hash-chained.
	var events rawEventList
	s.read("/v1/assets/"+pub+"/events", sold.Position, &events)
	want := []struct {
		typ string
		on  domain.Date
	}{
		{domain.TypeNominationReceived, received},
		{domain.TypeNominationDecided, entered},
		{domain.TypeNoticeGiven, given},
		{domain.TypeReviewRequested, asked},
		{domain.TypeReviewDecided, decided},
		{domain.TypeDisposalNoticeReceived, noticed},
		{domain.TypeBidderRequestReceived, interimEnd},
		{domain.TypeBidderRequestReceived, interimEnd},
		{domain.TypeBidSubmitted, bidOn},
		{domain.TypeBidStatusChanged, acceptedOn},
		{domain.TypeDisposalRecorded, soldOn},
	}
	if len(events.Items) != len(want) || int64(len(want)) != sold.Version {
		t.Fatalf("%d raw events, version %d; want %d", len(events.Items), sold.Version, len(want))
	}
	for i, ev := range events.Items {
		if ev.Type != want[i].typ || ev.Version != int64(i+1) || ev.Metadata.EffectiveDate != want[i].on {
			t.Errorf("event %d: %s v%d on %s, want %s v%d on %s", i, ev.Type, ev.Version, ev.Metadata.EffectiveDate, want[i].typ, i+1, want[i].on)
		}
		if len(ev.Hash) != 64 || (i > 0 && (ev.PrevHash != events.Items[i-1].Hash || ev.Position <= events.Items[i-1].Position)) {
			t.Errorf("event %d: position %d, prev_hash %q, hash %q: not chained to the one before", i, ev.Position, ev.PrevHash, ev.Hash)
		}
	}
	if last := events.Items[len(events.Items)-1]; last.Position != sold.Position {
		t.Errorf("last event at position %d, the disposal was written at %d", last.Position, sold.Position)
	}

	// The timeline: one plain-English entry per event, in order, dated.
	var tl timelineList
	tlPage := s.read("/v1/assets/"+pub+"/timeline", sold.Position, &tl)
	s.readCached("/v1/assets/"+pub+"/timeline", tlPage)
	if len(tl.Items) != len(events.Items) {
		t.Fatalf("%d timeline entries for %d events", len(tl.Items), len(events.Items))
	}
	for i, te := range tl.Items {
		ev := events.Items[i]
		if te.Position != ev.Position || te.Type != ev.Type || te.Effective != want[i].on ||
			!strings.HasSuffix(te.Text, ".") || te.Text[0] < 'A' || te.Text[0] > 'Z' || domain.DateOf(te.RecordedAt) != want[i].on {
			t.Errorf("timeline entry %d = %+v; want %s on %s at position %d, as a sentence", i, te, ev.Type, want[i].on, ev.Position)
		}
	}
	if txt := tl.Items[7].Text; !strings.Contains(txt, "Regs reg 12") && tl.Items[7].Rule != "Regs reg 12" {
		t.Errorf("the rejected request's timeline entry cites no Regs reg 12: %+v", tl.Items[7])
	}

	// The integrity check, the change feed and the statistics.
	var check verifyAnswer
	s.read("/v1/assets/"+pub+"/verify", sold.Position, &check)
	if !check.OK || check.Events != int64(len(want)) || len(check.Breaks) != 0 {
		t.Errorf("verify = %+v", check)
	}
	var feed changeFeed
	s.read("/v1/changes?limit=1000", sold.Position, &feed)
	var fed []int64
	for _, c := range feed.Items {
		if c.AssetID == pub {
			fed = append(fed, c.Position)
			if c.Summary == "" {
				t.Errorf("change %d has no summary", c.Position)
			}
		}
	}
	var stored []int64
	for _, ev := range events.Items {
		stored = append(stored, ev.Position)
	}
	if !slices.Equal(fed, stored) || feed.Next != sold.Position {
		t.Errorf("change feed positions %v (next %d), want %v", fed, feed.Next, stored)
	}
	var st projections.Stats
	s.read("/v1/stats", sold.Position, &st)
	i := slices.IndexFunc(st.Councils, func(c projections.CouncilStats) bool { return c.Council == councilMidSussex })
	if i < 0 {
		t.Fatalf("stats have no %s: %+v", councilMidSussex, st)
	}
	if c := st.Councils[i]; c.Listed != 1 || c.Nominations != 1 || c.MoratoriaTotal != 1 || c.FullMoratoriaTotal != 1 ||
		c.Outcomes["listed"] != 1 || c.Categories["pub"] != 1 {
		t.Errorf("stats of %s = %+v; want one listing, one nomination, one (full) moratorium", councilMidSussex, c)
	}
}

// scenarioLibrary is a library whose owner sells after an interim moratorium
// in which no community interest group asked to bid, and which the council
// then takes off its list.
func scenarioLibrary(t *testing.T, s *scenarioStack) {
	s.t = t
	received := day(t, "2026-04-06")
	s.clock.setDay(received)
	nom := s.post("/v1/councils/"+councilWestminster+"/nominations", obj{
		"received_on": received.String(),
		"nominator":   obj{"name": "Friends of Pimlico Library", "kind": "charity", "local_connection": true},
		"land": obj{"name": "Pimlico Library", "description": "A public library with a reading room",
			"boundaries": "Title NGL987654", "address": "Rampayne Street, London", "postcode": "SW1V 2PU",
			"use": "non_residential", "point": obj{"lat": 51.4893, "lon": -0.1334}, "category": "library"},
		"owner":    obj{"id": "owner-lib", "name": "Pimlico Estates Ltd"},
		"reasons":  "The library hosts reading groups, homework clubs and the residents' association.",
		"evidence": "Charity number 7654321.",
	}, http.StatusCreated)
	lib, nomID := nom.AssetID, nom.str("nomination_id")
	if nom.str("decision_due") != domain.Weeks(8).End(received).String() {
		t.Errorf("nomination answer: %s", nom.answer.raw)
	}

	entered := day(t, "2026-05-01")
	s.clock.setDay(entered)
	dec := s.post("/v1/assets/"+lib+"/nominations/"+nomID+"/decision", obj{"outcome": "listed", "decided_on": entered.String()}, http.StatusCreated)
	if dec.str("expiry_date") != domain.Years(5).End(entered).String() {
		t.Errorf("decision answer: %s", dec.answer.raw)
	}

	// The owner's notice arrives by email at 23:30 UTC on 4 May, which is
	// 00:30 on 5 May in British Summer Time: the council received it on
	// 5 May, and the periods begin with that day (s.95(6)).
	noticed := day(t, "2026-05-05")
	s.clock.setDay(noticed)
	interimEnd, protectedEnd := domain.Weeks(6).End(noticed), domain.Months(18).End(noticed)
	sale := s.post("/v1/assets/"+lib+"/disposal-notices", obj{"owner": obj{"id": "owner-lib"}, "received_at": "2026-05-04T23:30:00Z"}, http.StatusCreated)
	if sale.str("received_on") != noticed.String() || sale.str("interim_moratorium_ends") != interimEnd.String() ||
		sale.str("full_moratorium_ends") != domain.Months(6).End(noticed).String() || sale.str("protected_period_ends") != protectedEnd.String() {
		t.Errorf("disposal notice answer: %s", sale.answer.raw)
	}

	// No community interest group asks. The day after the interim
	// moratorium the land may be sold: condition A (notice given), B (the
	// interim moratorium ended without a request) and C (inside the
	// protected period) hold, so the sale is not in breach (s.95(1)).
	after := interimEnd.AddDays(1)
	s.clock.setDay(after)
	var protected moratoriumList
	s.read("/v1/moratoria?status=protected", sale.Position, &protected)
	if !slices.ContainsFunc(protected.Items, func(m moratoriumItem) bool {
		return m.AssetID == lib && m.Phase == "protected" && !m.FullMoratorium && m.ProtectedEnd == protectedEnd
	}) {
		t.Errorf("moratoria in their protected period on %s lack the library's: %+v", after, protected.Items)
	}
	sold := s.post("/v1/assets/"+lib+"/disposals", obj{
		"kind": "relevant", "buyer": obj{"name": "Westminster Developments Ltd"}, "disposed_on": after.String(),
	}, http.StatusCreated)
	disposalID := sold.str("disposal_id")
	if sold.body["in_breach"] != false || sold.str("rule") != "" || sold.str("kind") != "relevant" {
		t.Errorf("disposal answer: %s", sold.answer.raw)
	}

	// The council takes the land off its list after the relevant disposal
	// (Regs reg 2(b)); removed_on is the first day off the list.
	removedOn := after.AddDays(1)
	s.clock.setDay(removedOn)
	removal := s.post("/v1/assets/"+lib+"/removal", obj{
		"reason": "relevant_disposal", "ref": disposalID, "removed_on": removedOn.String(),
	}, http.StatusCreated)
	if removal.str("status") != "removed" || removal.str("removed_on") != removedOn.String() || removal.str("nomination_id") != nomID {
		t.Errorf("removal answer: %s", removal.answer.raw)
	}
	var reg registerList
	today := s.read("/v1/councils/"+councilWestminster+"/register", removal.Position, &reg)
	if e, ok := entryOf(reg, lib); ok {
		t.Errorf("the register of %s today (%s) still shows the library: %+v", councilWestminster, removedOn, e)
	}
	s.readCached("/v1/councils/"+councilWestminster+"/register", today)
	// The asset page still shows its last entry, as removed, and why; the
	// entry's end date is its last day on the list.
	var view projections.AssetView
	page := s.read("/v1/assets/"+lib, removal.Position, &view)
	if e := view.Entry; view.Status != "removed" || e == nil || e.Status != "removed" || e.RemovalDate != removedOn ||
		e.RemovalReason != "relevant_disposal" || e.EndDate != removedOn.AddDays(-1) || e.EntryDate != entered {
		t.Errorf("asset after removal: %s", page.raw)
	}
	// The list as it stood while the library was on it, and on its last day.
	listedDay := day(t, "2026-06-01")
	for _, asOf := range []domain.Date{listedDay, removedOn.AddDays(-1)} {
		s.read("/v1/councils/"+councilWestminster+"/register?as_of="+asOf.String(), removal.Position, &reg)
		e, ok := entryOf(reg, lib)
		if !ok || e.Status != "listed" || e.EntryDate != entered || e.NotificationToSellDate != noticed || e.InterestedGroup != "" {
			t.Errorf("the register as of %s: %+v (found %v)", asOf, e, ok)
		}
	}

	// The same list as CSV, for a spreadsheet: the data standard's columns,
	// one row.
	exp := s.read("/v1/councils/"+councilWestminster+"/register?as_of="+listedDay.String()+"&format=csv", removal.Position, nil)
	if ct := exp.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("CSV export Content-Type %q", ct)
	}
	records, err := csv.NewReader(strings.NewReader(string(exp.raw))).ReadAll()
	if err != nil {
		t.Fatalf("the CSV export does not parse: %v\n%s", err, exp.raw)
	}
	if len(records) != 2 {
		t.Fatalf("the CSV export has %d records, want a header and one row:\n%s", len(records), exp.raw)
	}
	if len(records[0]) < len(dataStandard) || !slices.Equal(records[0][:len(dataStandard)], dataStandard) {
		t.Errorf("CSV header %v, want the data standard's columns first: %v", records[0], dataStandard)
	}
	row := map[string]string{}
	for i, col := range records[0] {
		row[col] = records[1][i]
	}
	for col, want := range map[string]string{
		"reference": lib, "name": "Pimlico Library", "organisation": councilWestminster, "nominating-group": "Friends of Pimlico Library",
		"nomination-date": received.String(), "decision": "listed", "decision-date": entered.String(),
		"entry-date": entered.String(), "expiry-date": domain.Years(5).End(entered).String(),
		"notification-to-sell-date": noticed.String(), "point": "POINT(-0.1334 51.4893)",
	} {
		if row[col] != want {
			t.Errorf("CSV %s = %q, want %q", col, row[col], want)
		}
	}
}

// scenarioRefusals sends commands the registry must refuse - a statutory
// refusal, a stale If-Match, an unknown field - and a replayed request, and
// checks that each leaves the log as it was.
func scenarioRefusals(t *testing.T, s *scenarioStack) {
	s.t = t
	today := s.clock.today()
	nom := s.post("/v1/councils/"+councilAdur+"/nominations", obj{
		"received_on": today.String(),
		"nominator":   obj{"name": "Lancing Parish Council", "kind": "parish_council", "local_connection": true},
		"land": obj{"name": "The Crown", "description": "A pub by the green", "boundaries": "Title WSX555",
			"use": "non_residential", "category": "pub"},
		"owner":    obj{"id": "owner-crown", "name": "Crown Taverns Ltd"},
		"reasons":  "The village's last pub.",
		"evidence": "Parish council minutes.",
	}, http.StatusCreated)
	crown := nom.AssetID
	last := s.lastPosition()
	if last != nom.Position {
		t.Fatalf("the log ends at %d, the nomination was written at %d", last, nom.Position)
	}

	// A statutory refusal: a notice of a wish to dispose concerns listed
	// land only (condition A, s.95(2)).
	p := s.refused("/v1/assets/"+crown+"/disposal-notices", obj{"owner": obj{"id": "owner-crown"}, "received_on": today.String()},
		http.StatusUnprocessableEntity)
	if p["rule"] != "s.95(2)" || p["type"] != "urn:acv:problem:rule-refused" {
		t.Errorf("disposal notice on unlisted land: %v", p)
	}
	s.logUnchanged("a refused disposal notice", last)

	// A stale If-Match: a client read version 1, someone else wrote since.
	var view projections.AssetView
	etag := s.read("/v1/assets/"+crown, last, &view).header.Get("ETag")
	if etag != `"1"` {
		t.Fatalf("ETag %q, want \"1\"", etag)
	}
	consult := func() obj {
		return obj{"kind": "consultation", "subject": nom.str("nomination_id"), "method": "post", "given_on": today.String(),
			"recipients": []obj{{"role": "owner", "party": obj{"id": "owner-crown", "name": "Crown Taverns Ltd"}}}}
	}
	const key = "Idempotency-Key: crown-consultation-1"
	first := s.post("/v1/assets/"+crown+"/notices", consult(), http.StatusCreated, "If-Match: "+etag, key)
	if first.Version != 2 {
		t.Errorf("version after the first notice %d, want 2", first.Version)
	}
	last = first.Position
	// A retry with the same Idempotency-Key gets the first answer and
	// records nothing.
	again := s.post("/v1/assets/"+crown+"/notices", consult(), http.StatusCreated, "If-Match: "+etag, key)
	if again.answer.header.Get("Idempotent-Replayed") != "true" || string(again.answer.raw) != string(first.answer.raw) {
		t.Errorf("replayed notice: %s %s, want the first answer %s", again.answer.header.Get("Idempotent-Replayed"), again.answer.raw, first.answer.raw)
	}
	s.logUnchanged("a replayed request", last)
	p = s.refused("/v1/assets/"+crown+"/notices", consult(), http.StatusPreconditionFailed, "If-Match: "+etag)
	if p["type"] != "urn:acv:problem:stale-version" {
		t.Errorf("stale If-Match: %v", p)
	}
	s.logUnchanged("a write with a stale If-Match", last)

	// An unknown field is malformed input, refused whole.
	body := `{"group": {"name": "Lancing Community Pub Ltd", "kind": "cooperative_society", "local_connection": true},` +
		` "received_on": "` + today.String() + `", "colour": "red"}`
	p = s.refused("/v1/assets/"+crown+"/bidder-requests", body, http.StatusBadRequest)
	errs, _ := p["errors"].([]any)
	if len(errs) != 1 || errs[0].(map[string]any)["field"] != "colour" {
		t.Errorf("unknown field: %v", p)
	}
	s.logUnchanged("a body with an unknown field", last)
}

// wantClock checks that clocks has want.
func wantClock(t *testing.T, clocks []projections.ClockView, want projections.ClockView) {
	t.Helper()
	if !slices.Contains(clocks, want) {
		t.Errorf("clocks %+v lack %+v", clocks, want)
	}
}
