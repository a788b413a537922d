package postgres

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/jackc/pgx/v5"
)

// pageDecoder turns rows of selectEvent into events straight from the wire
// format, the hot path of every projection and rebuild. pgx's Scan makes a
// fresh allocation for every text and bytea column of every row; the decoder
// copies a page's bytes into one buffer and interns the strings that repeat
// (stream, type, actor, regime), which makes reading the log about as cheap
// as a raw SELECT. It needs the fixed-width columns (integers, uuids,
// timestamps, dates, bytea) in binary format, as pgx asks for them, and
// reports errBinaryOnly otherwise, so the caller can fall back to Scan. Text
// columns read the same in either format; jsonb's binary form is a version
// byte and the text.
type pageDecoder struct {
	eventstore.PageBuffer
}

var errBinaryOnly = errors.New("column not in binary format")

// binaryColumns are the columns of selectEvent decoded from binary format.
var binaryColumns = []int{0, 1, 3, 6, 7, 11, 12, 14, 15, 16}

// postgresEpoch is day 0 and microsecond 0 of PostgreSQL's date and timestamp types.
var postgresEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

func (d *pageDecoder) decode(rows pgx.Rows, e *eventstore.Event) error {
	fields := rows.FieldDescriptions()
	for _, i := range binaryColumns {
		if i >= len(fields) || fields[i].Format != pgx.BinaryFormatCode {
			return errBinaryOnly
		}
	}
	v := rows.RawValues()
	if len(v) != 17 {
		return fmt.Errorf("decode event: %d columns, want 17", len(v))
	}
	for i, c := range v {
		if c == nil && i != 7 { // only effective_date may be NULL
			return fmt.Errorf("decode event: column %d is NULL", i)
		}
	}
	fixed := func(b []byte, n int) error {
		if len(b) != n {
			return fmt.Errorf("decode event: field of %d bytes, want %d", len(b), n)
		}
		return nil
	}
	if err := errors.Join(fixed(v[0], 8), fixed(v[1], 16), fixed(v[3], 8), fixed(v[6], 8), fixed(v[11], 16), fixed(v[12], 16), fixed(v[14], 4)); err != nil {
		return err
	}
	data := v[5]
	if fields[5].Format == pgx.BinaryFormatCode {
		if len(data) < 1 || data[0] != 1 {
			return errors.New("decode event: unknown jsonb version")
		}
		data = data[1:]
	}
	m := &e.Metadata
	e.Position = int64(binary.BigEndian.Uint64(v[0]))
	copy(e.ID[:], v[1])
	e.Stream = d.String(v[2])
	e.Version = int64(binary.BigEndian.Uint64(v[3]))
	e.Type = d.String(v[4])
	e.Data = d.Bytes(data)
	e.RecordedAt = postgresEpoch.Add(time.Duration(int64(binary.BigEndian.Uint64(v[6]))) * time.Microsecond)
	m.EffectiveDate = domain.Date{}
	if v[7] != nil {
		if err := fixed(v[7], 4); err != nil {
			return err
		}
		t := postgresEpoch.AddDate(0, 0, int(int32(binary.BigEndian.Uint32(v[7]))))
		m.EffectiveDate = domain.NewDate(t.Date())
	}
	m.Actor.Org, m.Actor.Role, m.Actor.TokenID = d.String(v[8]), d.String(v[9]), d.String(v[10])
	copy(m.CorrelationID[:], v[11])
	copy(m.CausationID[:], v[12])
	m.Regime = d.String(v[13])
	m.SchemaVersion = int(int32(binary.BigEndian.Uint32(v[14])))
	e.PrevHash, e.Hash = d.Bytes(v[15]), d.Bytes(v[16])
	return nil
}
