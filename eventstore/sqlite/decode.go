package sqlite

import (
	"database/sql"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/google/uuid"
)

// pageDecoder scans rows of selectEvent without an allocation per column:
// it scans into sql.RawBytes, copies bytes into one buffer per page, and
// interns the strings and dates that repeat (stream, type, actor, regime,
// effective date). Reading the log is the hot path of every projection and
// rebuild. A malformed id or date is left zero, so that verify reports the
// row through its hash instead of failing.
type pageDecoder struct {
	eventstore.PageBuffer
	dates map[string]domain.Date
	raw   [17]sql.RawBytes
	dest  [17]any
}

func newPageDecoder() *pageDecoder {
	d := &pageDecoder{dates: make(map[string]domain.Date)}
	for i := range d.raw {
		d.dest[i] = &d.raw[i]
	}
	return d
}

func (d *pageDecoder) date(b []byte) domain.Date {
	if len(b) == 0 {
		return domain.Date{}
	}
	if v, ok := d.dates[string(b)]; ok {
		return v
	}
	v, _ := domain.ParseDate(string(b))
	if len(d.dates) < 4096 {
		d.dates[string(b)] = v
	}
	return v
}

func num(b []byte) int64 {
	var n int64
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	for _, c := range b {
		n = n*10 + int64(c-'0')
	}
	if neg {
		return -n
	}
	return n
}

func (d *pageDecoder) scan(rows *sql.Rows, e *eventstore.Event, extra ...any) error {
	dest := d.dest[:]
	if len(extra) > 0 {
		dest = append(append(make([]any, 0, len(dest)+len(extra)), dest...), extra...)
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	r, m := &d.raw, &e.Metadata
	e.Position = num(r[0])
	e.ID, _ = uuid.ParseBytes(r[1])
	e.Stream = d.String(r[2])
	e.Version = num(r[3])
	e.Type = d.String(r[4])
	e.Data = d.Bytes(r[5])
	e.RecordedAt = time.UnixMicro(num(r[6])).UTC()
	m.EffectiveDate = d.date(r[7])
	m.Actor.Org, m.Actor.Role, m.Actor.TokenID = d.String(r[8]), d.String(r[9]), d.String(r[10])
	m.CorrelationID, _ = uuid.ParseBytes(r[11])
	m.CausationID, _ = uuid.ParseBytes(r[12])
	m.Regime = d.String(r[13])
	m.SchemaVersion = int(num(r[14]))
	e.PrevHash, e.Hash = d.Bytes(r[15]), d.Bytes(r[16])
	return nil
}
