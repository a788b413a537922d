package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const (
	// envDatabaseURL names an existing server to create the test databases on.
	envDatabaseURL = "ACV_TEST_DATABASE_URL"
	// envRequireDB, when true, turns "no PostgreSQL here" from a skip into a failure.
	envRequireDB = "ACV_REQUIRE_DB"

	// connectTimeout bounds every connection attempt made with a returned DSN
	// or by the harness itself: a test should fail fast, not hang, when the
	// server has gone.
	connectTimeout = 5 * time.Second
	// opTimeout bounds one CREATE or DROP DATABASE, connection included.
	opTimeout = time.Minute

	// dbPrefix starts every test database's name, so leftovers are easy to spot.
	dbPrefix = "acvtest_"
	// maxIdentifier is PostgreSQL's identifier limit (NAMEDATALEN - 1) in bytes.
	maxIdentifier = 63
	// suffixBytes random bytes, hex-encoded, end every database name.
	suffixBytes = 6
)

// errUnavailable marks the errors that mean "no PostgreSQL can be had here",
// which skip a test unless ACV_REQUIRE_DB is set. Any other error fails it.
var errUnavailable = errors.New("no PostgreSQL server for tests")

// Main runs the package's tests and then stops any throwaway cluster this
// process started, removing its directory. It returns the exit code for
// os.Exit. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
// A failure to stop the cluster is reported on standard error and does not
// change the exit code: the tests' verdict stands, and on Linux the kernel
// stops the server when the process exits in any case.
func Main(m *testing.M) int {
	code := m.Run()
	if err := stopLocal(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
	}
	return code
}

// DSN returns a connection string (a postgres:// URL, unless
// ACV_TEST_DATABASE_URL is in keyword=value form) for a fresh, empty database
// created for this test alone. The database is dropped WITH (FORCE) in
// t.Cleanup, after the cleanups the test registers later (such as closing its
// pool), and any connection still open is terminated then. The connection
// string carries a short connect timeout.
//
// The server is the one ACV_TEST_DATABASE_URL names or else the process's
// throwaway cluster, started on first use; see the package documentation.
// When no PostgreSQL can be had, DSN skips the test with the reason, unless
// ACV_REQUIRE_DB is true (as in CI), when it fails the test. It fails the test
// if a database cannot be created, and reports an error if one cannot be
// dropped. DSN is safe for concurrent use by parallel tests, and may be called
// more than once in a test for several databases.
func DSN(t testing.TB) string {
	t.Helper()
	srv, err := serverFor(os.Getenv(envDatabaseURL))
	if err != nil {
		if skipOnly(err, os.Getenv(envRequireDB)) {
			t.Skipf("pgtest: skipping: %v (set %s=1 to make this a failure)", err, envRequireDB)
		}
		t.Fatalf("pgtest: %v", err)
	}

	name := databaseName(t.Name())
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if err := srv.createDatabase(ctx, name); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		// The test's context is already cancelled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		defer cancel()
		if err := srv.dropDatabase(ctx, name); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return srv.dsn(name)
}

// skipOnly reports whether err, returned while finding a server, should skip
// the test rather than fail it, given the value of ACV_REQUIRE_DB.
func skipOnly(err error, requireDB string) bool {
	required, _ := strconv.ParseBool(requireDB) // anything unparsable is "not required"
	return errors.Is(err, errUnavailable) && !required
}

// serverFor returns the server named by databaseURL, or the throwaway cluster
// when it is empty.
func serverFor(databaseURL string) (*server, error) {
	if databaseURL != "" {
		return externalServer(databaseURL)
	}
	return localServer()
}

// server is a PostgreSQL server on which the harness creates databases.
// It is immutable once built and safe for concurrent use.
type server struct {
	// admin connects to a database that always exists, to run CREATE and
	// DROP DATABASE. Copy it before use: pgx may modify what it is given.
	admin *pgx.ConnConfig
	// dsn returns the connection string for the database called name.
	dsn func(name string) string
}

// externalServer describes the server named by ACV_TEST_DATABASE_URL.
func externalServer(connString string) (*server, error) {
	cfg, err := pgx.ParseConfig(connString)
	if err != nil {
		// pgx's message quotes the connection string, with the password
		// masked only on a best-effort basis, so it is not passed on.
		return nil, fmt.Errorf("%s is not a valid PostgreSQL connection string", envDatabaseURL)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = connectTimeout
	}
	if _, err := withDatabase(connString, "probe"); err != nil {
		return nil, fmt.Errorf("%s: %w", envDatabaseURL, err)
	}
	return &server{
		admin: cfg,
		dsn: func(name string) string {
			s, _ := withDatabase(connString, name) // checked above: only the name differs
			return s
		},
	}, nil
}

// withDatabase returns connString with its database replaced by name and a
// connect timeout added when it has none. connString is a postgres:// URL or
// keyword=value pairs, as libpq and pgx accept.
func withDatabase(connString, name string) (string, error) {
	timeout := strconv.Itoa(int(connectTimeout / time.Second))
	if strings.HasPrefix(connString, "postgres://") || strings.HasPrefix(connString, "postgresql://") {
		u, err := url.Parse(connString)
		if err != nil {
			// url.Error quotes the URL, password included: do not wrap it.
			return "", errors.New("cannot rewrite the database in the connection URL")
		}
		u.Path = "/" + name
		u.RawPath = ""
		q := u.Query()
		q.Del("dbname") // a query parameter would override the path
		if q.Get("connect_timeout") == "" {
			q.Set("connect_timeout", timeout)
		}
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	// In keyword=value form a later keyword overrides an earlier one.
	s := strings.TrimSpace(connString) + " dbname=" + name
	if !strings.Contains(connString, "connect_timeout") {
		s += " connect_timeout=" + timeout
	}
	return s, nil
}

// where describes the server for error messages: host, port and user, never
// the password.
func (s *server) where() string {
	return fmt.Sprintf("%s:%d as %s", s.admin.Host, s.admin.Port, s.admin.User)
}

// exec runs one statement on a maintenance connection of its own. CREATE and
// DROP DATABASE cannot run inside a transaction, and a connection per call
// keeps the harness free of shared state.
func (s *server) exec(ctx context.Context, sql string) error {
	conn, err := pgx.ConnectConfig(ctx, s.admin.Copy())
	if err != nil {
		// pgconn's ConnectError names the user and database, not the password.
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// createDatabase creates the empty database name.
func (s *server) createDatabase(ctx context.Context, name string) error {
	err := s.exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42501" { // insufficient_privilege
		return fmt.Errorf("create database %s on %s: %w (the role in %s needs CREATEDB)", name, s.where(), err, envDatabaseURL)
	}
	if err != nil {
		return fmt.Errorf("create database %s on %s: %w", name, s.where(), err)
	}
	return nil
}

// dropDatabase drops the database name, terminating any connection still
// open to it. A database already gone is not an error.
func (s *server) dropDatabase(ctx context.Context, name string) error {
	if err := s.exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s on %s: %w", name, s.where(), err)
	}
	return nil
}

// databaseName returns a new database name for the test called testName: the
// prefix, the test name folded to lower-case letters, digits and single
// underscores, and a random suffix, within PostgreSQL's 63-byte limit.
func databaseName(testName string) string {
	var b strings.Builder
	b.WriteString(dbPrefix)
	room := maxIdentifier - len(dbPrefix) - 1 - 2*suffixBytes
	underscore := true // the prefix ends with one
	for _, r := range strings.ToLower(testName) {
		if b.Len()-len(dbPrefix) >= room {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			underscore = false
		case !underscore:
			b.WriteByte('_')
			underscore = true
		}
	}
	suffix := make([]byte, suffixBytes)
	_, _ = rand.Read(suffix) // crypto/rand.Read never returns an error
	return strings.TrimRight(b.String(), "_") + "_" + hex.EncodeToString(suffix)
}
