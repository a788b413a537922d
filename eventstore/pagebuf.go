package eventstore

// PageBuffer holds the bytes and strings of one page of events read from a
// backend, so that decoding a page costs a few allocations instead of
// several per event: bytes are copied into shared blocks, and strings that
// repeat from row to row (stream, type, actor, regime) are interned. The
// zero value is ready to use; it is not safe for concurrent use.
type PageBuffer struct {
	block   []byte
	strings map[string]string
}

// maxInterned bounds the intern table of one page.
const maxInterned = 4096

// String returns b as a string, the same string for the same bytes.
func (p *PageBuffer) String(b []byte) string {
	if s, ok := p.strings[string(b)]; ok { // the lookup does not allocate
		return s
	}
	s := string(b)
	if p.strings == nil {
		p.strings = make(map[string]string)
	}
	if len(p.strings) < maxInterned {
		p.strings[s] = s
	}
	return s
}

// The blocks Bytes copies into: the first is small, and each next one
// twice the size of the last, up to maxBlock. A buffer holds one event for
// a consumer's row and a stream's few for an aggregate's load, where a
// first block of maxBlock cost a mebibyte allocated and zeroed each time:
// a quarter of a consumer's CPU while it caught up (docs/performance.md).
const (
	minBlock = 4 << 10
	maxBlock = 1 << 20
)

// Bytes returns a copy of b that stays valid after the driver reuses b.
func (p *PageBuffer) Bytes(b []byte) []byte { return copyInto(p, b) }

// StringBytes returns a copy of s's bytes, as Bytes does: a driver that
// hands a column over as a string hands over its own copy, which a
// RawBytes would copy once more.
func (p *PageBuffer) StringBytes(s string) []byte { return copyInto(p, s) }

func copyInto[T string | []byte](p *PageBuffer, b T) []byte {
	if cap(p.block)-len(p.block) < len(b) {
		size := min(max(2*cap(p.block), minBlock), maxBlock)
		p.block = make([]byte, 0, max(size, len(b)))
	}
	start := len(p.block)
	p.block = append(p.block, b...)
	return p.block[start:len(p.block):len(p.block)]
}
