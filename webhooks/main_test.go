package webhooks

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/postgres"
	"github.com/acv-registry/acv/eventstore/sqlite"
	"github.com/acv-registry/acv/internal/pgtest"
	"github.com/acv-registry/acv/internal/testclock"
	"github.com/acv-registry/acv/messaging"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// The tests run on real databases: the SQLite log with a second handle on
// the same file (as `acv serve` opens its read models), and PostgreSQL with
// the store's pool shared through pgx/stdlib.

// env is one backend: the log, its database and the tables migrated.
type env struct {
	t     *testing.T
	store eventstore.Store
	db    *sql.DB
	d     eventstore.Dialect
	clock *testclock.Clock
}

// start is the tests' first instant: 10:00 on 1 June 2026 in England.
var start = time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)

// forEachBackend runs fn against SQLite and PostgreSQL, in parallel.
func forEachBackend(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, b := range []string{"sqlite", "postgres"} {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			fn(t, newEnv(t, b))
		})
	}
}

// newEnv opens a fresh log of backend with the webhook tables.
func newEnv(t *testing.T, backend string) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, clock: testclock.New(start)}
	switch backend {
	case "sqlite":
		path := filepath.Join(t.TempDir(), "acv.db")
		s, err := sqlite.Open(ctx, path, sqlite.Options{Now: e.clock.Now})
		if err != nil {
			t.Fatalf("open the SQLite log: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_txlock=immediate")
		if err != nil {
			t.Fatalf("open the SQLite database: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		e.store, e.db, e.d = s, db, eventstore.SQLite
	case "postgres":
		s, err := postgres.Open(ctx, pgtest.DSN(t), postgres.Options{Now: e.clock.Now})
		if err != nil {
			t.Fatalf("open the PostgreSQL log: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		db := stdlib.OpenDBFromPool(s.Pool())
		t.Cleanup(func() { db.Close() })
		e.store, e.db, e.d = s, db, eventstore.Postgres
	}
	if err := Migrate(ctx, e.db, e.d); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return e
}

// registry returns a registry on e's clock that accepts http URLs.
func (e *env) registry() *Registry {
	return NewRegistry(e.db, e.d, e.store, RegistryOptions{Now: e.clock.Now, AllowHTTP: true})
}

// subscribe makes a subscription and returns its id and secret.
func (e *env) subscribe(n NewSubscription) (uuid.UUID, string) {
	e.t.Helper()
	s, secret, err := e.registry().Subscribe(context.Background(), n)
	if err != nil {
		e.t.Fatalf("Subscribe(%+v): %v", n, err)
	}
	return s.ID, secret
}

// record appends domain events to an asset's stream, on e's clock.
func (e *env) record(assetID string, events ...domain.Event) []eventstore.Event {
	e.t.Helper()
	ctx := context.Background()
	stream := domain.AssetStream(assetID)
	var news []eventstore.NewEvent
	for _, de := range events {
		typ, data, err := domain.MarshalEvent(de)
		if err != nil {
			e.t.Fatal(err)
		}
		news = append(news, eventstore.NewEvent{ID: uuid.New(), Type: typ, Data: data,
			Metadata: eventstore.Metadata{EffectiveDate: de.EffectiveOn(), Actor: eventstore.Actor{Org: "registry", Role: "administrator"},
				CorrelationID: uuid.New(), Regime: "localism-2012", SchemaVersion: 1}})
	}
	if _, err := e.store.Append(ctx, stream, eventstore.Any, news); err != nil {
		e.t.Fatalf("append to %s: %v", stream, err)
	}
	stored, err := e.store.ReadStream(ctx, stream, 1, eventstore.Opened)
	if err != nil {
		e.t.Fatal(err)
	}
	return stored[len(stored)-len(news):]
}

// outbox hands every event after position after to a new Outbox, each in
// a transaction of its own as the router would, and returns the last
// position handled.
func (e *env) outbox(after int64) int64 {
	e.t.Helper()
	ctx := context.Background()
	o := NewOutbox(e.store, e.d, e.clock.Now)
	events, err := e.store.ReadAll(ctx, after, 100_000)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, ev := range events {
		tx, err := e.db.BeginTx(ctx, nil)
		if err != nil {
			e.t.Fatal(err)
		}
		if err := o.Handle(ctx, messaging.StdTx(tx), ev); err != nil {
			tx.Rollback()
			e.t.Fatalf("Handle %s@%d: %v", ev.Stream, ev.Version, err)
		}
		if err := tx.Commit(); err != nil {
			e.t.Fatal(err)
		}
		after = ev.Position
	}
	return after
}

// count returns the number of rows of query.
func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.db.QueryRow(e.d.Rebind(query), args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// deliverer returns a deliverer on e's clock with a fixed backoff of n
// minutes after attempt n, no jitter.
func (e *env) deliverer(client *http.Client, opts DelivererOptions) *Deliverer {
	opts.Client, opts.Now = client, e.clock.Now
	if opts.Backoff == nil {
		opts.Backoff = func(n int) time.Duration { return time.Duration(n) * time.Minute }
	}
	return NewDeliverer(e.db, e.d, e.store, opts)
}

// deliveries returns the delivery log of a subscription.
func (e *env) deliveries(sub uuid.UUID) []Delivery {
	e.t.Helper()
	ds, err := e.registry().Deliveries(context.Background(), sub, 0, 1000)
	if err != nil {
		e.t.Fatalf("Deliveries: %v", err)
	}
	return ds
}

// The councils and parties of the tests.
const (
	councilA = "E07000228" // Mid Sussex
	councilB = "E09000033" // Westminster
)

// nomination is a nomination of a pub in council, with personal data in
// every place the law protects: an individual owner, occupiers, interest
// holders, the nominator's contact details in the council's extras, and
// the 21 electors in the evidence.
func nomination(assetID, council string) domain.NominationReceived {
	return domain.NominationReceived{
		AssetID: assetID, NominationID: "n-" + assetID, Regime: "localism-2012", Council: council,
		ReceivedOn: domain.NewDate(2026, 5, 1),
		Nominator:  domain.Body{ID: "org-friends", Name: "Friends of the Red Lion", Kind: domain.Charity, LocalConnection: true},
		Land: domain.Land{Name: "The Red Lion", Description: "A village pub", Boundaries: "Title SK1", Address: "1 High Street",
			Postcode: "RH16 1AA", Use: domain.NonResidential},
		Owner:       domain.Party{ID: "p-1", Name: "Jane Privateowner", Address: "7 Secret Lane, Haywards Heath"},
		Occupants:   []domain.Party{{Name: "Olive Occupier", Address: "Flat above the pub"}},
		Interests:   []domain.Interest{{Holder: domain.Party{Name: "Harold Holder"}, Estate: domain.Freehold}},
		Reasons:     "The only pub in the village.",
		Evidence:    "Members who are local electors: Alice Elector, Bob Elector, Carol Elector",
		LocalExtras: map[string]string{"contact_email": "nominator@example.org", "contact_phone": "07700 900123"},
	}
}

// personal is every piece of personal data nomination and ownerChange
// hold; none may leave the registry.
var personal = []string{"Jane Privateowner", "Secret Lane", "Olive Occupier", "Flat above", "Harold Holder",
	"Alice Elector", "Bob Elector", "nominator@example.org", "07700 900123", "Peter Private", "9 Hidden Road"}

// ownerChange is a change of owner to another individual.
func ownerChange(assetID string) domain.OwnerChanged {
	return domain.OwnerChanged{AssetID: assetID, Owner: domain.Party{ID: "p-2", Name: "Peter Private", Address: "9 Hidden Road"},
		Previous: domain.Party{ID: "p-1", Name: "Jane Privateowner"}, ChangedOn: domain.NewDate(2026, 5, 20)}
}

// decision lists the asset.
func decision(assetID string) domain.NominationDecided {
	return domain.NominationDecided{AssetID: assetID, NominationID: "n-" + assetID, Outcome: domain.Listed,
		Reasons: "It furthers social wellbeing.", DecidedOn: domain.NewDate(2026, 5, 25), EnteredOn: domain.NewDate(2026, 5, 25)}
}

// receiver is a real HTTP server that records what it is sent and answers
// with the statuses of answer, in turn (200 once they run out).
type receiver struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []received
	// answer returns the status for the nth request (0-based) of a delivery.
	answer func(delivery string, n int) int
}

// received is one request as the receiver got it.
type received struct {
	header http.Header
	body   []byte
	at     time.Time
}

func newReceiver(t *testing.T, tls bool, answer func(delivery string, n int) int) *receiver {
	r := &receiver{answer: answer}
	h := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body := make([]byte, 0, 1024)
		buf := make([]byte, 1024)
		for {
			n, err := req.Body.Read(buf)
			body = append(body, buf[:n]...)
			if err != nil {
				break
			}
		}
		r.mu.Lock()
		id := req.Header.Get(HeaderDelivery)
		n := 0
		for _, g := range r.got {
			if g.header.Get(HeaderDelivery) == id {
				n++
			}
		}
		r.got = append(r.got, received{header: req.Header.Clone(), body: body, at: time.Now()})
		r.mu.Unlock()
		status := http.StatusOK
		if r.answer != nil {
			status = r.answer(id, n)
		}
		w.WriteHeader(status)
	})
	if tls {
		r.srv = httptest.NewTLSServer(h)
	} else {
		r.srv = httptest.NewServer(h)
	}
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// decodeBody decodes a request's JSON body into v.
func decodeBody(t *testing.T, r *http.Request, v any) {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		t.Errorf("request body: %v", err)
	}
}
