package domain

// Stored event type names of disposals, moratoria, bids and owners. See
// asset_events.go for the rules on names.
const (
	TypeDisposalNoticeReceived    = "acv.disposal-notice-received.v1"
	TypeBidderRequestReceived     = "acv.bidder-request-received.v1"
	TypeInterimMoratoriumEnded    = "acv.interim-moratorium-ended.v1"
	TypeFullMoratoriumEnded       = "acv.full-moratorium-ended.v1"
	TypeProtectedPeriodEnded      = "acv.protected-period-ended.v1"
	TypeBidSubmitted              = "acv.bid-submitted.v1"
	TypeBidStatusChanged          = "acv.bid-status-changed.v1"
	TypeMoratoriumOutcomeRecorded = "acv.moratorium-outcome-recorded.v1"
	TypeDisposalRecorded          = "acv.disposal-recorded.v1"
	TypeOwnerChanged              = "acv.owner-changed.v1"
)

// DisposalNoticeReceived records that the council received the owner's
// written notice of its wish to make a relevant disposal (s.95(2), condition
// A). It starts the interim moratorium, the full moratorium and the protected
// period, all beginning with ReceivedOn, under Regime: the regime in force on
// ReceivedOn.
type DisposalNoticeReceived struct {
	AssetID    string `json:"asset_id"`
	NoticeID   string `json:"notice_id"`
	Regime     string `json:"regime"`
	Owner      Party  `json:"owner"`
	ReceivedOn Date   `json:"received_on"`
}

// RequestStatus is whether a request to be treated as a potential bidder
// counted.
type RequestStatus string

// The statuses of a bidder request.
const (
	RequestAccepted RequestStatus = "accepted" // it starts (or joins) the full moratorium
	RequestRejected RequestStatus = "rejected" // late or ineligible: recorded, starts nothing
)

// BidderRequestReceived records a community group's written request to be
// treated as a potential bidder (s.95(3), Regs reg 12). A late or ineligible
// request is recorded with Status rejected, the Rule that rejects it and a
// Reason; it starts nothing.
type BidderRequestReceived struct {
	AssetID    string        `json:"asset_id"`
	RequestID  string        `json:"request_id"`
	NoticeID   string        `json:"notice_id"`
	Group      Body          `json:"group"`
	ReceivedOn Date          `json:"received_on"`
	Status     RequestStatus `json:"status"`
	Rule       string        `json:"rule,omitempty"`
	Reason     string        `json:"reason,omitempty"`
}

// InterimMoratoriumEnded records that the interim moratorium (and the window
// for bidder requests) of NoticeID ended at the end of LastDay.
type InterimMoratoriumEnded struct {
	AssetID  string `json:"asset_id"`
	NoticeID string `json:"notice_id"`
	LastDay  Date   `json:"last_day"`
}

// FullMoratoriumEnded records that the full moratorium of NoticeID, started by
// a valid bidder request, ended at the end of LastDay.
type FullMoratoriumEnded struct {
	AssetID  string `json:"asset_id"`
	NoticeID string `json:"notice_id"`
	LastDay  Date   `json:"last_day"`
}

// ProtectedPeriodEnded records that the protected period of NoticeID ended at
// the end of LastDay: a relevant disposal now needs a fresh notice.
type ProtectedPeriodEnded struct {
	AssetID  string `json:"asset_id"`
	NoticeID string `json:"notice_id"`
	LastDay  Date   `json:"last_day"`
}

// BidSubmitted records a community bid made during a moratorium. The regime
// records no formal bid; the registry keeps them because councils, groups and
// journalists ask. AmountPence is in pence.
type BidSubmitted struct {
	AssetID     string `json:"asset_id"`
	BidID       string `json:"bid_id"`
	NoticeID    string `json:"notice_id"`
	RequestID   string `json:"request_id,omitempty"` // the bidder request of the bidding group, if any
	Bidder      Party  `json:"bidder"`
	AmountPence int64  `json:"amount_pence"`
	Terms       string `json:"terms,omitempty"`
	SubmittedOn Date   `json:"submitted_on"`
}

// BidStatus is where a bid stands.
type BidStatus string

// The statuses of a bid.
const (
	BidSubmittedStatus BidStatus = "submitted"
	BidWithdrawn       BidStatus = "withdrawn"
	BidAccepted        BidStatus = "accepted"
	BidRejected        BidStatus = "rejected"
)

// BidStatusChanged records that a bid was withdrawn, accepted or rejected.
type BidStatusChanged struct {
	AssetID   string    `json:"asset_id"`
	BidID     string    `json:"bid_id"`
	Status    BidStatus `json:"status"`
	ChangedOn Date      `json:"changed_on"`
}

// MoratoriumOutcome is how a disposal notice's story ended.
type MoratoriumOutcome string

// The outcomes of a moratorium.
const (
	SoldToCIG           MoratoriumOutcome = "sold_to_cig"
	SoldAfterMoratorium MoratoriumOutcome = "sold_after_moratorium"
	ExemptDisposalMade  MoratoriumOutcome = "exempt_disposal"
	WithdrawnFromSale   MoratoriumOutcome = "withdrawn_from_sale"
	NoDisposalInPeriod  MoratoriumOutcome = "no_disposal"
)

// MoratoriumOutcomeRecorded records the outcome of the moratorium started by
// NoticeID.
type MoratoriumOutcomeRecorded struct {
	AssetID   string            `json:"asset_id"`
	NoticeID  string            `json:"notice_id"`
	Outcome   MoratoriumOutcome `json:"outcome"`
	OutcomeOn Date              `json:"outcome_on"`
}

// DisposalKind says whether a disposal is caught by s.95.
type DisposalKind string

// The kinds of disposal.
const (
	RelevantDisposal DisposalKind = "relevant" // s.96: freehold with vacant possession, or a 25+ year lease
	ExemptDisposal   DisposalKind = "exempt"   // s.95(5), Regs Sch 3: with its ground as a code
)

// DisposalRecorded records a disposal of listed land, on DisposedOn: the day
// of the binding agreement (exchange of contracts), or of the disposal when
// there was no earlier binding agreement (s.96). NoticeID is the disposal
// notice in force, if any. A disposal in breach of s.95 is recorded, not
// refused: InBreach is set with the Rule it breaks and a Reason. The registry
// flags; it does not decide title (Regs reg 21, check).
type DisposalRecorded struct {
	AssetID          string        `json:"asset_id"`
	DisposalID       string        `json:"disposal_id"`
	NoticeID         string        `json:"notice_id,omitempty"`
	Kind             DisposalKind  `json:"kind"`
	Exemption        ExemptionCode `json:"exemption,omitempty"`
	Seller           Party         `json:"seller"`
	Buyer            Party         `json:"buyer"`
	BuyerGroup       *Body         `json:"buyer_group,omitempty"` // the buyer as a community group, for a sale to a CIG
	ObligationMadeOn Date          `json:"obligation_made_on,omitzero"`
	DisposedOn       Date          `json:"disposed_on"`
	InBreach         bool          `json:"in_breach"`
	Rule             string        `json:"rule,omitempty"`
	Reason           string        `json:"reason,omitempty"`
}

// OwnerChanged records that the land has a new owner (s.107), usually learned
// from the new owner's notice (Regs reg 19).
type OwnerChanged struct {
	AssetID   string `json:"asset_id"`
	Owner     Party  `json:"owner"`
	Previous  Party  `json:"previous,omitzero"`
	ChangedOn Date   `json:"changed_on"`
}

// EventType returns [TypeDisposalNoticeReceived].
func (DisposalNoticeReceived) EventType() string { return TypeDisposalNoticeReceived }

// EffectiveOn returns the day the council received the owner's notice.
func (e DisposalNoticeReceived) EffectiveOn() Date { return e.ReceivedOn }

// EventType returns [TypeBidderRequestReceived].
func (BidderRequestReceived) EventType() string { return TypeBidderRequestReceived }

// EffectiveOn returns the day the council received the request.
func (e BidderRequestReceived) EffectiveOn() Date { return e.ReceivedOn }

// EventType returns [TypeInterimMoratoriumEnded].
func (InterimMoratoriumEnded) EventType() string { return TypeInterimMoratoriumEnded }

// EffectiveOn returns the first day after the interim moratorium.
func (e InterimMoratoriumEnded) EffectiveOn() Date { return e.LastDay.AddDays(1) }

// EventType returns [TypeFullMoratoriumEnded].
func (FullMoratoriumEnded) EventType() string { return TypeFullMoratoriumEnded }

// EffectiveOn returns the first day after the full moratorium.
func (e FullMoratoriumEnded) EffectiveOn() Date { return e.LastDay.AddDays(1) }

// EventType returns [TypeProtectedPeriodEnded].
func (ProtectedPeriodEnded) EventType() string { return TypeProtectedPeriodEnded }

// EffectiveOn returns the first day after the protected period.
func (e ProtectedPeriodEnded) EffectiveOn() Date { return e.LastDay.AddDays(1) }

// EventType returns [TypeBidSubmitted].
func (BidSubmitted) EventType() string { return TypeBidSubmitted }

// EffectiveOn returns the day the bid was made.
func (e BidSubmitted) EffectiveOn() Date { return e.SubmittedOn }

// EventType returns [TypeBidStatusChanged].
func (BidStatusChanged) EventType() string { return TypeBidStatusChanged }

// EffectiveOn returns the day the status changed.
func (e BidStatusChanged) EffectiveOn() Date { return e.ChangedOn }

// EventType returns [TypeMoratoriumOutcomeRecorded].
func (MoratoriumOutcomeRecorded) EventType() string { return TypeMoratoriumOutcomeRecorded }

// EffectiveOn returns the day of the outcome.
func (e MoratoriumOutcomeRecorded) EffectiveOn() Date { return e.OutcomeOn }

// EventType returns [TypeDisposalRecorded].
func (DisposalRecorded) EventType() string { return TypeDisposalRecorded }

// EffectiveOn returns the day of the binding agreement or disposal.
func (e DisposalRecorded) EffectiveOn() Date { return e.DisposedOn }

// EventType returns [TypeOwnerChanged].
func (OwnerChanged) EventType() string { return TypeOwnerChanged }

// EffectiveOn returns the day the new owner became owner.
func (e OwnerChanged) EffectiveOn() Date { return e.ChangedOn }
