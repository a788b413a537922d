package sqlite

import (
	"bytes"
	"database/sql"
	"errors"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/google/uuid"
)

// selectEvent selects events for [pageDecoder]. The ten text columns come
// as one JSON array, which SQLite's json_array escapes: modernc.org/sqlite
// spends most of a row's time column by column (reading 10^6 events took
// 3.3 s with a column each, 2.5 s so). The casts keep a value changed
// behind the store's back to a BLOB, which JSON cannot hold, from failing
// the read: Verify reports it through the row's hash.
const selectEvent = `SELECT position, version, data, recorded_at, schema_version, prev_hash, hash,
	json_array(CAST(event_id AS TEXT), CAST(stream_id AS TEXT), CAST(type AS TEXT), CAST(effective_date AS TEXT),
		CAST(actor_org AS TEXT), CAST(actor_role AS TEXT), CAST(actor_token AS TEXT), CAST(correlation_id AS TEXT),
		CAST(causation_id AS TEXT), CAST(regime AS TEXT)) AS packed
	FROM events`

// pageDecoder scans rows of selectEvent without an allocation per column:
// it scans into sql.RawBytes, copies bytes into one buffer per page, and
// interns the strings and dates that repeat (stream, type, actor, regime,
// effective date). Reading the log is the hot path of every projection and
// rebuild. A malformed id or date is left zero, so that verify reports the
// row through its hash instead of failing.
type pageDecoder struct {
	eventstore.PageBuffer
	dates map[string]domain.Date
	// The row's columns: raw[2] and raw[7] stay empty, as data and the
	// packed text columns are scanned as strings. The driver hands a text
	// column over as a string of its own, which a RawBytes copies once
	// more (the data of a read of 10^6 events are 0.6 GB).
	raw        [8]sql.RawBytes
	data       string
	packedText string
	dest       [8]any
	packed     [10][]byte // the text columns, unpacked
	escaped    []byte     // holds the text columns that had escapes
	scratch    []byte     // holds packedText while it is unpacked
}

func newPageDecoder() *pageDecoder {
	d := &pageDecoder{dates: make(map[string]domain.Date)}
	for i := range d.raw {
		d.dest[i] = &d.raw[i]
	}
	d.dest[2], d.dest[7] = &d.data, &d.packedText
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

// scan decodes the current row into e; extra are the destinations of the
// row's columns after selectEvent's.
func (d *pageDecoder) scan(rows *sql.Rows, e *eventstore.Event, extra ...any) error {
	if err := d.scanRow(rows, extra...); err != nil {
		return err
	}
	d.numbers(e)
	d.scratch = append(d.scratch[:0], d.packedText...)
	return d.text(e, d.scratch)
}

// scanRow scans the current row into d's columns; extra are the destinations of
// the row's columns after selectEvent's.
func (d *pageDecoder) scanRow(rows *sql.Rows, extra ...any) error {
	dest := d.dest[:]
	if len(extra) > 0 {
		dest = append(append(make([]any, 0, len(dest)+len(extra)), dest...), extra...)
	}
	return rows.Scan(dest...)
}

// numbers decodes the scanned row's columns other than the packed text
// ones into e, copying its bytes into d's buffer.
func (d *pageDecoder) numbers(e *eventstore.Event) {
	r := &d.raw
	e.Position = num(r[0])
	e.Version = num(r[1])
	e.Data = d.StringBytes(d.data)
	e.RecordedAt = time.UnixMicro(num(r[3])).UTC()
	e.Metadata.SchemaVersion = int(num(r[4]))
	e.PrevHash, e.Hash = d.Bytes(r[5]), d.Bytes(r[6])
}

// text decodes packed, a row's text columns as selectEvent packs them,
// into e.
func (d *pageDecoder) text(e *eventstore.Event, packed []byte) error {
	if err := d.unpack(packed); err != nil {
		return err
	}
	t, m := &d.packed, &e.Metadata
	e.ID, _ = uuid.ParseBytes(t[0])
	e.Stream = d.String(t[1])
	e.Type = d.String(t[2])
	m.EffectiveDate = d.date(t[3])
	m.Actor.Org, m.Actor.Role, m.Actor.TokenID = d.String(t[4]), d.String(t[5]), d.String(t[6])
	m.CorrelationID, _ = uuid.ParseBytes(t[7])
	m.CausationID, _ = uuid.ParseBytes(t[8])
	m.Regime = d.String(t[9])
	return nil
}

var errPacked = errors.New("text columns: not the JSON array of strings SQLite writes")

// unpack splits b, SQLite's json_array of the text columns, into
// d.packed: slices of b, or of d.escaped for a string with escapes. They are
// valid until the next call.
func (d *pageDecoder) unpack(b []byte) error {
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return errPacked
	}
	if cap(d.escaped) < len(b) {
		d.escaped = make([]byte, 0, len(b)) // unescaped strings are shorter: it never grows
	}
	d.escaped = d.escaped[:0]
	rest := b[1 : len(b)-1]
	for i := range d.packed {
		if i > 0 {
			if len(rest) == 0 || rest[0] != ',' {
				return errPacked
			}
			rest = rest[1:]
		}
		if len(rest) == 0 || rest[0] != '"' {
			return errPacked
		}
		rest = rest[1:]
		// Two vectorised searches cost less than one for either byte
		// (bytes.IndexAny goes byte by byte): 0.2 s of a 10^6 read.
		j := bytes.IndexByte(rest, '"')
		if j < 0 {
			return errPacked
		}
		if bytes.IndexByte(rest[:j], '\\') < 0 { // no escapes: the bytes as stored
			d.packed[i], rest = rest[:j], rest[j+1:]
			continue
		}
		start := len(d.escaped)
		var err error
		if d.escaped, rest, err = unescape(d.escaped, rest); err != nil {
			return err
		}
		d.packed[i] = d.escaped[start:len(d.escaped):len(d.escaped)]
	}
	if len(rest) != 0 {
		return errPacked
	}
	return nil
}

// unescape appends the JSON string that s begins with (after its opening
// quote) to dst, unescaped, and returns what follows its closing quote.
// Bytes that need no escape, valid UTF-8 or not, are kept as they are.
func unescape(dst, s []byte) ([]byte, []byte, error) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return dst, s[i+1:], nil
		case '\\':
			if i+1 >= len(s) {
				return nil, nil, errPacked
			}
			i++
			switch s[i] {
			case '"', '\\', '/':
				dst = append(dst, s[i])
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				r, ok := hex4(s[i+1:])
				if !ok {
					return nil, nil, errPacked
				}
				i += 4
				if utf16.IsSurrogate(r) && len(s) >= i+7 && s[i+1] == '\\' && s[i+2] == 'u' {
					if r2, ok := hex4(s[i+3:]); ok {
						if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
							r, i = pair, i+6
						}
					}
				}
				dst = utf8.AppendRune(dst, r)
			default:
				return nil, nil, errPacked
			}
		default:
			dst = append(dst, c)
		}
	}
	return nil, nil, errPacked
}

// hex4 parses the four hex digits s begins with.
func hex4(s []byte) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(s[:4]), 16, 32)
	return rune(v), err == nil
}
