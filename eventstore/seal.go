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
	"slices"
	"strconv"
	"strings"

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
// subject of the event, with a random nonce per value and, as additional
// data, the event id, the field's JSON pointer and the kind (so a sealed
// value cannot be moved to another field or event). The plaintext is the
// value's canonical JSON. The keys ([DataKey]) are rows of the backend's
// personal_keys table, written in the same statement or transaction as the
// events. The hash chain is over the stored, sealed bytes.
//
// Readers open sealed values with one key lookup per page or stream read
// ([OpenEvents]), so the domain and every consumer see the plaintext shape.
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
		if sealed, err = sealValue(random, k.Key, k.ID, id, pointer, get()); err == nil {
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
func sealValue(random io.Reader, key []byte, keyID, id uuid.UUID, pointer string, v any) (string, error) {
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
	sealed := aead.Seal(nonce, nonce, plain.Bytes(), additionalData(id, pointer, kind))
	return sealVersion + "." + keyID.String() + "." + kind + "." + base64.RawURLEncoding.EncodeToString(sealed), nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsealable, err)
	}
	return cipher.NewGCM(block)
}

// additionalData binds a sealed value to its event, field and kind.
func additionalData(id uuid.UUID, pointer, kind string) []byte {
	return []byte("acv-sealed-v1\x00" + id.String() + "\x00" + pointer + "\x00" + kind)
}

// envelope is a parsed sealed value.
type envelope struct {
	keyID uuid.UUID
	kind  string
	box   []byte // nonce and ciphertext
}

func parseEnvelope(s string) (envelope, error) {
	parts := strings.Split(s, ".")
	if len(parts) != 4 || parts[0] != sealVersion || (parts[2] != kindString && parts[2] != kindOther) {
		return envelope{}, fmt.Errorf("%w: malformed", ErrUnsealable)
	}
	kid, err := uuid.Parse(parts[1])
	if err != nil {
		return envelope{}, fmt.Errorf("%w: bad key id", ErrUnsealable)
	}
	box, err := base64.RawURLEncoding.DecodeString(parts[3])
	if err != nil {
		return envelope{}, fmt.Errorf("%w: bad encoding", ErrUnsealable)
	}
	return envelope{keyID: kid, kind: parts[2], box: box}, nil
}

// sealedMarker is how a sealed value's key appears in stored JSON.
var sealedMarker = []byte(`"` + SealedKey + `"`)

// Sealed reports whether data (stored JSON) may hold sealed values: a
// byte search, so that reading events without personal data costs almost
// nothing.
func Sealed(data []byte) bool { return bytes.Contains(data, sealedMarker) }

// sealedString returns the sealed value m stands for, if it is one.
func sealedString(m map[string]any) (string, bool) {
	if len(m) != 1 {
		return "", false
	}
	s, ok := m[SealedKey].(string)
	return s, ok
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

// sealedValue is one sealed value of a decoded event.
type sealedValue struct {
	parent  any    // map[string]any or []any
	key     string // in a map parent
	index   int    // in a slice parent
	pointer string
	env     envelope
}

// findSealed lists the sealed values of v, found at path.
func findSealed(v any, path string, out *[]sealedValue) error {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			p := path + "/" + personal.PointerEscape(k)
			if m, ok := e.(map[string]any); ok {
				if s, ok := sealedString(m); ok {
					env, err := parseEnvelope(s)
					if err != nil {
						return fmt.Errorf("at %s: %w", p, err)
					}
					*out = append(*out, sealedValue{parent: v, key: k, pointer: p, env: env})
					continue
				}
			}
			if err := findSealed(e, p, out); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range v {
			p := path + "/" + strconv.Itoa(i)
			if m, ok := e.(map[string]any); ok {
				if s, ok := sealedString(m); ok {
					env, err := parseEnvelope(s)
					if err != nil {
						return fmt.Errorf("at %s: %w", p, err)
					}
					*out = append(*out, sealedValue{parent: v, index: i, pointer: p, env: env})
					continue
				}
			}
			if err := findSealed(e, p, out); err != nil {
				return err
			}
		}
	}
	return nil
}

// KeyLookup returns the data keys with the given ids that exist. An id
// missing from the answer is a key that was erased.
type KeyLookup func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]byte, error)

// sealedEvent is an event being opened: its decoded data and what is
// sealed in it.
type sealedEvent struct {
	e      *Event
	data   any
	sealed []sealedValue
}

func parseSealed(e *Event) (sealedEvent, error) {
	dec := json.NewDecoder(bytes.NewReader(e.Data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return sealedEvent{}, fmt.Errorf("open event %s: %w", e.ID, err)
	}
	se := sealedEvent{e: e, data: v}
	if err := findSealed(v, "", &se.sealed); err != nil {
		return sealedEvent{}, fmt.Errorf("open event %s: %w", e.ID, err)
	}
	return se, nil
}

// open replaces each sealed value by its plaintext (or, when its key is
// missing from keys, its placeholder) and re-encodes the event's data.
func (se sealedEvent) open(keys map[uuid.UUID][]byte) error {
	for _, s := range se.sealed {
		v, err := openValue(s, se.e.ID, keys)
		if err != nil {
			return fmt.Errorf("open event %s at %s: %w", se.e.ID, s.pointer, err)
		}
		switch p := s.parent.(type) {
		case map[string]any:
			p[s.key] = v
		case []any:
			p[s.index] = v
		}
	}
	var buf bytes.Buffer
	if err := writeCanonical(&buf, se.data); err != nil {
		return fmt.Errorf("open event %s: %w", se.e.ID, err)
	}
	se.e.Data = buf.Bytes()
	return nil
}

func openValue(s sealedValue, id uuid.UUID, keys map[uuid.UUID][]byte) (any, error) {
	key, ok := keys[s.env.keyID]
	if !ok { // erased
		if s.env.kind == kindString {
			return ErasedString, nil
		}
		return nil, nil
	}
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	if len(s.env.box) < aead.NonceSize() {
		return nil, fmt.Errorf("%w: too short", ErrUnsealable)
	}
	nonce, ct := s.env.box[:aead.NonceSize()], s.env.box[aead.NonceSize():]
	plain, err := aead.Open(nil, nonce, ct, additionalData(id, s.pointer, s.env.kind))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsealable, err)
	}
	dec := json.NewDecoder(bytes.NewReader(plain))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: plaintext is not JSON", ErrUnsealable)
	}
	if _, isString := v.(string); isString != (s.env.kind == kindString) {
		return nil, fmt.Errorf("%w: plaintext is not of its kind", ErrUnsealable)
	}
	return v, nil
}

// OpenEvents opens the sealed values in the data of events, in place, with
// at most one call of lookup for all of them; events without sealed
// values cost a byte search. It fails with an error matching
// [ErrUnsealable] when a value cannot be opened by a key that exists.
func OpenEvents(ctx context.Context, events []Event, lookup KeyLookup) error {
	var (
		pending []sealedEvent
		ids     []uuid.UUID
		seen    map[uuid.UUID]bool
	)
	for i := range events {
		if !Sealed(events[i].Data) {
			continue
		}
		se, err := parseSealed(&events[i])
		if err != nil {
			return err
		}
		if len(se.sealed) == 0 {
			continue
		}
		if seen == nil {
			seen = make(map[uuid.UUID]bool)
		}
		for _, s := range se.sealed {
			if !seen[s.env.keyID] {
				seen[s.env.keyID] = true
				ids = append(ids, s.env.keyID)
			}
		}
		pending = append(pending, se)
	}
	if len(pending) == 0 {
		return nil
	}
	keys, err := lookup(ctx, ids)
	if err != nil {
		return fmt.Errorf("look up data keys: %w", err)
	}
	for _, se := range pending {
		if err := se.open(keys); err != nil {
			return err
		}
	}
	return nil
}

// OpenEvent opens the sealed values of one event with keys fetched
// already (a consumer's row carries its event's keys; see [ParseKeyList]).
func OpenEvent(e *Event, keys map[uuid.UUID][]byte) error {
	if !Sealed(e.Data) {
		return nil
	}
	se, err := parseSealed(e)
	if err != nil {
		return err
	}
	if len(se.sealed) == 0 {
		return nil
	}
	return se.open(keys)
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
