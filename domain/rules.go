package domain

// Citations named by the errors and events of the localism-2012 regime, and
// by the read models' plain-English timeline. They are kept in one place so
// that a citation found wrong is corrected once.
// Citations are stored in events (a rejected bidder request, a disposal in
// breach), so a correction applies to new events only.
//
// Where domain-rules.md marks a point (check), the citation or rule was not
// confirmed against the statute; it is marked (check) here too.
const (
	RuleCommencement    = "Regs reg 1"        // the Regs came into force on 21 September 2012
	RuleWhoMayNominate  = "s.89(2)"           // only voluntary or community bodies nominate
	RuleEligibleBody    = "Regs reg 5"        // the bodies with a local connection, 21 electors
	RuleLocalConnection = "Regs reg 4"        // local connection
	RuleNominationForm  = "Regs reg 6"        // contents of a nomination
	RuleExcludedLand    = "Regs reg 3, Sch 1" // land that can never be listed
	RuleDecision        = "s.90"              // the council decides every community nomination
	RuleListed          = "s.87"              // the list and its entries
	RuleUnsuccessful    = "s.93"              // the list of unsuccessful nominations (check)
	RuleConsultation    = "Regs reg 8"        // (check) the exact list of people told
	RuleListingNotice   = "s.91, Regs reg 9"  // notice of listing
	RuleRemovalNotice   = "s.92, Regs reg 9"  // notice of removal
	RuleRemoval         = "Regs reg 2"        // the grounds for removing an entry
	RuleReview          = "s.92"              // owner's review of listing
	RuleReviewProcedure = "Regs reg 10, Sch 2"
	RuleAppeal          = "Regs reg 11"
	RuleOwner           = "s.107"       // who the owner is
	RuleOwnerChange     = "Regs reg 19" // a new owner tells the council
	RuleConditionA      = "s.95(2)"     // condition A: the owner notified the council (check)
	RuleConditionB      = "s.95(3)"     // condition B: the moratorium has ended (check)
	RuleConditionC      = "s.95(4)"     // condition C: the protected period has not ended (check)
	RuleDisposal        = "s.95(1)"     // no relevant disposal unless A, B and C hold
	RuleExempt          = "s.95(5), Regs Sch 3"
	RuleCIG             = "Regs reg 12" // community interest groups (check)
	RuleBidderRequest   = "s.95(3), Regs reg 12"
	RulePublicity       = "s.97"
	RulePassRequest     = "s.98"
	RuleBids            = "registry practice" // bids are recorded by practice, not statute
	RuleCompensation    = "s.99, Regs reg 14"
	RuleCompPublic      = "Regs reg 15"
	RuleCompClaimTime   = "Regs reg 14(5)"
	RuleCompReview      = "Regs reg 16"
	RuleCompAppeal      = "Regs reg 17" // (check)
	RuleLifecycle       = "registry lifecycle"

	RuleAppealAllowed      = "Regs reg 2(c)(i)"  // a successful appeal removes the entry
	RuleNoCommunityValue   = "Regs reg 2(c)(ii)" // the land is no longer of community value
	RuleRelevantDisposalRm = "Regs reg 2(b)"     // a relevant disposal removes (or amends) the entry
	RuleRelevantDisposal   = "s.96"              // what a relevant disposal is
	RuleIneffective        = "Regs reg 21"       // (check) a disposal in breach is ineffective
)
