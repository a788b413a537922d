// Package pgtest gives tests a real PostgreSQL database of their own.
//
// A test package that talks to PostgreSQL wires the harness into its TestMain
// and asks for one database per test:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
//	func TestAppend(t *testing.T) {
//		pool, err := pgxpool.New(ctx, pgtest.DSN(t))
//		...
//		t.Cleanup(pool.Close)
//	}
//
// # Where the server comes from
//
// When ACV_TEST_DATABASE_URL is set (for example to the docker-compose
// database, postgres://acv:acv@localhost:5432/acv?sslmode=disable) every
// database is created on that server; its role needs CREATEDB. Otherwise the
// first call to [DSN] in a test process starts one throwaway cluster for the
// whole process: initdb into a temporary directory, then postgres listening on
// a free 127.0.0.1 port with its unix socket in the same directory, trust
// authentication, and durability switched off for speed (fsync, full page
// writes and synchronous commit off). The server binaries are looked up on
// PATH, then in /usr/lib/postgresql/*/bin, highest version first. initdb
// refuses to run as root, so under root every server program runs as the
// postgres user and the temporary directory (under /tmp) is handed to it.
//
// # Lifetime
//
// Each database is created empty, under a unique name derived from the test's
// name, and dropped WITH (FORCE) in t.Cleanup, so a test need not close every
// connection before it ends (cleanups registered after DSN returns, such as
// pool.Close, still run first). [Main] stops the throwaway cluster
// (pg_ctl stop -m immediate) and removes its directory once the tests have
// run. If the test process dies instead (a panic, a -timeout, a kill), the
// kernel delivers SIGQUIT to the postmaster through the parent-death signal
// on Linux, so no server outlives the process; the directory it leaves behind
// under /tmp/acv-pgtest-* is removed by the next test process that starts a
// cluster.
//
// # When there is no PostgreSQL
//
// Without ACV_TEST_DATABASE_URL and without server binaries, or when the
// throwaway cluster cannot start, [DSN] skips the test and says why - unless
// ACV_REQUIRE_DB=1 (as CI sets), when it fails it. A server named by
// ACV_TEST_DATABASE_URL that cannot be reached always fails the test: it was
// asked for explicitly. Error messages never contain a password.
//
// The package imports pgx/v5 and the standard library only, and is imported
// only by tests. Its one piece of mutable package state is the lazily started
// cluster, guarded by a sync.Once.
package pgtest
