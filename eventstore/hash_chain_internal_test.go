package eventstore

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"testing"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/google/uuid"
)

// firstChainHash is ChainHash as the first encoding's code was written,
// kept word for word: field's length prefix went into the same array as
// the numbers, over them, before they were written.
func firstChainHash(prev []byte, id uuid.UUID, stream string, version int64, typ string, recordedAt time.Time, data []byte, m Metadata) []byte {
	h := sha256.New()
	var n [8]byte
	field := func(b []byte) {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	field([]byte("acv-event-chain-v1"))
	field(prev)
	field(id[:])
	field([]byte(stream))
	binary.BigEndian.PutUint64(n[:], uint64(version))
	field(n[:])
	field([]byte(typ))
	binary.BigEndian.PutUint64(n[:], uint64(recordedAt.UTC().UnixMicro()))
	field(n[:])
	field(data)
	var date [10]byte
	field(appendDate(date[:0], m.EffectiveDate))
	field([]byte(m.Actor.Org))
	field([]byte(m.Actor.Role))
	field([]byte(m.Actor.TokenID))
	field(m.CorrelationID[:])
	field(m.CausationID[:])
	field([]byte(m.Regime))
	binary.BigEndian.PutUint64(n[:], uint64(int64(m.SchemaVersion)))
	field(n[:])
	return h.Sum(nil)
}

// chainRow is a stored row of stream at version after prev, hashed under
// the first encoding or the current one.
func chainRow(t *testing.T, v1 bool, stream string, version int64, prev []byte, recordedAt time.Time) StoredRow {
	t.Helper()
	r := StoredRow{ID: uuid.New(), Version: version, Type: "test.thing-happened.v1", RecordedAt: recordedAt,
		Data: []byte(`{"n":1}`), PrevHash: prev,
		Metadata: Metadata{EffectiveDate: domain.NewDate(2026, time.December, 4), Actor: Actor{Org: "local-authority:MDS", Role: "council_officer"},
			CorrelationID: uuid.New(), Regime: "england-2012", SchemaVersion: 1}}
	r.Hash = chainHash(v1, prev, r.ID, stream, r.Version, r.Type, r.RecordedAt, r.Data, r.Metadata)
	return r
}

// TestChainHashCoversEveryField: the hash changes with the version, the
// recording time and the schema version, as with every other field; the
// first encoding, which did not cover those three, is reproduced exactly,
// so that the events hashed under it still verify.
func TestChainHashCoversEveryField(t *testing.T) {
	at := time.Date(2026, 12, 4, 14, 0, 0, 123456000, time.UTC)
	r := chainRow(t, false, "asset-x", 3, bytes.Repeat([]byte{7}, HashSize), at)
	hash := func(v1 bool, version int64, recordedAt time.Time, schema int) []byte {
		m := r.Metadata
		m.SchemaVersion = schema
		return chainHash(v1, r.PrevHash, r.ID, "asset-x", version, r.Type, recordedAt, r.Data, m)
	}
	base := hash(false, 3, at, 1)
	if !bytes.Equal(base, ChainHash(r.PrevHash, r.ID, "asset-x", 3, r.Type, at, r.Data, r.Metadata)) {
		t.Fatal("ChainHash is not the current encoding")
	}
	for name, other := range map[string][]byte{
		"version":        hash(false, 4, at, 1),
		"recording time": hash(false, 3, at.Add(time.Microsecond), 1),
		"schema version": hash(false, 3, at, 2),
		"encoding":       hash(true, 3, at, 1),
	} {
		if bytes.Equal(base, other) {
			t.Errorf("the hash does not change with the %s", name)
		}
	}
	m := r.Metadata
	for _, c := range []struct {
		version int64
		at      time.Time
		schema  int
	}{{3, at, 1}, {4, at, 1}, {3, time.Unix(0, 0), 1}, {3, at, 2}} {
		m.SchemaVersion = c.schema
		want := firstChainHash(r.PrevHash, r.ID, "asset-x", c.version, r.Type, c.at, r.Data, m)
		if got := hash(true, c.version, c.at, c.schema); !bytes.Equal(got, want) {
			t.Errorf("the first encoding of version %d at %v, schema %d is %x, want %x", c.version, c.at, c.schema, got, want)
		}
	}
}

// TestChainVerifierAcceptsTheFirstEncodingBeforeTheCurrent: a stream
// hashed under the first encoding verifies, and so does one that changes
// to the current one; a stream that goes back to the first after the
// current is broken there, and so is a row under the current encoding
// whose recording time was changed.
func TestChainVerifierAcceptsTheFirstEncodingBeforeTheCurrent(t *testing.T) {
	at := time.Date(2026, 12, 4, 14, 0, 0, 0, time.UTC)
	stream := func(encodings ...bool) []StoredRow {
		var rows []StoredRow
		prev := ZeroHash()
		for i, v1 := range encodings {
			r := chainRow(t, v1, "asset-x", int64(i+1), prev, at.Add(time.Duration(i)*time.Hour))
			rows, prev = append(rows, r), r.Hash
		}
		return rows
	}
	verify := func(rows []StoredRow) VerifyReport {
		var v ChainVerifier
		for _, r := range rows {
			v.Add("asset-x", r)
		}
		return v.Report
	}
	for name, rows := range map[string][]StoredRow{
		"first encoding only":          stream(true, true, true),
		"current only":                 stream(false, false, false),
		"first encoding, then current": stream(true, true, false, false),
		"first encoding, its recorded time changed (which it does not cover)": func() []StoredRow { r := stream(true, true); r[1].RecordedAt = at; return r }(),
	} {
		if r := verify(rows); !r.OK() || r.Events != int64(len(rows)) {
			t.Errorf("%s: %+v, want every event verified", name, r)
		}
	}
	for name, c := range map[string]struct {
		rows   []StoredRow
		broken int64
	}{
		"current, then first encoding": {stream(true, false, true), 3},
		"recorded time changed":        {func() []StoredRow { r := stream(true, false, false); r[1].RecordedAt = at.Add(-time.Hour); return r }(), 2},
		"schema version changed":       {func() []StoredRow { r := stream(false, false); r[0].Metadata.SchemaVersion = 2; return r }(), 1},
	} {
		r := verify(c.rows)
		if len(r.Breaks) != 1 || r.Breaks[0].Version != c.broken {
			t.Errorf("%s: %+v, want a break at version %d", name, r, c.broken)
		}
	}
}
