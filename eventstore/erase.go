package eventstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Eraser is what both backends offer beyond [Store] to erase personal data
// (see [DataKey]): list who has data where, and destroy a subject's keys.
type Eraser interface {
	// Subjects lists the data subjects with personal data in stream that
	// is not erased: one entry per subject and event, in subject then
	// version order.
	Subjects(ctx context.Context, stream string) ([]SubjectData, error)

	// Erase deletes every key of each subject and records the erasure in
	// the erasures table (when, the subject's kind and SHA-256, how many
	// keys, which streams), in one transaction. Sealed values under those
	// keys then open to placeholders. Erasing a subject with no keys
	// records an erasure of nothing. On SQLite the keys are deleted with
	// secure_delete and the WAL is truncated; on PostgreSQL the key table
	// is vacuumed afterwards (see docs/operations.md).
	Erase(ctx context.Context, subjects []string) (Erasure, error)
}

// SubjectData is where one data subject has personal data: the fields of
// one event.
type SubjectData struct {
	Subject string
	Stream  string
	EventID uuid.UUID
	Version int64
	Type    string
	// Fields are JSON pointers into the event's data.
	Fields []string
}

// Erasure is what [Eraser.Erase] did.
type Erasure struct {
	At       time.Time
	Subjects []string
	// Keys is how many keys were destroyed.
	Keys int64
	// Streams are the streams that held the subjects' data, sorted: their
	// read models must be derived again.
	Streams []string
}

// SubjectKind is the part of a subject before its first colon ("party"),
// which the erasure audit records in the clear.
func SubjectKind(subject string) string {
	kind, _, _ := strings.Cut(subject, ":")
	return kind
}

// SubjectDigest is the hex SHA-256 of a subject, which the erasure audit
// records instead of the subject: a party's id may itself identify a
// person, but whoever knows the subject can still find its erasure.
func SubjectDigest(subject string) string {
	sum := sha256.Sum256([]byte(subject))
	return hex.EncodeToString(sum[:])
}
