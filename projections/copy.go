package projections

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/jackc/pgx/v5/stdlib"
)

// copyFresh writes batches into a rebuild's fresh PostgreSQL tables with
// COPY (the binary format), in one transaction: the fastest load
// PostgreSQL has, and the fresh tables have no rows to replace and no
// secondary index yet. It needs db's connections to be pgx's (pgx/stdlib),
// as every PostgreSQL database of the registry's is.
func copyFresh(ctx context.Context, db DB, suffix string, batches []*batch) error {
	return inCopyTx(ctx, db, suffix, func(copy func(*batch) error) error {
		for _, b := range batches {
			if err := copy(b); err != nil {
				return err
			}
		}
		return nil
	})
}

// inCopyTx runs load in one pgx transaction on a connection of db's,
// handing it a function that COPYs a batch into its table of the fresh set
// named by suffix, and commits when load returns nil.
func inCopyTx(ctx context.Context, db DB, suffix string, load func(copy func(*batch) error) error) error {
	if err := checkSuffix(suffix); err != nil {
		return err
	}
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		return fmt.Errorf("copy: connect: %w", err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("copy: a %T is not a pgx connection", dc)
		}
		tx, err := c.Conn().Begin(ctx)
		if err != nil {
			return fmt.Errorf("copy: begin: %w", err)
		}
		defer tx.Rollback(ctx) // after Commit, a no-op
		r := &copyReader{}
		copy := func(b *batch) error {
			if b.n == 0 {
				return nil
			}
			name := b.table.name + suffix
			r.reset(b)
			stmt := `COPY ` + name + ` (` + b.table.columnNames() + `) FROM STDIN (FORMAT binary)`
			if _, err := tx.Conn().PgConn().CopyFrom(ctx, r, stmt); err != nil {
				return fmt.Errorf("copy %d rows into %s: %w", b.n, name, err)
			}
			return nil
		}
		if err := load(copy); err != nil {
			return err
		}
		if err := tx.Commit(ctx); err != nil {
			return fmt.Errorf("copy: commit: %w", err)
		}
		return nil
	})
}

// copySignature opens PostgreSQL's binary COPY format: the signature, no
// flags, no header extension.
const copySignature = "PGCOPY\n\xff\r\n\x00" + "\x00\x00\x00\x00" + "\x00\x00\x00\x00"

// copyReader reads a batch's rows in PostgreSQL's binary COPY format, as
// pgx's CopyFrom would send them, without making each value an interface
// on the way (which was most of the Go time of a rebuild's writer,
// docs/performance.md), and a few rows at a time, so that no batch is
// ever held twice in memory. Per row: the number of fields, then each
// field's length (-1 for NULL) and bytes - text as it is, BIGINT and
// INTEGER as 8 and 4 big-endian bytes, DOUBLE PRECISION as its IEEE 754
// bits.
type copyReader struct {
	b    *batch
	row  int // the next row to encode
	done bool
	buf  []byte
	off  int // buf[off:] is still to be read
}

// copyChunk is about how many bytes of rows a copyReader encodes at once.
const copyChunk = 64 << 10

// reset makes r read b, from the format's signature on.
func (r *copyReader) reset(b *batch) {
	r.b, r.row, r.done = b, 0, false
	r.buf, r.off = append(r.buf[:0], copySignature...), 0
}

func (r *copyReader) Read(p []byte) (int, error) {
	if r.off == len(r.buf) {
		if r.done {
			return 0, io.EOF
		}
		r.buf, r.off = r.buf[:0], 0
		for r.row < r.b.n && len(r.buf) < copyChunk {
			r.buf = r.b.appendCopyRow(r.buf, r.row)
			r.row++
		}
		if r.row == r.b.n {
			r.buf = binary.BigEndian.AppendUint16(r.buf, 0xffff) // the trailer, -1
			r.done = true
		}
	}
	n := copy(p, r.buf[r.off:])
	r.off += n
	return n, nil
}

// appendCopyRow appends row r of the batch to dst in the binary COPY
// format.
func (b *batch) appendCopyRow(dst []byte, r int) []byte {
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(b.cols)))
	for i, c := range b.cols {
		switch {
		case c.null != nil && c.null[r]:
			dst = binary.BigEndian.AppendUint32(dst, 0xffffffff) // -1
		case c.i != nil && strings.HasPrefix(b.table.columns[i].sqlType, "INTEGER"):
			dst = binary.BigEndian.AppendUint32(dst, 4)
			dst = binary.BigEndian.AppendUint32(dst, uint32(int32(c.i[r])))
		case c.i != nil:
			dst = binary.BigEndian.AppendUint32(dst, 8)
			dst = binary.BigEndian.AppendUint64(dst, uint64(c.i[r]))
		case c.f != nil:
			dst = binary.BigEndian.AppendUint32(dst, 8)
			dst = binary.BigEndian.AppendUint64(dst, math.Float64bits(c.f[r]))
		default:
			dst = binary.BigEndian.AppendUint32(dst, uint32(len(c.s[r])))
			dst = append(dst, c.s[r]...)
		}
	}
	return dst
}
