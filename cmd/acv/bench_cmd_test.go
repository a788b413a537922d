package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/eventstorebench"
	"github.com/acv-registry/acv/eventstore/sqlite"
	"github.com/acv-registry/acv/internal/pgtest"
)

// checkBench runs `acv bench` at a tiny scale on getenv's store and checks
// that every figure is in the table and in the JSON.
func checkBench(t *testing.T, getenv func(string) string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bench.json")
	var stdout bytes.Buffer
	args := []string{"bench", "--events", "1500", "--duration", "150ms", "--conns", "8", "--json", out, "--log-level", "error"}
	if err := run(context.Background(), args, getenv, &stdout, io.Discard); err != nil {
		t.Fatalf("bench: %v\n%s", err, stdout.String())
	}
	var report BenchReport
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &report); err != nil {
		t.Fatal(err)
	}
	if !report.Generated || report.Events < 1000 {
		t.Errorf("bench generated %d events (generated %v), want about 1500", report.Events, report.Generated)
	}
	for _, want := range []string{"generate", "append 1 event/call", "append 100 events/call", "read the whole log", "rebuild",
		"serve: start", "/healthz", "council register", "asset timeline", "as of", "national search", "acknowledged write"} {
		found := false
		for _, f := range report.Figures {
			if strings.Contains(f.Name, want) {
				found = true
				if f.Value <= 0 {
					t.Errorf("%s: value %v", f.Name, f.Value)
				}
				if f.Baseline != "" && f.Ratio <= 0 {
					t.Errorf("%s: no ratio to %s", f.Name, f.Baseline)
				}
			}
		}
		if !found {
			t.Errorf("no %q figure in the report", want)
		}
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("no %q line in the table:\n%s", want, stdout.String())
		}
	}
	// Run again on the store it filled: it measures without generating.
	if err := run(context.Background(), args, getenv, io.Discard, io.Discard); err != nil {
		t.Fatalf("bench on a generated store: %v", err)
	}
}

func TestBenchSQLite(t *testing.T) {
	checkBench(t, env("ACV_DATA_DIR", t.TempDir()))
}

func TestBenchPostgres(t *testing.T) {
	checkBench(t, env("ACV_DATABASE_URL", pgtest.DSN(t)))
}

// TestBenchRefusesARealRegistry: bench writes to the store, so it refuses
// one that generate did not fill.
func TestBenchRefusesARealRegistry(t *testing.T) {
	dir := t.TempDir()
	s, err := sqlite.Open(context.Background(), Config{DataDir: dir}.SQLitePath(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(context.Background(), "asset-x", eventstore.NoStream, eventstorebench.Events(1)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	err = run(context.Background(), []string{"bench", "--log-level", "error"}, env("ACV_DATA_DIR", dir), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "scratch database") {
		t.Errorf("bench on a store generate did not fill: %v, want a refusal", err)
	}
}
