package domain

import "errors"

var (
	// ErrNotFound reports that an asset, stream or other record (a nomination,
	// review, bid ...) does not exist. Commands wrap it with the missing id.
	ErrNotFound = errors.New("not found")
	// ErrConflict reports that a stream changed since the caller read it: the
	// expected version was stale. Callers test for it with errors.Is.
	ErrConflict = errors.New("changed concurrently")
	// ErrUnknownEventType reports a stored event type that this version of the
	// domain does not know. [UnmarshalEvent] wraps it: unknown facts must fail
	// loudly, never be skipped.
	ErrUnknownEventType = errors.New("unknown event type")
)

// ValidationError reports rejected input: a missing or malformed field, or a
// date that cannot be true (after today, before the fact it answers). Message
// is safe to show to API clients.
type ValidationError struct{ Field, Message string }

// Error returns "field: message".
func (e *ValidationError) Error() string { return e.Field + ": " + e.Message }

// RuleError reports that a statutory or lifecycle rule refuses a command: the
// law forbids it (only the owner may ask for a review) or the asset's history
// makes it impossible (a decision on a nomination already decided). Rule
// cites the provision, for example "Regs reg 12" or "s.95(1)"; Message is safe
// to show to API clients. Commands return it as a *RuleError, so
//
//	var rerr *domain.RuleError
//	if errors.As(err, &rerr) { ... rerr.Rule ... }
//
// works, also through wrapping.
type RuleError struct {
	Rule    string
	Message string
}

// Error returns "rule: message", for example "Regs reg 12: a neighbourhood
// forum is not a community interest group".
func (e *RuleError) Error() string { return e.Rule + ": " + e.Message }

// ruleErr returns a *RuleError as an error.
func ruleErr(rule, msg string) error { return &RuleError{Rule: rule, Message: msg} }

// invalid returns a *ValidationError as an error.
func invalid(field, msg string) error { return &ValidationError{Field: field, Message: msg} }
