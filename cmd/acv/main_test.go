package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/eventstoretest"
	"github.com/acv-registry/acv/eventstore/postgres"
	"github.com/acv-registry/acv/eventstore/sqlite"
	"github.com/acv-registry/acv/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// env builds a getenv from pairs.
func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestServeAnswersHealthAndShutsDown(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, env("ACV_DATA_DIR", dir), w, io.Discard)
		w.Close()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("serve printed no address: %v (run: %v)", err, <-done)
	}
	go io.Copy(io.Discard, out)
	base := strings.TrimSpace(strings.TrimPrefix(line, "acv: serving on "))
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/nowhere": 404} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s = %d %s, want %d", path, resp.StatusCode, body, want)
		}
		if want == 404 && resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("GET %s content type %q, want problem details", path, resp.Header.Get("Content-Type"))
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "acv.db")); err != nil {
		t.Errorf("no embedded store under the data dir: %v", err)
	}
	cancel() // as SIGTERM does
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v after shutdown, want nil", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not shut down")
	}
}

func TestHelpExplainsConfiguration(t *testing.T) {
	for _, cmd := range []string{"serve", "migrate", "verify"} {
		var stderr bytes.Buffer
		if err := run(context.Background(), []string{cmd, "--help"}, env(), io.Discard, &stderr); err != nil {
			t.Errorf("%s --help: %v", cmd, err)
		}
		for _, want := range []string{"ACV_DATABASE_URL", "ACV_DATA_DIR", "-database-url"} {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("%s --help does not mention %s:\n%s", cmd, want, stderr.String())
			}
		}
	}
	if err := run(context.Background(), []string{"frobnicate"}, env(), io.Discard, io.Discard); !errors.Is(err, errUsage) {
		t.Errorf("unknown command: %v, want errUsage", err)
	}
	if err := run(context.Background(), []string{"serve", "--no-such-flag"}, env(), io.Discard, io.Discard); !errors.Is(err, errUsage) {
		t.Errorf("bad flag: %v, want errUsage", err)
	}
	for _, bad := range [][]string{{"--write-rate-token", "lots"}, {"--write-rate-address", "5/s"}, {"--trusted-proxies", "10.0.0.0/99"}} {
		var stderr bytes.Buffer
		if err := run(context.Background(), append([]string{"serve"}, bad...), env(), io.Discard, &stderr); !errors.Is(err, errUsage) {
			t.Errorf("serve %v: %v, want errUsage", bad, err)
		}
		if !strings.Contains(stderr.String(), bad[0]) {
			t.Errorf("serve %v: the message does not name the flag: %s", bad, stderr.String())
		}
	}
}

// checkVerifyCatches seeds a store, alters one row behind its back, and runs verify.
func checkVerifyCatches(t *testing.T, getenv func(string) string, s eventstore.Store, tamper func(stream string)) {
	t.Helper()
	ctx := context.Background()
	stream := "asset-3f2a7c1e-0000-4000-8000-000000000001"
	var es []eventstore.NewEvent
	for i := 0; i < 3; i++ {
		es = append(es, eventstoretest.Event("acv.test.v1"))
	}
	if _, err := s.Append(ctx, stream, eventstore.NoStream, es); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, "asset-other", eventstore.NoStream, []eventstore.NewEvent{eventstoretest.Event("acv.test.v1")}); err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	if err := run(ctx, []string{"verify"}, getenv, &stdout, io.Discard); err != nil {
		t.Fatalf("verify of an intact log: %v\n%s", err, stdout.String())
	}
	tamper(stream)
	stdout.Reset()
	err := run(ctx, []string{"verify"}, getenv, &stdout, io.Discard)
	if !errors.Is(err, errBrokenChain) || exitCode(err) == 0 {
		t.Fatalf("verify after tampering: %v (exit %d), want errBrokenChain and a non-zero exit", err, exitCode(err))
	}
	if want := "BROKEN stream " + stream + " version 2"; !strings.Contains(stdout.String(), want) {
		t.Errorf("verify output does not name the stream and version (%q):\n%s", want, stdout.String())
	}
	stdout.Reset()
	if err := run(ctx, []string{"verify", "--stream", stream}, getenv, &stdout, io.Discard); !errors.Is(err, errBrokenChain) {
		t.Errorf("verify --stream: %v, want errBrokenChain", err)
	}
}

func TestVerifyCatchesAnEditedRowSQLite(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{DataDir: dir}
	s, err := sqlite.Open(context.Background(), cfg.SQLitePath(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkVerifyCatches(t, env("ACV_DATA_DIR", dir), s, func(stream string) {
		db, err := sql.Open("sqlite", "file:"+cfg.SQLitePath())
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, q := range []string{`DROP TRIGGER events_no_update`,
			`UPDATE events SET data = json_set(data, '$.at', 'edited') WHERE stream_id = ? AND version = 2`} {
			if _, err := db.Exec(q, stream); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	})
}

func TestVerifyCatchesAnEditedRowPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	s, err := postgres.Open(context.Background(), dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkVerifyCatches(t, env("ACV_DATABASE_URL", dsn), s, func(stream string) {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		for _, q := range []string{`ALTER TABLE events DISABLE TRIGGER events_no_update`,
			`UPDATE events SET data = jsonb_set(data, '{at}', '"edited"') WHERE stream_id = '` + stream + `' AND version = 2`} {
			if _, err := conn.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	})
}

func TestMigrateTwice(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 2; i++ {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"migrate", "--data-dir", dir}, env(), &out, io.Discard); err != nil {
			t.Fatalf("migrate %d: %v", i, err)
		}
		if !strings.Contains(out.String(), "up to date") {
			t.Errorf("migrate printed %q", out.String())
		}
	}
}

func TestServeDemoThenRebuild(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--demo", "--addr", "127.0.0.1:0"}, env("ACV_DATA_DIR", dir), w, io.Discard)
		w.Close()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("serve printed no address: %v", err)
	}
	go io.Copy(io.Discard, out)
	base := strings.TrimSpace(strings.TrimPrefix(line, "acv: serving on "))
	// The demo is in the log; the projector catches up within moments.
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(base + "/v1/register")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 && strings.Contains(string(body), "The Lamb and Flag") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo never reached the national register: %d %s", resp.StatusCode, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Its councils are registered organisations.
	for {
		resp, err := http.Get(base + "/v1/organisations?kind=council")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(body), "Westminster City Council") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo's councils never reached the organisations: %d %s", resp.StatusCode, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}

	var stdout bytes.Buffer
	if err := run(context.Background(), []string{"rebuild", "--data-dir", dir}, env(), &stdout, io.Discard); err != nil {
		t.Fatalf("rebuild: %v", err)
	}
	if !strings.Contains(stdout.String(), "read models rebuilt to position") {
		t.Errorf("rebuild printed %q", stdout.String())
	}
}

// TestProgressBarOffATerminal: off a terminal the rebuild's progress is a
// line every tenth of the way, not a redrawn bar.
func TestProgressBarOffATerminal(t *testing.T) {
	var out bytes.Buffer
	p := progressBar(&out)
	for done := int64(0); done <= 1000; done += 50 {
		p(done, 1000)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 11 || !strings.HasPrefix(lines[0], "rebuild: 0%") || !strings.HasPrefix(lines[10], "rebuild: 100%") {
		t.Errorf("progress lines = %q, want 0%% to 100%% in tenths", lines)
	}
	if strings.Contains(out.String(), "\r") {
		t.Error("a redrawn bar was written to something that is not a terminal")
	}
}
