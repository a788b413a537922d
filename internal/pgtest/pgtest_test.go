package pgtest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// mustConnect opens a connection with dsn, closed when the test ends.
func mustConnect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// mustQueryString runs a query returning one text value.
func mustQueryString(t *testing.T, conn *pgx.Conn, sql string, args ...any) string {
	t.Helper()
	var s string
	if err := conn.QueryRow(context.Background(), sql, args...).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

func TestDSNConnects(t *testing.T) {
	conn := mustConnect(t, DSN(t))
	var one int
	if err := conn.QueryRow(context.Background(), "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 = %d, %v; want 1, nil", one, err)
	}
	if db := mustQueryString(t, conn, "SELECT current_database()"); !strings.HasPrefix(db, "acvtest_testdsnconnects_") {
		t.Errorf("current_database() = %q, want it named after the test", db)
	}
}

func TestDSNsAreDistinct(t *testing.T) {
	dsnA, dsnB := DSN(t), DSN(t)
	if dsnA == dsnB {
		t.Fatalf("two DSN calls returned the same connection string")
	}
	a, b := mustConnect(t, dsnA), mustConnect(t, dsnB)
	dbA := mustQueryString(t, a, "SELECT current_database()")
	dbB := mustQueryString(t, b, "SELECT current_database()")
	if dbA == dbB {
		t.Fatalf("both DSNs connect to database %q", dbA)
	}
	if _, err := a.Exec(context.Background(), "CREATE TABLE only_in_a (id int)"); err != nil {
		t.Fatalf("create table: %v", err)
	}
	var found bool
	if err := b.QueryRow(context.Background(), "SELECT to_regclass('only_in_a') IS NOT NULL").Scan(&found); err != nil {
		t.Fatalf("look up table: %v", err)
	}
	if found {
		t.Errorf("a table created through one DSN is visible through the other")
	}
}

func TestDatabaseDroppedAfterTest(t *testing.T) {
	observer := mustConnect(t, DSN(t))
	var name string
	t.Run("owner", func(t *testing.T) {
		var conn *pgx.Conn
		// Registered before DSN, so it runs after the drop: the connection is
		// still open when the database goes, which WITH (FORCE) must handle.
		t.Cleanup(func() {
			if conn != nil {
				_ = conn.Close(context.Background()) // the server has already closed it
			}
		})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var err error
		if conn, err = pgx.Connect(ctx, DSN(t)); err != nil {
			t.Fatalf("connect: %v", err)
		}
		name = mustQueryString(t, conn, "SELECT current_database()")
	})
	if name == "" {
		t.Fatal("the subtest did not report its database")
	}
	var exists bool
	err := observer.QueryRow(context.Background(),
		"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists)
	if err != nil {
		t.Fatalf("look up database: %v", err)
	}
	if exists {
		t.Errorf("database %s still exists after its test ended", name)
	}
}

func TestThrowawayClusterSettings(t *testing.T) {
	if os.Getenv(envDatabaseURL) != "" {
		t.Skipf("%s is set, so no throwaway cluster is used", envDatabaseURL)
	}
	conn := mustConnect(t, DSN(t))
	for setting, want := range map[string]string{
		"fsync":              "off",
		"synchronous_commit": "off",
		"full_page_writes":   "off",
		"max_connections":    "200",
		"shared_buffers":     "256MB",
		"listen_addresses":   "127.0.0.1",
	} {
		if got := mustQueryString(t, conn, "SELECT current_setting($1)", setting); got != want {
			t.Errorf("%s = %q, want %q", setting, got, want)
		}
	}
}

func TestDatabaseName(t *testing.T) {
	valid := regexp.MustCompile(`^acvtest_[a-z0-9_]*[a-z0-9]_[0-9a-f]{12}$`)
	for _, tt := range []struct{ test, wantStem string }{
		{"TestAppend", "acvtest_testappend_"},
		{"TestConformance/Append/stale version #01", "acvtest_testconformance_append_stale_version_01_"},
		{"TestÜnicode—and  spaces__", "acvtest_test_nicode_and_spaces_"},
		{"", "acvtest_"},
		{strings.Repeat("Long", 50), "acvtest_" + strings.Repeat("long", 50)[:42] + "_"},
	} {
		got := databaseName(tt.test)
		if len(got) > maxIdentifier {
			t.Errorf("databaseName(%q) = %q: %d bytes, over PostgreSQL's %d", tt.test, got, len(got), maxIdentifier)
		}
		if tt.test != "" && !valid.MatchString(got) {
			t.Errorf("databaseName(%q) = %q, not a plain lower-case identifier", tt.test, got)
		}
		if stem := got[:len(got)-2*suffixBytes]; stem != tt.wantStem {
			t.Errorf("databaseName(%q) = %q, want %q + suffix", tt.test, got, tt.wantStem)
		}
		if again := databaseName(tt.test); again == got {
			t.Errorf("databaseName(%q) returned %q twice", tt.test, got)
		}
	}
}

func TestWithDatabase(t *testing.T) {
	for _, tt := range []struct {
		name, connString string
		wantTimeout      time.Duration
	}{
		{"url", "postgres://acv:pw@db.example:5432/acv?sslmode=disable", connectTimeout},
		{"postgresql url with dbname parameter", "postgresql://acv:pw@db.example/acv?dbname=other&connect_timeout=9", 9 * time.Second},
		{"keyword value", "host=db.example port=5432 user=acv password=pw dbname=acv sslmode=disable", connectTimeout},
		{"keyword value with timeout", "host=db.example user=acv password=pw connect_timeout=9", 9 * time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := withDatabase(tt.connString, "acvtest_x_0123456789ab")
			if err != nil {
				t.Fatalf("withDatabase: %v", err)
			}
			cfg, err := pgx.ParseConfig(s)
			if err != nil {
				t.Fatalf("parse result: %v", err)
			}
			if cfg.Database != "acvtest_x_0123456789ab" || cfg.Host != "db.example" || cfg.User != "acv" || cfg.Password != "pw" {
				t.Errorf("got database %q host %q user %q password %q; want the new database and the rest unchanged",
					cfg.Database, cfg.Host, cfg.User, cfg.Password)
			}
			if cfg.ConnectTimeout != tt.wantTimeout {
				t.Errorf("connect timeout = %v, want %v", cfg.ConnectTimeout, tt.wantTimeout)
			}
		})
	}
}

func TestExternalServerErrorsHidePassword(t *testing.T) {
	const password = "s3cret-Passw0rd"
	for _, connString := range []string{
		"postgres://acv:" + password + "@127.0.0.1:1/acv?sslmode=disable", // nothing listens on port 1
		"host=127.0.0.1 port=1 user=acv password=" + password + " sslmode=disable",
		"postgres://acv:" + password + "@127.0.0.1:1/acv?sslmode=bogus", // does not parse
		"host=127.0.0.1 port=notaport password=" + password,
	} {
		srv, err := externalServer(connString)
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			err = srv.createDatabase(ctx, "acvtest_never")
			cancel()
		}
		if err == nil {
			t.Errorf("%q: no error from a server that does not exist", redactForTest(connString, password))
			continue
		}
		if strings.Contains(err.Error(), password) {
			t.Errorf("error shows the password: %v", err)
		}
		if skipOnly(err, "") {
			t.Errorf("%q: error would skip the test, but an unreachable %s must fail it: %v",
				redactForTest(connString, password), envDatabaseURL, err)
		}
	}
}

// redactForTest masks password in s for this file's own failure messages.
func redactForTest(s, password string) string { return strings.ReplaceAll(s, password, "xxxxx") }

func TestSkipOnly(t *testing.T) {
	unavailable := errors.Join(errors.New("context"), errUnavailable)
	for _, tt := range []struct {
		err       error
		requireDB string
		want      bool
	}{
		{unavailable, "", true},
		{unavailable, "0", true},
		{unavailable, "1", false},
		{unavailable, "true", false},
		{errors.New("create database: permission denied"), "", false},
	} {
		if got := skipOnly(tt.err, tt.requireDB); got != tt.want {
			t.Errorf("skipOnly(%v, ACV_REQUIRE_DB=%q) = %v, want %v", tt.err, tt.requireDB, got, tt.want)
		}
	}
}

func TestVersionOrder(t *testing.T) {
	dirs := []string{"9.6", "15", "16", "10", "17"}
	sort.Slice(dirs, func(i, j int) bool { return versionLess(dirs[j], dirs[i]) })
	if got, want := strings.Join(dirs, " "), "17 16 15 10 9.6"; got != want {
		t.Errorf("highest first = %s, want %s", got, want)
	}
}

func TestFindBinaries(t *testing.T) {
	fakeInstall := func(t *testing.T, dir string) {
		t.Helper()
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}

	t.Run("none", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		_, err := findBinaries(filepath.Join(t.TempDir(), "*", "bin"))
		if !errors.Is(err, errUnavailable) {
			t.Fatalf("findBinaries error = %v, want errUnavailable", err)
		}
		if !skipOnly(err, "") || skipOnly(err, "1") {
			t.Errorf("missing binaries must skip, or fail when ACV_REQUIRE_DB=1")
		}
		if !strings.Contains(err.Error(), "apt-get install postgresql") || !strings.Contains(err.Error(), envDatabaseURL) {
			t.Errorf("error %q does not say how to get PostgreSQL", err)
		}
	})
	t.Run("highest version under the library directory", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		lib := t.TempDir()
		for _, v := range []string{"9.6", "16", "15"} {
			fakeInstall(t, filepath.Join(lib, v, "bin"))
		}
		if err := os.MkdirAll(filepath.Join(lib, "17", "bin"), 0o755); err != nil { // client only
			t.Fatal(err)
		}
		got, err := findBinaries(filepath.Join(lib, "*", "bin"))
		if want := filepath.Join(lib, "16", "bin"); err != nil || got != want {
			t.Errorf("findBinaries = %q, %v; want %q", got, err, want)
		}
	})
	t.Run("PATH first, through links", func(t *testing.T) {
		install, onPath := t.TempDir(), t.TempDir()
		fakeInstall(t, install)
		if err := os.Symlink(filepath.Join(install, "initdb"), filepath.Join(onPath, "initdb")); err != nil {
			t.Fatal(err)
		}
		t.Setenv("PATH", onPath)
		got, err := findBinaries(filepath.Join(t.TempDir(), "*", "bin"))
		if err != nil || got != install {
			t.Errorf("findBinaries = %q, %v; want %q", got, err, install)
		}
	})
}
