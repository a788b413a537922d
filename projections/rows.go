package projections

import (
	"encoding/json"
	"time"

	"github.com/acv-registry/acv/domain"
)

// This file is the contract between the three parts of the package:
// Derive (derive.go) turns an asset's history into AssetRows; the writer
// (write.go) stores AssetRows in the read-model tables (schema.go); the
// queries (queries.go) read them back for the API, except an asset's page
// and timeline, which they derive from its stream when asked (pages.go). Everything here is
// public data: personal data (names and addresses of individual owners and
// occupiers, nominators' contact details, the 21 electors) never enters
// these rows.

// Recorded is one event of an asset's history with what the log recorded
// about it, the input of [Derive].
type Recorded struct {
	Event      domain.Event
	Type       string // stored type name, acv.nomination-received.v1
	Version    int64
	Position   int64
	RecordedAt time.Time
	Effective  domain.Date
	ActorRole  string // council_officer, community_group, owner, administrator, system
	ActorOrg   string // the organisation, never a person
	Regime     string
}

// AssetRows is everything the read models show of one asset. Derive makes
// it from the asset's whole history; the writer replaces the asset's rows
// with it in one transaction. The tables do not store the timeline nor
// the asset's view, which are derived when asked (see [Queries.Timeline]).
type AssetRows struct {
	Asset     AssetRow
	Register  []RegisterVersion // both lists, every version, oldest first
	Timeline  []TimelineEntry   // one per event, oldest first; not stored
	Deadlines []Deadline        // every clock the asset has started
	Moratoria []Moratorium      // one per disposal notice
}

// AssetRow is an asset now: the columns the national register searches,
// the figures its statistics add up, and the full public view the API
// serves (derived when asked, not stored).
type AssetRow struct {
	ID        string
	Council   string
	Reference string // the council's reference if given, else the asset id
	Name      string
	Address   string
	Postcode  string // normalised: upper case, one space (SW1A 1AA)
	UPRN      string
	Point     *domain.Point
	Category  string
	Status    string // domain.Status: nominated, listed, not_listed, removed
	// Version and Position are the stream version and the global position of
	// the last event folded in.
	Version  int64
	Position int64
	// Counts are the asset's nominations and their decisions.
	Counts NominationCounts
	// View is the public asset view as JSON (see AssetView).
	View json.RawMessage
}

// NominationCounts are the figures of one asset's nominations that the
// statistics add up: how many there are, and how many were decided each
// way.
type NominationCounts struct {
	Nominations, Listed, PartlyListed, NotListed int64
}

// AssetView is the public JSON of GET /v1/assets/{id}: the asset now, every
// clock with its end date, owner (organisations only), nominator, CIG.
type AssetView struct {
	ID              string           `json:"id"`
	Reference       string           `json:"reference"`
	Council         string           `json:"council"`
	Name            string           `json:"name"`
	AddressText     string           `json:"address_text,omitempty"`
	Postcode        string           `json:"postcode,omitempty"`
	UPRN            string           `json:"uprn,omitempty"`
	Description     string           `json:"description,omitempty"`
	Point           *domain.Point    `json:"point,omitempty"`
	Category        string           `json:"category,omitempty"`
	Status          string           `json:"status"`
	Version         int64            `json:"version"`
	NominatingGroup string           `json:"nominating_group,omitempty"`
	Owner           string           `json:"owner,omitempty"` // an organisation's name; "a private individual" otherwise
	Nominations     []NominationView `json:"nominations"`
	Entry           *RegisterEntry   `json:"entry,omitempty"` // the current or last entry on either list
	Clocks          []ClockView      `json:"clocks"`
	Moratoria       []Moratorium     `json:"moratoria,omitempty"`
	InterestedGroup string           `json:"interested_group,omitempty"` // the CIG that asked to bid in the current moratorium
	Bids            []BidView        `json:"bids,omitempty"`
	Disposals       []DisposalView   `json:"disposals,omitempty"`
}

// NominationView is one nomination as the public sees it.
type NominationView struct {
	ID              string      `json:"id"`
	NominationDate  domain.Date `json:"nomination_date"`
	NominatingGroup string      `json:"nominating_group"`
	NominatorKind   string      `json:"nominator_kind"`
	DecisionDue     domain.Date `json:"decision_due"`
	Decision        string      `json:"decision,omitempty"` // listed, partly_listed, not_listed
	DecisionDate    domain.Date `json:"decision_date,omitzero"`
	DecidedLate     bool        `json:"decided_late,omitempty"`
	Reasons         string      `json:"reasons,omitempty"` // the council's reasons for its decision
}

// ClockView is one statutory clock.
type ClockView struct {
	Name    string      `json:"name"`
	Subject string      `json:"subject,omitempty"`
	Start   domain.Date `json:"start"`
	End     domain.Date `json:"end"` // the period ends at the end of this day
	Status  string      `json:"status"`
	Rule    string      `json:"rule"`
	Regime  string      `json:"regime"`
}

// BidView is a community bid.
type BidView struct {
	ID          string      `json:"id"`
	Bidder      string      `json:"bidder"`
	AmountPence int64       `json:"amount_pence"`
	SubmittedOn domain.Date `json:"submitted_on"`
	Status      string      `json:"status"`
}

// DisposalView is a recorded disposal.
type DisposalView struct {
	ID            string      `json:"id"`
	Kind          string      `json:"kind"` // relevant or exempt
	ExemptionCode string      `json:"exemption_code,omitempty"`
	Buyer         string      `json:"buyer,omitempty"` // organisations only
	On            domain.Date `json:"on"`
	InBreach      bool        `json:"in_breach,omitempty"`
	BreachRule    string      `json:"breach_rule,omitempty"`
}

// List names one of a council's two lists.
type List string

// The two lists a council keeps.
const (
	ListACV          List = "acv"          // the list of assets of community value (s.87)
	ListUnsuccessful List = "unsuccessful" // land nominated by unsuccessful community nominations (s.93)
)

// RegisterVersion is one entry of one list as it stood from ValidFrom up to
// (not including) ValidTo; a zero ValidTo means it still stands. A change to
// an entry (a moratorium date added, a removal) closes one version and opens
// the next. Dates are effective dates: the register as of a day is what was
// legally on the list that day, as the registry knows it now.
type RegisterVersion struct {
	AssetID   string
	Council   string
	List      List
	ValidFrom domain.Date
	ValidTo   domain.Date
	Entry     RegisterEntry
}

// RegisterEntry is a public list entry, with the MHCLG
// asset-of-community-value data standard's field names.
type RegisterEntry struct {
	Reference                string        `json:"reference"`
	AssetID                  string        `json:"asset_id"`
	Name                     string        `json:"name"`
	AddressText              string        `json:"address_text,omitempty"`
	Postcode                 string        `json:"postcode,omitempty"`
	UPRN                     string        `json:"uprn,omitempty"`
	Description              string        `json:"description,omitempty"`
	Point                    *domain.Point `json:"point,omitempty"`
	Organisation             string        `json:"organisation"` // the council
	NominatingGroup          string        `json:"nominating_group,omitempty"`
	NominationDate           domain.Date   `json:"nomination_date,omitzero"`
	Decision                 string        `json:"decision,omitempty"`
	DecisionDate             domain.Date   `json:"decision_date,omitzero"`
	EntryDate                domain.Date   `json:"entry_date,omitzero"`
	ExpiryDate               domain.Date   `json:"expiry_date,omitzero"`
	Status                   string        `json:"status"`
	NotificationToSellDate   domain.Date   `json:"notification_to_sell_date,omitzero"`
	InterimMoratoriumEndDate domain.Date   `json:"interim_moratorium_end_date,omitzero"`
	FullMoratoriumEndDate    domain.Date   `json:"full_moratorium_end_date,omitzero"`
	ProtectedPeriodEndDate   domain.Date   `json:"protected_period_end_date,omitzero"`
	InterestedGroup          string        `json:"interested_group,omitempty"`
	RemovalDate              domain.Date   `json:"removal_date,omitzero"`
	RemovalReason            string        `json:"removal_reason,omitempty"`
	StartDate                domain.Date   `json:"start_date,omitzero"` // the data standard's start-date: the entry date
	EndDate                  domain.Date   `json:"end_date,omitzero"`   // the data standard's end-date: removal or expiry
}

// TimelineEntry is one event in plain English.
type TimelineEntry struct {
	Position   int64       `json:"position"`
	Version    int64       `json:"version"`
	Type       string      `json:"type"`
	Effective  domain.Date `json:"date"`        // when it took legal effect
	RecordedAt time.Time   `json:"recorded_at"` // when the registry recorded it
	ActorRole  string      `json:"actor_role,omitempty"`
	ActorOrg   string      `json:"actor_org,omitempty"`
	Text       string      `json:"text"` // "The council listed the land (s.90)."
	Rule       string      `json:"rule,omitempty"`
	Regime     string      `json:"regime,omitempty"`
}

// Deadline is one clock in a council's work queue. Its status on a given
// day (running, due today, overdue, ended) is worked out when it is read.
type Deadline struct {
	AssetID string      `json:"asset_id"`
	Council string      `json:"council"`
	Name    string      `json:"name"` // domain.ClockName
	Subject string      `json:"subject,omitempty"`
	Start   domain.Date `json:"start"`
	End     domain.Date `json:"end"`
	Closed  bool        `json:"closed"` // stopped or fulfilled: the clock no longer runs
	Rule    string      `json:"rule"`
}

// Moratorium is one disposal notice and the periods it started.
type Moratorium struct {
	AssetID         string      `json:"asset_id"`
	Council         string      `json:"council"`
	NoticeID        string      `json:"notice_id"`
	NoticeReceived  domain.Date `json:"notice_received"`
	InterimEnd      domain.Date `json:"interim_end"`
	FullEnd         domain.Date `json:"full_end"`
	ProtectedEnd    domain.Date `json:"protected_end"`
	FullMoratorium  bool        `json:"full_moratorium"` // a valid CIG request was received in time
	InterestedGroup string      `json:"interested_group,omitempty"`
	Outcome         string      `json:"outcome,omitempty"`
}
