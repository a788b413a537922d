package eventstore

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/acv-registry/acv/personal"
	"github.com/google/uuid"
)

// Crypto-shredding: personal data is stored sealed, so that it can be
// erased without rewriting the log.
//
// On append, every field that package personal's rules find in an event's
// data ([personal.Walk], the rules the public redaction uses) is replaced
// by a sealed value, {"$sealed": "v1.<key id>.<kind>.<nonce and
// ciphertext>"}: AES-256-GCM under a fresh random key for each data
// subject of the event (a list of people - occupants, interests - is
// sealed element by element), with a random nonce per value and, as
// additional data, the event id and the kind (so a sealed value cannot be
// copied into another event; moving one within its event changes the
// stored bytes, which the hash chain catches). The plaintext is the
// value's canonical JSON. The keys ([DataKey]) are rows of the backend's
// personal_keys table, written in the same statement or transaction as the
// events. The hash chain is over the stored, sealed bytes.
//
// Readers open sealed values with one key lookup per page or stream read
// ([OpenEvents]), or, reading the whole log, while they read a page, each
// event with the keys at its position ([ReadOpening], [Opener]); they
// splice each plaintext into the stored bytes without decoding the rest,
// so the domain and every consumer see the plaintext shape.
// Erasure deletes a subject's keys; a value whose key is gone opens to a
// placeholder of the same JSON type: [ErasedString] for a string, null
// for anything else. A value whose key exists but does not open it (a
// wrong key, a changed ciphertext) is an error matching [ErrUnsealable],
// never garbage.

// SealedKey is the only key of the object that stands for a sealed value.
// Appended data may not contain it.
const SealedKey = "$sealed"

// ErasedString is what a sealed string opens to once its key is erased.
const ErasedString = "[erased]"

// sealVersion prefixes every sealed value; a new format gets a new one.
const sealVersion = "v1"

// The kinds of sealed value: what the placeholder of an erased one is.
const (
	kindString = "s" // opens to ErasedString once erased
	kindOther  = "j" // opens to null once erased
)

// KeySize is the length of a data key: AES-256.
const KeySize = 32

// ErrUnsealable is returned, wrapped, when a sealed value is malformed or
// its key does not open it.
var ErrUnsealable = errors.New("sealed value cannot be opened")

// DataKey is the key that seals one data subject's fields in one event. A
// subject has one key per event that holds its data, so an append only
// ever inserts keys, and erasing a subject deletes all of them.
type DataKey struct {
	ID      uuid.UUID
	Subject string
	EventID uuid.UUID
	// Fields are the JSON pointers, into the event's data, of the values
	// the key seals. They name fields, never their content.
	Fields []string
	Key    []byte
}

// FieldsJSON is Fields as the JSON array the key tables store.
func (k DataKey) FieldsJSON() string {
	b, _ := json.Marshal(k.Fields) // a []string always encodes
	return string(b)
}

// sealData replaces the personal fields of v, the decoded data of event
// id, by sealed values and returns the keys that seal them, one per
// subject, in the order the subjects were met. Keys, key ids and nonces
// are read from random.
func sealData(random io.Reader, v any, id uuid.UUID) ([]DataKey, error) {
	var (
		keys  []DataKey
		index map[string]int
		err   error
	)
	// seal replaces parent[key] (or parent[index] for a list), found at
	// pointer, by its sealed value under subject's key for this event.
	seal := func(subject, pointer string, get func() any, set func(any)) {
		i, ok := index[subject]
		if !ok {
			if index == nil {
				index = make(map[string]int)
			}
			key := make([]byte, KeySize)
			if _, err = io.ReadFull(random, key); err != nil {
				return
			}
			var kid uuid.UUID
			if kid, err = uuid.NewRandomFromReader(random); err != nil {
				return
			}
			i = len(keys)
			index[subject] = i
			keys = append(keys, DataKey{ID: kid, Subject: subject, EventID: id, Key: key})
		}
		k := &keys[i]
		var sealed string
		if sealed, err = sealValue(random, k.Key, k.ID, id, get()); err == nil {
			set(map[string]any{SealedKey: sealed})
			k.Fields = append(k.Fields, pointer)
		}
	}
	personal.Walk(v, nil, func(f personal.Field) {
		if err != nil {
			return
		}
		// A list of people (occupants, interests) is sealed element by
		// element, each under its person's subject when it names one.
		if list, ok := f.Parent[f.Key].([]any); ok && f.Subject == "" && len(list) > 0 {
			for i := range list {
				if err != nil {
					return
				}
				pointer := f.Pointer + "/" + strconv.Itoa(i)
				subject := personal.ElementSubject(f.Key, list[i])
				if subject == "" {
					subject = personal.EventSubject(id.String(), pointer)
				}
				seal(subject, pointer, func() any { return list[i] }, func(x any) { list[i] = x })
			}
			return
		}
		subject := f.Subject
		if subject == "" {
			subject = personal.EventSubject(id.String(), f.Scope)
		}
		seal(subject, f.Pointer, func() any { return f.Parent[f.Key] }, func(x any) { f.Parent[f.Key] = x })
	})
	return keys, err
}

// sealValue seals one JSON value found at pointer in event id.
func sealValue(random io.Reader, key []byte, keyID, id uuid.UUID, v any) (string, error) {
	var plain bytes.Buffer
	if err := writeCanonical(&plain, v); err != nil {
		return "", err
	}
	kind := kindOther
	if _, ok := v.(string); ok {
		kind = kindString
	}
	aead, err := newAEAD(key)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+plain.Len()+aead.Overhead())
	if _, err := io.ReadFull(random, nonce); err != nil {
		return "", err
	}
	sealed := aead.Seal(nonce, nonce, plain.Bytes(), additionalData(id, kind))
	return sealVersion + "." + keyID.String() + "." + kind + "." + base64.RawURLEncoding.EncodeToString(sealed), nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsealable, err)
	}
	return cipher.NewGCM(block)
}

// additionalData binds a sealed value to its event and kind. (Not to its
// field: opening splices bytes without knowing where it is, and a value
// moved within its event changes the stored bytes, which the hash chain
// catches.)
func additionalData(id uuid.UUID, kind string) []byte {
	return appendAdditionalData(nil, id, kind)
}

func appendAdditionalData(dst []byte, id uuid.UUID, kind string) []byte {
	return append(dst, "acv-sealed-v1\x00"+id.String()+"\x00"+kind...)
}

// envelope is a parsed sealed value.
type envelope struct {
	keyID uuid.UUID
	kind  string
	box   []byte // nonce and ciphertext
}

// parseEnvelope parses a sealed value: "v1.<key id>.<kind>.<base64>". The
// box is decoded into the free capacity of *buf, which grows if it must.
func parseEnvelope(b []byte, buf *[]byte) (envelope, error) {
	version, rest, ok1 := bytes.Cut(b, envelopeDot)
	id, rest, ok2 := bytes.Cut(rest, envelopeDot)
	kind, box, ok3 := bytes.Cut(rest, envelopeDot)
	if !ok1 || !ok2 || !ok3 || string(version) != sealVersion || bytes.IndexByte(box, '.') >= 0 {
		return envelope{}, fmt.Errorf("%w: malformed", ErrUnsealable)
	}
	env := envelope{kind: kindOther}
	switch string(kind) {
	case kindString:
		env.kind = kindString
	case kindOther:
	default:
		return envelope{}, fmt.Errorf("%w: malformed", ErrUnsealable)
	}
	var err error
	if env.keyID, err = uuid.ParseBytes(id); err != nil {
		return envelope{}, fmt.Errorf("%w: bad key id", ErrUnsealable)
	}
	size := base64.RawURLEncoding.DecodedLen(len(box))
	if cap(*buf)-len(*buf) < size {
		*buf = make([]byte, 0, max(size, 2*cap(*buf)))
	}
	free := (*buf)[len(*buf) : len(*buf)+size]
	n, err := base64.RawURLEncoding.Decode(free, box)
	if err != nil {
		return envelope{}, fmt.Errorf("%w: bad encoding", ErrUnsealable)
	}
	env.box = free[:n:n] // its own: it is decrypted in place
	*buf = (*buf)[:len(*buf)+n]
	return env, nil
}

var envelopeDot = []byte(".")

// sealedMarker is how a sealed value's key appears in stored JSON.
var sealedMarker = []byte(`"` + SealedKey + `"`)

// Sealed reports whether data (stored JSON) may hold sealed values: a
// byte search, so that reading events without personal data costs almost
// nothing.
func Sealed(data []byte) bool { return indexMarker(data) >= 0 }

// indexMarker returns the index of the first sealedMarker in data, or -1.
// It searches for the marker without its opening quote, whose first byte,
// '$', JSON seldom holds, and checks the quote before it: a search led by
// the quote, which JSON holds every few bytes, stops at each (the read of
// 10^6 events spent 0.3 s searching so).
func indexMarker(data []byte) int {
	tail := sealedMarker[1:]
	for from := 1; from <= len(data); {
		i := bytes.Index(data[from:], tail)
		if i < 0 {
			return -1
		}
		i += from
		if data[i-1] == '"' {
			return i - 1
		}
		from = i + 1
	}
	return -1
}

// hasSealedKey reports whether any object in v has the key SealedKey.
func hasSealedKey(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		if _, ok := v[SealedKey]; ok {
			return true
		}
		for _, e := range v {
			if hasSealedKey(e) {
				return true
			}
		}
	case []any:
		return slices.ContainsFunc(v, hasSealedKey)
	}
	return false
}

// sealedSpan is one sealed value in stored JSON: the bytes of its object,
// data[start:end], and its envelope.
type sealedSpan struct {
	start, end int
	env        envelope
}

// findSpans lists the sealed values in stored JSON without decoding it: an
// object whose only member is "$sealed" and a string, as the store writes
// it (canonical, or as PostgreSQL's jsonb prints it, with spaces). Appends
// refuse the key anywhere else, so the pattern cannot occur by chance; a
// "$sealed" that is a string value, or inside one (where its quotes are
// escaped), does not match it.
//
// It appends the sealed values to out, and decodes their boxes into the
// free capacity of *boxes, first making room for as many bytes as data has
// (more than its boxes take) if there is not so much.
func findSpans(data []byte, out []sealedSpan, boxes *[]byte) ([]sealedSpan, error) {
	if cap(*boxes)-len(*boxes) < len(data) {
		*boxes = make([]byte, 0, max(len(data), 2*cap(*boxes)))
	}
	for from := 0; ; {
		i := indexMarker(data[from:])
		if i < 0 {
			return out, nil
		}
		i += from
		from = i + len(sealedMarker)
		start := skipSpaceBack(data, i-1)
		if start < 0 || data[start] != '{' {
			continue
		}
		j := skipSpace(data, from)
		if j >= len(data) || data[j] != ':' {
			continue
		}
		j = skipSpace(data, j+1)
		if j >= len(data) || data[j] != '"' {
			continue
		}
		k := bytes.IndexByte(data[j+1:], '"')
		if k < 0 {
			return nil, fmt.Errorf("%w: unterminated", ErrUnsealable)
		}
		value := data[j+1 : j+1+k]
		end := skipSpace(data, j+2+k)
		if end >= len(data) || data[end] != '}' {
			continue
		}
		env, err := parseEnvelope(value, boxes)
		if err != nil {
			return nil, err
		}
		out = append(out, sealedSpan{start: start, end: end + 1, env: env})
		from = end + 1
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

func skipSpaceBack(b []byte, i int) int {
	for i >= 0 && isSpace(b[i]) {
		i--
	}
	return i
}

// KeyLookup returns the data keys with the given ids that exist. An id
// missing from the answer is a key that was erased.
type KeyLookup func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]byte, error)

// Lookup returns lookup for a read of personal data as pd says: for
// [AsErased] one that finds no key, so that [OpenEvents] gives every sealed
// value its placeholder.
func (pd PersonalData) Lookup(lookup KeyLookup) KeyLookup {
	if pd == AsErased {
		return noKeys
	}
	return lookup
}

// noKeys is the KeyLookup that finds no key.
func noKeys(context.Context, []uuid.UUID) (map[uuid.UUID][]byte, error) { return nil, nil }

// valueOpener opens the sealed values of events, one event at a time,
// reusing its buffers from one event to the next. A key seals several
// values of its event (a person's name and address), so it makes each
// key's AES-GCM once an event, and the additional data of each kind once.
type valueOpener struct {
	aeads []keyAEAD // the event's keys met so far
	ad    [2][]byte // the event's additional data, by kind (string, other)
	plain [][]byte  // the event's plaintexts, by span
}

type keyAEAD struct {
	id   uuid.UUID
	aead cipher.AEAD
}

// openSpans returns e's data with each sealed value spliced out for its
// plaintext (canonical JSON), or for its placeholder when its key is not
// in keys.
func (o *valueOpener) openSpans(e *Event, spans []sealedSpan, keys map[uuid.UUID][]byte) ([]byte, error) {
	clear(o.aeads)
	o.aeads, o.ad[0], o.ad[1], o.plain = o.aeads[:0], o.ad[0][:0], o.ad[1][:0], o.plain[:0]
	size := len(e.Data)
	for _, s := range spans {
		plain, err := o.open(s.env, e.ID, keys)
		if err != nil {
			return nil, fmt.Errorf("open event %s at byte %d: %w", e.ID, s.start, err)
		}
		o.plain = append(o.plain, plain)
		size += len(plain) - (s.end - s.start)
	}
	out := make([]byte, 0, size)
	last := 0
	for i, s := range spans {
		out = append(out, e.Data[last:s.start]...)
		out = append(out, o.plain[i]...)
		last = s.end
	}
	return append(out, e.Data[last:]...), nil
}

// open returns the plaintext JSON of one sealed value of event id. It
// decrypts in place: env.box is its own.
func (o *valueOpener) open(env envelope, id uuid.UUID, keys map[uuid.UUID][]byte) ([]byte, error) {
	key, ok := keys[env.keyID]
	if !ok { // erased
		if env.kind == kindString {
			return []byte(`"` + ErasedString + `"`), nil
		}
		return []byte("null"), nil
	}
	var aead cipher.AEAD
	for _, k := range o.aeads {
		if k.id == env.keyID {
			aead = k.aead
			break
		}
	}
	if aead == nil {
		var err error
		if aead, err = newAEAD(key); err != nil {
			return nil, err
		}
		o.aeads = append(o.aeads, keyAEAD{env.keyID, aead})
	}
	ad := &o.ad[0]
	if env.kind == kindOther {
		ad = &o.ad[1]
	}
	if len(*ad) == 0 {
		*ad = appendAdditionalData(*ad, id, env.kind)
	}
	if len(env.box) < aead.NonceSize() {
		return nil, fmt.Errorf("%w: too short", ErrUnsealable)
	}
	nonce, ct := env.box[:aead.NonceSize()], env.box[aead.NonceSize():]
	plain, err := aead.Open(ct[:0], nonce, ct, *ad)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsealable, err)
	}
	if len(plain) == 0 || (plain[0] == '"') != (env.kind == kindString) || !json.Valid(plain) {
		return nil, fmt.Errorf("%w: plaintext is not JSON of its kind", ErrUnsealable)
	}
	return plain, nil
}

// OpenEvents opens the sealed values in the data of events, in place, with
// at most one call of lookup for all of them; events without sealed
// values cost a byte search, and sealed values are spliced out for their
// plaintext without decoding the rest. A page of many events is searched
// and opened in parts, one a processor ([runtime.GOMAXPROCS]). It fails
// with an error matching [ErrUnsealable] when a value cannot be opened by
// a key that exists; the error is the first such event's.
func OpenEvents(ctx context.Context, events []Event, lookup KeyLookup) error {
	parts := make([]sealedEvents, workers(len(events)))
	err := inParts(len(events), len(parts), func(part, lo, hi int) error {
		return parts[part].find(events, lo, hi)
	})
	if err != nil {
		return err
	}
	all := parts[0]
	for _, p := range parts[1:] {
		all.pending = append(all.pending, p.pending...)
		all.spans = append(all.spans, p.spans...)
		all.ids = append(all.ids, p.ids...) // a key seals values of one event only: no repeats across parts
	}
	if len(all.pending) == 0 {
		return nil
	}
	keys, err := lookup(ctx, all.ids)
	if err != nil {
		return fmt.Errorf("look up data keys: %w", err)
	}
	return inParts(len(all.pending), workers(len(all.pending)), func(_, lo, hi int) error {
		var o valueOpener
		for n := lo; n < hi; n++ {
			i := all.pending[n]
			data, err := o.openSpans(&events[i], all.spans[n], keys)
			if err != nil {
				return err
			}
			events[i].Data = data
		}
		return nil
	})
}

// sealedEvents are the events of a page that hold sealed values: their
// indexes, their sealed values, and the ids of the keys these need.
type sealedEvents struct {
	pending []int
	spans   [][]sealedSpan
	ids     []uuid.UUID
	boxes   []byte // the spans' boxes, decoded
}

// find adds the events[lo:hi] that hold sealed values.
func (f *sealedEvents) find(events []Event, lo, hi int) error {
	var seen map[uuid.UUID]bool
	for i := lo; i < hi; i++ {
		if !Sealed(events[i].Data) {
			continue
		}
		found, err := findSpans(events[i].Data, nil, &f.boxes)
		if err != nil {
			return fmt.Errorf("open event %s: %w", events[i].ID, err)
		}
		if len(found) == 0 {
			continue
		}
		if seen == nil {
			seen = make(map[uuid.UUID]bool)
		}
		for _, s := range found {
			if !seen[s.env.keyID] {
				seen[s.env.keyID] = true
				f.ids = append(f.ids, s.env.keyID)
			}
		}
		f.pending, f.spans = append(f.pending, i), append(f.spans, found)
	}
	return nil
}

// minPart is the fewest events [OpenEvents] gives a goroutine of its own:
// a stream or a small page is opened where it is read.
const minPart = 500

// workers is how many parts [OpenEvents] cuts n events into.
func workers(n int) int {
	return max(1, min(runtime.GOMAXPROCS(0), n/minPart))
}

// inParts runs f on parts contiguous ranges [lo, hi) of n items, each but
// the first on a goroutine of its own, and returns the error of the first
// part that failed.
func inParts(n, parts int, f func(part, lo, hi int) error) error {
	if parts <= 1 {
		return f(0, 0, n)
	}
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for p := 1; p < parts; p++ {
		wg.Go(func() { errs[p] = f(p, p*n/parts, (p+1)*n/parts) })
	}
	errs[0] = f(0, 0, n/parts)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// OpenEvent opens the sealed values of one event with keys fetched
// already (a consumer's row carries its event's keys; see [ParseKeyList]).
func OpenEvent(e *Event, keys map[uuid.UUID][]byte) error {
	var o Opener
	return o.Open(e, keys)
}

// Opener opens the sealed values of events one at a time, each with keys
// the caller found for it, like [OpenEvent], but reuses its buffers from
// one event to the next. It is not safe for concurrent use. The zero value
// is ready to use.
type Opener struct {
	spans []sealedSpan
	boxes []byte
	v     valueOpener
}

// Open opens the sealed values of e, in place, with keys. It fails with an
// error matching [ErrUnsealable] when a value cannot be opened by a key
// that is in keys.
func (o *Opener) Open(e *Event, keys map[uuid.UUID][]byte) error {
	if !Sealed(e.Data) {
		return nil
	}
	o.boxes = o.boxes[:0]
	spans, err := findSpans(e.Data, o.spans[:0], &o.boxes)
	if err != nil {
		return fmt.Errorf("open event %s: %w", e.ID, err)
	}
	o.spans = spans
	if len(spans) == 0 {
		return nil
	}
	data, err := o.v.openSpans(e, spans, keys)
	if err != nil {
		return err
	}
	e.Data = data
	return nil
}

// ParseKeyList parses the keys of one event as a consumer query
// aggregates them: "<key id>:<hex key>" joined by commas; empty for none.
func ParseKeyList(s string) (map[uuid.UUID][]byte, error) {
	keys := make(map[uuid.UUID][]byte)
	if s == "" {
		return keys, nil
	}
	for item := range strings.SplitSeq(s, ",") {
		id, hexKey, ok := strings.Cut(item, ":")
		if !ok {
			return nil, fmt.Errorf("key list: malformed item")
		}
		kid, err := uuid.Parse(id)
		if err != nil {
			return nil, fmt.Errorf("key list: %w", err)
		}
		key, err := hex.DecodeString(strings.ToLower(hexKey))
		if err != nil {
			return nil, fmt.Errorf("key list: %w", err)
		}
		keys[kid] = key
	}
	return keys, nil
}
