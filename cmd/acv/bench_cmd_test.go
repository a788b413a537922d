package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/eventstorebench"
	"github.com/acv-registry/acv/eventstore/sqlite"
	"github.com/acv-registry/acv/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

// checkBench runs `acv bench` at a tiny scale on getenv's store and checks
// that every figure is in the table and in the JSON, that the raw appends
// went into a copy of the log, and that rawLeft (whether the baseline's
// raw_events is still there) is false afterwards.
func checkBench(t *testing.T, getenv func(string) string, rawLeft func() bool) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bench.json")
	var stdout bytes.Buffer
	args := []string{"bench", "--events", "1500", "--duration", "150ms", "--conns", "8", "--json", out, "--log-level", "error"}
	// always: the test's database may be on another host, where auto
	// cannot tell the free space.
	if err := run(context.Background(), append(args, "--raw-copy", "always"), getenv, &stdout, io.Discard); err != nil {
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
	if strings.Contains(stdout.String(), "empty table") {
		t.Errorf("with --raw-copy=always a baseline inserted into an empty table:\n%s", stdout.String())
	}
	if rawLeft() {
		t.Error("raw_events is left after bench")
	}
	// Run again on the store it filled: it measures without generating,
	// and without the copy the baselines say so.
	stdout.Reset()
	if err := run(context.Background(), append(args, "--raw-copy", "never"), getenv, &stdout, io.Discard); err != nil {
		t.Fatalf("bench on a generated store: %v", err)
	}
	for _, want := range []string{"raw INSERT, empty table", "raw multi-row INSERT, empty table"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("with --raw-copy=never no %q baseline:\n%s", want, stdout.String())
		}
	}
	if rawLeft() {
		t.Error("raw_events is left after bench")
	}
}

func TestBenchSQLite(t *testing.T) {
	dir := t.TempDir()
	path := Config{DataDir: dir}.SQLitePath()
	checkBench(t, env("ACV_DATA_DIR", dir), func() bool {
		if _, err := os.Stat(eventstorebench.SQLiteRawPath(path)); err == nil {
			return true
		}
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name = 'raw_events'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n > 0
	})
}

func TestBenchPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	checkBench(t, env("ACV_DATABASE_URL", dsn), func() bool {
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		var left bool
		if err := conn.QueryRow(context.Background(), `SELECT to_regclass('raw_events') IS NOT NULL`).Scan(&left); err != nil {
			t.Fatal(err)
		}
		return left
	})
}

// TestBenchRawCopyFlag: --raw-copy takes auto, always or never.
func TestBenchRawCopyFlag(t *testing.T) {
	err := run(context.Background(), []string{"bench", "--raw-copy", "maybe"}, env("ACV_DATA_DIR", t.TempDir()), io.Discard, io.Discard)
	if !errors.Is(err, errUsage) {
		t.Errorf("bench --raw-copy maybe: %v, want a usage error", err)
	}
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
