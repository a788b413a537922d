package eventstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/google/uuid"
)

// ErrConflict is returned, wrapped, when an append's expected version is
// stale. It is [domain.ErrConflict], so callers in any layer test it with
// errors.Is.
var ErrConflict = domain.ErrConflict

// ErrEventIDReused is returned, wrapped, when an append carries an event id
// that is already stored with different content.
var ErrEventIDReused = errors.New("event id already stored with different content")

// ErrInvalidEvent is returned, wrapped, when an event to append is malformed:
// no id, no type, data that is not a JSON object.
var ErrInvalidEvent = errors.New("invalid event")

// ExpectedVersion states what the appender believes a stream's version to be.
// Versions start at 1, so [NoStream] (0) means "the stream has no events";
// [Any] skips the check; any positive value is an exact version.
type ExpectedVersion int64

const (
	// Any appends whatever the stream's version.
	Any ExpectedVersion = -1
	// NoStream appends only to a stream that has no events yet.
	NoStream ExpectedVersion = 0
)

// Exact expects the stream to be at version v (0 is the same as [NoStream]).
func Exact(v int64) ExpectedVersion { return ExpectedVersion(v) }

func (v ExpectedVersion) String() string {
	switch {
	case v == Any:
		return "any"
	case v == NoStream:
		return "no stream"
	default:
		return fmt.Sprintf("version %d", int64(v))
	}
}

// Actor says who caused an event: the organisation, the role it acted in and
// the token used. It names no person.
type Actor struct {
	Org     string `json:"org,omitempty"`
	Role    string `json:"role,omitempty"`
	TokenID string `json:"token_id,omitempty"`
}

// Metadata is what the log records about an event besides its payload.
type Metadata struct {
	// EffectiveDate is the civil date in England on which the fact took legal
	// effect; it may be earlier than the recording.
	EffectiveDate domain.Date `json:"effective_date"`
	Actor         Actor       `json:"actor"`
	// CorrelationID ties together every event caused by one request;
	// CausationID names the event or command that caused this one.
	CorrelationID uuid.UUID `json:"correlation_id"`
	CausationID   uuid.UUID `json:"causation_id"`
	// Regime is the legal regime the fact was decided under ("localism-2012").
	Regime string `json:"regime,omitempty"`
	// SchemaVersion is the version of the payload's schema for its type.
	SchemaVersion int `json:"schema_version"`
}

// NewEvent is an event to append. ID is chosen by the caller, which is what
// makes appends idempotent; Data is a JSON object.
type NewEvent struct {
	ID       uuid.UUID
	Type     string
	Data     json.RawMessage
	Metadata Metadata
}

// Event is an event as stored, with its place in its stream and in the log.
type Event struct {
	ID         uuid.UUID
	Stream     string
	Version    int64
	Position   int64
	Type       string
	Data       json.RawMessage
	Metadata   Metadata
	RecordedAt time.Time
	PrevHash   []byte
	Hash       []byte
}

// Break is the first link of a hash chain that does not hold.
type Break struct {
	Stream  string
	Version int64
	Reason  string
}

func (b Break) String() string {
	return fmt.Sprintf("stream %s version %d: %s", b.Stream, b.Version, b.Reason)
}

// VerifyReport is the result of checking one stream or the whole log.
type VerifyReport struct {
	Streams int64
	Events  int64
	// Breaks holds the first broken link of each stream that has one.
	Breaks []Break
}

// OK reports whether every chain checked holds.
func (r VerifyReport) OK() bool { return len(r.Breaks) == 0 }

// ErrUnknownPosition is returned, wrapped, by ReadAll when after names no
// stored event.
var ErrUnknownPosition = errors.New("unknown log position")
