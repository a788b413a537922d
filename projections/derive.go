package projections

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/personal"
)

// Derive makes every row of one asset from its whole history, oldest
// first: those the read-model tables store, and the asset's page (AssetRow.View)
// and timeline, which they do not (see [Queries.Asset]). It is
// deterministic: the same history always gives the same rows. It reads no
// clock and nothing in it depends on today, which is what makes a rebuild
// from scratch equal to following the live log. Derive never fails: stored
// events are facts, and an empty history gives an asset row with no status.
//
// Everything it makes is public. Personal data never enters the rows: see
// [PrivateOwner] for the rule that decides whether a party may be named, and
// the package comment in rows.go.
//
// Clocks and deadlines carry their status on the "as-of day" of the history:
// the latest effective date of its events. Readers recompute running, due
// and overdue against today from the clock's End; the stored status only
// says whether the clock had stopped or ended by the last recorded fact.
//
// Register versions are made by folding the history one event at a time
// (domain.Asset.Fold) and reading the state after each. See [RegisterVersion] and the
// comment on registerBuilder for how backdated facts and unrecorded expiry
// are handled.
func Derive(id string, regimes domain.Regimes, history []Recorded) AssetRows {
	return derive(id, regimes, history, withAll)
}

// What [derive] makes of a history: any of the rows the tables store, the
// asset's page and its timeline.
type extras uint8

const (
	// withTables: the rows the tables store, as the projector, a rebuild
	// and an erasure's rederive write them.
	withTables extras = 1 << iota
	// withView: the asset's row and its page, AssetRow.View.
	withView
	// withTimeline: the timeline, AssetRows.Timeline.
	withTimeline
	withAll = withTables | withView | withTimeline
)

// derive is [Derive], making only what want asks for: the tables hold
// neither the page nor the timeline, and making them was a third of a
// rebuild's decoding and deriving (4.2 s of CPU at 10^6 events, 2.8
// without them); a page asked for makes no register versions. The asset's
// row, clocks and moratoria are always made.
func derive(id string, regimes domain.Regimes, history []Recorded, want extras) AssetRows {
	known := map[string]bool{}
	expired := map[string]bool{} // nominations whose unsuccessful entry the clock has ended
	reg := registerBuilder{assetID: id, postcodes: map[string]string{}}
	var rows AssetRows
	var asOf domain.Date
	a := domain.NewAsset(id, regimes)
	for _, r := range history {
		a.Fold(r.Event) // the state after this event: one walk, not a rebuild per prefix
		learnBodies(known, r.Event)
		if x, ok := r.Event.(domain.UnsuccessfulEntryExpired); ok {
			expired[x.NominationID] = true
		}
		on := effective(r)
		if on.After(asOf) {
			asOf = on
		}
		if want&withTimeline != 0 {
			rows.Timeline = append(rows.Timeline, timelineEntry(r, a, regimes, known))
		}
		if want&withTables != 0 {
			reg.step(a, on, expired)
		}
	}
	if want&withTables != 0 {
		rows.Register = reg.finish()
	}

	// a now holds the whole history.
	var last Recorded
	if len(history) > 0 {
		last = history[len(history)-1]
	}
	clocks := a.Clocks(asOf)
	rows.Deadlines = deadlines(id, a.Council(), clocks)
	// The asset's records are copies made on each call: read them once.
	noms, records := a.Nominations(), a.Moratoria()
	rows.Moratoria = moratoria(id, a.Council(), records)
	rows.Asset = assetRow(id, a, noms, last)
	if want&withView != 0 {
		rows.Asset.View = assetView(rows.Asset, a, noms, records, clocks, rows.Moratoria, expired, known)
	}
	return rows
}

// decisionCounts counts noms and their decisions' outcomes.
func decisionCounts(noms []domain.NominationRecord) NominationCounts {
	var c NominationCounts
	for _, n := range noms {
		var o domain.Outcome // undecided
		if n.Decision != nil {
			o = n.Decision.Outcome
		}
		c.add(o)
	}
	return c
}

// add counts one nomination, decided with outcome o ("" while undecided).
func (c *NominationCounts) add(o domain.Outcome) {
	c.Nominations++
	switch o {
	case domain.Listed:
		c.Listed++
	case domain.PartlyListed:
		c.PartlyListed++
	case domain.NotListed:
		c.NotListed++
	}
}

// effective returns the day r took legal effect: the log's effective date,
// or the event's own when the log recorded none.
func effective(r Recorded) domain.Date {
	if !r.Effective.IsZero() || r.Event == nil {
		return r.Effective
	}
	return r.Event.EffectiveOn()
}

// PrivateOwner is what public rows show in place of an owner who is not known
// to be an organisation.
//
// The public rule on parties (domain.Party has no "individual" flag): a party
// is named only when it is known to be an organisation, that is when
//   - it is a public body (PublicBody), or
//   - its ID is the ID of a community body (a nominator, a group asking to
//     bid, a buyer group) of any kind but "individual" in the asset's
//     history, or
//   - its ID has the form of an organisation identifier: the registry's own
//     "org-" or "org:" ids, an org-id.guide identifier (GB-COH-01234567,
//     GB-CHC-1098765) or a planning data organisation code
//     (local-authority:MDS, government-organisation:D1).
//
// Anyone else may be a person: the name and address never appear, and the
// owner shows as "a private owner" (a buyer is left out, a bidder shows as
// "a private bidder"). Names are never inspected ("Ltd", "Trust"): a wrong
// guess there would publish a person's name. Occupiers, interest holders,
// notice recipients, review requesters, appellants, claimants and sellers
// are never named at all, whatever they are. Nominators are community
// bodies and are named, but never their evidence or contact details.
const PrivateOwner = "a private owner"

// privateBidder stands in for a bidder not known to be an organisation.
const privateBidder = "a private bidder"

// IsOrganisationID reports whether id has the form of an organisation
// identifier: the registry's "org-" ids, org-id.guide codes, planning data
// organisation codes. It is the one rule by which public rows and the
// redacted raw events decide that a party may be named (see [PrivateOwner]).
func IsOrganisationID(id string) bool { return personal.IsOrganisationID(id) }

// isOrganisation reports whether p may be named in public rows.
func isOrganisation(p domain.Party, known map[string]bool) bool {
	switch {
	case p.PublicBody:
		return true
	case p.ID == "":
		return false
	case known[p.ID]:
		return true
	}
	return personal.IsOrganisationID(p.ID)
}

// publicBody reports whether a community body may be named: every kind but
// an individual.
func publicBody(b domain.Body) bool { return b.Kind != domain.Individual && b.Name != "" }

// learnBodies records the ids of the community bodies e names.
func learnBodies(known map[string]bool, e domain.Event) {
	add := func(b domain.Body) {
		if b.ID != "" && b.Kind != domain.Individual {
			known[b.ID] = true
		}
	}
	switch e := e.(type) {
	case domain.NominationReceived:
		add(e.Nominator)
	case domain.BidderRequestReceived:
		add(e.Group)
	case domain.DisposalRecorded:
		if e.BuyerGroup != nil {
			add(*e.BuyerGroup)
		}
	}
}

// ownerName returns the public name of an owner: its name if it is an
// organisation, [PrivateOwner] otherwise, "" when none is recorded.
func ownerName(p domain.Party, known map[string]bool) string {
	switch {
	case p.IsZero():
		return ""
	case isOrganisation(p, known) && p.Name != "":
		return p.Name
	}
	return PrivateOwner
}

// reference returns the council's reference of a nomination (its local extra
// "reference"), or "" when it gave none. No other local extra is public.
func reference(n domain.NominationReceived) string {
	return strings.TrimSpace(n.LocalExtras["reference"])
}

// postcodePattern matches a UK postcode with its spaces removed, capturing
// the outward and inward codes.
var postcodePattern = regexp.MustCompile(`^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$`)

// trailingPostcode matches a UK postcode at the end of an address.
var trailingPostcode = regexp.MustCompile(`(?i)(?:^|[\s,])([A-Z]{1,2}[0-9][A-Z0-9]?\s*[0-9][A-Z]{2})[\s.,]*$`)

// postcode returns the land's postcode normalised: upper case, one space
// before the inward code (SW1A 1AA). It is Land.Postcode when given, else
// one parsed from the end of the address, else "". A given postcode that is
// not a UK postcode is kept, upper-cased, as the council typed it.
func postcode(l domain.Land) string {
	// normalPostcode removes white space and raises case itself: the text
	// is tidied only to be kept when it is not a postcode.
	if n, ok := normalPostcode(l.Postcode); ok {
		return n
	}
	if pc := strings.Join(strings.Fields(strings.ToUpper(l.Postcode)), " "); pc != "" {
		return pc
	}
	if m := trailingPostcode.FindStringSubmatch(l.Address); m != nil {
		if n, ok := normalPostcode(m[1]); ok {
			return n
		}
	}
	return ""
}

// normalPostcode returns s as a UK postcode, upper case with one space
// before the inward code, if it is one once its white space is removed:
// an outward code of one or two letters, a digit and an optional letter
// or digit, then an inward code of a digit and two letters. ASCII text it
// reads byte by byte: a rebuild reads every asset's, and the regular
// expression was a hundredth of a rebuild. Other text (Unicode's spaces
// and case) goes to postcodePattern, as all text did
// (TestNormalPostcodeIsThePattern compares the two).
func normalPostcode(s string) (string, bool) {
	var b [8]byte // a byte more than the longest postcode and its space
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c >= '\t' && c <= '\r':
			continue
		case c >= utf8.RuneSelf:
			return patternPostcode(s)
		case n == len(b)-1:
			return "", false
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		}
		b[n] = c
		n++
	}
	if n < 5 {
		return "", false
	}
	letter := func(c byte) bool { return c >= 'A' && c <= 'Z' }
	digit := func(c byte) bool { return c >= '0' && c <= '9' }
	out, in := b[:n-3], b[n-3:n]
	if !digit(in[0]) || !letter(in[1]) || !letter(in[2]) || !letter(out[0]) {
		return "", false
	}
	i := 1
	if letter(out[i]) {
		i++
	}
	if i >= len(out) || !digit(out[i]) {
		return "", false
	}
	switch rest := out[i+1:]; {
	case len(rest) > 1, len(rest) == 1 && !letter(rest[0]) && !digit(rest[0]):
		return "", false
	}
	b[n] = in[2]
	b[n-1], b[n-2], b[n-3] = in[1], in[0], ' '
	return string(b[:n+1]), true
}

// patternPostcode is normalPostcode by postcodePattern, for any text.
func patternPostcode(s string) (string, bool) {
	compact := strings.ToUpper(strings.Join(strings.Fields(s), ""))
	m := postcodePattern.FindStringSubmatch(compact)
	if m == nil {
		return "", false
	}
	return m[1] + " " + m[2], true
}

func copyPoint(p *domain.Point) *domain.Point {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

// assetRow makes the asset's row from the whole history. noms are a's
// nominations, last the history's last event.
func assetRow(id string, a *domain.Asset, noms []domain.NominationRecord, last Recorded) AssetRow {
	row := AssetRow{ID: id, Council: a.Council(), Reference: id, Status: string(a.Status()), Version: last.Version,
		Position: last.Position, Counts: decisionCounts(noms)}
	for i := len(noms) - 1; i >= 0; i-- {
		if ref := reference(noms[i].Received); ref != "" {
			row.Reference = ref
			break
		}
	}
	if len(noms) > 0 {
		n := noms[len(noms)-1].Received
		row.Name, row.Address, row.Postcode, row.UPRN = n.Land.Name, n.Land.Address, postcode(n.Land), n.Land.UPRN
		row.Point, row.Category = copyPoint(n.Land.Point), n.Land.Category
	}
	return row
}

// assetView makes the asset's public view, as JSON, from its row and the
// whole history. noms and records are a's nominations and moratoria.
func assetView(row AssetRow, a *domain.Asset, noms []domain.NominationRecord, records []domain.MoratoriumRecord,
	clocks []domain.Clock, ms []Moratorium, expired map[string]bool, known map[string]bool) json.RawMessage {
	view := AssetView{ID: row.ID, Council: row.Council, Status: row.Status, Version: row.Version,
		Nominations: []NominationView{}, Clocks: []ClockView{}, Moratoria: ms}
	if len(noms) > 0 {
		n := noms[len(noms)-1].Received
		view.NominatingGroup, view.Description = n.Nominator.Name, n.Land.Description
	}
	view.Reference, view.Name, view.AddressText, view.Postcode = row.Reference, row.Name, row.Address, row.Postcode
	view.UPRN, view.Point, view.Category = row.UPRN, copyPoint(row.Point), row.Category
	if o, ok := a.Owner(); ok {
		view.Owner = ownerName(o, known)
	}
	for _, n := range noms {
		nv := NominationView{ID: n.Received.NominationID, NominationDate: n.Received.ReceivedOn,
			NominatingGroup: n.Received.Nominator.Name, NominatorKind: string(n.Received.Nominator.Kind), DecisionDue: n.DecisionDue}
		if d := n.Decision; d != nil {
			nv.Decision, nv.DecisionDate, nv.DecidedLate, nv.Reasons = string(d.Outcome), d.DecidedOn, n.DecidedLate, d.Reasons
		}
		view.Nominations = append(view.Nominations, nv)
	}
	view.Entry = lastEntry(row.ID, a, noms, records, expired)
	for _, c := range clocks {
		view.Clocks = append(view.Clocks, ClockView{Name: string(c.Name), Subject: c.Subject, Start: c.Start, End: c.End,
			Status: string(c.Status), Rule: c.Rule, Regime: c.Regime})
	}
	if len(ms) > 0 {
		view.InterestedGroup = ms[len(ms)-1].InterestedGroup
	}
	for _, m := range records {
		for _, b := range m.Bids {
			view.Bids = append(view.Bids, BidView{ID: b.Bid.BidID, Bidder: bidderName(b.Bid, m.Requests, known),
				AmountPence: b.Bid.AmountPence, SubmittedOn: b.Bid.SubmittedOn, Status: string(b.Status)})
		}
	}
	for _, d := range a.Disposals() {
		view.Disposals = append(view.Disposals, DisposalView{ID: d.DisposalID, Kind: string(d.Kind),
			ExemptionCode: string(d.Exemption), Buyer: buyerName(d, known), On: d.DisposedOn, InBreach: d.InBreach, BreachRule: d.Rule})
	}
	b, _ := appendViewJSON(nil, &view) // as json.Marshal: fails only on a point at NaN or infinity, then nil
	return b
}

// bidderName returns a bidder's public name: the group of its bidder request,
// or the bidder if it is an organisation, or "a private bidder".
func bidderName(b domain.BidSubmitted, requests []domain.BidderRequestReceived, known map[string]bool) string {
	for _, r := range requests {
		if b.RequestID != "" && r.RequestID == b.RequestID && publicBody(r.Group) {
			return r.Group.Name
		}
	}
	if isOrganisation(b.Bidder, known) && b.Bidder.Name != "" {
		return b.Bidder.Name
	}
	return privateBidder
}

// buyerName returns a buyer's public name, or "" for a buyer who may be a
// person.
func buyerName(d domain.DisposalRecorded, known map[string]bool) string {
	if d.BuyerGroup != nil && publicBody(*d.BuyerGroup) {
		return d.BuyerGroup.Name
	}
	if isOrganisation(d.Buyer, known) {
		return d.Buyer.Name
	}
	return ""
}

// interestedGroups returns the names of the community interest groups whose
// requests to be treated as potential bidders were accepted, in order,
// joined by "; ".
func interestedGroups(rs []domain.BidderRequestReceived) string {
	var names []string
	for _, r := range rs {
		if r.Status == domain.RequestAccepted && publicBody(r.Group) {
			names = append(names, r.Group.Name)
		}
	}
	return strings.Join(names, "; ")
}

// moratoria makes one row per disposal notice.
// records are the asset's (domain.Asset.Moratoria).
func moratoria(id, council string, records []domain.MoratoriumRecord) []Moratorium {
	var ms []Moratorium
	for _, m := range records {
		row := Moratorium{AssetID: id, Council: council, NoticeID: m.Notice.NoticeID, NoticeReceived: m.Notice.ReceivedOn,
			InterimEnd: m.InterimEnds, FullEnd: m.FullEnds, ProtectedEnd: m.ProtectedEnds, FullMoratorium: m.FullTriggered,
			InterestedGroup: interestedGroups(m.Requests)}
		if m.Outcome != nil {
			row.Outcome = string(m.Outcome.Outcome)
		}
		ms = append(ms, row)
	}
	return ms
}

// deadlines makes one row per clock. Closed means the clock had stopped or
// ended by the as-of day; an open clock is running or overdue, which readers
// work out against today.
func deadlines(id, council string, clocks []domain.Clock) []Deadline {
	var ds []Deadline
	for _, c := range clocks {
		ds = append(ds, Deadline{AssetID: id, Council: council, Name: string(c.Name), Subject: c.Subject, Start: c.Start, End: c.End,
			Closed: c.Status == domain.ClockStopped || c.Status == domain.ClockEnded, Rule: c.Rule})
	}
	return ds
}

// Entry statuses of a RegisterEntry.
const (
	entryListed       = "listed"       // on the list of assets of community value
	entryRemoved      = "removed"      // taken off that list early (Regs reg 2)
	entryExpired      = "expired"      // its 5 years ended (s.87(3), s.93)
	entryUnsuccessful = "unsuccessful" // on the list of unsuccessful nominations
)

// baseEntry fills the fields every entry takes from its nomination.
// postcodes caches each nomination's postcode (nil: no cache).
func baseEntry(assetID string, n domain.NominationRecord, postcodes map[string]string) RegisterEntry {
	r := n.Received
	pc, ok := postcodes[r.NominationID]
	if !ok {
		pc = postcode(r.Land)
		if postcodes != nil {
			postcodes[r.NominationID] = pc
		}
	}
	e := RegisterEntry{Reference: reference(r), AssetID: assetID, Name: r.Land.Name, AddressText: r.Land.Address,
		Postcode: pc, UPRN: r.Land.UPRN, Description: r.Land.Description, Point: copyPoint(r.Land.Point),
		Organisation: r.Council, NominatingGroup: r.Nominator.Name, NominationDate: r.ReceivedOn}
	if e.Reference == "" {
		e.Reference = assetID
	}
	if d := n.Decision; d != nil {
		e.Decision, e.DecisionDate, e.EntryDate, e.StartDate = string(d.Outcome), d.DecidedOn, d.EnteredOn, d.EnteredOn
	}
	return e
}

// acvEntry is entry le on the list of assets of community value, as the
// asset knows it from the nomination n that made it (nil if unknown) and
// its moratoria records.
//
// EndDate is the data standard's end-date, defined here as the last day the
// entry stood or will stand as far as the registry knows: the day before its
// removal for an entry removed early, otherwise its expiry date (the last day
// of its 5 years). RemovalDate is the first day off the list.
func acvEntry(assetID string, n *domain.NominationRecord, records []domain.MoratoriumRecord, le domain.ListEntry, postcodes map[string]string) RegisterEntry {
	var e RegisterEntry
	if n != nil {
		e = baseEntry(assetID, *n, postcodes)
	}
	if le.Outcome == domain.PartlyListed && le.ListedPart != "" {
		e.Description = strings.TrimSpace(e.Description + " (part listed: " + le.ListedPart + ")")
	}
	e.Decision, e.EntryDate, e.StartDate, e.ExpiryDate = string(le.Outcome), le.EnteredOn, le.EnteredOn, le.ExpiresOn
	e.Status, e.EndDate = entryListed, le.ExpiresOn
	lastDay := le.ExpiresOn
	if !le.RemovedOn.IsZero() {
		e.Status, e.RemovalDate, e.RemovalReason = entryRemoved, le.RemovedOn, string(le.RemovalReason)
		if le.RemovalReason == domain.RemovedOnExpiry {
			e.Status = entryExpired
		}
		if d := le.RemovedOn.AddDays(-1); d.Before(lastDay) {
			lastDay = d
		}
		e.EndDate = lastDay
	}
	// The moratorium shown is that of the latest owner's notice received
	// while this entry stood (s.97: the entry records it from receipt).
	for _, m := range records {
		got := m.Notice.ReceivedOn
		if got.Before(le.EnteredOn) || got.After(lastDay) {
			continue
		}
		e.NotificationToSellDate, e.InterimMoratoriumEndDate = got, m.InterimEnds
		e.FullMoratoriumEndDate, e.ProtectedPeriodEndDate = m.FullEnds, m.ProtectedEnds
		e.InterestedGroup = interestedGroups(m.Requests)
	}
	return e
}

// unsuccessfulEntry is nomination n's entry on the list of land nominated by
// unsuccessful community nominations (s.93). EndDate is its last day.
func unsuccessfulEntry(assetID string, n domain.NominationRecord, expired bool, postcodes map[string]string) RegisterEntry {
	e := baseEntry(assetID, n, postcodes)
	e.ExpiryDate, e.EndDate, e.Status = n.UnsuccessfulEntryEnds, n.UnsuccessfulEntryEnds, entryUnsuccessful
	if expired {
		e.Status, e.RemovalDate, e.RemovalReason = entryExpired, n.UnsuccessfulEntryEnds.AddDays(1), string(domain.RemovedOnExpiry)
	}
	return e
}

// currentUnsuccessful returns the land's entry on the unsuccessful list: that
// of the latest nomination decided "not listed" whose end the clock has not
// recorded. The list is a list of land, so a later unsuccessful nomination
// replaces an earlier one's entry rather than standing beside it.
func currentUnsuccessful(a *domain.Asset, expired map[string]bool) (domain.NominationRecord, bool) {
	n, ok := a.LastDecided(domain.NotListed)
	if !ok || expired[n.Received.NominationID] {
		return domain.NominationRecord{}, false
	}
	return n, true
}

// nominationIn returns the nomination of noms with id, or nil.
func nominationIn(noms []domain.NominationRecord, id string) *domain.NominationRecord {
	for i := range noms {
		if noms[i].Received.NominationID == id {
			return &noms[i]
		}
	}
	return nil
}

// lastEntry returns the current or last entry of the land on either list, or
// nil when it has never been on one: the later of its last entry on the list
// of assets of community value and its last entry on the unsuccessful list
// (the former when both began on the same day). noms and records are a's
// nominations and moratoria.
func lastEntry(assetID string, a *domain.Asset, noms []domain.NominationRecord, records []domain.MoratoriumRecord, expired map[string]bool) *RegisterEntry {
	var best *RegisterEntry
	for i := len(noms) - 1; i >= 0; i-- {
		if n := noms[i]; n.Decision != nil && n.Decision.Outcome == domain.NotListed {
			e := unsuccessfulEntry(assetID, n, expired[n.Received.NominationID], nil)
			best = &e
			break
		}
	}
	if es := a.Entries(); len(es) > 0 {
		le := es[len(es)-1]
		e := acvEntry(assetID, nominationIn(noms, le.NominationID), records, le, nil)
		if best == nil || !e.EntryDate.Before(best.EntryDate) {
			best = &e
		}
	}
	return best
}

// lists returns the two lists, in the order versions of one day are sorted.
func lists() [2]List { return [2]List{ListACV, ListUnsuccessful} }

// registerBuilder turns the entries each prefix of the history implies into
// versions valid over effective dates.
//
// After each event it works out the asset's public entry on each list. When
// that entry changes, appears or disappears, the open version is closed and a
// new one opened:
//   - an entry that appears (a decision) opens on its date of entry, not on
//     the day the decision was recorded;
//   - a changed entry (a moratorium's dates from the notice's receipt, an
//     interested group from its request) opens on the event's effective day;
//   - an entry that leaves the list closes on the event's effective day: the
//     day of removal, or the day after the last day of its 5 years;
//   - a version never closes after the day following its expiry date, so an
//     entry whose 5 years have ended leaves the list without waiting for the
//     clock's ListingExpired or UnsuccessfulEntryExpired event, and an as-of
//     query after expiry excludes it;
//   - a backdated event never moves a version before the previous version's
//     ValidFrom (it is clamped), and a version left empty (ValidFrom ==
//     ValidTo) is dropped.
//
// Versions closed by earlier events are never changed by later ones, so the
// versions of a prefix of the history that ended before the next event's day
// are versions of the whole history too.
type registerBuilder struct {
	assetID   string
	postcodes map[string]string   // by nomination: a nomination's land never changes
	open      [2]*RegisterVersion // by index in lists()
	openKey   [2]string           // the nomination whose entry the open version shows
	lastFrom  [2]domain.Date
	out       []RegisterVersion
}

// step folds in the asset a after one more event, effective on day on. It
// reads the one nomination each list's entry needs, not copies of them all
// (this runs after every event of a rebuild).
func (b *registerBuilder) step(a *domain.Asset, on domain.Date, expired map[string]bool) {
	for i, list := range lists() {
		var (
			cur RegisterEntry
			key string
			ok  bool
		)
		switch list {
		case ListACV:
			var le domain.ListEntry
			if le, ok = a.Entry(); ok {
				var n *domain.NominationRecord
				if r, found := a.Nomination(le.NominationID); found {
					n = &r
				}
				cur, key = acvEntry(b.assetID, n, a.Moratoria(), le, b.postcodes), le.NominationID
			}
		case ListUnsuccessful:
			var n domain.NominationRecord
			if n, ok = currentUnsuccessful(a, expired); ok {
				cur, key = unsuccessfulEntry(b.assetID, n, false, b.postcodes), n.Received.NominationID
			}
		}
		o := b.open[i]
		if o == nil && !ok || o != nil && ok && key == b.openKey[i] && sameEntry(o.Entry, cur) {
			continue
		}
		from := on
		if ok && (o == nil || key != b.openKey[i]) {
			from = cur.EntryDate // a new entry stands from its date of entry
		}
		if from.Before(b.lastFrom[i]) {
			from = b.lastFrom[i]
		}
		if o != nil {
			to := on
			if ok {
				to = from
			}
			b.close(o, to)
			b.open[i] = nil
		}
		if ok {
			b.open[i] = &RegisterVersion{AssetID: b.assetID, Council: a.Council(), List: list, ValidFrom: from, Entry: cur}
			b.openKey[i], b.lastFrom[i] = key, from
		}
	}
}

// sameEntry reports whether two entries are equal field by field, Point by
// value: what reflect.DeepEqual says of them, without reflection (step runs
// after every event; DeepEqual was about 5% of deriving a long history).
func sameEntry(x, y RegisterEntry) bool {
	px, py := x.Point, y.Point
	if px != py && (px == nil || py == nil || *px != *py) {
		return false
	}
	x.Point, y.Point = nil, nil
	return x == y
}

// close ends version v on day to, clamped to its ValidFrom and to the day
// after its expiry, and keeps it unless that leaves it empty.
func (b *registerBuilder) close(v *RegisterVersion, to domain.Date) {
	if to.Before(v.ValidFrom) {
		to = v.ValidFrom
	}
	if exp := v.Entry.ExpiryDate; !exp.IsZero() && to.After(exp.AddDays(1)) {
		to = exp.AddDays(1)
	}
	if !to.After(v.ValidFrom) {
		return
	}
	v.ValidTo = to
	b.out = append(b.out, *v)
}

// finish closes the versions still open on the day after their expiry and
// returns every version, oldest first.
func (b *registerBuilder) finish() []RegisterVersion {
	for i, o := range b.open {
		switch {
		case o == nil:
			continue
		case o.Entry.ExpiryDate.IsZero():
			b.out = append(b.out, *o) // not reached: every entry has an expiry date
		default:
			b.close(o, o.Entry.ExpiryDate.AddDays(1))
		}
		b.open[i] = nil
	}
	sort.SliceStable(b.out, func(i, j int) bool {
		x, y := b.out[i], b.out[j]
		if x.ValidFrom != y.ValidFrom {
			return x.ValidFrom.Before(y.ValidFrom)
		}
		return x.List == ListACV && y.List != ListACV
	})
	return b.out
}
