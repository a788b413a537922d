package api_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acv-registry/acv/api"
	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/sqlite"
	"github.com/acv-registry/acv/internal/pgtest"
	"github.com/acv-registry/acv/internal/testclock"
	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib" // the PostgreSQL driver of database/sql, for the tests only
	_ "modernc.org/sqlite"
)

// The shared idempotency store runs on both backends. Each test opens the
// database twice, as two nodes of a deployment do: two *sql.DB, two stores.

// idemBackend opens one database twice and migrates the table.
type idemBackend struct {
	name string
	open func(t *testing.T) (a, b *sql.DB, d eventstore.Dialect)
}

func idemBackends() []idemBackend {
	return []idemBackend{
		{"sqlite", func(t *testing.T) (*sql.DB, *sql.DB, eventstore.Dialect) {
			path := filepath.Join(t.TempDir(), "acv.db")
			open := func() *sql.DB {
				db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_txlock=immediate")
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				return db
			}
			// The first connection turns the new file to WAL before the
			// second opens: two connections switching a fresh file at once
			// can fail with SQLITE_BUSY without waiting (SQLite's deadlock
			// avoidance), which nodes sharing one file never meet since
			// the store creates the file first.
			a := open()
			if err := a.Ping(); err != nil {
				t.Fatal(err)
			}
			return a, open(), eventstore.SQLite
		}},
		{"postgres", func(t *testing.T) (*sql.DB, *sql.DB, eventstore.Dialect) {
			dsn := pgtest.DSN(t)
			open := func() *sql.DB {
				db, err := sql.Open("pgx", dsn)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				return db
			}
			return open(), open(), eventstore.Postgres
		}},
	}
}

// twoNodes opens the backend as two nodes and migrates the table from both
// at once, as nodes starting together do.
func twoNodes(t *testing.T, b idemBackend) (a, c *sql.DB, d eventstore.Dialect) {
	t.Helper()
	a, c, d = b.open(t)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, db := range []*sql.DB{a, c} {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = api.MigrateIdempotency(context.Background(), db, d) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("MigrateIdempotency: %v", err)
		}
	}
	return a, c, d
}

func mustAcquire(t *testing.T, s api.IdempotencyStore, key string) (*api.StoredResponse, func(*api.StoredResponse)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stored, release, err := s.Acquire(ctx, key)
	if err != nil {
		t.Fatalf("Acquire(%s): %v", key, err)
	}
	if (stored == nil) == (release == nil) {
		t.Fatalf("Acquire(%s) returned stored %v and release %v: want exactly one", key, stored, release != nil)
	}
	return stored, release
}

func TestSQLIdempotency(t *testing.T) {
	for _, b := range idemBackends() {
		t.Run(b.name, func(t *testing.T) {
			t.Run("StoresAndReplaysAcrossNodes", func(t *testing.T) {
				a, c, d := twoNodes(t, b)
				na, nc := api.NewSQLIdempotency(a, d, api.SQLIdempotencyOptions{}), api.NewSQLIdempotency(c, d, api.SQLIdempotencyOptions{})
				stored, release := mustAcquire(t, na, "k1")
				if stored != nil {
					t.Fatalf("a new key has a stored response: %+v", stored)
				}
				want := &api.StoredResponse{Fingerprint: "POST /x abc", Status: 201,
					Header: http.Header{"Etag": {`"1"`}, "Location": {"/v1/assets/1"}}, Body: []byte(`{"position":7}`)}
				release(want)
				release(&api.StoredResponse{Status: 500}) // a second call does nothing
				for name, s := range map[string]api.IdempotencyStore{"same node": na, "other node": nc} {
					got, _ := mustAcquire(t, s, "k1")
					if got == nil || got.Fingerprint != want.Fingerprint || got.Status != want.Status ||
						!bytes.Equal(got.Body, want.Body) || got.Header.Get("ETag") != `"1"` || got.Header.Get("Location") != "/v1/assets/1" {
						t.Errorf("%s: stored = %+v, want %+v", name, got, want)
					}
				}
				// An empty body is stored as empty, not lost.
				_, release = mustAcquire(t, nc, "k2")
				release(&api.StoredResponse{Status: 204, Header: http.Header{}})
				if got, _ := mustAcquire(t, na, "k2"); got == nil || got.Status != 204 || got.Body == nil || len(got.Body) != 0 {
					t.Errorf("empty response stored as %+v", got)
				}
			})

			t.Run("ReleaseNilForgets", func(t *testing.T) {
				a, c, d := twoNodes(t, b)
				na, nc := api.NewSQLIdempotency(a, d, api.SQLIdempotencyOptions{}), api.NewSQLIdempotency(c, d, api.SQLIdempotencyOptions{})
				_, release := mustAcquire(t, na, "k")
				release(nil)
				stored, release := mustAcquire(t, nc, "k")
				if stored != nil {
					t.Fatalf("a forgotten key replays %+v", stored)
				}
				release(nil)
			})

			t.Run("WaitsForTheHolderOnAnotherNode", func(t *testing.T) {
				a, c, d := twoNodes(t, b)
				na, nc := api.NewSQLIdempotency(a, d, api.SQLIdempotencyOptions{}), api.NewSQLIdempotency(c, d, api.SQLIdempotencyOptions{Poll: 20 * time.Millisecond})
				_, release := mustAcquire(t, na, "k")
				got := make(chan *api.StoredResponse, 1)
				go func() {
					stored, rel, err := nc.Acquire(context.Background(), "k")
					if err != nil || rel != nil {
						t.Errorf("Acquire while held: %v, release %v", err, rel != nil)
					}
					got <- stored
				}()
				select {
				case s := <-got:
					t.Fatalf("Acquire did not wait for the holder: %+v", s)
				case <-time.After(200 * time.Millisecond):
				}
				release(&api.StoredResponse{Status: 201, Body: []byte("first")})
				select {
				case s := <-got:
					if s == nil || string(s.Body) != "first" {
						t.Errorf("the waiter got %+v, want the holder's response", s)
					}
				case <-time.After(5 * time.Second):
					t.Fatal("the waiter never saw the release")
				}
				// A waiter whose request ends gives up with an error.
				_, release = mustAcquire(t, na, "k-held")
				defer release(nil)
				ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
				defer cancel()
				if _, _, err := nc.Acquire(ctx, "k-held"); !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("Acquire past its deadline: %v, want context.DeadlineExceeded", err)
				}
			})

			t.Run("OneClaimAmongConcurrentRequests", func(t *testing.T) {
				a, c, d := twoNodes(t, b)
				nodes := []api.IdempotencyStore{
					api.NewSQLIdempotency(a, d, api.SQLIdempotencyOptions{Poll: 10 * time.Millisecond}),
					api.NewSQLIdempotency(c, d, api.SQLIdempotencyOptions{Poll: 10 * time.Millisecond}),
				}
				const n = 12
				var (
					wg     sync.WaitGroup
					claims atomic.Int32
					bodies = make([]string, n)
				)
				start := make(chan struct{})
				for i := range n {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						stored, release, err := nodes[i%2].Acquire(context.Background(), "same")
						if err != nil {
							t.Errorf("request %d: %v", i, err)
							return
						}
						if release != nil {
							claims.Add(1)
							time.Sleep(50 * time.Millisecond) // the write
							release(&api.StoredResponse{Status: 201, Body: []byte("the one")})
							bodies[i] = "the one"
							return
						}
						bodies[i] = string(stored.Body)
					}()
				}
				close(start)
				wg.Wait()
				if claims.Load() != 1 {
					t.Errorf("%d requests claimed the key, want 1", claims.Load())
				}
				for i, body := range bodies {
					if body != "the one" {
						t.Errorf("request %d got %q, want the claimant's response", i, body)
					}
				}
			})

			t.Run("ExpiresAfterTTL", func(t *testing.T) {
				a, c, d := twoNodes(t, b)
				clock := testclock.New(time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC))
				opts := api.SQLIdempotencyOptions{Now: clock.Now, TTL: time.Hour}
				na, nc := api.NewSQLIdempotency(a, d, opts), api.NewSQLIdempotency(c, d, opts)
				_, release := mustAcquire(t, na, "old")
				release(&api.StoredResponse{Status: 201, Body: []byte("old")})
				clock.Advance(59 * time.Minute)
				if got, _ := mustAcquire(t, nc, "old"); got == nil {
					t.Fatal("forgotten before the TTL")
				}
				clock.Advance(2 * time.Minute)
				stored, release := mustAcquire(t, nc, "old")
				if stored != nil {
					t.Fatalf("replayed after the TTL: %+v", stored)
				}
				release(&api.StoredResponse{Status: 201, Body: []byte("new")})
				if got, _ := mustAcquire(t, na, "old"); got == nil || string(got.Body) != "new" {
					t.Errorf("after expiry and a new write: %+v, want the new response", got)
				}
				// The sweep removes expired rows nobody asks for again.
				_, release = mustAcquire(t, na, "never-again")
				release(&api.StoredResponse{Status: 201})
				clock.Advance(2 * time.Hour)
				_, release = mustAcquire(t, na, "sweeper")
				release(nil)
				var left int
				if err := a.QueryRow(`SELECT count(*) FROM ` + api.IdempotencyTable).Scan(&left); err != nil {
					t.Fatal(err)
				}
				if left != 0 {
					t.Errorf("%d rows left after the sweep, want 0", left)
				}
			})

			t.Run("DeadNodeClaimTakenOverAfterLease", func(t *testing.T) {
				a, c, d := twoNodes(t, b)
				const lease = 400 * time.Millisecond
				opts := api.SQLIdempotencyOptions{Lease: lease, Poll: 20 * time.Millisecond}
				na, nc := api.NewSQLIdempotency(a, d, opts), api.NewSQLIdempotency(c, d, opts)

				// A live holder renews its lease: a request held for three
				// leases is still waited for.
				_, release := mustAcquire(t, na, "slow")
				got := make(chan *api.StoredResponse, 1)
				go func() { s, _ := mustAcquire(t, nc, "slow"); got <- s }()
				time.Sleep(3 * lease)
				release(&api.StoredResponse{Status: 201, Body: []byte("slow but alive")})
				if s := <-got; s == nil || string(s.Body) != "slow but alive" {
					t.Errorf("a live holder's key was taken over: %+v", s)
				}

				// A node that dies holding a key (its database gone, so it
				// neither renews nor releases) blocks the key for one lease.
				_, release = mustAcquire(t, na, "orphan")
				a.Close()
				started := time.Now()
				stored, release2 := mustAcquire(t, nc, "orphan")
				if stored != nil {
					t.Fatalf("the dead node's claim replays %+v", stored)
				}
				if waited := time.Since(started); waited < lease/2 || waited > 5*time.Second {
					t.Errorf("took the claim over after %s, want about one lease (%s)", waited, lease)
				}
				release(&api.StoredResponse{Status: 201, Body: []byte("from the grave")}) // fails: logged, not stored
				release2(&api.StoredResponse{Status: 201, Body: []byte("survivor")})
				if s, _ := mustAcquire(t, nc, "orphan"); s == nil || string(s.Body) != "survivor" {
					t.Errorf("after the take-over: %+v, want the survivor's response", s)
				}
			})

			t.Run("ReleaseFencedByClaim", func(t *testing.T) {
				a, c, d := twoNodes(t, b)
				// Node C's clock runs an hour ahead: it sees A's lease as run
				// out while A still works, and takes the claim. A's late
				// release must not overwrite C's.
				ahead := func() time.Time { return time.Now().Add(time.Hour) }
				na := api.NewSQLIdempotency(a, d, api.SQLIdempotencyOptions{Lease: time.Minute})
				nc := api.NewSQLIdempotency(c, d, api.SQLIdempotencyOptions{Now: ahead, Lease: time.Minute})
				_, releaseA := mustAcquire(t, na, "k")
				stored, releaseC := mustAcquire(t, nc, "k")
				if stored != nil {
					t.Fatalf("took over a stored response: %+v", stored)
				}
				releaseC(&api.StoredResponse{Status: 201, Body: []byte("C")})
				releaseA(&api.StoredResponse{Status: 201, Body: []byte("A")})
				if s, _ := mustAcquire(t, na, "k"); s == nil || string(s.Body) != "C" {
					t.Errorf("stored %+v, want C's response: a taken-over claim's release must store nothing", s)
				}
				// Nor may a taken-over claim's release(nil) forget the key.
				_, releaseA = mustAcquire(t, na, "k2")
				_, releaseC = mustAcquire(t, nc, "k2")
				releaseA(nil)
				releaseC(&api.StoredResponse{Status: 201, Body: []byte("C2")})
				if s, _ := mustAcquire(t, na, "k2"); s == nil || string(s.Body) != "C2" {
					t.Errorf("stored %+v, want C2", s)
				}
			})
		})
	}
}

// TestIdempotencyKeyAcrossServers: a client that retries a write against
// another node, with the same key, gets the first answer and records
// nothing, when the nodes share a SQLIdempotency.
func TestIdempotencyKeyAcrossServers(t *testing.T) {
	dir := t.TempDir()
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "acv.db"), sqlite.Options{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "acv.db")+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := api.MigrateIdempotency(context.Background(), db, eventstore.SQLite); err != nil {
		t.Fatal(err)
	}
	var nodes []*harness
	for range 2 {
		logs := &syncBuffer{}
		srv := httptest.NewServer(api.New(api.Deps{
			Store:       store,
			Assets:      eventstore.NewAssets(store, domain.DefaultRegimes(), uuid.New),
			Now:         func() time.Time { return testNow },
			Log:         slog.New(slog.NewJSONHandler(logs, nil)),
			AdminToken:  adminToken,
			Idempotency: api.NewSQLIdempotency(db, eventstore.SQLite, api.SQLIdempotencyOptions{Now: func() time.Time { return testNow }}),
		}))
		t.Cleanup(srv.Close)
		nodes = append(nodes, &harness{t: t, srv: srv, store: store, logs: logs})
	}
	key := header{"Idempotency-Key", "retry-elsewhere"}
	first := nodes[0].mustPost("/v1/councils/E07000228/nominations", nominationBody(), http.StatusCreated, key)
	n := len(nodes[0].events())
	again := nodes[1].mustPost("/v1/councils/E07000228/nominations", nominationBody(), http.StatusCreated, key)
	if !bytes.Equal(first.raw, again.raw) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("the other node's answer: %s (replayed %q), want the first %s", again.raw, again.header.Get("Idempotent-Replayed"), first.raw)
	}
	if got := len(nodes[1].events()); got != n {
		t.Errorf("the retry on the other node appended %d events", got-n)
	}
	other := nominationBody()
	other["reasons"] = "another request"
	r := nodes[1].post("/v1/councils/E07000228/nominations", other, key)
	wantProblem(t, "key reused on the other node", r, http.StatusUnprocessableEntity)
}
