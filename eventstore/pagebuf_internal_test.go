package eventstore

import (
	"bytes"
	"testing"
)

// TestPageBufferBlocks: a buffer that holds one small event takes a small
// block, a page of thousands grows its blocks to maxBlock and no further,
// a value larger than a block gets one of its own, and every copy, of
// bytes or of a string, stays what it was while later ones are made.
func TestPageBufferBlocks(t *testing.T) {
	var p PageBuffer
	one := p.Bytes(bytes.Repeat([]byte("a"), 300))
	if cap(p.block) > minBlock {
		t.Errorf("one 300-byte value took a block of %d bytes; want at most %d", cap(p.block), minBlock)
	}
	var copies [][]byte
	for i := range 20_000 {
		b := bytes.Repeat([]byte{byte(i)}, 500)
		if i%2 == 1 { // strings, as a driver hands text over, are copied alike
			copies = append(copies, p.StringBytes(string(b)))
		} else {
			copies = append(copies, p.Bytes(b))
		}
	}
	if cap(p.block) != maxBlock {
		t.Errorf("after 10 MB the block is %d bytes; want %d", cap(p.block), maxBlock)
	}
	big := p.Bytes(bytes.Repeat([]byte("z"), 3*maxBlock))
	if len(big) != 3*maxBlock || cap(big) != len(big) {
		t.Errorf("a 3 MiB value: len %d cap %d", len(big), cap(big))
	}
	if !bytes.Equal(one, bytes.Repeat([]byte("a"), 300)) {
		t.Error("the first copy changed")
	}
	for i, c := range copies {
		if !bytes.Equal(c, bytes.Repeat([]byte{byte(i)}, 500)) || cap(c) != len(c) {
			t.Fatalf("copy %d changed or may be appended into", i)
		}
	}
}
