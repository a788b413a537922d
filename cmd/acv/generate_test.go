package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/acv-registry/acv/eventstore/sqlite"
)

// TestGenerateWritesAHistoryOnce: `acv generate` fills the embedded store;
// run again with the same seed it writes nothing new.
func TestGenerateWritesAHistoryOnce(t *testing.T) {
	dir := t.TempDir()
	getenv := env("ACV_DATA_DIR", dir)
	args := []string{"generate", "--scale", "0.02", "--seed", "5", "--log-level", "error"}
	var out bytes.Buffer
	if err := run(context.Background(), args, getenv, &out, io.Discard); err != nil {
		t.Fatalf("generate: %v", err)
	}
	if !strings.Contains(out.String(), "acv.nomination-received.v1") {
		t.Errorf("generate printed no counts by type:\n%s", out.String())
	}
	count := func() int64 {
		s, err := sqlite.Open(context.Background(), Config{DataDir: dir}.SQLitePath(), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		last, err := s.LastPosition(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return last
	}
	first := count()
	if first < 500 {
		t.Fatalf("generate at scale 0.02 wrote %d events", first)
	}
	if err := run(context.Background(), args, getenv, io.Discard, io.Discard); err != nil {
		t.Fatalf("generate again: %v", err)
	}
	if again := count(); again != first {
		t.Errorf("generating the same seed again moved the log from %d to %d events", first, again)
	}
	if err := run(context.Background(), []string{"generate", "--scale", "-1"}, getenv, io.Discard, io.Discard); err == nil {
		t.Error("generate --scale -1 succeeded")
	}
}
