//go:build linux

package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acv-registry/acv/clock"
	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/postgres"
	"github.com/acv-registry/acv/internal/pgtest"
	"github.com/acv-registry/acv/messaging"
	"github.com/acv-registry/acv/projections"
	"github.com/acv-registry/acv/webhooks"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// The several-nodes test runs the real binary, twice, against one
// PostgreSQL database, as a deployment behind a load balancer does, and
// kills one of them with SIGKILL in the middle of a load of writes.

const nodesToken = "nodes-admin-token"

// Councils of the load: the webhook subscription names the first.
const (
	subscribedCouncil = "E07000228"
	otherCouncil      = "E06000001"
)

// servesWebhooks says that `acv serve` runs the webhook outbox and
// deliverer and serves POST /v1/webhooks (since 1a2376c): the kill test
// checks that every event of a subscribed council is delivered at least
// once, under a stable id. The statutory clock's checks always run.
const servesWebhooks = true

// TestTwoNodesSurviveAKill: two `acv serve` processes share one database;
// writes go to both, each with an Idempotency-Key, and a failed write is
// retried against the other node with the same key. One node is killed
// with SIGKILL under load and restarted. Afterwards: every acknowledged
// write is in the log; every read-model table equals a fresh rebuild; no
// clock event is stored twice; nothing is poisoned; and every event of the
// subscribed council reached the webhook receiver, under its own id.
func TestTwoNodesSurviveAKill(t *testing.T) {
	started := time.Now()
	dsn := pgtest.DSN(t)
	bin := buildACV(t)
	ctx := context.Background()
	t.Logf("built the binary in %s", time.Since(started).Round(time.Millisecond))

	store, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	db := stdlib.OpenDBFromPool(store.Pool())
	t.Cleanup(func() { db.Close() })

	recv := newHookReceiver(t)
	environ := []string{"ACV_DATABASE_URL=" + dsn, "ACV_ADMIN_TOKEN=" + nodesToken, "ACV_LOG_LEVEL=info",
		"ACV_WEBHOOKS_LEASE=12s"} // a killed node's claimed deliveries are retried after this
	environ = append(environ, recv.env()...)
	a := newACVNode(t, "a", bin, environ)
	b := newACVNode(t, "b", bin, environ)
	var wg sync.WaitGroup
	for _, n := range []*acvNode{a, b} {
		wg.Add(1)
		go func() { defer wg.Done(); n.start() }()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("both nodes ready after %s", time.Since(started).Round(time.Millisecond))
	if servesWebhooks {
		recv.subscribe(t, a.url(), subscribedCouncil)
	}

	// A third clock, as a third node's ticker would, ticks all through the
	// load, so that clock events are appended by several tickers at once
	// (the nodes' own tick at start and once a minute).
	tickCtx, stopTicking := context.WithCancel(ctx)
	ticking := make(chan struct{})
	go func() {
		defer close(ticking)
		tk := clock.NewTicker(db, eventstore.Postgres, eventstore.NewAssets(store, regimes(), uuid.New), clock.Options{})
		for tickCtx.Err() == nil {
			if _, err := tk.Tick(tickCtx, time.Now()); err != nil && tickCtx.Err() == nil {
				t.Errorf("the test's clock tick: %v", err)
			}
			select {
			case <-tickCtx.Done():
			case <-time.After(250 * time.Millisecond):
			}
		}
	}()
	defer func() { stopTicking(); <-ticking }()

	// The load: workers write until stop closes, while the test kills B,
	// writes to the survivor, restarts B and writes to both again.
	l := &load{t: t, nodes: []*acvNode{a, b}, client: &http.Client{Timeout: 40 * time.Second}}
	stop := make(chan struct{})
	const workers = 6
	for w := range workers {
		wg.Add(1)
		go func() { defer wg.Done(); l.worker(w, stop) }()
	}
	phase := func(name string, d time.Duration) {
		before := l.acked.Load()
		time.Sleep(d)
		t.Logf("%s: %d writes acknowledged", name, l.acked.Load()-before)
	}
	phase("both nodes", 3*time.Second)
	b.kill()
	phase("A alone", 2*time.Second)
	b.start()
	phase("both again, B restarted", 3*time.Second)
	close(stop)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	acks := l.acks()
	t.Logf("load done after %s: %d writes acknowledged, %d retried on the other node, %d answered by a replay, %d lost with the killed node and refused on retry",
		time.Since(started).Round(time.Millisecond), len(acks), l.retried.Load(), l.replayed.Load(), l.unknown.Load())

	// Settle: the clocks have nothing due, and both nodes' read models
	// cover the whole log, which then stands still.
	settle(t, ctx, store, db, []*acvNode{a, b}, acks[len(acks)-1].asset)
	stopTicking()
	<-ticking
	settle(t, ctx, store, db, []*acvNode{a, b}, acks[len(acks)-1].asset)
	if servesWebhooks {
		// A delivery the killed node had claimed waits for its lease (a
		// minute by default) before another node sends it.
		waited := time.Now()
		recv.waitFor(t, ctx, store, subscribedCouncil, 90*time.Second)
		t.Logf("every subscribed event delivered %s after the log settled", time.Since(waited).Round(time.Millisecond))
	}
	for _, n := range []*acvNode{a, b} {
		n.stop()
	}
	t.Logf("both nodes stopped after %s", time.Since(started).Round(time.Millisecond))

	log := readLog(t, ctx, store)
	checkAcknowledged(t, log, acks)
	checkClockOnce(t, log, domain.TypeNominationDecisionOverdue, domain.TypeListingExpired, domain.TypeInterimMoratoriumEnded)
	checkNothingPoisoned(t, ctx, db)
	checkRebuildEqual(t, ctx, db, bin, environ)
	if servesWebhooks {
		recv.check(t, log, subscribedCouncil)
	}
	t.Logf("done in %s", time.Since(started).Round(time.Millisecond))
}

// settle waits until no clock is due and both nodes' read models cover
// the log's last position, and the log has stopped growing.
func settle(t *testing.T, ctx context.Context, store *postgres.Store, db *sql.DB, nodes []*acvNode, asset string) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		if time.Now().After(deadline) {
			t.Fatal("the nodes never settled")
		}
		last, err := store.LastPosition(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var due int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM clock_schedule WHERE due_on <= $1`, domain.DateOf(time.Now()).String()).Scan(&due); err != nil {
			t.Fatal(err)
		}
		for _, n := range nodes {
			waitRead(t, n, fmt.Sprintf("/v1/assets/%s?min_position=%d", asset, last), deadline)
		}
		again, err := store.LastPosition(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if due == 0 && again == last {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// readLog reads the whole log.
func readLog(t *testing.T, ctx context.Context, store eventstore.Store) []eventstore.Event {
	t.Helper()
	var all []eventstore.Event
	for after := int64(0); ; {
		es, err := store.ReadAll(ctx, after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) == 0 {
			return all
		}
		all = append(all, es...)
		after = es[len(es)-1].Position
	}
}

// checkAcknowledged: every acknowledged write is in the log, at the
// position its answer gave, in its asset's stream.
func checkAcknowledged(t *testing.T, log []eventstore.Event, acks []ack) {
	t.Helper()
	at := map[int64]eventstore.Event{}
	nominations := map[string]int{} // stream -> nominations received
	for _, e := range log {
		at[e.Position] = e
		if e.Type == domain.TypeNominationReceived {
			nominations[e.Stream]++
		}
	}
	orphans := len(nominations)
	for _, a := range acks {
		e, ok := at[a.position]
		if !ok {
			t.Errorf("acknowledged write lost: asset %s position %d is not in the log", a.asset, a.position)
			continue
		}
		if e.Stream != "asset-"+a.asset {
			t.Errorf("position %d is in %s, want the acknowledged asset %s", a.position, e.Stream, a.asset)
			continue
		}
		if a.typ == domain.TypeNominationReceived {
			orphans--
		}
		if e.Type != a.typ || !bytes.Contains(e.Data, []byte(a.nomination)) {
			t.Errorf("position %d is a %s (%s), want the acknowledged %s (nomination %s)", a.position, e.Type, e.Data, a.typ, a.nomination)
		}
	}
	// A write whose node died before answering, retried elsewhere after the
	// key's lease ran out, ran twice: its first asset was never acknowledged.
	t.Logf("log: %d events; %d acknowledged writes found; %d assets nobody was told of", len(log), len(acks), orphans)
}

// checkClockOnce: no clock event is stored twice for one period (same
// asset, type and subject), and there is at least one of each type in want.
func checkClockOnce(t *testing.T, log []eventstore.Event, want ...string) {
	t.Helper()
	seen := map[string]int64{}
	count := map[string]int{}
	for _, e := range log {
		de, err := domain.UnmarshalEvent(e.Type, e.Data)
		if err != nil {
			t.Fatalf("decode %s at %d: %v", e.Type, e.Position, err)
		}
		subject, ok := clockSubject(de)
		if !ok {
			continue
		}
		count[e.Type]++
		k := e.Stream + " " + e.Type + " " + subject
		if first, dup := seen[k]; dup {
			t.Errorf("clock event %s of %s stored twice: positions %d and %d", e.Type, subject, first, e.Position)
		}
		seen[k] = e.Position
	}
	t.Logf("clock events: %v", count)
	for _, typ := range want {
		if count[typ] == 0 {
			t.Errorf("no %s among the clock events; the load makes some due", typ)
		}
	}
}

// clockSubject returns what a clock event is about: the nomination,
// review or disposal notice whose period ended.
func clockSubject(e domain.Event) (string, bool) {
	switch e := e.(type) {
	case domain.NominationDecisionOverdue:
		return e.NominationID, true
	case domain.ReviewDecisionOverdue:
		return e.ReviewID, true
	case domain.InterimMoratoriumEnded:
		return e.NoticeID, true
	case domain.FullMoratoriumEnded:
		return e.NoticeID, true
	case domain.ProtectedPeriodEnded:
		return e.NoticeID, true
	case domain.ListingExpired:
		return e.NominationID, true
	case domain.UnsuccessfulEntryExpired:
		return e.NominationID, true
	}
	return "", false
}

// checkNothingPoisoned: no consumer gave up on an event.
func checkNothingPoisoned(t *testing.T, ctx context.Context, db *sql.DB) {
	t.Helper()
	ps, err := messaging.ListPoisoned(ctx, db, eventstore.Postgres, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		t.Errorf("poisoned: %+v", p)
	}
}

// checkRebuildEqual: the read models the nodes kept equal the ones `acv
// rebuild` makes from the log.
func checkRebuildEqual(t *testing.T, ctx context.Context, db *sql.DB, bin string, environ []string) {
	t.Helper()
	live := dumpReadModels(t, ctx, db)
	cmd := exec.Command(bin, "rebuild")
	cmd.Env = append(os.Environ(), environ...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("acv rebuild: %v\n%s", err, out)
	}
	rebuilt := dumpReadModels(t, ctx, db)
	for _, table := range projections.TableNames() {
		l, r := live[table], rebuilt[table]
		if len(r) == 0 {
			t.Errorf("%s: the rebuild is empty; the load should fill every table", table)
		}
		if slices.Equal(l, r) {
			continue
		}
		t.Errorf("%s: %d rows kept by the nodes, %d rebuilt; they differ", table, len(l), len(r))
		for _, row := range l {
			if _, ok := slices.BinarySearch(r, row); !ok {
				t.Errorf("  only in the nodes' table: %.300s", row)
				break
			}
		}
		for _, row := range r {
			if _, ok := slices.BinarySearch(l, row); !ok {
				t.Errorf("  only in the rebuild: %.300s", row)
				break
			}
		}
	}
}

// dumpReadModels returns every row of every read-model table as text,
// sorted.
func dumpReadModels(t *testing.T, ctx context.Context, db *sql.DB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, table := range projections.TableNames() {
		rows, err := db.QueryContext(ctx, `SELECT row_to_json(r)::text FROM `+table+` r`)
		if err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out[table] = append(out[table], s)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		slices.Sort(out[table])
	}
	return out
}

// TestLogicalRestoreProcedure: docs/operations.md's repair after a logical
// restore works. A restore into a new cluster leaves events.tx_id and the
// consumers' offsets with the old cluster's transaction ids, above the new
// cluster's counter; the test fakes that by raising every stored id, shows
// the log invisible, runs the SQL block of the doc, `acv verify` and `acv
// rebuild`, and shows the old events back in order and new writes
// projected after them by every consumer.
func TestLogicalRestoreProcedure(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	getenv := env("ACV_DATABASE_URL", dsn, "ACV_LOG_LEVEL", "error")
	nominate := func(base string, n int) (assets []string, last int64) {
		t.Helper()
		l := &load{t: t, nodes: []*acvNode{{base: base, name: "in-process"}}, client: &http.Client{Timeout: 30 * time.Second}, token: benchToken}
		for i := range n {
			ans, ok := l.post(0, "/v1/councils/"+subscribedCouncil+"/nominations", map[string]any{
				"received_on": "2025-01-06", // the clock has work: the decision is overdue
				"nominator":   map[string]any{"name": "Friends of the Mill", "kind": "charity", "local_connection": true},
				"land":        map[string]any{"name": fmt.Sprintf("Mill %d", i), "description": "a mill", "boundaries": "the mill", "use": "non_residential"},
				"reasons":     "a meeting place", "evidence": "charity number",
			})
			if !ok {
				t.FailNow()
			}
			assets, last = append(assets, ans["asset_id"].(string)), int64(ans["position"].(float64))
		}
		return assets, last
	}
	readAsset := func(base, asset string, minPosition int64) {
		t.Helper()
		waitRead(t, &acvNode{t: t, name: "in-process", base: base}, fmt.Sprintf("/v1/assets/%s?min_position=%d", asset, minPosition), time.Now().Add(20*time.Second))
	}

	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	// Before the backup: a registry whose consumers have handled everything.
	// Every consumer, the clock's included: a nomination the clock's
	// consumer had not scheduled when the node stopped would be scheduled
	// by the restored node after its start pass, and its overdue decision
	// raised only at the ticker's next minute.
	base, stop := serveInProcess(t, getenv)
	old, last := nominate(base, 4)
	readAsset(base, old[len(old)-1], last)
	waitConsumers(t, ctx, conn, func(pos int64) bool { return pos >= last })
	if err := stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	// The restore: ids from an older, busier cluster.
	if _, err := conn.Exec(ctx, `
		ALTER TABLE events DISABLE TRIGGER events_no_update;
		UPDATE events SET tx_id = ((tx_id::text::bigint) + 1000000000)::text::xid8;
		ALTER TABLE events ENABLE TRIGGER events_no_update;
		UPDATE consumer_offsets SET tx_id = ((tx_id::text::bigint) + 1000000000)::text::xid8 WHERE tx_id <> '0'`); err != nil {
		t.Fatalf("fake the restore: %v", err)
	}
	store, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if es, err := store.ReadAll(ctx, 0, 100); err != nil || len(es) != 0 {
		t.Fatalf("after the restore, before the repair: ReadAll = %d events, %v; want none (all above the horizon)", len(es), err)
	}

	// The repair, as docs/operations.md has it.
	repair := restoreSQL(t)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, repair); err != nil {
		t.Fatalf("the restore SQL of docs/operations.md: %v\n%s", err, repair)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	before := readLog(t, ctx, store)
	if len(before) == 0 || !slices.IsSortedFunc(before, func(a, b eventstore.Event) int { return int(a.Position - b.Position) }) {
		t.Fatalf("after the repair the log reads %d events; want them all, in position order", len(before))
	}
	var stdout bytes.Buffer
	for _, cmd := range []string{"verify", "rebuild"} {
		if err := run(ctx, []string{cmd}, getenv, &stdout, io.Discard); err != nil {
			t.Fatalf("acv %s after the repair: %v\n%s", cmd, err, stdout.String())
		}
	}

	// After: old assets readable, new writes after them, every consumer
	// carried on.
	base, _ = serveInProcess(t, getenv)
	added, last := nominate(base, 2)
	for _, a := range append(old, added...) {
		readAsset(base, a, last)
	}
	after := readLog(t, ctx, store)
	if len(after) <= len(before) || after[len(before)-1].ID != before[len(before)-1].ID {
		t.Fatalf("new events do not follow the restored ones: %d events before, %d after", len(before), len(after))
	}
	tail := after[len(after)-1].Position
	waitConsumers(t, ctx, conn, func(pos int64) bool { return pos == tail })
	// The clock raises the overdue decisions of the nominations before the
	// backup on its pass at the restored node's start, asynchronously:
	// under load, after the log above was read. Wait for them, then check
	// that none was raised twice.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		overdue := 0
		for _, e := range after {
			if e.Type == domain.TypeNominationDecisionOverdue {
				overdue++
			}
		}
		if overdue >= len(old) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the clock raised %d overdue decisions, want one for each of the %d nominations before the backup", overdue, len(old))
		}
		after = readLog(t, ctx, store)
	}
	checkClockOnce(t, after, domain.TypeNominationDecisionOverdue)
}

// waitConsumers waits up to 20 s until the offsets of the read models',
// the clock's and the webhooks' consumers all satisfy at.
func waitConsumers(t *testing.T, ctx context.Context, conn *pgx.Conn, at func(pos int64) bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		rows, err := conn.Query(ctx, `SELECT name, position FROM consumer_offsets ORDER BY name`)
		if err != nil {
			t.Fatal(err)
		}
		offsets := map[string]int64{}
		for rows.Next() {
			var name string
			var pos int64
			if err := rows.Scan(&name, &pos); err != nil {
				t.Fatal(err)
			}
			offsets[name] = pos
		}
		rows.Close()
		behind := 0
		for _, name := range []string{projections.ConsumerName, clock.ConsumerName, webhooks.ConsumerName} {
			if !at(offsets[name]) {
				behind++
			}
		}
		if behind == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the consumers did not reach the position wanted: %v", offsets)
		}
	}
}

// restoreSQL returns the SQL block of docs/operations.md that follows the
// "restore-sql" marker.
func restoreSQL(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "restore-sql")
	if !ok {
		t.Fatal("docs/operations.md has no restore-sql marker")
	}
	_, rest, ok = strings.Cut(rest, "```sql\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("docs/operations.md has no sql block after the restore-sql marker")
	}
	return block
}
