package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/acv-registry/acv/projections"
)

// The headers of a delivery (see the package documentation).
const (
	HeaderDelivery  = "X-ACV-Delivery"
	HeaderAttempt   = "X-ACV-Attempt"
	HeaderTimestamp = "X-ACV-Timestamp"
	HeaderSignature = "X-ACV-Signature"
)

// ContentType is the media type of a delivery's body: a CloudEvent in
// structured mode.
const ContentType = "application/cloudevents+json; charset=utf-8"

// DefaultSource is the CloudEvents source of deliveries unless
// [DelivererOptions.Source] names another.
const DefaultSource = "urn:acv:registry"

// CloudEvent is a delivery's body: a CloudEvents 1.0 event in the JSON
// format, whose data is the public form of an event of the log.
type CloudEvent struct {
	SpecVersion     string                  `json:"specversion"` // "1.0"
	ID              string                  `json:"id"`          // the event's id
	Source          string                  `json:"source"`
	Type            string                  `json:"type"`              // the event's stored type
	Subject         string                  `json:"subject,omitempty"` // the asset's id
	Time            time.Time               `json:"time"`              // when the event was recorded
	DataContentType string                  `json:"datacontenttype"`   // "application/json"
	Data            projections.PublicEvent `json:"data"`
}

// cloudEventOf wraps the public form of an event.
func cloudEventOf(source string, e projections.PublicEvent) CloudEvent {
	return CloudEvent{SpecVersion: "1.0", ID: e.ID.String(), Source: source, Type: e.Type, Subject: e.AssetID,
		Time: e.RecordedAt, DataContentType: "application/json", Data: e}
}

// Sign returns the X-ACV-Signature value of body sent at timestamp (the
// X-ACV-Timestamp value): "sha256=" and the hex HMAC-SHA256, keyed with
// secret, of timestamp, ".", body.
func Sign(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Errors of [Verify].
var (
	ErrNoSignature  = errors.New("webhooks: no signature or timestamp header")
	ErrBadSignature = errors.New("webhooks: the signature does not match")
	ErrStale        = errors.New("webhooks: the timestamp is too far from now")
)

// Verify checks a delivery as its receiver gets it: the signature of
// header must be body's under secret, and its timestamp within tolerance of
// now (a receiver's defence against replays; 5 minutes is usual). The
// comparison takes constant time.
func Verify(secret string, header http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	ts, sig := header.Get(HeaderTimestamp), header.Get(HeaderSignature)
	if ts == "" || sig == "" {
		return ErrNoSignature
	}
	if !hmac.Equal([]byte(Sign(secret, ts, body)), []byte(strings.TrimSpace(sig))) {
		return ErrBadSignature
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	return nil
}
