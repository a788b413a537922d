package eventstore

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/google/uuid"
)

// HashSize is the length of a chain hash in bytes.
const HashSize = sha256.Size

// hashDomain separates this encoding from any other use of SHA-256; a new
// encoding gets a new tag, and old events keep verifying under theirs.
//
// hashDomainV1 tags the first encoding, of events appended before
// 2026-12-04. It wrote each number's length prefix over the number before
// writing it, so its hashes cover every field but the version, the
// recording time and the schema version: each of those went in as the
// number 8. [ChainVerifier] accepts it for a stream's events until the
// first one under the current tag.
const (
	hashDomain   = "acv-event-chain-v2"
	hashDomainV1 = "acv-event-chain-v1"
)

// ZeroHash is the previous hash of a stream's first event.
var zeroHash [HashSize]byte

// ZeroHash returns the previous-hash value of a stream's first event: 32 zero bytes.
func ZeroHash() []byte { return zeroHash[:] }

// CanonicalJSON re-encodes a JSON value canonically: object keys sorted by
// their UTF-8 bytes, no insignificant space, no HTML escaping, and numbers in
// plain decimal (1e2 becomes 100), so that a value stored in PostgreSQL's
// jsonb and read back encodes to the same bytes it was hashed from.
func CanonicalJSON(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("canonical json: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("canonical json: trailing data")
	}
	var buf bytes.Buffer
	if err := writeCanonical(&buf, v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeCanonical(buf *bytes.Buffer, v any) error {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeString(buf, k)
			buf.WriteByte(':')
			if err := writeCanonical(buf, v[k]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case []any:
		buf.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeCanonical(buf, e); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case string:
		writeString(buf, v)
	case json.Number:
		buf.WriteString(canonicalNumber(v))
	case bool:
		if v {
			buf.WriteString("true")
		} else {
			buf.WriteString("false")
		}
	case nil:
		buf.WriteString("null")
	default:
		return fmt.Errorf("canonical json: unexpected %T", v)
	}
	return nil
}

func writeString(buf *bytes.Buffer, s string) {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // encoding a string cannot fail
	buf.Truncate(buf.Len() - 1)
}

// canonicalNumber writes exponent forms in plain decimal, as jsonb does.
func canonicalNumber(n json.Number) string {
	s := n.String()
	if !strings.ContainsAny(s, "eE") {
		return s
	}
	f, _, err := big.ParseFloat(s, 10, 256, big.ToNearestEven)
	if err != nil {
		return s
	}
	return f.Text('f', -1)
}

// ChainHash is the hash stored with an event: SHA-256 over a tag, the
// previous event's hash, and the event's id, stream, version, type,
// recording time (UTC microseconds), canonical data and every metadata
// field, each length-prefixed so no two events encode alike. data must
// already be canonical ([CanonicalJSON]).
func ChainHash(prev []byte, id uuid.UUID, stream string, version int64, typ string, recordedAt time.Time, data []byte, m Metadata) []byte {
	return chainHash(false, prev, id, stream, version, typ, recordedAt, data, m)
}

// chainHash is ChainHash, or with v1 the first encoding's hash
// ([hashDomainV1]).
func chainHash(v1 bool, prev []byte, id uuid.UUID, stream string, version int64, typ string, recordedAt time.Time, data []byte, m Metadata) []byte {
	h := sha256.New()
	var length, n [8]byte
	field := func(b []byte) {
		binary.BigEndian.PutUint64(length[:], uint64(len(b)))
		h.Write(length[:])
		h.Write(b)
	}
	number := func(x uint64) {
		if v1 {
			x = uint64(len(n))
		}
		binary.BigEndian.PutUint64(n[:], x)
		field(n[:])
	}
	if v1 {
		field([]byte(hashDomainV1))
	} else {
		field([]byte(hashDomain))
	}
	field(prev)
	field(id[:])
	field([]byte(stream))
	number(uint64(version))
	field([]byte(typ))
	number(uint64(recordedAt.UTC().UnixMicro()))
	field(data)
	var date [10]byte
	field(appendDate(date[:0], m.EffectiveDate))
	field([]byte(m.Actor.Org))
	field([]byte(m.Actor.Role))
	field([]byte(m.Actor.TokenID))
	field(m.CorrelationID[:])
	field(m.CausationID[:])
	field([]byte(m.Regime))
	number(uint64(int64(m.SchemaVersion)))
	return h.Sum(nil)
}

// appendDate appends d as [domain.Date.String] writes it (YYYY-MM-DD), the
// form the chain hash covers, without fmt's cost on every append.
func appendDate(b []byte, d domain.Date) []byte {
	y, m, day := d.Year(), int(d.Month()), d.Day()
	if y < 0 || y > 9999 || m < 0 || m > 99 || day < 0 || day > 99 {
		return append(b, d.String()...)
	}
	return append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-', byte('0'+day/10), byte('0'+day%10))
}

// Prepared is an event ready to be written: validated, canonical, hashed.
type Prepared struct {
	NewEvent
	Stream     string
	Version    int64
	RecordedAt time.Time
	Data       []byte // canonical
	PrevHash   []byte
	Hash       []byte
	// Keys seal the event's personal data (see [DataKey]); the backend
	// stores them with the event, in the same transaction.
	Keys []DataKey
}

// Prepare validates events and chains them onto a stream whose last event
// has version prevVersion and hash prevHash (0 and [ZeroHash] for a new
// stream). recordedAt is truncated to microseconds, the precision both
// backends store. Backends call it inside Append.
func Prepare(stream string, prevVersion int64, prevHash []byte, recordedAt time.Time, events []NewEvent) ([]Prepared, error) {
	return PrepareWithRandom(nil, stream, prevVersion, prevHash, recordedAt, events)
}

// PrepareWithRandom is [Prepare] with the source of the data keys, key ids
// and nonces that seal personal data (see [DataKey]); nil is crypto/rand.
// Backends take it from their options so that tests can store the same
// bytes twice.
func PrepareWithRandom(random io.Reader, stream string, prevVersion int64, prevHash []byte, recordedAt time.Time, events []NewEvent) ([]Prepared, error) {
	if random == nil {
		random = rand.Reader
	}
	if stream == "" {
		return nil, fmt.Errorf("%w: empty stream name", ErrInvalidEvent)
	}
	recordedAt = recordedAt.UTC().Truncate(time.Microsecond)
	out := make([]Prepared, len(events))
	var seen map[uuid.UUID]bool // a single event cannot repeat itself: no map
	if len(events) > 1 {
		seen = make(map[uuid.UUID]bool, len(events))
	}
	for i, e := range events {
		if e.ID == uuid.Nil {
			return nil, fmt.Errorf("%w: event %d of %s has no id", ErrInvalidEvent, i, stream)
		}
		if seen[e.ID] {
			return nil, fmt.Errorf("%w: event id %s appears twice", ErrInvalidEvent, e.ID)
		}
		if seen != nil {
			seen[e.ID] = true
		}
		if e.Type == "" {
			return nil, fmt.Errorf("%w: event %s has no type", ErrInvalidEvent, e.ID)
		}
		data, keys, err := sealedCanonical(random, e.ID, e.Data)
		if err != nil {
			return nil, err
		}
		version := prevVersion + int64(i) + 1
		hash := ChainHash(prevHash, e.ID, stream, version, e.Type, recordedAt, data, e.Metadata)
		out[i] = Prepared{NewEvent: e, Stream: stream, Version: version, RecordedAt: recordedAt,
			Data: data, PrevHash: prevHash, Hash: hash, Keys: keys}
		prevHash = hash
	}
	return out, nil
}

// sealedCanonical decodes the data of event id once, seals its personal
// data (see [DataKey]) and returns the canonical encoding that is stored
// and hashed, with the keys that seal it.
func sealedCanonical(random io.Reader, id uuid.UUID, raw []byte) ([]byte, []DataKey, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return nil, nil, fmt.Errorf("%w: event %s data is not a JSON object", ErrInvalidEvent, id)
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, nil, fmt.Errorf("%w: event %s data is not a JSON object", ErrInvalidEvent, id)
	}
	if hasSealedKey(v) { // not only a byte search: a key may be written with escapes
		return nil, nil, fmt.Errorf("%w: event %s data uses the reserved key %q", ErrInvalidEvent, id, SealedKey)
	}
	keys, err := sealData(random, v, id)
	if err != nil {
		return nil, nil, fmt.Errorf("seal event %s: %w", id, err)
	}
	var buf bytes.Buffer
	buf.Grow(len(raw)) // the canonical form is about as long: one allocation, not a few
	if err := writeCanonical(&buf, v); err != nil {
		return nil, nil, fmt.Errorf("%w: event %s: %v", ErrInvalidEvent, id, err)
	}
	return buf.Bytes(), keys, nil
}

// SameContent reports whether a stored event records the same fact as p:
// same id, stream, type, data and metadata. Backends use it to tell an
// idempotent re-append from an id reused for something else.
func SameContent(stored Event, p NewEvent, stream string) bool {
	if stored.ID != p.ID || stored.Stream != stream || stored.Type != p.Type {
		return false
	}
	a, err1 := CanonicalJSON(stored.Data)
	b, err2 := CanonicalJSON(p.Data)
	return err1 == nil && err2 == nil && bytes.Equal(a, b) && stored.Metadata == p.Metadata
}

// StoredRow is one event row as a backend reads it for verification.
type StoredRow struct {
	ID         uuid.UUID
	Version    int64
	Type       string
	RecordedAt time.Time
	Data       []byte
	Metadata   Metadata
	PrevHash   []byte
	Hash       []byte
}

// check checks e, the event after the one whose hash is prev; v1 allows
// its hash to be of the first encoding ([hashDomainV1]), and it returns
// whether it is.
func (e StoredRow) check(stream string, prev []byte, v1 bool) (bool, *Break) {
	if !bytes.Equal(e.PrevHash, prev) {
		return false, &Break{Stream: stream, Version: e.Version, Reason: "previous hash does not match the previous event"}
	}
	data, err := CanonicalJSON(e.Data)
	if err != nil {
		return false, &Break{Stream: stream, Version: e.Version, Reason: "data is not valid JSON"}
	}
	if bytes.Equal(ChainHash(prev, e.ID, stream, e.Version, e.Type, e.RecordedAt, data, e.Metadata), e.Hash) {
		return false, nil
	}
	if v1 && bytes.Equal(chainHash(true, prev, e.ID, stream, e.Version, e.Type, e.RecordedAt, data, e.Metadata), e.Hash) {
		return true, nil
	}
	return false, &Break{Stream: stream, Version: e.Version, Reason: "content does not match its hash"}
}

// ChainVerifier checks streams row by row, for backends that read the whole
// log in (stream, version) order. A stream's events may be hashed under
// the first encoding ([hashDomainV1]) up to its first under the current
// one, and not after: a stream's history is never re-hashed, and what
// came after the change was hashed under the new tag. The zero value is
// ready to use.
type ChainVerifier struct {
	Report  VerifyReport
	stream  string
	next    int64
	prev    []byte
	broken  bool
	started bool
	current bool // whether an event of the stream is under the current encoding
}

// Add checks the next row; rows must arrive grouped by stream in version order.
func (v *ChainVerifier) Add(stream string, row StoredRow) {
	if !v.started || stream != v.stream {
		v.started, v.stream, v.next, v.prev, v.broken, v.current = true, stream, 1, ZeroHash(), false, false
		v.Report.Streams++
	}
	v.Report.Events++
	if v.broken {
		return
	}
	if row.Version != v.next {
		v.Report.Breaks = append(v.Report.Breaks, Break{Stream: stream, Version: v.next,
			Reason: fmt.Sprintf("version %d is missing (found %d)", v.next, row.Version)})
		v.broken = true
		return
	}
	v1, b := row.check(stream, v.prev, !v.current)
	if b != nil {
		v.Report.Breaks = append(v.Report.Breaks, *b)
		v.broken = true
		return
	}
	v.current = v.current || !v1
	v.prev = row.Hash
	v.next++
}
