package domain

// Stored event type names of the listing side of an asset's life. They are
// the stored contract: never rename or reuse one; a changed payload gets a new
// version (".v2") and the codec keeps reading the old one.
const (
	TypeNominationReceived          = "acv.nomination-received.v1"
	TypeNominationDecided           = "acv.nomination-decided.v1"
	TypeNominationDecisionOverdue   = "acv.nomination-decision-overdue.v1"
	TypeNoticeGiven                 = "acv.notice-given.v1"
	TypeReviewRequested             = "acv.review-requested.v1"
	TypeReviewRequestWindowExtended = "acv.review-request-window-extended.v1"
	TypeReviewDecisionPeriodAgreed  = "acv.review-decision-period-agreed.v1"
	TypeReviewDecided               = "acv.review-decided.v1"
	TypeReviewDecisionOverdue       = "acv.review-decision-overdue.v1"
	TypeAppealLodged                = "acv.appeal-lodged.v1"
	TypeAppealDecided               = "acv.appeal-decided.v1"
	TypeRemovedFromList             = "acv.removed-from-list.v1"
	TypeListingExpired              = "acv.listing-expired.v1"
	TypeUnsuccessfulEntryExpired    = "acv.unsuccessful-entry-expired.v1"
)

// Event is a fact in an asset's stream. EventType is its stored, versioned
// type name; EffectiveOn is the civil date the fact took legal effect (the day
// the council received the nomination), which may be earlier than the day it
// was recorded. Events are values: safe to copy and share once raised.
type Event interface {
	EventType() string
	EffectiveOn() Date
}

// NominationReceived records that the council received a community nomination
// (s.89, Regs reg 6). It starts the process whose regime is Regime: the regime
// in force on ReceivedOn. Nominator, Land, Occupants, Interests, Reasons and
// Evidence are the statutory content; LocalExtras holds what the council asks
// for beyond the statute (constitution, minutes, the 21 electors).
type NominationReceived struct {
	AssetID      string            `json:"asset_id"`
	NominationID string            `json:"nomination_id"`
	Regime       string            `json:"regime"`
	Council      string            `json:"council"`
	ReceivedOn   Date              `json:"received_on"`
	Nominator    Body              `json:"nominator"`
	Land         Land              `json:"land"`
	Occupants    []Party           `json:"occupants,omitempty"`
	Interests    []Interest        `json:"interests,omitempty"`
	Owner        Party             `json:"owner,omitzero"`
	Reasons      string            `json:"reasons"`
	Evidence     string            `json:"evidence"`
	LocalExtras  map[string]string `json:"local_extras,omitempty"`
}

// Outcome is a council's decision on a nomination.
type Outcome string

// The decisions on a nomination (s.90).
const (
	Listed       Outcome = "listed"
	PartlyListed Outcome = "partly_listed"
	NotListed    Outcome = "not_listed" // the land goes on the list of unsuccessful nominations
)

// NominationDecided records the council's decision (s.90). A listing puts the
// land on the list on EnteredOn; "not listed" puts it on the list of land
// nominated by unsuccessful community nominations on EnteredOn.
type NominationDecided struct {
	AssetID      string  `json:"asset_id"`
	NominationID string  `json:"nomination_id"`
	Outcome      Outcome `json:"outcome"`
	Reasons      string  `json:"reasons"`
	ListedPart   string  `json:"listed_part,omitempty"` // for partly_listed: the part listed
	DecidedOn    Date    `json:"decided_on"`
	EnteredOn    Date    `json:"entered_on"`
}

// NominationDecisionOverdue records that the decision period ended at the end
// of DueOn with no decision (Regs reg 7). It has no legal outcome.
type NominationDecisionOverdue struct {
	AssetID      string `json:"asset_id"`
	NominationID string `json:"nomination_id"`
	DueOn        Date   `json:"due_on"`
}

// NoticeKind says what a notice is about.
type NoticeKind string

// The notices a council gives.
const (
	ConsultationNotice   NoticeKind = "consultation"            // Regs reg 8, about a nomination (check)
	ListingNotice        NoticeKind = "listing"                 // s.91, Regs reg 9, about a listed nomination
	UnsuccessfulNotice   NoticeKind = "unsuccessful_nomination" // s.90, reasons to the nominator
	RemovalNotice        NoticeKind = "removal"                 // s.92, Regs reg 9, about a removed entry
	MoratoriumPublicity  NoticeKind = "moratorium_publicity"    // s.97, about a disposal notice
	BidderRequestPassing NoticeKind = "bidder_request_passed"   // s.98, about a bidder request
)

// RecipientRole is the capacity in which a notice went to someone.
type RecipientRole string

// The recipients of notices.
const (
	ToOwner       RecipientRole = "owner"
	ToOccupier    RecipientRole = "occupier"
	ToNominator   RecipientRole = "nominator"
	ToFreeholder  RecipientRole = "freeholder"
	ToLeaseholder RecipientRole = "leaseholder"
	ToPublic      RecipientRole = "public" // "reasonable alternative steps": a site notice, publicity
)

// Method is how a notice was given.
type Method string

// The methods of giving notice.
const (
	ByPost       Method = "post"
	ByEmail      Method = "email"
	ByHand       Method = "hand"
	BySiteNotice Method = "site_notice"
	ByNewspaper  Method = "newspaper"
	ByWebsite    Method = "website"
)

// Recipient is one person a notice went to, and in what capacity.
type Recipient struct {
	Role  RecipientRole `json:"role"`
	Party Party         `json:"party"`
}

// NoticeGiven records a written notice the council gave. Subject is the id of
// what the notice is about: a nomination (consultation, listing, unsuccessful,
// removal), a disposal notice (publicity) or a bidder request (passed on).
type NoticeGiven struct {
	AssetID    string      `json:"asset_id"`
	NoticeID   string      `json:"notice_id"`
	Kind       NoticeKind  `json:"kind"`
	Subject    string      `json:"subject"`
	Recipients []Recipient `json:"recipients"`
	Method     Method      `json:"method"`
	GivenOn    Date        `json:"given_on"`
}

// ReviewRequested records the owner's written request for a review of the
// listing made by NominationID (s.92).
type ReviewRequested struct {
	AssetID      string `json:"asset_id"`
	ReviewID     string `json:"review_id"`
	NominationID string `json:"nomination_id"`
	Requester    Party  `json:"requester"`
	ReceivedOn   Date   `json:"received_on"`
	OralHearing  bool   `json:"oral_hearing,omitempty"`
}

// ReviewRequestWindowExtended records that the council allowed the owner
// longer to ask for a review, up to the end of Until (s.92, Regs Sch 2).
type ReviewRequestWindowExtended struct {
	AssetID      string `json:"asset_id"`
	NominationID string `json:"nomination_id"`
	Until        Date   `json:"until"`
	ExtendedOn   Date   `json:"extended_on"`
}

// ReviewDecisionPeriodAgreed records a longer period for the review decision,
// agreed in writing with the owner, ending at the end of Until (Regs Sch 2).
type ReviewDecisionPeriodAgreed struct {
	AssetID  string `json:"asset_id"`
	ReviewID string `json:"review_id"`
	Until    Date   `json:"until"`
	AgreedOn Date   `json:"agreed_on"`
}

// ReviewOutcome is the result of an owner's review.
type ReviewOutcome string

// The review outcomes.
const (
	ReviewUpheld     ReviewOutcome = "upheld"     // the land stays listed
	ReviewOverturned ReviewOutcome = "overturned" // the land should not have been listed
)

// ReviewDecided records the review decision, taken on DecidedOn and sent to
// the owner on SentOn; the tribunal appeal window counts from SentOn.
type ReviewDecided struct {
	AssetID   string        `json:"asset_id"`
	ReviewID  string        `json:"review_id"`
	Outcome   ReviewOutcome `json:"outcome"`
	Reasons   string        `json:"reasons"`
	DecidedOn Date          `json:"decided_on"`
	SentOn    Date          `json:"sent_on"`
}

// ReviewDecisionOverdue records that the review decision period ended at the
// end of DueOn with no decision. A later decision is still valid.
type ReviewDecisionOverdue struct {
	AssetID  string `json:"asset_id"`
	ReviewID string `json:"review_id"`
	DueOn    Date   `json:"due_on"`
}

// AppealLodged records the owner's appeal to the First-tier Tribunal (General
// Regulatory Chamber) against a review decision (Regs reg 11). TimeExtended
// records that the tribunal extended the time for a late appeal.
type AppealLodged struct {
	AssetID      string `json:"asset_id"`
	AppealID     string `json:"appeal_id"`
	ReviewID     string `json:"review_id"`
	CaseNumber   string `json:"case_number"`
	Appellant    Party  `json:"appellant"`
	LodgedOn     Date   `json:"lodged_on"`
	TimeExtended bool   `json:"time_extended,omitempty"`
}

// AppealOutcome is the tribunal's decision.
type AppealOutcome string

// The appeal outcomes.
const (
	AppealAllowed   AppealOutcome = "allowed" // the land should not be listed
	AppealDismissed AppealOutcome = "dismissed"
	AppealWithdrawn AppealOutcome = "withdrawn"
)

// AppealDecided records the tribunal's outcome.
type AppealDecided struct {
	AssetID   string        `json:"asset_id"`
	AppealID  string        `json:"appeal_id"`
	Outcome   AppealOutcome `json:"outcome"`
	DecidedOn Date          `json:"decided_on"`
}

// RemovalReason is why an entry left the list early (Regs reg 2).
type RemovalReason string

// The grounds for removing an entry.
const (
	RemovedOnReview           RemovalReason = "review"             // s.92
	RemovedOnAppeal           RemovalReason = "appeal"             // Regs reg 2(c)(i)
	RemovedNoCommunityValue   RemovalReason = "no_community_value" // Regs reg 2(c)(ii)
	RemovedOnRelevantDisposal RemovalReason = "relevant_disposal"  // Regs reg 2(b)
	RemovedOnExpiry           RemovalReason = "expired"            // s.87(3)
)

// RemovedFromList records that the entry made by NominationID left the list
// on RemovedOn: it was listed until the end of the day before. Ref is the id
// of the review, appeal or disposal behind the removal, if any.
type RemovedFromList struct {
	AssetID      string        `json:"asset_id"`
	NominationID string        `json:"nomination_id"`
	Reason       RemovalReason `json:"reason"`
	Ref          string        `json:"ref,omitempty"`
	Reasons      string        `json:"reasons,omitempty"`
	RemovedOn    Date          `json:"removed_on"`
}

// ListingExpired records that the 5 years of a list entry ended at the end of
// LastDay (s.87(3)); the entry is removed from the next day.
type ListingExpired struct {
	AssetID      string `json:"asset_id"`
	NominationID string `json:"nomination_id"`
	LastDay      Date   `json:"last_day"`
}

// UnsuccessfulEntryExpired records that an entry on the list of unsuccessful
// nominations ended at the end of LastDay (s.93, check).
type UnsuccessfulEntryExpired struct {
	AssetID      string `json:"asset_id"`
	NominationID string `json:"nomination_id"`
	LastDay      Date   `json:"last_day"`
}

// EventType returns [TypeNominationReceived].
func (NominationReceived) EventType() string { return TypeNominationReceived }

// EffectiveOn returns the day the council received the nomination.
func (e NominationReceived) EffectiveOn() Date { return e.ReceivedOn }

// EventType returns [TypeNominationDecided].
func (NominationDecided) EventType() string { return TypeNominationDecided }

// EffectiveOn returns the day of the decision.
func (e NominationDecided) EffectiveOn() Date { return e.DecidedOn }

// EventType returns [TypeNominationDecisionOverdue].
func (NominationDecisionOverdue) EventType() string { return TypeNominationDecisionOverdue }

// EffectiveOn returns the first day the decision was overdue.
func (e NominationDecisionOverdue) EffectiveOn() Date { return e.DueOn.AddDays(1) }

// EventType returns [TypeNoticeGiven].
func (NoticeGiven) EventType() string { return TypeNoticeGiven }

// EffectiveOn returns the day the notice was given.
func (e NoticeGiven) EffectiveOn() Date { return e.GivenOn }

// EventType returns [TypeReviewRequested].
func (ReviewRequested) EventType() string { return TypeReviewRequested }

// EffectiveOn returns the day the council received the request.
func (e ReviewRequested) EffectiveOn() Date { return e.ReceivedOn }

// EventType returns [TypeReviewRequestWindowExtended].
func (ReviewRequestWindowExtended) EventType() string { return TypeReviewRequestWindowExtended }

// EffectiveOn returns the day the council allowed longer.
func (e ReviewRequestWindowExtended) EffectiveOn() Date { return e.ExtendedOn }

// EventType returns [TypeReviewDecisionPeriodAgreed].
func (ReviewDecisionPeriodAgreed) EventType() string { return TypeReviewDecisionPeriodAgreed }

// EffectiveOn returns the day the longer period was agreed.
func (e ReviewDecisionPeriodAgreed) EffectiveOn() Date { return e.AgreedOn }

// EventType returns [TypeReviewDecided].
func (ReviewDecided) EventType() string { return TypeReviewDecided }

// EffectiveOn returns the day of the review decision.
func (e ReviewDecided) EffectiveOn() Date { return e.DecidedOn }

// EventType returns [TypeReviewDecisionOverdue].
func (ReviewDecisionOverdue) EventType() string { return TypeReviewDecisionOverdue }

// EffectiveOn returns the first day the review decision was overdue.
func (e ReviewDecisionOverdue) EffectiveOn() Date { return e.DueOn.AddDays(1) }

// EventType returns [TypeAppealLodged].
func (AppealLodged) EventType() string { return TypeAppealLodged }

// EffectiveOn returns the day the appeal was lodged.
func (e AppealLodged) EffectiveOn() Date { return e.LodgedOn }

// EventType returns [TypeAppealDecided].
func (AppealDecided) EventType() string { return TypeAppealDecided }

// EffectiveOn returns the day of the tribunal's decision.
func (e AppealDecided) EffectiveOn() Date { return e.DecidedOn }

// EventType returns [TypeRemovedFromList].
func (RemovedFromList) EventType() string { return TypeRemovedFromList }

// EffectiveOn returns the day of removal.
func (e RemovedFromList) EffectiveOn() Date { return e.RemovedOn }

// EventType returns [TypeListingExpired].
func (ListingExpired) EventType() string { return TypeListingExpired }

// EffectiveOn returns the first day after the entry's last day.
func (e ListingExpired) EffectiveOn() Date { return e.LastDay.AddDays(1) }

// EventType returns [TypeUnsuccessfulEntryExpired].
func (UnsuccessfulEntryExpired) EventType() string { return TypeUnsuccessfulEntryExpired }

// EffectiveOn returns the first day after the entry's last day.
func (e UnsuccessfulEntryExpired) EffectiveOn() Date { return e.LastDay.AddDays(1) }
