package projections

import (
	"context"

	"github.com/acv-registry/acv/domain"
)

// Reader is everything the API reads from the read models. [Queries]
// implements it over the read-model tables of either backend. Errors match
// domain.ErrNotFound for an unknown asset or council.
type Reader interface {
	// Asset returns the asset's row (AssetRow.View is the public JSON),
	// derived from its stream: never behind the log.
	Asset(ctx context.Context, id string) (AssetRow, error)
	// Timeline returns the asset's history in plain English, oldest
	// first, derived from its stream: never behind the log.
	Timeline(ctx context.Context, id string) ([]TimelineEntry, error)
	// SeenVersion returns the stream version of the asset's last event
	// that the read models have derived its rows from: a stream that
	// ends before it has lost events.
	SeenVersion(ctx context.Context, id string) (int64, error)
	// Register returns one council's list as it stood on q.AsOf (today when
	// zero), ordered by entry date then reference.
	Register(ctx context.Context, q RegisterQuery) (Page[RegisterEntry], error)
	// National returns entries of every council's list of assets of
	// community value matching q, as they stood on q.AsOf.
	National(ctx context.Context, q SearchQuery) (Page[RegisterEntry], error)
	// Deadlines returns a council's running, due and overdue clocks on
	// today, soonest end first.
	Deadlines(ctx context.Context, council string, today domain.Date, page PageRequest) (Page[DeadlineView], error)
	// Moratoria returns moratoria in the given phase on today ("" for all):
	// interim, full, protected or ended.
	Moratoria(ctx context.Context, phase string, today domain.Date, page PageRequest) (Page[Moratorium], error)
	// Councils returns every council that has a nomination, with its figures.
	Councils(ctx context.Context, today domain.Date) ([]CouncilStats, error)
	// Council returns one council's figures.
	Council(ctx context.Context, council string, today domain.Date) (CouncilStats, error)
	// Stats returns national figures and each council's.
	Stats(ctx context.Context, today domain.Date) (Stats, error)
	// Checkpoint returns the log position the read models have caught up to.
	Checkpoint(ctx context.Context) (int64, error)
}

// PageRequest asks for one page: at most Limit items (default 100, at most
// 1000) after the opaque Cursor from the previous page ("" for the first).
type PageRequest struct {
	Limit  int
	Cursor string
}

// Page is one page of results; NextCursor is "" on the last page.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// RegisterQuery selects one council's list on a day.
type RegisterQuery struct {
	Council string
	List    List
	AsOf    domain.Date // zero: today
	Today   domain.Date
	Page    PageRequest
}

// SearchQuery filters the national register. Empty fields do not filter.
type SearchQuery struct {
	Council  string
	Status   string
	Text     string       // matched against name and address, case-insensitively
	Postcode string       // a full postcode or an outward code (SW1A)
	BBox     *BoundingBox // WGS84
	AsOf     domain.Date  // zero: today
	Today    domain.Date
	Page     PageRequest
}

// BoundingBox is a WGS84 rectangle.
type BoundingBox struct{ MinLon, MinLat, MaxLon, MaxLat float64 }

// DeadlineView is a deadline with its status on the day it was read.
type DeadlineView struct {
	Deadline
	Status    string `json:"status"` // running, due (ends today), overdue, ended
	DaysLeft  int    `json:"days_left"`
	AssetName string `json:"asset_name"`
}

// CouncilStats are one council's figures.
type CouncilStats struct {
	Council            string         `json:"council"`
	Listed             int            `json:"listed"`            // on the list today
	Unsuccessful       int            `json:"unsuccessful"`      // on the unsuccessful list today
	Nominations        int            `json:"nominations"`       // ever received
	Pending            int            `json:"pending"`           // awaiting decision
	Overdue            int            `json:"overdue"`           // awaiting decision past the 8 weeks
	Outcomes           map[string]int `json:"outcomes"`          // decisions by outcome
	MoratoriaInterim   int            `json:"moratoria_interim"` // running today
	MoratoriaFull      int            `json:"moratoria_full"`    // running today
	MoratoriaTotal     int            `json:"moratoria_total"`   // disposal notices ever
	FullMoratoriaTotal int            `json:"full_moratoria_total"`
	Categories         map[string]int `json:"categories"` // listed today, by category
}

// Stats are national figures with each council's.
type Stats struct {
	National CouncilStats   `json:"national"`
	Councils []CouncilStats `json:"councils"`
}
