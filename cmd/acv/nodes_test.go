//go:build linux

package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/acv-registry/acv/clock"
	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/postgres"
	"github.com/acv-registry/acv/internal/pgtest"
	"github.com/acv-registry/acv/messaging"
	"github.com/acv-registry/acv/projections"
	"github.com/google/uuid"
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
// deliverer and serves POST /v1/webhooks: the kill test then also checks
// that every event of a subscribed council is delivered at least once, with
// a stable id. (The statutory clock is wired: its checks always run.)
const servesWebhooks = false

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
	environ := []string{"ACV_DATABASE_URL=" + dsn, "ACV_ADMIN_TOKEN=" + nodesToken, "ACV_LOG_LEVEL=info"}
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
	t.Logf("load done after %s: %d writes acknowledged, %d retried on the other node, %d answered by a replay",
		time.Since(started).Round(time.Millisecond), len(acks), l.retried.Load(), l.replayed.Load())

	// Settle: the clocks have nothing due, and both nodes' read models
	// cover the whole log, which then stands still.
	settle(t, ctx, store, db, []*acvNode{a, b}, acks[len(acks)-1].asset)
	stopTicking()
	<-ticking
	settle(t, ctx, store, db, []*acvNode{a, b}, acks[len(acks)-1].asset)
	if servesWebhooks {
		recv.waitFor(t, ctx, store, subscribedCouncil, 90*time.Second)
	}
	for _, n := range []*acvNode{a, b} {
		n.stop()
	}
	t.Logf("both nodes stopped after %s", time.Since(started).Round(time.Millisecond))

	log := readLog(t, ctx, store)
	checkAcknowledged(t, log, acks)
	checkClockOnce(t, log)
	checkNothingPoisoned(t, ctx, db)
	checkRebuildEqual(t, ctx, db, bin, environ)
	if servesWebhooks {
		recv.check(t, log, subscribedCouncil)
	}
	t.Logf("done in %s", time.Since(started).Round(time.Millisecond))
}

// buildACV builds the binary of this package into a temporary directory,
// with the race detector when this test binary has it (so the packages
// compiled for the test are reused from the build cache).
func buildACV(t testing.TB) string {
	t.Helper()
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(gomod)) == "" {
		t.Fatalf("go env GOMOD: %v", err)
	}
	out := filepath.Join(t.TempDir(), "acv")
	args := []string{"build", "-o", out}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "-race" && s.Value == "true" {
				args = append(args, "-race")
			}
		}
	}
	cmd := exec.Command("go", append(args, "./cmd/acv")...)
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/acv: %v\n%s", err, msg)
	}
	return out
}

// acvNode is one `acv serve` process, started and restarted by the test.
type acvNode struct {
	t       *testing.T
	name    string
	bin     string
	environ []string
	runs    int

	mu   sync.Mutex
	cmd  *exec.Cmd
	base string
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, once done
	logs []string      // the stderr file of each run
}

func newACVNode(t *testing.T, name, bin string, environ []string) *acvNode {
	n := &acvNode{t: t, name: name, bin: bin, environ: environ}
	t.Cleanup(func() {
		n.mu.Lock()
		cmd, done := n.cmd, n.done
		n.mu.Unlock()
		if cmd != nil {
			select {
			case <-done:
			default:
				_ = cmd.Process.Kill()
				<-done
			}
		}
		if t.Failed() {
			n.dumpLogs()
		}
	})
	return n
}

// start starts the process on a free loopback port and waits until it
// answers /readyz.
func (n *acvNode) start() {
	n.t.Helper()
	n.runs++
	logPath := filepath.Join(n.t.TempDir(), fmt.Sprintf("%s-%d.log", n.name, n.runs))
	logFile, err := os.Create(logPath)
	if err != nil {
		n.t.Fatal(err)
	}
	addr := &addrWriter{found: make(chan string, 1)}
	cmd := exec.Command(n.bin, "serve", "--addr", "127.0.0.1:0", "--shutdown-timeout", "10s")
	cmd.Env = append(os.Environ(), n.environ...)
	cmd.Stdout = addr
	cmd.Stderr = logFile
	// The node dies with the test process, whatever happens to it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		n.t.Fatalf("start node %s: %v", n.name, err)
	}
	done := make(chan struct{})
	n.mu.Lock()
	n.cmd, n.done, n.logs = cmd, done, append(n.logs, logPath)
	n.mu.Unlock()
	go func() {
		err := cmd.Wait()
		logFile.Close()
		n.mu.Lock()
		n.err = err
		n.mu.Unlock()
		close(done)
	}()
	var base string
	select {
	case base = <-addr.found:
	case <-done:
		n.t.Fatalf("node %s exited before serving: %v", n.name, n.err)
	case <-time.After(60 * time.Second):
		n.t.Fatalf("node %s printed no address in 60s", n.name)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("node %s never became ready", n.name)
		}
	}
	n.mu.Lock()
	n.base = base
	n.mu.Unlock()
}

// url is the node's base URL; a killed node's stays, refusing connections.
func (n *acvNode) url() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.base
}

// kill sends SIGKILL and waits for the process to go.
func (n *acvNode) kill() {
	n.t.Helper()
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.mu.Unlock()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		n.t.Fatalf("kill node %s: %v", n.name, err)
	}
	<-done
	n.t.Logf("node %s killed", n.name)
}

// stop sends SIGTERM and expects a clean exit within the shutdown timeout.
func (n *acvNode) stop() {
	n.t.Helper()
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.mu.Unlock()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		n.t.Fatalf("stop node %s: %v", n.name, err)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		n.t.Fatalf("node %s did not stop within 30s of SIGTERM", n.name)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.err != nil {
		n.t.Errorf("node %s exited with %v after SIGTERM, want 0", n.name, n.err)
	}
}

// dumpLogs prints the warnings and errors of every run's log, and its
// last lines.
func (n *acvNode) dumpLogs() {
	for _, p := range n.logs {
		b, _ := os.ReadFile(p)
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		var out []string
		for i, line := range lines {
			if i >= len(lines)-5 || strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
				out = append(out, line)
			}
		}
		if len(out) > 60 {
			out = append(out[:30], append([]string{"..."}, out[len(out)-30:]...)...)
		}
		n.t.Logf("--- node %s, %s: warnings, errors and the last lines ---\n%s", n.name, filepath.Base(p), strings.Join(out, "\n"))
	}
}

// addrWriter is a process's stdout: it finds the address `acv serve`
// prints ("acv: serving on http://127.0.0.1:port").
type addrWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	found chan string
	sent  bool
}

func (w *addrWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.sent {
		for _, line := range strings.Split(w.buf.String(), "\n") {
			if u, ok := strings.CutPrefix(strings.TrimSpace(line), "acv: serving on "); ok && strings.HasSuffix(w.buf.String(), "\n") {
				w.found <- u
				w.sent = true
				break
			}
		}
	}
	return len(p), nil
}

// ack is an acknowledged write: a 2xx answer with a position.
type ack struct {
	asset, nomination, council string
	position                   int64
	typ                        string // the type of the event at position
}

// load drives writes at the nodes.
type load struct {
	t      *testing.T
	nodes  []*acvNode
	client *http.Client

	mu       sync.Mutex
	acked    atomic.Int64
	all      []ack
	sent     atomic.Int64 // writes answered
	retried  atomic.Int64 // attempts after a first one failed
	replayed atomic.Int64 // answers marked Idempotent-Replayed
}

func (l *load) acks() []ack {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := slices.Clone(l.all)
	slices.SortFunc(out, func(a, b ack) int { return int(a.position - b.position) })
	return out
}

// worker writes until stop closes, spreading its writes over both nodes,
// in rounds of four stories: a nomination received today (no clock runs
// out); one received in January 2025 (its decision is overdue: the clock
// records it); one received in January 2019 and listed (its listing
// expired in 2024: the clock records that); and one received 200 days ago,
// listed, whose owner gave notice of a disposal 60 days ago (the interim
// moratorium has ended: the clock records that, and the moratoria read
// model has a row). Two in three stories are in the subscribed council.
func (l *load) worker(w int, stop <-chan struct{}) {
	today := domain.DateOf(time.Now())
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		council := subscribedCouncil
		if (w+i)%3 == 2 {
			council = otherCouncil
		}
		body := map[string]any{
			"nominator": map[string]any{"id": fmt.Sprintf("org-w%d", w), "name": fmt.Sprintf("Friends of Worker %d", w), "kind": "charity", "local_connection": true},
			"land": map[string]any{"name": fmt.Sprintf("Hall %d-%d", w, i), "description": "a village hall", "boundaries": "the hall and its car park",
				"address": fmt.Sprintf("%d Church Lane", i), "postcode": "LE65 1AA", "use": "non_residential", "category": "community_centre"},
			"owner":   map[string]any{"id": "owner-parish", "name": "Parish Trustees Ltd"},
			"reasons": "used weekly by the youth club", "evidence": "charity number 1234567",
		}
		var decidedOn, noticeOn string
		switch i % 4 {
		case 1:
			body["received_on"] = "2025-01-06"
		case 2:
			body["received_on"], decidedOn = "2019-01-07", "2019-02-20"
		case 3:
			body["received_on"], decidedOn, noticeOn = today.AddDays(-200).String(), today.AddDays(-170).String(), today.AddDays(-60).String()
		}
		ans, ok := l.post(w+i, "/v1/councils/"+council+"/nominations", body)
		if !ok {
			return
		}
		asset, _ := ans["asset_id"].(string)
		nid, _ := ans["nomination_id"].(string)
		l.record(ack{asset: asset, nomination: nid, council: council, position: int64(ans["position"].(float64)), typ: domain.TypeNominationReceived})
		if decidedOn != "" {
			ans, ok := l.post(w+i+1, "/v1/assets/"+asset+"/nominations/"+nid+"/decision",
				map[string]any{"outcome": "listed", "decided_on": decidedOn, "reasons": "furthers social wellbeing"})
			if !ok {
				return
			}
			l.record(ack{asset: asset, nomination: nid, council: council, position: int64(ans["position"].(float64)), typ: domain.TypeNominationDecided})
		}
		if noticeOn != "" {
			ans, ok := l.post(w+i, "/v1/assets/"+asset+"/disposal-notices",
				map[string]any{"owner": map[string]any{"id": "owner-parish"}, "received_on": noticeOn})
			if !ok {
				return
			}
			l.record(ack{asset: asset, council: council, position: int64(ans["position"].(float64)), typ: domain.TypeDisposalNoticeReceived})
		}
		time.Sleep(20 * time.Millisecond) // a steady load, not a flood: the nodes share 2 cores with the test
	}
}

func (l *load) record(a ack) {
	l.mu.Lock()
	l.all = append(l.all, a)
	l.mu.Unlock()
	l.acked.Add(1)
}

// post sends one write with a fresh Idempotency-Key to node first%2; a
// failure (no answer, 5xx, or 409 while the key is held elsewhere) is
// retried against the other node, and so on, with the same key. It
// returns the answer of the first 201.
func (l *load) post(first int, path string, body map[string]any) (map[string]any, bool) {
	raw, _ := json.Marshal(body)
	key := uuid.NewString()
	deadline := time.Now().Add(45 * time.Second)
	var last string
	for attempt := 0; time.Now().Before(deadline); attempt++ {
		if attempt > 0 {
			l.retried.Add(1)
			time.Sleep(time.Duration(min(attempt, 5)) * 20 * time.Millisecond)
		}
		node := l.nodes[(first+attempt)%len(l.nodes)]
		req, _ := http.NewRequest(http.MethodPost, node.url()+path, bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+nodesToken)
		req.Header.Set("Idempotency-Key", key)
		resp, err := l.client.Do(req)
		if err != nil {
			last = err.Error()
			continue
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusCreated:
			if resp.Header.Get("Idempotent-Replayed") == "true" {
				l.replayed.Add(1)
			}
			var ans map[string]any
			if err := json.Unmarshal(got, &ans); err != nil || ans["position"] == nil {
				l.t.Errorf("POST %s answered 201 with %s", path, got)
				return nil, false
			}
			if l.sent.Add(1)%4 == 0 {
				// As a client that never saw the answer would: send it
				// again to the other node, with the same key.
				l.repeat(l.nodes[(first+attempt+1)%len(l.nodes)], path, key, raw, got)
			}
			return ans, true
		case resp.StatusCode >= 500, resp.StatusCode == http.StatusConflict, resp.StatusCode == http.StatusTooManyRequests:
			last = fmt.Sprintf("%d %s", resp.StatusCode, got)
		default:
			l.t.Errorf("POST %s to node %s: %d %s", path, node.name, resp.StatusCode, got)
			return nil, false
		}
	}
	l.t.Errorf("POST %s: no node took it in 45s; last: %s", path, last)
	return nil, false
}

// repeat sends a write already answered with first to node, with the same
// key: the node must answer with the first answer, marked as a replay. A
// node that is down at the time is no answer at all, and proves nothing.
func (l *load) repeat(node *acvNode, path, key string, raw, first []byte) {
	req, _ := http.NewRequest(http.MethodPost, node.url()+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+nodesToken)
	req.Header.Set("Idempotency-Key", key)
	resp, err := l.client.Do(req)
	if err != nil {
		return
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= 500 {
		return
	}
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(got, first) {
		l.t.Errorf("POST %s again on node %s with the same key: %d (replayed %q) %s, want the first answer %s",
			path, node.name, resp.StatusCode, resp.Header.Get("Idempotent-Replayed"), got, first)
		return
	}
	l.replayed.Add(1)
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

// waitRead GETs path from n until it answers 200 (a read that waits for
// ?min_position= answers 503 while the read models lag).
func waitRead(t *testing.T, n *acvNode, path string, deadline time.Time) {
	t.Helper()
	for {
		resp, err := http.Get(n.url() + path)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			if resp.StatusCode != http.StatusServiceUnavailable {
				t.Fatalf("GET %s on node %s: %d %s", path, n.name, resp.StatusCode, body)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s on node %s: not caught up in time (%v)", path, n.name, err)
		}
		time.Sleep(50 * time.Millisecond)
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
// asset, type and subject), and some were stored.
func checkClockOnce(t *testing.T, log []eventstore.Event) {
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
	for _, typ := range []string{domain.TypeNominationDecisionOverdue, domain.TypeListingExpired, domain.TypeInterimMoratoriumEnded} {
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

// hookReceiver is a webhook receiver on an https loopback server: it
// records the CloudEvents it is sent, by id. The nodes trust its
// certificate through SSL_CERT_FILE.
type hookReceiver struct {
	srv      *httptest.Server
	certFile string

	mu     sync.Mutex
	bodies map[string][]byte // CloudEvents id -> the first body received
	counts map[string]int
	bad    []string
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{bodies: map[string][]byte{}, counts: map[string]int{}}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	r.certFile = filepath.Join(t.TempDir(), "receiver.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: r.srv.Certificate().Raw})
	if err := os.WriteFile(r.certFile, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	return r
}

// env is the environment that makes the nodes trust the receiver.
func (r *hookReceiver) env() []string { return []string{"SSL_CERT_FILE=" + r.certFile} }

func (r *hookReceiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	var ce struct {
		SpecVersion string `json:"specversion"`
		ID          string `json:"id"`
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := json.Unmarshal(body, &ce); err != nil || ce.ID == "" || ce.SpecVersion != "1.0" {
		r.bad = append(r.bad, fmt.Sprintf("not a CloudEvent: %.300s", body))
		w.WriteHeader(http.StatusNoContent) // recorded as bad; no point retrying
		return
	}
	if first, ok := r.bodies[ce.ID]; ok && !bytes.Equal(first, body) {
		r.bad = append(r.bad, fmt.Sprintf("id %s sent with two bodies:\n%s\n%s", ce.ID, first, body))
	} else if !ok {
		r.bodies[ce.ID] = body
	}
	r.counts[ce.ID]++
	w.WriteHeader(http.StatusNoContent)
}

// subscribe registers the receiver for council's events through the API.
func (r *hookReceiver) subscribe(t *testing.T, base, council string) {
	t.Helper()
	raw, _ := json.Marshal(map[string]any{"council": council, "url": r.srv.URL + "/hooks/" + council})
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/webhooks", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+nodesToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /v1/webhooks: %d %s", resp.StatusCode, body)
	}
}

// expected returns the ids of the log's events about council's assets.
func expectedHooks(log []eventstore.Event, council string) (want, others map[string]bool) {
	councilOf := map[string]string{}
	for _, e := range log {
		if e.Type == domain.TypeNominationReceived {
			var n struct {
				Council string `json:"council"`
			}
			_ = json.Unmarshal(e.Data, &n) // the log decoded once already
			if _, ok := councilOf[e.Stream]; !ok {
				councilOf[e.Stream] = n.Council
			}
		}
	}
	want, others = map[string]bool{}, map[string]bool{}
	for _, e := range log {
		if councilOf[e.Stream] == council {
			want[e.ID.String()] = true
		} else {
			others[e.ID.String()] = true
		}
	}
	return want, others
}

// missing returns how many of want the receiver has not had yet.
func (r *hookReceiver) missing(want map[string]bool) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for id := range want {
		if r.counts[id] == 0 {
			out = append(out, id)
		}
	}
	return out
}

// waitFor waits until every event of council's assets has been received.
// A delivery claimed by the node that was killed waits for its lease to
// run out before another node sends it.
func (r *hookReceiver) waitFor(t *testing.T, ctx context.Context, store eventstore.Store, council string, limit time.Duration) {
	t.Helper()
	want, _ := expectedHooks(readLog(t, ctx, store), council)
	deadline := time.Now().Add(limit)
	for {
		missing := r.missing(want)
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d events of %s never reached the webhook receiver, e.g. %s", len(missing), len(want), council, missing[0])
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// check: every event of council's assets was received, under its own id,
// never with two bodies; no other council's event was sent.
func (r *hookReceiver) check(t *testing.T, log []eventstore.Event, council string) {
	t.Helper()
	want, others := expectedHooks(log, council)
	if missing := r.missing(want); len(missing) > 0 {
		t.Errorf("%d events of %s not delivered", len(missing), council)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range r.bad {
		t.Error(b)
	}
	twice := 0
	for id, n := range r.counts {
		if others[id] {
			t.Errorf("event %s of another council was delivered", id)
		} else if !want[id] {
			t.Errorf("the receiver got id %s, which is no event of the log", id)
		}
		if n > 1 {
			twice++
		}
	}
	t.Logf("webhooks: %d events delivered, %d of them more than once", len(r.counts), twice)
}
