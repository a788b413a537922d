package projections

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/acv-registry/acv/domain"
)

// The timeline: every event of an asset in plain English, for a member of the
// public. Each sentence names the rule behind it, in the text and in
// TimelineEntry.Rule. Texts never carry personal data: people are named by
// role ("the owner"), organisations by name only when the rule of
// [PrivateOwner] allows it, and free text typed by councils, owners or
// groups (reasons, evidence, terms, a breach's explanation) is left out; the
// asset view carries the council's reasons for a decision.

// Citations come from domain/rules.go, the one place a citation is
// corrected; periods are cited from the regime's TimeLimits.

// timeline makes the asset's timeline alone from its whole history, as
// [Derive] makes it: what [Queries.Timeline] serves, without the register
// versions, clocks and view that a whole derivation makes too.
func timeline(id string, regimes domain.Regimes, history []Recorded) []TimelineEntry {
	known := map[string]bool{}
	a := domain.NewAsset(id, regimes)
	var out []TimelineEntry
	for _, r := range history {
		a.Fold(r.Event)
		learnBodies(known, r.Event)
		out = append(out, timelineEntry(r, a, regimes, known))
	}
	return out
}

// timelineEntry renders r, the last event folded into a.
func timelineEntry(r Recorded, a *domain.Asset, regimes domain.Regimes, known map[string]bool) TimelineEntry {
	typ := r.Type
	if typ == "" && r.Event != nil {
		typ = r.Event.EventType()
	}
	text, rule, _ := describe(r.Event, a, regimeOf(a, regimes, r.Event), known)
	return TimelineEntry{Position: r.Position, Version: r.Version, Type: typ, Effective: effective(r), RecordedAt: r.RecordedAt,
		ActorRole: r.ActorRole, ActorOrg: r.ActorOrg, Text: text, Rule: rule, Regime: r.Regime}
}

// regimeOf returns the regime that governs e in a's history. History is never
// refused: an unknown regime falls back to the one in force on e's day, then
// to localism-2012.
func regimeOf(a *domain.Asset, regimes domain.Regimes, e domain.Event) domain.Regime {
	if e == nil {
		return domain.Localism2012()
	}
	if r, ok := regimes.ByID(a.RegimeOf(e)); ok {
		return r
	}
	if r, err := regimes.RegimeFor(e.EffectiveOn()); err == nil {
		return r
	}
	return domain.Localism2012()
}

// describe returns the plain-English text of e and the rule it cites; ok is
// false only for an event type it does not know, whose text is a generic
// fallback. a is the asset with e applied; rg is e's regime.
func describe(e domain.Event, a *domain.Asset, rg domain.Regime, known map[string]bool) (text, rule string, ok bool) {
	switch e := e.(type) {
	case domain.NominationReceived:
		rule = rg.Decision.Rule
		return sentence("Nomination received from %s. The council must decide by %s (%s).",
			bodyName(e.Nominator), date(rg.Decision.End(e.ReceivedOn)), rule), rule, true
	case domain.NominationDecided:
		text, rule = describeDecision(e, a, rg)
		return text, rule, true
	case domain.NominationDecisionOverdue:
		rule = rg.Decision.Rule
		return sentence("The council did not decide the nomination within %s: the decision was due by %s. "+
			"This has no automatic outcome; the nomination is now overdue (%s).", periodWords(rg.Decision.Period), date(e.DueOn), rule), rule, true
	case domain.NoticeGiven:
		text, rule = describeNotice(e, a)
		return text, rule, true
	case domain.ReviewRequested, domain.ReviewRequestWindowExtended, domain.ReviewDecisionPeriodAgreed,
		domain.ReviewDecided, domain.ReviewDecisionOverdue, domain.AppealLodged, domain.AppealDecided:
		text, rule = describeReview(e, a, rg)
		return text, rule, true
	case domain.RemovedFromList:
		text, rule = describeRemoval(e, rg)
		return text, rule, true
	case domain.ListingExpired:
		rule = rg.Listing.Rule
		return sentence("The listing's %s ended on %s: the land is no longer on the list of assets of community value, and may be nominated again (%s).",
			periodWords(rg.Listing.Period), date(e.LastDay), rule), rule, true
	case domain.UnsuccessfulEntryExpired:
		rule = rg.UnsuccessfulEntry.Rule
		return sentence("The land's %s on the list of unsuccessful nominations ended on %s (%s).",
			periodWords(rg.UnsuccessfulEntry.Period), date(e.LastDay), rule), rule, true
	case domain.DisposalNoticeReceived, domain.BidderRequestReceived, domain.InterimMoratoriumEnded,
		domain.FullMoratoriumEnded, domain.ProtectedPeriodEnded:
		text, rule = describeMoratorium(e, a, rg)
		return text, rule, true
	case domain.BidSubmitted, domain.BidStatusChanged, domain.MoratoriumOutcomeRecorded, domain.DisposalRecorded, domain.OwnerChanged:
		text, rule = describeSale(e, a, rg, known)
		return text, rule, true
	case domain.CompensationClaimed, domain.CompensationDecided, domain.CompensationReviewRequested,
		domain.CompensationReviewWindowExtended, domain.CompensationReviewDecided,
		domain.CompensationAppealLodged, domain.CompensationAppealDecided:
		text, rule = describeCompensation(e, a, known)
		return text, rule, true
	}
	typ := "an event"
	if e != nil {
		typ = e.EventType()
	}
	return "The registry recorded " + typ + ".", "", false
}

func describeDecision(e domain.NominationDecided, a *domain.Asset, rg domain.Regime) (string, string) {
	var text, rule string
	entered := ""
	if e.EnteredOn != e.DecidedOn {
		entered = " with effect from " + date(e.EnteredOn)
	}
	switch e.Outcome {
	case domain.NotListed:
		rule = rg.UnsuccessfulEntry.Rule
		text = sentence("The council decided not to list the land and gave the nominator its written reasons (%s). "+
			"The land goes on the list of unsuccessful nominations%s until %s (%s).",
			domain.RuleDecision, entered, date(rg.UnsuccessfulEntry.End(e.EnteredOn)), rule)
	case domain.PartlyListed:
		rule = rg.Listing.Rule
		text = sentence("The council listed part of the land%s. It stays on the list until %s (%s).",
			entered, date(rg.Listing.End(e.EnteredOn)), rule)
	default:
		rule = rg.Listing.Rule
		text = sentence("The council listed the land%s. It stays on the list until %s (%s).",
			entered, date(rg.Listing.End(e.EnteredOn)), rule)
	}
	if n, ok := a.Nomination(e.NominationID); ok && n.DecidedLate {
		text += sentence(" The decision came after the time allowed, which ended on %s; it is still valid (%s).",
			date(n.DecisionDue), rg.Decision.Rule)
	}
	return text, rule
}

func describeNotice(e domain.NoticeGiven, a *domain.Asset) (string, string) {
	to := recipients(e.Recipients)
	how := methodWords(e.Method)
	switch e.Kind {
	case domain.ConsultationNotice:
		return sentence("The council told %s %s that it is considering the nomination (%s).", to, how, domain.RuleConsultation), domain.RuleConsultation
	case domain.ListingNotice:
		text := sentence("The council gave notice of the listing to %s %s, explaining what listing means and the right to a review (%s).", to, how, domain.RuleListingNotice)
		for _, en := range a.Entries() {
			if en.NominationID == e.Subject && !en.ReviewWindowEnds.IsZero() {
				text += sentence(" The owner may ask for a review until %s.", date(en.ReviewWindowEnds))
			}
		}
		return text, domain.RuleListingNotice
	case domain.UnsuccessfulNotice:
		return sentence("The council gave the nominator its written reasons for not listing the land, %s (%s).", how, domain.RuleDecision), domain.RuleDecision
	case domain.RemovalNotice:
		return sentence("The council gave notice of the removal from the list, with its reasons, to %s %s (%s).", to, how, domain.RuleRemovalNotice), domain.RuleRemovalNotice
	case domain.MoratoriumPublicity:
		return sentence("The council publicised the owner's notice of a wish to sell in the area %s (%s).", how, domain.RulePublicity), domain.RulePublicity
	case domain.BidderRequestPassing:
		return sentence("The council passed the community group's request to be treated as a potential bidder to the owner %s (%s).", how, domain.RulePassRequest), domain.RulePassRequest
	}
	return sentence("The council gave a written notice to %s %s.", to, how), ""
}

func describeReview(e domain.Event, a *domain.Asset, rg domain.Regime) (string, string) {
	review := func(id string) (domain.ReviewRecord, bool) {
		for _, r := range a.Reviews() {
			if r.Request.ReviewID == id {
				return r, true
			}
		}
		return domain.ReviewRecord{}, false
	}
	switch e := e.(type) {
	case domain.ReviewRequested:
		due := rg.ReviewDecision.End(e.ReceivedOn)
		if r, ok := review(e.ReviewID); ok {
			due = r.DueOn
		}
		hearing := ""
		if e.OralHearing {
			hearing = ", with an oral hearing"
		}
		return sentence("The owner asked for a review of the listing%s (%s). A senior officer who took no part in the decision must decide by %s; the land stays listed meanwhile (%s).",
			hearing, domain.RuleReview, date(due), rg.ReviewDecision.Rule), domain.RuleReview
	case domain.ReviewRequestWindowExtended:
		rule := rg.ReviewRequest.Rule
		return sentence("The council allowed the owner until %s to ask for a review of the listing (%s).", date(e.Until), rule), rule
	case domain.ReviewDecisionPeriodAgreed:
		rule := rg.ReviewDecision.Rule
		return sentence("The council and the owner agreed in writing that the review will be decided by %s (%s).", date(e.Until), rule), rule
	case domain.ReviewDecided:
		var text string
		if e.Outcome == domain.ReviewOverturned {
			text = sentence("The review decided that the land should not have been listed: it is to be removed from the list (%s).", domain.RuleReview)
		} else {
			text = sentence("The review upheld the listing: the land stays on the list (%s). The decision was sent on %s; the owner may appeal to the First-tier Tribunal until %s (%s).",
				domain.RuleReview, date(e.SentOn), date(rg.Appeal.End(e.SentOn)), rg.Appeal.Rule)
		}
		if r, ok := review(e.ReviewID); ok && r.DecidedLate {
			text += sentence(" The decision came after the time allowed, which ended on %s; it is still valid.", date(r.DueOn))
		}
		return text, domain.RuleReview
	case domain.ReviewDecisionOverdue:
		rule := rg.ReviewDecision.Rule
		return sentence("The review was not decided by %s, the end of the time allowed: it is now overdue. The land stays listed (%s).", date(e.DueOn), rule), rule
	case domain.AppealLodged:
		extended := ""
		if e.TimeExtended {
			extended = " The tribunal extended the time for appealing."
		}
		return sentence("The owner appealed to the First-tier Tribunal (General Regulatory Chamber) against the review decision, case %s (%s). The land stays listed while the appeal is decided.%s",
			caseNumber(e.CaseNumber), domain.RuleAppeal, extended), domain.RuleAppeal
	case domain.AppealDecided:
		cn := ""
		for _, ap := range a.Appeals() {
			if ap.Lodged.AppealID == e.AppealID {
				cn = ap.Lodged.CaseNumber
			}
		}
		switch e.Outcome {
		case domain.AppealAllowed:
			return sentence("The tribunal allowed the appeal, case %s: the land should not be listed and is to be removed from the list (%s).", caseNumber(cn), domain.RuleAppealAllowed), domain.RuleAppealAllowed
		case domain.AppealWithdrawn:
			return sentence("The appeal, case %s, was withdrawn: the land stays listed (%s).", caseNumber(cn), domain.RuleAppeal), domain.RuleAppeal
		}
		return sentence("The tribunal dismissed the appeal, case %s: the land stays listed (%s).", caseNumber(cn), domain.RuleAppeal), domain.RuleAppeal
	}
	return "", ""
}

func describeRemoval(e domain.RemovedFromList, rg domain.Regime) (string, string) {
	var why, rule string
	switch e.Reason {
	case domain.RemovedOnReview:
		why, rule = "a review decided that it should not have been listed", domain.RuleReview
	case domain.RemovedOnAppeal:
		why, rule = "the tribunal allowed the owner's appeal", domain.RuleAppealAllowed
	case domain.RemovedNoCommunityValue:
		why, rule = "the council no longer considers it of community value", domain.RuleNoCommunityValue
	case domain.RemovedOnRelevantDisposal:
		why, rule = "it was sold or let on a long lease in a relevant disposal", domain.RuleRelevantDisposalRm
	case domain.RemovedOnExpiry:
		why, rule = "its "+periodWords(rg.Listing.Period)+" on the list ended", rg.Listing.Rule
	default:
		why, rule = "the council removed it", "Regs reg 2"
	}
	return sentence("The land was removed from the list of assets of community value on %s: %s (%s).", date(e.RemovedOn), why, rule), rule
}

// moratorium returns the moratorium of disposal notice id in a.
func moratorium(a *domain.Asset, id string) (domain.MoratoriumRecord, bool) {
	for _, m := range a.Moratoria() {
		if m.Notice.NoticeID == id {
			return m, true
		}
	}
	return domain.MoratoriumRecord{}, false
}

func describeMoratorium(e domain.Event, a *domain.Asset, rg domain.Regime) (string, string) {
	switch e := e.(type) {
	case domain.DisposalNoticeReceived:
		got := e.ReceivedOn
		return sentence("The owner gave notice of a wish to sell. Interim moratorium until %s, full moratorium (if a community group asks to bid) until %s, protected period until %s (%s). "+
			"Until the interim moratorium ends, community groups may ask to be treated as potential bidders, and the owner may sell only to a community group.",
			date(rg.InterimMoratorium.End(got)), date(rg.FullMoratorium.End(got)), date(rg.ProtectedPeriod.End(got)), domain.RuleConditionA), domain.RuleConditionA
	case domain.BidderRequestReceived:
		m, _ := moratorium(a, e.NoticeID)
		if e.Status == domain.RequestAccepted {
			full := m.FullEnds
			if full.IsZero() {
				full = rg.FullMoratorium.End(m.Notice.ReceivedOn)
			}
			return sentence("%s asked to be treated as a potential bidder. The full moratorium runs until %s: until then the owner may sell only to a community group (%s).",
				capitalise(bodyName(e.Group)), date(full), domain.RuleBidderRequest), domain.RuleBidderRequest
		}
		rule := e.Rule
		if rule == "" {
			rule = domain.RuleBidderRequest
		}
		return sentence("A request to be treated as a potential bidder from %s was rejected: %s. It is recorded and starts nothing (%s).",
			bodyName(e.Group), rejection(e, m, rg), rule), rule
	case domain.InterimMoratoriumEnded:
		m, _ := moratorium(a, e.NoticeID)
		rule := rg.InterimMoratorium.Rule
		if m.FullTriggered {
			return sentence("The interim moratorium ended on %s. A community group asked to bid, so the full moratorium continues until %s (%s).",
				date(e.LastDay), date(m.FullEnds), rule), rule
		}
		return sentence("The interim moratorium ended on %s with no request from a community group to bid: the owner may now sell to anyone until the protected period ends on %s (%s).",
			date(e.LastDay), date(m.ProtectedEnds), rule), rule
	case domain.FullMoratoriumEnded:
		m, _ := moratorium(a, e.NoticeID)
		rule := rg.FullMoratorium.Rule
		return sentence("The full moratorium ended on %s: the owner may now sell to anyone until the protected period ends on %s (%s).",
			date(e.LastDay), date(m.ProtectedEnds), rule), rule
	case domain.ProtectedPeriodEnded:
		rule := rg.ProtectedPeriod.Rule
		return sentence("The protected period ended on %s: the owner must give a fresh notice before selling the land (%s).", date(e.LastDay), rule), rule
	}
	return "", ""
}

// rejection says in plain words why a bidder request was rejected, from the
// facts rather than the stored reason (which may use codes).
func rejection(e domain.BidderRequestReceived, m domain.MoratoriumRecord, rg domain.Regime) string {
	g := e.Group
	if rg.BidderEligible != nil && rg.BidderEligible(g) != nil {
		ideal := g
		ideal.LocalConnection, ideal.DistributesSurplus = true, false
		switch {
		case rg.BidderEligible(ideal) != nil:
			return kindWords(g.Kind) + " is not a community interest group that may ask to bid"
		case g.DistributesSurplus:
			return "the group distributes its surplus to its members"
		default:
			return "the group has no local connection with the area"
		}
	}
	if !m.InterimEnds.IsZero() && e.ReceivedOn.After(m.InterimEnds) {
		return "it was received after the interim moratorium ended on " + date(m.InterimEnds)
	}
	return "it did not meet the rules for such a request"
}

func describeSale(e domain.Event, a *domain.Asset, rg domain.Regime, known map[string]bool) (string, string) {
	bid := func(id string) (domain.BidRecord, []domain.BidderRequestReceived, bool) {
		for _, m := range a.Moratoria() {
			for _, b := range m.Bids {
				if b.Bid.BidID == id {
					return b, m.Requests, true
				}
			}
		}
		return domain.BidRecord{}, nil, false
	}
	switch e := e.(type) {
	case domain.BidSubmitted:
		_, reqs, _ := bid(e.BidID)
		return sentence("%s made a bid of %s for the land during the moratorium (%s).",
			capitalise(bidderName(e, reqs, known)), pounds(e.AmountPence), domain.RuleBids), domain.RuleBids
	case domain.BidStatusChanged:
		b, reqs, ok := bid(e.BidID)
		what := "A bid"
		if ok {
			what = "The bid of " + pounds(b.Bid.AmountPence) + " by " + bidderName(b.Bid, reqs, known)
		}
		status := string(e.Status)
		if status == "" {
			status = "changed"
		}
		return sentence("%s was %s (%s).", what, status, domain.RuleBids), domain.RuleBids
	case domain.MoratoriumOutcomeRecorded:
		return sentence("The outcome of the owner's notice of a wish to sell: %s (%s).", outcomeWords(e.Outcome), domain.RuleBids), domain.RuleBids
	case domain.DisposalRecorded:
		to := ""
		if n := buyerName(e, known); n != "" {
			to = " to " + n
		}
		var text, rule string
		if e.Kind == domain.ExemptDisposal {
			rule = rg.Exemptions[e.Exemption]
			if rule == "" {
				rule = "s.95(5)"
			}
			text = sentence("The land changed hands%s on %s in an exempt disposal (%s), which the moratorium rules do not catch and which does not remove the listing (%s).",
				to, date(e.DisposedOn), exemptionWords(e.Exemption), rule)
		} else {
			rule = domain.RuleDisposal
			text = sentence("The land was sold, or let on a lease of 25 years or more,%s on %s: a relevant disposal (%s).", to, date(e.DisposedOn), domain.RuleRelevantDisposal)
			if !e.InBreach {
				text += sentence(" It met the conditions for selling listed land (%s).", domain.RuleDisposal)
			}
		}
		if e.InBreach {
			rule = e.Rule
			if rule == "" {
				rule = domain.RuleDisposal
			}
			text += sentence(" The registry flags it as made in breach of the rules on selling listed land (%s): such a disposal may be ineffective, which is for the courts to decide (%s).", rule, domain.RuleIneffective)
		}
		return text, rule
	case domain.OwnerChanged:
		name := ownerName(e.Owner, known)
		if name == "" {
			name = PrivateOwner
		}
		return sentence("The council was told that the land has a new owner: %s (%s).", name, domain.RuleOwnerChange), domain.RuleOwnerChange
	}
	return "", ""
}

func describeCompensation(e domain.Event, a *domain.Asset, known map[string]bool) (string, string) {
	claim := func(id string) (domain.ClaimRecord, bool) {
		for _, c := range a.Claims() {
			if c.Claim.ClaimID == id {
				return c, true
			}
		}
		return domain.ClaimRecord{}, false
	}
	// amount shows a sum only when the claimant is an organisation: a private
	// owner's claim is about an identifiable person's money.
	amount := func(id, prefix string, pence int64) string {
		if c, ok := claim(id); ok && isOrganisation(c.Claim.Claimant, known) {
			return prefix + pounds(pence)
		}
		return ""
	}
	switch e := e.(type) {
	case domain.CompensationClaimed:
		who := "A former owner"
		if o, ok := a.Owner(); ok && o.ID != "" && o.ID == e.Claimant.ID {
			who = "The owner"
		}
		var total int64
		for _, p := range e.Parts {
			total += p.AmountPence
		}
		return sentence("%s claimed compensation%s for loss or expense caused by the listing (%s).", who, amount(e.ClaimID, " of ", total), domain.RuleCompensation), domain.RuleCompensation
	case domain.CompensationDecided:
		c, _ := claim(e.ClaimID)
		return sentence("The council decided the compensation claim%s (%s). The claimant may ask for a review until %s (%s).",
			amount(e.ClaimID, ": it awarded ", e.AwardPence), domain.RuleCompensation, date(c.ReviewWindowEnds), domain.RuleCompReview), domain.RuleCompensation
	case domain.CompensationReviewRequested:
		return sentence("The claimant asked the council to review its compensation decision (%s).", domain.RuleCompReview), domain.RuleCompReview
	case domain.CompensationReviewWindowExtended:
		return sentence("The council allowed the claimant until %s to ask for a review of the compensation decision (%s).", date(e.Until), domain.RuleCompReview), domain.RuleCompReview
	case domain.CompensationReviewDecided:
		c, _ := claim(e.ClaimID)
		return sentence("The council decided the review of the compensation claim%s (%s). The claimant may appeal to the First-tier Tribunal until %s (%s).",
			amount(e.ClaimID, ": it awarded ", e.AwardPence), domain.RuleCompReview, date(c.AppealEnds), domain.RuleCompAppeal), domain.RuleCompReview
	case domain.CompensationAppealLodged:
		return sentence("The claimant appealed to the First-tier Tribunal against the compensation review decision, case %s (%s).", caseNumber(e.CaseNumber), domain.RuleCompAppeal), domain.RuleCompAppeal
	case domain.CompensationAppealDecided:
		outcome := "dismissed"
		switch e.Outcome {
		case domain.AppealAllowed:
			outcome = "allowed"
		case domain.AppealWithdrawn:
			outcome = "withdrawn"
		}
		return sentence("The compensation appeal was %s%s (%s).", outcome, amount(e.ClaimID, "; the award is ", e.AwardPence), domain.RuleCompAppeal), domain.RuleCompAppeal
	}
	return "", ""
}

// sentence is fmt.Sprintf of string arguments, named for what the
// timeline makes with it. A format of %s verbs (and %%), each given its
// argument, is written without fmt: a rebuild describes every event of
// the log, and fmt's reflection was a third of describing one
// (TestSentenceIsSprintf). Any other is fmt's.
func sentence(format string, args ...string) string {
	n := len(format)
	for _, a := range args {
		n += len(a)
	}
	b, f, rest := make([]byte, 0, n), format, args
	for {
		i := strings.IndexByte(f, '%')
		if i < 0 {
			break
		}
		b = append(b, f[:i]...)
		switch {
		case strings.HasPrefix(f[i:], "%s") && len(rest) > 0:
			b, rest = append(b, rest[0]...), rest[1:]
		case strings.HasPrefix(f[i:], "%%"):
			b = append(b, '%')
		default:
			return fmt.Sprintf(format, anys(args)...)
		}
		f = f[i+2:]
	}
	if len(rest) > 0 {
		return fmt.Sprintf(format, anys(args)...)
	}
	return string(append(b, f...))
}

// anys is args as fmt takes them.
func anys(args []string) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = a
	}
	return out
}

// date writes a date the way people read it: 26 May 2026.
func date(d domain.Date) string {
	if d.IsZero() {
		return "a date not recorded"
	}
	b := make([]byte, 0, len("30 September 2026"))
	b = strconv.AppendInt(b, int64(d.Day()), 10)
	b = append(b, ' ')
	b = append(b, d.Month().String()...)
	b = append(b, ' ')
	return string(strconv.AppendInt(b, int64(d.Year()), 10))
}

// periodWords writes a period's length: "8 weeks", "5 years", "28 days".
func periodWords(p domain.Period) string {
	unit := map[domain.Unit]string{domain.UnitDays: "day", domain.UnitWeeks: "week", domain.UnitMonths: "month", domain.UnitYears: "year"}[p.Unit]
	if unit == "" {
		return "the time allowed"
	}
	if p.N != 1 {
		unit += "s"
	}
	return strconv.Itoa(p.N) + " " + unit
}

// pounds writes an amount in pence as pounds: £425,000 or £1,234.50.
func pounds(pence int64) string {
	sign := ""
	if pence < 0 {
		sign, pence = "-", -pence
	}
	whole := strconv.FormatInt(pence/100, 10)
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if p := pence % 100; p != 0 {
		return fmt.Sprintf("%s£%s.%02d", sign, b.String(), p)
	}
	return sign + "£" + b.String()
}

func caseNumber(cn string) string {
	if cn == "" {
		return "not recorded"
	}
	return cn
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// bodyName names a community body with its legal form: "Friends of the Red
// Lion (an unincorporated community group)". An individual is never named.
func bodyName(b domain.Body) string {
	if !publicBody(b) {
		if b.Kind == domain.Individual {
			return "an individual"
		}
		return kindWords(b.Kind)
	}
	return b.Name + " (" + kindWords(b.Kind) + ")"
}

// kindWords describes a legal form with its article.
func kindWords(k domain.BodyKind) string {
	switch k {
	case domain.ParishCouncil:
		return "a parish council"
	case domain.NeighbourhoodForum:
		return "a neighbourhood forum"
	case domain.UnincorporatedBody:
		return "an unincorporated community group"
	case domain.Charity:
		return "a charity"
	case domain.CompanyLimitedByGuarantee:
		return "a company limited by guarantee"
	case domain.CooperativeSociety:
		return "a co-operative or community benefit society"
	case domain.CommunityInterestCompany:
		return "a community interest company"
	case domain.Individual:
		return "an individual"
	case domain.PublicBody:
		return "a public body"
	case domain.OtherCompany:
		return "a company"
	}
	return "a community body"
}

// recipients names the capacities in which a notice went out, never the
// people: "the owner, the occupier and the nominator".
func recipients(rs []domain.Recipient) string {
	words := map[domain.RecipientRole]string{
		domain.ToOwner: "the owner", domain.ToOccupier: "the occupier", domain.ToNominator: "the nominator",
		domain.ToFreeholder: "the freeholder", domain.ToLeaseholder: "the leaseholder", domain.ToPublic: "the public",
	}
	var out []string
	seen := map[domain.RecipientRole]bool{}
	for _, r := range rs {
		w, ok := words[r.Role]
		if !ok || seen[r.Role] {
			continue
		}
		seen[r.Role] = true
		out = append(out, w)
	}
	switch len(out) {
	case 0:
		return "those concerned"
	case 1:
		return out[0]
	}
	return strings.Join(out[:len(out)-1], ", ") + " and " + out[len(out)-1]
}

func methodWords(m domain.Method) string {
	switch m {
	case domain.ByPost:
		return "by post"
	case domain.ByEmail:
		return "by email"
	case domain.ByHand:
		return "by hand"
	case domain.BySiteNotice:
		return "by a notice on the site"
	case domain.ByNewspaper:
		return "in a newspaper"
	case domain.ByWebsite:
		return "on its website"
	}
	return "in writing"
}

func outcomeWords(o domain.MoratoriumOutcome) string {
	switch o {
	case domain.SoldToCIG:
		return "the land was sold to a community group"
	case domain.SoldAfterMoratorium:
		return "the land was sold to another buyer after the moratorium"
	case domain.ExemptDisposalMade:
		return "the land changed hands in an exempt disposal"
	case domain.WithdrawnFromSale:
		return "the owner withdrew the land from sale"
	case domain.NoDisposalInPeriod:
		return "the land was not sold within the protected period"
	}
	return "not recorded"
}

func exemptionWords(c domain.ExemptionCode) string {
	switch c {
	case domain.ExemptGift:
		return "a gift"
	case domain.ExemptPersonalRepresentatives:
		return "by personal representatives under a will or intestacy"
	case domain.ExemptFamily:
		return "between members of a family"
	case domain.ExemptPartListedSingleOwnership:
		return "part-listed land in single ownership"
	case domain.ExemptGoingConcern:
		return "a business sold as a going concern"
	case domain.ExemptTrustees:
		return "by or between trustees"
	case domain.ExemptPartners:
		return "partners joining or leaving a partnership"
	case domain.ExemptCourtOrder:
		return "under a court order"
	case domain.ExemptSeparationAgreement:
		return "under a separation agreement"
	case domain.ExemptIncapacity:
		return "under incapacity provisions"
	case domain.ExemptPriorObligation:
		return "under an obligation or option made before the listing"
	case domain.ExemptCompulsoryPurchase:
		return "compulsory purchase"
	case domain.ExemptInsolvency:
		return "in an insolvency"
	case domain.ExemptGroupCompanies:
		return "within a group of companies"
	case domain.ExemptClosedChurch:
		return "a closed Church of England church"
	case domain.ExemptHealthService:
		return "to continue health-service use"
	case domain.ExemptEducation:
		return "for a state-funded school or college"
	case domain.ExemptToCIGInMoratorium:
		return "to a community group during the moratorium"
	}
	return "an exemption not named"
}
