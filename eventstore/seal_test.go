package eventstore

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/google/uuid"
)

// personalData is a nomination with personal data of every kind the rules
// know, and an organisation that stays in the clear.
const personalData = `{
	"asset_id": "a1", "nomination_id": "n1", "council": "E09000033",
	"nominator": {"id": "p-nominator", "name": "Zebedee Quince", "kind": "individual", "local_connection": true},
	"owner": {"id": "p-owner", "name": "Ottoline Marsh", "address": "7 Larch Row"},
	"occupants": [{"name": "Octavia Fenn", "address": "Flat 2"}],
	"interests": [{"holder": {"id": "org:bank", "name": "Bank plc"}, "estate": "charge"}],
	"evidence": "Electoral roll extract",
	"local_extras": {"electors": "Elector One; Elector Two", "contact": "zq@example.org"},
	"reasons": "The pub is the village's heart",
	"land": {"description": "The Anchor", "address": "1 High St"},
	"bidder": {"id": "org:brewery", "name": "Big Brewery Ltd"}
}`

var secrets = []string{"Zebedee Quince", "p-nominator", "Ottoline Marsh", "p-owner", "7 Larch Row", "Octavia Fenn",
	"Flat 2", "Electoral roll extract", "Elector One", "zq@example.org"}

func mustPrepare(t *testing.T, data string) Prepared {
	t.Helper()
	ps, err := Prepare("asset-a1", 0, ZeroHash(), time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		[]NewEvent{{ID: uuid.New(), Type: "acv.nomination-received.v1", Data: json.RawMessage(data)}})
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	return ps[0]
}

// keysOf is a lookup over the keys of prepared events.
func keysOf(ps ...Prepared) KeyLookup {
	return func(_ context.Context, ids []uuid.UUID) (map[uuid.UUID][]byte, error) {
		out := map[uuid.UUID][]byte{}
		for _, p := range ps {
			for _, k := range p.Keys {
				out[k.ID] = k.Key
			}
		}
		return out, nil
	}
}

func stored(p Prepared) []Event {
	return []Event{{ID: p.ID, Stream: p.Stream, Version: p.Version, Type: p.Type, Data: bytes.Clone(p.Data)}}
}

func TestSealHidesPersonalDataAndOpensToThePlaintext(t *testing.T) {
	p := mustPrepare(t, personalData)
	for _, s := range secrets {
		if bytes.Contains(p.Data, []byte(s)) {
			t.Errorf("stored data holds %q in the clear:\n%s", s, p.Data)
		}
	}
	for _, s := range []string{"Big Brewery Ltd", "The pub is the village's heart", "1 High St"} {
		if !bytes.Contains(p.Data, []byte(s)) {
			t.Errorf("stored data lost %q, which is not personal", s)
		}
	}
	subjects := map[string][]string{}
	for _, k := range p.Keys {
		subjects[k.Subject] = k.Fields
		if len(k.Key) != KeySize {
			t.Errorf("key of %s is %d bytes", k.Subject, len(k.Key))
		}
	}
	want := map[string][]string{
		"party:p-nominator": {"/nominator/id", "/nominator/name"},
		"party:p-owner":     {"/owner/id", "/owner/name", "/owner/address"},
		"nomination:n1":     {"/evidence", "/local_extras"},
		"party:org:bank":    {"/interests/0"},
		"event:" + p.ID.String() + "/occupants/0": {"/occupants/0"},
	}
	if len(subjects) != len(want) {
		t.Errorf("subjects = %v, want %v", subjects, want)
	}
	for s, fields := range want {
		if strings.Join(subjects[s], " ") != strings.Join(fields, " ") {
			t.Errorf("subject %s seals %v, want %v", s, subjects[s], fields)
		}
	}
	// The hash is over the sealed bytes, so the chain verifies as stored.
	var v ChainVerifier
	v.Add(p.Stream, StoredRow{ID: p.ID, Version: p.Version, Type: p.Type, RecordedAt: p.RecordedAt, Data: p.Data,
		PrevHash: p.PrevHash, Hash: p.Hash})
	if !v.Report.OK() {
		t.Errorf("chain of the sealed event: %v", v.Report.Breaks)
	}

	events := stored(p)
	if err := OpenEvents(context.Background(), events, keysOf(p)); err != nil {
		t.Fatalf("OpenEvents: %v", err)
	}
	plain, _ := CanonicalJSON([]byte(personalData))
	if !bytes.Equal(events[0].Data, plain) {
		t.Errorf("opened data:\n%s\nwant:\n%s", events[0].Data, plain)
	}
	if !SameContent(events[0], p.NewEvent, p.Stream) {
		t.Errorf("the opened event is not the same content as the appended one")
	}
}

func TestOpenAfterErasureGivesPlaceholdersThatDecode(t *testing.T) {
	p := mustPrepare(t, personalData)
	events := stored(p)
	none := func(context.Context, []uuid.UUID) (map[uuid.UUID][]byte, error) { return map[uuid.UUID][]byte{}, nil }
	if err := OpenEvents(context.Background(), events, none); err != nil {
		t.Fatalf("OpenEvents with every key erased: %v", err)
	}
	for _, s := range secrets {
		if bytes.Contains(events[0].Data, []byte(s)) {
			t.Errorf("erased data shows %q", s)
		}
	}
	var got domain.NominationReceived
	if err := json.Unmarshal(events[0].Data, &got); err != nil {
		t.Fatalf("erased data does not decode as the event: %v\n%s", err, events[0].Data)
	}
	if got.Owner.Name != ErasedString || got.Evidence != ErasedString || got.Nominator.Name != ErasedString ||
		len(got.Occupants) != 1 || got.Occupants[0] != (domain.Party{}) || got.LocalExtras != nil ||
		len(got.Interests) != 1 || got.Interests[0].Holder.Name != "" {
		t.Errorf("erased event = %+v", got)
	}
}

func TestOpenFailsLoudly(t *testing.T) {
	p := mustPrepare(t, personalData)
	other := mustPrepare(t, personalData)
	wrong := func(_ context.Context, ids []uuid.UUID) (map[uuid.UUID][]byte, error) {
		out := map[uuid.UUID][]byte{}
		for _, id := range ids {
			out[id] = other.Keys[0].Key
		}
		return out, nil
	}
	tamper := func(data []byte) []byte {
		var v map[string]any
		_ = json.Unmarshal(data, &v)
		owner := v["owner"].(map[string]any)
		env := owner["name"].(map[string]any)[SealedKey].(string)
		i := strings.LastIndex(env, ".")
		box, _ := base64.RawURLEncoding.DecodeString(env[i+1:])
		box[len(box)-1] ^= 1
		owner["name"] = map[string]any{SealedKey: env[:i+1] + base64.RawURLEncoding.EncodeToString(box)}
		out, _ := json.Marshal(v)
		return out
	}
	flipKind := func(data []byte) []byte { // a string's envelope claiming another kind
		return bytes.Replace(data, []byte(".s."), []byte(".j."), 1)
	}
	for _, tt := range []struct {
		name   string
		data   []byte
		lookup KeyLookup
	}{
		{"wrong key", p.Data, wrong},
		{"tampered ciphertext", tamper(p.Data), keysOf(p)},
		{"kind changed", flipKind(p.Data), keysOf(p)},
		{"malformed envelope", bytes.Replace(p.Data, []byte(`"v1.`), []byte(`"v9.`), 1), keysOf(p)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			events := []Event{{ID: p.ID, Data: tt.data}}
			err := OpenEvents(context.Background(), events, tt.lookup)
			if !errors.Is(err, ErrUnsealable) {
				t.Fatalf("OpenEvents = %v, want ErrUnsealable", err)
			}
		})
	}
	// Another event's id: the additional data binds values to their event.
	events := []Event{{ID: other.ID, Data: p.Data}}
	if err := OpenEvents(context.Background(), events, keysOf(p)); !errors.Is(err, ErrUnsealable) {
		t.Errorf("OpenEvents of a value copied to another event = %v, want ErrUnsealable", err)
	}
}

func TestOpenLooksUpKeysOncePerPage(t *testing.T) {
	var events []Event
	var ps []Prepared
	for range 3 {
		p := mustPrepare(t, personalData)
		ps = append(ps, p)
		events = append(events, stored(p)...)
	}
	events = append(events, Event{ID: uuid.New(), Data: []byte(`{"a":1}`)})
	lookup, calls := counted(keysOf(ps...))
	err := OpenEvents(context.Background(), events, lookup)
	if err != nil || *calls != 1 {
		t.Errorf("OpenEvents = %v with %d lookups, want one", err, *calls)
	}
}

func TestPrepareRefusesTheSealedKey(t *testing.T) {
	for _, data := range []string{`{"x":{"$sealed":"v1.x"}}`, `{"x":[{"\u0024sealed":1}]}`} {
		_, err := Prepare("s", 0, ZeroHash(), time.Now(), []NewEvent{{ID: uuid.New(), Type: "t", Data: json.RawMessage(data)}})
		if !errors.Is(err, ErrInvalidEvent) {
			t.Errorf("Prepare(%s) = %v, want ErrInvalidEvent", data, err)
		}
	}
}

func TestParseKeyList(t *testing.T) {
	id := uuid.New()
	keys, err := ParseKeyList(id.String() + ":0A0b")
	if err != nil || !bytes.Equal(keys[id], []byte{0x0a, 0x0b}) {
		t.Errorf("ParseKeyList = %v, %v", keys, err)
	}
	if keys, err := ParseKeyList(""); err != nil || len(keys) != 0 {
		t.Errorf("ParseKeyList(\"\") = %v, %v", keys, err)
	}
	if _, err := ParseKeyList("nonsense"); err == nil {
		t.Error("ParseKeyList(nonsense) succeeded")
	}
}

// BenchmarkPrepare: preparing an event without personal data costs about
// what canonicalising it did before sealing (compare the "canonical" run).
func BenchmarkPrepare(b *testing.B) {
	data := json.RawMessage(`{"asset_id":"a1","council":"E09000033","decided_on":"2026-01-02","outcome":"listed","reasons":"it furthers social wellbeing"}`)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	b.Run("canonical", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := CanonicalJSON(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("prepare", func(b *testing.B) {
		b.ReportAllocs()
		events := []NewEvent{{ID: uuid.New(), Type: "t", Data: data}}
		for b.Loop() {
			if _, err := Prepare("s", 0, ZeroHash(), at, events); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("prepare-personal", func(b *testing.B) {
		b.ReportAllocs()
		events := []NewEvent{{ID: uuid.New(), Type: "t", Data: json.RawMessage(personalData)}}
		for b.Loop() {
			if _, err := Prepare("s", 0, ZeroHash(), at, events); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestOpenSplicesAsPostgreSQLPrints: jsonb prints objects with spaces; a
// "$sealed" that is a plain string, or inside one, is left alone.
func TestOpenSplicesAsPostgreSQLPrints(t *testing.T) {
	p := mustPrepare(t, `{"owner":{"id":"p-1","name":"Ann Example"},"note":"$sealed","text":"{\"$sealed\": \"v1.x\"}"}`)
	spaced := bytes.ReplaceAll(bytes.ReplaceAll(p.Data, []byte(`":`), []byte(`": `)), []byte(`,"`), []byte(`, "`))
	events := []Event{{ID: p.ID, Data: spaced}}
	if err := OpenEvents(context.Background(), events, keysOf(p)); err != nil {
		t.Fatalf("OpenEvents: %v", err)
	}
	var got map[string]any
	if err := json.Unmarshal(events[0].Data, &got); err != nil {
		t.Fatalf("opened data is not JSON: %v\n%s", err, events[0].Data)
	}
	owner, _ := got["owner"].(map[string]any)
	if owner["name"] != "Ann Example" || owner["id"] != "p-1" || got["note"] != "$sealed" ||
		!strings.Contains(fmt.Sprint(got["text"]), `"$sealed"`) {
		t.Errorf("opened %s", events[0].Data)
	}
}

// counted wraps lookup to count its calls.
func counted(lookup KeyLookup) (KeyLookup, *int) {
	calls := new(int)
	return func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]byte, error) {
		*calls++
		return lookup(ctx, ids)
	}, calls
}

// TestIndexMarkerIsTheFirstMarker: the search led by '$' finds the first
// "$sealed" with its quotes wherever a plain search does, among near
// misses (no opening quote, a quote that follows, a marker at either end).
func TestIndexMarkerIsTheFirstMarker(t *testing.T) {
	for _, data := range []string{
		``, `"`, `$sealed"`, `"$sealed"`, `x"$sealed"`, `"$sealed`,
		`$sealed" "$sealed"`, `{"a":"$sealed","b":{"$sealed":"v1"}}`,
		`{"$sealedx":1,"$sealed":2}`, `{"$sealed$sealed":"$sealed""$sealed"}`,
		`{"k":"\"$sealed\""}`, `"$"$sealed"$sealed""`,
	} {
		if got, want := indexMarker([]byte(data)), bytes.Index([]byte(data), sealedMarker); got != want {
			t.Errorf("indexMarker(%s) = %d, want %d", data, got, want)
		}
		if got, want := Sealed([]byte(data)), bytes.Contains([]byte(data), sealedMarker); got != want {
			t.Errorf("Sealed(%s) = %v, want %v", data, got, want)
		}
	}
}
