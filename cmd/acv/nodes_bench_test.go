package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/postgres"
	"github.com/acv-registry/acv/internal/demo"
	"github.com/acv-registry/acv/internal/pgtest"
	"github.com/google/uuid"
)

// BenchmarkNodesWriteToReadLag: the lag from an acknowledged write (a new
// nomination, POSTed to node A) to its asset page, read with
// ?min_position= so the read waits exactly until the projection row is
// there, on PostgreSQL: with one node, and with two nodes sharing the
// database, reading on the node that took the write (A) and on the other
// (B). With two nodes either node's projector may handle the event (they
// share one consumer group); a node whose own projector did not learns of
// the new offset by reading it from the database.
func BenchmarkNodesWriteToReadLag(b *testing.B) {
	b.Run("one-node", func(b *testing.B) {
		dsn := pgtest.DSN(b)
		seedForLag(b, dsn)
		a, _ := serveInProcess(b, env("ACV_DATABASE_URL", dsn))
		measureLag(b, a, a)
	})
	b.Run("two-nodes", func(b *testing.B) {
		dsn := pgtest.DSN(b)
		seedForLag(b, dsn)
		a, _ := serveInProcess(b, env("ACV_DATABASE_URL", dsn))
		other, _ := serveInProcess(b, env("ACV_DATABASE_URL", dsn))
		b.Run("read-on-A", func(b *testing.B) { measureLag(b, a, a) })
		b.Run("read-on-B", func(b *testing.B) { measureLag(b, a, other) })
	})
}

// seedForLag writes the demo registry into the database at dsn, as
// benchServer does, so the read models are not empty.
func seedForLag(b *testing.B, dsn string) {
	b.Helper()
	ctx := context.Background()
	store, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	assets := eventstore.NewAssets(store, domain.DefaultRegimes(), uuid.New)
	if err := demo.Seed(ctx, assets, domain.DateOf(time.Now()), uuid.NewString); err != nil {
		b.Fatal(err)
	}
}

// serveInProcess runs `acv serve` (the real wiring, as the benchmarks of
// bench_test.go do) on a free loopback port and returns its base URL once
// it is ready, and a function that stops it (SIGTERM's path) and returns
// what serve returned. It is stopped when the test ends, if not before.
func serveInProcess(tb testing.TB, getenv func(string) string) (string, func() error) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--admin-token", benchToken, "--write-rate-token", "off", "--write-rate-address", "off", "--log-level", "error"}, getenv, w, io.Discard)
		w.Close()
	}()
	var (
		once    sync.Once
		stopErr error
	)
	stop := func() error {
		once.Do(func() { cancel(); stopErr = <-done })
		return stopErr
	}
	tb.Cleanup(func() { stop() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		tb.Fatalf("serve printed no address: %v (serve: %v)", err, stop())
	}
	go io.Copy(io.Discard, out)
	base := strings.TrimSpace(strings.TrimPrefix(line, "acv: serving on "))
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base, stop
			}
		}
		if time.Now().After(deadline) {
			tb.Fatal("the node never became ready")
		}
	}
}

// measureLag writes 200 nominations per b.N to writer and reads each on
// reader with ?min_position=, and reports the lag's p50 and p99, and the
// share of writes that took over 100ms to show (the stalls a p99 hides
// or shows depending on the run's length).
func measureLag(b *testing.B, writer, reader string) {
	const writes = 200
	client := &http.Client{Timeout: 10 * time.Second}
	var lags []time.Duration
	for i := 0; i < b.N*writes; i++ {
		lags = append(lags, writeThenRead(b, client, writer, reader, benchToken, fmt.Sprintf("Lag %d", i), func(req *http.Request) {
			req.Header.Set("Idempotency-Key", uuid.NewString()) // as clients of several nodes do
		}))
	}
	slices.Sort(lags)
	over := len(lags) - sort.Search(len(lags), func(i int) bool { return lags[i] > 100*time.Millisecond })
	b.ReportMetric(float64(lags[len(lags)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lags[len(lags)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(over)/float64(len(lags))*100, "%over-100ms")
}

// writeThenRead posts a nomination of a hall called name to writer (header
// may add headers) and returns how long after its acknowledgement reader
// showed it, asking with ?min_position=.
func writeThenRead(tb testing.TB, client *http.Client, writer, reader, token, name string, header func(*http.Request)) time.Duration {
	tb.Helper()
	body, _ := json.Marshal(map[string]any{
		"nominator": map[string]any{"id": "org-lag", "name": "Lag Testers", "kind": "charity", "local_connection": true},
		"land":      map[string]any{"name": name, "description": "a hall", "boundaries": "the hall", "use": "non_residential"},
		"reasons":   "used weekly", "evidence": "charity number",
	})
	req, _ := http.NewRequest(http.MethodPost, writer+"/v1/councils/E07000228/nominations", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	if header != nil {
		header(req)
	}
	resp, err := client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	var ans struct {
		AssetID  string `json:"asset_id"`
		Position int64  `json:"position"`
	}
	json.NewDecoder(resp.Body).Decode(&ans)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		tb.Fatalf("POST nomination: %d", resp.StatusCode)
	}
	acked := time.Now()
	resp, err = client.Get(fmt.Sprintf("%s/v1/assets/%s?min_position=%d", reader, ans.AssetID, ans.Position))
	if err != nil {
		tb.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET after write: %d", resp.StatusCode)
	}
	return time.Since(acked)
}
