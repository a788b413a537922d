package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acv-registry/acv/domain"
	"github.com/acv-registry/acv/eventstore"
	"github.com/acv-registry/acv/eventstore/postgres"
	"github.com/acv-registry/acv/eventstore/sqlite"
	"github.com/acv-registry/acv/internal/demo"
	"github.com/acv-registry/acv/internal/loadtest"
	"github.com/acv-registry/acv/internal/pgtest"
	"github.com/google/uuid"
)

// The HTTP benchmarks run the real `acv serve` wiring on loopback, on each
// backend: reads under 64 concurrent connections beside the same server's
// /healthz as the HTTP floor (ratio = route req/s ÷ healthz req/s), and the
// lag from an acknowledged write to its projection row, seen by a client
// that reads with ?min_position=.

const benchToken = "bench-admin-token"

// benchCouncil holds the 50-entry register the benchmark reads.
const benchCouncil = "E06000001"

// benchServer seeds a store through getenv's configuration, then serves it
// and returns its base URL once the read models have caught up.
func benchServer(b *testing.B, getenv func(string) string, open func() eventstore.Store) (string, string) {
	b.Helper()
	ctx := context.Background()
	store := open()
	assets := eventstore.NewAssets(store, domain.DefaultRegimes(), uuid.New)
	today := domain.DateOf(time.Now())
	if err := demo.Seed(ctx, assets, today, uuid.NewString); err != nil {
		b.Fatal(err)
	}
	var last string
	for i := 0; i < 50; i++ { // a council register of 50 entries
		last = uuid.NewString()
		_, err := assets.Create(ctx, last, func(a *domain.Asset) error {
			nid := uuid.NewString()
			if err := a.ReceiveNomination(domain.Nomination{ID: nid, Council: benchCouncil, ReceivedOn: today.AddDays(-100 - i),
				Nominator: domain.Body{ID: "org-g" + fmt.Sprint(i), Name: fmt.Sprintf("Friends of Site %d", i), Kind: domain.Charity, LocalConnection: true},
				Land: domain.Land{Name: fmt.Sprintf("Site %d", i), Description: "A community hall", Boundaries: "the hall and its yard",
					Address: fmt.Sprintf("%d Main Street", i), Postcode: "TS1 1AA", Use: domain.NonResidential, Category: "community_centre",
					Point: &domain.Point{Lat: 54.57 + float64(i)/1000, Lon: -1.23}},
				Reasons: "used weekly", Evidence: "charity number"}, today); err != nil {
				return err
			}
			return a.DecideNomination(nid, domain.Decision{Outcome: domain.Listed, DecidedOn: today.AddDays(-50 - i)}, today)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	store.Close()

	runCtx, cancel := context.WithCancel(ctx)
	out, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(runCtx, []string{"serve", "--addr", "127.0.0.1:0", "--admin-token", benchToken, "--write-rate-token", "off", "--write-rate-address", "off", "--log-level", "error"}, getenv, w, io.Discard)
		w.Close()
	}()
	b.Cleanup(func() { cancel(); <-done })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		b.Fatalf("serve printed no address: %v", err)
	}
	go io.Copy(io.Discard, out)
	base := strings.TrimSpace(strings.TrimPrefix(line, "acv: serving on "))
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get(base + "/v1/assets/" + last)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			b.Fatal("the read models never caught up")
		}
	}
	return base, last
}

func benchBackends(b *testing.B) []struct {
	name  string
	setup func(b *testing.B) (string, string)
} {
	return []struct {
		name  string
		setup func(b *testing.B) (string, string)
	}{
		{"sqlite", func(b *testing.B) (string, string) {
			dir := b.TempDir()
			return benchServer(b, env("ACV_DATA_DIR", dir), func() eventstore.Store {
				s, err := sqlite.Open(context.Background(), filepath.Join(dir, "acv.db"), sqlite.Options{})
				if err != nil {
					b.Fatal(err)
				}
				return s
			})
		}},
		{"postgres", func(b *testing.B) (string, string) {
			dsn := pgtest.DSN(b)
			return benchServer(b, env("ACV_DATABASE_URL", dsn), func() eventstore.Store {
				s, err := postgres.Open(context.Background(), dsn, postgres.Options{})
				if err != nil {
					b.Fatal(err)
				}
				return s
			})
		}},
	}
}

// benchLoad is how long each route is loaded; ACV_BENCH_SECONDS overrides.
func benchLoad() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("ACV_BENCH_SECONDS") + "s"); err == nil && d > 0 {
		return d
	}
	return 5 * time.Second
}

// BenchmarkHTTPReads: a council register of 50 entries and an asset's
// timeline under 64 concurrent connections, beside /healthz.
func BenchmarkHTTPReads(b *testing.B) {
	for _, backend := range benchBackends(b) {
		b.Run(backend.name, func(b *testing.B) {
			base, asset := backend.setup(b)
			floor, err := loadtest.Run(context.Background(), base+"/healthz", 64, benchLoad())
			if err != nil {
				b.Fatal(err)
			}
			for _, route := range []struct{ name, path string }{
				{"register-50", "/v1/councils/" + benchCouncil + "/register"},
				{"timeline", "/v1/assets/" + asset + "/timeline"},
			} {
				b.Run(route.name, func(b *testing.B) {
					var r loadtest.Result
					for i := 0; i < b.N; i++ {
						if r, err = loadtest.Run(context.Background(), base+route.path, 64, benchLoad()); err != nil {
							b.Fatal(err)
						}
						if r.Errors > 0 {
							b.Fatalf("%s: %d errors", route.path, r.Errors)
						}
					}
					b.ReportMetric(r.Throughput, "req/s")
					b.ReportMetric(floor.Throughput, "healthz-req/s")
					b.ReportMetric(r.Throughput/floor.Throughput, "ratio")
					b.ReportMetric(float64(r.P50.Microseconds())/1000, "p50-ms")
					b.ReportMetric(float64(r.P99.Microseconds())/1000, "p99-ms")
				})
			}
		})
	}
}

// BenchmarkWriteToReadLag: the time from an acknowledged write (a new
// nomination) to its asset page, read with ?min_position= so the read
// waits exactly until the projection row exists.
func BenchmarkWriteToReadLag(b *testing.B) {
	for _, backend := range benchBackends(b) {
		b.Run(backend.name, func(b *testing.B) {
			base, _ := backend.setup(b)
			measureLag(b, base, base)
		})
	}
}
