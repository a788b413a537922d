package domain

// Stored event type names of compensation (s.99, Regs regs 14-17). See
// asset_events.go for the rules on names.
const (
	TypeCompensationClaimed              = "acv.compensation-claimed.v1"
	TypeCompensationDecided              = "acv.compensation-decided.v1"
	TypeCompensationReviewRequested      = "acv.compensation-review-requested.v1"
	TypeCompensationReviewWindowExtended = "acv.compensation-review-window-extended.v1"
	TypeCompensationReviewDecided        = "acv.compensation-review-decided.v1"
	TypeCompensationAppealLodged         = "acv.compensation-appeal-lodged.v1"
	TypeCompensationAppealDecided        = "acv.compensation-appeal-decided.v1"
)

// ClaimPart is one head of loss or expense in a compensation claim, with its
// amount in pence (Regs reg 14: the claim states the amount of each part).
type ClaimPart struct {
	Description string `json:"description"`
	AmountPence int64  `json:"amount_pence"`
}

// CompensationClaimed records a private owner's (or former owner's) written
// claim for loss or expense incurred because the land was listed (s.99,
// Regs reg 14). LossIncurredOn is the day the loss was incurred, or finished
// being incurred. NominationID is the listing the claim arises from.
type CompensationClaimed struct {
	AssetID        string      `json:"asset_id"`
	ClaimID        string      `json:"claim_id"`
	NominationID   string      `json:"nomination_id"`
	Claimant       Party       `json:"claimant"`
	LossIncurredOn Date        `json:"loss_incurred_on"`
	ReceivedOn     Date        `json:"received_on"`
	Parts          []ClaimPart `json:"parts"`
	Evidence       string      `json:"evidence"`
}

// CompensationDecided records the council's written decision on a claim.
type CompensationDecided struct {
	AssetID    string `json:"asset_id"`
	ClaimID    string `json:"claim_id"`
	AwardPence int64  `json:"award_pence"`
	Reasons    string `json:"reasons"`
	DecidedOn  Date   `json:"decided_on"`
}

// CompensationReviewRequested records the claimant's request for a review of
// the compensation decision (Regs reg 16).
type CompensationReviewRequested struct {
	AssetID    string `json:"asset_id"`
	ClaimID    string `json:"claim_id"`
	ReceivedOn Date   `json:"received_on"`
}

// CompensationReviewWindowExtended records that the council allowed the
// claimant longer to ask for a review, up to the end of Until.
type CompensationReviewWindowExtended struct {
	AssetID    string `json:"asset_id"`
	ClaimID    string `json:"claim_id"`
	Until      Date   `json:"until"`
	ExtendedOn Date   `json:"extended_on"`
}

// CompensationReviewDecided records the review decision on a claim.
type CompensationReviewDecided struct {
	AssetID    string `json:"asset_id"`
	ClaimID    string `json:"claim_id"`
	AwardPence int64  `json:"award_pence"`
	Reasons    string `json:"reasons"`
	DecidedOn  Date   `json:"decided_on"`
}

// CompensationAppealLodged records the claimant's appeal to the First-tier
// Tribunal against the compensation review decision.
type CompensationAppealLodged struct {
	AssetID      string `json:"asset_id"`
	ClaimID      string `json:"claim_id"`
	CaseNumber   string `json:"case_number"`
	LodgedOn     Date   `json:"lodged_on"`
	TimeExtended bool   `json:"time_extended,omitempty"`
}

// CompensationAppealDecided records the tribunal's outcome on a compensation
// appeal and the award it leaves.
type CompensationAppealDecided struct {
	AssetID    string        `json:"asset_id"`
	ClaimID    string        `json:"claim_id"`
	Outcome    AppealOutcome `json:"outcome"`
	AwardPence int64         `json:"award_pence"`
	DecidedOn  Date          `json:"decided_on"`
}

// EventType returns [TypeCompensationClaimed].
func (CompensationClaimed) EventType() string { return TypeCompensationClaimed }

// EffectiveOn returns the day the council received the claim.
func (e CompensationClaimed) EffectiveOn() Date { return e.ReceivedOn }

// EventType returns [TypeCompensationDecided].
func (CompensationDecided) EventType() string { return TypeCompensationDecided }

// EffectiveOn returns the day of the decision.
func (e CompensationDecided) EffectiveOn() Date { return e.DecidedOn }

// EventType returns [TypeCompensationReviewRequested].
func (CompensationReviewRequested) EventType() string { return TypeCompensationReviewRequested }

// EffectiveOn returns the day the council received the request.
func (e CompensationReviewRequested) EffectiveOn() Date { return e.ReceivedOn }

// EventType returns [TypeCompensationReviewWindowExtended].
func (CompensationReviewWindowExtended) EventType() string {
	return TypeCompensationReviewWindowExtended
}

// EffectiveOn returns the day the council allowed longer.
func (e CompensationReviewWindowExtended) EffectiveOn() Date { return e.ExtendedOn }

// EventType returns [TypeCompensationReviewDecided].
func (CompensationReviewDecided) EventType() string { return TypeCompensationReviewDecided }

// EffectiveOn returns the day of the review decision.
func (e CompensationReviewDecided) EffectiveOn() Date { return e.DecidedOn }

// EventType returns [TypeCompensationAppealLodged].
func (CompensationAppealLodged) EventType() string { return TypeCompensationAppealLodged }

// EffectiveOn returns the day the appeal was lodged.
func (e CompensationAppealLodged) EffectiveOn() Date { return e.LodgedOn }

// EventType returns [TypeCompensationAppealDecided].
func (CompensationAppealDecided) EventType() string { return TypeCompensationAppealDecided }

// EffectiveOn returns the day of the tribunal's decision.
func (e CompensationAppealDecided) EffectiveOn() Date { return e.DecidedOn }
