package domain

// Citations named by the errors and events of the localism-2012 regime. They
// are kept in one place so that a citation found wrong is corrected once.
// Citations are stored in events (a rejected bidder request, a disposal in
// breach), so a correction applies to new events only.
//
// Where domain-rules.md marks a point (check), the citation or rule was not
// confirmed against the statute; it is marked (check) here too.
const (
	ruleCommencement    = "Regs reg 1"        // the Regs came into force on 21 September 2012
	ruleWhoMayNominate  = "s.89(2)"           // only voluntary or community bodies nominate
	ruleEligibleBody    = "Regs reg 5"        // the bodies with a local connection, 21 electors
	ruleLocalConnection = "Regs reg 4"        // local connection
	ruleNominationForm  = "Regs reg 6"        // contents of a nomination
	ruleExcludedLand    = "Regs reg 3, Sch 1" // land that can never be listed
	ruleDecision        = "s.90"              // the council decides every community nomination
	ruleListed          = "s.87"              // the list and its entries
	ruleUnsuccessful    = "s.93"              // the list of unsuccessful nominations (check)
	ruleConsultation    = "Regs reg 8"        // (check) the exact list of people told
	ruleListingNotice   = "s.91, Regs reg 9"  // notice of listing
	ruleRemovalNotice   = "s.92, Regs reg 9"  // notice of removal
	ruleRemoval         = "Regs reg 2"        // the grounds for removing an entry
	ruleReview          = "s.92"              // owner's review of listing
	ruleReviewProcedure = "Regs reg 10, Sch 2"
	ruleAppeal          = "Regs reg 11"
	ruleOwner           = "s.107"       // who the owner is
	ruleOwnerChange     = "Regs reg 19" // a new owner tells the council
	ruleConditionA      = "s.95(2)"     // condition A: the owner notified the council (check)
	ruleConditionB      = "s.95(3)"     // condition B: the moratorium has ended (check)
	ruleConditionC      = "s.95(4)"     // condition C: the protected period has not ended (check)
	ruleDisposal        = "s.95(1)"     // no relevant disposal unless A, B and C hold
	ruleExempt          = "s.95(5), Regs Sch 3"
	ruleCIG             = "Regs reg 12" // community interest groups (check)
	ruleBidderRequest   = "s.95(3), Regs reg 12"
	rulePublicity       = "s.97"
	rulePassRequest     = "s.98"
	ruleBids            = "registry practice" // bids are recorded by practice, not statute
	ruleCompensation    = "s.99, Regs reg 14"
	ruleCompPublic      = "Regs reg 15"
	ruleCompClaimTime   = "Regs reg 14(5)"
	ruleCompReview      = "Regs reg 16"
	ruleCompAppeal      = "Regs reg 17" // (check)
	ruleLifecycle       = "registry lifecycle"
)
